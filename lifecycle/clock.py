"""The clock every decision and transition takes, so callers and tests can pin time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError

Clock = Callable[[], dt.datetime]
"""Anything that returns an aware ``datetime`` when called."""


def system_clock() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class FixedClock:
    """A clock that always says ``at``; for tests, demos and reproducible batch runs."""

    at: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.at


def require_aware(name: str, value: object) -> dt.datetime:
    """``value`` if it is a timezone-aware datetime, else a typed error naming ``name``."""
    if not isinstance(value, dt.datetime):
        raise FieldTypeError(name, "an aware datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFieldError(name, "timezone-aware", value)
    return value
