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
import pandas as pd

from lifecycle.definitions import MACHINES
from lifecycle.errors import InvalidFieldError, InvalidStatusError, LeadflowError
from lifecycle.machines import Lifecycle
from lifecycle.records import Account, Contact, Lead, Record
from lifecycle.states import DEFAULT_STATUS

_RECORD_TYPES: dict[str, type[Record]] = {"lead": Lead, "contact": Contact, "account": Account}


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
    """
    if record_type not in _RECORD_TYPES:
        raise InvalidFieldError("record_type", f"one of {sorted(_RECORD_TYPES)}", record_type)
    kind = _RECORD_TYPES[record_type]
    lifecycle: Lifecycle = kind._lifecycle
    definition = MACHINES[record_type]
    for column in ("statecode", "statuscode"):
        if column not in frame.columns:
            raise InvalidFieldError("frame", f"a DataFrame with a {column!r} column", column)
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
    modified: Any = (
        result["modifiedon"].to_numpy(dtype=object, copy=True)
        if "modifiedon" in result.columns
        else [None] * len(result)
    )
    for index, event in zip(plan.indices, plan.events, strict=True):
        statecodes[index] = event.to_state.code
        statuscodes[index] = event.to_status.code
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
    pairs: dict[tuple[Any, Any], tuple[Any, Any]] = {}
    ids = frame["id"].tolist() if "id" in frame.columns else [str(i) for i in frame.index]
    columns = [frame[name].tolist() if name in frame.columns else None for name in reads]
    rows = []
    for position, (statecode, statuscode) in enumerate(
        zip(frame["statecode"].tolist(), frame["statuscode"].tolist(), strict=True)
    ):
        pair = pairs.get((statecode, statuscode))
        if pair is None:
            pair = pairs[(statecode, statuscode)] = _pair(kind, statecode, statuscode, position)
        row = row_type()
        row.id, row.state, row.status = ids[position], pair[0], pair[1]
        row.modifiedon = None
        row._history = ()
        for name, column in zip(reads, columns, strict=True):
            value = defaults[name] if column is None else column[position]
            setattr(row, name, None if _missing(value) else value)
        rows.append(row)
    return rows


def _pair(kind: type[Record], statecode: Any, statuscode: Any, position: int) -> tuple[Any, Any]:
    try:
        state = kind.state_type.from_code(int(statecode))
        status = (
            DEFAULT_STATUS[state]
            if _missing(statuscode)
            else kind.status_type.from_code(int(statuscode))
        )
    except (TypeError, ValueError) as err:
        raise InvalidStatusError(f"row {position}: {err}") from err
    if status.state_value != state.value:
        raise InvalidStatusError(
            f"row {position}: 'statuscode' {status.code} ({status.label}) is not a status of "
            f"statecode {state.code} ({state.label})."
        )
    return state, status


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
