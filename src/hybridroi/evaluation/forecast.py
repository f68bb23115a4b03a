"""Forecasts: the funnel of a partner or piece of content, as point values or distributions.

A :class:`Forecast` describes what a deal will sell: views per piece of content,
click-through rate, conversion rate, average order value, refund rate and gross
margin. Each is an *estimate*: a :class:`Point` value or a distribution
(:class:`Triangular`, :class:`LogNormal`, :class:`Beta`, or :class:`Empirical`,
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

import math
import random
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias

import attrs

from hybridroi.core.checks import currency_code, enum_member, to_tuple
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit, scaled, to_decimal
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.events.records import Conversion, ConversionKind
from hybridroi.statements.engine import round_minor
from hybridroi.statements.lines import StatementRun

__all__ = [
    "MARGIN_SCALE",
    "Beta",
    "Empirical",
    "Estimate",
    "Forecast",
    "LogNormal",
    "Point",
    "Triangular",
    "Volume",
]

MARGIN_SCALE = 10_000
"""A drawn margin is rounded to a whole number of 1/10,000 (a hundredth of a percent)."""

Draw: TypeAlias = float | Decimal
"""One value drawn from an estimate: a float statistic, or an exact point."""

Sampler: TypeAlias = Callable[[random.Random], Draw]
"""A function that draws one value from an estimate."""

Scenario: TypeAlias = tuple[int, int, int, int | None]
"""One scenario as whole numbers: kept orders, order value in minor units, margin in
1/10,000, and how many of the orders are from new customers (``None``: not modelled)."""


def _point_value(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Point.value")


def _triangular_low(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Triangular.low")


def _triangular_mode(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Triangular.mode")


def _triangular_high(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Triangular.high")


def _lognormal_median(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "LogNormal.median")


def _lognormal_sigma(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "LogNormal.sigma")


def _beta_alpha(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Beta.alpha")


def _beta_beta(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "Beta.beta")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value <= 0:
        raise InvalidValueError(
            f"{type(instance).__name__}.{attribute.name}", value, "a number > 0"
        )


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value < 0:
        raise InvalidValueError(
            f"{type(instance).__name__}.{attribute.name}", value, "a number >= 0"
        )


@attrs.frozen(kw_only=True)
class Point:
    """A value known in advance (no uncertainty).

    Attributes:
        value: The value (a ``str``, ``int`` or ``Decimal``; floats are refused).
    """

    value: Decimal = attrs.field(converter=_point_value)

    def sample(self, rng: random.Random) -> Draw:
        """Return the value; ``rng`` is not used.

        Args:
            rng: The random source (unused).

        Returns:
            The exact value.
        """
        return self.value

    def sampler(self) -> Sampler:
        """A function drawing from this estimate, with its parameters prepared once."""
        value = self.value
        return lambda rng: value

    def mean(self) -> Decimal:
        """The expected value: the value itself."""
        return self.value

    def support(self) -> tuple[Decimal, Decimal | None]:
        """The lowest and highest values a draw can take (``None``: unbounded)."""
        return self.value, self.value


@attrs.frozen(kw_only=True)
class Triangular:
    """A triangular distribution: a low, a most likely and a high value.

    Attributes:
        low: The lowest value.
        mode: The most likely value, ``low <= mode <= high``.
        high: The highest value. With ``low == high`` every draw is exactly ``low``.
    """

    low: Decimal = attrs.field(converter=_triangular_low)
    mode: Decimal = attrs.field(converter=_triangular_mode)
    high: Decimal = attrs.field(converter=_triangular_high)

    def __attrs_post_init__(self) -> None:
        if not self.low <= self.mode <= self.high:
            raise InvalidValueError(
                "Triangular.mode",
                self.mode,
                f"low <= mode <= high (low {self.low}, high {self.high})",
            )

    def sample(self, rng: random.Random) -> Draw:
        """Draw one value.

        Args:
            rng: The seeded random source.

        Returns:
            A float between low and high, or ``low`` exactly when the range is empty.
        """
        return self.sampler()(rng)

    def sampler(self) -> Sampler:
        """A function drawing from this estimate, with its parameters prepared once."""
        if self.low == self.high:
            low = self.low
            return lambda rng: low
        bounds = float(self.low), float(self.high), float(self.mode)
        return lambda rng: rng.triangular(*bounds)

    def mean(self) -> Decimal:
        """The expected value, ``(low + mode + high) / 3``."""
        return (self.low + self.mode + self.high) / 3

    def support(self) -> tuple[Decimal, Decimal | None]:
        """The lowest and highest values a draw can take."""
        return self.low, self.high


@attrs.frozen(kw_only=True)
class LogNormal:
    """A log-normal distribution, given by its median and the sigma of its logarithm.

    Suited to views and reach, which are positive and skewed: a few pieces of
    content go far above the median.

    Attributes:
        median: The median (> 0).
        sigma: Standard deviation of the natural logarithm (>= 0); 0 means certain.
    """

    median: Decimal = attrs.field(converter=_lognormal_median, validator=_positive)
    sigma: Decimal = attrs.field(converter=_lognormal_sigma, validator=_non_negative)

    def sample(self, rng: random.Random) -> Draw:
        """Draw one value.

        Args:
            rng: The seeded random source.

        Returns:
            ``median x exp(sigma x N(0, 1))``, or the median exactly when sigma is 0.
        """
        return self.sampler()(rng)

    def sampler(self) -> Sampler:
        """A function drawing from this estimate, with its parameters prepared once."""
        if self.sigma == 0:
            median = self.median
            return lambda rng: median
        mu, sigma = math.log(self.median), float(self.sigma)
        return lambda rng: rng.lognormvariate(mu, sigma)

    def mean(self) -> Decimal:
        """The expected value, ``median x exp(sigma^2 / 2)``."""
        return self.median * (self.sigma * self.sigma / 2).exp()

    def support(self) -> tuple[Decimal, Decimal | None]:
        """The lowest and highest values a draw can take (unbounded above)."""
        return Decimal(0), None


@attrs.frozen(kw_only=True)
class Beta:
    """A beta distribution on [0, 1], for rates: click-through, conversion, refunds, margin.

    Attributes:
        alpha: First shape parameter (> 0).
        beta: Second shape parameter (> 0).
    """

    alpha: Decimal = attrs.field(converter=_beta_alpha, validator=_positive)
    beta: Decimal = attrs.field(converter=_beta_beta, validator=_positive)

    @classmethod
    def from_mean(cls, mean: str | Decimal, concentration: str | int | Decimal) -> Beta:
        """A beta distribution with a given mean and concentration ``alpha + beta``.

        A higher concentration is a narrower distribution: ``concentration`` is
        roughly the number of past observations the mean rests on.

        Args:
            mean: The mean, strictly between 0 and 1.
            concentration: ``alpha + beta``, > 0.

        Returns:
            ``Beta(alpha=mean x concentration, beta=(1 - mean) x concentration)``.

        Raises:
            InvalidValueError: If the mean is not strictly between 0 and 1.

        >>> Beta.from_mean("0.02", 500)
        Beta(alpha=Decimal('10.00'), beta=Decimal('490.00'))
        """
        average = to_decimal(mean, "Beta.mean")
        weight = to_decimal(concentration, "Beta.concentration")
        if not 0 < average < 1:
            raise InvalidValueError("Beta.mean", average, "a mean strictly between 0 and 1")
        return cls(alpha=average * weight, beta=(1 - average) * weight)

    def sample(self, rng: random.Random) -> Draw:
        """Draw one value.

        Args:
            rng: The seeded random source.

        Returns:
            A float in [0, 1].
        """
        return self.sampler()(rng)

    def sampler(self) -> Sampler:
        """A function drawing from this estimate, with its parameters prepared once."""
        alpha, beta = float(self.alpha), float(self.beta)
        return lambda rng: rng.betavariate(alpha, beta)

    def mean(self) -> Decimal:
        """The expected value, ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    def support(self) -> tuple[Decimal, Decimal | None]:
        """The lowest and highest values a draw can take."""
        return Decimal(0), Decimal(1)


def _values(value: Iterable[Any]) -> tuple[Decimal, ...]:
    items = to_tuple(value, "Empirical.values")
    return tuple(to_decimal(item, "Empirical.values") for item in items)


@attrs.frozen(kw_only=True)
class Empirical:
    """Past observations, resampled with replacement (a bootstrap).

    Attributes:
        values: The observations (at least one).
    """

    values: tuple[Decimal, ...] = attrs.field(converter=_values)

    def __attrs_post_init__(self) -> None:
        if not self.values:
            raise InvalidValueError("Empirical.values", self.values, "at least one observation")

    @classmethod
    def from_order_values(
        cls, conversions: Iterable[Conversion], currency: str
    ) -> tuple[Empirical | None, tuple[Problem, ...]]:
        """Order values of a past campaign's sales, in major units of ``currency``.

        Leads carry no order value and are not counted. A sale in another
        currency is reported as a problem rather than converted silently.

        Args:
            conversions: The past campaign's conversions.
            currency: The currency of the forecast.

        Returns:
            The estimate (``None`` when no sale qualifies) and the problems found.
        """
        values: list[Decimal] = []
        problems: list[Problem] = []
        for conversion in sorted(conversions, key=lambda item: item.id):
            if conversion.kind is not ConversionKind.SALE:
                continue
            if conversion.currency != currency:
                problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"conversion:{conversion.id}",
                        field="revenue",
                        message=(
                            f"order value in {conversion.currency}, not {currency}; "
                            "left out of the empirical order values"
                        ),
                    )
                )
                continue
            values.append(conversion.revenue.amount)
        if not values:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="empirical:order_values",
                    message=f"no sale in {currency} to build an empirical order value from",
                )
            )
            return None, tuple(problems)
        return cls(values=values), tuple(problems)

    @classmethod
    def from_statements(
        cls, run: StatementRun, partner_id: str, currency: str
    ) -> tuple[Empirical | None, tuple[Problem, ...]]:
        """Order values credited to one partner in a past statement run.

        Each credit contributes the partner's part of the sale's revenue (the
        whole order value for a sole credit), as allocated by attribution.

        Args:
            run: The statements of a past campaign, with their attribution.
            partner_id: The partner whose credited sales are resampled.
            currency: The currency of the forecast.

        Returns:
            The estimate (``None`` when the partner has no credit in
            ``currency``) and the problems found.
        """
        values: list[Decimal] = []
        problems: list[Problem] = []
        credits = sorted(run.attribution.credits, key=lambda item: item.conversion_id)
        for credit in credits:
            if credit.partner_id != partner_id:
                continue
            if credit.revenue.currency != currency:
                problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"credit:{credit.conversion_id}:{partner_id}",
                        field="revenue",
                        message=(
                            f"credited revenue in {credit.revenue.currency}, not {currency}; "
                            "left out of the empirical order values"
                        ),
                    )
                )
                continue
            values.append(credit.revenue.amount)
        if not values:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"empirical:{partner_id}",
                    message=f"partner {partner_id} has no credited sale in {currency}",
                )
            )
            return None, tuple(problems)
        return cls(values=values), tuple(problems)

    def sample(self, rng: random.Random) -> Draw:
        """Draw one of the observations, each equally likely.

        Args:
            rng: The seeded random source.

        Returns:
            One observation, exactly.
        """
        return self.sampler()(rng)

    def sampler(self) -> Sampler:
        """A function drawing from this estimate, with its parameters prepared once."""
        values, count = self.values, len(self.values)
        return lambda rng: values[int(rng.random() * count)]

    def mean(self) -> Decimal:
        """The average of the observations."""
        return sum(self.values, Decimal(0)) / len(self.values)

    def support(self) -> tuple[Decimal, Decimal | None]:
        """The lowest and highest observations."""
        return min(self.values), max(self.values)


Estimate: TypeAlias = Point | Triangular | LogNormal | Beta | Empirical
"""A point value or a distribution."""

ESTIMATE_TYPES = (Point, Triangular, LogNormal, Beta, Empirical)


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
