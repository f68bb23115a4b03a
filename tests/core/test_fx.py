from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hybridroi.core.errors import InvalidValueError, MissingRateError, NaiveDatetimeError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money, UnroundedMoney

RATES = FxRates.from_rows(
    [
        ("USD", "EUR", date(2026, 3, 2), "0.92"),
        ("USD", "EUR", date(2026, 3, 9), "0.95"),
        ("GBP", "EUR", date(2026, 3, 2), "1.17"),
    ]
)


def test_uses_the_rate_in_force_at_the_instant_and_records_it() -> None:
    result = RATES.convert(Money("100.00", "USD"), "EUR", datetime(2026, 3, 8, 23, tzinfo=UTC))
    assert result.converted == UnroundedMoney("92.0000", "EUR")
    assert (result.rate, result.rate_date) == (Decimal("0.92"), date(2026, 3, 2))
    assert result.original == Money("100.00", "USD")
    later = RATES.convert(Money("100.00", "USD"), "EUR", datetime(2026, 3, 9, tzinfo=UTC))
    assert (later.rate, later.rate_date) == (Decimal("0.95"), date(2026, 3, 9))


def test_rate_date_is_read_in_the_table_time_zone() -> None:
    paris = FxRates(rates=RATES.rates, timezone="Europe/Paris")
    # 23:30 UTC on March 8 is already March 9 in Paris.
    instant = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert RATES.rate_at("USD", "EUR", instant)[1] == date(2026, 3, 2)
    assert paris.rate_at("USD", "EUR", instant)[1] == date(2026, 3, 9)


def test_missing_rate_is_an_error_never_one_to_one() -> None:
    with pytest.raises(MissingRateError, match="EUR/USD"):
        RATES.convert(Money("1.00", "EUR"), "USD", datetime(2026, 3, 10, tzinfo=UTC))
    with pytest.raises(MissingRateError, match="first published rate"):
        RATES.convert(Money("1.00", "USD"), "EUR", datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(MissingRateError):
        FxRates().convert(Money("1.00", "USD"), "EUR", datetime(2026, 3, 1, tzinfo=UTC))


def test_same_currency_needs_no_rate() -> None:
    result = FxRates().convert(Money("1.00", "EUR"), "EUR", datetime(2026, 3, 1, tzinfo=UTC))
    assert result.converted.round() == Money("1.00", "EUR")
    assert result.rate == 1


def test_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        RATES.convert(Money("1.00", "USD"), "EUR", datetime(2026, 3, 10))  # noqa: DTZ001


def test_conflicting_rates_for_one_date_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="one rate per pair and date"):
        FxRates.from_rows(
            [("USD", "EUR", date(2026, 3, 2), "0.92"), ("USD", "EUR", date(2026, 3, 2), "0.93")]
        )


@pytest.mark.parametrize("rate", ["0", "-1"])
def test_non_positive_rates_are_refused(rate: str) -> None:
    with pytest.raises(InvalidValueError, match="FxRate.rate"):
        FxRates.from_rows([("USD", "EUR", date(2026, 3, 2), rate)])


def test_float_rate_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        FxRates.from_rows([("USD", "EUR", date(2026, 3, 2), 0.9)])  # type: ignore[list-item]
