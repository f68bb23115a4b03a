r"""Grouped paths read from a table: the form ChannelAttribution and MAM take.

A path table has one row per distinct path: the channels in order, as text joined by
``" > "`` (``"tiktok > coupons"``), the number of journeys of that path that converted,
the number that did not, and the total value of the conversions. The default column
names are ChannelAttribution's (``path``, ``total_conversions``, ``total_null``,
``total_conversion_value``); each can be renamed. The table is a CSV or Parquet path,
an Arrow table, or a pandas or polars DataFrame. The columns ``total_null`` and
``total_conversion_value`` are optional (0 when absent).

Counts are whole numbers; the value is exact: a decimal column, an integer column, or
text such as ``"1234.50"``. Integer or plain-digit counts with such values are checked
and added up per path text by whole-column operations (one row per journey reads as
fast as one row per path); every other row is judged on its own, with the same result.
A floating-point value column is refused, because it cannot hold money exactly (cast
it to a decimal, or write the value as text). A row that cannot be read becomes a
:class:`~hybridroi.core.problems.Problem` located at ``<table>:<row>``
(``<file>:<line>`` for a CSV file), and the other rows are read.

>>> import pyarrow as pa
>>> table = pa.table({"path": ["tiktok > coupons", "coupons", "tiktok"],
...                   "total_conversions": [3, 1, 0], "total_null": ["7", "9", "x"],
...                   "total_conversion_value": ["150.00", "40.00", "0"]})
>>> loaded = read_paths(table)
>>> [(row.channels, row.conversions, row.non_conversions) for row in loaded.paths.rows]
[(('coupons',), 1, 9), (('tiktok', 'coupons'), 3, 7)]
>>> for problem in loaded.problems:
...     print(problem)
paths:3: invalid path:3 [total_null]: expected a whole number >= 0, got 'x'
"""

from __future__ import annotations

import csv
import os
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from hybridroi.attribution.paths import PATH_SEPARATOR, PathCount, Paths, parse_path
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.files.writer import EventFileError

__all__ = ["PATH_COLUMNS", "LoadedPaths", "read_paths"]

PATH_COLUMNS = {
    "path": "path",
    "conversions": "total_conversions",
    "non_conversions": "total_null",
    "value": "total_conversion_value",
}
"""The default column of each field of a path table (ChannelAttribution's names)."""

_WHOLE = re.compile(r"^\s*\+?[0-9]+\s*$")


@attrs.frozen(kw_only=True)
class LoadedPaths:
    """What :func:`read_paths` read: the grouped paths and the rows it could not read.

    Attributes:
        paths: The paths of the good rows, merged and sorted.
        problems: One problem per bad row, located at its table and row.
    """

    paths: Paths
    problems: tuple[Problem, ...]


def _table(source: object, name: str) -> tuple[Any, str, int]:
    """The Arrow table, the name problems use, and the number of the first row."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet", ".pq"):
            raise EventFileError(name, path.name, "a table file ending in .csv, .parquet or .pq")
        if not path.is_file():
            raise EventFileError(name, str(path), "an existing table file")
        try:
            if suffix == ".csv":
                import pyarrow.csv as pcsv  # noqa: PLC0415 - only CSV paths need it

                # Every cell as text: the reader judges each one (no float ever forms).
                with path.open(encoding="utf-8", newline="") as handle:
                    header = next(csv.reader(handle), [])
                options = pcsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
                )
                return pcsv.read_csv(path, convert_options=options), path.name, 2
            import pyarrow.parquet as pq  # noqa: PLC0415 - only Parquet paths need it

            return pq.read_table(path), path.name, 1
        except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException) as error:
            raise EventFileError(name, path.name, f"a readable table file ({error})") from None
    if isinstance(source, pa.Table):
        return source, name, 1
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source]), name, 1
    if hasattr(source, "__arrow_c_stream__") or type(source).__module__.startswith("pandas"):
        try:
            return pa.table(source), name, 1
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise EventFileError(
                name, type(source).__name__, f"a table Arrow can read ({error})"
            ) from None
    raise EventFileError(
        name,
        type(source).__name__,
        "a CSV or Parquet path, an Arrow table, or a pandas or polars DataFrame",
    )


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _WHOLE.match(value):
        return int(value)
    return None


def _value(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() and result >= 0 else None


@collector_paused()
def read_paths(
    source: object,
    *,
    name: str = "paths",
    path: str = PATH_COLUMNS["path"],
    conversions: str = PATH_COLUMNS["conversions"],
    non_conversions: str = PATH_COLUMNS["non_conversions"],
    value: str = PATH_COLUMNS["value"],
    separator: str = PATH_SEPARATOR,
) -> LoadedPaths:
    """Read a grouped-path table (one row per path, with its counts and value).

    Args:
        source: A CSV or Parquet path, an Arrow table or record batch, or a pandas
            or polars DataFrame.
        name: How problems name the table when it is not a file (default ``"paths"``).
        path: The column of the path text (channels joined by ``separator``).
        conversions: The column of the number of converting journeys.
        non_conversions: The column of the number of journeys without conversion
            (optional: 0 when the table has no such column).
        value: The column of the total conversion value (optional: 0 when absent).
        separator: What joins the channels of a path (default ``" > "``).

    Returns:
        The paths of the good rows and one problem per bad row.

    Raises:
        EventFileError: If the table cannot be read, a required column is missing,
            or the value column holds floating-point numbers.
    """
    table, shown, first = _table(source, name)
    columns = set(table.column_names)
    for field, column in (("path", path), ("conversions", conversions)):
        if column not in columns:
            raise EventFileError(
                f"{shown}.{column}", sorted(columns), f"a {field} column named {column!r}"
            )
    if value in columns and pa.types.is_floating(table.schema.field(value).type):
        raise EventFileError(
            f"{shown}.{value}",
            str(table.schema.field(value).type),
            "exact values: a decimal or integer column, or text (a float cannot hold money)",
        )
    for column in (conversions, non_conversions):
        if column in columns and pa.types.is_floating(table.schema.field(column).type):
            raise EventFileError(
                f"{shown}.{column}", str(table.schema.field(column).type), "whole numbers"
            )
    names = (path, conversions, non_conversions, value)
    found = _by_columns(table, names, separator)
    if found is None:
        found = _by_rows(table, names, separator, None)
    rows, bad = found
    problems = [
        Problem(
            kind=ProblemKind.INVALID,
            subject=f"path:{index + first}",
            field=field,
            message=f"expected {expected}, got {given!r}",
            source=f"{shown}:{index + first}",
        )
        for index, (field, expected, given) in sorted(bad, key=lambda item: item[0])
    ]
    return LoadedPaths(paths=Paths.of(rows), problems=tuple(problems))


# The rows read, and the (row index, column, expectation, value) of each bad row.
_Found = tuple[list[PathCount], list[tuple[int, tuple[str, str, object]]]]


def _by_rows(
    table: Any, names: tuple[str, str, str, str], separator: str, indices: list[int] | None
) -> _Found:
    """Read the rows at ``indices`` (every row when ``None``) one by one, with :func:`_row`."""
    count = table.num_rows if indices is None else len(indices)
    chosen = None if indices is None else pa.array(indices, pa.int64())
    cells = [
        _cells(table.column(column), chosen) if column in table.column_names else [0] * count
        for column in names
    ]
    rows: list[PathCount] = []
    bad: list[tuple[int, tuple[str, str, object]]] = []
    numbers = range(count) if indices is None else indices
    for index, row in zip(numbers, zip(*cells, strict=True), strict=True):
        found = _row(row, separator, names)
        if isinstance(found, PathCount):
            rows.append(found)
        else:
            bad.append((index, found))
    return rows, bad


def _cells(column: Any, chosen: Any) -> list[object]:
    """The cells of ``column`` at the ``chosen`` indices (all when ``None``), as Python values."""
    if chosen is None:
        return list(column.to_pylist())
    if pa.types.is_string_view(column.type):  # Arrow takes no rows from a view
        column = pc.cast(column, pa.large_string())
    return list(column.take(chosen).to_pylist())


class _UnjudgedError(Exception):
    """A column the whole-table reading cannot judge: the rows are read one by one."""


# Text the whole-table reading takes; any other text is judged by _row, row by row.
_WHOLE_TEXT = r"^[0-9]{1,18}$"
_AMOUNT_TEXT = r"^[0-9]{1,18}(\.[0-9]{1,12})?$"
_INT64_LIMIT = 2**63


def _digits(number: int) -> int:
    return len(str(number))


def _whole_numbers(column: Any) -> Any:
    """The column as int64, null where a cell is not a whole number >= 0 in the strict form."""
    kind, texts = column.type, _texts(column)
    if pa.types.is_integer(kind):
        numbers = pc.cast(column, pa.int64())
    elif texts is not None:
        strict = pc.match_substring_regex(texts, _WHOLE_TEXT)
        numbers = pc.cast(pc.if_else(strict, texts, None), pa.int64())
    else:
        raise _UnjudgedError
    return pc.if_else(pc.greater_equal(numbers, 0), numbers, None)


def _amounts(column: Any, rows: int) -> Any:
    """The column as exact sums can add it up, null where a cell is not an amount >= 0."""
    kind, texts = column.type, _texts(column)
    room = 38 - _digits(rows)  # the digits a decimal128 sum of ``rows`` cells keeps
    if pa.types.is_integer(kind):
        amounts = pc.cast(column, pa.int64())
    elif pa.types.is_decimal(kind):
        if kind.scale < 0 or kind.precision > room:
            raise _UnjudgedError
        amounts = pc.cast(column, pa.decimal128(38, kind.scale))
    elif texts is not None:
        strict = pc.match_substring_regex(texts, _AMOUNT_TEXT)
        kept = pc.if_else(strict, texts, None)
        point = pc.find_substring(kept, ".")
        length = pc.utf8_length(kept)
        absent = pc.equal(point, -1)
        scale = pc.max(pc.if_else(absent, 0, pc.subtract(pc.subtract(length, point), 1)))
        whole = pc.max(pc.if_else(absent, length, point))
        places, digits = (scale.as_py() or 0), (whole.as_py() or 1)
        if digits + places > room:
            raise _UnjudgedError
        amounts = pc.cast(kept, pa.decimal128(38, places))
    else:
        raise _UnjudgedError
    return pc.if_else(pc.greater_equal(amounts, 0), amounts, None)


def _texts(column: Any) -> Any:
    """The column as Arrow text (string, large string), or ``None`` if it holds no text."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column if kind == column.type else pc.cast(column, kind)
    if pa.types.is_string_view(kind):  # polars's text
        return pc.cast(column, pa.large_string())
    return None


def _path_texts(column: Any) -> Any:
    texts = _texts(column)
    if texts is None:
        raise _UnjudgedError
    return texts


def _by_columns(table: Any, names: tuple[str, str, str, str], separator: str) -> _Found | None:
    """Read the table with whole-column operations, or ``None`` if it cannot be judged so.

    The rows every check passes (text path, strict whole numbers >= 0, at least
    one journey, exact amounts >= 0 and no value without conversions) are added
    up per path text by Arrow, and each distinct text is parsed once. Every other
    row, and every row of a text that does not parse, is read by :func:`_row`, so
    the result is the one reading row by row gives.
    """
    try:
        return _columnar(table, names, separator)
    except (_UnjudgedError, pa.ArrowException):
        return None


def _columnar(table: Any, names: tuple[str, str, str, str], separator: str) -> _Found:
    path, conversions, non_conversions, value = names
    rows = table.num_rows
    present = set(table.column_names)
    texts = _path_texts(table.column(path))
    wins = _whole_numbers(table.column(conversions))
    good = pc.and_kleene(pc.is_valid(texts), pc.is_valid(wins))
    some = pc.greater(wins, 0)
    columns = {"text": texts, "wins": wins}
    if non_conversions in present:
        nulls = _whole_numbers(table.column(non_conversions))
        good = pc.and_kleene(good, pc.is_valid(nulls))
        some = pc.or_kleene(some, pc.greater(nulls, 0))
        columns["nulls"] = nulls
    good = pc.and_kleene(good, some)
    if value in present:
        amounts = _amounts(table.column(value), rows)
        good = pc.and_kleene(good, pc.is_valid(amounts))
        # A value without conversions is refused by PathCount: _row reports it.
        good = pc.and_kleene(good, pc.or_kleene(pc.greater(wins, 0), pc.equal(amounts, 0)))
        columns["value"] = amounts
    good = pc.fill_null(good, False)
    kept = pa.table(columns).filter(good)
    for name in ("wins", "nulls", "value"):
        if name in columns and pa.types.is_integer(kept.column(name).type):
            largest = pc.max(kept.column(name)).as_py() or 0
            if largest * kept.num_rows >= _INT64_LIMIT:
                raise _UnjudgedError
    sums = kept.group_by("text").aggregate([(name, "sum") for name in columns if name != "text"])
    zeros = [0] * sums.num_rows
    found: list[PathCount] = []
    unread: list[str] = []
    for text, converted, lost, amount in zip(
        sums.column("text").to_pylist(),
        sums.column("wins_sum").to_pylist(),
        sums.column("nulls_sum").to_pylist() if "nulls" in columns else zeros,
        sums.column("value_sum").to_pylist() if "value" in columns else zeros,
        strict=True,
    ):
        try:
            channels = parse_path(text, separator)
        except HybridRoiError:
            unread.append(text)
            continue
        if separator != PATH_SEPARATOR and any(PATH_SEPARATOR in c for c in channels):
            # A channel the text form could not write back: PathCount says why, row by row.
            unread.append(text)
            continue
        # Every field is judged above (counts and values in columns): no second check.
        found.append(PathCount._trusted(channels, converted, lost, Fraction(amount)))
    judged = pc.invert(good)
    if unread:
        judged = pc.or_(judged, pc.fill_null(pc.is_in(texts, pa.array(unread, texts.type)), False))
    indices = pc.indices_nonzero(judged).to_pylist()
    more, bad = _by_rows(table, names, separator, indices)
    return found + more, bad


def _row(  # noqa: PLR0911 - one return per cell that can be wrong, in column order
    cells: tuple[object, object, object, object],
    separator: str,
    names: tuple[str, str, str, str],
) -> PathCount | tuple[str, str, object]:
    """The row's path count, or the (column, expectation, value) of its first bad cell."""
    text, wins, nulls, worth = cells
    if not isinstance(text, str):
        return names[0], f"channels joined by {separator!r}", text
    try:
        channels = parse_path(text, separator)
    except HybridRoiError:
        return names[0], f"channels joined by {separator!r}, none empty", text
    converted = _count(wins)
    if converted is None:
        return names[1], "a whole number >= 0", wins
    lost = _count(nulls)
    if lost is None:
        return names[2], "a whole number >= 0", nulls
    amount = _value(worth)
    if amount is None:
        return names[3], "an exact value >= 0 such as '12.50'", worth
    if converted + lost == 0:
        return names[1], "at least one journey (conversions + non-conversions > 0)", wins
    try:
        return PathCount(
            channels=channels, conversions=converted, non_conversions=lost, value=amount
        )
    except InvalidValueError as error:
        return names[0], error.expected, text
