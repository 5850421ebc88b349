"""Reading a pandas DataFrame's rows for import; pandas is imported only when a frame is
read.

A row's number is its 1-based position (not its index); NaN, NaT, None and ``pd.NA`` are
missing values, and numbers, flags and timestamps keep their types.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING

from lifecycle.errors import FieldTypeError, InvalidFieldError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frame_columns", "frame_rows"]

_CHUNK = 10_000
"""Frame rows converted to Python values at a time."""


def frame_columns(frame: pd.DataFrame) -> tuple[Hashable, ...]:
    """The frame's column labels; a frame that is not one, or repeats a label, is refused."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise FieldTypeError("frame", "a pandas DataFrame", frame)
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidFieldError("frame", "a DataFrame with distinct column names", dupes)
    return tuple(frame.columns)


def frame_rows(frame: pd.DataFrame) -> Iterator[tuple[int, Mapping[Hashable, object]]]:
    """``(number, row)`` for each row, ``_CHUNK`` rows converted at a time."""
    labels = list(frame_columns(frame))
    for start in range(0, len(frame), _CHUNK):
        part = frame.iloc[start : start + _CHUNK]
        values = part.to_numpy(dtype=object)
        values[part.isna().to_numpy()] = None
        for number, row in enumerate(values.tolist(), start=start + 1):
            yield number, dict(zip(labels, row, strict=True))
