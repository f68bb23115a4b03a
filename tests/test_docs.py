"""The examples in the user documentation run as written.

Every page of ``docs/`` is run as a doctest: a new page is covered as soon as it is
written. The notebook ``docs/deal-evaluation.ipynb`` has its own test.
"""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import pytest

from hybridroi.domain import policy
from hybridroi.events import intake
from hybridroi.files import campaign_to_json, parse_campaign, parse_events
from hybridroi.rules import Cap, NetworkFee, PercentRate, ThresholdBonus, TieredRate

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.glob("*.md"))

# The documented places to import from; an example imports a name from one of them
# whenever one exports it.
NAMESPACES = (
    "hybridroi",
    "hybridroi.attribution",
    "hybridroi.core",
    "hybridroi.evaluation",
    "hybridroi.files",
    "hybridroi.ledger",
    "hybridroi.rules",
    "hybridroi.serialization",
)
IMPORT = re.compile(r"^(?:>>> )?from (hybridroi[\w.]*) import ([\w, ]+)$", re.MULTILINE)


def _documented() -> dict[str, set[str]]:
    """Each name of a documented namespace, with the namespaces that export it."""
    places: dict[str, set[str]] = {}
    for namespace in NAMESPACES:
        for name in getattr(importlib.import_module(namespace), "__all__", ()):
            places.setdefault(name, set()).add(namespace)
    return places


def _undocumented_imports(text: str) -> list[str]:
    """``module.name`` for each name imported from elsewhere than its documented place."""
    places = _documented()
    found = []
    for module, names in IMPORT.findall(text):
        for name in (part.strip() for part in names.split(",")):
            if name in places and module not in places[name]:
                found.append(f"{module}.{name} (from {' or '.join(sorted(places[name]))})")
    return found


def _code_blocks(page: Path) -> list[str]:
    """The fenced ``python`` blocks of ``page``."""
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_every_page_is_found() -> None:
    names = {page.name for page in PAGES}
    assert {"ledger.md", "money.md", "report.md", "statements.md"} <= names


def test_an_import_from_a_module_behind_a_namespace_is_found() -> None:
    text = ">>> from hybridroi.core.money import Money\nfrom hybridroi.ledger.store import Ledger\n"
    assert _undocumented_imports(text) == [
        "hybridroi.core.money.Money (from hybridroi or hybridroi.core)",
        "hybridroi.ledger.store.Ledger (from hybridroi.ledger)",
    ]
    assert _undocumented_imports(">>> from hybridroi import Money, run\n") == []


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_documentation_examples_run(page: Path) -> None:
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.failed == 0
    blocks = _code_blocks(page)
    # A Python example is a doctest, so that it runs here: none is shown without being run.
    for block in blocks:
        assert block.lstrip().startswith(">>>"), f"{page.name}: not a doctest:\n{block}"
    assert (result.attempted > 0) == bool(blocks)
    assert _undocumented_imports(page.read_text(encoding="utf-8")) == []


def test_module_examples_run() -> None:
    for module in (policy, intake):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0


def _blocks(name: str, fence: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(rf"```{fence}\n(.*?)```", text, flags=re.S)


def test_the_campaign_file_example_loads_and_round_trips() -> None:
    (example,) = _blocks("campaign-file.md", "toml")
    campaign = parse_campaign(example, format="toml", source="campaign-file.md")
    assert [p.id for p in campaign.partners] == ["camille", "theo", "leblog", "bonsplans"]
    blog = next(d for d in campaign.deals if d.partner_id == "leblog")
    assert [type(r) for r in blog.rules] == [TieredRate, ThresholdBonus, Cap, NetworkFee]
    coupons = next(d for d in campaign.deals if d.partner_id == "bonsplans")
    assert isinstance(coupons.rules[0], PercentRate)
    assert len(coupons.rules[0].conditions) == 1
    assert tuple(campaign.attribution.dedupe_channels) == ("paid_search",)
    text = campaign_to_json(campaign)
    assert parse_campaign(text, format="json") == parse_campaign(text, format="json")
    assert json.loads(campaign_to_json(parse_campaign(text, format="json"))) == json.loads(text)


def test_the_csv_and_json_lines_examples_hold_the_same_valid_events() -> None:
    csv_text, jsonl_text = _blocks("files.md", "")[:2]
    from_csv = parse_events(csv_text, format="csv", source="docs csv")
    from_jsonl = parse_events(jsonl_text, format="jsonl", source="docs jsonl")
    assert from_csv.problems == ()
    assert from_jsonl.problems == ()
    assert from_csv.rows == 8  # 3 touches, a sale, 2 items, a refund, statistics
    assert from_csv.events == from_jsonl.events
    assert from_csv.stats == from_jsonl.stats
    assert len(from_csv.conversions[0].items) == 2
