"""Thresholds: the break-even volume of a deal, and where two deals cost the same.

Both searches price whole numbers of orders ``0, 1, 2, ...`` in order, at the
forecast's point order value and margin, in windows of doubling size priced
through a :class:`~hybridroi.evaluation.pricing.Curve`. Walking every count is
what keeps them right where cost is not monotone in volume (volume tiers):
the first count that satisfies the condition is the answer, with the
arithmetic in words beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import attrs

from hybridroi.core.money import Money, Rounding
from hybridroi.domain.campaign import Campaign
from hybridroi.evaluation.candidates import Candidate, check_forecast
from hybridroi.evaluation.forecast import MARGIN_SCALE, Forecast, Volume
from hybridroi.evaluation.pricing import Curve, NewCustomers, not_modelled, splitter
from hybridroi.evaluation.simulation import to_money

__all__ = ["BreakEven", "Indifference", "break_even", "indifference"]


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


def curve_break_even(
    curve: Curve,
    volume: Volume,
    limit: int,
    rounding: Rounding,
    new_customers: NewCustomers = not_modelled,
) -> BreakEven:
    """The break-even volume on a prepared curve (see :func:`break_even`).

    Args:
        curve: The candidate's curve.
        volume: Gives the order value and the margin.
        limit: The search limit.
        rounding: How the gross profit shown is rounded.
        new_customers: How many of a number of orders are new customers'.

    Returns:
        The break-even volume, or None with the reason when there is none.
    """
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
                    f"gross profit {to_money(gross, currency, rounding)} >= cost "
                    f"{Money.from_minor(cost, currency)}"
                )
                if before is not None:
                    reason += (
                        f"; at {_orders(sales - 1)} gross profit "
                        f"{to_money(before[1], currency, rounding)} < cost "
                        f"{Money.from_minor(before[0], currency)}"
                    )
                return BreakEven(
                    candidate=curve.candidate.name,
                    sales=sales,
                    revenue=Money.from_minor(sales * value, currency),
                    cost=Money.from_minor(cost, currency),
                    gross_profit=to_money(gross, currency, rounding),
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
        gross_profit=to_money(gross, currency, rounding),
        reason=(
            f"no number of orders up to {limit:,} of {volume.order_value} at margin "
            f"{volume.margin} covers the cost (at {limit:,}: gross profit "
            f"{to_money(gross, currency, rounding)} < cost {Money.from_minor(cost, currency)})"
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
    check_forecast(campaign, forecast)
    candidate.require_new_customers(
        forecast.new_customer_share is not None, "Forecast.new_customer_share"
    )
    return curve_break_even(
        Curve(campaign, candidate),
        forecast.expected_volume(),
        max_sales,
        rounding,
        splitter(forecast),
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


def curve_indifference(
    first: Curve,
    second: Curve,
    volume: Volume,
    limit: int,
    new_customers: NewCustomers = not_modelled,
) -> Indifference:
    """Where two prepared curves cost the same or trade places (see :func:`indifference`).

    Args:
        first: One candidate's curve.
        second: The other's.
        volume: Gives the order value.
        limit: The search limit.
        new_customers: How many of a number of orders are new customers'.

    Returns:
        The smallest number of orders at which the cheaper deal changes.
    """
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
    check_forecast(campaign, forecast)
    modelled = forecast.new_customer_share is not None
    for candidate in (first, second):
        candidate.require_new_customers(modelled, "Forecast.new_customer_share")
    return curve_indifference(
        Curve(campaign, first),
        Curve(campaign, second),
        forecast.expected_volume(),
        max_sales,
        splitter(forecast),
    )
