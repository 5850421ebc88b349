"""States, status reasons and their Dataverse codes (shared/domain.md §1.1, §1.2)."""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle import (
    Account,
    AccountState,
    AccountStatus,
    Contact,
    ContactState,
    ContactStatus,
    InvalidStatusError,
    Lead,
    LeadState,
    LeadStatus,
)
from lifecycle.errors import FieldTypeError
from tests.strategies import case_id

# (enum member, code, label, state it belongs to) as Dataverse documents them.
STATES = [
    (LeadState.OPEN, 0, "Open"),
    (LeadState.QUALIFIED, 1, "Qualified"),
    (LeadState.DISQUALIFIED, 2, "Disqualified"),
    (ContactState.ACTIVE, 0, "Active"),
    (ContactState.INACTIVE, 1, "Inactive"),
    (AccountState.ACTIVE, 0, "Active"),
    (AccountState.INACTIVE, 1, "Inactive"),
]
DELETED_STATES = [LeadState.DELETED, ContactState.DELETED, AccountState.DELETED]
STATUSES = [
    (LeadStatus.NEW, 1, "New", LeadState.OPEN),
    (LeadStatus.CONTACTED, 2, "Contacted", LeadState.OPEN),
    (LeadStatus.QUALIFIED, 3, "Qualified", LeadState.QUALIFIED),
    (LeadStatus.LOST, 4, "Lost", LeadState.DISQUALIFIED),
    (LeadStatus.CANNOT_CONTACT, 5, "Cannot Contact", LeadState.DISQUALIFIED),
    (LeadStatus.NO_LONGER_INTERESTED, 6, "No Longer Interested", LeadState.DISQUALIFIED),
    (LeadStatus.CANCELED, 7, "Canceled", LeadState.DISQUALIFIED),
    (ContactStatus.ACTIVE, 1, "Active", ContactState.ACTIVE),
    (ContactStatus.INACTIVE, 2, "Inactive", ContactState.INACTIVE),
    (AccountStatus.ACTIVE, 1, "Active", AccountState.ACTIVE),
    (AccountStatus.INACTIVE, 2, "Inactive", AccountState.INACTIVE),
]

# (record type, statecode, statuscode) pairs Dataverse accepts.
VALID_PAIRS = [
    (Lead, 0, 1),
    (Lead, 0, 2),
    (Lead, 1, 3),
    (Lead, 2, 4),
    (Lead, 2, 5),
    (Lead, 2, 6),
    (Lead, 2, 7),
    (Contact, 0, 1),
    (Contact, 1, 2),
    (Account, 0, 1),
    (Account, 1, 2),
]
INVALID_PAIRS = [
    (Lead, 0, 3),
    (Lead, 0, 5),
    (Lead, 1, 1),
    (Lead, 1, 4),
    (Lead, 2, 1),
    (Lead, 2, 3),
    (Lead, 3, 1),
    (Lead, 9, 1),
    (Lead, -1, 1),
    (Lead, 0, 0),
    (Lead, 0, 8),
    (Lead, 0, 99),
    (Lead, True, 1),
    (Lead, False, 1),
    (Lead, 0, True),
    (Lead, 2, False),
    (Lead, "0", 1),
    (Lead, 0, "1"),
    (Lead, None, 1),
    (Contact, 0, 2),
    (Contact, 1, 1),
    (Contact, 2, 1),
    (Contact, 0, 3),
    (Contact, True, 1),
    (Contact, 0, True),
    (Account, 0, 2),
    (Account, 1, 1),
    (Account, 2, 2),
    (Account, 1, 3),
    (Account, False, 1),
]
DEFAULT_STATUSCODES = [
    (Lead, 0, 1),
    (Lead, 1, 3),
    (Lead, 2, 4),
    (Contact, 0, 1),
    (Contact, 1, 2),
    (Account, 0, 1),
    (Account, 1, 2),
]


class TestCodes:
    """Every state and status reason carries its Dataverse code and label."""

    @pytest.mark.parametrize(("state", "code", "label"), STATES, ids=case_id)
    def test_state_code_and_label(self, state: Any, code: int, label: str) -> None:
        """A state's code and label are Dataverse's, and str() shows the label."""
        assert (state.code, state.label, str(state)) == (code, label, label)

    @pytest.mark.parametrize(("state", "code", "label"), STATES, ids=case_id)
    def test_state_round_trips_through_its_code(self, state: Any, code: int, label: str) -> None:
        """``from_code(state.code)`` is the state itself."""
        assert type(state).from_code(state.code) is state

    @pytest.mark.parametrize("state", DELETED_STATES, ids=case_id)
    def test_deleted_has_no_code(self, state: Any) -> None:
        """The deleted state is leadflow's own: it has no Dataverse statecode."""
        assert (state.code, state.label) == (None, "Deleted")

    @pytest.mark.parametrize(("status", "code", "label", "state"), STATUSES, ids=case_id)
    def test_status_code_label_and_state(
        self, status: Any, code: int, label: str, state: Any
    ) -> None:
        """A status reason's code, label and owning state are Dataverse's."""
        assert (status.code, status.label, str(status)) == (code, label, label)
        assert status.state_value == state.value

    @pytest.mark.parametrize(("status", "code", "label", "state"), STATUSES, ids=case_id)
    def test_status_round_trips_through_its_code(
        self, status: Any, code: int, label: str, state: Any
    ) -> None:
        """``from_code(status.code)`` is the status reason itself."""
        assert type(status).from_code(status.code) is status

    def test_tables_cover_every_member(self) -> None:
        """The tables above list every state and status reason there is."""
        enums = (LeadState, LeadStatus, ContactState, ContactStatus, AccountState, AccountStatus)
        listed = {row[0] for row in STATES + STATUSES} | set(DELETED_STATES)
        assert listed == {member for enum in enums for member in enum}

    @pytest.mark.parametrize(
        ("enum", "code"),
        [
            (LeadState, 3),
            (LeadState, -1),
            (LeadState, True),
            (LeadState, "0"),
            (ContactState, 2),
            (ContactState, False),
            (LeadStatus, 0),
            (LeadStatus, 8),
            (LeadStatus, True),
            (LeadStatus, "1"),
            (ContactStatus, 3),
            (AccountStatus, 0),
        ],
        ids=case_id,
    )
    def test_unknown_code_is_refused(self, enum: Any, code: object) -> None:
        """A code the enum lacks raises InvalidStatusError naming the code and the known ones."""
        with pytest.raises(InvalidStatusError, match=r"must be one of \[") as info:
            enum.from_code(code)
        assert repr(code) in str(info.value)
        assert isinstance(info.value, ValueError)


class TestFromCodes:
    """``Record.from_codes`` accepts exactly Dataverse's statecode/statuscode pairs."""

    @pytest.mark.parametrize(("kind", "statecode", "statuscode"), VALID_PAIRS, ids=case_id)
    def test_valid_pair(self, kind: Any, statecode: int, statuscode: int) -> None:
        """A valid pair gives a record with exactly those codes."""
        record = kind.from_codes(statecode, statuscode)
        assert (record.statecode, record.statuscode) == (statecode, statuscode)
        assert record.state is kind.state_type.from_code(statecode)
        assert record.status is kind.status_type.from_code(statuscode)

    @pytest.mark.parametrize(("kind", "statecode", "statuscode"), INVALID_PAIRS, ids=case_id)
    def test_invalid_pair(self, kind: Any, statecode: Any, statuscode: Any) -> None:
        """An invalid pair, an unknown code or a bool raises InvalidStatusError."""
        with pytest.raises(InvalidStatusError):
            kind.from_codes(statecode, statuscode)

    @pytest.mark.parametrize("kind", [Lead, Contact, Account], ids=case_id)
    def test_no_statecode_is_refused(self, kind: Any) -> None:
        """``None`` is no Dataverse statecode: InvalidStatusError, never a KeyError."""
        with pytest.raises(InvalidStatusError):
            kind.from_codes(None)

    @pytest.mark.parametrize(("kind", "statecode", "statuscode"), DEFAULT_STATUSCODES, ids=case_id)
    def test_default_statuscode(self, kind: Any, statecode: int, statuscode: int) -> None:
        """Without a statuscode, the state's default status reason is used."""
        assert kind.from_codes(statecode).statuscode == statuscode

    def test_fields_pass_through(self) -> None:
        """Other fields given to from_codes land on the record."""
        lead = Lead.from_codes(2, 5, id="lead-1", firstname="Ada")
        assert (lead.id, lead.firstname, lead.status) == (
            "lead-1",
            "Ada",
            LeadStatus.CANNOT_CONTACT,
        )


class TestRecordStateFields:
    """Records accept only a state of their own type and a status of that state."""

    @pytest.mark.parametrize(
        ("kind", "state", "status"),
        [
            (Lead, LeadState.OPEN, LeadStatus.NEW),
            (Lead, LeadState.QUALIFIED, LeadStatus.QUALIFIED),
            (Lead, LeadState.DISQUALIFIED, LeadStatus.LOST),
            (Contact, ContactState.ACTIVE, ContactStatus.ACTIVE),
            (Contact, ContactState.INACTIVE, ContactStatus.INACTIVE),
            (Account, AccountState.ACTIVE, AccountStatus.ACTIVE),
            (Account, AccountState.INACTIVE, AccountStatus.INACTIVE),
        ],
        ids=case_id,
    )
    def test_default_status_of_state(self, kind: Any, state: Any, status: Any) -> None:
        """A record built with only a state gets the state's default status reason."""
        assert kind(state=state).status is status

    @pytest.mark.parametrize("kind", [Lead, Contact, Account], ids=case_id)
    def test_new_record_is_open(self, kind: Any) -> None:
        """A new record starts in its open state with statuscode 1."""
        record = kind()
        assert (record.statecode, record.statuscode, record.is_active) == (0, 1, True)

    @pytest.mark.parametrize(
        ("kind", "state", "status"),
        [
            (Lead, LeadState.OPEN, LeadStatus.LOST),
            (Lead, LeadState.QUALIFIED, LeadStatus.NEW),
            (Lead, LeadState.DISQUALIFIED, LeadStatus.QUALIFIED),
            (Contact, ContactState.ACTIVE, ContactStatus.INACTIVE),
            (Account, AccountState.INACTIVE, AccountStatus.ACTIVE),
        ],
        ids=case_id,
    )
    def test_status_of_another_state_is_refused(self, kind: Any, state: Any, status: Any) -> None:
        """A status reason that belongs to another state raises InvalidStatusError."""
        with pytest.raises(InvalidStatusError, match="'status' must be"):
            kind(state=state, status=status)

    @pytest.mark.parametrize(
        ("kind", "fields"),
        [
            (Lead, {"state": "open"}),
            (Lead, {"state": ContactState.ACTIVE}),
            (Lead, {"status": 1}),
            (Lead, {"status": ContactStatus.ACTIVE}),
            (Contact, {"state": LeadState.OPEN}),
            (Contact, {"status": AccountStatus.ACTIVE}),
            (Account, {"state": ContactState.ACTIVE}),
        ],
        ids=case_id,
    )
    def test_foreign_state_or_status_is_a_type_error(self, kind: Any, fields: Any) -> None:
        """A state or status of the wrong enum raises FieldTypeError (also TypeError)."""
        with pytest.raises(FieldTypeError) as info:
            kind(**fields)
        assert isinstance(info.value, TypeError)
