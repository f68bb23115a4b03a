"""The columnar last-touch join gives the general path's credits, word for word."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import attrs
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, CASHBACK, COUPONS, LEA, MAX, T0, sale, touch

from hybridroi.attribution import columns as columns_module
from hybridroi.attribution.columns import columns_of, latest_eligible
from hybridroi.attribution.context import AttributionContext
from hybridroi.attribution.credits import Credit
from hybridroi.attribution.engine import _general, _grouped, attribute_batch
from hybridroi.attribution.last_touch import sweep_last_touch
from hybridroi.core.money import Money
from hybridroi.domain.policy import AttributionPolicy, TieBreak, TouchKind
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Touch

VIEW, CLICK, PROMO = TouchKind.VIEW, TouchKind.CLICK, TouchKind.PROMO_CODE
WINDOWS = {VIEW: "2 days", CLICK: "10 days", PROMO: "7 days"}
# Partners with windows of their own (one of them as long as the policy's, one shorter,
# one longer) and owned promo codes.
RICH = attrs.evolve(
    CAMPAIGN,
    partners=[
        attrs.evolve(LEA, windows={"click": "3 days"}, promo_codes=["LEA10"]),
        attrs.evolve(MAX, windows={"click": "10 days", "promo_code": "1 day"}),
        attrs.evolve(COUPONS, windows={"promo_code": "20 days", "view": "5 days"}),
        attrs.evolve(CASHBACK, promo_codes=["CASH"]),
    ],
)
PARTNERS = ("lea", "max", "coupons", "cashback")
CUSTOMERS = ("alice", "bob")
MICROSECOND = timedelta(microseconds=1)

# Whole days (so that gaps land exactly on every window) nudged by a microsecond either way.
instants = st.builds(
    lambda days, hours, nudge: T0 - timedelta(days=days, hours=hours) + nudge * MICROSECOND,
    st.integers(0, 21),
    st.sampled_from([0, 0, 0, 6]),
    st.sampled_from([-1, 0, 0, 1]),
)


@st.composite
def rich_touches(draw: st.DrawFn, index: int) -> Touch:
    outside = draw(st.integers(0, 5)) == 0
    kind = draw(st.sampled_from(TouchKind))
    return Touch(
        id=draw(st.sampled_from(["T", "t", "U"])) + f"{index:02d}",
        kind=kind,
        instant=draw(instants),
        customer_key=draw(st.sampled_from(CUSTOMERS)),
        partner_id=None if outside else draw(st.sampled_from(PARTNERS)),
        channel=draw(st.sampled_from(["paid_search", "email"])) if outside else None,
        content_id=draw(st.sampled_from([None, "v1"])) if not outside else None,
        link_id=draw(st.sampled_from([None, "LEA10", "lea10", "SAVE5", "CASH"]))
        if kind is PROMO
        else None,
    )


@st.composite
def rich_conversions(draw: st.DrawFn, index: int, touch_ids: list[str]) -> Conversion:
    return Conversion(
        id=draw(st.sampled_from(["C", "T", "V"])) + f"{index:02d}",
        instant=draw(st.sampled_from([T0, T0 + MICROSECOND, T0 - timedelta(days=3)])),
        customer_key=draw(st.sampled_from(CUSTOMERS)),
        revenue=Money.from_minor(draw(st.integers(0, 10_000)), "EUR"),
        promo_code=draw(st.sampled_from([None, None, "LEA10", "Lea10", "SAVE5", "CASH", "NOPE"])),
        click_id=draw(st.sampled_from([None, None, *touch_ids[:3]])),
    )


@st.composite
def rich_events(draw: st.DrawFn) -> list[Event]:
    touches = [draw(rich_touches(i)) for i in range(draw(st.integers(0, 14)))]
    ids = [t.id for t in touches]
    conversions = [draw(rich_conversions(i, ids)) for i in range(draw(st.integers(1, 5)))]
    return [*touches, *conversions]


policies = st.builds(
    AttributionPolicy,
    windows=st.just(WINDOWS),
    promo_code_precedence=st.booleans(),
    dedupe_channels=st.sampled_from([(), ("paid_search",), ("paid_search", "email")]),
    tie_break=st.sampled_from(TieBreak),
)


def general(batch: EventBatch, policy: AttributionPolicy) -> tuple[list[Credit], list[str]]:
    """The general path of the engine, one conversion at a time: the reference."""
    context = AttributionContext(RICH, policy)
    groups = _grouped(context, batch.touches)
    clicks = {t.id: t for t in batch.touches if t.kind is CLICK and t.partner_id is not None}
    credits: list[Credit] = []
    unattributed = []
    for conversion in batch.conversions:
        if not _general(
            context, conversion, groups.get(conversion.customer_key, ()), clicks, credits
        ):
            unattributed.append(conversion.id)
    return credits, unattributed


def joined(
    touches: Sequence[Touch],
    conversions: list[Conversion] | tuple[Conversion, ...],
    policy: AttributionPolicy,
) -> tuple[list[Credit], list[str]]:
    """The columnar join, called directly on touches and conversions in the order given."""
    clicks = {t.id: t for t in touches if t.kind is CLICK and t.partner_id is not None}
    credits: list[Credit] = []
    unattributed: list[str] = []
    sweep_last_touch(
        AttributionContext(RICH, policy),
        touches,
        conversions,
        clicks=clicks,
        credits=credits,
        unattributed=unattributed,
    )
    return credits, unattributed


@settings(max_examples=400, deadline=None)
@given(rich_events(), policies)
def test_the_join_gives_the_general_paths_credits_word_for_word(
    events: list[Event], policy: AttributionPolicy
) -> None:
    batch = check_events(RICH, events)
    credits, unattributed = general(batch, policy)
    # In conversion order, then as the engine hands them over.
    assert joined(batch.touches, batch.conversions, policy) == (credits, unattributed)
    result = attribute_batch(RICH, batch, policy)
    assert result.credits == tuple(sorted(credits, key=lambda credit: credit.conversion_id))
    assert result.unattributed == tuple(sorted(unattributed))


@settings(max_examples=200, deadline=None)
@given(rich_events(), policies, st.randoms(use_true_random=False))
def test_the_join_does_not_depend_on_the_order_of_touches_and_conversions(
    events: list[Event], policy: AttributionPolicy, shuffler: random.Random
) -> None:
    batch = check_events(RICH, events)
    touches, conversions = list(batch.touches), list(batch.conversions)
    shuffler.shuffle(touches)
    shuffler.shuffle(conversions)
    credits, unattributed = joined(touches, conversions, policy)
    expected, expected_unattributed = joined(batch.touches, batch.conversions, policy)
    # Credits and unattributed ids come in the order of the conversions given.
    rank = {conversion.id: place for place, conversion in enumerate(conversions)}
    assert credits == sorted(expected, key=lambda credit: rank[credit.conversion_id])
    assert unattributed == sorted(expected_unattributed, key=rank.__getitem__)


@settings(max_examples=100, deadline=None)
@given(rich_events(), policies)
def test_exact_python_integer_keys_give_the_same_credits(
    events: list[Event], policy: AttributionPolicy
) -> None:
    batch = check_events(RICH, events)
    expected = joined(batch.touches, batch.conversions, policy)
    bound = columns_module._INT64_KEYS
    columns_module._INT64_KEYS = 0  # every key beyond the bound: the exact fallback
    try:
        assert joined(batch.touches, batch.conversions, policy) == expected
    finally:
        columns_module._INT64_KEYS = bound


@given(
    st.lists(
        st.datetimes(
            # The range Touch accepts (1900 to 9000), either side of the float bound.
            min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - hypothesis draws naive bounds
            max_value=datetime(8999, 12, 30),  # noqa: DTZ001
            timezones=st.sampled_from(
                [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=11))]
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
@example([datetime(2041, 1, 1, tzinfo=UTC)])
@example([datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=2**51 - 1)])
@example([datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=2**51)])
def test_instants_become_exact_utc_microseconds(moments: list[datetime]) -> None:
    touches = [
        Touch(id=f"T{i}", kind=CLICK, instant=moment, customer_key="a", partner_id="lea")
        for i, moment in enumerate(moments)
    ]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert columns_of(touches, []).touch_instant.tolist() == [
        (moment - epoch) // MICROSECOND for moment in moments
    ]


def slow_latest(
    group: list[int], window: list[int], instant: list[int], wanted: int, at: int
) -> int:
    """The obvious scan: the latest (largest position) touch of the group in its window."""
    best = -1
    for position in range(len(group)):
        if group[position] == wanted and window[position] >= 0:
            gap = at - instant[position]
            if 0 <= gap <= window[position]:
                best = position
    return best


@given(
    st.lists(
        st.tuples(st.integers(-1, 3), st.sampled_from([-1, 0, 5, 10]), st.integers(0, 30)),
        max_size=25,
    ),
    st.lists(st.tuples(st.integers(-1, 3), st.integers(-2, 35)), min_size=1, max_size=10),
)
def test_latest_eligible_agrees_with_a_scan(
    rows: list[tuple[int, int, int]], asked: list[tuple[int, int]]
) -> None:
    # Touches in position order (instants non-decreasing), as the touch order lays them out.
    rows = sorted(rows, key=lambda row: row[2])
    group = [row[0] for row in rows]
    window = [row[1] for row in rows]
    instant = [row[2] for row in rows]
    at = [moment for _, moment in asked]
    last = [sum(1 for moment in instant if moment <= when) - 1 for when in at]
    found = latest_eligible(
        np.array(group, dtype=np.int64),
        np.array(window, dtype=np.int64),
        np.arange(len(rows), dtype=np.int64),
        np.array(instant, dtype=np.int64),
        np.array([wanted for wanted, _ in asked], dtype=np.int64),
        np.array(last, dtype=np.int64),
        np.array(at, dtype=np.int64),
    )
    assert found.tolist() == [
        -1 if wanted < 0 else slow_latest(group, window, instant, wanted, when)
        for wanted, when in asked
    ]


# --- worked examples ---------------------------------------------------------------------------


def credited(events: list[Event], policy: AttributionPolicy | None = None) -> list[str]:
    result = attribute_batch(RICH, check_events(RICH, events), policy or AttributionPolicy())
    return [f"{c.conversion_id}:{c.partner_id}:{c.touch_id}" for c in result.credits]


def test_a_touch_exactly_at_the_window_counts_and_one_microsecond_more_does_not() -> None:
    policy = AttributionPolicy(windows=WINDOWS)
    edge = T0 - timedelta(days=10)
    assert credited([touch("T1", "cashback", edge), sale("C1", T0)], policy) == ["C1:cashback:T1"]
    assert credited([touch("T1", "cashback", edge - MICROSECOND), sale("C1", T0)], policy) == []
    # lea's own click window is 3 days.
    own = T0 - timedelta(days=3)
    assert credited([touch("T1", "lea", own), sale("C1", T0)], policy) == ["C1:lea:T1"]
    assert credited([touch("T1", "lea", own - MICROSECOND), sale("C1", T0)], policy) == []


def test_a_touch_at_the_instant_of_the_order_counts() -> None:
    result = attribute_batch(
        RICH, check_events(RICH, [touch("T1", "cashback", T0), sale("C1", T0)])
    )
    (credit,) = result.credits
    assert credit.reason == "last click at the instant of the order, within the 30-day click window"


def test_at_equal_instants_the_kind_rank_then_the_larger_id_wins() -> None:
    events: list[Event] = [
        touch("T2", "cashback", T0 - timedelta(hours=1), PROMO),
        touch("T9", "max", T0 - timedelta(hours=1), CLICK),
        touch("T1", "coupons", T0 - timedelta(hours=1), PROMO),
        sale("C1", T0),
    ]
    by_kind = AttributionPolicy(windows=WINDOWS, promo_code_precedence=False)
    by_id = attrs.evolve(by_kind, tie_break=TieBreak.TOUCH_ID)
    assert credited(events, by_kind) == ["C1:cashback:T2"]
    assert credited(events, by_id) == ["C1:max:T9"]


def test_a_later_deduplicated_channel_takes_the_sale_away() -> None:
    events: list[Event] = [
        touch("T1", "cashback", T0 - timedelta(days=2)),
        touch("T2", None, T0 - timedelta(days=1), channel="paid_search"),
        sale("C1", T0),
    ]
    assert credited(events, AttributionPolicy(windows=WINDOWS)) == ["C1:cashback:T1"]
    deduped = AttributionPolicy(windows=WINDOWS, dedupe_channels=["paid_search"])
    assert credited(events, deduped) == []


def test_a_click_recorded_under_another_key_is_tracked_by_its_id() -> None:
    events: list[Event] = [
        touch("T1", "cashback", T0 - timedelta(days=2)),
        touch("K1", "max", T0 - timedelta(days=1), customer="bob"),
        sale("C1", T0, click_id="K1"),
    ]
    assert credited(events, AttributionPolicy(windows=WINDOWS)) == ["C1:max:K1"]


@pytest.mark.parametrize("precedence", [True, False])
def test_a_promo_code_touch_carrying_the_orders_code_takes_precedence(precedence: bool) -> None:
    events: list[Event] = [
        touch("T1", "cashback", T0 - timedelta(days=2), PROMO, code="save5"),
        touch("T2", "max", T0 - timedelta(hours=1)),
        sale("C1", T0, promo_code="SAVE5"),
    ]
    policy = AttributionPolicy(windows=WINDOWS, promo_code_precedence=precedence)
    assert credited(events, policy) == ["C1:cashback:T1" if precedence else "C1:max:T2"]
