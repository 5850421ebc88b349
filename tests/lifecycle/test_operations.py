"""Triggers that do more than move state: qualify, disqualify, merge, anonymize (D1, D4-D6, D12)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import lifecycle
from lifecycle import (
    Account,
    AccountState,
    AccountStatus,
    ConsentLevel,
    ConsentStatus,
    Contact,
    ContactState,
    ContactStatus,
    DataConsent,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadState,
    LeadStatus,
    MergeResult,
    QualifyResult,
    ReadOnlyRecordError,
    Record,
    TransitionNotAllowed,
    merge,
)
from lifecycle.errors import FieldTypeError, MergeError
from tests.strategies import (
    CLOCK_TIME,
    T1,
    build,
    build_lead,
    case_id,
    consents,
    person_fields,
    snapshot,
)

ACTIVE_CONSENT_IDS = ["c-active-4", "c-active-2"]
"""The ids of the active consents among ``consents()``."""

PERSONAL = [
    "firstname",
    "lastname",
    "emailaddress1",
    "telephone1",
    "mobilephone",
    "jobtitle",
    "address1_line1",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "address1_country",
]


def qualifying_lead(**fields: Any) -> Lead:
    """An Open lead with personal data, a company and consents of every status."""
    defaults = {
        "id": "lead-1",
        "companyname": "Analytical Engines Ltd",
        "consents": consents(),
        **person_fields(),
    }
    return Lead(**{**defaults, **fields})


OPTIONS = [
    dict(zip(("create_contact", "create_account", "create_opportunity"), combo, strict=True))
    for combo in itertools.product([False, True], repeat=3)
]


class TestQualify:
    """QualifyLead: Open → Qualified, creating or linking contact, account and opportunity."""

    @pytest.mark.parametrize(
        "options", OPTIONS, ids=lambda o: "+".join(k for k, v in o.items() if v) or "none"
    )
    def test_create_combinations(self, options: dict[str, bool]) -> None:
        """Created records point back to the lead and to each other; the lead points to them."""
        lead = qualifying_lead()
        result = lead.qualify(**options)
        assert isinstance(result, QualifyResult)
        assert result.lead is lead
        assert (lead.state, lead.status) == (LeadState.QUALIFIED, LeadStatus.QUALIFIED)
        assert [e.trigger for e in lead.history] == ["qualify"]
        wanted = [
            name for name in ("contact", "account", "opportunity") if options[f"create_{name}"]
        ]
        assert result.created == tuple(wanted)

        contact, account = result.contact, result.account
        if options["create_contact"]:
            assert isinstance(contact, Contact)
            assert contact.originatingleadid == lead.id
            assert (contact.state, contact.status) == (ContactState.ACTIVE, ContactStatus.ACTIVE)
            assert all(getattr(contact, name) == getattr(lead, name) for name in PERSONAL)
            assert contact.createdon == CLOCK_TIME
            assert [c.id for c in contact.consents] == ACTIVE_CONSENT_IDS
            assert contact.marketingonly is False
            assert lead.parentcontactid == contact.id
        else:
            assert contact is None
            assert lead.parentcontactid is None
        if options["create_account"]:
            assert isinstance(account, Account)
            assert account.originatingleadid == lead.id
            assert account.name == "Analytical Engines Ltd"
            assert account.state is AccountState.ACTIVE
            assert lead.parentaccountid == account.id
        else:
            assert account is None
            assert lead.parentaccountid is None
        if contact is not None and account is not None:
            assert contact.parentcustomerid == account.id
            assert account.primarycontactid == contact.id
        expected_customer = account or contact
        assert lead.customerid == (expected_customer.id if expected_customer else None)
        if options["create_opportunity"]:
            assert result.opportunity_id is not None
            assert lead.qualifyingopportunityid == result.opportunity_id
        else:
            assert result.opportunity_id is None
            assert lead.qualifyingopportunityid is None

    def test_created_ids_are_fresh(self) -> None:
        """Each qualify creates records with new, distinct ids."""
        first = qualifying_lead(id="lead-1").qualify(
            create_contact=True, create_account=True, create_opportunity=True
        )
        second = qualifying_lead(id="lead-2").qualify(
            create_contact=True, create_account=True, create_opportunity=True
        )
        ids = {
            first.contact.id,
            first.account.id,
            first.opportunity_id,
            second.contact.id,
            second.account.id,
            second.opportunity_id,
        }
        assert len(ids) == 6

    def test_link_marketing_only_contact(self) -> None:
        """Linking an existing marketing-only contact clears the flag and carries active consents (D1, D12)."""
        own = DataConsent(id="own-1", level=ConsentLevel.CONSENT)
        contact = Contact(id="contact-1", marketingonly=True, consents=[own], modifiedon=T1)
        lead = qualifying_lead()
        result = lead.qualify(contact=contact)
        assert result.contact is contact
        assert result.created == ()
        assert contact.marketingonly is False
        assert [c.id for c in contact.consents] == ["own-1", *ACTIVE_CONSENT_IDS]
        assert all(c.status is ConsentStatus.ACTIVE for c in contact.consents)
        assert contact.history == ()
        assert contact.state is ContactState.ACTIVE
        assert (lead.parentcontactid, lead.customerid) == ("contact-1", "contact-1")

    def test_consents_not_duplicated(self) -> None:
        """A consent the contact already holds is not added twice."""
        lead = qualifying_lead()
        contact = Contact(consents=[lead.consents[0]])
        lead.qualify(contact=contact)
        assert [c.id for c in contact.consents] == ACTIVE_CONSENT_IDS

    def test_link_account_and_create_contact(self) -> None:
        """A created contact joins a linked account, and becomes its primary contact."""
        account = Account(id="account-1")
        lead = qualifying_lead()
        result = lead.qualify(account=account, create_contact=True)
        assert result.created == ("contact",)
        assert result.account is account
        assert result.contact.parentcustomerid == "account-1"
        assert account.primarycontactid == result.contact.id
        assert (lead.parentaccountid, lead.customerid) == ("account-1", "account-1")

    @pytest.mark.parametrize(
        ("role", "record"),
        [
            ("contact", build(Contact, "inactive", id="contact-1")),
            ("contact", build(Contact, "deleted", id="contact-1")),
            ("account", build(Account, "inactive", id="account-1")),
            ("account", build(Account, "deleted", id="account-1")),
        ],
        ids=lambda v: v if isinstance(v, str) else v.state.value,
    )
    @pytest.mark.parametrize(
        "extra", [{}, {"create_opportunity": True}, {"create_account": True}], ids=case_id
    )
    def test_link_closed_record_refused(
        self, role: str, record: Record, extra: dict[str, bool]
    ) -> None:
        """An inactive contact/account can't take new relationships; nothing changes anywhere."""
        if role == "account" and "create_account" in extra:
            extra = {"create_contact": True}
        lead = qualifying_lead()
        before = snapshot(lead, record)
        with pytest.raises(ReadOnlyRecordError) as info:
            lead.qualify(**{role: record}, **extra)
        assert snapshot(lead, record) == before
        assert lead.state is LeadState.OPEN
        assert record.id in str(info.value)

    @pytest.mark.parametrize("companyname", [None, ""], ids=repr)
    def test_create_account_needs_company(self, companyname: str | None) -> None:
        """create_account without a company name raises InvalidFieldError; nothing changes."""
        lead = qualifying_lead(companyname=companyname)
        before = snapshot(lead)
        with pytest.raises(InvalidFieldError, match=r"^'companyname' must be"):
            lead.qualify(create_contact=True, create_account=True)
        assert snapshot(lead) == before

    @pytest.mark.parametrize(
        "options",
        [
            {"contact": Contact(id="contact-1"), "create_contact": True},
            {"account": Account(id="account-1"), "create_account": True},
        ],
        ids=lambda o: next(iter(o)),
    )
    def test_given_and_created_refused(self, options: dict[str, Any]) -> None:
        """Giving a record and asking to create one is refused; nothing changes."""
        lead = qualifying_lead()
        given = next(v for v in options.values() if isinstance(v, Record))
        before = snapshot(lead, given)
        with pytest.raises(InvalidFieldError):
            lead.qualify(**options)
        assert snapshot(lead, given) == before

    @pytest.mark.parametrize(
        "options",
        [{"contact": Account()}, {"account": Contact()}, {"contact": "contact-1"}],
        ids=lambda o: case_id(next(iter(o.values()))),
    )
    def test_wrong_record_type_refused(self, options: dict[str, Any]) -> None:
        """A contact= that isn't a Contact (or account= not an Account) raises FieldTypeError."""
        lead = qualifying_lead()
        before = snapshot(lead)
        with pytest.raises(FieldTypeError):
            lead.qualify(**options)
        assert snapshot(lead) == before


class TestDisqualify:
    """Disqualify: Open → Disqualified with one of four reasons, never with an opportunity (D6)."""

    @pytest.mark.parametrize(
        ("reason", "statuscode"),
        [
            (LeadStatus.LOST, 4),
            (LeadStatus.CANNOT_CONTACT, 5),
            (LeadStatus.NO_LONGER_INTERESTED, 6),
            (LeadStatus.CANCELED, 7),
        ],
        ids=case_id,
    )
    def test_reason_sets_statuscode(self, reason: LeadStatus, statuscode: int) -> None:
        """Each reason lands on its statuscode under statecode 2."""
        lead = Lead()
        lead.disqualify(reason)
        assert (lead.statecode, lead.statuscode, lead.status) == (2, statuscode, reason)

    def test_default_reason_is_lost(self) -> None:
        """Without a reason, a lead is disqualified as Lost."""
        lead = build_lead("open/contacted")
        lead.disqualify()
        assert lead.status is LeadStatus.LOST

    @pytest.mark.parametrize(
        "reason",
        [
            LeadStatus.NEW,
            LeadStatus.CONTACTED,
            LeadStatus.QUALIFIED,
            ContactStatus.INACTIVE,
            4,
            7,
            "lost",
            "Lost",
            None,
            [],
            [LeadStatus.LOST],
            {"reason": LeadStatus.LOST},
        ],
        ids=case_id,
    )
    def test_invalid_reason(self, reason: Any) -> None:
        """A reason that isn't a disqualify status raises InvalidStatusError listing the four; nothing changes."""
        lead = Lead(id="lead-1")
        before = snapshot(lead)
        with pytest.raises(InvalidStatusError) as info:
            lead.disqualify(reason)
        assert snapshot(lead) == before
        message = str(info.value)
        assert all(
            label in message
            for label in ("Lost", "Cannot Contact", "No Longer Interested", "Canceled")
        )

    def test_refused_after_qualify_with_opportunity(self) -> None:
        """A reactivated lead that kept its opportunity can't be disqualified; the reason says why."""
        lead = qualifying_lead()
        result = lead.qualify(create_opportunity=True)
        lead.reactivate()
        before = snapshot(lead)
        with pytest.raises(TransitionNotAllowed) as info:
            lead.disqualify(LeadStatus.CANCELED)
        assert snapshot(lead) == before
        assert any("opportunity" in r and result.opportunity_id in r for r in info.value.reasons)


def _contacts() -> tuple[Contact, Contact]:
    master = Contact(
        id="master", firstname="Ada", lastname=None, jobtitle="  ", telephone1="111", modifiedon=T1
    )
    subordinate = Contact(
        id="sub",
        firstname="Augusta",
        lastname="Byron",
        jobtitle="Countess",
        telephone1="222",
        emailaddress1="augusta@example.com",
        consents=[DataConsent(id="sub-consent", level=ConsentLevel.MARKETING)],
        modifiedon=T1,
    )
    return master, subordinate


class TestMerge:
    """merge(master, subordinate) per D4, all or nothing."""

    def test_exported_from_package(self) -> None:
        """lifecycle.merge is the operation."""
        assert lifecycle.merge is merge

    def test_master_keeps_values_and_fills_blanks(self) -> None:
        """The master keeps non-empty values; blank ones come from the subordinate."""
        master, subordinate = _contacts()
        result = merge(master, subordinate)
        assert isinstance(result, MergeResult)
        assert (master.firstname, master.telephone1) == ("Ada", "111")
        assert (master.lastname, master.jobtitle, master.emailaddress1) == (
            "Byron",
            "Countess",
            "augusta@example.com",
        )
        assert set(result.fields_taken) == {"lastname", "jobtitle", "emailaddress1"}
        assert (result.master, result.subordinate) == (master, subordinate)

    def test_take_overrides_master(self) -> None:
        """Fields named in take come from the subordinate, even over the master's values."""
        master, subordinate = _contacts()
        result = merge(master, subordinate, take=["firstname", "telephone1"])
        assert (master.firstname, master.telephone1) == ("Augusta", "222")
        assert {"firstname", "telephone1"} <= set(result.fields_taken)

    def test_take_blank_value(self) -> None:
        """A taken field that is blank on the subordinate becomes blank on the master."""
        master, subordinate = _contacts()
        subordinate_mobile = subordinate.mobilephone
        master.update(mobilephone="999")
        merge(master, subordinate, take=["mobilephone"])
        assert master.mobilephone == subordinate_mobile is None

    def test_consents_move_to_master(self) -> None:
        """The subordinate's consents go to the master, which keeps its own."""
        master, subordinate = _contacts()
        own = DataConsent(id="master-consent", level=ConsentLevel.CONSENT)
        master = Contact(id="master", consents=[own])
        merge(master, subordinate)
        assert [c.id for c in master.consents] == ["master-consent", "sub-consent"]

    def test_consents_leave_subordinate(self) -> None:
        """Moved consents no longer belong to the subordinate (children move, D4)."""
        master, subordinate = _contacts()
        merge(master, subordinate)
        assert subordinate.consents == ()

    def test_children_repointed(self) -> None:
        """Children pointing at the subordinate point at the master afterwards; others are untouched."""
        master, subordinate = _contacts()
        lead = Lead(id="lead-1", parentcontactid="sub", customerid="sub")
        other = Lead(id="lead-2", parentcontactid="someone-else")
        child_contact = Contact(id="child", parentcustomerid="sub")
        account = Account(id="acc", primarycontactid="sub")
        others_before = snapshot(other)
        result = merge(master, subordinate, children=[lead, other, child_contact, account], at=T1)
        assert (lead.parentcontactid, lead.customerid) == ("master", "master")
        assert child_contact.parentcustomerid == "master"
        assert account.primarycontactid == "master"
        assert snapshot(other) == others_before
        assert set(result.children_moved) == {"lead-1", "child", "acc"}
        assert lead.modifiedon == T1

    def test_account_children_repointed(self) -> None:
        """Merging accounts moves leads, contacts and sub-accounts of the subordinate."""
        master, subordinate = Account(id="master"), Account(id="sub")
        lead = Lead(id="lead-1", parentaccountid="sub", customerid="sub")
        contact = Contact(id="contact-1", parentcustomerid="sub")
        branch = Account(id="branch", parentaccountid="sub")
        merge(master, subordinate, children=[lead, contact, branch])
        assert (lead.parentaccountid, lead.customerid) == ("master", "master")
        assert contact.parentcustomerid == "master"
        assert branch.parentaccountid == "master"

    @pytest.mark.parametrize(
        ("kind", "closed"),
        [
            (Contact, (ContactState.INACTIVE, ContactStatus.INACTIVE)),
            (Account, (AccountState.INACTIVE, AccountStatus.INACTIVE)),
            (Lead, (LeadState.DISQUALIFIED, LeadStatus.CANCELED)),
        ],
        ids=case_id,
    )
    def test_subordinate_closed_and_marked(
        self, kind: type[Record], closed: tuple[Any, Any]
    ) -> None:
        """The subordinate is closed, merged=True, masterid = master; the master stays open."""
        master, subordinate = kind(id="master"), kind(id="sub")
        merge(master, subordinate, at=T1, actor="admin", note="duplicate")
        assert (subordinate.state, subordinate.status) == closed
        assert (subordinate.merged, subordinate.masterid) == (True, "master")
        assert master.is_active
        assert (master.merged, master.masterid) == (False, None)
        (absorbed,) = master.history
        (merged,) = subordinate.history
        assert absorbed.trigger == "absorb"
        assert (absorbed.from_state, absorbed.to_state) == (master.state, master.state)
        assert merged.trigger == "merge_into"
        assert (merged.to_state, merged.to_status) == closed
        for event in (absorbed, merged):
            assert (event.at, event.actor, event.note) == (T1, "admin", "duplicate")

    def test_merged_lead_fields(self) -> None:
        """Lead merges follow the same fill-the-blanks rule."""
        master = Lead(id="master", emailaddress1="a@example.com", companyname=None)
        subordinate = Lead(id="sub", emailaddress1="b@example.com", companyname="Acme")
        merge(master, subordinate)
        assert (master.emailaddress1, master.companyname) == ("a@example.com", "Acme")

    @pytest.mark.parametrize(
        ("make", "error"),
        [
            (lambda: (Contact(id="a"), Lead(id="b")), MergeError),
            (lambda: (Account(id="a"), Contact(id="b")), MergeError),
            (lambda: (Contact(id="same"), Contact(id="same")), MergeError),
            (lambda: (build(Contact, "inactive", id="a"), Contact(id="b")), TransitionNotAllowed),
            (lambda: (Contact(id="a"), build(Contact, "inactive", id="b")), MergeError),
            (lambda: (Contact(id="a"), build(Contact, "deleted", id="b")), MergeError),
            (lambda: (build(Account, "inactive", id="a"), Account(id="b")), TransitionNotAllowed),
            (lambda: (build_lead("qualified", id="a"), Lead(id="b")), TransitionNotAllowed),
            (lambda: (Lead(id="a"), build_lead("disqualified/lost", id="b")), MergeError),
        ],
        ids=[
            "contact-lead",
            "account-contact",
            "same-id",
            "inactive-master",
            "inactive-subordinate",
            "deleted-subordinate",
            "inactive-account",
            "qualified-master",
            "disqualified-subordinate",
        ],
    )
    def test_refused_changes_nothing(self, make: Any, error: type[Exception]) -> None:
        """A refused merge raises and leaves master, subordinate and children as they were."""
        master, subordinate = make()
        child = Lead(id="child", parentcontactid=subordinate.id, parentaccountid=subordinate.id)
        before = snapshot(master, subordinate, child)
        with pytest.raises(error):
            merge(master, subordinate, children=[child])
        assert snapshot(master, subordinate, child) == before

    def test_record_into_itself(self) -> None:
        """A record can't be merged into itself."""
        contact = Contact()
        before = snapshot(contact)
        with pytest.raises(MergeError, match="itself"):
            merge(contact, contact)
        assert snapshot(contact) == before

    @pytest.mark.parametrize(
        "take",
        [
            ["nope"],
            ["state"],
            ["merged"],
            ["masterid"],
            ["consents"],
            ["_history"],
            ["companyname"],
            5,
        ],
        ids=case_id,
    )
    def test_bad_take_refused(self, take: Any) -> None:
        """take naming a missing, system or foreign field (or not names at all) raises InvalidFieldError."""
        master, subordinate = _contacts()
        before = snapshot(master, subordinate)
        with pytest.raises(InvalidFieldError, match=r"^'take' must be"):
            merge(master, subordinate, take=take)
        assert snapshot(master, subordinate) == before


ANONYMIZE_OUTCOMES = [
    (Lead, "open/new", (LeadState.DISQUALIFIED, LeadStatus.CANCELED)),
    (Lead, "open/contacted", (LeadState.DISQUALIFIED, LeadStatus.CANCELED)),
    (Lead, "qualified", (LeadState.QUALIFIED, LeadStatus.QUALIFIED)),
    (
        Lead,
        "disqualified/no_longer_interested",
        (LeadState.DISQUALIFIED, LeadStatus.NO_LONGER_INTERESTED),
    ),
    (Contact, "active", (ContactState.INACTIVE, ContactStatus.INACTIVE)),
    (Contact, "inactive", (ContactState.INACTIVE, ContactStatus.INACTIVE)),
]


class TestAnonymize:
    """Anonymize erases personal data, anonymizes consents and closes the record for good (D12)."""

    @pytest.mark.parametrize(("kind", "start", "closed"), ANONYMIZE_OUTCOMES, ids=case_id)
    def test_personal_data_erased(
        self, kind: type[Record], start: str, closed: tuple[Any, Any]
    ) -> None:
        """Every personal field is blank, anonymized is set, consents are Anonymized, the record is closed."""
        extra = {"companyname": "Acme"} if kind is Lead else {}
        record = build(
            kind, start, id="rec-1", createdon=T1, consents=consents(), **person_fields(), **extra
        )
        event = record.anonymize(at=T1)
        assert all(getattr(record, name) is None for name in PERSONAL)
        if kind is Lead:
            assert record.companyname is None
        assert record.anonymized is True
        assert [c.id for c in record.consents] == [c.id for c in consents()]
        assert all(c.status is ConsentStatus.ANONYMIZED for c in record.consents)
        assert (record.state, record.status) == closed
        assert (record.id, record.createdon, record.modifiedon) == ("rec-1", T1, T1)
        assert event.trigger == "anonymize"
        assert record.history == (event,)

    def test_account_anonymized(self) -> None:
        """An account's address and phone are erased and it is deactivated."""
        account = Account(name="Acme", telephone1="123", address1_city="Leeds")
        account.anonymize()
        assert (account.telephone1, account.address1_city, account.anonymized) == (None, None, True)
        assert account.state is AccountState.INACTIVE

    @pytest.mark.parametrize(
        ("kind", "start", "trigger"),
        [
            (Lead, "open/new", "reactivate"),
            (Lead, "qualified", "reactivate"),
            (Contact, "active", "activate"),
            (Account, "inactive", "activate"),
        ],
        ids=case_id,
    )
    def test_cannot_reopen(self, kind: type[Record], start: str, trigger: str) -> None:
        """After anonymizing, reactivate/activate is refused and nothing changes."""
        record = build(kind, start)
        record.anonymize()
        before = snapshot(record)
        with pytest.raises(TransitionNotAllowed):
            getattr(record, trigger)()
        assert snapshot(record) == before

    def test_cannot_update(self) -> None:
        """After anonymizing, update() is refused even for integrations."""
        lead = qualifying_lead()
        lead.anonymize()
        with pytest.raises(ReadOnlyRecordError):
            lead.update(firstname="Ada", integration=True)
        assert lead.firstname is None

    def test_can_still_delete(self) -> None:
        """An anonymized record can still be deleted."""
        contact = Contact()
        contact.anonymize()
        contact.delete()
        assert contact.is_deleted
