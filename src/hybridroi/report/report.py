"""The blended ROI report: everything a campaign cost against what it earned.

:func:`build_report` is a pure function of the campaign, a statement run (which
carries the checked events it was priced from) and the content statistics. It
returns a :class:`Report` whose figures all reconcile:

* **cost** = fixed fees + commissions net of reversals + bonuses + guarantee
  top-ups + draws net of recoveries + network fees (every statement line whose
  ``earned_at`` falls in the window; partner pay from the ledger's entries
  instead when they are given) + extra costs incurred in the window;
* **revenue** = the credited part of each sale's net revenue, minus the
  credited part of each refund made by ``as_of`` (split between the partners
  in the shares the sale was credited). A refund is booked with its sale, in
  the sale's period and window: the commission engine reprices the sale's line
  in the sale's period, so the revenue a refund takes away lands where the
  commission it takes away does, and each period's revenue matches its cost;
* **gross profit** = revenue x gross margin (per sale, per product category or
  for the whole campaign: see :class:`GrossMargin`), kept exact.

Conversions credited to no partner are counted apart, in
:class:`UnattributedSales`: they belong to no row.

Every breakdown (partner, platform, format, period, leg) partitions these
figures: the rows of one breakdown add up to the total. A cost that belongs to
several pieces of content (a fee for a partner who published three videos) is
split between them with :func:`hybridroi.core.allocation.allocate`.

Amounts in another currency are converted at the rate in force at their
instant (a refund at its sale's rate) and rounded half-up, once per amount.
A missing rate is reported as a :class:`Problem`, never guessed.

Each row adds the exact shares of the sales and refunds credited to it (a
third of 50.00 is 50/3, not 16.67) and is rounded once: the total of a
breakdown is rounded, then split between its rows by largest remainder, so the
rows add up to the total and each is within one minor unit of its exact sum,
whatever the order of the partners' ids. Gross profit is settled the same way,
at the decimal places of the exact gross profits it adds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, to_decimal
from hybridroi.core.periods import Period, PeriodKind
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.events.stats import ContentStats
from hybridroi.ledger.entries import LedgerEntry
from hybridroi.report.assists import assisted_sales
from hybridroi.report.breakdowns import breakdown, rank, unattributed_sales
from hybridroi.report.costs import add_costs
from hybridroi.report.engagement import add_clicks, add_contents
from hybridroi.report.incrementality import Holdout, Incrementality, incrementality
from hybridroi.report.margin import GrossMargin
from hybridroi.report.records import (
    COST_COMPONENTS,
    NO_CONTENT,
    UNASSIGNED,
    AssistedSale,
    Costs,
    Dimension,
    Figures,
    Kpis,
    Leg,
    Report,
    ReportRow,
    UnattributedSales,
)
from hybridroi.report.revenue import add_revenue
from hybridroi.report.tally import RowTotals, Tally, batch_of
from hybridroi.statements.lines import StatementRun

__all__ = [
    "COST_COMPONENTS",
    "NO_CONTENT",
    "UNASSIGNED",
    "AssistedSale",
    "Costs",
    "Dimension",
    "Figures",
    "GrossMargin",
    "Kpis",
    "Leg",
    "Report",
    "ReportRow",
    "UnattributedSales",
    "build_report",
    "compare_campaigns",
]


def build_report(
    campaign: Campaign,
    run: StatementRun,
    *,
    stats: Iterable[ContentStats] = (),
    margin: GrossMargin | Decimal | str | None = None,
    window: Period | tuple[datetime, datetime] | None = None,
    holdout: Holdout | None = None,
    ltv: Money | None = None,
    period: PeriodKind = PeriodKind.MONTH,
    ledger_entries: Iterable[LedgerEntry] | None = None,
) -> Report:
    """Build the blended ROI report of a campaign.

    The report reads the sales, refunds and touches from ``run.batch``, the
    checked events the run was priced from, so it counts exactly what the
    statements were priced from and checks nothing again; its problems are the
    run's, then those the report finds (missing rates and margins, content
    statistics).

    Args:
        campaign: The campaign.
        run: Its statements, the attribution they were priced from and the
            checked events (from :func:`hybridroi.statements.engine.compute_statements`).
        stats: Content statistics (views, reach, engagement). Give the views of
            the same records to the commission engine, for CPM rules.
        margin: Gross margin: a :class:`GrossMargin`, or one rate for the whole
            campaign such as ``"0.7"``; ``None`` leaves gross profit and ROI
            undefined (the revenue-based figures remain).
        window: Only figures whose instant is in ``[start, end)`` count: sales,
            refunds, clicks, content statistics and posts by their instant,
            statement lines by ``earned_at``, extra costs by ``incurred_at``.
            ``None`` counts everything.
        holdout: A holdout test, for incrementality.
        ltv: Lifetime gross profit of one new customer, in the campaign
            currency, for the LTV-based ROI.
        period: The kind of calendar period of the period breakdown.
        ledger_entries: The campaign's ledger entries, posted from ``run`` (or
            from the runs before it). When given, partner pay (fees,
            commissions, bonuses, guarantee top-ups, draws) is what the ledger
            recorded rather than what the statements say: a clawback the
            policy waived (:attr:`EntryType.WAIVED`) is money the brand paid
            and did not get back, so it stays a cost. Network fees, which the
            ledger does not hold, still come from the statements. Each entry
            counts at its line's ``earned_at``, like the line itself.

    Returns:
        The report. Events after ``run.as_of`` are not counted; statement lines
        are counted as the run priced them. A refund counts with its sale (in
        the sale's period and window), like the commission change it causes.

    Raises:
        InvalidValueError: If the run carries no checked events (``run.batch``
            is None), or if the window, margin, LTV or ledger entries are malformed.
    """
    batch = batch_of(run)
    currency = campaign.currency
    if ltv is not None and (not isinstance(ltv, Money) or ltv.currency != currency):
        raise InvalidValueError("ltv", ltv, f"Money in the campaign currency {currency}")
    gross_margin = _margin(margin)
    # The tally makes millions of small objects on large runs and no reference cycles.
    with collector_paused():
        tally = Tally(
            campaign,
            run,
            batch,
            margin=gross_margin,
            bounds=_window(window),
            period_kind=period,
            ledger_entries=None if ledger_entries is None else _entries(ledger_entries),
        )
        add_clicks(tally)
        add_revenue(tally)
        add_costs(tally)
        add_contents(tally, stats)
        tally.fold()
        return _assemble(tally, ltv=ltv, holdout=holdout)


def _assemble(tally: Tally, *, ltv: Money | None, holdout: Holdout | None) -> Report:
    """The report of a tally whose figures are all added: every breakdown, rounded once."""
    campaign, run = tally.campaign, tally.run
    total = breakdown(tally, Dimension.CAMPAIGN, ltv)
    if not total:
        tally.rows[Dimension.CAMPAIGN][campaign.id] = RowTotals()
        total = breakdown(tally, Dimension.CAMPAIGN, ltv)
    by_partner = breakdown(tally, Dimension.PARTNER, ltv)
    by_format = breakdown(tally, Dimension.FORMAT, ltv)
    return Report(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        currency=tally.currency,
        timezone=campaign.timezone,
        as_of=run.as_of,
        window=tally.bounds,
        period_kind=tally.period_kind,
        margin=tally.margin,
        total=total[0],
        by_partner=by_partner,
        by_platform=breakdown(tally, Dimension.PLATFORM, ltv),
        by_format=by_format,
        by_period=breakdown(tally, Dimension.PERIOD, ltv),
        by_leg=breakdown(tally, Dimension.LEG, ltv),
        assisted_sales=assisted_sales(tally),
        partner_ranking=rank(by_partner),
        format_ranking=rank(by_format),
        ranking_basis=(
            "profit" if tally.margin is not None else "revenue minus cost (no gross margin given)"
        ),
        incrementality=None if holdout is None else _incrementality(holdout, total[0]),
        unattributed=unattributed_sales(tally),
        cost_source="statements" if tally.ledger_entries is None else "ledger",
        problems=(*run.problems, *tally.problems),
    )


def _incrementality(holdout: Holdout, total: ReportRow) -> Incrementality:
    data = total.figures
    rate = None
    if data.gross_profit is not None and data.revenue.amount > 0:
        rate = Fraction(data.gross_profit.amount) / Fraction(data.revenue.amount)
    return incrementality(holdout, spend=data.cost, margin=rate)


def _window(
    window: Period | tuple[datetime, datetime] | None,
) -> tuple[datetime, datetime] | None:
    if window is None:
        return None
    if isinstance(window, Period):
        return (window.start, window.end)
    if not isinstance(window, tuple) or len(window) != 2:
        raise InvalidValueError("window", window, "a Period or a (start, end) pair of instants")
    start, end = window
    require_aware(start, "window.start")
    require_aware(end, "window.end")
    if end <= start:
        raise InvalidValueError("window.end", end, f"an instant after {start}")
    return (start, end)


def _entries(entries: Iterable[LedgerEntry]) -> tuple[LedgerEntry, ...]:
    result = tuple(entries)
    for index, entry in enumerate(result):
        if not isinstance(entry, LedgerEntry):
            raise InvalidValueError(f"ledger_entries[{index}]", entry, "a LedgerEntry")
    return result


def _margin(margin: GrossMargin | Decimal | str | None) -> GrossMargin | None:
    if margin is None or isinstance(margin, GrossMargin):
        return margin
    return GrossMargin(campaign=to_decimal(margin, "margin"))


def compare_campaigns(reports: Iterable[Report]) -> tuple[ReportRow, ...]:
    """The breakdown by campaign: each report's total, side by side.

    Args:
        reports: Reports of several campaigns, in one currency.

    Returns:
        One row per campaign, sorted by campaign id.

    Raises:
        InvalidValueError: If the reports are in several currencies.
    """
    items = sorted(reports, key=lambda r: r.campaign_id)
    currencies = {r.currency for r in items}
    if len(currencies) > 1:
        raise InvalidValueError(
            "reports", sorted(currencies), "reports in one currency (convert them first)"
        )
    return tuple(r.total for r in items)
