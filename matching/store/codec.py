"""Rows to ``lifecycle`` records and back, for records, consents and history events."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from lifecycle import (
    ConsentStatus,
    DataConsent,
    HistoryEvent,
    Record,
)
from matching.keys import KEYED_FIELDS, record_keys
from matching.store.schema import PRIMARY_KEY, TYPE_NAME, field_columns


def record_row(record: Record, version: int) -> dict[str, Any]:
    """The row of ``record`` at ``version``; the record's state must have a statecode."""
    kind = type(record)
    row: dict[str, Any] = {
        PRIMARY_KEY[kind]: record.id,
        "statecode": record.statecode,
        "statuscode": record.statuscode,
        "version": version,
    }
    for name in field_columns(kind):
        row[name] = getattr(record, name)
    return row


def build_record(
    kind: type[Record],
    row: Mapping[Any, Any],
    consents: Iterable[DataConsent] = (),
    history: Iterable[HistoryEvent] = (),
) -> Record:
    """The record a row holds, with its consents and history; the row is validated."""
    fields = {name: row[name] for name in field_columns(kind)}
    return kind.from_codes(
        row["statecode"],
        row["statuscode"],
        history=history,
        id=row[PRIMARY_KEY[kind]],
        consents=tuple(consents),
        **fields,
    )


def consent_rows(record: Record) -> list[dict[str, Any]]:
    """One row per data consent of ``record``, in order."""
    owner = TYPE_NAME[type(record)]
    return [
        {
            "consentid": c.id,
            "record_type": owner,
            "record_id": record.id,
            "position": position,
            "level": int(c.level),
            "status": c.status.value,
            "policy": c.policy,
            "valid_until": c.valid_until,
            "given_on": c.given_on,
            "explicit": c.explicit,
            "confidential": c.confidential,
        }
        for position, c in enumerate(record.consents)
    ]


def build_consent(row: Mapping[Any, Any]) -> DataConsent:
    """The data consent a row holds."""
    return DataConsent(
        level=row["level"],
        id=row["consentid"],
        status=ConsentStatus(row["status"]),
        policy=row["policy"],
        valid_until=row["valid_until"],
        given_on=row["given_on"],
        explicit=row["explicit"],
        confidential=row["confidential"],
    )


def history_rows(record: Record, start: int) -> list[dict[str, Any]]:
    """Rows for ``record``'s history events from position ``start`` on."""
    owner = TYPE_NAME[type(record)]
    return [
        {
            "record_type": owner,
            "record_id": record.id,
            "seq": seq,
            "at": e.at,
            "trigger": e.trigger,
            "from_state": e.from_state.value,
            "from_status": e.from_status.value,
            "to_state": e.to_state.value,
            "to_status": e.to_status.value,
            "actor": e.actor,
            "note": e.note,
        }
        for seq, e in enumerate(record.history[start:], start=start)
    ]


def build_event(kind: type[Record], row: Mapping[Any, Any]) -> HistoryEvent:
    """The history event a row holds."""
    states, statuses = kind.state_type, kind.status_type
    return HistoryEvent(
        at=row["at"],
        trigger=row["trigger"],
        from_state=states.named(row["from_state"]),
        from_status=statuses.named(row["from_status"]),
        to_state=states.named(row["to_state"]),
        to_status=statuses.named(row["to_status"]),
        actor=row["actor"],
        note=row["note"],
    )


_KEY_SOURCES = tuple(dict.fromkeys(f for fields in KEYED_FIELDS.values() for f in fields))


def key_sources(record: Record) -> tuple[object, ...]:
    """The values ``record``'s match keys are computed from; equal sources, equal keys."""
    return tuple(getattr(record, name, None) for name in _KEY_SOURCES)


def key_rows(
    record: Record, keys: list[tuple[str, str]] | tuple[tuple[str, str], ...] | None = None
) -> list[dict[str, Any]]:
    """``match_keys`` rows for ``record`` (``keys``: its :func:`~matching.keys.record_keys`,
    when already computed)."""
    owner = TYPE_NAME[type(record)]
    return [
        {"record_type": owner, "record_id": record.id, "field": field, "key": key}
        for field, key in dict.fromkeys(record_keys(record) if keys is None else keys)
    ]


def digest(key: str) -> str:
    """The SHA-256 hex digest a tombstone or suppression is looked up by."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
