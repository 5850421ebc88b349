"""What text the store can hold, on both databases: the one check (:func:`storable`, kept
in the pure :mod:`matching.values` and offered here too), used when rows are read
(:mod:`matching.store.rows`), before anything is written, and to skip a lookup of a key no
row can hold; :func:`checked` adds each column's length."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from lifecycle import InvalidFieldError
from matching.values import STORABLE_TEXT, short, storable

__all__ = ["STORABLE_TEXT", "checked", "checked_one", "short", "storable"]


def checked(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows``, once every text value in them fits its column on both databases; else an
    :class:`InvalidFieldError` naming the column, raised before anything is written."""
    limits = _text_limits(table)
    for row in rows:
        for name, value in row.items():
            if type(value) is not str:
                continue
            limit = limits.get(name)
            if limit is not None and len(value) > limit:
                raise InvalidFieldError(name, f"a str of at most {limit} characters", short(value))
            if not storable(value):
                raise InvalidFieldError(name, STORABLE_TEXT, short(value))
    return rows


def checked_one(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row``, checked as :func:`checked` checks rows."""
    return checked(table, [row])[0]


@functools.cache
def _text_limits(table: sa.Table) -> dict[str, int]:
    """Column name to the longest text it takes, for the columns with a length."""
    return {
        c.name: length
        for c in table.c
        if isinstance(length := getattr(c.type, "length", None), int)
    }
