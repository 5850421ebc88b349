"""Rows named by Dataverse logical names, read into validated records.

A row maps column names to values: the primary key (``leadid``, ``contactid``,
``accountid``), ``statecode`` and ``statuscode`` (numbers, or labels such as
``Open`` or ``Cannot Contact`` in any case; the pair is validated, and a missing
``statecode`` is the one its ``statuscode`` belongs to), then the record fields
by name. A file's headers are resolved to these names before its rows get here
(:mod:`matching.io.headers`: schema and display names, a user's mapping); a column
still unknown here is ignored and remembered.

Values: an empty string (NaN, NaT, None or ``pd.NA`` in a frame) is a missing
value, as Dataverse stores an empty string as null: a text field becomes None and
a flag keeps its default. Flags accept true/false, 1/0 and yes/no in any case, and
the labels Dynamics exports for them (``Do Not Allow``/``Allow``, ``Do Not
Send``/``Send``).
Date-times are ISO 8601 (or datetime objects), with ``Z`` or an offset; one
without either is read as UTC, and every date-time is kept in UTC.

A row without an id gets one derived from what it says (a uuid5 of its content),
so reading the same row again gives the same record.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import numbers
import uuid
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import sqlalchemy as sa

from lifecycle import InvalidFieldError, LeadflowError, Record
from lifecycle.errors import FieldTypeError
from lifecycle.fields import read_moment
from lifecycle.states import DEFAULT_STATUS, CodedState, CodedStatus
from matching.io.rejections import RowError
from matching.store import schema
from matching.store.text import STORABLE_TEXT, short, storable

__all__ = ["RowError", "RowParser", "check_kind"]

UTC = dt.UTC

_ID_NAMESPACE = uuid.UUID("7d0c5b9e-3f0a-5c5e-9a53-6c1f1e0b4d21")
"""Namespace of the ids given to rows that have none (uuid5 of their content)."""

_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
_ALLOW = MappingProxyType({"do not allow": True, "allow": False})
_LABELS: dict[str, Mapping[str, bool]] = {
    "donotemail": _ALLOW,
    "donotbulkemail": _ALLOW,
    "donotphone": _ALLOW,
    "donotpostalmail": _ALLOW,
    "donotsendmm": MappingProxyType({"do not send": True, "send": False}),
    "followemail": MappingProxyType({"allow": True, "do not allow": False}),
}
"""The labels Dynamics shows (and exports) for the two options of a flag, where they are
not yes and no: Email "Do Not Allow" is ``donotemail=True``, Marketing Material "Send" is
``donotsendmm=False``, Follow Email Activity "Allow" is ``followemail=True``."""
_NA_TYPES = frozenset({"NAType", "NaTType"})
_PROBE_ID = "probe"


def check_kind(kind: object) -> type[Record]:
    """``kind`` if it is Lead, Contact or Account, else a typed error."""
    if not isinstance(kind, type) or kind not in schema.TYPE_NAME:
        raise InvalidFieldError("kind", "Lead, Contact or Account", kind)
    return kind


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return not value
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in _NA_TYPES


def _is_numpy_bool(value: object) -> bool:
    return type(value).__name__ == "bool_"


Convert = Callable[[object], object]


def _flag(name: str) -> Convert:
    labels = _LABELS.get(name, {})
    words = {**_BOOLS, **labels}
    expected = (
        "true or false (or 1/0, yes/no" + "".join(f", {label.title()}" for label in labels) + ")"
    )

    def convert(value: object) -> object:
        if value is True or value is False:
            return value
        if isinstance(value, str):
            found = words.get(" ".join(value.split()).casefold())
            if found is not None:
                return found
        elif (isinstance(value, numbers.Integral) and value in (0, 1)) or _is_numpy_bool(value):
            return bool(value)
        raise InvalidFieldError(name, expected, value)

    return convert


def _moment(name: str) -> Convert:
    return functools.partial(read_moment, name)


def _reference(name: str) -> Convert:
    def convert(value: object) -> object:
        if not isinstance(value, str):
            raise FieldTypeError(name, "a record id (str)", value)
        if not value.strip() or len(value) > 100:
            raise InvalidFieldError(name, "a non-empty id of at most 100 characters", value)
        return value

    return convert


def _coded(name: str, members: Iterable[Any]) -> Convert:
    """A statecode or statuscode column: its number (as int, float or text) or its label."""
    by_key: dict[object, Any] = {}
    listing = []
    for member in members:
        if member.code is None:
            continue
        by_key[member.code] = member
        by_key[str(member.code)] = member
        by_key[member.label.casefold()] = member
        by_key[member.value.casefold()] = member
        listing.append(f"{member.code} {member.label}")
    expected = f"one of {', '.join(listing)} (the number or the label)"

    def convert(value: object) -> object:
        key: object = None
        if isinstance(value, str):
            key = value.strip().casefold()
        elif isinstance(value, float):
            key = int(value) if value.is_integer() else None
        elif isinstance(value, numbers.Integral):
            key = int(value)
        found = None if isinstance(value, bool) else by_key.get(key)
        if found is None:
            raise InvalidFieldError(name, expected, value)
        return found

    return convert


class RowParser:
    """Reads rows of one record type into validated records, or into row errors;
    remembers the columns it ignored."""

    def __init__(self, kind: type[Record]) -> None:
        self.kind = kind
        self.name = schema.TYPE_NAME[kind]
        self.pk = schema.PRIMARY_KEY[kind]
        table = schema.RECORD_TABLES[kind]
        self.columns: dict[str, Convert | None] = {
            self.pk: _reference(self.pk),
            "statecode": _coded("statecode", kind.state_type),
            "statuscode": _coded("statuscode", kind.status_type),
        }
        for name in schema.field_columns(kind):
            column_type = table.c[name].type
            if isinstance(column_type, sa.Boolean):
                self.columns[name] = _flag(name)
            elif isinstance(column_type, schema.UTCDateTime):
                self.columns[name] = _moment(name)
            else:
                self.columns[name] = None
        by_name = attrs.fields_dict(kind)
        self.defaults = tuple((name, by_name[name].default) for name in schema.field_columns(kind))
        self.ignored: dict[str, None] = {}
        open_code = kind.open_state.code
        assert open_code is not None
        self.open_code = open_code

    def parse(self, line: int, row: Mapping[Any, object]) -> Record | list[RowError]:
        """The record ``row`` holds, or every problem found in it."""
        fields: dict[str, Any] = {}
        errors: list[RowError] = []
        columns = self.columns
        for key, value in row.items():
            try:
                convert = columns[key]
            except (KeyError, TypeError):
                self.ignored.setdefault(str(key), None)
                continue
            if _is_missing(value):
                continue
            if type(value) is str and not storable(value):
                unstorable = InvalidFieldError(key, STORABLE_TEXT, short(value))
                errors.append(RowError(line, key, str(unstorable)))
                continue
            if convert is None:
                fields[key] = value
                continue
            try:
                fields[key] = convert(value)
            except InvalidFieldError as err:
                errors.append(RowError(line, key, str(err)))
        state: CodedState | None = fields.pop("statecode", None)
        status: CodedStatus | None = fields.pop("statuscode", None)
        record_id: str | None = fields.pop(self.pk, None)
        if state is None and status is not None:
            state = self.kind.state_type.named(status.state_value)
        elif state is None:
            state = self.kind.open_state
        if status is not None and status.state_value != state.value:
            reason = (
                f"'statuscode' must be a status of statecode {state.code} ({state.label}) "
                f"(got {status.code}, {status.label})."
            )
            errors.append(RowError(line, "statuscode", reason))
        if errors:
            return _in_row_order(row, errors + self._probe(line, fields))
        statecode = state.code
        assert statecode is not None
        statuscode = None if status is None else status.code
        if record_id is None:
            effective = DEFAULT_STATUS[state].code if statuscode is None else statuscode
            record_id = self._content_id(statecode, effective, fields)
        try:
            return self.kind.from_codes(statecode, statuscode, id=record_id, **fields)
        except LeadflowError as err:
            found = self._probe(line, fields)
            if not found:
                return [RowError(line, getattr(err, "field", None), str(err))]
            return _in_row_order(row, found)

    def _content_id(self, statecode: int, statuscode: int, fields: Mapping[str, Any]) -> str:
        """An id that depends only on what the row says, so reimporting it finds it."""
        content: list[object] = [self.name, statecode, statuscode]
        for name, default in self.defaults:
            value = fields.get(name, default)
            content.append(value.isoformat() if isinstance(value, dt.datetime) else value)
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=repr)
        return str(uuid.uuid5(_ID_NAMESPACE, text))

    def _probe(self, line: int, fields: Mapping[str, Any]) -> list[RowError]:
        """The fields of a refused row that a record refuses on their own."""
        errors = []
        for name, value in fields.items():
            try:
                self.kind.from_codes(self.open_code, None, id=_PROBE_ID, **{name: value})
            except InvalidFieldError as err:
                errors.append(RowError(line, name, str(err)))
        return errors


def _in_row_order(row: Mapping[Any, object], errors: list[RowError]) -> list[RowError]:
    order = {key: i for i, key in enumerate(row)}
    return sorted(errors, key=lambda e: order.get(e.field, -1))
