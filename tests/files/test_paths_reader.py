"""Grouped paths read from CSV, Parquet, Arrow, pandas and polars, and written back."""

from __future__ import annotations

import csv
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from random import Random
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.paths import PathCount, Paths
from hybridroi.files import paths as paths_module
from hybridroi.files.channel_frames import paths_table
from hybridroi.files.paths import LoadedPaths, read_paths
from hybridroi.files.writer import EventFileError

CSV = (
    "path,total_conversions,total_conversion_value,total_null\n"
    "tiktok > coupons,3,150.00,7\n"
    "coupons,1,40.00,9\n"
    "tiktok >  > coupons,1,1,1\n"
    "email,-1,0,2\n"
    "email,0,,2\n"
    "blog,0,0,0\n"
    "tiktok > coupons,1,50.50,0\n"
)


def test_a_csv_file_gives_merged_paths_and_a_problem_per_bad_row(tmp_path: Path) -> None:
    file = tmp_path / "paths.csv"
    file.write_text(CSV, encoding="utf-8")
    loaded = read_paths(file)
    assert [(r.channels, r.conversions, r.non_conversions, r.value) for r in loaded.paths.rows] == [
        (("coupons",), 1, 9, Fraction(40)),
        (("tiktok", "coupons"), 4, 7, Fraction(Decimal("200.50"))),
    ]
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("paths.csv:4", "path"),
        ("paths.csv:5", "total_conversions"),
        ("paths.csv:6", "total_conversion_value"),
        ("paths.csv:7", "total_conversions"),
    ]
    assert "got -1" in loaded.problems[1].message.replace("'", "")


def test_every_table_source_reads_the_same(tmp_path: Path) -> None:
    table = pa.table(
        {
            "route": ["a > b", "b"],
            "wins": [2, 0],
            "losses": [1, 5],
            "worth": pa.array([Decimal("10.00"), Decimal("0.00")], pa.decimal128(10, 2)),
        }
    )
    names = {"path": "route", "conversions": "wins", "non_conversions": "losses", "value": "worth"}
    expected = Paths.of(
        [
            PathCount(channels=("a", "b"), conversions=2, non_conversions=1, value="10"),
            PathCount(channels=("b",), conversions=0, non_conversions=5, value="0"),
        ]
    )
    assert read_paths(table, **names).paths == expected
    pq.write_table(table, tmp_path / "p.parquet")
    assert read_paths(tmp_path / "p.parquet", **names).paths == expected
    pandas = pytest.importorskip("pandas")
    assert read_paths(table.to_pandas(), **names).paths == expected
    polars = pytest.importorskip("polars")
    assert read_paths(polars.from_arrow(table), **names).paths == expected
    assert isinstance(pandas, object)


def test_optional_columns_and_a_written_table_read_back() -> None:
    table = pa.table({"path": ["a > b", "a"], "total_conversions": [1, 2]})
    paths = read_paths(table).paths
    assert [(r.non_conversions, r.value) for r in paths.rows] == [(0, Fraction(0))] * 2
    written = paths_table(paths)
    assert written.column_names == [
        "path",
        "total_conversions",
        "total_null",
        "total_conversion_value",
    ]
    assert read_paths(written).paths == paths
    odd = Paths.of(
        [PathCount(channels=("a",), conversions=1, non_conversions=0, value=Fraction(1, 3))]
    )
    assert paths_table(odd).column("total_conversion_value").to_pylist() == ["1/3"]


def test_unusable_tables_are_refused_with_the_column(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="total_conversions"):
        read_paths(pa.table({"path": ["a"]}))
    with pytest.raises(EventFileError, match="float"):
        read_paths(
            pa.table({"path": ["a"], "total_conversions": [1], "total_conversion_value": [1.5]})
        )
    with pytest.raises(EventFileError, match="whole numbers"):
        read_paths(pa.table({"path": ["a"], "total_conversions": [1.0]}))
    with pytest.raises(EventFileError, match="existing"):
        read_paths(tmp_path / "missing.csv")
    with pytest.raises(EventFileError, match="ending in"):
        read_paths(tmp_path / "paths.xlsx")
    with pytest.raises(EventFileError, match="DataFrame"):
        read_paths(42)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(EventFileError, match="readable"):
        read_paths(broken)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("path,total_conversions\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(EventFileError, match="readable"):
        read_paths(latin)


# --- the whole-table reading gives what reading row by row gives ------------------------

TEXTS = ["a", "a > b", "b > a", "a>b", "a|b", "a > b|c", "a >  > b", "", " > a", "c > c", "b"]
WHOLE_TEXTS = ["0", "1", "2", "007", "+3", " 4", "-1", "x", "", "1.0", "99999999999999999999"]
AMOUNT_TEXTS = ["0", "0.00", "1.50", "12", "-1", ".5", "1.", "1e2", "NaN", "", " 2.5 ", "x"]
LAYOUTS = ("typed", "text", "mixed", "integers", "bare")


@st.composite
def _tables(draw: st.DrawFn) -> tuple[pa.Table, str]:
    layout = draw(st.sampled_from(LAYOUTS))
    size = draw(st.integers(0, 20))
    # Few distinct texts, so that rows of one path (good and bad) meet in a group.
    text = st.sampled_from(["a", "a > b"]) | st.sampled_from(TEXTS) | st.none()
    texts = draw(st.lists(text, min_size=size, max_size=size))
    whole: st.SearchStrategy[object]
    amount: st.SearchStrategy[object]
    if layout == "text":
        whole = st.sampled_from(WHOLE_TEXTS) | st.sampled_from(["0", "1", "1", "2", "-1"])
        counts_type = pa.string()
    else:
        whole = st.one_of(st.sampled_from([0, 1, 1, 2, -1, None]), st.integers(-3, 3))
        counts_type = pa.int32() if layout == "integers" else pa.int64()
    if layout in ("text", "mixed"):
        amount = st.sampled_from(AMOUNT_TEXTS) | st.sampled_from(["0", "0", "3.25", "-1"])
        value_type: pa.DataType = pa.string()
    elif layout == "integers":
        amount = st.sampled_from([0, 0, 250, 1, -1, None])
        value_type = pa.int64()
    else:
        amount = st.one_of(
            st.sampled_from([Decimal(0), Decimal(0), Decimal("12.50"), Decimal("-1.00"), None]),
            st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
        )
        value_type = pa.decimal128(10, 2)
    columns = {
        "path": pa.array(texts, pa.string()),
        "total_conversions": pa.array(
            draw(st.lists(whole, min_size=size, max_size=size)), counts_type
        ),
    }
    if layout != "bare":
        columns["total_null"] = pa.array(
            draw(st.lists(whole, min_size=size, max_size=size)), counts_type
        )
        columns["total_conversion_value"] = pa.array(
            draw(st.lists(amount, min_size=size, max_size=size)), value_type
        )
    return pa.table(columns), draw(st.sampled_from([" > ", ">", "|"]))


def _row_by_row(source: object, separator: str) -> LoadedPaths:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths_module, "_by_columns", lambda *_: None)
        return read_paths(source, separator=separator)


NAMES = ("path", "total_conversions", "total_null", "total_conversion_value")


@settings(max_examples=120, deadline=None)
@given(_tables())
def test_the_whole_table_reading_equals_the_row_by_row_reading(
    drawn: tuple[pa.Table, str],
) -> None:
    table, separator = drawn
    assert paths_module._by_columns(table, NAMES, separator) is not None
    assert read_paths(table, separator=separator) == _row_by_row(table, separator)


@settings(max_examples=60, deadline=None)
@given(_tables(), st.randoms(use_true_random=False))
def test_the_reading_does_not_depend_on_the_order_of_the_rows(
    drawn: tuple[pa.Table, str], random: Random
) -> None:
    table, separator = drawn
    order = list(range(table.num_rows))
    random.shuffle(order)
    shuffled = table.take(pa.array(order, pa.int64()))
    given_order, reordered = (
        read_paths(table, separator=separator),
        read_paths(shuffled, separator=separator),
    )
    assert reordered.paths == given_order.paths

    def located(loaded: LoadedPaths, rows: list[int]) -> list[tuple[int, str | None, str]]:
        return sorted(
            (rows[int(str(p.source).rsplit(":", 1)[1]) - 1], p.field, p.message)
            for p in loaded.problems
        )

    assert located(reordered, order) == located(given_order, list(range(table.num_rows)))


@settings(max_examples=40, deadline=None)
@given(_tables())
def test_a_csv_file_reads_the_same_by_columns_and_by_rows(drawn: tuple[pa.Table, str]) -> None:
    table, separator = drawn
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "paths.csv"
        with file.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.column_names)
            for row in table.to_pylist():
                writer.writerow(["" if cell is None else str(cell) for cell in row.values()])
        arrow = paths_module._table(file, "paths")[0]
        assert paths_module._by_columns(arrow, NAMES, separator) is not None
        loaded = read_paths(file, separator=separator)
        assert loaded == _row_by_row(file, separator)
        assert all(str(p.source).startswith("paths.csv:") for p in loaded.problems)


def test_a_text_that_does_not_parse_gives_a_problem_on_each_of_its_rows() -> None:
    table = pa.table(
        {
            "path": ["a >  > b", "a", "a >  > b", "a > b"],
            "total_conversions": [1, 1, 2, -1],
            "total_null": [0, 0, 0, 0],
        }
    )
    assert paths_module._by_columns(table, NAMES, " > ") is not None
    loaded = read_paths(table)
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("paths:1", "path"),
        ("paths:3", "path"),
        ("paths:4", "total_conversions"),
    ]
    assert [(r.channels, r.conversions) for r in loaded.paths.rows] == [(("a",), 1)]


def test_a_value_without_conversions_is_a_problem_beside_a_good_row_of_its_path() -> None:
    table = pa.table(
        {
            "path": ["a", "a", "b"],
            "total_conversions": [1, 0, 0],
            "total_null": ["0", "1", "2"],
            "total_conversion_value": pa.array(
                [Decimal(1), Decimal(5), Decimal(0)], pa.decimal128(10, 2)
            ),
        }
    )
    loaded = read_paths(table)
    assert [(r.channels, r.conversions, r.non_conversions, r.value) for r in loaded.paths.rows] == [
        (("a",), 1, 0, Fraction(1)),
        (("b",), 0, 2, Fraction(0)),
    ]
    assert [(p.source, p.field, p.message) for p in loaded.problems] == [
        ("paths:2", "path", "expected 0 when there are no conversions, got 'a'")
    ]
    assert loaded == _row_by_row(table, " > ")


def test_sums_beyond_int64_or_wide_decimals_are_read_row_by_row_exactly() -> None:
    big = pa.table({"path": ["a", "a"], "total_conversions": [2**62, 2**62]})
    assert paths_module._by_columns(big, NAMES, " > ") is None
    assert read_paths(big).paths.rows[0].conversions == 2**63
    unsigned = pa.table({"path": ["a"], "total_conversions": pa.array([2**64 - 1], pa.uint64())})
    assert paths_module._by_columns(unsigned, NAMES, " > ") is None
    assert read_paths(unsigned).paths.rows[0].conversions == 2**64 - 1
    wide = pa.table(
        {
            "path": ["a", "a"],
            "total_conversions": [1, 1],
            "total_conversion_value": pa.array(
                [Decimal("9" * 36 + ".99")] * 2, pa.decimal128(38, 2)
            ),
        }
    )
    assert paths_module._by_columns(wide, NAMES, " > ") is None
    assert read_paths(wide).paths.rows[0].value == 2 * Fraction(Decimal("9" * 36 + ".99"))


def test_good_rows_are_read_without_a_python_step_per_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 20_000
    table = pa.table(
        {
            "path": pa.array(["a > b", "b", "c > a > b", "a"] * (size // 4)),
            "total_conversions": pa.array([1, 0, 1, 0] * (size // 4), pa.int64()),
            "total_null": pa.array([0, 1, 0, 1] * (size // 4), pa.int64()),
            "total_conversion_value": pa.array(
                [Decimal("12.50"), Decimal(0), Decimal("0.01"), Decimal(0)] * (size // 4),
                pa.decimal128(12, 2),
            ),
        }
    )
    pq.write_table(table, tmp_path / "journeys.parquet")
    judged: list[object] = []
    row = paths_module._row

    def counted(*cells: Any) -> object:
        judged.append(cells)
        return row(*cells)

    monkeypatch.setattr(paths_module, "_row", counted)
    loaded = read_paths(tmp_path / "journeys.parquet")
    assert judged == []
    assert loaded.problems == ()
    assert loaded.paths.conversions == size // 2
    assert loaded.paths.value == Fraction(Decimal("12.51")) * (size // 4)


def test_polars_text_and_dictionary_columns_are_read_by_columns_too() -> None:
    table = pa.table(
        {
            "path": ["a > b", "b", "a > b", "a >  > b"],
            "total_conversions": ["1", "0", "2", "1"],
            "total_null": [0, 3, 0, 0],
            "total_conversion_value": ["10.50", "0", "1.25", "1"],
        }
    )
    polars = pytest.importorskip("polars")
    frame = polars.from_arrow(table)
    arrow = pa.table(frame)
    assert pa.types.is_string_view(arrow.schema.field("path").type)
    assert paths_module._by_columns(arrow, NAMES, " > ") is not None
    coded = table.set_column(0, "path", table.column("path").dictionary_encode())
    assert paths_module._by_columns(coded, NAMES, " > ") is not None
    expected = _row_by_row(table, " > ")
    assert [(p.source, p.field) for p in expected.problems] == [("paths:4", "path")]
    for source in (table, frame, coded):
        assert read_paths(source) == expected


def test_a_value_finer_than_a_decimal_column_is_written_as_text_and_reads_back() -> None:
    tiny = Paths.of([PathCount(channels=("a",), conversions=1, non_conversions=0, value="1e-50")])
    column = paths_table(tiny).column("total_conversion_value")
    assert column.to_pylist() == ["1E-50"]
    assert read_paths(paths_table(tiny)).paths == tiny
