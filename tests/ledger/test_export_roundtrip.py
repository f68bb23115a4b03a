"""Every file the ledger writes reads back to the same values and is safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.text import unescape_cell
from hybridroi.ledger.export import COLUMNS, PartnerStatement, read_csv, to_csv, to_json
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.memory import MemoryLedgerStore

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
AWKWARD = ("S-1", "S 2", "a,b", 'say "hi"', "cr\rinside", "lf\ninside", "=1+1", "'=1+1", "-2+3")


def _statement(sources: tuple[str, ...], explanation: str, rule_id: str) -> PartnerStatement:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    line = make_line(
        "commission:C-1:R", eur("10.00"), SALE, sources=sources, explanation=explanation
    )
    other = make_line("commission:C-2:R", eur("5.00"), SALE, rule_id=rule_id)
    ledger.post(make_run(SALE, {"aff-1": [line, other]}))
    ledger.post(make_run(SALE + timedelta(days=2), {"aff-1": [line]}))
    store = ledger.store
    return PartnerStatement.build(
        "aff-1", store.entries(), store.batches(), SALE + timedelta(days=3)
    )


def test_source_ids_with_spaces_commas_quotes_and_line_breaks_read_back() -> None:
    statement = _statement(AWKWARD, "10% of C-1\r\nthen =SUM(A1)", "@rule")
    text = to_csv(statement)
    rows = read_csv(text)
    assert rows == statement.rows()
    assert json.loads(rows[0]["source_ids"]) == list(AWKWARD)
    # The cell itself is a JSON array, readable by any CSV reader.
    raw = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(raw) == 3
    assert json.loads(unescape_cell(raw[0]["source_ids"])) == list(AWKWARD)
    assert raw[1]["rule_id"] == "'@rule"


def test_no_cell_starts_a_formula_and_every_line_ends_in_a_line_feed() -> None:
    text = to_csv(_statement(AWKWARD, "=HYPERLINK(1)", "+rule"))
    assert text.endswith("\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    # A bare carriage return is always inside a quoted cell: no reader splits a row on it.
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 4


def test_the_json_export_reads_back_to_the_same_values() -> None:
    statement = _statement(AWKWARD, "x\ry", "R-1")
    document = json.loads(to_json(statement))
    assert document["entries"] == [
        {**row, "source_ids": list(entry.source_ids)}
        for row, entry in zip(statement.rows(), statement.entries, strict=True)
    ]


def test_the_header_is_the_documented_columns() -> None:
    text = to_csv(_statement(("S-1",), "e", "R-1"))
    assert text.splitlines()[0].split(",") == list(COLUMNS)


_ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x1e\x1f"), min_size=1
).filter(lambda s: s == s.strip())


@settings(max_examples=60, deadline=None)
@given(
    sources=st.lists(_ids, min_size=1, max_size=4).map(tuple),
    explanation=st.text(min_size=1).filter(str.strip),
    rule_id=_ids,
)
def test_csv_export_then_read_back_is_identity(
    sources: tuple[str, ...], explanation: str, rule_id: str
) -> None:
    statement = _statement(sources, explanation, rule_id)
    assert read_csv(to_csv(statement)) == statement.rows()
    document = json.loads(to_json(statement))
    assert [tuple(e["source_ids"]) for e in document["entries"]] == [
        e.source_ids for e in statement.entries
    ]
