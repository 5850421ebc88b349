"""Form submissions: what a handler hands leadflow, and what it gets back.

:class:`Submission` is one validated form post; :class:`SubmissionOutcome` says
exactly what happened to it. :class:`SubmissionPolicy` is the form's settings as
data (Dynamics' "Update contacts/leads", "Generate leads without matching", and
what to do with closed and deleted records). The handler itself is in
:mod:`matching.handler`.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from lifecycle import Contact, InvalidFieldError, Lead, LeadflowError
from lifecycle.eligibility import FrozenMap
from lifecycle.errors import FieldTypeError, Problem, Problems, convert_fields, type_named
from lifecycle.fields import checked_flag, read_moment
from lifecycle.records import PERSONAL_FIELDS
from matching import normalize
from matching.errors import FieldProblem as FieldProblem
from matching.errors import SubmissionRejected as SubmissionRejected
from matching.scoring import MatchScore
from matching.values import STORABLE_TEXT, storable
from matching.values import Notice as Notice
from matching.values import ProbableDuplicate as ProbableDuplicate

_E = TypeVar("_E", bound=enum.Enum)


class Mode(enum.Enum):
    """Which records a form updates (Dynamics' "Update contacts/leads")."""

    CONTACTS_AND_LEADS = "contacts-and-leads"
    ONLY_LEADS = "only-leads"
    ONLY_CONTACTS = "only-contacts"


class OnClosedContact(enum.Enum):
    """What a submission matching an inactive contact does; the contact is never edited silently."""

    LINK = "link"
    """Leave it as it is, and link the submission's lead to it (the default)."""
    REACTIVATE = "reactivate"
    """Activate it, then update it as an active match."""
    NEW_CONTACT = "new-contact"
    """Create a new contact instead."""


class OnClosedLead(enum.Enum):
    """What a submission matching a qualified or disqualified lead does."""

    NEW_LEAD = "new-lead"
    """Create a new lead for the contact (the default); the closed one is left as it is."""
    REACTIVATE = "reactivate"
    """Reactivate the lead (back to Open / New, D5), then update it."""
    BLOCK = "block"
    """Create no lead; the outcome says which closed lead blocked it."""


class OnTombstoned(enum.Enum):
    """What a submission from a deleted person's address does (D14)."""

    BLOCK = "block"
    """Write nothing and report it (the default): a deletion is not undone by a form."""
    RECREATE = "recreate"
    """Treat it as a new person."""


def _member(field: str, kind: type[_E], value: object) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        raise InvalidFieldError(field, f"one of {[m.value for m in kind]}", value) from None


def _mode(value: object) -> Mode:
    return _member("mode", Mode, value)


def _on_closed_contact(value: object) -> OnClosedContact:
    return _member("on_closed_contact", OnClosedContact, value)


def _on_closed_lead(value: object) -> OnClosedLead:
    return _member("on_closed_lead", OnClosedLead, value)


def _on_tombstoned(value: object) -> OnTombstoned:
    return _member("on_tombstoned", OnTombstoned, value)


_POLICY_FIELDS: dict[str, Callable[[object], object]] = {
    "mode": _mode,
    "generate_leads_without_matching": functools.partial(
        checked_flag, "generate_leads_without_matching"
    ),
    "on_closed_contact": _on_closed_contact,
    "on_closed_lead": _on_closed_lead,
    "on_tombstoned": _on_tombstoned,
}
"""How each field of :class:`SubmissionPolicy` is checked and read from its plain value."""


@attrs.frozen
class SubmissionPolicy:
    """How a form treats submissions; plain data, defaults as Dynamics' outbound forms.

    Every field takes its enum member or its plain value; every bad one is reported in
    one :class:`~lifecycle.errors.InvalidFieldError` (a flag that is not a bool, such as
    ``"no"``, is a :class:`~lifecycle.errors.FieldTypeError`, never read as true)."""

    mode: Mode = Mode.CONTACTS_AND_LEADS
    generate_leads_without_matching: bool = False
    """Always create a new lead (Dynamics' "Generate leads without matching")."""
    on_closed_contact: OnClosedContact = OnClosedContact.LINK
    on_closed_lead: OnClosedLead = OnClosedLead.NEW_LEAD
    on_tombstoned: OnTombstoned = OnTombstoned.BLOCK

    def __attrs_post_init__(self) -> None:
        convert_fields(self, _POLICY_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        """Plain values that :meth:`from_dict` reads back."""
        return {
            "mode": self.mode.value,
            "generate_leads_without_matching": self.generate_leads_without_matching,
            "on_closed_contact": self.on_closed_contact.value,
            "on_closed_lead": self.on_closed_lead.value,
            "on_tombstoned": self.on_tombstoned.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubmissionPolicy:
        """A policy from :meth:`to_dict` values; unknown keys and bad values raise one
        error naming every one."""
        problems = Problems()
        if not isinstance(data, Mapping):
            raise FieldTypeError("policy", "a mapping", data)
        known = set(attrs.fields_dict(cls))
        unknown = sorted(set(data) - known)
        if unknown:
            problems.must("policy", f"keys among {sorted(known)}", unknown)
        policy = problems.check(lambda: cls(**{k: v for k, v in data.items() if k in known}))
        problems.raise_if_any()
        assert policy is not None
        return policy


class ContactAction(enum.Enum):
    """What the submission did to a contact."""

    CREATED = "created"
    UPDATED = "updated"
    MATCHED_CLOSED = "matched-closed"
    """An inactive contact matched; it was linked but not edited."""
    BLOCKED = "blocked"
    """The address belongs to a deleted record (D14); nothing was written."""
    NONE = "none"


class LeadAction(enum.Enum):
    """What the submission did to a lead."""

    CREATED = "created"
    UPDATED = "updated"
    BLOCKED = "blocked"
    NONE = "none"


CONTACT_FIELDS = PERSONAL_FIELDS
"""Submitted fields a contact takes: the fields that identify a person."""

LEAD_FIELDS = (
    *CONTACT_FIELDS,
    "companyname",
    "subject",
    "campaignid",
    "msdyncrm_marketingformid",
    "msdyncrm_marketingpageid",
)
"""Submitted fields a lead takes (its form and page ids included)."""

SUBMITTED_ON = "submittedon"
"""The field that says when a submission was made (ISO 8601; without an offset, UTC): a
replayed or queued post keeps its own time instead of the handler's clock."""

MAX_EXTRA_FIELDS = 50
MAX_EXTRA_LENGTH = 4_000
"""Limits on the fields a form sends that no record takes (kept in the interaction only)."""


def _check_field(kind: type[Lead] | type[Contact], name: str, value: object) -> Problem | None:
    field = attrs.fields_dict(kind)[name]
    check = field.metadata.get("check")
    if check is None:
        return None
    try:
        check(None, field, value)
    except InvalidFieldError as err:
        return err.problem
    except LeadflowError as err:
        return Problem(name, f"a value a {kind.__name__} takes", value, shown=str(err))
    return None


@attrs.frozen
class Submission:
    """One validated form submission: the record fields it carries, consent, and the rest."""

    fields: Mapping[str, str]
    """Non-blank record fields, by Dataverse logical name."""
    consent_level: int | None = None
    consent_policy: str | None = None
    extra: Mapping[str, Any] = FrozenMap()
    """Fields no record takes; kept in the interaction payload."""
    raw: Mapping[str, Any] = FrozenMap()
    """The submission as given, stored as the interaction's payload."""
    submitted_on: dt.datetime | None = None
    """When it was made, from its ``submittedon`` field (in UTC), if it has one."""

    @classmethod
    def parse(cls, data: object) -> Submission:
        """Validate a submission; :class:`SubmissionRejected` holds a
        :class:`~lifecycle.errors.Problem` for every bad field."""
        if not isinstance(data, Mapping):
            raise SubmissionRejected(
                (Problem("submission", "a mapping of fields", data, shown=type_named(data)),)
            )
        problems: list[Problem] = []
        fields: dict[str, str] = {}
        extra: dict[str, Any] = {}
        level: int | None = None
        policy: str | None = None
        submitted: dt.datetime | None = None
        for name, value in data.items():
            if not isinstance(name, str):
                problems.append(Problem(repr(name)[:60], "a field name in text", name))
            elif name in LEAD_FIELDS:
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if not isinstance(value, str):
                    problems.append(Problem(name, "text", value, shown=type_named(value)))
                    continue
                value = value.strip()
                flaw = _unstorable(value)
                problem = (
                    _check_field(Lead, name, value)
                    if flaw is None
                    else Problem(name, _STORABLE, value, shown=f"text with {flaw}")
                )
                if problem is not None:
                    problems.append(problem)
                    continue
                fields[name] = value
            elif name == "consent_level":
                if value is None:
                    continue
                if type(value) is not int or not 0 <= value <= 5:
                    problems.append(Problem(name, "a whole number 0-5", value))
                    continue
                level = value
            elif name == SUBMITTED_ON:
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                try:
                    submitted = read_moment(name, value)
                except InvalidFieldError as err:
                    problems.append(err.problem)
            elif name == "consent_policy":
                if value is not None:
                    problem = _long_text(name, value, _POLICY_LENGTH)
                    if problem is not None:
                        problems.append(problem)
                        continue
                policy = value
            else:
                extra[name] = value
        email = fields.get("emailaddress1")
        if email is not None and normalize.email(email) is None:
            problems.append(Problem("emailaddress1", "a usable email address", email))
        problems.extend(_extra_problems(extra))
        if not problems and not _has_identity(fields):
            problems.append(
                Problem(
                    "submission",
                    "identifiable by an email address, a phone number, or a first and last name",
                    dict(fields),
                    shown="none of them",
                )
            )
        if problems:
            raise SubmissionRejected(tuple(problems))
        return cls(
            FrozenMap(fields), level, policy, FrozenMap(extra), FrozenMap(dict(data)), submitted
        )

    def values_for(self, kind: type[Lead] | type[Contact]) -> dict[str, str]:
        """The submitted fields ``kind`` takes."""
        names = LEAD_FIELDS if kind is Lead else CONTACT_FIELDS
        return {n: v for n, v in self.fields.items() if n in names}


_POLICY_LENGTH = 200
"""The longest consent policy name a submission may give."""
_STORABLE = STORABLE_TEXT


def _extra_problems(extra: Mapping[str, Any]) -> Iterator[Problem]:
    if len(extra) > MAX_EXTRA_FIELDS:
        yield Problem(
            "submission", f"at most {MAX_EXTRA_FIELDS} fields no record takes", len(extra)
        )
        return
    for name, value in extra.items():
        flaw = _unstorable(name)
        if flaw is not None or len(name) > 100:
            shown = f"{len(name)} characters" if flaw is None else f"text with {flaw}"
            expected = f"a field name of at most 100 characters of {_STORABLE}"
            yield Problem(repr(name)[1:-1][:60], expected, name, shown=shown)
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            yield Problem(name, "text, a number or a bool", value, shown=type_named(value))
        elif isinstance(value, str):
            problem = _long_text(name, value, MAX_EXTRA_LENGTH)
            if problem is not None:
                yield problem
        elif isinstance(value, float) and not math.isfinite(value):
            yield Problem(name, "a finite number", value)


def _unstorable(value: str) -> str | None:
    """What in ``value`` cannot be stored as text on both databases, if anything (the
    store's one check, :func:`~matching.values.storable`, naming the flaw)."""
    if storable(value):
        return None
    return "a NUL character" if "\x00" in value else "a lone surrogate"


def _long_text(name: str, value: object, limit: int) -> Problem | None:
    """Why field ``name`` is not text of at most ``limit`` characters that both databases
    store, if it is not."""
    expected = f"text of at most {limit} characters, without NUL or lone surrogates"
    if not isinstance(value, str):
        return Problem(name, expected, value, shown=type_named(value))
    if len(value) > limit:
        return Problem(name, expected, value, shown=f"{len(value)} characters")
    flaw = _unstorable(value)
    return None if flaw is None else Problem(name, expected, value, shown=f"text with {flaw}")


def _has_identity(fields: Mapping[str, str]) -> bool:
    if normalize.email(fields.get("emailaddress1")) is not None:
        return True
    if any(normalize.phone(fields.get(n)) for n in ("telephone1", "mobilephone")):
        return True
    return normalize.person(fields.get("firstname"), fields.get("lastname")) is not None


@attrs.frozen
class MatchInfo:
    """How a record was matched: the strategy, its fields and, for fuzzy strategies, the score."""

    strategy: str
    fields: tuple[str, ...]
    score: float | None = None
    similarities: Mapping[str, float | None] = FrozenMap()
    via: str = "lookup"
    """``lookup`` (found by the strategy) or ``child-lead`` (a lead of the matched contact)."""

    @classmethod
    def of(cls, strategy: str, score: MatchScore, via: str) -> MatchInfo:
        """How ``score`` matched: ``fields`` are those that agreed (for a fuzzy strategy,
        the rules that passed); the score and similarities are kept when fuzzy."""
        fuzzy = any(f.method.value != "exact" for f in score.fields)
        return cls(
            strategy,
            tuple(f.field for f in score.fields if f.passed and f.similarity is not None)
            if fuzzy
            else tuple(f.field for f in score.fields),
            score.score if fuzzy else None,
            score.similarities if fuzzy else FrozenMap(),
            via,
        )


@attrs.frozen
class SubmissionOutcome:
    """Exactly what one submission did."""

    contact_action: ContactAction
    lead_action: LeadAction
    contact_id: str | None = None
    lead_id: str | None = None
    interaction_id: str | None = None
    contact_match: MatchInfo | None = None
    lead_match: MatchInfo | None = None
    duplicates: tuple[ProbableDuplicate, ...] = ()
    warnings: tuple[Notice, ...] = ()
    payload_only: tuple[str, ...] = ()
    """The submitted fields no record takes: kept in the interaction's payload only."""

    @property
    def codes(self) -> tuple[str, ...]:
        """The warnings' codes."""
        return tuple(w.code for w in self.warnings)
