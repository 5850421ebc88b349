"""Why a pair scored what it did: each comparison's level, values, ``m``, ``u`` and weight.

An :class:`Explanation` is computed by the same functions that scored the pair in the run
(:func:`matching.dedupe.model.comparison_levels` and
:func:`matching.dedupe.model.level_weights`), so its ``match_weight`` is the pair's weight
in :attr:`DedupeResult.pairs`, and the prior's weight plus every comparison's weight sums
to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from lifecycle.errors import InvalidFieldError
from matching.dedupe.fields import Prepared
from matching.dedupe.model import (
    DedupeModel,
    Frequencies,
    comparison_levels,
    level_weights,
    oriented,
    probability,
)


@attrs.frozen
class ComparisonExplanation:
    """One comparison of one pair: the level it reached and what that weighs."""

    name: str
    kind: str
    level: int
    """0 the strongest agreement, -1 a value missing on either side."""
    label: str
    """The level in words (``exact``, ``close``, ``phone and street``, ``missing``)."""
    left: Mapping[str, str | None]
    """The left record's normalised values this comparison read, by prepared column."""
    right: Mapping[str, str | None]
    m: float | None
    """P(this level | the same person); ``None`` for a missing value."""
    u: float | None
    """P(this level | two people); ``None`` for a missing value."""
    weight: float
    """``log2(m / u)``: bits for (positive) or against (negative) a match; 0 when
    missing. At an exact level weighed by term frequency, ``u`` is the agreed value's
    own frequency rather than the level's."""
    term_frequency: bool
    """Whether the agreed value's frequency replaced ``u``."""


@attrs.frozen
class Explanation:
    """Every comparison of one pair, with the prior: ``prior_weight`` plus each
    comparison's ``weight`` is ``match_weight``."""

    left_id: str
    right_id: str
    prior_weight: float
    comparisons: tuple[ComparisonExplanation, ...]
    match_weight: float
    match_probability: float

    def lines(self) -> list[str]:
        """The explanation as text, one line a comparison, strongest evidence first."""
        out = [f"{self.left_id} vs {self.right_id}: prior {self.prior_weight:+.2f} bits"]
        for c in sorted(self.comparisons, key=lambda c: -abs(c.weight)):
            values = ", ".join(
                f"{column} {c.left[column]!r} / {c.right[column]!r}" for column in c.left
            )
            out.append(f"  {c.name}: {c.label} {c.weight:+.2f} bits ({values})")
        out.append(
            f"  match weight {self.match_weight:+.2f} bits, probability "
            f"{self.match_probability:.4f}"
        )
        return out


def explain(
    model: DedupeModel, prepared: Prepared, tf: Frequencies, a: object, b: object
) -> Explanation:
    """Why records ``a`` and ``b`` (ids of ``prepared``) scored what they did."""
    positions = []
    for name, record in (("a", a), ("b", b)):
        found = np.flatnonzero(prepared.ids == str(record))
        if not len(found):
            raise InvalidFieldError(name, "the id of a record of this run", record)
        positions.append(int(found[0]))
    if positions[0] == positions[1]:
        raise InvalidFieldError("b", "the id of another record than a", b)
    left, right = oriented(
        prepared, np.array(positions[:1], dtype=np.int64), np.array(positions[1:], dtype=np.int64)
    )
    levels = comparison_levels(model.comparisons, prepared, left, right)
    prior = model.prior_weight(prepared.n - 1)
    total = prior
    parts = []
    for j, comparison in enumerate(model.comparisons):
        level = int(levels[0, j])
        weight = float(level_weights(model, comparison, prepared, left, right, levels[:, j], tf)[0])
        total += weight
        present = level >= 0
        parts.append(
            ComparisonExplanation(
                name=comparison.name,
                kind=comparison.kind.value,
                level=level,
                label=comparison.labels[level] if present else "missing",
                left={c: prepared.columns[c][left[0]] for c in comparison.columns},
                right={c: prepared.columns[c][right[0]] for c in comparison.columns},
                m=model.m[comparison.name][level] if present else None,
                u=model.u[comparison.name][level] if present else None,
                weight=weight,
                term_frequency=level == 0 and comparison.name in tf,
            )
        )
    return Explanation(
        left_id=str(prepared.ids[left[0]]),
        right_id=str(prepared.ids[right[0]]),
        prior_weight=prior,
        comparisons=tuple(parts),
        match_weight=total,
        match_probability=float(probability(total)),
    )
