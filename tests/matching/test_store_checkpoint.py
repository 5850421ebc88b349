"""SQLite WAL checkpoints run in the background, not inside a commit.

A store's connections turn SQLite's automatic checkpoint off; a thread copies
committed pages into the database file shortly after commits, starts the WAL over
when it has grown long, and stops when the store closes.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lifecycle import Contact
from matching.store import checkpoint, open_store
from matching.store.engine import _CHECKPOINTERS


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "crm.db")) as store:
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            assert cursor.execute("PRAGMA journal_size_limit").fetchone()[0] == (
                checkpoint.WAL_SIZE_LIMIT
            )
        finally:
            raw.close()


def test_committed_records_reach_the_database_file_while_the_store_is_open(
    tmp_path: Path,
) -> None:
    """Copying the main file alone (no WAL) finds the records a moment after the commit."""
    path = tmp_path / "crm.db"
    with open_store(str(path)) as store:
        store.add_many([Contact(id=f"c{i}", emailaddress1=f"p{i}@example.com") for i in range(50)])

        def in_main_file() -> bool:
            copy = tmp_path / f"copy-{time.monotonic_ns()}.db"
            shutil.copyfile(path, copy)
            try:
                with sqlite3.connect(copy) as conn:
                    return bool(conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 50)
            except sqlite3.DatabaseError:
                return False
            finally:
                copy.unlink()

        assert _wait_for(in_main_file), "the WAL was not checkpointed into the database file"


def test_a_long_wal_starts_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without restarts the WAL would hold every commit's pages; it stays a fraction of that."""
    monkeypatch.setattr(checkpoint, "RESTART_FRAMES", 64)
    monkeypatch.setattr(checkpoint, "INTERVAL_S", 0.02)
    path = tmp_path / "crm.db"
    commits = 1_500
    with open_store(str(path)) as store:
        for i in range(commits):
            store.add(
                Contact(
                    id=f"c{i}",
                    emailaddress1=f"p{i}@example.com",
                    jobtitle="x" * 100,
                    address1_line1="y" * 250,
                )
            )
        wal = Path(f"{path}-wal").stat().st_size
        pages = commits * 4 * 4096
    assert wal < pages / 4, f"the WAL grew to {wal:,} bytes: it never started over"


def test_closing_the_store_stops_the_thread(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "crm.db"))
    store.add(Contact(id="c1"))
    checkpointer = _CHECKPOINTERS[store.engine]
    thread = checkpointer._thread
    assert thread is not None
    assert thread.is_alive()
    store.close()
    assert not thread.is_alive()
    assert not any(
        t.name == "leadflow-wal-checkpoint" and t is thread for t in threading.enumerate()
    )


def test_an_in_memory_store_has_no_checkpoint_thread() -> None:
    with open_store("sqlite://") as store:
        store.add(Contact(id="c1"))
        assert store.engine not in _CHECKPOINTERS
