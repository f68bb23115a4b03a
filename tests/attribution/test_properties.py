from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, journeys

from hybridroi.attribution.context import AttributionContext
from hybridroi.attribution.credits import Credit
from hybridroi.attribution.engine import _general, _grouped, attribute, attribute_batch
from hybridroi.core.money import Money
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    DataDriven,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
    TouchKind,
)
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Event, Touch

MODELS = [
    LastTouch(),
    FirstTouch(),
    Linear(),
    PositionBased(),
    PositionBased(first="0.3", last="0.5"),
    TimeDecay(half_life="3 days"),
    IntroducerCloser(),
    IntroducerCloser(introducer_share="1/2"),
    # Fitted weights: a partner without one (cashback), an outside channel's kept.
    DataDriven(
        method="markov",
        version="v1",
        weights={"lea": "0.39", "max": "0.2", "coupons": "0.01", "paid_search": "0.4"},
        fitted_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    ),
]
WINDOWS = {TouchKind.VIEW: "2 days", TouchKind.CLICK: "10 days", TouchKind.PROMO_CODE: "7 days"}
LENGTHS = {
    TouchKind.VIEW: timedelta(days=2),
    TouchKind.CLICK: timedelta(days=10),
    TouchKind.PROMO_CODE: timedelta(days=7),
}

policies = st.builds(
    AttributionPolicy,
    windows=st.just(WINDOWS),
    model=st.sampled_from(MODELS),
    promo_code_precedence=st.booleans(),
    dedupe_channels=st.sampled_from([(), ("paid_search",), ("paid_search", "email")]),
    tie_break=st.sampled_from(TieBreak),
)


def conversions_of(events: list[Event]) -> dict[str, Conversion]:
    return {e.id: e for e in events if isinstance(e, Conversion)}


@given(journeys(), policies)
def test_every_sale_is_credited_with_shares_summing_to_one_or_reported(
    events: list[Event], policy: AttributionPolicy
) -> None:
    result = attribute(CAMPAIGN, events, policy)
    sales = conversions_of(events)
    shares: dict[str, Fraction] = defaultdict(Fraction)
    revenue: dict[str, list[Money]] = defaultdict(list)
    partners: dict[str, list[str]] = defaultdict(list)
    for credit in result.credits:
        assert 0 < credit.share <= 1
        shares[credit.conversion_id] += credit.share
        revenue[credit.conversion_id].append(credit.revenue)
        partners[credit.conversion_id].append(credit.partner_id)
        assert credit.reason
    assert set(shares).isdisjoint(result.unattributed)
    assert set(shares) | set(result.unattributed) == set(sales)
    for conversion_id, total in shares.items():
        assert total == 1
        conversion = sales[conversion_id]
        assert Money.sum(revenue[conversion_id], "EUR") == conversion.revenue
        # A partner is never credited twice for one sale.
        assert len(partners[conversion_id]) == len(set(partners[conversion_id]))
    keys = [(c.conversion_id, c.partner_id) for c in result.credits]
    assert keys == sorted(keys)
    assert list(result.unattributed) == sorted(result.unattributed)


@given(journeys(), policies)
def test_every_credited_partner_has_an_eligible_touch_inside_its_window(
    events: list[Event], policy: AttributionPolicy
) -> None:
    result = attribute(CAMPAIGN, events, policy)
    sales = conversions_of(events)
    touches = {e.id: e for e in events if isinstance(e, Touch)}
    for credit in result.credits:
        conversion = sales[credit.conversion_id]
        touch = touches[credit.touch_id]
        assert touch.partner_id == credit.partner_id
        assert touch.content_id == credit.content_id
        assert touch.customer_key == conversion.customer_key or touch.id == conversion.click_id
        gap = conversion.instant - touch.instant
        assert timedelta(0) <= gap <= LENGTHS[touch.kind]


@given(journeys(), policies, st.randoms(use_true_random=False))
def test_shuffled_input_gives_identical_credits(
    events: list[Event], policy: AttributionPolicy, shuffler: random.Random
) -> None:
    shuffled = list(events)
    shuffler.shuffle(shuffled)
    assert attribute(CAMPAIGN, shuffled, policy) == attribute(CAMPAIGN, events, policy)


@given(journeys(), policies)
def test_feeding_every_event_twice_changes_nothing(
    events: list[Event], policy: AttributionPolicy
) -> None:
    assert attribute(CAMPAIGN, events + events, policy) == attribute(CAMPAIGN, events, policy)


_RANK = {TouchKind.VIEW: 0, TouchKind.CLICK: 1, TouchKind.PROMO_CODE: 2}


def naive_last_touch(events: list[Event], tie_break: TieBreak) -> dict[str, str]:
    """An independent oracle: scan every touch for every sale, keep the latest eligible one."""
    touches = [e for e in events if isinstance(e, Touch) and e.partner_id is not None]
    result = {}
    for conversion in conversions_of(events).values():
        best: Touch | None = None
        for touch in touches:
            mine = touch.customer_key == conversion.customer_key
            tracked = conversion.click_id == touch.id and touch.kind is TouchKind.CLICK
            gap = conversion.instant - touch.instant
            if (mine or tracked) and timedelta(0) <= gap <= LENGTHS[touch.kind]:
                rank = _RANK[touch.kind] if tie_break is TieBreak.KIND_THEN_ID else 0
                key = (touch.instant, rank, touch.id)
                if best is None or key > (
                    best.instant,
                    _RANK[best.kind] if tie_break is TieBreak.KIND_THEN_ID else 0,
                    best.id,
                ):
                    best = touch
        if best is not None:
            assert best.partner_id is not None
            result[conversion.id] = best.partner_id
    return result


@given(journeys(), st.sampled_from(TieBreak))
def test_last_touch_agrees_with_a_naive_scan(events: list[Event], tie_break: TieBreak) -> None:
    policy = AttributionPolicy(windows=WINDOWS, promo_code_precedence=False, tie_break=tie_break)
    result = attribute(CAMPAIGN, events, policy)
    assert {c.conversion_id: c.partner_id for c in result.credits} == naive_last_touch(
        events, tie_break
    )


@given(journeys())
def test_a_promo_code_credit_is_backed_by_a_touch_carrying_that_code(
    events: list[Event],
) -> None:
    result = attribute(CAMPAIGN, events, AttributionPolicy(windows=WINDOWS))
    sales = conversions_of(events)
    touches = {e.id: e for e in events if isinstance(e, Touch)}
    for credit in result.credits:
        if credit.reason.startswith("promo code"):
            code = sales[credit.conversion_id].promo_code
            touch = touches[credit.touch_id]
            assert code is not None
            assert touch.kind is TouchKind.PROMO_CODE
            assert touch.link_id is None or touch.link_id.casefold() == code.casefold()


@given(journeys(), st.sampled_from(MODELS))
def test_widening_a_window_never_unattributes_a_sale(
    events: list[Event], model: AttributionModel
) -> None:
    narrow = AttributionPolicy(windows=WINDOWS, model=model)
    wide = AttributionPolicy(windows=dict.fromkeys(TouchKind, "30 days"), model=model)
    attributed = {c.conversion_id for c in attribute(CAMPAIGN, events, narrow).credits}
    widened = {c.conversion_id for c in attribute(CAMPAIGN, events, wide).credits}
    assert attributed <= widened


@given(
    journeys(),
    st.booleans(),
    st.sampled_from([(), ("paid_search",), ("paid_search", "email")]),
    st.sampled_from(TieBreak),
)
def test_the_last_touch_sweep_agrees_with_the_general_path(
    events: list[Event], precedence: bool, dedupe: tuple[str, ...], tie_break: TieBreak
) -> None:
    # Position-based with 0% first and 100% last is last touch computed the general way.
    def run(model: AttributionModel) -> tuple[object, ...]:
        policy = AttributionPolicy(
            windows=WINDOWS,
            model=model,
            promo_code_precedence=precedence,
            dedupe_channels=dedupe,
            tie_break=tie_break,
        )
        result = attribute(CAMPAIGN, events, policy)
        credits = [
            (c.conversion_id, c.partner_id, c.share, c.role, c.touch_id, c.revenue)
            for c in result.credits
        ]
        return (credits, result.unattributed)

    assert run(LastTouch()) == run(PositionBased(first=0, last=1))


@given(
    journeys(),
    st.booleans(),
    st.sampled_from([(), ("paid_search",), ("paid_search", "email")]),
    st.sampled_from(TieBreak),
)
def test_the_last_touch_sweep_gives_the_general_path_credits_word_for_word(
    events: list[Event], precedence: bool, dedupe: tuple[str, ...], tie_break: TieBreak
) -> None:
    # The general path, one conversion at a time, is the reference for the sweep:
    # same credits, down to the touch, the content and the reason.
    policy = AttributionPolicy(
        windows=WINDOWS,
        promo_code_precedence=precedence,
        dedupe_channels=dedupe,
        tie_break=tie_break,
    )
    batch = check_events(CAMPAIGN, events)
    context = AttributionContext(CAMPAIGN, policy)
    groups = _grouped(context, batch.touches)
    clicks = {
        t.id: t for t in batch.touches if t.kind is TouchKind.CLICK and t.partner_id is not None
    }
    credits: list[Credit] = []
    unattributed = []
    for conversion in batch.conversions:
        group = groups.get(conversion.customer_key, ())
        if not _general(context, conversion, group, clicks, credits):
            unattributed.append(conversion.id)
    result = attribute_batch(CAMPAIGN, batch, policy)
    assert result.credits == tuple(sorted(credits, key=lambda credit: credit.conversion_id))
    assert result.unattributed == tuple(sorted(unattributed))


# Few distinct parts, so that gaps sharing a cache key (and gaps almost sharing one) are common.
gaps = st.builds(
    timedelta,
    days=st.integers(0, 2),
    hours=st.integers(0, 2),
    minutes=st.integers(0, 2),
    seconds=st.sampled_from([0, 1, 59]),
    microseconds=st.integers(0, 1),
)


@given(st.lists(st.tuples(st.sampled_from(TouchKind), gaps), max_size=30))
@example([(TouchKind.CLICK, timedelta(days=1)), (TouchKind.CLICK, timedelta(seconds=5))])
@example([(TouchKind.VIEW, timedelta(hours=2)), (TouchKind.VIEW, timedelta(hours=3))])
@example(
    [(TouchKind.VIEW, timedelta(minutes=2)), (TouchKind.VIEW, timedelta(minutes=2, seconds=30))]
)
@example([(TouchKind.VIEW, timedelta(0)), (TouchKind.VIEW, timedelta(microseconds=1))])
def test_cached_last_touch_reasons_read_as_freshly_written_ones(
    credited: list[tuple[TouchKind, timedelta]],
) -> None:
    context = AttributionContext(CAMPAIGN, AttributionPolicy(windows=WINDOWS))
    for kind, gap in credited:
        assert context.last_touch_reason(kind, gap) == context._last_touch_reason(kind, gap)
