"""Forecasts: the funnel of a partner or piece of content, as point values or distributions.

A :class:`Forecast` describes what a deal will sell: views per piece of content,
click-through rate, conversion rate, average order value, refund rate and gross
margin. Each is an *estimate* (:mod:`~hybridroi.evaluation.estimates`): a
point value or a distribution (triangular, log-normal, beta, or empirical,
resampled from a past campaign's sales).

Draws are statistics. They become a :class:`Volume` (whole kept orders, an order
value in whole steps of the currency, a margin in hundredths of a percent) only
through an explicit rounding with the forecast's named :class:`Rounding` mode.
The arithmetic between the draws is exact (``fractions.Fraction``), so a forecast
whose estimates are all certain gives the same volume on every draw, equal to
:meth:`Forecast.expected_volume`.

>>> forecast = Forecast(
...     currency="EUR",
...     views=Point(value="200000"),
...     pieces=3,
...     click_through_rate=Point(value="0.012"),
...     conversion_rate=Point(value="0.025"),
...     order_value=Point(value="50"),
...     margin=Point(value="0.60"),
... )
>>> volume = forecast.expected_volume()
>>> volume.sales, volume.order_value, volume.revenue   # 3 x 200,000 x 1.2% x 2.5% = 180
(180, Money('50.00', 'EUR'), Money('9000.00', 'EUR'))
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias

import attrs

from hybridroi.core.checks import currency_code, enum_member
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit, scaled, to_decimal
from hybridroi.core.rounding import round_minor
from hybridroi.evaluation.estimates import ESTIMATE_TYPES, Draw, Estimate, Point

__all__ = ["MARGIN_SCALE", "Forecast", "Scenario", "Volume"]

MARGIN_SCALE = 10_000
"""A drawn margin is rounded to a whole number of 1/10,000 (a hundredth of a percent)."""

Scenario: TypeAlias = tuple[int, int, int, int | None]
"""One scenario as whole numbers: kept orders, order value in minor units, margin in
1/10,000, and how many of the orders are from new customers (``None``: not modelled)."""


def _estimate(low: Decimal, high: Decimal | None, expected: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = f"{type(instance).__name__}.{attribute.name}"
        if not isinstance(value, ESTIMATE_TYPES):
            raise InvalidValueError(name, value, "Point, Triangular, LogNormal, Beta or Empirical")
        lowest, highest = value.support()
        if lowest < low or (high is not None and (highest is None or highest > high)):
            raise InvalidValueError(name, value, expected)

    return check


_RATE = _estimate(Decimal(0), Decimal(1), "an estimate whose draws lie between 0 and 1")
_AMOUNT = _estimate(Decimal(0), None, "an estimate whose draws are >= 0")


def _pieces(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError("Forecast.pieces", value, "an integer >= 1")


def _step(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "Forecast.order_value_step")


def _new_customers(instance: Volume, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidTypeError("Volume.new_customers", value, "a whole number of orders")
    if not 0 <= value <= instance.sales:
        raise InvalidValueError(
            "Volume.new_customers", value, f"a whole number of orders from 0 to {instance.sales}"
        )


@attrs.frozen(kw_only=True)
class Volume:
    """What one scenario sells: whole kept orders of one order value, and a margin.

    Attributes:
        sales: Orders kept after refunds (a fully refunded order earns no
            commission and adds no volume in the commission engine).
        order_value: The value of each order (net revenue).
        margin: Gross margin on revenue, a fraction with at most four decimals.
        new_customers: How many of the orders are a customer's first purchase;
            ``None`` when the forecast does not model it (every order is then
            priced as a returning customer's, and a deal whose rules depend on
            it cannot be priced).
    """

    sales: int
    order_value: Money
    margin: Decimal
    new_customers: int | None = attrs.field(default=None, validator=_new_customers)

    @property
    def revenue(self) -> Money:
        """``sales x order_value``."""
        return (self.order_value * self.sales).round()

    @property
    def gross_profit(self) -> UnroundedMoney:
        """``revenue x margin``, exact."""
        return self.order_value * self.sales * self.margin


@attrs.frozen(kw_only=True)
class Forecast:
    """The funnel of one partner (or one piece of content), with its uncertainty.

    Expected kept orders are ``views x pieces x click_through_rate x
    conversion_rate x (1 - refund_rate)``, where the views of each piece are
    drawn independently. Each draw is rounded once, with :attr:`rounding`:
    orders to a whole number, the order value to a whole :attr:`order_value_step`,
    the margin to a hundredth of a percent.

    Attributes:
        currency: The currency of order values (ISO 4217).
        views: Views of one piece of content.
        click_through_rate: Clicks per view (0 to 1).
        conversion_rate: Orders per click (0 to 1).
        order_value: Average net order value, in major units of ``currency``.
        margin: Gross margin on revenue (0 to 1).
        refund_rate: Share of orders fully refunded (0 to 1).
        pieces: Pieces of content (each with its own draw of views).
        order_value_step: Order values are rounded to a multiple of this amount
            (major units); one minor unit when None. A coarser step makes fewer
            distinct order values for the engine to price.
        rounding: How draws become whole orders and money; half-even by default
            so that rounding adds no bias to averages.
        new_customer_share: Share of the kept orders that are a customer's first
            purchase (0 to 1); ``None`` (the default) means not modelled. A deal
            that pays new and returning customers differently
            (:class:`~hybridroi.domain.conditions.CustomerIs`) needs it:
            each scenario's new-customer orders are ``orders x share``, rounded
            once with :attr:`rounding`.
    """

    currency: str = attrs.field(validator=currency_code)
    views: Estimate = attrs.field(validator=_AMOUNT)
    click_through_rate: Estimate = attrs.field(validator=_RATE)
    conversion_rate: Estimate = attrs.field(validator=_RATE)
    order_value: Estimate = attrs.field(validator=_AMOUNT)
    margin: Estimate = attrs.field(validator=_RATE)
    refund_rate: Estimate = attrs.field(factory=lambda: Point(value=0), validator=_RATE)
    pieces: int = attrs.field(default=1, validator=_pieces)
    order_value_step: Decimal | None = attrs.field(default=None, converter=_step)
    rounding: Rounding = attrs.field(
        default=Rounding.HALF_EVEN,
        converter=enum_member(Rounding),  # type: ignore[misc]
    )
    new_customer_share: Estimate | None = attrs.field(
        default=None, validator=attrs.validators.optional(_RATE)
    )

    def __attrs_post_init__(self) -> None:
        step = self.step_minor_units
        if step < 1:
            raise InvalidValueError(
                "Forecast.order_value_step",
                self.order_value_step,
                f"a positive whole number of {self.currency} minor units",
            )

    @property
    def step_minor_units(self) -> int:
        """The order value step in minor units."""
        if self.order_value_step is None:
            return 1
        step = scaled(self.order_value_step, minor_unit(self.currency))
        if step != step.to_integral_value():
            return 0
        return int(step)

    def draw(self, rng: random.Random) -> tuple[int, int, int]:
        """One scenario as whole numbers: kept orders, order value, margin.

        Args:
            rng: The seeded random source.

        Returns:
            ``(sales, order value in minor units, margin in 1/10,000)``; see
            :meth:`scenarios` for the orders from new customers too.
        """
        return self._drawer()(rng)[:3]

    def new_customers(self, sales: int, share: Draw) -> int:
        """How many of ``sales`` orders are from new customers at ``share``, rounded once.

        Args:
            sales: Kept orders.
            share: The share of new customers, between 0 and 1.

        Returns:
            ``sales x share`` rounded with :attr:`rounding`, between 0 and ``sales``.

        >>> forecast = Forecast(currency="EUR", views=Point(value=1), click_through_rate=Point(
        ...     value=1), conversion_rate=Point(value=1), order_value=Point(value=1),
        ...     margin=Point(value=1))
        >>> forecast.new_customers(7, Decimal("0.5"))  # 3.5 rounds half-even to 4
        4
        """
        numerator, denominator = share.as_integer_ratio()
        return round_minor(Fraction(sales * numerator, denominator), rounding=self.rounding)

    def _drawer(self) -> Callable[[random.Random], Scenario]:
        views = self.views.sampler()
        pieces = range(self.pieces)
        click_through = self.click_through_rate.sampler()
        conversion = self.conversion_rate.sampler()
        refunds = self.refund_rate.sampler()
        order_value = self.order_value.sampler()
        margin = self.margin.sampler()
        rounder = self._rounder()
        if self.new_customer_share is None:

            def draw(rng: random.Random) -> Scenario:
                return (
                    *rounder(
                        [views(rng) for _ in pieces],
                        click_through(rng),
                        conversion(rng),
                        refunds(rng),
                        order_value(rng),
                        margin(rng),
                    ),
                    None,
                )

            return draw
        # Drawn after the funnel, so a forecast without a share draws the same scenarios.
        share = self.new_customer_share.sampler()
        new_customers = self.new_customers

        def draw_with_share(rng: random.Random) -> Scenario:
            sales, value, kept_margin = rounder(
                [views(rng) for _ in pieces],
                click_through(rng),
                conversion(rng),
                refunds(rng),
                order_value(rng),
                margin(rng),
            )
            return sales, value, kept_margin, new_customers(sales, share(rng))

        return draw_with_share

    def _rounder(
        self,
    ) -> Callable[[Sequence[Draw], Draw, Draw, Draw, Draw, Draw], tuple[int, int, int]]:
        rounding = self.rounding
        step = self.step_minor_units
        scale = 10 ** minor_unit(self.currency)

        def round_draws(  # noqa: PLR0917 - the six draws of one scenario, in funnel order
            views: Sequence[Draw],
            click_through: Draw,
            conversion: Draw,
            refunds: Draw,
            order_value: Draw,
            margin: Draw,
        ) -> tuple[int, int, int]:
            # Exact rational arithmetic on integer ratios: a float is a binary fraction and
            # a Decimal a decimal one, so every product is exact until the one rounding.
            total, common = 0, 1
            for piece in views:
                numerator, denominator = piece.as_integer_ratio()
                total, common = total * denominator + numerator * common, common * denominator
            ctr_n, ctr_d = click_through.as_integer_ratio()
            cvr_n, cvr_d = conversion.as_integer_ratio()
            refund_n, refund_d = refunds.as_integer_ratio()
            kept = Fraction(
                total * ctr_n * cvr_n * (refund_d - refund_n), common * ctr_d * cvr_d * refund_d
            )
            value_n, value_d = order_value.as_integer_ratio()
            margin_n, margin_d = margin.as_integer_ratio()
            return (
                round_minor(kept, rounding=rounding),
                round_minor(Fraction(value_n * scale, value_d * step), rounding=rounding) * step,
                round_minor(Fraction(margin_n * MARGIN_SCALE, margin_d), rounding=rounding),
            )

        return round_draws

    def draws(self, count: int, seed: int | str) -> list[tuple[int, int, int]]:
        """``count`` scenarios from ``random.Random(seed)``, reproducibly.

        The scenarios of :meth:`scenarios` with the same seed, without their
        orders from new customers.

        Args:
            count: Number of scenarios (>= 1).
            seed: The seed; the same seed gives the same scenarios.

        Returns:
            ``(sales, order value in minor units, margin in 1/10,000)`` per scenario.

        Raises:
            InvalidValueError: If ``count`` is not a positive integer.
        """
        return [scenario[:3] for scenario in self.scenarios(count, seed)]

    def scenarios(self, count: int, seed: int | str) -> list[Scenario]:
        """``count`` scenarios from ``random.Random(seed)``, reproducibly, with new customers.

        Args:
            count: Number of scenarios (>= 1).
            seed: The seed; the same seed gives the same scenarios.

        Returns:
            ``(sales, order value in minor units, margin in 1/10,000, orders from new
            customers or None)`` per scenario.

        Raises:
            InvalidValueError: If ``count`` is not a positive integer.
        """
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InvalidValueError("draws", count, "a number of draws >= 1")
        rng = random.Random(seed)
        draw = self._drawer()
        return [draw(rng) for _ in range(count)]

    def expected_units(self) -> tuple[int, int, int]:
        """The point scenario: every estimate at its mean, rounded like a draw.

        Returns:
            ``(sales, order value in minor units, margin in 1/10,000)``.
        """
        return self.expected_scenario()[:3]

    def expected_scenario(self) -> Scenario:
        """The point scenario with its orders from new customers (at the mean share).

        Returns:
            ``(sales, order value in minor units, margin in 1/10,000, orders from new
            customers or None)``.
        """
        sales, value, margin = self._rounder()(
            [self.views.mean()] * self.pieces,
            self.click_through_rate.mean(),
            self.conversion_rate.mean(),
            self.refund_rate.mean(),
            self.order_value.mean(),
            self.margin.mean(),
        )
        share = self.new_customer_share
        return (
            sales,
            value,
            margin,
            None if share is None else self.new_customers(sales, share.mean()),
        )

    def expected_volume(self) -> Volume:
        """The point scenario as a :class:`Volume` (see :meth:`expected_units`)."""
        return self.volume(*self.expected_scenario())

    def volume(
        self, sales: int, order_value: int, margin: int, new_customers: int | None = None
    ) -> Volume:
        """A scenario's whole numbers as a :class:`Volume`.

        Args:
            sales: Kept orders.
            order_value: Order value in minor units.
            margin: Margin in 1/10,000.
            new_customers: Orders from new customers, or None when not modelled.

        Returns:
            The volume.
        """
        return Volume(
            sales=sales,
            order_value=Money.from_minor(order_value, self.currency),
            margin=Decimal(margin) / MARGIN_SCALE,
            new_customers=new_customers,
        )
