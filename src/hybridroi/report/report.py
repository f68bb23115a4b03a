"""The blended ROI report: everything a campaign cost against what it earned.

:func:`build_report` is a pure function of the campaign, a statement run, the
raw events and the content statistics. It returns a :class:`Report` whose
figures all reconcile:

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

import bisect
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.core.allocation import allocate, allocate_minor_units
from hybridroi.core.checks import enum_member
from hybridroi.core.errors import InvalidValueError, MissingRateError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit, scaled, to_decimal
from hybridroi.core.periods import Period, PeriodKind, period_of
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Content, Influencer, Partner
from hybridroi.domain.policy import TouchKind
from hybridroi.events.customers import NewCustomerCounting, new_customers
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, ConversionKind, Event, Refund, Touch
from hybridroi.events.stats import ContentStats, check_stats
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.report.kpis import (
    EngagementBasis,
    Holdout,
    Incrementality,
    Kpi,
    aov,
    cac,
    conversion_rate,
    cost_per_post,
    cpa,
    cpc,
    cpe,
    cpm,
    cpv,
    ctr,
    engagement_rate,
    epc,
    incrementality,
    ltv_roi,
    revenue_roi,
    roas,
    roi,
)
from hybridroi.statements.lines import LineKind, StatementRun

__all__ = [
    "COST_COMPONENTS",
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


UNASSIGNED = "(campaign)"
"""Row key of costs that belong to no partner (an agency fee, a campaign-wide boost)."""
_TICK = timedelta(microseconds=1)
NO_CONTENT = "(none)"
"""Row key of figures tied to no piece of content (a coupon site's sales)."""


def _rate(value: object, field: str) -> Decimal:
    rate = to_decimal(value, field)
    if not 0 <= rate <= 1:
        raise InvalidValueError(field, value, "a gross margin rate between 0 and 1")
    return rate


def _rates(values: Mapping[str, object], field: str) -> dict[str, Decimal]:
    if not isinstance(values, Mapping):
        raise InvalidValueError(field, values, "a mapping of ids to margin rates")
    return {key: _rate(value, f"{field}[{key!r}]") for key, value in values.items()}


def _optional_rate(value: object) -> Decimal | None:
    return None if value is None else _rate(value, "GrossMargin.campaign")


def _category_rates(values: Mapping[str, object]) -> dict[str, Decimal]:
    return _rates(values, "GrossMargin.by_category")


def _sale_rates(values: Mapping[str, object]) -> dict[str, Decimal]:
    return _rates(values, "GrossMargin.by_sale")


@attrs.frozen(kw_only=True)
class GrossMargin:
    """Gross margin rates that turn revenue into gross profit.

    The most specific rate wins: a sale's own rate, else the rates of its
    products' categories (weighted by each line's net amount), else the
    campaign rate. A sale whose margin cannot be found (a category without a
    rate and no campaign rate) is reported as a problem and adds no gross
    profit.

    Attributes:
        campaign: The margin rate of the whole campaign, in [0, 1], if known.
        by_category: Margin rates by product category.
        by_sale: Margin rates by conversion id (when the cost of goods of each
            order is known).

    >>> GrossMargin(campaign=Decimal("0.7"), by_category={"fragrance": "0.8"}).campaign
    Decimal('0.7')
    """

    campaign: Decimal | None = attrs.field(default=None, converter=_optional_rate)
    by_category: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_category_rates)
    by_sale: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_sale_rates)

    def gross_profit(self, conversion: Conversion, amount: Money) -> UnroundedMoney | str:
        """Gross profit on ``amount`` of ``conversion``'s revenue, or why it cannot be found.

        Args:
            conversion: The sale the amount belongs to.
            amount: A part of its net revenue (a credit, or a refunded part).

        Returns:
            The exact gross profit, or a message saying which rate is missing.
        """
        rate = self.by_sale.get(conversion.id)
        if rate is not None:
            return amount * rate
        items = [item for item in conversion.items if item.net.amount > 0]
        if not items or not self.by_category:
            if self.campaign is None:
                return "no campaign gross margin and no rate for the sale"
            return amount * self.campaign
        rates = []
        for item in items:
            category_rate = self.by_category.get(item.category or "", self.campaign)
            if category_rate is None:
                return f"no gross margin for category {item.category!r} and no campaign rate"
            rates.append(category_rate)
        # Split the amount across the lines by their net value, exactly, so the
        # discount of an order is shared by its lines in proportion.
        parts = allocate(amount, [item.net.amount for item in items])
        return sum(
            (part * rate for part, rate in zip(parts, rates, strict=True)),
            UnroundedMoney.zero(amount.currency),
        )


class Dimension(enum.Enum):
    """What a breakdown groups by."""

    CAMPAIGN = "campaign"
    PARTNER = "partner"
    PLATFORM = "platform"
    FORMAT = "format"
    PERIOD = "period"
    LEG = "leg"


class Leg(enum.Enum):
    """The two legs of a hybrid program, and costs outside them.

    A statement line's leg is its kind: fixed fees are the influence leg; every
    performance line (commissions, bonuses, guarantee top-ups, draws, network
    fees) is the affiliate leg. Revenue credited to a partner who holds an
    affiliate deal is the affiliate leg's (commission was paid on it); revenue
    credited to a partner without one is the influence leg's. An extra cost tied
    to a partner follows the partner's fee (influence leg if the partner holds
    a fixed fee, else affiliate leg).
    """

    INFLUENCE = "influence"
    """Fixed fees, and sales credited to partners paid by fees only."""
    AFFILIATE = "affiliate"
    """Commissions and other performance pay, and sales credited to partners with a deal."""
    CAMPAIGN = "campaign"
    """Extra costs tied to no partner."""


@attrs.frozen(kw_only=True)
class Costs:
    """What a campaign (or one row of a breakdown) cost, by component.

    Attributes:
        fees: Fixed fees.
        commissions: Commissions, net of reversals and clawbacks.
        bonuses: Threshold and tier bonuses.
        guarantees: Top-ups to guaranteed minimums.
        draws: Recoverable advances net of what was recovered.
        network_fees: Network and platform override fees.
        extra_costs: Product seeding, agency fee, production, paid boosts.
    """

    fees: Money
    commissions: Money
    bonuses: Money
    guarantees: Money
    draws: Money
    network_fees: Money
    extra_costs: Money

    @property
    def total(self) -> Money:
        """The sum of every component."""
        return (
            self.fees
            + self.commissions
            + self.bonuses
            + self.guarantees
            + self.draws
            + self.network_fees
            + self.extra_costs
        )

    @property
    def partner_pay(self) -> Money:
        """What partners are paid: everything but network fees and extra costs."""
        return self.fees + self.commissions + self.bonuses + self.guarantees + self.draws


_COMPONENT = {
    LineKind.FEE: "fees",
    LineKind.COMMISSION: "commissions",
    LineKind.BONUS: "bonuses",
    LineKind.GUARANTEE_TOPUP: "guarantees",
    LineKind.ADVANCE: "draws",
    LineKind.RECOVERY: "draws",
    LineKind.NETWORK_FEE: "network_fees",
}
COST_COMPONENTS: tuple[str, ...] = (
    "fees",
    "commissions",
    "bonuses",
    "guarantees",
    "draws",
    "network_fees",
    "extra_costs",
)
"""The cost components of a report, in the order they are shown (fields of :class:`Costs`)."""


@attrs.frozen(kw_only=True)
class Figures:
    """The measured figures of a campaign or of one row of a breakdown.

    Counts of conversions are share-weighted: a sale credited half to an
    influencer and half to an affiliate counts 1/2 for each, so the rows of a
    breakdown add up to the total.

    Attributes:
        currency: The reporting currency.
        sales_revenue: Credited net revenue of the conversions, before refunds.
        refunds: Credited part of the refunds (>= 0 unless corrected).
        gross_profit: Exact gross profit, net of refunds; ``None`` without a margin.
        costs: The cost by component.
        conversions: Credited conversions (sales and leads).
        sales: Credited sales.
        new_customers: Credited sales to first-time customers: each sale's
            ``new_customer`` flag, or, where the flag was not given, whether it is
            its customer's first sale among the events (see
            :func:`hybridroi.events.customers.new_customers`).
        click_sales: Credited sales whose credit was earned by a click touch (the
            partner's decisive touch is a click on a tracked link): the sales a
            click can have led to, the numerator of the conversion rate. A sale
            credited through a promo code or a view is not one.
        new_customer_counting: How ``new_customers`` was counted: from the flags
            given with the sales, derived from the events, or mixed; ``None``
            when the row credited no sale.
        clicks: Clicks on partners' tracked links.
        views: Views of the content (growth of the cumulative figures in the window).
        reach: Sum of the contents' reach.
        engagements: Likes, comments, shares and saves.
        followers: Followers of the publishing account, counted once per piece
            of content published or measured in the row (so the engagement rate
            by followers is an average per post).
        posts: Pieces of content published.
    """

    currency: str
    sales_revenue: Money
    refunds: Money
    gross_profit: UnroundedMoney | None
    costs: Costs
    conversions: Fraction
    sales: Fraction
    new_customers: Fraction
    click_sales: Fraction = attrs.field(default=Fraction(0), kw_only=True)
    new_customer_counting: NewCustomerCounting | None = attrs.field(default=None, kw_only=True)
    clicks: int
    views: int
    reach: int
    engagements: int
    followers: int
    posts: int

    @property
    def revenue(self) -> Money:
        """Attributed net revenue: credited sales minus credited refunds."""
        return self.sales_revenue - self.refunds

    @property
    def cost(self) -> Money:
        """Total cost."""
        return self.costs.total

    @property
    def profit(self) -> UnroundedMoney | None:
        """Gross profit minus cost, or ``None`` without a margin."""
        if self.gross_profit is None:
            return None
        return self.gross_profit - self.cost


@attrs.frozen(kw_only=True)
class Kpis:
    """Every KPI of a row; see :mod:`hybridroi.report.kpis` for each formula.

    Attributes:
        roi: ``(gross profit - cost) / cost``.
        revenue_roi: ``(revenue - cost) / cost``.
        roas: ``revenue / cost``.
        cpa: ``cost / conversions``.
        cac: ``cost / new customers``.
        aov: ``sales revenue / sales``.
        conversion_rate: ``click-tracked sales / clicks``.
        ctr: ``clicks / views``.
        epc: ``commissions / clicks``.
        cpm: ``cost x 1000 / views``.
        cpc: ``cost / clicks``.
        cpv: ``cost / views``.
        cpe: ``cost / engagements``.
        engagement_rate_followers: ``engagements / followers``.
        engagement_rate_views: ``engagements / views``.
        cost_per_post: ``cost / posts``.
        ltv_roi: ``(new customers x LTV - cost) / cost``.
    """

    roi: Kpi
    revenue_roi: Kpi
    roas: Kpi
    cpa: Kpi
    cac: Kpi
    aov: Kpi
    conversion_rate: Kpi
    ctr: Kpi
    epc: Kpi
    cpm: Kpi
    cpc: Kpi
    cpv: Kpi
    cpe: Kpi
    engagement_rate_followers: Kpi
    engagement_rate_views: Kpi
    cost_per_post: Kpi
    ltv_roi: Kpi

    @classmethod
    def of(cls, figures: Figures, *, ltv: Money | None = None) -> Kpis:
        """Compute every KPI from a row's figures.

        Args:
            figures: The row's figures.
            ltv: Lifetime gross profit of one new customer, if known.

        Returns:
            The KPIs.
        """
        cost = figures.cost
        return cls(
            roi=roi(figures.gross_profit, cost),
            revenue_roi=revenue_roi(figures.revenue, cost),
            roas=roas(figures.revenue, cost),
            cpa=cpa(cost, figures.conversions),
            cac=cac(cost, figures.new_customers, counting=figures.new_customer_counting),
            aov=aov(figures.sales_revenue, figures.sales),
            conversion_rate=conversion_rate(figures.click_sales, figures.clicks),
            ctr=ctr(figures.clicks, figures.views),
            epc=epc(figures.costs.commissions, figures.clicks),
            cpm=cpm(cost, figures.views),
            cpc=cpc(cost, figures.clicks),
            cpv=cpv(cost, figures.views),
            cpe=cpe(cost, figures.engagements),
            engagement_rate_followers=engagement_rate(
                figures.engagements, figures.followers, basis=EngagementBasis.FOLLOWERS
            ),
            engagement_rate_views=engagement_rate(
                figures.engagements, figures.views, basis=EngagementBasis.VIEWS
            ),
            cost_per_post=cost_per_post(cost, figures.posts),
            ltv_roi=ltv_roi(figures.new_customers, ltv, cost),
        )

    def all(self) -> tuple[Kpi, ...]:
        """Every KPI, in a fixed order."""
        return tuple(getattr(self, field.name) for field in attrs.fields(Kpis))


@attrs.frozen(kw_only=True)
class ReportRow:
    """One row of a breakdown (or the campaign's total).

    Attributes:
        dimension: What the breakdown groups by.
        key: The group: a partner id, a platform, a format, a period label, a leg.
        label: A readable name for the group.
        figures: The figures of the group.
        kpis: Its KPIs.
    """

    dimension: Dimension = attrs.field(
        converter=enum_member(Dimension)  # type: ignore[misc]
    )
    key: str
    label: str
    figures: Figures
    kpis: Kpis


@attrs.frozen(kw_only=True)
class AssistedSale:
    """A sale closed by an affiliate after an influencer touched the same customer.

    This measures "influence creates the desire, affiliates convert": the
    affiliate closes, the influencer assisted, credited or not.

    Attributes:
        conversion_id: The sale.
        instant: When it happened.
        closer_id: The affiliate credited as closer (or sole partner).
        influencer_id: The influencer who touched the customer before the sale.
        credit: The part of the sale's revenue credited to the influencer (zero
            when attribution gave it no share).
        value: The sale's whole net revenue, in the reporting currency.
    """

    conversion_id: str
    instant: datetime
    closer_id: str
    influencer_id: str
    credit: Money
    value: Money


@attrs.frozen(kw_only=True)
class UnattributedSales:
    """Conversions that attribution credited to no partner, kept beside the figures.

    They are not in any row of the report (no partner earned them, and the
    campaign's cost is not set against them), but they are counted here so
    that nothing the brand sold in the window is left out silently. They obey
    the same window and refund rules as credited sales.

    Attributes:
        currency: The reporting currency.
        conversions: Unattributed conversions (sales and leads) in the window.
        sales: Unattributed sales in the window.
        new_customers: Those sales that were a customer's first purchase.
        sales_revenue: Their net revenue, before refunds.
        refunds: What was refunded of them, by ``as_of``.
    """

    currency: str
    conversions: int
    sales: int
    new_customers: int
    sales_revenue: Money
    refunds: Money

    @property
    def revenue(self) -> Money:
        """Net revenue of the unattributed sales: sales revenue minus refunds."""
        return self.sales_revenue - self.refunds


@attrs.frozen(kw_only=True)
class Report:
    """The blended ROI report of a campaign.

    Attributes:
        campaign_id: The campaign.
        campaign_name: Its name.
        currency: The reporting currency (the campaign's).
        timezone: The zone of the campaign's calendar (periods).
        as_of: The instant the statements and events were taken as of.
        window: ``(start, end)`` of the report, or ``None`` for everything up to ``as_of``.
        period_kind: The kind of period of the period breakdown.
        margin: The gross margin used, or ``None``.
        total: The campaign's figures and KPIs.
        by_partner: One row per partner, plus ``(campaign)`` for costs tied to none.
        by_platform: One row per platform, plus ``(none)`` for figures tied to no content.
        by_format: One row per content format, plus ``(none)``.
        by_period: One row per calendar period, in time order.
        by_leg: Influence leg, affiliate leg, and campaign-level extra costs.
        assisted_sales: Sales closed by an affiliate after an influencer touch.
        partner_ranking: Partner rows, most profitable first.
        format_ranking: Format rows, most profitable first.
        ranking_basis: What the rankings sort by ("profit" or, without a margin,
            "revenue minus cost").
        incrementality: Lift, iROAS and incremental ROI, when a holdout is given.
        unattributed: Conversions credited to no partner, in the window (in no row).
        cost_source: Where partner pay comes from: ``"statements"``, or
            ``"ledger"`` when ledger entries were given.
        problems: Bad input found by the statement run and by the report.
    """

    campaign_id: str
    campaign_name: str
    currency: str
    timezone: str
    as_of: datetime
    window: tuple[datetime, datetime] | None
    period_kind: PeriodKind = attrs.field(
        converter=enum_member(PeriodKind)  # type: ignore[misc]
    )
    margin: GrossMargin | None
    total: ReportRow
    by_partner: tuple[ReportRow, ...]
    by_platform: tuple[ReportRow, ...]
    by_format: tuple[ReportRow, ...]
    by_period: tuple[ReportRow, ...]
    by_leg: tuple[ReportRow, ...]
    assisted_sales: tuple[AssistedSale, ...]
    partner_ranking: tuple[ReportRow, ...]
    format_ranking: tuple[ReportRow, ...]
    ranking_basis: str
    incrementality: Incrementality | None
    unattributed: UnattributedSales
    cost_source: str
    problems: tuple[Problem, ...]

    def breakdown(self, dimension: Dimension) -> tuple[ReportRow, ...]:
        """The rows of one breakdown (the total alone for :attr:`Dimension.CAMPAIGN`)."""
        return {
            Dimension.CAMPAIGN: (self.total,),
            Dimension.PARTNER: self.by_partner,
            Dimension.PLATFORM: self.by_platform,
            Dimension.FORMAT: self.by_format,
            Dimension.PERIOD: self.by_period,
            Dimension.LEG: self.by_leg,
        }[dimension]


_COUNTING: dict[int, NewCustomerCounting | None] = {
    0: None,
    1: NewCustomerCounting.GIVEN,
    2: NewCustomerCounting.DERIVED,
    3: NewCustomerCounting.MIXED,
}
"""How a row's new customers were counted, by the flags its sales carried (1 given, 2 derived)."""


class _Acc:
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
        # Exact sums of credited shares; each breakdown rounds them once (see _settle).
        self.sales_revenue = Fraction(0)
        self.refunds = Fraction(0)
        self.gross_profit = Fraction(0)
        self.costs: dict[str, Decimal] = dict.fromkeys(COST_COMPONENTS, Decimal(0))
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
class _Where:
    """Which rows a figure lands in."""

    partner_id: str | None
    content_id: str | None
    instant: datetime
    leg: Leg


class _Builder:
    """Accumulates figures into every breakdown at once."""

    def __init__(
        self,
        campaign: Campaign,
        run: StatementRun,
        *,
        margin: GrossMargin | None,
        bounds: tuple[datetime, datetime] | None,
        period_kind: PeriodKind,
        ledger_entries: tuple[LedgerEntry, ...] | None = None,
    ) -> None:
        self.campaign = campaign
        self.ledger_entries = ledger_entries
        self.run = run
        self.currency = campaign.currency
        self.margin = margin
        self.bounds = bounds
        self.period_kind = period_kind
        self.partners: dict[str, Partner] = {p.id: p for p in campaign.partners}
        self.contents: dict[str, Content] = {c.id: c for c in campaign.contents}
        self.deal_partners = {deal.partner_id for deal in campaign.deals}
        # Followers of the account that published each piece of content.
        self.audience: dict[str, int] = {
            content.id: partner.audience_on(content.platform)
            if isinstance(partner := self.partners.get(content.partner_id), Influencer)
            else 0
            for content in campaign.contents
        }
        self.rows: dict[Dimension, dict[str, _Acc]] = {d: {} for d in Dimension}
        self.period_starts: dict[str, datetime] = {}
        self._starts: list[datetime] = []
        self._known: list[Period] = []
        self.problems: list[Problem] = list(run.problems)
        self.conversions: dict[str, Conversion] = {}
        self.click_ids: set[str] = set()
        self.refunds: list[Refund] = []
        self.touches_by_customer: dict[str, list[Touch]] = defaultdict(list)
        self.credits_by_conversion: dict[str, list[Credit]] = defaultdict(list)
        for credit in run.attribution.credits:
            self.credits_by_conversion[credit.conversion_id].append(credit)
        self.credit_value: dict[tuple[str, str], Money] = {}
        self.margin_missing: dict[str, int] = defaultdict(int)
        self.unattributed_ids = frozenset(run.attribution.unattributed)
        self.unattributed = _Acc()
        # Decimal places of the exact gross profits added, so rows keep them all.
        self.gross_places = minor_unit(self.currency)
        # The contents a partner's costs are split between, when a line names none.
        self.by_partner: dict[str, list[str]] = defaultdict(list)
        for content in campaign.contents:
            self.by_partner[content.partner_id].append(content.id)
        self.credit_content = {
            (c.conversion_id, c.partner_id): c.content_id for c in run.attribution.credits
        }

    # -- where figures land ---------------------------------------------------------------

    def inside(self, instant: datetime, *, as_of_bound: bool = True) -> bool:
        if as_of_bound and instant > self.run.as_of:
            return False
        return self.bounds is None or self.bounds[0] <= instant < self.bounds[1]

    def period_label(self, instant: datetime) -> str:
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

    def accs(self, where: _Where) -> list[_Acc]:
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
            acc = rows.get(key)
            if acc is None:
                acc = rows[key] = _Acc()
            result.append(acc)
        return result

    def leg(self, partner_id: str) -> Leg:
        return Leg.AFFILIATE if partner_id in self.deal_partners else Leg.INFLUENCE

    def sale_accs(self, credit: Credit, conversion: Conversion) -> list[_Acc]:
        """The rows a credited sale (or its refund) is booked in: at the sale's instant."""
        where = _Where(
            credit.partner_id, credit.content_id, conversion.instant, self.leg(credit.partner_id)
        )
        return self.accs(where)

    def report(
        self, kind: ProblemKind, subject: str, message: str, field: str | None = None
    ) -> None:
        self.problems.append(Problem(kind=kind, subject=subject, message=message, field=field))

    def convert(self, amount: Money, instant: datetime, subject: str) -> Money | None:
        if amount.currency == self.currency:
            return amount
        try:
            converted = self.campaign.fx.convert(amount, self.currency, instant)
        except MissingRateError as error:
            self.report(ProblemKind.CURRENCY, subject, f"{error}; left out of the report")
            return None
        return converted.converted.round(rounding=Rounding.HALF_UP)

    def profit_of(self, conversion: Conversion, amount: Money) -> Decimal:
        if self.margin is None:
            return Decimal(0)
        result = self.margin.gross_profit(conversion, amount)
        if isinstance(result, str):
            self.margin_missing[result] += 1
            return Decimal(0)
        if result.currency != self.currency:
            # Converted at the sale's rate, exactly, before any rounding.
            rate, _ = self.campaign.fx.rate_at(result.currency, self.currency, conversion.instant)
            return result.amount * rate
        return result.amount

    # -- figures --------------------------------------------------------------------------

    def read_events(self, events: Iterable[Event]) -> None:
        # The same check the commission engine runs, so the report reads exactly
        # the events the statements were priced from (repeats and bad events out).
        batch = check_events(self.campaign, events)
        self.problems.extend(batch.problems)
        self.conversions = {conversion.id: conversion for conversion in batch.conversions}
        self.customers = new_customers(batch.conversions)
        self.refunds = list(batch.refunds)
        self.click_ids = {touch.id for touch in batch.touches if touch.kind is TouchKind.CLICK}
        for touch in batch.touches:
            self.read_touch(touch)

    def read_touch(self, touch: Touch) -> None:
        if touch.partner_id is None or touch.instant > self.run.as_of:
            return
        self.touches_by_customer[touch.customer_key].append(touch)
        if touch.kind is TouchKind.CLICK and self.inside(touch.instant):
            content_id = touch.content_id if touch.content_id in self.contents else None
            where = _Where(touch.partner_id, content_id, touch.instant, self.leg(touch.partner_id))
            for acc in self.accs(where):
                acc.clicks += 1

    def add_credits(self) -> None:
        for conversion_id in sorted(self.credits_by_conversion):
            conversion = self.conversions.get(conversion_id)
            if conversion is None:
                self.report(
                    ProblemKind.UNKNOWN_SALE,
                    f"conversion:{conversion_id}",
                    "credited by attribution but missing from the events given to the report",
                )
                continue
            if not self.inside(conversion.instant, as_of_bound=False):
                continue
            self.add_sale(conversion, self.credits_by_conversion[conversion_id])

    def add_unattributed(self) -> None:
        for conversion_id in sorted(self.unattributed_ids):
            conversion = self.conversions.get(conversion_id)
            if conversion is None:
                self.report(
                    ProblemKind.UNKNOWN_SALE,
                    f"conversion:{conversion_id}",
                    "listed as unattributed but missing from the events given to the report",
                )
                continue
            if not self.inside(conversion.instant, as_of_bound=False):
                continue
            value = self.convert(
                conversion.revenue, conversion.instant, f"conversion:{conversion.id}"
            )
            if value is None:
                continue
            acc = self.unattributed
            acc.sales_revenue += Fraction(value.amount)
            acc.conversions += 1
            if conversion.kind is ConversionKind.SALE:
                acc.sales += 1
                acc.new_customer_counting |= 1 if conversion.new_customer is not None else 2
                if self.customers.of(conversion):
                    acc.new_customers += 1

    def add_sale(self, conversion: Conversion, credits: list[Credit]) -> None:
        """Add a credited sale: each partner's exact share of its value, never a rounded part."""
        value = self.convert(conversion.revenue, conversion.instant, f"conversion:{conversion.id}")
        if value is None:
            return
        parts = allocate(value, {credit.partner_id: credit.share for credit in credits})
        exact = self.profit_of(conversion, conversion.revenue)
        self.gross_places = max(self.gross_places, _places(exact))
        gross = Fraction(exact)
        is_sale = conversion.kind is ConversionKind.SALE
        is_new = is_sale and self.customers.of(conversion)
        counting = 1 if conversion.new_customer is not None else 2
        for credit in credits:
            self.credit_value[(conversion.id, credit.partner_id)] = parts[credit.partner_id]
            for acc in self.sale_accs(credit, conversion):
                acc.sales_revenue += Fraction(value.amount) * credit.share
                acc.gross_profit += gross * credit.share
                acc.conversions += credit.share
                if is_sale:
                    acc.sales += credit.share
                    acc.new_customer_counting |= counting
                    if is_new:
                        acc.new_customers += credit.share
                    if credit.touch_id in self.click_ids:
                        acc.click_sales += credit.share

    def refund_problem(self, refund: Refund, conversion: Conversion | None) -> bool:
        subject = f"refund:{refund.id}"
        if conversion is None:
            self.report(
                ProblemKind.UNKNOWN_SALE,
                subject,
                f"refunds conversion {refund.conversion_id!r}, which is not among the events",
                "conversion_id",
            )
            return True
        if refund.amount.currency != conversion.currency:
            self.report(
                ProblemKind.CURRENCY,
                subject,
                f"amount in {refund.amount.currency}, but the sale is in {conversion.currency}",
                "amount",
            )
            return True
        return False

    def add_refunds(self) -> None:
        refunded: dict[str, Decimal] = defaultdict(Decimal)
        for refund in sorted(self.refunds, key=lambda r: (r.instant, r.id)):
            conversion = self.conversions.get(refund.conversion_id)
            if self.refund_problem(refund, conversion) or refund.instant > self.run.as_of:
                continue
            assert conversion is not None  # refund_problem checked it
            if refunded[conversion.id] + refund.amount.amount > conversion.revenue.amount:
                self.report(
                    ProblemKind.REFUND_EXCEEDS_SALE,
                    f"refund:{refund.id}",
                    f"{refund.amount} would take the refunds of {conversion.id} above its "
                    f"revenue {conversion.revenue}; left out of the report",
                    "amount",
                )
                continue
            refunded[conversion.id] += refund.amount.amount
            # A refund counts with its sale: in the sale's period and window, where the
            # commission engine reprices the sale's line (see add_refund).
            if not self.inside(conversion.instant, as_of_bound=False):
                continue
            credits = self.credits_by_conversion.get(conversion.id)
            if credits:
                self.add_refund(refund, conversion, credits)
            elif conversion.id in self.unattributed_ids:
                value = self.convert(refund.amount, conversion.instant, f"refund:{refund.id}")
                if value is not None:
                    self.unattributed.refunds += Fraction(value.amount)

    def add_refund(self, refund: Refund, conversion: Conversion, credits: list[Credit]) -> None:
        # A refund reverses at the sale's rate, like the sale itself, and is shared
        # in the sale's exact shares.
        value = self.convert(refund.amount, conversion.instant, f"refund:{refund.id}")
        if value is None:
            return
        exact = self.profit_of(conversion, refund.amount)
        self.gross_places = max(self.gross_places, _places(exact))
        gross = Fraction(exact)
        for credit in credits:
            # Booked at the sale's instant: a refund lowers the commission of the sale's
            # period (the engine reprices that line), so the revenue it takes away lands in
            # the same period, and each period's revenue matches its cost.
            for acc in self.sale_accs(credit, conversion):
                acc.refunds += Fraction(value.amount) * credit.share
                acc.gross_profit -= gross * credit.share

    def report_missing_margins(self) -> None:
        for message, count in sorted(self.margin_missing.items()):
            self.report(
                ProblemKind.INVALID,
                "margin",
                f"{message}: {count} credited amount(s) add no gross profit",
                "margin",
            )

    def add_cost(self, amount: Money, component: str, where: _Where, targets: list[str]) -> None:
        """Add a cost, split equally between the contents it pays for."""
        if len(set(targets)) <= 1:
            parts = {targets[0] if targets else None: amount}
        else:
            weights: dict[str | None, int] = defaultdict(int)
            for target in targets:
                weights[target] += 1
            parts = allocate(amount, dict(weights))
        for content_id, part in parts.items():
            for acc in self.accs(attrs.evolve(where, content_id=content_id)):
                acc.costs[component] += part.amount

    def add_costs(self) -> None:
        from_ledger = self.ledger_entries is not None
        for statement in self.run.statements:
            last = statement.period.end - _TICK
            for line in statement.lines:
                if from_ledger and line.kind is not LineKind.NETWORK_FEE:
                    continue  # partner pay comes from the ledger entries
                # Every line counts in its statement's period. The engine dates lines inside
                # it, except a sale or content dated after a campaign-long statement's end,
                # which the clamp brings back into that statement's period.
                self.add_line_cost(
                    statement.partner_id,
                    line.kind,
                    line.amount,
                    earned_at=line.earned_at,
                    instant=min(line.earned_at, last),
                    source_ids=line.source_ids,
                    subject=f"line:{statement.partner_id}:{line.key}",
                )
        if self.ledger_entries is not None:
            self.add_ledger_costs(self.ledger_entries)
        self.add_extra_costs()

    def add_ledger_costs(self, entries: tuple[LedgerEntry, ...]) -> None:
        """Partner pay from ledger entries: what the brand paid and did not get back."""
        periods = {(s.partner_id, s.period.label): s.period for s in self.run.statements}
        for entry in entries:
            # A waived clawback is money the brand does not recover: the cost stays.
            # Network fees are not posted to the ledger; they come from the statements.
            if entry.entry_type is EntryType.WAIVED or entry.line_kind is LineKind.NETWORK_FEE:
                continue
            period = periods.get((entry.partner_id, entry.period_label))
            # Without its statement in the run (a line brought back to zero), the entry
            # counts at its own earned_at.
            instant = (
                entry.earned_at if period is None else min(entry.earned_at, period.end - _TICK)
            )
            self.add_line_cost(
                entry.partner_id,
                entry.line_kind,
                entry.amount,
                earned_at=entry.earned_at,
                instant=instant,
                source_ids=entry.source_ids,
                subject=f"ledger:{entry.id}",
            )

    def add_line_cost(
        self,
        partner_id: str,
        kind: LineKind,
        amount: Money,
        *,
        earned_at: datetime,
        instant: datetime,
        source_ids: tuple[str, ...],
        subject: str,
    ) -> None:
        if not self.inside(instant, as_of_bound=False):
            return
        converted = self.convert(amount, earned_at, subject)
        if converted is None:
            return
        credit_content = self.credit_content
        targets = [
            source
            if source in self.contents
            else credit_content.get((source, partner_id)) or NO_CONTENT
            for source in source_ids
            if source in self.contents or (source, partner_id) in credit_content
        ] or self.by_partner.get(partner_id, [])
        leg = Leg.INFLUENCE if kind is LineKind.FEE else Leg.AFFILIATE
        where = _Where(partner_id, None, instant, leg)
        self.add_cost(converted, _COMPONENT[kind], where, targets)

    def add_extra_costs(self) -> None:
        fee_partners = {fee.partner_id for fee in self.campaign.fees}
        for extra in self.campaign.extra_costs:
            if not self.inside(extra.incurred_at):
                continue
            amount = self.convert(extra.amount, extra.incurred_at, f"extra_cost:{extra.id}")
            if amount is None:
                continue
            if extra.partner_id is None:
                leg = Leg.CAMPAIGN
            else:
                leg = Leg.INFLUENCE if extra.partner_id in fee_partners else Leg.AFFILIATE
            where = _Where(extra.partner_id, None, extra.incurred_at, leg)
            targets = self.by_partner.get(extra.partner_id or "", [])
            self.add_cost(amount, "extra_costs", where, targets)

    def add_contents(self, stats: Iterable[ContentStats]) -> None:
        records = list(stats)
        self.problems.extend(check_stats(records))
        for content in self.campaign.contents:
            if self.inside(content.published_at):
                leg = self.leg(content.partner_id)
                where = _Where(content.partner_id, content.id, content.published_at, leg)
                for acc in self.accs(where):
                    acc.posts += 1
                    acc.contents.add(content.id)
        by_content: dict[str, list[ContentStats]] = defaultdict(list)
        for record in records:
            if record.content_id in self.contents:
                by_content[record.content_id].append(record)
            else:
                self.report(
                    ProblemKind.UNKNOWN_CONTENT,
                    f"stats:{record.content_id}",
                    "statistics for content that is not in the campaign",
                    "content_id",
                )
        for content_id in sorted(by_content):
            self.add_stats(self.contents[content_id], by_content[content_id])

    def add_stats(self, content: Content, records: list[ContentStats]) -> None:
        """Add the growth of a content's cumulative figures at each record's instant."""
        leg = self.leg(content.partner_id)
        views = reach = engagements = 0
        for record in sorted(records, key=lambda r: r._order()):
            delta = (record.views - views, record.reach - reach, record.engagements - engagements)
            views, reach, engagements = record.views, record.reach, record.engagements
            if not self.inside(record.as_of):
                continue
            where = _Where(content.partner_id, content.id, record.as_of, leg)
            for acc in self.accs(where):
                acc.views += delta[0]
                acc.reach += delta[1]
                acc.engagements += delta[2]
                acc.contents.add(content.id)

    # -- assembly -------------------------------------------------------------------------

    def figures(self, acc: _Acc, settled: _Settled) -> Figures:
        currency = self.currency
        sales_revenue, refunds, gross_profit = settled
        return Figures(
            currency=currency,
            sales_revenue=Money(sales_revenue, currency),
            refunds=Money(refunds, currency),
            gross_profit=(
                UnroundedMoney(gross_profit, currency) if self.margin is not None else None
            ),
            costs=Costs(**{name: Money(acc.costs[name], currency) for name in COST_COMPONENTS}),
            conversions=acc.conversions,
            sales=acc.sales,
            new_customers=acc.new_customers,
            new_customer_counting=_COUNTING[acc.new_customer_counting],
            click_sales=acc.click_sales,
            clicks=acc.clicks,
            views=acc.views,
            reach=acc.reach,
            engagements=acc.engagements,
            followers=sum(self.audience[content_id] for content_id in acc.contents),
            posts=acc.posts,
        )

    def unattributed_sales(self) -> UnattributedSales:
        acc, currency = self.unattributed, self.currency
        places = minor_unit(currency)
        return UnattributedSales(
            currency=currency,
            conversions=int(acc.conversions),
            sales=int(acc.sales),
            new_customers=int(acc.new_customers),
            sales_revenue=Money(_settle({"": acc.sales_revenue}, places)[""], currency),
            refunds=Money(_settle({"": acc.refunds}, places)[""], currency),
        )

    def breakdown(self, dimension: Dimension, ltv: Money | None) -> tuple[ReportRow, ...]:
        accs = self.rows[dimension]
        if dimension is Dimension.PERIOD:
            order = sorted(accs, key=lambda k: self.period_starts[k])
        elif dimension is Dimension.LEG:
            legs = [leg.value for leg in Leg]
            order = sorted(accs, key=legs.index)
        else:
            order = sorted(accs, key=lambda k: (k.startswith("("), k))
        places = minor_unit(self.currency)
        sales_revenue = _settle({k: a.sales_revenue for k, a in accs.items()}, places)
        refunds = _settle({k: a.refunds for k, a in accs.items()}, places)
        gross_profit = _settle({k: a.gross_profit for k, a in accs.items()}, self.gross_places)
        result = []
        for key in order:
            settled = (sales_revenue[key], refunds[key], gross_profit[key])
            data = self.figures(accs[key], settled)
            result.append(
                ReportRow(
                    dimension=dimension,
                    key=key,
                    label=_label(self.campaign, dimension, key),
                    figures=data,
                    kpis=Kpis.of(data, ltv=ltv),
                )
            )
        return tuple(result)

    def assisted_sales(self) -> tuple[AssistedSale, ...]:
        result: list[AssistedSale] = []
        for conversion_id in sorted(self.credits_by_conversion):
            conversion = self.conversions.get(conversion_id)
            if conversion is None or not self.inside(conversion.instant, as_of_bound=False):
                continue
            result.extend(self.assists_of(conversion, self.credits_by_conversion[conversion_id]))
        return tuple(result)

    def is_influencer(self, partner_id: str | None) -> bool:
        return isinstance(self.partners.get(partner_id or ""), Influencer)

    def assists_of(self, conversion: Conversion, credits: list[Credit]) -> list[AssistedSale]:
        closers = [
            c
            for c in credits
            if c.role in (CreditRole.CLOSER, CreditRole.SOLE)
            and c.partner_id in self.partners
            and not self.is_influencer(c.partner_id)
        ]
        if not closers:
            return []
        influencers = {
            str(t.partner_id)
            for t in self.touches_by_customer.get(conversion.customer_key, ())
            if t.instant <= conversion.instant and self.is_influencer(t.partner_id)
        }
        influencers.update(
            c.partner_id
            for c in credits
            if c.role in (CreditRole.INTRODUCER, CreditRole.ASSIST)
            and self.is_influencer(c.partner_id)
        )
        zero = Money.zero(self.currency)
        value = Money.sum(
            (self.credit_value.get((conversion.id, c.partner_id), zero) for c in credits),
            self.currency,
        )
        return [
            AssistedSale(
                conversion_id=conversion.id,
                instant=conversion.instant,
                closer_id=closer.partner_id,
                influencer_id=influencer_id,
                credit=self.credit_value.get((conversion.id, influencer_id), zero),
                value=value,
            )
            for closer in closers
            for influencer_id in sorted(influencers)
        ]


_Settled = tuple[Decimal, Decimal, Decimal]


def _places(value: Decimal) -> int:
    """The decimal places ``value`` is written with."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _settle(exact: Mapping[str, Fraction], places: int) -> dict[str, Decimal]:
    """Round the rows of one breakdown once, so that they still add up to the rounded total.

    Each row is the exact sum of its credited shares. The total is rounded half-up
    to ``places`` decimals, then split by largest remainder: every row gets its
    exact amount rounded down, and the units left over go one each to the rows
    with the largest remainders (ties: the larger row, then the row key in sorted
    order, as :func:`hybridroi.core.allocation.allocate` breaks them). Every row
    is within one unit of its exact amount, whatever the order of partner ids.
    """
    scale = 10**places
    keys = sorted(exact)
    units = [exact[key] * scale for key in keys]
    total = sum(units, Fraction(0))
    rounded = int(abs(total) + Fraction(1, 2)) * (1 if total >= 0 else -1)
    if all(unit >= 0 for unit in units) and rounded > 0:
        parts = allocate_minor_units(rounded, units)
    else:
        # Rows of both signs (a gross profit net of refunds): the same rule, by hand.
        parts = [unit.numerator // unit.denominator for unit in units]
        remainders = [unit - part for unit, part in zip(units, parts, strict=True)]
        order = sorted(range(len(keys)), key=lambda i: (-remainders[i], -units[i], i))
        for i in order[: max(0, rounded - sum(parts))]:
            parts[i] += 1
    return {key: scaled(part, -places) for key, part in zip(keys, parts, strict=True)}


def _rank(rows: tuple[ReportRow, ...]) -> tuple[ReportRow, ...]:
    """Rows of real groups, most profitable first (revenue minus cost without a margin)."""

    def key(row: ReportRow) -> tuple[Decimal, str]:
        data = row.figures
        profit = data.profit
        value = profit.amount if profit is not None else (data.revenue - data.cost).amount
        return (-value, row.key)

    return tuple(sorted((r for r in rows if not r.key.startswith("(")), key=key))


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


def build_report(
    campaign: Campaign,
    run: StatementRun,
    *,
    events: Iterable[Event],
    stats: Iterable[ContentStats] = (),
    margin: GrossMargin | Decimal | str | None = None,
    window: Period | tuple[datetime, datetime] | None = None,
    holdout: Holdout | None = None,
    ltv: Money | None = None,
    period: PeriodKind = PeriodKind.MONTH,
    ledger_entries: Iterable[LedgerEntry] | None = None,
) -> Report:
    """Build the blended ROI report of a campaign.

    Args:
        campaign: The campaign.
        run: Its statements and the attribution they were priced from.
        events: The touches, conversions and refunds the run was computed from
            (the report reads sale instants, new-customer flags, line items,
            refunds and clicks from them). They are checked as the commission
            engine checks them: events it refuses are refused here too.
        stats: Content statistics (views, reach, engagement).
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
        InvalidValueError: If the window, margin, LTV or ledger entries are malformed.
    """
    currency = campaign.currency
    if ltv is not None and (not isinstance(ltv, Money) or ltv.currency != currency):
        raise InvalidValueError("ltv", ltv, f"Money in the campaign currency {currency}")
    gross_margin = _margin(margin)
    builder = _Builder(
        campaign,
        run,
        margin=gross_margin,
        bounds=_window(window),
        period_kind=period,
        ledger_entries=None if ledger_entries is None else _entries(ledger_entries),
    )
    builder.read_events(events)
    builder.add_credits()
    builder.add_unattributed()
    builder.add_refunds()
    builder.report_missing_margins()
    builder.add_costs()
    builder.add_contents(stats)

    total = builder.breakdown(Dimension.CAMPAIGN, ltv)
    if not total:
        builder.rows[Dimension.CAMPAIGN][campaign.id] = _Acc()
        total = builder.breakdown(Dimension.CAMPAIGN, ltv)
    by_partner = builder.breakdown(Dimension.PARTNER, ltv)
    by_format = builder.breakdown(Dimension.FORMAT, ltv)
    lift = None
    if holdout is not None:
        data = total[0].figures
        rate = None
        if data.gross_profit is not None and data.revenue.amount > 0:
            rate = Fraction(data.gross_profit.amount) / Fraction(data.revenue.amount)
        lift = incrementality(holdout, spend=data.cost, margin=rate)
    return Report(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        currency=currency,
        timezone=campaign.timezone,
        as_of=run.as_of,
        window=builder.bounds,
        period_kind=period,
        margin=gross_margin,
        total=total[0],
        by_partner=by_partner,
        by_platform=builder.breakdown(Dimension.PLATFORM, ltv),
        by_format=by_format,
        by_period=builder.breakdown(Dimension.PERIOD, ltv),
        by_leg=builder.breakdown(Dimension.LEG, ltv),
        assisted_sales=builder.assisted_sales(),
        partner_ranking=_rank(by_partner),
        format_ranking=_rank(by_format),
        ranking_basis=(
            "profit" if gross_margin is not None else "revenue minus cost (no gross margin given)"
        ),
        incrementality=lift,
        unattributed=builder.unattributed_sales(),
        cost_source="statements" if ledger_entries is None else "ledger",
        problems=_unique(builder.problems),
    )


def _label(campaign: Campaign, dimension: Dimension, key: str) -> str:
    if dimension is Dimension.CAMPAIGN:
        return campaign.name
    if dimension is Dimension.PARTNER and key != UNASSIGNED:
        try:
            return campaign.partner(key).name
        except KeyError:
            return key
    if dimension is Dimension.LEG:
        return {
            "influence": "Influence (fixed fees)",
            "affiliate": "Affiliate (commissions)",
            "campaign": "Campaign-level extra costs",
        }[key]
    return key.replace("_", " ")


def _unique(problems: list[Problem]) -> tuple[Problem, ...]:
    seen: set[tuple[ProblemKind, str, str | None, str]] = set()
    result = []
    for problem in problems:
        key = (problem.kind, problem.subject, problem.field, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return tuple(result)


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
