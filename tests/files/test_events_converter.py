"""Event files are read through the file converter: one validation edge for every file."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.files.test_events import conversions, refunds, stats, touches

from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.events.records import Conversion, LineItem, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.files.events import format_events, parse_events
from hybridroi.serialization import file_converter

Record = Touch | Conversion | Refund | ContentStats


def cells(record: Record) -> dict[str, Any]:
    """The plain data of a record as an event file's cells hold it: every value as text."""
    data: dict[str, Any] = file_converter().unstructure(record)

    def text(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: text(inner) for key, inner in value.items() if inner is not None}
        if isinstance(value, list | tuple):
            return [text(inner) for inner in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    result: dict[str, Any] = text(data)
    return result


@settings(max_examples=60, deadline=None)
@given(record=st.one_of(touches, conversions, refunds, stats), detailed=st.booleans())
def test_the_converter_and_the_file_round_trip_give_the_same_record(
    record: Record, detailed: bool
) -> None:
    converted = file_converter(detailed=detailed).structure(cells(record), type(record))
    assert converted == record
    for fmt in ("csv", "jsonl"):
        loaded = parse_events(format_events([record], format=fmt), format=fmt)
        assert loaded.problems == ()
        assert (*loaded.events, *loaded.stats) == (converted,)


def test_an_inline_item_error_is_located_by_its_key_path() -> None:
    text = (
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "84.00", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, '
        '"unit_price": "1.00"}, {"sku": "B", "quantity": 0, "unit_price": "1,00"}, '
        '{"sku": "C", "quantity": 0, "unit_price": "2.00"}]}\n'
    )
    loaded = parse_events(text, format="jsonl", source="s.jsonl")
    assert loaded.conversions == ()
    assert [(p.source, p.subject, p.field) for p in loaded.problems] == [
        ("s.jsonl:1", "sale:S-1", "items[1].unit_price"),
        ("s.jsonl:1", "sale:S-1", "items[2].quantity"),
    ]
    assert "got '1,00'" in loaded.problems[0].message
    assert "a quantity > 0" in loaded.problems[1].message


def test_key_paths_name_the_items_as_the_file_holds_them_when_one_is_skipped() -> None:
    text = (
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "84.00", "currency": "EUR", "items": ["A", {"sku": "B", "quantity": 1}]}\n'
    )
    loaded = parse_events(text, format="jsonl", source="s.jsonl")
    assert [(p.field, p.message) for p in loaded.problems] == [
        ("items[0]", "expected a line item (a JSON object), got 'A'"),
        ("items[1].unit_price", "expected a value (the field is required), got None"),
    ]


def test_an_item_line_with_a_bad_currency_is_reported_once() -> None:
    text = (
        "type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price\n"
        "sale,S-1,2026-03-07T09:00:00Z,c1,84.00,EUR,,,,\n"
        "item,,,,,eur,S-1,A,1,84.00\n"
    )
    loaded = parse_events(text, format="csv", source="cur.csv")
    assert [(p.source, p.field) for p in loaded.problems] == [("cur.csv:3", "currency")]


def test_items_attached_from_their_own_lines_are_checked_with_their_sale() -> None:
    text = (
        "type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price\n"
        "sale,S-1,2026-03-07T09:00:00Z,c1,84.00,EUR,,,,\n"
        "item,,,,,EUR,S-1,A,2,0.0005\n"
        "sale,S-2,2026-03-07T09:00:00Z,c1,5.00,EUR,,,,\n"
        "item,,,,,USD,S-2,B,1,5.00\n"
    )
    loaded = parse_events(text, format="csv", source="i.csv")
    (sale,) = loaded.conversions
    assert sale.items == (
        LineItem(sku="A", quantity=Decimal(2), unit_price=UnroundedMoney("0.0005", "EUR")),
    )
    assert [(p.source, p.subject, p.field) for p in loaded.problems] == [
        ("i.csv:4", "sale:S-2", "items[0].unit_price")
    ]
    assert "an amount in EUR" in loaded.problems[0].message


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_sale_refused_by_its_constructor_is_reported_once_after_its_fields(fmt: str) -> None:
    sale = {
        "type": "sale",
        "id": "S-1",
        "instant": "2026-03-07T09:00:00Z",
        "customer_key": "c1",
        "revenue": "84.00",
        "currency": "EUR",
        "gross": "10.00",
        "tax": "20.00",
    }
    if fmt == "csv":
        text = ",".join(sale) + "\n" + ",".join(sale.values()) + "\n"
    else:
        text = json.dumps(sale) + "\n"
    loaded = parse_events(text, format=fmt, source="g")
    assert loaded.conversions == ()
    ((field, message),) = [(p.field, p.message) for p in loaded.problems]
    assert field == "gross"
    assert "at least the tax and shipping it includes (EUR 20.00)" in message
    assert message.endswith(f"got {Money('10.00', 'EUR')!r}")
