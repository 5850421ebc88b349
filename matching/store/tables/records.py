"""Records, with their history and match keys, which are written in the record path.

Saving a record checks the version it was loaded at (optimistic concurrency). Deleting and
anonymising a record reach into the other tables through their modules' functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from lifecycle import HistoryEvent, InvalidFieldError, Record, Transitioned
from lifecycle.errors import FieldTypeError
from matching import normalize
from matching.errors import ConflictError, RecordNotFound, StoreError
from matching.keys import KEYED_FIELDS, lookup_keys, record_keys
from matching.store import codec, schema
from matching.store.tables import claims, consents, interactions, suppressions, tombstones
from matching.store.tables.base import (
    Loaded,
    OnExisting,
    R,
    TransactionBase,
    chunks,
    kind_name,
    loaded_state,
)
from matching.store.tables.record_queries import (
    INSERT_EVENT,
    INSERT_KEY,
    PARENT_FIELDS,
    candidate,
    candidate_columns,
    candidate_query,
    queries,
)
from matching.store.text import checked, storable
from matching.values import Candidate, Tombstone, newest_first


class RecordOperations(TransactionBase):
    """The transaction's records: reading, adding, saving, firing triggers, deleting and
    anonymising them."""

    # --- reading records ---------------------------------------------------------------

    def get(self, kind: type[R], record_id: str, *, lock: bool = False) -> R:
        """The stored ``kind`` with ``record_id``, with consents and history.

        ``lock`` holds the row until the transaction ends, so a concurrent writer of the
        same record waits instead of failing its save (``SELECT ... FOR UPDATE`` on
        PostgreSQL; a SQLite write transaction holds the whole database already)."""
        found = self.get_many(kind, [record_id], lock=lock)
        if not found:
            raise RecordNotFound(kind_name(kind), record_id)
        return found[0]

    def get_many(self, kind: type[R], record_ids: Iterable[str], *, lock: bool = False) -> list[R]:
        """The stored records among ``record_ids``, in the order asked; missing ids are skipped.
        ``lock``: as :meth:`get`."""
        q = queries(kind)
        if isinstance(record_ids, str):
            raise FieldTypeError("record_ids", "an iterable of record ids", record_ids)
        ids = list(record_ids)
        for record_id in ids:
            if not isinstance(record_id, str):
                raise FieldTypeError("record_id", "a record id (str)", record_id)
        ids = [i for i in dict.fromkeys(ids) if storable(i)]
        rows: dict[str, Mapping[Any, Any]] = {}
        found_consents: dict[str, list[Any]] = {}
        events: dict[str, list[HistoryEvent]] = {}
        conn, execute = self._conn, self._conn.execute
        for chunk in chunks(ids):
            if len(chunk) == 1:
                one = {"id": chunk[0]}
                read: Iterable[Mapping[Any, Any]] = (q.locked_row if lock else q.row).mappings(
                    conn, one
                )
                rows.update((row[q.pk], row) for row in read)
                if chunk[0] not in rows:
                    continue
                consent_rows = consents.read_one(conn, kind, chunk[0])
                event_rows: Iterable[Mapping[Any, Any]] = q.event.mappings(conn, one)
            else:
                read = execute(
                    q.rows.with_for_update() if lock else q.rows, {"ids": chunk}
                ).mappings()
                rows.update((row[q.pk], row) for row in read)
                found = [i for i in chunk if i in rows]
                if not found:
                    continue
                consent_rows = consents.read_many(conn, kind, found)
                event_rows = execute(q.events, {"ids": found}).mappings()
            for consent in consent_rows:
                found_consents.setdefault(consent["record_id"], []).append(
                    codec.build_consent(consent)
                )
            for event in event_rows:
                events.setdefault(event["record_id"], []).append(codec.build_event(kind, event))
        records: list[R] = []
        for record_id in ids:
            stored = rows.get(record_id)
            if stored is None:
                continue
            record = codec.build_record(
                kind, stored, found_consents.get(record_id, ()), events.get(record_id, ())
            )
            assert isinstance(record, kind)
            self._track(record, loaded_state(record, stored["version"]))
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
        q = queries(kind)
        if not isinstance(record_id, str):
            raise FieldTypeError("record_id", "a record id (str)", record_id)
        if not storable(record_id):
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
        q = queries(kind)
        if not isinstance(key, str):
            raise FieldTypeError("key", "a normalised key (str)", key)
        if not storable(key):
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
        columns = candidate_columns(kind, fields)
        statement = candidate_query(kind_name(kind), "key", columns, limited=limit is not None)
        pk = schema.PRIMARY_KEY[kind]
        found: dict[str, Candidate] = {}
        for field, key in keys:
            if field not in KEYED_FIELDS:
                raise InvalidFieldError("field", f"one of {sorted(KEYED_FIELDS)}", field)
            if not isinstance(key, str):
                raise FieldTypeError("key", "a normalised key (str)", key)
            if storable(key):
                params: dict[str, object] = {"field": field, "key": key}
                if limit is not None:
                    params["limit"] = limit
                for row in statement.mappings(self._conn, params):
                    found.setdefault(row[pk], candidate(kind, pk, row))
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
        if field not in PARENT_FIELDS.get(kind, ()):
            raise InvalidFieldError("field", f"one of {list(PARENT_FIELDS.get(kind, ()))}", field)
        if type(limit) is not int or limit < 1:
            raise InvalidFieldError("limit", "a whole number of at least 1", limit)
        columns = candidate_columns(kind, fields)
        statement = candidate_query(kind_name(kind), field, columns, limited=True)
        if not storable(parent_id):
            return []
        pk = schema.PRIMARY_KEY[kind]
        rows = statement.mappings(self._conn, {"id": parent_id, "limit": limit})
        return [candidate(kind, pk, row) for row in rows]

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
        kind_name(kind)
        table = schema.RECORD_TABLES[kind]
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def history(self, kind: type[Record], record_id: str) -> tuple[HistoryEvent, ...]:
        """Every stored transition of a record, oldest first; kept after it is deleted."""
        h = schema.history
        if not storable(record_id):
            return ()
        rows = self._conn.execute(
            sa.select(h)
            .where(h.c.record_type == kind_name(kind), h.c.record_id == record_id)
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
            kind_name(type(record))
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
        name = kind_name(kind)
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidFieldError("records", "records with distinct ids", dupes[:5])
        existing = self._versions(kind, ids)
        if existing and on_existing == "error":
            first = next(iter(existing))
            raise ConflictError(name, first, 0, existing[first])
        if not allow_tombstoned:
            tombstones.refuse_tombstoned(self._conn, records)
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
        record_rows = checked(table, [codec.record_row(r, 1) for r in records])
        consent_rows = consents.rows_of(records)
        filed = [tuple(record_keys(r)) for r in records]
        key_rows = checked(
            schema.match_keys,
            [row for r, k in zip(records, filed, strict=True) for row in codec.key_rows(r, k)],
        )
        history_rows = checked(
            schema.history, [row for r in records for row in codec.history_rows(r, 0)]
        )
        conn = self._conn
        queries(kind).insert.run_many(conn, record_rows)
        consents.insert(conn, consent_rows)
        INSERT_KEY.run_many(conn, key_rows)
        INSERT_EVENT.run_many(conn, history_rows)
        for record in records:
            self._track(record, loaded_state(record, 1))

    def _overwrite(self, record: Record, version: int) -> None:
        """Replace a stored record's values with ``record``'s (an import's update)."""
        stored_history = len(self.history(type(record), record.id))
        start = min(stored_history, len(record.history))
        self._write_version(record, Loaded(version, start, (), ()), rewrite=True)

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
        return self._write_version(record, loaded)

    def _write_version(self, record: Record, loaded: Loaded, *, rewrite: bool = False) -> int:
        """Write ``record`` over its stored row as the version after ``loaded``'s, with its
        new history events, and its consents and match keys when they changed (always when
        ``rewrite``); a :class:`ConflictError` when the row is no longer at that version."""
        kind = type(record)
        name = kind_name(kind)
        if record.is_deleted:
            raise StoreError(f"{name} {record.id!r} is deleted: use Store.delete() to remove it.")
        q = queries(kind)
        version = loaded.version + 1
        row = codec.record_row(record, version)
        del row[q.pk]
        checked(schema.RECORD_TABLES[kind], [row])
        reconsent = rewrite or record.consents != loaded.consents
        consent_rows = consents.rows_of([record]) if reconsent else []
        sources = codec.key_sources(record)
        rekey = rewrite or sources != loaded.key_sources
        key_rows = checked(schema.match_keys, codec.key_rows(record)) if rekey else []
        events = checked(schema.history, codec.history_rows(record, loaded.history))
        row["b_id"], row["b_version"] = record.id, loaded.version
        conn = self._conn
        if q.update.run(conn, row) != 1:
            raise ConflictError(name, record.id, loaded.version, self.version_of(kind, record.id))
        if reconsent:
            consents.replace(conn, kind, record.id, consent_rows)
        if rekey:
            q.drop_keys.run(conn, {"id": record.id})
            INSERT_KEY.run_many(conn, key_rows)
        INSERT_EVENT.run_many(conn, events)
        self._track(record, Loaded(version, len(record.history), sources, record.consents))
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
        name = kind_name(kind)
        record = self.get(kind, record_id)
        loaded = self._loaded(record)
        assert loaded is not None
        tombstones.check(reason, actor)
        event = record.delete(at=at, actor=actor, note=reason)
        events = checked(schema.history, codec.history_rows(record, loaded.history))
        table = schema.RECORD_TABLES[kind]
        pk = table.c[schema.PRIMARY_KEY[kind]]
        result = self._conn.execute(
            sa.delete(table).where(pk == record_id, table.c.version == loaded.version)
        )
        if result.rowcount != 1:
            raise ConflictError(name, record_id, loaded.version, self.version_of(kind, record_id))
        self._erase_links(name, record_id)
        self._conn.execute(sa.insert(schema.history), events)
        tombstone = tombstones.bury(self._conn, record, name, event.at, reason, actor)
        self._forget(record)
        return tombstone

    def _erase_links(self, name: str, record_id: str) -> None:
        """Drop what hangs off a deleted record: its consents, match keys and claims."""
        consents.erase(self._conn, name, record_id)
        k = schema.match_keys
        self._conn.execute(sa.delete(k).where(k.c.record_type == name, k.c.record_id == record_id))
        claims.erase(self._conn, name, record_id)

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
        name = kind_name(kind)
        record = self.get(kind, record_id)
        points = consents.contact_points(record)
        numbers = consents.phones(record)
        email_key = normalize.email(record.emailaddress1)
        record.anonymize(at=at, actor=actor)
        self.save(record)
        h = schema.history
        self._conn.execute(
            sa.update(h)
            .where(h.c.record_type == name, h.c.record_id == record_id)
            .values(note=None)
        )
        interactions.erase_payloads(self._conn, name, record_id)
        claims.erase(self._conn, name, record_id)
        consents.erase_contact_points(self._conn, points, numbers)
        if email_key is not None:
            suppressions.hide_address(self._conn, email_key)
        return self.get(kind, record_id)

    # --- bookkeeping -------------------------------------------------------------------

    def _versions(self, kind: type[Record], ids: list[str]) -> dict[str, int]:
        if len(ids) == 1:
            version = self.version_of(kind, ids[0])
            return {} if version is None else {ids[0]: version}
        table = schema.RECORD_TABLES[kind]
        pk = table.c[schema.PRIMARY_KEY[kind]]
        found: dict[str, int] = {}
        for chunk in chunks([i for i in ids if storable(i)]):
            for row in self._conn.execute(sa.select(pk, table.c.version).where(pk.in_(chunk))):
                found[row[0]] = row[1]
        return found


def _normalised(field: str, value: str | None) -> list[str]:
    """The storable keys ``value`` may be filed under (:func:`matching.keys.lookup_keys`)."""
    return [key for key in lookup_keys(field, value) if storable(key)]
