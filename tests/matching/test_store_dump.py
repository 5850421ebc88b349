"""Moving a store with ``dump``/``restore``, on SQLite and PostgreSQL (issue 23).

A populated store (records of all three kinds with consents and history, contact-point
consents, a deleted record's tombstone, suppressions, an anonymised record, interactions
and claims from the submission handler) is moved to the other backend and back: every
table's rows, every record, every ``can_send`` answer under both policies for every kind
of message, and the handler's outcome for replayed posts (a tombstoned address among them,
D14) are the same before and after. Each refusal (truncated, edited, unknown format or
version, a newer schema, a store that holds data) names its problem and leaves the store
as it was.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import importlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import (
    DEFAULT_POLICY,
    Account,
    ConsentValue,
    Contact,
    ContactPointConsent,
    DataConsent,
    Lead,
    LeadStatus,
    MessageKind,
    Policy,
    Record,
    Suppression,
    SuppressionReason,
    can_send,
)
from lifecycle.eligibility import Decision
from lifecycle.errors import FieldTypeError
from matching import ContactAction, LeadAction, SubmissionHandler
from matching.errors import DumpError
from matching.store import DumpReport, Store, dump, open_store, restore, schema
from matching.store.dumpfile import DERIVED, VERSION, column_codec, dumped_tables
from matching.store.engine import READ_ONLY, head_revision
from matching.store.tables.consents import contact_points
from tests.pgserver import fresh_database, require_postgres

UTC = dt.UTC
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
T1 = dt.datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=IST)
T2 = dt.datetime(2026, 2, 1, 9, tzinfo=UTC)
T3 = dt.datetime(2026, 2, 20, 16, 45, tzinfo=UTC)
AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
"""When eligibility is asked and posts are replayed: after everything the store holds."""

FORM_ID = "spring-webinar-form"
POLICIES = {"default": DEFAULT_POLICY, "data protection": Policy.data_protection()}
KINDS: tuple[type[Record], ...] = (Lead, Contact, Account)
TOMBSTONED = "dee.park@fabrikam.example"
DUMP_MODULE = importlib.import_module("matching.store.move")

ANA_POST = {
    "firstname": "Ana",
    "lastname": "Ruiz",
    "emailaddress1": " ANA.RUIZ@contoso.example",
    "jobtitle": "Practice manager",
    "msdyncrm_marketingformid": FORM_ID,
}
FAY_POST = {"firstname": "Fay", "lastname": "Nguyen", "emailaddress1": "fay@northwind.example"}
POSTS: tuple[dict[str, Any], ...] = (
    ANA_POST,
    {"firstname": "Dee", "lastname": "Park", "emailaddress1": TOMBSTONED},
    {"firstname": "Cy", "lastname": "Osei", "emailaddress1": "cy.osei@contoso.example"},
    {"firstname": "Bo", "lastname": "Lind", "emailaddress1": "bo.lind@contoso.example"},
    FAY_POST,
    {**FAY_POST, "jobtitle": "Buyer"},
)
"""Replayed after a move: a stored contact and lead, a tombstoned address (D14), an inactive
contact, an opted-out one, and a new person twice (created, then found)."""


# --- a populated store ---------------------------------------------------------------------


def populate(store: Store) -> None:
    """Rows in every table, of every kind eligibility and resolution read."""
    store.add(
        Account(id="acc-1", name="Contoso Ltd", emailaddress1="info@contoso.example", createdon=T1)
    )
    store.add(
        Contact(
            id="con-ana",
            firstname="Ana",
            lastname="Ruiz",
            emailaddress1="Ana.Ruiz@contoso.example",
            telephone1="+1 206 555 0100",
            parentcustomerid="acc-1",
            consents=[
                DataConsent(level=4, id="dc-1", given_on=T1, policy="web"),
                DataConsent(level=5, id="dc-2", valid_until=T2, explicit=False),
            ],
            createdon=T1,
            modifiedon=T1,
        )
    )
    store.add(
        Contact(
            id="con-bo",
            firstname="Bo",
            lastname="Lind",
            emailaddress1="bo.lind@contoso.example",
            donotbulkemail=True,
            consents=[DataConsent(level=2, id="dc-3", confidential=True)],
            createdon=T1,
        )
    )
    for record_id, first, last, email in (
        ("con-cy", "Cy", "Osei", "cy.osei@contoso.example"),
        ("con-dee", "Dee", "Park", TOMBSTONED),
        ("con-eve", "Eve", "Park", "eve@fabrikam.example"),
    ):
        store.add(Contact(id=record_id, firstname=first, lastname=last, emailaddress1=email))
    store.fire(Contact, "con-cy", "deactivate", at=T2, actor="sam", note="left the company")
    store.add(
        Lead(
            id="lead-ana",
            firstname="Ana",
            lastname="Ruiz",
            emailaddress1="ana.ruiz@contoso.example",
            parentcontactid="con-ana",
            msdyncrm_marketingformid=FORM_ID,
            consents=[DataConsent(level=3, id="dc-4")],
            createdon=T1,
            modifiedon=T1,
        )
    )
    store.fire(Lead, "lead-ana", "mark_contacted", at=T2, actor="sam", note="called back")
    store.add(Lead(id="lead-kim", lastname="Kim", emailaddress1="kim@fabrikam.example"))
    store.fire(Lead, "lead-kim", "disqualify", status_reason=LeadStatus.NO_LONGER_INTERESTED, at=T2)
    store.add(
        Lead(id="lead-lee", lastname="Lee", emailaddress1="lee@northwind.example", donotemail=True)
    )
    for point, value, extra in (
        ("bo.lind@contoso.example", ConsentValue.OPTED_OUT, {}),
        ("+12065550100", ConsentValue.OPTED_IN, {"source": "call"}),
        ("ana.ruiz@contoso.example", ConsentValue.OPTED_OUT, {"topic": "webinars"}),
    ):
        store.record_contact_point_consent(
            ContactPointConsent(contact_point=point, value=value, at=T2, **extra)
        )
    for address, reason, extra in (
        ("kim@fabrikam.example", SuppressionReason.HARD_BOUNCE, {"until": AT + dt.timedelta(90)}),
        ("lee@northwind.example", SuppressionReason.SPAM_COMPLAINT, {}),
        (
            "ana.ruiz@contoso.example",
            SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
            {"sending_account": "eu"},
        ),
        ("eve@fabrikam.example", SuppressionReason.HARD_BOUNCE, {}),
    ):
        store.add_suppression(Suppression(address=address, reason=reason, since=T1, **extra))
    store.delete(Contact, "con-dee", reason="asked to be removed", at=T2, actor="dpo")
    store.anonymize(Contact, "con-eve", at=T2, actor="dpo")
    handler = SubmissionHandler(store)
    handler.submit({**ANA_POST, "jobtitle": "Office manager"}, at=T3)
    handler.submit({"lastname": "Ross", "emailaddress1": "gil@northwind.example"}, at=T3)
    store.claim("account:name", "contoso", store.get(Account, "acc-1"))


# --- what a move must not change ------------------------------------------------------------


def contents(store: Store) -> dict[str, list[str]]:
    """Every row of every table, derived ones included: what a move must carry."""
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in schema.metadata.sorted_tables
        }


def records(store: Store) -> dict[str, list[Record]]:
    """Every stored record, loaded with its consents and history."""
    found: dict[str, list[Record]] = {}
    with store.transaction(readonly=True) as tx:
        for kind in KINDS:
            table = schema.RECORD_TABLES[kind]
            ids = sorted(
                tx.connection.execute(sa.select(table.c[schema.PRIMARY_KEY[kind]])).scalars()
            )
            found[kind.__name__] = list(tx.get_many(kind, ids))
    return found


def eligibility(store: Store) -> dict[tuple[str, str, str], Decision]:
    """``can_send`` for every contact and lead, under both policies, for every kind."""
    answers: dict[tuple[str, str, str], Decision] = {}
    for kind in (Contact, Lead):
        for record in records(store)[kind.__name__]:
            suppressions = store.suppressions_for([record.emailaddress1])
            ledger = store.contact_point_ledger(contact_points(record))
            for name, policy in POLICIES.items():
                for message in MessageKind:
                    answers[record.id, name, message.value] = can_send(
                        record,
                        message,
                        at=AT,
                        policy=policy,
                        suppressions=suppressions,
                        contact_points=ledger,
                        topic="webinars",
                    )
    return answers


def observe(store: Store) -> tuple[object, ...]:
    return contents(store), records(store), eligibility(store)


def replay(store: Store) -> list[str]:
    """The handler's outcome for each of ``POSTS``; the ids of the records and interactions
    a post creates are named by order of creation, since they are new on every store."""
    handler = SubmissionHandler(store)
    known = {r.id for group in records(store).values() for r in group}
    names: dict[str, str] = {}
    shapes = []
    for post in POSTS:
        outcome = handler.submit(post, at=AT)
        for new in (outcome.contact_id, outcome.lead_id, outcome.interaction_id):
            if new is not None and new not in known and new not in names:
                names[new] = f"<new-{len(names)}>"
        text = repr(outcome)
        for new, name in names.items():
            text = text.replace(new, name)
        shapes.append(text)
    return shapes


# --- fixtures -------------------------------------------------------------------------------


def _postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture
def other_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the backend ``store_url`` is not on."""
    if _postgres(store_url):
        yield str(tmp_path / "other.db")
        return
    with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture
def same_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the backend ``store_url`` is on."""
    if not _postgres(store_url):
        yield str(tmp_path / "same.db")
        return
    with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dump of a populated SQLite store (restore tests copy it before editing it)."""
    folder = tmp_path_factory.mktemp("dumped")
    with open_store(str(folder / "source.db")) as source:
        populate(source)
        dump(source, folder / "store.jsonl")
    return folder / "store.jsonl"


@pytest.fixture
def held(store: Store) -> Store:
    """The test's store, holding one lead: what every refused restore must leave alone."""
    store.add(Lead(id="lead-held", lastname="Held", emailaddress1="held@example.com"))
    return store


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(source: Path, target: Path, edit: Callable[[list[str]], list[str]]) -> Path:
    """``source`` with ``edit`` applied to its lines, its trailer's checksum made right
    again: a file that is wrong in what it says, not damaged."""
    body = edit(lines(source)[:-1])
    trailer = json.loads(lines(source)[-1])
    trailer["sha256"] = hashlib.sha256("".join(body).encode("utf-8")).hexdigest()
    target.write_text("".join(body) + json.dumps(trailer) + "\n", encoding="utf-8")
    return target


def refused(path: Path, store: Store, **options: Any) -> str:
    """The message of the restore's refusal; the store is left as it was."""
    before = contents(store)
    with pytest.raises(DumpError) as raised:
        restore(path, store, **options)
    assert contents(store) == before
    assert str(raised.value).startswith(f"cannot restore {path}: ")
    assert str(raised.value).endswith("; nothing was written.")
    return str(raised.value)


# --- the move -------------------------------------------------------------------------------


def test_a_move_to_the_other_backend_and_back_changes_nothing(
    store: Store, other_url: str, same_url: str, tmp_path: Path
) -> None:
    """SQLite → PostgreSQL → SQLite (and PostgreSQL → SQLite → PostgreSQL): every row, every
    record, every eligibility answer and every replayed post's outcome are the same."""
    populate(store)
    before = observe(store)
    decisions = eligibility(store)
    assert {d.allowed for d in decisions.values()} == {True, False}
    assert any(
        decisions[r, "default", m] != decisions[r, "data protection", m] for r, _, m in decisions
    )
    first = dump(store, tmp_path / "first.jsonl.gz")
    assert set(first.rows) == {t.name for t in dumped_tables()}
    assert (first.rows["tombstones"], first.rows["interactions"]) == (1, 2)
    with ExitStack() as stack:
        other = stack.enter_context(open_store(other_url))
        moved = restore(first.path, other)
        assert (moved.rows, moved.schema_revision) == (first.rows, head_revision())
        assert moved.rebuilt == {"match_keys": len(contents(store)["match_keys"])}
        assert observe(other) == before
        second = dump(other, tmp_path / "second.jsonl")
        back = stack.enter_context(open_store(same_url))
        restore(second.path, back)
        assert observe(back) == before
        outcomes = replay(store)
        assert replay(other) == outcomes
        assert replay(back) == outcomes
        blocked = SubmissionHandler(back).submit(POSTS[1], at=AT)
        assert (blocked.contact_action, blocked.lead_action) == (
            ContactAction.BLOCKED,
            LeadAction.BLOCKED,
        )
        assert "tombstoned" in blocked.codes


def test_a_dump_of_a_restored_store_is_the_same_file(
    store: Store, dumped: Path, tmp_path: Path
) -> None:
    """Restore, then dump again: the same rows, line for line (only the header's time
    differs)."""
    restore(dumped, store)
    again = dump(store, tmp_path / "again.jsonl")
    first, second = lines(dumped), lines(Path(again.path))
    assert len(first) == len(second)
    assert sorted(first[1:-1]) == sorted(second[1:-1])
    assert json.loads(first[-1])["rows"] == json.loads(second[-1])["rows"]


def test_ids_continue_after_a_restore(store: Store, dumped: Path) -> None:
    """New history, contact-point consents, suppressions and tombstones get ids after the
    restored ones (PostgreSQL's sequences are moved past them)."""
    restore(dumped, store)
    top = _top_ids(store)
    store.fire(Lead, "lead-lee", "disqualify", status_reason=LeadStatus.LOST, at=AT)
    store.record_contact_point_consent(
        ContactPointConsent(contact_point="new@example.com", value=ConsentValue.OPTED_IN, at=AT)
    )
    store.add_suppression(
        Suppression(address="new@example.com", reason=SuppressionReason.SPAM_COMPLAINT, since=AT)
    )
    store.delete(Lead, "lead-lee", at=AT)
    after = _top_ids(store)
    assert all(after[name] > top[name] for name in top), (top, after)


def _top_ids(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.max(t.autoincrement_column))).scalar_one())
            for t in schema.metadata.sorted_tables
            if t.autoincrement_column is not None
        }


def test_match_keys_are_rebuilt(store: Store, dumped: Path) -> None:
    """The dump carries no match keys; the restored records are found by them."""
    assert '"t":"match_keys"' not in dumped.read_text(encoding="utf-8")
    report = restore(dumped, store)
    assert report.rebuilt["match_keys"] > 0
    assert [r.id for r in store.find(Contact, "emailaddress1", "ANA.RUIZ@contoso.example")] == [
        "con-ana"
    ]


def test_replace_empties_the_store_first(held: Store, dumped: Path) -> None:
    """``replace=True`` restores into a store that holds data, which is gone afterwards."""
    report = restore(dumped, held, replace=True)
    assert not held.exists(Lead, "lead-held")
    assert held.count(Lead) == report.rows["leads"]


SAMPLES: dict[type, object] = {
    bool: True,
    int: 7,
    str: "Ana Ruíz",
    dict: {"utm_source": "ads", "n": 2},
    dt.datetime: dt.datetime(2026, 3, 2, 10, 30, 15, 250, tzinfo=UTC),
}
"""A value of each Python type the schema's columns hold."""


@pytest.mark.parametrize("table", schema.metadata.sorted_tables, ids=lambda t: t.name)
def test_every_table_is_dumped_or_derived(table: sa.Table) -> None:
    """A table added to the schema is carried by dumps unless it is named derived (rebuilt
    on restore), and each of its columns has a dump encoding that brings a value of its
    type back through JSON unchanged."""
    assert (table in dumped_tables()) != (table.name in DERIVED)
    for column in table.c:
        codec = column_codec(column)
        kind = column.type
        if isinstance(kind, sa.TypeDecorator):
            kind = kind.impl_instance
        value = SAMPLES[kind.python_type]
        encoded = value if codec.encode is None else codec.encode(value)
        assert codec.decode(json.loads(json.dumps(encoded))) == value, column.name


def test_report() -> None:
    """The report counts every table, and reads as one line plus one per table."""
    report = DumpReport("x.jsonl", "0001", "2026-03-02T10:30:00+00:00", {"leads": 2, "history": 1})
    assert (report.total, report.summary()) == (3, "3 rows of 2 tables (schema revision 0001)")
    assert report.lines() == ["leads:           2", "history:         1"]


# --- refusals -------------------------------------------------------------------------------


def test_a_store_that_holds_data_is_refused(held: Store, dumped: Path) -> None:
    """Without ``replace`` a store that holds anything is refused, naming what it holds."""
    message = refused(dumped, held)
    assert f"the store at {held.url} already holds data (leads: 1, match_keys: 1)" in message
    assert "restore with replace=True to replace it" in message


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (
            lambda text: text[: text.rindex("\n", 0, -1) + 1],
            r"it ends at line \d+ without its trailer: the file is truncated",
        ),
        (
            lambda text: text[: text.index("\n", len(text) // 2) - 5],
            r"line \d+: it is cut short: the file is truncated",
        ),
        (
            lambda text: text[: text.index("\n") + 1],
            "it ends at line 1 without its trailer: the file is truncated",
        ),
        (lambda text: "", "the file is empty: it is not a leadflow dump"),
    ],
    ids=["no trailer", "mid-line", "header only", "empty"],
)
def test_a_truncated_file_is_refused(
    held: Store, dumped: Path, tmp_path: Path, cut: Callable[[str], str], message: str
) -> None:
    """A file cut short anywhere is refused before anything is written, even with
    ``replace``."""
    path = tmp_path / "cut.jsonl"
    path.write_text(cut(dumped.read_text(encoding="utf-8")), encoding="utf-8")
    assert re.search(message, refused(path, held, replace=True))


def test_a_truncated_compressed_file_is_refused(held: Store, dumped: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(dumped.read_bytes())
    path.write_bytes(data[: len(data) * 2 // 3])
    message = refused(path, held, replace=True)
    assert "its compressed data ends early: the file is truncated" in message


def test_an_edited_row_is_refused(held: Store, dumped: Path, tmp_path: Path) -> None:
    """A row changed after the dump was written (still a valid row) fails the checksum."""
    path = tmp_path / "edited.jsonl"
    path.write_text(
        dumped.read_text(encoding="utf-8").replace('"Ruiz"', '"Ruis"', 1), encoding="utf-8"
    )
    message = refused(path, held, replace=True)
    last = len(lines(path))
    assert (
        f"line {last}: its content does not match the SHA-256 in its trailer: the file " in message
    )
    assert "was edited or damaged after it was written" in message


def test_a_wrong_count_in_the_trailer_is_refused(held: Store, dumped: Path, tmp_path: Path) -> None:
    text = dumped.read_text(encoding="utf-8")
    trailer = json.loads(lines(dumped)[-1])
    stated = trailer["rows"]["history"]
    trailer["rows"]["history"] = stated + 1
    path = tmp_path / "counted.jsonl"
    path.write_text("".join(lines(dumped)[:-1]) + json.dumps(trailer) + "\n", encoding="utf-8")
    assert text.count('{"t":"history"') == stated
    message = refused(path, held, replace=True)
    assert f"table 'history' has {stated} rows, the trailer says {stated + 1}" in message


def test_a_bad_value_is_refused_with_its_line(held: Store, dumped: Path, tmp_path: Path) -> None:
    """A value the column cannot hold names the line, the table and column, what it must
    be and what it was."""

    def edit(body: list[str]) -> list[str]:
        number = next(i for i, line in enumerate(body) if line.startswith('{"t":"history"'))
        row = json.loads(body[number])
        row["r"][4] = "yesterday"
        body[number] = json.dumps(row) + "\n"
        return body

    path = rewrite(dumped, tmp_path / "bad.jsonl", edit)
    number = next(i for i, line in enumerate(lines(path), 1) if "yesterday" in line)
    message = refused(path, held, replace=True)
    assert (
        f"line {number}: 'history.at' must be an ISO 8601 date-time with its UTC offset "
        "(got 'yesterday')" in message
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "csv"}, 'line 1: it is not a leadflow dump (no "format": "leadflow-dump")'),
        (
            {"version": VERSION + 1},
            f"line 1: 'version' must be {VERSION}, the dump format this leadflow reads "
            f"(got {VERSION + 1})",
        ),
        (
            {"schema_revision": "9999_from_the_future"},
            "line 1: its schema is at revision '9999_from_the_future', which this leadflow "
            f"does not know (its newest is '{head_revision()}'): upgrade leadflow to restore it",
        ),
        (
            {"compression": "zstd"},
            "line 1: its header has keys a version 1 dump does not have: ['compression']",
        ),
    ],
    ids=["format", "version", "newer schema", "unknown key"],
)
def test_an_unknown_header_is_refused(
    held: Store, dumped: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    """Another format, a newer format version, a schema revision this leadflow does not
    know or a header key it does not read is refused, naming it."""

    def edit(body: list[str]) -> list[str]:
        return [json.dumps({**json.loads(body[0]), **change}) + "\n", *body[1:]]

    path = rewrite(dumped, tmp_path / "header.jsonl", edit)
    assert message in refused(path, held, replace=True)


def test_a_file_changed_while_restoring_rolls_back(
    held: Store, dumped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second reading checks the file again: one edited between the two readings is
    refused inside the transaction, which rolls back the emptying and the rows written."""
    edited = tmp_path / "edited.jsonl"
    edited.write_text(
        dumped.read_text(encoding="utf-8").replace('"Ruiz"', '"Ruis"'), encoding="utf-8"
    )
    readings: list[Path] = []
    real = DUMP_MODULE.DumpReader

    def reader(path: Path) -> Any:
        readings.append(path)
        return real(edited if len(readings) == 2 else path)

    monkeypatch.setattr(DUMP_MODULE, "DumpReader", reader)
    before = contents(held)
    with pytest.raises(DumpError, match="does not match the SHA-256 in its trailer"):
        restore(dumped, held, replace=True)
    assert readings == [dumped, dumped]
    assert contents(held) == before


def test_a_dump_of_an_older_schema_restores_missing_columns_empty(
    store: Store, dumped: Path, tmp_path: Path
) -> None:
    """A table's column the dump does not have (one added after it was written) is restored
    empty, when it can be."""

    def edit(body: list[str]) -> list[str]:
        header = json.loads(body[0])
        leads = next(t for t in header["tables"] if t["name"] == "leads")
        index = leads["columns"].index("jobtitle")
        del leads["columns"][index]
        edited = [json.dumps(header) + "\n"]
        for line in body[1:]:
            row = json.loads(line)
            if row["t"] == "leads":
                del row["r"][index]
            edited.append(json.dumps(row) + "\n")
        return edited

    restore(rewrite(dumped, tmp_path / "older.jsonl", edit), store)
    assert store.get(Lead, "lead-ana").jobtitle is None
    assert store.get(Contact, "con-ana").jobtitle == "Office manager"


def test_bad_arguments(store: Store, dumped: Path, tmp_path: Path) -> None:
    with pytest.raises(FieldTypeError, match="'replace' must be True or False"):
        restore(dumped, store, replace="yes")  # type: ignore[arg-type]
    with pytest.raises(FieldTypeError, match="'store' must be a Store"):
        dump("leadflow.db", tmp_path / "x.jsonl")  # type: ignore[arg-type]
    message = refused(tmp_path / "absent.jsonl", store)
    assert "it cannot be read (No such file or directory)" in message
