"""``find_duplicates``: block, compare, weigh and cluster one set of records."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import FieldTypeError, InvalidFieldError
from matching.dedupe.blocking import Pairs, candidate_pairs
from matching.dedupe.clustering import cluster_frame, cluster_labels
from matching.dedupe.fields import Prepared, prepare, read_frame, record_ids
from matching.dedupe.model import (
    DedupeModel,
    comparison_levels,
    frequencies,
    oriented,
    probability,
    weigh,
    weight_of,
)
from matching.dedupe.progress import Progress, reporter
from matching.dedupe.result import DedupeResult
from matching.dedupe.threshold import Threshold, choose_threshold

FLOOR = 0.01
"""Pairs below this match probability are never links, whatever threshold is chosen:
they are dropped while scoring, so memory holds only pairs that could link."""


def _threshold(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldTypeError("threshold", "a match probability in (0, 1)", value)
    if not 0 < value < 1 or math.isnan(value):
        raise InvalidFieldError("threshold", "a match probability in (0, 1)", value)
    return float(value)


def load(data: object, id_column: str | None) -> Prepared:
    """``data``'s records, read, checked and normalised."""
    frame = read_frame(data)
    if not len(frame):
        raise InvalidFieldError("data", "at least one record", "an empty frame")
    return prepare(frame, record_ids(frame, id_column))


def find_duplicates(
    data: object,
    *,
    model: DedupeModel | None = None,
    id_column: str | None = None,
    threshold: float | None = None,
    all_pairs: bool = False,
    progress: bool | Progress = False,
) -> DedupeResult:
    """Which records of ``data`` are the same person.

    ``data`` is a DataFrame with Dataverse logical names (``firstname``, ``lastname``,
    ``emailaddress1``, ``telephone1``, ``birthdate``, ...) or the path of a CSV or
    Parquet file; ``id_column`` defaults to ``contactid``, ``leadid`` or ``id``. Without
    a ``model``, the default one is trained on ``data`` itself (no labels). Pairs at or
    above ``threshold`` (a match probability; chosen by the model when not given) link,
    and the records they link form clusters; ``all_pairs`` keeps every scored candidate
    pair in the result; ``progress`` reports each phase (see :mod:`.progress`). Bad input
    raises a typed error and nothing is computed."""
    given = _threshold(threshold)
    _check_model(model)
    report = reporter(progress)
    report("reading", 0, 1)
    prepared = load(data, id_column)
    report("reading", prepared.n, prepared.n)
    return _run(prepared, model, given, all_pairs, side=None, report=report)


def find_matches(
    left: object,
    right: object,
    *,
    model: DedupeModel | None = None,
    id_column: str | None = None,
    threshold: float | None = None,
    all_pairs: bool = False,
    progress: bool | Progress = False,
) -> DedupeResult:
    """Which records of ``right`` are the same person as each record of ``left``: leads
    against contacts, or two exports of one CRM.

    The same engine as :func:`find_duplicates`, comparing only pairs across the two
    sources (``left_id`` from ``left``, ``right_id`` from ``right``) and keeping, for each
    left record, its best right records among the pairs at or above the threshold. Ids
    must be distinct across both sources; ``id_column`` names the id column of both."""
    given = _threshold(threshold)
    _check_model(model)
    report = reporter(progress)
    report("reading", 0, 1)
    frames = []
    for name, data in (("left", left), ("right", right)):
        frame = read_frame(data)
        if not len(frame):
            raise InvalidFieldError(name, "at least one record", "an empty frame")
        frames.append(frame)
    left_ids = record_ids(frames[0], id_column)
    right_ids = record_ids(frames[1], id_column)
    shared = sorted(set(left_ids) & set(right_ids))
    if shared:
        raise InvalidFieldError("right", "records whose ids are not also left ids", shared[:5])
    frame = pd.concat(frames, ignore_index=True, sort=False)
    prepared = prepare(frame, np.concatenate([left_ids, right_ids]))
    side = np.r_[np.zeros(len(left_ids), dtype=bool), np.ones(len(right_ids), dtype=bool)]
    report("reading", prepared.n, prepared.n)
    return _run(prepared, model, given, all_pairs, side=side, report=report)


def _check_model(model: object) -> None:
    if model is not None and not isinstance(model, DedupeModel):
        raise FieldTypeError("model", "a DedupeModel or None", model)


def _run(
    prepared: Prepared,
    model: DedupeModel | None,
    given: float | None,
    all_pairs: bool,
    *,
    side: npt.NDArray[np.bool_] | None,
    report: Progress,
) -> DedupeResult:
    """Block, score, choose the threshold, link and cluster; ``side`` marks the right
    source's records when linking two sources (only pairs across them count)."""
    ids = prepared.ids
    n = prepared.n
    blocking = model or DedupeModel.default_for(prepared)
    report("blocking", 0, len(blocking.blocking))
    pairs, reports = candidate_pairs(prepared, blocking.blocking, blocking.max_block_size)
    report("blocking", len(blocking.blocking), len(blocking.blocking))
    pairs = _across(pairs, n, side)
    left, right = oriented(prepared, pairs // n, pairs % n)
    report("comparing", 0, len(left))
    levels = comparison_levels(
        blocking.comparisons,
        prepared,
        left,
        right,
        lambda done: report("comparing", done, len(left)),
    )
    if not len(left):
        report("comparing", 0, 0)
    if model is None:
        report("training", 0, len(left))
        model = blocking.trained_on(prepared, candidates=(left, right, levels))
        report("training", len(left), len(left))
    if model.comparisons != blocking.comparisons:
        levels = comparison_levels(model.comparisons, prepared, left, right)
    tf = frequencies(model, prepared)
    floor = weight_of(given if given is not None and given < FLOOR else FLOOR)
    report("scoring", 0, len(left))
    total = weigh(model, prepared, left, right, levels, tf)
    report("scoring", len(left), len(left))
    if side is not None:
        # Scored the same way as one source; shown left source first.
        swap = side[left]
        left, right = np.where(swap, right, left), np.where(swap, left, right)
    keep = np.ones(len(left), dtype=bool) if all_pairs else total >= floor
    scored = pd.DataFrame(
        {
            "left_id": ids[left[keep]],
            "right_id": ids[right[keep]],
            "match_weight": total[keep],
            "match_probability": probability(total[keep]),
            **{c.name: levels[keep, j] for j, c in enumerate(model.comparisons)},
            "_left": left[keep],
            "_right": right[keep],
        }
    )
    columns = ["left_id", "right_id", "match_weight", "match_probability"]
    columns += [c.name for c in model.comparisons]
    choice = (
        Threshold(given, "given") if given is not None else choose_threshold(probability(total))
    )
    linked = scored[scored["match_probability"] >= choice.probability]
    if side is not None:
        best = linked.groupby("_left")["match_weight"].transform("max")
        linked = linked[linked["match_weight"] >= best]
    report("clustering", 0, len(linked))
    labels = cluster_labels(
        model,
        prepared,
        tf,
        linked["_left"].to_numpy(dtype=np.int64),
        linked["_right"].to_numpy(dtype=np.int64),
        linked["match_weight"].to_numpy(dtype=np.float64),
        weight_of(choice.probability),
    )
    report("clustering", len(linked), len(linked))
    shown = scored if all_pairs else linked
    result_pairs = (
        shown[columns].sort_values(["left_id", "right_id"], kind="stable").reset_index(drop=True)
    )
    return DedupeResult(
        pairs=result_pairs,
        clusters=cluster_frame(ids, labels, prepared.rank),
        model=model,
        threshold=choice.probability,
        records=n,
        candidates=len(total),
        rules=reports,
        threshold_reason=choice.reason,
        prepared=prepared,
        frequencies=tf,
    )


def _across(pairs: Pairs, n: int, side: npt.NDArray[np.bool_] | None) -> Pairs:
    """The pairs that join the two sources (all pairs for one source)."""
    if side is None:
        return pairs
    return np.asarray(pairs[side[pairs // n] != side[pairs % n]], dtype=np.int64)
