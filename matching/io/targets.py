"""The columns a file of each record type can fill: its primary key, ``statecode`` and
``statuscode``, and the record fields, by Dataverse logical name.

Derived from the ``lifecycle`` record classes, as the store's tables are, so a field added
to a record is a column here too (a test checks the two lists agree). This module imports
no store code: :mod:`matching.io` reads files without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from lifecycle.records import RECORD_TYPES, Account, Record

__all__ = ["CODES", "PRIMARY_KEY", "columns", "field_names", "identity_columns", "lookups"]

PRIMARY_KEY: Mapping[type[Record], str] = MappingProxyType(
    {kind: f"{name}id" for name, kind in RECORD_TYPES.items()}
)
"""Each record type's primary-key column: ``leadid``, ``contactid``, ``accountid``."""

CODES = ("statecode", "statuscode")
"""The state and status columns every record type has."""

_NOT_COLUMNS = frozenset({"id", "state", "status", "consents"})


def field_names(kind: type[Record]) -> tuple[str, ...]:
    """The record fields of ``kind`` a file can carry, in declaration order."""
    return tuple(f.name for f in attrs.fields(kind) if f.init and f.name not in _NOT_COLUMNS)


def columns(kind: type[Record]) -> tuple[str, ...]:
    """Every column a file of ``kind`` can fill: primary key, codes, fields."""
    return (PRIMARY_KEY[kind], *CODES, *field_names(kind))


def lookups(kind: type[Record]) -> tuple[str, ...]:
    """The fields of ``kind`` that hold another record's (or a marketing asset's) id."""
    return tuple(name for name in field_names(kind) if name.endswith("id"))


def identity_columns(kind: type[Record]) -> tuple[tuple[str, ...], ...]:
    """The columns that give a row its identity, strongest first: the primary key, the
    email, then the name (first and last name; an account's name)."""
    name = ("name",) if kind is Account else ("firstname", "lastname")
    return ((PRIMARY_KEY[kind],), ("emailaddress1",), name)
