"""Random sequences of triggers and edits on a lead and a contact keep every invariant."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from lifecycle import (
    Account,
    Contact,
    ContactState,
    ContactStatus,
    Lead,
    LeadflowError,
    LeadState,
    LeadStatus,
    Record,
    merge,
)
from tests.strategies import (
    NAIVE,
    any_reasons,
    aware_datetimes,
    consents,
    invalid_updates,
    person_fields,
    snapshot,
    valid_updates,
)

_ids = itertools.count()


class LeadAndContact(RuleBasedStateMachine):
    """A lead and a contact, driven by random triggers, merges and edits."""

    def __init__(self) -> None:
        super().__init__()
        self.lead = Lead(id="lead-1", companyname="Acme", consents=consents(), **person_fields())
        self.contact = Contact(id="contact-1", marketingonly=True, **person_fields())
        self.accepted: dict[str, int] = {"lead-1": 0, "contact-1": 0}
        self.was_deleted: set[str] = set()
        self.was_anonymized: set[str] = set()

    # --- helpers -------------------------------------------------------------------------

    def attempt(self, moves: Record | None, action: Callable[[], Any], *watched: Record) -> bool:
        """Run ``action``; if it is refused, nothing watched changed. Count accepted moves."""
        watched = (self.lead, self.contact, *watched)
        before = snapshot(*watched)
        try:
            action()
        except LeadflowError:
            assert snapshot(*watched) == before
            return False
        if moves is not None:
            self.accepted[moves.id] += 1
        return True

    # --- lead rules ----------------------------------------------------------------------

    @rule(
        trigger=st.sampled_from(["mark_contacted", "reactivate", "anonymize", "delete"]),
        at=st.none() | aware_datetimes | st.just(NAIVE),
    )
    def lead_trigger(self, trigger: str, at: Any) -> None:
        """Fire a parameterless lead trigger."""
        self.attempt(self.lead, lambda: getattr(self.lead, trigger)(at=at, actor="bot"))

    @rule(reason=any_reasons)
    def lead_disqualify(self, reason: Any) -> None:
        """Disqualify the lead with any reason, valid or not."""
        accepted = self.attempt(self.lead, lambda: self.lead.disqualify(reason))
        if accepted:
            assert self.lead.status is reason

    @rule(
        create_contact=st.booleans(),
        create_account=st.booleans(),
        create_opportunity=st.booleans(),
        link_contact=st.booleans(),
    )
    def lead_qualify(
        self,
        create_contact: bool,
        create_account: bool,
        create_opportunity: bool,
        link_contact: bool,
    ) -> None:
        """Qualify the lead with random options, sometimes linking the contact."""
        contact = self.contact if link_contact else None
        accepted = self.attempt(
            self.lead,
            lambda: self.lead.qualify(
                contact=contact,
                create_contact=create_contact,
                create_account=create_account,
                create_opportunity=create_opportunity,
            ),
        )
        if accepted and contact is not None:
            assert contact.marketingonly is False
            assert self.lead.parentcontactid is not None

    @rule(role=st.sampled_from(["master", "subordinate"]))
    def lead_merge(self, role: str) -> None:
        """Merge the lead with a fresh open lead, as master or subordinate."""
        other = Lead(id=f"other-{next(_ids)}", firstname="Other")
        pair = (self.lead, other) if role == "master" else (other, self.lead)
        self.attempt(self.lead, lambda: merge(*pair), other)

    @rule(change=valid_updates | invalid_updates, integration=st.booleans())
    def lead_update(self, change: tuple[str, Any], integration: bool) -> None:
        """Edit a lead field, valid or not; edits never add history."""
        field, value = change
        self.attempt(None, lambda: self.lead.update({field: value}, integration=integration))

    # --- contact rules -------------------------------------------------------------------

    @rule(trigger=st.sampled_from(["deactivate", "activate", "anonymize", "delete"]))
    def contact_trigger(self, trigger: str) -> None:
        """Fire a parameterless contact trigger."""
        self.attempt(self.contact, lambda: getattr(self.contact, trigger)())

    @rule(
        role=st.sampled_from(["master", "subordinate"]), take=st.sampled_from([(), ("firstname",)])
    )
    def contact_merge(self, role: str, take: tuple[str, ...]) -> None:
        """Merge the contact with a fresh contact; the lead pointing at it is a child."""
        other = Contact(id=f"other-{next(_ids)}", lastname="Other")
        pair = (self.contact, other) if role == "master" else (other, self.contact)
        self.attempt(self.contact, lambda: merge(*pair, take=take, children=[self.lead]), other)

    @rule(kind=st.sampled_from([Lead, Account]))
    def contact_merge_wrong_type(self, kind: type[Record]) -> None:
        """Merging with another record type is always refused."""
        assert not self.attempt(self.contact, lambda: merge(self.contact, kind()))

    @rule(change=valid_updates | invalid_updates, integration=st.booleans())
    def contact_update(self, change: tuple[str, Any], integration: bool) -> None:
        """Edit a contact field, valid or not."""
        field, value = change
        self.attempt(None, lambda: self.contact.update({field: value}, integration=integration))

    @precondition(lambda self: self.lead.state is LeadState.OPEN)
    @rule()
    def lead_open_is_editable(self) -> None:
        """An open, non-anonymized lead always takes an ordinary edit."""
        if not self.lead.anonymized:
            self.lead.update(jobtitle="Engineer")

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def states_are_declared(self) -> None:
        """Each record's state is one of its machine's states."""
        assert self.lead.state in list(LeadState)
        assert self.contact.state in list(ContactState)
        assert isinstance(self.lead.status, LeadStatus)
        assert isinstance(self.contact.status, ContactStatus)

    @invariant()
    def status_belongs_to_state(self) -> None:
        """Unless deleted, the status reason belongs to the state."""
        for record in (self.lead, self.contact):
            if not record.is_deleted:
                assert record.status.state_value == record.state.value

    @invariant()
    def history_counts_accepted_transitions(self) -> None:
        """History holds exactly one event per accepted transition, chained state to state."""
        for record in (self.lead, self.contact):
            history = record.history
            assert len(history) == self.accepted[record.id]
            for earlier, later in itertools.pairwise(history):
                assert (earlier.to_state, earlier.to_status) == (
                    later.from_state,
                    later.from_status,
                )
            if history:
                assert (history[-1].to_state, history[-1].to_status) == (
                    record.state,
                    record.status,
                )

    @invariant()
    def deleted_and_anonymized_are_absorbing(self) -> None:
        """Once deleted a record stays deleted; once anonymized it stays anonymized and closed."""
        for record in (self.lead, self.contact):
            if record.id in self.was_deleted:
                assert record.is_deleted
            if record.is_deleted:
                self.was_deleted.add(record.id)
            if record.id in self.was_anonymized:
                assert record.anonymized
                assert not record.is_active
            if record.anonymized:
                self.was_anonymized.add(record.id)
                assert record.firstname is None


TestLeadAndContact = LeadAndContact.TestCase
