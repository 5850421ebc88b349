"""What the submission handler reads the store with, on SQLite and PostgreSQL.

* ``Transaction.candidates``: records under match keys, as column values, each once,
  at most ``limit`` per key, newest first; the values equal the loaded record's;
* ``Transaction.children``: a contact's leads the same way;
* ``get(..., lock=True)`` and ``Transaction.version``;
* rows read on the DBAPI cursor (``Prepared``) equal rows read through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from lifecycle import Contact, InvalidFieldError, Lead, LeadStatus
from lifecycle.errors import FieldTypeError
from matching import normalize
from matching.store import Candidate, Store, schema

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def email_key(address: str) -> tuple[str, str]:
    key = normalize.email(address)
    assert key is not None
    return ("emailaddress1", key)


def stored_values(store: Store, kind: type[Contact] | type[Lead], record_id: str) -> dict[str, Any]:
    """The record's column values as SQLAlchemy reads them (the reference)."""
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(table).where(pk == record_id)).mappings().one()
    return {k: v for k, v in row.items() if k not in (pk.name, "version")}


def test_candidates_are_the_records_under_the_keys_newest_first(store: Store) -> None:
    older = Lead(id="a", emailaddress1="dana@example.com", modifiedon=at(1))
    newer = Lead(id="b", emailaddress1="DANA@example.com", modifiedon=at(5))
    undated = Lead(id="c", emailaddress1="dana@example.com", telephone1="+1 206 555 0100")
    other = Lead(id="d", emailaddress1="kim@example.com", modifiedon=at(9))
    store.add_many([older, newer, undated, other])

    with store.transaction(readonly=True) as tx:
        found = tx.candidates(Lead, [email_key("dana@example.com"), ("telephone1", "+12065550100")])

    assert [c.id for c in found] == ["b", "a", "c"], "each once, newest first, undated last"
    assert {c.record_type for c in found} == {"lead"}
    assert [c.modifiedon for c in found] == [at(5), at(1), None]
    assert all(c.version == 1 for c in found)


def test_candidate_values_equal_what_sqlalchemy_reads(store: Store) -> None:
    lead = Lead(
        id="l1",
        firstname="Zoë",
        lastname="O'Brien",
        emailaddress1="zoe@bücher.example",
        donotemail=True,
        createdon=at(0),
        modifiedon=at(2),
    )
    lead.disqualify(LeadStatus.CANNOT_CONTACT, at=at(2))
    store.add(lead)

    with store.transaction(readonly=True) as tx:
        (candidate,) = tx.candidates(Lead, [email_key("zoe@bücher.example")])

    assert dict(candidate.values) == stored_values(store, Lead, "l1")
    assert candidate.values["donotemail"] is True
    assert (candidate.values["statecode"], candidate.values["statuscode"]) == (
        lead.statecode,
        lead.statuscode,
    )
    assert candidate.values["modifiedon"].tzinfo is not None


def test_candidates_are_capped_per_key(store: Store) -> None:
    """A block larger than the cap gives a stable sample of it (the first ids in the key's
    index, whatever their age), newest first; a block within the cap comes whole."""
    store.add_many(
        [
            Contact(id=f"c{i}", firstname="Dana", lastname="Reyes", modifiedon=at(10 - i))
            for i in range(7)
        ]
    )
    key = normalize.person("Dana", "Reyes")
    assert key is not None

    with store.transaction(readonly=True) as tx:
        capped = tx.candidates(Contact, [("fullname", key)], limit=3)
        whole = tx.candidates(Contact, [("fullname", key)], limit=7)
        again = tx.candidates(Contact, [("fullname", key)], limit=3)

    assert [c.id for c in capped] == ["c0", "c1", "c2"], "newest first"
    assert [c.id for c in whole] == [f"c{i}" for i in range(7)]
    assert again == capped


@pytest.mark.parametrize(
    ("keys", "limit", "error"),
    [
        ([("companyname", "contoso")], 10, InvalidFieldError),
        ([("emailaddress1", 7)], 10, FieldTypeError),
        ([], 0, InvalidFieldError),
        ([], True, InvalidFieldError),
    ],
    ids=["not a keyed field", "a key that is not text", "limit 0", "limit True"],
)
def test_candidates_refuse_bad_arguments(
    store: Store, keys: list[tuple[str, object]], limit: object, error: type[Exception]
) -> None:
    with store.transaction(readonly=True) as tx, pytest.raises(error):
        tx.candidates(Contact, keys, limit=limit)  # type: ignore[arg-type]


def test_a_key_no_database_can_hold_finds_nothing(store: Store) -> None:
    store.add(Contact(id="c1", emailaddress1="dana@example.com"))
    with store.transaction(readonly=True) as tx:
        assert tx.candidates(Contact, [("emailaddress1", "dana\x00@example.com")]) == []
        assert tx.children(Lead, "parentcontactid", "c1\x00") == []


def test_children_are_a_contacts_leads_newest_first(store: Store) -> None:
    store.add(Contact(id="c1", emailaddress1="dana@example.com"))
    store.add_many(
        [
            Lead(id="l1", parentcontactid="c1", modifiedon=at(1)),
            Lead(id="l2", parentcontactid="c1", modifiedon=at(3)),
            Lead(id="l3", parentcontactid="c2", modifiedon=at(4)),
        ]
    )
    with store.transaction(readonly=True) as tx:
        found = tx.children(Lead, "parentcontactid", "c1")
        capped = tx.children(Lead, "parentcontactid", "c1", limit=1)
        with pytest.raises(InvalidFieldError):
            tx.children(Lead, "companyname", "c1")

    assert [c.id for c in found] == ["l2", "l1"]
    assert [c.id for c in capped] == ["l2"]
    assert all(isinstance(c, Candidate) and c.values["parentcontactid"] == "c1" for c in found)


def test_version_is_what_the_record_was_loaded_or_saved_at(store: Store) -> None:
    store.add(Contact(id="c1", emailaddress1="dana@example.com"))
    with store.transaction() as tx:
        contact = tx.get(Contact, "c1", lock=True)
        assert tx.version(contact) == 1
        contact.update(jobtitle="Buyer")
        tx.save(contact)
        assert tx.version(contact) == 2
        assert tx.version(Contact(id="c9")) is None
    with store.transaction(readonly=True) as tx:
        (candidate,) = tx.candidates(Contact, [email_key("dana@example.com")])
    assert candidate.version == 2


def test_a_locked_record_makes_a_second_writer_wait(store: Store) -> None:
    """``lock=True`` holds the row (PostgreSQL ``FOR UPDATE``; SQLite's write lock): a second
    writer waits, then reads the first one's save instead of failing its own."""
    store.add(Contact(id="c1", emailaddress1="dana@example.com", jobtitle="1"))
    holding = threading.Event()
    seen: list[str | None] = []

    def second() -> None:
        holding.wait(10)
        with store.transaction() as tx:
            contact = tx.get(Contact, "c1", lock=True)
            seen.append(contact.jobtitle)
            contact.update(jobtitle=str(int(contact.jobtitle or "0") + 1))
            tx.save(contact)

    worker = threading.Thread(target=second)
    worker.start()
    with store.transaction() as tx:
        contact = tx.get(Contact, "c1", lock=True)
        holding.set()
        time.sleep(0.3)
        contact.update(jobtitle="2")
        tx.save(contact)
    worker.join(20)

    assert seen == ["2"], "the second writer waited and read the first one's save"
    assert store.get(Contact, "c1").jobtitle == "3"


def test_candidates_are_frozen_values() -> None:
    candidate = Candidate("lead", "l1", None, {"firstname": "Dana"}, 1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        candidate.id = "l2"  # type: ignore[misc]
