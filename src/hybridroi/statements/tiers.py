"""Tier arithmetic: graduated and volume bands, pure and exact.

A tier schedule is a sequence of :class:`Band` records starting at 0; the last
band is open-ended. Unit ``k`` of a period occupies the volume ``[k - 1, k)``
(for revenue, the last cent of a total is its last unit), as in Stripe's and
Lago's billing tiers:

* **Graduated** (marginal, slab): each part of the volume is priced at the
  rate of the band it falls in, like tax brackets. Band ``i`` prices the part
  of the volume inside ``[start_i, start_{i+1})``. The charge is continuous in
  the volume.
* **Volume** (all-units): the band of the last unit prices every unit. A total
  exactly on a boundary is priced in the band that *ends* there: band ``i``
  takes the totals in ``(start_i, start_{i+1}]`` (a total of 0 is the first
  band). With bands at 0 and 5, five units are priced in the first band, as in
  graduated mode. The charge jumps just after each boundary, and may drop when
  a boundary is crossed if a higher band has a lower rate.

Both modes therefore agree inside the first band, its boundary included.
Quantities may be fractional (1.5 units, EUR 12.34 of revenue) and are never
floored; a negative quantity is refused rather than treated as zero.

>>> bands = (Band(start=Decimal(0), rate=Decimal("0.10")),
...          Band(start=Decimal(250), rate=Decimal("0.20")))
>>> graduated_charge(bands, 300)   # 250 x 10% + 50 x 20%
Fraction(35, 1)
>>> volume_charge(bands, 300)      # 300 x 20%
Fraction(60, 1)
>>> volume_charge(bands, 250)      # the 250th unit is [249, 250): the first band
Fraction(25, 1)
>>> graduated_charge(bands, 250)
Fraction(25, 1)
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.domain.tiers import Band

__all__ = [
    "band_index",
    "graduated_charge",
    "graduated_split",
    "volume_band",
    "volume_charge",
]

Quantity = int | Fraction | Decimal
"""An exact quantity: a count, an amount of revenue, a share of a sale."""


def _quantity(value: Quantity, field: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise InvalidTypeError(field, value, "int, Fraction or Decimal")
    result = Fraction(value)
    if result < 0:
        raise InvalidValueError(
            field, value, "a quantity >= 0 (a negative one is refused, not floored)"
        )
    return result


def _below_first_band(starts: Sequence[Any], value: Any) -> InvalidValueError:
    expected = (
        f"a volume >= the first band start {starts[0]} (a volume below every band is refused)"
        if starts
        else "a schedule with at least one band"
    )
    return InvalidValueError("volume", value, expected)


def band_index(starts: Sequence[Any], value: Any) -> int:
    """The index of the band that contains the volume point ``value``.

    Bands are half-open here, ``[start, next start)``: this is the band of the
    unit that *starts* at ``value`` (the next unit after a volume of
    ``value``), the one graduated pricing continues in. The band a volume
    total is priced in, in volume mode, is :func:`volume_band`.

    Args:
        starts: The band starts, increasing, the first one 0.
        value: A volume >= the first start, comparable with the starts.

    Returns:
        ``i`` such that ``starts[i] <= value < starts[i + 1]``.

    Raises:
        InvalidValueError: If ``value`` lies below the first band (a negative
            volume), rather than answering ``-1``, which would pick the last band.

    >>> band_index([0, 250], 250)
    1
    >>> band_index([0, 250], -1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hybridroi.core.errors.InvalidValueError: volume: expected a volume >= the first band start 0...
    """
    index = bisect.bisect_right(starts, value) - 1
    if index < 0:
        raise _below_first_band(starts, value)
    return index


def volume_band(starts: Sequence[Any], total: Any) -> int:
    """The index of the band a volume ``total`` is priced in: the band of its last unit.

    A total exactly on a boundary belongs to the band that ends there: band
    ``i`` takes the totals in ``(starts[i], starts[i + 1]]``, and a total of 0
    (no unit yet) is in the first band.

    Args:
        starts: The band starts, increasing, the first one 0.
        total: The period's volume, >= the first start.

    Returns:
        ``i`` such that ``starts[i] < total <= starts[i + 1]`` (0 for a total of 0).

    Raises:
        InvalidValueError: If ``total`` lies below the first band (a negative volume).

    >>> volume_band([0, 5], 5), volume_band([0, 5], 6), volume_band([0, 5], 0)
    (0, 1, 0)
    """
    index = bisect.bisect_left(starts, total) - 1
    if index < 0:
        if starts and total == starts[0]:
            return 0
        raise _below_first_band(starts, total)
    return index


def graduated_split(starts: Sequence[Any], low: Any, high: Any) -> list[tuple[int, Any]]:
    """Split the volume interval ``[low, high)`` over half-open bands.

    This is the marginal step of graduated pricing: a sale that takes the
    period's volume from ``low`` to ``high`` is priced part by part.

    Args:
        starts: The band starts, increasing, the first one 0.
        low: The volume before (carry-in attainment), >= the first start.
        high: The volume after, >= ``low``.

    Returns:
        ``(band index, part of the volume in that band)`` pairs with positive
        parts, in band order; the parts sum to ``high - low``.

    Raises:
        InvalidValueError: If ``low`` lies below the first band (a negative volume).
    """
    index = bisect.bisect_right(starts, low) - 1
    if index < 0:
        raise _below_first_band(starts, low)
    if high <= low:
        return []
    last = len(starts) - 1
    parts: list[tuple[int, Any]] = []
    cursor = low
    while index < last and starts[index + 1] < high:
        parts.append((index, starts[index + 1] - cursor))
        cursor = starts[index + 1]
        index += 1
    parts.append((index, high - cursor))
    return parts


def graduated_charge(
    bands: Sequence[Band], quantity: Quantity, *, carried_in: Quantity = 0
) -> Fraction:
    """The exact graduated charge of ``quantity`` units after ``carried_in`` units.

    Args:
        bands: A valid schedule (see :func:`check_bands`).
        quantity: The units to price, >= 0 (may be fractional).
        carried_in: The volume already reached in the period before these units.

    Returns:
        The sum over bands of (units in the band x the band's rate), exact.

    Raises:
        InvalidValueError: If a quantity is negative.
    """
    low = _quantity(carried_in, "carried_in")
    high = low + _quantity(quantity, "quantity")
    starts = [Fraction(band.start) for band in bands]
    return sum(
        (part * Fraction(bands[index].rate) for index, part in graduated_split(starts, low, high)),
        Fraction(0),
    )


def volume_charge(
    bands: Sequence[Band], quantity: Quantity, *, total: Quantity | None = None
) -> Fraction:
    """The exact volume (all-units) charge of ``quantity`` units.

    Args:
        bands: A valid schedule (see :func:`check_bands`).
        quantity: The units to price, >= 0.
        total: The period's total volume that selects the band; ``quantity``
            itself when None.

    Returns:
        ``quantity`` x the rate of the band of ``total``'s last unit (see
        :func:`volume_band`), exact.

    Raises:
        InvalidValueError: If a quantity is negative.
    """
    units = _quantity(quantity, "quantity")
    reached = units if total is None else _quantity(total, "total")
    starts = [Fraction(band.start) for band in bands]
    return units * Fraction(bands[volume_band(starts, reached)].rate)
