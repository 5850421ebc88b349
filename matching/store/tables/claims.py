"""Claims: one record per ``(strategy, key)`` when writers race to create it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import InvalidFieldError, Record
from matching.store import schema
from matching.store.prepared import Prepared
from matching.store.tables.base import TransactionBase, kind_name
from matching.store.text import checked, storable


class ClaimOperations(TransactionBase):
    """The transaction's claims."""

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
            "record_type": kind_name(type(record)),
            "record_id": record.id,
        }
        checked(c, [values])
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
            "record_type": kind_name(type(record)),
            "record_id": record.id,
        }
        checked(c, [values])
        return _RECLAIM.run(self._conn, values) == 1

    def claimed(self, strategy: str, key: str) -> tuple[str, str] | None:
        """``(record_type, record_id)`` holding ``(strategy, key)``, if any."""
        if not (storable(strategy) and storable(key)):
            return None
        rows = _CLAIMED.rows(self._conn, {"strategy": strategy, "key": key})
        return (rows[0][0], rows[0][1]) if rows else None


def erase(conn: Connection, record_type: str, record_id: str) -> None:
    """Drop every claim a record holds (it was deleted or anonymised)."""
    c = schema.claims
    conn.execute(sa.delete(c).where(c.c.record_type == record_type, c.c.record_id == record_id))


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
