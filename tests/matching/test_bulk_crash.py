"""A bulk import killed midway leaves whole batches only; running it again completes it.

Each case imports a generated CSV in a child process that SIGKILLs itself, either
between two batches or inside a batch's transaction before it commits, then
checks the store on each backend and reruns the import in-process.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle import Lead, LeadState, LeadStatus
from matching.store import open_store
from matching.store.bulk import import_csv, to_frame

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
BATCH = 1_000
HEADER = (
    "leadid",
    "statecode",
    "statuscode",
    "firstname",
    "lastname",
    "emailaddress1",
    "createdon",
)
AT = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)

CHILD = """
import os, signal, sys
from lifecycle import Lead
from matching.store import open_store
from matching.store.bulk import import_csv
from matching.store.store import Transaction

url, path, where, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
batch = int(sys.argv[5])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

progress = None
if where == "between-batches":
    def progress(rows):
        if rows >= after * batch:
            die()
else:
    add_many, calls = Transaction.add_many, []
    def dying_add_many(self, records, **options):
        written = add_many(self, records, **options)
        calls.append(len(written))
        if len(calls) == after:
            die()
        return written
    Transaction.add_many = dying_add_many

import_csv(open_store(url), path, Lead, batch_size=batch, progress=progress)
sys.exit("the import finished: it should have been killed")
"""


def source_row(n: int) -> tuple[str, ...]:
    """Row ``n`` of the file: every other row has no id (its id comes from its content)."""
    disqualified = n % 7 == 0
    return (
        "" if n % 2 else f"lead-{n:06d}",
        "2" if disqualified else "0",
        "6" if disqualified else "1",
        f"First{n}",
        f"Last{n % 97}",
        f"person{n}@example.com",
        "2026-01-05T09:00:00Z",
    )


def expected_fields(n: int) -> dict[str, object]:
    disqualified = n % 7 == 0
    return {
        "state": LeadState.DISQUALIFIED if disqualified else LeadState.OPEN,
        "status": LeadStatus.NO_LONGER_INTERESTED if disqualified else LeadStatus.NEW,
        "firstname": f"First{n}",
        "lastname": f"Last{n % 97}",
        "createdon": AT,
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "leads.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(source_row(n) for n in range(ROWS))
    return path


@pytest.mark.parametrize(
    ("where", "after", "committed"),
    [("between-batches", 7, 7 * BATCH), ("inside-a-transaction", 12, 11 * BATCH)],
)
def test_killed_import_leaves_whole_batches_and_reruns_to_completion(
    store_url: str, source: Path, where: str, after: int, committed: int
) -> None:
    """Killed after ``after`` batches: exactly the first whole batches are stored, each row
    as its source says; a rerun stores the rest, with no id or email twice."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, store_url, str(source), where, str(after), str(BATCH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    with open_store(store_url) as store:
        stored = to_frame(store, Lead)
        assert len(stored) == committed
        assert len(stored) % BATCH == 0
        by_email = dict(zip(stored["emailaddress1"], stored["leadid"], strict=True))
        assert sorted(by_email) == sorted(f"person{n}@example.com" for n in range(committed))
        records = {r.emailaddress1: r for r in store.get_many(Lead, stored["leadid"])}
        for n in range(committed):
            record = records[f"person{n}@example.com"]
            if n % 2 == 0:
                assert record.id == f"lead-{n:06d}"
            for name, value in expected_fields(n).items():
                assert getattr(record, name) == value, (n, name)

        report = import_csv(store, source, Lead, batch_size=BATCH)
        assert (report.inserted, report.skipped, report.ok) == (ROWS - committed, committed, True)
        final = to_frame(store, Lead)
        assert len(final) == ROWS
        assert final["leadid"].is_unique
        assert final["emailaddress1"].is_unique
        kept = final.set_index("emailaddress1")["leadid"]
        assert all(kept[email] == record_id for email, record_id in by_email.items())
