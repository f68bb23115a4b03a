from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from tests.strategies import currencies, money, rates

from hybridroi.core.errors import CurrencyMismatchError, InvalidValueError, UnknownCurrencyError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit


class TestConstruction:
    def test_amount_is_normalised_to_the_minor_unit(self) -> None:
        assert Money("12.5", "EUR").amount == Decimal("12.50")
        assert str(Money("12.5", "EUR").amount) == "12.50"
        assert str(Money(7, "KWD").amount) == "7.000"
        assert str(Money("1500", "JPY").amount) == "1500"

    @pytest.mark.parametrize("value", [1.5, 0.1, float("nan")])
    def test_float_is_refused_with_a_hint(self, value: float) -> None:
        with pytest.raises(TypeError, match="pass a string"):
            Money(value, "EUR")  # type: ignore[arg-type]

    def test_bool_is_refused(self) -> None:
        with pytest.raises(TypeError):
            Money(True, "EUR")

    def test_unknown_currency_is_refused_by_name(self) -> None:
        with pytest.raises(UnknownCurrencyError, match="'ZZZ'"):
            Money("1", "ZZZ")

    def test_currency_without_minor_unit_is_refused(self) -> None:
        with pytest.raises(UnknownCurrencyError, match="minor unit"):
            Money("1", "XAU")

    def test_sub_minor_unit_amount_is_refused_not_rounded(self) -> None:
        with pytest.raises(InvalidValueError, match="Money.amount"):
            Money("1.005", "EUR")
        with pytest.raises(InvalidValueError):
            Money("1.5", "JPY")

    @pytest.mark.parametrize("text", ["abc", "", "1,5", "Infinity", "NaN"])
    def test_non_numbers_are_refused(self, text: str) -> None:
        with pytest.raises(InvalidValueError, match="Money.amount"):
            Money(text, "EUR")

    @pytest.mark.parametrize(
        ("code", "places"),
        [
            ("JPY", 0),
            ("KRW", 0),
            ("EUR", 2),
            ("USD", 2),
            ("KWD", 3),
            ("BHD", 3),
            ("JOD", 3),
            ("OMR", 3),
            ("TND", 3),
        ],
    )
    def test_minor_units_come_from_iso_4217(self, code: str, places: int) -> None:
        assert minor_unit(code) == places

    def test_minor_unit_conversions(self) -> None:
        assert Money.from_minor(1234, "EUR") == Money("12.34", "EUR")
        assert Money("12.34", "EUR").minor_units == 1234
        assert Money.from_minor(5, "KWD") == Money("0.005", "KWD")


class TestArithmetic:
    def test_worked_sum(self) -> None:
        assert sum([Money("1.10", "EUR"), Money("2.20", "EUR")]) == Money("3.30", "EUR")
        assert Money.sum([], "EUR") == Money("0.00", "EUR")

    def test_mixed_currencies_raise_naming_both(self) -> None:
        with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
            Money("1", "EUR") + Money("1", "USD")
        with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
            Money("1", "EUR") - Money("1", "USD")
        with pytest.raises(CurrencyMismatchError):
            assert Money("1", "EUR") < Money("1", "USD")
        with pytest.raises(CurrencyMismatchError):
            Money.sum([Money("1", "EUR"), Money("1", "USD")], "EUR")

    def test_equality_across_currencies_is_false_not_an_error(self) -> None:
        assert Money("1", "EUR") != Money("1", "USD")
        assert Money("1", "EUR") not in [Money("1", "USD")]

    def test_foreign_types_return_not_implemented(self) -> None:
        assert Money("1", "EUR").__add__(1) is NotImplemented
        assert Money("1", "EUR").__lt__("1") is NotImplemented
        with pytest.raises(TypeError):
            Money("1", "EUR") + Decimal(1)
        with pytest.raises(TypeError):
            Money("1", "EUR") * Fraction(1, 3)

    def test_multiplying_by_a_float_is_refused(self) -> None:
        with pytest.raises(TypeError, match="float"):
            Money("1", "EUR") * 0.1

    def test_product_is_exact_and_unrounded(self) -> None:
        product = Money("84.00", "EUR") * Decimal("0.125")
        assert isinstance(product, UnroundedMoney)
        assert product.amount == Decimal("10.5")
        assert product.round() == Money("10.50", "EUR")

    def test_rounding_needs_a_named_mode_passed_by_keyword(self) -> None:
        value = UnroundedMoney("2.665", "EUR")
        assert value.round() == Money("2.67", "EUR")
        assert value.round(rounding=Rounding.HALF_EVEN) == Money("2.66", "EUR")
        assert value.round(rounding=Rounding.DOWN) == Money("2.66", "EUR")
        assert value.round(rounding=Rounding.UP) == Money("2.67", "EUR")
        with pytest.raises(TypeError):
            value.round(Rounding.HALF_UP)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="Rounding member"):
            value.round(rounding="ROUND_HALF_UP")  # type: ignore[arg-type]

    def test_default_rounding_is_half_up_away_from_zero(self) -> None:
        assert UnroundedMoney("0.005", "EUR").round() == Money("0.01", "EUR")
        assert UnroundedMoney("-0.005", "EUR").round() == Money("-0.01", "EUR")
        assert UnroundedMoney("0.5", "JPY").round() == Money("1", "JPY")
        assert UnroundedMoney("0.0005", "KWD").round() == Money("0.001", "KWD")

    def test_two_components_round_the_same_value_the_same_way(self) -> None:
        # killbill 494: one number, one rounding, whoever asks.
        via_product = Money("0.999", "KWD") * 1
        assert via_product.round() == Money("0.999", "KWD")
        assert UnroundedMoney("0.999", "EUR").round() == Money("1.00", "EUR")
        assert (Money("1.998", "KWD") * Decimal("0.5")).round() == Money("0.999", "KWD")

    def test_unrounded_sums_stay_exact(self) -> None:
        third = Money("1.00", "EUR") * Decimal("0.333")
        total = third + third + third
        assert total.amount == Decimal("0.999")
        assert total.round() == Money("1.00", "EUR")
        assert (Money("1.00", "EUR") - third).amount == Decimal("0.667")


@given(st.integers(-(10**15), 10**15), st.integers(-(10**15), 10**15), currencies)
def test_addition_agrees_with_integer_minor_units(a: int, b: int, code: str) -> None:
    left, right = Money.from_minor(a, code), Money.from_minor(b, code)
    assert (left + right).minor_units == a + b
    assert (left - right).minor_units == a - b
    assert (left < right) == (a < b)
    assert (left == right) == (a == b)


@given(money(), rates())
def test_product_agrees_with_a_fraction_oracle(amount: Money, rate: Decimal) -> None:
    product = amount * rate
    assert Fraction(product.amount) == Fraction(amount.amount) * Fraction(rate)


@given(money(), rates())
@example(Money("0.05", "EUR"), Decimal("0.5"))
def test_half_up_rounding_mirrors_reversals(amount: Money, rate: Decimal) -> None:
    assert (-(amount * rate)).round() == -((amount * rate).round())


@given(money(), rates())
def test_rounding_is_within_half_a_minor_unit(amount: Money, rate: Decimal) -> None:
    exact = amount * rate
    rounded = exact.round()
    half = Fraction(1, 2 * 10 ** minor_unit(amount.currency))
    assert abs(Fraction(rounded.amount) - Fraction(exact.amount)) <= half


@given(money(), money())
def test_mixed_currencies_always_raise(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        return
    for operation in (lambda: a + b, lambda: a - b, lambda: a < b, lambda: a >= b):
        with pytest.raises(CurrencyMismatchError):
            operation()


@given(money())
def test_string_round_trip(amount: Money) -> None:
    assert Money(str(amount.amount), amount.currency) == amount
    assert Money(repr(amount).split("'")[1], amount.currency) == amount


@given(st.lists(money("EUR"), max_size=20))
def test_builtin_sum_equals_money_sum(amounts: list[Money]) -> None:
    expected = Money.sum(amounts, "EUR")
    assert (sum(amounts) if amounts else Money.zero("EUR")) == expected
    assert expected.minor_units == sum(a.minor_units for a in amounts)


def test_rounding_large_exact_amounts_does_not_overflow_the_default_context() -> None:
    # 28 digits is Python's default precision; amounts beyond it still round exactly.
    assert (Money("1e27", "USD") * Decimal("0.9")).round() == Money(
        "900000000000000000000000000.00", "USD"
    )
