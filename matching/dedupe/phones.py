"""Phone keys for batch dedupe: :func:`phones` equals ``map_values(column, n,
normalize.phone)``, vectorised, because phonenumbers parses one value at a time in Python.

Most CRM phones are North American numbers in a few layouts. With an area code starting
2-9, phonenumbers (US default region) keeps their ten digits as the national number and
calls any ten digits possible, so the key is ``+1`` and the digits, or ``None`` for a
placeholder; numpy reads those. Everything else (area codes starting 0 or 1, which meet
the trunk prefix ``1``, letters, extensions, other countries, ``00``) is parsed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching import normalize
from matching.dedupe.arrays import Keys

_TIGHT = ("(999) 999-9999", "(999)999-9999", "9999999999")
"""Ten-digit layouts that also follow a country code with no separator: ``+1(425)…``."""
_BODIES = (*_TIGHT, "999-999-9999", "999.999.9999", "999 999 9999")
LAYOUTS = frozenset(
    [*_BODIES]
    + [f"{prefix}{body}" for prefix in ("+9 ", "9 ") for body in _BODIES]
    + [f"{prefix}{body}" for prefix in ("+9", "9") for body in _TIGHT]
    + ["9-999-999-9999", "+9-999-999-9999", "9.999.999.9999", "+9.999.999.9999"]
)
"""The layouts read without parsing, every ASCII digit written ``9``; surrounding spaces
are allowed. Eleven-digit layouts lead with the country code, which must be ``1``."""

_WIDTH = 24
"""The longest value read without parsing: the longest layout and some spaces."""
_NINE = ord("9")
Pattern = tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]
"""A layout's code points and the positions of its digits."""


def _patterns() -> dict[int, list[Pattern]]:
    """The :data:`LAYOUTS` by length."""
    by_size: dict[int, list[Pattern]] = {}
    for layout in sorted(LAYOUTS):
        points = np.array([ord(ch) for ch in layout], dtype=np.uint32)
        by_size.setdefault(len(layout), []).append((points, np.flatnonzero(points == _NINE)))
    return by_size


_BY_SIZE = _patterns()


def phones(column: pd.Series | None, n: int) -> Keys:
    """:func:`matching.normalize.phone` (US default region) of every value of ``column``,
    ``None`` for missing values; equal to ``map_values(column, n, normalize.phone)``."""
    if column is None:
        return np.full(n, None, dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object)
    mapped = np.full(len(values) + 1, None, dtype=object)
    rows, keys = _read(values)
    mapped[rows] = keys
    parse = np.ones(len(values), dtype=bool)
    parse[rows] = False
    mapped[:-1][parse] = [normalize.phone(value) for value in values[parse]]
    return mapped[codes]


def _read(values: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.intp], Keys]:
    """The positions of the ``values`` read without parsing, and their keys."""
    lengths = np.fromiter(
        (len(v) if type(v) is str else 0 for v in values), dtype=np.intp, count=len(values)
    )
    candidates = np.flatnonzero((lengths >= min(_BY_SIZE)) & (lengths <= _WIDTH))
    text = values[candidates].astype(f"U{_WIDTH}")
    whole = np.strings.str_len(text) == lengths[candidates]  # else trailing NULs dropped
    text = np.strings.strip(text, " ")
    size = np.where(whole, np.strings.str_len(text), 0)
    chars = text.view(np.uint32).reshape(len(text), _WIDTH)
    found: list[npt.NDArray[np.intp]] = []
    numbers: list[npt.NDArray[np.uint8]] = []
    for width, patterns in _BY_SIZE.items():
        at = np.flatnonzero(size == width)
        sized = chars[at, :width]
        layout = np.where((sized >= ord("0")) & (sized <= _NINE), _NINE, sized)
        for pattern, positions in patterns:
            hit = (layout == pattern).all(axis=1)
            digits = (sized[hit][:, positions] - ord("0")).astype(np.uint8)
            national = digits[:, -10:]
            # A country code must be 1; an area code starting 0 or 1 is parsed.
            coded = digits[:, 0] == 1 if len(positions) == 11 else True
            readable = coded & (national[:, 0] >= 2)
            found.append(candidates[at[hit][readable]])
            numbers.append(national[readable])
    rows, national = np.concatenate(found), np.concatenate(numbers)
    ascii_keys = np.empty((len(rows), 12), dtype=np.uint8)
    ascii_keys[:, :2] = (ord("+"), ord("1"))
    ascii_keys[:, 2:] = national + ord("0")
    keys = ascii_keys.view("S12").ravel().astype("U12").astype(object)
    keys[_placeholder(national)] = None
    return rows, keys


def _placeholder(national: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Rows whose digits are one digit throughout or a run up or down, like
    ``normalize._placeholder_digits``: one step between neighbours, of 0, 1 or 9 mod 10."""
    steps = np.mod(np.diff(national.astype(np.int8), axis=1), 10)
    same: npt.NDArray[np.bool_] = (steps == steps[:, :1]).all(axis=1)
    return same & np.isin(steps[:, 0], (0, 1, 9))
