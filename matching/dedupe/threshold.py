"""The threshold a model chooses for itself, without labels.

The model's match probabilities are its own estimate of which pairs are matches, so they
give the expected number of true matches among the pairs above any cut (the sum of their
probabilities) and below it. The chosen threshold is the cut that maximises the F1 score
those expectations predict: each extra link adds its probability to the expected true
links and one to the links made.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

FALLBACK = 0.5
"""The threshold when there is nothing to choose from (no candidate pair)."""
SORTED_FROM = 0.01
"""Links less likely than this are summed, not sorted (see :func:`choose_threshold`)."""
LOWEST = 0.5
"""No link below an even chance: a pair the model thinks more likely two people is never
linked to raise an expected recall."""


@attrs.frozen
class Threshold:
    """A threshold and how it was chosen, in words."""

    probability: float
    reason: str


def choose_threshold(probabilities: npt.NDArray[np.float64]) -> Threshold:
    """The match probability that maximises the expected F1 of the links it makes."""
    if not len(probabilities):
        return Threshold(FALLBACK, "no candidate pairs; the fallback")
    expected_true = float(probabilities.sum())
    # Adding a link of probability p raises the expected F1 only while p > F1 / 2, so the
    # links below SORTED_FROM cannot move the best cut unless the best F1 is below
    # 2 * SORTED_FROM: only the others are sorted (a million pairs, not ten).
    likely = probabilities[probabilities >= SORTED_FROM]
    ordered = np.sort(likely)[::-1]
    found = _best_cut(ordered, expected_true)
    if found is None or (found[1] < 2 * SORTED_FROM and len(ordered) < len(probabilities)):
        ordered = np.sort(probabilities)[::-1]
        found = _best_cut(ordered, expected_true)
    assert found is not None
    best, _ = found
    if ordered[best] < LOWEST:
        return Threshold(
            LOWEST,
            "chosen by the model: no cut above an even chance would raise the F1 its own "
            "probabilities expect, so a link must be more likely a match than not",
        )
    hits = float(ordered[: best + 1].sum())
    cut = float(min(ordered[best], 1 - 1e-6))
    return Threshold(
        cut,
        f"chosen by the model: the cut that maximises the F1 its own probabilities expect "
        f"(expected precision {hits / (best + 1):.3f}, recall {hits / expected_true:.3f})",
    )


def _best_cut(ordered: npt.NDArray[np.float64], expected_true: float) -> tuple[int, float] | None:
    """Where to cut ``ordered`` (descending) for the best expected F1, and that F1."""
    if not len(ordered):
        return None
    hits = np.cumsum(ordered)
    made = np.arange(1, len(ordered) + 1)
    # Rounded so that sums in another order pick the same cut on a flat maximum.
    f1 = np.round(2 * hits / (made + expected_true), 9)
    best = int(np.argmax(f1))
    return best, float(f1[best])
