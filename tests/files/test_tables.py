"""Event tables: the column path gives what the event-file path gives, row for row."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem
from hybridroi.core.text import escape_cell
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    LineItem,
    Refund,
    RefundKind,
    Touch,
)
from hybridroi.files.events import LoadedEvents, parse_events
from hybridroi.files.tables import TABLE_COLUMNS, event_tables, read_event_tables
from hybridroi.files.writer import EventFileError

T0 = datetime(2026, 3, 7, 9, 15, tzinfo=UTC)

# Cell values, good and bad, that both paths must judge alike.
IDS = st.sampled_from(["S-1", "S-2", "S-3", " S-4", "S-5 ", "", "x" * 3, "S\x1c"])
KEYS = st.sampled_from(["cust-1", "cust-2", "", " cust-3"])
INSTANTS = st.sampled_from(
    [
        "2026-03-07T09:15:00+01:00",
        "2026-03-07T09:15:00Z",
        "2026-03-07T09:15:00.250+01:00",
        "2026-03-07T09:15:00",
        "2026-03-07 09:15:00+01:00",
        "1899-12-31T23:59:59Z",
        "9000-01-01T00:00:00Z",
        "2026-13-07T09:15:00Z",
        "",
    ]
)
AMOUNTS = st.sampled_from(
    ["84.00", "84", "0", "-1.00", "12.345", "1e2", "abc", "", "0.50", "123456789012345678901"]
)
CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "eur", "XXX", ""])
OPTIONAL = st.sampled_from(["", "CODE10", " padded", "'=escaped"])
FLAGS = st.sampled_from(["", "true", "false", "True", "yes"])
COUNTRIES = st.sampled_from(["", "FR", "fr", "FRA"])
TOUCH_KINDS = st.sampled_from(["click", "view", "promo_code", "Click", "tap", ""])
REFUND_KINDS = st.sampled_from(["", "refund", "chargeback", "cancellation", "return"])


def _row(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[str]]) -> dict[str, str]:
    return {name: draw(strategy) for name, strategy in fields.items()}


@st.composite
def sale_rows(draw: st.DrawFn) -> dict[str, str]:
    row = _row(
        draw,
        {
            "id": IDS,
            "instant": INSTANTS,
            "customer_key": KEYS,
            "revenue": AMOUNTS,
            "currency": CURRENCIES,
            "new_customer": FLAGS,
            "gross": st.sampled_from(["", "100.00", "10.00"]),
            "tax": st.sampled_from(["", "20.00"]),
            "shipping": st.sampled_from(["", "5.00"]),
            "discount": st.sampled_from(["", "3.00"]),
            "promo_code": OPTIONAL,
            "click_id": OPTIONAL,
            "country": COUNTRIES,
        },
    )
    row["type"] = draw(st.sampled_from(["sale", "lead"]))
    return row


@st.composite
def touch_rows(draw: st.DrawFn) -> dict[str, str]:
    row = _row(
        draw,
        {
            "id": IDS,
            "kind": TOUCH_KINDS,
            "instant": INSTANTS,
            "customer_key": KEYS,
            "partner_id": st.sampled_from(["", "bonsplans", " leblog"]),
            "channel": st.sampled_from(["", "", "paid_search"]),
            "content_id": OPTIONAL,
            "link_id": OPTIONAL,
        },
    )
    row["type"] = "touch"
    return row


@st.composite
def refund_rows(draw: st.DrawFn) -> dict[str, str]:
    row = _row(
        draw,
        {
            "id": IDS,
            "conversion_id": IDS,
            "instant": INSTANTS,
            "amount": AMOUNTS,
            "currency": CURRENCIES,
            "kind": REFUND_KINDS,
        },
    )
    row["type"] = "refund"
    return row


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for row in rows:
        out.write(",".join(_quoted(escape_cell(row.get(name, ""))) for name in columns) + "\n")
    return out.getvalue()


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell


def _text_table(rows: list[dict[str, str]], columns: tuple[str, ...]) -> pa.Table:
    """The rows as a table of text columns, an empty cell being absent (as in a CSV file)."""
    return pa.table(
        {name: pa.array([row.get(name) or None for row in rows], pa.string()) for name in columns}
    )


def _canonical(record: Any) -> str:
    return repr(attrs.evolve(record, instant=record.instant.astimezone(UTC)))


def _judged(problems: tuple[Problem, ...]) -> list[tuple[str, str, str | None, str]]:
    # An empty CSV cell is an absent value, which a table holds as a null.
    return sorted(
        (p.kind.value, p.subject, p.field, p.message.replace("got ''", "got None"))
        for p in problems
    )


def _same(table: LoadedEvents, files: LoadedEvents, *, messages: bool = True) -> None:
    # The same records, as many times each, written alike (Money's places included;
    # instants in UTC, since a file keeps the offset each was written with).
    for mine, theirs in (
        (table.touches, files.touches),
        (table.conversions, files.conversions),
        (table.refunds, files.refunds),
    ):
        assert Counter(map(_canonical, mine)) == Counter(map(_canonical, theirs))
    if messages:
        assert _judged(table.problems) == _judged(files.problems)
    else:  # the value shown may be written differently
        assert [p[:3] for p in _judged(table.problems)] == [p[:3] for p in _judged(files.problems)]


@settings(max_examples=120, deadline=None)
@given(
    sales=st.lists(sale_rows(), max_size=6),
    touches=st.lists(touch_rows(), max_size=6),
    refunds=st.lists(refund_rows(), max_size=6),
)
def test_the_column_path_judges_every_row_as_the_event_file_path(
    sales: list[dict[str, str]], touches: list[dict[str, str]], refunds: list[dict[str, str]]
) -> None:
    columns = {kind: TABLE_COLUMNS[kind] for kind in TABLE_COLUMNS}
    table = read_event_tables(
        touches=_text_table(touches, columns["touches"]),
        conversions=_text_table(sales, columns["conversions"]),
        refunds=_text_table(refunds, columns["refunds"]),
    )
    every = ("type", *sorted({name for kind in columns.values() for name in kind} - {"type"}))
    files = parse_events(_csv([*touches, *sales, *refunds], every), format="csv")
    _same(table, files)
    assert table.rows == len(sales) + len(touches) + len(refunds)


@settings(max_examples=60, deadline=None)
@given(
    cents=st.lists(st.integers(min_value=-5, max_value=10**15), min_size=1, max_size=8),
    scale=st.sampled_from([0, 2, 3, 4]),
    seconds=st.lists(
        st.integers(min_value=-(3 * 10**9), max_value=3 * 10**11), min_size=8, max_size=8
    ),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_typed_columns_are_read_exactly_or_refused_as_in_a_file(
    cents: list[int], scale: int, seconds: list[int], unit: str, currency: str
) -> None:
    size = len(cents)
    per = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    if unit == "ns":  # within what 64-bit nanoseconds hold
        seconds = [value % (9 * 10**9) - 2 * 10**9 for value in seconds]
    stamps = [value * per + (7 if unit == "ns" and value % 3 == 0 else 0) for value in seconds]
    revenue = [Decimal(value).scaleb(-scale) for value in cents]
    typed = pa.table(
        {
            "id": [f"S-{n}" for n in range(size)],
            "instant": pa.array(stamps[:size], pa.timestamp(unit, tz="UTC")),
            "customer_key": ["cust"] * size,
            "revenue": pa.array(revenue, pa.decimal128(20, scale)),
            "currency": [currency] * size,
        }
    )
    text = pa.table(
        {
            "id": typed.column("id"),
            "instant": [
                value.isoformat() if value is not None else None
                for value in _iso(stamps[:size], unit)
            ],
            "customer_key": typed.column("customer_key"),
            "revenue": [format(value, "f") for value in revenue],
            "currency": typed.column("currency"),
        }
    )
    _same(read_event_tables(conversions=typed), read_event_tables(conversions=text), messages=False)


def _iso(stamps: list[int], unit: str) -> list[Any]:
    """Each stamp as an aware datetime when Python can hold it, else its raw text."""
    result: list[Any] = []
    for value in stamps:
        if unit == "ns":
            whole, rest = divmod(value, 1000)
            try:
                instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=whole)
            except OverflowError:
                result.append(_Raw(f"out of range {value}ns"))
                continue
            result.append(_Raw(_nanos(instant, rest)) if rest else instant)
            continue
        per = {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]
        try:
            result.append(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value * per))
        except OverflowError:
            result.append(_Raw(f"out of range {value}{unit}"))
    return result


class _Raw(str):
    def isoformat(self) -> str:
        return str(self)


def _nanos(instant: datetime, rest: int) -> str:
    text = instant.isoformat()
    stamp, offset = text[:-6], text[-6:]
    if "." not in stamp:
        stamp += ".000000"
    return f"{stamp}{rest:03d}{offset}"


def test_a_sales_table_from_every_kind_of_source(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["S-1", "S-2"],
            "instant": pd.to_datetime(
                ["2026-03-07T09:15:00+01:00", "2026-03-08T10:00:00Z"], utc=True
            ),
            "customer_key": ["cust-1", "cust-2"],
            "revenue": [Decimal("84.00"), Decimal("12.50")],
            "currency": ["EUR", "EUR"],
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp_path / "sales.parquet")
    (tmp_path / "sales.csv").write_text(
        "id,instant,customer_key,revenue,currency\n"
        "S-1,2026-03-07T09:15:00+01:00,cust-1,84.00,EUR\n"
        "S-2,2026-03-08T10:00:00Z,cust-2,12.50,EUR\n",
        encoding="utf-8",
    )
    expected = (
        Conversion(
            id="S-1",
            instant=datetime(2026, 3, 7, 8, 15, tzinfo=UTC),
            customer_key="cust-1",
            revenue=Money("84.00", "EUR"),
        ),
        Conversion(
            id="S-2",
            instant=datetime(2026, 3, 8, 10, tzinfo=UTC),
            customer_key="cust-2",
            revenue=Money("12.50", "EUR"),
        ),
    )
    sources: list[Any] = [
        frame,
        table,
        table.to_batches()[0],
        pl.from_arrow(table),
        tmp_path / "sales.parquet",
        str(tmp_path / "sales.csv"),
    ]
    for source in sources:
        loaded = read_event_tables(conversions=source)
        assert list(map(_canonical, loaded.conversions)) == list(map(_canonical, expected))
        assert loaded.problems == ()


def test_touches_and_refunds_with_their_kinds() -> None:
    at = pa.array([T0, T0 + timedelta(days=2)], pa.timestamp("ms", tz="Europe/Paris"))
    loaded = read_event_tables(
        touches=pa.table(
            {
                "id": [1, 2],
                "kind": ["click", "view"],
                "instant": at,
                "customer_key": ["c", "c"],
                "partner_id": ["bonsplans", None],
                "channel": [None, "email"],
            }
        ),
        refunds=pa.table(
            {
                "id": ["R-1", "R-2"],
                "conversion_id": ["S-1", "S-1"],
                "instant": at,
                "amount": pa.array([150, 20], pa.int64()),
                "currency": ["JPY", "JPY"],
                "kind": [None, "chargeback"],
            }
        ),
    )
    assert loaded.touches == (
        Touch(id="1", kind=TouchKind.CLICK, instant=T0, customer_key="c", partner_id="bonsplans"),
        Touch(
            id="2",
            kind=TouchKind.VIEW,
            instant=T0 + timedelta(days=2),
            customer_key="c",
            channel="email",
        ),
    )
    assert loaded.refunds == (
        Refund(id="R-1", conversion_id="S-1", instant=T0, amount=Money("150", "JPY")),
        Refund(
            id="R-2",
            conversion_id="S-1",
            instant=T0 + timedelta(days=2),
            amount=Money("20", "JPY"),
            kind=RefundKind.CHARGEBACK,
        ),
    )


def test_bad_rows_are_located_at_their_table_and_row(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "id": ["S-1", "S-2", "S-3"],
                "instant": pa.array([T0] * 3, pa.timestamp("us", tz="UTC")),
                "customer_key": ["c", "c", "c"],
                "revenue": pa.array(
                    [Decimal("1.000"), Decimal("1.005"), Decimal("2.000")], pa.decimal128(9, 3)
                ),
                "currency": ["EUR", "EUR", "eur"],
                "type": ["sale", "lead", "sale"],
            }
        ),
        tmp_path / "sales.parquet",
    )
    loaded = read_event_tables(conversions=tmp_path / "sales.parquet")
    assert [(c.id, c.kind, c.revenue) for c in loaded.conversions] == [
        ("S-1", ConversionKind.SALE, Money("1.00", "EUR"))
    ]
    assert [(p.source, p.subject, p.field) for p in loaded.problems] == [
        ("sales.parquet:2", "lead:S-2", "revenue"),
        ("sales.parquet:3", "sale:S-3", "currency"),
    ]
    later = loaded.locate(
        [Problem(kind="duplicate_id", subject="conversion:S-1", message="seen twice")]
    )
    assert later[0].source == "sales.parquet:1"


def test_unknown_columns_are_one_problem_and_ignored() -> None:
    loaded = read_event_tables(
        touches=pa.table(
            {
                "id": ["T-1"],
                "kind": ["click"],
                "instant": ["2026-03-07T09:15:00Z"],
                "customer_key": ["c"],
                "partner_id": ["p"],
                "utm_source": ["tiktok"],
            }
        )
    )
    assert len(loaded.touches) == 1
    assert [(p.subject, p.source) for p in loaded.problems] == [("header", "touches:0")]
    assert "utm_source" in loaded.problems[0].message


@pytest.mark.parametrize(
    ("columns", "field", "expected"),
    [
        ({"revenue": pa.array([84.0])}, "revenue", "never floating-point"),
        (
            {
                "instant": pa.array(
                    [datetime(2026, 3, 7, tzinfo=UTC).replace(tzinfo=None)], pa.timestamp("us")
                )
            },
            "instant",
            "time zone",
        ),
        ({"instant": pa.array([1], pa.int64())}, "instant", "ISO 8601"),
        ({"currency": None}, "currency", "a column 'currency'"),
        ({"items": pa.array([["x"]])}, "items", "line items"),
    ],
)
def test_tables_whose_columns_cannot_be_used_are_refused(
    columns: dict[str, Any], field: str, expected: str
) -> None:
    base: dict[str, Any] = {
        "id": ["S-1"],
        "instant": pa.array([T0], pa.timestamp("us", tz="UTC")),
        "customer_key": ["c"],
        "revenue": pa.array([Decimal("84.00")]),
        "currency": ["EUR"],
    }
    for name, value in columns.items():
        if value is None:
            del base[name]
        else:
            base[name] = value
    with pytest.raises(EventFileError) as raised:
        read_event_tables(conversions=pa.table(base))
    assert raised.value.field == f"conversions.{field}"
    assert expected in raised.value.expected


def test_a_repeated_column_and_unreadable_sources_are_refused(tmp_path: Path) -> None:
    repeated = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["id", "id"])
    with pytest.raises(EventFileError, match="each column once"):
        read_event_tables(touches=repeated)
    with pytest.raises(EventFileError, match="an existing table file"):
        read_event_tables(touches=tmp_path / "missing.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(EventFileError, match="a readable table file"):
        read_event_tables(touches=tmp_path / "broken.parquet")
    with pytest.raises(EventFileError, match="a Parquet or CSV path"):
        read_event_tables(touches=[{"id": "T-1"}])
    with pytest.raises(EventFileError, match=r"\.parquet, \.pq or \.csv"):
        read_event_tables(touches=tmp_path / "events.xlsx")


@settings(max_examples=40, deadline=None)
@given(
    amounts=st.lists(
        st.tuples(st.sampled_from(["EUR", "JPY", "KWD", "BHD"]), st.integers(0, 10**17)),
        min_size=1,
        max_size=10,
    )
)
def test_conversions_in_several_currencies_round_trip_exactly(
    amounts: list[tuple[str, int]],
) -> None:
    sales = tuple(
        Conversion(
            id=f"S-{index}",
            instant=T0 + timedelta(microseconds=index),
            customer_key=f"c{index % 3}",
            revenue=Money.from_minor(units, currency),
            gross=Money.from_minor(units + 1, currency) if index % 2 else None,
            new_customer=None if index % 3 else bool(index % 2),
            kind=ConversionKind.LEAD if index % 4 == 3 else ConversionKind.SALE,
            country="FR" if index % 2 else None,
        )
        for index, (currency, units) in enumerate(amounts)
    )
    loaded = read_event_tables(**event_tables(sales))
    assert loaded.conversions == sales
    assert loaded.problems == ()


def test_records_that_tables_cannot_hold_are_refused() -> None:
    item = LineItem(sku="SERUM", quantity=1, unit_price=Money("10.00", "EUR"))
    with_items = Conversion(
        id="S-1", instant=T0, customer_key="c", revenue=Money("10.00", "EUR"), items=(item,)
    )
    with pytest.raises(InvalidValueError, match="without line items"):
        event_tables([with_items])
    with pytest.raises(InvalidTypeError, match="a Touch, Conversion or Refund"):
        event_tables(["not an event"])  # type: ignore[list-item]


def _sales(**columns: Any) -> pa.Table:
    base: dict[str, Any] = {
        "id": ["S-1"],
        "instant": pa.array([T0], pa.timestamp("us", tz="UTC")),
        "customer_key": ["c"],
        "revenue": pa.array([Decimal("84.00")]),
        "currency": ["EUR"],
    }
    base.update(columns)
    return pa.table(base)


def _problems(loaded: LoadedEvents) -> list[tuple[str | None, str | None]]:
    return [(problem.source, problem.field) for problem in loaded.problems]


def test_frames_of_pandas_and_polars_keep_the_currency_places_and_refuse_unknown_codes() -> None:
    frame = pd.DataFrame(
        {
            "id": ["S-1", "S-2", "S-3"],
            "instant": pd.to_datetime(["2026-03-07T09:15:00Z"] * 3, utc=True),
            "customer_key": pd.Series(["c", "c", "d"], dtype="category"),
            "revenue": [Decimal("84"), Decimal("5"), Decimal("7")],
            "currency": ["EUR", "XYZ", "usd"],
        }
    )
    for source in (frame, pl.from_pandas(frame), pl.from_pandas(frame).lazy().collect()):
        loaded = read_event_tables(conversions=source)
        assert [repr(sale.revenue) for sale in loaded.conversions] == ["Money('84.00', 'EUR')"]
        assert _problems(loaded) == [("conversions:2", "currency"), ("conversions:3", "currency")]


def test_extreme_integers_are_read_exactly_or_refused_on_their_row() -> None:
    loaded = read_event_tables(
        conversions=_sales(
            id=["S-1", "S-2", "S-3"],
            instant=pa.array([T0] * 3, pa.timestamp("us", tz="UTC")),
            customer_key=["c"] * 3,
            revenue=pa.array([-(2**63), 2**62, 5], pa.int64()),
            currency=["EUR"] * 3,
        ),
        refunds=pa.table(
            {
                "id": ["R-1", "R-2"],
                "conversion_id": ["S-2", "S-3"],
                "instant": pa.array([T0] * 2, pa.timestamp("us", tz="UTC")),
                "amount": pa.array([2**64 - 1, 5], pa.uint64()),
                "currency": ["EUR", "EUR"],
            }
        ),
    )
    assert [(sale.id, sale.revenue) for sale in loaded.conversions] == [
        ("S-2", Money(Decimal(2**62), "EUR")),
        ("S-3", Money("5.00", "EUR")),
    ]
    assert [(refund.id, refund.amount) for refund in loaded.refunds] == [
        ("R-1", Money(Decimal(2**64 - 1), "EUR")),
        ("R-2", Money("5.00", "EUR")),
    ]
    assert _problems(loaded) == [("conversions:1", "revenue")]


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T09:00:00+00:00",
        "2026-03-07T23:59:60+00:00",
        "2026-3-7T9:0:0+00:00",
        "2026-03-07T09:00:00+2400",
        "2026-03-07T09:00:00+9959",
        "2026-03-07T09:00:00.000000001+00:00",
    ],
)
def test_instant_texts_an_event_file_refuses_are_refused(text: str) -> None:
    loaded = read_event_tables(conversions=_sales(instant=[text]))
    assert loaded.conversions == ()
    assert _problems(loaded) == [("conversions:1", "instant")]


def test_instant_texts_in_every_text_type_are_read() -> None:
    text = pa.array(["2026-03-07T10:15:00+01:00"])
    for column in (text, text.cast(pa.large_string()), text.cast(pa.string_view())):
        (sale,) = read_event_tables(conversions=_sales(instant=column)).conversions
        assert sale.instant == T0


@pytest.mark.parametrize(
    "column",
    [
        pa.array([b"cust-1"]),
        pa.array([["a", "b"]]),
        pa.array([{"x": 1}]),
        pa.array([True]),
        pa.array([T0], pa.timestamp("us", tz="UTC")),
    ],
)
def test_an_id_column_that_is_not_text_or_integers_is_refused(column: Any) -> None:
    with pytest.raises(EventFileError) as raised:
        read_event_tables(conversions=_sales(customer_key=column))
    assert raised.value.field == "conversions.customer_key"
    assert raised.value.expected == "text or integers"


def test_a_clicks_table_holds_clicks_and_a_table_holds_its_own_type() -> None:
    clicks = pa.table(
        {
            "id": ["K-1", "K-2", "K-3"],
            "kind": ["view", " Click ", None],
            "instant": pa.array([T0] * 3, pa.timestamp("us", tz="UTC")),
            "customer_key": ["c"] * 3,
            "partner_id": ["p"] * 3,
        }
    )
    loaded = read_event_tables(clicks=clicks, conversions=_sales(type=["refund"]))
    assert [(touch.id, touch.kind) for touch in loaded.touches] == [
        ("K-2", TouchKind.CLICK),
        ("K-3", TouchKind.CLICK),
    ]
    assert [(p.source, p.subject, p.field) for p in loaded.problems] == [
        ("clicks:1", "touch:K-1", "kind"),
        ("conversions:1", "sale:S-1", "type"),
    ]


def test_an_empty_frame_is_no_rows_and_a_column_of_nulls_is_a_problem_per_row() -> None:
    empty = pd.DataFrame(columns=["id", "instant", "customer_key", "revenue", "currency"])
    assert read_event_tables(conversions=empty).conversions == ()
    nulls = _sales(instant=pa.nulls(1))
    loaded = read_event_tables(conversions=nulls)
    assert _problems(loaded) == [("conversions:1", "instant")]


def test_a_csv_table_is_read_as_an_event_file_of_its_type(tmp_path: Path) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text(
        "\ufeffid,instant,customer_key,partner_id\n"
        "K-1,2026-03-07T10:15:00+01:00,c,p\n"
        "\n"
        'K-2,"2026-03-07T10:15:00+01:00",c\n'
        "K-3,2026-03-07T10:15:00+01:00,'=c,p\n",
        encoding="utf-8",
    )
    loaded = read_event_tables(clicks=path)
    assert [(touch.id, touch.customer_key) for touch in loaded.touches] == [
        ("K-1", "c"),
        ("K-3", "=c"),
    ]
    assert [(p.source, p.subject) for p in loaded.problems] == [("clicks.csv:4", "row")]


def test_records_whose_text_arrow_cannot_hold_are_refused() -> None:
    touch = Touch(id="T\ud800", kind=TouchKind.CLICK, instant=T0, customer_key="c", partner_id="p")
    with pytest.raises(InvalidValueError, match="text Arrow can hold"):
        event_tables([touch])
