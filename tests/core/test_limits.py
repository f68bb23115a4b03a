"""The documented limits of amounts and instants: exact inside, refused outside, never rounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError
from hybridroi.core.money import MAX_DIGITS, Money, UnroundedMoney
from hybridroi.core.timezones import EARLIEST, LATEST, in_range, require_aware

THIRTY = "123456789012345678901234567.89"  # 30 significant digits


class TestAmountsBeyondTheDefaultPrecision:
    def test_minor_units_of_a_thirty_digit_amount_are_exact(self) -> None:
        assert Money(THIRTY, "EUR").minor_units == 12345678901234567890123456789

    def test_sums_and_differences_are_exact(self) -> None:
        amount = Money(THIRTY, "EUR")
        assert (amount + amount).amount == Decimal("246913578024691357802469135.78")
        assert (amount + amount - amount) == amount
        assert Money.sum([amount, amount, Money("0.01", "EUR")], "EUR").amount == Decimal(
            "246913578024691357802469135.79"
        )
        assert (-amount).amount == Decimal("-" + THIRTY)

    def test_from_minor_is_exact(self) -> None:
        units = 10**40 + 7
        assert Money.from_minor(units, "EUR").minor_units == units

    def test_an_amount_beyond_the_limit_is_refused_not_rounded(self) -> None:
        with pytest.raises(InvalidValueError, match="at most 60 significant digits"):
            Money("1" * (MAX_DIGITS - 1), "EUR")  # 59 integer digits + 2 decimals
        with pytest.raises(InvalidValueError, match="at most 60 significant digits"):
            Money("1E+70", "EUR")

    def test_a_sum_beyond_the_limit_is_refused(self) -> None:
        big = Money("9" * (MAX_DIGITS - 2), "EUR")
        with pytest.raises(InvalidValueError, match="at most 60 significant digits"):
            _ = big + big

    def test_an_unrounded_amount_beyond_the_limit_is_refused(self) -> None:
        with pytest.raises(InvalidValueError, match="at most 60 significant digits"):
            UnroundedMoney("1" * (MAX_DIGITS + 1), "EUR")

    def test_non_ascii_digits_are_refused(self) -> None:
        with pytest.raises(InvalidValueError, match="ASCII digits"):
            Money("١٢", "EUR")
        with pytest.raises(InvalidValueError, match="ASCII digits"):
            Money("²", "EUR")

    @given(st.integers(min_value=-(10**50), max_value=10**50))
    def test_minor_units_round_trip(self, units: int) -> None:
        money = Money.from_minor(units, "EUR")
        assert money.minor_units == units
        assert (money + money).minor_units == 2 * units
        assert (-money).minor_units == -units


class TestInstantRange:
    def test_year_one_is_refused(self) -> None:
        with pytest.raises(InvalidValueError, match="between 1900-01-01"):
            require_aware(datetime(1, 1, 1, tzinfo=UTC), "Touch.instant")

    def test_the_bounds_are_half_open_in_utc(self) -> None:
        assert in_range(EARLIEST)
        assert not in_range(EARLIEST - timedelta(microseconds=1))
        assert not in_range(LATEST)
        assert in_range(LATEST - timedelta(microseconds=1))
        # 1900-01-01T00:30+01:00 is 1899-12-31T23:30Z: outside.
        assert not in_range(datetime(1900, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))
        assert in_range(datetime(1900, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-1))))

    def test_naive_is_still_reported_as_naive(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            require_aware(datetime(2026, 3, 1), "Touch.instant")  # noqa: DTZ001 - naive on purpose

    @given(st.datetimes(timezones=st.just(UTC)))
    def test_in_range_agrees_with_the_bounds(self, instant: datetime) -> None:
        assert in_range(instant) == (EARLIEST <= instant < LATEST)
