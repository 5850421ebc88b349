"""The Fellegi-Sunter model: how much each comparison level says for or against a match.

For each comparison level, ``m`` is the probability of that level among pairs of the same
person and ``u`` among pairs of different people; the level's weight is ``log2(m / u)``.
A pair's match weight is the prior's weight plus the weight of each of its levels (a
missing value weighs 0), and its match probability is ``2**w / (1 + 2**w)``. Until a
model is trained, each kind of comparison has default ``m`` and ``u``, set from how often
each level occurs in CRM and census-like data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs
import numpy as np
import numpy.typing as npt

from lifecycle.errors import InvalidFieldError
from matching.dedupe.blocking import DEFAULT_RULES, BlockingRule
from matching.dedupe.comparisons import COMPARISONS, LEVELS, Comparison, Kind
from matching.dedupe.fields import Prepared

DEFAULT_M_U: Mapping[Kind, tuple[tuple[float, float], ...]] = {
    Kind.NAME: ((0.85, 0.01), (0.08, 0.01), (0.04, 0.05), (0.03, 0.93)),
    Kind.TEXT: ((0.80, 0.01), (0.10, 0.01), (0.04, 0.04), (0.06, 0.94)),
    Kind.EMAIL: ((0.70, 0.0005), (0.10, 0.0001), (0.05, 0.001), (0.15, 0.9984)),
    Kind.PHONE: ((0.70, 0.002), (0.30, 0.998)),
    Kind.DATE: ((0.85, 0.003), (0.12, 0.02), (0.02, 0.05), (0.01, 0.927)),
    Kind.IDENTIFIER: ((0.85, 0.0001), (0.10, 0.001), (0.05, 0.9989)),
    Kind.EXACT: ((0.85, 0.05), (0.15, 0.95)),
}
"""Default ``(m, u)`` of each level of each kind of comparison, strongest agreement first."""

DEFAULT_PRIOR = 0.1
"""Default probability that a candidate pair (one blocking found) is the same person."""

DEFAULT_MAX_BLOCK_SIZE = 50
"""A key shared by more records than this is generic and generates no pairs alone."""


@attrs.frozen
class DedupeModel:
    """Comparisons, blocking rules and their parameters: everything that decides a match.

    ``m`` and ``u`` map each comparison's name to one probability per level (strongest
    agreement first); ``prior`` is the probability that a candidate pair is a match."""

    comparisons: tuple[Comparison, ...]
    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    blocking: tuple[BlockingRule, ...] = DEFAULT_RULES
    prior: float = DEFAULT_PRIOR
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE

    def __attrs_post_init__(self) -> None:
        for comparison in self.comparisons:
            count = len(LEVELS[comparison.kind])
            for name, table in (("m", self.m), ("u", self.u)):
                values = table.get(comparison.name)
                if values is None or len(values) != count or not all(0 < v < 1 for v in values):
                    raise InvalidFieldError(
                        f"{name}.{comparison.name}",
                        f"{count} probabilities in (0, 1), one per level",
                        values,
                    )
        if not 0 < self.prior < 1:
            raise InvalidFieldError("prior", "a probability in (0, 1)", self.prior)
        if type(self.max_block_size) is not int or self.max_block_size < 2:
            raise InvalidFieldError(
                "max_block_size", "a whole number of at least 2", self.max_block_size
            )

    @classmethod
    def default_for(cls, prepared: Prepared) -> DedupeModel:
        """The default model for data with ``prepared``'s fields: every known comparison
        whose fields the data has, with the default ``m`` and ``u``."""
        comparisons = tuple(
            comparison
            for comparison, fields in COMPARISONS.values()
            if any(f in prepared.fields for f in fields)
            and any(prepared.has(c) for c in comparison.columns)
        )
        m = {c.name: tuple(p[0] for p in DEFAULT_M_U[c.kind]) for c in comparisons}
        u = {c.name: tuple(p[1] for p in DEFAULT_M_U[c.kind]) for c in comparisons}
        return cls(comparisons, m, u)

    @property
    def prior_weight(self) -> float:
        """``log2(prior / (1 - prior))``: the match weight of a pair before any comparison."""
        return math.log2(self.prior / (1 - self.prior))

    def weights(self, comparison: str) -> npt.NDArray[np.float64]:
        """Each level's weight ``log2(m / u)``, and 0 for a missing value (the last entry,
        so that level ``-1`` indexes it)."""
        m, u = np.asarray(self.m[comparison]), np.asarray(self.u[comparison])
        return np.append(np.log2(m / u), 0.0)


def probability(weight: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    """The match probability of a match weight."""
    return np.asarray(1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=np.float64))))


def weight_of(probability_: float) -> float:
    """The match weight of a match probability."""
    return math.log2(probability_ / (1 - probability_))
