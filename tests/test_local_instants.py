"""Instants in a named time zone count real elapsed time, as instants in UTC do.

Python subtracts two datetimes that share one ``tzinfo`` object by their wall clocks:
across a change of daylight saving time the result is an hour off. Events are put in
UTC as they are checked, so windows and gaps are measured in elapsed time whatever
zone the events were written in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi import Affiliate, Campaign, Conversion, Money, Touch, TouchKind, run
from hybridroi.events.intake import check_events

PARIS = ZoneInfo("Europe/Paris")
CAMPAIGN = Campaign(
    id="c",
    name="c",
    currency="EUR",
    timezone="Europe/Paris",
    start=datetime(2026, 1, 1, tzinfo=UTC),
    end=datetime(2026, 12, 1, tzinfo=UTC),
    partners=[Affiliate(id="p", name="p")],
)


def _events(click: datetime, sale: datetime) -> list[Touch | Conversion]:
    return [
        Touch(id="T", kind=TouchKind.CLICK, instant=click, customer_key="k", partner_id="p"),
        Conversion(id="S", instant=sale, customer_key="k", revenue=Money("10.00", "EUR")),
    ]


def test_a_click_thirty_days_and_thirty_minutes_before_the_sale_is_outside_the_window() -> None:
    # Paris leaves summer time on 25 October: 30 wall-clock days less 30 minutes before
    # 10 November noon is 30 days and 30 minutes of elapsed time.
    sale = datetime(2026, 11, 10, 12, tzinfo=PARIS)
    click = sale - timedelta(days=30) + timedelta(minutes=30)
    result = run(CAMPAIGN, _events(click, sale), as_of=CAMPAIGN.end)
    assert result.attribution.credits == ()
    assert result.attribution.unattributed == ("S",)


def test_a_gap_across_the_spring_change_is_told_in_elapsed_hours() -> None:
    sale = datetime(2026, 3, 29, 12, tzinfo=PARIS)  # summer time began at 02:00 that day
    click = datetime(2026, 3, 29, 0, 30, tzinfo=PARIS)
    (credit,) = run(CAMPAIGN, _events(click, sale), as_of=CAMPAIGN.end).attribution.credits
    assert credit.reason == "last click 10 hours before the order, within the 30-day click window"


def test_checked_events_are_in_utc() -> None:
    sale = datetime(2026, 3, 29, 12, tzinfo=PARIS)
    batch = check_events(CAMPAIGN, _events(sale - timedelta(hours=1), sale))
    assert batch.touches[0].instant.tzinfo is UTC
    assert batch.conversions[0].instant.tzinfo is UTC
    assert batch.conversions[0].instant == sale


# The changes of 2026 in Paris, and 30 days after each (where a window's edge may cross one).
CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 4, 28, 1, tzinfo=UTC),
    datetime(2026, 11, 24, 1, tzinfo=UTC),
]


@settings(max_examples=80, deadline=None)
@given(
    change=st.sampled_from(CHANGES),
    offset=st.integers(min_value=-48 * 60, max_value=48 * 60),
    minutes=st.one_of(
        st.integers(min_value=0, max_value=48 * 60),
        st.integers(min_value=30 * 24 * 60 - 120, max_value=30 * 24 * 60 + 120),
    ),
)
def test_the_zone_instants_are_written_in_never_changes_a_credit(
    change: datetime, offset: int, minutes: int
) -> None:
    sale_at = (change + timedelta(minutes=offset)).astimezone(PARIS)
    click_at = (sale_at.astimezone(UTC) - timedelta(minutes=minutes)).astimezone(PARIS)
    local = run(CAMPAIGN, _events(click_at, sale_at), as_of=CAMPAIGN.end)
    utc = run(
        CAMPAIGN,
        _events(click_at.astimezone(UTC), sale_at.astimezone(UTC)),
        as_of=CAMPAIGN.end,
    )
    assert local.attribution == utc.attribution
    assert local.statements.statements == utc.statements.statements
