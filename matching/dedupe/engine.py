"""``find_duplicates``: block, compare, weigh and cluster one set of records."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import FieldTypeError, InvalidFieldError
from matching.dedupe.blocking import candidate_pairs
from matching.dedupe.clustering import cluster_frame, cluster_labels
from matching.dedupe.fields import Prepared, prepare, read_frame, record_ids
from matching.dedupe.model import (
    DedupeModel,
    frequencies,
    oriented,
    probability,
    score,
    weight_of,
)
from matching.dedupe.result import DedupeResult
from matching.dedupe.threshold import Threshold, choose_threshold

FLOOR = 0.01
"""Pairs below this match probability are never links, whatever threshold is chosen:
they are dropped while scoring, so memory holds only pairs that could link."""

CHUNK = 500_000
"""Candidate pairs scored at a time: memory stays bounded however many there are."""


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
) -> DedupeResult:
    """Which records of ``data`` are the same person.

    ``data`` is a DataFrame with Dataverse logical names (``firstname``, ``lastname``,
    ``emailaddress1``, ``telephone1``, ``birthdate``, ...) or the path of a CSV or
    Parquet file; ``id_column`` defaults to ``contactid``, ``leadid`` or ``id``. Pairs
    at or above ``threshold`` (a match probability) link, and the records they link form
    clusters; ``all_pairs`` keeps every scored candidate pair in the result. Bad input
    raises a typed error and nothing is computed."""
    given = _threshold(threshold)
    if model is not None and not isinstance(model, DedupeModel):
        raise FieldTypeError("model", "a DedupeModel or None", model)
    prepared = load(data, id_column)
    ids = prepared.ids
    model = model or DedupeModel.default_for(prepared).trained_on(prepared)
    pairs, reports = candidate_pairs(prepared, model.blocking, model.max_block_size)
    n = prepared.n
    tf = frequencies(model, prepared)
    floor = weight_of(given if given is not None and given < FLOOR else FLOOR)
    kept: list[pd.DataFrame] = []
    weights: list[npt.NDArray[np.float64]] = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        left, right = chunk // n, chunk % n
        left, right = oriented(prepared, left, right)
        total, levels = score(model, prepared, left, right, tf)
        weights.append(total)
        keep = np.ones(len(chunk), dtype=bool) if all_pairs else total >= floor
        kept.append(
            pd.DataFrame(
                {
                    "left_id": ids[left[keep]],
                    "right_id": ids[right[keep]],
                    "match_weight": total[keep],
                    "match_probability": probability(total[keep]),
                    **{name: level[keep] for name, level in levels.items()},
                    "_left": left[keep],
                    "_right": right[keep],
                }
            )
        )
    columns = ["left_id", "right_id", "match_weight", "match_probability"]
    columns += [c.name for c in model.comparisons]
    scored = (
        pd.concat(kept, ignore_index=True)
        if kept
        else pd.DataFrame({name: pd.Series(dtype=object) for name in [*columns, "_left", "_right"]})
    )
    everything = np.concatenate(weights) if weights else np.zeros(0)
    choice = (
        Threshold(given, "given")
        if given is not None
        else choose_threshold(probability(everything))
    )
    linked = scored[scored["match_probability"] >= choice.probability]
    labels = cluster_labels(
        model,
        prepared,
        tf,
        linked["_left"].to_numpy(dtype=np.int64),
        linked["_right"].to_numpy(dtype=np.int64),
        weight_of(choice.probability),
    )
    shown = scored if all_pairs else linked
    result_pairs = (
        shown[columns].sort_values(["left_id", "right_id"], kind="stable").reset_index(drop=True)
    )
    return DedupeResult(
        pairs=result_pairs,
        clusters=cluster_frame(ids, labels),
        model=model,
        threshold=choice.probability,
        records=n,
        candidates=len(pairs),
        rules=reports,
        threshold_reason=choice.reason,
    )
