"""Records: field validation, update(), read-only states and direct assignment."""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle import (
    Account,
    AccountState,
    ConsentLevel,
    ConsentStatus,
    Contact,
    ContactState,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadState,
    LeadStatus,
    ReadOnlyRecordError,
    Record,
)
from lifecycle.errors import FieldAssignmentError, FieldTypeError
from tests.strategies import (
    CLOCK_TIME,
    NAIVE,
    T0,
    T1,
    T2,
    build,
    build_lead,
    case_id,
    person_fields,
    snapshot,
)

LONG = "x" * 300

# (record type, field, bad value, error class, start of the message after the field name).
# Messages are "'<field>' must be <expected> (got <value>)." — see lifecycle.fields.
BAD_VALUES: list[tuple[type[Record], str, Any, type[Exception], str]] = [
    (Lead, "firstname", 42, FieldTypeError, "a str or None (got 42 that is a int)."),
    (Lead, "firstname", b"Ada", FieldTypeError, "a str or None"),
    (Lead, "firstname", "x" * 51, InvalidFieldError, "a str of at most 50 characters"),
    (Lead, "lastname", "Love\x00lace", InvalidFieldError, "a str without NUL characters"),
    (Lead, "jobtitle", "x" * 101, InvalidFieldError, "a str of at most 100 characters"),
    (Lead, "mobilephone", "1" * 51, InvalidFieldError, "a str of at most 50 characters"),
    (Lead, "telephone1", 441234, FieldTypeError, "a str or None"),
    (Lead, "address1_postalcode", "x" * 21, InvalidFieldError, "a str of at most 20 characters"),
    (Lead, "address1_line1", LONG, InvalidFieldError, "a str of at most 250 characters"),
    (Lead, "companyname", "x" * 101, InvalidFieldError, "a str of at most 100 characters"),
    (Lead, "subject", "x" * 301, InvalidFieldError, "a str of at most 300 characters"),
    (Lead, "emailaddress1", "not-an-email", InvalidFieldError, "an email address"),
    (Lead, "emailaddress1", "ada@localhost", InvalidFieldError, "an email address"),
    (Lead, "emailaddress1", "@example.com", InvalidFieldError, "an email address"),
    (Lead, "emailaddress1", "ada lovelace@example.com", InvalidFieldError, "an email address"),
    (Lead, "emailaddress1", "a" * 95 + "@example.com", InvalidFieldError, "a str of at most 100"),
    (Lead, "emailaddress1", 7, FieldTypeError, "a str or None"),
    (Lead, "donotemail", 1, FieldTypeError, "a bool (got 1 that is a int)."),
    (Lead, "donotbulkemail", None, FieldTypeError, "a bool"),
    (Lead, "followemail", "yes", FieldTypeError, "a bool"),
    (Lead, "parentcontactid", "", InvalidFieldError, "a non-empty id of at most 100 characters"),
    (Lead, "parentcontactid", "   ", InvalidFieldError, "a non-empty id"),
    (Lead, "parentaccountid", "x" * 101, InvalidFieldError, "a non-empty id"),
    (Lead, "customerid", 12, FieldTypeError, "a record id (str) or None"),
    (Contact, "firstname", ["Ada"], FieldTypeError, "a str or None"),
    (Contact, "marketingonly", "no", FieldTypeError, "a bool"),
    (Contact, "parentcustomerid", "", InvalidFieldError, "a non-empty id"),
    (Contact, "emailaddress1", "ada@example", InvalidFieldError, "an email address"),
    (Account, "name", "x" * 161, InvalidFieldError, "a str of at most 160 characters"),
    (Account, "primarycontactid", 3.5, FieldTypeError, "a record id (str) or None"),
    (Account, "marketingonly", 0, FieldTypeError, "a bool"),
]
# Fields update() refuses anyway (system fields): checked at construction only.
BAD_CONSTRUCTION_ONLY: list[tuple[type[Record], str, Any, type[Exception], str]] = [
    (Lead, "createdon", NAIVE, InvalidFieldError, "timezone-aware"),
    (Lead, "modifiedon", NAIVE, InvalidFieldError, "timezone-aware"),
    (Lead, "createdon", "2026-01-01", FieldTypeError, "an aware datetime or None"),
    (Contact, "modifiedon", 1767225600, FieldTypeError, "an aware datetime or None"),
    (Lead, "id", "", InvalidFieldError, "a non-empty id"),
    (Lead, "merged", 1, FieldTypeError, "a bool"),
    (Contact, "anonymized", "no", FieldTypeError, "a bool"),
    (Account, "masterid", "", InvalidFieldError, "a non-empty id"),
]
# Construction values that lifecycle.fields leaves open but a record can't hold.
BAD_REQUIRED: list[tuple[type[Record], str, Any]] = [
    (Lead, "id", None),
    (Contact, "id", None),
    (Lead, "consents", ["not a consent"]),
    (Contact, "consents", None),
    (Account, "consents", [{"level": 4}]),
]
SYSTEM_FIELDS = [
    "id",
    "state",
    "status",
    "merged",
    "masterid",
    "anonymized",
    "createdon",
    "modifiedon",
    "consents",
    "_history",
    "qualifyingopportunityid",
    "originatingleadid",
    "consent_restricted",
]


def _bad_id(row: Any) -> str:
    return f"{row[0].__name__}-{row[1]}-{case_id(row[2])}"


class TestValidation:
    """Bad field values raise typed errors whose message names field, expectation and value."""

    @pytest.mark.parametrize("row", BAD_VALUES + BAD_CONSTRUCTION_ONLY, ids=_bad_id)
    def test_construction(self, row: Any) -> None:
        """Building a record with a bad value raises the right error with the one message shape."""
        kind, field, value, error, expected = row
        with pytest.raises(error) as info:
            kind(**{field: value})
        message = str(info.value)
        assert message.startswith(f"'{field}' must be {expected}")
        assert "(got " in message
        assert info.value.field == field
        builtin = TypeError if error is FieldTypeError else ValueError
        assert isinstance(info.value, builtin)

    @pytest.mark.parametrize("row", BAD_VALUES, ids=_bad_id)
    def test_update(self, row: Any) -> None:
        """update() with one bad value among good ones raises and changes nothing."""
        kind, field, value, error, _ = row
        record = kind(id="rec-1", emailaddress1="ok@example.com", telephone1="123")
        before = snapshot(record)
        with pytest.raises(error, match=f"^'{field}' must be "):
            record.update(address1_city="Leeds", **{field: value})
        assert snapshot(record) == before

    @pytest.mark.parametrize("row", BAD_REQUIRED, ids=_bad_id)
    def test_required_shapes(self, row: Any) -> None:
        """A record needs an id, and its consents are a list of DataConsent."""
        kind, field, value = row
        with pytest.raises(InvalidFieldError, match=f"^'{field}' must be "):
            kind(**{field: value})

    @pytest.mark.parametrize(
        ("kind", "fields"),
        [
            (Lead, person_fields()),
            (Lead, {"companyname": "x" * 100, "subject": "y" * 300, "emailaddress1": "a@b.co"}),
            (Contact, {**person_fields(), "marketingonly": True, "parentcustomerid": "acc-1"}),
            (Account, {"name": "x" * 160, "primarycontactid": "c-1", "createdon": T2}),
            (Lead, {"consents": (DataConsent(level=4),), "id": "x" * 100}),
        ],
        ids=lambda v: v.__name__ if isinstance(v, type) else ",".join(v),
    )
    def test_good_values(self, kind: type[Record], fields: dict[str, Any]) -> None:
        """Values at the limits are accepted as given."""
        record = kind(**fields)
        assert all(getattr(record, name) == value for name, value in fields.items())


class TestUpdate:
    """update() sets editable fields, all or none, and reports what changed."""

    def test_returns_changed_fields(self) -> None:
        """Only fields whose value differs are reported; modifiedon comes from the clock."""
        lead = Lead(firstname="Ada", lastname="Lovelace", modifiedon=T0)
        changed = lead.update(firstname="Ada", lastname="Byron", jobtitle="Countess")
        assert changed == ("lastname", "jobtitle")
        assert (lead.firstname, lead.lastname, lead.jobtitle) == ("Ada", "Byron", "Countess")
        assert lead.modifiedon == CLOCK_TIME

    def test_mapping_and_keywords(self) -> None:
        """Changes may come as a mapping, keywords, or both (keywords win)."""
        contact = Contact()
        contact.update({"firstname": "A", "lastname": "B"}, lastname="C", at=T1)
        assert (contact.firstname, contact.lastname, contact.modifiedon) == ("A", "C", T1)

    def test_no_change_touches_nothing(self) -> None:
        """Setting fields to their current values changes nothing, not even modifiedon."""
        lead = Lead(firstname="Ada", modifiedon=T0)
        assert lead.update(firstname="Ada") == ()
        assert lead.modifiedon == T0

    def test_update_adds_no_history(self) -> None:
        """Edits are not transitions: the history stays empty."""
        lead = Lead()
        lead.update(firstname="Ada")
        assert lead.history == ()

    @pytest.mark.parametrize("at", [NAIVE, "2026-01-01", 5], ids=repr)
    def test_bad_at_changes_nothing(self, at: Any) -> None:
        """A naive or non-datetime ``at`` is refused like a transition's, and nothing changes."""
        lead = Lead(firstname="Ada", modifiedon=T0)
        before = snapshot(lead)
        with pytest.raises(InvalidFieldError, match=r"^'at' must be"):
            lead.update(firstname="Grace", at=at)
        assert snapshot(lead) == before

    @pytest.mark.parametrize("field", SYSTEM_FIELDS)
    @pytest.mark.parametrize("kind", [Lead, Contact, Account], ids=case_id)
    def test_system_fields_refused(self, kind: type[Record], field: str) -> None:
        """System fields can only change through triggers: InvalidFieldError, nothing changed."""
        record = kind(id="rec-1")
        value = getattr(record, field, None)
        before = snapshot(record)
        with pytest.raises(InvalidFieldError, match=f"^'{field}' must be an editable field"):
            record.update(**{field: value})
        assert snapshot(record) == before

    @pytest.mark.parametrize(
        ("kind", "field"),
        [(Lead, "no_such_field"), (Contact, "companyname"), (Account, "firstname"), (Lead, "name")],
        ids=case_id,
    )
    def test_unknown_fields_refused(self, kind: type[Record], field: str) -> None:
        """A field the record type doesn't have raises InvalidFieldError listing editable ones."""
        record = kind()
        with pytest.raises(
            InvalidFieldError, match=f"^'{field}' must be an editable field: one of"
        ):
            record.update(**{field: "x"})

    def test_validates_everything_before_applying(self) -> None:
        """A bad value after good ones leaves the good ones unapplied."""
        lead = Lead(firstname="Ada")
        with pytest.raises(InvalidFieldError):
            lead.update(firstname="Grace", lastname="Hopper", no_such_field=1)
        with pytest.raises(FieldTypeError):
            lead.update(firstname="Grace", lastname="Hopper", donotemail="no")
        assert (lead.firstname, lead.lastname) == ("Ada", None)


CLOSED = [
    (Lead, "qualified"),
    (Lead, "disqualified/lost"),
    (Lead, "disqualified/canceled"),
    (Contact, "inactive"),
    (Account, "inactive"),
]


class TestReadOnly:
    """Closed records are read-only except for integration edits; deleted and anonymized ones are not editable at all."""

    @pytest.mark.parametrize(("kind", "start"), CLOSED, ids=case_id)
    def test_closed_refuses_ordinary_edit(self, kind: type[Record], start: str) -> None:
        """update() on a closed record raises ReadOnlyRecordError saying how to edit it."""
        record = build(kind, start, id="rec-1")
        before = snapshot(record)
        with pytest.raises(ReadOnlyRecordError) as info:
            record.update(telephone1="123")
        assert snapshot(record) == before
        assert isinstance(info.value, PermissionError)
        message = str(info.value)
        assert "rec-1" in message
        assert record.state.label in message
        assert "reactivated" in message
        assert "integration=True" in message

    @pytest.mark.parametrize(("kind", "start"), CLOSED, ids=case_id)
    def test_closed_accepts_integration_edit(self, kind: type[Record], start: str) -> None:
        """update(integration=True) edits a closed record, as the Dataverse API allows."""
        record = build(kind, start)
        assert record.update(telephone1="123", integration=True, at=T1) == ("telephone1",)
        assert (record.telephone1, record.modifiedon) == ("123", T1)
        assert record.state is build(kind, start).state

    @pytest.mark.parametrize(
        ("kind", "start"),
        [(Lead, "deleted"), (Contact, "deleted"), (Account, "deleted")],
        ids=case_id,
    )
    @pytest.mark.parametrize("integration", [False, True])
    def test_deleted_refuses_every_edit(
        self, kind: type[Record], start: str, integration: bool
    ) -> None:
        """A deleted record refuses edits, integration or not."""
        record = build(kind, start)
        before = snapshot(record)
        with pytest.raises(ReadOnlyRecordError, match="deleted"):
            record.update(telephone1="123", integration=integration)
        assert snapshot(record) == before

    @pytest.mark.parametrize("kind", [Lead, Contact, Account], ids=case_id)
    @pytest.mark.parametrize("integration", [False, True])
    def test_anonymized_refuses_every_edit(self, kind: type[Record], integration: bool) -> None:
        """An anonymized record refuses edits, integration or not."""
        record = kind()
        record.anonymize()
        before = snapshot(record)
        with pytest.raises(ReadOnlyRecordError, match="anonymized"):
            record.update(telephone1="123", integration=integration)
        assert snapshot(record) == before

    @pytest.mark.parametrize(
        ("kind", "state"),
        [(Lead, LeadState.OPEN), (Contact, ContactState.ACTIVE), (Account, AccountState.ACTIVE)],
        ids=case_id,
    )
    def test_open_is_editable(self, kind: type[Record], state: Any) -> None:
        """Open leads and active contacts/accounts take ordinary edits."""
        record = kind(state=state)
        assert record.update(telephone1="123") == ("telephone1",)

    def test_reactivated_lead_is_editable_again(self) -> None:
        """Reactivating a closed lead makes it editable."""
        lead = Lead()
        lead.disqualify(LeadStatus.LOST)
        with pytest.raises(ReadOnlyRecordError):
            lead.update(firstname="Ada")
        lead.reactivate()
        assert lead.update(firstname="Ada") == ("firstname",)


class TestAssignment:
    """Fields can't be assigned directly; records change through triggers and update()."""

    @pytest.mark.parametrize(
        ("kind", "field", "value"),
        [
            (Lead, "firstname", "x"),
            (Lead, "state", LeadState.QUALIFIED),
            (Lead, "status", LeadStatus.LOST),
            (Lead, "anonymized", True),
            (Lead, "consents", []),
            (Contact, "marketingonly", True),
            (Account, "name", "Acme"),
        ],
        ids=case_id,
    )
    def test_assignment_refused(self, kind: type[Record], field: str, value: Any) -> None:
        """Assigning raises FieldAssignmentError (an AttributeError) pointing at update()."""
        record = kind()
        before = snapshot(record)
        with pytest.raises(FieldAssignmentError) as info:
            setattr(record, field, value)
        assert isinstance(info.value, AttributeError)
        assert snapshot(record) == before
        assert str(info.value).startswith(
            f"'{field}' cannot be assigned directly: use record.update("
        )

    def test_consents_are_an_immutable_tuple(self) -> None:
        """Consents given as any sequence are kept as a tuple nobody can append to."""
        consent = DataConsent(level=4)
        lead = Lead(consents=[consent])
        assert lead.consents == (consent,)
        with pytest.raises(AttributeError):
            lead.consents.append(consent)  # type: ignore[attr-defined]


class TestReading:
    """Read-only views of a record: codes, names, flags."""

    @pytest.mark.parametrize(
        ("first", "last", "full"),
        [
            ("Ada", "Lovelace", "Ada Lovelace"),
            ("Ada", None, "Ada"),
            (None, " Byron ", "Byron"),
            (" ", None, None),
            (None, None, None),
        ],
        ids=repr,
    )
    def test_fullname(self, first: str | None, last: str | None, full: str | None) -> None:
        """fullname joins the non-blank name parts, or is None."""
        assert Lead(firstname=first, lastname=last).fullname == full

    @pytest.mark.parametrize(
        ("record", "codes", "active", "deleted"),
        [
            (build_lead("open/contacted"), (0, 2), True, False),
            (build_lead("qualified"), (1, 3), False, False),
            (build_lead("disqualified/canceled"), (2, 7), False, False),
            (build(Contact, "inactive"), (1, 2), False, False),
            (build(Account, "active"), (0, 1), True, False),
        ],
        ids=lambda v: v.state.value if isinstance(v, Record) else repr(v),
    )
    def test_codes_and_flags(
        self, record: Record, codes: tuple[int, int], active: bool, deleted: bool
    ) -> None:
        """statecode/statuscode, is_active and is_deleted reflect the state."""
        assert (record.statecode, record.statuscode) == codes
        assert (record.is_active, record.is_deleted) == (active, deleted)

    def test_deleted_has_no_statecode(self) -> None:
        """A deleted record's statecode is None and is_deleted is True."""
        lead = Lead()
        lead.delete()
        assert (lead.statecode, lead.is_deleted, lead.is_active) == (None, True, False)


class TestConsentValues:
    """Consents a record holds validate their fields like records do."""

    def test_defaults(self) -> None:
        """A consent is Active, has an id, and takes its level as a ConsentLevel."""
        consent = DataConsent(level=4)
        assert consent.level is ConsentLevel.MARKETING
        assert consent.status is ConsentStatus.ACTIVE
        assert consent.id

    @pytest.mark.parametrize(
        "fields",
        [
            {"level": 9},
            {"level": "marketing"},
            {"level": 4, "status": "active"},
            {"level": 4, "policy": "x" * 201},
            {"level": 4, "valid_until": NAIVE},
            {"level": 4, "given_on": "2026-01-01"},
            {"level": 4, "confidential": "yes"},
        ],
        ids=lambda f: ",".join(f"{k}={v!r}"[:30] for k, v in f.items()),
    )
    def test_bad_values(self, fields: dict[str, Any]) -> None:
        """A bad consent value raises InvalidFieldError (a LeadflowError) naming the field."""
        with pytest.raises(InvalidFieldError) as info:
            DataConsent(**fields)
        name = next(reversed(fields))
        assert str(info.value).startswith(f"'{name}' must be ")
