"""Value objects the store hands out: interactions, tombstones, import reports.

:class:`Candidate` and :func:`newest_first` live in the pure :mod:`matching.values` and
are offered here too."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import attrs

from lifecycle import FieldTypeError, InvalidFieldError
from lifecycle.fields import moment, new_id, reference, text
from matching.values import Candidate, newest_first

__all__ = ["INTERACTION_KINDS", "Candidate", "Interaction", "Tombstone", "newest_first"]

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
