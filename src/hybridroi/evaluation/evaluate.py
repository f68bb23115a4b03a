"""Candidate deals priced by the commission engine, under a forecast's uncertainty.

A :class:`Candidate` is what a brand could sign with one partner: fixed fees
(:class:`~hybridroi.domain.fees.InfluencerFee`), an
:class:`~hybridroi.domain.deals.AffiliateDeal`, or both (a hybrid). It is
priced by the same rule objects and the same engine code as real statements:
:func:`~hybridroi.statements.engine.price_credits` on a synthetic period.

The synthetic period
    A scenario of ``n`` kept orders of order value ``a`` is priced as ``n``
    sales of exactly ``a``, each credited in full to the partner, all at the
    campaign's first instant (so in one statement period and one tier period),
    and statements as of the campaign's last instant. Fees are priced by the
    engine once, since they do not depend on sales.

New and returning customers
    When the forecast models a share of new customers
    (:attr:`Forecast.new_customer_share`), ``k`` of the ``n`` orders are sales
    to new customers (``new_customer=True``) and the engine prices each as the
    deal says; returning customers' orders come first in the period, then new
    customers' (the order matters only to tiers and caps that count earlier
    sales). Without the share, every order is a returning customer's, and a
    candidate whose rules have a
    :class:`~hybridroi.domain.conditions.CustomerIs` condition is refused
    with :class:`InvalidValueError` rather than priced as if no order came from
    a new customer. The split is used only for deals that can read it (a
    ``CustomerIs`` condition, or rules written in Python); for the others it
    changes nothing, and is not priced.

Pricing fast without leaving the engine
    Monte Carlo asks for tens of thousands of scenarios; pricing each one by
    running the engine on its ``n`` sales would be far too slow. The engine's
    own structure gives three exact shortcuts, chosen per deal
    (:class:`PricingPath`):

    * ``PER_SALE``: the deal has only rate rules without tiers (percent, flat
      per sale or item, custom rules), and at most per-sale caps. The engine prices each
      sale alone, so ``n`` equal sales cost ``n`` times the line of one sale.
      One engine run prices one sale of every order value the draws need.
    * ``PREFIX``: graduated tiers and caps. A sale's line depends only on the
      sales before it (carry-in volume, cap room used), never on later ones,
      so the first ``n`` lines of a run of ``N >= n`` sales are the lines of a
      run of ``n`` sales. One engine run per distinct order value, of as many
      sales as the largest draw, gives every smaller count by prefix sums.
    * ``PER_VOLUME``: period rules (threshold bonuses, guaranteed minimums,
      recoverable draws, network fees), volume tiers and tier bonuses depend on
      the period's totals. Each distinct ``(n, a)`` is one engine run, memoized.

    With new and returning customers priced apart, ``PER_SALE`` prices one
    sale of each kind, and a ``PREFIX`` deal is priced per volume
    (``(n, k, a)``), since new customers' orders are not a prefix of the run.

    Every shortcut is checked against a direct engine run by property tests,
    and the prefix path checks at run time that every line belongs to a sale.

Money and statistics
    Costs and earnings per scenario are exact whole minor units from the
    engine. Expected values are exact fractions, rounded to :class:`Money`
    once with a named :class:`Rounding` mode. ROI is the exact ratio
    ``(expected gross profit - expected cost) / expected cost``; the ROI of
    each draw is exact too, and percentiles are nearest-rank (an actual draw).
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import attrs

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.checks import collection, enum_member, identifier, text
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding
from hybridroi.core.problems import Problem
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.conditions import CustomerIs
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import InfluencerFee
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CpmViews,
    GuaranteedMinimum,
    NetworkFee,
    PerClick,
    RecoverableDraw,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import TierMode
from hybridroi.evaluation.forecast import MARGIN_SCALE, Forecast, Scenario, Volume
from hybridroi.events.records import Conversion
from hybridroi.statements.engine import price_credits, round_minor
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

__all__ = [
    "BreakEven",
    "Candidate",
    "Comparison",
    "DealEvaluation",
    "Indifference",
    "PricedVolume",
    "PricingPath",
    "break_even",
    "compare",
    "cost_by_sales",
    "indifference",
    "price_volume",
    "simulate",
]

_TICK = timedelta(microseconds=1)
_CUSTOMER = "forecast"


class PricingPath(enum.Enum):
    """How a candidate's cost at a volume is obtained from the engine (all exact)."""

    FIXED = "fixed"
    """Fees only: one engine run, whatever the volume."""
    PER_SALE = "per_sale"
    """Each sale is priced alone: n equal sales cost n times one sale's line."""
    PREFIX = "prefix"
    """A sale's line depends only on earlier sales: prefix sums of one run per order value."""
    PER_VOLUME = "per_volume"
    """Period totals matter: one engine run per distinct (sales, order value)."""


def _fees(value: Iterable[Any]) -> tuple[InfluencerFee, ...]:
    return collection(value, "Candidate.fees", InfluencerFee, "an InfluencerFee")


@attrs.frozen(kw_only=True)
class Candidate:
    """A deal a brand could sign with one partner: fixed fees, a commission deal, or both.

    Attributes:
        name: A short label shown in comparisons and charts (``"EUR 5,000 flat"``).
        partner_id: The partner paid; every fee and the deal must name it.
        fees: Fixed fees (one-off, per deliverable, retainer, ...).
        deal: The commission deal, if any. Per-click and CPM rules are refused:
            the forecast models sales, not clicks or views paid for.
    """

    name: str = attrs.field(validator=text)
    partner_id: str = attrs.field(validator=identifier)
    fees: tuple[InfluencerFee, ...] = attrs.field(default=(), converter=_fees)
    deal: AffiliateDeal | None = None

    def __attrs_post_init__(self) -> None:
        for index, fee in enumerate(self.fees):
            if not isinstance(fee, InfluencerFee):
                raise InvalidValueError(f"Candidate.fees[{index}]", fee, "an InfluencerFee")
            if fee.partner_id != self.partner_id:
                raise InvalidValueError(
                    f"Candidate.fees[{index}].partner_id",
                    fee.partner_id,
                    f"the candidate's partner {self.partner_id}",
                )
        if self.deal is None:
            if not self.fees:
                raise InvalidValueError("Candidate.fees", self.fees, "a fee or a deal (or both)")
            return
        if not isinstance(self.deal, AffiliateDeal):
            raise InvalidValueError("Candidate.deal", self.deal, "an AffiliateDeal or None")
        if self.deal.partner_id != self.partner_id:
            raise InvalidValueError(
                "Candidate.deal.partner_id",
                self.deal.partner_id,
                f"the candidate's partner {self.partner_id}",
            )
        for rule in self.deal.rules:
            if isinstance(rule, PerClick | CpmViews):
                raise InvalidValueError(
                    f"Candidate.deal.rules[{rule.id}]",
                    rule,
                    "sale-based rules (a forecast of sales does not price clicks or views)",
                )

    @property
    def path(self) -> PricingPath:
        """How this candidate's variable cost is priced (see :class:`PricingPath`)."""
        deal = self.deal
        if deal is None:
            return PricingPath.FIXED
        rules = (*deal.rules, *deal.program_rules)
        period_rules = ThresholdBonus | GuaranteedMinimum | RecoverableDraw | NetworkFee
        for rule in rules:
            if isinstance(rule, period_rules):
                return PricingPath.PER_VOLUME
            if isinstance(rule, TieredRate) and (
                rule.mode is TierMode.VOLUME or any(band.bonus for band in rule.bands)
            ):
                return PricingPath.PER_VOLUME
        # A per-sale cap limits each line alone; period and lifetime caps count earlier lines.
        if any(
            isinstance(rule, TieredRate)
            or (isinstance(rule, Cap) and rule.scope is not CapScope.SALE)
            for rule in rules
        ):
            return PricingPath.PREFIX
        return PricingPath.PER_SALE

    @property
    def customer_rules(self) -> tuple[str, ...]:
        """Ids of the rules with a :class:`CustomerIs` condition (new or returning customer)."""
        if self.deal is None:
            return ()
        return tuple(
            rule.id
            for rule in (*self.deal.rules, *self.deal.program_rules)
            if any(isinstance(c, CustomerIs) for c in getattr(rule, "conditions", ()))
        )

    @property
    def reads_new_customers(self) -> bool:
        """Whether pricing can depend on whether an order is a new customer's.

        True for a ``CustomerIs`` condition and for rules written in Python,
        which may read the flag.
        """
        return bool(self.customer_rules) or (self.deal is not None and bool(self.deal.custom_rules))

    def require_new_customers(self, modelled: bool, field: str) -> None:
        """Refuse to price a deal that pays new customers apart without knowing how many.

        Args:
            modelled: Whether the forecast or volume says how many orders are new customers'.
            field: The name of the missing input, for the error.

        Raises:
            InvalidValueError: If a rule has a ``CustomerIs`` condition and ``modelled``
                is false.
        """
        if self.customer_rules and not modelled:
            deal = self.deal
            assert deal is not None  # customer_rules is empty without a deal
            raise InvalidValueError(
                field,
                None,
                f"how many orders are from new customers: candidate {self.name!r} pays by "
                f"customer (rule(s) {', '.join(self.customer_rules)} of deal {deal.id} have a "
                "CustomerIs condition), and pricing every order as a returning customer's "
                "would be wrong",
            )


@attrs.frozen(kw_only=True)
class PricedVolume:
    """One volume priced by a direct engine run, with the engine's lines as explanation.

    Attributes:
        candidate: The candidate's name.
        volume: The volume priced.
        cost: What the brand pays: every line, network fees included.
        creator_earnings: What the partner is owed: every line but network fees.
        lines: The statement lines, each with the rule that fired and why.
        problems: Problems the engine reported (for example a rule in another currency).
    """

    candidate: str
    volume: Volume
    cost: Money
    creator_earnings: Money
    lines: tuple[StatementLine, ...]
    problems: tuple[Problem, ...]


def _setting(campaign: Campaign, candidate: Candidate) -> Campaign:
    """The campaign with the candidate as its only pay for the partner."""
    try:
        campaign.partner(candidate.partner_id)
    except KeyError:
        raise InvalidValueError(
            "Candidate.partner_id", candidate.partner_id, "a partner of the campaign"
        ) from None
    currency = campaign.currency
    for index, fee in enumerate(candidate.fees):
        if fee.amount.currency != currency:
            raise InvalidValueError(
                f"Candidate.fees[{index}].amount",
                fee.amount,
                f"an amount in the campaign currency {currency}",
            )
    if candidate.deal is not None and campaign.deal_currency(candidate.deal) != currency:
        raise InvalidValueError(
            "Candidate.deal.currency",
            candidate.deal.currency,
            f"the campaign currency {currency} (amounts in two currencies cannot be summed)",
        )
    return attrs.evolve(
        campaign,
        fees=candidate.fees,
        deals=() if candidate.deal is None else (candidate.deal,),
        extra_costs=(),
    )


class _Synthetic:
    """Synthetic sales and their credits, built once per order value and shared by curves.

    Sale ``i`` of order value ``v`` has the id ``forecast-<v>-<i>`` (``i`` zero-padded),
    or ``forecast-<v>-new-<i>`` for a new customer's order, so the engine, which orders
    sales by (instant, id), prices them in index order, returning customers' orders first.
    """

    def __init__(self) -> None:
        self._built: dict[
            tuple[str, str, datetime, int, bool], tuple[list[Conversion], list[Credit]]
        ] = {}

    def sales(
        self, campaign: Campaign, partner_id: str, value: int, count: int, new: bool = False
    ) -> tuple[list[Conversion], list[Credit]]:
        key = (partner_id, campaign.currency, campaign.start, value, new)
        conversions, credits = self._built.setdefault(key, ([], []))
        currency = campaign.currency
        for index in range(len(conversions), count):
            conversion = Conversion(
                id=_sale_id(value, index, new),
                instant=campaign.start,
                customer_key=_CUSTOMER,
                revenue=Money.from_minor(value, currency),
                new_customer=new,
            )
            conversions.append(conversion)
            credits.append(
                Credit(
                    conversion_id=conversion.id,
                    partner_id=partner_id,
                    share=Fraction(1),
                    role=CreditRole.SOLE,
                    touch_id=_CUSTOMER,
                    content_id=None,
                    revenue=conversion.revenue,
                    reason="forecast sale",
                )
            )
        return conversions[:count], credits[:count]


def _sale_id(value: int, index: int, new: bool) -> str:
    return f"forecast-{value}-{'new-' if new else ''}{index:07d}"


def _run(
    campaign: Campaign,
    partner_id: str,
    groups: Sequence[tuple[int, int, bool]],
    synthetic: _Synthetic | None = None,
) -> StatementRun:
    """The engine's statements for the synthetic sales of each ``(value, count, new)`` group."""
    synthetic = synthetic or _Synthetic()
    conversions: list[Conversion] = []
    credits: list[Credit] = []
    for value, count, new in groups:
        more, credited = synthetic.sales(campaign, partner_id, value, count, new)
        conversions.extend(more)
        credits.extend(credited)
    attribution = AttributionResult(credits=tuple(credits), unattributed=(), problems=())
    return price_credits(campaign, attribution, conversions, as_of=_as_of(campaign))


def _groups(sales: int, value: int, new: int) -> list[tuple[int, int, bool]]:
    """The synthetic groups of ``sales`` orders of ``value``, ``new`` of them new customers'."""
    return [(value, sales - new, False), (value, new, True)] if new else [(value, sales, False)]


def _as_of(campaign: Campaign) -> datetime:
    return campaign.end - _TICK


def _lines(run: StatementRun, partner_id: str) -> list[StatementLine]:
    return [
        line
        for statement in run.statements
        if statement.partner_id == partner_id
        for line in statement.lines
    ]


def _totals(lines: Iterable[StatementLine]) -> tuple[int, int]:
    """(brand cost, creator earnings) of lines, in minor units."""
    cost = earnings = 0
    for line in lines:
        units = line.amount.minor_units
        cost += units
        if line.kind is not LineKind.NETWORK_FEE:
            earnings += units
    return cost, earnings


def price_volume(campaign: Campaign, candidate: Candidate, volume: Volume) -> PricedVolume:
    """Price one volume with a direct engine run: the reference every shortcut must equal.

    Args:
        campaign: The campaign that gives the partner, currency, time zone and dates.
        candidate: The deal to price.
        volume: The volume: kept orders of one order value, and how many of them
            are new customers' (needed when the deal pays by customer).

    Returns:
        The cost, the creator's earnings and the engine's lines.

    Raises:
        InvalidValueError: If the partner is not in the campaign, an amount is
            not in the campaign currency, or the deal has a ``CustomerIs``
            condition and ``volume.new_customers`` is None.
    """
    setting = _setting(campaign, candidate)
    candidate.require_new_customers(volume.new_customers is not None, "Volume.new_customers")
    groups = _groups(volume.sales, volume.order_value.minor_units, volume.new_customers or 0)
    run = _run(setting, candidate.partner_id, groups)
    lines = _lines(run, candidate.partner_id)
    cost, earnings = _totals(lines)
    currency = campaign.currency
    return PricedVolume(
        candidate=candidate.name,
        volume=volume,
        cost=Money.from_minor(cost, currency),
        creator_earnings=Money.from_minor(earnings, currency),
        lines=tuple(lines),
        problems=run.problems,
    )


NewCustomers = Callable[[int], int | None]
"""How many of a number of orders are new customers' (None: not modelled)."""


def _not_modelled(sales: int) -> int | None:
    return None


class _Curve:
    """A candidate's (cost, earnings) at any (sales, order value), from memoized engine runs.

    A volume is ``(sales, value, new)``: ``new`` of the ``sales`` orders are new
    customers'. The split is priced only when the deal can read it
    (:attr:`Candidate.reads_new_customers`); otherwise ``new`` is ignored.
    """

    def __init__(
        self, campaign: Campaign, candidate: Candidate, synthetic: _Synthetic | None = None
    ) -> None:
        self.candidate = candidate
        self.partner_id = candidate.partner_id
        self.synthetic = synthetic or _Synthetic()
        setting = _setting(campaign, candidate)
        self.split = candidate.reads_new_customers
        self.path = candidate.path
        if self.split and self.path is PricingPath.PREFIX:
            # New customers' orders come after returning ones: not a prefix of one run.
            self.path = PricingPath.PER_VOLUME
        fixed = _run(attrs.evolve(setting, deals=()), self.partner_id, ())
        self.fixed = _totals(_lines(fixed, self.partner_id))
        self.problems: list[Problem] = list(fixed.problems)
        self.deal_setting = attrs.evolve(setting, fees=())
        self.per_sale: dict[tuple[int, bool], tuple[int, int]] = {}
        self.prefix: dict[int, list[tuple[int, int]]] = {}
        self.per_volume: dict[tuple[int, int, int], tuple[int, int]] = {}

    def new_of(self, sales: int, new: int | None) -> int:
        """The new customers' orders to price: 0 when the deal cannot tell them apart.

        Raises:
            InvalidValueError: If the deal pays by customer and ``new`` is None.
        """
        if not self.split:
            return 0
        if new is None:
            self.candidate.require_new_customers(False, "Forecast.new_customer_share")
            return 0
        if not 0 <= new <= sales:
            raise InvalidValueError("new customers", new, f"a number of orders from 0 to {sales}")
        return new

    def _deal_run(self, groups: Sequence[tuple[int, int, bool]]) -> list[StatementLine]:
        run = _run(self.deal_setting, self.partner_id, groups, self.synthetic)
        for problem in run.problems:
            if problem not in self.problems:
                self.problems.append(problem)
        return _lines(run, self.partner_id)

    @staticmethod
    def _by_sale(lines: Sequence[StatementLine]) -> dict[str, tuple[int, int]] | None:
        """(cost, earnings) of each sale by id, or None if a line belongs to no single sale."""
        found: dict[str, tuple[int, int]] = {}
        for line in lines:
            if not line.key.startswith("commission:forecast-") or len(line.source_ids) != 1:
                return None
            sale = line.source_ids[0]
            found[sale] = _add(found.get(sale, (0, 0)), _totals((line,)))
        return found

    def prepare(self, volumes: Iterable[tuple[int, int, int | None]]) -> None:
        """Run the engine once for everything ``volumes`` need that is not known yet."""
        path = self.path
        if path is PricingPath.FIXED:
            return
        wanted = [(sales, value, self.new_of(sales, new)) for sales, value, new in volumes]
        if path is PricingPath.PER_SALE:
            kinds = (False, True) if self.split else (False,)
            needed = sorted(
                {(value, fresh) for sales, value, _ in wanted if sales for fresh in kinds}
                - self.per_sale.keys()
            )
            if needed:
                priced = self._by_sale(self._deal_run([(v, 1, fresh) for v, fresh in needed]))
                if priced is None:
                    self.path = PricingPath.PER_VOLUME
                    return
                for value, fresh in needed:
                    self.per_sale[value, fresh] = priced.get(_sale_id(value, 0, fresh), (0, 0))
            return
        if path is PricingPath.PREFIX:
            largest: dict[int, int] = {}
            for sales, value, _ in wanted:
                known = self.prefix.get(value)
                if (known is None or len(known) <= sales) and sales > largest.get(value, -1):
                    largest[value] = sales
            for value in sorted(largest):
                count = largest[value]
                priced = self._by_sale(self._deal_run([(value, count, False)]))
                if priced is None:
                    self.path = PricingPath.PER_VOLUME
                    return
                sales_ids = self.synthetic.sales(self.deal_setting, self.partner_id, value, count)
                each = [priced.get(conversion.id, (0, 0)) for conversion in sales_ids[0]]
                self.prefix[value] = [(0, 0), *itertools.accumulate(each, _add)]
            return
        for key in sorted({(sales, new, value) for sales, value, new in wanted}):
            if key not in self.per_volume:
                sales, new, value = key
                self.per_volume[key] = _totals(self._deal_run(_groups(sales, value, new)))

    def _variable(self, sales: int, value: int, new: int) -> tuple[int, int] | None:
        if self.path is PricingPath.PER_SALE:
            returning = self.per_sale.get((value, False))
            fresh = self.per_sale.get((value, True)) if self.split else (0, 0)
            if returning is None or fresh is None:
                return None
            old = sales - new
            return (
                old * returning[0] + new * fresh[0],
                old * returning[1] + new * fresh[1],
            )
        if self.path is PricingPath.PREFIX:
            sums = self.prefix.get(value)
            return None if sums is None or len(sums) <= sales else sums[sales]
        return self.per_volume.get((sales, new, value))

    def at(self, sales: int, value: int, new: int | None = None) -> tuple[int, int]:
        """(cost, creator earnings) in minor units of ``sales`` orders of ``value``.

        Args:
            sales: Kept orders.
            value: Order value in minor units.
            new: How many of the orders are new customers' (None: not modelled).
        """
        path = self.path
        count = self.new_of(sales, new)
        if path is PricingPath.FIXED or (sales == 0 and path is not PricingPath.PER_VOLUME):
            return self.fixed
        variable = self._variable(sales, value, count)
        while variable is None:
            # Preparing may move the curve to the per-volume path, which always fills.
            self.prepare(((sales, value, count),))
            variable = self._variable(sales, value, count)
        return self.fixed[0] + variable[0], self.fixed[1] + variable[1]

    def series(
        self, value: int, upto: int, new_customers: NewCustomers = _not_modelled
    ) -> list[tuple[int, int]]:
        """(cost, earnings) for 0, 1, ..., ``upto`` sales of ``value``.

        Args:
            value: Order value in minor units.
            upto: The largest number of orders.
            new_customers: How many of a number of orders are new customers'.
        """
        if self.path is not PricingPath.PER_VOLUME:
            self.prepare(((upto, value, new_customers(upto)),))
        return [self.at(sales, value, new_customers(sales)) for sales in range(upto + 1)]


def _add(left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int]:
    return left[0] + right[0], left[1] + right[1]


# Monte Carlo ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DealEvaluation:
    """A candidate under a forecast: Monte Carlo expectations, percentiles and risks.

    Money figures are expectations over the draws, rounded once with the
    evaluation's rounding mode. Ratios are exact fractions.

    Attributes:
        candidate: The candidate's name.
        path: How the engine priced the candidate's volumes.
        draws: Number of scenarios.
        seed: The seed of the draws.
        expected_sales: Mean kept orders per scenario.
        expected_revenue: Mean net revenue.
        expected_gross_profit: Mean of revenue x margin.
        fixed_cost: The fees, certain whatever the sales.
        expected_cost: Mean cost to the brand (fees, commissions, bonuses,
            top-ups, advances and network fees).
        expected_profit: ``expected_gross_profit - expected_cost``.
        roi: ``expected profit / expected cost``; None when the expected cost is 0.
        creator_earnings: Mean of what the partner is owed.
        cost_p5: 5th percentile of cost (nearest rank).
        cost_p50: Median cost.
        cost_p95: 95th percentile of cost.
        cost_variance: Variance of the cost, in squared minor units (exact).
        profit_p5: 5th percentile of the brand's profit: its downside.
        roi_p5: 5th percentile of ROI over the draws that cost something.
        roi_p50: Median ROI over those draws.
        roi_p95: 95th percentile of ROI over those draws.
        roi_undefined_draws: Draws that cost nothing, whose ROI is undefined.
        loss_probability: Share of draws where cost exceeds gross profit.
        cost_draws: Cost of every draw, in minor units, in draw order.
        profit_draws: Brand profit of every draw, in 1/10,000 of a minor unit.
    """

    candidate: str
    path: PricingPath = attrs.field(
        converter=enum_member(PricingPath)  # type: ignore[misc]
    )
    draws: int
    seed: int | str
    expected_sales: Fraction
    expected_revenue: Money
    expected_gross_profit: Money
    fixed_cost: Money
    expected_cost: Money
    expected_profit: Money
    roi: Fraction | None
    creator_earnings: Money
    cost_p5: Money
    cost_p50: Money
    cost_p95: Money
    cost_variance: Fraction
    profit_p5: Money
    roi_p5: Fraction | None
    roi_p50: Fraction | None
    roi_p95: Fraction | None
    roi_undefined_draws: int
    loss_probability: Fraction
    cost_draws: tuple[int, ...] = attrs.field(repr=False)
    profit_draws: tuple[int, ...] = attrs.field(repr=False)

    def roi_values(self) -> list[float]:
        """The ROI of each draw that cost something, as floats, for charts only.

        Returns:
            ``profit / cost`` per draw, in draw order, skipping draws that cost nothing.
        """
        return [
            profit / (cost * MARGIN_SCALE)
            for cost, profit in zip(self.cost_draws, self.profit_draws, strict=True)
            if cost > 0
        ]


def _rank(count: int, percent: int) -> int:
    """Nearest-rank index of the ``percent`` percentile among ``count`` sorted values."""
    return max(0, math.ceil(Fraction(percent, 100) * count) - 1)


def _exact_order(numerators: Sequence[int], denominators: Sequence[int]) -> list[int]:
    """Indices sorted by the exact value of numerator / denominator (denominators > 0)."""
    order = sorted(range(len(numerators)), key=lambda i: numerators[i] / denominators[i])
    result: list[int] = []
    # Floats of exact ratios are correctly rounded, hence monotone: only runs of equal
    # floats can be out of exact order, and those are re-sorted exactly.
    for _, run in itertools.groupby(order, key=lambda i: numerators[i] / denominators[i]):
        group = list(run)
        if len(group) > 1:
            group.sort(key=lambda i: Fraction(numerators[i], denominators[i]))
        result.extend(group)
    return result


def _money(value: Fraction, currency: str, rounding: Rounding) -> Money:
    return Money.from_minor(round_minor(value, rounding=rounding), currency)


def _summarize(
    curve: _Curve,
    volumes: Sequence[Scenario],
    seed: int | str,
    currency: str,
    rounding: Rounding,
) -> DealEvaluation:
    at = curve.at
    costs: list[int] = []
    earnings: list[int] = []
    profits: list[int] = []
    gross_total = 0
    for sales, value, margin, new in volumes:
        cost, earned = at(sales, value, new)
        gross = sales * value * margin
        gross_total += gross
        costs.append(cost)
        earnings.append(earned)
        profits.append(gross - cost * MARGIN_SCALE)
    count = len(volumes)
    cost_total = sum(costs)
    expected_cost = Fraction(cost_total, count)
    expected_gross = Fraction(gross_total, count * MARGIN_SCALE)
    expected_profit = expected_gross - expected_cost
    sorted_costs = sorted(costs)
    costed = [index for index in range(count) if costs[index] > 0]
    roi_order = _exact_order(
        [profits[i] for i in costed], [costs[i] * MARGIN_SCALE for i in costed]
    )

    def roi_at(percent: int) -> Fraction | None:
        if not costed:
            return None
        index = costed[roi_order[_rank(len(costed), percent)]]
        return Fraction(profits[index], costs[index] * MARGIN_SCALE)

    sorted_profits = sorted(profits)
    square_total = sum(cost * cost for cost in costs)
    return DealEvaluation(
        candidate=curve.candidate.name,
        path=curve.path,
        draws=count,
        seed=seed,
        expected_sales=Fraction(sum(volume[0] for volume in volumes), count),
        expected_revenue=_money(
            Fraction(sum(volume[0] * volume[1] for volume in volumes), count), currency, rounding
        ),
        expected_gross_profit=_money(expected_gross, currency, rounding),
        fixed_cost=Money.from_minor(curve.fixed[0], currency),
        expected_cost=_money(expected_cost, currency, rounding),
        expected_profit=_money(expected_profit, currency, rounding),
        roi=expected_profit / expected_cost if expected_cost > 0 else None,
        creator_earnings=_money(Fraction(sum(earnings), count), currency, rounding),
        cost_p5=Money.from_minor(sorted_costs[_rank(count, 5)], currency),
        cost_p50=Money.from_minor(sorted_costs[_rank(count, 50)], currency),
        cost_p95=Money.from_minor(sorted_costs[_rank(count, 95)], currency),
        cost_variance=Fraction(square_total, count) - expected_cost * expected_cost,
        profit_p5=_money(
            Fraction(sorted_profits[_rank(count, 5)], MARGIN_SCALE), currency, rounding
        ),
        roi_p5=roi_at(5),
        roi_p50=roi_at(50),
        roi_p95=roi_at(95),
        roi_undefined_draws=count - len(costed),
        loss_probability=Fraction(sum(1 for profit in profits if profit < 0), count),
        cost_draws=tuple(costs),
        profit_draws=tuple(profits),
    )


def _curves(campaign: Campaign, candidates: Sequence[Candidate]) -> list[_Curve]:
    names = [candidate.name for candidate in candidates]
    if len(set(names)) != len(names):
        raise InvalidValueError("candidates", names, "candidates with distinct names")
    synthetic = _Synthetic()
    return [_Curve(campaign, candidate, synthetic) for candidate in candidates]


def _check_forecast(campaign: Campaign, forecast: Forecast) -> None:
    if forecast.currency != campaign.currency:
        raise InvalidValueError(
            "Forecast.currency",
            forecast.currency,
            f"the campaign currency {campaign.currency}",
        )


def simulate(
    campaign: Campaign,
    candidates: Sequence[Candidate],
    forecast: Forecast,
    *,
    draws: int = 10_000,
    seed: int | str = 0,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> tuple[DealEvaluation, ...]:
    """Monte Carlo evaluation of candidates on the same scenarios.

    Every candidate is priced on the same draws (common random numbers), so
    the differences between candidates come from the deals, not from luck.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        candidates: The deals to compare (distinct names).
        forecast: The funnel and its uncertainty, in the campaign currency.
        draws: Number of scenarios.
        seed: Seed of ``random.Random``; the same seed gives the same result.
        rounding: How expectations become :class:`Money`.

    Returns:
        One evaluation per candidate, in the given order.

    Raises:
        InvalidValueError: On a candidate that cannot be priced in the campaign,
            a forecast in another currency or a non-positive number of draws.
    """
    _check_forecast(campaign, forecast)
    return _simulate(_curves(campaign, candidates), forecast, draws, seed, rounding)


def _simulate(
    curves: Sequence[_Curve], forecast: Forecast, draws: int, seed: int | str, rounding: Rounding
) -> tuple[DealEvaluation, ...]:
    modelled = forecast.new_customer_share is not None
    for curve in curves:
        curve.candidate.require_new_customers(modelled, "Forecast.new_customer_share")
    volumes = forecast.scenarios(draws, seed)
    wanted = [(sales, value, new) for sales, value, _, new in volumes]
    for curve in curves:
        curve.prepare(wanted)
    return tuple(_summarize(curve, volumes, seed, forecast.currency, rounding) for curve in curves)


# Break-even and indifference --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BreakEven:
    """The smallest whole number of kept orders at which the brand's profit is >= 0.

    Attributes:
        candidate: The candidate's name.
        sales: The break-even number of orders; None when none up to the search limit.
        revenue: The revenue at ``sales``.
        cost: The cost at ``sales`` (or at the search limit).
        gross_profit: Revenue x margin at ``sales`` (or at the search limit).
        reason: The arithmetic, in words.
    """

    candidate: str
    sales: int | None
    revenue: Money | None
    cost: Money
    gross_profit: Money
    reason: str


def _orders(count: int) -> str:
    return f"{count:,} order{'' if count == 1 else 's'}"


def _gross(sales: int, value: int, margin: int) -> Fraction:
    return Fraction(sales * value * margin, MARGIN_SCALE)


def _windows(limit: int) -> Iterable[tuple[int, int]]:
    low, size = 0, 64
    while low <= limit:
        high = min(limit, low + size)
        yield low, high
        low, size = high + 1, size * 2


def _splitter(forecast: Forecast) -> NewCustomers:
    """How many of a number of orders are new customers', at the forecast's mean share."""
    share = forecast.new_customer_share
    if share is None:
        return _not_modelled
    mean = share.mean()
    return lambda sales: forecast.new_customers(sales, mean)


def _break_even(
    curve: _Curve,
    volume: Volume,
    limit: int,
    rounding: Rounding,
    new_customers: NewCustomers = _not_modelled,
) -> BreakEven:
    currency = volume.order_value.currency
    value = volume.order_value.minor_units
    margin = int(volume.margin * MARGIN_SCALE)
    before: tuple[int, Fraction] | None = None
    for low, high in _windows(limit):
        series = curve.series(value, high, new_customers)
        for sales in range(max(low, 1), high + 1):
            cost = series[sales][0]
            gross = _gross(sales, value, margin)
            if gross >= cost:
                reason = (
                    f"{_orders(sales)} of {volume.order_value} = revenue "
                    f"{Money.from_minor(sales * value, currency)}; x margin {volume.margin} = "
                    f"gross profit {_money(gross, currency, rounding)} >= cost "
                    f"{Money.from_minor(cost, currency)}"
                )
                if before is not None:
                    reason += (
                        f"; at {_orders(sales - 1)} gross profit "
                        f"{_money(before[1], currency, rounding)} < cost "
                        f"{Money.from_minor(before[0], currency)}"
                    )
                return BreakEven(
                    candidate=curve.candidate.name,
                    sales=sales,
                    revenue=Money.from_minor(sales * value, currency),
                    cost=Money.from_minor(cost, currency),
                    gross_profit=_money(gross, currency, rounding),
                    reason=reason,
                )
            before = (cost, gross)
    cost = curve.at(limit, value, new_customers(limit))[0]
    gross = _gross(limit, value, margin)
    return BreakEven(
        candidate=curve.candidate.name,
        sales=None,
        revenue=None,
        cost=Money.from_minor(cost, currency),
        gross_profit=_money(gross, currency, rounding),
        reason=(
            f"no number of orders up to {limit:,} of {volume.order_value} at margin "
            f"{volume.margin} covers the cost (at {limit:,}: gross profit "
            f"{_money(gross, currency, rounding)} < cost {Money.from_minor(cost, currency)})"
        ),
    )


def break_even(
    campaign: Campaign,
    candidate: Candidate,
    forecast: Forecast,
    *,
    max_sales: int = 100_000,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> BreakEven:
    """The break-even volume of a candidate at the forecast's point order value and margin.

    The search walks the whole numbers of orders 1, 2, ... in order, so it is
    right even where cost is not monotone in volume (volume tiers).

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        candidate: The deal.
        forecast: Its point order value and margin are used.
        max_sales: The search limit.
        rounding: How the gross profit shown is rounded.

    Returns:
        The break-even volume, or None with the reason when there is none.
    """
    _check_forecast(campaign, forecast)
    candidate.require_new_customers(
        forecast.new_customer_share is not None, "Forecast.new_customer_share"
    )
    return _break_even(
        _Curve(campaign, candidate),
        forecast.expected_volume(),
        max_sales,
        rounding,
        _splitter(forecast),
    )


@attrs.frozen(kw_only=True)
class Indifference:
    """Where two deals cost the brand the same (or trade places).

    Attributes:
        first: The first candidate's name.
        second: The second candidate's name.
        sales: The smallest number of orders at which the cheaper deal changes
            or both cost the same; None when that does not happen up to the limit.
        revenue: The revenue at ``sales``.
        first_cost: The first deal's cost at ``sales``.
        second_cost: The second deal's cost at ``sales``.
        exact: Whether both cost exactly the same at ``sales``.
        reason: The comparison, in words.
    """

    first: str
    second: str
    sales: int | None
    revenue: Money | None
    first_cost: Money | None
    second_cost: Money | None
    exact: bool
    reason: str


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _indifference(
    first: _Curve,
    second: _Curve,
    volume: Volume,
    limit: int,
    new_customers: NewCustomers = _not_modelled,
) -> Indifference:
    currency = volume.order_value.currency
    value = volume.order_value.minor_units
    names = first.candidate.name, second.candidate.name
    start = _sign(
        first.at(0, value, new_customers(0))[0] - second.at(0, value, new_customers(0))[0]
    )
    for low, high in _windows(limit):
        one = first.series(value, high, new_customers)
        two = second.series(value, high, new_customers)
        for sales in range(low, high + 1):
            gap = one[sales][0] - two[sales][0]
            if (sales == 0 and gap == 0) or (sales > 0 and _sign(gap) != start):
                left = Money.from_minor(one[sales][0], currency)
                right = Money.from_minor(two[sales][0], currency)
                relation = "=" if gap == 0 else (">" if gap > 0 else "<")
                return Indifference(
                    first=names[0],
                    second=names[1],
                    sales=sales,
                    revenue=Money.from_minor(sales * value, currency),
                    first_cost=left,
                    second_cost=right,
                    exact=gap == 0,
                    reason=(
                        f"at {_orders(sales)} of {volume.order_value}: {names[0]} costs {left} "
                        f"{relation} {names[1]} {right}"
                    ),
                )
    return Indifference(
        first=names[0],
        second=names[1],
        sales=None,
        revenue=None,
        first_cost=None,
        second_cost=None,
        exact=False,
        reason=f"{names[0]} and {names[1]} do not trade places up to {limit:,} orders",
    )


def indifference(
    campaign: Campaign,
    first: Candidate,
    second: Candidate,
    forecast: Forecast,
    *,
    max_sales: int = 100_000,
) -> Indifference:
    """The volume at which two deals cost the same, at the forecast's point order value.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        first: One deal.
        second: The other deal.
        forecast: Its point order value is used.
        max_sales: The search limit.

    Returns:
        The smallest number of orders at which the cheaper deal is no longer the
        cheaper one (exact when both cost the same there).
    """
    _check_forecast(campaign, forecast)
    modelled = forecast.new_customer_share is not None
    for candidate in (first, second):
        candidate.require_new_customers(modelled, "Forecast.new_customer_share")
    return _indifference(
        _Curve(campaign, first),
        _Curve(campaign, second),
        forecast.expected_volume(),
        max_sales,
        _splitter(forecast),
    )


def cost_by_sales(
    campaign: Campaign,
    candidate: Candidate,
    order_value: Money,
    sales: Sequence[int],
    *,
    forecast: Forecast | None = None,
) -> tuple[Money, ...]:
    """The engine's cost of a candidate at each number of orders of one order value.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        candidate: The deal.
        order_value: The value of each order.
        sales: Numbers of orders (>= 0).
        forecast: If given, its mean share of new customers splits each number
            of orders (rounded with its rounding mode), as in :func:`break_even`.

    Returns:
        The cost at each number of orders, in the given order.

    Raises:
        InvalidValueError: If the deal pays by customer (a ``CustomerIs``
            condition) and no forecast with a share of new customers is given.
    """
    modelled = forecast is not None and forecast.new_customer_share is not None
    candidate.require_new_customers(modelled, "Forecast.new_customer_share")
    split = _not_modelled if forecast is None else _splitter(forecast)
    curve = _Curve(campaign, candidate)
    value = order_value.minor_units
    curve.prepare((count, value, split(count)) for count in sales)
    return tuple(
        Money.from_minor(curve.at(count, value, split(count))[0], campaign.currency)
        for count in sales
    )


# Comparison -----------------------------------------------------------------------------


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
    _check_forecast(campaign, forecast)
    curves = _curves(campaign, candidates)
    evaluations = _simulate(curves, forecast, draws, seed, rounding)
    split = _splitter(forecast)
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
            _break_even(curve, volume, max_sales, rounding, split) for curve in curves
        ),
        indifferences=tuple(
            _indifference(one, two, volume, max_sales, split)
            for one, two in itertools.combinations(curves, 2)
        ),
        problems=tuple(problems),
        forecast=forecast,
    )
