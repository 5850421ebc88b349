"""Suppressions: addresses that must not be emailed (D13), kept by digest."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import InvalidFieldError, Suppression, SuppressionList, SuppressionReason
from matching import normalize
from matching.store import codec, schema
from matching.store.prepared import Prepared
from matching.store.tables.base import TransactionBase, chunks
from matching.store.text import checked_one


class SuppressionOperations(TransactionBase):
    """The transaction's suppressions."""

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
            sa.insert(schema.suppressions).values(checked_one(schema.suppressions, values))
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
                for chunk in chunks(digests)
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


def hide_address(conn: Connection, email_key: str) -> None:
    """Forget the readable address of the suppressions of ``email_key`` (a normalised email);
    the suppressions stay, under its digest."""
    s = schema.suppressions
    conn.execute(
        sa.update(s).where(s.c.address_digest == codec.digest(email_key)).values(address=None)
    )


_SUPPRESSIONS = Prepared(
    sa.select(schema.suppressions).where(
        schema.suppressions.c.address_digest == sa.bindparam("digest")
    )
)
