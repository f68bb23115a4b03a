"""Touches held in columns, built into records only when a record is asked for.

A click export holds millions of touches, and attribution reads them as columns
(:mod:`hybridroi.attribution.columns`). :class:`TouchColumns` keeps a table's touches
that way: one list or array per field, row ``i`` being the ``i``-th touch. It is a
sequence of :class:`~hybridroi.events.records.Touch`: indexing or iterating it builds
the records (all of them once, on first iteration), equal field by field to the ones
the record constructors give, so every reader of touches works unchanged while the
columnar readers skip the records altogether.

The columns hold checked values only (the event tables build it from the rows that
passed every column check): ids and keys are identifiers, exactly one of partner and
channel is set, instants are microseconds since the Unix epoch in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Sized
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Touch

__all__ = ["TouchColumns", "instant_micros", "touch_columns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EXACT_FLOAT_MICROSECONDS = 2.0**51 - 1
_NAMES = ("ids", "kinds", "instants", "keys", "partners", "channels", "contents", "links")
# Touch is a frozen slotted attrs class without validators on the trusted path: each
# field's member descriptor writes its slot (as the event tables' row builder does).
_SETTERS = tuple(vars(Touch)[field.name].__set__ for field in attrs.fields(Touch))
_new = object.__new__


class TouchColumns(Sequence[Touch]):
    """Touches as columns: a sequence whose records are built when they are read.

    Attributes:
        ids: Each touch's id.
        kinds: Each touch's kind.
        instants: Each touch's instant, in microseconds since the Unix epoch (UTC).
        keys: Each touch's customer key.
        partners: Each touch's partner id, or None for an outside channel.
        channels: Each touch's outside channel, or None for a partner touch.
        contents: Each touch's content id, or None.
        links: Each touch's tracking link, or None.
    """

    __slots__ = (*_NAMES, "_records")

    ids: list[str]
    kinds: list[TouchKind]
    instants: npt.NDArray[np.int64]
    keys: list[str]
    partners: list[str | None]
    channels: list[str | None]
    contents: list[str | None]
    links: list[str | None]
    _records: tuple[Touch, ...] | None

    def __init__(
        self,
        *,
        ids: list[str],
        kinds: list[TouchKind],
        instants: npt.NDArray[np.int64],
        keys: list[str],
        partners: list[str | None],
        channels: list[str | None],
        contents: list[str | None],
        links: list[str | None],
    ) -> None:
        """Touches from columns of equal length, each row checked as ``Touch`` checks it.

        The columns are kept as given: they must not be changed afterwards.

        Raises:
            InvalidValueError: If the columns differ in length, or the instants are not
                integers, naming the column.
            InvalidTypeError: If a row is not a valid touch (from the ``Touch``
                constructor, naming the row's field).
        """
        columns: tuple[Sized, ...] = (ids, kinds, instants, keys, partners, channels, contents)
        count = len(ids)
        for name, column in zip(_NAMES, (*columns, links), strict=True):
            if len(column) != count:
                raise InvalidValueError(f"TouchColumns.{name}", len(column), f"{count} values")
        given = np.asarray(instants)
        if given.dtype.kind not in "iu" and given.size:
            raise InvalidValueError(
                "TouchColumns.instants", given.dtype, "integer microseconds since the epoch"
            )
        micros = given.astype(np.int64)
        epoch, step = _EPOCH, timedelta
        records = tuple(
            Touch(
                id=ident,
                kind=kind,
                instant=epoch + step(microseconds=value),
                customer_key=key,
                partner_id=partner,
                channel=channel,
                content_id=content,
                link_id=link,
            )
            for ident, kind, value, key, partner, channel, content, link in zip(
                ids, kinds, micros.tolist(), keys, partners, channels, contents, links, strict=True
            )
        )
        self._set(
            ids,
            [touch.kind for touch in records],
            micros,
            keys,
            partners,
            channels,
            contents,
            links,
        )
        self._records = records

    @classmethod
    def _trusted(
        cls,
        *,
        ids: list[str],
        kinds: list[TouchKind],
        instants: npt.NDArray[np.int64],
        keys: list[str],
        partners: list[str | None],
        channels: list[str | None],
        contents: list[str | None],
        links: list[str | None],
    ) -> TouchColumns:
        """Touches from columns the library checked itself, without checking them again.

        For the event tables and the engine: every row must be a valid touch, and the
        instants 64-bit integer microseconds.
        """
        columns: TouchColumns = object.__new__(cls)
        columns._set(ids, kinds, instants, keys, partners, channels, contents, links)
        columns._records = None
        return columns

    def _set(self, *columns: Any) -> None:
        """Keep the columns, given in field order."""
        for name, column in zip(_NAMES, columns, strict=True):
            setattr(self, name, column)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Touch: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Touch, ...]: ...

    def __getitem__(self, index: int | slice) -> Touch | tuple[Touch, ...]:
        records = self._records
        if records is not None:
            return records[index]
        if isinstance(index, slice):
            return tuple(self._build(row) for row in range(len(self))[index])
        return self._build(range(len(self))[index])

    def __iter__(self) -> Iterator[Touch]:
        return iter(self.records())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TouchColumns):
            return self is other or self.records() == other.records()
        if isinstance(other, tuple):
            return self.records() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.records())

    def __repr__(self) -> str:
        return f"TouchColumns({len(self)} touches)"

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle holds the records: the same touches, whatever the columns were.
        return (tuple, (self.records(),))

    def records(self) -> tuple[Touch, ...]:
        """Every touch as a record, built on the first call and kept."""
        records = self._records
        if records is None:
            epoch, step = _EPOCH, timedelta
            instants = [epoch + step(microseconds=value) for value in self.instants.tolist()]
            records = self._records = tuple(
                map(
                    _touch,
                    self.ids,
                    self.kinds,
                    instants,
                    self.keys,
                    self.partners,
                    self.channels,
                    self.contents,
                    self.links,
                )
            )
        return records

    def take(self, rows: npt.NDArray[np.intp]) -> TouchColumns:
        """The touches at ``rows``, in that order, still in columns."""
        picked = {name: _taken(getattr(self, name), rows) for name in _NAMES if name != "instants"}
        return TouchColumns._trusted(instants=self.instants[rows], **picked)

    def _build(self, row: int) -> Touch:
        return _touch(
            self.ids[row],
            self.kinds[row],
            _EPOCH + timedelta(microseconds=int(self.instants[row])),
            self.keys[row],
            self.partners[row],
            self.channels[row],
            self.contents[row],
            self.links[row],
        )


def _touch(  # noqa: PLR0917 - one argument per field, mapped over the columns
    ident: str,
    kind: TouchKind,
    instant: datetime,
    key: str,
    partner: str | None,
    channel: str | None,
    content: str | None,
    link: str | None,
) -> Touch:
    """A touch of checked fields, its slots written directly."""
    touch: Touch = _new(Touch)
    s_id, s_kind, s_instant, s_key, s_partner, s_channel, s_content, s_link = _SETTERS
    s_id(touch, ident)
    s_kind(touch, kind)
    s_instant(touch, instant)
    s_key(touch, key)
    s_partner(touch, partner)
    s_channel(touch, channel)
    s_content(touch, content)
    s_link(touch, link)
    return touch


def instant_micros(instants: Sequence[datetime]) -> npt.NDArray[np.int64]:
    """Aware instants as 64-bit microseconds since the Unix epoch (UTC), exactly.

    ``datetime.timestamp`` is the exact microsecond count ``m`` divided by 10**6 and
    correctly rounded (an integer true division). While ``|m| < 2**51`` (1898 to 2041),
    that quotient is within ``10**6 * 2**-22`` of ``m / 10**6`` and its product by
    10**6 is rounded by at most ``2**-3``: less than a half in all, so rounding to the
    nearest integer restores ``m``. Beyond that bound the count is computed in
    integers, instant by instant.

    >>> instant_micros([datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)]).tolist()
    [1000005]
    """
    count = len(instants)
    seconds = np.fromiter(map(datetime.timestamp, instants), dtype=np.float64, count=count)
    scaled = seconds * 1e6
    if not count or float(np.abs(scaled).max()) < _EXACT_FLOAT_MICROSECONDS:
        return np.rint(scaled).astype(np.int64)
    epoch, unit = _EPOCH, _MICROSECOND
    return np.fromiter(
        [(instant - epoch) // unit for instant in instants], dtype=np.int64, count=count
    )


def touch_columns(touches: Sequence[Touch]) -> TouchColumns:
    """Touches as columns: their own when they are kept so, else built once from the records.

    Args:
        touches: Touches, as records or in columns.

    Returns:
        The columns; row ``i`` is ``touches[i]``.
    """
    if isinstance(touches, TouchColumns):
        return touches
    records = tuple(touches)
    columns = TouchColumns._trusted(
        ids=[touch.id for touch in records],
        kinds=[touch.kind for touch in records],
        instants=instant_micros([touch.instant for touch in records]),
        keys=[touch.customer_key for touch in records],
        partners=[touch.partner_id for touch in records],
        channels=[touch.channel for touch in records],
        contents=[touch.content_id for touch in records],
        links=[touch.link_id for touch in records],
    )
    columns._records = records  # the records asked for are these very ones
    return columns


def _taken(values: list[Any], rows: npt.NDArray[np.intp]) -> list[Any]:
    """``[values[row] for row in rows]``, gathered in C."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    result: list[Any] = column[rows].tolist()
    return result
