"""Rounding an exact number to a whole one, with a named mode.

This is the one rounding rule of the library: money (:meth:`UnroundedMoney.round
<hybridroi.core.money.UnroundedMoney.round>`), the commission engine and the KPIs
all round through :func:`round_ratio`. It works on integer ratios, so it is exact
for every amount, including fractions that have no finite decimal form (a third
of a cent), and it needs no decimal context.
"""

from __future__ import annotations

import decimal
import enum
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from hybridroi.core.errors import InvalidValueError

__all__ = ["COLUMN_BOUND", "Rounding", "round_minor", "round_ratio", "round_ratios"]

COLUMN_BOUND = 1 << 62
"""The largest magnitude 64-bit integer columns hold exactly in the engine's arithmetic.

Twice a value below it still fits in 64 bits (a remainder doubled, a sum of two); the
engine keeps exact Python numbers for anything beyond it.
"""


class Rounding(enum.Enum):
    """Named rounding modes for turning an exact amount into payable money.

    ``HALF_UP`` rounds halves away from zero, so that the rounding of a
    negative amount (a reversal) is the exact mirror of the positive one. It is
    the default everywhere a rounding mode is accepted.
    """

    HALF_UP = decimal.ROUND_HALF_UP
    """Nearest; halves away from zero (0.005 -> 0.01, -0.005 -> -0.01)."""
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    """Nearest; halves to the even neighbour (banker's rounding)."""
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    """Nearest; halves toward zero."""
    UP = decimal.ROUND_UP
    """Away from zero."""
    DOWN = decimal.ROUND_DOWN
    """Toward zero (truncation)."""
    CEILING = decimal.ROUND_CEILING
    """Toward positive infinity."""
    FLOOR = decimal.ROUND_FLOOR
    """Toward negative infinity."""


def round_ratio(  # noqa: PLR0911 - one exit per rounding mode
    numerator: int | Fraction, denominator: int, rounding: Rounding
) -> int:
    """Round ``numerator / denominator`` to a whole number with a named mode, exactly.

    Args:
        numerator: An integer, or a fraction (it is then multiplied out).
        denominator: A positive integer.
        rounding: The rounding mode.

    Returns:
        The whole number.

    >>> round_ratio(5, 2, Rounding.HALF_UP), round_ratio(-5, 2, Rounding.HALF_UP)
    (3, -3)
    >>> round_ratio(5, 2, Rounding.HALF_EVEN), round_ratio(-1, 3, Rounding.FLOOR)
    (2, -1)
    """
    if not isinstance(numerator, int):
        denominator *= numerator.denominator
        numerator = numerator.numerator
    floor, remainder = divmod(numerator, denominator)
    if remainder == 0:
        return floor
    positive = numerator > 0
    if (
        rounding is Rounding.HALF_UP
        or rounding is Rounding.HALF_DOWN
        or rounding is Rounding.HALF_EVEN
    ):
        twice = 2 * remainder
        if twice < denominator:
            return floor
        if twice > denominator:
            return floor + 1
        if rounding is Rounding.HALF_UP:
            return floor + 1 if positive else floor
        if rounding is Rounding.HALF_DOWN:
            return floor if positive else floor + 1
        return floor if floor % 2 == 0 else floor + 1
    if rounding is Rounding.FLOOR:
        return floor
    if rounding is Rounding.CEILING:
        return floor + 1
    if rounding is Rounding.DOWN:
        return floor if positive else floor + 1
    return floor + 1 if positive else floor


def round_ratios(
    numerators: npt.NDArray[np.int64], denominator: int, rounding: Rounding
) -> npt.NDArray[np.int64]:
    """:func:`round_ratio` of each numerator over one denominator, as one array operation.

    The columnar form of the same rule, for the engine's integer columns: element ``i``
    of the result is ``round_ratio(int(numerators[i]), denominator, rounding)``. The
    caller guarantees that the numerators fit in 64 bits (the engine checks the bound
    and keeps exact Python integers beyond it).

    Args:
        numerators: 64-bit integer numerators.
        denominator: A positive integer below 2**62.
        rounding: The rounding mode.

    Returns:
        The whole numbers, as 64-bit integers.

    Raises:
        InvalidValueError: If the denominator is not in ``[1, 2**62)``.

    >>> round_ratios(np.array([5, -5, 3, 7]), 2, Rounding.HALF_EVEN).tolist()
    [2, -2, 2, 4]
    """
    if not 0 < denominator < COLUMN_BOUND:
        raise InvalidValueError("denominator", denominator, "an integer in [1, 2**62)")
    floor: npt.NDArray[np.int64]
    remainder: npt.NDArray[np.int64]
    floor, remainder = np.divmod(numerators, np.int64(denominator))
    inexact = remainder != 0
    up: npt.NDArray[np.bool_]
    if rounding is Rounding.FLOOR:
        return floor
    if rounding is Rounding.CEILING:
        up = inexact
    elif rounding is Rounding.DOWN:
        up = inexact & (numerators < 0)
    elif rounding is Rounding.UP:
        up = inexact & (numerators > 0)
    else:
        up = _nearest(numerators, floor, remainder, denominator, rounding)
    return floor + up


def _nearest(
    numerators: npt.NDArray[np.int64],
    floor: npt.NDArray[np.int64],
    remainder: npt.NDArray[np.int64],
    denominator: int,
    rounding: Rounding,
) -> npt.NDArray[np.bool_]:
    """Where a ratio rounds up from its floor under a half-way mode."""
    # The remainder, doubled, against the denominator (both below 2**63).
    twice = 2 * remainder
    up: npt.NDArray[np.bool_] = twice > denominator
    tie: npt.NDArray[np.bool_] = twice == denominator
    if rounding is Rounding.HALF_UP:
        side: npt.NDArray[np.bool_] = numerators > 0
    elif rounding is Rounding.HALF_DOWN:
        side = numerators < 0
    else:
        side = floor % 2 != 0
    return up | (tie & side)


def round_minor(value: int | Fraction, *, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round an exact number of minor units to a whole one with a named mode.

    It agrees with :meth:`UnroundedMoney.round <hybridroi.core.money.UnroundedMoney.round>`
    on every exact amount, and also accepts fractions that have no finite decimal
    form (a third of a cent).

    Args:
        value: The exact amount, in minor units.
        rounding: The rounding mode.

    Returns:
        The whole number of minor units.

    >>> round_minor(Fraction(1, 2)), round_minor(Fraction(-1, 2))
    (1, -1)
    >>> round_minor(Fraction(5, 2), rounding=Rounding.HALF_EVEN)
    2
    """
    if isinstance(value, int):
        return value
    return round_ratio(value.numerator, value.denominator, rounding)
