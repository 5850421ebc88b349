"""Driver errors never reach a caller (issue 19, bugs 4 and 5).

Every exception class of SQLAlchemy, ``sqlite3`` and psycopg is mapped to a store error
(the model is httpx's ``test_httpcore_all_exceptions_mapped``); a locked SQLite file is a
typed ``StoreBusy`` after the wait the caller set; a lost race is the retryable
``ConflictError``; an unreachable server is ``StoreUnavailable`` without its password.
"""

from __future__ import annotations

import inspect
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lifecycle import Contact, Lead, LeadflowError
from matching import ConflictError, StoreError, SubmissionHandler
from matching.cli import cli
from matching.errors import StoreBusy, StoreConfigError, StoreUnavailable
from matching.store import Store, Transaction, open_store
from matching.store.failures import Where, classify, is_driver_error, mapped, store_error

WHERE = Where("/data/leadflow.db", 2.5)


def _classes(module: Any, base: tuple[type[BaseException], ...]) -> list[type[BaseException]]:
    return sorted(
        (
            c
            for c in vars(module).values()
            if inspect.isclass(c) and issubclass(c, base) and not issubclass(c, Warning)
        ),
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance of a driver exception class, whatever its constructor needs."""
    if issubclass(cls, sa.exc.StatementError):
        return cls("boom", "SELECT 1", {}, sqlite3.OperationalError("boom"))  # type: ignore[call-arg]
    for args in (("boom",), ()):
        try:
            return cls(*args)
        except TypeError:
            continue
    return cls.__new__(cls)


DRIVER_CLASSES = [
    *_classes(sa.exc, (sa.exc.SQLAlchemyError,)),
    *_classes(sqlite3, (sqlite3.Error,)),
    *_classes(psycopg, (psycopg.Error,)),
    *_classes(psycopg.errors, (psycopg.Error,)),
]


def test_the_enumeration_sees_every_driver() -> None:
    """The table below is not vacuous: it holds each driver's base and leaves."""
    for cls in (
        sa.exc.OperationalError,
        sa.exc.IntegrityError,
        sqlite3.IntegrityError,
        psycopg.OperationalError,
        psycopg.errors.UniqueViolation,
        psycopg.errors.LockNotAvailable,
    ):
        assert cls in DRIVER_CLASSES
    assert len(DRIVER_CLASSES) > 250


@pytest.mark.parametrize("cls", DRIVER_CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_driver_exception_class_is_mapped(cls: type[BaseException]) -> None:
    """Raised inside ``mapped``, every driver exception comes out as a store error,
    ``from`` the original, and a store error still reads as the builtin it means."""
    original = _instance(cls)
    assert is_driver_error(original)
    with pytest.raises(StoreError) as raised, mapped(WHERE):
        raise original
    assert isinstance(raised.value, LeadflowError)
    assert raised.value.__cause__ is original
    assert WHERE.store in str(raised.value)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), StoreBusy),
        (sqlite3.OperationalError("database table is locked"), StoreBusy),
        (sqlite3.IntegrityError("UNIQUE constraint failed: leads.leadid"), ConflictError),
        (sqlite3.IntegrityError("NOT NULL constraint failed: leads.version"), StoreError),
        (sqlite3.OperationalError("unable to open database file"), StoreUnavailable),
        (sqlite3.OperationalError("disk I/O error"), StoreError),
        (sqlite3.DatabaseError("file is not a database"), StoreError),
        (psycopg.errors.UniqueViolation("duplicate key"), ConflictError),
        (psycopg.errors.SerializationFailure("could not serialize"), ConflictError),
        (psycopg.errors.DeadlockDetected("deadlock detected"), ConflictError),
        (psycopg.errors.LockNotAvailable("canceling statement: lock timeout"), StoreBusy),
        (psycopg.errors.AdminShutdown("terminating connection"), StoreUnavailable),
        (psycopg.errors.ConnectionFailure("connection failure"), StoreUnavailable),
        (psycopg.OperationalError("connection refused"), StoreUnavailable),
        (psycopg.errors.NotNullViolation("null value"), StoreError),
        (psycopg.errors.UndefinedTable("relation does not exist"), StoreError),
        (
            sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint")),
            ConflictError,
        ),
        (
            sa.exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")),
            StoreBusy,
        ),
        (sa.exc.TimeoutError("QueuePool limit reached"), StoreUnavailable),
        (sa.exc.InvalidRequestError("bad request"), StoreError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
def test_each_kind_of_failure_gets_its_own_error(
    error: BaseException, expected: type[StoreError]
) -> None:
    """A lost race is retryable, a lock past the wait is busy, an unreachable database is
    unavailable, anything else a store error; none of them is the wrong one of these."""
    mapped_error = store_error(error, WHERE)
    assert type(mapped_error) is expected
    kinds = {ConflictError: "conflict", StoreBusy: "busy", StoreUnavailable: "unavailable"}
    assert classify(error) == kinds.get(expected, "error")


def test_the_message_keeps_the_drivers_first_line_only() -> None:
    """The SQL and its parameters (personal data) stay in ``__cause__``."""
    error = sa.exc.OperationalError(
        "INSERT INTO leads VALUES (?)", ("dana@example.com",), sqlite3.OperationalError("disk I/O")
    )
    message = str(store_error(error, WHERE))
    assert "disk I/O" in message
    assert "dana@example.com" not in message
    assert "INSERT" not in message


def test_a_non_driver_error_passes_through_unchanged() -> None:
    with pytest.raises(KeyError), mapped(WHERE):
        raise KeyError("not the database's")


# --- bug 4: a locked SQLite file ----------------------------------------------------------


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A current store file whose write lock another connection holds."""
    path = tmp_path / "leadflow.db"
    open_store(str(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield path
    finally:
        holder.rollback()
        holder.close()


def test_a_locked_store_is_a_typed_timeout_after_the_callers_wait(locked: Path) -> None:
    """A locked file gave 60 s of silence, then a bare "database is locked". Now opening
    it (its schema is current) takes no write lock and does not wait; a write waits the
    caller's busy timeout and raises StoreBusy, a TimeoutError naming the file and the
    wait; nothing is written."""
    started = time.monotonic()
    store = open_store(str(locked), busy_timeout=0.3)
    assert time.monotonic() - started < 0.3
    with store:
        assert store.count(Lead) == 0
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            store.add(Lead(lastname="Waits"))
        waited = time.monotonic() - started
    busy = raised.value
    assert isinstance(busy, StoreBusy)
    assert isinstance(busy, LeadflowError)
    assert isinstance(busy.__cause__, sa.exc.OperationalError | sqlite3.OperationalError)
    assert 0.25 <= waited < 10
    assert str(locked) in str(busy)
    assert "0.3 s" in str(busy)
    assert "busy_timeout=SECONDS" in str(busy)
    assert busy.describe(command_line=True).endswith("--busy-timeout SECONDS.")


def test_the_command_line_reports_a_locked_store_in_one_line(locked: Path, tmp_path: Path) -> None:
    """Every command that opens a store takes --busy-timeout; a lock held past it is one
    readable line naming the flag, exit code 1, no traceback."""
    rows = tmp_path / "leads.csv"
    rows.write_text("leadid,statecode,statuscode,lastname\nl-1,0,1,Waits\n", encoding="utf-8")
    forms = tmp_path / "forms.jsonl"
    forms.write_text('{"emailaddress1": "dana@example.com"}\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    for args in (
        ["db", "import", "lead", str(rows)],
        ["submit", str(forms)],
        ["db", "upgrade"],
        ["db", "export", "lead", str(out)],
    ):
        done = CliRunner().invoke(cli, [*args, "--db", str(locked), "--busy-timeout", "0.2"])
        if args[:2] in (["db", "upgrade"], ["db", "export"]):
            assert done.exit_code == 0, done.output  # reading a current store needs no lock
            continue
        assert done.exit_code == 1, done.output
        assert "Traceback" not in done.output
        assert not isinstance(done.exception, sqlite3.Error)
        assert "is busy" in done.output
        assert "--busy-timeout SECONDS" in done.output
        assert "busy_timeout=" not in done.output
    with open_store(str(locked)) as store:
        assert store.count(Lead) == 0


@pytest.mark.parametrize("wait", [0, -1, "60", True, float("nan"), float("inf")])
def test_a_busy_timeout_must_be_a_positive_number(tmp_path: Path, wait: Any) -> None:
    with pytest.raises(StoreConfigError, match="'busy_timeout' must be a positive number"):
        open_store(str(tmp_path / "leadflow.db"), busy_timeout=wait)
    assert not (tmp_path / "leadflow.db").exists()


# --- bug 5: lost races and unreachable servers ---------------------------------------------


def test_a_duplicate_id_past_the_pre_check_is_a_conflict(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent insert of the same id (simulated: the pre-check sees nothing) raised a
    bare sqlite3.IntegrityError from the raw-cursor path; now it is the retryable
    ConflictError, raised from the driver's error, and nothing of the second is kept."""
    store.add(Lead(id="l-1", lastname="First"))
    monkeypatch.setattr(Transaction, "_versions", lambda self, kind, ids: {})
    with pytest.raises(ConflictError) as raised:
        store.add(Lead(id="l-1", lastname="Second"))
    assert raised.value.__cause__ is not None
    assert not isinstance(raised.value, sa.exc.SQLAlchemyError)
    assert store.get(Lead, "l-1").lastname == "First"


def test_the_handler_retries_a_lost_race_the_driver_reported(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt's insert loses a race (the driver's unique violation); the
    handler retries on fresh data and the submission lands once."""
    original = Transaction.add_many
    calls = []

    def losing_once(self: Transaction, records: Any, **options: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            self.connection.exec_driver_sql(
                "INSERT INTO claims (strategy, key, record_type, record_id) "
                "VALUES ('x', 'y', 'contact', 'c'), ('x', 'y', 'contact', 'c')"
            )
        return original(self, records, **options)

    monkeypatch.setattr(Transaction, "add_many", losing_once)
    outcome = SubmissionHandler(store).submit({"emailaddress1": "dana@example.com"})
    assert outcome.contact_id is not None
    assert len(calls) > 1
    assert store.count(Contact) == 1


def test_an_unreachable_server_is_unavailable_without_its_password() -> None:
    """A refused connection is StoreUnavailable (a ConnectionError) naming the URL with
    its password hidden."""
    with pytest.raises(ConnectionError) as raised:
        open_store("postgresql://dana:s3cret@127.0.0.1:1/crm", busy_timeout=1)
    assert isinstance(raised.value, StoreUnavailable)
    assert "s3cret" not in str(raised.value)
    assert "127.0.0.1:1/crm" in str(raised.value)


@pytest.mark.parametrize(
    "store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_lock_held_past_the_wait_on_postgresql_is_busy(store: Store) -> None:
    """The busy timeout is PostgreSQL's lock timeout too: a row another transaction
    holds is StoreBusy after the wait, not an endless wait."""
    store.add(Lead(id="l-1", lastname="Held"))
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.transaction() as tx:
            tx.get(Lead, "l-1", lock=True)
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        impatient = open_store(store.engine.url.render_as_string(False), busy_timeout=0.2)
        with impatient, pytest.raises(StoreBusy), impatient.transaction() as tx:
            tx.get(Lead, "l-1", lock=True)
    finally:
        release.set()
        holder.join()
