"""Concurrent writers on one store, on SQLite and PostgreSQL: no duplicates, no lost updates.

Eight spawned processes (each opening its own store from the URL, as the store
asks; the processes are started once per module, which is most of the cost) or
eight threads sharing one :class:`Store` start together on a barrier and race:

* creating contacts for the same emails through the claim protocol leaves exactly
  one contact per email;
* incrementing counters kept in records, retrying on :class:`ConflictError`,
  loses no increment, and every save's history event is there once;
* firing ``disqualify`` on the same lead succeeds once; the others are refused.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import Contact, ContactState, Lead, LeadState, LeadStatus, TransitionNotAllowed
from matching import normalize
from matching.store import ConflictError, Store, open_store, schema
from matching.store.engine import READ_ONLY

WORKERS = 8
EMAILS = [f"person{i:02d}@example.com" for i in range(50)]
STRATEGY = "contact:emailaddress1"
COUNTERS = 3
INCREMENTS = 10
"""Increments per worker per counter record."""
LEADS = 4
REASONS = [
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
]
TIMEOUT_S = 60

SPAWN = multiprocessing.get_context("spawn")


# --- the work each writer does (shared by processes and threads) -----------------------------


def create_by_claim(store: Store, index: int, start: Callable[[], object]) -> dict[str, int]:
    """For every email (in this worker's own order), create the contact or, when another
    writer's claim won, count this submission on the winner's contact (``jobtitle``)."""
    order = EMAILS[:]
    random.Random(index).shuffle(order)
    spelled = str.upper if index % 2 else str.lower
    outcomes: Counter[str] = Counter()
    start()
    for email in order:
        key = normalize.email(email)
        assert key is not None
        while True:
            new = Contact(emailaddress1=spelled(email), firstname=f"worker {index}", jobtitle="1")
            try:
                with store.transaction() as tx:
                    holder = tx.claim(STRATEGY, key, new)
                    if holder == new.id:
                        tx.add(new)
                        outcome = "created"
                    else:
                        winner = tx.get(Contact, holder)
                        assert winner.jobtitle is not None
                        winner.update(jobtitle=str(int(winner.jobtitle) + 1))
                        tx.save(winner)
                        outcome = "updated"
            except ConflictError:
                outcomes["conflicts"] += 1
                continue
            outcomes[outcome] += 1
            break
    return dict(outcomes)


def increment(
    store: Store, index: int, start: Callable[[], object], ids: Sequence[str]
) -> dict[str, int]:
    """``INCREMENTS`` times per record: add one to its ``jobtitle`` counter and toggle it
    (deactivate/activate, a history event noted ``worker-step``), reloading on conflict."""
    conflicts = 0
    start()
    for step in range(INCREMENTS):
        for record_id in ids:
            while True:
                contact = store.get(Contact, record_id)
                assert contact.jobtitle is not None
                contact.update(jobtitle=str(int(contact.jobtitle) + 1), integration=True)
                if contact.state is ContactState.ACTIVE:
                    contact.deactivate(note=f"{index}-{step}")
                else:
                    contact.activate(note=f"{index}-{step}")
                try:
                    store.save(contact)
                except ConflictError:
                    conflicts += 1
                    continue
                break
    return {"conflicts": conflicts}


def disqualify(
    store: Store, index: int, start: Callable[[], object], ids: Sequence[str]
) -> list[str]:
    """Fire ``disqualify`` on every lead; report, per lead, whether it won or was refused
    (and in which state)."""
    outcomes = []
    start()
    for lead_id in ids:
        try:
            store.fire(
                Lead, lead_id, "disqualify", status_reason=REASONS[index % 4], note=f"w{index}"
            )
        except TransitionNotAllowed as refused:
            outcomes.append(f"refused in {refused.state}")
        else:
            outcomes.append("won")
    return outcomes


# --- running workers ----------------------------------------------------------------------


_BARRIER: Any = None
"""In a worker process: the barrier the pool shares (set by ``_init_worker``)."""


def _init_worker(barrier: Any) -> None:
    global _BARRIER
    _BARRIER = barrier


def _task(work: Callable[..., Any], url: str, index: int, args: tuple[Any, ...]) -> Any:
    """One worker's part: open its own store, wait for the others, work, report."""
    try:
        store = open_store(url)
        try:
            outcome = work(store, index, lambda: _BARRIER.wait(TIMEOUT_S), *args)
        finally:
            store.close()
    except BaseException:
        return ("error", os.getpid(), traceback.format_exc())
    return ("ok", os.getpid(), outcome)


@pytest.fixture(scope="module")
def processes() -> Iterator[tuple[Any, Any]]:
    """``WORKERS`` spawned processes, started once for this module, and their barrier.

    Each run gives every process one task; no task returns before all of them reached
    the barrier, so the tasks of a run are in ``WORKERS`` different processes.
    """
    barrier = SPAWN.Barrier(WORKERS)
    with SPAWN.Pool(WORKERS, initializer=_init_worker, initargs=(barrier,)) as pool:
        yield pool, barrier


def in_processes(
    processes: tuple[Any, Any], url: str, work: Callable[..., Any], *args: Any
) -> list[Any]:
    """Run ``work`` in every process at once, each with its own store; results by index."""
    pool, barrier = processes
    pending = [pool.apply_async(_task, (work, url, i, args)) for i in range(WORKERS)]
    try:
        reports = [result.get(TIMEOUT_S * 2) for result in pending]
    finally:
        barrier.reset()  # in case a failed run left it broken
    errors = [text for status, _, text in reports if status == "error"]
    assert not errors, "\n".join(errors)
    assert len({pid for _, pid, _ in reports}) == WORKERS
    return [outcome for _, _, outcome in reports]


def in_threads(store: Store, work: Callable[..., Any], *args: Any) -> list[Any]:
    """Run ``work`` in ``WORKERS`` threads sharing ``store``; their results by index."""
    barrier = threading.Barrier(WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [
            pool.submit(work, store, i, lambda: barrier.wait(TIMEOUT_S), *args)
            for i in range(WORKERS)
        ]
        return [future.result(timeout=TIMEOUT_S) for future in futures]


def _table(store: Store, table: sa.Table) -> list[dict[str, Any]]:
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return [dict(row) for row in conn.execute(sa.select(table)).mappings()]


# --- (a) zero duplicates ----------------------------------------------------------------------


def assert_one_contact_per_email(store: Store, outcomes: list[dict[str, int]]) -> None:
    assert store.count(Contact) == len(EMAILS)
    assert sum(o.get("created", 0) for o in outcomes) == len(EMAILS)
    assert sum(o.get("created", 0) + o.get("updated", 0) for o in outcomes) == (
        WORKERS * len(EMAILS)
    )
    submissions = 0
    for email in EMAILS:
        found = store.find(Contact, "emailaddress1", email)
        assert len(found) == 1, email
        assert found[0].jobtitle is not None
        submissions += int(found[0].jobtitle)
    # Every submission was counted once on the one contact: no update was lost either.
    assert submissions == WORKERS * len(EMAILS)
    claims = _table(store, schema.claims)
    assert len(claims) == len(EMAILS)
    assert {c["key"] for c in claims} == set(EMAILS)
    holders = store.get_many(Contact, [c["record_id"] for c in claims])
    assert {c["record_type"] for c in claims} == {"contact"}
    assert len(holders) == len(EMAILS)


def test_processes_creating_the_same_contacts_make_one_per_email(
    processes: tuple[Any, Any], store_url: str
) -> None:
    outcomes = in_processes(processes, store_url, create_by_claim)
    with open_store(store_url) as store:
        assert_one_contact_per_email(store, outcomes)


def test_threads_creating_the_same_contacts_make_one_per_email(store: Store) -> None:
    outcomes = in_threads(store, create_by_claim)
    assert_one_contact_per_email(store, outcomes)


# --- (b) zero lost updates --------------------------------------------------------------------


def counters(store: Store) -> list[str]:
    ids = [f"counter-{i}" for i in range(COUNTERS)]
    for record_id in ids:
        store.add(Contact(id=record_id, jobtitle="0"))
    return ids


def assert_no_update_lost(store: Store, ids: list[str]) -> None:
    total = WORKERS * INCREMENTS
    for record_id in ids:
        contact = store.get(Contact, record_id)
        assert contact.jobtitle == str(total)
        with store.transaction(readonly=True) as tx:
            assert tx.version_of(Contact, record_id) == 1 + total
        history = contact.history
        assert len(history) == total
        assert sorted(e.note or "" for e in history) == sorted(
            f"{w}-{s}" for w in range(WORKERS) for s in range(INCREMENTS)
        )
        # Each save started from the state the previous one left: the toggles alternate.
        assert [e.trigger for e in history] == ["deactivate", "activate"] * (total // 2)
        assert contact.state is ContactState.ACTIVE


def test_processes_incrementing_counters_lose_no_update(
    processes: tuple[Any, Any], store_url: str
) -> None:
    with open_store(store_url) as store:
        ids = counters(store)
    in_processes(processes, store_url, increment, ids)
    with open_store(store_url) as store:
        assert_no_update_lost(store, ids)


def test_threads_incrementing_counters_lose_no_update(store: Store) -> None:
    ids = counters(store)
    in_threads(store, increment, ids)
    assert_no_update_lost(store, ids)


# --- (c) one transition wins ------------------------------------------------------------------


def assert_disqualified_once(store: Store, ids: list[str], outcomes: list[list[str]]) -> None:
    for position, lead_id in enumerate(ids):
        per_worker = [o[position] for o in outcomes]
        refused = f"refused in {LeadState.DISQUALIFIED.label}"
        assert sorted(per_worker) == [refused] * (WORKERS - 1) + ["won"]
        winner = per_worker.index("won")
        lead = store.get(Lead, lead_id)
        assert lead.state is LeadState.DISQUALIFIED
        assert lead.status is REASONS[winner % 4]
        assert [(e.trigger, e.note) for e in lead.history] == [("disqualify", f"w{winner}")]
        with store.transaction(readonly=True) as tx:
            assert tx.version_of(Lead, lead_id) == 2


def test_processes_firing_disqualify_on_the_same_lead_succeed_once(
    processes: tuple[Any, Any], store_url: str
) -> None:
    ids = [f"lead-{i}" for i in range(LEADS)]
    with open_store(store_url) as store:
        for lead_id in ids:
            store.add(Lead(id=lead_id, emailaddress1=f"{lead_id}@example.com"))

    outcomes = in_processes(processes, store_url, disqualify, ids)

    with open_store(store_url) as store:
        assert_disqualified_once(store, ids, outcomes)


def test_threads_firing_disqualify_on_the_same_lead_succeed_once(store: Store) -> None:
    ids = [f"lead-{i}" for i in range(LEADS)]
    for lead_id in ids:
        store.add(Lead(id=lead_id))

    outcomes = in_threads(store, disqualify, ids)

    assert_disqualified_once(store, ids, outcomes)
