"""Fuzzing the event-file edge: mutated CSV and JSON Lines documents never escape as a traceback.

Every mutated document read by :func:`parse_events` or :func:`read_event_files` yields
records and located problems, or an :class:`EventFileError` with a clear message; every
record accepted survives a round trip through :func:`format_events`, in both formats.

The strategies (:func:`csv_documents`, :func:`jsonl_documents`, :func:`document_bytes`) are
plain functions of this module so that a benchmark with a larger budget can import them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import HybridRoiError
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.files.events import (
    EventFileError,
    LoadedEvents,
    format_events,
    parse_events,
    read_event_files,
)

CSV_SEED = """\
type,id,kind,instant,customer_key,partner_id,channel,content_id,conversion_id,revenue,currency,new_customer,sku,quantity,unit_price,category,amount,as_of,views,likes
touch,T-1,view,2026-03-06T12:00:00+01:00,cust-1,lea,,lea-tt-1,,,,,,,,,,,,
touch,T-2,click,2026-03-07T09:00:00+01:00,cust-1,coupons,,,,,,,,,,,,,,
sale,S-1,,2026-03-07T10:00:00+01:00,cust-1,,,,,84.00,EUR,true,,,,,,,,
item,,,,,,,,S-1,,EUR,,SERUM-30,1,60.00,skincare,,,,
item,,,,,,,,S-1,,EUR,,LIP-01,2,12.00,makeup,,,,
refund,R-1,chargeback,2026-03-20T10:00:00+01:00,,,,,S-1,,EUR,,,,,,12.00,,,
stats,,,,,,,lea-tt-1,,,,,,,,,,2026-03-10T00:00:00+01:00,10000,500
"""
"""A valid CSV event file with every record type: the document the mutations start from."""

JSONL_SEED: list[dict[str, Any]] = [
    {
        "type": "touch",
        "id": "T-1",
        "kind": "click",
        "instant": "2026-03-07T09:00:00Z",
        "customer_key": "c1",
        "partner_id": "coupons",
    },
    {
        "type": "sale",
        "id": 17,
        "instant": "2026-03-07T10:00:00+01:00",
        "customer_key": "c1",
        "revenue": "84.10",
        "currency": "EUR",
        "new_customer": True,
        "items": [{"sku": "SERUM-30", "quantity": 1, "unit_price": "84.10", "category": "skin"}],
    },
    {
        "type": "refund",
        "id": "R-1",
        "conversion_id": "17",
        "instant": "2026-03-09T10:00:00+01:00",
        "amount": "10.00",
        "currency": "EUR",
    },
    {
        "type": "stats",
        "content_id": "V-1",
        "as_of": "2026-03-10T00:00:00+00:00",
        "views": 2500,
        "shares": 3,
    },
]
"""Valid JSON Lines records of every type: the objects the mutations start from."""

ODD_TEXT = [
    "",
    " ",
    "\ufeff",
    "\x00",
    "\r",
    "\x1c",
    "\u2028",
    '"',
    "'=1+1",
    "=HYPERLINK(1)",
    "\u00b2",
    "\u0661\u0662",
    "1_000",
    "NaN",
    "-Infinity",
    "1e999999",
    "9" * 5000,
    "x" * 140_000,
    "eur",
    "2026-03-07 09:00",
    "0001-01-01T00:00:00+01:00",
    "\ud800",
]
"""Values that have broken readers: blanks, controls, formulas, odd digits, huge values."""

ODD_JSON = [
    "null",
    "true",
    "[]",
    '["sale"]',
    '{"a": 1}',
    "1.5",
    "-1",
    "1e999999",
    "9" * 5000,
    "NaN",
    "Infinity",
    "[" * 3000 + "]" * 3000,
    '"\\ud800"',
    '"eur"',
]
"""JSON values of the wrong type or shape for any field."""

_CHARS = st.sampled_from([",", '"', "\n", "\r", "'", "=", "-", "\ufeff", "\x00", "{", "}", ":"])


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few characters flipped, removed or inserted."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["flip", "remove", "insert", "odd"]))
        if how == "flip":
            text = text[:at] + draw(_CHARS | st.characters()) + text[at + 1 :]
        elif how == "remove":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif how == "insert":
            text = text[:at] + draw(_CHARS) + text[at:]
        else:
            text = text[:at] + draw(st.sampled_from(ODD_TEXT)) + text[at:]
    return text


@st.composite
def csv_documents(draw: st.DrawFn) -> str:
    """CSV event files: the seed with columns repeated or removed, odd cells, flipped text."""
    rows = [line.split(",") for line in CSV_SEED.splitlines()]
    width = len(rows[0])
    for _ in range(draw(st.integers(0, 2))):
        column = draw(st.integers(0, width - 1))
        how = draw(st.sampled_from(["repeat", "remove"]))
        for row in rows:
            if how == "repeat":
                row.append(row[column])
            else:
                del row[column]
        width = len(rows[0])
        if width == 0:
            break
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.sampled_from(rows))
        if row:
            row[draw(st.integers(0, len(row) - 1))] = draw(st.sampled_from(ODD_TEXT))
    lines = [",".join(row) for row in rows]
    chosen = draw(st.lists(st.sampled_from(lines[1:]), max_size=6)) if len(lines) > 1 else []
    text = "\n".join([lines[0], *chosen]) + draw(st.sampled_from(["\n", "\r\n", ""]))
    return draw(text_mutations(text))


@st.composite
def jsonl_documents(draw: st.DrawFn) -> str:
    """JSON Lines event files: seed objects with keys repeated or removed, odd values."""
    lines = []
    for record in draw(st.lists(st.sampled_from(JSONL_SEED), max_size=5)):
        pairs = [(key, json.dumps(value)) for key, value in record.items()]
        for _ in range(draw(st.integers(0, 2))):
            at = draw(st.integers(0, len(pairs) - 1))
            how = draw(st.sampled_from(["odd", "repeat", "remove"]))
            if how == "odd":
                pairs[at] = (pairs[at][0], draw(st.sampled_from(ODD_JSON)))
            elif how == "repeat":
                pairs.append((pairs[at][0], draw(st.sampled_from(ODD_JSON))))
            elif len(pairs) > 1:
                del pairs[at]
        lines.append("{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}")
    return draw(text_mutations("\n".join(lines) + "\n"))


@st.composite
def document_bytes(draw: st.DrawFn, document: str) -> bytes:
    """A document as the bytes of a file, maybe with a byte-order mark and a flipped byte."""
    data = document.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if data and draw(st.booleans()):
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


Record = Touch | Conversion | Refund | ContentStats


def accepted(loaded: LoadedEvents) -> list[Record]:
    """The records of ``loaded`` that one file can hold together: a sale id once."""
    seen: set[str] = set()
    records: list[Record] = [*loaded.touches, *loaded.refunds, *loaded.stats]
    for conversion in loaded.conversions:
        if conversion.id not in seen:
            seen.add(conversion.id)
            records.append(conversion)
    return records


def check_read(loaded: LoadedEvents) -> None:
    """Every problem is located, and every accepted record reads back equal from both formats."""
    assert all(problem.source for problem in loaded.problems), loaded.problems
    records = accepted(loaded)
    for fmt in ("csv", "jsonl"):
        back = parse_events(format_events(records, format=fmt), format=fmt)
        assert [p for p in back.problems if not p.subject.startswith("stats:")] == []
        assert back.touches == tuple(r for r in records if isinstance(r, Touch))
        assert back.conversions == tuple(r for r in records if isinstance(r, Conversion))
        assert back.refunds == tuple(r for r in records if isinstance(r, Refund))
        assert back.stats == tuple(r for r in records if isinstance(r, ContentStats))


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(document=csv_documents())
@example(document=CSV_SEED.replace("revenue,", "revenue,revenue,", 1))
def test_mutated_csv_documents_give_records_and_located_problems(document: str) -> None:
    check_read(parse_events(document, format="csv", source="fuzz.csv"))


@FUZZ
@given(document=jsonl_documents())
@example(document='{"type": ["sale"], "id": "S"}\n')
def test_mutated_jsonl_documents_give_records_and_located_problems(document: str) -> None:
    check_read(parse_events(document, format="jsonl", source="fuzz.jsonl"))


@settings(FUZZ, max_examples=40)
@given(
    data=st.data(),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_mutated_event_files_give_records_or_one_clear_error(data: st.DataObject, fmt: str) -> None:
    document = data.draw(csv_documents() if fmt == "csv" else jsonl_documents())
    content = data.draw(document_bytes(document))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"events.{fmt}"
        path.write_bytes(content)
        try:
            loaded = read_event_files([path])
        except EventFileError as error:
            failure: HybridRoiError | None = error
        else:
            failure = None
    if failure is not None:
        # The only file-level failure left is text that is not UTF-8.
        assert "UTF-8" in str(failure)
        return
    check_read(loaded)
