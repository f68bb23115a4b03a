"""Deal evaluation: flat fee, pure commission or hybrid, compared before signing.

Everything a user needs is importable from here::

    from hybridroi.evaluation import Candidate, Forecast, LogNormal, Beta, compare

Forecasts (what a partner will sell)
    :class:`Forecast` is the funnel of a partner or piece of content: views,
    click-through, conversion, order value, refunds and margin, each an
    estimate: a :class:`Point` value or a distribution (:class:`Triangular`,
    :class:`LogNormal`, :class:`Beta`, :class:`Empirical`). A scenario becomes
    a :class:`Volume` by one named rounding.

Candidates (what the brand could sign)
    :class:`Candidate`: fixed fees, a commission deal, or both, for one partner;
    :class:`PricingPath` says how the engine prices it fast.

Evaluation (priced by the commission engine itself)
    :func:`compare` answers the whole question in one call (a
    :class:`Comparison`): :func:`price_volume` at the point scenario
    (:class:`PricedVolume`), :func:`simulate` on Monte Carlo draws
    (:class:`DealEvaluation`), :func:`break_even` (:class:`BreakEven`) and
    :func:`indifference` (:class:`Indifference`); :func:`cost_by_sales` gives
    the cost curve.

Design (a deal to propose)
    :func:`match_flat_fee` finds a commission rate, or fee plus rate, matching
    a flat-fee quote (:class:`FlatFeeAlternatives`, :class:`Proposal`,
    :class:`RateTry`); :func:`split_budget` chooses partners within a budget
    (:class:`BudgetOption`, :class:`BudgetSplit`, :class:`Objective`).

Figures (the optional ``plot`` extra)
    :func:`cost_curves_figure` and :func:`roi_distributions_figure`; matplotlib
    is imported only when one is called.

The modules behind these names: :mod:`~hybridroi.evaluation.estimates`,
:mod:`~hybridroi.evaluation.forecast`, :mod:`~hybridroi.evaluation.candidates`,
:mod:`~hybridroi.evaluation.pricing` (the engine on synthetic sales, and its
exact shortcuts), :mod:`~hybridroi.evaluation.simulation` (Monte Carlo),
:mod:`~hybridroi.evaluation.thresholds` (break-even and indifference volumes),
:mod:`~hybridroi.evaluation.evaluate` (:func:`compare`),
:mod:`~hybridroi.evaluation.design` and :mod:`~hybridroi.evaluation.plots`.
"""

from hybridroi.evaluation.candidates import Candidate, PricingPath
from hybridroi.evaluation.design import (
    BudgetOption,
    BudgetSplit,
    FlatFeeAlternatives,
    Objective,
    Proposal,
    RateTry,
    match_flat_fee,
    split_budget,
)
from hybridroi.evaluation.estimates import Beta, Empirical, Estimate, LogNormal, Point, Triangular
from hybridroi.evaluation.evaluate import Comparison, compare
from hybridroi.evaluation.forecast import MARGIN_SCALE, Forecast, Volume
from hybridroi.evaluation.plots import cost_curves_figure, roi_distributions_figure
from hybridroi.evaluation.pricing import PricedVolume, cost_by_sales, price_volume
from hybridroi.evaluation.simulation import DealEvaluation, simulate
from hybridroi.evaluation.thresholds import BreakEven, Indifference, break_even, indifference

__all__ = [
    "MARGIN_SCALE",
    "Beta",
    "BreakEven",
    "BudgetOption",
    "BudgetSplit",
    "Candidate",
    "Comparison",
    "DealEvaluation",
    "Empirical",
    "Estimate",
    "FlatFeeAlternatives",
    "Forecast",
    "Indifference",
    "LogNormal",
    "Objective",
    "Point",
    "PricedVolume",
    "PricingPath",
    "Proposal",
    "RateTry",
    "Triangular",
    "Volume",
    "break_even",
    "compare",
    "cost_by_sales",
    "cost_curves_figure",
    "indifference",
    "match_flat_fee",
    "price_volume",
    "roi_distributions_figure",
    "simulate",
    "split_budget",
]
