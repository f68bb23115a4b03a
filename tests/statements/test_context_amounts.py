"""What conditions and custom rules read of a shared sale: exact money, rounded once."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.money import MAX_DIGITS, UnroundedMoney
from hybridroi.statements.drafts import _as_decimal

# A base in minor units times a share: what a partial credit leaves of a sale.
shared = st.builds(
    lambda units, numerator, denominator: Fraction(units) * Fraction(numerator, denominator),
    st.integers(-(10**40), 10**40),
    st.integers(1, 1000),
    st.integers(1, 1000),
)


def _digits(value: Decimal) -> int:
    integer = value.adjusted() + 1 if value else 0
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(integer, 0) + max(-exponent, 0)


@given(shared, st.sampled_from([0, 2, 3]))
def test_a_shared_amount_fits_exact_money_and_is_rounded_once(value: Fraction, places: int) -> None:
    amount = _as_decimal(value, places)
    UnroundedMoney(amount, "EUR")  # accepted: within MAX_DIGITS digits
    assert _digits(amount) <= MAX_DIGITS
    exact = value / 10**places
    step = Fraction(1, 10 ** max(-amount.as_tuple().exponent, 0))  # type: ignore[operator]
    assert abs(Fraction(amount) - exact) <= step / 2
    if exact.denominator == 1 or (10**places * 10**MAX_DIGITS) % exact.denominator == 0:
        # A finite decimal within exact money's digits is given exactly, without padding.
        assert Fraction(amount) == exact
        assert amount == amount.normalize() or amount.as_tuple().exponent == -places
        return
    # A value with no finite decimal keeps every digit exact money allows.
    assert _digits(amount) >= MAX_DIGITS - 1


def test_a_share_under_a_tenth_of_a_unit_keeps_its_leading_zeros_in_the_count() -> None:
    # 21/34 of a cent: EUR 0.00617..., once too long for exact money.
    amount = _as_decimal(Fraction(21, 34), 2)
    assert (
        str(amount)
        == "0." + "00617647058823529411764705882352941176470588235294117647058"[:59] + "8"
    )
    assert _digits(amount) == MAX_DIGITS
    assert _as_decimal(Fraction(1, 3), 0) == Decimal("0." + "3" * 60)
    assert _as_decimal(Fraction(200, 3), 2) == Decimal("0." + "6" * 59 + "7")
    assert _as_decimal(Fraction(150, 1), 2) == Decimal("1.50")


def test_a_finite_amount_is_given_exactly_with_the_places_it_needs() -> None:
    # USD 0.51 at 0.9123 to the euro: EUR 0.465273, whose fifth of it is exact money too.
    base = _as_decimal(Fraction(465273, 10000), 2)
    assert base == Decimal("0.465273")
    assert base.as_tuple().exponent == -6
    assert (UnroundedMoney(base, "EUR") * Decimal("0.20")).amount == Decimal("0.0930546")
    assert _as_decimal(Fraction(-5, 8), 2) == Decimal("-0.00625")
    # Beyond exact money's digits, even a finite decimal is rounded once.
    tiny = _as_decimal(Fraction(1, 2**80), 2)
    assert _digits(tiny) <= MAX_DIGITS
    assert Fraction(tiny) != Fraction(1, 2**80 * 100)
