"""Partners own their promo codes: a sale's code attributes by itself."""

from __future__ import annotations

from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.attribution.strategies import (
    CAMPAIGN,
    CASHBACK,
    COUPONS,
    LEA,
    MAX,
    at,
    journeys,
    sale,
    touch,
)

from hybridroi.attribution.context import AttributionContext
from hybridroi.attribution.credits import Credit
from hybridroi.attribution.engine import _general, _grouped, attribute, attribute_batch
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import AttributionPolicy, Linear, PositionBased, TieBreak, TouchKind
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Event
from hybridroi.serialization import structure, unstructure

CLICK, PROMO = TouchKind.CLICK, TouchKind.PROMO_CODE
OWNED = attrs.evolve(
    CAMPAIGN,
    partners=[
        attrs.evolve(LEA, promo_codes=["LEA10"]),
        MAX,
        attrs.evolve(COUPONS, promo_codes=["SAVE5", "Bons-5"]),
        CASHBACK,
    ],
)


def test_an_owned_code_credits_its_partner_without_any_touch() -> None:
    result = attribute(OWNED, [sale("C1", at(), promo_code="lea10")])
    (credit,) = result.credits
    assert (credit.partner_id, credit.share, credit.touch_id) == ("lea", Fraction(1), "C1")
    assert credit.reason == (
        "promo code LEA10 of partner lea used at checkout takes precedence over cookies"
    )
    assert result.unattributed == ()
    assert result.unowned_promo_codes == ()


def test_an_owned_code_beats_the_last_click() -> None:
    events: list[Event] = [
        touch("T1", "cashback", at(minutes=-1)),
        sale("C1", at(), promo_code="SAVE5"),
    ]
    (credit,) = attribute(OWNED, events).credits
    assert credit.partner_id == "coupons"


def test_an_owned_code_names_its_owners_promo_touch_when_there_is_one() -> None:
    code = touch("T1", "lea", at(-2), PROMO, code="LEA10", content="v1")
    events: list[Event] = [
        code,
        touch("T2", "coupons", at(-1)),
        sale("C1", at(), promo_code="Lea10"),
    ]
    (credit,) = attribute(OWNED, events).credits
    assert (credit.partner_id, credit.touch_id, credit.content_id) == ("lea", "T1", "v1")
    assert credit.reason == (
        "promo code LEA10 of partner lea used at checkout takes precedence over cookies; "
        "promo code 2 days before the order, within the 30-day promo code window"
    )


def test_without_precedence_the_code_is_a_touch_at_the_sale() -> None:
    off = AttributionPolicy(promo_code_precedence=False)
    events: list[Event] = [touch("T1", "cashback", at(-1)), sale("C1", at(), promo_code="LEA10")]
    (credit,) = attribute(OWNED, events, off).credits
    assert (credit.partner_id, credit.reason) == (
        "lea",
        "last touch: promo code LEA10 of partner lea used at checkout",
    )
    shared = attribute(OWNED, events, attrs.evolve(off, model=Linear())).credits
    assert {c.partner_id: c.share for c in shared} == {
        "cashback": Fraction(1, 2),
        "lea": Fraction(1, 2),
    }
    assert "promo code LEA10 of partner lea used at checkout" in shared[1].reason


def test_a_code_without_a_promo_window_earns_nothing() -> None:
    clicks_only = AttributionPolicy(windows={"click": "30 days"})
    result = attribute(OWNED, [sale("C1", at(), promo_code="LEA10")], clicks_only)
    assert result.unattributed == ("C1",)


def test_an_unknown_code_is_no_error_and_is_listed() -> None:
    events: list[Event] = [touch("T1", "cashback", at(-1)), sale("C1", at(), promo_code="WINTER")]
    result = attribute(OWNED, events)
    assert [c.partner_id for c in result.credits] == ["cashback"]
    assert result.problems == ()
    assert result.unowned_promo_codes == (("C1", "WINTER"),)


def test_promo_code_touches_keep_working_for_codes_no_partner_owns() -> None:
    events: list[Event] = [
        touch("T1", "max", at(-2), PROMO, code="MAX20"),
        touch("T2", "coupons", at(-1)),
        sale("C1", at(), promo_code="max20"),
    ]
    (credit,) = attribute(OWNED, events).credits
    assert (credit.partner_id, credit.touch_id) == ("max", "T1")


def test_a_code_owned_by_two_partners_is_refused_naming_both() -> None:
    with pytest.raises(InvalidValueError, match=r"partners\[max\].promo_codes.*partner lea"):
        attrs.evolve(
            CAMPAIGN,
            partners=[
                Influencer(id="lea", name="Léa", promo_codes=["LEA10"]),
                Influencer(id="max", name="Max", promo_codes=["lea10"]),
            ],
        )


def test_a_partner_cannot_list_a_code_twice_or_a_blank_code() -> None:
    with pytest.raises(InvalidValueError, match=r"Affiliate.promo_codes"):
        Affiliate(id="a", name="A", promo_codes=["SAVE5", "save5"])
    with pytest.raises(InvalidValueError, match=r"Influencer.promo_codes"):
        Influencer(id="a", name="A", promo_codes=[" LEA10"])
    with pytest.raises(InvalidValueError):
        Influencer(id="a", name="A", promo_codes="LEA10")


def test_owned_codes_survive_a_campaign_file_round_trip() -> None:
    data = unstructure(OWNED)
    assert data["partners"][0]["promo_codes"] == ["LEA10"]
    assert structure(data, Campaign) == OWNED


def test_the_owner_of_a_code_ignores_letter_case() -> None:
    assert OWNED.promo_code_owner("bons-5") == ("coupons", "Bons-5")
    assert OWNED.promo_code_owner("nope") is None


# --- properties --------------------------------------------------------------------------------

WINDOWS = {TouchKind.VIEW: "2 days", TouchKind.CLICK: "10 days", TouchKind.PROMO_CODE: "7 days"}
_codes = st.sampled_from([None, "LEA10", "lea10", "SAVE5", "bons-5", "MAX20"])


@st.composite
def coded_journeys(draw: st.DrawFn) -> list[Event]:
    """Journeys whose sales carry owned, differently cased and unknown codes."""
    events: list[Event] = []
    for drawn in draw(journeys()):
        event = (
            attrs.evolve(drawn, promo_code=draw(_codes)) if isinstance(drawn, Conversion) else drawn
        )
        events.append(event)
    return events


@settings(max_examples=150, deadline=None)
@given(coded_journeys(), st.booleans(), st.sampled_from(TieBreak))
def test_a_sale_with_an_owned_code_is_credited_exactly_once(
    events: list[Event], precedence: bool, tie_break: TieBreak
) -> None:
    for model in (PositionBased(), Linear()):
        policy = AttributionPolicy(
            windows=WINDOWS, model=model, promo_code_precedence=precedence, tie_break=tie_break
        )
        result = attribute(OWNED, events, policy)
        shares: dict[str, Fraction] = {}
        for credit in result.credits:
            shares[credit.conversion_id] = shares.get(credit.conversion_id, Fraction(0)) + (
                credit.share
            )
        for conversion in check_events(OWNED, events).conversions:
            owner = (
                None
                if conversion.promo_code is None
                else OWNED.promo_code_owner(conversion.promo_code)
            )
            if owner is None:
                continue
            assert conversion.id not in result.unattributed
            assert shares[conversion.id] == 1
            owners = [c for c in result.credits if c.conversion_id == conversion.id]
            assert owner[0] in {c.partner_id for c in owners}
            if precedence:
                assert [c.partner_id for c in owners] == [owner[0]]


@settings(max_examples=150, deadline=None)
@given(coded_journeys(), st.booleans(), st.sampled_from(TieBreak), st.booleans())
def test_the_sweep_gives_the_general_path_credits_with_owned_codes(
    events: list[Event], precedence: bool, tie_break: TieBreak, dedupe: bool
) -> None:
    policy = AttributionPolicy(
        windows=WINDOWS,
        promo_code_precedence=precedence,
        tie_break=tie_break,
        dedupe_channels=["paid_search"] if dedupe else [],
    )
    batch = check_events(OWNED, events)
    context = AttributionContext(OWNED, policy)
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
    result = attribute_batch(OWNED, batch, policy)
    assert result.credits == tuple(sorted(credits, key=lambda credit: credit.conversion_id))
    assert result.unattributed == tuple(sorted(unattributed))
