"""The record store: ``lifecycle`` records, their consents and history, in SQLite or PostgreSQL.

Every write happens inside one database transaction, so a refused operation
leaves nothing behind. Saving a record checks the version it was loaded at
(optimistic concurrency): a writer that lost a race gets :class:`ConflictError`,
never a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lifecycle import (
    Channel,
    ConsentValue,
    ContactPointConsent,
    ContactPointLedger,
    FieldTypeError,
    HistoryEvent,
    InvalidFieldError,
    Record,
    Suppression,
    SuppressionList,
    SuppressionReason,
    Transitioned,
)
from lifecycle.clock import require_aware
from lifecycle.relations import MASTER_FIELD, parent_fields
from matching import normalize
from matching.errors import ConflictError, RecordNotFound, StoreError, TombstonedError
from matching.keys import KEYED_FIELDS, lookup_keys, record_keys
from matching.store import codec, failures, schema
from matching.store.engine import (
    BUSY_TIMEOUT_S,
    READ_ONLY,
    close_engine,
    create_engine,
    migrate,
    parse_url,
)
from matching.store.prepared import Prepared
from matching.store.values import Candidate, Interaction, Tombstone, newest_first

R = TypeVar("R", bound=Record)
OnExisting = Literal["error", "skip", "update"]
_IN_CHUNK = 500
"""Ids per ``IN (...)`` list: under SQLite's and psycopg's parameter limits."""


@attrs.frozen
class _Loaded:
    """What a record looked like when it was read or last written."""

    version: int
    history: int
    key_sources: tuple[object, ...]
    """The values match keys are computed from (:func:`codec.key_sources`): a save whose
    sources are unchanged leaves the stored keys alone without normalising anything."""
    consents: tuple[Any, ...]


class _Tracker:
    """Remembers, per live record object, the version it was loaded at; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, tuple[weakref.ref[Record], _Loaded]] = {}

    def get(self, record: Record) -> _Loaded | None:
        with self._lock:
            entry = self._seen.get(id(record))
        if entry is None or entry[0]() is not record:
            return None
        return entry[1]

    def put(self, record: Record, loaded: _Loaded) -> None:
        key = id(record)

        def forget(_: object, key: int = key) -> None:
            with self._lock:
                entry = self._seen.get(key)
                if entry is not None and entry[0]() is None:
                    del self._seen[key]

        with self._lock:
            self._seen[key] = (weakref.ref(record, forget), loaded)

    def drop(self, record: Record) -> None:
        with self._lock:
            self._seen.pop(id(record), None)


def _kind_name(kind: type[Record]) -> str:
    try:
        return schema.TYPE_NAME[kind]
    except KeyError:
        raise InvalidFieldError("kind", "Lead, Contact or Account", kind) from None


class Transaction:
    """Reads and writes inside one database transaction; see :meth:`Store.transaction`."""

    def __init__(self, store: Store, connection: Connection) -> None:
        self._store = store
        self._conn = connection
        self._seen: dict[int, tuple[Record, _Loaded | None]] = {}

    @property
    def connection(self) -> Connection:
        """The transaction's SQLAlchemy connection, for queries leadflow does not offer."""
        return self._conn

    # --- reading records ---------------------------------------------------------------

    def get(self, kind: type[R], record_id: str, *, lock: bool = False) -> R:
        """The stored ``kind`` with ``record_id``, with consents and history.

        ``lock`` holds the row until the transaction ends, so a concurrent writer of the
        same record waits instead of failing its save (``SELECT ... FOR UPDATE`` on
        PostgreSQL; a SQLite write transaction holds the whole database already)."""
        found = self.get_many(kind, [record_id], lock=lock)
        if not found:
            raise RecordNotFound(_kind_name(kind), record_id)
        return found[0]

    def get_many(self, kind: type[R], record_ids: Iterable[str], *, lock: bool = False) -> list[R]:
        """The stored records among ``record_ids``, in the order asked; missing ids are skipped.
        ``lock``: as :meth:`get`."""
        q = _queries(kind)
        if isinstance(record_ids, str):
            raise FieldTypeError("record_ids", "an iterable of record ids", record_ids)
        ids = list(record_ids)
        for record_id in ids:
            if not isinstance(record_id, str):
                raise FieldTypeError("record_id", "a record id (str)", record_id)
        ids = [i for i in dict.fromkeys(ids) if _storable(i)]
        rows: dict[str, Mapping[Any, Any]] = {}
        consents: dict[str, list[Any]] = {}
        events: dict[str, list[HistoryEvent]] = {}
        conn, execute = self._conn, self._conn.execute
        for chunk in _chunks(ids):
            if len(chunk) == 1:
                one = {"id": chunk[0]}
                read: Iterable[Mapping[Any, Any]] = (q.locked_row if lock else q.row).mappings(
                    conn, one
                )
                rows.update((row[q.pk], row) for row in read)
                if chunk[0] not in rows:
                    continue
                consent_rows: Iterable[Mapping[Any, Any]] = q.consent.mappings(conn, one)
                event_rows: Iterable[Mapping[Any, Any]] = q.event.mappings(conn, one)
            else:
                read = execute(
                    q.rows.with_for_update() if lock else q.rows, {"ids": chunk}
                ).mappings()
                rows.update((row[q.pk], row) for row in read)
                found = {"ids": [i for i in chunk if i in rows]}
                if not found["ids"]:
                    continue
                consent_rows = execute(q.consents, found).mappings()
                event_rows = execute(q.events, found).mappings()
            for consent in consent_rows:
                consents.setdefault(consent["record_id"], []).append(codec.build_consent(consent))
            for event in event_rows:
                events.setdefault(event["record_id"], []).append(codec.build_event(kind, event))
        records: list[R] = []
        for record_id in ids:
            stored = rows.get(record_id)
            if stored is None:
                continue
            record = codec.build_record(
                kind, stored, consents.get(record_id, ()), events.get(record_id, ())
            )
            assert isinstance(record, kind)
            self._track(record, _loaded_state(record, stored["version"]))
            records.append(record)
        return records

    def exists(self, kind: type[Record], record_id: str) -> bool:
        """Whether a ``kind`` with ``record_id`` is stored."""
        return self.version_of(kind, record_id) is not None

    def version(self, record: Record) -> int | None:
        """The stored version ``record`` was loaded or last saved at through this store;
        ``None`` for a record the store has not seen."""
        loaded = self._loaded(record)
        return None if loaded is None else loaded.version

    def version_of(self, kind: type[Record], record_id: str) -> int | None:
        """The stored version of a record; ``None`` when there is none."""
        q = _queries(kind)
        if not isinstance(record_id, str):
            raise FieldTypeError("record_id", "a record id (str)", record_id)
        if not _storable(record_id):
            return None
        found = q.version.rows(self._conn, {"id": record_id})
        return int(found[0][0]) if found else None

    def lookup(
        self, kind: type[Record], field: str, key: str
    ) -> list[tuple[str, dt.datetime | None]]:
        """``(id, modifiedon)`` of the ``kind`` records whose normalised ``field`` is ``key``,
        most recently modified first (D3)."""
        if field not in KEYED_FIELDS:
            raise InvalidFieldError("field", f"one of {sorted(KEYED_FIELDS)}", field)
        q = _queries(kind)
        if not isinstance(key, str):
            raise FieldTypeError("key", "a normalised key (str)", key)
        if not _storable(key):
            return []
        return [(row[0], row[1]) for row in q.lookup.rows(self._conn, {"field": field, "key": key})]

    def candidates(
        self,
        kind: type[Record],
        keys: Iterable[tuple[str, str]],
        *,
        limit: int | None = 100,
        fields: Iterable[str] | None = None,
    ) -> list[Candidate]:
        """The ``kind`` records stored under any of ``keys`` (``(keyed field, normalised
        key)`` pairs), each once, most recently modified first.

        A key with more than ``limit`` records (``None``: no limit) brings in ``limit`` of
        them, the first in the key's index (by id: a stable sample), so that a block of
        thousands costs no more than a small one. ``fields`` names the fields to read (a strategy's
        :attr:`~matching.MatchStrategy.source_fields`; the state, merge and modification
        columns always come too); all of them by default."""
        if limit is not None and (type(limit) is not int or limit < 1):
            raise InvalidFieldError("limit", "a whole number of at least 1, or None", limit)
        columns = _candidate_columns(kind, fields)
        statement = _candidate_query(_kind_name(kind), "key", columns, limited=limit is not None)
        pk = schema.PRIMARY_KEY[kind]
        found: dict[str, Candidate] = {}
        for field, key in keys:
            if field not in KEYED_FIELDS:
                raise InvalidFieldError("field", f"one of {sorted(KEYED_FIELDS)}", field)
            if not isinstance(key, str):
                raise FieldTypeError("key", "a normalised key (str)", key)
            if _storable(key):
                params: dict[str, object] = {"field": field, "key": key}
                if limit is not None:
                    params["limit"] = limit
                for row in statement.mappings(self._conn, params):
                    found.setdefault(row[pk], _candidate(kind, pk, row))
        return newest_first(found.values())

    def children(
        self,
        kind: type[Record],
        field: str,
        parent_id: str,
        *,
        limit: int = 100,
        fields: Iterable[str] | None = None,
    ) -> list[Candidate]:
        """The ``kind`` records whose reference ``field`` is ``parent_id``, at most ``limit``,
        most recently modified first (a contact's leads: ``children(Lead, "parentcontactid",
        contact_id)``); ``fields`` as for :meth:`candidates`."""
        if field not in _PARENT_FIELDS.get(kind, ()):
            raise InvalidFieldError("field", f"one of {list(_PARENT_FIELDS.get(kind, ()))}", field)
        if type(limit) is not int or limit < 1:
            raise InvalidFieldError("limit", "a whole number of at least 1", limit)
        columns = _candidate_columns(kind, fields)
        statement = _candidate_query(_kind_name(kind), field, columns, limited=True)
        if not _storable(parent_id):
            return []
        pk = schema.PRIMARY_KEY[kind]
        rows = statement.mappings(self._conn, {"id": parent_id, "limit": limit})
        return [_candidate(kind, pk, row) for row in rows]

    def find(self, kind: type[R], field: str, value: str) -> list[R]:
        """The ``kind`` records whose ``field`` normalises to the same key as ``value``."""
        keys = _normalised(field, value)
        if not keys:
            return []
        if len(keys) == 1:
            return self.get_many(kind, [i for i, _ in self.lookup(kind, field, keys[0])])
        found = {i: at for key in keys for i, at in self.lookup(kind, field, key)}
        ordered = sorted(
            found.items(), key=lambda f: (f[1] is None, -f[1].timestamp() if f[1] else 0, f[0])
        )
        return self.get_many(kind, [i for i, _ in ordered])

    def count(self, kind: type[Record]) -> int:
        """How many ``kind`` records are stored."""
        _kind_name(kind)
        table = schema.RECORD_TABLES[kind]
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def history(self, kind: type[Record], record_id: str) -> tuple[HistoryEvent, ...]:
        """Every stored transition of a record, oldest first; kept after it is deleted."""
        h = schema.history
        if not _storable(record_id):
            return ()
        rows = self._conn.execute(
            sa.select(h)
            .where(h.c.record_type == _kind_name(kind), h.c.record_id == record_id)
            .order_by(h.c.seq)
        ).mappings()
        return tuple(codec.build_event(kind, row) for row in rows)

    # --- writing records ---------------------------------------------------------------

    def add(self, record: Record, *, allow_tombstoned: bool = False) -> None:
        """Insert a new record with its consents, history and match keys.

        Raises :class:`ConflictError` if its id is taken, and :class:`TombstonedError`
        if its email belongs to a deleted record, unless ``allow_tombstoned`` (D14).
        """
        self.add_many([record], allow_tombstoned=allow_tombstoned)

    def add_many(
        self,
        records: Sequence[Record],
        *,
        on_existing: OnExisting = "error",
        allow_tombstoned: bool = False,
    ) -> list[Record]:
        """Insert records in bulk; returns those written.

        ``on_existing`` says what to do with an id already stored: ``"error"`` raises
        :class:`ConflictError`, ``"skip"`` leaves the stored one alone, ``"update"``
        overwrites it with the new values (bumping its version; history is appended).
        """
        if on_existing not in ("error", "skip", "update"):
            raise InvalidFieldError("on_existing", "'error', 'skip' or 'update'", on_existing)
        by_kind: dict[type[Record], list[Record]] = {}
        for record in records:
            _kind_name(type(record))
            if record.is_deleted:
                raise InvalidFieldError("record", "a record that is not deleted", record.id)
            by_kind.setdefault(type(record), []).append(record)
        written: list[Record] = []
        for kind, group in by_kind.items():
            written.extend(self._add_kind(kind, group, on_existing, allow_tombstoned))
        return written

    def _add_kind(
        self,
        kind: type[Record],
        records: list[Record],
        on_existing: OnExisting,
        allow_tombstoned: bool,
    ) -> list[Record]:
        name = _kind_name(kind)
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidFieldError("records", "records with distinct ids", dupes[:5])
        existing = self._versions(kind, ids)
        if existing and on_existing == "error":
            first = next(iter(existing))
            raise ConflictError(name, first, 0, existing[first])
        if not allow_tombstoned:
            self._refuse_tombstoned(records)
        fresh = [r for r in records if r.id not in existing]
        if fresh:
            self._insert(kind, fresh)
        updated: list[Record] = []
        if existing and on_existing == "update":
            for record in records:
                if record.id in existing:
                    self._overwrite(record, existing[record.id])
                    updated.append(record)
        return fresh + updated

    def _insert(self, kind: type[Record], records: list[Record]) -> None:
        table = schema.RECORD_TABLES[kind]
        record_rows = _checked(table, [codec.record_row(r, 1) for r in records])
        consent_rows = _checked(
            schema.consents, [row for r in records for row in codec.consent_rows(r)]
        )
        filed = [tuple(record_keys(r)) for r in records]
        key_rows = _checked(
            schema.match_keys,
            [row for r, k in zip(records, filed, strict=True) for row in codec.key_rows(r, k)],
        )
        history_rows = _checked(
            schema.history, [row for r in records for row in codec.history_rows(r, 0)]
        )
        conn = self._conn
        _queries(kind).insert.run_many(conn, record_rows)
        _INSERT_CONSENT.run_many(conn, consent_rows)
        _INSERT_KEY.run_many(conn, key_rows)
        _INSERT_EVENT.run_many(conn, history_rows)
        for record in records:
            self._track(record, _loaded_state(record, 1))

    def _overwrite(self, record: Record, version: int) -> None:
        """Replace a stored record's values with ``record``'s (an import's update)."""
        stored_history = len(self.history(type(record), record.id))
        start = min(stored_history, len(record.history))
        self._write(record, _Loaded(version, start, (), ()), rewrite=True)

    def save(self, record: Record) -> int:
        """Write a record loaded from this store; returns its new version.

        Raises :class:`ConflictError` if another writer saved it since it was loaded.
        """
        loaded = self._loaded(record)
        if loaded is None:
            raise StoreError(
                f"{type(record).__name__} {record.id!r} was not loaded from this store: "
                "add() a new record, or get() a stored one before saving it."
            )
        return self._write(record, loaded)

    def _write(self, record: Record, loaded: _Loaded, *, rewrite: bool = False) -> int:
        kind = type(record)
        name = _kind_name(kind)
        if record.is_deleted:
            raise StoreError(f"{name} {record.id!r} is deleted: use Store.delete() to remove it.")
        q = _queries(kind)
        version = loaded.version + 1
        row = codec.record_row(record, version)
        del row[q.pk]
        _checked(schema.RECORD_TABLES[kind], [row])
        consents = rewrite or record.consents != loaded.consents
        consent_rows = _checked(schema.consents, codec.consent_rows(record)) if consents else []
        sources = codec.key_sources(record)
        rekey = rewrite or sources != loaded.key_sources
        key_rows = _checked(schema.match_keys, codec.key_rows(record)) if rekey else []
        events = _checked(schema.history, codec.history_rows(record, loaded.history))
        row["b_id"], row["b_version"] = record.id, loaded.version
        conn = self._conn
        if q.update.run(conn, row) != 1:
            raise ConflictError(name, record.id, loaded.version, self.version_of(kind, record.id))
        owner = {"id": record.id}
        if consents:
            q.drop_consents.run(conn, owner)
            _INSERT_CONSENT.run_many(conn, consent_rows)
        if rekey:
            q.drop_keys.run(conn, owner)
            _INSERT_KEY.run_many(conn, key_rows)
        _INSERT_EVENT.run_many(conn, events)
        self._track(record, _Loaded(version, len(record.history), sources, record.consents))
        return version

    def fire(
        self,
        kind: type[R],
        record_id: str,
        trigger: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> Transitioned:
        """Load a record, fire ``trigger`` on it and save it with its history event."""
        record = self.get(kind, record_id)
        outcome = record._lifecycle.fire(record, trigger, at=at, actor=actor, note=note, **params)
        self.save(record)
        return outcome

    def delete(
        self,
        kind: type[Record],
        record_id: str,
        *,
        reason: str | None = None,
        at: dt.datetime | None = None,
        actor: str | None = None,
    ) -> Tombstone:
        """Delete a record: its row, consents and keys go, its history stays, and its
        normalised email is tombstoned so it is not silently recreated (D14)."""
        name = _kind_name(kind)
        record = self.get(kind, record_id)
        loaded = self._loaded(record)
        assert loaded is not None
        _checked(schema.tombstones, [{"reason": reason, "actor": actor}])
        event = record.delete(at=at, actor=actor, note=reason)
        events = _checked(schema.history, codec.history_rows(record, loaded.history))
        table = schema.RECORD_TABLES[kind]
        pk = table.c[schema.PRIMARY_KEY[kind]]
        result = self._conn.execute(
            sa.delete(table).where(pk == record_id, table.c.version == loaded.version)
        )
        if result.rowcount != 1:
            raise ConflictError(name, record_id, loaded.version, self.version_of(kind, record_id))
        self._erase_links(name, record_id)
        self._conn.execute(sa.insert(schema.history), events)
        tombstone = Tombstone(name, record_id, event.at, reason, actor)
        key = normalize.email(record.emailaddress1)
        if key is not None:
            self._conn.execute(
                sa.insert(schema.tombstones).values(
                    email_digest=codec.digest(key),
                    record_type=name,
                    record_id=record_id,
                    reason=reason,
                    deletedon=event.at,
                    actor=actor,
                )
            )
        self._forget(record)
        return tombstone

    def _erase_links(self, name: str, record_id: str) -> None:
        for table in (schema.consents, schema.match_keys, schema.claims):
            self._conn.execute(
                sa.delete(table).where(table.c.record_type == name, table.c.record_id == record_id)
            )

    def anonymize(
        self,
        kind: type[R],
        record_id: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
    ) -> R:
        """Erase a person's data everywhere: the record's personal fields, its consents,
        match keys and claims, history notes, interaction payloads, contact-point
        consents and readable suppressed addresses (the suppression itself stays)."""
        name = _kind_name(kind)
        record = self.get(kind, record_id)
        points = _contact_points(record)
        phones = _phones(record)
        email_key = normalize.email(record.emailaddress1)
        record.anonymize(at=at, actor=actor)
        self.save(record)
        h, i = schema.history, schema.interactions
        self._conn.execute(
            sa.update(h)
            .where(h.c.record_type == name, h.c.record_id == record_id)
            .values(note=None)
        )
        column = i.c.contactid if name == "contact" else i.c.leadid
        self._conn.execute(sa.update(i).where(column == record_id).values(payload=None))
        self._conn.execute(
            sa.delete(schema.claims).where(
                schema.claims.c.record_type == name, schema.claims.c.record_id == record_id
            )
        )
        cp = schema.contact_point_consents
        if points:
            self._conn.execute(sa.delete(cp).where(cp.c.contact_point.in_(points)))
        if phones:
            # A phone consent keeps the number as it was given ("425.555.0199"), so the
            # record's numbers are compared in E.164 with every stored phone contact point.
            numbers = self._conn.execute(
                sa.select(cp.c.id, cp.c.contact_point).where(
                    sa.not_(cp.c.contact_point.contains("@", autoescape=True))
                )
            )
            ids = [n.id for n in numbers if normalize.phone(n.contact_point) in phones]
            for start in range(0, len(ids), _IN_CHUNK):
                self._conn.execute(sa.delete(cp).where(cp.c.id.in_(ids[start : start + _IN_CHUNK])))
        if email_key is not None:
            s = schema.suppressions
            self._conn.execute(
                sa.update(s)
                .where(s.c.address_digest == codec.digest(email_key))
                .values(address=None)
            )
        return self.get(kind, record_id)

    # --- claims: one record per (strategy, key) under concurrency -------------------------

    def claim(self, strategy: str, key: str, record: Record) -> str:
        """Claim ``(strategy, key)`` for ``record``; returns the id that holds the claim.

        Two writers creating a record for the same key both call this before adding
        their record: exactly one gets its own id back, the other gets the winner's
        and should use that record instead of creating one (or, when that record no
        longer matches the key, :meth:`reclaim` the key).
        """
        if not strategy or not key:
            raise InvalidFieldError("claim", "a non-empty strategy and key", (strategy, key))
        c = schema.claims
        values = {
            "strategy": strategy,
            "key": key,
            "record_type": _kind_name(type(record)),
            "record_id": record.id,
        }
        _checked(c, [values])
        won = _CLAIM[self._conn.dialect.name].rows(self._conn, values)
        if won:
            return str(won[0][0])
        holder = self.claimed(strategy, key)
        assert holder is not None
        return holder[1]

    def reclaim(self, strategy: str, key: str, record: Record, holder_id: str) -> bool:
        """Move the claim on ``(strategy, key)`` from ``holder_id`` to ``record``.

        For a claim gone stale (its record deleted, or changed so that it no longer
        matches the key): ``False`` when the claim is no longer ``holder_id``'s, because
        another writer moved it first."""
        c = schema.claims
        values = {
            "strategy": strategy,
            "key": key,
            "holder": holder_id,
            "record_type": _kind_name(type(record)),
            "record_id": record.id,
        }
        _checked(c, [values])
        return _RECLAIM.run(self._conn, values) == 1

    def claimed(self, strategy: str, key: str) -> tuple[str, str] | None:
        """``(record_type, record_id)`` holding ``(strategy, key)``, if any."""
        if not (_storable(strategy) and _storable(key)):
            return None
        rows = _CLAIMED.rows(self._conn, {"strategy": strategy, "key": key})
        return (rows[0][0], rows[0][1]) if rows else None

    # --- tombstones, suppressions, contact-point consents, interactions -----------------

    def tombstone_for(self, address: str | None) -> Tombstone | None:
        """The latest tombstone of a deleted record with this email, if any (D14)."""
        found = self.tombstones_for(address)
        return found[0] if found else None

    def tombstones_for(self, address: str | None) -> list[Tombstone]:
        """Every tombstone of a deleted record with this email, latest first (D14)."""
        key = normalize.email(address)
        if key is None:
            return []
        return [
            Tombstone(
                row["record_type"], row["record_id"], row["deletedon"], row["reason"], row["actor"]
            )
            for row in _TOMBSTONES.mappings(self._conn, {"digest": codec.digest(key)})
        ]

    def tombstoned(self, records: Iterable[Record]) -> dict[str, Tombstone]:
        """Which of ``records`` (by id) carry the email of a deleted record (D14)."""
        by_digest: dict[str, list[Record]] = {}
        for record in records:
            key = normalize.email(record.emailaddress1)
            if key is not None:
                by_digest.setdefault(codec.digest(key), []).append(record)
        found: dict[str, Tombstone] = {}
        t = schema.tombstones
        for chunk in _chunks(list(by_digest)):
            rows = self._conn.execute(
                sa.select(t).where(t.c.email_digest.in_(chunk)).order_by(t.c.deletedon, t.c.id)
            )
            for row in rows:
                stone = Tombstone(
                    row.record_type, row.record_id, row.deletedon, row.reason, row.actor
                )
                for record in by_digest[row.email_digest]:
                    found[record.id] = stone
        return found

    def _refuse_tombstoned(self, records: list[Record]) -> None:
        found = self.tombstoned(records)
        for record in records:
            stone = found.get(record.id)
            if stone is not None:
                raise TombstonedError(str(record.emailaddress1), stone.record_type, stone.record_id)

    def add_suppression(self, entry: Suppression) -> None:
        """Store a suppression of an address (D13)."""
        if not isinstance(entry, Suppression):
            raise InvalidFieldError("entry", "a Suppression", entry)
        values = {
            "address": entry.address,
            "address_digest": codec.digest(normalize.email(entry.address) or entry.address),
            "reason": entry.reason.value,
            "since": entry.since,
            "until": entry.until,
            "sending_account": entry.sending_account,
        }
        self._conn.execute(
            sa.insert(schema.suppressions).values(_checked_one(schema.suppressions, values))
        )

    def suppressions_for(self, addresses: Iterable[str | None]) -> SuppressionList:
        """The stored suppressions of these addresses, ready for ``can_send``."""
        keys = {k for a in addresses if (k := normalize.email(a)) is not None}
        s = schema.suppressions
        entries: list[Suppression] = []
        by_digest = {codec.digest(k): k for k in keys}
        digests = list(by_digest)
        if len(digests) == 1:
            found = _SUPPRESSIONS.mappings(self._conn, {"digest": digests[0]})
        else:
            found = [
                dict(row)
                for chunk in _chunks(digests)
                for row in self._conn.execute(
                    sa.select(s).where(s.c.address_digest.in_(chunk))
                ).mappings()
            ]
        for row in found:
            entries.append(
                Suppression(
                    address=row["address"] or by_digest[row["address_digest"]],
                    reason=SuppressionReason(row["reason"]),
                    since=row["since"],
                    until=row["until"],
                    sending_account=row["sending_account"],
                )
            )
        return SuppressionList(entries)

    def record_contact_point_consent(self, consent: ContactPointConsent) -> None:
        """Store one contact-point consent answer."""
        if not isinstance(consent, ContactPointConsent):
            raise InvalidFieldError("consent", "a ContactPointConsent", consent)
        cp = schema.contact_point_consents
        values = {
            "contact_point": consent.contact_point,
            "channel": consent.channel.value,
            "purpose": consent.purpose,
            "topic": consent.topic,
            "value": consent.value.value,
            "at": consent.at,
            "source": consent.source,
            "reason": consent.reason,
        }
        self._conn.execute(sa.insert(cp).values(_checked_one(cp, values)))

    def contact_point_ledger(self, points: Iterable[str]) -> ContactPointLedger:
        """The stored consent answers of these contact points, oldest first."""
        wanted = [p for p in dict.fromkeys(points) if _storable(p)]
        cp = schema.contact_point_consents
        answers: list[ContactPointConsent] = []
        for chunk in _chunks(wanted):
            for row in self._conn.execute(
                sa.select(cp).where(cp.c.contact_point.in_(chunk)).order_by(cp.c.at, cp.c.id)
            ):
                answers.append(
                    ContactPointConsent(
                        contact_point=row.contact_point,
                        value=ConsentValue(row.value),
                        at=row.at,
                        purpose=row.purpose,
                        topic=row.topic,
                        channel=Channel(row.channel),
                        source=row.source,
                        reason=row.reason,
                    )
                )
        answers.sort(key=lambda a: a.at)
        return ContactPointLedger(answers)

    def add_interaction(self, interaction: Interaction) -> None:
        """Store an interaction; it is never merged or dropped."""
        if not isinstance(interaction, Interaction):
            raise InvalidFieldError("interaction", "an Interaction", interaction)
        payload = interaction.payload
        i = schema.interactions
        values = {
            "interactionid": interaction.id,
            "kind": interaction.kind,
            "at": interaction.at,
            "contactid": interaction.contactid,
            "leadid": interaction.leadid,
            "formid": interaction.formid,
            "pageid": interaction.pageid,
            "payload": None if payload is None else json.dumps(payload, ensure_ascii=False),
        }
        _INSERT_INTERACTION.run(self._conn, _checked_one(i, values))

    def interactions(
        self, *, contactid: str | None = None, leadid: str | None = None
    ) -> list[Interaction]:
        """Interactions credited to a contact or a lead, oldest first."""
        i = schema.interactions
        if (contactid is None) == (leadid is None):
            raise InvalidFieldError("interactions", "exactly one of contactid or leadid", None)
        column, value = (i.c.contactid, contactid) if contactid else (i.c.leadid, leadid)
        if not _storable(value):
            return []
        rows = self._conn.execute(
            sa.select(i).where(column == value).order_by(i.c.at, i.c.interactionid)
        )
        return [
            Interaction(
                id=row.interactionid,
                kind=row.kind,
                at=row.at,
                contactid=row.contactid,
                leadid=row.leadid,
                formid=row.formid,
                pageid=row.pageid,
                payload=None if row.payload is None else json.loads(row.payload),
            )
            for row in rows
        ]

    # --- bookkeeping -------------------------------------------------------------------

    def _versions(self, kind: type[Record], ids: list[str]) -> dict[str, int]:
        if len(ids) == 1:
            version = self.version_of(kind, ids[0])
            return {} if version is None else {ids[0]: version}
        table = schema.RECORD_TABLES[kind]
        pk = table.c[schema.PRIMARY_KEY[kind]]
        found: dict[str, int] = {}
        for chunk in _chunks([i for i in ids if _storable(i)]):
            for row in self._conn.execute(sa.select(pk, table.c.version).where(pk.in_(chunk))):
                found[row[0]] = row[1]
        return found

    def _track(self, record: Record, loaded: _Loaded) -> None:
        self._seen[id(record)] = (record, loaded)

    def _forget(self, record: Record) -> None:
        self._seen[id(record)] = (record, None)

    def _loaded(self, record: Record) -> _Loaded | None:
        entry = self._seen.get(id(record))
        if entry is not None and entry[0] is record:
            return entry[1]
        return self._store._tracker.get(record)


@attrs.frozen
class _Queries:
    """Statements built once per record type; building one costs more than running it."""

    pk: str
    row: Prepared
    locked_row: Prepared
    rows: sa.Select[Any]
    consent: Prepared
    consents: sa.Select[Any]
    event: Prepared
    events: sa.Select[Any]
    version: Prepared
    lookup: Prepared
    insert: Prepared
    update: Prepared
    drop_consents: Prepared
    drop_keys: Prepared


_QUERIES: dict[type[Record], _Queries] = {}


def _queries(kind: type[Record]) -> _Queries:
    built = _QUERIES.get(kind)
    if built is None:
        built = _QUERIES[kind] = _build_queries(kind)
    return built


def _build_queries(kind: type[Record]) -> _Queries:
    name = _kind_name(kind)
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    one: sa.BindParameter[str] = sa.bindparam("id")
    many: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    c, h, k = schema.consents, schema.history, schema.match_keys
    consents = sa.select(c).order_by(c.c.record_id, c.c.position)
    events = sa.select(h).order_by(h.c.record_id, h.c.seq)
    by_newest = (table.c.modifiedon.desc().nulls_last(), pk)
    return _Queries(
        pk=pk.name,
        row=Prepared(sa.select(table).where(pk == one)),
        locked_row=Prepared(sa.select(table).where(pk == one).with_for_update()),
        rows=sa.select(table).where(pk.in_(many)),
        consent=Prepared(consents.where(c.c.record_type == name, c.c.record_id == one)),
        consents=consents.where(c.c.record_type == name, c.c.record_id.in_(many)),
        event=Prepared(events.where(h.c.record_type == name, h.c.record_id == one)),
        events=events.where(h.c.record_type == name, h.c.record_id.in_(many)),
        version=Prepared(sa.select(table.c.version).where(pk == one)),
        lookup=Prepared(
            sa.select(pk, table.c.modifiedon)
            .join(k, sa.and_(k.c.record_id == pk, k.c.record_type == name))
            .where(k.c.field == sa.bindparam("field"), k.c.key == sa.bindparam("key"))
            .order_by(*by_newest)
        ),
        insert=_insert_all(table),
        update=Prepared(
            sa.update(table)
            .where(pk == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
            .values({c.name: sa.bindparam(c.name) for c in table.c if c is not pk})
        ),
        drop_consents=Prepared(sa.delete(c).where(c.c.record_type == name, c.c.record_id == one)),
        drop_keys=Prepared(sa.delete(k).where(k.c.record_type == name, k.c.record_id == one)),
    )


_ALWAYS_READ = ("version", "modifiedon", "statecode", "statuscode", "merged", MASTER_FIELD)
"""What every candidate carries besides the fields asked for: enough to order it (D3), tell
an active record from a closed one, and find its master when it was merged away (D4)."""


def _candidate_columns(kind: type[Record], fields: Iterable[str] | None) -> tuple[str, ...] | None:
    """The columns to read for ``fields`` (``None``: every column), checked."""
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Iterable):
        raise FieldTypeError("fields", "an iterable of field names", fields)
    names = tuple(fields)
    if not all(isinstance(name, str) for name in names):
        raise FieldTypeError("fields", "an iterable of field names", fields)
    return _columns_of(_kind_name(kind), names)


@functools.cache
def _columns_of(record_type: str, names: tuple[str, ...]) -> tuple[str, ...]:
    table = schema.RECORD_TABLES[schema.RECORD_TYPES[record_type]]
    unknown = sorted(name for name in names if name not in table.c)
    if unknown:
        raise InvalidFieldError("fields", f"fields of a {record_type}", unknown)
    wanted = {*names, *_ALWAYS_READ}
    return tuple(c.name for c in table.c if c.name in wanted)


@functools.cache
def _candidate_query(
    record_type: str, source: str, columns: tuple[str, ...] | None, *, limited: bool
) -> Prepared:
    """Records under a match key (``source="key"``) or of a parent (``source``: the reference
    field), newest first, as ``columns`` and the primary key; built once per shape."""
    kind = schema.RECORD_TYPES[record_type]
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    chosen = [pk, *(table.c[c] for c in columns)] if columns is not None else [table]
    query = sa.select(*chosen).order_by(table.c.modifiedon.desc().nulls_last(), pk)
    limit: sa.BindParameter[int] = sa.bindparam("limit")
    if source != "key":
        query = query.where(table.c[source] == sa.bindparam("id"))
        return Prepared(query.limit(limit) if limited else query)
    # The cap applies to the key's index entries, in index order, before the records are
    # read: a block of thousands costs no more than one of ``limit``.
    k = schema.match_keys
    ids = sa.select(k.c.record_id).where(
        k.c.record_type == record_type,
        k.c.field == sa.bindparam("field"),
        k.c.key == sa.bindparam("key"),
    )
    return Prepared(query.where(pk.in_((ids.limit(limit) if limited else ids).scalar_subquery())))


def _candidate(kind: type[Record], pk: str, row: Mapping[str, Any]) -> Candidate:
    values = {name: value for name, value in row.items() if name not in (pk, "version")}
    return Candidate(_kind_name(kind), row[pk], row["modifiedon"], values, row["version"])


def _insert_all(table: sa.Table) -> Prepared:
    """An insert of every column but an autoincremented id."""
    columns = [c.name for c in table.c if not (c.primary_key and c.autoincrement is True)]
    return Prepared(sa.insert(table).values({name: sa.bindparam(name) for name in columns}))


_INSERT_CONSENT = _insert_all(schema.consents)
_INSERT_KEY = _insert_all(schema.match_keys)
_INSERT_EVENT = _insert_all(schema.history)
_INSERT_INTERACTION = _insert_all(schema.interactions)
_TOMBSTONES = Prepared(
    sa.select(schema.tombstones)
    .where(schema.tombstones.c.email_digest == sa.bindparam("digest"))
    .order_by(schema.tombstones.c.deletedon.desc(), schema.tombstones.c.id.desc())
)
_SUPPRESSIONS = Prepared(
    sa.select(schema.suppressions).where(
        schema.suppressions.c.address_digest == sa.bindparam("digest")
    )
)
_CLAIMED = Prepared(
    sa.select(schema.claims.c.record_type, schema.claims.c.record_id).where(
        schema.claims.c.strategy == sa.bindparam("strategy"),
        schema.claims.c.key == sa.bindparam("key"),
    )
)


def _claim_statement(dialect: str) -> Prepared:
    from sqlalchemy.dialects import postgresql, sqlite

    module: Any = postgresql if dialect == "postgresql" else sqlite
    c = schema.claims
    return Prepared(
        module.insert(c)
        .values({n: sa.bindparam(n) for n in ("strategy", "key", "record_type", "record_id")})
        .on_conflict_do_nothing(index_elements=["strategy", "key"])
        .returning(c.c.record_id)
    )


_CLAIM = {name: _claim_statement(name) for name in ("sqlite", "postgresql")}
_RECLAIM = Prepared(
    sa.update(schema.claims)
    .where(
        schema.claims.c.strategy == sa.bindparam("strategy"),
        schema.claims.c.key == sa.bindparam("key"),
        schema.claims.c.record_id == sa.bindparam("holder"),
    )
    .values(record_type=sa.bindparam("record_type"), record_id=sa.bindparam("record_id"))
)


_PARENT_FIELDS: dict[type[Record], tuple[str, ...]] = {
    kind: parent_fields(name) for kind, name in schema.TYPE_NAME.items()
}
"""Per record type, the references :meth:`Transaction.children` finds children by."""


def _loaded_state(record: Record, version: int) -> _Loaded:
    return _Loaded(version, len(record.history), codec.key_sources(record), record.consents)


def _storable(value: object) -> bool:
    """Whether both databases can hold ``value`` as text: a str without NUL characters
    (PostgreSQL refuses them) and without lone surrogates (not UTF-8)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows``, once every text value in them fits its column on both databases; else an
    :class:`InvalidFieldError` naming the column, raised before anything is written."""
    limits = _text_limits(table)
    for row in rows:
        for name, value in row.items():
            if type(value) is not str:
                continue
            limit = limits.get(name)
            if limit is not None and len(value) > limit:
                raise InvalidFieldError(name, f"a str of at most {limit} characters", _short(value))
            if not _storable(value):
                raise InvalidFieldError(
                    name, "text without NUL characters or lone surrogates", _short(value)
                )
    return rows


@functools.cache
def _text_limits(table: sa.Table) -> dict[str, int]:
    """Column name to the longest text it takes, for the columns with a length."""
    return {
        c.name: length
        for c in table.c
        if isinstance(length := getattr(c.type, "length", None), int)
    }


def _checked_one(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    return _checked(table, [row])[0]


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def _phones(record: Record) -> set[str]:
    """The record's phone numbers in E.164."""
    found = set()
    for name in ("telephone1", "mobilephone"):
        number = normalize.phone(getattr(record, name, None))
        if number is not None:
            found.add(number)
    return found


def _contact_points(record: Record) -> list[str]:
    """Every form a contact-point consent may have stored this record's address or phones in."""
    points: set[str] = set()
    if record.emailaddress1:
        points.add(record.emailaddress1.strip().casefold())
        key = normalize.email(record.emailaddress1)
        if key:
            points.add(key)
    for name in ("telephone1", "mobilephone"):
        value = getattr(record, name, None)
        if value and value.strip():
            points.add(value.strip())
            e164 = normalize.phone(value)
            if e164:
                points.add(e164)
    return sorted(points)


def _normalised(field: str, value: str | None) -> list[str]:
    """The storable keys ``value`` may be filed under (:func:`matching.keys.lookup_keys`)."""
    return [key for key in lookup_keys(field, value) if _storable(key)]


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


class Store:
    """Records in a database; open one with :func:`open_store`.

    One ``Store`` is safe to share between threads; each process opens its own.
    Every method runs in its own transaction; group several with :meth:`transaction`.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._tracker = _Tracker()
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
