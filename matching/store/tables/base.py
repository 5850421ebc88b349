"""What every table module's operations share: the transaction's connection, the versions of
the records it has read or written, and a few helpers."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any, Literal, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import InvalidFieldError, Record
from matching.store import codec, schema
from matching.store.prepared import Prepared

R = TypeVar("R", bound=Record)
OnExisting = Literal["error", "skip", "update"]
IN_CHUNK = 500
"""Ids per ``IN (...)`` list: under SQLite's and psycopg's parameter limits."""


@attrs.frozen
class Loaded:
    """What a record looked like when it was read or last written."""

    version: int
    history: int
    key_sources: tuple[object, ...]
    """The values match keys are computed from (:func:`codec.key_sources`): a save whose
    sources are unchanged leaves the stored keys alone without normalising anything."""
    consents: tuple[Any, ...]


def loaded_state(record: Record, version: int) -> Loaded:
    """``record`` as it is now, stored at ``version``."""
    return Loaded(version, len(record.history), codec.key_sources(record), record.consents)


class Tracker:
    """Remembers, per live record object, the version it was loaded at; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, tuple[weakref.ref[Record], Loaded]] = {}

    def get(self, record: Record) -> Loaded | None:
        with self._lock:
            entry = self._seen.get(id(record))
        if entry is None or entry[0]() is not record:
            return None
        return entry[1]

    def put(self, record: Record, loaded: Loaded) -> None:
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


class TransactionBase:
    """The state of one transaction that every table module's operations read: its
    connection, and the records it loaded or wrote (handed to the store's tracker when it
    ends)."""

    def __init__(self, connection: Connection, tracker: Tracker) -> None:
        self._conn = connection
        self._tracker = tracker
        self._seen: dict[int, tuple[Record, Loaded | None]] = {}

    @property
    def connection(self) -> Connection:
        """The transaction's SQLAlchemy connection, for queries leadflow does not offer."""
        return self._conn

    def _track(self, record: Record, loaded: Loaded) -> None:
        self._seen[id(record)] = (record, loaded)

    def _forget(self, record: Record) -> None:
        self._seen[id(record)] = (record, None)

    def _loaded(self, record: Record) -> Loaded | None:
        entry = self._seen.get(id(record))
        if entry is not None and entry[0] is record:
            return entry[1]
        return self._tracker.get(record)


def kind_name(kind: type[Record]) -> str:
    """``"lead"``, ``"contact"`` or ``"account"``; an :class:`InvalidFieldError` for any other."""
    try:
        return schema.TYPE_NAME[kind]
    except KeyError:
        raise InvalidFieldError("kind", "Lead, Contact or Account", kind) from None


def chunks(items: list[str]) -> Iterator[list[str]]:
    """``items`` in lists short enough for one ``IN (...)``."""
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def insert_all(table: sa.Table) -> Prepared:
    """An insert of every column but an autoincremented id."""
    columns = [c.name for c in table.c if not (c.primary_key and c.autoincrement is True)]
    return Prepared(sa.insert(table).values({name: sa.bindparam(name) for name in columns}))
