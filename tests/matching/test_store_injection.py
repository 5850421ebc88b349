"""Hostile text through every write and read path of the store, on SQLite and PostgreSQL.

Quotes, SQL fragments, backslashes, LIKE wildcards, emoji, right-to-left and
combining characters, NUL bytes, lone surrogates and 10,000-character strings:
each value is either stored and read back exactly, or refused with a
:class:`lifecycle.LeadflowError` whose message names the field, and after a
refusal every table holds exactly what it held before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import (
    Account,
    ConsentValue,
    Contact,
    ContactPointConsent,
    DataConsent,
    Lead,
    LeadflowError,
    Record,
)
from matching.store import Interaction, RecordNotFound, Store, schema
from matching.store.engine import READ_ONLY

AT = dt.datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)

HOSTILE: dict[str, str] = {
    "single quote": "O'Brien",
    "double quote": 'Say "cheese"',
    "drop table": "'; DROP TABLE leads; --",
    "bobby tables": "Robert'); DELETE FROM contacts;--",
    "backslashes": "C:\\Users\\dana\\",
    "backslash before a quote": "\\'; SELECT 1; --",
    "percent": "100% sure",
    "underscore": "a_b",
    "only wildcards": "%_%",
    "emoji": "Dana 👩🏽‍💻🎉",
    "right-to-left": "\u062f\u0627\u0646\u0627 \u0631\u064a\u064a\u0633",
    "right-to-left override": "\u202egnp.exe",
    "combining characters": "Zoe\u0308 Ame\u0301lie Z\u0336\u0317a\u0334",
    "zero-width space": "Da\u200bna",
    "newlines and tabs": "line 1\nline 2\r\n\tend",
    "NUL byte": "Da\x00na",
    "lone surrogate": "Dana\ud800",
    "10,000 characters": "x" * 9_999 + "é",
}


def contents(store: Store) -> dict[str, list[str]]:
    """Every row of every table, in a stable order."""
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in schema.metadata.sorted_tables
        }


def tables(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


# --- write paths ------------------------------------------------------------------------------
# Each path is prepared first (records it needs are stored), then writes the hostile value and
# returns how to read it back; a refusal must leave the prepared store exactly as it was.

Read = Callable[[], object]
Write = Callable[[Store, str], Read]


def _add_then(kind: type[Any], field: str) -> Callable[[Store], Write]:
    def prepare(store: Store) -> Write:
        def write(store: Store, value: str) -> Read:
            record = kind(**{field: value})
            store.add(record)
            return lambda: getattr(store.get(kind, record.id), field)

        return write

    return prepare


def _lead_lastname(store: Store) -> Write:
    def write(store: Store, value: str) -> Read:
        lead = Lead(firstname="Dana", lastname=value)
        store.add(lead)
        return lambda: store.get(Lead, lead.id).lastname

    return write


def _record_id(store: Store) -> Write:
    def write(store: Store, value: str) -> Read:
        store.add(Contact(id=value))
        return lambda: store.get(Contact, value).id

    return write


def _email(store: Store) -> Write:
    def write(store: Store, value: str) -> Read:
        address = f"{value}@example.com"
        contact = Contact(emailaddress1=address)
        store.add(contact)

        def read() -> object:
            assert [c.id for c in store.find(Contact, "emailaddress1", address)] == [contact.id]
            stored = store.get(Contact, contact.id).emailaddress1
            assert stored is not None
            return stored.removesuffix("@example.com")

        return read

    return write


def _updated_jobtitle(store: Store) -> Write:
    contact = Contact(jobtitle="before")
    store.add(contact)
    loaded = store.get(Contact, contact.id)

    def write(store: Store, value: str) -> Read:
        loaded.update(jobtitle=value)
        store.save(loaded)
        return lambda: store.get(Contact, contact.id).jobtitle

    return write


def _history(part: str) -> Callable[[Store], Write]:
    def prepare(store: Store) -> Write:
        lead = Lead()
        store.add(lead)

        def write(store: Store, value: str) -> Read:
            extra: dict[str, Any] = {part: value}
            store.fire(Lead, lead.id, "mark_contacted", at=AT, **extra)
            return lambda: getattr(store.history(Lead, lead.id)[-1], part)

        return write

    return prepare


def _delete_reason(store: Store) -> Write:
    lead = Lead()
    address = f"gone-{lead.id}@example.com"
    lead = Lead(id=lead.id, emailaddress1=address)
    store.add(lead)

    def write(store: Store, value: str) -> Read:
        store.delete(Lead, lead.id, reason=value, at=AT)

        def read() -> object:
            stone = store.tombstone_for(address)
            assert stone is not None
            assert store.history(Lead, lead.id)[-1].note == stone.reason
            return stone.reason

        return read

    return write


def _consent(part: str) -> Callable[[Store], Write]:
    def prepare(store: Store) -> Write:
        def write(store: Store, value: str) -> Read:
            extra: dict[str, Any] = {part: value}
            contact = Contact(consents=[DataConsent(level=4, **extra)])
            store.add(contact)
            return lambda: getattr(store.get(Contact, contact.id).consents[0], part)

        return write

    return prepare


def _contact_point(part: str) -> Callable[[Store], Write]:
    def prepare(store: Store) -> Write:
        def write(store: Store, value: str) -> Read:
            fields: dict[str, Any] = {"contact_point": f"{uuid.uuid4()}@example.com", part: value}
            answer = ContactPointConsent(value=ConsentValue.OPTED_IN, at=AT, **fields)
            store.record_contact_point_consent(answer)

            def read() -> object:
                ledger = store.contact_point_ledger([answer.contact_point])
                assert ledger.record(answer) is False  # the stored answer equals it
                return value

            return read

        return write

    return prepare


def _interaction(part: str) -> Callable[[Store], Write]:
    def prepare(store: Store) -> Write:
        def write(store: Store, value: str) -> Read:
            owner = value if part == "contactid" else str(uuid.uuid4())
            store.add_interaction(Interaction(at=AT, **{"contactid": owner, part: value}))
            return lambda: getattr(store.interactions(contactid=owner)[0], part)

        return write

    return prepare


def _payload(store: Store) -> Write:
    def write(store: Store, value: str) -> Read:
        payload = {"v": value, value: [value]}
        owner = str(uuid.uuid4())
        store.add_interaction(Interaction(at=AT, contactid=owner, payload=payload))
        got = store.interactions(contactid=owner)[0].payload
        return lambda: value if got == payload else got

    return write


def _claim_key(store: Store) -> Write:
    def write(store: Store, value: str) -> Read:
        contact = Contact()
        assert store.claim("contact:emailaddress1", value, contact) == contact.id
        assert store.claim("contact:emailaddress1", value, Contact()) == contact.id

        def read() -> object:
            with store.transaction(readonly=True) as tx:
                assert tx.claimed("contact:emailaddress1", value) == ("contact", contact.id)
            return value

        return read

    return write


WRITES: dict[str, tuple[Callable[[Store], Write], tuple[str, ...]]] = {
    "contact firstname": (_add_then(Contact, "firstname"), ("firstname",)),
    "contact address": (_add_then(Contact, "address1_line1"), ("address1_line1",)),
    "lead lastname": (_lead_lastname, ("lastname",)),
    "account name": (_add_then(Account, "name"), ("name",)),
    "record id": (_record_id, ("id", "contactid")),
    "email local part": (_email, ("emailaddress1",)),
    "jobtitle saved by update": (_updated_jobtitle, ("jobtitle",)),
    "history note": (_history("note"), ("note",)),
    "history actor": (_history("actor"), ("actor",)),
    "delete reason": (_delete_reason, ("reason", "note")),
    "consent policy": (_consent("policy"), ("policy",)),
    "consent id": (_consent("id"), ("id", "consentid")),
    "contact-point purpose": (_contact_point("purpose"), ("purpose",)),
    "contact-point topic": (_contact_point("topic"), ("topic",)),
    "contact-point source": (_contact_point("source"), ("source",)),
    "contact-point phone number": (_contact_point("contact_point"), ("contact_point",)),
    "interaction form id": (_interaction("formid"), ("formid",)),
    "interaction contact id": (_interaction("contactid"), ("contactid",)),
    "interaction payload": (_payload, ("payload",)),
    "claim key": (_claim_key, ("key", "claim")),
}


def _stored_or_refused(store: Store, path: str, value: str) -> str | None:
    """What is wrong with how ``path`` handled ``value``; None when it was stored exactly
    or refused properly."""
    prepare, fields = WRITES[path]
    write = prepare(store)
    before = contents(store)
    try:
        read = write(store, value)
    except LeadflowError as refused:
        if not any(f"'{field}'" in str(refused) for field in fields):
            return f"refused without naming {fields}: {refused}"
        if not tables(store) >= {t.name for t in schema.metadata.sorted_tables}:
            return "a table is gone"
        if contents(store) != before:
            return f"refused ({refused}) but the store changed"
        return None
    except Exception as raw:
        return f"raised {type(raw).__module__}.{type(raw).__name__}: {str(raw)[:150]}"
    got = read()
    return None if got == value else f"read back {got!r:.80}"


@pytest.mark.parametrize("path", list(WRITES))
def test_hostile_text_is_stored_exactly_or_refused_naming_the_field(
    store: Store, path: str
) -> None:
    store.add(Lead(id="bystander", firstname="Kim", emailaddress1="kim@example.com"))
    problems = {
        name: problem
        for name, value in HOSTILE.items()
        if (problem := _stored_or_refused(store, path, value)) is not None
    }
    assert problems == {}
    assert store.get(Lead, "bystander").firstname == "Kim"


# --- read paths: hostile lookups find nothing and break nothing -------------------------------


def _stored(store: Store) -> list[str]:
    records = [
        Contact(emailaddress1="axb@example.com", firstname="Dana", lastname="Reyes"),
        Contact(emailaddress1="abcd@example.com", telephone1="+1 206 555 0100"),
        Lead(emailaddress1="a'b@example.com", firstname="Robert", lastname="Tables"),
        Account(name="Contoso"),
    ]
    for record in records:
        store.add(record)
    return [r.id for r in records]


def _found_nothing(store: Store, kind: type[Any], field: str, value: str) -> str | None:
    before = contents(store)
    try:
        for asked in (value, f"{value}@example.com", f"Dana {value}"):
            try:
                if store.find(kind, field, asked) != [] or store.lookup(kind, field, asked) != []:
                    return f"{asked!r:.40} matched"
            except LeadflowError as refused:
                if "'key'" not in str(refused) and "'value'" not in str(refused):
                    return f"refused without naming the value: {refused}"
        try:
            store.get(kind, value)
            return "get found a record"
        except RecordNotFound:
            pass
        except LeadflowError as refused:
            if "'record_id'" not in str(refused):
                return f"get refused without naming record_id: {refused}"
        if store.tombstone_for(f"{value}@example.com") is not None:
            return "found a tombstone"
        if len(store.suppressions_for([value, f"{value}@example.com"])) != 0:
            return "found a suppression"
    except Exception as raw:
        return f"raised {type(raw).__module__}.{type(raw).__name__}: {str(raw)[:150]}"
    return None if contents(store) == before else "the store changed"


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (Contact, "emailaddress1"),
        (Contact, "fullname"),
        (Contact, "telephone1"),
        (Lead, "emailaddress1"),
        (Account, "name"),
    ],
)
def test_hostile_lookups_find_nothing_and_change_nothing(
    store: Store, kind: type[Record], field: str
) -> None:
    _stored(store)
    problems = {
        name: problem
        for name, value in HOSTILE.items()
        if (problem := _found_nothing(store, kind, field, value)) is not None
    }
    assert problems == {}


LIKE_TRAPS: list[tuple[type[Any], str, dict[str, Any], str]] = [
    (Contact, "emailaddress1", {"emailaddress1": "axb@example.com"}, "a_b@example.com"),
    (Contact, "emailaddress1", {"emailaddress1": "abcd@example.com"}, "a%d@example.com"),
    (Contact, "emailaddress1", {"emailaddress1": "abcd@example.com"}, "%@example.com"),
    (Contact, "emailaddress1", {"emailaddress1": "a\\b@example.com"}, "a\\\\b@example.com"),
    (Lead, "fullname", {"firstname": "Dana", "lastname": "Reyes"}, "D_na Reyes"),
    (Lead, "fullname", {"firstname": "Dana", "lastname": "Reyes"}, "Dana R_y_s"),
    (Account, "name", {"name": "Contoso"}, "Con_oso"),
    (Account, "name", {"name": "Contoso"}, "C_______"),
]


@pytest.mark.parametrize(
    ("kind", "field", "stored", "asked"),
    LIKE_TRAPS,
    ids=[f"{f}: {s} vs {a!r}" for _, f, s, a in LIKE_TRAPS],
)
def test_like_wildcards_in_lookups_match_only_themselves(
    store: Store, kind: type[Record], field: str, stored: dict[str, Any], asked: str
) -> None:
    other = kind(**stored)
    store.add(other)
    assert store.find(kind, field, asked) == []
    literal = kind(**{**stored, **_literal_fields(field, asked)})
    store.add(literal)
    assert store.find(kind, field, asked) == [literal]


def _literal_fields(field: str, asked: str) -> dict[str, Any]:
    """Fields of a record whose ``field`` is ``asked`` itself."""
    if field == "fullname":
        first, _, last = asked.rpartition(" ")
        return {"firstname": first, "lastname": last}
    return {field: asked}


def test_interaction_payloads_round_trip_exactly(store: Store) -> None:
    payload = {
        "long": "x" * 10_000,
        "nul": "a\x00b",
        "\x00key": "value",
        "quote": "'; DROP TABLE interactions; --",
        "backslash": "\\\\'\\\"",
        "emoji": "👩🏽‍💻",
        "rtl": "\u202e\u062f\u0627\u0646\u0627",
        "nested": [{"a": None, "b": [1, 2.5, True, False]}, "e\u0301"],
        "unicode escape text": "\\u0000",
    }
    store.add_interaction(Interaction(at=AT, leadid="lead-1", payload=payload))
    (got,) = store.interactions(leadid="lead-1")
    assert got.payload == payload
    assert got.payload is not None
    assert got.payload["long"] == "x" * 10_000
    assert got.payload["nul"] == "a\x00b"
