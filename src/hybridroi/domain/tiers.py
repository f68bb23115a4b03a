"""Tier schedules as data: bands, and what they measure and how they price.

A tier schedule is a sequence of :class:`Band` records starting at 0; the last band
is open-ended. How a schedule prices a period's volume (graduated or volume mode,
unit ``k`` occupying ``[k - 1, k)``) is the engine's arithmetic, in
:mod:`hybridroi.statements.tiers`.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from hybridroi.core.checks import optional
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, to_decimal

__all__ = ["Band", "TierBasis", "TierMode", "check_bands"]


class TierMode(enum.Enum):
    """How a tier schedule prices a period's volume."""

    GRADUATED = "graduated"
    """Each band of volume at its own rate (marginal, like tax brackets)."""
    VOLUME = "volume"
    """The band reached by the period's total prices every unit (retroactive)."""


class TierBasis(enum.Enum):
    """What a tier schedule or a threshold measures."""

    COUNT = "count"
    """Number of sales (a shared sale counts as the partner's share of it)."""
    REVENUE = "revenue"
    """Commissionable revenue, in the deal's currency."""
    COMMISSION = "commission"
    """Commission earned in the period (thresholds only)."""


def _decimal(value: object) -> Decimal:
    return to_decimal(value, "Band.start")


def _rate(value: object) -> Decimal:
    return to_decimal(value, "Band.rate")


def _bonus(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise InvalidValueError("Band.bonus", value, "Money >= 0 or None")


@attrs.frozen(kw_only=True)
class Band:
    """One band of a tier schedule, from ``start`` to the next band's start.

    Attributes:
        start: Where the band starts, in the schedule's basis (a count of sales,
            or an amount of the deal's currency in major units such as
            ``Decimal("10000")``); >= 0.
        rate: The fraction paid inside the band, for example ``Decimal("0.12")``
            for 12%; between 0 and 1.
        bonus: A flat amount paid once per period when a unit of the period
            falls inside this band, that is when the volume exceeds the band's
            start; a first-band bonus is paid with the period's first unit
            (Stripe and Lago call it the tier's flat amount).
    """

    start: Decimal = attrs.field(converter=_decimal)
    rate: Decimal = attrs.field(converter=_rate)
    bonus: Money | None = attrs.field(default=None, validator=optional(_bonus))

    @start.validator
    def _check_start(self, _attribute: object, value: Decimal) -> None:
        if value < 0:
            raise InvalidValueError("Band.start", value, "a band start >= 0")

    @rate.validator
    def _check_rate(self, _attribute: object, value: Decimal) -> None:
        if not 0 <= value <= 1:
            raise InvalidValueError(
                "Band.rate", value, "a fraction between 0 and 1, such as 0.12 for 12%"
            )


def check_bands(bands: Sequence[Band], field: str = "bands") -> tuple[Band, ...]:
    """Return ``bands`` as a tuple if they form a valid schedule.

    A valid schedule has at least one band, starts at 0 and has strictly
    increasing starts, so that every volume >= 0 falls in exactly one band.

    Args:
        bands: The bands, in order.
        field: The field name used in error messages.

    Returns:
        The bands as a tuple.

    Raises:
        InvalidValueError: If the schedule is empty, does not start at 0, or
            its starts do not strictly increase.
    """
    result = tuple(bands)
    if not result or not all(isinstance(band, Band) for band in result):
        raise InvalidValueError(field, result, "one or more Band records")
    if result[0].start != 0:
        raise InvalidValueError(field, result[0].start, "a first band starting at 0")
    for before, after in itertools.pairwise(result):
        if after.start <= before.start:
            raise InvalidValueError(
                field,
                after.start,
                f"band starts in strictly increasing order (after {before.start})",
            )
    return result
