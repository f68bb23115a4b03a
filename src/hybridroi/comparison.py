"""Attribution models side by side: what changing the model would cost, before it is paid.

:func:`compare_models` runs a campaign once per attribution model (each replacing the
model of the campaign's policy) and sets the figures of each partner side by side:
credited conversions, attributed revenue, commissions, cost and ROI. The analyst sees
what a data-driven model (:mod:`hybridroi.attribution.markov`,
:mod:`hybridroi.attribution.shapley`) would pay each partner against last click, and
:func:`comparison_figure` draws it (the optional ``plot`` extra).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, minor_unit
from hybridroi.core.periods import Period, PeriodKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.policy import AttributionModel, CustomModel
from hybridroi.events.records import Event
from hybridroi.events.stats import ContentStats
from hybridroi.files.channel_frames import shown_fraction
from hybridroi.files.events import LoadedEvents
from hybridroi.files.frames import KPI_PLACES, _Columns, _converter, _exact_decimals, _text
from hybridroi.pipeline import RunResult, events_of, run, stats_of
from hybridroi.report.kpis import Kpi
from hybridroi.report.records import ReportRow
from hybridroi.report.report import GrossMargin

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ComparedRow",
    "ModelComparison",
    "compare_models",
    "comparison_figure",
    "comparison_table",
]


@attrs.frozen(kw_only=True)
class ComparedRow:
    """One partner's figures (or the whole campaign's) under one attribution model.

    Attributes:
        model: The name the model was given in :func:`compare_models`.
        partner_id: The partner, or None for the whole campaign.
        conversions: Credited conversions (exact shares summed).
        revenue: Attributed net revenue: credited sales minus credited refunds.
        commissions: Commissions, net of reversals and clawbacks.
        cost: Everything the row cost: fees, commissions, bonuses, guarantees,
            draws, network fees, extra costs.
        roi: ``(gross profit - cost) / cost``, undefined without a margin or a cost.
    """

    model: str
    partner_id: str | None
    conversions: Fraction
    revenue: Money
    commissions: Money
    cost: Money
    roi: Kpi


@attrs.frozen(kw_only=True)
class ModelComparison:
    """The same campaign and events priced under several attribution models, side by side.

    Attributes:
        models: The models' names, in the order given.
        rows: For each partner (by id), then the whole campaign, one row per model
            in the order given.
        unattributed: The number of conversions credited to no partner, per model.
        runs: The full run of each model, by name (statements, report, problems).
    """

    models: tuple[str, ...]
    rows: tuple[ComparedRow, ...]
    unattributed: tuple[tuple[str, int], ...]
    runs: tuple[tuple[str, RunResult], ...]

    def run_of(self, model: str) -> RunResult:
        """The run under the model named ``model``.

        Raises:
            InvalidValueError: If no model has that name.
        """
        for name, result in self.runs:
            if name == model:
                return result
        raise InvalidValueError("model", model, "one of " + ", ".join(self.models))


def _compared(model: str, partner_id: str | None, row: ReportRow) -> ComparedRow:
    figures = row.figures
    return ComparedRow(
        model=model,
        partner_id=partner_id,
        conversions=figures.conversions,
        revenue=figures.revenue,
        commissions=figures.costs.commissions,
        cost=figures.cost,
        roi=row.kpis.roi,
    )


def compare_models(
    campaign: Campaign,
    events: Iterable[Event] | LoadedEvents,
    models: Mapping[str, AttributionModel | CustomModel],
    *,
    as_of: datetime,
    stats: Iterable[ContentStats] = (),
    margin: GrossMargin | Decimal | str | None = None,
    window: Period | tuple[datetime, datetime] | None = None,
    period: PeriodKind = PeriodKind.MONTH,
) -> ModelComparison:
    """Price a campaign under each attribution model and set the figures side by side.

    Each model replaces the model of the campaign's policy (windows, promo-code
    precedence and de-duplication stay as they are) for one :func:`run`; the
    rows show what changing the model would move: credited conversions,
    revenue, commissions, cost and ROI per partner, before any of it is paid.

    Args:
        campaign: The campaign.
        events: Its events, as for :func:`run`.
        models: The models to compare, by a name of the caller's choice
            (``{"last click": LastTouch(), "markov": fit.to_model(...)}``).
        as_of: The instant to compute as of (timezone-aware).
        stats: Content statistics, as for :func:`run`.
        margin: Gross margin, as for :func:`run` (ROI is undefined without one).
        window: The report's window, as for :func:`run`.
        period: The report's period breakdown, as for :func:`run`.

    Returns:
        The comparison, with each model's full run.

    Raises:
        InvalidValueError: If no model is given, a name is empty, or a model is
            not one (see :class:`~hybridroi.domain.policy.AttributionPolicy`).
    """
    if not isinstance(models, Mapping) or not models:
        raise InvalidValueError("models", models, "a mapping of at least one name to a model")
    base = campaign.attribution
    records: Iterable[Event] | LoadedEvents = (
        events if isinstance(events, LoadedEvents) else events_of(events)
    )
    statistics = stats_of(stats)
    runs: list[tuple[str, RunResult]] = []
    for name, model in models.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidValueError("models", name, "a non-empty name for each model")
        policy = attrs.evolve(base, model=model)
        runs.append(
            (
                name,
                run(
                    campaign,
                    records,
                    as_of=as_of,
                    stats=statistics,
                    margin=margin,
                    window=window,
                    policy=policy,
                    period=period,
                ),
            )
        )
    partners = sorted({row.key for _, result in runs for row in result.report.by_partner})
    rows: list[ComparedRow] = []
    for partner_id in partners:
        for name, result in runs:
            found = {row.key: row for row in result.report.by_partner}
            row = found.get(partner_id)
            if row is not None:
                rows.append(_compared(name, partner_id, row))
    rows.extend(_compared(name, None, result.report.total) for name, result in runs)
    return ModelComparison(
        models=tuple(name for name, _ in runs),
        rows=tuple(rows),
        unattributed=tuple((name, len(result.attribution.unattributed)) for name, result in runs),
        runs=tuple(runs),
    )


def comparison_table(comparison: ModelComparison, *, to: str = "arrow") -> Any:
    """The comparison as a table: one row per (partner, model), then the campaign's.

    Columns: ``model``, ``partner_id`` (null for the whole campaign), ``currency``,
    ``conversions`` (exact numerator and denominator, and rounded for reading),
    ``revenue_minor``, ``commissions_minor`` and ``cost_minor`` (integer minor
    units), and ``roi`` (numerator, denominator and rounded; null when undefined),
    with the conventions of :mod:`hybridroi.files.frames`.

    Args:
        comparison: What :func:`compare_models` returned.
        to: ``"arrow"``, ``"pandas"`` or ``"polars"``.

    Returns:
        The table, in the order of ``comparison.rows``.

    Raises:
        InvalidValueError: If ``to`` is not one of its values.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "comparison_table")
    rows = comparison.rows
    currencies = {row.revenue.currency for row in rows}
    places = max((minor_unit(code) for code in currencies), default=0)
    columns = _Columns(decimals=False, places=places)
    columns["model"] = _text([row.model for row in rows])
    columns["partner_id"] = _text([row.partner_id for row in rows])
    columns["currency"] = _text([row.revenue.currency for row in rows])
    columns.fractions("conversions", [row.conversions for row in rows])
    columns["conversions"] = _exact_decimals(
        [shown_fraction(row.conversions) for row in rows], KPI_PLACES
    )
    columns.money("revenue", [row.revenue for row in rows])
    columns.money("commissions", [row.commissions for row in rows])
    columns.money("cost", [row.cost for row in rows])
    columns.fractions("roi", [row.roi.value for row in rows])
    columns["roi"] = _exact_decimals([shown_fraction(row.roi.value) for row in rows], KPI_PLACES)
    return deliver(columns.table())


_MEASURES = {
    "conversions": "credited conversions",
    "revenue": "attributed net revenue",
    "commissions": "commissions",
    "cost": "cost",
}


def _number(row: ComparedRow, measure: str) -> float:
    # A figure's bar height only: every figure itself stays exact in the rows.
    value = getattr(row, measure)
    return float(value.amount if isinstance(value, Money) else value)


def comparison_figure(
    comparison: ModelComparison, *, measures: Iterable[str] = ("revenue", "commissions")
) -> Figure:
    """Bars of each partner's figures under each model, one panel per measure.

    Args:
        comparison: What :func:`compare_models` returned.
        measures: The figures to draw, among ``"conversions"``, ``"revenue"``,
            ``"commissions"`` and ``"cost"``.

    Returns:
        A :class:`matplotlib.figure.Figure` (the optional ``plot`` extra), built
        without ``pyplot``.

    Raises:
        InvalidValueError: If a measure is not one of those.
    """
    chosen = list(measures)
    if not chosen or any(measure not in _MEASURES for measure in chosen):
        raise InvalidValueError("measures", chosen, "some of " + ", ".join(_MEASURES))
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency, loaded on use
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hybridroi's figures need matplotlib: pip install 'hybridroi[plot]'"
        ) from error
    partners = sorted({row.partner_id for row in comparison.rows if row.partner_id is not None})
    models = comparison.models
    figure = Figure(figsize=(9, 2.6 + 2.4 * len(chosen)), layout="constrained")
    panels = figure.subplots(len(chosen), 1, squeeze=False)
    width = 0.8 / len(models)
    by_key = {(row.model, row.partner_id): row for row in comparison.rows}
    currency = next(iter(comparison.rows)).revenue.currency if comparison.rows else ""
    for (axes,), measure in zip(panels, chosen, strict=True):
        for index, model in enumerate(models):
            heights = [
                _number(by_key[(model, partner)], measure) if (model, partner) in by_key else 0.0
                for partner in partners
            ]
            positions = [p + (index - (len(models) - 1) / 2) * width for p in range(len(partners))]
            axes.bar(positions, heights, width=width, label=model)
        unit = "" if measure == "conversions" else f" ({currency})"
        axes.set_ylabel(f"{_MEASURES[measure]}{unit}")
        axes.set_xticks(range(len(partners)), partners, rotation=30, ha="right")
        axes.grid(axis="y", alpha=0.3)
    panels[0][0].set_title(f"{comparison.models[0]} against the other models, by partner")
    panels[0][0].legend(title="model", loc="best")
    return figure
