"""Candidates priced by the commission engine on synthetic sales, fast and exactly.

A :class:`~hybridroi.evaluation.candidates.Candidate` is priced by the same rule
objects and the same engine code as real statements:
:func:`~hybridroi.statements.engine.price_credits` on a synthetic period.
:func:`price_volume` prices one volume by a direct engine run, with the lines as
explanation; a :class:`Curve` gives a candidate's cost at any volume from
memoized engine runs, for Monte Carlo and for the break-even searches.

The synthetic period
    A scenario of ``n`` kept orders of order value ``a`` is priced as ``n``
    sales of exactly ``a``, each credited in full to the partner, all at the
    campaign's first instant (so in one statement period and one tier period),
    and statements as of the campaign's last instant. Fees are priced by the
    engine once, since they do not depend on sales.

New and returning customers
    When the forecast models a share of new customers
    (:attr:`~hybridroi.evaluation.forecast.Forecast.new_customer_share`),
    ``k`` of the ``n`` orders are sales to new customers
    (``new_customer=True``) and the engine prices each as the deal says;
    returning customers' orders come first in the period, then new
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
    (:class:`~hybridroi.evaluation.candidates.PricingPath`):

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
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

import attrs

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem
from hybridroi.domain.campaign import Campaign
from hybridroi.evaluation.candidates import Candidate, PricingPath, candidate_setting, check_names
from hybridroi.evaluation.forecast import Forecast, Volume
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Conversion
from hybridroi.statements.engine import price_credits
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

__all__ = ["NewCustomers", "PricedVolume", "cost_by_sales", "price_volume"]

_TICK = timedelta(microseconds=1)
_CUSTOMER = "forecast"


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


class Synthetic:
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
        """The first ``count`` synthetic sales of ``value`` and their credits, built on demand.

        Args:
            campaign: Gives the currency and the instant of every sale.
            partner_id: The partner credited in full.
            value: The order value in minor units.
            count: How many sales.
            new: Whether they are new customers' orders.

        Returns:
            The conversions and their sole credits, in price order.
        """
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
    synthetic: Synthetic | None = None,
) -> StatementRun:
    """The engine's statements for the synthetic sales of each ``(value, count, new)`` group."""
    synthetic = synthetic or Synthetic()
    conversions: list[Conversion] = []
    credits: list[Credit] = []
    for value, count, new in groups:
        more, credited = synthetic.sales(campaign, partner_id, value, count, new)
        conversions.extend(more)
        credits.extend(credited)
    attribution = AttributionResult(credits=tuple(credits), unattributed=(), problems=())
    batch = EventBatch(conversions=conversions)
    return price_credits(campaign, attribution, batch, as_of=_as_of(campaign))


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
    setting = candidate_setting(campaign, candidate)
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


def not_modelled(sales: int) -> int | None:
    """No split between new and returning customers: every order is a returning customer's.

    Args:
        sales: Kept orders (unused).

    Returns:
        None.
    """
    return None


class Curve:
    """A candidate's (cost, earnings) at any (sales, order value), from memoized engine runs.

    A volume is ``(sales, value, new)``: ``new`` of the ``sales`` orders are new
    customers'. The split is priced only when the deal can read it
    (:attr:`Candidate.reads_new_customers`); otherwise ``new`` is ignored.
    """

    def __init__(
        self, campaign: Campaign, candidate: Candidate, synthetic: Synthetic | None = None
    ) -> None:
        self.candidate = candidate
        self.partner_id = candidate.partner_id
        self.synthetic = synthetic or Synthetic()
        setting = candidate_setting(campaign, candidate)
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
        self, value: int, upto: int, new_customers: NewCustomers = not_modelled
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


def splitter(forecast: Forecast) -> NewCustomers:
    """How many of a number of orders are new customers', at the forecast's mean share.

    Args:
        forecast: The forecast; without a share of new customers, :func:`not_modelled`.

    Returns:
        The split, rounded with the forecast's rounding mode.
    """
    share = forecast.new_customer_share
    if share is None:
        return not_modelled
    mean = share.mean()
    return lambda sales: forecast.new_customers(sales, mean)


def curves_for(campaign: Campaign, candidates: Sequence[Candidate]) -> list[Curve]:
    """One curve per candidate, sharing the synthetic sales.

    Args:
        campaign: The campaign the candidates are priced in.
        candidates: The candidates (distinct names).

    Returns:
        The curves, in the given order.

    Raises:
        InvalidValueError: On duplicate names or a candidate the campaign cannot price.
    """
    check_names(candidates)
    synthetic = Synthetic()
    return [Curve(campaign, candidate, synthetic) for candidate in candidates]


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
    split = not_modelled if forecast is None else splitter(forecast)
    curve = Curve(campaign, candidate)
    value = order_value.minor_units
    curve.prepare((count, value, split(count)) for count in sales)
    return tuple(
        Money.from_minor(curve.at(count, value, split(count))[0], campaign.currency)
        for count in sales
    )
