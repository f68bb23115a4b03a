"""Touches and conversions as columns, and the latest eligible touch by sorts and searches.

Last touch with fixed-length windows is an as-of join: for each conversion, the
latest touch of the same customer at or before it, if inside the window of its
kind. This module holds the columns the join reads (:class:`EventColumns`: instants
as 64-bit UTC microseconds, customer keys, partners, channels and promo codes
dictionary-encoded) and the join itself (:func:`latest_eligible`), written as
whole-column numpy operations: one sort of the touches by (customer, order) per
distinct window length, then one vectorised binary search for the conversions.

Touches are compared by their *order*: their position when sorted by (instant,
tie-break rank of the kind, id), which is the engine's order of touches
(:meth:`~hybridroi.attribution.context.AttributionContext.order_key`). For one
conversion a smaller gap is a later instant, so "the smallest gap, then the
higher rank, then the larger id" is simply the largest order.

Search keys pack (group, order) into one integer, ``group * n + order`` for ``n``
touches. They are int64 when the largest key fits, and exact Python integers
(numpy object arrays, slower but the same operations) beyond that bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from operator import attrgetter
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from hybridroi.domain.policy import TouchKind
from hybridroi.events.columns import TouchColumns, instant_micros, python_texts, touch_columns
from hybridroi.events.records import Conversion, Touch

__all__ = [
    "KIND_CODE",
    "EventColumns",
    "columns_of",
    "dense_pairs",
    "latest_eligible",
    "microseconds",
    "touch_order",
]

Ints = NDArray[np.int64]
"""A column of 64-bit integers."""

KIND_CODE = {TouchKind.VIEW: 0, TouchKind.CLICK: 1, TouchKind.PROMO_CODE: 2}
"""The code of each touch kind in :attr:`EventColumns.touch_kind` (the kinds' tie-break ranks)."""
# The same codes by the members' identities: an enum member hashes in Python, an int in C,
# and millions of touches are looked up.
_CODE_BY_ID = {id(kind): code for kind, code in KIND_CODE.items()}
_MICROSECOND = timedelta(microseconds=1)
"""Instants closer than this to the epoch, in microseconds, convert exactly through floats."""
_INT64_KEYS = 2**63
"""Search keys below this bound are int64; the others are exact Python integers."""
_INSTANT = attrgetter("instant")
_CUSTOMER_KEY = attrgetter("customer_key")
_PARTNER_ID = attrgetter("partner_id")
_CHANNEL = attrgetter("channel")
_PROMO_CODE = attrgetter("promo_code")
_KIND = attrgetter("kind")
_LINK_ID = attrgetter("link_id")


def microseconds(length: timedelta) -> int:
    """A duration (or an instant's distance from the Unix epoch) in whole microseconds.

    >>> microseconds(timedelta(days=1, microseconds=5))
    86400000005
    """
    return length // _MICROSECOND


def _instants(events: Sequence[Touch] | Sequence[Conversion]) -> Ints:
    """The events' instants in microseconds since the epoch, exactly."""
    return instant_micros(list(map(_INSTANT, events)))


_ARROW_FROM = 100_000
"""From this many values on, Arrow encodes them (in C); below, a dict does."""


def _encoded(values: Sequence[str | None]) -> tuple[Ints, tuple[str, ...]]:
    """Dictionary codes of ``values`` (-1 for None) and the dictionary, in first-seen order.

    Both ways give the same codes. A dict is faster on few values; on millions, Arrow's
    encoding is (it costs, once per process, pyarrow's import of pandas when pandas is
    installed).
    """
    if len(values) >= _ARROW_FROM:
        try:
            encoded = pa.array(values, pa.string()).dictionary_encode()
        except (UnicodeEncodeError, pa.ArrowException):
            pass  # text Arrow cannot hold (a lone surrogate): the dict encodes any string
        else:
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            return codes.astype(np.int64), tuple(encoded.dictionary.to_pylist())
    index: dict[str | None, int] = {None: -1}
    code = index.setdefault
    found = np.array([code(value, len(index) - 1) for value in values], dtype=np.int64)
    del index[None]
    return found, tuple(index)  # type: ignore[arg-type]  # None was the one non-str key


def _codes(fields: TouchColumns, name: str) -> tuple[Ints, tuple[str, ...]]:
    """The codes of a touch text column and its dictionary: Arrow's, when it holds one."""
    held = fields.dictionary(name)
    if held is None:
        return _encoded(getattr(fields, name))
    codes, dictionary = held
    return codes, tuple(dictionary.to_pylist())


def _customers(fields: TouchColumns, keys: list[str]) -> Ints:
    """Codes of the touches' customer keys, then of ``keys``: equal keys, equal codes.

    Touches whose keys Arrow holds dictionary-encoded keep those codes; the other keys
    are looked up in that dictionary, and those it lacks get the next codes.
    """
    held = fields.dictionary("keys")
    if held is None:
        customers, _ = _encoded([*fields.keys, *keys])
        return customers
    codes, dictionary = held
    try:
        given = pa.array(keys, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        # A key Arrow cannot hold (a lone surrogate): the dict encodes any string.
        customers, _ = _encoded([*python_texts(dictionary), *keys])
        return np.concatenate([customers[codes], customers[len(dictionary) :]])
    found = pc.index_in(given, value_set=dictionary)
    missing = found.is_null().to_numpy(zero_copy_only=False)
    theirs = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if missing.any():
        absent = [key for key, lacking in zip(keys, missing.tolist(), strict=True) if lacking]
        other, _ = _encoded(absent)
        theirs[missing] = other + len(dictionary)
    return np.concatenate([codes, theirs])


@attrs.frozen(kw_only=True, eq=False)
class EventColumns:
    """Touches and conversions as columns, row ``i`` being the ``i``-th of each sequence.

    Attributes:
        touch_instant: Each touch's instant, in microseconds since the Unix epoch (UTC).
        touch_customer: Each touch's customer key, as a code shared with the conversions.
        touch_kind: Each touch's kind, as a code of :data:`KIND_CODE`.
        touch_partner: Each touch's partner, as an index into ``partners`` (-1 for an
            outside channel).
        touch_channel: Each touch's outside channel, as an index into ``channels`` (-1
            for a partner touch).
        touch_code: The code a partner promo-code touch carries (its ``link_id``,
            folded), as an index into ``codes``; -1 otherwise.
        conversion_instant: Each conversion's instant, in microseconds since the epoch.
        conversion_customer: Each conversion's customer key, as a code.
        conversion_code: The promo code of each conversion, folded, as an index into
            ``codes``; -1 without a code.
        partners: The partners' ids, by code.
        channels: The outside channels, by code.
        codes: The folded promo codes the touches carry, then those only conversions
            carry, by code.
        time_ordered: Whether the touches are sorted by (instant, id), as a checked
            batch keeps them.
    """

    touch_instant: Ints
    touch_customer: Ints
    touch_kind: Ints
    touch_partner: Ints
    touch_channel: Ints
    touch_code: Ints
    conversion_instant: Ints
    conversion_customer: Ints
    conversion_code: Ints
    partners: tuple[str, ...]
    channels: tuple[str, ...]
    codes: tuple[str, ...]
    time_ordered: bool


def columns_of(touches: Sequence[Touch], conversions: Sequence[Conversion]) -> EventColumns:
    """The columns of a sequence of touches and one of conversions, built in one pass each.

    Touches already in columns (:class:`~hybridroi.events.columns.TouchColumns`) give
    theirs as they are, without a record built.

    Args:
        touches: Touches, in any order (a time-ordered sequence is detected and kept).
        conversions: Conversions, in any order.

    Returns:
        The columns; row ``i`` of the touch columns is ``touches[i]``, and so on.
    """
    n = len(touches)
    fields = touch_columns(touches)
    customers = _customers(fields, list(map(_CUSTOMER_KEY, conversions)))
    partner, partners = _codes(fields, "partners")
    channel, channels = _codes(fields, "channels")
    kind = np.fromiter(map(_CODE_BY_ID.__getitem__, map(id, fields.kinds)), dtype=np.int64, count=n)
    # Only partner promo-code touches carry a code that counts: fold theirs alone.
    folded: dict[str, int] = {}
    touch_code = np.full(n, -1, dtype=np.int64)
    coded = np.flatnonzero((kind == KIND_CODE[TouchKind.PROMO_CODE]) & (partner >= 0))
    rows = coded.tolist()
    for row, link in zip(rows, fields.values_at("links", rows), strict=True):
        if link is not None:
            touch_code[row] = folded.setdefault(link.casefold(), len(folded))
    conversion_code = np.fromiter(
        (
            -1 if code is None else folded.setdefault(code.casefold(), len(folded))
            for code in map(_PROMO_CODE, conversions)
        ),
        dtype=np.int64,
        count=len(conversions),
    )
    instants = fields.instants
    return EventColumns(
        touch_instant=instants,
        touch_customer=customers[:n],
        touch_kind=kind,
        touch_partner=partner,
        touch_channel=channel,
        touch_code=touch_code,
        conversion_instant=_instants(conversions),
        conversion_customer=customers[n:],
        conversion_code=conversion_code,
        partners=partners,
        channels=channels,
        codes=tuple(folded),
        time_ordered=_time_ordered(instants, fields.ids),
    )


def _time_ordered(instants: Ints, ids: Sequence[str]) -> bool:
    """Whether the touches are sorted by (instant, id); only equal instants compare ids."""
    steps = np.diff(instants)
    if (steps < 0).any():
        return False
    return all(ids[row] < ids[row + 1] for row in np.flatnonzero(steps == 0).tolist())


def touch_order(columns: EventColumns, ids: Sequence[str], ranks: Mapping[int, int]) -> Ints:
    """The touches' rows sorted by (instant, tie-break rank of the kind, id).

    Args:
        columns: The columns.
        ids: The touches' ids, by row (read only when the touches are not time-ordered).
        ranks: The tie-break rank of each kind code (all 0 when ties go by id alone).

    Returns:
        Row numbers: the earliest touch first, the latest (the one that counts as
        last at a tie) last.
    """
    instant = columns.touch_instant
    if columns.time_ordered:
        by_instant: Ints = np.arange(len(instant), dtype=np.int64)
    else:
        # Object, not fixed-width text: numpy text drops trailing NULs, which ids may hold.
        by_instant = np.lexsort((np.array(list(ids), dtype=object), instant)).astype(np.int64)
    rank = np.array([ranks[code] for code in range(len(KIND_CODE))], dtype=np.int64)
    if not rank.any():
        return by_instant
    # Instants are within datetime's range (under 2**58 microseconds from the epoch), so
    # four times an instant plus a rank below four is an exact int64.
    tied = instant[by_instant] * 4 + rank[columns.touch_kind[by_instant]]
    return by_instant[np.argsort(tied, kind="stable")]


def _packed(group: Ints, order: Ints, size: int) -> NDArray[Any]:
    """``group * size + order``: int64 when every key fits, else exact Python integers."""
    largest = (int(group.max()) + 1) * size if len(group) else 0
    if largest < _INT64_KEYS:
        keys: NDArray[Any] = group * size + order
        return keys
    exact: NDArray[Any] = group.astype(object) * size + order.astype(object)
    return exact


def dense_pairs(
    first: Ints, second: Ints, other_first: Ints, other_second: Ints, size: int
) -> tuple[Ints, Ints]:
    """Dense numbers of the pairs ``(first, second)`` and ``(other_first, other_second)``.

    Equal pairs get equal numbers on both sides, numbered from 0 in pair order.

    Args:
        first: The first items of the pairs of one side.
        second: Their second items, each in ``range(size)``.
        other_first: The first items of the pairs of the other side.
        other_second: Their second items, each in ``range(size)``.
        size: A bound on the second items.

    Returns:
        The numbers of the pairs of each side.
    """
    pairs = np.concatenate([_packed(first, second, size), _packed(other_first, other_second, size)])
    _, dense = np.unique(pairs, return_inverse=True)
    numbers = dense.reshape(-1).astype(np.int64)
    return numbers[: len(first)], numbers[len(first) :]


def latest_eligible(  # noqa: PLR0917 - one join, its columns passed as they are
    touch_group: Ints,
    touch_window: Ints,
    position: Ints,
    sorted_instant: Ints,
    conversion_group: Ints,
    conversion_last: Ints,
    conversion_instant: Ints,
) -> Ints:
    """For each conversion, the latest touch of its group at or before it and inside its window.

    The latest touch of a window length at or before a conversion is the only one of
    that length that can be inside its window (an older one is further away), so
    one as-of search per distinct length, and the latest of the results, answers it.

    Args:
        touch_group: Each touch's group (a customer, or a customer and a promo code);
            -1 leaves the touch out.
        touch_window: Each touch's window length in microseconds; -1 leaves it out.
        position: Each touch's position in the touch order (see :func:`touch_order`).
        sorted_instant: The touches' instants in the touch order.
        conversion_group: Each conversion's group; -1 matches no touch.
        conversion_last: For each conversion, the position of the last touch at or
            before its instant (-1 when there is none).
        conversion_instant: Each conversion's instant, in microseconds.

    Returns:
        For each conversion, the position (in the touch order) of its latest eligible
        touch, or -1.
    """
    size = len(position)
    best = np.full(len(conversion_group), -1, dtype=np.int64)
    usable = (touch_group >= 0) & (touch_window >= 0)
    asking = np.flatnonzero((conversion_group >= 0) & (conversion_last >= 0))
    if not size or not len(asking) or not usable.any():
        return best
    wanted = _packed(conversion_group[asking], conversion_last[asking], size)
    # Searched in ascending order, each search starts near the last one in memory;
    # random needles miss the cache on most steps (three times slower at a million).
    ascending = np.argsort(wanted)
    needles = wanted[ascending]
    found = np.empty(len(wanted), dtype=np.int64)
    group_asking = conversion_group[asking]
    instant_asking = conversion_instant[asking]
    lengths = touch_window[usable]
    low, high = int(lengths.min()), int(lengths.max())
    windows = [low] if low == high else np.unique(lengths).tolist()
    for window in windows:
        if len(windows) == 1 and usable.all():
            keys = _packed(touch_group, position, size)
        else:
            rows = np.flatnonzero(usable & (touch_window == window))
            keys = _packed(touch_group[rows], position[rows], size)
        keys.sort()
        found[ascending] = np.searchsorted(keys, needles, side="right") - 1
        hit = found >= 0
        key = keys[np.maximum(found, 0)]
        # The key found may belong to an earlier group: then the group has no touch in time.
        hit &= (key // size) == group_asking
        latest = (key % size).astype(np.int64)
        hit &= instant_asking - sorted_instant[latest] <= window
        if len(windows) > 1:
            hit &= latest > best[asking]
        best[asking[hit]] = latest[hit]
    return best
