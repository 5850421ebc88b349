"""Consents: a record's data consents (written with the record) and the consent answers given
for a contact point (an address or a phone number), whoever it belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle import (
    ConsentValue,
    ContactPointConsent,
    ContactPointLedger,
    InvalidFieldError,
    Record,
)
from lifecycle.contactpoints import Channel
from matching import normalize
from matching.store import codec, schema
from matching.store.prepared import Prepared
from matching.store.tables.base import IN_CHUNK, TransactionBase, chunks, insert_all, kind_name
from matching.store.text import checked, checked_one, storable


class ConsentOperations(TransactionBase):
    """The transaction's contact-point consents (a record's own consents are read and written
    with the record: :mod:`~matching.store.tables.records` calls the functions below)."""

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
        self._conn.execute(sa.insert(cp).values(checked_one(cp, values)))

    def contact_point_ledger(self, points: Iterable[str]) -> ContactPointLedger:
        """The stored consent answers of these contact points, oldest first."""
        wanted = [p for p in dict.fromkeys(points) if storable(p)]
        cp = schema.contact_point_consents
        answers: list[ContactPointConsent] = []
        for chunk in chunks(wanted):
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


# --- a record's consents ----------------------------------------------------------------


def rows_of(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The consent rows of ``records``, checked before anything is written."""
    return checked(schema.consents, [row for r in records for row in codec.consent_rows(r)])


def insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store consent rows (:func:`rows_of`)."""
    _INSERT_CONSENT.run_many(conn, rows)


def replace(
    conn: Connection, kind: type[Record], record_id: str, rows: list[dict[str, Any]]
) -> None:
    """Replace a stored record's consents with ``rows``."""
    _queries(kind).drop.run(conn, {"id": record_id})
    _INSERT_CONSENT.run_many(conn, rows)


def read_one(conn: Connection, kind: type[Record], record_id: str) -> Iterable[Mapping[Any, Any]]:
    """The consent rows of one record, in order."""
    return _queries(kind).one.mappings(conn, {"id": record_id})


def read_many(conn: Connection, kind: type[Record], ids: list[str]) -> Iterable[Mapping[Any, Any]]:
    """The consent rows of the records ``ids`` (at most one ``IN`` list), by record, in order."""
    return conn.execute(_queries(kind).many, {"ids": ids}).mappings()


def erase(conn: Connection, record_type: str, record_id: str) -> None:
    """Drop a record's consents (it was deleted)."""
    c = schema.consents
    conn.execute(sa.delete(c).where(c.c.record_type == record_type, c.c.record_id == record_id))


@attrs.frozen
class _Queries:
    """A record type's consent statements, built once."""

    one: Prepared
    many: sa.Select[Any]
    drop: Prepared


_QUERIES: dict[type[Record], _Queries] = {}


def _queries(kind: type[Record]) -> _Queries:
    built = _QUERIES.get(kind)
    if built is None:
        name = kind_name(kind)
        c = schema.consents
        one: sa.BindParameter[str] = sa.bindparam("id")
        many: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
        ordered = sa.select(c).order_by(c.c.record_id, c.c.position)
        built = _QUERIES[kind] = _Queries(
            one=Prepared(ordered.where(c.c.record_type == name, c.c.record_id == one)),
            many=ordered.where(c.c.record_type == name, c.c.record_id.in_(many)),
            drop=Prepared(sa.delete(c).where(c.c.record_type == name, c.c.record_id == one)),
        )
    return built


_INSERT_CONSENT = insert_all(schema.consents)


# --- contact points, for anonymising a record ---------------------------------------------


def contact_points(record: Record) -> list[str]:
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


def phones(record: Record) -> set[str]:
    """The record's phone numbers in E.164."""
    found = set()
    for name in ("telephone1", "mobilephone"):
        number = normalize.phone(getattr(record, name, None))
        if number is not None:
            found.add(number)
    return found


def erase_contact_points(conn: Connection, points: list[str], numbers: set[str]) -> None:
    """Drop the contact-point consents of ``points`` (:func:`contact_points`) and of the phone
    numbers ``numbers`` (:func:`phones`), however each number was written."""
    cp = schema.contact_point_consents
    if points:
        conn.execute(sa.delete(cp).where(cp.c.contact_point.in_(points)))
    if numbers:
        # A phone consent keeps the number as it was given ("425.555.0199"), so the
        # record's numbers are compared in E.164 with every stored phone contact point.
        stored = conn.execute(
            sa.select(cp.c.id, cp.c.contact_point).where(
                sa.not_(cp.c.contact_point.contains("@", autoescape=True))
            )
        )
        ids = [n.id for n in stored if normalize.phone(n.contact_point) in numbers]
        for start in range(0, len(ids), IN_CHUNK):
            conn.execute(sa.delete(cp).where(cp.c.id.in_(ids[start : start + IN_CHUNK])))
