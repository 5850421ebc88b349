"""The columns a file of each record type can fill: its primary key, ``statecode`` and
``statuscode``, and the record fields, by Dataverse logical name.

The key and the fields are :mod:`lifecycle.records`' (``PRIMARY_KEY``, ``data_fields``),
which the store's tables read too, so a field added to a record is a column here as well.
This module imports no store code: :mod:`matching.io` reads files without a database.
"""

from __future__ import annotations

from lifecycle.records import PRIMARY_KEY, TYPE_NAME, Account, Record, data_fields
from lifecycle.relations import relations_of

__all__ = [
    "CODES",
    "MARKETING_ASSETS",
    "PRIMARY_KEY",
    "columns",
    "field_names",
    "identity_columns",
    "lookups",
]

CODES = ("statecode", "statuscode")
"""The state and status columns every record type has."""

field_names = data_fields
"""The record fields of a kind a file can carry, in declaration order."""


def columns(kind: type[Record]) -> tuple[str, ...]:
    """Every column a file of ``kind`` can fill: primary key, codes, fields."""
    return (PRIMARY_KEY[kind], *CODES, *field_names(kind))


MARKETING_ASSETS = ("campaignid", "msdyncrm_marketingformid", "msdyncrm_marketingpageid")
"""A lead's fields that hold the id of a marketing asset (campaign, form, page) rather than
of a record leadflow keeps."""


def lookups(kind: type[Record]) -> tuple[str, ...]:
    """The fields of ``kind`` that hold another record's id (its relations,
    :mod:`lifecycle.relations`) or a marketing asset's."""
    fields = set(field_names(kind))
    held = [r.field for r in relations_of(TYPE_NAME[kind])] + list(MARKETING_ASSETS)
    return tuple(dict.fromkeys(name for name in held if name in fields))


def identity_columns(kind: type[Record]) -> tuple[tuple[str, ...], ...]:
    """The columns that give a row its identity, strongest first: the primary key, the
    email, then the name (first and last name; an account's name)."""
    name = ("name",) if kind is Account else ("firstname", "lastname")
    return ((PRIMARY_KEY[kind],), ("emailaddress1",), name)
