"""Per-partner attribution windows: a partner's own cookie duration beside the campaign's."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, T0, at, journeys, sale, touch
from tests.attribution.test_properties import MODELS, WINDOWS, conversions_of

from hybridroi.attribution.context import AttributionContext
from hybridroi.attribution.credits import AttributionResult, Credit
from hybridroi.attribution.engine import _general, _grouped, attribute, attribute_batch
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TouchKind,
)
from hybridroi.events.intake import check_events
from hybridroi.events.records import Event, Touch
from hybridroi.files import campaign_to_json, parse_campaign
from hybridroi.serialization import DocumentError, structure, unstructure

VIEW, CLICK, PROMO = TouchKind.VIEW, TouchKind.CLICK, TouchKind.PROMO_CODE


def with_windows(**windows: dict[str, str]) -> Campaign:
    """The test campaign, with some partners given their own windows."""
    partners = [
        attrs.evolve(partner, windows=windows.get(partner.id, {})) for partner in CAMPAIGN.partners
    ]
    return attrs.evolve(CAMPAIGN, partners=partners)


def by_partner(result: AttributionResult) -> dict[str, Credit]:
    return {credit.partner_id: credit for credit in result.credits}


# --- worked examples ---------------------------------------------------------------------------

SHORT_LEA = with_windows(lea={"click": "7 days"})


def test_a_click_outside_the_partners_shorter_window_earns_nothing() -> None:
    # Campaign: 30-day clicks. Lea's cookie lasts 7 days: her click 10 days before the
    # order has expired, so Max's older click (20 days before, inside 30) is the last
    # eligible touch.
    events: list[Event] = [
        touch("T1", "max", at(days=-20)),
        touch("T2", "lea", at(days=-10)),
        sale("C1", T0),
    ]
    credit = by_partner(attribute(SHORT_LEA, events))["max"]
    assert credit.touch_id == "T1"
    assert credit.reason == "last click 20 days before the order, within the 30-day click window"
    # Without Lea's own window, her later click wins.
    assert by_partner(attribute(CAMPAIGN, events))["lea"].touch_id == "T2"


def test_the_reason_names_the_partners_own_window() -> None:
    events: list[Event] = [
        touch("T1", "max", at(days=-20)),
        touch("T2", "lea", at(days=-5)),
        sale("C1", T0),
    ]
    credit = by_partner(attribute(SHORT_LEA, events))["lea"]
    assert credit.reason == "last click 5 days before the order, within lea's 7-day click window"


def test_a_longer_partner_window_reaches_past_the_campaigns() -> None:
    # Coupons' clicks last 60 days: a click 45 days before counts, the campaign's 30 not.
    campaign = with_windows(coupons={"click": "60 days"})
    events: list[Event] = [touch("T1", "coupons", at(days=-45)), sale("C1", T0)]
    assert attribute(CAMPAIGN, events).unattributed == ("C1",)
    credit = by_partner(attribute(campaign, events))["coupons"]
    assert credit.reason == (
        "last click 45 days before the order, within coupons's 60-day click window"
    )


def test_a_partner_window_of_a_kind_the_policy_leaves_out_earns_for_that_partner_only() -> None:
    # The policy credits clicks only; Lea's views count for 2 days, Max's never.
    policy = AttributionPolicy(windows={"click": "30 days"})
    campaign = with_windows(lea={"view": "2 days"})
    events: list[Event] = [
        touch("V1", "lea", at(hours=-30), VIEW),
        touch("V2", "max", at(hours=-20), VIEW, customer="bob"),
        sale("C1", T0),
        sale("C2", T0, customer="bob"),
    ]
    result = attribute(campaign, events, policy)
    assert [(c.conversion_id, c.partner_id) for c in result.credits] == [("C1", "lea")]
    assert result.credits[0].reason == (
        "last view 1 day before the order, within lea's 2-day view window"
    )
    assert result.unattributed == ("C2",)


def test_shared_credit_reasons_name_each_partners_window() -> None:
    events: list[Event] = [
        touch("T1", "max", at(days=-20)),
        touch("T2", "lea", at(days=-5)),
        sale("C1", T0),
    ]
    result = attribute(SHORT_LEA, events, AttributionPolicy(model=Linear()))
    credits = by_partner(result)
    assert credits["lea"].reason == (
        "linear: 50% of the sale as closer, 1 of 2 eligible touches; latest click 5 days "
        "before the order, within lea's 7-day click window"
    )
    assert credits["max"].reason == (
        "linear: 50% of the sale as introducer, 1 of 2 eligible touches; first click 20 days "
        "before the order, within the 30-day click window"
    )


def test_a_calendar_partner_window_follows_the_campaign_calendar() -> None:
    # "1 month" before 10 March 13:00 Paris is 10 February 13:00 Paris (12:00 UTC).
    campaign = with_windows(lea={"click": "1 month"})
    inside: list[Event] = [touch("T1", "lea", at(days=-28)), sale("C1", T0)]
    outside: list[Event] = [touch("T1", "lea", at(days=-28, minutes=-1)), sale("C1", T0)]
    credit = by_partner(attribute(campaign, inside))["lea"]
    assert credit.reason == (
        "last click 28 days before the order, within lea's 1-month click window"
    )
    assert attribute(campaign, outside).unattributed == ("C1",)


def test_an_owned_code_backed_by_a_touch_inside_the_owners_promo_window() -> None:
    # Lea owns LEA10; her promo-code touches count for 3 days instead of 30.
    lea = Influencer(id="lea", name="Léa", promo_codes=["LEA10"], windows={"promo_code": "3 days"})
    campaign = attrs.evolve(CAMPAIGN, partners=[lea, *CAMPAIGN.partners[1:]])
    code_touch = touch("P1", "lea", at(days=-5), PROMO, code="LEA10")
    result = attribute(campaign, [code_touch, sale("C1", T0, promo_code="LEA10")])
    # The code takes the sale; the touch 5 days before is outside her 3-day window.
    assert result.credits[0].partner_id == "lea"
    assert result.credits[0].touch_id == "C1"
    assert result.credits[0].reason == (
        "promo code LEA10 of partner lea used at checkout takes precedence over cookies"
    )


def test_a_tracked_click_is_judged_by_its_partners_window() -> None:
    # The order names click T1, recorded under another key, 10 days before: outside Lea's
    # 7-day window, so it does not count.
    events: list[Event] = [
        touch("T1", "lea", at(days=-10), customer="device-9"),
        sale("C1", T0, click_id="T1"),
    ]
    assert attribute(SHORT_LEA, events).unattributed == ("C1",)
    assert by_partner(attribute(CAMPAIGN, events))["lea"].touch_id == "T1"


def test_partner_windows_are_checked_and_named() -> None:
    with pytest.raises(InvalidValueError, match=r"Affiliate\.windows"):
        Affiliate(id="a", name="A", windows={"cookie": "7 days"})
    with pytest.raises(InvalidValueError, match=r"Influencer\.windows\[click\]"):
        Influencer(id="i", name="I", windows={"click": "0 days"})


def test_partner_windows_round_trip_as_a_table() -> None:
    lea = Influencer(id="lea", name="Léa", windows={"click": "7 days", "view": "1 day"})
    data = unstructure(lea)
    assert data["windows"] == {"view": "1 day", "click": "7 days"}
    assert structure(data, Influencer) == lea
    assert lea.window(CLICK) == relativedelta(days=7)
    assert lea.window(PROMO) is None


# --- properties ------------------------------------------------------------------------------

OWN = {
    "lea": {"click": "3 days"},
    "coupons": {"promo_code": "20 days", "view": "5 days"},
    "max": {"click": "15 days", "promo_code": "1 day"},
}
PARTNER_CAMPAIGN = with_windows(**OWN)
OWN_LENGTHS = {
    ("lea", CLICK): timedelta(days=3),
    ("coupons", PROMO): timedelta(days=20),
    ("coupons", VIEW): timedelta(days=5),
    ("max", CLICK): timedelta(days=15),
    ("max", PROMO): timedelta(days=1),
}
LENGTHS = {VIEW: timedelta(days=2), CLICK: timedelta(days=10), PROMO: timedelta(days=7)}


def length_of(touch: Touch) -> timedelta:
    assert touch.partner_id is not None
    return OWN_LENGTHS.get((touch.partner_id, touch.kind), LENGTHS[touch.kind])


dedupes = st.sampled_from([(), ("paid_search",), ("paid_search", "email")])


@settings(max_examples=150)
@given(journeys(), st.booleans(), dedupes, st.sampled_from(TieBreak))
def test_the_sweep_gives_the_general_path_credits_word_for_word(
    events: list[Event], precedence: bool, dedupe: tuple[str, ...], tie_break: TieBreak
) -> None:
    policy = AttributionPolicy(
        windows=WINDOWS,
        promo_code_precedence=precedence,
        dedupe_channels=dedupe,
        tie_break=tie_break,
    )
    batch = check_events(PARTNER_CAMPAIGN, events)
    context = AttributionContext(PARTNER_CAMPAIGN, policy)
    groups = _grouped(context, batch.touches)
    clicks = {
        t.id: t for t in batch.touches if t.kind is TouchKind.CLICK and t.partner_id is not None
    }
    credits: list[Credit] = []
    unattributed = []
    for conversion in batch.conversions:
        if not _general(
            context, conversion, groups.get(conversion.customer_key, ()), clicks, credits
        ):
            unattributed.append(conversion.id)
    result = attribute_batch(PARTNER_CAMPAIGN, batch, policy)
    assert result.credits == tuple(sorted(credits, key=lambda credit: credit.conversion_id))
    assert result.unattributed == tuple(sorted(unattributed))


@settings(max_examples=100)
@given(journeys(), st.booleans(), dedupes, st.sampled_from(TieBreak))
def test_last_touch_agrees_with_position_based_zero_one(
    events: list[Event], precedence: bool, dedupe: tuple[str, ...], tie_break: TieBreak
) -> None:
    def run(model: AttributionModel) -> tuple[object, ...]:
        policy = AttributionPolicy(
            windows=WINDOWS,
            model=model,
            promo_code_precedence=precedence,
            dedupe_channels=dedupe,
            tie_break=tie_break,
        )
        result = attribute(PARTNER_CAMPAIGN, events, policy)
        return (
            [(c.conversion_id, c.partner_id, c.touch_id, c.revenue) for c in result.credits],
            result.unattributed,
        )

    assert run(LastTouch()) == run(PositionBased(first=0, last=1))


@settings(max_examples=100)
@given(journeys(), st.sampled_from(MODELS), st.booleans())
def test_every_credited_touch_is_inside_its_partners_window(
    events: list[Event], model: AttributionModel, precedence: bool
) -> None:
    policy = AttributionPolicy(windows=WINDOWS, model=model, promo_code_precedence=precedence)
    result = attribute(PARTNER_CAMPAIGN, events, policy)
    sales = conversions_of(events)
    touches = {e.id: e for e in events if isinstance(e, Touch)}
    for credit in result.credits:
        if credit.touch_id in sales:  # the order's own promo code
            continue
        touch_ = touches[credit.touch_id]
        gap = sales[credit.conversion_id].instant - touch_.instant
        assert timedelta(0) <= gap <= length_of(touch_)


_RANK = {VIEW: 0, CLICK: 1, PROMO: 2}


@settings(max_examples=100)
@given(journeys(), st.sampled_from(TieBreak))
def test_last_touch_agrees_with_a_naive_scan_of_each_partners_window(
    events: list[Event], tie_break: TieBreak
) -> None:
    policy = AttributionPolicy(windows=WINDOWS, promo_code_precedence=False, tie_break=tie_break)
    result = attribute(PARTNER_CAMPAIGN, events, policy)
    partner_touches = [e for e in events if isinstance(e, Touch) and e.partner_id is not None]
    expected = {}
    for conversion in conversions_of(events).values():
        best: tuple[object, ...] | None = None
        for item in partner_touches:
            mine = item.customer_key == conversion.customer_key
            tracked = conversion.click_id == item.id and item.kind is CLICK
            gap = conversion.instant - item.instant
            if (mine or tracked) and timedelta(0) <= gap <= length_of(item):
                rank = _RANK[item.kind] if tie_break is TieBreak.KIND_THEN_ID else 0
                key = (item.instant, rank, item.id, item.partner_id)
                if best is None or key > best:
                    best = key
        if best is not None:
            expected[conversion.id] = best[3]
    assert {c.conversion_id: c.partner_id for c in result.credits} == expected


@settings(max_examples=60)
@given(journeys())
def test_without_partner_windows_nothing_changes(events: list[Event]) -> None:
    # Partners whose windows equal nothing of their own read exactly as before.
    plain = with_windows()
    assert attribute(plain, events, AttributionPolicy(windows=WINDOWS)) == attribute(
        CAMPAIGN, events, AttributionPolicy(windows=WINDOWS)
    )


def test_a_campaign_file_carries_the_partners_windows_and_names_a_bad_one() -> None:
    lea = Influencer(id="lea", name="Léa", windows={"click": "7 days"}, customer_keys=["me"])
    campaign = attrs.evolve(CAMPAIGN, partners=[lea, *CAMPAIGN.partners[1:]])
    text = campaign_to_json(campaign)
    assert parse_campaign(text, format="json").partners[0] == lea
    with pytest.raises(DocumentError, match=r"Influencer\.windows\[click\].*partners\[0\]"):
        parse_campaign(text.replace('"7 days"', '"7 dayz"'), format="json")
