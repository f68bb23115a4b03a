from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from tests.strategies import money

from hybridroi.core.allocation import allocate, allocate_minor_units
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, minor_unit

weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
    lambda ws: sum(ws) > 0
)


def test_worked_three_way_split() -> None:
    # 10000 cents / 3 = 3333 each with 1 cent left; equal remainders and weights: first position.
    assert allocate(Money("100.00", "EUR"), [1, 1, 1]) == (
        Money("33.34", "EUR"),
        Money("33.33", "EUR"),
        Money("33.33", "EUR"),
    )


def test_worked_weighted_split() -> None:
    # 1.00 by 70/20/10 is exact.
    assert allocate(Money("1.00", "EUR"), [70, 20, 10]) == (
        Money("0.70", "EUR"),
        Money("0.20", "EUR"),
        Money("0.10", "EUR"),
    )
    # 0.05 by 1:2 -> exact 1.667 and 3.333 cents: floors 1 and 3, the larger remainder (.667) wins.
    assert allocate(Money("0.05", "EUR"), [1, 2]) == (Money("0.02", "EUR"), Money("0.03", "EUR"))


def test_small_amounts_do_not_all_go_to_the_first_party() -> None:
    # brick/money 46: three cents over three parties must give one each.
    assert allocate(Money("0.03", "EUR"), [1, 1, 1]) == (Money("0.01", "EUR"),) * 3


def test_tie_break_prefers_the_larger_weight() -> None:
    # 1 cent by 1:3 gives remainders .25 and .75 -> the larger remainder first.
    assert allocate(Money("0.01", "EUR"), [3, 1]) == (Money("0.01", "EUR"), Money("0.00", "EUR"))
    # 2 cents by 1:1:2 -> exact .5, .5, 1 -> floors 0,0,1; the one left: tie on .5, equal weight,
    # earlier position.
    assert allocate(Money("0.02", "EUR"), [1, 1, 2]) == (
        Money("0.01", "EUR"),
        Money("0.00", "EUR"),
        Money("0.01", "EUR"),
    )


def test_mapping_tie_break_does_not_depend_on_insertion_order() -> None:
    forward = allocate(Money("0.01", "EUR"), {"affiliate-a": 1, "affiliate-b": 1})
    backward = allocate(Money("0.01", "EUR"), {"affiliate-b": 1, "affiliate-a": 1})
    assert (
        forward
        == backward
        == {"affiliate-a": Money("0.01", "EUR"), "affiliate-b": Money("0.00", "EUR")}
    )


def test_fraction_and_decimal_weights() -> None:
    assert allocate(Money("10", "JPY"), [Fraction(1, 3), Fraction(2, 3)]) == (
        Money("3", "JPY"),
        Money("7", "JPY"),
    )
    assert allocate(Money("1.000", "KWD"), [Decimal("0.4"), "0.6"]) == (
        Money("0.400", "KWD"),
        Money("0.600", "KWD"),
    )


def test_negative_total_mirrors_the_positive_one() -> None:
    assert allocate(Money("-100.00", "EUR"), [1, 1, 1]) == tuple(
        -part for part in allocate(Money("100.00", "EUR"), [1, 1, 1])
    )


@pytest.mark.parametrize("bad", [[], [0, 0], [-1, 2]])
def test_bad_weights_are_refused(bad: list[int]) -> None:
    with pytest.raises(InvalidValueError, match="weights"):
        allocate(Money("1", "EUR"), bad)


def test_float_weights_are_refused() -> None:
    with pytest.raises(TypeError):
        allocate(Money("1", "EUR"), [0.5, 0.5])  # type: ignore[list-item]


@given(money(), weights)
@example(Money("0.01", "EUR"), [1, 1])
def test_parts_sum_to_the_total_within_one_minor_unit(total: Money, ws: list[int]) -> None:
    parts = allocate(total, ws)
    assert sum(parts, Money.zero(total.currency)) == total
    exact_total = Fraction(total.amount)
    unit = Fraction(1, 10 ** minor_unit(total.currency))
    for part, weight in zip(parts, ws, strict=True):
        share = exact_total * weight / sum(ws)
        assert abs(Fraction(part.amount) - share) < unit


@given(st.integers(-(10**9), 10**9), weights, st.randoms())
def test_mapping_result_is_independent_of_order(total: int, ws: list[int], rnd: object) -> None:
    keyed = {f"p{i:02d}": w for i, w in enumerate(ws)}
    items = list(keyed.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    amount = Money.from_minor(total, "EUR")
    assert allocate(amount, dict(items)) == allocate(amount, keyed)


@given(st.integers(-(10**9), 10**9), weights)
def test_integer_core_is_deterministic_and_exact(total: int, ws: list[int]) -> None:
    fractions = [Fraction(w) for w in ws]
    first = allocate_minor_units(total, fractions)
    assert first == allocate_minor_units(total, fractions)
    assert sum(first) == total
