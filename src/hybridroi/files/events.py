"""Event files: touches, sales (with line items), refunds and content statistics.

Two formats carry the same records:

* **CSV** (``.csv``): a header line, then one record per line. The ``type``
  column says what each line is (``touch``, ``sale``, ``lead``, ``item``,
  ``refund``, ``stats``); a file may hold one type or mix them, leaving the
  columns a type does not use empty. Line items are ``item`` lines that name
  their sale in ``conversion_id``.
* **JSON Lines** (``.jsonl``, ``.ndjson``): one JSON object per line with a
  ``"type"`` key; a sale may carry its line items inline under ``"items"``.
  Numbers are read as exact decimals, never as binary floats.

Every bad row becomes a :class:`Problem` naming the file and line, the field
and what was expected; all the problems of a row are reported, one bad row
does not hide the others, and a good row is never dropped. A row's fields are
read by the library's converter (:func:`hybridroi.serialization.file_converter`),
whose key paths (``items[1].unit_price``) name the fields. Checks that need
the campaign (unknown partners, repeated ids, refunds above the sale) are made
later by :func:`hybridroi.events.intake.check_events`. Content statistics are
checked across all the files read together by
:func:`hybridroi.events.stats.check_stats`: a cumulative figure that falls
(views 100, then 50) or two different records of one content at one instant
are reported, and the records are kept.

>>> text = '''type,id,kind,instant,customer_key,partner_id
... touch,T-1,click,2026-03-07T10:15:00+01:00,cust-1,lea
... touch,T-2,clic,2026-03-07T10:16:00,cust-2,lea
... '''
>>> loaded = parse_events(text, format="csv", source="touches.csv")
>>> [touch.id for touch in loaded.touches]
['T-1']
>>> for problem in loaded.problems:
...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
touches.csv:3: invalid touch:T-2 [kind]: expected one of view, click, promo_code, got 'clic'
touches.csv:3: invalid touch:T-2 [instant]: expected an ISO 8601 instant with its offset,
    such as 2026-03-07T10:15:00+01:00, got '2026-03-07T10:16:00'
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
import reprlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
from cattrs.errors import ClassValidationError

from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.text import unescape_cell
from hybridroi.events.records import (
    Conversion,
    LineItem,
    Refund,
    Touch,
)
from hybridroi.events.stats import ContentStats, check_stats
from hybridroi.files.fields import FIELDS
from hybridroi.files.loaded import RECORD_NOUNS, LoadedEvents, Origins, Places
from hybridroi.files.writer import EventFileError, format_events
from hybridroi.serialization import (
    MAX_FILE_COUNT,
    MAX_FILE_DIGITS,
    MAX_FILE_TEXT,
    Currency,
    CurrencyMissingError,
    LocatedError,
    file_converter,
    located_errors,
)

__all__ = [
    "FIELDS",
    "EventFileError",
    "LoadedEvents",
    "Progress",
    "format_events",
    "parse_events",
    "read_event_files",
]

Progress = Callable[[int, int], None]
"""A progress hook: called with (bytes read so far, total bytes of every file)."""

R = TypeVar("R")

_KNOWN = {"type"}.union(*FIELDS.values())
_ITEM_KEYS = frozenset(FIELDS["item"]) - {"conversion_id"}
_PROGRESS_EVERY = 2_000
_BOM = "\ufeff"

MAX_DIGITS = MAX_FILE_DIGITS
"""Numbers in event files have at most this many significant digits, and magnitudes
between ``10**-MAX_DIGITS`` and ``10**MAX_DIGITS``."""
MAX_COUNT = MAX_FILE_COUNT
"""The largest count (views, likes, ...) an event file may hold."""
MAX_TEXT = MAX_FILE_TEXT
"""The longest text (an id, a SKU, a category) an event file may hold, in characters."""

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 60
_SHOWN.maxother = 60
_SHOWN.maxlevel = 2


def _shown(value: object) -> str:
    """A short, safe rendering of a refused value (huge or deeply nested input included)."""
    if isinstance(value, Decimal):
        text = str(value)
        return text if len(text) <= 60 else f"{text[:25]}...{text[-25:]} ({len(text)} characters)"
    return _SHOWN.repr(value)


def _listed(names: Iterable[str], limit: int = 10) -> str:
    """Names joined with commas, at most ``limit`` of them."""
    names = list(names)
    shown = ", ".join(_SHOWN.repr(name)[1:-1] for name in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _subject(kind: str, data: dict[str, Any]) -> str:
    key = {"item": "conversion_id", "stats": "content_id"}.get(kind, "id")
    ident = data.get(key)
    if isinstance(ident, Decimal):
        number = _quiet_text(ident)  # a JSON id that is a number
        return f"{kind}:{number}" if number is not None else kind
    if isinstance(ident, str) and ident.strip():
        return f"{kind}:{ident.strip()}"
    return kind


_REQUIRED = "a value (the field is required)"
_ITEM_PATH = re.compile(r"items\[(\d+)\]")
# The fields of each record as a row holds them; the row's currency is not a record field.
_RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "touch": FIELDS["touch"],
    "sale": tuple(name for name in FIELDS["sale"] if name not in ("currency", "items")),
    "item": ("sku", "quantity", "unit_price", "category"),
    "refund": tuple(name for name in FIELDS["refund"] if name != "currency"),
    "stats": FIELDS["stats"],
}
_AMOUNTS = frozenset({"revenue", "gross", "tax", "shipping", "discount", "amount", "unit_price"})


def _fields(data: dict[str, Any], kind: str, currency: str | None) -> dict[str, Any]:
    """A row's fields as the plain data the converter structures into its record.

    Blank fields are left out (the record's default applies, or the converter reports the
    field as required); each amount carries the row's currency, ``None`` when the currency
    is missing or refused (the record is then not built).
    """
    plain: dict[str, Any] = {}
    for name in _RECORD_FIELDS[kind]:
        value = data.get(name)
        if value is None or (type(value) is str and not value.strip()):
            continue
        plain[name] = {"amount": value, "currency": currency} if name in _AMOUNTS else value
    return plain


def _quiet_text(value: object) -> str | None:
    """``value`` read as text by the converter, or None; no problem is reported."""
    if not _present(value):
        return None
    try:
        text: str = file_converter().structure(value, str)
    except InvalidValueError:
        return None
    return text


def _sale_order(problem: Problem) -> tuple[int, int, int]:
    """The order a sale's problems are reported in: currency, fields, then line items."""
    field = problem.field or ""
    if field == "currency":
        return (0, 0, 0)
    if not field.startswith("items"):
        return (1, 0, 0)
    found = _ITEM_PATH.match(field)
    index = int(found.group(1)) if found else -1
    return (2, index, 0 if field.endswith("].currency") or field.endswith("]") else 1)


class _Row:
    """One record being read: its fields, where it came from, and its problems.

    The row's fields become plain data that the file converter
    (:func:`hybridroi.serialization.file_converter`) structures into the record; each
    error it reports, with its key path (``items[1].unit_price``), becomes a problem of
    the row. Reading never raises: a value that cannot be accepted is a problem.
    """

    def __init__(self, kind: str, data: dict[str, Any], source: str, line: int = 0) -> None:
        self.kind = kind
        self.data = data
        self.source = source
        self.line = line
        self.problems: list[Problem] = []
        # Problems of a sale's combination of fields (found by its constructor): reported
        # when sales are assembled with their items, and only if the row was accepted.
        self.deferred: list[Problem] = []
        # Where each structured line item is among the row's items (refused ones are skipped).
        self.positions: list[int] = []
        self.subject = _subject(kind, data)

    def fail(self, field: str, expected: str, value: object) -> None:
        self.problems.append(self.problem(field, f"expected {expected}, got {_shown(value)}"))

    def problem(self, field: str | None, message: str) -> Problem:
        return Problem(
            kind=ProblemKind.INVALID,
            subject=self.subject,
            message=message,
            field=field,
            source=self.source,
        )

    def value(
        self, data: dict[str, Any], field: str, type_: Any, *, required: bool, prefix: str = ""
    ) -> Any:
        """One field read on its own by the converter (a currency, an item's sale id)."""
        value = data.get(field)
        if not _present(value):
            if required:
                self.fail(prefix + field, _REQUIRED, value)
            return None
        try:
            return file_converter().structure(value, type_)
        except InvalidValueError as error:
            self.fail(prefix + field, error.expected, error.value)
            return None

    def build(self, cls: type[R], plain: dict[str, Any], *, defer: bool = False) -> R | None:
        """The record the converter builds from ``plain``, or None and the row's problems."""
        try:
            record: R | None = file_converter().structure(plain, cls)
        except Exception:
            record = None
            try:
                record = file_converter(detailed=True).structure(plain, cls)
            except ClassValidationError as error:
                for found in located_errors(error):
                    self.located(found, defer=defer)
        return None if self.problems else record

    def located(self, found: LocatedError, *, defer: bool = False) -> None:
        path, error, built = found
        if self.positions:
            path = _ITEM_PATH.sub(lambda m: f"items[{self.positions[int(m.group(1))]}]", path, 1)
        if isinstance(error, CurrencyMissingError):
            return  # an amount without its currency: the currency's own problem says why
        if isinstance(error, KeyError):
            self.fail(path, _REQUIRED, self.raw(path))
        elif not built and isinstance(error, InvalidValueError):
            self.fail(path, error.expected, error.value)
        elif built and isinstance(error, HybridRoiError):
            if isinstance(error, InvalidValueError):
                name = error.field.split(".", 1)[-1]
                field = f"{path}.{name}" if path else name
                problem = self.problem(
                    field, f"expected {error.expected}, got {_shown(error.value)}"
                )
            else:
                problem = self.problem(path or None, str(error))
            (self.deferred if defer and not path else self.problems).append(problem)
        else:
            raise error

    def raw(self, path: str) -> Any:
        """The value the row holds at ``path`` (``"revenue"``, ``"items[1].sku"``)."""
        found = _ITEM_PATH.match(path)
        if found is None:
            return self.data.get(path)
        item = self.data["items"][int(found.group(1))]
        return item.get(path[found.end() + 1 :])


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class _Reader:
    """Reads records of any type and assembles sales with their line items."""

    def __init__(self) -> None:
        self.touches: list[Touch] = []
        # Item rows belong to the sale with their id in the same file: the same sale read
        # from two files (a retry, a copy) must not collect the items of both.
        self.file = 0
        self.files: list[str] = []
        self.sales: list[tuple[_Row, Conversion | None, int]] = []
        self.items: list[tuple[_Row, str, LineItem, int, int]] = []
        # Every sale line by (file, id), in reading order: (record number, index in sales
        # or None when the line was refused). An item line belongs to the nearest sale
        # line with its id above it, so a sale repeated in a file keeps its own items.
        self.sale_lines: dict[tuple[int, str], list[tuple[int, int | None]]] = {}
        self.refunds: list[Refund] = []
        self.stats: list[ContentStats] = []
        self.stats_sources: list[str] = []
        self.problems: list[Problem] = []
        self.rows = 0
        self.places = {noun: Places() for noun in RECORD_NOUNS}

    typed = False
    """Whether each row's type is known without a ``type`` column (a table of one type)."""

    def start(self, name: str) -> None:
        """Begin the records of another file."""
        self.file = len(self.files)
        self.files.append(name)

    def record(self, data: dict[str, Any], source: str, line: int = 0) -> None:
        self.rows += 1
        kind = data.get("type")
        kind = kind.strip().lower() if isinstance(kind, str) else None
        if kind not in FIELDS:
            row = _Row("row", data, source)
            row.fail("type", "one of " + ", ".join(sorted(FIELDS)), data.get("type"))
            self.problems.extend(row.problems)
            return
        row = _Row(kind, data, source, line=line)
        {
            "touch": self.touch,
            "sale": self.sale,
            "lead": self.sale,
            "item": self.item,
            "refund": self.refund,
            "stats": self.content_stats,
        }[kind](row)
        self.problems.extend(row.problems)

    def touch(self, row: _Row) -> None:
        touch = row.build(Touch, _fields(row.data, "touch", None))
        if touch is not None:
            self.touches.append(touch)
            self.places["touch"].add(self.file, row.line)

    def sale(self, row: _Row) -> None:
        data = row.data
        currency = row.value(data, "currency", Currency, required=True)
        plain = _fields(data, "sale", currency)
        plain["kind"] = row.kind
        items = data.get("items")
        if _present(items) and not isinstance(items, list):
            row.fail("items", "a list of line items", items)
        elif isinstance(items, list):
            plain["items"] = self.inline_items(row, items, currency)
        conversion = row.build(Conversion, plain, defer=True)
        row.problems.sort(key=_sale_order)
        accepted = not row.problems
        if accepted:
            self.sales.append((row, conversion, self.file))
        ident = conversion.id if conversion is not None else _quiet_text(data.get("id"))
        if ident is not None:
            self.sale_lines.setdefault((self.file, ident), []).append(
                (self.rows, len(self.sales) - 1 if accepted else None)
            )

    def inline_items(
        self, row: _Row, items: list[Any], currency: str | None
    ) -> list[dict[str, Any]]:
        """The plain data of a JSON sale's line items; their shape problems are the row's."""
        plain: list[dict[str, Any]] = []
        for index, data in enumerate(items):
            if not isinstance(data, dict):
                row.fail(f"items[{index}]", "a line item (a JSON object)", data)
                continue
            unknown = sorted(set(data) - _ITEM_KEYS)
            if unknown:
                row.problems.append(
                    row.problem(
                        f"items[{index}]",
                        f"unknown key(s) {_listed(unknown)} of a line item; known keys: "
                        + ", ".join(sorted(_ITEM_KEYS)),
                    )
                )
                continue
            prefix = f"items[{index}]."
            own = row.value(data, "currency", Currency, required=False, prefix=prefix)
            refused = own is None and _present(data.get("currency"))
            if own is not None and currency is not None and own != currency:
                row.fail(prefix + "currency", f"the sale's currency {currency}", own)
                refused = True
            # An item whose own currency is refused is not built: its price has no currency.
            plain.append(_fields(data, "item", None if refused else currency or own))
            row.positions.append(index)
        return plain

    def item(self, row: _Row) -> None:
        conversion_id = row.value(row.data, "conversion_id", str, required=True)
        currency = row.value(row.data, "currency", Currency, required=True)
        # A line whose sale id or currency is refused is not built: its price has no currency.
        plain = _fields(row.data, "item", None if row.problems else currency)
        item = row.build(LineItem, plain)
        if item is not None and conversion_id is not None:
            self.items.append((row, conversion_id, item, self.file, self.rows))

    def refund(self, row: _Row) -> None:
        currency = row.value(row.data, "currency", Currency, required=True)
        refund = row.build(Refund, _fields(row.data, "refund", currency))
        if refund is not None:
            self.refunds.append(refund)
            self.places["refund"].add(self.file, row.line)

    def content_stats(self, row: _Row) -> None:
        record = row.build(ContentStats, _fields(row.data, "stats", None))
        if record is not None:
            self.stats.append(record)
            self.stats_sources.append(row.source)
            self.places["stats"].add(self.file, row.line)

    def result(self) -> LoadedEvents:
        attached: dict[int, list[LineItem]] = {}
        for row, conversion_id, item, file, number in self.items:
            lines = self.sale_lines.get((file, conversion_id), [])
            # The nearest sale line above the item; the first one below when none is above.
            above = bisect.bisect_left(lines, (number,))
            owner = lines[above - 1][1] if above else lines[0][1] if lines else None
            if owner is None:
                row.fail(
                    "conversion_id",
                    "the id of a sale in the same event file (this item's sale is missing or "
                    "was refused)",
                    conversion_id,
                )
                self.problems.extend(row.problems)
                continue
            attached.setdefault(owner, []).append(item)
        conversions: list[Conversion] = []
        for index, (row, read, file) in enumerate(self.sales):
            found = attached.get(index)
            conversion = read
            if read is not None and found:
                try:
                    conversion = attrs.evolve(read, items=(*read.items, *found))
                except HybridRoiError as error:
                    row.located(LocatedError("", error, True))
                    conversion = None
            self.problems.extend(row.deferred or row.problems)
            if conversion is not None:
                conversions.append(conversion)
                self.places["conversion"].add(file, row.line)
        # Cumulative figures that fall, or disagree at one instant, across every file.
        self.problems.extend(check_stats(self.stats, sources=self.stats_sources))
        return LoadedEvents(
            touches=tuple(self.touches),
            conversions=tuple(conversions),
            refunds=tuple(self.refunds),
            stats=tuple(self.stats),
            problems=tuple(self.problems),
            rows=self.rows,
            origins=Origins(files=tuple(self.files), places=self.places),
        )


def _csv_rows(rows: Any, source: str, reader: _Reader) -> Iterator[list[str]]:
    """The non-blank rows of a CSV reader; a row the CSV module refuses is a problem."""
    while True:
        try:
            values: list[str] = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            reader.rows += 1
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"expected a CSV row, got one that cannot be read ({error})",
                    source=f"{source}:{rows.line_num}",
                )
            )
            continue
        if any(value.strip() for value in values):
            yield values


def _csv_records(lines: Iterable[str], source: str, reader: _Reader) -> None:
    rows = csv.reader(lines)
    records = _csv_rows(rows, source, reader)
    header = next(records, None)
    if header is None:
        return  # nothing but whitespace: no rows, no problem
    at = f"{source}:{rows.line_num}"
    names = [name.strip() for name in header]
    unknown = sorted(set(names) - _KNOWN - {""})
    if unknown:
        reader.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject="header",
                message=f"unknown column(s) {_listed(unknown)} are ignored; known columns: "
                + ", ".join(sorted(_KNOWN)),
                source=at,
            )
        )
    repeated = sorted(name for name, n in Counter(names).items() if n > 1 and name in _KNOWN)
    if repeated or ("type" not in names and not reader.typed):
        refused = sum(1 for _ in records)
        reader.rows += refused
        if repeated:
            message = (
                f"repeated column(s) {', '.join(repeated)}: which copy holds the value cannot "
                f"be known, so the file's {refused} row(s) are refused"
            )
        else:
            message = (
                "expected a 'type' column (touch, sale, lead, item, refund or stats); "
                f"the file's {refused} row(s) are refused"
            )
        reader.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject="header",
                message=message,
                field=", ".join(repeated) or "type",
                source=at,
            )
        )
        return
    width = len(names)
    for values in records:
        where = f"{source}:{rows.line_num}"
        if len(values) != width:
            reader.rows += 1
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"expected {width} columns as in the header, got {len(values)}",
                    source=where,
                )
            )
            continue
        # Cells written by format_events are escaped against spreadsheet formulas.
        cells = [unescape_cell(value) if value[:1] == "'" else value for value in values]
        reader.record(dict(zip(names, cells, strict=True)), where, rows.line_num)


def _repeated_keys(data: object, repeats: dict[int, tuple[object, list[str]]]) -> list[str]:
    """The paths (``items[0].sku``) of the keys repeated in the objects of ``data``."""
    paths: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            if id(value) in repeats:
                seen.add(id(value))
                paths.extend(path + key for key in repeats[id(value)][1])
            stack.extend(
                (f"{path}{key}.", child)
                for key, child in value.items()
                if isinstance(child, dict | list)
            )
        elif isinstance(value, list):
            base = path.removesuffix(".")
            stack.extend(
                (f"{base}[{index}].", child)
                for index, child in enumerate(value)
                if isinstance(child, dict | list)
            )
    # Objects that a later copy of their own key replaced are named by their keys alone.
    paths.extend(key for ident, (_, keys) in repeats.items() if ident not in seen for key in keys)
    return sorted(paths)


def _jsonl_records(lines: Iterable[str], source: str, reader: _Reader) -> None:
    repeats: dict[int, tuple[object, list[str]]] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) != len(pairs):
            counts = Counter(key for key, _ in pairs)
            # The object is kept alive with its repeats, so that its id stays its own.
            repeats[id(data)] = (data, [key for key, n in counts.items() if n > 1])
        return data

    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, object_pairs_hook=pairs_hook)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        repeats.clear()
        refused = None
        try:
            data = decoder.decode(line)
        except RecursionError:
            refused = "expected a JSON object, got JSON nested too deeply to read"
        except ValueError as error:  # JSONDecodeError
            why = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
            refused = f"expected a JSON object, got invalid JSON ({why})"
        else:
            if not isinstance(data, dict):
                refused = f"expected a JSON object, got {type(data).__name__}"
        if refused is not None:
            reader.rows += 1
            reader.problems.append(
                Problem(kind=ProblemKind.INVALID, subject="row", message=refused, source=where)
            )
            continue
        if repeats:
            reader.rows += 1
            kind = data.get("type")
            subject = _subject(kind.strip().lower(), data) if isinstance(kind, str) else "row"
            reader.problems.extend(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=subject,
                    message="repeated key: which copy holds the value cannot be known, so the "
                    "row is refused",
                    field=path,
                    source=where,
                )
                for path in _repeated_keys(data, repeats)
            )
            continue
        unknown = sorted(set(data) - _KNOWN)
        if unknown:
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"unknown key(s) {_listed(unknown)} are ignored",
                    source=where,
                )
            )
        reader.record(data, where, number)


_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _feed(lines: Iterable[str], fmt: str, source: str, reader: _Reader) -> None:
    if fmt == "csv":
        _csv_records(lines, source, reader)
    elif fmt == "jsonl":
        _jsonl_records(lines, source, reader)
    else:
        raise EventFileError("format", fmt, "'csv' or 'jsonl'")


def parse_events(text: str, *, format: str, source: str = "<events>") -> LoadedEvents:
    """Read event records from the text of a CSV or JSON Lines document.

    Args:
        text: The document.
        format: ``"csv"`` or ``"jsonl"``.
        source: The name used in problem records.

    Returns:
        The records read and a problem for each bad row.

    Raises:
        EventFileError: For an unknown format.
    """
    reader = _Reader()
    reader.start(source)
    # Lines end at CR, LF or CRLF only, as in a file read with newline="": str.splitlines
    # would also split at the separators (\x1c, \x85, \u2028) a cell may hold.
    _feed(io.StringIO(text.removeprefix(_BOM), newline=""), format, source, reader)
    return reader.result()


def _counted(
    lines: Iterable[str], done: list[int], total: int, progress: Progress
) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        done[0] += len(line.encode("utf-8"))
        if number % _PROGRESS_EVERY == 0:
            progress(done[0], total)
        yield line


def read_event_files(
    paths: Sequence[str | Path], *, progress: Progress | None = None
) -> LoadedEvents:
    """Read event records from CSV and JSON Lines files.

    The format is chosen by the file's extension: ``.csv``, ``.jsonl`` or
    ``.ndjson``. Line items may be in another file than their sales.

    Args:
        paths: The files, read in the order given.
        progress: Called now and then with (bytes read, total bytes), and once
            at the end; for a progress bar on long inputs.

    Returns:
        The records of every file and a problem for each bad row.

    Raises:
        EventFileError: If a file is missing, unreadable, not UTF-8 text or has
            an unknown extension.
    """
    files = [Path(path) for path in paths]
    for file in files:
        if file.suffix.lower() not in _FORMATS:
            raise EventFileError(
                str(file), file.name, "an event file ending in .csv, .jsonl or .ndjson"
            )
        if not file.is_file():
            raise EventFileError(str(file), str(file), "an existing event file")
    total = sum(file.stat().st_size for file in files)
    done = [0]
    reader = _Reader()
    for file in files:
        reader.start(file.name)
        try:
            # utf-8-sig: spreadsheets' "CSV UTF-8" exports start with a byte-order mark.
            with file.open(encoding="utf-8-sig", newline="") as handle:
                lines: Iterable[str] = handle
                if progress is not None:
                    lines = _counted(handle, done, total, progress)
                _feed(lines, _FORMATS[file.suffix.lower()], file.name, reader)
        except UnicodeDecodeError:
            raise EventFileError(str(file), file.name, "UTF-8 text") from None
        except OSError as error:
            raise EventFileError(
                str(file), file.name, f"a readable file ({error.strerror})"
            ) from None
    if progress is not None:
        progress(total, total)
    return reader.result()
