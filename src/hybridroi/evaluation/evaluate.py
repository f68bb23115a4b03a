"""The brand's question before signing, answered in one call: :func:`compare`.

:func:`compare` checks the candidates and the forecast once, then gathers what
the other modules compute on the same engine runs:

* :mod:`~hybridroi.evaluation.candidates`: the deals and their checks;
* :mod:`~hybridroi.evaluation.pricing`: each candidate priced by the
  commission engine at the point scenario, with its lines;
* :mod:`~hybridroi.evaluation.simulation`: Monte Carlo on common draws;
* :mod:`~hybridroi.evaluation.thresholds`: break-even volumes and the volumes
  at which two deals cost the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import attrs

from hybridroi.core.money import Rounding
from hybridroi.core.problems import Problem
from hybridroi.domain.campaign import Campaign
from hybridroi.evaluation.candidates import Candidate, check_forecast
from hybridroi.evaluation.forecast import Forecast, Volume
from hybridroi.evaluation.pricing import PricedVolume, curves_for, price_volume, splitter
from hybridroi.evaluation.simulation import DealEvaluation, simulate_curves
from hybridroi.evaluation.thresholds import (
    BreakEven,
    Indifference,
    curve_break_even,
    curve_indifference,
)

__all__ = ["Comparison", "compare"]


@attrs.frozen(kw_only=True)
class Comparison:
    """Candidates compared on one forecast: point results, Monte Carlo and crossings.

    Attributes:
        volume: The point scenario (every estimate at its mean).
        points: Each candidate priced by the engine at the point scenario, with its lines.
        evaluations: Monte Carlo evaluation of each candidate (same draws for all).
        break_evens: Break-even volume of each candidate at the point order value.
        indifferences: For every pair of candidates, where they cost the same.
        problems: Problems the engine reported while pricing.
        forecast: The forecast compared on.
    """

    volume: Volume
    points: tuple[PricedVolume, ...]
    evaluations: tuple[DealEvaluation, ...]
    break_evens: tuple[BreakEven, ...]
    indifferences: tuple[Indifference, ...]
    problems: tuple[Problem, ...]
    forecast: Forecast

    def evaluation(self, name: str) -> DealEvaluation:
        """The Monte Carlo evaluation of the candidate called ``name``.

        Raises:
            KeyError: If there is none.
        """
        for evaluation in self.evaluations:
            if evaluation.candidate == name:
                return evaluation
        raise KeyError(name)


def compare(
    campaign: Campaign,
    candidates: Sequence[Candidate],
    forecast: Forecast,
    *,
    draws: int = 10_000,
    seed: int | str = 0,
    rounding: Rounding = Rounding.HALF_EVEN,
    max_sales: int = 100_000,
) -> Comparison:
    """Everything a brand asks before signing: point, Monte Carlo, break-even, indifference.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        candidates: The deals to compare (distinct names).
        forecast: The funnel and its uncertainty, in the campaign currency.
        draws: Number of Monte Carlo scenarios.
        seed: Seed of the scenarios.
        rounding: How expectations become :class:`Money`.
        max_sales: The search limit for break-even and indifference volumes.

    Returns:
        The comparison.

    Raises:
        InvalidValueError: On a candidate that cannot be priced in the campaign,
            a forecast in another currency, or a candidate that pays by customer
            (a ``CustomerIs`` condition) with a forecast that does not model the
            share of new customers.
    """
    check_forecast(campaign, forecast)
    curves = curves_for(campaign, candidates)
    evaluations = simulate_curves(curves, forecast, draws, seed, rounding)
    split = splitter(forecast)
    volume = forecast.expected_volume()
    points = tuple(price_volume(campaign, candidate, volume) for candidate in candidates)
    problems: list[Problem] = []
    for point in points:
        problems.extend(problem for problem in point.problems if problem not in problems)
    return Comparison(
        volume=volume,
        points=points,
        evaluations=evaluations,
        break_evens=tuple(
            curve_break_even(curve, volume, max_sales, rounding, split) for curve in curves
        ),
        indifferences=tuple(
            curve_indifference(one, two, volume, max_sales, split)
            for one, two in itertools.combinations(curves, 2)
        ),
        problems=tuple(problems),
        forecast=forecast,
    )
