from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError
from hybridroi.ledger.lifecycle import LockAfterMonthEnd, LockAfterSale, LockOnDayOfMonth

PARIS = ZoneInfo("Europe/Paris")


class TestLockAfterSale:
    def test_thirty_days_keeps_the_local_wall_clock_across_the_spring_change(self) -> None:
        # 28 March 10:00 CET (09:00Z) + 30 days = 27 April 10:00 CEST (08:00Z).
        sale = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)
        lock = LockAfterSale(after="30 days").lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 4, 27, 8, 0, tzinfo=UTC)

    def test_one_day_across_spring_forward_lasts_23_hours(self) -> None:
        sale = datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)  # 11:00Z
        lock = LockAfterSale(after="1 day").lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)  # 12:00 CEST
        assert lock - sale == timedelta(hours=23)

    def test_one_day_across_fall_back_lasts_25_hours(self) -> None:
        sale = datetime(2026, 10, 24, 12, 0, tzinfo=PARIS)  # 10:00Z
        lock = LockAfterSale(after="1 day").lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 10, 25, 11, 0, tzinfo=UTC)  # 12:00 CET
        assert lock - sale == timedelta(hours=25)

    def test_a_wall_time_in_the_dst_gap_lands_after_the_gap(self) -> None:
        # 29 March 2026 02:30 does not exist in Paris: read at +01:00, it is 01:30Z (03:30 CEST).
        sale = datetime(2026, 3, 28, 2, 30, tzinfo=PARIS)
        lock = LockAfterSale(after="1 day").lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)

    def test_leap_days(self) -> None:
        sale = datetime(2028, 2, 28, 15, 0, tzinfo=UTC)
        assert LockAfterSale(after="1 day").lock_at(sale, "UTC") == datetime(
            2028, 2, 29, 15, tzinfo=UTC
        )
        assert LockAfterSale(after="2 days").lock_at(sale, "UTC") == datetime(
            2028, 3, 1, 15, tzinfo=UTC
        )
        # A month after 31 January is the last day of February (29th in a leap year).
        end_of_january = datetime(2028, 1, 31, 9, 0, tzinfo=UTC)
        assert LockAfterSale(after="1 month").lock_at(end_of_january, "UTC") == datetime(
            2028, 2, 29, 9, tzinfo=UTC
        )
        leap_day = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
        assert LockAfterSale(after="1 year").lock_at(leap_day, "UTC") == datetime(
            2029, 2, 28, 9, tzinfo=UTC
        )

    def test_the_duration_is_parsed_and_described(self) -> None:
        rule = LockAfterSale(after="2 weeks")
        assert rule.describe() == "14 days after the sale"
        with pytest.raises(InvalidValueError, match=r"LockAfterSale\.after"):
            LockAfterSale(after="soon")

    def test_a_naive_sale_instant_is_refused(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            LockAfterSale(after="1 day").lock_at(datetime(2026, 3, 1), "UTC")  # noqa: DTZ001


class TestLockAfterMonthEnd:
    def test_one_month_ten_days_after_january(self) -> None:
        # End of January = 1 Feb 00:00 local; + 1 month = 1 Mar; + 10 days = 11 Mar 00:00 CET.
        sale = datetime(2026, 1, 31, 15, 0, tzinfo=PARIS)
        lock = LockAfterMonthEnd(months=1, days=10).lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)

    def test_the_sale_month_is_read_in_the_campaign_zone(self) -> None:
        # 31 Jan 23:30Z is already 1 February in Paris: the February rule applies.
        sale = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
        paris = LockAfterMonthEnd(months=1, days=10).lock_at(sale, "Europe/Paris")
        utc = LockAfterMonthEnd(months=1, days=10).lock_at(sale, "UTC")
        assert paris == datetime(2026, 4, 10, 22, 0, tzinfo=UTC)  # 11 April 00:00 CEST
        assert utc == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)

    def test_end_of_march_is_local_midnight_after_the_dst_change(self) -> None:
        sale = datetime(2026, 3, 15, 12, 0, tzinfo=PARIS)
        lock = LockAfterMonthEnd().lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # 1 April 00:00 CEST

    def test_days_across_a_leap_february(self) -> None:
        # 1 Feb + 29 days is 1 March in 2028 (leap year) and 2 March in 2027.
        rule = LockAfterMonthEnd(months=0, days=29)
        assert rule.lock_at(datetime(2028, 1, 10, tzinfo=UTC), "UTC") == datetime(
            2028, 3, 1, tzinfo=UTC
        )
        assert rule.lock_at(datetime(2027, 1, 10, tzinfo=UTC), "UTC") == datetime(
            2027, 3, 2, tzinfo=UTC
        )

    def test_negative_values_are_refused(self) -> None:
        with pytest.raises(InvalidValueError, match=r"LockAfterMonthEnd\.days"):
            LockAfterMonthEnd(months=1, days=-1)


class TestLockOnDayOfMonth:
    def test_the_tenth_of_the_following_month(self) -> None:
        sale = datetime(2026, 3, 31, 23, 59, tzinfo=PARIS)
        lock = LockOnDayOfMonth(day=10).lock_at(sale, "Europe/Paris")
        assert lock == datetime(2026, 4, 9, 22, 0, tzinfo=UTC)  # 10 April 00:00 CEST

    def test_december_rolls_into_the_next_year(self) -> None:
        sale = datetime(2026, 12, 15, tzinfo=UTC)
        assert LockOnDayOfMonth(day=10).lock_date(sale, "UTC").isoformat() == "2027-01-10"

    def test_a_missing_day_is_the_last_day_of_the_month(self) -> None:
        rule = LockOnDayOfMonth(day=31)
        assert rule.lock_date(datetime(2028, 1, 5, tzinfo=UTC), "UTC").isoformat() == "2028-02-29"
        assert rule.lock_date(datetime(2026, 1, 5, tzinfo=UTC), "UTC").isoformat() == "2026-02-28"
        assert rule.lock_date(datetime(2026, 3, 5, tzinfo=UTC), "UTC").isoformat() == "2026-04-30"

    def test_a_local_midnight_inside_a_dst_gap(self) -> None:
        # Santiago springs forward at midnight on 6 September 2026: the day starts at 01:00 -03,
        # which is 04:00Z.
        sale = datetime(2026, 8, 20, 12, 0, tzinfo=UTC)
        lock = LockOnDayOfMonth(day=6).lock_at(sale, "America/Santiago")
        assert lock == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)

    def test_months_after(self) -> None:
        rule = LockOnDayOfMonth(day=5, months_after=2)
        assert rule.lock_date(datetime(2026, 11, 30, tzinfo=UTC), "UTC").isoformat() == (
            "2027-01-05"
        )

    @pytest.mark.parametrize("day", [0, 32, True])
    def test_bad_days_are_refused(self, day: int) -> None:
        with pytest.raises(InvalidValueError, match=r"LockOnDayOfMonth\.day"):
            LockOnDayOfMonth(day=day)


ZONES = st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"])
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
RULES = st.one_of(
    st.builds(LockAfterSale, after=st.sampled_from(["1 day", "30 days", "2 weeks", "1 month"])),
    st.builds(
        LockAfterMonthEnd,
        months=st.integers(min_value=0, max_value=3),
        days=st.integers(min_value=0, max_value=40),
    ),
    st.builds(LockOnDayOfMonth, day=st.integers(min_value=1, max_value=31)),
)


@given(rule=RULES, sale=INSTANTS, zone=ZONES)
def test_a_lock_is_after_the_sale(
    rule: LockAfterSale | LockAfterMonthEnd | LockOnDayOfMonth, sale: datetime, zone: str
) -> None:
    lock = rule.lock_at(sale, zone)
    assert lock > sale
    assert lock.utcoffset() == timedelta(0)


@given(rule=RULES, first=INSTANTS, second=INSTANTS, zone=ZONES)
def test_a_later_sale_never_locks_earlier(
    rule: LockAfterSale | LockAfterMonthEnd | LockOnDayOfMonth,
    first: datetime,
    second: datetime,
    zone: str,
) -> None:
    early, late = sorted((first, second))
    assert rule.lock_at(early, zone) <= rule.lock_at(late, zone)
