"""SQLite WAL checkpoints from a background thread instead of inside a commit.

SQLite's automatic checkpoint runs inside the commit that grows the WAL past
1,000 pages: with a form submission dirtying about 16 pages, one commit in sixty
paid 10-15 ms to copy the WAL into the database file and sync it. A store's
connections turn the automatic checkpoint off; a daemon thread per process runs
``PRAGMA wal_checkpoint(PASSIVE)``, which neither waits for nor blocks readers
and writers, a short while after commits (sooner when many pile up), and once
more when the store closes. Several processes each run one; a checkpoint
already under way makes the others return at once.

The WAL starts over only when a writer finds every frame copied; under a steady
stream of commits a passive checkpoint never catches up, so once the WAL is long
(:data:`RESTART_FRAMES`) the thread copies all but the last few frames while writers
go on, then holds this process's new write transactions at a gate while a
``RESTART`` checkpoint copies and syncs those. The held writers wait for a disk sync,
which a slow disk makes long, so this happens seldom: every few thousand submissions
under a load that never pauses.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading

INTERVAL_S = 0.2
"""How long commits wait, at most, before their pages are checkpointed."""

EAGER_COMMITS = 200
"""Commits after which the thread checkpoints without waiting for the interval."""

RESTART_FRAMES = 65_536
"""WAL pages (4 KiB each, 256 MiB) after which a checkpoint also starts the WAL over.

Between bursts of commits the WAL starts over by itself (the next writer finds every
frame copied). Under commits that never pause, it only starts over when writers are
held off while the last frames are copied and synced, so this should happen seldom.
Readers pay nothing for a long WAL whose frames have been copied."""

RESTART_LEFT = 256
"""Frames a restarting checkpoint may leave to copy with writers held off; passive rounds
copy the rest first, while writers go on."""

CATCH_UP_ROUNDS = 8
"""Passive rounds at most before a restart, when commits outpace them."""

WAL_SIZE_LIMIT = 32 << 20
"""``journal_size_limit``: the size a WAL file is cut back to when it starts over."""


class Checkpointer:
    """Checkpoints one SQLite file's WAL in the background; started by the first commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._commits = 0
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._gate = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def writing(self) -> None:
        """Wait while a restarting checkpoint holds the gate (called as a write begins)."""
        if self._gate.locked():
            with self._gate:
                pass

    def committed(self) -> None:
        """Note a commit (called from the engine's commit event; cheap)."""
        self._commits += 1
        if self._thread is None or self._pid != os.getpid():
            self._start()
        if self._commits >= EAGER_COMMITS:
            self._wake.set()

    def _start(self) -> None:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, name="leadflow-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=2000")
        try:
            while not self._closed:
                self._wake.wait(INTERVAL_S)
                self._wake.clear()
                if self._commits:
                    self._commits = 0
                    self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        """Copy the WAL into the database; when the WAL has grown long (commits kept landing
        while the copies ran, so it never started over), copy the few frames left while
        briefly holding writers off, so the next writer starts the WAL from the beginning."""
        with contextlib.suppress(sqlite3.Error):  # busy: the next round, or another process
            _, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames < RESTART_FRAMES:
                return
            for _ in range(CATCH_UP_ROUNDS):
                if frames - copied <= RESTART_LEFT:
                    break
                _, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            with self._gate:
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the thread after one last checkpoint; ``timeout=None`` does not wait for it."""
        self._closed = True
        thread = self._thread
        if thread is not None and self._pid == os.getpid():
            self._wake.set()
            if timeout is not None:
                thread.join(timeout)
