"""Click-flood rule: per-click pay counts unique clicks per customer within a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import at, campaign, eur, lines, run

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import PerClick
from hybridroi.events.records import Touch
from hybridroi.serialization import structure, unstructure
from hybridroi.statements.activity import _duplicate_clicks


def click(touch_id: str, instant: datetime, customer: str = "alice") -> Touch:
    return Touch(
        id=touch_id, kind=TouchKind.CLICK, instant=instant, customer_key=customer, partner_id="A"
    )


def flood_deal(unique_within: str | None = "1 hour", amount: str = "0.10") -> AffiliateDeal:
    return AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PerClick(id="cpc", amount=eur(amount), unique_within=unique_within)],
    )


def test_fifty_clicks_in_fifty_seconds_by_one_customer_pay_one_click() -> None:
    # 50 clicks by alice, one a second, from 10:00:00 to 10:00:49: the first is counted,
    # the 49 others are less than an hour after it. 1 x EUR 0.10 = EUR 0.10.
    flood = [click(f"K{n:02d}", at(10, 3) + timedelta(seconds=n)) for n in range(50)]
    result = run(campaign(flood_deal()), [], touches=flood, as_of=at(1, 4))
    line = lines(result)["clicks:cpc:2026-03"]
    assert line.amount == eur("0.10")
    assert line.explanation == (
        "50 clicks, 49 duplicates (a repeat click by the same customer within 1 hour of a "
        "counted one): 1 unique click x EUR 0.10 = EUR 0.10"
    )


def test_without_the_rule_every_click_is_paid() -> None:
    flood = [click(f"K{n:02d}", at(10, 3) + timedelta(seconds=n)) for n in range(50)]
    result = run(campaign(flood_deal(None)), [], touches=flood, as_of=at(1, 4))
    line = lines(result)["clicks:cpc:2026-03"]
    assert line.amount == eur("5.00")
    assert line.explanation == "50 clicks x EUR 0.10 = EUR 5.00"


def test_each_customer_and_each_window_counts_again() -> None:
    # alice at 12:00, 12:30 (duplicate), 13:00 (exactly an hour after the counted click:
    # counted again), 13:59 (duplicate of 13:00); bob at 12:10 and 12:20 (duplicate).
    # Unique: alice 12:00, alice 13:00, bob 12:10 = 3 x EUR 0.25 = EUR 0.75.
    noon = at(10, 3)
    touches = [
        click("A1", noon),
        click("A2", noon + timedelta(minutes=30)),
        click("A3", noon + timedelta(hours=1)),
        click("A4", noon + timedelta(hours=1, minutes=59)),
        click("B1", noon + timedelta(minutes=10), "bob"),
        click("B2", noon + timedelta(minutes=20), "bob"),
    ]
    result = run(campaign(flood_deal(amount="0.25")), [], touches=touches, as_of=at(1, 4))
    line = lines(result)["clicks:cpc:2026-03"]
    assert line.amount == eur("0.75")
    assert line.explanation.startswith("6 clicks, 3 duplicates (")
    assert line.explanation.endswith("): 3 unique clicks x EUR 0.25 = EUR 0.75")


def test_a_duplicate_in_the_next_period_pays_nothing_there_and_march_is_unchanged() -> None:
    # March ends at 2026-03-31 22:00 UTC in Europe/Paris. alice clicks at 21:50 UTC
    # (March) and again at 22:10 UTC (April, 20 minutes later: a duplicate).
    march = datetime(2026, 3, 31, 21, 50, tzinfo=UTC)
    touches = [click("M1", march), click("P1", march + timedelta(minutes=20))]
    before = run(
        campaign(flood_deal()), [], touches=touches[:1], as_of=march + timedelta(minutes=5)
    )
    after = run(campaign(flood_deal()), [], touches=touches, as_of=at(1, 5))
    found = lines(after)
    assert found["clicks:cpc:2026-03"] == lines(before)["clicks:cpc:2026-03"]
    assert found["clicks:cpc:2026-03"].amount == eur("0.10")
    assert found["clicks:cpc:2026-04"].amount == eur("0.00")
    assert found["clicks:cpc:2026-04"].explanation == (
        "1 click, 1 duplicate (a repeat click by the same customer within 1 hour of a "
        "counted one): 0 unique clicks x EUR 0.10 = EUR 0.00"
    )


@pytest.mark.parametrize("value", ["1 month", "1 year 2 days"])
def test_a_calendar_window_is_refused(value: str) -> None:
    with pytest.raises(InvalidValueError, match="PerClick.unique_within"):
        PerClick(id="cpc", amount=eur("0.10"), unique_within=value)


def test_a_number_is_not_a_window() -> None:
    with pytest.raises(InvalidTypeError, match="PerClick.unique_within"):
        PerClick(id="cpc", amount=eur("0.10"), unique_within=3600)


def test_the_window_round_trips_as_text() -> None:
    rule = PerClick(id="cpc", amount=eur("0.10"), unique_within="24 hours")
    data = unstructure(rule)
    assert data["unique_within"] == "1 day"
    assert structure(data, PerClick) == rule
    assert structure({"id": "cpc", "amount": "0.10 EUR"}, PerClick).unique_within is None


# Instants on a coarse grid of minutes, so that clicks exactly one window apart occur.
streams = st.lists(
    st.tuples(st.integers(0, 300), st.sampled_from(["alice", "bob", "carol"])), max_size=40
)
windows = st.sampled_from(["1 minute", "5 minutes", "1 hour", "2 hours"])


def minutes(window: str) -> int:
    length = PerClick(id="k", amount=eur("1"), unique_within=window).unique_within
    assert length is not None
    return length.hours * 60 + length.minutes


def stream(drawn: list[tuple[int, str]]) -> list[Touch]:
    base = at(10, 3)
    touches = [
        click(f"K{n:03d}", base + timedelta(minutes=minute), customer)
        for n, (minute, customer) in enumerate(drawn)
    ]
    return sorted(touches, key=lambda touch: (touch.instant, touch.id))


@settings(max_examples=100)
@given(streams, windows)
def test_counted_clicks_are_a_window_apart_and_every_duplicate_is_inside_one(
    drawn: list[tuple[int, str]], window: str
) -> None:
    touches = stream(drawn)
    length = PerClick(id="k", amount=eur("1"), unique_within=window).unique_within
    assert length is not None
    width = timedelta(minutes=length.minutes, hours=length.hours)
    duplicates = _duplicate_clicks(touches, length)
    for customer in {touch.customer_key for touch in touches}:
        own = [touch for touch in touches if touch.customer_key == customer]
        counted = [touch for touch in own if touch.id not in duplicates]
        # The customer's first click always counts.
        assert counted[0] is own[0]
        for earlier, later in pairwise(counted):
            assert later.instant - earlier.instant >= width
        for touch in own:
            if touch.id in duplicates:
                anchor = max(c.instant for c in counted if c.instant <= touch.instant)
                assert touch.instant - anchor < width


@settings(max_examples=60)
@given(streams, windows, windows)
def test_a_longer_window_never_pays_more_and_no_window_pays_every_click(
    drawn: list[tuple[int, str]], first: str, second: str
) -> None:
    touches = stream(drawn)
    short, long = sorted([first, second], key=minutes)

    def paid(window: str | None) -> int:
        result = run(campaign(flood_deal(window, "1.00")), [], touches=touches, as_of=at(1, 4))
        return sum(int(line.amount.amount) for line in lines(result).values())

    assert paid(long) <= paid(short) <= paid(None) == len(touches)
