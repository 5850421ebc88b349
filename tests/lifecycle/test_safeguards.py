"""Changes that must not slip past the checks: stale commits, direct merge triggers,
privacy choices lost in merges and qualifies, and the consent operations on records."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from lifecycle import (
    ConsentLevel,
    ConsentStatus,
    Contact,
    DataConsent,
    InvalidFieldError,
    Lead,
    MessageKind,
    Policy,
    ReadOnlyRecordError,
    Record,
    TransitionNotAllowed,
    can_send,
    merge,
)
from lifecycle.definitions import CONTACT_LIFECYCLE, LEAD_LIFECYCLE
from lifecycle.errors import FieldTypeError, MergeError

AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(days=1)
EARLIER = AT - dt.timedelta(days=30)


def snapshot(record: Record) -> dict[str, object]:
    return {**attrs.asdict(record, recurse=False), "history": record.history}


class TestPreparedCommits:
    """A prepared change applies only to the state it was checked against."""

    def test_stale_commit_refused_and_changes_nothing(self) -> None:
        """Preparing, then moving the record another way, makes the prepared change stale."""
        lead = Lead(id="l1")
        prepared = LEAD_LIFECYCLE.prepare(lead, "mark_contacted", at=AT)
        lead.disqualify(at=AT)
        before = snapshot(lead)
        with pytest.raises(TransitionNotAllowed, match="moved since"):
            prepared.commit()
        assert snapshot(lead) == before

    def test_two_prepares_cannot_both_commit(self) -> None:
        """Qualify-with-opportunity and disqualify prepared together: the second is refused."""
        lead = Lead(id="l2")
        qualifying = LEAD_LIFECYCLE.prepare(lead, "qualify", at=AT, create_opportunity=True)
        disqualifying = LEAD_LIFECYCLE.prepare(lead, "disqualify", at=AT)
        qualifying.commit()
        with pytest.raises(TransitionNotAllowed):
            disqualifying.commit()
        assert lead.statuscode == 3


class TestMergeTriggersCheckThemselves:
    """absorb and merge_into refuse what merge() refuses, even when fired directly."""

    def test_merge_into_itself_refused(self) -> None:
        """A record named as its own master is refused, and nothing changes."""
        lead = Lead(id="a")
        before = snapshot(lead)
        with pytest.raises(MergeError, match="itself"):
            LEAD_LIFECYCLE.fire(lead, "merge_into", master=lead, at=AT)
        assert snapshot(lead) == before

    def test_absorb_from_deleted_record_refused(self) -> None:
        """Fields are never copied out of a deleted record."""
        master, gone = Contact(id="m"), Contact(id="g", firstname="Ghost")
        gone.delete(at=AT)
        with pytest.raises(MergeError, match=r"^'subordinate' must be an active record"):
            CONTACT_LIFECYCLE.fire(master, "absorb", subordinate=gone, at=AT)
        assert master.firstname is None

    def test_lead_with_opportunity_cannot_be_merged_away(self) -> None:
        """D6's rule holds for merges too: a lead with an opportunity is not closed by one."""
        subordinate = Lead(id="s", qualifyingopportunityid="opp-1")
        with pytest.raises(TransitionNotAllowed, match="opp-1"):
            merge(Lead(id="m"), subordinate, at=AT)
        assert subordinate.statecode == 0


class TestMergeKeepsPrivacyChoices:
    """A person who opted out on either record stays opted out after a merge."""

    @pytest.mark.parametrize(
        "flag", ["donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail"]
    )
    def test_opt_out_on_subordinate_kept(self, flag: str) -> None:
        """The master takes the subordinate's Do Not Allow."""
        master, duplicate = Contact(id="m"), Contact(id="d", **{flag: True})
        merge(master, duplicate, at=AT)
        assert getattr(master, flag) is True

    def test_tracking_refusal_kept(self) -> None:
        """followemail False on the subordinate turns it off on the master."""
        master, duplicate = Contact(id="m"), Contact(id="d", followemail=False)
        merge(master, duplicate, at=AT)
        assert master.followemail is False

    def test_restriction_kept(self) -> None:
        """A GDPR restriction on the duplicate restricts the master: no marketing email."""
        master = Contact(id="m", emailaddress1="m@x.com", consents=[DataConsent(level=4)])
        duplicate = Contact(id="d")
        duplicate.restrict_consent(at=AT)
        merge(master, duplicate, at=AT)
        assert master.consent_restricted
        assert "gdpr-restrict" in can_send(master, MessageKind.COMMERCIAL, at=AT).codes

    def test_take_overrides_on_request(self) -> None:
        """Naming a flag in take copies the subordinate's value, loosening included."""
        master, duplicate = Contact(id="m", donotbulkemail=True), Contact(id="d")
        merge(master, duplicate, take=["donotbulkemail"], at=AT)
        assert master.donotbulkemail is False

    def test_take_accepts_a_generator(self) -> None:
        """take is read once, so a generator works like a list."""
        master, duplicate = Contact(id="m"), Contact(id="d", lastname="Reyes")
        result = merge(master, duplicate, take=(n for n in ["lastname"]), at=AT)
        assert result.fields_taken == ("lastname",)

    def test_deleted_children_left_alone(self) -> None:
        """Only children that still exist are re-pointed at the master."""
        master, duplicate = Contact(id="m"), Contact(id="d")
        live, gone = Lead(id="l1", parentcontactid="d"), Lead(id="l2", parentcontactid="d")
        gone.delete(at=AT)
        result = merge(master, duplicate, children=[live, gone], at=AT)
        assert result.children_moved == ("l1",)
        assert gone.parentcontactid == "d"

    def test_children_must_be_a_collection(self) -> None:
        """children=None is a typed error, and nothing changes."""
        master, duplicate = Contact(id="m"), Contact(id="d")
        with pytest.raises(FieldTypeError, match="'children'"):
            merge(master, duplicate, children=None, at=AT)  # type: ignore[arg-type]
        assert master.history == duplicate.history == ()


class TestQualifyCarriesPrivacy:
    """Qualifying never loses what the person asked for."""

    def test_restriction_carried_to_created_contact(self) -> None:
        """A restricted lead makes a restricted contact."""
        lead = Lead(id="l", emailaddress1="a@x.com")
        lead.restrict_consent(at=AT)
        contact = lead.qualify(create_contact=True, at=AT).contact
        assert contact is not None
        assert contact.consent_restricted
        assert contact.donotemail

    def test_restriction_carried_to_existing_contact(self) -> None:
        """Linking an existing contact restricts it too."""
        lead, contact = Lead(id="l"), Contact(id="c")
        lead.restrict_consent(at=AT)
        lead.qualify(contact=contact, at=AT)
        assert contact.consent_restricted

    def test_lapsed_consents_not_carried(self) -> None:
        """Only consents still active at the qualify moment go to the contact."""
        lapsed = DataConsent(level=ConsentLevel.MARKETING, id="old", valid_until=EARLIER)
        live = DataConsent(level=ConsentLevel.TRANSACTIONAL, id="new")
        lead = Lead(id="l", consents=[lapsed, live])
        contact = lead.qualify(create_contact=True, at=AT).contact
        assert contact is not None
        assert [c.id for c in contact.consents] == ["new"]

    @pytest.mark.parametrize("option", ["contact", "account"])
    def test_non_record_refused_before_anything(self, option: str) -> None:
        """A str where a record belongs is a typed error, and the lead stays Open."""
        lead = Lead(id="l")
        with pytest.raises(FieldTypeError, match=f"'{option}'"):
            lead.qualify(**{option: "x", f"create_{option}": True}, at=AT)  # type: ignore[arg-type]
        assert lead.statecode == 0
        assert lead.history == ()

    def test_batch_qualify_returns_created_records(self) -> None:
        """fire_many keeps what each qualify created, by position."""
        leads = [Lead(id="a", lastname="A"), Lead(id="b", lastname="B")]
        result = LEAD_LIFECYCLE.fire_many(leads, "qualify", at=AT, create_contact=True)
        assert sorted(result.outcomes) == [0, 1]
        assert [r.contact.lastname for r in result.outcomes.values()] == ["A", "B"]


class TestRestriction:
    """While a person restricts processing, nothing loosens their preferences."""

    def test_loosening_refused_while_restricted(self) -> None:
        """update(donotemail=False) on a restricted record is refused, nothing changed."""
        contact = Contact(id="c")
        contact.restrict_consent(at=AT)
        before = snapshot(contact)
        with pytest.raises(InvalidFieldError, match="lift_restriction"):
            contact.update(donotemail=False, at=LATER)
        assert snapshot(contact) == before

    def test_lift_then_loosen(self) -> None:
        """After lift_restriction, preferences stay Do Not Allow until updated."""
        contact = Contact(id="c")
        contact.restrict_consent(at=AT)
        assert contact.lift_restriction(at=LATER) == ("consent_restricted",)
        assert contact.donotemail is True
        assert contact.update(donotemail=False, at=LATER) == ("donotemail",)

    def test_modifiedon_never_moves_back(self) -> None:
        """A restriction stamped earlier than the last change keeps the later modifiedon."""
        contact = Contact(id="c")
        contact.update(jobtitle="Nurse", at=LATER)
        contact.restrict_consent(at=EARLIER)
        assert contact.modifiedon == LATER


class TestConsentOperations:
    """Consents change on a record through give, cancel and reactivate."""

    def test_give_cancel_reactivate(self) -> None:
        """A consent given counts; cancelled it doesn't; reactivated it counts again (with
        consent levels enforced: the data-protection preset)."""
        contact = Contact(id="c", emailaddress1="c@x.com")
        preset = Policy.data_protection()
        contact.give_consent(DataConsent(level=4, id="k"), at=AT)
        assert can_send(contact, MessageKind.COMMERCIAL, at=AT, policy=preset)
        assert contact.cancel_consent("k", at=AT).status is ConsentStatus.CANCELLED
        assert not can_send(contact, MessageKind.COMMERCIAL, at=AT, policy=preset)
        contact.reactivate_consent("k", at=AT)
        assert can_send(contact, MessageKind.COMMERCIAL, at=AT, policy=preset)

    def test_expired_consent_cannot_come_back(self) -> None:
        """D12: only Cancelled consents can be reactivated."""
        contact = Contact(id="c", consents=[DataConsent(level=4, id="k").expire()])
        with pytest.raises(TransitionNotAllowed):
            contact.reactivate_consent("k", at=AT)

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda c: c.give_consent({"level": 4}, at=AT), FieldTypeError),
            (lambda c: c.give_consent(DataConsent(level=4, id="k"), at=AT), InvalidFieldError),
            (lambda c: c.cancel_consent("nope", at=AT), InvalidFieldError),
        ],
        ids=["not-a-consent", "same-id-twice", "unknown-id"],
    )
    def test_bad_input_changes_nothing(self, call, error) -> None:
        """Bad consent operations are typed errors and leave the record as it was."""
        contact = Contact(id="c", consents=[DataConsent(level=4, id="k")])
        before = snapshot(contact)
        with pytest.raises(error):
            call(contact)
        assert snapshot(contact) == before

    def test_deleted_record_takes_no_consent(self) -> None:
        """A deleted record cannot be given consent."""
        contact = Contact(id="c")
        contact.delete(at=AT)
        with pytest.raises(ReadOnlyRecordError):
            contact.give_consent(DataConsent(level=4), at=AT)


class TestTypedErrors:
    """Calls with the wrong kind of argument raise leadflow errors."""

    def test_update_with_a_list(self) -> None:
        """update() takes a mapping, not pairs."""
        with pytest.raises(FieldTypeError, match="'changes'"):
            Lead().update([("firstname", "x")])  # type: ignore[arg-type]

    def test_record_base_is_not_a_record(self) -> None:
        """Record is the base of Lead, Contact and Account, not a record type itself."""
        with pytest.raises(FieldTypeError):
            Record()

    def test_fire_many_with_a_generator(self) -> None:
        """fire_many needs a list or tuple (it reads the records more than once)."""
        with pytest.raises(FieldTypeError, match="'records'"):
            LEAD_LIFECYCLE.fire_many((Lead() for _ in range(2)), "disqualify", at=AT)  # type: ignore[arg-type]
