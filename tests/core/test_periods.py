from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import instants

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError
from hybridroi.core.periods import PeriodKind, local_midnight, period_of, periods_between

PARIS = "Europe/Paris"
CALENDAR_KINDS = [PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]


def test_day_lengths_across_paris_dst_changes() -> None:
    spring = period_of(datetime(2026, 3, 29, 12, tzinfo=UTC), PeriodKind.DAY, PARIS)
    autumn = period_of(datetime(2026, 10, 25, 12, tzinfo=UTC), PeriodKind.DAY, PARIS)
    assert spring.duration == timedelta(hours=23)
    assert autumn.duration == timedelta(hours=25)
    assert spring.start == datetime(2026, 3, 28, 23, tzinfo=UTC)


def test_instant_late_in_utc_belongs_to_the_next_local_day() -> None:
    # 23:30 UTC on March 31 is 01:30 on April 1 in Paris (summer time): an April sale.
    period = period_of(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), PeriodKind.MONTH, PARIS)
    assert period.label == "2026-04"
    assert period.start == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert period.end == datetime(2026, 4, 30, 22, tzinfo=UTC)


def test_labels_and_bounds_of_each_kind() -> None:
    instant = datetime(2026, 1, 1, 12, tzinfo=UTC)
    week = period_of(instant, PeriodKind.WEEK, PARIS)
    assert week.label == "2026-W01"  # Thursday Jan 1 2026 is in ISO week 1, from Mon Dec 29
    assert week.first_day == date(2025, 12, 29)
    assert week.last_day == date(2026, 1, 4)
    quarter = period_of(datetime(2026, 5, 17, tzinfo=UTC), PeriodKind.QUARTER, PARIS)
    assert (quarter.label, quarter.first_day, quarter.last_day) == (
        "2026-Q2",
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    leap = period_of(datetime(2028, 2, 29, 12, tzinfo=UTC), PeriodKind.MONTH, PARIS)
    assert leap.days == 29


def test_midnight_in_a_dst_gap_starts_the_day_at_the_transition() -> None:
    # Chile sprang forward at 24:00 on 2022-09-10: 00:00 on the 11th never existed.
    start = local_midnight(date(2022, 9, 11), "America/Santiago")
    local = start.astimezone(ZoneInfo("America/Santiago"))
    assert (local.date(), local.hour) == (date(2022, 9, 11), 1)
    day = period_of(start, PeriodKind.DAY, "America/Santiago")
    assert day.duration == timedelta(hours=23)


def test_campaign_period_uses_the_campaign_bounds() -> None:
    start = datetime(2026, 3, 1, tzinfo=ZoneInfo(PARIS))
    end = datetime(2026, 6, 1, tzinfo=ZoneInfo(PARIS))
    period = period_of(
        datetime(2026, 4, 1, tzinfo=UTC), PeriodKind.CAMPAIGN, PARIS, campaign=(start, end)
    )
    assert (period.start, period.end, period.label) == (start, end, "campaign")
    with pytest.raises(InvalidValueError, match="campaign"):
        period_of(start, PeriodKind.CAMPAIGN, PARIS)
    with pytest.raises(InvalidValueError, match="instant"):
        period_of(end, PeriodKind.CAMPAIGN, PARIS, campaign=(start, end))


def test_naive_instant_and_unknown_zone_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="instant"):
        period_of(datetime(2026, 1, 1), PeriodKind.DAY, PARIS)  # noqa: DTZ001
    with pytest.raises(InvalidValueError, match="Mars/Olympus"):
        period_of(datetime(2026, 1, 1, tzinfo=UTC), PeriodKind.DAY, "Mars/Olympus")


@given(
    instants(),
    st.sampled_from(CALENDAR_KINDS),
    st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe"]),
)
def test_every_instant_lies_in_exactly_one_period(
    instant: datetime, kind: PeriodKind, timezone: str
) -> None:
    period = period_of(instant, kind, timezone)
    assert instant in period
    # The neighbours do not contain it, and they touch it with no gap and no overlap.
    before = period_of(period.start - timedelta(microseconds=1), kind, timezone)
    after = period_of(period.end, kind, timezone)
    assert before.end == period.start
    assert after.start == period.end
    assert instant not in before
    assert instant not in after


@given(
    instants(end=datetime(2029, 1, 1, tzinfo=UTC)),
    st.integers(1, 400),
    st.sampled_from(CALENDAR_KINDS),
    st.sampled_from(["Europe/Paris", "America/New_York"]),
)
def test_periods_tile_time(start: datetime, days: int, kind: PeriodKind, timezone: str) -> None:
    end = start + timedelta(days=days)
    periods = list(periods_between(start, end, kind, timezone))
    assert periods[0].start <= start
    assert periods[-1].end >= end
    for left, right in itertools.pairwise(periods):
        assert left.end == right.start
        assert left.label != right.label
    for period in periods:
        local_start = period.start.astimezone(ZoneInfo(timezone))
        assert (local_start.hour, local_start.minute) == (0, 0)
