from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.evaluation.example import (
    CAMPAIGN,
    deal,
    eur,
    fee,
    flat,
    point_forecast,
    uncertain_forecast,
)

from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.rules import PercentRate
from hybridroi.evaluation import (
    BudgetOption,
    Candidate,
    Objective,
    match_flat_fee,
    simulate,
    split_budget,
)


def test_point_forecast_rate_matching_a_flat_fee_by_hand() -> None:
    # Revenue 9,000: 5,000 / 9,000 = 55.6%, so 55.6% is the first rate on the 0.1% grid
    # that reaches it (55.5% x 9,000 = 4,995 < 5,000 <= 5,004 = 55.6% x 9,000).
    # With EUR 1,500 fixed: 3,500 / 9,000 = 38.9% -> 38.9% pays 1,500 + 3,501 = 5,001.
    result = match_flat_fee(CAMPAIGN, flat(), point_forecast(), fixed_fees=[eur("1500")], draws=20)
    pure, hybrid = result.proposals
    assert pure.rate == Decimal("0.556")
    assert pure.evaluation.creator_earnings == eur("5004")
    assert hybrid.rate == Decimal("0.389")
    assert hybrid.evaluation.creator_earnings == eur("5001")
    assert hybrid.candidate.name == "EUR 1,500.00 + 38.9%"
    assert pure.tries[0].rate == 1
    assert len(pure.tries) <= 12  # bisection over 1,000 grid points
    assert result.unreachable == ()


def test_matched_deals_pay_the_creator_as_much_and_cut_the_brand_downside() -> None:
    result = match_flat_fee(
        CAMPAIGN,
        flat(),
        uncertain_forecast(),
        fixed_fees=[eur("1500")],
        rate_step="0.005",
        draws=1000,
        seed=4,
    )
    assert result.quote.creator_earnings == eur("5000")
    for proposal in result.proposals:
        assert proposal.evaluation.creator_earnings >= eur("5000")
        assert proposal.lowers_downside
        assert proposal.evaluation.profit_p5 > result.quote.profit_p5
        assert "creator expects" in proposal.reason


def test_a_fixed_part_above_the_quote_is_reported_unreachable_or_trivial() -> None:
    result = match_flat_fee(CAMPAIGN, flat("100"), point_forecast(), draws=5)
    assert result.proposals[0].rate == Decimal("0.012")  # 1.2% x 9,000 = 108 >= 100
    tiny = match_flat_fee(CAMPAIGN, flat("20000"), point_forecast(), draws=5)
    assert tiny.proposals == ()
    assert "100%" in tiny.unreachable[0]


def test_match_flat_fee_refuses_a_quote_with_commission() -> None:
    hybrid = Candidate(
        name="hybrid", partner_id="lea", fees=[fee("10")], deal=deal(PercentRate(id="r", rate=1))
    )
    with pytest.raises(InvalidValueError, match="fees only"):
        match_flat_fee(CAMPAIGN, hybrid, point_forecast())
    with pytest.raises(InvalidValueError, match="rate step"):
        match_flat_fee(CAMPAIGN, flat(), point_forecast(), rate_step="0")


@settings(max_examples=15, deadline=None)
@given(low=st.integers(min_value=0, max_value=999), high=st.integers(min_value=0, max_value=999))
def test_creator_earnings_never_fall_when_the_rate_rises(low: int, high: int) -> None:
    low, high = sorted((low, high))

    def earnings(thousandths: int) -> Fraction:
        candidate = Candidate(
            name="c",
            partner_id="lea",
            deal=deal(PercentRate(id="r", rate=Decimal(thousandths) / 1000)),
        )
        (evaluation,) = simulate(CAMPAIGN, [candidate], uncertain_forecast(), draws=40, seed=1)
        return Fraction(evaluation.creator_earnings.amount)

    assert earnings(low) <= earnings(high)


def _affiliate(name: str, partner: str, rate: str) -> Candidate:
    return Candidate(
        name=name, partner_id=partner, deal=deal(PercentRate(id="r", rate=rate), partner=partner)
    )


OPTIONS = [
    # Lea: fee 2,000 for 180 x 50 x 60% = 5,400 gross profit: profit 3,400, ROI 1.7.
    BudgetOption(candidate=flat("2000"), forecast=point_forecast()),
    # Deals site: 30% of 9,000 = 2,700 for 5,400: profit 2,700, ROI 1.
    BudgetOption(candidate=_affiliate("deals", "deals-site", "0.30"), forecast=point_forecast()),
    # Blog: 10% of 180 x 20 = 360 for 180 x 20 x 60% = 2,160: profit 1,800, ROI 5.
    BudgetOption(
        candidate=_affiliate("blog", "blog", "0.10"), forecast=point_forecast(order_value="20")
    ),
]


def test_budget_split_by_hand() -> None:
    best_roi = split_budget(CAMPAIGN, eur("2500"), OPTIONS, draws=10)
    # Within 2,500: {blog} ROI 5; {Lea, blog} costs 2,360, profit 5,200, ROI 2.2;
    # {Lea} ROI 1.7. The deals site alone costs 2,700: over the budget, like any
    # combination that holds it.
    assert best_roi.chosen == ("blog",)
    assert best_roi.roi == 5
    assert best_roi.combinations == 7
    assert best_roi.within_budget == 3  # {Lea}, {blog}, {Lea, blog}
    assert "exhaustive search over all 7" in best_roi.how
    best_profit = split_budget(CAMPAIGN, eur("2500"), OPTIONS, objective=Objective.PROFIT, draws=10)
    assert best_profit.chosen == ("EUR 2000 flat", "blog")
    assert best_profit.expected_profit == eur("5200")
    assert best_profit.fixed_fees == eur("2000")
    assert best_profit.expected_commissions == eur("360")
    assert best_profit.roi == Fraction(5200, 2360)


def test_budget_split_does_not_depend_on_the_order_of_options() -> None:
    forward = split_budget(CAMPAIGN, eur("3000"), OPTIONS, draws=10)
    backward = split_budget(CAMPAIGN, eur("3000"), OPTIONS[::-1], draws=10)
    assert forward == backward


def test_nothing_fits_a_tiny_budget() -> None:
    result = split_budget(CAMPAIGN, eur("1"), OPTIONS, draws=10)
    assert result.chosen == ()
    assert result.roi is None
    assert "no combination fits" in result.how
