"""What a store holds, counted in the database: :func:`store_stats` and :class:`StoreStats`.

Every number is one SQL aggregate (``COUNT``, ``MAX``, ``GROUP BY``) run in one read-only
transaction that sees one state of the store, so the figures agree with each other. No record
is loaded: a store is counted in a few table scans, however many records it holds.
``leadflow db stats`` prints them.

Two rules are written here in SQL as well as in Python, on purpose (a million records are
not loaded to ask them): a record's current data-consent level
(:func:`lifecycle.eligibility.consent_level_at`) and whether a suppression is in force
(:meth:`lifecycle.suppression.Suppression.applies`). A randomised test compares these counts
with the Python rules on loaded records, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle.clock import require_aware, system_clock
from lifecycle.consent import ConsentLevel, ConsentStatus
from lifecycle.contactpoints import Channel, ConsentValue
from lifecycle.errors import FieldTypeError
from lifecycle.fields import moment_text
from lifecycle.records import Contact, Lead, Record
from lifecycle.states import CodedState, CodedStatus
from lifecycle.suppression import SuppressionReason
from matching.store import schema
from matching.store.store import Store

__all__ = [
    "KindStats",
    "LevelCount",
    "StatusCount",
    "StoreStats",
    "SuppressionStats",
    "store_stats",
]

CONSENT_KINDS: tuple[type[Record], ...] = (Lead, Contact)
"""The record kinds whose data-consent levels are counted (accounts hold no consent)."""

UNKNOWN = "unknown"
"""The name of a statecode or statuscode this leadflow does not know (a row written around it)."""


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _title(level: ConsentLevel) -> str:
    return level.name.title()


@attrs.frozen
class StatusCount:
    """How many records of one kind are in one state and status reason."""

    state: str
    """The state's stable name (``"open"``), or ``"unknown"`` for a code leadflow does not know."""
    statecode: int
    state_label: str
    status: str
    statuscode: int
    status_label: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class LevelCount:
    """How many records have one data-consent level now."""

    level: ConsentLevel
    count: int

    @property
    def label(self) -> str:
        """``"Marketing"``."""
        return _title(self.level)

    def to_dict(self) -> dict[str, Any]:
        return {"level": int(self.level), "label": self.label, "count": self.count}


@attrs.frozen
class KindStats:
    """The records of one kind: how many, per state and status reason, per consent level."""

    kind: str
    """``"lead"``, ``"contact"`` or ``"account"``."""
    total: int
    statuses: tuple[StatusCount, ...]
    """Every status reason of the kind, in code order (zero counts included), then any
    code this leadflow does not know."""
    consent_levels: tuple[LevelCount, ...] | None
    """Records per current data-consent level, every level from None (0) to Profiling (5);
    ``None`` for accounts, which hold no consent."""
    merged: int
    """Records merged into another (``merged`` set): they stay stored, closed."""
    anonymized: int

    @property
    def states(self) -> dict[tuple[str, int, str], int]:
        """Records per state, ``(name, statecode, label)``: the status counts added up."""
        found: dict[tuple[str, int, str], int] = {}
        for s in self.statuses:
            key = (s.state, s.statecode, s.state_label)
            found[key] = found.get(key, 0) + s.count
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "states": [
                {"state": name, "statecode": code, "label": label, "count": count}
                for (name, code, label), count in self.states.items()
            ],
            "statuses": [s.to_dict() for s in self.statuses],
            "consent_levels": (
                None if self.consent_levels is None else [c.to_dict() for c in self.consent_levels]
            ),
            "merged": self.merged,
            "anonymized": self.anonymized,
        }


@attrs.frozen
class SuppressionStats:
    """Stored suppressions: global ones block every send to the address, an opt-out from a
    sending account only that account's (D13); *active* ones are in force at the moment
    the stats were taken (``since <= at < until``)."""

    total: int
    active: int
    global_total: int
    global_active: int
    account_total: int
    account_active: int
    sending_accounts: int
    """Distinct sending accounts named by opt-outs."""
    addresses_blocked: int
    """Distinct addresses (by their normalised digest) a global suppression blocks now."""
    by_reason: Mapping[str, tuple[int, int]] = attrs.field(converter=_frozen, hash=False)
    """Per reason code (``"suppressed-hard-bounce"``): ``(total, active)``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "active": self.active,
            "global": {"total": self.global_total, "active": self.global_active},
            "sending_account": {
                "total": self.account_total,
                "active": self.account_active,
                "accounts": self.sending_accounts,
            },
            "addresses_blocked": self.addresses_blocked,
            "by_reason": {
                reason: {"total": total, "active": active}
                for reason, (total, active) in self.by_reason.items()
            },
        }


@attrs.frozen
class StoreStats:
    """What a store holds at one moment: :func:`store_stats` counts it."""

    store: str
    """The store's URL, password hidden."""
    at: dt.datetime
    """The moment current consent levels and active suppressions are taken at."""
    records: Mapping[str, KindStats] = attrs.field(converter=_frozen, hash=False)
    """Per record kind, ``"lead"``, ``"contact"``, ``"account"``."""
    tombstones: Mapping[str, int] = attrs.field(converter=_frozen, hash=False)
    """Tombstones of deleted records, per record type (D14)."""
    suppressions: SuppressionStats
    contact_point_consents: Mapping[str, Mapping[str, int]] = attrs.field(
        converter=_frozen, hash=False
    )
    """Contact-point consent answers per channel (``"email"``), then per value
    (``"opted-in"``, ``"opted-out"``)."""
    interactions: Mapping[str, int] = attrs.field(converter=_frozen, hash=False)
    """Interactions per kind (``"form-submission"``)."""
    claims: Mapping[str, int] = attrs.field(converter=_frozen, hash=False)
    """Claims per record type."""
    history_events: Mapping[str, int] = attrs.field(converter=_frozen, hash=False)
    """Stored transitions per record type, those of deleted records included."""

    @property
    def contact_point_total(self) -> int:
        """Contact-point consent answers, every channel."""
        return sum(sum(values.values()) for values in self.contact_point_consents.values())

    @property
    def contact_point_values(self) -> dict[str, int]:
        """Contact-point consent answers per value (``"opted-in"``), every channel."""
        found: dict[str, int] = {}
        for values in self.contact_point_consents.values():
            for value, count in values.items():
                found[value] = found.get(value, 0) + count
        return found

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: what ``leadflow db stats --json`` prints."""

        def tally(counts: Mapping[str, int], by: str) -> dict[str, Any]:
            return {"total": sum(counts.values()), by: dict(counts)}

        return {
            "store": self.store,
            "at": moment_text(self.at),
            "records": {kind: stats.to_dict() for kind, stats in self.records.items()},
            "tombstones": tally(self.tombstones, "by_record_type"),
            "suppressions": self.suppressions.to_dict(),
            "contact_point_consents": {
                "total": self.contact_point_total,
                "by_value": self.contact_point_values,
                "by_channel": {
                    channel: {"total": sum(values.values()), "by_value": dict(values)}
                    for channel, values in self.contact_point_consents.items()
                },
            },
            "interactions": tally(self.interactions, "by_kind"),
            "claims": tally(self.claims, "by_record_type"),
            "history_events": tally(self.history_events, "by_record_type"),
        }


def store_stats(store: Store, *, at: dt.datetime | None = None) -> StoreStats:
    """Count what ``store`` holds, from one state of it, without loading a record.

    Records are counted per kind, per state and status reason (Dynamics labels and codes)
    and, for leads and contacts, per *current* data-consent level: the highest level among
    the record's consents that are Active and not past their ``valid_until`` at ``at``
    (``None`` (0) for a record with no such consent), exactly what
    :func:`lifecycle.eligibility.consent_level_at` says of the loaded record. Suppressions
    are *active* when in force at ``at`` (``since <= at`` and before ``until``), as
    :meth:`lifecycle.Suppression.applies` decides. ``at`` defaults to now.
    """
    if not isinstance(store, Store):
        raise FieldTypeError("store", "a Store (see open_store)", store)
    when = system_clock() if at is None else require_aware("at", at)
    with store.snapshot() as conn:
        records = {
            name: _kind_stats(conn, name, kind, when) for name, kind in schema.RECORD_TYPES.items()
        }
        return StoreStats(
            store=store.url,
            at=when,
            records=records,
            tombstones=_by_record_type(conn, schema.tombstones),
            suppressions=_suppressions(conn, when),
            contact_point_consents=_contact_points(conn),
            interactions=_grouped(conn, schema.interactions.c.kind),
            claims=_by_record_type(conn, schema.claims),
            history_events=_by_record_type(conn, schema.history),
        )


# --- the aggregates ------------------------------------------------------------------------


def _sum_of(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """How many rows of a group meet ``condition``; 0 for an empty group or table."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _kind_stats(conn: Connection, name: str, kind: type[Record], at: dt.datetime) -> KindStats:
    table = schema.RECORD_TABLES[kind]
    found: dict[tuple[int, int], int] = {}
    merged = anonymized = 0
    rows = conn.execute(
        sa.select(
            table.c.statecode,
            table.c.statuscode,
            sa.func.count(),
            _sum_of(table.c.merged),
            _sum_of(table.c.anonymized),
        ).group_by(table.c.statecode, table.c.statuscode)
    )
    for statecode, statuscode, count, merged_here, anonymized_here in rows:
        found[int(statecode), int(statuscode)] = int(count)
        merged += int(merged_here)
        anonymized += int(anonymized_here)
    total = sum(found.values())
    return KindStats(
        kind=name,
        total=total,
        statuses=_statuses(kind, found),
        consent_levels=_levels(conn, name, kind, at, total) if kind in CONSENT_KINDS else None,
        merged=merged,
        anonymized=anonymized,
    )


def _statuses(kind: type[Record], found: Mapping[tuple[int, int], int]) -> tuple[StatusCount, ...]:
    """Every status reason of ``kind`` with its count, then any unknown code pair found."""
    counts: list[StatusCount] = []
    known: set[tuple[int, int]] = set()
    for status in kind.status_type:
        state = kind.state_type.named(status.state_value)
        assert state.code is not None
        pair = (state.code, status.code)
        known.add(pair)
        counts.append(_status_count(state, status, found.get(pair, 0)))
    for (statecode, statuscode), count in sorted(found.items()):
        if (statecode, statuscode) not in known:
            counts.append(
                StatusCount(UNKNOWN, statecode, UNKNOWN, UNKNOWN, statuscode, UNKNOWN, count)
            )
    return tuple(counts)


def _status_count(state: CodedState, status: CodedStatus, count: int) -> StatusCount:
    assert state.code is not None
    return StatusCount(
        state.value, state.code, state.label, status.value, status.code, status.label, count
    )


def _levels(
    conn: Connection, name: str, kind: type[Record], at: dt.datetime, total: int
) -> tuple[LevelCount, ...]:
    """Records per current consent level: the highest level among each record's consents
    active at ``at``, per record, counted per level; records with none are level 0."""
    c = schema.consents
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    highest = (
        sa.select(c.c.record_id, sa.func.max(c.c.level).label("level"))
        .select_from(c.join(table, pk == c.c.record_id))
        .where(
            c.c.record_type == name,
            c.c.status == ConsentStatus.ACTIVE.value,
            sa.or_(c.c.valid_until.is_(None), c.c.valid_until > at),
        )
        .group_by(c.c.record_id)
        .subquery()
    )
    rows = conn.execute(sa.select(highest.c.level, sa.func.count()).group_by(highest.c.level)).all()
    per_level = {int(level): int(count) for level, count in rows}
    per_level[ConsentLevel.NONE] = total - sum(
        n for level, n in per_level.items() if level != ConsentLevel.NONE
    )
    return tuple(LevelCount(level, per_level.get(level, 0)) for level in ConsentLevel)


def _grouped(conn: Connection, column: sa.Column[Any]) -> dict[str, int]:
    """Rows of ``column``'s table per value of ``column``, by value."""
    rows = conn.execute(sa.select(column, sa.func.count()).group_by(column)).all()
    return {str(value): int(count) for value, count in sorted(rows)}


def _by_record_type(conn: Connection, table: sa.Table) -> dict[str, int]:
    """Rows of ``table`` per ``record_type``, every record type named (zero included)."""
    found = _grouped(conn, table.c.record_type)
    return {name: found.pop(name, 0) for name in schema.RECORD_TYPES} | found


def _contact_points(conn: Connection) -> dict[str, Mapping[str, int]]:
    """Contact-point consent answers per channel, then per value; every channel and value
    leadflow knows is named (zero included), then any other found."""
    cp = schema.contact_point_consents
    rows = conn.execute(
        sa.select(cp.c.channel, cp.c.value, sa.func.count()).group_by(cp.c.channel, cp.c.value)
    ).all()
    found: dict[str, dict[str, int]] = {}
    for channel, value, count in rows:
        found.setdefault(str(channel), {})[str(value)] = int(count)
    answers = [v.value for v in ConsentValue]
    return {
        channel: _frozen(
            {v: found.get(channel, {}).get(v, 0) for v in _ordered(answers, found.get(channel, {}))}
        )
        for channel in _ordered((c.value for c in Channel), found)
    }


def _ordered(known: Iterable[str], found: Mapping[str, object]) -> list[str]:
    """``known`` names, then any other name ``found`` has, sorted."""
    names = list(known)
    return names + sorted(set(found) - set(names))


def _suppressions(conn: Connection, at: dt.datetime) -> SuppressionStats:
    s = schema.suppressions
    active = sa.and_(s.c.since <= at, sa.or_(s.c.until.is_(None), s.c.until > at))
    is_global = s.c.sending_account.is_(None)
    scope = sa.case((is_global, 1), else_=0).label("is_global")
    rows = conn.execute(
        sa.select(s.c.reason, scope, sa.func.count(), _sum_of(active)).group_by(s.c.reason, scope)
    ).all()
    by_reason: dict[str, tuple[int, int]] = {}
    totals = {True: [0, 0], False: [0, 0]}
    for reason, scoped_global, count, active_count in rows:
        total_here, active_here = by_reason.get(str(reason), (0, 0))
        by_reason[str(reason)] = (total_here + int(count), active_here + int(active_count))
        totals[bool(scoped_global)][0] += int(count)
        totals[bool(scoped_global)][1] += int(active_count)
    accounts = conn.execute(sa.select(sa.func.count(sa.distinct(s.c.sending_account)))).scalar()
    blocked = conn.execute(
        sa.select(sa.func.count(sa.distinct(s.c.address_digest))).where(active, is_global)
    ).scalar()
    reasons = _ordered((r.value for r in SuppressionReason), by_reason)
    return SuppressionStats(
        total=totals[True][0] + totals[False][0],
        active=totals[True][1] + totals[False][1],
        global_total=totals[True][0],
        global_active=totals[True][1],
        account_total=totals[False][0],
        account_active=totals[False][1],
        sending_accounts=int(accounts or 0),
        addresses_blocked=int(blocked or 0),
        by_reason={r: by_reason.get(r, (0, 0)) for r in reasons},
    )
