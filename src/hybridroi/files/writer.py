"""Writing event records as the text of a CSV or JSON Lines event file."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.text import csv_text, escape_cell
from hybridroi.events.records import Conversion, ConversionKind, Event, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.files.fields import FIELDS

__all__ = ["EventFileError", "Record", "format_events"]


class EventFileError(InvalidValueError):
    """An event file that cannot be read at all (missing, unknown format, not text)."""


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


def _plain(record: Record, index: int) -> list[dict[str, Any]]:
    """A record as the rows a file holds (a sale is followed by its items)."""
    if isinstance(record, Touch):
        kind = "touch"
    elif isinstance(record, Conversion):
        kind = "lead" if record.kind is ConversionKind.LEAD else "sale"
    elif isinstance(record, Refund):
        kind = "refund"
    elif isinstance(record, ContentStats):
        kind = "stats"
    else:
        raise EventFileError(
            f"records[{index}]", record, "a Touch, Conversion, Refund or ContentStats record"
        )
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
    rows = [row for index, record in enumerate(records) for row in _plain(record, index)]
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
