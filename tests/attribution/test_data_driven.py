"""Paying on fitted weights (DataDriven), and models written by the user."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.engine import attribute
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import (
    AttributionPolicy,
    DataDriven,
    TouchKind,
    Touchpoint,
    weighted_split,
)
from hybridroi.events.records import Conversion, Event, Touch
from hybridroi.files.campaign import campaign_to_json, parse_campaign
from hybridroi.serialization import DocumentError, structure, unstructure

T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)
CAMPAIGN = Campaign(
    id="spring",
    name="Spring",
    currency="EUR",
    timezone="Europe/Paris",
    start=T0 - timedelta(days=60),
    end=T0 + timedelta(days=60),
    partners=[
        Influencer(id="lea", name="Lea Skin"),
        Affiliate(id="coupons", name="BonsPlans"),
        Affiliate(id="cashback", name="CashBack"),
    ],
)
MODEL = DataDriven(
    method="markov",
    version="spring-v1",
    weights={"lea": "0.39", "coupons": "0.13", "paid_search": "0.48"},
    fitted_as_of=T0 - timedelta(days=1),
)


def _touch(ident: str, partner: str, days: int, kind: TouchKind = TouchKind.CLICK) -> Event:
    return Touch(
        id=ident,
        kind=kind,
        instant=T0 - timedelta(days=days),
        customer_key="alice",
        partner_id=partner,
    )


ORDER: Event = Conversion(id="C1", instant=T0, customer_key="alice", revenue=Money("100.00", "EUR"))


def test_a_sale_is_split_by_the_weights_of_its_partners_and_explained() -> None:
    policy = AttributionPolicy(model=MODEL, windows={"view": "7 days", "click": "30 days"})
    events = [
        _touch("T1", "lea", 5, TouchKind.VIEW),
        _touch("T2", "coupons", 3),
        _touch("T3", "lea", 2),
        ORDER,
    ]
    credits = attribute(CAMPAIGN, events, policy).credits
    # Weights 0.39 (lea) and 0.13 (coupons) over 0.52: 3/4 and 1/4. The outside
    # channel's weight is not part of this sale (no touch of it).
    assert [(c.partner_id, c.role.value, c.share, c.revenue) for c in credits] == [
        ("coupons", "assist", Fraction(1, 4), Money("25.00", "EUR")),
        ("lea", "closer", Fraction(3, 4), Money("75.00", "EUR")),
    ]
    assert credits[1].reason == (
        "markov model spring-v1: 75% of the sale as closer, 2 of 3 eligible touches; latest "
        "click 2 days before the order, within the 30-day click window; weight 0.39 of 0.52 "
        "on the sale's partners (normalised removal effects)"
    )
    assert credits[0].reason.endswith(
        "weight 0.13 of 0.52 on the sale's partners (normalised removal effects)"
    )


def test_a_sale_of_one_partner_goes_whole_to_it() -> None:
    credits = attribute(
        CAMPAIGN, [_touch("T1", "cashback", 3), ORDER], AttributionPolicy(model=MODEL)
    ).credits
    assert [(c.partner_id, c.share) for c in credits] == [("cashback", Fraction(1))]
    assert credits[0].reason.startswith("markov model spring-v1: the whole sale")


def test_partners_without_weight_share_equally_when_none_has_one() -> None:
    model = DataDriven(method="shapley", version="v2", weights={"lea": "1"}, fitted_as_of=T0)
    events = [_touch("T1", "cashback", 3), _touch("T2", "coupons", 2), ORDER]
    credits = attribute(CAMPAIGN, events, AttributionPolicy(model=model)).credits
    assert [(c.partner_id, c.share) for c in credits] == [
        ("cashback", Fraction(1, 2)),
        ("coupons", Fraction(1, 2)),
    ]
    assert credits[0].reason.endswith(
        "every partner of the sale weighs 0 in the model (normalised Shapley values): equal shares"
    )
    # A partner with a weight against one without: the weighted one takes all.
    events = [_touch("T1", "lea", 3), _touch("T2", "coupons", 2), ORDER]
    credits = attribute(CAMPAIGN, events, AttributionPolicy(model=model)).credits
    assert [(c.partner_id, c.share) for c in credits] == [("lea", Fraction(1))]
    # The whole-sale reason says why the other partner got nothing.
    assert credits[0].reason.endswith(
        "weight 1 of 1 on the sale's partners (normalised Shapley values)"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(("lea", "coupons", "cashback", "x")), min_size=1, max_size=8),
    st.dictionaries(
        st.sampled_from(("lea", "coupons", "cashback", "y")),
        st.fractions(min_value=0, max_value=5, max_denominator=50),
    ),
)
def test_weighted_split_sums_to_one_and_follows_the_weights(
    channels: list[str], weights: dict[str, Fraction]
) -> None:
    split = weighted_split(channels, weights)
    assert sorted(split) == sorted(set(channels))
    assert sum(split.values()) == 1
    assert all(share >= 0 for share in split.values())
    # Order of the journey does not matter.
    assert weighted_split(list(reversed(channels)), weights) == split
    total = sum(weights.get(c, Fraction(0)) for c in set(channels))
    for channel, share in split.items():
        if total:
            assert share == weights.get(channel, Fraction(0)) / total
        else:
            assert share == Fraction(1, len(set(channels)))


def test_model_values_are_checked() -> None:
    good = {"method": "markov", "version": "v1", "fitted_as_of": T0}
    with pytest.raises(InvalidValueError, match="float"):
        DataDriven(weights={"lea": 0.5}, **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=">= 0"):
        DataDriven(weights={"lea": "-0.1"}, **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="at least one"):
        DataDriven(weights={}, **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="finite decimal"):
        DataDriven(weights={"lea": Fraction(1, 3)}, **good)  # type: ignore[arg-type]
    assert DataDriven(weights={"lea": Fraction(3, 20)}, **good).weights == (  # type: ignore[arg-type]
        ("lea", Decimal("0.15")),
    )
    with pytest.raises(InvalidValueError, match="method"):
        DataDriven(method="magic", version="v1", weights={"a": "1"}, fitted_as_of=T0)
    with pytest.raises(InvalidValueError, match="fitted_since"):
        DataDriven(weights={"a": "1"}, fitted_since=T0 + timedelta(days=1), **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError):
        DataDriven(weights=[("a", "1", "2")], **good)  # type: ignore[arg-type, list-item]


def test_the_model_is_frozen_data_in_the_campaign_file() -> None:
    policy = AttributionPolicy(model=MODEL)
    data = unstructure(policy)
    assert data["model"]["weights"] == {"coupons": "0.13", "lea": "0.39", "paid_search": "0.48"}
    assert structure(data, AttributionPolicy) == policy
    campaign = Campaign(
        id=CAMPAIGN.id,
        name=CAMPAIGN.name,
        currency="EUR",
        timezone="Europe/Paris",
        start=CAMPAIGN.start,
        end=CAMPAIGN.end,
        partners=CAMPAIGN.partners,
        attribution=policy,
    )
    assert parse_campaign(campaign_to_json(campaign), format="json") == campaign
    data["model"]["weights"] = {"lea": "lots"}
    with pytest.raises(DocumentError, match="weights"):
        structure(data, AttributionPolicy)


class _Halves:
    """A model of the user's: the first and the last touch share the sale."""

    kind = "halves"
    label = "halves"

    def __init__(self, answer: Sequence[object] | None = None) -> None:
        self.answer = answer

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> Sequence[Fraction]:
        if self.answer is not None:
            return self.answer  # type: ignore[return-value]
        if len(touches) == 1:
            return (Fraction(1),)
        return (Fraction(1, 2),) + (Fraction(0),) * (len(touches) - 2) + (Fraction(1, 2),)


def test_a_model_written_by_the_user_is_applied_and_its_shares_checked() -> None:
    events = [
        _touch("T1", "lea", 5),
        _touch("T2", "cashback", 4),
        _touch("T3", "coupons", 3),
        ORDER,
    ]
    credits = attribute(CAMPAIGN, events, AttributionPolicy(model=_Halves())).credits
    assert [(c.partner_id, c.share) for c in credits] == [
        ("coupons", Fraction(1, 2)),
        ("lea", Fraction(1, 2)),
    ]
    assert credits[0].reason.startswith("halves: 50% of the sale as closer")
    for answer in ([Fraction(1, 2)], [0.5, 0, 0.5], [Fraction(1), Fraction(1), Fraction(-1)], "x"):
        with pytest.raises(InvalidValueError, match="halves"):
            attribute(CAMPAIGN, events, AttributionPolicy(model=_Halves(answer)))
    # It is code, not data: a campaign file cannot hold it.
    with pytest.raises(InvalidValueError, match="custom model"):
        unstructure(AttributionPolicy(model=_Halves()))


def test_an_object_that_is_no_model_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="custom model"):
        AttributionPolicy(model="markov")  # type: ignore[arg-type]


def test_the_documented_campaign_file_block_reads() -> None:
    # The block docs/attribution.md shows, in a campaign file.
    text = """
id = "spring"
name = "Spring"
currency = "EUR"
timezone = "Europe/Paris"
start = 2026-01-09T12:00:00Z
end = 2026-05-09T12:00:00Z

[attribution.model]
kind = "data_driven"
method = "markov"
version = "spring-v1"
fitted_as_of = 2026-03-10T12:00:00Z
weights = { coupons = "0.750000", lea = "0.250000" }
"""
    model = parse_campaign(text, format="toml").attribution.model
    assert model == DataDriven(
        method="markov",
        version="spring-v1",
        weights={"coupons": "0.750000", "lea": "0.250000"},
        fitted_as_of=T0,
    )
    # Unquoted TOML numbers are exact too (read as decimals, never floats).
    exact = parse_campaign(text.replace('"0.750000"', "0.75"), format="toml").attribution.model
    assert isinstance(exact, DataDriven)
    assert exact.weights[0] == ("coupons", Decimal("0.75"))


def test_a_refit_takes_over_from_its_instant_and_never_reprices_earlier_sales() -> None:
    v1 = DataDriven(
        method="markov", version="v1", weights={"lea": "0.5", "coupons": "0.5"}, fitted_as_of=T0
    )
    v2 = DataDriven(
        method="markov",
        version="v2",
        weights={"lea": "0.9", "coupons": "0.1"},
        fitted_as_of=T0 + timedelta(days=10),
    ).after(v1)
    assert v2.effective_from == T0 + timedelta(days=10)

    def sale(ident: str, day: int, key: str) -> list[Event]:
        at = T0 + timedelta(days=day)
        return [
            Touch(
                id=f"{ident}-1",
                kind="click",
                instant=at - timedelta(days=2),
                customer_key=key,
                partner_id="lea",
            ),
            Touch(
                id=f"{ident}-2",
                kind="click",
                instant=at - timedelta(days=1),
                customer_key=key,
                partner_id="coupons",
            ),
            Conversion(id=ident, instant=at, customer_key=key, revenue=Money("100.00", "EUR")),
        ]

    events = [*sale("OLD", 5, "ann"), *sale("NEW", 15, "bob")]
    credits = attribute(CAMPAIGN, events, AttributionPolicy(model=v2)).credits
    shares = {(c.conversion_id, c.partner_id): c.share for c in credits}
    # Before v2 took over: v1's halves; after: v2's 9:1.
    assert shares == {
        ("NEW", "coupons"): Fraction(1, 10),
        ("NEW", "lea"): Fraction(9, 10),
        ("OLD", "coupons"): Fraction(1, 2),
        ("OLD", "lea"): Fraction(1, 2),
    }
    reasons = {c.conversion_id: c.reason for c in credits}
    assert reasons["OLD"].startswith("markov model v1:")
    assert reasons["NEW"].startswith("markov model v2:")
    # The v1 credits are exactly those of v1 alone.
    alone = attribute(CAMPAIGN, sale("OLD", 5, "ann"), AttributionPolicy(model=v1)).credits
    assert [c for c in credits if c.conversion_id == "OLD"] == list(alone)
    # The chain is data: it round-trips, and a version cannot take over before its previous one.
    policy = AttributionPolicy(model=v2)
    assert structure(unstructure(policy), AttributionPolicy) == policy
    with pytest.raises(InvalidValueError, match="effective_from"):
        v1.after(v2, effective_from=T0)
    with pytest.raises(InvalidValueError, match="effective_from"):
        DataDriven(method="markov", version="v3", weights={"a": "1"}, fitted_as_of=T0, previous=v1)
    with pytest.raises(InvalidValueError, match="previous"):
        v1.after(_Halves())  # type: ignore[arg-type]
    # The first version before its instant still prices (nothing precedes it).
    first = DataDriven(
        method="markov", version="v0", weights={"lea": "1"}, fitted_as_of=T0, effective_from=T0
    )
    assert first.model_at(T0 - timedelta(days=1)) is first


def test_weights_are_bounded_and_the_split_checks_them() -> None:
    good = {"method": "markov", "version": "v1", "fitted_as_of": T0}
    with pytest.raises(InvalidValueError, match="at most"):
        DataDriven(weights={"lea": "1e5000000"}, **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="decimal places"):
        DataDriven(weights={"lea": "1e-40"}, **good)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="finite decimal"):
        DataDriven(weights={"lea": Fraction(1, 2**200)}, **good)  # type: ignore[arg-type]
    assert DataDriven(
        method="MARKOV", version="v1", weights={"a": "1"}, fitted_as_of=T0
    ).method == ("markov")
    for bad in (Fraction(-1), 0.5, True, "1", None, Decimal("NaN")):
        with pytest.raises(InvalidValueError):
            weighted_split(["a", "b"], {"a": bad, "b": Fraction(1)})  # type: ignore[dict-item]
    with pytest.raises(InvalidTypeError):
        weighted_split("ab", {})
    with pytest.raises(InvalidTypeError):
        weighted_split(None, {})  # type: ignore[arg-type]
