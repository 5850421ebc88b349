"""The form-submission handler: one submission in, exactly what happened out.

Contact first, then lead (Dynamics' "Contacts and leads"): each is found with its
match strategy, updated if one matches (the most recently modified of several
wins, the rest are reported, D3), created if none does, and never edited when
closed. The lead is linked to the contact and the submission is kept as an
interaction credited to both. Everything happens in one store transaction; a lost
race is retried on fresh data, and concurrent creators of the same person agree on
one record through the store's claims.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

from lifecycle import (
    Contact,
    DataConsent,
    InvalidFieldError,
    Lead,
    Record,
)
from lifecycle.clock import Clock, require_aware, system_clock
from lifecycle.eligibility import consent_level_at
from matching import normalize
from matching.scoring import MatchScore
from matching.store import ConflictError, Interaction, RecordNotFound, Store, Transaction
from matching.store.values import Candidate
from matching.strategies import CONTACT_BY_EMAIL, LEAD_BY_EMAIL_AND_PAGE, MatchStrategy, Target
from matching.submissions import (
    ContactAction,
    LeadAction,
    MatchInfo,
    Mode,
    Notice,
    OnClosedContact,
    OnClosedLead,
    OnTombstoned,
    ProbableDuplicate,
    Submission,
    SubmissionOutcome,
    SubmissionPolicy,
)

P = TypeVar("P", Lead, Contact)
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


class RecordValues(Mapping[str, Any]):
    """A record read as a mapping of its fields, for scoring against a submission."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self._record, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in attrs.fields(type(self._record)) if f.init)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class SubmissionHandler:
    """Handles form submissions against a store; safe to share between threads.

    ``contact_strategy`` and ``lead_strategy`` say how a submission finds its
    records (defaults: Dynamics' own, D2); ``policy`` is the form's settings.
    """

    def __init__(
        self,
        store: Store,
        contact_strategy: MatchStrategy = CONTACT_BY_EMAIL,
        lead_strategy: MatchStrategy = LEAD_BY_EMAIL_AND_PAGE,
        *,
        mode: Mode | str | None = None,
        policy: SubmissionPolicy | None = None,
        clock: Clock = system_clock,
        retries: int = 5,
    ) -> None:
        if not isinstance(store, Store):
            raise InvalidFieldError("store", "a Store (see open_store)", store)
        for name, strategy, target in (
            ("contact_strategy", contact_strategy, Target.CONTACT),
            ("lead_strategy", lead_strategy, Target.LEAD),
        ):
            if not isinstance(strategy, MatchStrategy) or strategy.target is not target:
                raise InvalidFieldError(name, f"a MatchStrategy for {target.value}s", strategy)
        policy = policy or SubmissionPolicy()
        if mode is not None:
            policy = SubmissionPolicy(**{**policy.to_dict(), "mode": mode})
        self.store = store
        self.contact_strategy = contact_strategy
        self.lead_strategy = lead_strategy
        self.policy = policy
        self.clock = clock
        self.retries = retries

    def submit(
        self, data: Mapping[str, Any], *, at: dt.datetime | None = None
    ) -> SubmissionOutcome:
        """Handle one submission. Raises :class:`SubmissionRejected` (nothing written)
        when a field is unusable; otherwise says what was created, updated or linked."""
        submission = Submission.parse(data)
        when = self.clock() if at is None else at
        require_aware("at", when)
        for attempt in range(self.retries + 1):
            try:
                with self.store.transaction() as tx:
                    return _Run(self, tx, submission, when).outcome()
            except ConflictError:
                if attempt == self.retries:
                    raise
        raise AssertionError("unreachable")


class _Run:
    """One attempt at one submission, inside one transaction."""

    def __init__(
        self, handler: SubmissionHandler, tx: Transaction, submission: Submission, at: dt.datetime
    ) -> None:
        self.h, self.tx, self.sub, self.at = handler, tx, submission, at
        self.policy = handler.policy
        self.notices: list[Notice] = []
        self.duplicates: list[ProbableDuplicate] = []

    def outcome(self) -> SubmissionOutcome:
        email = self.sub.fields.get("emailaddress1")
        if email is not None and not self._screen(email):
            return SubmissionOutcome(
                ContactAction.NONE, LeadAction.BLOCKED, warnings=tuple(self.notices)
            )
        mode = self.policy.mode
        contact: Contact | None = None
        contact_action, contact_match = ContactAction.NONE, None
        if mode is not Mode.ONLY_LEADS:
            contact, contact_action, contact_match = self._contact()
        lead: Lead | None = None
        lead_action, lead_match = LeadAction.NONE, None
        if mode is not Mode.ONLY_CONTACTS:
            lead, lead_action, lead_match = self._lead(contact)
        interaction = Interaction(
            at=self.at,
            contactid=contact.id if contact else None,
            leadid=lead.id if lead else None,
            formid=self.sub.fields.get("msdyncrm_marketingformid"),
            pageid=self.sub.fields.get("msdyncrm_marketingpageid"),
            payload=_payload(self.sub.raw),
        )
        self.tx.add_interaction(interaction)
        return SubmissionOutcome(
            contact_action,
            lead_action,
            contact.id if contact else None,
            lead.id if lead else None,
            interaction.id,
            contact_match,
            lead_match,
            tuple(self.duplicates),
            tuple(self.notices),
        )

    # --- screening -----------------------------------------------------------------------

    def _screen(self, email: str) -> bool:
        """Tombstones and suppressions of the address; ``False`` blocks the submission."""
        stone = self.tx.tombstone_for(email)
        if stone is not None:
            if self.policy.on_tombstoned is OnTombstoned.BLOCK:
                self.notices.append(
                    Notice(
                        "tombstoned",
                        f"{email!r} belongs to a {stone.record_type} deleted on "
                        f"{stone.deletedon:%Y-%m-%d}; nothing was written (D14)",
                    )
                )
                return False
            self.notices.append(
                Notice(
                    "tombstone-overridden", f"{email!r} belonged to a deleted {stone.record_type}"
                )
            )
        key = normalize.email(email)
        for entry in self.tx.suppressions_for([email]).active(key, self.at):
            self.notices.append(
                Notice(
                    "suppressed",
                    f"{email!r} is suppressed ({entry.reason.value}); the records were "
                    "written but marketing will not email the address",
                )
            )
        return True

    # --- finding ---------------------------------------------------------------------------

    def _find(
        self, kind: type[Record], strategy: MatchStrategy, values: Mapping[str, Any]
    ) -> list[tuple[Candidate, MatchScore]]:
        keys = strategy.blocking_keys(values)
        found = self.tx.candidates(kind, keys, limit=strategy.max_candidates) if keys else []
        return _scored(strategy, values, found)

    def _winner(
        self, kind: type[P], matches: list[tuple[Candidate, MatchScore]]
    ) -> tuple[P, MatchScore]:
        """The most recently modified match, loaded; the others are probable duplicates (D3)."""
        for candidate, _ in matches[1:]:
            self.duplicates.append(
                ProbableDuplicate(candidate.record_type, candidate.id, candidate.modifiedon)
            )
        winner, score = matches[0]
        try:
            return self.tx.get(kind, winner.id), score
        except RecordNotFound:
            raise ConflictError(winner.record_type, winner.id, 0, None) from None

    # --- contacts ---------------------------------------------------------------------------

    def _contact(self) -> tuple[Contact | None, ContactAction, MatchInfo | None]:
        strategy = self.h.contact_strategy
        values = self.sub.values_for(Contact)
        matches = self._find(Contact, strategy, values)
        if not matches:
            return self._create_contact(strategy, values, claim=True)
        contact, score = self._winner(Contact, matches)
        info = MatchInfo.of(strategy.name, strategy.fields, score, "lookup")
        if not contact.is_active:
            rule = self.policy.on_closed_contact
            if rule is OnClosedContact.LINK:
                self.notices.append(
                    Notice(
                        "contact-closed",
                        f"the matching contact {contact.id} is {contact.state.label}; it was "
                        "linked but not edited",
                    )
                )
                return contact, ContactAction.MATCHED_CLOSED, info
            if rule is OnClosedContact.NEW_CONTACT:
                self.notices.append(
                    Notice(
                        "contact-closed",
                        f"the matching contact {contact.id} is {contact.state.label}; "
                        "a new contact was created",
                    )
                )
                created, action, _ = self._create_contact(strategy, values, claim=False)
                return created, action, None
            contact.activate(at=self.at, note="reactivated by a form submission")
            self.notices.append(
                Notice("contact-reactivated", f"the matching contact {contact.id} was activated")
            )
        self._apply(contact, values)
        return contact, ContactAction.UPDATED, info

    def _create_contact(
        self, strategy: MatchStrategy, values: Mapping[str, Any], *, claim: bool
    ) -> tuple[Contact, ContactAction, MatchInfo | None]:
        contact = Contact(**values, createdon=self.at, modifiedon=self.at)
        holder = self._claim(strategy, values, contact) if claim else contact.id
        if holder != contact.id:
            existing = self.tx.get(Contact, holder)
            score = strategy.match(values, RecordValues(existing))
            if score.matched and existing.is_active:
                self._apply(existing, values)
                info = MatchInfo.of(strategy.name, strategy.fields, score, "claim")
                return existing, ContactAction.UPDATED, info
        self._give_consent(contact)
        self.tx.add(contact, allow_tombstoned=True)
        return contact, ContactAction.CREATED, None

    # --- leads ----------------------------------------------------------------------------------

    def _lead(self, contact: Contact | None) -> tuple[Lead | None, LeadAction, MatchInfo | None]:
        strategy = self.h.lead_strategy
        values = self.sub.values_for(Lead)
        if self.policy.generate_leads_without_matching:
            return self._create_lead(strategy, values, contact, claim=False)
        matches: list[tuple[Candidate, MatchScore]] = []
        via = "lookup"
        if contact is not None:
            children = self.tx.children(
                Lead, "parentcontactid", contact.id, limit=strategy.max_candidates
            )
            matches = _scored(strategy, values, children)
            via = "child-lead"
        if not matches:
            matches = self._find(Lead, strategy, values)
            via = "lookup"
        if not matches:
            return self._create_lead(strategy, values, contact, claim=True)
        lead, score = self._winner(Lead, matches)
        info = MatchInfo.of(strategy.name, strategy.fields, score, via)
        if not lead.is_active:
            rule = self.policy.on_closed_lead
            closed = f"the matching lead {lead.id} is {lead.state.label} ({lead.status.label})"
            if rule is OnClosedLead.BLOCK:
                self.notices.append(Notice("lead-closed", f"{closed}; no lead was created"))
                return None, LeadAction.BLOCKED, info
            if rule is OnClosedLead.NEW_LEAD:
                self.notices.append(
                    Notice("lead-closed", f"{closed}; it was left as it is and a new lead created")
                )
                created, action, _ = self._create_lead(strategy, values, contact, claim=False)
                return created, action, None
            lead.reactivate(at=self.at, note="reactivated by a form submission")
            self.notices.append(Notice("lead-reactivated", f"{closed}; it was reactivated"))
        self._apply(lead, values, contact)
        return lead, LeadAction.UPDATED, info

    def _create_lead(
        self,
        strategy: MatchStrategy,
        values: Mapping[str, Any],
        contact: Contact | None,
        *,
        claim: bool,
    ) -> tuple[Lead, LeadAction, MatchInfo | None]:
        lead = Lead(
            **values,
            parentcontactid=contact.id if contact else None,
            createdon=self.at,
            modifiedon=self.at,
        )
        holder = self._claim(strategy, values, lead) if claim else lead.id
        if holder != lead.id:
            existing = self.tx.get(Lead, holder)
            score = strategy.match(values, RecordValues(existing))
            if score.matched and existing.is_active:
                self._apply(existing, values, contact)
                return (
                    existing,
                    LeadAction.UPDATED,
                    MatchInfo.of(strategy.name, strategy.fields, score, "claim"),
                )
        self._give_consent(lead)
        self.tx.add(lead, allow_tombstoned=True)
        return lead, LeadAction.CREATED, None

    # --- writing -----------------------------------------------------------------------------

    def _claim(self, strategy: MatchStrategy, values: Mapping[str, Any], record: Record) -> str:
        key = strategy.exact_key(values)
        if key is None:
            blocking = strategy.blocking_keys(values)
            if not blocking:
                return record.id
            key = json.dumps(list(blocking[0]), ensure_ascii=False)
        return self.tx.claim(strategy.name, key, record)

    def _apply(
        self, record: Lead | Contact, values: Mapping[str, Any], contact: Contact | None = None
    ) -> None:
        """Update ``record`` with the submitted values and consent; save it if anything changed."""
        changes = {n: v for n, v in values.items() if getattr(record, n) != v}
        if isinstance(record, Lead) and contact is not None and record.parentcontactid is None:
            changes["parentcontactid"] = contact.id
        history = len(record.history)
        if changes:
            record.update(changes, at=self.at)
        consented = self._give_consent(record)
        if changes or consented or len(record.history) != history:
            self.tx.save(record)

    def _give_consent(self, record: Lead | Contact) -> bool:
        level = self.sub.consent_level
        if level is None or level <= consent_level_at(record, self.at):
            return False
        policy = self.sub.consent_policy or self.sub.fields.get("msdyncrm_marketingformid")
        record.give_consent(
            DataConsent(level=level, policy=policy or "form submission", given_on=self.at),
            at=self.at,
        )
        return True


def _scored(
    strategy: MatchStrategy, values: Mapping[str, Any], candidates: list[Candidate]
) -> list[tuple[Candidate, MatchScore]]:
    """The candidates the strategy matches, with their scores, newest first as given."""
    scored = ((c, strategy.match(values, c.values)) for c in candidates)
    return [(c, s) for c, s in scored if s.matched]


def _payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in raw.items()}
