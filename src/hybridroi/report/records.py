"""The records of the blended ROI report: rows, figures, costs, KPIs and the report itself.

They are plain frozen data; :func:`hybridroi.report.report.build_report` makes them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from fractions import Fraction

import attrs

from hybridroi.core.checks import enum_member
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem
from hybridroi.events.customers import NewCustomerCounting
from hybridroi.report.incrementality import Incrementality
from hybridroi.report.kpis import (
    EngagementBasis,
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
    ltv_roi,
    revenue_roi,
    roas,
    roi,
)
from hybridroi.report.margin import GrossMargin

__all__ = [
    "COST_COMPONENTS",
    "NO_CONTENT",
    "UNASSIGNED",
    "AssistedSale",
    "Costs",
    "Dimension",
    "Figures",
    "Kpis",
    "Leg",
    "Report",
    "ReportRow",
    "UnattributedSales",
]


UNASSIGNED = "(campaign)"
"""Row key of costs that belong to no partner (an agency fee, a campaign-wide boost)."""
NO_CONTENT = "(none)"
"""Row key of figures tied to no piece of content (a coupon site's sales)."""


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
