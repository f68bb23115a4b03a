"""Columns of the report: the fields of its events read once, and exact sums by group.

The report reads each credit, sale, refund, touch and statement line once, into
numpy columns: instants as 64-bit microseconds since the epoch (UTC), ids and
dimensions (partner, content, period, denominators) dictionary-encoded to dense
integer codes, and amounts and shares as integers. It then adds them by group
(:func:`group_of`, :func:`group_sums`) rather than one object at a time.

Money stays exact. A column of integers is held as ``int64`` only when each of
its values fits; a sum by group is made in ``int64`` only when the count of
values times their largest magnitude is below ``2**63``, so that no partial sum
can overflow. Beyond either bound the same operation runs on Python integers,
which have no bound.
"""

from __future__ import annotations

from collections.abc import Container, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import is_
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from hybridroi.events.columns import instant_micros

__all__ = [
    "INT64_BOUND",
    "Codes",
    "Integers",
    "distinct",
    "flags",
    "group_of",
    "group_sums",
    "instant_of",
    "integers",
    "members",
    "micros",
    "micros_of",
    "products",
    "ranges",
]

INT64_BOUND = 2**63
"""No magnitude an ``int64`` column or sum holds reaches this bound."""

Integers: TypeAlias = npt.NDArray[Any]
"""A column of exact integers: ``int64`` when every value fits, else Python ``int`` objects."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros_of(instant: datetime) -> int:
    """An aware instant as whole microseconds since the epoch, exactly.

    >>> micros_of(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    return (instant - _EPOCH) // _MICROSECOND


def instant_of(value: int) -> datetime:
    """The UTC instant ``value`` microseconds after the epoch (the inverse of :func:`micros_of`).

    >>> instant_of(1000005)
    datetime.datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=datetime.timezone.utc)
    """
    return _EPOCH + timedelta(microseconds=int(value))


def micros(instants: Iterable[datetime]) -> npt.NDArray[np.int64]:
    """Aware instants as microseconds since the epoch (every ``datetime`` fits in ``int64``).

    >>> micros([datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)]).tolist()
    [1000000]
    """
    return instant_micros(list(instants))


def integers(values: Iterable[int]) -> Integers:
    """Exact integers as a column: ``int64`` when each fits, else Python integers.

    >>> integers([1, -2]).dtype, integers([2**63, 1]).dtype
    (dtype('int64'), dtype('O'))
    """
    items = values if isinstance(values, list) else list(values)
    try:
        return np.array(items, dtype=np.int64)
    except OverflowError:
        column = np.empty(len(items), dtype=object)
        column[:] = items
        return column


def _largest(column: Integers) -> int:
    """The largest magnitude in ``column`` (0 when empty), as a Python integer."""
    if not len(column):
        return 0
    if column.dtype == object:
        return max(abs(int(value)) for value in column)
    # abs() of the smallest int64 overflows: compare both ends instead.
    return max(abs(int(column.max())), abs(int(column.min())))


def products(left: Integers, right: Integers) -> Integers:
    """``left * right`` element by element, exactly (``int64`` when the product is bounded)."""
    if object not in {left.dtype, right.dtype} and _largest(left) * _largest(right) < INT64_BOUND:
        product: Integers = left * right
    else:
        product = left.astype(object) * right.astype(object)
    return product


class Codes:
    """A dictionary encoding: each distinct value gets the next integer code, in first-seen order.

    >>> codes = Codes()
    >>> codes.encode(["b", "a", "b"]).tolist(), codes.values
    ([0, 1, 0], ['b', 'a'])
    """

    def __init__(self) -> None:
        self.index: dict[Hashable, int] = {}
        self._values: list[Any] = []

    @property
    def values(self) -> list[Any]:
        """The value of each code (a dict keeps its keys in insertion order)."""
        if len(self._values) != len(self.index):
            self._values = list(self.index)
        return self._values

    def encode(self, values: Iterable[Hashable]) -> npt.NDArray[np.int64]:
        """The codes of ``values``, as a column (values not seen before get new codes)."""
        index = self.index
        # setdefault gives a new value the next code, len(index) before it is added.
        return np.array([index.setdefault(value, len(index)) for value in values], dtype=np.int64)

    def lookup(self, values: Iterable[Hashable]) -> npt.NDArray[np.int64]:
        """The codes of ``values``, -1 for a value that has none (nothing is added)."""
        return np.fromiter(map(self.index.get, values, repeat(-1)), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.index)


def group_of(
    *columns: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Group rows by several columns of non-negative codes.

    Args:
        columns: Columns of one length, each of codes ``>= 0``.

    Returns:
        ``(group, first)``: the group of each row (dense, ``0 .. G - 1``) and the
        first row of each group. Groups are numbered in order of their codes.
    """
    length = len(columns[0])
    key = np.zeros(length, dtype=np.int64)
    span = 1
    for column in columns:
        size = int(column.max()) + 1 if length else 1
        if span * size >= INT64_BOUND:
            # Renumber the groups so far densely: the combined key stays in int64.
            key, _ = group_of(key)
            span = int(key.max()) + 1
        key = key * size + column
        span *= size
    # A stable sort by key: each group's rows are consecutive, the first one first.
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.ones(length, dtype=np.bool_)
    starts[1:] = ordered[1:] != ordered[:-1]
    group = np.empty(length, dtype=np.int64)
    group[order] = np.cumsum(starts) - 1
    return group, order[starts].astype(np.int64)


def distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values of a column, sorted.

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=np.bool_)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def group_sums(group: npt.NDArray[np.int64], count: int, values: Integers) -> list[int]:
    """The exact sum of ``values`` in each of ``count`` groups.

    Args:
        group: The group of each value (``0 .. count - 1``).
        count: The number of groups.
        values: The values, exact integers.

    Returns:
        One Python integer per group.
    """
    if values.dtype != object and _largest(values) * len(values) < INT64_BOUND:
        sums = np.zeros(count, dtype=np.int64)
        np.add.at(sums, group, values)
        return [int(value) for value in sums.tolist()]
    exact = [0] * count
    for index, value in zip(group.tolist(), values.tolist(), strict=True):
        exact[index] += int(value)
    return exact


def ranges(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For rows repeated ``counts`` times, the position of each repeat within its row.

    >>> ranges(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def flags(values: Iterable[object], wanted: object) -> npt.NDArray[np.bool_]:
    """Whether each value is ``wanted`` (by identity: enum members), as a column."""
    return np.fromiter(map(is_, values, repeat(wanted)), dtype=np.bool_)


def members(values: Iterable[Hashable], wanted: Container[Hashable]) -> npt.NDArray[np.bool_]:
    """Whether each value is in ``wanted``, as a column."""
    return np.fromiter(map(wanted.__contains__, values), dtype=np.bool_)
