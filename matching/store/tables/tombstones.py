"""Tombstones: the normalised email of every deleted record, so that it is not silently
recreated (D14)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import Record
from matching import normalize
from matching.errors import TombstonedError
from matching.store import codec, schema
from matching.store.prepared import Prepared
from matching.store.tables.base import TransactionBase, chunks
from matching.store.text import checked
from matching.values import Tombstone


class TombstoneOperations(TransactionBase):
    """The transaction's tombstones."""

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
        return tombstoned(self._conn, records)


def tombstoned(conn: Connection, records: Iterable[Record]) -> dict[str, Tombstone]:
    """Which of ``records`` (by id) carry the email of a deleted record (D14)."""
    by_digest: dict[str, list[Record]] = {}
    for record in records:
        key = normalize.email(record.emailaddress1)
        if key is not None:
            by_digest.setdefault(codec.digest(key), []).append(record)
    found: dict[str, Tombstone] = {}
    t = schema.tombstones
    for chunk in chunks(list(by_digest)):
        rows = conn.execute(
            sa.select(t).where(t.c.email_digest.in_(chunk)).order_by(t.c.deletedon, t.c.id)
        )
        for row in rows:
            stone = Tombstone(row.record_type, row.record_id, row.deletedon, row.reason, row.actor)
            for record in by_digest[row.email_digest]:
                found[record.id] = stone
    return found


def refuse_tombstoned(conn: Connection, records: list[Record]) -> None:
    """A :class:`TombstonedError` for the first of ``records`` with a deleted record's email."""
    found = tombstoned(conn, records)
    for record in records:
        stone = found.get(record.id)
        if stone is not None:
            raise TombstonedError(str(record.emailaddress1), stone.record_type, stone.record_id)


def check(reason: str | None, actor: str | None) -> None:
    """An :class:`InvalidFieldError` now, before a deletion writes anything, when ``reason``
    or ``actor`` does not fit the tombstone's columns."""
    checked(schema.tombstones, [{"reason": reason, "actor": actor}])


def bury(
    conn: Connection,
    record: Record,
    record_type: str,
    at: dt.datetime,
    reason: str | None,
    actor: str | None,
) -> Tombstone:
    """The tombstone of ``record``, deleted ``at``; stored when it has an email."""
    tombstone = Tombstone(record_type, record.id, at, reason, actor)
    key = normalize.email(record.emailaddress1)
    if key is not None:
        conn.execute(
            sa.insert(schema.tombstones).values(
                email_digest=codec.digest(key),
                record_type=record_type,
                record_id=record.id,
                reason=reason,
                deletedon=at,
                actor=actor,
            )
        )
    return tombstone


_TOMBSTONES = Prepared(
    sa.select(schema.tombstones)
    .where(schema.tombstones.c.email_digest == sa.bindparam("digest"))
    .order_by(schema.tombstones.c.deletedon.desc(), schema.tombstones.c.id.desc())
)
