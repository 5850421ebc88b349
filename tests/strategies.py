"""Hypothesis strategies and small builders shared by the lifecycle tests."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs
from hypothesis import strategies as st

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
    Lead,
    LeadState,
    LeadStatus,
    Record,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLOCK_TIME = T0
"""What the lifecycles' clocks say during every test (see the ``fixed_clock`` fixture)."""
T1 = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
NAIVE = dt.datetime(2026, 1, 1)


def case_id(value: object) -> str:
    """A short, readable pytest id for a parameter value."""
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, dict):
        return ",".join(f"{k}={case_id(v)}" for k, v in value.items()) or "-"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- builders ----------------------------------------------------------------------------

LEAD_STARTS: dict[str, tuple[LeadState, LeadStatus]] = {
    "open/new": (LeadState.OPEN, LeadStatus.NEW),
    "open/contacted": (LeadState.OPEN, LeadStatus.CONTACTED),
    "qualified": (LeadState.QUALIFIED, LeadStatus.QUALIFIED),
    "disqualified/lost": (LeadState.DISQUALIFIED, LeadStatus.LOST),
    "disqualified/cannot_contact": (LeadState.DISQUALIFIED, LeadStatus.CANNOT_CONTACT),
    "disqualified/no_longer_interested": (
        LeadState.DISQUALIFIED,
        LeadStatus.NO_LONGER_INTERESTED,
    ),
    "disqualified/canceled": (LeadState.DISQUALIFIED, LeadStatus.CANCELED),
    # Dataverse has no code for a deleted record; leadflow keeps the last status.
    "deleted": (LeadState.DELETED, LeadStatus.NEW),
}
"""Every (state, status) a lead can be in, by a readable name."""

CONTACT_STARTS: dict[str, tuple[ContactState, ContactStatus]] = {
    "active": (ContactState.ACTIVE, ContactStatus.ACTIVE),
    "inactive": (ContactState.INACTIVE, ContactStatus.INACTIVE),
    "deleted": (ContactState.DELETED, ContactStatus.ACTIVE),
}

ACCOUNT_STARTS: dict[str, tuple[AccountState, AccountStatus]] = {
    "active": (AccountState.ACTIVE, AccountStatus.ACTIVE),
    "inactive": (AccountState.INACTIVE, AccountStatus.INACTIVE),
    "deleted": (AccountState.DELETED, AccountStatus.ACTIVE),
}

STARTS: dict[type[Record], dict[str, tuple[Any, Any]]] = {
    Lead: LEAD_STARTS,
    Contact: CONTACT_STARTS,
    Account: ACCOUNT_STARTS,
}


def person_fields() -> dict[str, Any]:
    """Filled personal fields a lead or contact may carry."""
    return {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "emailaddress1": "ada@example.com",
        "telephone1": "+44 20 7946 0000",
        "mobilephone": "+44 7700 900000",
        "jobtitle": "Analyst",
        "address1_line1": "1 Analytical Row",
        "address1_city": "London",
        "address1_stateorprovince": "Greater London",
        "address1_postalcode": "N1 1AA",
        "address1_country": "United Kingdom",
    }


def build(kind: type[Record], start: str, **fields: Any) -> Any:
    """A record of ``kind`` in the state and status that ``start`` names."""
    state, status = STARTS[kind][start]
    return kind(state=state, status=status, **fields)


def build_lead(start: str = "open/new", **fields: Any) -> Lead:
    """A lead in the state and status that ``start`` names."""
    return build(Lead, start, **fields)  # type: ignore[no-any-return]


def snapshot(*records: Record) -> list[Any]:
    """Everything observable about ``records``: every field, and the history."""
    return [(attrs.asdict(r, recurse=True), r.history) for r in records]


def consents() -> list[DataConsent]:
    """One consent of each status, at different levels."""
    return [
        DataConsent(id="c-active-4", level=ConsentLevel.MARKETING, given_on=T0),
        DataConsent(id="c-active-2", level=ConsentLevel.TRANSACTIONAL),
        DataConsent(id="c-cancelled", level=ConsentLevel.PROFILING, status=ConsentStatus.CANCELLED),
        DataConsent(id="c-expired", level=ConsentLevel.SUBSCRIPTION, status=ConsentStatus.EXPIRED),
    ]


# --- strategies --------------------------------------------------------------------------

aware_datetimes = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))]),
)
"""Timezone-aware datetimes."""

disqualify_reasons = st.sampled_from(
    [
        LeadStatus.LOST,
        LeadStatus.CANNOT_CONTACT,
        LeadStatus.NO_LONGER_INTERESTED,
        LeadStatus.CANCELED,
    ]
)
"""The four status reasons a disqualify accepts."""

any_reasons = st.one_of(
    st.sampled_from(list(LeadStatus)),
    st.sampled_from(list(ContactStatus)),
    st.integers(min_value=-1, max_value=9),
    st.none(),
    st.sampled_from(["lost", "Lost", ""]),
)
"""Anything a caller might pass as a disqualify reason, valid or not."""


@attrs.frozen
class LeadSpec:
    """How to build one lead; building it twice gives two equal, independent leads."""

    start: str
    opportunity: bool
    companyname: str | None
    anonymized: bool
    with_consents: bool

    def build(self, index: int) -> Lead:
        """The lead, with an id that depends only on ``index``."""
        state, _ = LEAD_STARTS[self.start]
        opportunity = (
            f"opp-{index}" if self.opportunity and state is not LeadState.DELETED else None
        )
        return build_lead(
            self.start,
            id=f"lead-{index}",
            firstname=f"First{index}",
            emailaddress1=f"lead{index}@example.com",
            companyname=self.companyname,
            qualifyingopportunityid=opportunity,
            anonymized=self.anonymized,
            consents=consents() if self.with_consents else [],
            createdon=T0,
            modifiedon=T0,
        )


lead_specs = st.builds(
    LeadSpec,
    start=st.sampled_from(list(LEAD_STARTS)),
    opportunity=st.booleans(),
    companyname=st.sampled_from([None, "", "Acme Ltd"]),
    anonymized=st.booleans(),
    with_consents=st.booleans(),
)
"""Leads in any state, some with opportunities, some anonymized."""

_TEXT_FIELDS = ("firstname", "lastname", "jobtitle", "telephone1", "address1_city")

valid_updates = st.one_of(
    st.tuples(st.sampled_from(_TEXT_FIELDS), st.none() | st.text(max_size=20).map(str.strip)),
    st.tuples(st.just("emailaddress1"), st.none() | st.just("someone@example.org")),
    st.tuples(st.sampled_from(["donotemail", "donotbulkemail", "followemail"]), st.booleans()),
).filter(lambda fv: not (isinstance(fv[1], str) and "\x00" in fv[1]))
"""(field, value) edits every person record accepts."""

invalid_updates = st.sampled_from(
    [
        ("firstname", 42),
        ("firstname", "x" * 51),
        ("lastname", "nul\x00byte"),
        ("emailaddress1", "not-an-email"),
        ("donotemail", 1),
        ("createdon", T0),
        ("state", LeadState.OPEN),
        ("anonymized", True),
        ("no_such_field", "x"),
    ]
)
"""(field, value) edits no record accepts: bad values, system fields, unknown fields."""
