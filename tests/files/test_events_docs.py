"""The event file examples in docs/files.md and docs/report.md are complete and run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from hybridroi.files.events import parse_events

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(name: str) -> list[str]:
    return re.findall(r"```\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.DOTALL)


def test_the_csv_and_json_lines_examples_hold_the_same_valid_events() -> None:
    csv_text, jsonl_text = blocks("files.md")[:2]
    from_csv = parse_events(csv_text, format="csv", source="docs csv")
    from_jsonl = parse_events(jsonl_text, format="jsonl", source="docs jsonl")
    assert from_csv.problems == ()
    assert from_jsonl.problems == ()
    assert from_csv.rows == 8  # 3 touches, a sale, 2 items, a refund, statistics
    assert from_csv.events == from_jsonl.events
    assert from_csv.stats == from_jsonl.stats
    assert len(from_csv.conversions[0].items) == 2


@pytest.mark.parametrize("name", ["files.md", "report.md"])
def test_documentation_examples_run(name: str) -> None:
    result = doctest.testfile(
        str(DOCS / name), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0
