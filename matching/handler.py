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
import random
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from lifecycle import (
    Contact,
    DataConsent,
    Lead,
)
from lifecycle.clock import Clock, require_aware, system_clock
from lifecycle.decisions import cite
from lifecycle.eligibility import consent_level_at
from lifecycle.errors import Problem, Problems
from lifecycle.relations import CONTACT, LEAD, parent_field
from matching import normalize
from matching.errors import ConflictError, SubmissionRejected
from matching.protocols import RecordStore, RecordTransaction
from matching.resolve import Probe, Resolution
from matching.strategies import CONTACT_BY_EMAIL, LEAD_BY_EMAIL_AND_PAGE, MatchStrategy, Target
from matching.submissions import (
    SUBMITTED_ON,
    ContactAction,
    LeadAction,
    MatchInfo,
    Mode,
    OnClosedContact,
    OnClosedLead,
    OnTombstoned,
    Submission,
    SubmissionOutcome,
    SubmissionPolicy,
)
from matching.values import (
    RECORD_TYPES,
    STRATEGY_NAME_LENGTH,
    TYPE_NAME,
    Interaction,
    Notice,
    Tombstone,
)

P = TypeVar("P", Lead, Contact)

FUTURE_SKEW = dt.timedelta(minutes=5)
"""How far ahead of the handler's clock a submission's ``submittedon`` may be (clocks of
different machines disagree a little)."""
_LEAD_CONTACT = parent_field(LEAD, CONTACT)
"""The reference that links a lead to its contact."""


class SubmissionHandler:
    """Handles form submissions against a store; safe to share between threads.

    ``contact_strategy`` and ``lead_strategy`` say how a submission finds its
    records (defaults: Dynamics' own, D2); ``policy`` is the form's settings.
    """

    def __init__(
        self,
        store: RecordStore,
        contact_strategy: MatchStrategy = CONTACT_BY_EMAIL,
        lead_strategy: MatchStrategy = LEAD_BY_EMAIL_AND_PAGE,
        *,
        mode: Mode | str | None = None,
        policy: SubmissionPolicy | None = None,
        clock: Clock = system_clock,
        retries: int = 10,
    ) -> None:
        problems = Problems()
        given_store: object = store
        if not isinstance(given_store, RecordStore):
            problems.must("store", "a RecordStore (see open_store)", store, wrong_type=True)
        for name, strategy, target in (
            ("contact_strategy", contact_strategy, Target.CONTACT),
            ("lead_strategy", lead_strategy, Target.LEAD),
        ):
            if not isinstance(strategy, MatchStrategy) or strategy.target is not target:
                problems.must(name, f"a MatchStrategy for {target.value}s", strategy)
            elif len(strategy.name) > STRATEGY_NAME_LENGTH:
                problems.must(
                    name,
                    f"a MatchStrategy named in at most {STRATEGY_NAME_LENGTH} characters "
                    "(the store keeps claims under the name)",
                    strategy.name,
                )
        if type(retries) is not int or retries < 0:
            problems.must("retries", "a whole number of at least 0", retries)
        given_clock: object = clock
        if not callable(given_clock):
            problems.must("clock", "a callable returning an aware datetime", clock, wrong_type=True)
        given: object = policy
        chosen = SubmissionPolicy()
        if isinstance(given, SubmissionPolicy):
            chosen = given
        elif given is not None:
            problems.must(
                "policy",
                "a SubmissionPolicy (SubmissionPolicy.from_dict reads plain data)",
                given,
                wrong_type=True,
            )
        if mode is not None:
            moded = problems.check(lambda: SubmissionPolicy(**{**chosen.to_dict(), "mode": mode}))
            chosen = moded or chosen
        problems.raise_if_any()
        self.store = store
        self.contact_strategy = contact_strategy
        self.lead_strategy = lead_strategy
        self.policy = chosen
        self.clock = clock
        self.retries = retries

    def submit(
        self, data: Mapping[str, Any], *, at: dt.datetime | None = None
    ) -> SubmissionOutcome:
        """Handle one submission. Raises :class:`SubmissionRejected` (nothing written)
        when a field is unusable; otherwise says what was created, updated or linked.

        ``at`` is when it happened; by default the submission's own ``submittedon`` field
        when it has one (a replayed or queued post), else the handler's clock."""
        submission = Submission.parse(data)
        if at is not None:
            when = at
        elif submission.submitted_on is not None:
            when = self._submitted_on(submission)
        else:
            when = self.clock()
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

    def _submitted_on(self, submission: Submission) -> dt.datetime:
        """The submission's own time; one later than the clock (beyond a little skew between
        machines) is refused, since nothing can have been submitted in the future."""
        submitted = submission.submitted_on
        assert submitted is not None
        if submitted > self.clock() + FUTURE_SKEW:
            raise SubmissionRejected(
                (
                    Problem(
                        SUBMITTED_ON,
                        f"a moment no later than now (up to {FUTURE_SKEW} ahead of the clock)",
                        submission.raw.get(SUBMITTED_ON),
                    ),
                )
            )
        return submitted


class _Run:
    """One attempt at one submission, inside one transaction."""

    def __init__(
        self,
        handler: SubmissionHandler,
        tx: RecordTransaction,
        submission: Submission,
        at: dt.datetime,
    ) -> None:
        self.h, self.tx, self.sub, self.at = handler, tx, submission, at
        self.policy = handler.policy
        self.resolution = Resolution(tx)
        self.notices = self.resolution.notices
        """What the caller should know, resolution's notices among them, in order."""
        self.stone: Tombstone | None = None
        """The tombstone that keeps this submission from creating records (D14)."""
        self.refused: list[str] = []
        """The record types that tombstone kept it from creating."""

    def outcome(self) -> SubmissionOutcome:
        mode = self.policy.mode
        email = self.sub.fields.get("emailaddress1")
        if email is not None:
            self._screen(email)
        contact: Contact | None = None
        contact_action, contact_match = ContactAction.NONE, None
        if mode is not Mode.ONLY_LEADS:
            contact, contact_action, contact_match = self._contact()
        lead: Lead | None = None
        lead_action, lead_match = LeadAction.NONE, None
        if mode is not Mode.ONLY_CONTACTS:
            fresh = contact_action is ContactAction.CREATED
            lead, lead_action, lead_match = self._lead(contact, fresh_contact=fresh)
        interaction_id = None
        if self.refused:
            self._note_refused(written=contact is not None or lead is not None)
        if contact is not None or lead is not None or not self.refused:
            interaction = Interaction(
                at=self.at,
                contactid=contact.id if contact else None,
                leadid=lead.id if lead else None,
                formid=self.sub.fields.get("msdyncrm_marketingformid"),
                pageid=self.sub.fields.get("msdyncrm_marketingpageid"),
                payload=_payload(self.sub.raw),
            )
            self.tx.add_interaction(interaction)
            interaction_id = interaction.id
        return SubmissionOutcome(
            contact_action,
            lead_action,
            contact.id if contact else None,
            lead.id if lead else None,
            interaction_id,
            contact_match,
            lead_match,
            tuple(self.resolution.duplicates),
            tuple(self.notices),
            tuple(self.sub.extra),
        )

    def _note(self, code: str, text: str, record_id: str | None = None) -> None:
        self.notices.append(Notice(code, text, record_id))

    # --- screening -----------------------------------------------------------------------

    def _screen(self, email: str) -> None:
        """Tombstones and suppressions of the address.

        A deleted record's tombstone keeps the submission from creating records while no
        live record of the deleted one's type carries the address (D14): deleting a
        duplicate does not lock its person's live record out of their own forms, and a
        deleted contact is not recreated beside its person's live lead. Live records the
        submission finds are still updated."""
        latest: dict[str, Tombstone] = {}
        for stone in self.tx.tombstones_for(email):
            latest.setdefault(stone.record_type, stone)
        for stone in latest.values():
            if self._lives(email, stone.record_type):
                continue
            if self.policy.on_tombstoned is OnTombstoned.BLOCK:
                self.stone = stone
            else:
                self._note(
                    "tombstone-overridden",
                    f"{email!r} belonged to a deleted {stone.record_type}",
                    stone.record_id,
                )
            break
        for entry in self.tx.suppressions_for([email]):
            if not entry.applies(self.at, entry.sending_account):
                continue
            if entry.sending_account is None:
                self._note(
                    "suppressed",
                    f"{email!r} is suppressed ({entry.reason.value}); the records were "
                    "written but marketing will not email the address",
                )
            else:
                self._note(
                    "suppressed-for-account",
                    f"{email!r} opted out of the sending account {entry.sending_account!r} "
                    f"({entry.reason.value}); the records were written, and other sending "
                    "accounts may still email the address",
                )

    def _lives(self, email: str, record_type: str) -> bool:
        """Whether a stored record of ``record_type`` carries the address."""
        key = normalize.email(email)
        kind = RECORD_TYPES[record_type]
        return key is not None and bool(self.tx.lookup(kind, "emailaddress1", key))

    def _note_refused(self, *, written: bool) -> None:
        stone = self.stone
        assert stone is not None
        email = self.sub.fields.get("emailaddress1")
        what = f"no {' or '.join(self.refused)} was created" if written else "nothing was written"
        self._note(
            "tombstoned",
            f"{email!r} belongs to a {stone.record_type} deleted on "
            f"{stone.deletedon:%Y-%m-%d}; {what} {cite('D14')}",
            stone.record_id,
        )

    # --- contacts ---------------------------------------------------------------------------

    def _contact(self) -> tuple[Contact | None, ContactAction, MatchInfo | None]:
        probe = Probe(self.h.contact_strategy, self.sub.values_for(Contact))
        matches = self.resolution.find(Contact, probe)
        if not matches:
            return self._new_contact(probe, claim=True)
        contact, score = self.resolution.winner(Contact, probe, matches)
        info = MatchInfo.of(probe.strategy.name, score, "lookup")
        reopened = False
        if not contact.is_active:
            rule = self.policy.on_closed_contact
            closed = f"the matching contact {contact.id} is {contact.state.label}"
            if rule is OnClosedContact.LINK:
                consent = self.sub.consent_level is not None
                kept = " (the form's consent is kept on the lead and the interaction)"
                self._note(
                    "contact-closed",
                    f"{closed}; it was linked but not edited{kept if consent else ''}",
                    contact.id,
                )
                return contact, ContactAction.MATCHED_CLOSED, info
            if rule is OnClosedContact.NEW_CONTACT:
                self._note("contact-closed", f"{closed}; a new contact was created", contact.id)
                return self._new_contact(probe, claim=False)
            contact.activate(at=self.at, note="reactivated by a form submission")
            self._note("contact-reactivated", f"{closed}; it was activated", contact.id)
            reopened = True
        self._apply(contact, probe.values, reopened=reopened)
        return contact, ContactAction.UPDATED, info

    def _new_contact(
        self, probe: Probe, *, claim: bool
    ) -> tuple[Contact | None, ContactAction, None]:
        contact = self._create(Contact, probe, claim=claim)
        return contact, ContactAction.CREATED if contact else ContactAction.BLOCKED, None

    # --- leads ----------------------------------------------------------------------------------

    def _lead(
        self, contact: Contact | None, *, fresh_contact: bool
    ) -> tuple[Lead | None, LeadAction, MatchInfo | None]:
        probe = Probe(self.h.lead_strategy, self.sub.values_for(Lead))
        if self.policy.generate_leads_without_matching:
            return self._new_lead(probe, contact, claim=False)
        matches = self.resolution.find(Lead, probe)
        via = "lookup"
        if contact is not None and not fresh_contact:
            children = self.tx.children(
                Lead,
                _LEAD_CONTACT,
                contact.id,
                limit=probe.strategy.max_candidates,
                fields=probe.strategy.source_fields,
            )
            own = self.resolution.ranked(Lead, probe, children)
            if own:
                # The contact's own lead wins (Dynamics links the lead to the contact it
                # found); other leads that match are still reported (D3).
                ids = {c.id for c, _ in own}
                matches = own + [(c, s) for c, s in matches if c.id not in ids]
                via = "child-lead"
        if not matches:
            return self._new_lead(probe, contact, claim=True)
        lead, score = self.resolution.winner(Lead, probe, matches)
        info = MatchInfo.of(probe.strategy.name, score, via)
        reopened = False
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
                return self._new_lead(probe, contact, claim=False)
            lead.reactivate(at=self.at, note="reactivated by a form submission")
            self._note("lead-reactivated", f"{closed}; it was reactivated", lead.id)
            reopened = True
        self._apply(lead, probe.values, contact, reopened=reopened)
        return lead, LeadAction.UPDATED, info

    def _new_lead(
        self, probe: Probe, contact: Contact | None, *, claim: bool
    ) -> tuple[Lead | None, LeadAction, None]:
        lead = self._create(Lead, probe, contact, claim=claim)
        return lead, LeadAction.CREATED if lead else LeadAction.BLOCKED, None

    # --- writing -----------------------------------------------------------------------------

    def _create(
        self, kind: type[P], probe: Probe, contact: Contact | None = None, *, claim: bool
    ) -> P | None:
        """A new ``kind`` from the submission, a lead linked to ``contact``; ``None`` when
        a tombstone keeps the address from new records (D14)."""
        if self.stone is not None:
            self.refused.append(TYPE_NAME[kind])
            return None
        if not probe.keys:
            strategy = probe.strategy
            self._note(
                "no-match-key",
                f"the submission has none of the fields {strategy.name!r} finds "
                f"{strategy.target.value}s by ({', '.join(strategy.blocking)}); a new "
                f"{strategy.target.value} was created",
            )
        links: dict[str, Any] = (
            {_LEAD_CONTACT: contact.id if contact else None} if kind is Lead else {}
        )
        record = kind(**probe.values, **links, createdon=self.at, modifiedon=self.at)
        if claim:
            self.resolution.claim(probe, record)
        self._give_consent(record)
        self.tx.add(record, allow_tombstoned=True)
        return record

    def _apply(
        self,
        record: Lead | Contact,
        values: Mapping[str, Any],
        contact: Contact | None = None,
        *,
        reopened: bool = False,
    ) -> None:
        """Update ``record`` with the submitted values and consent, a lead linked to
        ``contact``; save it if anything changed (``reopened``: its state did). A
        submission older than the record's last change updates no field.

        An address or phone written differently but normalising to the stored key keeps
        the stored spelling: a form's capitalisation is not a change worth a write."""
        changes = {n: v for n, v in values.items() if _changed(getattr(record, n), v, n)}
        if changes and record.modifiedon is not None and self.at < record.modifiedon:
            # A queued or replayed post older than the record's last change: its values
            # would overwrite newer ones under an older date.
            self._note(
                "older-than-record",
                f"the submission was made at {self.at:%Y-%m-%d %H:%M} UTC, before the "
                f"{TYPE_NAME[type(record)]} {record.id} last changed "
                f"({record.modifiedon:%Y-%m-%d %H:%M} UTC); its values were not applied "
                f"({', '.join(sorted(changes))})",
                record.id,
            )
            changes = {}
        if isinstance(record, Lead) and contact is not None:
            before = record.parentcontactid
            if before != contact.id:
                changes[_LEAD_CONTACT] = contact.id
            if before is not None and before != contact.id:
                self._note(
                    "lead-relinked",
                    f"the lead {record.id} was linked to the contact {before}; it is now "
                    f"linked to {contact.id}, the contact this submission matched",
                    record.id,
                )
        if changes:
            record.update(changes, at=self.at)
        consented = self._give_consent(record)
        if changes or consented or reopened:
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


def _payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in raw.items()}
