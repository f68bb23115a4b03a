"""Event files at their edge: repeated fields, hostile values, empty files, BOMs, output."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hybridroi.cli import main
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate
from hybridroi.domain.policy import TouchKind
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, LineItem, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.files.campaign import campaign_to_json
from hybridroi.files.events import format_events, parse_events, read_event_files

T0 = datetime(2026, 3, 7, 9, tzinfo=UTC)
SALE_HEADER = "type,id,instant,customer_key,revenue,currency"


def sources(problems: tuple[Problem, ...]) -> list[str | None]:
    return [problem.source for problem in problems]


# -- item 1: a field given twice is a located problem -----------------------------------------


def test_a_repeated_csv_column_refuses_the_files_rows_with_one_header_problem() -> None:
    text = (
        "type,id,instant,customer_key,revenue,currency,revenue\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,84.00,EUR,999.00\n"
        "\n"
        "sale,S-2,2026-03-07T11:00:00Z,c2,10.00,EUR,10.00\n"
    )
    loaded = parse_events(text, format="csv", source="twice.csv")
    assert loaded.conversions == ()
    assert loaded.rows == 2  # counted, not silently dropped
    (problem,) = loaded.problems
    assert (problem.source, problem.subject, problem.field) == ("twice.csv:1", "header", "revenue")
    assert "revenue" in problem.message
    assert "2 row(s)" in problem.message


def test_a_repeated_jsonl_key_refuses_its_row_naming_the_key_and_line() -> None:
    text = (
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "84.00", "currency": "EUR", "revenue": "999.00"}\n'
        '{"type": "sale", "id": "S-2", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "5.00", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, '
        '"unit_price": "5.00", "sku": "B"}]}\n'
        '{"type": "sale", "id": "S-3", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "5.00", "currency": "EUR"}\n'
    )
    loaded = parse_events(text, format="jsonl", source="twice.jsonl")
    assert [c.id for c in loaded.conversions] == ["S-3"]
    assert loaded.rows == 3
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("twice.jsonl:1", "revenue"),
        ("twice.jsonl:2", "items[0].sku"),
    ]
    assert all("repeated" in p.message for p in loaded.problems)


# -- item 2: bad input gets a clear error, never a traceback -----------------------------------


def test_a_csv_field_longer_than_the_csv_limit_is_a_located_problem() -> None:
    text = (
        "type,id,kind,instant,customer_key,partner_id\n"
        f"touch,{'x' * 140_000},click,2026-03-07T09:00:00Z,c1,lea\n"
        "touch,T-2,click,2026-03-07T09:00:00Z,c1,lea\n"
    )
    loaded = parse_events(text, format="csv", source="long.csv")
    assert [t.id for t in loaded.touches] == ["T-2"]
    assert sources(loaded.problems) == ["long.csv:2"]
    assert len(loaded.problems[0].message) < 300


@pytest.mark.parametrize("digits", ["\u00b2", "\u0661\u0662", "\uff11\uff12", "1_000", "12 000"])
def test_counts_and_amounts_take_ascii_digits_only(digits: str) -> None:
    text = (
        "type,content_id,as_of,views,id,instant,customer_key,revenue,currency\n"
        f"stats,V-1,2026-03-07T09:00:00Z,{digits},,,,,\n"
        f"sale,,,,S-1,2026-03-07T09:00:00Z,c1,{digits},EUR\n"
    )
    loaded = parse_events(text, format="csv", source="digits.csv")
    assert loaded.stats == ()
    assert loaded.conversions == ()
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("digits.csv:2", "views"),
        ("digits.csv:3", "revenue"),
    ]


def test_a_5000_digit_integer_is_refused_in_json_lines_and_csv() -> None:
    huge = "9" * 5000
    jsonl = (
        f'{{"type": "stats", "content_id": "V-1", "as_of": "2026-03-07T09:00:00Z", '
        f'"views": {huge}}}\n'
        f'{{"type": "sale", "id": {huge}, "instant": "2026-03-07T09:00:00Z", '
        f'"customer_key": "c1", "revenue": {huge}, "currency": "EUR"}}\n'
    )
    loaded = parse_events(jsonl, format="jsonl", source="huge.jsonl")
    assert loaded.stats == ()
    assert loaded.conversions == ()
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("huge.jsonl:1", "views"),
        ("huge.jsonl:2", "id"),  # a numeric id has at most 40 digits, like any number
        ("huge.jsonl:2", "revenue"),
    ]
    assert all(len(p.message) < 400 for p in loaded.problems)
    csv_text = f"type,content_id,as_of,views\nstats,V-1,2026-03-07T09:00:00Z,{huge}\n"
    loaded = parse_events(csv_text, format="csv", source="huge.csv")
    assert [(p.source, p.field) for p in loaded.problems] == [("huge.csv:2", "views")]


def test_json_nested_thousands_of_levels_deep_is_a_located_problem() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        f"{deep}\n"
        f'{{"type": "sale", "items": {deep}}}\n'
        '{"type": "touch", "id": "T-1", "kind": "click", "instant": "2026-03-07T09:00:00Z", '
        '"customer_key": "c1", "partner_id": "lea"}\n'
    )
    loaded = parse_events(text, format="jsonl", source="deep.jsonl")
    assert [t.id for t in loaded.touches] == ["T-1"]
    assert sources(loaded.problems) == ["deep.jsonl:1", "deep.jsonl:2"]
    assert "deep" in loaded.problems[0].message


@pytest.mark.parametrize(
    "value", ['["sale"]', '{"a": 1}', "1", "true", "null", '"gift"', "NaN", "-Infinity"]
)
def test_a_json_type_of_the_wrong_kind_is_a_located_problem(value: str) -> None:
    loaded = parse_events(f'{{"type": {value}, "id": "X"}}\n', format="jsonl", source="t.jsonl")
    assert loaded.rows == 1
    assert sources(loaded.problems) == ["t.jsonl:1"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999999", "1E-999999", "[1]", '{"x": 1}'])
def test_odd_json_numbers_and_containers_in_fields_are_located_problems(value: str) -> None:
    text = (
        f'{{"type": "sale", "id": "S-1", "instant": "2026-03-07T09:00:00Z", "customer_key": "c1", '
        f'"revenue": {value}, "currency": "EUR"}}\n'
    )
    loaded = parse_events(text, format="jsonl", source="n.jsonl")
    assert loaded.conversions == ()
    assert [(p.source, p.field) for p in loaded.problems] == [("n.jsonl:1", "revenue")]


def test_a_lower_case_currency_with_inline_items_is_a_located_problem() -> None:
    text = (
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T09:00:00Z", "customer_key": "c1", '
        '"revenue": "84.00", "currency": "eur", "items": [{"sku": "A", "quantity": 1, '
        '"unit_price": "84.00"}]}\n'
    )
    loaded = parse_events(text, format="jsonl", source="cur.jsonl")
    assert loaded.conversions == ()
    assert [(p.source, p.field) for p in loaded.problems] == [("cur.jsonl:1", "currency")]
    csv_text = (
        "type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price\n"
        "sale,S-1,2026-03-07T09:00:00Z,c1,84.00,EUR,,,,\n"
        "item,,,,,eur,S-1,A,1,84.00\n"
    )
    loaded = parse_events(csv_text, format="csv", source="cur.csv")
    assert ("cur.csv:3", "currency") in [(p.source, p.field) for p in loaded.problems]


def test_text_fields_refuse_lone_surrogates_from_json_escapes() -> None:
    text = (
        '{"type": "touch", "id": "T-\\ud800", "kind": "click", "instant": "2026-03-07T09:00:00Z", '
        '"customer_key": "c1", "partner_id": "lea"}\n'
    )
    loaded = parse_events(text, format="jsonl", source="s.jsonl")
    assert loaded.touches == ()
    assert [(p.source, p.field) for p in loaded.problems] == [("s.jsonl:1", "id")]


# -- item 3: a file of nothing but whitespace is zero rows, no problem ---------------------------


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n", "\r\n\r\n", "\ufeff", "\ufeff\n"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_file_of_nothing_but_whitespace_is_zero_rows(text: str, fmt: str, tmp_path: Path) -> None:
    loaded = parse_events(text, format=fmt, source="empty")
    assert (loaded.rows, loaded.problems) == (0, ())
    path = tmp_path / f"empty.{fmt}"
    path.write_text(text, encoding="utf-8", newline="")
    loaded = read_event_files([path])
    assert (loaded.rows, loaded.problems) == (0, ())


# -- item 4: a UTF-8 byte-order mark is accepted -----------------------------------------------


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    csv_text = (
        "\ufefftype,id,kind,instant,customer_key,partner_id\n"
        "touch,T-1,click,2026-03-07T09:00:00Z,c1,lea\n"
    )
    jsonl_text = (
        '\ufeff{"type": "touch", "id": "T-2", "kind": "click", "instant": "2026-03-07T09:00:00Z", '
        '"customer_key": "c1", "partner_id": "lea"}\n'
    )
    assert [t.id for t in parse_events(csv_text, format="csv").touches] == ["T-1"]
    assert [t.id for t in parse_events(jsonl_text, format="jsonl").touches] == ["T-2"]
    (tmp_path / "a.csv").write_bytes(csv_text.encode("utf-8"))
    (tmp_path / "b.jsonl").write_bytes(jsonl_text.encode("utf-8"))
    loaded = read_event_files([tmp_path / "a.csv", tmp_path / "b.jsonl"])
    assert loaded.problems == ()
    assert [t.id for t in loaded.touches] == ["T-1", "T-2"]


# -- item 5: problems found by check_events carry the file and line -----------------------------

CAMPAIGN = Campaign(
    id="spring",
    name="Spring",
    currency="EUR",
    timezone="Europe/Paris",
    start=T0 - timedelta(days=30),
    end=T0 + timedelta(days=60),
    partners=[Affiliate(id="lea", name="Lea")],
)


def test_check_events_problems_name_the_file_and_line_of_their_events(tmp_path: Path) -> None:
    first = tmp_path / "week1.csv"
    first.write_text(
        f"{SALE_HEADER},kind,partner_id,conversion_id,amount\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,84.00,EUR,,,,\n"
        "touch,T-1,2026-03-07T09:00:00Z,c1,,,click,ghost,,\n"
        "refund,R-1,2026-03-08T10:00:00Z,,,EUR,,,S-9,5.00\n",
        encoding="utf-8",
    )
    second = tmp_path / "week2.jsonl"
    second.write_text(
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T10:00:00Z", "customer_key": "c1", '
        '"revenue": "999.00", "currency": "EUR"}\n',
        encoding="utf-8",
    )
    loaded = read_event_files([first, second])
    assert loaded.problems == ()
    batch = check_events(CAMPAIGN, loaded.events, locate=loaded.locate)
    found = {(p.kind, p.subject, p.source) for p in batch.problems}
    assert found == {
        (ProblemKind.DUPLICATE_ID, "conversion:S-1", "week1.csv:2, week2.jsonl:1"),
        (ProblemKind.UNKNOWN_PARTNER, "touch:T-1", "week1.csv:3"),
        (ProblemKind.UNKNOWN_SALE, "refund:R-1", "week1.csv:4"),
    }
    unlocated = check_events(CAMPAIGN, loaded.events)
    assert loaded.locate(unlocated.problems) == batch.problems


def test_locate_keeps_known_sources_and_leaves_foreign_subjects_alone() -> None:
    loaded = parse_events(
        "type,content_id,as_of,views\nstats,V-1,2026-03-07T09:00:00Z,5\n", format="csv", source="s"
    )
    own = Problem(kind=ProblemKind.INVALID, subject="stats:V-1", message="m", source="x:9")
    stats = Problem(kind=ProblemKind.INVALID, subject="stats:V-1", message="m")
    other = Problem(kind=ProblemKind.INVALID, subject="partner:lea", message="m")
    assert loaded.locate([own, stats, other]) == (
        own,
        Problem(kind=ProblemKind.INVALID, subject="stats:V-1", message="m", source="s:2"),
        other,
    )


# -- item 6: written files read back equal and are safe in a spreadsheet ------------------------


def test_written_csv_escapes_formulas_and_reads_back_ids_with_cr_and_line_breaks() -> None:
    touch = Touch(
        id="=HYPERLINK(1)",
        kind=TouchKind.CLICK,
        instant=T0,
        customer_key="a\rb",
        partner_id="@lea",
        link_id="'=1+1",
        content_id="x\u2028y\x1c\x85z",
    )
    sale = Conversion(
        id="+S\r\n1",
        instant=T0,
        customer_key="-c1",
        revenue=Money("84.00", "EUR"),
        items=(LineItem(sku="=A", quantity=Decimal(1), unit_price=Money("84.00", "EUR")),),
    )
    refund = Refund(id="-R", conversion_id="+S\r\n1", instant=T0, amount=Money("1.00", "EUR"))
    stats = ContentStats(content_id="@V", as_of=T0, views=3)
    records: list[Touch | Conversion | Refund | ContentStats] = [touch, sale, refund, stats]
    text = format_events(records, format="csv")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if cell[:1] == "-" and not cell[1:2].isdigit()]
    for fmt in ("csv", "jsonl"):
        loaded = parse_events(format_events(records, format=fmt), format=fmt)
        assert loaded.problems == ()
        assert (loaded.touches, loaded.conversions, loaded.refunds, loaded.stats) == (
            (touch,),
            (sale,),
            (refund,),
            (stats,),
        )


def test_a_quote_escaped_cell_in_a_csv_file_is_read_without_its_quote() -> None:
    text = (
        "type,id,kind,instant,customer_key,partner_id\n"
        "touch,'=T-1,click,2026-03-07T09:00:00Z,'''c1,'lea\n"
    )
    (touch,) = parse_events(text, format="csv").touches
    assert (touch.id, touch.customer_key, touch.partner_id) == ("=T-1", "''c1", "'lea")


def test_validate_names_the_file_and_line_of_a_repeated_order_id(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.json"
    campaign.write_text(campaign_to_json(CAMPAIGN), encoding="utf-8")
    first = tmp_path / "week1.csv"
    first.write_text(f"{SALE_HEADER}\nsale,S-1,2026-03-07T10:00:00Z,c1,84.00,EUR\n")
    second = tmp_path / "week2.csv"
    second.write_text(f"{SALE_HEADER}\n\nsale,S-1,2026-03-07T10:00:00Z,c1,999.00,EUR\n")
    stdout, stderr = io.StringIO(), io.StringIO()
    events = [str(first), str(second)]
    status = main(["validate", str(campaign), "--events", *events], stdout=stdout, stderr=stderr)
    assert status == 1
    (line,) = [line for line in stdout.getvalue().splitlines() if "duplicate_id" in line]
    assert line.startswith("week1.csv:2, week2.csv:3: duplicate_id conversion:S-1")


def test_text_longer_than_the_limit_is_refused_so_that_every_file_written_reads_back() -> None:
    # A JSON Lines id of 140,000 characters could not be written to CSV and read back.
    text = (
        f'{{"type": "stats", "content_id": "{"x" * 140_000}", '
        '"as_of": "2026-03-10T00:00:00Z", "views": 1}\n'
    )
    loaded = parse_events(text, format="jsonl", source="long.jsonl")
    assert loaded.stats == ()
    assert [(p.source, p.field) for p in loaded.problems] == [("long.jsonl:1", "content_id")]
    assert "10,000 characters" in loaded.problems[0].message


# -- items belong to the nearest sale line above them ------------------------------------------


def test_a_sale_repeated_in_a_file_keeps_its_own_items_through_a_round_trip() -> None:
    sale = Conversion(
        id="S-1",
        instant=T0,
        customer_key="c1",
        revenue=Money("84.00", "EUR"),
        items=(LineItem(sku="SERUM", quantity=Decimal(1), unit_price=Money("84.00", "EUR")),),
    )
    # A retry wrote the same sale twice: each copy must read back with its one item, not two.
    text = format_events([sale, sale], format="csv")
    loaded = parse_events(text, format="csv")
    assert loaded.conversions == (sale, sale)
    assert loaded.problems == ()


def test_an_item_under_a_refused_sale_is_refused_not_moved_to_another_copy() -> None:
    header = "type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price"
    text = (
        f"{header}\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,84.00,EUR,,,,\n"
        "item,,,,,EUR,S-1,SERUM,1,84.00\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,-5,EUR,,,,\n"
        "item,,,,,EUR,S-1,ROUGE,1,24.00\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,84.00,EURO,,,,\n"
        "item,,,,,EUR,S-1,MASQUE,1,19.00\n"
    )
    loaded = parse_events(text, format="csv", source="sales.csv")
    # The ROUGE item goes with its refused sale (line 4); the MASQUE item, under a sale line
    # refused as it was read (line 6), is refused on its own line. Neither joins line 2's sale.
    assert [item.sku for item in loaded.conversions[0].items] == ["SERUM"]
    assert len(loaded.conversions) == 1
    assert sorted((p.source or "", p.field or "") for p in loaded.problems) == [
        ("sales.csv:4", "revenue"),
        ("sales.csv:6", "currency"),
        ("sales.csv:7", "conversion_id"),
    ]


def test_items_above_their_sale_attach_to_the_first_sale_below() -> None:
    header = "type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price"
    text = (
        f"{header}\n"
        "item,,,,,EUR,S-1,SERUM,1,84.00\n"
        "sale,S-1,2026-03-07T10:00:00Z,c1,84.00,EUR,,,,\n"
    )
    loaded = parse_events(text, format="csv")
    assert [item.sku for item in loaded.conversions[0].items] == ["SERUM"]
