"""Driver errors mapped to the store's errors, so none reaches a caller.

SQLAlchemy, ``sqlite3`` and ``psycopg`` (``psycopg.errors`` included) raise their own
exception classes; the store turns each into a :class:`~matching.errors.StoreError`
raised ``from`` the original, at every boundary a driver error can cross (a store
method or transaction, :func:`~matching.store.open_store`, a migration, a bulk export,
a prepared statement):

* a lock held past the busy timeout (SQLite ``SQLITE_BUSY``/"database is locked",
  PostgreSQL ``lock_not_available``) → :class:`~matching.errors.StoreBusy`;
* a lost race (a unique key another writer stored first, a deadlock, a serialization
  failure) → :class:`~matching.errors.ConflictError`: retrying the transaction is safe;
* a database that cannot be reached (refused or lost connections, a server shutting
  down, a file that cannot be opened) → :class:`~matching.errors.StoreUnavailable`;
* anything else → :class:`~matching.errors.StoreError`.

Only the driver message's first line is kept: the SQL and its parameters, which may
hold personal data, stay in ``__cause__``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from matching.errors import ConflictError, StoreBusy, StoreError, StoreUnavailable

Kind = Literal["busy", "conflict", "unavailable", "error"]
"""What a driver error means for the caller (see the module docstring)."""

DEFAULT_BUSY_TIMEOUT = 60.0
"""Seconds a connection waits for another writer's lock before :class:`StoreBusy`."""


@attrs.frozen
class Where:
    """The store an error happened in: ``store`` (a SQLite file's path, or the URL with
    the password hidden) and the busy timeout its connections wait for a lock."""

    store: str
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT

    @classmethod
    def of(cls, url: URL, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Where:
        """Where ``url`` is: a SQLite file by its absolute path, a server by its URL."""
        if url.get_backend_name() == "sqlite":
            database = url.database or ":memory:"
            if database != ":memory:":
                database = os.path.abspath(os.path.expanduser(database))
            return cls(database, busy_timeout)
        return cls(url.render_as_string(hide_password=True), busy_timeout)


_WHERE: weakref.WeakKeyDictionary[Engine, Where] = weakref.WeakKeyDictionary()


def register(engine: Engine, where: Where) -> None:
    """Remember where ``engine`` connects, for errors raised on its connections."""
    _WHERE[engine] = where


def where_of(engine: Engine) -> Where:
    """Where ``engine`` connects (as registered by ``create_engine``)."""
    found = _WHERE.get(engine)
    return found if found is not None else Where.of(engine.url)


# --------------------------------------------------------------------------- classifying

_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")
_SQLITE_UNAVAILABLE = ("unable to open database file", "cannot operate on a closed database")
_SQLITE_NOT_RACES = ("not null constraint", "check constraint", "foreign key constraint")

_PG_CONFLICTS = frozenset({"23000", "23505", "23P01", "40000", "40001", "40002", "40P01"})
"""Unique and exclusion violations, serialization failures and deadlocks: another writer
got there first, and the transaction can be retried."""
_PG_UNAVAILABLE = frozenset({"53300", "57P01", "57P02", "57P03", "57P05"})
"""Too many connections, the server shutting down, crashed or starting, an idle
session ended; plus the whole connection-exception class ``08``."""
_PG_BUSY = frozenset({"55P03"})
"""``lock_not_available``: ``lock_timeout`` (the busy timeout) ran out, or ``NOWAIT``."""


def _psycopg() -> Any:
    """The psycopg module if loaded: a psycopg error can only exist once it is."""
    return sys.modules.get("psycopg")


def is_driver_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an exception of SQLAlchemy, sqlite3 or psycopg."""
    if isinstance(exc, sa.exc.SQLAlchemyError | sqlite3.Error | sqlite3.Warning):
        return not isinstance(exc, Warning)
    pg = _psycopg()
    return pg is not None and isinstance(exc, pg.Error | pg.Warning)


def classify(exc: BaseException) -> Kind:
    """What the driver error ``exc`` means (its wrapped DBAPI error decides, if any)."""
    orig = getattr(exc, "orig", None) if isinstance(exc, sa.exc.StatementError) else None
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return "unavailable"
    if orig is not None and orig is not exc and is_driver_error(orig):
        return classify(orig)
    if isinstance(exc, sqlite3.Error):
        return _sqlite_kind(exc)
    pg = _psycopg()
    if pg is not None and isinstance(exc, pg.Error):
        return _psycopg_kind(exc, pg)
    if isinstance(exc, sa.exc.DisconnectionError | sa.exc.InterfaceError | sa.exc.TimeoutError):
        return "unavailable"
    if isinstance(exc, sa.exc.IntegrityError):
        return "conflict"
    return "error"


def _sqlite_kind(exc: sqlite3.Error) -> Kind:
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc).casefold()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or any(m in text for m in _SQLITE_BUSY):
        return "busy"
    if isinstance(exc, sqlite3.IntegrityError):
        if name.endswith(("_NOTNULL", "_CHECK", "_FOREIGNKEY", "_TRIGGER")):
            return "error"
        return "error" if any(m in text for m in _SQLITE_NOT_RACES) else "conflict"
    if name.startswith("SQLITE_CANTOPEN") or any(m in text for m in _SQLITE_UNAVAILABLE):
        return "unavailable"
    return "error"


def _psycopg_kind(exc: BaseException, pg: Any) -> Kind:
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is None:
        errors = pg.errors
        if isinstance(exc, errors.PipelineAborted | errors.CancellationTimeout):
            return "error"
        if isinstance(exc, pg.OperationalError | pg.InterfaceError):
            return "unavailable"  # client side: connecting failed, the connection was lost
        if isinstance(exc, pg.IntegrityError):
            return "conflict"
        return "error"
    if sqlstate in _PG_BUSY:
        return "busy"
    if sqlstate in _PG_CONFLICTS:
        return "conflict"
    if sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE:
        return "unavailable"
    return "error"


# --------------------------------------------------------------------------- mapping


def _reason(exc: BaseException) -> str:
    """The driver's message, first line only (never the SQL or its parameters)."""
    orig = getattr(exc, "orig", None) if isinstance(exc, sa.exc.StatementError) else None
    source = orig if isinstance(orig, BaseException) else exc
    lines = str(source).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if isinstance(exc, sa.exc.SQLAlchemyError) and source is exc:
        text = text.split(" (Background on this error", 1)[0]
    return text or type(source).__name__


def store_error(exc: BaseException, where: Where, *, doing: str | None = None) -> StoreError:
    """The store error that driver error ``exc`` means (``exc`` itself if it is one).

    ``doing`` words a failure to open or migrate the store (``"open"``: "cannot open the
    store at ...")."""
    if isinstance(exc, StoreError):
        return exc
    kind = classify(exc)
    reason = _reason(exc)
    if kind == "busy":
        return StoreBusy(where.store, where.busy_timeout)
    if kind == "conflict":
        detail = f"it lost a race with another writer and was rolled back ({reason}); retry it"
        return ConflictError("transaction", where.store, None, None, detail)
    if kind == "unavailable":
        return StoreUnavailable(f"cannot {doing or 'reach'} the store at {where.store}: {reason}")
    if doing is not None:
        return StoreError(f"cannot {doing} the store at {where.store}: {reason}")
    return StoreError(f"the store at {where.store} failed: {reason}")


@contextmanager
def mapped(where: Where, *, doing: str | None = None) -> Iterator[None]:
    """Raise the store error a driver error inside the block means, ``from`` it."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if not is_driver_error(exc):
            raise
        raise store_error(exc, where, doing=doing) from exc
