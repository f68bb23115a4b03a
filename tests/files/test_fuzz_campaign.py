"""Fuzzing the campaign-file edge: mutated TOML and JSON definitions never escape as a traceback.

Every mutated document read by :func:`parse_campaign` (or, as bytes, by :func:`load_campaign`)
yields a :class:`Campaign` or a :class:`DocumentError` whose every message is located (a key
path ``@ $...``, or a line or offset); every campaign accepted survives
``campaign_to_json`` -> ``parse_campaign`` unchanged.
"""

from __future__ import annotations

import json
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridroi.demo.cosmetics import demo_campaign
from hybridroi.domain.campaign import Campaign
from hybridroi.files.campaign import campaign_to_json, load_campaign, parse_campaign
from hybridroi.serialization import DocumentError

DOC = Path(__file__).resolve().parents[2] / "docs" / "campaign-file.md"
LOCATED = re.compile(r" @ \$|\bline \d+|\boffset \d+")

# Values written textually in place of a key's value, per format.
TOML_VALUES = (
    "true",
    "false",
    "0",
    "-1",
    "1.9",
    "1" * 5000,
    "9" * 80,
    "1e999999",
    "nan",
    "inf",
    "[]",
    '[1, "a"]',
    "{ a = 1 }",
    '""',
    '" "',
    '"false"',
    '"²"',
    '"١٢"',
    '"\\u0000"',
    '"\\u001b[31mred"',
    '"a\\rb"',
    '"=1+1"',
    '"10000 years"',
    '"10^30 days"',
    '"-1 days"',
    '"eur"',
    "2026-03-07T10:15:00",
    "0001-01-01T00:00:00Z",
    '"0001-01-01T00:00:00+00:00"',
    '"2026-03-07T10:15:00"',
    '"9999-12-31T23:59:59-14:00"',
    '"FREQ=SECONDLY;COUNT=100000000"',
)
JSON_VALUES = (
    "true",
    "false",
    "null",
    "0",
    "-1",
    "1.9",
    "1" * 5000,
    "9" * 80,
    "1e999999",
    "NaN",
    "Infinity",
    "[]",
    '[1, "a"]',
    "{}",
    '{"a": 1}',
    '""',
    '" "',
    '"false"',
    '"²"',
    '"١٢"',
    '"\\u0000"',
    '"\\u001b[31mred"',
    '"a\\rb"',
    '"=1+1"',
    '"10000 years"',
    '"10^30 days"',
    '"-1 days"',
    '"eur"',
    '"2026-03-07T10:15:00"',
    '"0001-01-01T00:00:00+00:00"',
    '"9999-12-31T23:59:59-14:00"',
    '"FREQ=SECONDLY;COUNT=100000000"',
)


@cache
def toml_seed() -> str:
    """The TOML example of docs/campaign-file.md (its first ``toml`` block)."""
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return str(blocks[0])


@cache
def json_seed() -> str:
    """The demo campaign, written by the library's own JSON writer."""
    return campaign_to_json(demo_campaign())


# Retyping is drawn most often: it is the mutation that most often leaves a campaign to accept.
ACTIONS = ("delete", "duplicate", "retype", "retype", "retype", "deep")
DEPTHS = (2, 40, 3000)


def _deep(depth: int, fmt: str) -> str:
    if fmt == "toml":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    """The docs' TOML example with one or two of its ``key = value`` lines mutated."""
    lines = toml_seed().splitlines()
    for _ in range(draw(st.integers(1, 2))):
        keyed = [index for index, line in enumerate(lines) if " = " in line]
        index = draw(st.sampled_from(keyed))
        key = lines[index].split(" = ", 1)[0]
        action = draw(st.sampled_from(ACTIONS))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "retype":
            lines[index] = f"{key} = {draw(st.sampled_from(TOML_VALUES))}"
        else:
            lines[index] = f"{key} = {_deep(draw(st.sampled_from(DEPTHS)), 'toml')}"
    return "\n".join(lines) + "\n"


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*path, index)))
    return found


_MARK = "__fuzzed_value__"


@st.composite
def json_documents(draw: st.DrawFn) -> str:
    """The demo campaign's JSON with one value deleted, retyped, repeated or nested deeply."""
    document = json.loads(json_seed())
    path = draw(st.sampled_from(_paths(document)))
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = draw(st.sampled_from(ACTIONS))
    if action == "delete":
        del parent[last]
        return json.dumps(document, indent=2, ensure_ascii=False)
    if action == "duplicate" and isinstance(parent, dict):
        # The key is written twice: first with a drawn value, then with its own.
        original = json.dumps(parent[last], ensure_ascii=False)
        parent[last] = _MARK
        text = json.dumps(document, indent=2, ensure_ascii=False)
        repeated = f"{draw(st.sampled_from(JSON_VALUES))}, {json.dumps(last)}: {original}"
        return text.replace(json.dumps(_MARK), repeated, 1)
    parent[last] = _MARK
    text = json.dumps(document, indent=2, ensure_ascii=False)
    value = (
        _deep(draw(st.sampled_from(DEPTHS)), "json")
        if action == "deep"
        else draw(st.sampled_from(JSON_VALUES))
    )
    return text.replace(json.dumps(_MARK), value, 1)


@st.composite
def document_bytes(draw: st.DrawFn) -> tuple[bytes, str]:
    """A seed, as bytes, with a few bytes flipped or invalid UTF-8 inserted."""
    fmt = draw(st.sampled_from(["toml", "json"]))
    data = bytearray((toml_seed() if fmt == "toml" else json_seed()).encode())
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data[index] ^= 1 << draw(st.integers(0, 7))
        else:
            data[index:index] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
    return bytes(data), fmt


def _check(outcome: Campaign | DocumentError) -> None:
    if isinstance(outcome, DocumentError):
        assert outcome.problems
        for problem in outcome.problems:
            assert LOCATED.search(problem), problem
        return
    again = parse_campaign(campaign_to_json(outcome), format="json")
    assert again == outcome


def _parse(text: str, fmt: str) -> Campaign | DocumentError:
    try:
        return parse_campaign(text, format=fmt, source=f"fuzz.{fmt}")
    except DocumentError as error:
        return error
    # Any other exception, a HybridRoiError included, fails the test with its traceback.


FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(text=toml_documents())
def test_a_mutated_toml_campaign_is_read_or_refused_located(text: str) -> None:
    _check(_parse(text, "toml"))


@FUZZ
@given(text=json_documents())
def test_a_mutated_json_campaign_is_read_or_refused_located(text: str) -> None:
    _check(_parse(text, "json"))


@FUZZ
@given(document=document_bytes())
def test_a_campaign_file_with_flipped_bytes_is_read_or_refused_located(
    document: tuple[bytes, str],
) -> None:
    data, fmt = document
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"campaign.{fmt}"
        path.write_bytes(data)
        try:
            outcome: Campaign | DocumentError = load_campaign(path)
        except DocumentError as error:
            outcome = error
    _check(outcome)


def test_the_seeds_are_accepted() -> None:
    for text, fmt in ((toml_seed(), "toml"), (json_seed(), "json")):
        outcome = _parse(text, fmt)
        assert isinstance(outcome, Campaign), outcome
        _check(outcome)
