"""Interactions: touches by a person (form submissions, typically), never merged or dropped."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import InvalidFieldError
from matching.store import schema
from matching.store.tables.base import TransactionBase, insert_all
from matching.store.text import checked_one, storable
from matching.values import Interaction


class InteractionOperations(TransactionBase):
    """The transaction's interactions."""

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
        _INSERT_INTERACTION.run(self._conn, checked_one(i, values))

    def interactions(
        self, *, contactid: str | None = None, leadid: str | None = None
    ) -> list[Interaction]:
        """Interactions credited to a contact or a lead, oldest first."""
        i = schema.interactions
        if (contactid is None) == (leadid is None):
            raise InvalidFieldError("interactions", "exactly one of contactid or leadid", None)
        column, value = (i.c.contactid, contactid) if contactid else (i.c.leadid, leadid)
        if not storable(value):
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


def erase_payloads(conn: Connection, record_type: str, record_id: str) -> None:
    """Drop the payloads of the interactions credited to a record (it was anonymised)."""
    i = schema.interactions
    column = i.c.contactid if record_type == "contact" else i.c.leadid
    conn.execute(sa.update(i).where(column == record_id).values(payload=None))


_INSERT_INTERACTION = insert_all(schema.interactions)
