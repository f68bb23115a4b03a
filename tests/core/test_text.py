"""Safe text for spreadsheets, CSV files and terminals."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.text import csv_line, csv_text, escape_cell, printable, unescape_cell

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@given(st.text())
def test_unescape_inverts_escape(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value


@given(st.text())
def test_an_escaped_cell_never_starts_a_formula(value: str) -> None:
    escaped = escape_cell(value)
    assert not escaped.startswith(_FORMULA) or escaped.lstrip("-").replace(".", "", 1).isdigit()


def test_a_name_that_starts_with_a_quote_is_told_from_an_escaped_formula() -> None:
    assert escape_cell("=1+1") == "'=1+1"
    assert escape_cell("'=1+1") == "''=1+1"
    assert escape_cell("-6.05") == "-6.05"
    assert escape_cell("O'Neil") == "O'Neil"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_a_csv_line_reads_back_to_the_same_cells(cells: list[str]) -> None:
    line = csv_line(cells)
    assert line.endswith("\n")
    assert next(csv.reader(io.StringIO(line, newline=""))) == cells


def test_a_bare_carriage_return_is_quoted() -> None:
    assert csv_line(["a\rb", "c"]) == '"a\rb",c\n'
    text = csv_text(["name", "x"], [["a\rb", "1"], ["plain", "2"]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "x"],
        ["a\rb", "1"],
        ["plain", "2"],
    ]


@given(st.text())
def test_printable_text_holds_no_control_character(value: str) -> None:
    shown = printable(value)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in shown)
    assert "\u202e" not in shown


def test_printable_keeps_accents_and_emoji() -> None:
    assert printable("Léa 💄") == "Léa 💄"
    assert printable("a\x1b[2Jb\rc") == "a\\x1b[2Jb\\rc"
