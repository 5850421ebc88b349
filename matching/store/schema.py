"""The store's tables, as SQLAlchemy Core metadata.

Record tables are derived from the ``lifecycle`` record classes, so a field added
to a record is a column here; the migrations in ``matching/store/migrations`` are
the frozen history of this metadata, and a test checks the two agree.
Columns use Dataverse logical names (``leadid``, ``statecode``, ``emailaddress1``...).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from lifecycle import Account, Contact, Lead, Record
from lifecycle.records import PRIMARY_KEY as PRIMARY_KEY
from lifecycle.records import RECORD_TYPES as RECORD_TYPES
from lifecycle.records import TYPE_NAME as TYPE_NAME
from lifecycle.records import data_fields
from lifecycle.relations import parent_fields
from matching.values import STRATEGY_NAME_LENGTH as STRATEGY_NAME_LENGTH

UTC = dt.UTC


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware datetime, stored as naive UTC so both databases keep the same instant."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


TABLE_OF: dict[type[Record], str] = {Lead: "leads", Contact: "contacts", Account: "accounts"}
_INDEXED = {kind: (*parent_fields(name), "modifiedon") for kind, name in TYPE_NAME.items()}
"""Per record table, the indexed columns: the parent references (a parent's children are
found by them) and the modification time (candidates come newest first)."""


field_columns = data_fields
"""The record fields stored as plain columns, in declaration order."""


def _column(kind: type[Record], name: str) -> sa.Column[Any]:
    annotation: object = attrs.fields_dict(kind)[name].type
    if annotation == "bool":
        return sa.Column(name, sa.Boolean, nullable=False)
    if annotation == "dt.datetime | None":
        return sa.Column(name, UTCDateTime, nullable=True, index=name in _INDEXED[kind])
    if annotation == "str | None":
        return sa.Column(name, sa.Text, nullable=True, index=name in _INDEXED[kind])
    raise TypeError(f"no column type for {kind.__name__}.{name}: {annotation!r}")


def _record_table(kind: type[Record]) -> sa.Table:
    return sa.Table(
        TABLE_OF[kind],
        metadata,
        sa.Column(PRIMARY_KEY[kind], sa.String(100), primary_key=True),
        sa.Column("statecode", sa.SmallInteger, nullable=False),
        sa.Column("statuscode", sa.SmallInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        *(_column(kind, name) for name in field_columns(kind)),
    )


leads = _record_table(Lead)
contacts = _record_table(Contact)
accounts = _record_table(Account)
RECORD_TABLES: dict[type[Record], sa.Table] = {Lead: leads, Contact: contacts, Account: accounts}


def _owner() -> tuple[sa.Column[Any], sa.Column[Any]]:
    return (
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("record_id", sa.String(100), nullable=False),
    )


consents = sa.Table(
    "consents",
    metadata,
    sa.Column("consentid", sa.String(100), nullable=False),
    *_owner(),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("policy", sa.Text),
    sa.Column("valid_until", UTCDateTime),
    sa.Column("given_on", UTCDateTime),
    sa.Column("explicit", sa.Boolean, nullable=False),
    sa.Column("confidential", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("record_type", "record_id", "consentid"),
)
"""A record's data consents; qualifying and merging carry a consent, id and all, to another
record (D4, D12), so a consent id is unique per record, not across records."""

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *_owner(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("trigger", sa.String(64), nullable=False),
    sa.Column("from_state", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(32), nullable=False),
    sa.Column("to_state", sa.String(32), nullable=False),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("record_type", "record_id", "seq"),
)
"""Every transition; a record's history survives its deletion (the audit trail)."""

contact_point_consents = sa.Table(
    "contact_point_consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("contact_point", sa.Text, nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("value", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("reason", sa.Text),
)

interactions = sa.Table(
    "interactions",
    metadata,
    sa.Column("interactionid", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("contactid", sa.String(100), index=True),
    sa.Column("leadid", sa.String(100), index=True),
    sa.Column("formid", sa.Text),
    sa.Column("pageid", sa.Text),
    sa.Column("payload", sa.Text),
)
"""Form submissions and other touches, credited to a contact and/or a lead."""

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("address", sa.Text),
    sa.Column("address_digest", sa.String(64), nullable=False, index=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime),
    sa.Column("sending_account", sa.Text),
)
"""Suppressed addresses; ``address`` is erased by anonymisation, the digest keeps the block."""

tombstones = sa.Table(
    "tombstones",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email_digest", sa.String(64), nullable=False, index=True),
    *_owner(),
    sa.Column("reason", sa.Text),
    sa.Column("deletedon", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text),
)
"""Deleted records by digest of their normalised email (D14), so they are not resurrected."""

match_keys = sa.Table(
    "match_keys",
    metadata,
    *_owner(),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("record_type", "field", "key", "record_id"),
    sa.Index(None, "record_type", "record_id"),
)
"""Normalised values (email, phones, name) for indexed candidate lookup."""

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("strategy", sa.String(STRATEGY_NAME_LENGTH), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    *_owner(),
    sa.PrimaryKeyConstraint("strategy", "key"),
    sa.Index(None, "record_type", "record_id"),
)
"""(strategy, normalised key) → the record created for it; the primary key makes
concurrent creators for the same key agree on one record."""
