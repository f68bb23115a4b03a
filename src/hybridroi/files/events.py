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

import bisect
import csv
import enum
import io
import json
import re
import reprlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs

from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.text import csv_text, escape_cell, unescape_cell
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    Event,
    LineItem,
    Refund,
    RefundKind,
    Touch,
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
_ITEM_KEYS = frozenset(FIELDS["item"]) - {"conversion_id"}
_INSTANT = "an ISO 8601 instant with its offset, such as 2026-03-07T10:15:00+01:00"
_PROGRESS_EVERY = 2_000
_BOM = "\ufeff"

MAX_DIGITS = 40
"""Numbers in event files have at most this many significant digits, and magnitudes
between ``10**-MAX_DIGITS`` and ``10**MAX_DIGITS``."""
MAX_COUNT = 10**18 - 1
"""The largest count (views, likes, ...) an event file may hold."""
MAX_TEXT = 10_000
"""The longest text (an id, a SKU, a category) an event file may hold, in characters."""

# Numbers are written with ASCII digits only: str.isdigit and Decimal also accept
# other scripts' digits ("²", "١٢"), which no export writes and no reader can check.
_NUMERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_WHOLE = re.compile(r"[0-9]{1,18}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = f"a decimal number such as 12.50 (ASCII digits, at most {MAX_DIGITS} significant digits)"
_COUNT = f"a whole number >= 0 written with ASCII digits, at most {MAX_COUNT:,}"

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


def _bounded(number: Decimal) -> bool:
    _, digits, exponent = number.as_tuple()
    return (
        isinstance(exponent, int)
        and len(digits) <= MAX_DIGITS
        and exponent >= -MAX_DIGITS
        and number.adjusted() < MAX_DIGITS
    )


def _json_integer(value: object) -> bool:
    """Whether ``value`` is a JSON integer as the reader parses it: a Decimal without a point."""
    return isinstance(value, Decimal) and value.as_tuple().exponent == 0


def _subject(kind: str, data: dict[str, Any]) -> str:
    key = {"item": "conversion_id", "stats": "content_id"}.get(kind, "id")
    ident = data.get(key)
    if (
        isinstance(ident, Decimal)
        and _json_integer(ident)
        and len(ident.as_tuple().digits) <= MAX_DIGITS
    ):
        return f"{kind}:{ident}"
    if isinstance(ident, str) and ident.strip():
        return f"{kind}:{ident.strip()}"
    return kind


class EventFileError(InvalidValueError):
    """An event file that cannot be read at all (missing, unknown format, not text)."""


_NOUNS = ("touch", "conversion", "refund", "stats")
_SHOWN_SOURCES = 5


class _Places:
    """Where each record of one kind was read: file index and line, in record order."""

    def __init__(self) -> None:
        self.files = array("I")
        self.lines = array("I")

    def add(self, file: int, line: int) -> None:
        self.files.append(file)
        self.lines.append(line)


@attrs.frozen(kw_only=True)
class _Origins:
    """The files read and where each record came from, to locate later problems."""

    files: tuple[str, ...] = ()
    places: dict[str, _Places] = attrs.field(factory=dict)


def _joined(places: list[str]) -> str:
    distinct = list(dict.fromkeys(places))
    shown = ", ".join(distinct[:_SHOWN_SOURCES])
    more = len(distinct) - _SHOWN_SOURCES
    return shown if more <= 0 else f"{shown} and {more} more"


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
    _origins: _Origins = attrs.field(factory=_Origins, repr=False, eq=False)

    @property
    def events(self) -> tuple[Event, ...]:
        """Touches, conversions and refunds together, as the engine takes them."""
        return (*self.touches, *self.conversions, *self.refunds)

    def locate(self, problems: Iterable[Problem]) -> tuple[Problem, ...]:
        """Give each problem about a record read here the file and line it came from.

        Problems found later about these records (by
        :func:`~hybridroi.events.intake.check_events`, which takes this method as its
        ``locate`` argument, or by the statement run) name the record by its subject
        (``"conversion:S-1"``) but not its line. A record read from several places (a
        repeated id) is located at each of them: ``"week1.csv:2, week2.jsonl:1"``.

        Args:
            problems: Any problems; those that already have a source, or whose subject
                is not a touch, conversion, refund or statistics record read here, are
                kept as they are.

        Returns:
            The problems, in the same order, located where possible.
        """
        problems = tuple(problems)
        wanted: dict[str, set[str]] = {}
        for problem in problems:
            noun, _, ident = problem.subject.partition(":")
            if problem.source is None and noun in self._origins.places:
                wanted.setdefault(noun, set()).add(ident)
        if not wanted:
            return problems
        found: dict[str, list[str]] = {}
        files = self._origins.files
        records: dict[str, tuple[Any, ...]] = {
            "touch": self.touches,
            "conversion": self.conversions,
            "refund": self.refunds,
            "stats": self.stats,
        }
        for noun, ids in wanted.items():
            places = self._origins.places[noun]
            if len(places.lines) != len(records[noun]):
                continue  # records changed after reading: their places are unknown
            key = "content_id" if noun == "stats" else "id"
            for index, record in enumerate(records[noun]):
                ident = getattr(record, key)
                if ident in ids:
                    where = f"{files[places.files[index]]}:{places.lines[index]}"
                    found.setdefault(f"{noun}:{ident}", []).append(where)
        return tuple(
            attrs.evolve(problem, source=_joined(found[problem.subject]))
            if problem.source is None and problem.subject in found
            else problem
            for problem in problems
        )


class _Row:
    """One record being read: its fields, where it came from, and its problems.

    Every field is read by a typed reader (``text``, ``decimal``, ``count``, ...) that
    takes whatever the file holds and never raises: a value it cannot accept becomes a
    problem of the row.
    """

    def __init__(
        self, kind: str, data: dict[str, Any], source: str, prefix: str = "", line: int = 0
    ) -> None:
        self.kind = kind
        self.data = data
        self.source = source
        self.line = line
        self.prefix = prefix
        self.problems: list[Problem] = []
        # A field that depends on a refused one (an amount without its currency): the
        # record cannot be built, and the refused field's own problem says why.
        self.blocked = False
        self.subject = _subject(kind, data)

    def fail(self, field: str, expected: str, value: object) -> None:
        self.problems.append(
            Problem(
                kind=ProblemKind.INVALID,
                subject=self.subject,
                message=f"expected {expected}, got {_shown(value)}",
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
        if not isinstance(value, str):
            if _json_integer(value) and len(value.as_tuple().digits) <= MAX_DIGITS:
                return str(value)  # JSON ids are often numbers
            self.fail(field, "text", value)
            return None
        if not value.isascii() and _SURROGATE.search(value):
            self.fail(field, "text (a lone surrogate such as \\ud800 is not a character)", value)
            return None
        value = value.strip()
        if len(value) > MAX_TEXT:
            self.fail(field, f"text of at most {MAX_TEXT:,} characters", value)
            return None
        return value

    def instant(self, field: str) -> datetime | None:
        value = self.raw(field, required=True)
        if value is None:
            return None
        result = None
        if isinstance(value, str) and value.isascii():
            try:
                result = datetime.fromisoformat(value.strip())
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
        number = None
        if isinstance(value, Decimal):  # JSON numbers are parsed as Decimal, never float
            number = value
        elif isinstance(value, str) and len(value) < 4 * MAX_DIGITS:
            text = value.strip()
            number = Decimal(text) if _NUMERAL.fullmatch(text) else None
        if number is None or not number.is_finite() or not _bounded(number):
            self.fail(field, _NUMBER, value)
            return None
        return number

    def money(self, field: str, currency: str | None, *, required: bool = False) -> Money | None:
        amount = self.decimal(field, required=required)
        if amount is None:
            return None
        if currency is None:
            self.blocked = True
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
        known = False
        if _CURRENCY.fullmatch(value):
            try:
                Money.zero(value)
                known = True
            except HybridRoiError:
                known = False
        if not known:
            self.fail("currency", "an ISO 4217 currency code in upper case, such as EUR", value)
            return None
        return value

    def count(self, field: str) -> int:
        value = self.raw(field, required=False)
        if value is None:
            return 0
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            return int(value.strip())
        if (
            isinstance(value, Decimal)
            and value.is_finite()
            and 0 <= value <= MAX_COUNT
            and value == value.to_integral_value()
        ):
            return int(value)
        self.fail(field, _COUNT, value)
        return 0

    def flag(self, field: str) -> bool | None:
        """True or false as written; None when the field is empty or absent (unknown)."""
        value = self.raw(field, required=False)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
            return False
        self.fail(field, "true or false", value)
        return None

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
        if self.problems or self.blocked:
            return None
        try:
            return factory(**fields)
        except InvalidValueError as error:
            field = error.field.split(".", 1)[-1]
            self.fail(field, error.expected, error.value)
            return None
        except HybridRoiError as error:
            self.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=self.subject,
                    message=str(error),
                    field=self.prefix.rstrip(".") or None,
                    source=self.source,
                )
            )
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
        self.files: list[str] = []
        self.sales: list[tuple[_Row, dict[str, Any], list[LineItem], int]] = []
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
        self.places = {noun: _Places() for noun in _NOUNS}

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
            self.places["touch"].add(self.file, row.line)

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
            if not isinstance(data, dict):
                row.fail(f"items[{index}]", "a line item (a JSON object)", data)
                continue
            unknown = sorted(set(data) - _ITEM_KEYS)
            if unknown:
                row.problems.append(
                    Problem(
                        kind=ProblemKind.INVALID,
                        subject=row.subject,
                        message=f"unknown key(s) {_listed(unknown)} of a line item; known keys: "
                        + ", ".join(sorted(_ITEM_KEYS)),
                        field=f"items[{index}]",
                        source=row.source,
                    )
                )
                continue
            item_row = _Row("item", data, row.source)
            item_row.subject = row.subject
            item_row.prefix = f"items[{index}]."
            item = self.line_item(item_row, currency)
            row.problems.extend(item_row.problems)
            if item is not None:
                inline.append(item)
        accepted = not row.problems
        if accepted:
            self.sales.append((row, fields, inline, self.file))
        if isinstance(fields["id"], str):
            self.sale_lines.setdefault((self.file, fields["id"]), []).append(
                (self.rows, len(self.sales) - 1 if accepted else None)
            )

    def line_item(self, row: _Row, currency: str | None) -> LineItem | None:
        own = row.currency(required=False)
        if own is not None and currency is not None and own != currency:
            row.fail("currency", f"the sale's currency {currency}", own)
        if currency is None and own is None:
            row.blocked = True  # no currency to price the item in: the sale's is refused
        item: LineItem | None = row.build(
            LineItem,
            sku=row.text("sku", required=True),
            quantity=row.decimal("quantity", required=True),
            # A unit price is exact: it may be finer than the minor unit (0.0005).
            unit_price=(
                None
                if (price := row.decimal("unit_price", required=True)) is None
                or (price_currency := currency or own) is None
                else UnroundedMoney(price, price_currency)
            ),
            category=row.text("category"),
        )
        return item

    def item(self, row: _Row) -> None:
        conversion_id = row.text("conversion_id", required=True)
        item = self.line_item(row, row.currency(required=True))
        if item is not None and conversion_id is not None:
            self.items.append((row, conversion_id, item, self.file, self.rows))

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
            self.places["refund"].add(self.file, row.line)

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
        for index, (row, fields, inline, file) in enumerate(self.sales):
            found = [*inline, *attached.get(index, [])]
            conversion = row.build(Conversion, **fields, items=tuple(found))
            self.problems.extend(row.problems)
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
            origins=_Origins(files=tuple(self.files), places=self.places),
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
    if repeated or "type" not in names:
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


Record = Event | ContentStats


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

    def cells(row: dict[str, Any]) -> list[str]:
        return [escape_cell(row.get(column, "")) for column in columns]

    def lines() -> Iterator[list[str]]:
        for row in rows:
            items = row.pop("items", [])
            yield cells(row)
            for item in items:
                parent = {"conversion_id": row["id"], "currency": row["currency"]}
                yield cells({"type": "item", **parent, **item})

    return csv_text(columns, lines())
