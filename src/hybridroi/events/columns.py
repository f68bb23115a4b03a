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

Touches read from tables keep their text columns as the Arrow arrays they were read
from (customer keys, partners and channels dictionary-encoded): attribution takes
their codes as they are, and a Python list of a column is built only when it is read.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence, Sized
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Touch

__all__ = ["TouchColumns", "instant_micros", "python_texts", "touch_columns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EXACT_FLOAT_MICROSECONDS = 2.0**51 - 1
_NAMES = ("ids", "kinds", "instants", "keys", "partners", "channels", "contents", "links")
_TEXTS = ("ids", "keys", "partners", "channels", "contents", "links")
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

    __slots__ = ("_arrow", "_lists", "_records", "instants", "kinds")

    kinds: list[TouchKind]
    instants: npt.NDArray[np.int64]
    _lists: dict[str, list[Any]]
    _arrow: dict[str, Any]
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
        self.kinds = [touch.kind for touch in records]
        self.instants = micros
        self._lists = dict(
            zip(_TEXTS, (ids, keys, partners, channels, contents, links), strict=True)
        )
        self._arrow = {}
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
        given: tuple[list[Any], ...] = (ids, keys, partners, channels, contents, links)
        return cls._made(kinds, instants, dict(zip(_TEXTS, given, strict=True)), {})

    @classmethod
    def _from_arrow(
        cls,
        *,
        kinds: list[TouchKind],
        instants: npt.NDArray[np.int64],
        texts: dict[str, Any],
    ) -> TouchColumns:
        """Touches whose text columns are Arrow arrays the library checked itself.

        ``texts`` holds one array per text column (``ids``, ``keys``, ``partners``,
        ``channels``, ``contents``, ``links``), each of ``string`` values or a
        dictionary of them, nulls where a touch has no value.
        """
        return cls._made(kinds, instants, {}, dict(texts))

    @classmethod
    def _made(
        cls,
        kinds: list[TouchKind],
        instants: npt.NDArray[np.int64],
        lists: dict[str, list[Any]],
        arrow: dict[str, Any],
    ) -> TouchColumns:
        columns: TouchColumns = object.__new__(cls)
        columns.kinds = kinds
        columns.instants = instants
        columns._lists = lists
        columns._arrow = arrow
        columns._records = None
        return columns

    def _text(self, name: str) -> list[Any]:
        """A text column as a Python list, built from its Arrow array on first use."""
        found = self._lists.get(name)
        if found is None:
            found = self._lists[name] = python_texts(self._arrow[name])
        return found

    @property
    def ids(self) -> list[str]:
        """Each touch's id."""
        return self._text("ids")

    @property
    def keys(self) -> list[str]:
        """Each touch's customer key."""
        return self._text("keys")

    @property
    def partners(self) -> list[str | None]:
        """Each touch's partner id, or None for an outside channel."""
        return self._text("partners")

    @property
    def channels(self) -> list[str | None]:
        """Each touch's outside channel, or None for a partner touch."""
        return self._text("channels")

    @property
    def contents(self) -> list[str | None]:
        """Each touch's content id, or None."""
        return self._text("contents")

    @property
    def links(self) -> list[str | None]:
        """Each touch's tracking link, or None."""
        return self._text("links")

    def dictionary(self, name: str) -> tuple[npt.NDArray[np.int64], Any] | None:
        """The codes of a dictionary-encoded text column and its Arrow dictionary, if held so.

        Args:
            name: ``keys``, ``partners`` or ``channels``.

        Returns:
            Each touch's code (-1 for no value), an index into the dictionary (which may
            hold values no touch has), or None when the column is not held as an Arrow
            dictionary (then read its list).
        """
        data = self._arrow.get(name)
        if data is None or not pa.types.is_dictionary(data.type):
            return None
        codes = data.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return codes.astype(np.int64), data.dictionary

    def values_at(self, name: str, rows: list[int]) -> list[Any]:
        """The values of a text column at ``rows``, in that order."""
        found = self._lists.get(name)
        if found is not None:
            return [found[row] for row in rows]
        return python_texts(self._arrow[name].take(pa.array(rows, pa.int64())))

    def distinct_pairs(self, first: str, second: str) -> set[tuple[Any, Any]]:
        """The distinct (``first``, ``second``) pairs of two text columns' values."""
        if first in self._arrow and second in self._arrow and first not in self._lists:
            table = pa.table({"first": self._arrow[first], "second": self._arrow[second]})
            rows = table.group_by(["first", "second"]).aggregate([]).to_pylist()
            return {(row["first"], row["second"]) for row in rows}
        return set(zip(self._text(first), self._text(second), strict=True))

    def __len__(self) -> int:
        return len(self.instants)

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
        lists = {name: _taken(values, rows) for name, values in self._lists.items()}
        picks = pa.array(rows, pa.int64()) if self._arrow else None
        arrow = {name: data.take(picks) for name, data in self._arrow.items() if name not in lists}
        return TouchColumns._made(_taken(self.kinds, rows), self.instants[rows], lists, arrow)

    def _value(self, name: str, row: int) -> Any:
        """One touch's value of a text column, without building the column's list."""
        found = self._lists.get(name)
        if found is not None:
            return found[row]
        return self._arrow[name][row].as_py()

    def _build(self, row: int) -> Touch:
        value = self._value
        return _touch(
            value("ids", row),
            self.kinds[row],
            _EPOCH + timedelta(microseconds=int(self.instants[row])),
            value("keys", row),
            value("partners", row),
            value("channels", row),
            value("contents", row),
            value("links", row),
        )


def python_texts(data: Any) -> list[Any]:
    """The values of an Arrow text array as a list; a dictionary's values shared.

    The rows of a dictionary array that hold one value share one interned string
    (a million rows of two hundred partners hold two hundred strings); a null is None.

    Args:
        data: An Arrow array of ``string`` values, or a dictionary of them.

    Returns:
        The values, in row order.
    """
    if not pa.types.is_dictionary(data.type):
        values: list[Any] = data.to_pylist()
        return values
    distinct: list[str | None] = [sys.intern(text) for text in data.dictionary.to_pylist()]
    distinct.append(None)
    indices = data.indices.fill_null(len(distinct) - 1).to_numpy(zero_copy_only=False)
    strings = np.empty(len(distinct), dtype=object)
    strings[:] = distinct
    shared: list[Any] = strings[indices].tolist()
    return shared


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
