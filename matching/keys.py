"""Match keys: the normalised values a record is filed and found under, in one place.

The store writes a record's keys with every save (its ``match_keys`` table) and looks
records up by them; a strategy's blocking keys are the same keys computed from a
submission, so a submission finds exactly the records filed under its values. Both use
the functions here, and nothing else composes a key.

The stored format does not change with this module: an email is keyed by
:func:`matching.normalize.email` (tombstone and suppression digests depend on it, so a
canonical Gmail key would need every stored key and digest re-keyed), a phone by
:func:`~matching.normalize.phone` (E.164), a person by :func:`~matching.normalize.person`
and an account by :func:`~matching.normalize.name`.

Every key function is a module-level function or a :func:`functools.partial` of one, so
strategies that hold them still pickle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeAlias

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError
from lifecycle.records import Record
from matching import normalize

Values: TypeAlias = Mapping[str, object] | Record
"""A record's field values: a mapping (a form submission, a row) or a lifecycle record."""

KeyFunction: TypeAlias = Callable[[Values], str | None]

KEYED_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "emailaddress1": ("emailaddress1",),
        "telephone1": ("telephone1",),
        "mobilephone": ("mobilephone",),
        "fullname": ("firstname", "lastname"),
        "name": ("name",),
    }
)
"""The keyed fields and the record fields each is computed from (``fullname`` from the
first and last name). Their order is the order strategies derive blocking in (and so
which key a fuzzy strategy claims): it does not change."""

NORMALIZER_OF: Mapping[str, Callable[[object], str | None]] = MappingProxyType(
    {
        "emailaddress1": normalize.email,
        "telephone1": normalize.phone,
        "mobilephone": normalize.phone,
        "name": normalize.name,
    }
)
"""The normaliser that makes a one-field key: a strategy normalising such a field the same
way compares exactly what the store keys."""


def value_of(field: str, values: Values) -> object:
    """``field`` of a mapping or a record; ``None`` when it has none."""
    if isinstance(values, Mapping):
        return values.get(field)
    return getattr(values, field, None)


def _single(field: str, values: Values) -> str | None:
    return NORMALIZER_OF[field](value_of(field, values))


def person_key(values: Values, *, swapped: bool = False) -> str | None:
    """The ``fullname`` key: first and last name together (both needed); ``swapped``
    reads them the other way round, to find a record whose names were entered swapped."""
    first, last = value_of("firstname", values), value_of("lastname", values)
    return normalize.person(last, first) if swapped else normalize.person(first, last)


KEY_FUNCTIONS: Mapping[str, KeyFunction] = MappingProxyType(
    {
        field: person_key if field == "fullname" else functools.partial(_single, field)
        for field in KEYED_FIELDS
    }
)
"""How each keyed field's key is computed from a record's (or a submission's) values."""


_KEYED_OF: dict[type[Record], tuple[str, ...]] = {}


def keyed_fields_of(kind: type[Record]) -> tuple[str, ...]:
    """The keyed fields a ``kind`` record has: those whose sources are all its fields
    (a lead or a contact has no ``name``, an account no ``fullname`` or ``mobilephone``)."""
    found = _KEYED_OF.get(kind)
    if found is None:
        names = {f.name for f in attrs.fields(kind)}
        found = tuple(k for k, sources in KEYED_FIELDS.items() if set(sources) <= names)
        _KEYED_OF[kind] = found
    return found


def record_keys(record: Record) -> list[tuple[str, str]]:
    """The ``(field, key)`` pairs ``record`` is filed under; missing values give none."""
    keys = []
    for field in keyed_fields_of(type(record)):
        key = KEY_FUNCTIONS[field](record)
        if key is not None:
            keys.append((field, key))
    return keys


def lookup_keys(field: str, value: str | None) -> list[str]:
    """The keys a looked-up ``value`` of ``field`` may be filed under; none for a missing
    or junk value. A full name is tried at every split: "Jan van Dyke" is Jan + van Dyke
    or Jan van + Dyke."""
    if field not in KEYED_FIELDS:
        raise InvalidFieldError("field", f"one of {sorted(KEYED_FIELDS)}", field)
    if value is None:
        return []
    if not isinstance(value, str):
        raise FieldTypeError("value", "a str or None", value)
    if field == "fullname":
        words = value.split()
        keys = (
            normalize.person(" ".join(words[:cut]), " ".join(words[cut:]))
            for cut in range(1, len(words))
        )
        return [k for k in dict.fromkeys(keys) if k is not None]
    key = NORMALIZER_OF[field](value)
    return [] if key is None else [key]
