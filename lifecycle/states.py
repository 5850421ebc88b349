"""States and status reasons of leads, contacts and accounts, with their Dynamics codes.

A record's *state* is the Dataverse ``statecode`` (Open, Qualified, ...); its
*status* is the ``statuscode`` status reason, which belongs to exactly one state.
``DELETED`` is leadflow's final state for a deleted record: Dataverse has no code
for it, so its ``code`` is ``None``.
"""

from __future__ import annotations

import enum
from typing import Any, Self

from lifecycle.errors import InvalidStatusError


class CodedState(enum.Enum):
    """A record state: its value is a stable name, ``code`` the Dataverse statecode."""

    code: int | None
    label: str

    __hash__ = object.__hash__

    def __new__(cls, value: str, code: int | None, label: str) -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.code = code
        member.label = label
        return member

    @classmethod
    def named(cls, value: str) -> Self:
        """The state whose stable name is ``value``."""
        for member in cls:
            if member.value == value:
                return member
        raise InvalidStatusError(
            f"'state' must be one of {[m.value for m in cls]} (got {value!r})."
        )

    @classmethod
    def from_code(cls, code: int) -> Self:
        """The state whose statecode is ``code``."""
        for member in cls:
            if member.code is not None and member.code == code and type(code) is int:
                return member
        known = sorted(m.code for m in cls if m.code is not None)
        raise InvalidStatusError(f"'statecode' must be one of {known} (got {code!r}).")

    def __str__(self) -> str:
        return self.label


class CodedStatus(enum.Enum):
    """A status reason: ``code`` is the Dataverse statuscode, ``state`` the state it belongs to."""

    code: int
    label: str
    state_value: str

    __hash__ = object.__hash__

    def __new__(cls, value: str, code: int, label: str, state_value: str) -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.code = code
        member.label = label
        member.state_value = state_value
        return member

    @classmethod
    def named(cls, value: str) -> Self:
        """The status reason whose stable name is ``value``."""
        for member in cls:
            if member.value == value:
                return member
        raise InvalidStatusError(
            f"'status' must be one of {[m.value for m in cls]} (got {value!r})."
        )

    @classmethod
    def from_code(cls, code: int) -> Self:
        """The status reason whose statuscode is ``code``."""
        for member in cls:
            if member.code == code and type(code) is int:
                return member
        known = sorted(m.code for m in cls)
        raise InvalidStatusError(f"'statuscode' must be one of {known} (got {code!r}).")

    def __str__(self) -> str:
        return self.label


class LeadState(CodedState):
    """Lead ``statecode``."""

    OPEN = ("open", 0, "Open")
    QUALIFIED = ("qualified", 1, "Qualified")
    DISQUALIFIED = ("disqualified", 2, "Disqualified")
    DELETED = ("deleted", None, "Deleted")


class LeadStatus(CodedStatus):
    """Lead ``statuscode`` (status reason)."""

    NEW = ("new", 1, "New", "open")
    CONTACTED = ("contacted", 2, "Contacted", "open")
    QUALIFIED = ("qualified", 3, "Qualified", "qualified")
    LOST = ("lost", 4, "Lost", "disqualified")
    CANNOT_CONTACT = ("cannot_contact", 5, "Cannot Contact", "disqualified")
    NO_LONGER_INTERESTED = ("no_longer_interested", 6, "No Longer Interested", "disqualified")
    CANCELED = ("canceled", 7, "Canceled", "disqualified")


class ContactState(CodedState):
    """Contact ``statecode``."""

    ACTIVE = ("active", 0, "Active")
    INACTIVE = ("inactive", 1, "Inactive")
    DELETED = ("deleted", None, "Deleted")


class ContactStatus(CodedStatus):
    """Contact ``statuscode``."""

    ACTIVE = ("active", 1, "Active", "active")
    INACTIVE = ("inactive", 2, "Inactive", "inactive")


class AccountState(CodedState):
    """Account ``statecode``."""

    ACTIVE = ("active", 0, "Active")
    INACTIVE = ("inactive", 1, "Inactive")
    DELETED = ("deleted", None, "Deleted")


class AccountStatus(CodedStatus):
    """Account ``statuscode``."""

    ACTIVE = ("active", 1, "Active", "active")
    INACTIVE = ("inactive", 2, "Inactive", "inactive")


DEFAULT_STATUS: dict[Any, Any] = {
    LeadState.OPEN: LeadStatus.NEW,
    LeadState.QUALIFIED: LeadStatus.QUALIFIED,
    LeadState.DISQUALIFIED: LeadStatus.LOST,
    ContactState.ACTIVE: ContactStatus.ACTIVE,
    ContactState.INACTIVE: ContactStatus.INACTIVE,
    AccountState.ACTIVE: AccountStatus.ACTIVE,
    AccountState.INACTIVE: AccountStatus.INACTIVE,
}
"""The statuscode Dataverse gives each state when none is named (``DefaultStatus``)."""


def statuses_of(state: CodedState, status_enum: type[CodedStatus]) -> tuple[CodedStatus, ...]:
    """The status reasons that belong to ``state``."""
    return tuple(s for s in status_enum if s.state_value == state.value)
