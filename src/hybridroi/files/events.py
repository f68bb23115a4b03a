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
does not hide the others, and a good row is never dropped. Checks that need
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

import csv
import enum
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, to_decimal
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    LineItem,
    Refund,
    RefundKind,
    Touch,
    TouchKind,
)
from hybridroi.events.stats import ContentStats, check_stats

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

E = TypeVar("E", bound=enum.Enum)

FIELDS: dict[str, tuple[str, ...]] = {
    "touch": (
        "id",
        "kind",
        "instant",
        "customer_key",
        "partner_id",
        "channel",
        "content_id",
        "link_id",
    ),
    "sale": (
        "id",
        "instant",
        "customer_key",
        "revenue",
        "currency",
        "new_customer",
        "gross",
        "tax",
        "shipping",
        "discount",
        "promo_code",
        "click_id",
        "country",
        "items",
    ),
    "item": ("conversion_id", "sku", "quantity", "unit_price", "currency", "category"),
    "refund": ("id", "conversion_id", "instant", "amount", "currency", "kind"),
    "stats": ("content_id", "as_of", "views", "reach", "likes", "comments", "shares", "saves"),
}
"""The fields of each record type (``lead`` has the fields of ``sale``)."""
FIELDS["lead"] = FIELDS["sale"]

_KNOWN = {"type"}.union(*FIELDS.values())
_INSTANT = "an ISO 8601 instant with its offset, such as 2026-03-07T10:15:00+01:00"
_PROGRESS_EVERY = 2_000


class EventFileError(InvalidValueError):
    """An event file that cannot be read at all (missing, unknown format, not text)."""


@attrs.frozen(kw_only=True)
class LoadedEvents:
    """What was read from event files.

    Attributes:
        touches: Touches, in file order.
        conversions: Sales and leads with their line items, in file order.
        refunds: Refunds, in file order.
        stats: Content statistics, in file order.
        problems: One record per problem found, with file, line and field.
        rows: Number of records read (good and bad).
    """

    touches: tuple[Touch, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    refunds: tuple[Refund, ...] = ()
    stats: tuple[ContentStats, ...] = ()
    problems: tuple[Problem, ...] = ()
    rows: int = 0

    @property
    def events(self) -> tuple[Touch | Conversion | Refund, ...]:
        """Touches, conversions and refunds together, as the engine takes them."""
        return (*self.touches, *self.conversions, *self.refunds)


class _Row:
    """One record being read: its fields, where it came from, and its problems."""

    def __init__(self, kind: str, data: dict[str, Any], source: str, prefix: str = "") -> None:
        self.kind = kind
        self.data = data
        self.source = source
        self.prefix = prefix
        self.problems: list[Problem] = []
        ident = data.get("id") if kind != "item" else data.get("conversion_id")
        if kind == "stats":
            ident = data.get("content_id")
        self.subject = f"{kind}:{ident}" if _present(ident) else kind

    def fail(self, field: str, expected: str, value: object) -> None:
        self.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject=self.subject,
                message=f"expected {expected}, got {value!r}",
                field=self.prefix + field,
                source=self.source,
            )
        )

    def raw(self, field: str, *, required: bool) -> Any:
        value = self.data.get(field)
        if not _present(value):
            if required:
                self.fail(field, "a value (the field is required)", value)
            return None
        return value

    def text(self, field: str, *, required: bool = False) -> str | None:
        value = self.raw(field, required=required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # JSON ids are often numbers
        if not isinstance(value, str):
            self.fail(field, "text", value)
            return None
        return value.strip()

    def instant(self, field: str) -> datetime | None:
        value = self.raw(field, required=True)
        if value is None:
            return None
        try:
            result = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            result = None
        if result is None or result.utcoffset() is None:
            self.fail(field, _INSTANT, value)
            return None
        return result

    def decimal(self, field: str, *, required: bool = False) -> Decimal | None:
        value = self.raw(field, required=required)
        if value is None:
            return None
        if isinstance(value, float):  # pragma: no cover - JSON is parsed with Decimal
            self.fail(field, "an exact decimal number", value)
            return None
        try:
            return to_decimal(value if not isinstance(value, str) else value.strip(), field)
        except (TypeError, InvalidValueError):
            self.fail(field, "a decimal number such as 12.50", value)
            return None

    def money(self, field: str, currency: str | None, *, required: bool = False) -> Money | None:
        amount = self.decimal(field, required=required)
        if amount is None or currency is None:
            return None
        try:
            return Money(amount, currency)
        except InvalidValueError as error:
            self.fail(field, error.expected, self.data.get(field))
            return None

    def currency(self, *, required: bool) -> str | None:
        value = self.text("currency", required=required)
        if value is None:
            return None
        try:
            Money.zero(value)
        except InvalidValueError:
            self.fail("currency", "an ISO 4217 currency code such as EUR", value)
            return None
        return value

    def count(self, field: str) -> int:
        value = self.raw(field, required=False)
        if value is None:
            return 0
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.fail(field, "a whole number >= 0", value)
        return 0

    def flag(self, field: str) -> bool:
        value = self.raw(field, required=False)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
            return False
        self.fail(field, "true or false", value)
        return False

    def choice(self, field: str, enum_type: type[E], default: E | None = None) -> E | None:
        value = self.raw(field, required=default is None)
        if value is None:
            return default
        for member in enum_type:
            if isinstance(value, str) and value.strip().lower() == member.value:
                return member
        names = ", ".join(str(member.value) for member in enum_type)
        self.fail(field, f"one of {names}", value)
        return None

    def build(self, factory: Callable[..., Any], **fields: Any) -> Any:
        """Build the record if every field was read, reporting what its constructor refuses."""
        if self.problems:
            return None
        try:
            return factory(**fields)
        except InvalidValueError as error:
            field = error.field.split(".", 1)[-1]
            self.fail(field, error.expected, error.value)
            return None


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class _Reader:
    """Reads records of any type and assembles sales with their line items."""

    def __init__(self) -> None:
        self.touches: list[Touch] = []
        # Item rows belong to the sale with their id in the same file: the same sale read
        # from two files (a retry, a copy) must not collect the items of both.
        self.file = 0
        self.sales: list[tuple[_Row, dict[str, Any], list[LineItem], int]] = []
        self.items: list[tuple[_Row, str, LineItem, int]] = []
        self.refunds: list[Refund] = []
        self.stats: list[ContentStats] = []
        self.stats_sources: list[str] = []
        self.problems: list[Problem] = []
        self.rows = 0

    def record(self, data: dict[str, Any], source: str) -> None:
        self.rows += 1
        kind = data.get("type")
        kind = kind.strip().lower() if isinstance(kind, str) else kind
        if kind not in FIELDS:
            row = _Row("row", data, source)
            row.fail("type", "one of " + ", ".join(sorted(FIELDS)), data.get("type"))
            self.problems.extend(row.problems)
            return
        row = _Row(kind, data, source)
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
        touch = row.build(
            Touch,
            id=row.text("id", required=True),
            kind=row.choice("kind", TouchKind),
            instant=row.instant("instant"),
            customer_key=row.text("customer_key", required=True),
            partner_id=row.text("partner_id"),
            channel=row.text("channel"),
            content_id=row.text("content_id"),
            link_id=row.text("link_id"),
        )
        if touch is not None:
            self.touches.append(touch)

    def sale(self, row: _Row) -> None:
        currency = row.currency(required=True)
        fields: dict[str, Any] = {
            "id": row.text("id", required=True),
            "kind": ConversionKind.LEAD if row.kind == "lead" else ConversionKind.SALE,
            "instant": row.instant("instant"),
            "customer_key": row.text("customer_key", required=True),
            "revenue": row.money("revenue", currency, required=True),
            "new_customer": row.flag("new_customer"),
            "gross": row.money("gross", currency),
            "tax": row.money("tax", currency),
            "shipping": row.money("shipping", currency),
            "discount": row.money("discount", currency),
            "promo_code": row.text("promo_code"),
            "click_id": row.text("click_id"),
            "country": row.text("country"),
        }
        inline: list[LineItem] = []
        items = row.data.get("items")
        if _present(items) and not isinstance(items, list):
            row.fail("items", "a list of line items", items)
        for index, data in enumerate(items if isinstance(items, list) else ()):
            item_row = _Row("item", data if isinstance(data, dict) else {}, row.source)
            item_row.subject = row.subject
            item_row.prefix = f"items[{index}]."
            item = self.line_item(item_row, currency)
            row.problems.extend(item_row.problems)
            if item is not None:
                inline.append(item)
        if not row.problems:
            self.sales.append((row, fields, inline, self.file))

    def line_item(self, row: _Row, currency: str | None) -> LineItem | None:
        own = row.currency(required=False)
        if own is not None and currency is not None and own != currency:
            row.fail("currency", f"the sale's currency {currency}", own)
        item: LineItem | None = row.build(
            LineItem,
            sku=row.text("sku", required=True),
            quantity=row.decimal("quantity", required=True),
            unit_price=row.money("unit_price", currency or own, required=True),
            category=row.text("category"),
        )
        return item

    def item(self, row: _Row) -> None:
        conversion_id = row.text("conversion_id", required=True)
        item = self.line_item(row, row.currency(required=True))
        if item is not None and conversion_id is not None:
            self.items.append((row, conversion_id, item, self.file))

    def refund(self, row: _Row) -> None:
        currency = row.currency(required=True)
        refund = row.build(
            Refund,
            id=row.text("id", required=True),
            conversion_id=row.text("conversion_id", required=True),
            instant=row.instant("instant"),
            amount=row.money("amount", currency, required=True),
            kind=row.choice("kind", RefundKind, RefundKind.REFUND),
        )
        if refund is not None:
            self.refunds.append(refund)

    def content_stats(self, row: _Row) -> None:
        record = row.build(
            ContentStats,
            content_id=row.text("content_id", required=True),
            as_of=row.instant("as_of"),
            views=row.count("views"),
            reach=row.count("reach"),
            likes=row.count("likes"),
            comments=row.count("comments"),
            shares=row.count("shares"),
            saves=row.count("saves"),
        )
        if record is not None:
            self.stats.append(record)
            self.stats_sources.append(row.source)

    def result(self) -> LoadedEvents:
        items: dict[tuple[int, str], list[LineItem]] = {}
        for _row, conversion_id, item, file in self.items:
            items.setdefault((file, conversion_id), []).append(item)
        conversions: list[Conversion] = []
        sale_ids = set()
        for row, fields, inline, file in self.sales:
            sale_ids.add((file, fields["id"]))
            found = [*inline, *items.get((file, fields["id"]), [])]
            conversion = row.build(Conversion, **fields, items=tuple(found))
            self.problems.extend(row.problems)
            if conversion is not None:
                conversions.append(conversion)
        for row, conversion_id, _item, file in self.items:
            if (file, conversion_id) not in sale_ids:
                row.fail(
                    "conversion_id",
                    "the id of a sale in the same event file (this item's sale is missing or "
                    "was refused)",
                    conversion_id,
                )
                self.problems.extend(row.problems)
        # Cumulative figures that fall, or disagree at one instant, across every file.
        self.problems.extend(check_stats(self.stats, sources=self.stats_sources))
        return LoadedEvents(
            touches=tuple(self.touches),
            conversions=tuple(conversions),
            refunds=tuple(self.refunds),
            stats=tuple(self.stats),
            problems=tuple(self.problems),
            rows=self.rows,
        )


def _csv_records(lines: Iterable[str], source: str, reader: _Reader) -> None:
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    unknown = sorted(set(names) - _KNOWN - {""})
    if unknown:
        reader.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject="header",
                message=f"unknown column(s) {', '.join(unknown)} are ignored; known columns: "
                + ", ".join(sorted(_KNOWN)),
                source=f"{source}:1",
            )
        )
    if "type" not in names:
        reader.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject="header",
                message="expected a 'type' column (touch, sale, lead, item, refund or stats)",
                field="type",
                source=f"{source}:1",
            )
        )
        return
    for values in rows:
        if not any(value.strip() for value in values):
            continue
        where = f"{source}:{rows.line_num}"
        if len(values) != len(names):
            reader.rows += 1
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"expected {len(names)} columns as in the header, got {len(values)}",
                    source=where,
                )
            )
            continue
        reader.record(dict(zip(names, values, strict=True)), where)


def _jsonl_records(lines: Iterable[str], source: str, reader: _Reader) -> None:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            reader.rows += 1
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"expected a JSON object, got invalid JSON ({error.msg})",
                    source=where,
                )
            )
            continue
        if not isinstance(data, dict):
            reader.rows += 1
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"expected a JSON object, got {type(data).__name__}",
                    source=where,
                )
            )
            continue
        unknown = sorted(set(data) - _KNOWN)
        if unknown:
            reader.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="row",
                    message=f"unknown key(s) {', '.join(unknown)} are ignored",
                    source=where,
                )
            )
        reader.record(data, where)


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
    _feed(text.splitlines(keepends=True), format, source, reader)
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
    for index, file in enumerate(files):
        reader.file = index
        try:
            with file.open(encoding="utf-8", newline="") as handle:
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


Record = Touch | Conversion | Refund | ContentStats


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return str(value.amount)
    return str(value)


def _plain(record: Record) -> list[dict[str, Any]]:
    """A record as the rows a file holds (a sale is followed by its items)."""
    if isinstance(record, Touch):
        kind = "touch"
    elif isinstance(record, Conversion):
        kind = "lead" if record.kind is ConversionKind.LEAD else "sale"
    elif isinstance(record, Refund):
        kind = "refund"
    else:
        kind = "stats"
    row: dict[str, Any] = {"type": kind}
    for name in FIELDS[kind]:
        if name in ("currency", "items"):
            continue
        value = _text(getattr(record, name, None))
        if value is not None:
            row[name] = value
    if isinstance(record, Conversion):
        row["currency"] = record.currency
        row["items"] = [
            {
                "sku": item.sku,
                "quantity": str(item.quantity),
                "unit_price": str(item.unit_price.amount),
                **({"category": item.category} if item.category is not None else {}),
            }
            for item in record.items
        ]
    elif isinstance(record, Refund):
        row["currency"] = record.amount.currency
    return [row]


def format_events(records: Iterable[Record], *, format: str) -> str:
    """Write records as the text of a CSV or JSON Lines event file.

    :func:`parse_events` reads the text back into equal records. Amounts are
    written as decimal strings, instants in ISO 8601 with their offset.

    Args:
        records: Touches, conversions, refunds and content statistics.
        format: ``"csv"`` or ``"jsonl"``.

    Returns:
        The text of the file.

    Raises:
        EventFileError: For an unknown format.
    """
    rows = [row for record in records for row in _plain(record)]
    if format == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if format != "csv":
        raise EventFileError("format", format, "'csv' or 'jsonl'")
    columns = [
        "type",
        *dict.fromkeys(n for names in FIELDS.values() for n in names if n != "items"),
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        items = row.pop("items", [])
        writer.writerow(row)
        for item in items:
            writer.writerow(
                {"type": "item", "conversion_id": row["id"], "currency": row["currency"], **item}
            )
    return buffer.getvalue()
