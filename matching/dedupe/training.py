"""Training a dedupe model without labels, and the term frequencies that sharpen it.

* ``u`` (how often each level occurs between *different* people) from random pairs of
  records: almost every random pair is two different people.
* ``m`` (how often each level occurs between records of *one* person) and the match
  rate by expectation-maximisation over the candidate pairs, with ``u`` held fixed (as
  Splink does), the default ``m`` as a Dirichlet prior, in two passes anchored on the
  names (:func:`fit_m` says why: households and offices otherwise become "people").
* Term frequencies: an exact agreement on a common value (the surname Smith, a
  switchboard number) is weaker evidence than on a rare one, so at the exact level of
  names, emails and phones the value's own frequency replaces ``u``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs
import numpy as np
import numpy.typing as npt

from matching.dedupe.comparisons import Indices, Kind

U_SAMPLE = 300_000
"""Random pairs drawn to estimate ``u``."""
U_PRIOR_PAIRS = 1_000.0
"""Pseudo-pairs the default ``u`` counts for against the random pairs drawn."""
EM_ROUNDS = 40
PRIOR_PAIRS = 50.0
"""Pseudo-pairs the starting prior counts for: a handful of candidate pairs cannot make
EM believe every one of them is a match."""
PRIOR_MATCHES = 10.0
"""Matches the starting prior counts for when it is a random pair's: a handful of
records cannot make EM believe none or all of them are one person."""
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
    levels: npt.NDArray[np.int8],
    default: npt.NDArray[np.float64],
    pseudo_pairs: float = U_PRIOR_PAIRS,
) -> npt.NDArray[np.float64]:
    """Each level's share among the pairs where both values are present, with the
    ``default`` probabilities counting for ``pseudo_pairs`` pairs: a small table's few
    pairs cannot make a rare agreement look common, and no level gets probability 0."""
    present = levels[levels >= 0]
    counts = np.bincount(present, minlength=len(default)).astype(np.float64)
    return np.asarray((counts + pseudo_pairs * default) / (counts.sum() + pseudo_pairs))


def em(
    patterns: npt.NDArray[np.int8],
    counts: npt.NDArray[np.float64],
    m0: list[npt.NDArray[np.float64]],
    u: list[npt.NDArray[np.float64]],
    prior: float,
    *,
    fixed: npt.NDArray[np.bool_] | None = None,
    offsets: npt.NDArray[np.float64] | None = None,
    population: float | None = None,
    learn_prior: bool = True,
) -> tuple[list[npt.NDArray[np.float64]], float]:
    """``m`` and the prior by EM over the distinct level ``patterns`` (rows of levels,
    -1 missing) seen ``counts`` times, ``u`` fixed, ``m0`` a Dirichlet prior.

    ``fixed`` comparisons keep ``m0``; with ``offsets`` (each pattern's log odds from
    outside the patterns) they are left out of the odds, the offsets standing for them.
    The prior is the share of matches among ``population`` pairs (the patterns' own
    count when not given), or stays as given without ``learn_prior``."""
    m = [row.copy() for row in m0]
    start = prior
    k = patterns.shape[1] if patterns.ndim == 2 else 0
    keep = np.zeros(k, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    for _ in range(EM_ROUNDS):
        odds = np.full(len(patterns), math.log(prior / (1 - prior)))
        if offsets is not None:
            odds += offsets
        for j in range(k):
            if keep[j] and offsets is not None:
                continue
            level = patterns[:, j]
            present = level >= 0
            odds[present] += np.log(m[j][level[present]]) - np.log(u[j][level[present]])
        posterior = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        weighted = posterior * counts
        for j in map(int, np.flatnonzero(~keep)):
            level = patterns[:, j]
            present = level >= 0
            tally = np.bincount(level[present], weights=weighted[present], minlength=len(m[j]))
            m[j] = (tally + PRIOR_STRENGTH * m0[j]) / (tally.sum() + PRIOR_STRENGTH)
        if not learn_prior:
            continue
        if population is None:
            new_prior = (weighted.sum() + PRIOR_PAIRS * start) / (counts.sum() + PRIOR_PAIRS)
        else:
            new_prior = (weighted.sum() + PRIOR_MATCHES) / (population + PRIOR_MATCHES / start)
        new_prior = min(max(float(new_prior), 1e-12), 1 - 1e-6)
        if abs(new_prior - prior) < 1e-7 * prior:
            return m, new_prior
        prior = new_prior
    return m, prior


def _distinct_patterns(
    levels: npt.NDArray[np.int8], extra: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct rows of ``levels`` with ``extra`` as one more column, and how often
    each occurs: each row packed into one integer (levels run from -1 to at most 14),
    so that finding them is one sort of integers, not of rows."""
    low = int(extra.min(initial=0))
    span = int(extra.max(initial=0)) - low + 1
    key = extra - low
    for j in range(levels.shape[1]):
        key = key * 16 + (levels[:, j].astype(np.int64) + 1)
    if span * 16 ** levels.shape[1] >= 2**62:
        rows, counts = np.unique(np.column_stack([levels, extra]), axis=0, return_counts=True)
        return rows[:, :-1].astype(np.int8), rows[:, -1].astype(np.int64), counts
    distinct, counts = np.unique(key, return_counts=True)
    patterns = np.empty((len(distinct), levels.shape[1]), dtype=np.int8)
    for j in reversed(range(levels.shape[1])):
        patterns[:, j] = distinct % 16 - 1
        distinct = distinct // 16
    return patterns, distinct + low, counts


@attrs.frozen
class Fit:
    """What EM estimated: each comparison's ``m``, the match rate, and the distinct
    level patterns it ran over."""

    m: list[npt.NDArray[np.float64]]
    u: list[npt.NDArray[np.float64]]
    rate: float
    patterns: int


ANCHORS: Mapping[Kind, int] = {Kind.EMAIL: 1, Kind.IDENTIFIER: 0}
"""Levels up to which an agreement identifies a person without the name: the same
mailbox, the same government id."""


def fit_m(
    levels: npt.NDArray[np.int8],
    names: npt.NDArray[np.float64],
    kinds: list[Kind],
    m0: list[npt.NDArray[np.float64]],
    u: list[npt.NDArray[np.float64]],
    *,
    records: int,
    rate: float,
    present: list[float],
) -> Fit:
    """``m`` of every comparison and the match rate, by EM over candidate pairs with
    ``levels`` (one column per comparison of ``kinds``), ``names`` being each pair's
    names' weight (with their frequencies, in bits); ``m0`` is the starting ``m`` and
    each step's Dirichlet prior.

    Plain EM over every candidate pair finds the wrong two classes in CRM data: people
    who share a household or an office agree on phone, street and company far more
    often than random pairs do, and EM calls them matches. So the names, the one thing
    a person keeps across records while a household shares the rest, anchor two passes:

    1. Among the pairs whose names agree (exact or close), ``m`` of every other
       comparison, the names weighing in with their own (default) ``m`` and their
       frequencies, and the prior a *random* pair's: the names' weight already says
       why these pairs are candidates, so two John Smiths with nothing else in common
       stay two people. The match rate follows from the matches found and the share of
       matches whose names agree.
    2. Among the pairs agreeing on a mailbox or a government id (:data:`ANCHORS`),
       which different people almost never share, ``m`` of the names, everything else
       fixed.

    Then ``u`` is checked against the candidates themselves (:func:`_candidate_u`) and,
    where the random pairs saw too few agreements to measure it, raised and the two
    passes run again. ``present`` is each comparison's share of random pairs where both
    values are present.
    """
    is_name = np.array([kind is Kind.NAME for kind in kinds])
    # The names' weight in quarter bits, as one more column of the patterns.
    quarters = np.round(names * 4).astype(np.int64)
    patterns, quarters, counts = _distinct_patterns(levels, quarters)
    offsets = quarters / 4 * math.log(2)
    weights = counts.astype(np.float64)
    n = records
    total = n * (n - 1) / 2
    named = np.all((patterns[:, is_name] >= 0) & (patterns[:, is_name] <= 1), axis=1)
    agree = float(np.prod([m0[j][:2].sum() for j in np.flatnonzero(is_name)]))
    anchor = np.zeros(len(patterns), dtype=bool)
    for j, kind in enumerate(kinds):
        if kind in ANCHORS:
            anchor |= (patterns[:, j] >= 0) & (patterns[:, j] <= ANCHORS[kind])
    prior = min(rate / max(n - 1, 1), 0.5)
    m = m0
    for _ in range(2):
        m, prior = em(
            patterns[named],
            weights[named],
            m0,
            u,
            prior,
            fixed=is_name,
            offsets=offsets[named],
            population=total * agree,
        )
        if anchor.any() and is_name.any():
            m, _ = em(
                patterns[anchor], weights[anchor], m, u, prior, fixed=~is_name, learn_prior=False
            )
        u = _candidate_u(patterns, weights, offsets, is_name, m, u, prior, total, present)
    return Fit(m, u, prior * (n - 1), len(patterns))


def _candidate_u(
    patterns: npt.NDArray[np.int8],
    counts: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.float64],
    is_name: npt.NDArray[np.bool_],
    m: list[npt.NDArray[np.float64]],
    u: list[npt.NDArray[np.float64]],
    prior: float,
    total: float,
    present: list[float],
) -> list[npt.NDArray[np.float64]]:
    """``u`` raised where the candidates hold more non-matches at a level than ``u``
    allows. Random pairs measure a rare agreement badly (300,000 of them hold no two
    records of one household at a million records), but every pair that shares a phone
    or a street is a candidate: the candidates not thought to be matches, out of all
    pairs, bound ``u`` from below. The last ("different") level takes what is left."""
    odds = np.full(len(patterns), math.log(prior / (1 - prior))) + offsets
    for j in map(int, np.flatnonzero(~is_name)):
        level = patterns[:, j]
        seen = level >= 0
        odds[seen] += np.log(m[j][level[seen]]) - np.log(u[j][level[seen]])
    apart = counts / (1.0 + np.exp(np.clip(odds, -700, 700)))
    raised = []
    for j, row in enumerate(u):
        level = patterns[:, j]
        seen = level >= 0
        tally = np.bincount(level[seen], weights=apart[seen], minlength=len(row))
        bound = tally / max(total * present[j], 1.0)
        new = np.maximum(row, bound)
        new[-1] = max(1.0 - new[:-1].sum(), row[-1] / 2)
        raised.append(new / new.sum())
    return raised


# --- labelled pairs ------------------------------------------------------------------------

LABEL_PRIOR_PAIRS = 10.0
"""Pseudo-pairs the default ``m`` counts for against the labelled matches: light, so
the labels decide, yet a level no labelled match shows keeps a small probability."""


def labelled_m(
    levels: npt.NDArray[np.int8], m0: list[npt.NDArray[np.float64]]
) -> list[npt.NDArray[np.float64]]:
    """``m`` of each comparison from the ``levels`` of labelled matching pairs (one
    column per comparison): each level's share among the pairs whose values are both
    present, with the default ``m0`` as a Dirichlet prior of :data:`LABEL_PRIOR_PAIRS`
    pairs."""
    return [
        level_frequencies(levels[:, j], default, LABEL_PRIOR_PAIRS) for j, default in enumerate(m0)
    ]
