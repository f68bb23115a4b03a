"""The rows of each breakdown, rounded once and labelled, from a report's running totals."""

from __future__ import annotations

from decimal import Decimal

from hybridroi.core.money import Money, UnroundedMoney, minor_unit
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Influencer
from hybridroi.events.customers import NewCustomerCounting
from hybridroi.report.records import (
    COST_COMPONENTS,
    UNASSIGNED,
    Costs,
    Dimension,
    Figures,
    Kpis,
    Leg,
    ReportRow,
    UnattributedSales,
)
from hybridroi.report.revenue import settle
from hybridroi.report.tally import RowTotals, Tally

__all__ = ["breakdown", "rank", "unattributed_sales"]

_COUNTING: dict[int, NewCustomerCounting | None] = {
    0: None,
    1: NewCustomerCounting.GIVEN,
    2: NewCustomerCounting.DERIVED,
    3: NewCustomerCounting.MIXED,
}
"""How a row's new customers were counted, by the flags its sales carried (1 given, 2 derived)."""
_LEG_LABELS = {
    "influence": "Influence (fixed fees)",
    "affiliate": "Affiliate (commissions)",
    "campaign": "Campaign-level extra costs",
}


def breakdown(tally: Tally, dimension: Dimension, ltv: Money | None) -> tuple[ReportRow, ...]:
    """The rows of one breakdown, in their order, each with its KPIs.

    Revenue, refunds and gross profit are rounded once per breakdown (see
    :func:`~hybridroi.report.revenue.settle`), so the rows add up to the total.

    Args:
        tally: The report's running totals.
        dimension: What the breakdown groups by.
        ltv: Lifetime gross profit of one new customer, if known.

    Returns:
        The rows: periods in time order, legs in :class:`Leg` order, other
        groups by key with the ``(...)`` rows last.
    """
    rows = tally.rows[dimension]
    if dimension is Dimension.PERIOD:
        order = sorted(rows, key=lambda k: tally.period_starts[k])
    elif dimension is Dimension.LEG:
        legs = [leg.value for leg in Leg]
        order = sorted(rows, key=legs.index)
    else:
        order = sorted(rows, key=lambda k: (k.startswith("("), k))
    places = minor_unit(tally.currency)
    sales_revenue = settle({k: a.sales_revenue for k, a in rows.items()}, places)
    refunds = settle({k: a.refunds for k, a in rows.items()}, places)
    gross_profit = settle({k: a.gross_profit for k, a in rows.items()}, tally.gross_places)
    audience = _audience(tally)
    result = []
    for key in order:
        settled = (sales_revenue[key], refunds[key], gross_profit[key])
        data = _figures(tally, rows[key], settled, audience)
        result.append(
            ReportRow(
                dimension=dimension,
                key=key,
                label=_label(tally.campaign, dimension, key),
                figures=data,
                kpis=Kpis.of(data, ltv=ltv),
            )
        )
    return tuple(result)


def _audience(tally: Tally) -> dict[str, int]:
    """Followers of the account that published each piece of content."""
    return {
        content.id: partner.audience_on(content.platform)
        if isinstance(partner := tally.partners.get(content.partner_id), Influencer)
        else 0
        for content in tally.campaign.contents
    }


def _figures(
    tally: Tally,
    totals: RowTotals,
    settled: tuple[Decimal, Decimal, Decimal],
    audience: dict[str, int],
) -> Figures:
    currency = tally.currency
    sales_revenue, refunds, gross_profit = settled
    return Figures(
        currency=currency,
        sales_revenue=Money(sales_revenue, currency),
        refunds=Money(refunds, currency),
        gross_profit=(UnroundedMoney(gross_profit, currency) if tally.margin is not None else None),
        costs=Costs(
            **{name: Money.from_minor(totals.costs[name], currency) for name in COST_COMPONENTS}
        ),
        conversions=totals.conversions,
        sales=totals.sales,
        new_customers=totals.new_customers,
        new_customer_counting=_COUNTING[totals.new_customer_counting],
        click_sales=totals.click_sales,
        clicks=totals.clicks,
        views=totals.views,
        reach=totals.reach,
        engagements=totals.engagements,
        followers=sum(audience[content_id] for content_id in totals.contents),
        posts=totals.posts,
    )


def unattributed_sales(tally: Tally) -> UnattributedSales:
    """The conversions credited to no partner, rounded once.

    Args:
        tally: The report's running totals.

    Returns:
        Their counts and revenue.
    """
    totals, currency = tally.unattributed, tally.currency
    places = minor_unit(currency)
    return UnattributedSales(
        currency=currency,
        conversions=int(totals.conversions),
        sales=int(totals.sales),
        new_customers=int(totals.new_customers),
        sales_revenue=Money(settle({"": totals.sales_revenue}, places)[""], currency),
        refunds=Money(settle({"": totals.refunds}, places)[""], currency),
    )


def rank(rows: tuple[ReportRow, ...]) -> tuple[ReportRow, ...]:
    """Rows of real groups, most profitable first (revenue minus cost without a margin).

    Args:
        rows: The rows of one breakdown.

    Returns:
        Its rows but the ``(...)`` ones, by profit descending, then key.
    """

    def key(row: ReportRow) -> tuple[Decimal, str]:
        data = row.figures
        profit = data.profit
        value = profit.amount if profit is not None else (data.revenue - data.cost).amount
        return (-value, row.key)

    return tuple(sorted((r for r in rows if not r.key.startswith("(")), key=key))


def _label(campaign: Campaign, dimension: Dimension, key: str) -> str:
    if dimension is Dimension.CAMPAIGN:
        return campaign.name
    if dimension is Dimension.PARTNER and key != UNASSIGNED:
        try:
            return campaign.partner(key).name
        except KeyError:
            return key
    if dimension is Dimension.LEG:
        return _LEG_LABELS[key]
    return key.replace("_", " ")
