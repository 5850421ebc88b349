"""``find_duplicates``: block, compare, weigh and cluster one set of records."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lifecycle.errors import FieldTypeError, InvalidFieldError
from matching.dedupe.blocking import candidate_pairs
from matching.dedupe.clustering import cluster_frame, components
from matching.dedupe.fields import prepare, read_frame, record_ids
from matching.dedupe.model import DedupeModel, probability, weight_of
from matching.dedupe.result import DedupeResult

DEFAULT_THRESHOLD = 0.5
"""The match probability a pair needs to link, until the model chooses its own."""

CHUNK = 500_000
"""Candidate pairs scored at a time: memory stays bounded however many there are."""


def _threshold(value: object) -> float:
    if value is None:
        return DEFAULT_THRESHOLD
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldTypeError("threshold", "a match probability in (0, 1)", value)
    if not 0 < value < 1 or math.isnan(value):
        raise InvalidFieldError("threshold", "a match probability in (0, 1)", value)
    return float(value)


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
    cut = _threshold(threshold)
    if model is not None and not isinstance(model, DedupeModel):
        raise FieldTypeError("model", "a DedupeModel or None", model)
    frame = read_frame(data)
    if not len(frame):
        raise InvalidFieldError("data", "at least one record", "an empty frame")
    ids = record_ids(frame, id_column)
    prepared = prepare(frame, ids)
    model = model or DedupeModel.default_for(prepared)
    pairs, reports = candidate_pairs(prepared, model.blocking, model.max_block_size)
    n = prepared.n
    cut_weight = weight_of(cut)
    weights = {c.name: model.weights(c.name) for c in model.comparisons}
    kept: list[pd.DataFrame] = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        left, right = chunk // n, chunk % n
        total = np.full(len(chunk), model.prior_weight)
        levels = {}
        for comparison in model.comparisons:
            level = comparison.levels(prepared, left, right)
            total += weights[comparison.name][level]
            levels[comparison.name] = level
        keep = np.ones(len(chunk), dtype=bool) if all_pairs else total >= cut_weight
        a, b = ids[left[keep]], ids[right[keep]]
        swap = a > b
        kept.append(
            pd.DataFrame(
                {
                    "left_id": np.where(swap, b, a),
                    "right_id": np.where(swap, a, b),
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
    linked = scored[scored["match_probability"] >= cut] if all_pairs else scored
    labels = components(
        n, linked["_left"].to_numpy(dtype=np.int64), linked["_right"].to_numpy(dtype=np.int64)
    )
    result_pairs = (
        scored[columns].sort_values(["left_id", "right_id"], kind="stable").reset_index(drop=True)
    )
    return DedupeResult(
        pairs=result_pairs,
        clusters=cluster_frame(ids, labels),
        model=model,
        threshold=cut,
        records=n,
        candidates=len(pairs),
        rules=reports,
    )
