"""Engines for the two supported databases, and schema migration on open.

SQLite (the embedded default) runs in WAL mode, with every write transaction
started ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of
failing half-way; reads start a plain deferred ``BEGIN``. Its WAL is checkpointed
in the background (:mod:`matching.store.checkpoint`). PostgreSQL uses psycopg.
"""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from matching.errors import SchemaVersionError, StoreConfigError
from matching.store import failures
from matching.store.checkpoint import WAL_SIZE_LIMIT, Checkpointer
from matching.store.failures import DEFAULT_BUSY_TIMEOUT, Where

DEFAULT_PATH = "leadflow.db"
"""The SQLite file ``open_store()`` uses when given no URL."""

BUSY_TIMEOUT_S = DEFAULT_BUSY_TIMEOUT
"""How long a writer waits for another writer's lock by default before giving up."""

SQLITE_CACHE_KIB = 32 * 1024
"""SQLite's page cache per connection (its default is 2 MiB): the upper levels of the
indexes a submission walks stay in memory instead of being read again for every row."""

SQLITE_MMAP_BYTES = 4 << 30
"""How much of the database file SQLite reads through a memory map rather than a read
call per page; only address space, the pages are the OS page cache's."""

READ_ONLY = "leadflow_read"
"""Execution option marking a connection whose transaction only reads."""

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 72_716_001
"""PostgreSQL advisory lock id serialising concurrent migrations."""


def parse_url(url: str | os.PathLike[str] | None) -> URL:
    """The SQLAlchemy URL for ``url``: ``None`` → ``leadflow.db``, a bare path → SQLite."""
    if url is None:
        url = DEFAULT_PATH
    text = os.fspath(url)
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        parsed = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreConfigError(
            f"'url' must be a database URL or a file path (got {text!r})."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed
    raise StoreConfigError(
        f"'url' must name SQLite or PostgreSQL (got {parsed.drivername!r} in "
        f"{parsed.render_as_string(hide_password=True)!r})."
    )


def check_busy_timeout(value: object) -> float:
    """``value`` as a busy timeout in seconds: a positive, finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value < float("inf")
    ):
        raise StoreConfigError(
            f"'busy_timeout' must be a positive number of seconds (got {value!r})."
        )
    return float(value)


def create_engine(url: URL, *, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT_S) -> Engine:
    """An engine for ``url`` with leadflow's connection settings; a writer waits
    ``busy_timeout`` seconds for another writer's lock before :class:`StoreBusy`."""
    wait = check_busy_timeout(busy_timeout)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, echo, wait)
    else:
        engine = sa.create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            connect_args={"options": f"-c lock_timeout={max(1, round(wait * 1000))}"},
        )
    failures.register(engine, Where.of(url, wait))
    ref = weakref.ref(engine)

    def _after_fork() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)
    return engine


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()


def close_engine(engine: Engine) -> None:
    """Release an engine's connections and stop its background checkpoints."""
    checkpointer = _CHECKPOINTERS.pop(engine, None)
    if checkpointer is not None:
        checkpointer.close()
    engine.dispose()


def _sqlite_engine(url: URL, echo: bool, wait: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    checkpointer: Checkpointer | None = None
    if not memory:
        assert url.database is not None
        path = Path(url.database).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        checkpointer = Checkpointer(str(path))
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"timeout": wait, "check_same_thread": False},
        **({"poolclass": StaticPool} if memory else {}),
    )

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={max(1, round(wait * 1000))}")
        if not memory:
            _use_wal(cursor, wait)
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        read = connection.get_execution_options().get(READ_ONLY, False)
        if not read and checkpointer is not None:
            checkpointer.writing()
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    if checkpointer is not None:
        _CHECKPOINTERS[engine] = checkpointer
        weakref.finalize(engine, checkpointer.close, None)

        @sa.event.listens_for(engine, "commit")
        def _commit(connection: Connection) -> None:
            checkpointer.committed()

    return engine


def _use_wal(cursor: Any, wait: float) -> None:
    """Switch the file to WAL once. The switch needs the file to itself and SQLite does
    not wait on its busy handler for it, so processes opening a new file at once retry."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for leadflow's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this leadflow writes."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The schema revision the database is at; ``None`` when it has no leadflow schema."""
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, *, allowed: bool = True) -> str:
    """Bring the schema to the head revision; concurrent callers migrate it once.

    Returns the revision. Raises :class:`SchemaVersionError` when the database is
    newer than this leadflow, or older and ``allowed`` is false. A schema already at
    the head is only read: opening a current store takes no write lock, so it does not
    wait behind another writer.
    """
    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    with failures.mapped(failures.where_of(engine), doing="open"):
        with engine.connect() as reading, reading.execution_options(**{READ_ONLY: True}).begin():
            current = current_revision(reading)
        if current == head:
            return head
        return _migrate(engine, script, head, allowed=allowed)


def _migrate(engine: Engine, script: ScriptDirectory, head: str, *, allowed: bool) -> str:
    """:func:`migrate`'s writing part, under the write lock (SQLite) or an advisory lock
    (PostgreSQL), so that concurrent openers migrate once."""
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK}
            )
        current = current_revision(connection)
        if current == head:
            return head
        if current is not None and current not in {r.revision for r in script.walk_revisions()}:
            raise SchemaVersionError(
                f"the database schema is at revision {current!r}, which this leadflow does not "
                f"know (its newest is {head!r}): upgrade leadflow."
            )
        if not allowed:
            raise SchemaVersionError(
                f"the database schema is at revision {current!r}, older than {head!r}; "
                "open it with migrate_schema=True (or run `leadflow db upgrade`) to migrate it."
            )
        command.upgrade(alembic_config(connection), "head")
    return head
