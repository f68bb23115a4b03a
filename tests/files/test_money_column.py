"""Money read from a table: each row's amount exact, one object per distinct amount."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.money import Money, minor_unit
from hybridroi.files.tables import _money_column

_CODES = st.sampled_from(["EUR", "JPY", "KWD", None])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2**63 - 1), st.booleans(), _CODES),
        max_size=40,
    )
)
def test_each_row_is_its_exact_amount_and_equal_amounts_share_one_object(
    rows: list[tuple[int, bool, str | None]],
) -> None:
    units = np.array([amount for amount, _, _ in rows], dtype=np.int64)
    valid = np.array([present for _, present, _ in rows], dtype=np.bool_)
    codes = [code for _, _, code in rows]
    places = np.array([minor_unit(code) if code else 0 for code in codes], dtype=np.int64)
    result = _money_column(units, valid, codes, places)
    expected = [
        Money.from_minor(amount, code) if present and code is not None else None
        for amount, present, code in rows
    ]
    assert result == expected
    made = [money for money in result if money is not None]
    assert len({id(money) for money in made}) == len(set(made))


def test_a_column_without_amounts_is_all_none() -> None:
    units = np.zeros(3, dtype=np.int64)
    assert _money_column(units, np.zeros(3, dtype=np.bool_), ["EUR"] * 3, units) == [None] * 3
