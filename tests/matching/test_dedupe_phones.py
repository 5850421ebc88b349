"""Vectorised phone keys for batch dedupe equal :func:`matching.normalize.phone`, value
for value: generated phone-like text, synthetic CRM phones and named edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import normalize
from matching.dedupe.fields import map_values
from matching.dedupe.phones import LAYOUTS, phones
from matching.dedupe.synthetic import PHONES, generate_crm


def slow(values: list[object]) -> list[str | None]:
    return [normalize.phone(value) for value in values]


def fast(values: list[object]) -> list[str | None]:
    keys = phones(pd.Series(values, dtype=object), len(values))
    assert keys.dtype == object
    assert len(keys) == len(values)
    return list(keys)


def _filled(layout: str, digits: str) -> str:
    it = iter(digits)
    return "".join(next(it) if ch == "9" else ch for ch in layout)


@st.composite
def laid_out(draw: st.DrawFn) -> str:
    """A value in one of the layouts :func:`phones` reads, with any digits (area codes
    starting 0 or 1, trunk digits other than 1, placeholders)."""
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    size = layout.count("9")
    start, step = draw(st.integers(0, 9)), draw(st.sampled_from([0, 1, 9]))
    digits = draw(
        st.one_of(
            st.text("0123456789", min_size=size, max_size=size),
            st.just("".join(str((start + step * i) % 10) for i in range(size))),
            st.text("23456789", min_size=3, max_size=3).map(
                lambda a: ("1" + a + "5550100")[-size:]
            ),
        )
    )
    if size == 11 and draw(st.booleans()):
        digits = "1" + digits[1:]
    spaces = st.sampled_from(["", "", " ", "  "])
    return draw(spaces) + _filled(layout, digits) + draw(spaces)


@st.composite
def phone_like(draw: st.DrawFn) -> str:
    """Digits in assorted groupings, with prefixes, extensions and junk around them."""
    groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5))
    separator = st.sampled_from(["", " ", "-", ".", "/", "  ", " - ", "\u00a0", "\t"])
    body = "".join(g + draw(separator) for g in groups[:-1]) + groups[-1]
    if draw(st.booleans()):
        body = body.replace(groups[0], f"({groups[0]})", 1)
    prefix = draw(st.sampled_from(["", "", "+1 ", "1-", "1", "+", "+44 ", "00", "001 ", "011 "]))
    suffix = draw(
        st.sampled_from(["", "", " x12", " ext. 5", "#12", ";ext=9", " abc", "\u200b", "a"])
    )
    junk = st.sampled_from(["", "", " ", "tel:", "Tel ", "\u0663", "\uff14", "\ufeff"])
    return draw(junk) + prefix + body + suffix + draw(junk)


VALUES = st.one_of(
    laid_out(),
    phone_like(),
    st.text(max_size=20),
    st.sampled_from(["1111111111", "1234567890", "+44 20 7946 0000", "0044 20 7946 0000"]),
    st.sampled_from([None, math.nan, pd.NA, 4255550100, 4255550100.0, b"4255550100"]),
)


@given(st.lists(VALUES, max_size=40).flatmap(lambda v: st.permutations(v + v[: len(v) // 3])))
def test_equals_normalize_phone(values: list[object]) -> None:
    assert fast(values) == slow(values)


def test_synthetic_crm_phones() -> None:
    frame = generate_crm(12000, seed=3)
    values = pd.concat([frame[column] for column in PHONES], ignore_index=True)
    sample = values.sample(20_000, random_state=3).tolist()
    keys = fast(sample)
    assert keys == slow(sample)
    assert sum(key is not None for key in keys) == sum(value is not None for value in sample)


EDGE_CASES = [
    ("(425) 555-0100", "+14255550100"),
    ("425-555-0100", "+14255550100"),
    ("425.555.0100", "+14255550100"),
    ("+1 425 555 0100", "+14255550100"),
    ("4255550100", "+14255550100"),
    ("+14255550100", "+14255550100"),
    ("1-425-555-0100", "+14255550100"),
    ("  (425) 555-0100  ", "+14255550100"),
    ("+1 (425) 555-0100", "+14255550100"),
    ("425 555 0100", "+14255550100"),
    ("4250550100", "+14250550100"),  # exchange starting 0: still possible
    ("4251550100", "+14251550100"),
    ("+1 206 555 0100", "+12065550100"),
    ("0255550100", "+10255550100"),  # area codes starting 0 or 1: parsed
    ("1255550100", "+11255550100"),
    ("1-125-555-0100", None),
    ("+1 125 555 0100", "+11255550100"),
    ("11255550100", None),
    ("2-425-555-0100", None),  # not a trunk 1: parsed
    ("2222222222", None),  # placeholders
    ("1111111111", None),
    ("1234567890", None),
    ("2345678901", None),
    ("9876543210", None),
    ("2109876543", None),
    ("+1 234 567 8901", None),
    ("1-234-567-8901", None),
    ("555-0100", None),  # no area code
    ("+1 555 0100", None),
    ("425-555-01000", None),
    ("4255550100x12", "+14255550100"),
    ("425-555-0100 ext. 7", "+14255550100"),
    ("425-555-0100#", None),
    ("425555#0100", None),
    ("+44 20 7946 0000", "+442079460000"),
    ("0044 20 7946 0000", "+442079460000"),
    ("001 425 555 0100", "+14255550100"),
    ("011 44 20 7946 0000", "+442079460000"),
    ("4255550100\u200b", "+14255550100"),  # invisible characters deleted
    ("4255550100\x00", "+14255550100"),
    ("\x004255550100", "+14255550100"),
    ("4255550100 \x00 x", "+14255550100"),
    ("(425) 555-0100 " + "\x00" * 20 + "5", None),
    ("4255550100" + " " * 14, "+14255550100"),
    ("4255550100" + " " * 30 + "5", None),
    ("\t425-555-0100\n", "+14255550100"),
    ("+1 (425) 555 0100", "+14255550100"),
    ("+1-800-555-0199", "+18005550199"),
    ("\u00a04255550100", "+14255550100"),
    ("\u0664\u0662\u0665\u0665\u0665\u0665\u0660\u0661\u0660\u0660", "+14255550100"),
    ("\uff14\uff12\uff15\uff15\uff15\uff15\uff10\uff11\uff10\uff10", "+14255550100"),
    ("425-555-010O", None),
    ("1-800-FLOWERS", "+18003569377"),
    ("tel:+1-425-555-0100", "+14255550100"),
    ("", None),
    ("   ", None),
    ("\ud800", None),
    (None, None),
    (math.nan, None),
    (4255550100, None),
]


@pytest.mark.parametrize(("value", "key"), EDGE_CASES, ids=[repr(v) for v, _ in EDGE_CASES])
def test_edge_cases(value: object, key: str | None) -> None:
    assert normalize.phone(value) == key
    assert fast([value, "425-555-0100", value]) == [key, "+14255550100", key]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["425-555-0100", None, "(425) 555-0100", "x"], dtype="string"),
        pd.Series(["425-555-0100", None, "425-555-0100", "0044 20 7946 0000"], dtype="category"),
        pd.Series([np.nan, np.nan]),
        pd.Series([4255550100, 2065550100]),
        pd.Series([], dtype=object),
    ],
    ids=["string", "category", "all-missing", "integers", "empty"],
)
def test_column_types(column: pd.Series) -> None:
    expected = map_values(column, len(column), normalize.phone)
    assert list(phones(column, len(column))) == list(expected)


def test_no_column() -> None:
    assert list(phones(None, 3)) == [None, None, None]
