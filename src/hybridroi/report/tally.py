"""The running totals of a report while it is built, and where each figure lands.

A :class:`Tally` holds one :class:`RowTotals` per row of every breakdown. The
modules that read the run (:mod:`~hybridroi.report.revenue`,
:mod:`~hybridroi.report.costs`, :mod:`~hybridroi.report.engagement`) add each
figure once, through :meth:`Tally.rows_of`, to its row in every breakdown at
once; :mod:`~hybridroi.report.breakdowns` rounds and assembles the rows.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime
from fractions import Fraction

import attrs

from hybridroi.attribution.credits import Credit
from hybridroi.core.errors import InvalidValueError, MissingRateError
from hybridroi.core.money import Money, Rounding, minor_unit
from hybridroi.core.periods import Period, PeriodKind, period_of
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import round_minor
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Content, Partner
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Conversion
from hybridroi.ledger.entries import LedgerEntry
from hybridroi.report.margin import GrossMargin
from hybridroi.report.records import COST_COMPONENTS, NO_CONTENT, UNASSIGNED, Dimension, Leg
from hybridroi.statements.lines import StatementRun

__all__ = ["RowTotals", "Tally", "batch_of"]


def batch_of(run: StatementRun) -> EventBatch:
    """The checked events ``run`` was priced from.

    Args:
        run: A statement run.

    Returns:
        Its batch.

    Raises:
        InvalidValueError: If the run carries no batch.
    """
    if run.batch is None:
        raise InvalidValueError(
            "run.batch",
            None,
            "the checked events the run was priced from (compute the run with compute_statements)",
        )
    return run.batch


class RowTotals:
    """Mutable running totals of one row while the report is built."""

    __slots__ = (
        "click_sales",
        "clicks",
        "contents",
        "conversions",
        "costs",
        "engagements",
        "gross_profit",
        "new_customer_counting",
        "new_customers",
        "posts",
        "reach",
        "refunds",
        "sales",
        "sales_revenue",
        "views",
    )

    def __init__(self) -> None:
        # Exact sums of credited shares; each breakdown rounds them once (see revenue.settle).
        self.sales_revenue = Fraction(0)
        self.refunds = Fraction(0)
        self.gross_profit = Fraction(0)
        # In integer minor units of the reporting currency: sums stay exact at any size.
        self.costs: dict[str, int] = dict.fromkeys(COST_COMPONENTS, 0)
        self.conversions = Fraction(0)
        self.sales = Fraction(0)
        self.new_customers = Fraction(0)
        self.new_customer_counting = 0  # 1: a flag given, 2: a flag derived
        self.click_sales = Fraction(0)
        self.clicks = 0
        self.views = 0
        self.reach = 0
        self.engagements = 0
        self.posts = 0
        self.contents: set[str] = set()


@attrs.frozen
class Where:
    """Which rows a figure lands in.

    Attributes:
        partner_id: The partner row (``None``: the campaign-level row).
        content_id: The content, for the platform and format rows (``None``: none).
        instant: The instant, for the period row.
        leg: The leg row.
    """

    partner_id: str | None
    content_id: str | None
    instant: datetime
    leg: Leg


class Tally:
    """The running totals of every breakdown, and the campaign and run they read.

    Args:
        campaign: The campaign.
        run: Its statement run.
        batch: The checked events the run was priced from.
        margin: The gross margin, if any.
        bounds: The report's window ``[start, end)``, or ``None``.
        period_kind: The kind of period of the period breakdown.
        ledger_entries: Ledger entries that give partner pay, if any.
    """

    def __init__(
        self,
        campaign: Campaign,
        run: StatementRun,
        batch: EventBatch,
        *,
        margin: GrossMargin | None,
        bounds: tuple[datetime, datetime] | None,
        period_kind: PeriodKind,
        ledger_entries: tuple[LedgerEntry, ...] | None = None,
    ) -> None:
        self.campaign = campaign
        self.run = run
        self.batch = batch
        self.ledger_entries = ledger_entries
        self.currency = campaign.currency
        self.margin = margin
        self.bounds = bounds
        self.period_kind = period_kind
        self.partners: dict[str, Partner] = {p.id: p for p in campaign.partners}
        self.contents: dict[str, Content] = {c.id: c for c in campaign.contents}
        self.deal_partners = {deal.partner_id for deal in campaign.deals}
        self.rows: dict[Dimension, dict[str, RowTotals]] = {d: {} for d in Dimension}
        self.period_starts: dict[str, datetime] = {}
        self._starts: list[datetime] = []
        self._known: list[Period] = []
        self.problems: list[Problem] = []
        self.credits_by_conversion: dict[str, list[Credit]] = defaultdict(list)
        for credit in run.attribution.credits:
            self.credits_by_conversion[credit.conversion_id].append(credit)
        self.credit_value: dict[tuple[str, str], Money] = {}
        self.unattributed = RowTotals()
        # Decimal places of the exact gross profits added, so rows keep them all.
        self.gross_places = minor_unit(self.currency)

    def inside(self, instant: datetime, *, as_of_bound: bool = True) -> bool:
        """Whether a figure at ``instant`` counts: in the window (and by ``as_of``)."""
        if as_of_bound and instant > self.run.as_of:
            return False
        return self.bounds is None or self.bounds[0] <= instant < self.bounds[1]

    def period_label(self, instant: datetime) -> str:
        """The label of the period row ``instant`` lands in."""
        if self.period_kind is PeriodKind.CAMPAIGN:
            self.period_starts.setdefault("campaign", self.campaign.start)
            return "campaign"
        # Periods tile time, so the known ones, sorted by start, are found by bisection.
        index = bisect.bisect_right(self._starts, instant) - 1
        if index >= 0 and instant < self._known[index].end:
            return self._known[index].label
        found = period_of(instant, self.period_kind, self.campaign.timezone)
        self._starts.insert(index + 1, found.start)
        self._known.insert(index + 1, found)
        self.period_starts[found.label] = found.start
        return found.label

    def rows_of(self, where: Where) -> list[RowTotals]:
        """The row of each breakdown a figure lands in (made when first used)."""
        content = self.contents.get(where.content_id) if where.content_id else None
        keys = (
            (Dimension.CAMPAIGN, self.campaign.id),
            (Dimension.PARTNER, where.partner_id or UNASSIGNED),
            (Dimension.PLATFORM, content.platform.value if content else NO_CONTENT),
            (Dimension.FORMAT, content.format.value if content else NO_CONTENT),
            (Dimension.PERIOD, self.period_label(where.instant)),
            (Dimension.LEG, where.leg.value),
        )
        result = []
        for dimension, key in keys:
            rows = self.rows[dimension]
            totals = rows.get(key)
            if totals is None:
                totals = rows[key] = RowTotals()
            result.append(totals)
        return result

    def leg(self, partner_id: str) -> Leg:
        """The leg of a partner's sales and content: affiliate with a deal, else influence."""
        return Leg.AFFILIATE if partner_id in self.deal_partners else Leg.INFLUENCE

    def sale_rows(self, credit: Credit, conversion: Conversion) -> list[RowTotals]:
        """The rows a credited sale (or its refund) is booked in: at the sale's instant."""
        where = Where(
            credit.partner_id, credit.content_id, conversion.instant, self.leg(credit.partner_id)
        )
        return self.rows_of(where)

    def report(
        self, kind: ProblemKind, subject: str, message: str, field: str | None = None
    ) -> None:
        """Record a problem found by the report."""
        self.problems.append(Problem(kind=kind, subject=subject, message=message, field=field))

    def convert(self, amount: Money, instant: datetime, subject: str) -> Money | None:
        """``amount`` in the reporting currency at ``instant``; None (reported) without a rate."""
        if amount.currency == self.currency:
            return amount
        try:
            converted = self.campaign.fx.convert(amount, self.currency, instant)
        except MissingRateError as error:
            self.report(ProblemKind.CURRENCY, subject, f"{error}; left out of the report")
            return None
        return converted.converted.round(rounding=Rounding.HALF_UP)

    def exact(self, amount: Money, instant: datetime, subject: str) -> Fraction | None:
        """``amount`` in the reporting currency at ``instant``, exactly (never rounded).

        Revenue and refunds are booked with it, and each row is rounded once at the end;
        None (reported) without a rate.
        """
        if amount.currency == self.currency:
            return Fraction(amount.amount)
        try:
            converted = self.campaign.fx.convert(amount, self.currency, instant)
        except MissingRateError as error:
            self.report(ProblemKind.CURRENCY, subject, f"{error}; left out of the report")
            return None
        return Fraction(converted.converted.amount)

    def rounded(self, value: Fraction) -> Money:
        """An exact amount of the reporting currency, rounded half-up to its minor unit."""
        return Money.from_minor(round_minor(value * 10 ** minor_unit(self.currency)), self.currency)
