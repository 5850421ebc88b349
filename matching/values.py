"""The values resolution works with, without a database: stored records read as
candidates and their D3 order, what a submission reports beside its actions, the
interactions and tombstones the store keeps, the record-type names, and what text the
store can hold.

This module is pure, as the linkage core is: it loads no SQLAlchemy, Alembic, rich or
click, and imports nothing of :mod:`matching.store`, which builds on it
(:mod:`matching.store.values` and :mod:`matching.submissions` still offer these names).
The errors resolution raises (:class:`~matching.errors.ConflictError`,
:class:`~matching.errors.RecordNotFound`) are in the pure :mod:`matching.errors`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError
from lifecycle.fields import moment, new_id, reference, short, text
from lifecycle.records import RECORD_TYPES, TYPE_NAME

__all__ = [
    "INTERACTION_KINDS",
    "RECORD_TYPES",
    "STORABLE_TEXT",
    "STRATEGY_NAME_LENGTH",
    "TYPE_NAME",
    "Candidate",
    "Interaction",
    "Notice",
    "ProbableDuplicate",
    "Tombstone",
    "newest_first",
    "short",
    "storable",
]


# --- stored records as resolution reads them ----------------------------------------------


@attrs.frozen
class Candidate:
    """A stored record found by a match key or a parent, read as its column values: enough
    to score it against a submission without building the record and loading its history."""

    record_type: str
    id: str
    modifiedon: dt.datetime | None
    values: Mapping[str, Any]
    """The record's fields by Dataverse name, ``statecode`` and ``statuscode`` included."""
    version: int
    """The stored version read: loading the record later tells whether it changed since."""


_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


def newest_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    """By ``modifiedon``, newest first, undated last, then by id (as the store's queries
    order them, D3)."""
    ordered = sorted(candidates, key=lambda c: c.id)
    ordered.sort(key=lambda c: c.modifiedon or _EPOCH, reverse=True)
    return ordered


# --- what resolution reports beside its actions -------------------------------------------


@attrs.frozen
class ProbableDuplicate:
    """A record that also matched but lost to a more recently modified one (D3)."""

    record_type: str
    record_id: str
    modifiedon: dt.datetime | None


@attrs.frozen
class Notice:
    """Something the caller should know; ``code`` is stable, ``text`` explains it, and
    ``record_id`` names the record it is about, when there is one."""

    code: str
    text: str
    record_id: str | None = None


# --- what the store keeps beside records -------------------------------------------------

INTERACTION_KINDS = frozenset(
    {"form-submission", "email-open", "email-click", "web-visit", "other"}
)


def _payload(value: object) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FieldTypeError("payload", "a mapping of JSON values or None", value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidFieldError("payload", "JSON-serialisable", f"{exc}") from exc
    return dict(value)


def _kind(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in INTERACTION_KINDS:
        raise InvalidFieldError("kind", f"one of {sorted(INTERACTION_KINDS)}", value)


@attrs.frozen
class Interaction:
    """One touch by a person (a form submission, typically), credited to a contact and/or lead."""

    at: dt.datetime = attrs.field(validator=moment())
    kind: str = attrs.field(default="form-submission", validator=_kind)
    contactid: str | None = attrs.field(default=None, validator=reference())
    leadid: str | None = attrs.field(default=None, validator=reference())
    formid: str | None = attrs.field(default=None, validator=text(100))
    pageid: str | None = attrs.field(default=None, validator=text(100))
    payload: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_payload, eq=False, hash=False
    )
    """The submitted values, as given; erased when the person is anonymized."""
    id: str = attrs.field(factory=new_id, validator=reference())


@attrs.frozen
class Tombstone:
    """What remains of a deleted record: enough to refuse recreating it (D14)."""

    record_type: str
    record_id: str
    deletedon: dt.datetime
    reason: str | None = None
    actor: str | None = None


STRATEGY_NAME_LENGTH = 64
"""The longest strategy name the store keeps claims under."""


# --- what text the store can hold ---------------------------------------------------------


STORABLE_TEXT = "text without NUL characters or lone surrogates"
"""What :func:`storable` accepts, as an error message says it."""


def storable(value: object) -> bool:
    """Whether both databases can hold ``value`` as text: a str without NUL characters
    (PostgreSQL refuses them) and without lone surrogates (not UTF-8)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
