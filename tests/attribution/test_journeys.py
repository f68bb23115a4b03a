"""Journeys cut from events: repeat orders, lookback, journeys without conversion."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.journeys import build_journeys
from hybridroi.core.errors import InvalidTypeError, InvalidValueError, NaiveDatetimeError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Event, Touch

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _day(day: float) -> datetime:
    return T0 + timedelta(days=day)


CAMPAIGN = Campaign(
    id="spring",
    name="Spring",
    currency="EUR",
    timezone="Europe/Paris",
    start=T0,
    end=T0 + timedelta(days=120),
    partners=[
        Influencer(id="lea", name="Lea"),
        Affiliate(id="coupons", name="Coupons"),
        Affiliate(id="cashback", name="Cashback"),
    ],
    fx=FxRates.from_rows([("USD", "EUR", date(2026, 1, 1), "0.5")], timezone="Europe/Paris"),
)


def _touch(
    ident: str, day: float, partner: str | None = None, channel: str | None = None, key: str = "ann"
) -> Touch:
    return Touch(
        id=ident,
        kind="click",
        instant=_day(day),
        customer_key=key,
        partner_id=partner,
        channel=channel,
    )


def _sale(
    ident: str, day: float, amount: str = "100.00", key: str = "ann", cur: str = "EUR"
) -> Conversion:
    return Conversion(id=ident, instant=_day(day), customer_key=key, revenue=Money(amount, cur))


def _shape(events: list[Event], **kwargs: object) -> list[tuple[tuple[str, ...], str | None]]:
    found = build_journeys(CAMPAIGN, events, as_of=kwargs.pop("as_of", _day(100)), **kwargs)  # type: ignore[arg-type]
    return [(journey.channels, journey.conversion_id) for journey in found.journeys]


def test_a_repeat_order_starts_a_new_journey() -> None:
    events: list[Event] = [
        _touch("T1", 1, "lea"),
        _touch("T2", 2, "coupons"),
        _sale("C1", 3),
        _touch("T3", 4, "cashback"),
        _sale("C2", 5),
    ]
    assert _shape(events) == [(("lea", "coupons"), "C1"), (("cashback",), "C2")]


def test_touches_older_than_the_lookback_form_a_journey_without_conversion() -> None:
    # T1 is 40 days before C1: outside the 30-day lookback, it never converted.
    events: list[Event] = [_touch("T1", 0, "lea"), _touch("T2", 35, "coupons"), _sale("C1", 40)]
    assert _shape(events) == [(("lea",), None), (("coupons",), "C1")]
    # Without a limit, T1 is part of the journey.
    assert _shape(events, lookback=None) == [(("lea", "coupons"), "C1")]
    # The lookback's ends are inclusive: exactly 30 days counts.
    assert _shape([_touch("T1", 10, "lea"), _sale("C1", 40)]) == [(("lea",), "C1")]


def test_touches_after_the_last_conversion_form_a_journey_without_conversion() -> None:
    events: list[Event] = [
        _sale("C0", 1),
        _touch("T1", 2, "lea"),
        _touch("T2", 3, channel="email"),
        _touch("T3", 200, "coupons"),  # after as_of: not read
    ]
    found = build_journeys(CAMPAIGN, events, as_of=_day(100))
    assert [(j.channels, j.conversion_id) for j in found.journeys] == [(("lea", "email"), None)]
    assert found.direct == ("C0",)  # a conversion without any touch
    paths = found.paths()
    assert [(row.channels, row.conversions, row.non_conversions) for row in paths.rows] == [
        (("lea", "email"), 0, 1)
    ]


def test_values_are_in_the_campaign_currency_exactly() -> None:
    events: list[Event] = [_touch("T1", 1, "lea"), _sale("C1", 2, "33.33", cur="USD")]
    (journey,) = build_journeys(CAMPAIGN, events, as_of=_day(100)).journeys
    assert journey.value == Fraction(Decimal("16.665"))


def test_since_keeps_the_journeys_ending_from_it() -> None:
    events: list[Event] = [
        _touch("T1", 1, "lea"),
        _sale("C1", 2),
        _touch("T2", 3, "coupons"),
        _sale("C2", 10),
        _sale("C3", 11),
    ]
    found = build_journeys(CAMPAIGN, events, as_of=_day(100), since=_day(5))
    assert [(j.channels, j.conversion_id) for j in found.journeys] == [(("coupons",), "C2")]
    assert found.direct == ("C3",)


def test_an_outside_channel_named_like_a_partner_is_a_problem() -> None:
    events: list[Event] = [_touch("T1", 1, channel="lea"), _touch("T2", 2, "lea"), _sale("C1", 3)]
    found = build_journeys(CAMPAIGN, events, as_of=_day(100))
    assert [(j.channels, j.conversion_id) for j in found.journeys] == [(("lea",), "C1")]
    (problem,) = found.problems
    assert problem.kind is ProblemKind.INVALID
    assert problem.subject == "touch:T1"
    assert problem.field == "channel"


def test_bad_events_are_problems_and_a_checked_batch_is_taken_as_it_is() -> None:
    bad = Conversion(id="C9", instant=_day(2), customer_key="ann", revenue=Money("1.00", "GBP"))
    events: list[Event] = [_touch("T1", 1, "lea"), _sale("C1", 3), bad]
    found = build_journeys(CAMPAIGN, events, as_of=_day(100))
    assert [j.conversion_id for j in found.journeys] == ["C1"]
    assert [p.subject for p in found.problems] == ["conversion:C9"]
    batch = check_events(CAMPAIGN, events)
    assert build_journeys(CAMPAIGN, batch, as_of=_day(100)) == found


def test_arguments_are_checked() -> None:
    with pytest.raises(NaiveDatetimeError):
        build_journeys(CAMPAIGN, [], as_of=datetime(2026, 3, 1))  # noqa: DTZ001 - the point
    with pytest.raises(InvalidValueError, match="since"):
        build_journeys(CAMPAIGN, [], as_of=_day(1), since=_day(2))
    with pytest.raises(InvalidValueError, match="lookback"):
        build_journeys(CAMPAIGN, [], as_of=_day(1), lookback="0 days")
    with pytest.raises(InvalidValueError):
        build_journeys(CAMPAIGN, [], as_of=_day(1), lookback="soon")


def test_a_calendar_lookback_follows_the_campaign_zone() -> None:
    # One month before 31 March 12:00 in Paris is 28 February 12:00 (Paris).
    order = Conversion(
        id="C1",
        instant=datetime(2026, 3, 31, 10, tzinfo=UTC),
        customer_key="ann",
        revenue=Money("10.00", "EUR"),
    )
    inside = Touch(
        id="T1",
        kind="click",
        instant=datetime(2026, 2, 28, 11, tzinfo=UTC),
        customer_key="ann",
        partner_id="lea",
    )
    outside = Touch(
        id="T0",
        kind="click",
        instant=datetime(2026, 2, 28, 10, 59, tzinfo=UTC),
        customer_key="ann",
        partner_id="coupons",
    )
    found = build_journeys(CAMPAIGN, [outside, inside, order], as_of=_day(100), lookback="1 month")
    assert [(j.channels, j.conversion_id) for j in found.journeys] == [
        (("coupons",), None),
        (("lea",), "C1"),
    ]


_PARTNERS = ("lea", "coupons", "cashback")


@st.composite
def _histories(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    count = draw(st.integers(0, 25))
    for index in range(count):
        key = draw(st.sampled_from(("ann", "bob", "cid")))
        day = draw(st.integers(0, 90))
        if draw(st.booleans()):
            events.append(_sale(f"C{index}", day, key=key))
        elif draw(st.booleans()):
            events.append(_touch(f"T{index}", day, draw(st.sampled_from(_PARTNERS)), key=key))
        else:
            events.append(_touch(f"T{index}", day, channel="email", key=key))
    return events


@settings(max_examples=60, deadline=None)
@given(_histories(), st.randoms(use_true_random=False))
def test_every_touch_is_in_one_journey_and_order_does_not_matter(
    events: list[Event], shuffler: random.Random
) -> None:
    found = build_journeys(CAMPAIGN, events, as_of=_day(100))
    touch_ids = [ident for journey in found.journeys for ident in journey.touch_ids]
    assert sorted(touch_ids) == sorted(e.id for e in events if isinstance(e, Touch))
    converted = [j.conversion_id for j in found.journeys if j.conversion_id is not None]
    conversions = sorted(e.id for e in events if isinstance(e, Conversion))
    assert sorted([*converted, *found.direct]) == conversions
    for journey in found.journeys:
        assert journey.start <= journey.end
        assert len(journey.channels) == len(journey.touch_ids) > 0
    shuffled = list(events)
    shuffler.shuffle(shuffled)
    assert build_journeys(CAMPAIGN, shuffled, as_of=_day(100)) == found
    paths = found.paths()
    assert paths.conversions == len(converted)
    assert paths.non_conversions == len(found.journeys) - len(converted)


def test_channels_a_path_cannot_hold_are_problems_and_arguments_are_checked() -> None:
    events: list[Event] = [
        _touch("T1", 1, channel="paid > search"),
        _touch("T2", 2, channel="(null)"),
        _touch("T3", 3, "lea"),
        _sale("C1", 4),
    ]
    found = build_journeys(CAMPAIGN, events, as_of=_day(100))
    assert [(j.channels, j.conversion_id) for j in found.journeys] == [(("lea",), "C1")]
    assert [(p.subject, p.field) for p in found.problems] == [
        ("touch:T1", "channel"),
        ("touch:T2", "channel"),
    ]
    assert "separator" in found.problems[0].message
    assert found.paths().rows[0].channels == ("lea",)
    with pytest.raises(InvalidTypeError):
        build_journeys(CAMPAIGN, None, as_of=_day(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError):
        build_journeys(CAMPAIGN, "abc", as_of=_day(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError):
        build_journeys(None, [], as_of=_day(1))  # type: ignore[arg-type]
    # A timedelta is a lookback too.
    assert build_journeys(CAMPAIGN, events, as_of=_day(100), lookback=timedelta(days=30)) == found
