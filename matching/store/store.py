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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Engine

from lifecycle import (
    ContactPointConsent,
    ContactPointLedger,
    HistoryEvent,
    Record,
    Suppression,
    SuppressionList,
    Transitioned,
)
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
from matching.store.tables.base import OnExisting, R, Tracker
from matching.store.tables.claims import ClaimOperations
from matching.store.tables.consents import ConsentOperations
from matching.store.tables.interactions import InteractionOperations
from matching.store.tables.records import RecordOperations
from matching.store.tables.suppressions import SuppressionOperations
from matching.store.tables.tombstones import TombstoneOperations
from matching.store.values import Interaction, Tombstone

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
                connection = connection.execution_options(**{READ_ONLY: True})
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

    def _read(self, work: Callable[[Transaction], Any]) -> Any:
        with self.transaction(readonly=True) as tx:
            return work(tx)

    def _write(self, work: Callable[[Transaction], Any]) -> Any:
        with self.transaction() as tx:
            return work(tx)

    # Reads ---------------------------------------------------------------------------

    def get(self, kind: type[R], record_id: str) -> R:
        """The stored ``kind`` with ``record_id``; :class:`RecordNotFound` when there is none."""
        record: R = self._read(lambda tx: tx.get(kind, record_id))
        return record

    def get_many(self, kind: type[R], record_ids: Iterable[str]) -> list[R]:
        """The stored records among ``record_ids``, in order; missing ids are skipped."""
        records: list[R] = self._read(lambda tx: tx.get_many(kind, record_ids))
        return records

    def exists(self, kind: type[Record], record_id: str) -> bool:
        """Whether a ``kind`` with ``record_id`` is stored."""
        return bool(self._read(lambda tx: tx.exists(kind, record_id)))

    def lookup(
        self, kind: type[Record], field: str, key: str
    ) -> list[tuple[str, dt.datetime | None]]:
        """Ids (and ``modifiedon``) of records by normalised key, newest first."""
        found: list[tuple[str, dt.datetime | None]] = self._read(
            lambda tx: tx.lookup(kind, field, key)
        )
        return found

    def find(self, kind: type[R], field: str, value: str) -> list[R]:
        """Records whose ``field`` matches ``value`` once both are normalised, newest first."""
        records: list[R] = self._read(lambda tx: tx.find(kind, field, value))
        return records

    def count(self, kind: type[Record]) -> int:
        """How many ``kind`` records are stored."""
        return int(self._read(lambda tx: tx.count(kind)))

    def history(self, kind: type[Record], record_id: str) -> tuple[HistoryEvent, ...]:
        """Every stored transition of a record, oldest first (kept after deletion)."""
        events: tuple[HistoryEvent, ...] = self._read(lambda tx: tx.history(kind, record_id))
        return events

    def tombstone_for(self, address: str | None) -> Tombstone | None:
        """The tombstone of a deleted record with this email, if any (D14)."""
        found: Tombstone | None = self._read(lambda tx: tx.tombstone_for(address))
        return found

    def suppressions_for(self, addresses: Iterable[str | None]) -> SuppressionList:
        """The stored suppressions of these addresses."""
        found: SuppressionList = self._read(lambda tx: tx.suppressions_for(addresses))
        return found

    def contact_point_ledger(self, points: Iterable[str]) -> ContactPointLedger:
        """The stored consent answers of these contact points."""
        found: ContactPointLedger = self._read(lambda tx: tx.contact_point_ledger(points))
        return found

    def interactions(
        self, *, contactid: str | None = None, leadid: str | None = None
    ) -> list[Interaction]:
        """Interactions credited to a contact or a lead, oldest first."""
        found: list[Interaction] = self._read(
            lambda tx: tx.interactions(contactid=contactid, leadid=leadid)
        )
        return found

    # Writes --------------------------------------------------------------------------

    def add(self, record: Record, *, allow_tombstoned: bool = False) -> None:
        """Insert a new record (see :meth:`Transaction.add`)."""
        self._write(lambda tx: tx.add(record, allow_tombstoned=allow_tombstoned))

    def add_many(
        self,
        records: Sequence[Record],
        *,
        on_existing: OnExisting = "error",
        allow_tombstoned: bool = False,
    ) -> list[Record]:
        """Insert many records in one transaction (see :meth:`Transaction.add_many`)."""
        written: list[Record] = self._write(
            lambda tx: tx.add_many(
                records, on_existing=on_existing, allow_tombstoned=allow_tombstoned
            )
        )
        return written

    def save(self, record: Record) -> int:
        """Write a loaded record; :class:`ConflictError` if someone saved it first."""
        return int(self._write(lambda tx: tx.save(record)))

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
                outcome: Transitioned = self._write(
                    lambda tx: tx.fire(
                        kind, record_id, trigger, at=at, actor=actor, note=note, **params
                    )
                )
                return outcome
            except ConflictError:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")

    def delete(
        self,
        kind: type[Record],
        record_id: str,
        *,
        reason: str | None = None,
        at: dt.datetime | None = None,
        actor: str | None = None,
    ) -> Tombstone:
        """Delete a record and tombstone its email (see :meth:`Transaction.delete`)."""
        tombstone: Tombstone = self._write(
            lambda tx: tx.delete(kind, record_id, reason=reason, at=at, actor=actor)
        )
        return tombstone

    def anonymize(
        self,
        kind: type[R],
        record_id: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
    ) -> R:
        """Erase a person's data from every table (see :meth:`Transaction.anonymize`)."""
        record: R = self._write(lambda tx: tx.anonymize(kind, record_id, at=at, actor=actor))
        return record

    def claim(self, strategy: str, key: str, record: Record) -> str:
        """Claim ``(strategy, key)``; see :meth:`Transaction.claim`."""
        return str(self._write(lambda tx: tx.claim(strategy, key, record)))

    def reclaim(self, strategy: str, key: str, record: Record, holder_id: str) -> bool:
        """Move a stale claim to ``record``; see :meth:`Transaction.reclaim`."""
        return bool(self._write(lambda tx: tx.reclaim(strategy, key, record, holder_id)))

    def add_suppression(self, entry: Suppression) -> None:
        """Store a suppression."""
        self._write(lambda tx: tx.add_suppression(entry))

    def record_contact_point_consent(self, consent: ContactPointConsent) -> None:
        """Store a contact-point consent answer."""
        self._write(lambda tx: tx.record_contact_point_consent(consent))

    def add_interaction(self, interaction: Interaction) -> None:
        """Store an interaction."""
        self._write(lambda tx: tx.add_interaction(interaction))


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
