from __future__ import annotations

import gc
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests.attribution.strategies import CAMPAIGN, T0, at, sale, touch

from hybridroi.attribution import engine, last_touch
from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.attribution.engine import attribute, attribute_batch, policy_of
from hybridroi.core.errors import NaiveDatetimeError
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.policy import (
    AttributionPolicy,
    FirstTouch,
    IntroducerCloser,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
    TouchKind,
)
from hybridroi.events.intake import check_events
from hybridroi.events.records import ConversionKind, Event

VIEW, CLICK, PROMO = TouchKind.VIEW, TouchKind.CLICK, TouchKind.PROMO_CODE


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def by_partner(result: AttributionResult) -> dict[str, Credit]:
    return {credit.partner_id: credit for credit in result.credits}


# --- last touch (the default model) -------------------------------------------------------------


def test_last_click_wins_with_a_readable_reason() -> None:
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "lea", at(days=-10)),
            touch("T2", "coupons", at(days=-3)),
            sale("C1", T0),
        ],
    )
    assert result.credits == (
        Credit(
            conversion_id="C1",
            partner_id="coupons",
            share=Fraction(1),
            role=CreditRole.SOLE,
            touch_id="T2",
            content_id=None,
            revenue=eur("100.00"),
            reason="last click 3 days before the order, within the 30-day click window",
        ),
    )
    assert result.unattributed == ()
    assert result.problems == ()


def test_a_view_counts_only_inside_its_shorter_window() -> None:
    # Click 3 days before (30-day window) and a view 2 days before (1-day window): the view
    # has expired, so the click is the last eligible touch.
    expired: list[Event] = [
        touch("T1", "coupons", at(days=-3)),
        touch("T2", "lea", at(days=-2), VIEW),
    ]
    assert by_partner(attribute(CAMPAIGN, [*expired, sale("C1", T0)])).keys() == {"coupons"}
    # A view 2 hours before is inside its window and is the last touch.
    fresh = touch("T3", "lea", at(hours=-2), VIEW, content="v1")
    credit = by_partner(attribute(CAMPAIGN, [*expired, fresh, sale("C1", T0)]))["lea"]
    assert credit.touch_id == "T3"
    assert credit.content_id == "v1"
    assert credit.reason == "last view 2 hours before the order, within the 1-day view window"


def test_window_ends_are_inclusive() -> None:
    edge = touch("T1", "coupons", T0 - timedelta(days=30))
    outside = touch("T2", "lea", T0 - timedelta(days=30, seconds=1))
    same_instant = touch("T3", "cashback", T0, customer="bob")
    result = attribute(
        CAMPAIGN, [edge, outside, same_instant, sale("C1", T0), sale("C2", T0, customer="bob")]
    )
    assert [(c.conversion_id, c.partner_id) for c in result.credits] == [
        ("C1", "coupons"),
        ("C2", "cashback"),
    ]
    assert result.credits[1].reason == (
        "last click at the instant of the order, within the 30-day click window"
    )


def test_sales_without_an_eligible_touch_are_reported_unattributed() -> None:
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "coupons", at(days=-31)),  # too old
            touch("T2", "coupons", at(hours=1)),  # after the sale
            touch("T3", "coupons", at(days=-1), customer="bob"),  # another customer
            sale("C2", T0),
            sale("C1", T0 + timedelta(minutes=30)),
        ],
    )
    assert result.credits == ()
    assert result.unattributed == ("C1", "C2")


def test_leads_are_credited_like_sales_with_their_zero_revenue() -> None:
    lead = sale("L1", T0, "0.00", kind=ConversionKind.LEAD)
    result = attribute(CAMPAIGN, [touch("T1", "coupons", at(days=-1)), lead])
    assert [(c.partner_id, c.revenue) for c in result.credits] == [("coupons", eur("0.00"))]


# --- multi-touch models -------------------------------------------------------------------------


def test_linear_merges_repeated_touches_of_one_partner() -> None:
    # lea, coupons, lea: each touch 1/3, so lea 2/3 and coupons 1/3.
    # 10000 cents: lea 6666.67 -> 6666 (+1 for the larger remainder) = 66.67; coupons 33.33.
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "lea", at(days=-9)),
            touch("T2", "coupons", at(days=-6)),
            touch("T3", "lea", at(days=-3)),
            sale("C1", T0),
        ],
        AttributionPolicy(model=Linear()),
    )
    credits = by_partner(result)
    assert [c.partner_id for c in result.credits] == ["coupons", "lea"]
    assert credits["lea"].share == Fraction(2, 3)
    assert credits["coupons"].share == Fraction(1, 3)
    assert credits["lea"].revenue == eur("66.67")
    assert credits["coupons"].revenue == eur("33.33")
    # lea holds the latest credited touch: it closed; coupons assisted.
    assert credits["lea"].role is CreditRole.CLOSER
    assert credits["lea"].touch_id == "T3"
    assert credits["coupons"].role is CreditRole.ASSIST
    assert credits["lea"].reason == (
        "linear: 2/3 of the sale as closer, 2 of 3 eligible touches; latest click 3 days "
        "before the order, within the 30-day click window"
    )


def test_position_based_forty_twenty_forty() -> None:
    # Shares 2/5, 1/10, 1/10, 2/5 of 9999 cents: 3999.6, 999.9, 999.9, 3999.6.
    # Floors sum to 9996; the 3 cents left go to the largest remainders: cashback and max
    # (0.9 each; equal weights, so sorted key order), then coupons (0.6, before lea by key).
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "lea", at(days=-10)),
            touch("T2", "max", at(days=-8)),
            touch("T3", "cashback", at(days=-5)),
            touch("T4", "coupons", at(days=-1)),
            sale("C1", T0, "99.99"),
        ],
        AttributionPolicy(model=PositionBased()),
    )
    credits = by_partner(result)
    assert {p: c.share for p, c in credits.items()} == {
        "lea": Fraction(2, 5),
        "max": Fraction(1, 10),
        "cashback": Fraction(1, 10),
        "coupons": Fraction(2, 5),
    }
    assert {p: c.revenue for p, c in credits.items()} == {
        "lea": eur("39.99"),
        "max": eur("10.00"),
        "cashback": eur("10.00"),
        "coupons": eur("40.00"),
    }
    assert {p: c.role for p, c in credits.items()} == {
        "lea": CreditRole.INTRODUCER,
        "max": CreditRole.ASSIST,
        "cashback": CreditRole.ASSIST,
        "coupons": CreditRole.CLOSER,
    }
    assert credits["lea"].reason.startswith("position-based: 40% of the sale as introducer")


def test_position_based_two_touches_split_evenly() -> None:
    result = attribute(
        CAMPAIGN,
        [touch("T1", "lea", at(days=-2)), touch("T2", "coupons", at(days=-1)), sale("C1", T0)],
        AttributionPolicy(model=PositionBased()),
    )
    assert [(c.partner_id, c.share, c.revenue) for c in result.credits] == [
        ("coupons", Fraction(1, 2), eur("50.00")),
        ("lea", Fraction(1, 2), eur("50.00")),
    ]


def test_first_touch() -> None:
    result = attribute(
        CAMPAIGN,
        [touch("T1", "lea", at(days=-9)), touch("T2", "coupons", at(days=-1)), sale("C1", T0)],
        AttributionPolicy(model=FirstTouch()),
    )
    (credit,) = result.credits
    assert (credit.partner_id, credit.role, credit.touch_id) == ("lea", CreditRole.SOLE, "T1")
    assert credit.reason == (
        "first touch: the whole sale, 1 of 2 eligible touches; latest click 9 days before the "
        "order, within the 30-day click window"
    )


def test_time_decay_halves_the_weight_every_half_life() -> None:
    # Weights 2^(-7/7) = 1/2 and 2^0 = 1: shares 1/3 and 2/3.
    # 10000 cents: 3333.33 and 6666.67; the cent left goes to coupons (remainder 0.67).
    result = attribute(
        CAMPAIGN,
        [touch("T1", "lea", at(days=-7)), touch("T2", "coupons", T0), sale("C1", T0)],
        AttributionPolicy(model=TimeDecay(half_life="7 days")),
    )
    credits = by_partner(result)
    assert credits["lea"].share == Fraction(1, 3)
    assert credits["coupons"].share == Fraction(2, 3)
    assert (credits["lea"].revenue, credits["coupons"].revenue) == (eur("33.33"), eur("66.67"))
    assert credits["lea"].reason.startswith("time decay (half-life 7 days): 1/3 of the sale")


HYBRID = AttributionPolicy(
    windows={"view": "7 days", "click": "30 days", "promo_code": "30 days"},
    model=IntroducerCloser(),
)


def test_introducer_closer_pays_the_influencer_who_created_the_desire() -> None:
    # lea's video seen 5 days before, cashback clicked 2 days before, coupons closed 1 hour
    # before: lea 30% of 84.00 = 25.20, coupons 70% = 58.80, cashback nothing.
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "lea", at(days=-5), VIEW, content="v1"),
            touch("T2", "cashback", at(days=-2)),
            touch("T3", "coupons", at(hours=-1)),
            sale("C1", T0, "84.00"),
        ],
        HYBRID,
    )
    credits = by_partner(result)
    assert credits.keys() == {"lea", "coupons"}
    assert (credits["lea"].role, credits["lea"].share, credits["lea"].revenue) == (
        CreditRole.INTRODUCER,
        Fraction(3, 10),
        eur("25.20"),
    )
    assert credits["lea"].content_id == "v1"
    assert (credits["coupons"].role, credits["coupons"].revenue) == (
        CreditRole.CLOSER,
        eur("58.80"),
    )
    assert credits["lea"].reason == (
        "introducer/closer: 30% of the sale as introducer, 1 of 3 eligible touches; first view "
        "5 days before the order, within the 7-day view window"
    )


def test_introducer_is_the_first_influencer_touch_not_the_first_touch() -> None:
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "cashback", at(days=-6)),
            touch("T2", "max", at(days=-5), VIEW),
            touch("T3", "lea", at(days=-4), VIEW),
            touch("T4", "coupons", at(hours=-1)),
            sale("C1", T0),
        ],
        HYBRID,
    )
    assert {c.partner_id: c.share for c in result.credits} == {
        "max": Fraction(3, 10),
        "coupons": Fraction(7, 10),
    }


@pytest.mark.parametrize(
    ("journey", "winner"),
    [
        # No influencer touch: the closer takes everything.
        ([touch("T1", "cashback", at(days=-2)), touch("T2", "coupons", at(hours=-1))], "coupons"),
        # The influencer also closed.
        ([touch("T1", "lea", at(days=-5), VIEW), touch("T2", "lea", at(hours=-1))], "lea"),
        # A single touch.
        ([touch("T1", "lea", at(hours=-2), VIEW)], "lea"),
    ],
)
def test_introducer_closer_gives_a_sole_credit_when_one_partner_earned_it(
    journey: list[Event], winner: str
) -> None:
    result = attribute(CAMPAIGN, [*journey, sale("C1", T0)], HYBRID)
    assert [(c.partner_id, c.share, c.role) for c in result.credits] == [
        (winner, Fraction(1), CreditRole.SOLE)
    ]


# --- promo codes, outside channels, ties --------------------------------------------------------


def test_a_promo_code_used_at_checkout_beats_the_cookie() -> None:
    events: list[Event] = [
        touch("T1", "lea", at(days=-2), PROMO, code="LEA10"),
        touch("T2", "coupons", at(hours=-1)),
        sale("C1", T0, promo_code="lea10"),
    ]
    (credit,) = attribute(CAMPAIGN, events).credits
    assert (credit.partner_id, credit.touch_id, credit.role) == ("lea", "T1", CreditRole.SOLE)
    assert credit.reason == (
        "promo code 'lea10' used at checkout takes precedence over cookies; promo code 2 days "
        "before the order, within the 30-day promo code window"
    )
    off = AttributionPolicy(promo_code_precedence=False)
    assert [c.partner_id for c in attribute(CAMPAIGN, events, off).credits] == ["coupons"]


def test_promo_precedence_needs_the_code_that_was_used() -> None:
    events: list[Event] = [
        touch("T1", "lea", at(days=-2), PROMO, code="LEA10"),
        touch("T2", "coupons", at(hours=-1)),
        touch("T3", "cashback", at(minutes=-30), PROMO, code="SAVE5"),
    ]
    # The order used LEA10: lea's code touch wins although cashback's code touch is later.
    used = sale("C1", T0, promo_code="LEA10")
    assert [c.partner_id for c in attribute(CAMPAIGN, [*events, used]).credits] == ["lea"]
    # Without a code at checkout, promo-code touches are ordinary touches: the last one wins.
    assert [c.partner_id for c in attribute(CAMPAIGN, [*events, sale("C1", T0)]).credits] == [
        "cashback"
    ]


def test_outside_channel_takes_the_sale_away_when_deduplicated() -> None:
    events: list[Event] = [
        touch("T1", "coupons", at(days=-2)),
        touch("T2", None, at(hours=-1), channel="paid_search"),
        sale("C1", T0),
    ]
    deduplicated = AttributionPolicy(dedupe_channels=["paid_search"])
    result = attribute(CAMPAIGN, events, deduplicated)
    assert (result.credits, result.unattributed) == ((), ("C1",))
    # Channels the policy does not name are ignored.
    assert [c.partner_id for c in attribute(CAMPAIGN, events).credits] == ["coupons"]
    email_only = AttributionPolicy(dedupe_channels=["email"])
    assert [c.partner_id for c in attribute(CAMPAIGN, events, email_only).credits] == ["coupons"]
    # A partner touch after the channel touch keeps the sale.
    later: list[Event] = [*events, touch("T3", "cashback", at(minutes=-15))]
    assert [c.partner_id for c in attribute(CAMPAIGN, later, deduplicated).credits] == ["cashback"]


def test_outside_channel_touches_never_take_a_share_in_multi_touch_models() -> None:
    policy = AttributionPolicy(model=Linear(), dedupe_channels=["paid_search"])
    result = attribute(
        CAMPAIGN,
        [
            touch("T1", "coupons", at(days=-3)),
            touch("T2", None, at(days=-2), channel="paid_search"),
            touch("T3", "lea", at(days=-1)),
            sale("C1", T0),
        ],
        policy,
    )
    assert {c.partner_id: c.share for c in result.credits} == {
        "coupons": Fraction(1, 2),
        "lea": Fraction(1, 2),
    }


def test_ties_at_one_instant_follow_the_policy_rule() -> None:
    same = at(hours=-1)
    events: list[Event] = [
        touch("T1", "lea", same, PROMO),
        touch("T2", "coupons", same, CLICK),
        sale("C1", T0),
    ]
    # Stronger kind counts as later: the promo code beats the click at the same instant.
    assert [c.partner_id for c in attribute(CAMPAIGN, events).credits] == ["lea"]
    # By touch id: T2 > T1.
    by_id = AttributionPolicy(tie_break=TieBreak.TOUCH_ID)
    assert [c.partner_id for c in attribute(CAMPAIGN, events, by_id).credits] == ["coupons"]
    # Two clicks at the same instant: the larger id counts as later under either rule.
    clicks: list[Event] = [touch("A", "lea", same), touch("B", "coupons", same), sale("C1", T0)]
    assert [c.partner_id for c in attribute(CAMPAIGN, clicks).credits] == ["coupons"]
    assert [c.partner_id for c in attribute(CAMPAIGN, clicks, by_id).credits] == ["coupons"]


def test_ties_are_broken_the_same_way_by_multi_touch_models() -> None:
    same = at(hours=-1)
    events: list[Event] = [
        touch("T1", "lea", same, PROMO),
        touch("T2", "coupons", same, CLICK),
        sale("C1", T0),
    ]
    policy = AttributionPolicy(model=PositionBased(first="0.3", last="0.7"))
    assert {c.partner_id: c.share for c in attribute(CAMPAIGN, events, policy).credits} == {
        "coupons": Fraction(3, 10),
        "lea": Fraction(7, 10),
    }


def test_the_click_named_by_the_order_counts_across_devices() -> None:
    click = touch("T9", "coupons", at(days=-1), customer="visitor-9")
    result = attribute(CAMPAIGN, [click, sale("C1", T0, click_id="T9")])
    assert [(c.partner_id, c.touch_id) for c in result.credits] == [("coupons", "T9")]
    assert attribute(CAMPAIGN, [click, sale("C1", T0)]).unattributed == ("C1",)
    # An expired tracked click does not count.
    old = touch("T8", "coupons", at(days=-40), customer="visitor-8")
    assert attribute(CAMPAIGN, [old, sale("C1", T0, click_id="T8")]).unattributed == ("C1",)


def test_calendar_windows_follow_the_campaign_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    policy = AttributionPolicy(windows={"click": "1 month"})
    order = datetime(2026, 3, 31, 12, 0, tzinfo=paris)
    # One month before 31 March 12:00 in Paris is 28 February 12:00 (the month is shorter).
    inside = touch("T1", "coupons", datetime(2026, 2, 28, 12, 0, tzinfo=paris))
    outside = touch("T2", "lea", datetime(2026, 2, 28, 11, 59, tzinfo=paris))
    result = attribute(CAMPAIGN, [outside, inside, sale("C1", order)], policy)
    assert [c.partner_id for c in result.credits] == ["coupons"]
    assert result.credits[0].reason.endswith("within the 1-month click window")
    result = attribute(CAMPAIGN, [outside, sale("C1", order)], policy)
    assert result.unattributed == ("C1",)


def test_as_of_leaves_later_conversions_out() -> None:
    events: list[Event] = [
        touch("T1", "coupons", at(days=-1)),
        sale("C1", T0),
        sale("C2", at(days=1)),
    ]
    result = attribute(CAMPAIGN, events, as_of=T0)
    assert [c.conversion_id for c in result.credits] == ["C1"]
    assert result.unattributed == ()
    with pytest.raises(NaiveDatetimeError):
        attribute(CAMPAIGN, events, as_of=datetime(2026, 3, 10))  # noqa: DTZ001


def test_problems_are_returned_beside_the_credits() -> None:
    result = attribute(
        CAMPAIGN,
        [touch("T1", "ghost", at(days=-1)), touch("T2", "coupons", at(days=-2)), sale("C1", T0)],
    )
    assert [c.partner_id for c in result.credits] == ["coupons"]
    assert [(p.kind, p.subject) for p in result.problems] == [
        (ProblemKind.UNKNOWN_PARTNER, "touch:T1")
    ]


def test_the_lower_level_function_takes_a_checked_batch() -> None:
    events: list[Event] = [touch("T1", "coupons", at(days=-1)), sale("C1", T0)]
    batch = check_events(CAMPAIGN, events)
    assert attribute_batch(CAMPAIGN, batch) == attribute(CAMPAIGN, events)


def test_the_campaign_policy_applies_unless_another_is_given() -> None:
    explicit = AttributionPolicy(model=Linear())
    assert policy_of(CAMPAIGN, explicit) is explicit
    assert policy_of(CAMPAIGN) == AttributionPolicy()
    linear = attrs.evolve(CAMPAIGN, attribution=explicit)
    events: list[Event] = [
        touch("T1", "lea", at(days=-2)),
        touch("T2", "coupons", at(days=-1)),
        sale("C1", T0),
    ]
    assert [c.share for c in attribute(linear, events).credits] == [Fraction(1, 2)] * 2
    assert [c.share for c in attribute(linear, events, AttributionPolicy()).credits] == [1]


def test_credits_are_frozen() -> None:
    result = attribute(CAMPAIGN, [touch("T1", "coupons", at(days=-1)), sale("C1", T0)])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.credits[0].share = Fraction(1, 2)  # type: ignore[misc]


def test_a_promo_code_touch_outside_its_window_takes_no_precedence() -> None:
    events: list[Event] = [
        touch("T1", "lea", at(days=-40), PROMO, code="LEA10"),
        touch("T2", "coupons", at(hours=-1)),
        sale("C1", T0, promo_code="LEA10"),
    ]
    for policy in (AttributionPolicy(), AttributionPolicy(model=Linear())):
        assert [c.partner_id for c in attribute(CAMPAIGN, events, policy).credits] == ["coupons"]


def test_attribution_pauses_the_cyclic_collector_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    sweep = last_touch.sweep_last_touch

    def watched(*args: Any, **kwargs: Any) -> None:
        seen.append(gc.isenabled())
        sweep(*args, **kwargs)

    monkeypatch.setattr(engine, "sweep_last_touch", watched)
    batch = check_events(CAMPAIGN, [touch("T1", "coupons", at(days=-1)), sale("C1", T0)])
    assert gc.isenabled()
    result = attribute_batch(CAMPAIGN, batch)
    assert seen == [False]
    assert gc.isenabled()
    assert [credit.partner_id for credit in result.credits] == ["coupons"]
