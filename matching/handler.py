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
import random
import time
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
from matching.scoring import MatchScore, score_normalised
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
        retries: int = 10,
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
                # Writers that lost a race back off for a random while, so they do not
                # meet again at once.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
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
        mode = self.policy.mode
        email = self.sub.fields.get("emailaddress1")
        if email is not None and not self._screen(email):
            return SubmissionOutcome(
                ContactAction.NONE if mode is Mode.ONLY_LEADS else ContactAction.BLOCKED,
                LeadAction.NONE if mode is Mode.ONLY_CONTACTS else LeadAction.BLOCKED,
                warnings=tuple(self.notices),
            )
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

    def _note(self, code: str, text: str, record_id: str | None = None) -> None:
        self.notices.append(Notice(code, text, record_id))

    # --- screening -----------------------------------------------------------------------

    def _screen(self, email: str) -> bool:
        """Tombstones and suppressions of the address; ``False`` blocks the submission.

        A tombstone blocks only while no live record carries the address: a deleted
        duplicate must not lock its person's live record out of their own forms (D14)."""
        stone = self.tx.tombstone_for(email)
        if stone is not None and not self._lives(email):
            if self.policy.on_tombstoned is OnTombstoned.BLOCK:
                self._note(
                    "tombstoned",
                    f"{email!r} belongs to a {stone.record_type} deleted on "
                    f"{stone.deletedon:%Y-%m-%d}; nothing was written (D14)",
                    stone.record_id,
                )
                return False
            self._note(
                "tombstone-overridden",
                f"{email!r} belonged to a deleted {stone.record_type}",
                stone.record_id,
            )
        for entry in self.tx.suppressions_for([email]):
            if entry.applies(self.at, entry.sending_account):
                self._note(
                    "suppressed",
                    f"{email!r} is suppressed ({entry.reason.value}); the records were "
                    "written but marketing will not email the address",
                )
        return True

    def _lives(self, email: str) -> bool:
        key = normalize.email(email)
        return key is not None and any(
            self.tx.lookup(kind, "emailaddress1", key) for kind in (Contact, Lead)
        )

    # --- finding ---------------------------------------------------------------------------

    def _find(
        self, kind: type[Record], strategy: MatchStrategy, values: Mapping[str, Any]
    ) -> list[tuple[Candidate, MatchScore]]:
        keys = strategy.blocking_keys(values)
        found = self.tx.candidates(kind, keys, limit=strategy.max_candidates) if keys else []
        return self._ranked(kind, strategy, values, found)

    def _ranked(
        self,
        kind: type[Record],
        strategy: MatchStrategy,
        values: Mapping[str, Any],
        candidates: list[Candidate],
    ) -> list[tuple[Candidate, MatchScore]]:
        """The candidates the strategy matches, in the order D3 reads them: active records
        before closed ones, each newest first. A merged-away record stands for its master
        (D4): the master takes its place, with its score."""
        mine = strategy.normalised(values)
        matched = [
            (c, s)
            for c in candidates
            if (s := score_normalised(strategy, mine, strategy.normalised(c.values))).matched
        ]
        merged = [(c, s) for c, s in matched if c.values.get("merged")]
        if not merged:
            return sorted(matched, key=lambda pair: not _is_active(pair[0]))
        matched = [(c, s) for c, s in matched if not c.values.get("merged")]
        have = {c.id for c, _ in matched}
        by_master: dict[str, MatchScore] = {}
        for candidate, score in merged:
            master = candidate.values.get("masterid")
            if master and master not in have:
                by_master.setdefault(master, score)
                self._note(
                    "merged",
                    f"the matching {candidate.record_type} {candidate.id} was merged into "
                    f"{master}; the master was used",
                    candidate.id,
                )
        for record in self.tx.get_many(kind, list(by_master)):
            stand_in = Candidate(
                candidates[0].record_type,
                record.id,
                record.modifiedon,
                RecordValues(record),
                self.tx.version(record) or 0,
            )
            matched.append((stand_in, by_master[record.id]))
        matched.sort(key=lambda pair: pair[0].id)
        matched.sort(key=lambda pair: pair[0].modifiedon or _EPOCH, reverse=True)
        return sorted(matched, key=lambda pair: not _is_active(pair[0]))

    def _winner(
        self,
        kind: type[P],
        strategy: MatchStrategy,
        values: Mapping[str, Any],
        matches: list[tuple[Candidate, MatchScore]],
    ) -> tuple[P, MatchScore]:
        """The first match, loaded and locked; the others are probable duplicates (D3).

        If another writer changed it since it was read (PostgreSQL: the lock waited for
        that writer), it is scored again; a record that no longer matches means the
        submission is retried on fresh data."""
        for candidate, _ in matches[1:]:
            self.duplicates.append(
                ProbableDuplicate(candidate.record_type, candidate.id, candidate.modifiedon)
            )
        winner, score = matches[0]
        try:
            record = self.tx.get(kind, winner.id, lock=True)
        except RecordNotFound:
            raise ConflictError(winner.record_type, winner.id, winner.version, None) from None
        if self.tx.version(record) != winner.version:
            score = strategy.match(values, RecordValues(record))
            if not score.matched:
                raise ConflictError(
                    winner.record_type, winner.id, winner.version, self.tx.version(record)
                )
        return record, score

    def _unmatchable(self, strategy: MatchStrategy, values: Mapping[str, Any]) -> None:
        if not strategy.blocking_keys(values):
            self._note(
                "no-match-key",
                f"the submission has none of the fields {strategy.name!r} finds "
                f"{strategy.target.value}s by ({', '.join(strategy.blocking)}); a new "
                f"{strategy.target.value} was created",
            )

    # --- contacts ---------------------------------------------------------------------------

    def _contact(self) -> tuple[Contact | None, ContactAction, MatchInfo | None]:
        strategy = self.h.contact_strategy
        values = self.sub.values_for(Contact)
        matches = self._find(Contact, strategy, values)
        if not matches:
            self._unmatchable(strategy, values)
            return self._create_contact(strategy, values, claim=True)
        contact, score = self._winner(Contact, strategy, values, matches)
        info = MatchInfo.of(strategy.name, score, "lookup")
        if not contact.is_active:
            rule = self.policy.on_closed_contact
            closed = f"the matching contact {contact.id} is {contact.state.label}"
            if rule is OnClosedContact.LINK:
                self._note("contact-closed", f"{closed}; it was linked but not edited", contact.id)
                return contact, ContactAction.MATCHED_CLOSED, info
            if rule is OnClosedContact.NEW_CONTACT:
                self._note("contact-closed", f"{closed}; a new contact was created", contact.id)
                created, action, _ = self._create_contact(strategy, values, claim=False)
                return created, action, None
            contact.activate(at=self.at, note="reactivated by a form submission")
            self._note("contact-reactivated", f"{closed}; it was activated", contact.id)
        self._apply(contact, values)
        return contact, ContactAction.UPDATED, info

    def _create_contact(
        self, strategy: MatchStrategy, values: Mapping[str, Any], *, claim: bool
    ) -> tuple[Contact, ContactAction, MatchInfo | None]:
        contact = Contact(**values, createdon=self.at, modifiedon=self.at)
        holder = self._claim(strategy, values, contact) if claim else contact.id
        if holder != contact.id:
            existing = self.tx.get(Contact, holder, lock=True)
            score = strategy.match(values, RecordValues(existing))
            if score.matched and existing.is_active:
                self._apply(existing, values)
                return existing, ContactAction.UPDATED, MatchInfo.of(strategy.name, score, "claim")
        self._give_consent(contact)
        self.tx.add(contact, allow_tombstoned=True)
        return contact, ContactAction.CREATED, None

    # --- leads ----------------------------------------------------------------------------------

    def _lead(self, contact: Contact | None) -> tuple[Lead | None, LeadAction, MatchInfo | None]:
        strategy = self.h.lead_strategy
        values = self.sub.values_for(Lead)
        if self.policy.generate_leads_without_matching:
            return self._create_lead(strategy, values, contact, claim=False)
        matches = self._find(Lead, strategy, values)
        via = "lookup"
        if contact is not None:
            children = self.tx.children(
                Lead, "parentcontactid", contact.id, limit=strategy.max_candidates
            )
            own = self._ranked(Lead, strategy, values, children)
            if own:
                # The contact's own lead wins (Dynamics links the lead to the contact it
                # found); other leads that match are still reported (D3).
                ids = {c.id for c, _ in own}
                matches = own + [(c, s) for c, s in matches if c.id not in ids]
                via = "child-lead"
        if not matches:
            self._unmatchable(strategy, values)
            return self._create_lead(strategy, values, contact, claim=True)
        lead, score = self._winner(Lead, strategy, values, matches)
        info = MatchInfo.of(strategy.name, score, via)
        if not lead.is_active:
            rule = self.policy.on_closed_lead
            closed = f"the matching lead {lead.id} is {lead.state.label} ({lead.status.label})"
            if rule is OnClosedLead.BLOCK:
                self._note("lead-closed", f"{closed}; no lead was created", lead.id)
                return None, LeadAction.BLOCKED, info
            if rule is OnClosedLead.NEW_LEAD:
                self._note(
                    "lead-closed", f"{closed}; it was left as it is and a new lead created", lead.id
                )
                created, action, _ = self._create_lead(strategy, values, contact, claim=False)
                return created, action, None
            lead.reactivate(at=self.at, note="reactivated by a form submission")
            self._note("lead-reactivated", f"{closed}; it was reactivated", lead.id)
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
            existing = self.tx.get(Lead, holder, lock=True)
            score = strategy.match(values, RecordValues(existing))
            if score.matched and existing.is_active:
                self._apply(existing, values, contact)
                return existing, LeadAction.UPDATED, MatchInfo.of(strategy.name, score, "claim")
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
        """Update ``record`` with the submitted values and consent; save it if anything changed.

        An address or phone written differently but normalising to the stored key keeps
        the stored spelling: a form's capitalisation is not a change worth a write."""
        changes = {n: v for n, v in values.items() if _changed(getattr(record, n), v, n)}
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


_SAME_KEY = {
    "emailaddress1": normalize.email,
    "telephone1": normalize.phone,
    "mobilephone": normalize.phone,
}


def _changed(stored: object, submitted: object, field: str) -> bool:
    if stored == submitted:
        return False
    same = _SAME_KEY.get(field)
    if same is None or stored is None:
        return True
    key = same(stored)
    return key is None or key != same(submitted)


def _is_active(candidate: Candidate) -> bool:
    return bool(candidate.values.get("statecode") == 0)


def _payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in raw.items()}
