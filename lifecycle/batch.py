"""One trigger over a DataFrame of records, with the same decisions as one record at a time.

A frame holds records by their Dataverse columns: ``statecode`` and ``statuscode``
always, ``id`` when present, plus whatever the trigger's guards read (for
example ``qualifyingopportunityid`` for ``disqualify``). The frame is planned by
the same :meth:`~lifecycle.machines.Lifecycle.plan_many` that moves lists of
records, so both paths refuse the same rows with the same errors. pandas is
imported only when this module is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.definitions import MACHINES
from lifecycle.errors import (
    FieldTypeError,
    InvalidFieldError,
    InvalidStatusError,
    LeadflowError,
)
from lifecycle.machines import Lifecycle
from lifecycle.records import RECORD_TYPES, Record
from lifecycle.states import DEFAULT_STATUS


@attrs.frozen
class FrameResult:
    """The outcome of one trigger over a DataFrame.

    ``frame`` is a new frame with the moved rows' codes and ``modifiedon`` updated
    and an ``error`` column; ``errors`` maps refused row positions to the error
    the single path raises.
    """

    frame: pd.DataFrame = attrs.field(eq=False)
    applied: int
    errors: dict[int, LeadflowError]


def fire_frame(
    frame: pd.DataFrame,
    record_type: str,
    trigger: str,
    *,
    at: dt.datetime | None = None,
    actor: str | None = None,
    note: str | None = None,
    **params: Any,
) -> FrameResult:
    """Apply ``trigger`` to every row of a DataFrame of leads, contacts or accounts.

    The input frame is not modified.
    Only triggers that change state alone can run on a frame; a trigger whose
    effect would edit other fields (anonymize, qualify creating records, merges)
    raises :class:`InvalidFieldError` before anything is computed into the result.
    ``statecode`` and ``statuscode`` hold integer codes (integral floats count, as
    pandas writes them next to missing values); ``modifiedon``, when present, holds
    timezone-aware datetimes or missing values, and a moved row's ``modifiedon``
    becomes the transition time unless it is already later (it never goes back).
    """
    if not isinstance(frame, pd.DataFrame):
        raise FieldTypeError("frame", "a pandas DataFrame", frame)
    if not isinstance(record_type, str):
        raise FieldTypeError("record_type", f"one of {sorted(RECORD_TYPES)}", record_type)
    if record_type not in RECORD_TYPES:
        raise InvalidFieldError("record_type", f"one of {sorted(RECORD_TYPES)}", record_type)
    kind = RECORD_TYPES[record_type]
    lifecycle: Lifecycle = kind._lifecycle
    definition = MACHINES[record_type]
    for column in ("statecode", "statuscode"):
        if column not in frame.columns:
            raise InvalidFieldError("frame", f"a DataFrame with a {column!r} column", column)
    modified = _modified(frame)
    reads = sorted(
        {
            name
            for spec in definition.transitions
            if spec.trigger == trigger
            for guard in spec.guards
            for name in guard.reads
        }
    )
    effectful = any(s.effect for s in definition.transitions if s.trigger == trigger)
    plan = None
    if not (effectful and params):
        rows = _rows(frame, kind, reads)
        plan = lifecycle.plan_many(rows, trigger, at=at, actor=actor, note=note, **params)
    if plan is None or plan.commits:
        raise InvalidFieldError(
            "trigger",
            "a trigger that changes only state on a frame (fire it on records instead)",
            trigger,
        )
    result = frame.copy()
    statecodes = result["statecode"].to_numpy(dtype=object, copy=True)
    statuscodes = result["statuscode"].to_numpy(dtype=object, copy=True)
    for index, event in zip(plan.indices, plan.events, strict=True):
        statecodes[index] = event.to_state.code
        statuscodes[index] = event.to_status.code
        before = modified[index]
        # As the record path: modifiedon only moves forward (missing counts as earliest).
        if _missing(before) or event.at > before:
            modified[index] = event.at
    errors_column: list[str | None] = [None] * len(result)
    for index, err in plan.errors.items():
        errors_column[index] = str(err)
    result["statecode"] = statecodes
    result["statuscode"] = statuscodes
    result["modifiedon"] = modified
    result["error"] = errors_column
    return FrameResult(result, len(plan.indices), dict(plan.errors))


def _rows(frame: pd.DataFrame, kind: type[Record], reads: list[str]) -> list[Any]:
    slots = ("id", "state", "status", "modifiedon", "_history", *reads)
    row_type = type(f"{kind.__name__}Row", (), {"__slots__": slots})
    defaults = {f.name: f.default for f in attrs.fields(kind) if f.name in reads}
    # Keyed with the types too: True == 1 must not reuse the pair checked for 1.
    pairs: dict[tuple[Any, Any, type, type], tuple[Any, Any]] = {}
    ids = frame["id"].tolist() if "id" in frame.columns else [str(i) for i in frame.index]
    columns = [frame[name].tolist() if name in frame.columns else None for name in reads]
    rows = []
    for position, (statecode, statuscode) in enumerate(
        zip(frame["statecode"].tolist(), frame["statuscode"].tolist(), strict=True)
    ):
        key = (statecode, statuscode, type(statecode), type(statuscode))
        pair = pairs.get(key)
        if pair is None:
            pair = pairs[key] = _pair(kind, statecode, statuscode, position)
        row = row_type()
        row.id, row.state, row.status = ids[position], pair[0], pair[1]
        row.modifiedon = None
        row._history = ()
        for name, column in zip(reads, columns, strict=True):
            value = defaults[name] if column is None else column[position]
            setattr(row, name, None if _missing(value) else value)
        rows.append(row)
    return rows


def _modified(frame: pd.DataFrame) -> npt.NDArray[np.object_]:
    """The ``modifiedon`` column as an object array (``None`` without one), every value
    checked to be a timezone-aware datetime or missing."""
    if "modifiedon" not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    column = frame["modifiedon"]
    values: npt.NDArray[np.object_] = column.to_numpy(dtype=object, copy=True)
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return values
    expected = "timezone-aware datetimes or missing values"
    for value in values:
        if _missing(value):
            continue
        if not isinstance(value, dt.datetime):
            raise FieldTypeError("modifiedon", expected, value)
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidFieldError("modifiedon", expected, value)
    return values


def _code(value: Any, name: str, position: int) -> int:
    """``value`` as an integer code: an int (not a bool) or an integral float."""
    if type(value) is int:
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    raise InvalidStatusError(f"row {position}: {name!r} must be an integer code (got {value!r}).")


def _pair(kind: type[Record], statecode: Any, statuscode: Any, position: int) -> tuple[Any, Any]:
    try:
        state = kind.state_type.from_code(_code(statecode, "statecode", position))
        status = (
            DEFAULT_STATUS[state]
            if _missing(statuscode)
            else kind.status_type.from_code(_code(statuscode, "statuscode", position))
        )
    except InvalidStatusError as err:
        if str(err).startswith(f"row {position}: "):
            raise
        raise InvalidStatusError(f"row {position}: {err}") from err
    if status.state_value != state.value:
        raise InvalidStatusError(
            f"row {position}: 'statuscode' must be a status of statecode {state.code} "
            f"({state.label}) (got {status.code}, {status.label})."
        )
    return state, status


def _missing(value: object) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT``."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, (float, np.floating)) and value != value)
    )
