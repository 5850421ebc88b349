"""Training a dedupe model without labels, and the term frequencies that sharpen it.

* ``u`` (how often each level occurs between *different* people) from random pairs of
  records: almost every random pair is two different people.
* ``m`` (how often each level occurs between records of *one* person) and the prior by
  expectation-maximisation over the candidate pairs, with ``u`` held fixed (as Splink
  does) and the default ``m`` as a Dirichlet prior: each step is a posterior estimate
  that a few hundred pairs cannot pull far from what the levels mean, so EM does not
  latch onto a level that merely correlates inside a block (a similar user name among
  people who share a surname).
* Term frequencies: an exact agreement on a common value (the surname Smith, a
  switchboard number) is weaker evidence than on a rare one, so at the exact level of
  names, emails and phones the value's own frequency replaces ``u``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching.dedupe.comparisons import Indices, Kind
from matching.dedupe.fields import Prepared

U_SAMPLE = 300_000
"""Random pairs drawn to estimate ``u``."""
U_PRIOR_PAIRS = 1_000.0
"""Pseudo-pairs the default ``u`` counts for against the random pairs drawn."""
EM_ROUNDS = 40
PRIOR_PAIRS = 50.0
"""Pseudo-pairs the starting prior counts for: a handful of candidate pairs cannot make
EM believe every one of them is a match."""
PRIOR_STRENGTH = 200.0
"""Pseudo-pairs the default ``m`` counts for in each EM step."""

TF_KINDS = frozenset({Kind.NAME, Kind.EMAIL, Kind.PHONE})
"""Kinds whose exact level is weighed by the agreed value's frequency."""


def random_pairs(ids: npt.NDArray[np.object_], size: int, seed: int = 0) -> tuple[Indices, Indices]:
    """``size`` random pairs of distinct records (all pairs when there are fewer), drawn
    over the records sorted by id, so the same data gives the same pairs in any order."""
    n = len(ids)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    by_id = np.argsort(ids, kind="stable").astype(np.int64)
    total = n * (n - 1) // 2
    if total <= size:
        left, right = np.triu_indices(n, k=1)
        return by_id[left], by_id[right]
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size)
    right = rng.integers(0, n - 1, size)
    right = right + (right >= left)
    return by_id[left], by_id[right]


def level_frequencies(
    levels: npt.NDArray[np.int8], default: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Each level's share among the random pairs where both values are present, with the
    default ``u`` counting for :data:`U_PRIOR_PAIRS` pairs: a small table's few pairs
    cannot make a rare agreement look common, and no level gets probability 0."""
    present = levels[levels >= 0]
    counts = np.bincount(present, minlength=len(default)).astype(np.float64)
    return np.asarray((counts + U_PRIOR_PAIRS * default) / (counts.sum() + U_PRIOR_PAIRS))


def em(
    patterns: npt.NDArray[np.int8],
    counts: npt.NDArray[np.float64],
    m0: list[npt.NDArray[np.float64]],
    u: list[npt.NDArray[np.float64]],
    prior: float,
) -> tuple[list[npt.NDArray[np.float64]], float]:
    """``m`` and the prior by EM over the distinct level ``patterns`` (rows of levels,
    -1 missing) seen ``counts`` times, ``u`` fixed, ``m0`` a Dirichlet prior."""
    m = [row.copy() for row in m0]
    start = prior
    k = patterns.shape[1] if patterns.ndim == 2 else 0
    for _ in range(EM_ROUNDS):
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for j in range(k):
            level = patterns[:, j]
            present = level >= 0
            log_m[present] += np.log(m[j][level[present]])
            log_u[present] += np.log(u[j][level[present]])
        odds = math.log(prior / (1 - prior)) + log_m - log_u
        posterior = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        weighted = posterior * counts
        new_prior = float((weighted.sum() + PRIOR_PAIRS * start) / (counts.sum() + PRIOR_PAIRS))
        for j in range(k):
            level = patterns[:, j]
            present = level >= 0
            tally = np.bincount(level[present], weights=weighted[present], minlength=len(m[j]))
            m[j] = (tally + PRIOR_STRENGTH * m0[j]) / (tally.sum() + PRIOR_STRENGTH)
        if abs(new_prior - prior) < 1e-7:
            prior = new_prior
            break
        prior = min(max(new_prior, 1e-6), 1 - 1e-6)
    return m, prior


def value_counts(prepared: Prepared, columns: tuple[str, ...]) -> pd.Series:
    """How many records hold each value, over ``columns`` together (a person's two phones
    count once each), indexed by value: mapping values through it is one hash lookup."""
    values = pd.Series(np.concatenate([prepared.columns[c] for c in columns]), dtype=object)
    return values.dropna().value_counts()
