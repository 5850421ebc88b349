"""Round trips through the record store, on SQLite and PostgreSQL.

Every record type, in every state and status reason a real trigger reaches, with
consents in every status at every level and history events carrying actors,
notes and aware datetimes (non-UTC offsets, microseconds), comes back from the
store equal, field by field, to what was written: after ``add`` → ``get`` and
after ``get`` → change → ``save`` → ``get``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    Account,
    ConsentLevel,
    ConsentStatus,
    Contact,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadStatus,
    Record,
    merge,
)
from lifecycle.consent import expire_consents
from lifecycle.definitions import ACCOUNT_LIFECYCLE, CONTACT_LIFECYCLE, LEAD_LIFECYCLE
from lifecycle.machines import Lifecycle
from matching.store import Store
from matching.store.schema import field_columns
from tests.strategies import (
    ACCOUNT_STARTS,
    CONTACT_STARTS,
    LEAD_STARTS,
    STARTS,
    disqualify_reasons,
    lead_specs,
    person_fields,
    snapshot,
)

# Moments with non-UTC offsets (half and quarter hours, both signs) and microseconds.
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
NEWFOUNDLAND = dt.timezone(dt.timedelta(hours=-3, minutes=-30))
CHATHAM = dt.timezone(dt.timedelta(hours=12, minutes=45))
AT1 = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=IST)
AT2 = dt.datetime(2026, 4, 1, 23, 59, 59, 999999, tzinfo=NEWFOUNDLAND)
AT3 = dt.datetime(2026, 5, 2, 0, 0, 0, 1, tzinfo=CHATHAM)
AT4 = dt.datetime(2026, 6, 30, 12, 34, 56, 654321, tzinfo=IST)

R = TypeVar("R", bound=Record)

LIFECYCLES: dict[type[Record], Lifecycle] = {
    Lead: LEAD_LIFECYCLE,
    Contact: CONTACT_LIFECYCLE,
    Account: ACCOUNT_LIFECYCLE,
}

DISQUALIFY_REASONS = (
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
)


# --- builders: records reached by firing real triggers ------------------------------------


def every_consent() -> list[DataConsent]:
    """Consents at every level 0-5 in Active, Cancelled and Expired, reached by real moves.

    Anonymized consents come from anonymising a record (see the ``anonymized`` scenarios).
    """
    consents: list[DataConsent] = []
    for level in ConsentLevel:
        common: dict[str, Any] = {
            "level": level,
            "given_on": AT1 + dt.timedelta(microseconds=level),
            "policy": f"Privacy policy v{level} — «consent» ✓",
            "explicit": level % 2 == 0,
            "confidential": level % 3 == 0,
        }
        active = DataConsent(valid_until=AT4 + dt.timedelta(days=level), **common)
        cancelled = DataConsent(valid_until=None, **common).cancel()
        # Expired the way D12 says: Active and past its valid_until when expire_consents runs.
        expiring = DataConsent(valid_until=AT2 - dt.timedelta(seconds=level), **common)
        consents += [active, cancelled, expiring]
    return consents


def expired_by_clock(record: R) -> R:
    """Run ``expire_consents`` at AT2, turning the consents past valid_until Expired."""
    expire_consents([record], AT2)
    return record


def full_lead(**extra: Any) -> Lead:
    """A lead with every field filled and a consent of each status and level."""
    fields: dict[str, Any] = {
        **person_fields(),
        "companyname": "Contoso Health",
        "subject": "Interested in the 2026 catalogue",
        "campaignid": "campaign-7",
        "msdyncrm_marketingformid": "form-1",
        "msdyncrm_marketingpageid": "page-1",
        "donotsendmm": True,
        "donotpostalmail": True,
        "followemail": False,
        "consent_inherent": True,
        "createdon": AT1,
        "modifiedon": AT1,
        "consents": every_consent(),
    }
    fields.update(extra)
    return expired_by_clock(Lead(**fields))


def full_contact(**extra: Any) -> Contact:
    """A contact with every field filled and a consent of each status and level."""
    fields: dict[str, Any] = {
        **person_fields(),
        "parentcustomerid": "account-1",
        "originatingleadid": "lead-1",
        "marketingonly": True,
        "donotphone": True,
        "createdon": AT1,
        "modifiedon": AT1,
        "consents": every_consent(),
    }
    fields.update(extra)
    return expired_by_clock(Contact(**fields))


def full_account(**extra: Any) -> Account:
    """An account with every field filled."""
    fields: dict[str, Any] = {
        "name": "Fabrikam, Inc.",
        "emailaddress1": "info@fabrikam.com",
        "telephone1": "+1 425 555 0100",
        "address1_line1": "1 Microsoft Way",
        "address1_city": "Redmond",
        "address1_stateorprovince": "WA",
        "address1_postalcode": "98052",
        "address1_country": "United States",
        "primarycontactid": "contact-1",
        "parentaccountid": "account-0",
        "originatingleadid": "lead-1",
        "donotbulkemail": True,
        "createdon": AT1,
        "modifiedon": AT1,
        "consents": every_consent()[:3],
    }
    fields.update(extra)
    return expired_by_clock(Account(**fields))


def disqualified(reason: LeadStatus) -> Callable[[], list[Record]]:
    def build() -> list[Record]:
        lead = full_lead()
        lead.disqualify(reason, at=AT2, actor="sales@contoso.com", note=f"closed: {reason.label}")
        return [lead]

    return build


def contacted() -> list[Record]:
    lead = full_lead()
    lead.mark_contacted(at=AT2, actor="agent 7", note="called, left a voicemail")
    return [lead]


def qualified_creating_everything() -> list[Record]:
    lead = full_lead(consents=[])
    result = lead.qualify(
        create_contact=True,
        create_account=True,
        create_opportunity=True,
        at=AT2,
        actor="seller",
        note="qualified after the demo",
    )
    assert result.contact is not None
    assert result.account is not None
    return [lead, result.contact, result.account]


def qualified_linking_existing() -> list[Record]:
    contact = full_contact(consents=[])
    account = full_account(consents=[])
    lead = full_lead(consents=[])
    lead.qualify(contact=contact, account=account, at=AT2, note="linked to existing")
    return [lead, contact, account]


def reactivated_after(trigger: str) -> Callable[[], list[Record]]:
    def build() -> list[Record]:
        lead = full_lead(consents=[])
        if trigger == "qualify":
            lead.qualify(at=AT2)
        else:
            lead.disqualify(LeadStatus.CANNOT_CONTACT, at=AT2)
        lead.reactivate(at=AT3, actor="seller", note="they called back")
        return [lead]

    return build


def merged(kind: type[Record]) -> Callable[[], list[Record]]:
    def build() -> list[Record]:
        builders: dict[type[Record], Callable[..., Record]] = {
            Lead: full_lead,
            Contact: full_contact,
            Account: full_account,
        }
        master = builders[kind](emailaddress1=None, telephone1=None, consents=[])
        duplicate = builders[kind]()
        merge(master, duplicate, at=AT3, actor="data steward", note="duplicate of the master")
        return [duplicate, master]

    return build


def anonymized(build_record: Callable[[], Record], *moves: str) -> Callable[[], list[Record]]:
    def build() -> list[Record]:
        record = build_record()
        for move in moves:
            LIFECYCLES[type(record)].fire(record, move, at=AT2, note=f"{move} first")
        record.anonymize(at=AT3, actor="dpo@contoso.com", note="GDPR erasure request")
        return [record]

    return build


def toggled(kind: type[Record], *moves: str) -> Callable[[], list[Record]]:
    def build() -> list[Record]:
        record = full_contact() if kind is Contact else full_account()
        for step, move in enumerate(moves):
            LIFECYCLES[kind].fire(
                record, move, at=AT2 + dt.timedelta(hours=step), actor=f"user {step}"
            )
        return [record]

    return build


def restricted() -> list[Record]:
    contact = full_contact()
    contact.restrict_consent(at=AT2)
    contact.deactivate(at=AT3, note="restricted processing")
    return [contact]


SCENARIOS: dict[str, Callable[[], list[Record]]] = {
    "lead open/new, blank": lambda: [Lead()],
    "lead open/new, every field": lambda: [full_lead()],
    "lead open/contacted": contacted,
    **{f"lead disqualified/{r.value}": disqualified(r) for r in DISQUALIFY_REASONS},
    "lead qualified, creating contact+account+opportunity": qualified_creating_everything,
    "lead qualified, linking an existing contact and account": qualified_linking_existing,
    "lead reactivated after qualify": reactivated_after("qualify"),
    "lead reactivated after disqualify": reactivated_after("disqualify"),
    "lead merged into a master": merged(Lead),
    "lead anonymized while open": anonymized(full_lead),
    "lead anonymized after qualify": anonymized(full_lead, "qualify"),
    "lead anonymized after disqualify": anonymized(full_lead, "disqualify"),
    "contact active, blank": lambda: [Contact()],
    "contact active, every field": lambda: [full_contact()],
    "contact deactivated": toggled(Contact, "deactivate"),
    "contact deactivated then activated": toggled(Contact, "deactivate", "activate"),
    "contact restricted and deactivated": restricted,
    "contact merged into a master": merged(Contact),
    "contact anonymized": anonymized(full_contact),
    "contact anonymized after deactivation": anonymized(full_contact, "deactivate"),
    "account active, blank": lambda: [Account()],
    "account active, every field": lambda: [full_account()],
    "account deactivated": toggled(Account, "deactivate"),
    "account deactivated then activated": toggled(Account, "deactivate", "activate"),
    "account merged into a master": merged(Account),
    "account anonymized": anonymized(full_account),
}


def test_the_scenarios_reach_every_state_status_and_consent_status() -> None:
    """The table above is only as good as its coverage: check it reaches everything."""
    reached: set[tuple[type[Record], int | None, int]] = set()
    consent_statuses: set[tuple[ConsentStatus, int]] = set()
    for build in SCENARIOS.values():
        for record in build():
            reached.add((type(record), record.statecode, record.statuscode))
            consent_statuses |= {(c.status, int(c.level)) for c in record.consents}
    wanted = {
        (kind, state.code, status.code)
        for kind, starts in (
            (Lead, LEAD_STARTS),
            (Contact, CONTACT_STARTS),
            (Account, ACCOUNT_STARTS),
        )
        for state, status in starts.values()
        if state.code is not None
    }
    assert wanted <= reached
    assert {(s, level) for s in ConsentStatus for level in range(6)} <= consent_statuses


def assert_same(got: Record, expected: Record) -> None:
    """Field by field (for a readable failure), then as a whole, then the history."""
    assert type(got) is type(expected)
    for field in attrs.fields(type(expected)):
        assert getattr(got, field.name) == getattr(expected, field.name), field.name
    assert (got.statecode, got.statuscode) == (expected.statecode, expected.statuscode)
    assert got.history == expected.history
    assert got == expected
    assert snapshot(got) == snapshot(expected)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_add_then_get_returns_equal_records(store: Store, scenario: str) -> None:
    records = SCENARIOS[scenario]()
    expected = [attrs.evolve(r) for r in records]  # detached copies: what was written
    for copy, record in zip(expected, records, strict=True):
        object.__setattr__(copy, "_history", record.history)
    for record in records:
        store.add(record)
    for record in expected:
        assert_same(store.get(type(record), record.id), record)
        assert store.history(type(record), record.id) == record.history


PREFERRED_TRIGGERS = ("mark_contacted", "deactivate", "activate", "reactivate")


def change(record: Record, at: dt.datetime) -> None:
    """A further real change: an edit, a consent (or a restriction), and a trigger if one fits."""
    if not record.anonymized:
        field = "name" if isinstance(record, Account) else "jobtitle"
        record.update({field: f"changed at {at.isoformat()}"}, integration=True, at=at)
    if isinstance(record, (Lead, Contact)):
        if record.anonymized:
            record.restrict_consent(at=at)
        else:
            given = DataConsent(
                level=ConsentLevel.PROFILING, given_on=at, valid_until=at + dt.timedelta(days=30)
            )
            record.give_consent(given, at=at)
            if record.consents[0].status is ConsentStatus.ACTIVE:
                record.cancel_consent(record.consents[0].id, at=at)
    allowed = record.allowed_triggers
    trigger = next((t for t in PREFERRED_TRIGGERS if t in allowed), None)
    if trigger is not None:
        LIFECYCLES[type(record)].fire(
            record, trigger, at=at, actor="second writer", note=f"{trigger} after reload"
        )


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_get_change_save_get_returns_equal_records(store: Store, scenario: str) -> None:
    records = SCENARIOS[scenario]()
    for record in records:
        store.add(record)
    for original in records:
        loaded = store.get(type(original), original.id)
        before = len(loaded.history)
        change(loaded, AT4)
        store.save(loaded)
        again = store.get(type(original), original.id)
        assert_same(again, loaded)
        assert again.history[:before] == original.history
        assert store.history(type(loaded), loaded.id) == loaded.history


def test_a_second_save_appends_only_the_new_history_events(store: Store) -> None:
    lead = full_lead()
    store.add(lead)
    for step, move in enumerate(("mark_contacted", "disqualify", "reactivate", "qualify")):
        loaded = store.get(Lead, lead.id)
        LEAD_LIFECYCLE.fire(loaded, move, at=AT2 + dt.timedelta(minutes=step), note=f"step {step}")
        store.save(loaded)
    history = store.get(Lead, lead.id).history
    assert [e.trigger for e in history] == ["mark_contacted", "disqualify", "reactivate", "qualify"]
    assert [e.note for e in history] == [f"step {i}" for i in range(4)]
    assert [e.at for e in history] == [AT2 + dt.timedelta(minutes=i) for i in range(4)]


# --- a property over generated records ----------------------------------------------------

_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
_moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 2),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([dt.UTC, IST, NEWFOUNDLAND, CHATHAM]),
)
"""Aware datetimes with microseconds and offsets that are not whole hours."""

_ids = itertools.count()
_SIMPLE_TRIGGERS = (
    "mark_contacted",
    "disqualify",
    "qualify",
    "reactivate",
    "deactivate",
    "activate",
    "anonymize",
)


def _field_values(kind: type[Record], name: str) -> st.SearchStrategy[Any]:
    field = attrs.fields_dict(kind)[name]
    if name == "emailaddress1":
        return st.none() | st.emails().filter(lambda e: len(e) <= 100)
    annotation = str(field.type)
    if annotation == "bool":
        return st.booleans()
    if annotation == "dt.datetime | None":
        return st.none() | _moments
    limit = getattr(field.metadata.get("check"), "max_length", None)
    if limit is None:  # an id reference
        return st.none() | st.text(_TEXT, min_size=1, max_size=100).filter(str.strip)
    return st.none() | st.text(_TEXT, max_size=limit)


_consents = st.builds(
    DataConsent,
    level=st.integers(0, 5),
    status=st.sampled_from(ConsentStatus),
    policy=st.none() | st.text(_TEXT, max_size=200),
    valid_until=st.none() | _moments,
    given_on=st.none() | _moments,
    explicit=st.booleans(),
    confidential=st.booleans(),
)


@st.composite
def generated_records(draw: st.DrawFn) -> Record:
    """A record of any type and live state, with any field values, consents and history."""
    kind = draw(st.sampled_from([Lead, Contact, Account]))
    start = draw(st.sampled_from([k for k, (s, _) in STARTS[kind].items() if s.code is not None]))
    state, status = STARTS[kind][start]
    fields = {name: draw(_field_values(kind, name)) for name in field_columns(kind)}
    consents = draw(st.lists(_consents, max_size=4))
    record: Record = kind(state=state, status=status, consents=consents, **fields)
    for _ in range(draw(st.integers(0, 4))):
        allowed = [t for t in _SIMPLE_TRIGGERS if t in record.allowed_triggers]
        if not allowed:
            break
        trigger = draw(st.sampled_from(allowed))
        params = {"status_reason": draw(disqualify_reasons)} if trigger == "disqualify" else {}
        LIFECYCLES[kind].fire(
            record,
            trigger,
            at=draw(_moments),
            actor=draw(st.none() | st.text(_TEXT, max_size=40)),
            note=draw(st.none() | st.text(_TEXT, max_size=300)),
            **params,
        )
    return record


def _unique(record: Record) -> Record:
    """``record`` with an id (and consent ids) no earlier example used in this store."""
    n = next(_ids)
    consents = [attrs.evolve(c, id=f"{n}/{c.id}") for c in record.consents]
    copy: Record = attrs.evolve(record, id=f"generated-{n}", consents=consents)
    object.__setattr__(copy, "_history", record.history)
    return copy


@given(record=generated_records())
def test_property_generated_records_survive_add_then_get(store: Store, record: Record) -> None:
    record = _unique(record)
    store.add(record)
    assert_same(store.get(type(record), record.id), record)


@given(spec=lead_specs)
def test_property_lead_specs_survive_add_then_get(store: Store, spec: Any) -> None:
    lead = _unique(spec.build(0))
    if lead.is_deleted:
        with pytest.raises(InvalidFieldError, match="'record'"):
            store.add(lead)
        assert not store.exists(Lead, lead.id)
        return
    store.add(lead)
    assert_same(store.get(Lead, lead.id), lead)
