"""Key performance indicators: each one a function with its formula.

Every KPI is a :class:`Kpi`: an exact ratio (numerator and denominator kept as
fractions) or *undefined*, with the reason in words. A zero denominator never
gives infinity and never raises: ``roi(gross_profit, Money("0", "EUR"))`` is
undefined because "cost is zero". A negative denominator (a cost that reversals
pushed below zero, a count that went down) is undefined too.

Counts may be fractional: when a sale is shared between two partners, each is
credited with its share of the sale, so the shares of all partners add up to
the number of sales.

>>> kpi = roas(Money("1200.00", "EUR"), Money("400.00", "EUR"))
>>> kpi.value, str(kpi)
(Fraction(3, 1), 'ROAS = revenue / cost = 3.0000')
>>> str(cpa(Money("0.00", "EUR"), 0))
'CPA = cost / conversions: undefined (no conversions)'
"""

from __future__ import annotations

import enum
from decimal import Decimal
from fractions import Fraction

import attrs

from hybridroi.core.errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, scaled
from hybridroi.core.rounding import round_minor

__all__ = [
    "Count",
    "EngagementBasis",
    "Kpi",
    "aov",
    "cac",
    "conversion_rate",
    "cost_per_post",
    "cpa",
    "cpc",
    "cpe",
    "cpm",
    "cpv",
    "ctr",
    "engagement_rate",
    "epc",
    "ltv_roi",
    "ratio",
    "revenue_roi",
    "roas",
    "roi",
]

Count = int | Fraction
"""A count of events: an ``int``, or a ``Fraction`` when sales are shared between partners."""

Amount = Money | UnroundedMoney


@attrs.frozen(kw_only=True)
class Kpi:
    """A ratio that is either an exact value or undefined with a reason.

    Attributes:
        name: Short name, such as ``"roi"``.
        label: Display name, such as ``"ROI"``.
        formula: The formula in words, such as ``"(gross profit - cost) / cost"``.
        numerator: The exact numerator.
        denominator: The exact denominator.
        currency: The currency of the value when it is money per unit (CPA,
            AOV, EPC, CPM, ...); ``None`` for a pure ratio.
        reason: Why the KPI is undefined; ``None`` when it is defined.
    """

    name: str
    label: str
    formula: str
    numerator: Fraction
    denominator: Fraction
    currency: str | None = None
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.reason is None and self.denominator <= 0:
            raise InvalidValueError(
                "Kpi.denominator", self.denominator, "a positive denominator, or a reason"
            )

    @property
    def defined(self) -> bool:
        """Whether the KPI has a value."""
        return self.reason is None

    @property
    def value(self) -> Fraction | None:
        """The exact value, or ``None`` when undefined."""
        if self.reason is not None:
            return None
        return self.numerator / self.denominator

    def decimal(self, places: int = 4, *, rounding: Rounding = Rounding.HALF_UP) -> Decimal | None:
        """The value rounded to ``places`` decimal places, or ``None`` when undefined.

        Args:
            places: Decimal places to keep (>= 0).
            rounding: The named rounding mode.

        Returns:
            The rounded value, or ``None``.

        Raises:
            InvalidValueError: If ``places`` is negative.

        >>> ctr(1, 3).decimal(3)
        Decimal('0.333')
        """
        if not isinstance(places, int) or isinstance(places, bool) or places < 0:
            raise InvalidValueError("places", places, "an integer >= 0")
        value = self.value
        if value is None:
            return None
        return scaled(round_minor(value * 10**places, rounding=rounding), -places)

    def __str__(self) -> str:
        head = f"{self.label} = {self.formula}"
        if self.reason is not None:
            return f"{head}: undefined ({self.reason})"
        unit = f" {self.currency}" if self.currency else ""
        return f"{head} = {self.decimal(4)}{unit}"


def _as_fraction(value: object, field: str) -> Fraction:
    if isinstance(value, Money | UnroundedMoney):
        return Fraction(value.amount)
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise InvalidTypeError(field, value, "Money, int, Fraction or Decimal")
    return Fraction(value)


def currency_of(*amounts: object) -> str | None:
    """The one currency of the amounts among ``amounts`` (None when there are none).

    Raises:
        CurrencyMismatchError: If the amounts are in two currencies.
    """
    currencies = sorted({a.currency for a in amounts if isinstance(a, Money | UnroundedMoney)})
    if len(currencies) > 1:
        raise CurrencyMismatchError(currencies[0], currencies[1], "divide")
    return currencies[0] if currencies else None


def ratio(
    name: str,
    label: str,
    formula: str,
    numerator: Amount | Count | Decimal,
    denominator: Amount | Count | Decimal,
    *,
    denominator_name: str,
    money_valued: bool = False,
) -> Kpi:
    """A :class:`Kpi` ``numerator / denominator``, undefined when the denominator is not positive.

    Args:
        name: Short name.
        label: Display name.
        formula: The formula in words.
        numerator: Money or a count.
        denominator: Money or a count.
        denominator_name: What the denominator counts, for the reason
            (``"cost"``, ``"clicks"``).
        money_valued: Whether the value is money per unit (it then carries the
            numerator's currency).

    Returns:
        The KPI.

    Raises:
        CurrencyMismatchError: If numerator and denominator are money in two currencies.
        TypeError: If a value is a float or not a number.
    """
    currency = currency_of(numerator, denominator)
    top = _as_fraction(numerator, "numerator")
    bottom = _as_fraction(denominator, "denominator")
    reason = None
    if bottom == 0:
        is_money = isinstance(denominator, Money | UnroundedMoney)
        reason = f"{denominator_name} is zero" if is_money else f"no {denominator_name}"
    elif bottom < 0:
        reason = f"{denominator_name} is negative"
    return Kpi(
        name=name,
        label=label,
        formula=formula,
        numerator=top,
        denominator=bottom,
        currency=currency if money_valued else None,
        reason=reason,
    )


def undefined(name: str, label: str, formula: str, reason: str) -> Kpi:
    """A KPI that cannot be computed, with the ``reason`` why."""
    return Kpi(
        name=name,
        label=label,
        formula=formula,
        numerator=Fraction(0),
        denominator=Fraction(0),
        reason=reason,
    )


NO_MARGIN = "no gross margin given, so no gross profit; see the revenue-based ROI"


def roi(gross_profit: Amount | None, cost: Money) -> Kpi:
    """Return on investment on gross profit.

    ``ROI = (attributed gross profit - cost) / cost``

    Gross profit is attributed net revenue (refunds netted) times the gross
    margin. ROI 0.5 means every euro spent came back with 50 cents of profit.

    Args:
        gross_profit: Attributed gross profit, or ``None`` when no margin is known.
        cost: Total cost.

    Returns:
        The KPI; undefined when cost is zero or negative or gross profit unknown.
    """
    formula = "(gross profit - cost) / cost"
    if gross_profit is None:
        return undefined("roi", "ROI", formula, NO_MARGIN)
    return ratio("roi", "ROI", formula, gross_profit - cost, cost, denominator_name="cost")


def revenue_roi(revenue: Money, cost: Money) -> Kpi:
    """Revenue-based ROI, which ignores the cost of the goods sold.

    ``revenue ROI = (attributed revenue - cost) / cost``

    It overstates the return of a campaign whose margin is below 100%; it is
    shown under its own name so it is never mistaken for :func:`roi`.

    Args:
        revenue: Attributed net revenue.
        cost: Total cost.

    Returns:
        The KPI; undefined when cost is zero or negative.
    """
    return ratio(
        "revenue_roi",
        "Revenue ROI",
        "(revenue - cost) / cost",
        revenue - cost,
        cost,
        denominator_name="cost",
    )


def roas(revenue: Money, cost: Money) -> Kpi:
    """Return on ad spend.

    ``ROAS = attributed revenue / cost``

    Args:
        revenue: Attributed net revenue.
        cost: Total cost.

    Returns:
        The KPI; undefined when cost is zero or negative.
    """
    return ratio("roas", "ROAS", "revenue / cost", revenue, cost, denominator_name="cost")


def cpa(cost: Money, conversions: Count) -> Kpi:
    """Cost per acquisition.

    ``CPA = cost / credited conversions`` (sales and leads)

    Args:
        cost: Total cost.
        conversions: Credited conversions.

    Returns:
        Money per conversion; undefined with no conversions.
    """
    return ratio(
        "cpa",
        "CPA",
        "cost / conversions",
        cost,
        conversions,
        denominator_name="conversions",
        money_valued=True,
    )


_COUNTED = {
    "given": "counted from the new_customer flags given with the sales",
    "derived": "no flag was given, and no credited sale is its customer's first in the events",
    "mixed": (
        "counted from the flags given and, for the other sales, from each customer's "
        "first sale in the events"
    ),
}


def cac(cost: Money, new_customers: Count, *, counting: enum.Enum | None = None) -> Kpi:
    """Customer acquisition cost, counting new customers only.

    ``CAC = cost / credited sales to new customers``

    Args:
        cost: Total cost.
        new_customers: Credited sales whose customer bought for the first time.
        counting: How the new customers were counted (a
            :class:`~hybridroi.events.customers.NewCustomerCounting`), named in the
            reason when the KPI is undefined.

    Returns:
        Money per new customer; undefined with no new customers.
    """
    kpi = ratio(
        "cac",
        "CAC",
        "cost / new customers",
        cost,
        new_customers,
        denominator_name="new customers",
        money_valued=True,
    )
    if kpi.reason is not None and counting is not None and counting.value in _COUNTED:
        return attrs.evolve(kpi, reason=f"{kpi.reason}: {_COUNTED[counting.value]}")
    return kpi


def aov(sales_revenue: Money, sales: Count) -> Kpi:
    """Average order value.

    ``AOV = credited sales revenue (before refunds) / credited sales``

    Args:
        sales_revenue: Net revenue of the credited sales, before refunds.
        sales: Credited sales.

    Returns:
        Money per order; undefined with no sales.
    """
    return ratio(
        "aov",
        "AOV",
        "sales revenue / sales",
        sales_revenue,
        sales,
        denominator_name="sales",
        money_valued=True,
    )


def conversion_rate(sales: Count, clicks: int) -> Kpi:
    """Conversion rate.

    ``conversion rate = click-tracked sales / clicks``

    Only sales that a click can have led to count: in a report, the credited
    sales whose credit was earned by a click touch. A sale credited through a
    promo code or a view is not in the numerator, since its clicks are not in
    the denominator.

    Args:
        sales: Click-tracked credited sales.
        clicks: Clicks on tracked links.

    Returns:
        The KPI; undefined with no clicks.
    """
    return ratio(
        "conversion_rate",
        "Conversion rate",
        "click-tracked sales / clicks",
        sales,
        clicks,
        denominator_name="clicks",
    )


def ctr(clicks: int, views: int) -> Kpi:
    """Click-through rate.

    ``CTR = clicks / views``

    Args:
        clicks: Clicks on tracked links.
        views: Views of the content.

    Returns:
        The KPI; undefined with no views.
    """
    return ratio("ctr", "CTR", "clicks / views", clicks, views, denominator_name="views")


def epc(commissions: Money, clicks: int) -> Kpi:
    """Earnings per click, as the partner sees it.

    ``EPC = commissions (net of reversals) / clicks``

    Args:
        commissions: Commissions net of reversals.
        clicks: Clicks on tracked links.

    Returns:
        Money per click; undefined with no clicks.
    """
    return ratio(
        "epc",
        "EPC",
        "commissions / clicks",
        commissions,
        clicks,
        denominator_name="clicks",
        money_valued=True,
    )


def cpm(cost: Money, views: int) -> Kpi:
    """Cost per thousand views (mille).

    ``CPM = cost x 1000 / views``

    Args:
        cost: Total cost.
        views: Views of the content.

    Returns:
        Money per thousand views; undefined with no views.
    """
    return ratio(
        "cpm",
        "CPM",
        "cost x 1000 / views",
        cost * 1000,
        views,
        denominator_name="views",
        money_valued=True,
    )


def cpc(cost: Money, clicks: int) -> Kpi:
    """Cost per click.

    ``CPC = cost / clicks``

    Args:
        cost: Total cost.
        clicks: Clicks on tracked links.

    Returns:
        Money per click; undefined with no clicks.
    """
    return ratio(
        "cpc", "CPC", "cost / clicks", cost, clicks, denominator_name="clicks", money_valued=True
    )


def cpv(cost: Money, views: int) -> Kpi:
    """Cost per view.

    ``CPV = cost / views``

    Args:
        cost: Total cost.
        views: Views of the content.

    Returns:
        Money per view; undefined with no views.
    """
    return ratio(
        "cpv", "CPV", "cost / views", cost, views, denominator_name="views", money_valued=True
    )


def cpe(cost: Money, engagements: int) -> Kpi:
    """Cost per engagement.

    ``CPE = cost / (likes + comments + shares + saves)``

    Args:
        cost: Total cost.
        engagements: Likes, comments, shares and saves.

    Returns:
        Money per engagement; undefined with no engagements.
    """
    return ratio(
        "cpe",
        "CPE",
        "cost / engagements",
        cost,
        engagements,
        denominator_name="engagements",
        money_valued=True,
    )


class EngagementBasis(enum.Enum):
    """The denominator of an engagement rate; vendors differ, so it is always stated."""

    FOLLOWERS = "followers"
    """Engagements / followers of the accounts that published (GRIN, Traackr)."""
    VIEWS = "views"
    """Engagements / views of the content (TikTok, YouTube)."""


def engagement_rate(engagements: int, denominator: int, *, basis: EngagementBasis) -> Kpi:
    """Engagement rate, with its denominator named.

    ``engagement rate (by followers) = engagements / followers``;
    ``engagement rate (by views) = engagements / views``

    Args:
        engagements: Likes, comments, shares and saves.
        denominator: Followers or views, as ``basis`` says.
        basis: Which denominator is used.

    Returns:
        The KPI, named ``engagement_rate_followers`` or ``engagement_rate_views``;
        undefined when the denominator is zero.
    """
    if not isinstance(basis, EngagementBasis):
        raise InvalidTypeError("basis", basis, "an EngagementBasis")
    return ratio(
        f"engagement_rate_{basis.value}",
        f"Engagement rate ({basis.value})",
        f"engagements / {basis.value}",
        engagements,
        denominator,
        denominator_name=basis.value,
    )


def cost_per_post(cost: Money, posts: int) -> Kpi:
    """Cost per post.

    ``cost per post = cost / pieces of content published``

    Args:
        cost: Total cost.
        posts: Pieces of content published.

    Returns:
        Money per post; undefined with no posts.
    """
    return ratio(
        "cost_per_post",
        "Cost per post",
        "cost / posts",
        cost,
        posts,
        denominator_name="posts",
        money_valued=True,
    )


def ltv_roi(new_customers: Count, ltv: Money | None, cost: Money) -> Kpi:
    """ROI on customer lifetime value.

    ``LTV ROI = (new customers x LTV - cost) / cost``

    The LTV is the expected lifetime gross profit of one new customer: multiply
    a revenue LTV by the margin before passing it.

    Args:
        new_customers: Credited sales to new customers.
        ltv: Lifetime gross profit of one customer, or ``None`` when unknown.
        cost: Total cost.

    Returns:
        The KPI; undefined when no LTV is given or cost is not positive.

    Raises:
        CurrencyMismatchError: If the LTV's currency is not the cost's.
    """
    formula = "(new customers x LTV - cost) / cost"
    if ltv is None:
        return undefined("ltv_roi", "LTV ROI", formula, "no customer lifetime value given")
    currency_of(ltv, cost)
    value = Fraction(ltv.amount) * Fraction(new_customers) - Fraction(cost.amount)
    return ratio("ltv_roi", "LTV ROI", formula, value, cost, denominator_name="cost")
