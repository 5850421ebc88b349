"""Clusters that do not chain: the records a set of links says are one person.

Links above the threshold form candidate components (scipy's sparse routine, linear in
records and links). A component of two is a cluster. In a larger one, every pair is
scored by the model and the records are merged bottom-up by *average linkage*: two
groups join only while the average weight of the pairs between them reaches the
threshold, and never when any pair between them is strongly negative: a pair whose own
match probability, by the model's weights, is below :data:`VETO` (different first names,
birthdates years apart and two different government ids, say). So one shared phone or address cannot pull two people into one
cluster: the other pairs between them outvote it, and their own comparison vetoes it.

Average linkage rather than mutual best links or correlation clustering: it uses every
pair's evidence (unlike mutual best links, which ignores all but one pair), it is exact
and deterministic (unlike the heuristics correlation clustering needs), and the veto
gives the guarantee no average can. A cluster's id is the smallest record id in it, so
it depends on neither the input's order nor the run.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.dedupe.arrays import distinct, distinct_inverse
from matching.dedupe.fields import Prepared
from matching.dedupe.model import DedupeModel, Frequencies, score, weight_of

VETO = 0.01
"""Two records whose own match probability is below this never end up in one cluster."""

EXACT_LIMIT = 400
"""The largest group split by scoring every pair in it (quadratic in the group); larger
components are cut at stricter weights first."""

Labels = npt.NDArray[np.int64]


def components(n: int, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> Labels:
    """Each of ``n`` records' component label, given links ``left[i] -- right[i]``."""
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def cluster_labels(
    model: DedupeModel,
    prepared: Prepared,
    tf: Frequencies,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    cut_weight: float,
) -> Labels:
    """Each record's cluster label: the components of the links (with their ``weights``),
    each split by constrained average linkage. A component larger than
    :data:`EXACT_LIMIT` is first cut at stricter weights until its parts fit, so memory
    stays bounded however a component chains. Every pair inside every part is scored in
    one vectorised pass; a part whose pairs all reach the threshold is one cluster as it
    is, and only the others go through average linkage."""
    labels = components(prepared.n, left, right)
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= 3)
    if not len(large):
        return labels
    order = np.argsort(labels, kind="stable")
    starts = np.r_[0, np.cumsum(sizes)]
    part = np.full(prepared.n, -1, dtype=np.int64)
    next_part = 0
    oversized = large[sizes[large] > EXACT_LIMIT]
    for component in oversized:
        members = order[starts[component] : starts[component + 1]]
        inside = labels[left] == component
        for piece in _narrowed(members, left[inside], right[inside], weights[inside], cut_weight):
            if len(piece) >= 2:
                part[piece] = next_part
                next_part += 1
    fitting = large[sizes[large] <= EXACT_LIMIT]
    in_fitting = np.isin(labels, fitting)
    part[in_fitting] = next_part + np.searchsorted(fitting, labels[in_fitting])
    pairs = _part_pairs(part)
    n = prepared.n
    pair_left, pair_right = pairs // n, pairs % n
    pair_weights, _ = score(model, prepared, pair_left, pair_right, tf)
    pair_part = part[pair_left]
    by_part = np.argsort(pair_part, kind="stable")
    pair_part, pair_left, pair_right = pair_part[by_part], pair_left[by_part], pair_right[by_part]
    pair_weights = pair_weights[by_part]
    bounds = np.flatnonzero(np.r_[True, pair_part[1:] != pair_part[:-1], True])
    if not len(pairs):
        bounds = np.zeros(1, dtype=np.int64)
    lowest = np.minimum.reduceat(pair_weights, bounds[:-1]) if len(pairs) else np.zeros(0)
    result = labels.copy()
    next_label = int(labels.max()) + 1
    # A part is cut out of its component; a part whose every pair reaches the threshold
    # stays whole, the others are split by average linkage.
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if lowest[k] >= cut_weight and part[pair_left[lo]] >= next_part:
            continue
        members = distinct(np.r_[pair_left[lo:hi], pair_right[lo:hi]])
        if lowest[k] >= cut_weight:
            groups = [members]
        else:
            a = np.searchsorted(members, pair_left[lo:hi])
            b = np.searchsorted(members, pair_right[lo:hi])
            found = average_linkage(len(members), a, b, pair_weights[lo:hi], cut_weight)
            groups = [members[g] for g in found]
        for group in groups:
            result[group] = next_label
            next_label += 1
    # Records of an oversized component left out of every part are each their own.
    alone = np.isin(labels, oversized) & (part < 0)
    result[alone] = next_label + np.arange(int(alone.sum()))
    return result


def _part_pairs(part: Labels) -> npt.NDArray[np.int64]:
    """Every pair of records within each part (``-1``: in none), encoded ``i * n + j``."""
    from matching.dedupe.blocking import _block_pairs

    pairs, _ = _block_pairs(part, len(part), EXACT_LIMIT)
    return pairs


def _narrowed(
    members: npt.NDArray[np.int64],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    cut_weight: float,
) -> list[npt.NDArray[np.int64]]:
    """``members`` in parts of at most :data:`EXACT_LIMIT` records: the components of the
    links at ever stricter weights (one bit at a time), a record left alone once no link
    of it is strong enough."""
    a = np.searchsorted(members, left)  # members are ascending (a stable sort by label)
    b = np.searchsorted(members, right)
    parts: list[npt.NDArray[np.int64]] = []
    pending = [(np.arange(len(members)), np.ones(len(a), dtype=bool), cut_weight + 1.0)]
    while pending:
        nodes, usable, cut = pending.pop()
        strong = usable & (weights >= cut)
        sub = components(len(members), a[strong], b[strong])
        for label in distinct(sub[nodes]):
            group = nodes[sub[nodes] == label]
            if len(group) <= EXACT_LIMIT:
                parts.append(members[group])
            else:
                inside = strong & np.isin(a, group)
                pending.append((group, inside, cut + 1.0))
    return parts


def average_linkage(
    k: int,
    upper_i: npt.NDArray[np.int64],
    upper_j: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    cut_weight: float,
) -> list[list[int]]:
    """``k`` records (every pair ``upper_i[p], upper_j[p]`` weighing ``weights[p]``) in the
    groups average linkage with the veto keeps: two groups join while the average weight
    between them reaches ``cut_weight`` and no pair between them is below the veto."""
    total = np.zeros((k, k))
    total[upper_i, upper_j] = weights
    total += total.T
    lowest = np.full((k, k), np.inf)
    lowest[upper_i, upper_j] = weights
    lowest = np.minimum(lowest, lowest.T)
    size = np.ones(k)
    active = np.ones(k, dtype=bool)
    groups: list[list[int]] = [[i] for i in range(k)]
    veto = weight_of(VETO)
    while True:
        average = total / np.outer(size, size)
        allowed = np.outer(active, active) & (lowest > veto)
        np.fill_diagonal(allowed, False)
        average[~allowed] = -np.inf
        best = int(np.argmax(average))
        a, b = divmod(best, k)
        if average[a, b] < cut_weight:
            break
        a, b = min(a, b), max(a, b)
        total[a] += total[b]
        total[:, a] = total[a]
        lowest[a] = np.minimum(lowest[a], lowest[b])
        lowest[:, a] = lowest[a]
        size[a] += size[b]
        active[b] = False
        groups[a].extend(groups[b])
    return [sorted(groups[i]) for i in np.flatnonzero(active)]


def cluster_frame(
    ids: npt.NDArray[np.object_], labels: Labels, rank: npt.NDArray[np.int64] | None = None
) -> pd.DataFrame:
    """Every record id once, with its ``cluster_id`` (the smallest id in its cluster);
    ``rank`` is each id's position among the ids sorted, when known."""
    if rank is None:
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    order = np.empty(len(ids), dtype=np.int64)
    order[rank] = np.arange(len(ids))
    _, dense = distinct_inverse(labels)
    smallest = np.full(int(dense.max()) + 1 if len(dense) else 0, len(ids), dtype=np.int64)
    np.minimum.at(smallest, dense, rank)
    return pd.DataFrame(
        {"cluster_id": ids[order[smallest[dense]]]}, index=pd.Index(ids, name="record_id")
    )
