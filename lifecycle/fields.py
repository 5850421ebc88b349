"""Field validators for records: small named callables with one message shape.

Each factory returns a frozen validator whose error names the field, what was
expected and what was given, e.g. ``'firstname' must be a str of at most 50
characters (got 'x' * 51).``; the maximum lengths are Dataverse's.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError


@attrs.frozen(repr=False)
class _Text:
    max_length: int

    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise FieldTypeError(attribute.name, "a str or None", value)
        if len(value) > self.max_length:
            raise InvalidFieldError(
                attribute.name, f"a str of at most {self.max_length} characters", short(value)
            )
        if "\x00" in value:
            raise InvalidFieldError(attribute.name, "a str without NUL characters", short(value))

    def __repr__(self) -> str:
        return f"<text validator, at most {self.max_length} characters>"


def new_id() -> str:
    """A fresh record id (a GUID, as Dataverse uses)."""
    return str(uuid.uuid4())


def text(max_length: int) -> _Text:
    """``None`` or a str of at most ``max_length`` characters, without NUL."""
    return _Text(max_length)


_WHITESPACE = re.compile(r"\s")


@attrs.frozen(repr=False)
class _Email:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        _EMAIL_TEXT(inst, attribute, value)
        assert isinstance(value, str)
        trimmed = value.strip()
        local, at, domain = trimmed.rpartition("@")
        if not at or not local or "." not in domain or _WHITESPACE.search(trimmed):
            raise InvalidFieldError(attribute.name, "an email address like name@example.com", value)

    def __repr__(self) -> str:
        return "<email validator>"


_EMAIL_TEXT = _Text(100)


def email() -> _Email:
    """``None`` or an address of the form ``local@domain.tld`` (at most 100 characters)."""
    return _Email()


@attrs.frozen(repr=False)
class _Flag:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        checked_flag(attribute.name, value)

    def __repr__(self) -> str:
        return "<flag validator>"


def checked_flag(field: str, value: object) -> bool:
    """``value`` if it is exactly ``True`` or ``False``; a truthy ``"no"`` or ``1`` is a
    :class:`FieldTypeError`, never read as a flag."""
    if value is not True and value is not False:
        raise FieldTypeError(field, "a bool", value)
    return value


def flag() -> _Flag:
    """Exactly ``True`` or ``False`` (Dataverse two-option fields)."""
    return _Flag()


@attrs.frozen(repr=False)
class _Reference:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise FieldTypeError(attribute.name, "a record id (str) or None", value)
        if not value.strip() or len(value) > 100:
            raise InvalidFieldError(
                attribute.name, "a non-empty id of at most 100 characters", value
            )

    def __repr__(self) -> str:
        return "<reference validator>"


def reference() -> _Reference:
    """``None`` or a record id: a non-empty str (a Dataverse GUID, or any stable key)."""
    return _Reference()


@attrs.frozen(repr=False)
class _RequiredReference:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            raise FieldTypeError(attribute.name, "a record id (str)", value)
        _Reference()(inst, attribute, value)

    def __repr__(self) -> str:
        return "<required reference validator>"


def required_reference() -> _RequiredReference:
    """A record id that must be present."""
    return _RequiredReference()


@attrs.frozen(repr=False)
class _Moment:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, dt.datetime):
            raise FieldTypeError(attribute.name, "an aware datetime or None", value)
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidFieldError(attribute.name, "timezone-aware", value)

    def __repr__(self) -> str:
        return "<moment validator>"


def moment() -> _Moment:
    """``None`` or a timezone-aware datetime."""
    return _Moment()


def moment_text(value: dt.datetime) -> str:
    """An aware ``value`` as ISO 8601 in UTC with ``Z``, as exports write date-times
    (``2026-01-05T09:00:00Z``); :func:`read_moment` reads it back."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def read_moment(field: str, value: object) -> dt.datetime:
    """``value`` read as a moment in UTC: an ISO 8601 string (``Z`` or an offset; one with
    neither is UTC, as Dataverse writes them) or a datetime (a naive one is UTC too)."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidFieldError(
                field, "an ISO 8601 date-time such as 2026-01-05T09:00:00Z", value
            ) from None
    elif isinstance(value, dt.datetime):
        parsed = value
        to_pydatetime = getattr(value, "to_pydatetime", None)
        if type(value) is not dt.datetime and callable(to_pydatetime):
            parsed = to_pydatetime()
    else:
        raise FieldTypeError(field, "an ISO 8601 date-time or a datetime", value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidFieldError(
            field, "a date-time between years 1 and 9999 in UTC", value
        ) from None


@attrs.frozen(repr=False)
class _MemberOf:
    kind: type[Any]

    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, self.kind):
            raise FieldTypeError(attribute.name, f"a {self.kind.__name__}", value)

    def __repr__(self) -> str:
        return f"<member of {self.kind.__name__} validator>"


def member_of(kind: type[Any]) -> _MemberOf:
    """An instance of ``kind`` (an enum, typically)."""
    return _MemberOf(kind)


def short(value: str) -> str:
    """``value``, cut to 60 characters for an error message."""
    return value if len(value) <= 60 else value[:57] + "..."
