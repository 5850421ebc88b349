"""The sorting helpers give what ``np.unique`` gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching.dedupe.arrays import distinct, distinct_inverse

INTS = st.lists(st.integers(-(2**62), 2**62), max_size=200)


@given(INTS)
def test_distinct_is_numpys_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert distinct(array).tolist() == np.unique(array).tolist()


@given(INTS)
def test_distinct_inverse_is_numpys_unique_with_inverse(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    found, inverse = distinct_inverse(array)
    expected, expected_inverse = np.unique(array, return_inverse=True)
    assert found.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.tolist()
    assert found[inverse].tolist() == values
