"""The record store: ``lifecycle`` records, their consents and history, in SQLite or PostgreSQL.

Every write happens inside one database transaction, so a refused operation
leaves nothing behind. Saving a record checks the version it was loaded at
(optimistic concurrency): a writer that lost a race gets :class:`ConflictError`,
never a silent overwrite.

A :class:`Transaction`'s operations come from one module per group of tables
(:mod:`matching.store.tables`); :class:`Store` runs them one transaction each.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Connection, Engine

from lifecycle import Record, Transitioned
from lifecycle.clock import require_aware
from matching.errors import ConflictError
from matching.store import failures
from matching.store.engine import (
    BUSY_TIMEOUT_S,
    READ_ONLY,
    close_engine,
    create_engine,
    migrate,
    parse_url,
)
from matching.store.tables.base import OnExisting, Tracker
from matching.store.tables.claims import ClaimOperations
from matching.store.tables.consents import ConsentOperations
from matching.store.tables.interactions import InteractionOperations
from matching.store.tables.records import RecordOperations
from matching.store.tables.suppressions import SuppressionOperations
from matching.store.tables.tombstones import TombstoneOperations

__all__ = ["OnExisting", "Store", "Transaction", "open_store"]


class Transaction(
    RecordOperations,
    ConsentOperations,
    ClaimOperations,
    TombstoneOperations,
    SuppressionOperations,
    InteractionOperations,
):
    """Reads and writes inside one database transaction; see :meth:`Store.transaction`."""

    def __init__(self, store: Store, connection: Connection) -> None:
        super().__init__(connection, store._tracker)
        self._store = store


_READING: dict[str, dict[str, Any]] = {
    "sqlite": {READ_ONLY: True},
    "postgresql": {READ_ONLY: True, "isolation_level": "REPEATABLE READ"},
}
"""How a read-only transaction runs: every statement sees the same state of the store (a
repeatable read on PostgreSQL, whose default would let one table and the next disagree; a
SQLite read transaction in WAL mode already is one)."""

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _one_transaction(
    method: Callable[Concatenate[Transaction, _P], _T], *, readonly: bool = False
) -> Callable[Concatenate[Store, _P], _T]:
    """A :class:`Store` method that runs the :class:`Transaction` method ``method`` in a
    transaction of its own (read-only when ``readonly``), with its signature and docstring.

    The transaction's method is looked up by name on each call, so a patched
    ``Transaction.save`` is the one a ``Store.save`` runs."""
    name = method.__name__

    @functools.wraps(method)
    def run(self: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self.transaction(readonly=readonly) as tx:
            result: _T = getattr(tx, name)(*args, **kwargs)
            return result

    run.__qualname__ = f"Store.{name}"
    run.__module__ = __name__
    return run


class Store:
    """Records in a database; open one with :func:`open_store`.

    One ``Store`` is safe to share between threads; each process opens its own.
    Every method runs in its own transaction; group several with :meth:`transaction`.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._tracker = Tracker()
        self._where = failures.where_of(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for queries leadflow does not offer."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"<Store {self.url}>"

    def close(self) -> None:
        """Release the store's connections."""
        close_engine(self._engine)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        """One database transaction: committed when the block ends, rolled back if it raises.

        Records loaded inside it remember their version, so a later :meth:`save`
        (inside or outside) detects a concurrent change. A database failure inside it
        is raised as a :class:`StoreError` (``from`` the driver's error): a lost race
        as :class:`ConflictError` (retry the block), a lock held past the busy timeout
        as :class:`StoreBusy`, an unreachable database as :class:`StoreUnavailable`.
        """
        with failures.mapped(self._where):
            connection = self._engine.connect()
            if readonly:
                connection = connection.execution_options(**_READING[self.dialect])
            try:
                with connection.begin():
                    tx = Transaction(self, connection)
                    yield tx
            finally:
                connection.close()
        for record, loaded in tx._seen.values():
            if loaded is None:
                self._tracker.drop(record)
            else:
                self._tracker.put(record, loaded)

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only connection in which every statement sees the same state of the store
        (as a read-only :meth:`transaction` does), for reads of whole tables in SQL (a
        dump, statistics). Failures map as :meth:`transaction`'s."""
        with failures.mapped(self._where), self._engine.connect() as connection:
            reading = connection.execution_options(**_READING[self.dialect])
            with reading.begin():
                yield reading

    # One transaction each: the Transaction method of the same name, with its signature and
    # docstring, run in a transaction of its own (read-only for the reads).

    get = _one_transaction(Transaction.get, readonly=True)
    get_many = _one_transaction(Transaction.get_many, readonly=True)
    exists = _one_transaction(Transaction.exists, readonly=True)
    lookup = _one_transaction(Transaction.lookup, readonly=True)
    find = _one_transaction(Transaction.find, readonly=True)
    count = _one_transaction(Transaction.count, readonly=True)
    history = _one_transaction(Transaction.history, readonly=True)
    tombstone_for = _one_transaction(Transaction.tombstone_for, readonly=True)
    suppressions_for = _one_transaction(Transaction.suppressions_for, readonly=True)
    contact_point_ledger = _one_transaction(Transaction.contact_point_ledger, readonly=True)
    interactions = _one_transaction(Transaction.interactions, readonly=True)

    add = _one_transaction(Transaction.add)
    add_many = _one_transaction(Transaction.add_many)
    save = _one_transaction(Transaction.save)
    delete = _one_transaction(Transaction.delete)
    anonymize = _one_transaction(Transaction.anonymize)
    claim = _one_transaction(Transaction.claim)
    reclaim = _one_transaction(Transaction.reclaim)
    add_suppression = _one_transaction(Transaction.add_suppression)
    record_contact_point_consent = _one_transaction(Transaction.record_contact_point_consent)
    add_interaction = _one_transaction(Transaction.add_interaction)

    def fire(
        self,
        kind: type[Record],
        record_id: str,
        trigger: str,
        *,
        retries: int = 3,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> Transitioned:
        """Fire ``trigger`` on a stored record and save it with its history event.

        A lost race is retried up to ``retries`` times on a fresh copy, where the
        trigger's guards are checked again, so retrying is always safe.
        """
        if at is not None:
            require_aware("at", at)
        for attempt in range(retries + 1):
            try:
                with self.transaction() as tx:
                    return tx.fire(
                        kind, record_id, trigger, at=at, actor=actor, note=note, **params
                    )
            except ConflictError:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")


def open_store(
    url: str | None = None,
    *,
    migrate_schema: bool = True,
    echo: bool = False,
    busy_timeout: float = BUSY_TIMEOUT_S,
) -> Store:
    """Open (and create or migrate) a record store.

    No ``url`` means the embedded default, a SQLite file ``leadflow.db`` in WAL
    mode; a bare path is a SQLite file; ``postgresql://…`` (or
    ``postgresql+psycopg://…``) is PostgreSQL. The schema is brought to this
    leadflow's revision unless ``migrate_schema`` is false; a current schema is only
    read. A writer waits up to ``busy_timeout`` seconds for another writer's lock,
    then raises :class:`StoreBusy`; a database that cannot be reached raises
    :class:`StoreUnavailable`.
    """
    engine = create_engine(parse_url(url), echo=echo, busy_timeout=busy_timeout)
    try:
        migrate(engine, allowed=migrate_schema)
    except BaseException:
        close_engine(engine)
        raise
    return Store(engine)
