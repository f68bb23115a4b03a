"""The one rounding rule agrees with Decimal.quantize, an independent oracle, in every mode."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st

from hybridroi.core.money import UnroundedMoney
from hybridroi.core.rounding import Rounding, round_minor, round_ratio

# Far more digits than the ratios below need: the quotient lies at least 1 / denominator
# from any integer or half, so its 200-digit value rounds as the exact ratio does.
_ORACLE = decimal.Context(prec=200)


def _quantized(numerator: int, denominator: int, rounding: Rounding) -> int:
    quotient = _ORACLE.divide(Decimal(numerator), Decimal(denominator))
    return int(quotient.quantize(Decimal(1), rounding=rounding.value, context=_ORACLE))


@given(
    st.sampled_from(Rounding),
    st.integers(-(10**18), 10**18),
    st.integers(1, 10**12),
)
@example(Rounding.HALF_UP, 5, 2)
@example(Rounding.HALF_UP, -5, 2)
@example(Rounding.HALF_DOWN, -5, 2)
@example(Rounding.HALF_EVEN, 5, 2)
@example(Rounding.HALF_EVEN, -7, 2)
@example(Rounding.CEILING, -1, 3)
@example(Rounding.FLOOR, -1, 3)
@example(Rounding.UP, -1, 3)
@example(Rounding.DOWN, -1, 3)
def test_a_ratio_rounds_as_decimal_quantize_does(
    rounding: Rounding, numerator: int, denominator: int
) -> None:
    assert round_ratio(numerator, denominator, rounding) == _quantized(
        numerator, denominator, rounding
    )


@given(st.sampled_from(Rounding), st.integers(-(10**9), 10**9), st.integers(0, 6))
def test_halves_and_decimals_round_as_decimal_quantize_does(
    rounding: Rounding, digits: int, places: int
) -> None:
    # Decimal amounts such as 2.5 or -0.005 (in minor units, 10 ** places apart).
    assert round_ratio(digits, 10**places, rounding) == _quantized(digits, 10**places, rounding)
    assert round_minor(Fraction(digits, 10**places), rounding=rounding) == _quantized(
        digits, 10**places, rounding
    )


@given(
    st.sampled_from(Rounding),
    st.fractions(max_denominator=10**6).filter(lambda value: abs(value) < 10**9),
    st.integers(1, 1000),
)
def test_a_fraction_numerator_is_multiplied_out(
    rounding: Rounding, numerator: Fraction, denominator: int
) -> None:
    exact = numerator / denominator
    expected = _quantized(exact.numerator, exact.denominator, rounding)
    assert round_ratio(numerator, denominator, rounding) == expected


@given(st.sampled_from(Rounding), st.integers(-(10**12), 10**12), st.integers(0, 8))
def test_money_rounds_through_the_same_rule(rounding: Rounding, digits: int, places: int) -> None:
    amount = Decimal(digits).scaleb(-places)
    rounded = UnroundedMoney(amount, "EUR").round(rounding=rounding)
    expected = amount.quantize(Decimal("0.01"), rounding=rounding.value, context=_ORACLE)
    assert rounded.amount == expected
    assert rounded.minor_units == round_ratio(digits * 100, 10**places, rounding)
