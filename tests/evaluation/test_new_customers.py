"""Deals that pay new and returning customers differently, priced through the engine."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.evaluation.example import CAMPAIGN, deal, eur, fee, point_forecast, uncertain_forecast

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.conditions import CustomerIs
from hybridroi.domain.rules import Cap, CapScope, PercentRate, Rule, ThresholdBonus, TieredRate
from hybridroi.domain.tiers import Band, TierBasis
from hybridroi.evaluation import (
    Beta,
    Candidate,
    Point,
    PricingPath,
    Volume,
    break_even,
    compare,
    cost_by_sales,
    indifference,
    price_volume,
    simulate,
)

NEW = CustomerIs(new=True)
RETURNING = CustomerIs(new=False)
BY_CUSTOMER = Candidate(
    name="30% new, 5% returning",
    partner_id="lea",
    deal=deal(
        PercentRate(id="new", rate="0.30", conditions=[NEW]),
        PercentRate(id="returning", rate="0.05", conditions=[RETURNING]),
    ),
)
NEW_ONLY = Candidate(
    name="30% of new customers",
    partner_id="lea",
    deal=deal(PercentRate(id="new", rate="0.30", conditions=[NEW])),
)
PLAIN = Candidate(name="10%", partner_id="lea", deal=deal(PercentRate(id="ten", rate="0.10")))


def volume(sales: int, new: int | None, value: str = "100.00") -> Volume:
    return Volume(sales=sales, order_value=eur(value), margin=Decimal("0.6"), new_customers=new)


def test_new_and_returning_orders_are_priced_by_their_own_rule() -> None:
    # 10 orders of EUR 100, 4 from new customers: 4 x 30 + 6 x 5 = 120 + 30 = 150.
    priced = price_volume(CAMPAIGN, BY_CUSTOMER, volume(10, 4))
    assert priced.cost == eur("150.00")
    assert sum(1 for line in priced.lines if line.rule_id == "new") == 4
    assert sum(1 for line in priced.lines if line.rule_id == "returning") == 6
    # A deal paying new customers only: 4 x 30 = 120, never 0.
    assert price_volume(CAMPAIGN, NEW_ONLY, volume(10, 4)).cost == eur("120.00")


def test_a_deal_by_customer_is_refused_when_new_customers_are_not_modelled() -> None:
    with pytest.raises(InvalidValueError, match=r"Volume\.new_customers.*rule\(s\) new"):
        price_volume(CAMPAIGN, NEW_ONLY, volume(10, None))
    forecast = point_forecast()  # no new_customer_share
    share = r"Forecast\.new_customer_share"
    with pytest.raises(InvalidValueError, match=share):
        simulate(CAMPAIGN, [PLAIN, BY_CUSTOMER], forecast, draws=5)
    with pytest.raises(InvalidValueError, match=share):
        compare(CAMPAIGN, [BY_CUSTOMER], forecast, draws=5)
    with pytest.raises(InvalidValueError, match=share):
        break_even(CAMPAIGN, NEW_ONLY, forecast)
    with pytest.raises(InvalidValueError, match=share):
        indifference(CAMPAIGN, PLAIN, NEW_ONLY, forecast)
    with pytest.raises(InvalidValueError, match=share):
        cost_by_sales(CAMPAIGN, NEW_ONLY, eur("50"), [10])
    # A deal that does not look at customers needs no share.
    assert price_volume(CAMPAIGN, PLAIN, volume(10, None)).cost == eur("100.00")


def test_the_point_forecast_by_hand() -> None:
    # 180 orders of EUR 50 (see point_forecast), 40% new: 72 new, 108 returning.
    # Cost: 72 x 50 x 30% + 108 x 50 x 5% = 1,080 + 270 = 1,350.
    forecast = attrs.evolve(point_forecast(), new_customer_share=Point(value="0.4"))
    assert forecast.expected_volume().new_customers == 72
    result = compare(CAMPAIGN, [BY_CUSTOMER, PLAIN], forecast, draws=20, max_sales=400)
    by_customer, plain = result.evaluations
    assert by_customer.expected_cost == eur("1350")
    assert result.points[0].cost == eur("1350.00")
    assert plain.expected_cost == eur("900")  # 10% x 9,000, the share changes nothing
    # Break-even: gross profit 30 per order (50 x 60%), cost 15 x 0.4 + 2.5 x 0.6 = 7.5 per
    # order on average, and no fixed fee: the first order already breaks even.
    assert result.break_evens[0].sales == 1


def test_the_share_is_rounded_once_per_scenario_with_the_forecast_rounding() -> None:
    forecast = attrs.evolve(point_forecast(), new_customer_share=Point(value="0.5"))
    assert forecast.new_customers(7, Decimal("0.5")) == 4  # 3.5 half-even
    assert forecast.new_customers(5, Decimal("0.5")) == 2  # 2.5 half-even
    # Without a share the scenarios say so, and draw the same funnel as before.
    plain = uncertain_forecast()
    assert all(new is None for *_, new in plain.scenarios(20, seed=3))
    assert [s[:3] for s in plain.scenarios(20, seed=3)] == plain.draws(20, seed=3)
    shared = attrs.evolve(plain, new_customer_share=Beta.from_mean("0.3", 50))
    scenarios = shared.scenarios(50, seed=3)
    assert [s[:3] for s in scenarios] == shared.draws(50, seed=3)
    assert all(new is not None and 0 <= new <= sales for sales, _, _, new in scenarios)


def test_volumes_refuse_more_new_customers_than_orders() -> None:
    with pytest.raises(InvalidValueError, match=r"Volume\.new_customers"):
        volume(3, 4)
    with pytest.raises(InvalidValueError, match=r"Volume\.new_customers"):
        volume(3, -1)


# Every path of a deal that reads the customer equals a direct engine run.

CUSTOMER_RULES: list[tuple[Rule, ...]] = [
    (
        PercentRate(id="new", rate="0.25", conditions=[NEW]),
        PercentRate(id="base", rate="0.07"),
    ),
    (
        PercentRate(id="new", rate="0.3", conditions=[NEW]),
        PercentRate(id="base", rate="0.1"),
        Cap(id="sale", scope=CapScope.SALE, amount=eur("12")),
    ),
    (
        TieredRate(
            id="tiers",
            conditions=[RETURNING],
            bands=[Band(start=0, rate="0.05"), Band(start=600, rate="0.15")],
        ),
        PercentRate(id="new", rate="0.2", conditions=[NEW]),
    ),
    (
        PercentRate(id="new", rate="0.3", conditions=[NEW]),
        PercentRate(id="base", rate="0.1"),
        Cap(id="life", scope=CapScope.LIFETIME, amount=eur("90")),
    ),
    (
        PercentRate(id="new", rate="0.2", conditions=[NEW]),
        ThresholdBonus(id="bonus", metric=TierBasis.COUNT, threshold=6, amount=eur("40")),
    ),
]


def _candidate(rules: tuple[Rule, ...], with_fee: bool) -> Candidate:
    return Candidate(
        name="by customer",
        partner_id="lea",
        fees=[fee("50")] if with_fee else [],
        deal=deal(*rules),
    )


def test_paths_of_deals_by_customer() -> None:
    assert [_candidate(rules, False).path for rules in CUSTOMER_RULES] == [
        PricingPath.PER_SALE,
        PricingPath.PER_SALE,
        PricingPath.PREFIX,
        PricingPath.PREFIX,
        PricingPath.PER_VOLUME,
    ]


@settings(max_examples=40, deadline=None)
@given(
    rules=st.sampled_from(CUSTOMER_RULES),
    with_fee=st.booleans(),
    value=st.integers(min_value=1, max_value=20_000),
    counts=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=4),
    share=st.decimals(min_value=0, max_value=1, places=2),
)
def test_costs_by_sales_equal_direct_engine_runs(
    rules: tuple[Rule, ...], with_fee: bool, value: int, counts: list[int], share: Decimal
) -> None:
    candidate = _candidate(rules, with_fee)
    forecast = attrs.evolve(point_forecast(), new_customer_share=Point(value=share))
    order_value = Money.from_minor(value, "EUR")
    costs = cost_by_sales(CAMPAIGN, candidate, order_value, counts, forecast=forecast)
    for count, cost in zip(counts, costs, strict=True):
        new = forecast.new_customers(count, share)
        direct = price_volume(CAMPAIGN, candidate, forecast.volume(count, value, 6000, new))
        assert cost == direct.cost


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), mean=st.sampled_from(["0.1", "0.5", "0.9"]))
def test_simulated_costs_equal_direct_engine_runs_draw_by_draw(seed: int, mean: str) -> None:
    forecast = attrs.evolve(
        uncertain_forecast(),
        views=Point(value="20000"),
        new_customer_share=Beta.from_mean(mean, 20),
    )
    candidates = [
        attrs.evolve(_candidate(rules, True), name=f"c{index}")
        for index, rules in enumerate(CUSTOMER_RULES)
    ]
    evaluations = simulate(CAMPAIGN, candidates, forecast, draws=4, seed=seed)
    for index, scenario in enumerate(forecast.scenarios(4, seed=seed)):
        priced = forecast.volume(*scenario)
        for candidate, evaluation in zip(candidates, evaluations, strict=True):
            expected = price_volume(CAMPAIGN, candidate, priced).cost
            assert evaluation.cost_draws[index] == expected.minor_units


@settings(max_examples=25, deadline=None)
@given(sales=st.integers(0, 30), new=st.integers(0, 30))
def test_each_new_customer_order_adds_the_difference_of_the_rates(sales: int, new: int) -> None:
    # New customers earn 30%, returning 5%: on EUR 100, 5.00 per order plus 25.00 more for
    # each new customer's order (integer cents as the oracle).
    new = min(new, sales)
    cost = price_volume(CAMPAIGN, BY_CUSTOMER, volume(sales, new)).cost
    assert cost == Money.from_minor(500 * sales + 2500 * new, "EUR")
