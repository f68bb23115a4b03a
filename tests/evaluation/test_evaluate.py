from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.evaluation.example import (
    CAMPAIGN,
    START,
    deal,
    eur,
    fee,
    flat,
    point_forecast,
    uncertain_forecast,
)

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    Rule,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.evaluation import (
    Candidate,
    Forecast,
    Point,
    PricingPath,
    Triangular,
    break_even,
    compare,
    cost_by_sales,
    indifference,
    price_volume,
    simulate,
)
from hybridroi.events.records import Conversion, Touch
from hybridroi.statements.engine import compute_statements

HYBRID = Candidate(
    name="EUR 1,500 + 10%",
    partner_id="lea",
    fees=[fee("1500")],
    deal=deal(PercentRate(id="ten", rate=Decimal("0.10"))),
)
AFFILIATE = Candidate(
    name="20% affiliate", partner_id="lea", deal=deal(PercentRate(id="twenty", rate="0.20"))
)
FLAT = flat()
THREE = (FLAT, HYBRID, AFFILIATE)


def test_point_results_by_hand() -> None:
    # 180 orders x EUR 50 = EUR 9,000 revenue; x 60% margin = EUR 5,400 gross profit.
    result = compare(CAMPAIGN, THREE, point_forecast(), draws=50)
    flat_eval, hybrid_eval, affiliate_eval = result.evaluations
    # Flat: cost 5,000; profit 5,400 - 5,000 = 400; ROI 400 / 5,000 = 2/25.
    assert flat_eval.expected_cost == eur("5000")
    assert flat_eval.expected_profit == eur("400")
    assert flat_eval.roi == Fraction(2, 25)
    # Hybrid: 1,500 + 10% x 9,000 = 2,400; profit 3,000; ROI 3,000 / 2,400 = 5/4.
    assert hybrid_eval.expected_cost == eur("2400")
    assert hybrid_eval.creator_earnings == eur("2400")
    assert hybrid_eval.roi == Fraction(5, 4)
    # Affiliate: 20% x 9,000 = 1,800; profit 3,600; ROI 2.
    assert affiliate_eval.expected_cost == eur("1800")
    assert affiliate_eval.roi == 2
    assert [point.cost for point in result.points] == [eur("5000"), eur("2400"), eur("1800")]
    assert all(point.lines for point in result.points)
    assert "10% of EUR 50.00" in result.points[1].lines[0].explanation


def test_break_even_volumes_by_hand() -> None:
    result = compare(CAMPAIGN, THREE, point_forecast(), draws=10)
    flat_even, hybrid_even, affiliate_even = result.break_evens
    # Flat: each order brings 50 x 60% = 30; 5,000 / 30 = 166.67, so 167 orders.
    assert flat_even.sales == 167
    assert flat_even.gross_profit == eur("5010")
    assert "at 166 orders gross profit EUR 4,980.00 < cost EUR 5,000.00" in flat_even.reason
    # Hybrid: each order brings 30 - 5 commission = 25; 1,500 / 25 = 60 orders exactly.
    assert hybrid_even.sales == 60
    assert hybrid_even.cost == hybrid_even.gross_profit == eur("1800")
    # Pure affiliate: 30 - 10 = 20 > 0 from the first order.
    assert affiliate_even.sales == 1


def test_indifference_volumes_by_hand() -> None:
    result = compare(CAMPAIGN, THREE, point_forecast(), draws=10)
    flat_hybrid, flat_affiliate, hybrid_affiliate = result.indifferences
    # 5,000 = 1,500 + 5 x n  ->  n = 700.
    assert (flat_hybrid.sales, flat_hybrid.exact) == (700, True)
    assert flat_hybrid.first_cost == flat_hybrid.second_cost == eur("5000")
    # 5,000 = 10 x n  ->  n = 500.
    assert (flat_affiliate.sales, flat_affiliate.exact) == (500, True)
    # 1,500 + 5 x n = 10 x n  ->  n = 300.
    assert (hybrid_affiliate.sales, hybrid_affiliate.exact) == (300, True)
    assert hybrid_affiliate.revenue == eur("15000")


def test_indifference_without_exact_equality_reports_the_crossing() -> None:
    # At EUR 49.90 an order pays 9.98: 5,000 / 9.98 = 501.002, so 501 orders cost
    # 4,999.98 (still cheaper than the flat fee) and 502 cost 5,009.96.
    crossing = indifference(CAMPAIGN, FLAT, AFFILIATE, point_forecast(order_value="49.90"))
    assert crossing.sales == 502
    assert not crossing.exact
    assert crossing.second_cost == eur("5009.96")


def test_no_break_even_within_the_limit_is_reported_not_raised() -> None:
    result = break_even(CAMPAIGN, flat("500000"), point_forecast(), max_sales=1000)
    assert result.sales is None
    assert "no number of orders up to 1,000" in result.reason


def test_pure_flat_fee_has_zero_cost_variance() -> None:
    (evaluation,) = simulate(CAMPAIGN, [FLAT], uncertain_forecast(), draws=500, seed=3)
    assert evaluation.cost_variance == 0
    assert evaluation.cost_p5 == evaluation.cost_p95 == eur("5000")
    assert evaluation.path is PricingPath.FIXED
    (affiliate,) = simulate(CAMPAIGN, [AFFILIATE], uncertain_forecast(), draws=500, seed=3)
    assert affiliate.cost_variance > 0


def test_the_risk_moves_from_brand_to_creator() -> None:
    flat_eval, hybrid_eval, affiliate_eval = simulate(
        CAMPAIGN, THREE, uncertain_forecast(), draws=2000, seed=11
    )
    assert flat_eval.loss_probability > hybrid_eval.loss_probability
    assert affiliate_eval.loss_probability == 0  # 20% < 55% margin: every order pays
    assert flat_eval.profit_p5 < hybrid_eval.profit_p5 < affiliate_eval.profit_p5
    assert flat_eval.cost_variance < hybrid_eval.cost_variance < affiliate_eval.cost_variance


CANDIDATE_RULES: list[tuple[Rule, ...]] = [
    (PercentRate(id="pct", rate="0.125"),),
    (FlatPerSale(id="flat", amount=eur("3.30")),),
    (PercentRate(id="pct", rate="0.15"), Cap(id="sale", scope=CapScope.SALE, amount=eur("8"))),
    (
        TieredRate(
            id="tiers",
            bands=[Band(start=0, rate="0.10"), Band(start=1000, rate="0.175")],
        ),
    ),
    (
        TieredRate(
            id="count",
            basis=TierBasis.COUNT,
            bands=[Band(start=0, rate="0.05"), Band(start=7, rate="0.2")],
        ),
        Cap(id="life", scope=CapScope.LIFETIME, amount=eur("150")),
    ),
    (PercentRate(id="pct", rate="0.1"), GuaranteedMinimum(id="min", amount=eur("120"))),
    (
        PercentRate(id="pct", rate="0.1"),
        ThresholdBonus(id="bonus", metric=TierBasis.COUNT, threshold=10, amount=eur("25")),
        NetworkFee(id="net", rate="0.3"),
    ),
    (
        TieredRate(
            id="volume",
            mode=TierMode.VOLUME,
            bands=[Band(start=0, rate="0.2"), Band(start=500, rate="0.1")],
        ),
    ),
]


def _candidate(rules: tuple[Rule, ...], with_fee: bool) -> Candidate:
    return Candidate(
        name="candidate",
        partner_id="lea",
        fees=[fee("99.99")] if with_fee else [],
        deal=deal(*rules),
    )


@settings(max_examples=40, deadline=None)
@given(
    rules=st.sampled_from(CANDIDATE_RULES),
    with_fee=st.booleans(),
    value=st.integers(min_value=0, max_value=20_000),
    counts=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=4),
)
def test_every_pricing_path_equals_a_direct_engine_run(
    rules: tuple[Rule, ...], with_fee: bool, value: int, counts: list[int]
) -> None:
    candidate = _candidate(rules, with_fee)
    order_value = Money.from_minor(value, "EUR")
    costs = cost_by_sales(CAMPAIGN, candidate, order_value, counts)
    for count, cost in zip(counts, costs, strict=True):
        volume = point_forecast().volume(count, value, 6000)
        assert cost == price_volume(CAMPAIGN, candidate, volume).cost


def test_pricing_paths_are_chosen_from_the_rules() -> None:
    paths = [_candidate(rules, False).path for rules in CANDIDATE_RULES]
    assert paths == [
        PricingPath.PER_SALE,
        PricingPath.PER_SALE,
        PricingPath.PER_SALE,
        PricingPath.PREFIX,
        PricingPath.PREFIX,
        PricingPath.PER_VOLUME,
        PricingPath.PER_VOLUME,
        PricingPath.PER_VOLUME,
    ]
    assert FLAT.path is PricingPath.FIXED


def test_guarantee_by_hand() -> None:
    # 10% of 100 x EUR 50 = 500 < 1,000 guaranteed: top-up 500, cost 1,000.
    # 10% of 300 x EUR 50 = 1,500 > 1,000: no top-up, cost 1,500.
    candidate = _candidate(
        (PercentRate(id="pct", rate="0.1"), GuaranteedMinimum(id="min", amount=eur("1000"))),
        False,
    )
    assert cost_by_sales(CAMPAIGN, candidate, eur("50"), [0, 100, 300]) == (
        eur("1000"),
        eur("1000"),
        eur("1500"),
    )


def test_simulated_costs_equal_direct_engine_runs_draw_by_draw() -> None:
    forecast = uncertain_forecast()
    candidates = [_candidate(rules, True) for rules in CANDIDATE_RULES[:5]]
    candidates = [attrs.evolve(c, name=f"c{i}") for i, c in enumerate(candidates)]
    evaluations = simulate(CAMPAIGN, candidates, forecast, draws=6, seed=5)
    for index, (sales, value, margin) in enumerate(forecast.draws(6, seed=5)):
        volume = forecast.volume(sales, value, margin)
        for candidate, evaluation in zip(candidates, evaluations, strict=True):
            expected = price_volume(CAMPAIGN, candidate, volume).cost
            assert evaluation.cost_draws[index] == expected.minor_units


def test_the_full_pipeline_from_events_gives_the_same_cost() -> None:
    # 12 orders of EUR 80 through touches, attribution and statements.
    events: list[Touch | Conversion] = []
    for index in range(12):
        instant = START + timedelta(hours=1 + index)
        events.append(
            Touch(
                id=f"t{index}",
                kind=TouchKind.CLICK,
                instant=instant,
                customer_key=f"c{index}",
                partner_id="lea",
            )
        )
        events.append(
            Conversion(
                id=f"o{index}",
                instant=instant + timedelta(minutes=5),
                customer_key=f"c{index}",
                revenue=eur("80"),
            )
        )
    setting = attrs.evolve(CAMPAIGN, fees=HYBRID.fees, deals=[HYBRID.deal])
    run = compute_statements(setting, events, as_of=CAMPAIGN.end - timedelta(microseconds=1))
    total = Money.sum((s.total_cost for s in run.statements), "EUR")
    assert total == eur("1596")  # 1,500 + 10% x 12 x 80
    assert cost_by_sales(CAMPAIGN, HYBRID, eur("80"), [12]) == (total,)


certain = st.builds(
    lambda views, ctr, value, margin: Forecast(
        currency="EUR",
        views=Triangular(low=views, mode=views, high=views),
        click_through_rate=Point(value=ctr),
        conversion_rate=Point(value="0.05"),
        order_value=Point(value=value),
        margin=Point(value=margin),
    ),
    st.integers(min_value=0, max_value=200_000),
    st.decimals(min_value=0, max_value=Decimal("0.05"), places=3),
    st.decimals(min_value=1, max_value=300, places=2),
    st.decimals(min_value=0, max_value=1, places=2),
)


@settings(max_examples=25, deadline=None)
@given(forecast=certain, seed=st.integers(min_value=0, max_value=1000))
def test_with_zero_variance_monte_carlo_equals_the_point_result(
    forecast: Forecast, seed: int
) -> None:
    result = compare(CAMPAIGN, THREE, forecast, draws=20, seed=seed, max_sales=500)
    for point, evaluation in zip(result.points, result.evaluations, strict=True):
        assert evaluation.expected_cost == evaluation.cost_p5 == evaluation.cost_p95 == point.cost
        assert evaluation.creator_earnings == point.creator_earnings
        assert evaluation.cost_variance == 0
        assert evaluation.expected_revenue == point.volume.revenue
        gross = point.volume.gross_profit
        # The evaluation rounds expectations half-even (its default), like any named mode.
        assert evaluation.expected_gross_profit == gross.round(rounding=Rounding.HALF_EVEN)
        profit = gross - point.cost
        if point.cost.amount > 0:
            assert evaluation.roi == Fraction(profit.amount) / Fraction(point.cost.amount)
            assert evaluation.roi == evaluation.roi_p5 == evaluation.roi_p95
        assert evaluation.loss_probability == (1 if profit.amount < 0 else 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), draws=st.integers(1, 300))
def test_percentiles_are_ordered_and_the_same_seed_gives_the_same_result(
    seed: int, draws: int
) -> None:
    first = simulate(CAMPAIGN, THREE, uncertain_forecast(), draws=draws, seed=seed)
    again = simulate(CAMPAIGN, THREE, uncertain_forecast(), draws=draws, seed=seed)
    assert first == again
    for evaluation in first:
        assert evaluation.cost_p5 <= evaluation.cost_p50 <= evaluation.cost_p95
        if evaluation.roi_p5 is not None:
            assert evaluation.roi_p50 is not None
            assert evaluation.roi_p95 is not None
            assert evaluation.roi_p5 <= evaluation.roi_p50 <= evaluation.roi_p95
        assert 0 <= evaluation.loss_probability <= 1


def test_candidate_order_does_not_change_an_evaluation() -> None:
    forward = simulate(CAMPAIGN, THREE, uncertain_forecast(), draws=300, seed=2)
    backward = simulate(CAMPAIGN, THREE[::-1], uncertain_forecast(), draws=300, seed=2)
    assert forward == backward[::-1]


def test_zero_sales_leave_roi_undefined_not_infinite() -> None:
    nothing = Forecast(
        currency="EUR",
        views=Point(value="0"),
        click_through_rate=Point(value="0.01"),
        conversion_rate=Point(value="0.01"),
        order_value=Point(value="50"),
        margin=Point(value="0.5"),
    )
    (evaluation,) = simulate(CAMPAIGN, [AFFILIATE], nothing, draws=10)
    assert evaluation.roi is None
    assert evaluation.roi_p50 is None
    assert evaluation.roi_undefined_draws == 10
    assert evaluation.loss_probability == 0


def test_candidates_that_cannot_be_priced_are_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"Candidate\.fees\[0\]\.partner_id"):
        Candidate(name="x", partner_id="lea", fees=[fee("10", partner="blog")])
    with pytest.raises(InvalidValueError, match="sale-based rules"):
        Candidate(name="x", partner_id="lea", deal=deal(PerClick(id="c", amount=eur("0.1"))))
    with pytest.raises(InvalidValueError, match="a fee or a deal"):
        Candidate(name="x", partner_id="lea")
    stranger = Candidate(name="x", partner_id="nobody", deal=deal(partner="nobody"))
    with pytest.raises(InvalidValueError, match="a partner of the campaign"):
        simulate(CAMPAIGN, [stranger], point_forecast(), draws=1)
    usd = Candidate(
        name="usd",
        partner_id="lea",
        fees=[attrs.evolve(fee("10"), amount=Money("10", "USD"))],
    )
    with pytest.raises(InvalidValueError, match="campaign currency EUR"):
        simulate(CAMPAIGN, [usd], point_forecast(), draws=1)
    with pytest.raises(InvalidValueError, match="distinct names"):
        simulate(CAMPAIGN, [FLAT, FLAT], point_forecast(), draws=1)
    with pytest.raises(InvalidValueError, match="draws"):
        simulate(CAMPAIGN, [FLAT], point_forecast(), draws=0)
