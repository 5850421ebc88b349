"""Labelled pairs: what a user knows about which records are one person, for training.

A labels table has ``left_id``, ``right_id`` and a boolean ``match``. Its matching pairs
give ``m`` directly (:func:`~matching.dedupe.training.labelled_m`), in place of the
EM estimate. ``u`` and the match rate stay those of unsupervised training: labelled
non-matches are chosen (near misses, mostly), not drawn at random, and would make
agreement between different people look far more common than it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import FieldTypeError, InvalidFieldError, Problems
from matching.dedupe.comparisons import Indices
from matching.dedupe.fields import Prepared, read_frame
from matching.dedupe.model import DEFAULT_M, DedupeModel, comparison_levels, oriented
from matching.dedupe.training import labelled_m

LABEL_COLUMNS = ("left_id", "right_id", "match")
"""The columns of a labels table: two record ids and whether they are one person."""

_EXPECTED = "a DataFrame, or the path of a CSV file, with left_id, right_id and match"


def _flags(column: pd.Series) -> npt.NDArray[np.bool_] | None:
    """``match`` as booleans: a boolean column, or a CSV's ``true`` / ``false`` text
    (any case); ``None`` for anything else (numbers, blanks)."""
    if pd.api.types.is_bool_dtype(column) and not column.isna().any():
        return column.to_numpy(dtype=bool)
    values = column.tolist()
    if all(isinstance(v, bool | np.bool_) for v in values):
        return np.asarray(values, dtype=bool)
    if all(isinstance(v, str) and v.strip().lower() in ("true", "false") for v in values):
        return np.asarray([v.strip().lower() == "true" for v in values], dtype=bool)
    return None


def read_labels(labels: object) -> pd.DataFrame:
    """``labels`` as a frame: a DataFrame as it is, a file read as text."""
    if isinstance(labels, str | os.PathLike):
        if not Path(labels).is_file():
            raise InvalidFieldError("labels", _EXPECTED, labels)
    elif not isinstance(labels, pd.DataFrame):
        raise FieldTypeError("labels", _EXPECTED, labels)
    return read_frame(labels)


def labelled_matches(labels: object, ids: npt.NDArray[np.object_]) -> tuple[Indices, Indices]:
    """The record positions (in ``ids``) of the pairs ``labels`` says are one person.

    Ids are compared as text, as :func:`~matching.dedupe.fields.record_ids` reads them.
    Every problem (a missing column, a missing or unknown id, a ``match`` that is not
    true or false, a record paired with itself, a pair labelled both ways, no matching
    pair) is raised in one typed error."""
    frame = read_labels(labels)
    problems = Problems()
    for column in LABEL_COLUMNS:
        if column not in frame.columns:
            problems.missing(f"labels.{column}")
    problems.raise_if_any()
    position = pd.Index(ids)
    sides = []
    for column in LABEL_COLUMNS[:2]:
        values = frame[column]
        blank = values.isna().to_numpy()
        if blank.any():
            rows = [int(i) for i in np.flatnonzero(blank)[:5]]
            problems.must(f"labels.{column}", "an id on every row", f"no id on rows {rows}")
        at = position.get_indexer(pd.Index(values.astype(str)))
        unknown = values[(at < 0) & ~blank].astype(str).unique()
        if len(unknown):
            problems.must(f"labels.{column}", "ids of the data's records", list(unknown[:5]))
        sides.append(np.where(blank, -1, at).astype(np.int64))
    left, right = sides
    match = _flags(frame["match"])
    if match is None:
        shown = frame["match"].head(5).tolist()
        problems.must("labels.match", "true or false on every row", shown, wrong_type=True)
    known = (left >= 0) & (right >= 0)
    itself = known & (left == right)
    if itself.any():
        problems.must("labels", "pairs of two different records", list(ids[left[itself][:5]]))
    if match is not None:
        said = pd.DataFrame(
            {
                "low": np.minimum(left, right)[known],
                "high": np.maximum(left, right)[known],
                "match": match[known],
            }
        )
        ways = said.groupby(["low", "high"])["match"].nunique()
        both = ways[ways > 1].index[:5]
        if len(both):
            pairs = [(str(ids[a]), str(ids[b])) for a, b in both]
            problems.must("labels", "each pair labelled one way only", pairs)
        if not match.any():
            problems.must("labels.match", "true on at least one pair", "no matching pair")
    problems.raise_if_any()
    assert match is not None
    return left[match], right[match]


def with_labelled_m(
    model: DedupeModel, prepared: Prepared, left: Indices, right: Indices
) -> DedupeModel:
    """``model`` with ``m`` from the levels of the labelled matching pairs ``(left[i],
    right[i])`` (positions in ``prepared``), the default ``m`` a light prior."""
    left, right = oriented(prepared, left, right)
    levels = comparison_levels(model.comparisons, prepared, left, right)
    m = labelled_m(levels, [np.asarray(DEFAULT_M[c.kind]) for c in model.comparisons])
    return attrs.evolve(
        model,
        m={c.name: tuple(float(v) for v in m[j]) for j, c in enumerate(model.comparisons)},
    )
