"""Progress of a dedupe run, for people watching a long one.

A run reports each phase (:data:`PHASES`) as it goes: ``progress(phase, done, total)``,
first with ``done == 0`` and last with ``done == total``. ``progress=True`` writes one
line a phase to standard error; the ``leadflow dedupe`` command draws bars instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from lifecycle.errors import FieldTypeError

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``."""

PHASES = ("reading", "blocking", "comparing", "training", "scoring", "clustering")
"""The phases of a run, in order: units are records, rules, pairs, pairs, pairs and
groups of linked records."""


def silent(phase: str, done: int, total: int) -> None:
    """Reports nothing."""


class _Lines:
    """One line to standard error as each phase ends, with its count and time."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.started.setdefault(phase, now)
        if done >= total:
            seconds = now - self.started[phase]
            sys.stderr.write(f"{phase}: {total:,} in {seconds:.1f} s\n")
            sys.stderr.flush()


def reporter(progress: object) -> Progress:
    """The callable ``progress`` stands for: ``False``/``None`` silent, ``True`` lines to
    standard error, or a callable of its own."""
    if progress is None or progress is False:
        return silent
    if progress is True:
        return _Lines()
    if callable(progress):
        return progress
    raise FieldTypeError("progress", "True, False or a callable(phase, done, total)", progress)
