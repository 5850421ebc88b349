"""``leadflow demo``: a small CRM driven through its lifecycles, saved into the embedded
store, with web-form submissions landing in it; everything on a fixed clock.

:mod:`matching.demo.story` holds the pure story (:func:`run_scenario`),
:mod:`matching.demo.store` saves it into a SQLite store, :mod:`matching.demo.submissions`
lets form posts land in it, and :mod:`matching.demo.report` writes the diagrams and prints
it all (:func:`run_demo`).
"""

from __future__ import annotations

from matching.demo.report import print_report, run_demo, write_diagrams
from matching.demo.story import CHECKED_AT, SHOWN_KINDS, START, SUBMITTED_AT, DemoRun, run_scenario

__all__ = [
    "CHECKED_AT",
    "SHOWN_KINDS",
    "START",
    "SUBMITTED_AT",
    "DemoRun",
    "print_report",
    "run_demo",
    "run_scenario",
    "write_diagrams",
]
