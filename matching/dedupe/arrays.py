"""The array types batch dedupe passes around, and distinct values of large integer arrays.

numpy 2.3+ finds ``np.unique``'s plain distinct values by hashing, which on millions of
64-bit integers is many times slower than sorting them; these helpers sort.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Keys = npt.NDArray[np.object_]
"""A column of normalised keys: ``str`` or ``None``."""
Codes = npt.NDArray[np.int64]
"""A column as integer codes of its distinct values, ``-1`` where missing."""


def distinct(values: Ints) -> Ints:
    """The distinct values, ascending."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def distinct_inverse(values: Ints) -> tuple[Ints, npt.NDArray[np.intp]]:
    """The distinct values, ascending, and the index of each value among them."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, bool)
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse
