"""The columnar rounding rule agrees with the scalar one, element by element."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.rounding import Rounding, round_ratio, round_ratios

BOUND = 2**62


@given(
    st.lists(st.integers(min_value=-BOUND, max_value=BOUND), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=2**62 - 1),
    st.sampled_from(Rounding),
)
def test_round_ratios_is_round_ratio_on_each_element(
    numerators: list[int], denominator: int, rounding: Rounding
) -> None:
    found = round_ratios(np.array(numerators, dtype=np.int64), denominator, rounding).tolist()
    assert found == [round_ratio(value, denominator, rounding) for value in numerators]


@given(st.integers(min_value=-(10**6), max_value=10**6), st.sampled_from(Rounding))
def test_exact_halves_follow_each_mode(whole: int, rounding: Rounding) -> None:
    # 2 * whole + 1 over 2 is a half: every mode has its own answer there.
    numerator = 2 * whole + 1
    found = round_ratios(np.array([numerator], dtype=np.int64), 2, rounding).tolist()
    assert found == [round_ratio(numerator, 2, rounding)]


def test_the_modes_by_hand() -> None:
    values = np.array([5, -5, 7, -7, 4], dtype=np.int64)
    assert round_ratios(values, 2, Rounding.HALF_UP).tolist() == [3, -3, 4, -4, 2]
    assert round_ratios(values, 2, Rounding.HALF_DOWN).tolist() == [2, -2, 3, -3, 2]
    assert round_ratios(values, 2, Rounding.HALF_EVEN).tolist() == [2, -2, 4, -4, 2]
    assert round_ratios(values, 2, Rounding.UP).tolist() == [3, -3, 4, -4, 2]
    assert round_ratios(values, 2, Rounding.DOWN).tolist() == [2, -2, 3, -3, 2]
    assert round_ratios(values, 2, Rounding.CEILING).tolist() == [3, -2, 4, -3, 2]
    assert round_ratios(values, 2, Rounding.FLOOR).tolist() == [2, -3, 3, -4, 2]


def test_a_denominator_beyond_the_bound_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="denominator"):
        round_ratios(np.array([1], dtype=np.int64), 2**62, Rounding.HALF_UP)
    with pytest.raises(InvalidValueError, match="denominator"):
        round_ratios(np.array([1], dtype=np.int64), 0, Rounding.HALF_UP)
