"""The references between records: the one list of reference fields and what each links.

A reference field holds another record's id. Each :class:`Relation` names the field,
the kind of record that holds it, the kind it points at and what the link means.
Record kinds are named as the store writes them (``"lead"``, ``"contact"``,
``"account"``, and ``"opportunity"``, which leadflow points at but does not keep).

Two sorts of link:

- **live links** (a parent, a customer, a primary contact) say where a record belongs
  now; an update may change them, and merging re-points them from the subordinate to
  the master (D4);
- **history** (merged into, qualified from, qualified into) says what happened to a
  record; only triggers set it (:data:`SYSTEM_REFERENCES`) and merging leaves it as
  it is.

A lead's ``campaignid``, ``msdyncrm_marketingformid`` and ``msdyncrm_marketingpageid``
are ids too, of the marketing assets it came from; they link no records, so they are
not here.

The record classes, merge and the store's schema read this list; ``lifecycle``
imports nothing from ``matching``, so the store builds on it, not the other way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from lifecycle.errors import InvalidFieldError

LEAD = "lead"
CONTACT = "contact"
ACCOUNT = "account"
OPPORTUNITY = "opportunity"
KINDS = (LEAD, CONTACT, ACCOUNT)
"""The kinds of record leadflow keeps; a reference may also point at an opportunity."""


class Meaning(enum.Enum):
    """What a reference says about the record that holds it."""

    PARENT = "parent"
    """The record belongs to the target: a lead to its contact or account, a contact to
    its account, an account to its parent account."""
    CUSTOMER = "customer"
    """The lead's customer, set by qualify: the contact or account it became."""
    PRIMARY_CONTACT = "primary contact"
    """The account's main contact, set by qualify when it creates both."""
    MERGED_INTO = "merged into"
    """The master a merged-away record was merged into (D4)."""
    QUALIFIED_FROM = "qualified from"
    """The lead a contact or account was created from by qualify."""
    QUALIFIED_INTO = "qualified into"
    """The opportunity a lead was qualified into."""

    @property
    def is_history(self) -> bool:
        """Whether the link records what happened (set only by triggers, kept by merge)
        rather than where the record belongs now."""
        return self in _HISTORY


_HISTORY = frozenset({Meaning.MERGED_INTO, Meaning.QUALIFIED_FROM, Meaning.QUALIFIED_INTO})


@attrs.frozen
class Relation:
    """One reference: ``field`` on a ``source`` record holds the id of a ``target`` record."""

    field: str
    source: str = attrs.field(validator=attrs.validators.in_(KINDS))
    target: str = attrs.field(validator=attrs.validators.in_((*KINDS, OPPORTUNITY)))
    meaning: Meaning

    @property
    def follows_merge(self) -> bool:
        """Whether merging the target away re-points this field at the master (D4)."""
        return not self.meaning.is_history


def _each(field: str, pairs: Iterable[tuple[str, str]], meaning: Meaning) -> list[Relation]:
    return [Relation(field, source, target, meaning) for source, target in pairs]


RELATIONS: tuple[Relation, ...] = (
    *_each("parentcontactid", [(LEAD, CONTACT)], Meaning.PARENT),
    *_each("parentaccountid", [(LEAD, ACCOUNT), (ACCOUNT, ACCOUNT)], Meaning.PARENT),
    *_each("customerid", [(LEAD, CONTACT), (LEAD, ACCOUNT)], Meaning.CUSTOMER),
    *_each("parentcustomerid", [(CONTACT, ACCOUNT)], Meaning.PARENT),
    *_each("primarycontactid", [(ACCOUNT, CONTACT)], Meaning.PRIMARY_CONTACT),
    *_each("masterid", [(kind, kind) for kind in KINDS], Meaning.MERGED_INTO),
    *_each("originatingleadid", [(CONTACT, LEAD), (ACCOUNT, LEAD)], Meaning.QUALIFIED_FROM),
    *_each("qualifyingopportunityid", [(LEAD, OPPORTUNITY)], Meaning.QUALIFIED_INTO),
)
"""Every reference between records, each (field, source kind, target kind) once."""


def _fields(relations: Iterable[Relation]) -> tuple[str, ...]:
    """The relations' field names, each once, in list order."""
    return tuple(dict.fromkeys(r.field for r in relations))


REFERENCE_FIELDS: tuple[str, ...] = _fields(RELATIONS)
"""Every reference field, each once."""

MERGE_REPOINTED: tuple[str, ...] = _fields(r for r in RELATIONS if r.follows_merge)
"""The live links: fields that point at a merged-away record are re-pointed at its master."""

SYSTEM_REFERENCES: frozenset[str] = frozenset(r.field for r in RELATIONS if r.meaning.is_history)
"""The history links: only triggers (and the store) set them; ``update()`` refuses them."""

(MASTER_FIELD,) = _fields(r for r in RELATIONS if r.meaning is Meaning.MERGED_INTO)
"""The field a merged-away record names its master in (D4)."""


def relations_of(source: str, meaning: Meaning | None = None) -> tuple[Relation, ...]:
    """The references a ``source`` kind holds, of one ``meaning`` or all of them."""
    if source not in KINDS:
        raise InvalidFieldError("source", f"one of {list(KINDS)}", source)
    return tuple(
        r for r in RELATIONS if r.source == source and (meaning is None or r.meaning is meaning)
    )


def parent_fields(source: str) -> tuple[str, ...]:
    """The fields that name a ``source`` record's parents (a lead's contact and account,
    a contact's account, an account's parent account): the store indexes them and finds
    a parent's children by them."""
    return _fields(relations_of(source, Meaning.PARENT))


def parent_field(source: str, target: str) -> str:
    """The field that names a ``source`` record's parent ``target``:
    ``parent_field("lead", "contact") == "parentcontactid"``."""
    for r in relations_of(source, Meaning.PARENT):
        if r.target == target:
            return r.field
    parents = [r.target for r in relations_of(source, Meaning.PARENT)]
    raise InvalidFieldError("target", f"a parent kind of a {source}, one of {parents}", target)
