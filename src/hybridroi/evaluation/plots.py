"""Figures for deal evaluation (the optional ``plot`` extra: ``pip install hybridroi[plot]``).

Each function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``: nothing is shown and no global figure state is touched, so the
figures are safe in notebooks, scripts and servers alike. matplotlib is
imported only when a function is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.evaluation.candidates import Candidate
from hybridroi.evaluation.evaluate import Comparison
from hybridroi.evaluation.pricing import cost_by_sales
from hybridroi.evaluation.simulation import DealEvaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["cost_curves_figure", "roi_distributions_figure"]


def _figure() -> Figure:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - an optional dependency, loaded on use
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hybridroi's figures need matplotlib: pip install 'hybridroi[plot]'"
        ) from error
    return Figure(figsize=(9, 5), layout="constrained")


def cost_curves_figure(
    campaign: Campaign,
    candidates: Sequence[Candidate],
    comparison: Comparison,
    *,
    max_sales: int | None = None,
    points: int = 200,
) -> Figure:
    """Cost against sales volume for each deal, with break-even and indifference points.

    Costs come from the commission engine at each number of orders (of the
    comparison's point order value). The brand's gross profit is drawn too:
    a deal breaks even where its cost line meets it.

    Args:
        campaign: The campaign the comparison was made in.
        candidates: The candidates of the comparison, in the same order.
        comparison: The result of :func:`~hybridroi.evaluation.compare`.
        max_sales: The right end of the volume axis; by default past every
            marked point and twice the point forecast's orders.
        points: Roughly how many volumes to price per deal.

    Returns:
        The figure.

    Raises:
        InvalidValueError: If the candidates are not those of the comparison.
    """
    names = [candidate.name for candidate in candidates]
    if names != [evaluation.candidate for evaluation in comparison.evaluations]:
        raise InvalidValueError("candidates", names, "the candidates of the comparison, in order")
    volume = comparison.volume
    marked = [even.sales for even in comparison.break_evens if even.sales is not None]
    marked += [cross.sales for cross in comparison.indifferences if cross.sales is not None]
    end = max_sales or max([2 * volume.sales, *marked, 10]) * 5 // 4
    step = max(1, end // points)
    sales = list(range(0, end + 1, step))
    figure = _figure()
    axes = figure.add_subplot()
    gross = [float(volume.gross_profit.amount) * count / max(volume.sales, 1) for count in sales]
    if volume.sales:
        axes.plot(sales, gross, linestyle="--", color="grey", label="gross profit")
    for candidate in candidates:
        costs = cost_by_sales(
            campaign, candidate, volume.order_value, sales, forecast=comparison.forecast
        )
        axes.plot(sales, [float(cost.amount) for cost in costs], label=candidate.name)
    for even in comparison.break_evens:
        if even.sales is not None:
            axes.plot([even.sales], [float(even.cost.amount)], marker="o", color="black")
            axes.annotate(
                f"break-even {even.sales:,}",
                (even.sales, float(even.cost.amount)),
                textcoords="offset points",
                xytext=(4, -12),
                fontsize=8,
            )
    for cross in comparison.indifferences:
        if cross.sales is not None and cross.first_cost is not None:
            axes.plot([cross.sales], [float(cross.first_cost.amount)], marker="D", color="red")
            axes.annotate(
                f"{cross.first} = {cross.second} at {cross.sales:,}",
                (cross.sales, float(cross.first_cost.amount)),
                textcoords="offset points",
                xytext=(4, 6),
                fontsize=8,
            )
    axes.axvline(volume.sales, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel(f"orders kept (of {volume.order_value} each)")
    axes.set_ylabel(f"cost to the brand ({volume.order_value.currency})")
    axes.set_title("Cost by sales volume")
    axes.legend()
    return figure


def roi_distributions_figure(evaluations: Sequence[DealEvaluation]) -> Figure:
    """ROI distributions of the deals side by side (box: quartiles; whiskers: P5 to P95).

    Args:
        evaluations: Monte Carlo evaluations (for example ``comparison.evaluations``).

    Returns:
        The figure; a deal whose draws never cost anything is shown empty.
    """
    figure = _figure()
    axes = figure.add_subplot()
    data = [evaluation.roi_values() or [0.0] for evaluation in evaluations]
    axes.boxplot(data, whis=(5, 95), showfliers=False)
    axes.set_xticks(
        range(1, len(evaluations) + 1), [evaluation.candidate for evaluation in evaluations]
    )
    axes.axhline(0, color="red", linewidth=0.8)
    for index, evaluation in enumerate(evaluations, start=1):
        if evaluation.roi is not None:
            axes.plot([index], [float(evaluation.roi)], marker="^", color="black")
    axes.set_ylabel("ROI = (gross profit - cost) / cost")
    axes.set_title(
        f"ROI over {evaluations[0].draws:,} draws (whiskers P5-P95, triangle: expected ROI)"
        if evaluations
        else "ROI"
    )
    return figure
