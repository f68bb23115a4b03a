"""Monte Carlo evaluation: candidates priced by the engine on a forecast's scenarios.

:func:`simulate` draws the forecast's scenarios once and prices every candidate
on the same draws (common random numbers), through the engine's exact shortcuts
(:class:`~hybridroi.evaluation.pricing.Curve`); a :class:`DealEvaluation` holds
each candidate's expectations, percentiles and risks.

Money and statistics
    Costs and earnings per scenario are exact whole minor units from the
    engine. Expected values are exact fractions, rounded to :class:`Money`
    once with a named :class:`Rounding` mode. ROI is the exact ratio
    ``(expected gross profit - expected cost) / expected cost``; the ROI of
    each draw is exact too, and percentiles are nearest-rank (an actual draw).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import attrs

from hybridroi.core.checks import enum_member
from hybridroi.core.money import Money, Rounding
from hybridroi.core.rounding import round_minor
from hybridroi.domain.campaign import Campaign
from hybridroi.evaluation.candidates import Candidate, PricingPath, check_forecast
from hybridroi.evaluation.forecast import MARGIN_SCALE, Forecast, Scenario
from hybridroi.evaluation.pricing import Curve, curves_for

__all__ = ["DealEvaluation", "simulate"]


@attrs.frozen(kw_only=True)
class DealEvaluation:
    """A candidate under a forecast: Monte Carlo expectations, percentiles and risks.

    Money figures are expectations over the draws, rounded once with the
    evaluation's rounding mode. Ratios are exact fractions.

    Attributes:
        candidate: The candidate's name.
        path: How the engine priced the candidate's volumes.
        draws: Number of scenarios.
        seed: The seed of the draws.
        expected_sales: Mean kept orders per scenario.
        expected_revenue: Mean net revenue.
        expected_gross_profit: Mean of revenue x margin.
        fixed_cost: The fees, certain whatever the sales.
        expected_cost: Mean cost to the brand (fees, commissions, bonuses,
            top-ups, advances and network fees).
        expected_profit: ``expected_gross_profit - expected_cost``.
        roi: ``expected profit / expected cost``; None when the expected cost is 0.
        creator_earnings: Mean of what the partner is owed.
        cost_p5: 5th percentile of cost (nearest rank).
        cost_p50: Median cost.
        cost_p95: 95th percentile of cost.
        cost_variance: Variance of the cost, in squared minor units (exact).
        profit_p5: 5th percentile of the brand's profit: its downside.
        roi_p5: 5th percentile of ROI over the draws that cost something.
        roi_p50: Median ROI over those draws.
        roi_p95: 95th percentile of ROI over those draws.
        roi_undefined_draws: Draws that cost nothing, whose ROI is undefined.
        loss_probability: Share of draws where cost exceeds gross profit.
        cost_draws: Cost of every draw, in minor units, in draw order.
        profit_draws: Brand profit of every draw, in 1/10,000 of a minor unit.
    """

    candidate: str
    path: PricingPath = attrs.field(
        converter=enum_member(PricingPath)  # type: ignore[misc]
    )
    draws: int
    seed: int | str
    expected_sales: Fraction
    expected_revenue: Money
    expected_gross_profit: Money
    fixed_cost: Money
    expected_cost: Money
    expected_profit: Money
    roi: Fraction | None
    creator_earnings: Money
    cost_p5: Money
    cost_p50: Money
    cost_p95: Money
    cost_variance: Fraction
    profit_p5: Money
    roi_p5: Fraction | None
    roi_p50: Fraction | None
    roi_p95: Fraction | None
    roi_undefined_draws: int
    loss_probability: Fraction
    cost_draws: tuple[int, ...] = attrs.field(repr=False)
    profit_draws: tuple[int, ...] = attrs.field(repr=False)

    def roi_values(self) -> list[float]:
        """The ROI of each draw that cost something, as floats, for charts only.

        Returns:
            ``profit / cost`` per draw, in draw order, skipping draws that cost nothing.
        """
        return [
            profit / (cost * MARGIN_SCALE)
            for cost, profit in zip(self.cost_draws, self.profit_draws, strict=True)
            if cost > 0
        ]


def _rank(count: int, percent: int) -> int:
    """Nearest-rank index of the ``percent`` percentile among ``count`` sorted values."""
    return max(0, math.ceil(Fraction(percent, 100) * count) - 1)


def _exact_order(numerators: Sequence[int], denominators: Sequence[int]) -> list[int]:
    """Indices sorted by the exact value of numerator / denominator (denominators > 0)."""
    order = sorted(range(len(numerators)), key=lambda i: numerators[i] / denominators[i])
    result: list[int] = []
    # Floats of exact ratios are correctly rounded, hence monotone: only runs of equal
    # floats can be out of exact order, and those are re-sorted exactly.
    for _, run in itertools.groupby(order, key=lambda i: numerators[i] / denominators[i]):
        group = list(run)
        if len(group) > 1:
            group.sort(key=lambda i: Fraction(numerators[i], denominators[i]))
        result.extend(group)
    return result


def to_money(value: Fraction, currency: str, rounding: Rounding) -> Money:
    """An exact amount of minor units (an expectation) as money, rounded once.

    Args:
        value: The exact amount, in minor units.
        currency: Its currency.
        rounding: The named rounding mode.

    Returns:
        The rounded amount.
    """
    return Money.from_minor(round_minor(value, rounding=rounding), currency)


def _summarize(
    curve: Curve,
    volumes: Sequence[Scenario],
    seed: int | str,
    currency: str,
    rounding: Rounding,
) -> DealEvaluation:
    at = curve.at
    costs: list[int] = []
    earnings: list[int] = []
    profits: list[int] = []
    gross_total = 0
    for sales, value, margin, new in volumes:
        cost, earned = at(sales, value, new)
        gross = sales * value * margin
        gross_total += gross
        costs.append(cost)
        earnings.append(earned)
        profits.append(gross - cost * MARGIN_SCALE)
    count = len(volumes)
    cost_total = sum(costs)
    expected_cost = Fraction(cost_total, count)
    expected_gross = Fraction(gross_total, count * MARGIN_SCALE)
    expected_profit = expected_gross - expected_cost
    sorted_costs = sorted(costs)
    costed = [index for index in range(count) if costs[index] > 0]
    roi_order = _exact_order(
        [profits[i] for i in costed], [costs[i] * MARGIN_SCALE for i in costed]
    )

    def roi_at(percent: int) -> Fraction | None:
        if not costed:
            return None
        index = costed[roi_order[_rank(len(costed), percent)]]
        return Fraction(profits[index], costs[index] * MARGIN_SCALE)

    sorted_profits = sorted(profits)
    square_total = sum(cost * cost for cost in costs)
    return DealEvaluation(
        candidate=curve.candidate.name,
        path=curve.path,
        draws=count,
        seed=seed,
        expected_sales=Fraction(sum(volume[0] for volume in volumes), count),
        expected_revenue=to_money(
            Fraction(sum(volume[0] * volume[1] for volume in volumes), count), currency, rounding
        ),
        expected_gross_profit=to_money(expected_gross, currency, rounding),
        fixed_cost=Money.from_minor(curve.fixed[0], currency),
        expected_cost=to_money(expected_cost, currency, rounding),
        expected_profit=to_money(expected_profit, currency, rounding),
        roi=expected_profit / expected_cost if expected_cost > 0 else None,
        creator_earnings=to_money(Fraction(sum(earnings), count), currency, rounding),
        cost_p5=Money.from_minor(sorted_costs[_rank(count, 5)], currency),
        cost_p50=Money.from_minor(sorted_costs[_rank(count, 50)], currency),
        cost_p95=Money.from_minor(sorted_costs[_rank(count, 95)], currency),
        cost_variance=Fraction(square_total, count) - expected_cost * expected_cost,
        profit_p5=to_money(
            Fraction(sorted_profits[_rank(count, 5)], MARGIN_SCALE), currency, rounding
        ),
        roi_p5=roi_at(5),
        roi_p50=roi_at(50),
        roi_p95=roi_at(95),
        roi_undefined_draws=count - len(costed),
        loss_probability=Fraction(sum(1 for profit in profits if profit < 0), count),
        cost_draws=tuple(costs),
        profit_draws=tuple(profits),
    )


def simulate(
    campaign: Campaign,
    candidates: Sequence[Candidate],
    forecast: Forecast,
    *,
    draws: int = 10_000,
    seed: int | str = 0,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> tuple[DealEvaluation, ...]:
    """Monte Carlo evaluation of candidates on the same scenarios.

    Every candidate is priced on the same draws (common random numbers), so
    the differences between candidates come from the deals, not from luck.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        candidates: The deals to compare (distinct names).
        forecast: The funnel and its uncertainty, in the campaign currency.
        draws: Number of scenarios.
        seed: Seed of ``random.Random``; the same seed gives the same result.
        rounding: How expectations become :class:`Money`.

    Returns:
        One evaluation per candidate, in the given order.

    Raises:
        InvalidValueError: On a candidate that cannot be priced in the campaign,
            a forecast in another currency or a non-positive number of draws.
    """
    check_forecast(campaign, forecast)
    return simulate_curves(curves_for(campaign, candidates), forecast, draws, seed, rounding)


def simulate_curves(
    curves: Sequence[Curve], forecast: Forecast, draws: int, seed: int | str, rounding: Rounding
) -> tuple[DealEvaluation, ...]:
    """Monte Carlo evaluation of prepared curves on the same scenarios (see :func:`simulate`).

    Args:
        curves: One curve per candidate, sharing their synthetic sales.
        forecast: The funnel and its uncertainty, already checked against the campaign.
        draws: Number of scenarios.
        seed: Seed of ``random.Random``.
        rounding: How expectations become :class:`Money`.

    Returns:
        One evaluation per curve, in the given order.

    Raises:
        InvalidValueError: If a candidate pays by customer and the forecast has no
            share of new customers, or the number of draws is not positive.
    """
    modelled = forecast.new_customer_share is not None
    for curve in curves:
        curve.candidate.require_new_customers(modelled, "Forecast.new_customer_share")
    volumes = forecast.scenarios(draws, seed)
    wanted = [(sales, value, new) for sales, value, _, new in volumes]
    for curve in curves:
        curve.prepare(wanted)
    return tuple(_summarize(curve, volumes, seed, forecast.currency, rounding) for curve in curves)
