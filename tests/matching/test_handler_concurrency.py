"""Concurrent form submissions on SQLite and PostgreSQL: no duplicates, no lost interactions.

Eight spawned processes (each opening its own store from the URL; the processes are
started once per module) or eight threads sharing one :class:`Store` and one
:class:`SubmissionHandler` start together on a barrier and submit the same forms
for a handful of people, each worker in its own order and spelling each address
its own way. Afterwards every person is exactly one contact and one lead, linked,
every submission is one interaction credited to both, and the consent is the
highest level any submission gave.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import Contact, Lead
from lifecycle.consent import consent_summary
from matching import ContactAction, LeadAction, SubmissionHandler
from matching.store import Store, open_store, schema
from matching.store.engine import READ_ONLY
from tests.matching.test_store_concurrency import (
    SPAWN,
    WORKERS,
    _init_worker,
    in_processes,
    in_threads,
)

PEOPLE = [f"person{i}@example.com" for i in range(5)]
ROUNDS = 3
"""Submissions per person per worker."""
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
SPELLINGS: list[Callable[[str], str]] = [
    str.lower,
    str.upper,
    str.title,
    lambda s: f"  {s.swapcase()} ",
]


def form(email: str, worker: int, round_: int) -> dict[str, Any]:
    """One submission: this worker's spelling of the address, a job title that changes
    the records on every submission, a consent level, and a tag naming the submission."""
    person = PEOPLE.index(email)
    return {
        "emailaddress1": SPELLINGS[(worker + round_) % len(SPELLINGS)](email),
        "firstname": f"Person{person}",
        "lastname": "Tester",
        "jobtitle": f"worker {worker} round {round_}",
        "companyname": "Contoso",
        "consent_level": (worker + round_ + person) % 6,
        "submission": f"{email}/{worker}/{round_}",
    }


def submit_all(
    store: Store,
    index: int,
    start: Callable[[], object],
    handler: SubmissionHandler | None = None,
) -> list[tuple[str, str, str, str | None, str | None, str | None]]:
    """Submit every person's forms in this worker's own order; report each outcome as
    ``(email, contact action, lead action, contact id, lead id, interaction id)``."""
    handler = handler or SubmissionHandler(store)
    order = [(email, r) for email in PEOPLE for r in range(ROUNDS)]
    random.Random(index).shuffle(order)
    reports = []
    start()
    for email, r in order:
        outcome = handler.submit(form(email, index, r), at=AT + dt.timedelta(seconds=r))
        reports.append(
            (
                email,
                outcome.contact_action.value,
                outcome.lead_action.value,
                outcome.contact_id,
                outcome.lead_id,
                outcome.interaction_id,
            )
        )
    return reports


@pytest.fixture(scope="module")
def processes() -> Iterator[tuple[Any, Any]]:
    """``WORKERS`` spawned processes, started once for this module, and their barrier."""
    barrier = SPAWN.Barrier(WORKERS)
    with SPAWN.Pool(WORKERS, initializer=_init_worker, initargs=(barrier,)) as pool:
        yield pool, barrier


def _interactions(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return [dict(row) for row in conn.execute(sa.select(schema.interactions)).mappings()]


def assert_one_person_each_and_every_interaction(
    store: Store, reports: list[list[tuple[str, str, str, str | None, str | None, str | None]]]
) -> None:
    flat = [report for worker in reports for report in worker]
    assert len(flat) == WORKERS * len(PEOPLE) * ROUNDS
    assert store.count(Contact) == len(PEOPLE)
    assert store.count(Lead) == len(PEOPLE)
    rows = _interactions(store)
    assert len(rows) == len(flat)
    assert len({row["interactionid"] for row in rows}) == len(flat)
    for email in PEOPLE:
        (person,) = store.find(Contact, "emailaddress1", email)
        (the_lead,) = store.find(Lead, "emailaddress1", email)
        assert the_lead.parentcontactid == person.id
        mine = [r for r in flat if r[0] == email]
        actions = Counter((contact, lead) for _, contact, lead, *_ in mine)
        assert actions == {
            (ContactAction.CREATED.value, LeadAction.CREATED.value): 1,
            (ContactAction.UPDATED.value, LeadAction.UPDATED.value): len(mine) - 1,
        }
        assert {(r[3], r[4]) for r in mine} == {(person.id, the_lead.id)}
        by_contact = store.interactions(contactid=person.id)
        by_lead = store.interactions(leadid=the_lead.id)
        assert sorted(i.id for i in by_contact) == sorted(r[5] for r in mine if r[5])
        assert sorted(i.id for i in by_lead) == sorted(i.id for i in by_contact)
        assert sorted(i.payload["submission"] for i in by_contact if i.payload) == sorted(
            f"{email}/{w}/{r}" for w in range(WORKERS) for r in range(ROUNDS)
        )
        for record in (person, the_lead):
            assert consent_summary(record, AT + dt.timedelta(days=1)).level == 5


def test_processes_submitting_the_same_people_make_one_contact_and_lead_each(
    processes: tuple[Any, Any], store_url: str
) -> None:
    reports = in_processes(processes, store_url, submit_all)
    with open_store(store_url) as store:
        assert_one_person_each_and_every_interaction(store, reports)


def test_threads_sharing_a_handler_make_one_contact_and_lead_each(store: Store) -> None:
    handler = SubmissionHandler(store)
    reports = in_threads(store, submit_all, handler)
    assert_one_person_each_and_every_interaction(store, reports)
