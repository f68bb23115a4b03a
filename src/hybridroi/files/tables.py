r"""Event tables: touches, sales and refunds read from columns.

:func:`read_event_tables` reads one table per record type, given as a Parquet or CSV
path, an Arrow table, or a pandas or polars DataFrame (anything that speaks the Arrow
PyCapsule stream interface). The columns are the event-file format's fields of that
type (see ``docs/files.md``): a sales table has the columns of a ``sale`` row, without
the ``type`` column (an optional ``type`` column may say ``sale`` or ``lead``).

The rows are checked in columns: instants, amounts, currencies, ids and kinds are
tested for the whole table at once, and a row that passes every test becomes its
record directly. A row that fails one (or whose value the column tests cannot judge,
such as an instant with a fraction of a second in text) is read instead the way an
event file's row is read, by the one converter of
:mod:`hybridroi.serialization`, so a bad row gives exactly the problems the same row
gives in an event file, located at ``<table>:<row>`` (rows count from 1).

A table whose columns cannot be used at all (a required column missing, a repeated
column, money or ids as floating-point numbers, instants without a time zone) is
refused with an :class:`~hybridroi.files.writer.EventFileError` naming the table and
the column.

>>> import pyarrow as pa
>>> from datetime import datetime, timezone
>>> from decimal import Decimal
>>> sales = pa.table({
...     "id": ["S-1", "S-2"],
...     "instant": pa.array([datetime(2026, 3, 7, 9, tzinfo=timezone.utc)] * 2,
...                         pa.timestamp("us", tz="UTC")),
...     "customer_key": ["cust-1", "cust-2"],
...     "revenue": pa.array([Decimal("84.00"), Decimal("-1.00")], pa.decimal128(12, 2)),
...     "currency": ["EUR", "EUR"],
... })
>>> loaded = read_event_tables(conversions=sales)
>>> [(sale.id, str(sale.revenue)) for sale in loaded.conversions]
[('S-1', 'EUR 84.00')]
>>> for problem in loaded.problems:
...     print(problem)
conversions:2: invalid sale:S-2 [revenue]: expected Money >= 0, got Money('-1.00', 'EUR')
"""

from __future__ import annotations

import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import compress
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, is_currency, minor_unit, scaled
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import EARLIEST, LATEST, UTC
from hybridroi.domain.policy import TouchKind
from hybridroi.events.columns import TouchColumns, python_texts
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    Event,
    Refund,
    RefundKind,
    Touch,
)
from hybridroi.files.events import MAX_TEXT, LoadedEvents, _feed, _listed, _Reader, _shown
from hybridroi.files.fields import FIELDS
from hybridroi.files.loaded import Origins, Places
from hybridroi.files.writer import EventFileError

__all__ = ["TABLE_COLUMNS", "TableSource", "event_tables", "read_event_tables"]

TableSource = Any
"""A table: a Parquet or CSV path, an Arrow table, or a pandas or polars DataFrame."""

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "touches": ("type", *FIELDS["touch"]),
    "clicks": ("type", *FIELDS["touch"]),
    "conversions": ("type", *(name for name in FIELDS["sale"] if name != "items")),
    "refunds": ("type", *FIELDS["refund"]),
}
"""The columns each table may have: the event-file fields of its record type."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "touches": ("id", "kind", "instant", "customer_key"),
    "clicks": ("id", "instant", "customer_key"),
    "conversions": ("id", "instant", "customer_key", "revenue", "currency"),
    "refunds": ("id", "conversion_id", "instant", "amount", "currency"),
}
_NOUN = {"touches": "touch", "clicks": "touch", "conversions": "sale", "refunds": "refund"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_US = (EARLIEST - _EPOCH) // timedelta(microseconds=1)
_LATEST_US = (LATEST - _EPOCH) // timedelta(microseconds=1)
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}
# Python's whitespace (str.strip removes it; ids may not begin or end with it).
_SPACE = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
_CLEAN_TEXT = rf"(?s)^[^{_SPACE}](?:.*[^{_SPACE}])?$"
_CLEAN_NUMBER = r"^[+-]?[0-9]{1,15}(?:\.[0-9]{1,15})?$"
_COUNTRY = r"^[A-Z]{2}$"
_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_STRICT_INSTANT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Minor units beyond this bound are read by the converter, exactly, row by row.
_BOUND = 2**62
_TOUCH_KINDS = {kind.value: kind for kind in TouchKind}
_REFUND_KINDS = {kind.value: kind for kind in RefundKind}
_CONVERSION_KINDS = {"sale": ConversionKind.SALE, "lead": ConversionKind.LEAD}
_SALE_AMOUNTS = ("revenue", "gross", "tax", "shipping", "discount")

Mask = npt.NDArray[np.bool_]


def _refused(table: str, field: str, value: object, expected: str) -> EventFileError:
    return EventFileError(f"{table}.{field}" if field else table, value, expected)


def _arrow_table(source: TableSource, name: str) -> tuple[Any, str]:
    """The Arrow table of ``source`` and the name its problems use (a CSV path: None)."""
    if isinstance(source, str | os.PathLike):
        return _read_path(Path(source), name)
    if isinstance(source, pa.Table):
        return source, name
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source]), name
    if hasattr(source, "__arrow_c_stream__") or type(source).__module__.startswith("pandas"):
        try:
            return pa.table(source), name
        except (pa.ArrowException, TypeError, ValueError) as error:
            expected = f"a table Arrow can read ({error})"
            raise _refused(name, "", type(source).__name__, expected) from None
    raise _refused(
        name,
        "",
        type(source).__name__,
        "a Parquet or CSV path, an Arrow table, or a pandas or polars DataFrame",
    )


def _read_path(path: Path, name: str) -> tuple[Any, str]:
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise _refused(name, "", path.name, "a table file ending in .parquet, .pq or .csv")
    if not path.is_file():
        raise _refused(name, "", str(path), "an existing table file")
    if suffix == ".csv":
        return None, path.name
    try:
        import pyarrow.parquet as pq  # noqa: PLC0415 - only Parquet paths need it

        return pq.read_table(path), path.name
    except (OSError, pa.ArrowException) as error:
        raise _refused(name, "", path.name, f"a readable table file ({error})") from None


class _TableReader(_Reader):
    """The event-file reader for rows of one table: its type (and a click's kind) implied.

    A row that names another type, or a clicks table's row of another kind, is a
    problem of its own: a table holds one type of record.
    """

    typed = True

    def __init__(self) -> None:
        super().__init__()
        self.kind = "touches"

    def record(self, data: dict[str, Any], source: str, line: int = 0) -> None:
        kind = self.kind
        allowed = _TYPES[kind]
        given = data.get("type")
        if given is None or (isinstance(given, str) and not given.strip()):
            data["type"] = allowed[0]
        elif not isinstance(given, str) or given.strip().lower() not in allowed:
            self._refuse(data, source, "type", " or ".join(allowed), given)
            return
        if kind == "clicks":
            click = data.get("kind")
            if click is None or (isinstance(click, str) and not click.strip()):
                data["kind"] = TouchKind.CLICK.value
            elif not isinstance(click, str) or click.strip().lower() != TouchKind.CLICK.value:
                self._refuse(data, source, "kind", "click (a clicks table holds clicks)", click)
                return
        super().record(data, source, line)

    def _refuse(
        self, data: dict[str, Any], source: str, field: str, expected: str, value: object
    ) -> None:
        self.rows += 1
        ident = data.get("id")
        self.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject=f"{_NOUN[self.kind]}:{ident}" if ident else "row",
                message=f"expected {expected}, got {_shown(value)}",
                field=field,
                source=source,
            )
        )


_TYPES = {
    "touches": ("touch",),
    "clicks": ("touch",),
    "conversions": ("sale", "lead"),
    "refunds": ("refund",),
}


def _read_csv(path: Path, kind: str, reader: _TableReader) -> None:
    """A CSV table, read as an event file whose rows all have the table's type."""
    reader.kind = kind
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            _feed(handle, "csv", path.name, reader)
    except UnicodeDecodeError:
        raise _refused(kind, "", path.name, "UTF-8 text") from None
    except OSError as error:
        raise _refused(kind, "", path.name, f"a readable file ({error.strerror})") from None


class _Columns:
    """One table being read: its columns checked at once, and the rows that pass."""

    def __init__(self, table: Any, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        self.rows = table.num_rows
        self.problems: list[Problem] = []
        names = [str(column) for column in table.column_names]
        repeated = sorted(column for column, n in Counter(names).items() if n > 1)
        if repeated:
            raise _refused(
                name,
                repeated[0],
                repeated,
                "each column once (which copy holds a value cannot be known)",
            )
        if "items" in names:
            raise _refused(
                name,
                "items",
                "a column of line items",
                "sales without an items column: line items are read from event files or "
                "given on Conversion records",
            )
        known = TABLE_COLUMNS[kind]
        missing = [column for column in _REQUIRED[kind] if column not in names]
        if missing:
            raise _refused(name, missing[0], sorted(names), f"a column {missing[0]!r}")
        unknown = sorted(set(names) - set(known))
        if unknown:
            self.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="header",
                    message=f"unknown column(s) {_listed(unknown)} are ignored; known columns: "
                    + ", ".join(sorted(known)),
                    source=f"{name}:0",
                )
            )
        self.table = table
        self.present = [column for column in known if column in names]
        self.clean: Mask = np.ones(self.rows, dtype=np.bool_)
        # Each column is combined and converted once, however many checks read it.
        self._columns: dict[str, Any] = {}

    def column(self, field: str) -> Any:
        """The column ``field`` as one Arrow array, or None when the table lacks it."""
        if field not in self.present:
            return None
        if field not in self._columns:
            self._columns[field] = self._normalized(field)
        return self._columns[field]

    def _normalized(self, field: str) -> Any:
        """The column ``field`` in one chunk, text as ``string``, or refused."""
        data = self.table.column(field).combine_chunks()
        if pa.types.is_dictionary(data.type):
            # Decoded by hand: Arrow has no take kernel for every value type (string_view).
            values = data.dictionary
            if _is_text(values.type):
                values = pc.cast(values, pa.string())
            data = pc.take(values, data.indices)
        kind = data.type
        if pa.types.is_floating(kind) or (
            pa.types.is_decimal(kind) and kind.bit_width not in (32, 64, 128, 256)
        ):
            raise _refused(
                self.name,
                field,
                str(kind),
                "exact values: money, ids and counts are never floating-point numbers "
                "(use decimals, integers or text)",
            )
        if _is_text(kind):
            return pc.cast(data, pa.string())
        if pa.types.is_null(kind):
            # A column of nulls only (an empty pandas frame): every value is absent.
            return pa.nulls(len(data), pa.string())
        return data

    def given(self, field: str) -> Mask:
        """Where the column ``field`` holds a value (nowhere, when the table lacks it)."""
        data = self.column(field)
        if data is None:
            return np.zeros(self.rows, dtype=np.bool_)
        return _mask(pc.is_valid(data))

    def keep(self, mask: Any) -> None:
        """Keep on the column path only the rows where ``mask`` holds."""
        self.clean &= _mask(mask)

    def text(self, field: str, *, required: bool, shared: bool = False) -> list[str | None]:
        """The values of a text column; rows with text that is not clean leave the fast path.

        With ``shared``, rows holding the same text share one interned string (customer
        keys, partner ids, currencies): attribution compares them by identity, and a
        million rows of two hundred partners hold two hundred strings.
        """
        data = self.text_array(field, required=required, shared=shared)
        if data is None:
            return [None] * self.rows
        return python_texts(data)

    def text_array(self, field: str, *, required: bool, shared: bool = False) -> Any:
        """A text column as an Arrow ``string`` array (None when the table lacks it).

        Rows with text that is not clean leave the fast path, as with :meth:`text`.
        With ``shared``, the array is dictionary-encoded.
        """
        data = self.column(field)
        if data is None:
            if required:
                self.clean[:] = False
            return None
        if pa.types.is_integer(data.type):
            data = pc.cast(data, pa.string())
        if not pa.types.is_string(data.type):
            raise _refused(self.name, field, str(data.type), "text or integers")
        good = pc.and_kleene(
            pc.match_substring_regex(data, _CLEAN_TEXT),
            pc.less_equal(pc.utf8_length(data), MAX_TEXT),
        )
        if required:
            self.keep(good)
        else:
            self.keep(pc.or_kleene(pc.is_null(data), good))
        return pc.dictionary_encode(data) if shared else data

    def choice(self, field: str, allowed: dict[str, Any], default: Any) -> list[Any]:
        """A column of enumerated values (a kind): exact values only on the fast path."""
        data = self.column(field)
        if data is None:
            return [default] * self.rows
        if not pa.types.is_string(data.type):
            self.clean[:] = False
            return [default] * self.rows
        values = data.to_pylist()
        known = pc.is_in(data, value_set=pa.array(list(allowed), pa.string()))
        self.keep(pc.or_kleene(pc.is_null(data), known) if default is not None else known)
        return [default if value is None else allowed.get(value, default) for value in values]

    def instants(self, field: str) -> npt.NDArray[np.int64]:
        """An instant column as UTC microseconds; rows outside the library's range leave."""
        data = self.column(field)
        kind = data.type
        if pa.types.is_timestamp(kind):
            if kind.tz is None:
                raise _refused(
                    self.name,
                    field,
                    str(kind),
                    "timestamps with a time zone (an instant without one is ambiguous)",
                )
            raw = pc.cast(data, pa.int64())
            unit = kind.unit
        elif pa.types.is_string(kind):
            raw = _strict_instants(data)
            unit = "us"
        else:
            raise _refused(
                self.name,
                field,
                str(kind),
                "timestamps with a time zone, or ISO 8601 text with an offset",
            )
        self.keep(pc.is_valid(raw))
        native = np.asarray(pc.fill_null(raw, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        if unit == "ns":
            # A record holds microseconds: a finer instant is judged by the converter.
            self.clean &= native % 1000 == 0
            micros = native // 1000
        else:
            factor = _MICROSECONDS[unit]
            inside = (native >= _EARLIEST_US // factor) & (native < _LATEST_US // factor)
            self.clean &= inside
            micros = np.where(inside, native, 0) * factor
        self.clean &= (micros >= _EARLIEST_US) & (micros < _LATEST_US)
        return micros

    def currencies(self, field: str) -> tuple[list[str | None], npt.NDArray[np.int64]]:
        """A currency column and each row's minor-unit places (known codes only)."""
        codes = self.text(field, required=True, shared=True)
        data = self.column(field)
        if not pa.types.is_string(data.type):
            data = pc.cast(data, pa.string())
        places = np.zeros(self.rows, dtype=np.int64)
        distinct = [code for code in pc.unique(data).to_pylist() if code is not None]
        known = [code for code in distinct if is_currency(code)]
        self.keep(pc.is_in(data, value_set=pa.array(known, pa.string())))
        lookup = {code: minor_unit(code) for code in known}
        where = pc.index_in(data, value_set=pa.array(known, pa.string()))
        index = np.asarray(pc.fill_null(where, 0).to_numpy(zero_copy_only=False))
        if known:
            places = np.asarray([lookup[code] for code in known], dtype=np.int64)[index]
        return codes, places

    def money(
        self, field: str, places: npt.NDArray[np.int64], *, required: bool
    ) -> tuple[npt.NDArray[np.int64], Mask]:
        """A money column in whole minor units, and where it has a value."""
        data = self.column(field)
        units = np.zeros(self.rows, dtype=np.int64)
        if data is None:
            if required:
                self.clean[:] = False
            return units, np.zeros(self.rows, dtype=np.bool_)
        valid = _mask(pc.is_valid(data))
        if required:
            self.clean &= valid
        kind = data.type
        if pa.types.is_decimal(kind) and kind.bit_width == 128:
            unscaled, fits = _unscaled(data)
            scale = kind.scale
        elif pa.types.is_integer(kind):
            # An unsigned value beyond 64 signed bits is read by the converter, exactly.
            unsigned = pa.types.is_unsigned_integer(kind) and kind.bit_width == 64
            limit = pa.scalar(2**63 - 1, pa.uint64())
            fits = _mask(pc.less_equal(data, limit)) if unsigned else valid.copy()
            if unsigned and not fits.all():
                data = pc.if_else(pa.array(fits), data, pa.scalar(0, kind))
            unscaled = np.asarray(pc.fill_null(pc.cast(data, pa.int64()), 0).to_numpy())
            fits = fits | ~valid
            scale = 0
        elif pa.types.is_string(kind):
            return self._money_text(data, places, valid)
        else:
            self.clean &= ~valid
            return units, valid
        self.clean &= fits | ~valid
        shift = places - scale
        up = np.clip(shift, 0, 18)
        down = np.clip(-shift, 0, 18)
        factor = np.power(10, up, dtype=np.int64)
        divisor = np.power(10, down, dtype=np.int64)
        whole = unscaled % divisor == 0
        small = (unscaled > -(_BOUND // factor)) & (unscaled < _BOUND // factor)
        self.clean &= (whole & small & (shift > -19) & (shift < 19)) | ~valid
        units = np.where(valid & small & whole, unscaled // divisor * factor, 0)
        return units.astype(np.int64), valid

    def _money_text(
        self, data: Any, places: npt.NDArray[np.int64], valid: Mask
    ) -> tuple[npt.NDArray[np.int64], Mask]:
        shaped = _mask(pc.match_substring_regex(data, _CLEAN_NUMBER))
        self.clean &= shaped | ~valid
        units = np.zeros(self.rows, dtype=np.int64)
        texts = data.to_pylist()
        clean = self.clean
        for row in np.flatnonzero(shaped & clean).tolist():
            exact = Decimal(texts[row]).scaleb(int(places[row]))
            if exact == exact.to_integral_value():
                units[row] = int(exact)
            else:
                clean[row] = False
        return units, valid

    def raw_row(self, row: int) -> dict[str, Any]:
        """Row ``row`` as the text cells an event file's row would hold."""
        data: dict[str, Any] = {}
        for field in self.present:
            value = _value(self.table.column(field), row)
            if value is None:
                continue
            data[field] = _cell(value)
        return data


def _value(column: Any, row: int) -> object:
    """The value of a table's cell, or its Arrow text when Python cannot hold it."""
    cell = column.slice(row, 1)
    try:
        return cell[0].as_py()
    except (OverflowError, ValueError, pa.ArrowException):
        # An instant beyond the year 9999: the converter refuses its text.
        try:
            return str(pc.cast(cell, pa.string())[0].as_py())
        except pa.ArrowException:
            return f"{cell.type} value out of range"


def _strict_instants(data: Any) -> Any:
    """UTC microseconds of the texts in the one form the column path reads, else null.

    ``2026-03-07T09:15:00+01:00`` (or ``Z``), with a real date and time: anything else
    (fractions, other separators, 30 February, a 60th second) is left to the converter.
    """
    shaped = pc.match_substring_regex(data, _STRICT_INSTANT)
    local = pc.utf8_slice_codeunits(data, 0, 19)
    seconds = pc.strptime(local, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    real = pc.equal(pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S"), local)
    parsed = pc.strptime(data, format=_INSTANT_FORMAT, unit="us", error_is_null=True)
    keep = pc.fill_null(pc.and_(shaped, real), False)
    return pc.if_else(keep, pc.cast(parsed, pa.int64()), pa.scalar(None, pa.int64()))


def _is_text(kind: Any) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _mask(values: Any) -> Mask:
    """An Arrow boolean array as a numpy mask, a null counting as false."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _unscaled(data: Any) -> tuple[npt.NDArray[np.int64], Mask]:
    """The unscaled integers of a decimal128 array, and where they fit in 64 bits."""
    buffer = data.buffers()[1]
    words = np.frombuffer(buffer, dtype="<i8")[2 * data.offset : 2 * (data.offset + len(data))]
    low = words[0::2]
    high = words[1::2]
    fits = high == (low >> 63)
    return np.where(fits, low, 0).astype(np.int64), fits


def _cell(value: object) -> object:
    """A value of a table as the cell text an event file would hold."""
    if isinstance(value, str | list | dict | bytes):
        return value  # text as it is; anything else the converter refuses as it is
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


Build = Callable[[Mask], Sequence[Any]]
"""Builds the records of the rows a mask keeps, in row order."""


def _constant(value: object, rows: int) -> list[Any]:
    return [value] * rows


# The touch columns read dictionary-encoded (see TouchColumns.dictionary).
_SHARED = frozenset({"keys", "partners", "channels"})
_SHARED_TEXT = pa.dictionary(pa.int32(), pa.string())


def _touches(columns: _Columns) -> Build:
    texts = {
        "ids": columns.text_array("id", required=True),
        "keys": columns.text_array("customer_key", required=True, shared=True),
    }
    if columns.kind == "clicks":
        # A clicks table holds clicks only: a kind column, if any, says so on each row.
        kinds = columns.choice("kind", {"click": TouchKind.CLICK}, TouchKind.CLICK)
    else:
        kinds = columns.choice("kind", _TOUCH_KINDS, None)
    columns.choice("type", {"touch": "touch"}, "touch")
    micros = columns.instants("instant")
    texts["partners"] = columns.text_array("partner_id", required=False, shared=True)
    texts["channels"] = columns.text_array("channel", required=False, shared=True)
    texts["contents"] = columns.text_array("content_id", required=False)
    texts["links"] = columns.text_array("link_id", required=False)
    columns.clean &= columns.given("partner_id") != columns.given("channel")

    def build(clean: Mask) -> TouchColumns:
        # The touches stay in columns, their texts in Arrow: attribution reads them so,
        # and a list or a record is built only for a reader that asks for one.
        whole = bool(clean.all())
        kept = pa.array(clean) if not whole else None
        count = int(clean.sum())
        arrays = {
            name: pa.nulls(count, _SHARED_TEXT if name in _SHARED else pa.string())
            if data is None
            else data
            if kept is None
            else data.filter(kept)
            for name, data in texts.items()
        }
        return TouchColumns._from_arrow(
            kinds=kinds if whole else list(compress(kinds, clean.tolist())),
            instants=micros if whole else micros[clean],
            texts=arrays,
        )

    return build


def _money_column(
    units: npt.NDArray[np.int64],
    valid: Mask,
    codes: list[str | None],
    places: npt.NDArray[np.int64],
) -> list[Money | None]:
    """Money of each row from minor units, one object per distinct (units, currency).

    Each currency's distinct amounts are found by one sort (``np.unique``), their
    ``Money`` built once, and the rows gathered from them; a row without an amount or a
    currency is None.
    """
    if not valid.any():
        return _constant(None, len(valid))
    distinct = list(dict.fromkeys(codes))
    number = {code: position for position, code in enumerate(distinct)}
    code_of = np.fromiter(map(number.__getitem__, codes), dtype=np.int64, count=len(codes))
    result = np.full(len(valid), None, dtype=object)
    trusted = Money._trusted
    for position, code in enumerate(distinct):
        if code is None:
            continue
        rows = valid & (code_of == position)
        if not rows.any():
            continue
        place = int(places[np.argmax(rows)])
        amounts, inverse = np.unique(units[rows], return_inverse=True)
        made = np.empty(len(amounts), dtype=object)
        made[:] = [trusted(scaled(amount, -place), code) for amount in amounts.tolist()]
        result[rows] = made[inverse]
    values: list[Money | None] = result.tolist()
    return values


# Conversion and Refund are frozen slotted attrs classes without validators on the
# trusted path: each field's member descriptor writes its slot, in field order.
_CONVERSION_SETTERS = tuple(vars(Conversion)[f.name].__set__ for f in attrs.fields(Conversion))
_REFUND_SETTERS = tuple(vars(Refund)[f.name].__set__ for f in attrs.fields(Refund))


def _conversions(columns: _Columns) -> Build:
    ids = columns.text("id", required=True)
    keys = columns.text("customer_key", required=True, shared=True)
    kinds = columns.choice("type", _CONVERSION_KINDS, ConversionKind.SALE)
    micros = columns.instants("instant")
    codes, places = columns.currencies("currency")
    figures = {
        field: columns.money(field, places, required=field == "revenue") for field in _SALE_AMOUNTS
    }
    for units, valid in figures.values():
        columns.clean &= (units >= 0) | ~valid
    gross, has_gross = figures["gross"]
    tax, has_tax = figures["tax"]
    shipping, has_shipping = figures["shipping"]
    columns.clean &= ~has_gross | (tax * has_tax + shipping * has_shipping <= gross)
    promos = columns.text("promo_code", required=False)
    clicks = columns.text("click_id", required=False)
    countries = _countries(columns)
    news = _flags(columns, "new_customer")
    new = object.__new__
    (
        s_id,
        s_instant,
        s_key,
        s_revenue,
        s_new,
        s_kind,
        s_gross,
        s_tax,
        s_shipping,
        s_discount,
        s_items,
        s_promo,
        s_click,
        s_country,
    ) = _CONVERSION_SETTERS

    def make(  # noqa: PLR0917 - one argument per field, mapped over the columns
        ident: str,
        instant: datetime,
        key: str,
        revenue: Money,
        new_customer: bool | None,
        kind: ConversionKind,
        gross: Money | None,
        tax: Money | None,
        shipping: Money | None,
        discount: Money | None,
        promo: str | None,
        click: str | None,
        country: str | None,
    ) -> Conversion:
        conversion: Conversion = new(Conversion)
        s_id(conversion, ident)
        s_instant(conversion, instant)
        s_key(conversion, key)
        s_revenue(conversion, revenue)
        s_new(conversion, new_customer)
        s_kind(conversion, kind)
        s_gross(conversion, gross)
        s_tax(conversion, tax)
        s_shipping(conversion, shipping)
        s_discount(conversion, discount)
        s_items(conversion, ())
        s_promo(conversion, promo)
        s_click(conversion, click)
        s_country(conversion, country)
        return conversion

    def build(clean: Mask) -> list[Any]:
        keep = clean.tolist()
        kept_codes = list(compress(codes, keep))
        money = [
            _money_column(units[clean], valid[clean], kept_codes, places[clean])
            for units, valid in figures.values()
        ]
        revenue, gross, tax, shipping, discount = money
        fields = (
            compress(ids, keep),
            _instants(micros[clean]),
            compress(keys, keep),
            revenue,
            compress(news, keep),
            compress(kinds, keep),
            gross,
            tax,
            shipping,
            discount,
            compress(promos, keep),
            compress(clicks, keep),
            compress(countries, keep),
        )
        return list(map(make, *fields))

    return build


def _refunds(columns: _Columns) -> Build:
    ids = columns.text("id", required=True)
    sales = columns.text("conversion_id", required=True)
    kinds = columns.choice("kind", _REFUND_KINDS, RefundKind.REFUND)
    columns.choice("type", {"refund": "refund"}, "refund")
    micros = columns.instants("instant")
    codes, places = columns.currencies("currency")
    units, valid = columns.money("amount", places, required=True)
    columns.clean &= units > 0
    new = object.__new__
    s_id, s_sale, s_instant, s_amount, s_kind = _REFUND_SETTERS

    # Fed the rows that passed every check only: their ids are present.
    def make(
        ident: str | None,
        sale: str | None,
        instant: datetime,
        amount: Money | None,
        kind: RefundKind,
    ) -> Refund:
        refund: Refund = new(Refund)
        s_id(refund, ident)
        s_sale(refund, sale)
        s_instant(refund, instant)
        s_amount(refund, amount)
        s_kind(refund, kind)
        return refund

    def build(clean: Mask) -> list[Any]:
        keep = clean.tolist()
        amounts = _money_column(
            units[clean], valid[clean], list(compress(codes, keep)), places[clean]
        )
        fields = (
            compress(ids, keep),
            compress(sales, keep),
            _instants(micros[clean]),
            amounts,
            compress(kinds, keep),
        )
        return list(map(make, *fields))

    return build


def _countries(columns: _Columns) -> list[str | None]:
    data = columns.column("country")
    if data is None:
        return [None] * columns.rows
    if not pa.types.is_string(data.type):
        columns.clean[:] = False
        return [None] * columns.rows
    columns.keep(pc.or_kleene(pc.is_null(data), pc.match_substring_regex(data, _COUNTRY)))
    values: list[str | None] = data.to_pylist()
    return values


def _flags(columns: _Columns, field: str) -> list[bool | None]:
    data = columns.column(field)
    if data is None:
        return [None] * columns.rows
    if pa.types.is_boolean(data.type):
        values: list[bool | None] = data.to_pylist()
        return values
    if pa.types.is_string(data.type):
        texts = data.to_pylist()
        columns.keep(pc.or_kleene(pc.is_null(data), pc.is_in(data, pa.array(["true", "false"]))))
        return [None if text is None else text == "true" for text in texts]
    columns.clean[:] = False
    return [None] * columns.rows


def _instants(micros: npt.NDArray[np.int64]) -> list[datetime]:
    """Aware UTC datetimes of microseconds since the epoch."""
    epoch, step = _EPOCH, timedelta
    return [epoch + step(microseconds=value) for value in micros.tolist()]


_BUILDERS: dict[str, Callable[[_Columns], Build]] = {
    "touches": _touches,
    "clicks": _touches,
    "conversions": _conversions,
    "refunds": _refunds,
}
_PLACES = {"touches": "touch", "clicks": "touch", "conversions": "conversion", "refunds": "refund"}


def read_event_tables(
    *,
    touches: TableSource | None = None,
    clicks: TableSource | None = None,
    conversions: TableSource | None = None,
    refunds: TableSource | None = None,
) -> LoadedEvents:
    """Read touches, clicks, sales (and leads) and refunds from tables.

    Each table holds one record type, with the event-file fields of that type as its
    columns (``TABLE_COLUMNS``). Instants are Arrow timestamps with a time zone (any
    unit) or ISO 8601 text with an offset; amounts are decimals, integers (whole major
    units) or decimal text, in the row's ``currency``; ids are text or integers. The
    result is what :func:`~hybridroi.files.events.read_event_files` gives for the same
    rows in an event file, and :func:`hybridroi.pipeline.run` takes it as its events.

    Args:
        touches: The touches table (views, clicks and promo codes, by ``kind``).
        clicks: A table of clicks only, such as a network's click export: the touches
            table's columns, with ``kind`` optional (``click`` when given).
        conversions: The sales table (a ``type`` column may mark leads).
        refunds: The refunds table.

    Returns:
        The records of every table and a problem for each bad row, located at
        ``<table>:<row>``: the file's name for a path, else ``touches``,
        ``conversions`` or ``refunds``; rows count from 1.

    Raises:
        EventFileError: If a table cannot be read or its columns cannot be used.
    """
    # Millions of records and no reference cycles: the collector's passes would cost as
    # much as building them.
    with collector_paused():
        return _read_tables(touches, clicks, conversions, refunds)


def _read_tables(
    touches: TableSource | None,
    clicks: TableSource | None,
    conversions: TableSource | None,
    refunds: TableSource | None,
) -> LoadedEvents:
    reader = _TableReader()
    # The records of each table read in columns, table by table (touches stay in columns).
    fast: dict[str, list[Sequence[Any]]] = {noun: [] for noun in _PLACES.values()}
    fast_places = {noun: Places() for noun in _PLACES.values()}
    header_problems: list[Problem] = []
    sources = (
        ("touches", touches),
        ("clicks", clicks),
        ("conversions", conversions),
        ("refunds", refunds),
    )
    for kind, source in sources:
        if source is None:
            continue
        table, name = _arrow_table(source, kind)
        reader.start(name)
        reader.kind = kind
        if table is None:
            _read_csv(Path(source), kind, reader)
            continue
        columns = _Columns(table, kind, name)
        header_problems.extend(columns.problems)
        try:
            build = _BUILDERS[kind](columns)
        except (pa.ArrowException, OverflowError) as error:
            raise _refused(
                name, "", type(error).__name__, f"columns Arrow can compute on ({error})"
            ) from None
        clean = np.flatnonzero(columns.clean)
        noun = _PLACES[kind]
        fast[noun].append(build(columns.clean))
        places = fast_places[noun]
        places.files.extend(array("I", [reader.file]) * len(clean))
        places.lines.frombytes((clean + 1).astype(np.uint32).tobytes())
        for row in np.flatnonzero(~columns.clean).tolist():
            reader.record(columns.raw_row(row), f"{name}:{row + 1}", row + 1)
    slow = reader.result()
    slow_places = slow._origins.places
    read: dict[str, tuple[Any, ...]] = {
        "touch": tuple(slow.touches),
        "conversion": slow.conversions,
        "refund": slow.refunds,
    }
    records: dict[str, Sequence[Any]] = {}
    merged: dict[str, Places] = {"stats": slow_places["stats"]}
    for noun, chunks in fast.items():
        if len(chunks) == 1 and isinstance(chunks[0], TouchColumns) and not read[noun]:
            # One table of touches, every row clean: its columns are the touches.
            records[noun], merged[noun] = chunks[0], fast_places[noun]
            continue
        built = [record for chunk in chunks for record in chunk]
        records[noun], merged[noun] = _in_row_order(
            built, fast_places[noun], read[noun], slow_places[noun]
        )
    return LoadedEvents(
        touches=records["touch"],
        conversions=tuple(records["conversion"]),
        refunds=tuple(records["refund"]),
        stats=slow.stats,
        problems=(*header_problems, *slow.problems),
        rows=slow.rows + sum(len(chunk) for chunks in fast.values() for chunk in chunks),
        origins=Origins(files=slow._origins.files, places=merged),
    )


def _in_row_order(
    built: list[Any], built_places: Places, read: tuple[Any, ...], read_places: Places
) -> tuple[tuple[Any, ...], Places]:
    """The records of the column path and of the row path together, in table and row order."""
    if not read:
        return tuple(built), built_places
    rows = [
        (file, line, index)
        for index, (file, line) in enumerate(
            (
                *zip(built_places.files, built_places.lines, strict=True),
                *zip(read_places.files, read_places.lines, strict=True),
            )
        )
    ]
    rows.sort()
    every = (*built, *read)
    places = Places()
    places.files.extend(array("I", (file for file, _, _ in rows)))
    places.lines.extend(array("I", (line for _, line, _ in rows)))
    return tuple(every[index] for _, _, index in rows), places


def event_tables(events: Iterable[Event]) -> dict[str, Any]:
    """Touches, conversions and refunds as the tables :func:`read_event_tables` reads.

    The inverse of reading: ``read_event_tables(**event_tables(events))`` gives the same
    records. Instants become ``timestamp[us, UTC]`` columns, amounts ``decimal128``
    columns with the currency's places (at most 38 digits), ids and texts strings, and
    a conversion's kind the ``type`` column. Only the tables with rows are returned.

    Args:
        events: Touches, conversions and refunds, in any order.

    Returns:
        A dict with the keys ``touches``, ``conversions`` and ``refunds`` (those that
        have rows), each a ``pyarrow.Table``.

    Raises:
        InvalidValueError: For a conversion with line items (tables hold none), or an
            amount of more than 38 digits.
        InvalidTypeError: For anything that is not a touch, conversion or refund.
    """
    rows: dict[str, list[Any]] = {"touches": [], "conversions": [], "refunds": []}
    for index, event in enumerate(events):
        if isinstance(event, Touch):
            rows["touches"].append(event)
        elif isinstance(event, Conversion):
            if event.items:
                raise InvalidValueError(
                    f"events[{index}].items", event.items, "a conversion without line items"
                )
            rows["conversions"].append(event)
        elif isinstance(event, Refund):
            rows["refunds"].append(event)
        else:
            raise InvalidTypeError(f"events[{index}]", event, "a Touch, Conversion or Refund")
    tables: dict[str, Any] = {}
    if rows["touches"]:
        tables["touches"] = _table_of(
            rows["touches"],
            {
                "id": None,
                "kind": lambda touch: touch.kind.value,
                "instant": None,
                "customer_key": None,
                "partner_id": None,
                "channel": None,
                "content_id": None,
                "link_id": None,
            },
        )
    if rows["conversions"]:
        tables["conversions"] = _table_of(
            rows["conversions"],
            {
                "type": lambda conversion: conversion.kind.value,
                "id": None,
                "instant": None,
                "customer_key": None,
                "revenue": "money",
                "currency": lambda conversion: conversion.currency,
                "new_customer": None,
                "gross": "money",
                "tax": "money",
                "shipping": "money",
                "discount": "money",
                "promo_code": None,
                "click_id": None,
                "country": None,
            },
        )
    if rows["refunds"]:
        tables["refunds"] = _table_of(
            rows["refunds"],
            {
                "id": None,
                "conversion_id": None,
                "instant": None,
                "amount": "money",
                "currency": lambda refund: refund.amount.currency,
                "kind": lambda refund: refund.kind.value,
            },
        )
    return tables


def _table_of(records: list[Any], columns: dict[str, Any]) -> Any:
    arrays: dict[str, Any] = {}
    for name, how in columns.items():
        if how == "money":
            arrays[name] = _decimal_column([getattr(record, name) for record in records], name)
        elif how is not None:
            arrays[name] = pa.array([how(record) for record in records], pa.string())
        elif name == "instant":
            micros = [(record.instant - _EPOCH) // _MICROSECOND for record in records]
            arrays[name] = pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        elif name == "new_customer":
            arrays[name] = pa.array([record.new_customer for record in records], pa.bool_())
        else:
            arrays[name] = _text_column([getattr(record, name) for record in records], name)
    return pa.table(arrays)


def _text_column(values: list[str | None], name: str) -> Any:
    try:
        return pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        bad = next(value for value in values if value is not None and not _encodes(value))
        raise InvalidValueError(
            name, bad, "text Arrow can hold (UTF-8, no lone surrogate)"
        ) from None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_MICROSECOND = timedelta(microseconds=1)


def _decimal_column(amounts: list[Money | None], name: str) -> Any:
    """Amounts as one decimal128 column, at the most places any of them has."""
    places = max((minor_unit(money.currency) for money in amounts if money is not None), default=0)
    limit = Decimal(10) ** (38 - places)
    values = [None if money is None else money.amount for money in amounts]
    for value in values:
        if value is not None and abs(value) >= limit:
            raise InvalidValueError(name, value, f"an amount below {limit} (38 digits)")
    return pa.array(values, pa.decimal128(38, places))
