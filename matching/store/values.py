"""Value objects the store hands out: candidates, interactions, tombstones.

They live in the pure :mod:`matching.values`, which resolution reads without a database,
and are offered here too."""

from __future__ import annotations

from matching.values import INTERACTION_KINDS, Candidate, Interaction, Tombstone, newest_first

__all__ = ["INTERACTION_KINDS", "Candidate", "Interaction", "Tombstone", "newest_first"]
