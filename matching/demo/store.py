"""The demo's second act: the story's records in the embedded SQLite store.

The records are saved with their consents and history, found again by an email
typed differently, edited from two desks at once (the second save is refused
instead of overwriting the first), and a deleted lead's address is refused when
someone tries to recreate it (D14).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import attrs

from lifecycle import Account, Contact, Lead, LeadflowError, LeadStatus, Record
from matching.store import Store, open_store


@attrs.frozen
class StoreStep:
    """One thing the demo asked of the store, and what came of it."""

    action: str
    outcome: str
    refused: bool = False


@attrs.frozen
class StoreTour:
    """What the store held at the end, and each step of the tour."""

    url: str
    counts: Mapping[str, int]
    steps: tuple[StoreStep, ...]


def fresh_store(path: Path) -> Store:
    """A new, empty SQLite store at ``path`` (the demo's own file, recreated on every run)."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return open_store(str(path))


def tour_store(
    records: tuple[Record, ...], names: Mapping[str, str], store: Store, at: dt.datetime
) -> StoreTour:
    """Save ``records`` into ``store`` and show what the store guarantees, at ``at``."""
    steps: list[StoreStep] = []

    def name(record_id: str) -> str:
        return names.get(record_id, record_id)

    live = [r for r in records if not r.is_deleted]
    store.add_many(live)
    events = sum(len(r.history) for r in live)
    steps.append(
        StoreStep(
            "save the story's records",
            f"{len(live)} records with {events} history events, in one transaction",
        )
    )

    typed = "  ANA.RUIZ@Contoso.example "
    found = store.find(Contact, "emailaddress1", typed)
    steps.append(
        StoreStep(
            f"find contacts by email {typed.strip()!r}",
            ", ".join(f"{name(c.id)} ({c.state.label})" for c in found) + " — newest first",
        )
    )

    desk_a = store.get(Lead, "lead-tom")
    desk_b = store.get(Lead, "lead-tom")
    desk_a.update(jobtitle="Head of training", at=at)
    store.save(desk_a)
    steps.append(StoreStep("desk A edits Tom Baker's lead and saves", "saved as version 2"))
    desk_b.disqualify(LeadStatus.NO_LONGER_INTERESTED, at=at)
    try:
        store.save(desk_b)
    except LeadflowError as err:
        steps.append(
            StoreStep("desk B, holding an older copy, disqualifies and saves", str(err), True)
        )
    fresh = store.get(Lead, "lead-tom")
    steps.append(
        StoreStep(
            "desk B reloads",
            f"{fresh.state.label} / {fresh.status.label}, job title {fresh.jobtitle!r}: "
            "nothing was overwritten",
        )
    )

    stone = store.delete(Lead, "lead-tom", reason="asked to be removed", at=at, actor="admin")
    kept = len(store.history(Lead, "lead-tom"))
    steps.append(
        StoreStep(
            "delete Tom Baker's lead",
            f"row gone, {kept} history events kept, email tombstoned ({stone.reason})",
        )
    )
    try:
        store.add(Lead(emailaddress1="Tom.Baker@example.org", createdon=at))
    except LeadflowError as err:
        steps.append(StoreStep("a sync recreates a lead for Tom.Baker@example.org", str(err), True))

    counts = {kind.__name__: store.count(kind) for kind in (Lead, Contact, Account)}
    return StoreTour(store.url, counts, tuple(steps))
