"""Self-referral: a sale by a partner's own customer key earns that partner nothing."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, T0, at, journeys, sale, touch
from tests.attribution.test_properties import MODELS, WINDOWS, conversions_of

from hybridroi.attribution.engine import attribute
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    LastTouch,
    Linear,
    PositionBased,
    TouchKind,
)
from hybridroi.events.records import Conversion, Event, Touch
from hybridroi.serialization import structure, unstructure


def with_keys(**keys: list[str]) -> Campaign:
    partners = [
        attrs.evolve(partner, customer_keys=keys.get(partner.id, ()))
        for partner in CAMPAIGN.partners
    ]
    return attrs.evolve(CAMPAIGN, partners=partners)


# Lea shops as "alice" herself.
LEA_SHOPS = with_keys(lea=["alice"])


def test_a_partners_own_purchase_goes_to_the_partner_who_earned_it_otherwise() -> None:
    # Alice (Lea's own key) clicked Max's link 5 days before and Lea's 1 day before.
    # Lea earns nothing; the sale is attributed again without her: Max's click.
    events: list[Event] = [
        touch("T1", "max", at(days=-5)),
        touch("T2", "lea", at(days=-1)),
        sale("C1", T0),
    ]
    result = attribute(LEA_SHOPS, events)
    assert [(c.partner_id, c.touch_id, c.share) for c in result.credits] == [
        ("max", "T1", Fraction(1))
    ]
    assert result.credits[0].reason == (
        "last click 5 days before the order, within the 30-day click window; credit to "
        "partner lea refused: the sale's customer key 'alice' is partner lea's own "
        "(self-referral)"
    )
    assert result.problems == (
        Problem(
            kind=ProblemKind.INVALID,
            subject="conversion:C1",
            field="customer_key",
            message=(
                "credit to partner lea refused: the sale's customer key 'alice' is partner "
                "lea's own (self-referral), and a partner earns nothing on its own purchase; "
                "credited instead to max"
            ),
        ),
    )


def test_with_no_other_partner_the_sale_is_unattributed_and_reported() -> None:
    result = attribute(LEA_SHOPS, [touch("T2", "lea", at(days=-1)), sale("C1", T0)])
    assert result.credits == ()
    assert result.unattributed == ("C1",)
    assert result.problems[0].message.endswith("; no other partner earned it: unattributed")


def test_the_partners_own_promo_code_earns_no_one() -> None:
    # Lea uses her own code LEA10: precedence would give her the sale; refused, the code
    # is not read for anyone else, and no touch of another partner is eligible.
    lea = attrs.evolve(CAMPAIGN.partners[0], promo_codes=["LEA10"], customer_keys=["alice"])
    campaign = attrs.evolve(CAMPAIGN, partners=[lea, *CAMPAIGN.partners[1:]])
    coupon_touch = touch("P1", "coupons", at(days=-1), TouchKind.PROMO_CODE, code="LEA10")
    result = attribute(campaign, [coupon_touch, sale("C1", T0, promo_code="LEA10")])
    # The coupon site's touch is a plain promo-code touch: last touch, not precedence.
    assert [(c.partner_id, c.touch_id) for c in result.credits] == [("coupons", "P1")]
    assert result.credits[0].reason.startswith("last promo code 1 day before the order")


def test_a_shared_sale_is_split_again_among_the_others() -> None:
    # Linear over Lea, Max and Coupons: without Lea, Max and Coupons take 50% each.
    events: list[Event] = [
        touch("T1", "max", at(days=-5)),
        touch("T2", "lea", at(days=-3)),
        touch("T3", "coupons", at(days=-1)),
        sale("C1", T0, "99.99"),
    ]
    result = attribute(LEA_SHOPS, events, AttributionPolicy(model=Linear()))
    assert {c.partner_id: (c.share, c.revenue) for c in result.credits} == {
        "coupons": (Fraction(1, 2), Money("50.00", "EUR")),
        "max": (Fraction(1, 2), Money("49.99", "EUR")),
    }
    assert result.problems[0].message.endswith("; credited instead to coupons, max")


def test_other_customers_and_partners_are_untouched() -> None:
    events: list[Event] = [
        touch("T1", "lea", at(days=-1), customer="bob"),
        sale("C2", T0, customer="bob"),
    ]
    assert attribute(LEA_SHOPS, events) == attribute(CAMPAIGN, events)


def test_customer_keys_are_checked_and_round_trip() -> None:
    with pytest.raises(InvalidValueError, match=r"Affiliate\.customer_keys"):
        Affiliate(id="a", name="A", customer_keys=["k", "k"])
    with pytest.raises(InvalidValueError, match=r"Influencer\.customer_keys"):
        Influencer(id="i", name="I", customer_keys=[" k"])
    lea = Influencer(id="lea", name="Léa", customer_keys=["alice", "lea@example.com"])
    assert structure(unstructure(lea), Influencer) == lea


# --- properties ------------------------------------------------------------------------------

# Each of the journeys' customers is some partner's own key.
OWNED = with_keys(lea=["alice"], coupons=["bob"], max=["bob"])
OWNERS = {"alice": {"lea"}, "bob": {"coupons", "max"}}
policies = st.builds(
    AttributionPolicy,
    windows=st.just(WINDOWS),
    model=st.sampled_from(MODELS),
    promo_code_precedence=st.booleans(),
    dedupe_channels=st.sampled_from([(), ("paid_search",)]),
)


@settings(max_examples=150)
@given(journeys(), policies)
def test_no_partner_is_credited_on_its_own_purchase_and_shares_still_sum_to_one(
    events: list[Event], policy: AttributionPolicy
) -> None:
    result = attribute(OWNED, events, policy)
    sales = conversions_of(events)
    shares: dict[str, Fraction] = defaultdict(Fraction)
    for credit in result.credits:
        assert credit.partner_id not in OWNERS.get(sales[credit.conversion_id].customer_key, ())
        shares[credit.conversion_id] += credit.share
    assert all(total == 1 for total in shares.values())
    assert set(shares) | set(result.unattributed) == set(sales)
    assert set(shares).isdisjoint(result.unattributed)
    # One problem per refused credit, each naming a partner that owns the key.
    plain = attribute(CAMPAIGN, events, policy)
    refused = {
        (c.conversion_id, c.partner_id)
        for c in plain.credits
        if c.partner_id in OWNERS.get(sales[c.conversion_id].customer_key, ())
    }
    reported = {
        (p.subject.removeprefix("conversion:"), p.message.split()[3])
        for p in result.problems
        if p.field == "customer_key"
    }
    assert reported == refused
    # Sales with no refused credit are attributed exactly as before.
    touched = {conversion_id for conversion_id, _ in refused}
    assert [c for c in result.credits if c.conversion_id not in touched] == [
        c for c in plain.credits if c.conversion_id not in touched
    ]


def without_own_touches(events: list[Event]) -> list[Event]:
    """The oracle: drop each customer's touches by the partners whose own key it is."""
    kept: list[Event] = []
    for event in events:
        if isinstance(event, Touch) and event.partner_id in OWNERS.get(event.customer_key, ()):
            continue
        kept.append(event)
    return kept


@settings(max_examples=100)
@given(journeys())
def test_under_last_touch_a_refused_sale_goes_where_it_would_without_the_partners_touches(
    events: list[Event],
) -> None:
    # No promo codes and no tracked clicks, so the partner's touches are all it brings.
    plain_events = [
        attrs.evolve(e, promo_code=None, click_id=None) if isinstance(e, Conversion) else e
        for e in events
    ]
    policy = AttributionPolicy(windows=WINDOWS)
    result = attribute(OWNED, plain_events, policy)
    oracle = attribute(CAMPAIGN, without_own_touches(plain_events), policy)
    assert [(c.conversion_id, c.partner_id, c.touch_id) for c in result.credits] == [
        (c.conversion_id, c.partner_id, c.touch_id) for c in oracle.credits
    ]
    assert result.unattributed == oracle.unattributed


@settings(max_examples=100)
@given(journeys(), st.booleans())
def test_the_sweep_and_the_general_path_agree_on_self_referrals(
    events: list[Event], precedence: bool
) -> None:
    def run(model: AttributionModel) -> tuple[object, ...]:
        policy = AttributionPolicy(windows=WINDOWS, model=model, promo_code_precedence=precedence)
        result = attribute(OWNED, events, policy)
        return (
            [(c.conversion_id, c.partner_id, c.touch_id, c.revenue) for c in result.credits],
            result.unattributed,
            len(result.problems),
        )

    assert run(LastTouch()) == run(PositionBased(first=0, last=1))
