from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.durations import format_duration, parse_duration
from hybridroi.core.errors import InvalidValueError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 days", relativedelta(days=30)),
        ("1 day", relativedelta(days=1)),
        ("2 weeks", relativedelta(days=14)),
        ("1 month", relativedelta(months=1)),
        ("1 Month, 15 Days", relativedelta(months=1, days=15)),
        ("1 month and 2 weeks", relativedelta(months=1, days=14)),
        ("24h", relativedelta(hours=24)),
        ("3mo", relativedelta(months=3)),
        ("1 year", relativedelta(years=1)),
    ],
)
def test_parses_windows(text: str, expected: relativedelta) -> None:
    assert parse_duration(text) == expected


def test_one_month_after_january_31_is_end_of_february() -> None:
    assert date(2026, 1, 31) + parse_duration("1 month") == date(2026, 2, 28)
    assert date(2028, 1, 31) + parse_duration("1 month") == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "thirty days",
        "30",
        "days",
        "30 fortnights",
        "-3 days",
        "0 days",
        "1 day 2 days",
        "30 days!",
        "1.5 days",
    ],
)
def test_nonsense_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidValueError, match=r"policy\.windows\.click: expected a duration"):
        parse_duration(text, "policy.windows.click")


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        parse_duration(30)  # type: ignore[arg-type]


@given(st.integers(0, 5), st.integers(0, 11), st.integers(0, 60), st.integers(0, 48))
def test_format_then_parse_round_trips(years: int, months: int, days: int, hours: int) -> None:
    duration = relativedelta(years=years, months=months, days=days, hours=hours)
    if not any((years, months, days, hours)):
        return
    assert parse_duration(format_duration(duration)) == duration


@pytest.mark.parametrize(
    "text",
    [
        "10000 years",
        "101 years",
        "1201 months",
        "36525 days",
        "100 years 1 day",
        "1" + "0" * 30 + " days",
        "1" * 5000 + " days",
        "10^30 days",
    ],
)
def test_a_duration_is_at_most_100_years(text: str) -> None:
    with pytest.raises(InvalidValueError, match=r"window: expected .*at most 100 years"):
        parse_duration(text, "window")


@pytest.mark.parametrize("text", ["100 years", "1200 months", "36524 days", "99 years 11 months"])
def test_the_maximum_itself_is_accepted(text: str) -> None:
    assert parse_duration(text)


@pytest.mark.parametrize(
    "text", ["\u0663 days", "\uff13\uff10 days", "\u00b2 days", "3\u0663 days"]
)
def test_digits_other_than_ascii_are_refused(text: str) -> None:
    with pytest.raises(InvalidValueError, match=r"ASCII digits"):
        parse_duration(text, "window")
