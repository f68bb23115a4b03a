"""Event files: CSV and JSON Lines in, records and located problems out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.money import Money
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    LineItem,
    Refund,
    RefundKind,
    Touch,
)
from hybridroi.events.stats import ContentStats, check_stats
from hybridroi.files.events import (
    EventFileError,
    format_events,
    parse_events,
    read_event_files,
)

CSV = """\
type,id,kind,instant,customer_key,partner_id,channel,content_id,conversion_id,revenue,currency,new_customer,sku,quantity,unit_price,category,amount,as_of,views,likes
touch,T-1,view,2026-03-06T12:00:00+01:00,cust-1,lea,,lea-tt-1,,,,,,,,,,,,
touch,T-2,click,2026-03-07T09:00:00+01:00,cust-1,coupons,,,,,,,,,,,,,,
sale,S-1,,2026-03-07T10:00:00+01:00,cust-1,,,,,84.00,EUR,true,,,,,,,,
item,,,,,,,,S-1,,EUR,,SERUM-30,1,60.00,skincare,,,,
item,,,,,,,,S-1,,EUR,,LIP-01,2,12.00,makeup,,,,
refund,R-1,chargeback,2026-03-20T10:00:00+01:00,,,,,S-1,,EUR,,,,,,12.00,,,
stats,,,,,,,lea-tt-1,,,,,,,,,,2026-03-10T00:00:00+01:00,10000,500
"""

JSONL = (
    "\n".join(
        [
            '{"type": "touch", "id": "T-1", "kind": "click", "instant": "2026-03-07T09:00:00Z", '
            '"customer_key": "c1", "partner_id": "coupons"}',
            # The revenue is a JSON number: it must be read as the decimal 84.10, not a float.
            '{"type": "sale", "id": 17, "instant": "2026-03-07T10:00:00+01:00", '
            '"customer_key": "c1", '
            '"revenue": 84.10, "currency": "EUR", "items": [{"sku": "SERUM-30", "quantity": 1, '
            '"unit_price": "84.10", "category": "skincare"}]}',
            '{"type": "lead", "id": "L-1", "instant": "2026-03-08T10:00:00+01:00", '
            '"customer_key": "c2", "revenue": "0", "currency": "EUR"}',
            '{"type": "refund", "id": "R-1", "conversion_id": "17", '
            '"instant": "2026-03-09T10:00:00+01:00", "amount": "10.00", "currency": "EUR"}',
            '{"type": "stats", "content_id": "V-1", "as_of": "2026-03-10T00:00:00+00:00", '
            '"views": 2500, "shares": 3}',
        ]
    )
    + "\n"
)

PARIS_1H = timedelta(hours=1)


def test_csv_reads_every_record_type() -> None:
    loaded = parse_events(CSV, format="csv", source="events.csv")
    assert loaded.problems == ()
    assert loaded.rows == 7
    assert [t.kind for t in loaded.touches] == [TouchKind.VIEW, TouchKind.CLICK]
    assert loaded.touches[0].content_id == "lea-tt-1"
    (sale,) = loaded.conversions
    assert sale.revenue == Money("84.00", "EUR")
    assert sale.new_customer is True
    assert sale.items == (
        LineItem(
            sku="SERUM-30",
            quantity=Decimal(1),
            unit_price=Money("60.00", "EUR"),
            category="skincare",
        ),
        LineItem(
            sku="LIP-01", quantity=Decimal(2), unit_price=Money("12.00", "EUR"), category="makeup"
        ),
    )
    (refund,) = loaded.refunds
    assert refund.kind is RefundKind.CHARGEBACK
    assert refund.amount == Money("12.00", "EUR")
    (stats,) = loaded.stats
    assert (stats.views, stats.likes, stats.comments) == (10_000, 500, 0)
    assert stats.as_of.utcoffset() == PARIS_1H
    assert len(loaded.events) == 4


def test_jsonl_reads_numbers_exactly_and_inline_items() -> None:
    loaded = parse_events(JSONL, format="jsonl", source="events.jsonl")
    assert loaded.problems == ()
    sale, lead = loaded.conversions
    assert sale.id == "17"
    assert sale.revenue.amount == Decimal("84.10")  # not 84.09999999999999 from a float
    assert sale.items[0].category == "skincare"
    assert lead.kind is ConversionKind.LEAD
    assert loaded.refunds[0].conversion_id == "17"
    assert loaded.stats[0].shares == 3
    assert loaded.touches[0].instant == datetime(2026, 3, 7, 9, tzinfo=UTC)


def test_every_problem_of_every_bad_row_is_reported_and_good_rows_are_kept() -> None:
    text = """\
type,id,kind,instant,customer_key,partner_id,revenue,currency,amount,conversion_id
touch,T-1,click,2026-03-07T09:00:00+01:00,c1,lea,,,,
touch,T-2,tap,2026-03-07 09:00,c1,lea,,,,
sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.345,EUR,,
sale,S-2,,2026-03-07T10:00:00+01:00,,,abc,EURO,,
touch,T-3,click,2026-03-07T09:00:00+01:00,c1,,,,,
refund,R-1,,2026-03-07T10:00:00+01:00,,,,EUR,-5,S-1
gift,G-1,,,,,,,,
touch,T-4,view,2026-03-08T09:00:00+01:00,c2,lea,,,,
"""
    loaded = parse_events(text, format="csv", source="bad.csv")
    assert [t.id for t in loaded.touches] == ["T-1", "T-4"]
    assert loaded.conversions == ()
    found = {(p.source, p.field) for p in loaded.problems}
    assert found == {
        ("bad.csv:3", "kind"),
        ("bad.csv:3", "instant"),
        ("bad.csv:4", "revenue"),  # 12.345 is not a whole number of cents
        ("bad.csv:5", "customer_key"),
        ("bad.csv:5", "revenue"),
        ("bad.csv:5", "currency"),
        ("bad.csv:6", "partner_id"),  # neither a partner nor a channel
        ("bad.csv:7", "amount"),
        ("bad.csv:8", "type"),
    }
    revenue = next(p for p in loaded.problems if p.source == "bad.csv:4")
    assert revenue.subject == "sale:S-1"
    assert "EUR minor units" in revenue.message
    assert "'12.345'" in revenue.message


def test_items_of_a_missing_or_refused_sale_are_reported() -> None:
    text = """\
type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price
sale,S-1,2026-03-07T10:00:00+01:00,c1,oops,EUR,,,,
item,,,,,EUR,S-1,A,1,5.00
item,,,,,EUR,S-9,B,1,5.00
item,,,,,EUR,S-1,C,0,5.00
"""
    loaded = parse_events(text, format="csv", source="items.csv")
    found = sorted((p.source, p.field) for p in loaded.problems)
    assert found == [
        ("items.csv:2", "revenue"),
        ("items.csv:3", "conversion_id"),
        ("items.csv:4", "conversion_id"),
        ("items.csv:5", "quantity"),
    ]


def test_header_and_shape_problems() -> None:
    loaded = parse_events(
        "type,id,kind,instant,customer_key,partner_id,colour\n"
        "touch,T-1,click,2026-03-07T09:00:00Z,c1,lea,red\n"
        "touch,T-2,click\n",
        format="csv",
        source="x.csv",
    )
    assert [t.id for t in loaded.touches] == ["T-1"]
    messages = [(p.source, p.message) for p in loaded.problems]
    assert messages[0][0] == "x.csv:1"
    assert "colour" in messages[0][1]
    assert messages[1] == ("x.csv:3", "expected 7 columns as in the header, got 3")
    no_type = parse_events("id,kind\nT-1,click\n", format="csv", source="y.csv")
    assert [p.field for p in no_type.problems] == ["type"]


def test_jsonl_shape_problems() -> None:
    loaded = parse_events(
        '{"type": "touch"\n[1, 2]\n{"type": "stats", "content_id": "V", "as_of": '
        '"2026-03-01T00:00:00Z", "views": 1.5, "hue": 1}\n',
        format="jsonl",
        source="e.jsonl",
    )
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("e.jsonl:1", None),
        ("e.jsonl:2", None),
        ("e.jsonl:3", None),
        ("e.jsonl:3", "views"),
    ]


def test_files_are_read_in_order_with_progress(tmp_path: Path) -> None:
    sales = tmp_path / "sales.csv"
    sales.write_text(CSV, encoding="utf-8")
    more = tmp_path / "more.jsonl"
    more.write_text(JSONL, encoding="utf-8")
    calls: list[tuple[int, int]] = []
    loaded = read_event_files(
        [sales, more], progress=lambda done, total: calls.append((done, total))
    )
    assert len(loaded.conversions) == 3
    total = sales.stat().st_size + more.stat().st_size
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_unreadable_files_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="an existing event file"):
        read_event_files([tmp_path / "missing.csv"])
    odd = tmp_path / "events.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(EventFileError, match=r"\.csv, \.jsonl or \.ndjson"):
        read_event_files([odd])
    binary = tmp_path / "events.csv"
    binary.write_bytes(b"\xff\xfe\x00type")
    with pytest.raises(EventFileError, match="UTF-8"):
        read_event_files([binary])


# -- round trip ------------------------------------------------------------------------------

instants = st.integers(0, 10**8).map(
    lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
ids = st.text("abcdefXYZ0123456789-_", min_size=1, max_size=8)
cents = st.integers(0, 10**7).map(lambda c: Money.from_minor(c, "EUR"))

touches = st.builds(
    Touch,
    id=ids,
    kind=st.sampled_from(TouchKind),
    instant=instants,
    customer_key=ids,
    partner_id=ids,
    content_id=st.none() | ids,
)
items = st.builds(
    LineItem,
    sku=ids,
    quantity=st.integers(1, 9).map(Decimal),
    unit_price=cents,
    category=st.none() | st.sampled_from(["skincare", "makeup"]),
)
conversions = st.builds(
    Conversion,
    id=ids,
    instant=instants,
    customer_key=ids,
    revenue=cents,
    new_customer=st.booleans(),
    items=st.lists(items, max_size=3).map(tuple),
    promo_code=st.none() | ids,
)
refunds = st.builds(
    Refund,
    id=ids,
    conversion_id=ids,
    instant=instants,
    amount=st.integers(1, 10**6).map(lambda c: Money.from_minor(c, "EUR")),
    kind=st.sampled_from(RefundKind),
)
stats = st.builds(
    ContentStats,
    content_id=ids,
    as_of=instants,
    views=st.integers(0, 10**9),
    likes=st.integers(0, 10**6),
    saves=st.integers(0, 10**6),
)


@settings(max_examples=50, deadline=None)
@given(
    records=st.lists(st.one_of(touches, conversions, refunds, stats), max_size=8),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_written_events_read_back_equal(
    records: list[Touch | Conversion | Refund | ContentStats], fmt: str
) -> None:
    # Sale ids are unique so that each sale's items find their sale.
    seen: set[str] = set()
    unique = []
    for record in records:
        if isinstance(record, Conversion):
            if record.id in seen:
                continue
            seen.add(record.id)
        unique.append(record)
    loaded = parse_events(format_events(unique, format=fmt), format=fmt)
    # Random statistics may fall or disagree: those are the only problems, as check_stats says.
    written = [r for r in unique if isinstance(r, ContentStats)]
    assert [attrs.evolve(p, source=None) for p in loaded.problems] == list(check_stats(written))
    assert loaded.touches == tuple(r for r in unique if isinstance(r, Touch))
    assert loaded.conversions == tuple(r for r in unique if isinstance(r, Conversion))
    assert loaded.refunds == tuple(r for r in unique if isinstance(r, Refund))
    assert loaded.stats == tuple(r for r in unique if isinstance(r, ContentStats))


@settings(max_examples=50, deadline=None)
@given(good=st.lists(st.booleans(), min_size=1, max_size=20))
def test_one_bad_row_never_hides_another(good: list[bool]) -> None:
    lines = ["type,id,kind,instant,customer_key,partner_id"]
    for index, ok in enumerate(good):
        instant = "2026-03-07T09:00:00Z" if ok else "yesterday"
        lines.append(f"touch,T-{index},click,{instant},c{index},lea")
    loaded = parse_events("\n".join(lines) + "\n", format="csv", source="t.csv")
    assert [t.id for t in loaded.touches] == [f"T-{i}" for i, ok in enumerate(good) if ok]
    assert [p.source for p in loaded.problems] == [
        f"t.csv:{i + 2}" for i, ok in enumerate(good) if not ok
    ]


def test_statistics_that_fall_or_disagree_are_reported_with_their_line(tmp_path: Path) -> None:
    # Views 100 as of 10 March, then 50 as of 17 March in another file: cumulative views fell.
    first = tmp_path / "week1.csv"
    first.write_text("type,content_id,as_of,views\nstats,V-1,2026-03-10T00:00:00Z,100\n")
    second = tmp_path / "week2.jsonl"
    second.write_text(
        '{"type": "stats", "content_id": "V-1", "as_of": "2026-03-17T00:00:00Z", "views": 50}\n'
        '{"type": "stats", "content_id": "V-2", "as_of": "2026-03-17T00:00:00Z", "views": 5}\n'
        '{"type": "stats", "content_id": "V-2", "as_of": "2026-03-17T00:00:00Z", "views": 7}\n'
    )
    loaded = read_event_files([first, second])
    assert len(loaded.stats) == 4  # reported, never dropped
    assert [(p.source, p.subject, p.field) for p in loaded.problems] == [
        ("week2.jsonl:1", "stats:V-1", "views"),
        ("week2.jsonl:3", "stats:V-2", "views"),
    ]
    assert "views 50 < 100" in loaded.problems[0].message
    assert "views 5 vs 7" in loaded.problems[1].message


def test_the_same_sale_read_twice_keeps_its_items_once(tmp_path: Path) -> None:
    # Items attach to the sale of their own file: reading a file twice (a retry, a copy)
    # gives two identical sales, which intake uses once, not one sale with doubled items.
    sales = tmp_path / "sales.csv"
    sales.write_text(CSV, encoding="utf-8")
    loaded = read_event_files([sales, sales])
    sale = [c for c in loaded.conversions if c.id == "S-1"]
    assert len(sale) == 2
    assert sale[0] == sale[1]
    assert [item.sku for item in sale[0].items] == ["SERUM-30", "LIP-01"]
    assert not loaded.problems


def test_items_in_another_file_than_their_sale_are_reported(tmp_path: Path) -> None:
    sales = tmp_path / "sales.csv"
    header, *rows = CSV.splitlines()
    sales.write_text(
        "\n".join([header, *[r for r in rows if not r.startswith("item")]]) + "\n", encoding="utf-8"
    )
    items = tmp_path / "items.csv"
    items.write_text(
        "\n".join([header, *[r for r in rows if r.startswith("item")]]) + "\n", encoding="utf-8"
    )
    loaded = read_event_files([sales, items])
    assert [p.field for p in loaded.problems] == ["conversion_id", "conversion_id"]
    assert all("same event file" in p.message for p in loaded.problems)
