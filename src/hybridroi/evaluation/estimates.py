"""Estimates: a point value or a distribution, for each step of a forecast's funnel.

Each estimate is a :class:`Point` value or a distribution (:class:`Triangular`,
:class:`LogNormal`, :class:`Beta`, or :class:`Empirical`, resampled from a past
campaign's sales). It draws from a seeded ``random.Random`` through
:meth:`sampler` (parameters prepared once), and states its :meth:`mean` and its
:meth:`support` exactly, as ``Decimal``. A certain estimate (a point, a
triangular with ``low == high``, a log-normal with ``sigma == 0``) draws its
value exactly; the others draw floats, which are statistics until a
:class:`~hybridroi.evaluation.forecast.Forecast` rounds them once.

>>> Beta.from_mean("0.02", 500).mean()
Decimal('0.02')
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from hybridroi.core.checks import to_tuple
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import to_decimal
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.events.records import Conversion, ConversionKind
from hybridroi.statements.lines import StatementRun

__all__ = ["Beta", "Empirical", "Estimate", "LogNormal", "Point", "Triangular"]

Draw: TypeAlias = float | Decimal
"""One value drawn from an estimate: a float statistic, or an exact point."""

Sampler: TypeAlias = Callable[[random.Random], Draw]
"""A function that draws one value from an estimate."""


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
"""The estimate classes, for ``isinstance`` checks."""
