"""The record store's API, on SQLite and PostgreSQL: what callers rely on.

Every refusal is a typed :class:`lifecycle.LeadflowError` and writes nothing: the
tests compare the full contents of every table before and after.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from lifecycle import (
    Account,
    ConsentLevel,
    ConsentStatus,
    ConsentValue,
    Contact,
    ContactPointConsent,
    DataConsent,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadflowError,
    LeadStatus,
    Record,
    Suppression,
    SuppressionReason,
    TransitionNotAllowed,
    merge,
)
from lifecycle.contactpoints import Channel
from lifecycle.definitions import ACCOUNT_LIFECYCLE, CONTACT_LIFECYCLE, LEAD_LIFECYCLE
from lifecycle.errors import UnknownTriggerError
from lifecycle.machines import Lifecycle
from matching import normalize
from matching.store import (
    ConflictError,
    Interaction,
    RecordNotFound,
    SchemaVersionError,
    Store,
    StoreConfigError,
    StoreError,
    TombstonedError,
    Transaction,
    open_store,
    schema,
)
from matching.store.engine import READ_ONLY
from tests.strategies import CLOCK_TIME

UTC = dt.UTC
AT = dt.datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
T1 = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
T2 = dt.datetime(2026, 1, 2, 9, tzinfo=UTC)
T3 = dt.datetime(2026, 1, 3, 9, tzinfo=UTC)
LIFECYCLES: dict[type[Record], Lifecycle] = {
    Lead: LEAD_LIFECYCLE,
    Contact: CONTACT_LIFECYCLE,
    Account: ACCOUNT_LIFECYCLE,
}


# --- helpers ------------------------------------------------------------------------------


def contents(store: Store) -> dict[str, list[str]]:
    """Every row of every table of the store, in a stable order: 'nothing was written'
    means this did not change."""
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in schema.metadata.sorted_tables
        }


def rows(store: Store, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
    """The rows of ``table`` whose columns equal ``where``."""
    query = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def person(kind: type[Record] = Contact, **fields: Any) -> Any:
    """A person (contact by default) with a name, an email and phones."""
    values: dict[str, Any] = {
        "firstname": "Dana",
        "lastname": "Reyes",
        "emailaddress1": "Dana.Reyes@Contoso.com",
        "telephone1": "+1 206 555 0100",
        "mobilephone": "(425) 555-0199",
        "jobtitle": "Buyer",
        "consents": [DataConsent(level=ConsentLevel.MARKETING, given_on=T1, policy="v1")],
    }
    values.update(fields)
    return kind(**values)


# --- versions: stale copies, existing ids, missing ids ----------------------------------


def _winner_updates(record: Any) -> None:
    record.update(jobtitle="Head buyer", at=AT)


def _winner_fires(record: Any) -> None:
    record.deactivate(at=AT, note="winner")


def _loser_updates(record: Any) -> None:
    record.update(jobtitle="Procurement", at=AT)


def _loser_fires(record: Any) -> None:
    record.deactivate(at=AT, actor="loser", note="loser")


def _loser_gives_consent(record: Any) -> None:
    record.give_consent(DataConsent(level=ConsentLevel.PROFILING), at=AT)


WINNERS: dict[str, Callable[[Any], None]] = {"update": _winner_updates, "trigger": _winner_fires}
LOSERS: dict[str, Callable[[Any], None]] = {
    "update": _loser_updates,
    "trigger": _loser_fires,
    "consent": _loser_gives_consent,
}


@pytest.mark.parametrize("winner", list(WINNERS))
@pytest.mark.parametrize("loser", list(LOSERS))
def test_saving_a_stale_copy_is_a_conflict_and_writes_nothing(
    store: Store, winner: str, loser: str
) -> None:
    contact = person()
    store.add(contact)
    desk_a, desk_b = store.get(Contact, contact.id), store.get(Contact, contact.id)
    WINNERS[winner](desk_a)
    assert store.save(desk_a) == 2
    before = contents(store)
    LOSERS[loser](desk_b)

    with pytest.raises(ConflictError, match="another writer saved it first") as caught:
        store.save(desk_b)

    assert (caught.value.kind, caught.value.record_id) == ("contact", contact.id)
    assert (caught.value.expected, caught.value.found) == (1, 2)
    assert contents(store) == before
    assert store.get(Contact, contact.id) == desk_a
    # Reloading gives a fresh copy that saves.
    fresh = store.get(Contact, contact.id)
    fresh.update(address1_city="Seattle", integration=True, at=AT)
    assert store.save(fresh) == 3


def test_saving_a_copy_of_a_deleted_record_is_a_conflict(store: Store) -> None:
    contact = person()
    store.add(contact)
    stale = store.get(Contact, contact.id)
    store.delete(Contact, contact.id, at=AT)
    before = contents(store)
    stale.update(jobtitle="Procurement", at=AT)

    with pytest.raises(ConflictError, match="deleted by another writer"):
        store.save(stale)

    assert contents(store) == before
    assert not store.exists(Contact, contact.id)


@pytest.mark.parametrize(
    "second",
    ["the same object again", "another record with the same id"],
)
def test_adding_an_existing_id_is_a_conflict_and_writes_nothing(store: Store, second: str) -> None:
    lead = person(Lead, id="lead-1")
    store.add(lead)
    before = contents(store)
    again = lead if second == "the same object again" else Lead(id="lead-1", firstname="Other")

    with pytest.raises(ConflictError, match="already exists") as caught:
        store.add(again)

    assert (caught.value.kind, caught.value.record_id) == ("lead", "lead-1")
    assert contents(store) == before
    assert store.get(Lead, "lead-1") == lead


def _stored_as_another_type(store: Store) -> str:
    contact = Contact(id="shared-id")
    store.add(contact)
    return "shared-id"


def _deleted(store: Store) -> str:
    lead = Lead(id="gone")
    store.add(lead)
    store.delete(Lead, "gone", at=AT)
    return "gone"


MISSING: dict[str, Callable[[Store], str]] = {
    "never stored": lambda store: "no-such-id",
    "stored as a contact, asked as a lead": _stored_as_another_type,
    "deleted": _deleted,
}


@pytest.mark.parametrize("case", list(MISSING))
def test_getting_a_missing_id_raises_record_not_found(store: Store, case: str) -> None:
    record_id = MISSING[case](store)

    with pytest.raises(RecordNotFound) as caught:
        store.get(Lead, record_id)

    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, LeadflowError)
    assert (caught.value.kind, caught.value.record_id) == ("lead", record_id)
    assert str(caught.value) == f"no lead with id {record_id!r} in the store."
    assert store.get_many(Lead, [record_id]) == []
    assert not store.exists(Lead, record_id)


def test_get_many_keeps_the_order_asked_and_skips_missing_ids(store: Store) -> None:
    leads = [Lead(id=f"lead-{i}") for i in range(3)]
    for lead in leads:
        store.add(lead)
    found = store.get_many(Lead, ["lead-2", "missing", "lead-0", "lead-2"])
    assert [lead.id for lead in found] == ["lead-2", "lead-0"]


def _never_added(store: Store) -> Record:
    contact: Contact = person()
    return contact


def _rebuilt_from_a_loaded_one(store: Store) -> Record:
    contact = person()
    store.add(contact)
    return attrs.evolve(store.get(Contact, contact.id))


def _loaded_from_another_store(store: Store) -> Record:
    other = open_store("sqlite://")
    try:
        contact = person()
        other.add(contact)
        store.add(Contact(id=contact.id))
        return other.get(Contact, contact.id)
    finally:
        other.close()


NEVER_LOADED: dict[str, Callable[[Store], Record]] = {
    "a new record never added": _never_added,
    "a record built with a stored id": _rebuilt_from_a_loaded_one,
    "a record loaded from another store": _loaded_from_another_store,
}


@pytest.mark.parametrize("case", list(NEVER_LOADED))
def test_saving_a_record_that_was_never_loaded_raises_store_error(store: Store, case: str) -> None:
    record = NEVER_LOADED[case](store)
    before = contents(store)

    with pytest.raises(
        StoreError, match=r"add\(\) a new record, or get\(\) a stored one"
    ) as caught:
        store.save(record)

    assert not isinstance(caught.value, ConflictError)
    assert contents(store) == before


# --- store.fire -----------------------------------------------------------------------------


def _lead_with_opportunity(store: Store) -> str:
    lead: Lead = person(Lead)
    lead.qualify(create_opportunity=True, at=AT)
    lead.reactivate(at=AT)
    store.add(lead)
    return lead.id


def _open_lead(store: Store) -> str:
    lead: Lead = person(Lead)
    store.add(lead)
    return lead.id


def _anonymized_lead(store: Store) -> str:
    lead: Lead = person(Lead)
    store.add(lead)
    store.anonymize(Lead, lead.id, at=AT)
    return lead.id


REFUSED_FIRES: list[
    tuple[str, Callable[[Store], str], str, dict[str, Any], type[Exception], str]
] = [
    (
        "disqualify with an opportunity",
        _lead_with_opportunity,
        "disqualify",
        {"status_reason": LeadStatus.LOST},
        TransitionNotAllowed,
        "is linked to this lead",
    ),
    ("reactivate an open lead", _open_lead, "reactivate", {}, TransitionNotAllowed, "Open"),
    (
        "reactivate an anonymized lead",
        _anonymized_lead,
        "reactivate",
        {},
        TransitionNotAllowed,
        "anonymized",
    ),
    (
        "disqualify as Qualified",
        _open_lead,
        "disqualify",
        {"status_reason": LeadStatus.QUALIFIED},
        InvalidStatusError,
        "status_reason",
    ),
    (
        "a trigger leads do not have",
        _open_lead,
        "deactivate",
        {},
        UnknownTriggerError,
        "deactivate",
    ),
]


@pytest.mark.parametrize(
    ("make", "trigger", "params", "error", "message"),
    [case[1:] for case in REFUSED_FIRES],
    ids=[case[0] for case in REFUSED_FIRES],
)
def test_a_refused_fire_raises_the_lifecycle_error_and_writes_nothing(
    store: Store,
    make: Callable[[Store], str],
    trigger: str,
    params: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    lead_id = make(store)
    before = contents(store)

    with pytest.raises(error, match=message):
        store.fire(Lead, lead_id, trigger, at=AT, note="should not be stored", **params)

    assert contents(store) == before


def test_fire_saves_the_transition_and_its_history_event(store: Store) -> None:
    lead_id = _open_lead(store)
    outcome = store.fire(
        Lead, lead_id, "disqualify", status_reason=LeadStatus.CANCELED, at=AT, actor="a", note="n"
    )
    stored = store.get(Lead, lead_id)
    assert (stored.statecode, stored.statuscode) == (2, 7)
    assert stored.history == (outcome.event,)
    assert (outcome.event.at, outcome.event.actor, outcome.event.note) == (AT, "a", "n")


def test_fire_without_at_uses_the_lifecycle_clock(store: Store) -> None:
    lead_id = _open_lead(store)
    store.fire(Lead, lead_id, "mark_contacted")
    assert store.get(Lead, lead_id).history[0].at == CLOCK_TIME


def _lose_races(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Make the next ``times`` saves lose a race: just before each, another writer bumps
    the row's version (in the same transaction, so the failed attempt rolls it back)."""
    calls: list[int] = []
    original = Transaction.save

    def save(self: Transaction, record: Record) -> int:
        calls.append(1)
        if len(calls) <= times:
            table = schema.RECORD_TABLES[type(record)]
            pk = table.c[schema.PRIMARY_KEY[type(record)]]
            self._conn.execute(
                sa.update(table).where(pk == record.id).values(version=table.c.version + 1)
            )
        return original(self, record)

    monkeypatch.setattr(Transaction, "save", save)
    return calls


@pytest.mark.parametrize(("lost", "retries"), [(1, 3), (3, 3), (1, 1)])
def test_fire_retries_a_lost_race_on_a_fresh_copy(
    store: Store, monkeypatch: pytest.MonkeyPatch, lost: int, retries: int
) -> None:
    lead_id = _open_lead(store)
    calls = _lose_races(monkeypatch, lost)

    store.fire(Lead, lead_id, "mark_contacted", retries=retries, at=AT, note="once")

    assert len(calls) == lost + 1
    stored = store.get(Lead, lead_id)
    assert stored.status is LeadStatus.CONTACTED
    assert [e.note for e in stored.history] == ["once"]
    with store.transaction(readonly=True) as tx:
        assert tx.version_of(Lead, lead_id) == 2


@pytest.mark.parametrize(("lost", "retries"), [(1, 0), (4, 3)])
def test_fire_gives_up_after_its_retries_and_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, lost: int, retries: int
) -> None:
    lead_id = _open_lead(store)
    before = contents(store)
    calls = _lose_races(monkeypatch, lost)

    with pytest.raises(ConflictError):
        store.fire(Lead, lead_id, "mark_contacted", retries=retries, at=AT)

    assert len(calls) == retries + 1
    assert contents(store) == before


# --- transactions ---------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize(
    "raised",
    [Boom("the form handler crashed"), TransitionNotAllowed("x", "y", "z"), KeyboardInterrupt()],
)
def test_a_transaction_that_raises_writes_nothing(store: Store, raised: BaseException) -> None:
    existing = person(emailaddress1="existing@example.com")
    doomed = person(Lead, emailaddress1="doomed@example.com")
    store.add(existing)
    store.add(doomed)
    loaded = store.get(Contact, existing.id)
    before = contents(store)
    new_lead = person(Lead, emailaddress1="new@example.com")
    new_contact = person(emailaddress1="other@example.com")

    def form_handler() -> None:
        with store.transaction() as tx:
            work(tx)

    def work(tx: Transaction) -> None:
        tx.add(new_lead)
        tx.add(new_contact)
        loaded.deactivate(at=AT, note="inside")
        loaded.give_consent(DataConsent(level=ConsentLevel.CONSENT), at=AT)
        tx.save(loaded)
        tx.claim("contact:emailaddress1", "other@example.com", new_contact)
        tx.add_interaction(Interaction(at=AT, contactid=new_contact.id, payload={"a": 1}))
        tx.add_suppression(
            Suppression(address="x@example.com", reason=SuppressionReason.HARD_BOUNCE, since=AT)
        )
        tx.record_contact_point_consent(
            ContactPointConsent(contact_point="x@example.com", value=ConsentValue.OPTED_OUT, at=AT)
        )
        tx.delete(Lead, doomed.id, at=AT)
        raise raised

    with pytest.raises(type(raised)):
        form_handler()

    assert contents(store) == before
    assert store.tombstone_for("doomed@example.com") is None
    assert store.find(Lead, "emailaddress1", "new@example.com") == []
    # Nothing of the block was stored: its new record can be added, and the record it
    # saved is still at the version it was loaded at, so saving it now writes its events.
    store.add(new_lead)
    assert store.save(loaded) == 2
    assert [e.note for e in store.history(Contact, existing.id)] == ["inside"]


def test_a_transaction_commits_everything_together(store: Store) -> None:
    lead, contact = person(Lead), person()
    with store.transaction() as tx:
        tx.add(lead)
        tx.add(contact)
        assert tx.count(Lead) == 1
    assert store.get(Lead, lead.id) == lead
    assert store.get(Contact, contact.id) == contact


# --- lookup and find ------------------------------------------------------------------------

# (record type, stored fields, field to find by, value asked): every value must find the record.
MATCHES: list[tuple[type[Record], dict[str, Any], str, str]] = [
    (
        Contact,
        {"emailaddress1": "Dana.Reyes@Contoso.com"},
        "emailaddress1",
        "dana.reyes@contoso.com",
    ),
    (
        Contact,
        {"emailaddress1": "Dana.Reyes@Contoso.com"},
        "emailaddress1",
        "  DANA.REYES@CONTOSO.COM ",
    ),
    (
        Contact,
        {"emailaddress1": "dana@contoso.com"},
        "emailaddress1",
        "".join(chr(ord(c) + 0xFEE0) for c in "dana@contoso.com"),  # full-width forms
    ),
    (Lead, {"emailaddress1": "josé@bücher.example"}, "emailaddress1", "JOSÉ@BÜCHER.EXAMPLE"),
    (Lead, {"emailaddress1": "ana@xn--bcher-kva.example"}, "emailaddress1", "ana@bücher.example"),
    (Account, {"emailaddress1": "info@fabrikam.com"}, "emailaddress1", "Info@Fabrikam.com"),
    (Contact, {"telephone1": "+1 206 555 0100"}, "telephone1", "(206) 555-0100"),
    (Contact, {"telephone1": "+1 206 555 0100"}, "telephone1", "206.555.0100"),
    (Contact, {"telephone1": "(206) 555-0100"}, "telephone1", "+12065550100"),
    (Lead, {"telephone1": "+44 20 7946 0000"}, "telephone1", "+442079460000"),
    (Lead, {"mobilephone": "(425) 555-0199"}, "mobilephone", "+1-425-555-0199"),
    (Account, {"telephone1": "425 555 0100"}, "telephone1", "+1 (425) 555-0100"),
    (Contact, {"firstname": "Dana", "lastname": "Reyes"}, "fullname", "Dana Reyes"),
    (Contact, {"firstname": "José", "lastname": "Núñez"}, "fullname", "jose  NUNEZ"),
    (Lead, {"firstname": "Mary Ann", "lastname": "Smith"}, "fullname", "Mary Ann Smith"),
    (Lead, {"firstname": "Jan", "lastname": "van Dyke"}, "fullname", "Jan van Dyke"),
    (Contact, {"firstname": "Sinéad", "lastname": "O'Brien"}, "fullname", "sinead o'brien"),
    (Account, {"name": "Contoso, Ltd."}, "name", "contoso ltd"),
    (Account, {"name": "Café  Müller"}, "name", "CAFE MULLER"),
]


@pytest.mark.parametrize(
    ("kind", "stored", "field", "asked"),
    MATCHES,
    ids=[f"{k.__name__}.{f}={a!r}" for k, _, f, a in MATCHES],
)
def test_find_matches_the_same_value_written_differently(
    store: Store, kind: type[Record], stored: dict[str, Any], field: str, asked: str
) -> None:
    record = kind(**stored)
    store.add(record)
    decoy = kind()
    store.add(decoy)

    assert store.find(kind, field, asked) == [record]
    if field != "fullname":  # the other keys are one normaliser's output
        normaliser: Callable[[str], str | None] = {
            "emailaddress1": normalize.email,
            "telephone1": normalize.phone,
            "mobilephone": normalize.phone,
            "name": normalize.name,
        }[field]
        key = normaliser(asked)
        assert key is not None
        assert [i for i, _ in store.lookup(kind, field, key)] == [record.id]


def test_find_returns_the_most_recently_modified_first(store: Store) -> None:
    shared: dict[str, Any] = {
        "emailaddress1": "dup@example.com",
        "firstname": "Dup",
        "lastname": "Licate",
    }
    middle, newest, oldest = (Contact(modifiedon=t, **shared) for t in (T2, T3, T1))
    undated = Contact(**shared)
    for record in (middle, undated, newest, oldest):
        store.add(record)
    expected = [newest.id, middle.id, oldest.id, undated.id]

    for field, value in (("emailaddress1", "DUP@example.com"), ("fullname", "dup licate")):
        assert [r.id for r in store.find(Contact, field, value)] == expected
    key = normalize.email("dup@example.com")
    assert key is not None
    assert store.lookup(Contact, "emailaddress1", key) == [
        (newest.id, T3),
        (middle.id, T2),
        (oldest.id, T1),
        (undated.id, None),
    ]


def test_a_save_moves_a_record_up_and_updates_its_keys(store: Store) -> None:
    first = Contact(emailaddress1="old@example.com", modifiedon=T1)
    second = Contact(emailaddress1="old@example.com", modifiedon=T2)
    store.add(first)
    store.add(second)
    loaded = store.get(Contact, first.id)
    loaded.update(telephone1="+1 206 555 0100", at=T3)
    store.save(loaded)
    assert [r.id for r in store.find(Contact, "emailaddress1", "old@example.com")] == [
        first.id,
        second.id,
    ]
    loaded.update(emailaddress1="new@example.com", at=T3 + dt.timedelta(days=1))
    store.save(loaded)
    assert [r.id for r in store.find(Contact, "emailaddress1", "old@example.com")] == [second.id]
    assert store.find(Contact, "emailaddress1", "new@example.com") == [loaded]
    assert store.find(Contact, "telephone1", "206-555-0100") == [loaded]


JUNK = ["", "   ", "n/a", "none", "-", "0", "000", "not-an-email", "@", "a@b", "x" * 300]


@pytest.mark.parametrize("field", ["emailaddress1", "telephone1", "mobilephone", "fullname"])
def test_missing_and_junk_values_never_match(store: Store, field: str) -> None:
    blanks = [Contact(), Lead(), Contact(firstname="Dana"), Contact(lastname="Reyes")]
    junk_stored = Contact(telephone1="n/a", mobilephone="000", firstname="-", lastname="-")
    for record in (*blanks, junk_stored):
        store.add(record)

    assert [junk for junk in JUNK if store.find(Contact, field, junk)] == []
    assert [junk for junk in JUNK if store.lookup(Contact, field, junk)] == []


@pytest.mark.parametrize("field", ["name", "emailaddress1"])
def test_accounts_with_blank_or_junk_names_never_match(store: Store, field: str) -> None:
    store.add(Account())
    store.add(Account(name="   "))
    store.add(Account(name="!!!"))
    for junk in JUNK:
        assert store.find(Account, field, junk) == []


@pytest.mark.parametrize("field", ["emailaddress1", "telephone1", "mobilephone", "fullname"])
def test_find_with_no_value_finds_nothing(store: Store, field: str) -> None:
    store.add(Contact())
    assert store.find(Contact, field, None) == []  # type: ignore[arg-type]


def test_find_never_returns_another_record_type(store: Store) -> None:
    store.add(Lead(emailaddress1="dana@contoso.com", firstname="Dana", lastname="Reyes"))
    assert store.find(Contact, "emailaddress1", "dana@contoso.com") == []
    assert store.find(Contact, "fullname", "Dana Reyes") == []
    assert store.find(Account, "emailaddress1", "dana@contoso.com") == []


@pytest.mark.parametrize("field", ["jobtitle", "EMAILADDRESS1", "", "name; DROP TABLE leads"])
def test_find_by_a_field_that_is_not_indexed_is_refused(store: Store, field: str) -> None:
    with pytest.raises(InvalidFieldError, match="'field' must be one of"):
        store.find(Contact, field, "x")
    with pytest.raises(InvalidFieldError, match="'field' must be one of"):
        store.lookup(Contact, field, "x")


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Lead, Contact, Account])
def test_delete_removes_the_record_keeps_its_history_and_leaves_a_tombstone(
    store: Store, kind: type[Record]
) -> None:
    fields: dict[str, Any] = {"emailaddress1": "Gone@Example.com", "telephone1": "+1 206 555 0100"}
    if kind is Account:
        fields.update(name="Gone Ltd", consents=[DataConsent(level=2)])
    else:
        fields.update(firstname="Gone", lastname="Person", consents=[DataConsent(level=2)])
    record = kind(**fields)
    store.add(record)
    loaded = store.get(kind, record.id)
    trigger = "mark_contacted" if kind is Lead else "deactivate"
    LIFECYCLES[kind].fire(loaded, trigger, at=T1, note="before delete")
    store.save(loaded)
    other = kind(emailaddress1="stays@example.com")
    store.add(other)
    store.claim(f"{kind.__name__}:email", "gone@example.com", record)
    name = schema.TYPE_NAME[kind]

    stone = store.delete(kind, record.id, reason="asked to be forgotten", at=AT, actor="dpo")

    assert (stone.record_type, stone.record_id, stone.reason, stone.actor) == (
        name,
        record.id,
        "asked to be forgotten",
        "dpo",
    )
    assert stone.deletedon == AT
    assert not store.exists(kind, record.id)
    for table in (schema.consents, schema.match_keys, schema.claims):
        assert rows(store, table, record_id=record.id) == [], table.name
    history = store.history(kind, record.id)
    assert [e.trigger for e in history] == [trigger, "delete"]
    assert (history[-1].at, history[-1].actor, history[-1].note) == (
        AT,
        "dpo",
        "asked to be forgotten",
    )
    assert store.find(kind, "emailaddress1", "gone@example.com") == []
    assert store.tombstone_for("  GONE@example.COM ") == stone
    assert store.get(kind, other.id) == other


@pytest.mark.parametrize("kind", [Lead, Contact, Account])
def test_a_tombstoned_email_is_not_recreated_unless_allowed(
    store: Store, kind: type[Record]
) -> None:
    store.add(kind(id="old", emailaddress1="gone@example.com"))
    store.delete(kind, "old", at=AT)
    before = contents(store)
    again = kind(emailaddress1=" Gone@EXAMPLE.com")

    with pytest.raises(TombstonedError, match="not recreated silently") as caught:
        store.add(again)

    assert (caught.value.kind, caught.value.record_id) == (schema.TYPE_NAME[kind], "old")
    assert contents(store) == before
    store.add(again, allow_tombstoned=True)
    assert store.get(kind, again.id) == again


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.fire(Lead, "missing", "mark_contacted"),
        lambda s: s.delete(Lead, "missing"),
        lambda s: s.anonymize(Lead, "missing"),
    ],
    ids=["fire", "delete", "anonymize"],
)
def test_operations_on_a_missing_id_raise_record_not_found(
    store: Store, operation: Callable[[Store], object]
) -> None:
    store.add(Lead(id="present"))
    before = contents(store)
    with pytest.raises(RecordNotFound, match="'missing'"):
        operation(store)
    assert contents(store) == before


def test_deleting_twice_raises_record_not_found(store: Store) -> None:
    store.add(Contact(id="c1", emailaddress1="c1@example.com"))
    store.delete(Contact, "c1", at=AT)
    before = contents(store)
    with pytest.raises(RecordNotFound):
        store.delete(Contact, "c1", at=AT)
    assert contents(store) == before


def test_deleting_a_record_without_email_leaves_no_tombstone(store: Store) -> None:
    store.add(Lead(id="anon-lead"))
    store.delete(Lead, "anon-lead", at=AT)
    assert rows(store, schema.tombstones) == []
    assert [e.trigger for e in store.history(Lead, "anon-lead")] == ["delete"]


# --- anonymize ------------------------------------------------------------------------------

NEEDLES = (
    "dana",
    "reyes",
    "206 555 0100",
    "2065550100",
    "(425) 555-0199",
    "4255550199",
    "buyer",
    "harbor",
)
"""Pieces of the person's data; none may remain in any text column after anonymising."""


def text_values(store: Store) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value in every table of the schema."""
    found = []
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str):
                        found.append((table.name, str(column), value))
    return found


@pytest.mark.parametrize("kind", [Contact, Lead])
def test_anonymize_erases_the_person_from_every_table(store: Store, kind: type[Any]) -> None:
    email = "Dana.Reyes@Contoso.com"
    record = person(kind, address1_line1="12 Harbor Lane")
    store.add(record)
    keeper = kind(firstname="Kim", lastname="Lee", emailaddress1="kim@example.com")
    store.add(keeper)
    loaded = store.get(kind, record.id)
    if kind is Lead:
        loaded.mark_contacted(at=T1, note="Dana Reyes asked to call +1 206 555 0100")
    else:
        loaded.deactivate(at=T1, note="Dana Reyes <dana.reyes@contoso.com> asked")
    store.save(loaded)
    owner = {"contactid": record.id} if kind is Contact else {"leadid": record.id}
    payload = {"email": email, "name": "Dana Reyes", "phone": "(425) 555-0199", "n": 3}
    store.add_interaction(Interaction(at=T2, formid="form-1", payload=payload, **owner))
    store.add_interaction(Interaction(at=T3, kind="email-open", **owner))
    for point in (email, "+1 206 555 0100"):
        store.record_contact_point_consent(
            ContactPointConsent(contact_point=point, value=ConsentValue.OPTED_IN, at=T1)
        )
    store.record_contact_point_consent(
        ContactPointConsent(contact_point="kim@example.com", value=ConsentValue.OPTED_IN, at=T1)
    )
    spam = Suppression(address=email, reason=SuppressionReason.SPAM_COMPLAINT, since=T1)
    store.add_suppression(spam)
    store.claim(f"{kind.__name__}:email", "dana.reyes@contoso.com", record)

    result = store.anonymize(kind, record.id, at=AT, actor="dpo")

    leftovers = [
        (table, column, value)
        for table, column, value in text_values(store)
        if any(needle in value.casefold() for needle in NEEDLES)
    ]
    assert leftovers == []
    assert result == store.get(kind, record.id)
    assert result.anonymized
    assert result.emailaddress1 is result.firstname is result.telephone1 is None
    assert {c.status for c in result.consents} == {ConsentStatus.ANONYMIZED}
    assert [e.trigger for e in result.history][-1] == "anonymize"
    assert all(e.note is None for e in result.history)
    # The block stays: the suppression is still found (by digest) and still applies.
    assert store.suppressions_for([email]).active(email, AT)
    assert store.suppressions_for(["  dana.reyes@CONTOSO.com"]).active("dana.reyes@contoso.com", AT)
    # The touches stay, without their content.
    touches = store.interactions(**owner)
    assert [(i.kind, i.at, i.formid, i.payload) for i in touches] == [
        ("form-submission", T2, "form-1", None),
        ("email-open", T3, None, None),
    ]
    assert len(store.contact_point_ledger([email.casefold(), "+1 206 555 0100"])) == 0
    # Nobody else was touched.
    assert store.get(kind, keeper.id) == keeper
    assert store.contact_point_ledger(["kim@example.com"]).value("kim@example.com", "commercial")


@pytest.mark.parametrize(
    "stored_as",
    ["(425) 555-0199", "+14255550199", "4255550199", "425.555.0199", "+1 425 555 0199"],
)
def test_anonymize_erases_phone_consents_whatever_format_they_were_stored_in(
    store: Store, stored_as: str
) -> None:
    contact = person(mobilephone="(425) 555-0199")
    store.add(contact)
    store.record_contact_point_consent(
        ContactPointConsent(
            contact_point=stored_as, value=ConsentValue.OPTED_IN, at=T1, channel=Channel.SMS
        )
    )

    store.anonymize(Contact, contact.id, at=AT)

    assert len(store.contact_point_ledger([stored_as])) == 0


def test_anonymizing_twice_is_refused_and_writes_nothing(store: Store) -> None:
    contact = person()
    store.add(contact)
    store.anonymize(Contact, contact.id, at=AT)
    before = contents(store)
    with pytest.raises(TransitionNotAllowed, match="anonymized"):
        store.anonymize(Contact, contact.id, at=AT)
    assert contents(store) == before


# --- records that share a consent id ------------------------------------------------------


def test_a_qualified_lead_and_the_contact_it_created_are_both_stored(store: Store) -> None:
    """Qualifying carries the lead's active consents to the contact (D12): the same
    consent, same id, on two records."""
    lead: Lead = person(Lead)
    result = lead.qualify(create_contact=True, at=AT)
    assert result.contact is not None
    assert result.contact.consents == lead.consents

    store.add(lead)
    store.add(result.contact)

    assert store.get(Lead, lead.id) == lead
    assert store.get(Contact, result.contact.id) == result.contact


@pytest.mark.parametrize("order", ["master first", "subordinate first"])
def test_a_merge_of_stored_records_saves_in_either_order(store: Store, order: str) -> None:
    """Merging moves the subordinate's consents (same ids) to the master (D4)."""
    master = person(emailaddress1="master@example.com", consents=[])
    duplicate = person(emailaddress1="dup@example.com")
    moved = [c.id for c in duplicate.consents]
    store.add(master)
    store.add(duplicate)
    master, duplicate = store.get(Contact, master.id), store.get(Contact, duplicate.id)
    merge(master, duplicate, at=AT)

    with store.transaction() as tx:
        for record in (master, duplicate) if order == "master first" else (duplicate, master):
            tx.save(record)

    assert store.get(Contact, master.id) == master
    assert store.get(Contact, duplicate.id) == duplicate
    assert [c.id for c in store.get(Contact, master.id).consents] == moved
    assert store.get(Contact, duplicate.id).consents == ()


# --- claims ---------------------------------------------------------------------------------


def test_the_first_claim_of_a_key_wins(store: Store) -> None:
    first, second = (
        Contact(emailaddress1="new@example.org"),
        Contact(emailaddress1="new@example.org"),
    )
    assert store.claim("contact:emailaddress1", "new@example.org", first) == first.id
    assert store.claim("contact:emailaddress1", "new@example.org", second) == first.id
    assert store.claim("contact:emailaddress1", "new@example.org", first) == first.id
    # Another strategy or another key is another claim.
    assert store.claim("lead:emailaddress1", "new@example.org", second) == second.id
    assert store.claim("contact:emailaddress1", "other@example.org", second) == second.id
    with store.transaction(readonly=True) as tx:
        assert tx.claimed("contact:emailaddress1", "new@example.org") == ("contact", first.id)
        assert tx.claimed("contact:emailaddress1", "unclaimed@example.org") is None


def test_a_stale_claim_moves_only_from_the_holder_named(store: Store) -> None:
    """``reclaim`` is a compare-and-swap: it moves the claim from the holder the caller saw,
    and a second writer that saw the same holder finds the claim already gone."""
    stale, mine, theirs = (Contact(emailaddress1="new@example.org") for _ in range(3))
    store.claim("contact:emailaddress1", "new@example.org", stale)

    assert store.reclaim("contact:emailaddress1", "new@example.org", mine, stale.id) is True
    assert store.reclaim("contact:emailaddress1", "new@example.org", theirs, stale.id) is False
    assert (
        store.reclaim("contact:emailaddress1", "unclaimed@example.org", theirs, stale.id) is False
    )
    with store.transaction(readonly=True) as tx:
        assert tx.claimed("contact:emailaddress1", "new@example.org") == ("contact", mine.id)
        assert tx.claimed("contact:emailaddress1", "unclaimed@example.org") is None


def test_two_claims_in_one_transaction_agree(store: Store) -> None:
    first, second = Lead(), Lead()
    with store.transaction() as tx:
        assert tx.claim("lead:form", "f1|a@b.com", first) == first.id
        assert tx.claim("lead:form", "f1|a@b.com", second) == first.id
    assert store.claim("lead:form", "f1|a@b.com", second) == first.id


@pytest.mark.parametrize(("strategy", "key"), [("", "k"), ("s", ""), ("", "")])
def test_a_claim_needs_a_strategy_and_a_key(store: Store, strategy: str, key: str) -> None:
    before = contents(store)
    with pytest.raises(InvalidFieldError, match="'claim'"):
        store.claim(strategy, key, Contact())
    assert contents(store) == before


# --- suppressions, contact-point consents, interactions --------------------------------------

SUPPRESSIONS = [
    Suppression(
        address="Bounced@Example.com",
        reason=SuppressionReason.HARD_BOUNCE,
        since=T1,
        until=T1 + dt.timedelta(days=180),
    ),
    Suppression(address="spam@example.com", reason=SuppressionReason.SPAM_COMPLAINT, since=AT),
    Suppression(
        address="spam@example.com",
        reason=SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
        since=T2,
        sending_account="sales-team",
    ),
]


def test_suppressions_round_trip_and_are_found_by_any_spelling(store: Store) -> None:
    for entry in SUPPRESSIONS:
        store.add_suppression(entry)

    found = store.suppressions_for([" BOUNCED@example.COM", "spam@example.com", None, "x@y.com"])

    assert sorted(found, key=repr) == sorted(SUPPRESSIONS, key=repr)
    assert len(store.suppressions_for(["bounced@example.com"])) == 1
    assert len(store.suppressions_for(["nobody@example.com", None])) == 0
    later = AT + dt.timedelta(days=1)
    assert [
        e.reason
        for e in store.suppressions_for(["spam@example.com"]).active("spam@example.com", later)
    ] == [SuppressionReason.SPAM_COMPLAINT]


def test_contact_point_consents_round_trip_and_the_latest_answer_wins(store: Store) -> None:
    answers = [
        ContactPointConsent(contact_point="Pat@Example.com", value=ConsentValue.OPTED_IN, at=T1),
        ContactPointConsent(
            contact_point="pat@example.com",
            value=ConsentValue.OPTED_OUT,
            at=T3,
            source="Email - list-unsubscribe",
            reason="Opt-out - One-click unsubscribe",
        ),
        ContactPointConsent(
            contact_point="pat@example.com",
            value=ConsentValue.OPTED_IN,
            at=T2,
            purpose="Transactional",
            topic="Receipts",
        ),
        ContactPointConsent(
            contact_point="+14255550100", value=ConsentValue.OPTED_IN, at=AT, channel=Channel.SMS
        ),
    ]
    for answer in reversed(answers):
        store.record_contact_point_consent(answer)

    ledger = store.contact_point_ledger(["pat@example.com", "+14255550100"])

    assert ledger.value("PAT@example.com", "commercial") is ConsentValue.OPTED_OUT
    assert ledger.value("pat@example.com", "transactional", topic="receipts") is (
        ConsentValue.OPTED_IN
    )
    assert ledger.value("+14255550100", "commercial", channel=Channel.SMS) is ConsentValue.OPTED_IN
    assert len(ledger) == 3
    assert ledger.record(answers[1]) is False  # the stored answer is equal, field for field
    assert len(store.contact_point_ledger(["unknown@example.com"])) == 0


def test_interactions_round_trip_oldest_first(store: Store) -> None:
    contact, lead = Contact(), Lead()
    touches = [
        Interaction(at=T3, contactid=contact.id, leadid=lead.id, formid="f", pageid="p"),
        Interaction(
            at=T1,
            contactid=contact.id,
            payload={"email": "a@b.com", "nested": {"list": [1, 2.5, None, True]}, "ü": "✓"},
        ),
        Interaction(at=AT, kind="web-visit", leadid=lead.id, payload={}),
    ]
    for touch in touches:
        store.add_interaction(touch)

    by_contact = store.interactions(contactid=contact.id)
    by_lead = store.interactions(leadid=lead.id)

    assert by_contact == [touches[1], touches[0]]
    assert by_lead == [touches[0], touches[2]]
    assert [i.payload for i in by_contact] == [touches[1].payload, None]
    assert [i.payload for i in by_lead] == [None, {}]
    assert store.interactions(contactid="nobody") == []


@pytest.mark.parametrize("owners", [{}, {"contactid": "c", "leadid": "l"}])
def test_interactions_need_exactly_one_owner(store: Store, owners: dict[str, str]) -> None:
    with pytest.raises(InvalidFieldError, match="exactly one of contactid or leadid"):
        store.interactions(**owners)


# --- bad arguments --------------------------------------------------------------------------

BAD_CALLS: list[tuple[str, Callable[[Store], object], str]] = [
    ("get of a non-record type", lambda s: s.get(dict, "x"), "kind"),  # type: ignore[type-var]
    ("count of a non-record type", lambda s: s.count(str), "kind"),  # type: ignore[arg-type]
    ("exists of a non-record type", lambda s: s.exists(dict, "x"), "kind"),  # type: ignore[arg-type]
    ("history of a non-record type", lambda s: s.history(int, "x"), "kind"),  # type: ignore[arg-type]
    ("get with an int id", lambda s: s.get(Contact, 5), "record_id"),  # type: ignore[arg-type]
    ("lookup with an int key", lambda s: s.lookup(Contact, "emailaddress1", 5), "key"),  # type: ignore[arg-type]
    ("find by full name with an int", lambda s: s.find(Contact, "fullname", 5), "value"),  # type: ignore[arg-type]
    ("get_many with one str", lambda s: s.get_many(Contact, "x"), "record_ids"),
    ("add of a non-record", lambda s: s.add("x"), "kind"),  # type: ignore[arg-type]
    ("suppression that is not one", lambda s: s.add_suppression("x"), "entry"),  # type: ignore[arg-type]
    ("interaction that is not one", lambda s: s.add_interaction({}), "interaction"),  # type: ignore[arg-type]
    (
        "fire with a naive datetime",
        lambda s: s.fire(Lead, "x", "qualify", at=dt.datetime(2026, 1, 1)),
        "at",
    ),
]


@pytest.mark.parametrize(
    ("call", "names"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_arguments_get_a_typed_error_naming_them_and_change_nothing(
    store: Store, call: Callable[[Store], object], names: str
) -> None:
    store.add(Contact(id="x", emailaddress1="x@example.com"))
    before = contents(store)

    with pytest.raises(LeadflowError, match=names):
        call(store)

    assert contents(store) == before


@pytest.mark.parametrize(
    "error",
    [
        ConflictError("contact", "c-1", 1, 2),
        ConflictError("lead", "l-1", 3, None),
        RecordNotFound("lead", "l-1"),
        TombstonedError("a@b.com", "contact", "c-1"),
        StoreError("refused"),
        StoreConfigError("bad url"),
        SchemaVersionError("too new"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_store_errors_survive_pickling_so_worker_processes_can_report_them(
    error: Exception,
) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


# --- opening stores -------------------------------------------------------------------------


def test_open_store_without_a_url_creates_leadflow_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        store.add(Contact(id="c1"))
        assert store.dialect == "sqlite"
    assert (tmp_path / "leadflow.db").is_file()
    with open_store(str(tmp_path / "leadflow.db")) as again:
        assert again.exists(Contact, "c1")


@pytest.mark.parametrize(
    "make_url",
    [
        lambda p: str(p),
        lambda p: os.path.relpath(p),
        lambda p: f"sqlite:///{p}",
        lambda p: p,
    ],
    ids=["bare absolute path", "bare relative path", "sqlite:/// URL", "pathlib.Path"],
)
def test_open_store_accepts_sqlite_paths_and_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_url: Callable[[Path], Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nested" / "dir" / "crm.db"
    with open_store(make_url(path)) as store:
        store.add(Contact(id="c1"))
    assert path.is_file()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT contactid FROM contacts").fetchall() == [("c1",)]
    raw.close()


@pytest.mark.parametrize(
    "url",
    ["mysql://user:secret@db/crm", "oracle://db/crm", "mssql+pyodbc://db/crm", "postgresql://:x:y"],
)
def test_open_store_refuses_other_databases(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreConfigError, match="'url' must") as caught:
        open_store(url)
    assert isinstance(caught.value, ValueError)
    assert "secret" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def _unreachable_server(tmp_path: Path) -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://leadflow:secret@127.0.0.1:{port}/crm"


@pytest.mark.parametrize(
    "make_url",
    [lambda p: str(p), _unreachable_server],
    ids=["a directory, not a file", "a server that does not answer"],
)
def test_open_store_reports_a_database_it_cannot_open(
    tmp_path: Path, make_url: Callable[[Path], Any]
) -> None:
    url = make_url(tmp_path)
    with pytest.raises(StoreError, match=r"^cannot open the store at ") as caught:
        open_store(url)
    assert "secret" not in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_sqlite_stores_run_in_wal_mode(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "crm.db")) as store:
        with store.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            conn.rollback()
        assert mode == "wal"
    with sqlite3.connect(tmp_path / "crm.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_every_backend_reports_its_dialect(store: Store, store_url: str) -> None:
    assert store.dialect == ("sqlite" if "://" not in store_url else "postgresql")
