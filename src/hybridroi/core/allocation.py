"""Exact allocation of an amount into parts by weights (largest remainder).

The parts always sum to the total, each part is within one minor unit of its
exact share, and the result is deterministic.

Tie-break: after every part receives the floor of its exact share (in minor
units), the leftover minor units go one each to the parts with the largest
fractional remainders. Among equal remainders, the part with the larger weight
goes first; among equal weights, the earlier position in a sequence goes first.
When weights are given as a mapping, positions are the mapping's keys in
sorted order, so the result does not depend on the order the mapping was built
in.

A negative total is allocated as the mirror image of the positive one.

>>> allocate(Money("100.00", "EUR"), [1, 1, 1])
(Money('33.34', 'EUR'), Money('33.33', 'EUR'), Money('33.33', 'EUR'))
>>> allocate(Money("-0.05", "EUR"), [1, 1])
(Money('-0.03', 'EUR'), Money('-0.02', 'EUR'))
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar, overload

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money

__all__ = ["Weight", "allocate", "allocate_minor_units"]

Weight = int | Decimal | Fraction | str
"""A non-negative allocation weight; floats are refused."""

K = TypeVar("K", bound=Hashable)


def _weight(value: object, index: object) -> Fraction:
    if isinstance(value, bool | float):
        raise InvalidTypeError(f"weights[{index!r}]", value, "int, Decimal, Fraction or str")
    if isinstance(value, Fraction | int | Decimal):
        result = Fraction(value)
    elif isinstance(value, str):
        try:
            result = Fraction(Decimal(value))
        except ArithmeticError:
            raise InvalidValueError(f"weights[{index!r}]", value, "a number") from None
    else:
        raise InvalidTypeError(f"weights[{index!r}]", value, "int, Decimal, Fraction or str")
    if result < 0:
        raise InvalidValueError(f"weights[{index!r}]", value, "a weight >= 0")
    return result


def allocate_minor_units(total: int, weights: Sequence[Fraction]) -> list[int]:
    """Split an integer ``total`` by non-negative ``weights`` (largest remainder).

    This is the integer core of :func:`allocate`, exposed for callers that work
    in minor units.

    Args:
        total: Integer amount to split, may be negative.
        weights: Non-negative weights with a positive sum.

    Returns:
        One integer per weight; they sum to ``total``.

    Raises:
        InvalidValueError: If the weights are empty or sum to zero.
    """
    weight_sum = sum(weights, Fraction(0))
    if not weights or weight_sum <= 0:
        raise InvalidValueError("weights", list(weights), "at least one positive weight")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors: list[int] = []
    remainders: list[Fraction] = []
    for weight in weights:
        share = magnitude * weight / weight_sum
        floor = share.numerator // share.denominator
        floors.append(floor)
        remainders.append(share - floor)
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], -weights[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [sign * part for part in floors]


@overload
def allocate(total: Money, weights: Sequence[Weight]) -> tuple[Money, ...]: ...


@overload
def allocate(total: Money, weights: Mapping[K, Weight]) -> dict[K, Money]: ...


def allocate(
    total: Money, weights: Sequence[Weight] | Mapping[K, Weight]
) -> tuple[Money, ...] | dict[K, Money]:
    """Split ``total`` into parts proportional to ``weights`` that sum exactly to it.

    Args:
        total: The amount to split.
        weights: A sequence of weights (returns a tuple in the same order) or
            a mapping from keys to weights (returns a dict with the same keys;
            ties are broken by sorted key, so insertion order does not matter).

    Returns:
        The parts, each within one minor unit of its exact share.

    Raises:
        TypeError: If a weight is a float or not a number.
        InvalidValueError: If a weight is negative or all weights are zero.

    >>> allocate(Money("0.03", "SEK"), {"b": 1, "a": 1})
    {'b': Money('0.01', 'SEK'), 'a': Money('0.02', 'SEK')}
    """
    if not isinstance(total, Money):
        raise InvalidTypeError("total", total, "Money")
    if isinstance(weights, Mapping):
        keys = sorted(weights, key=_sort_key)
        parts = allocate_minor_units(
            total.minor_units, [_weight(weights[key], key) for key in keys]
        )
        by_key = dict(zip(keys, parts, strict=True))
        return {key: Money.from_minor(by_key[key], total.currency) for key in weights}
    fractions = [_weight(weight, index) for index, weight in enumerate(weights)]
    return tuple(
        Money.from_minor(part, total.currency)
        for part in allocate_minor_units(total.minor_units, fractions)
    )


def _sort_key(key: object) -> tuple[str, str]:
    # Keys of mixed types still sort deterministically.
    return (type(key).__name__, repr(key) if not isinstance(key, str) else key)
