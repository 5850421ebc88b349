"""Batch dedupe: which records of a frame (or two) are the same person.

The engine blocks on several normalised keys (a generic key links nothing on its own),
compares the candidate pairs field by field into levels, weighs the levels with a
Fellegi-Sunter model and links the pairs above a threshold into clusters. It builds on
the linkage core (:mod:`matching.normalize`, :mod:`matching.scoring`) and never imports
the store or the command line.
"""

from __future__ import annotations

from matching.dedupe.blocking import BlockingRule, RuleReport
from matching.dedupe.comparisons import Comparison, Kind
from matching.dedupe.engine import find_duplicates, find_matches
from matching.dedupe.explain import ComparisonExplanation, Explanation
from matching.dedupe.model import DedupeModel
from matching.dedupe.result import DedupeResult

__all__ = [
    "BlockingRule",
    "Comparison",
    "ComparisonExplanation",
    "DedupeModel",
    "DedupeResult",
    "Explanation",
    "Kind",
    "RuleReport",
    "find_duplicates",
    "find_matches",
]
