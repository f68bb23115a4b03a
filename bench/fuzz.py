"""Fuzzing: thousands of mutated input files through both file edges and the command line.

Usage::

    python bench/fuzz.py [INPUTS] [--seed SEED]

INPUTS is the number of mutated documents tried per target (default 2,000). The
targets are the event-file edge (CSV and JSON Lines, through ``parse_events``), the
campaign-file edge (TOML and JSON, through ``parse_campaign``) and the command line
(``hybridroi validate`` and ``report`` on mutated files, through ``cli.main``).

The seed documents are the bundled demo campaign and a slice of its events, written
by the library's own writers, and the TOML example of docs/campaign-file.md. Each
mutation is drawn from a fixed seed: byte flips, insertions and truncations, invalid
UTF-8 and byte-order marks, repeated or missing lines, columns and keys, and odd
values (huge numbers and fields, non-ASCII digits, control characters, formula-like
text, deep nesting, naive or out-of-range instants, wrong types).

Every outcome is counted by kind. An input must end in records (with or without
located problems) or in a library error (a ``HybridRoiError``); the command line must
exit with 0, 1 or 2 and never print a traceback; and every accepted record must read
back equal through the library's own writers. Anything else is a failure: it is
printed with a reproducer, and the script exits with status 1.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hybridroi import cli
from hybridroi.core.errors import HybridRoiError
from hybridroi.demo.cosmetics import demo_campaign, demo_data
from hybridroi.files.campaign import campaign_to_json, load_campaign, parse_campaign
from hybridroi.files.events import format_events, parse_events, read_event_files
from hybridroi.files.writer import Record

DOCS = Path(__file__).resolve().parents[1] / "docs" / "campaign-file.md"

ODD_VALUES: tuple[str, ...] = (
    "",
    " ",
    "²",
    "١٢",
    "1" * 5000,
    "9" * 80,
    "x" * 140_000,
    "=1+1",
    "'=1+1",
    "a\rb",
    "\x1b[31mred",
    "\u202eevil",
    "NaN",
    "Infinity",
    "-1",
    "-0.01",
    "1e999999",
    "0.0005",
    "eur",
    "2026-03-07T10:15:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-14:00",
    "10000 years",
    "10^30 days",
    "true",
    "false",
    "[]",
    "{}",
    "null",
    "FREQ=SECONDLY;COUNT=100000000",
)
"""Text that real exports, spreadsheets and attackers put in a field."""

JSON_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.9,
    "__BIG_INT__",
    [],
    {},
    ["sale"],
    {"amount": "1", "currency": "EUR"},
    *ODD_VALUES,
)
"""Values of every JSON type, put in place of a field's value."""
_BIG_INT = '"__BIG_INT__"'  # json.dumps cannot write a 5,000-digit integer: put it in by hand


def _dumps(document: Any) -> str:
    return json.dumps(document).replace(_BIG_INT, "7" * 5000)


class Outcomes:
    """Counts of outcomes per target, with the first reproducers of each failure."""

    def __init__(self) -> None:
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self.failures: list[tuple[str, str, str]] = []

    def add(self, target: str, outcome: str) -> None:
        """Count one ``outcome`` of ``target``."""
        self.counts[target][outcome] += 1

    def fail(self, target: str, kind: str, document: str) -> None:
        """Count one failure of ``kind`` and keep its ``document`` as a reproducer."""
        self.counts[target][f"FAIL {kind}"] += 1
        if len(self.failures) < 20:
            self.failures.append((target, kind, document[:2_000]))


# --- mutations -------------------------------------------------------------------------


def _mutate_bytes(text: str, rng: random.Random) -> bytes:
    data = bytearray(text.encode("utf-8"))
    choice = rng.randrange(7)
    position = rng.randrange(len(data) + 1)
    if choice == 0 and data:
        data[min(position, len(data) - 1)] = rng.randrange(256)
    elif choice == 1:
        data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif choice == 2:
        del data[position : position + rng.randint(1, 64)]
    elif choice == 3:
        data = data[:position]
    elif choice == 4:
        data = bytearray(b"\xef\xbb\xbf") + data
    elif choice == 5:
        data[position:position] = b"\xff\xfe\x00"
    else:
        span = data[position : position + rng.randint(1, 200)]
        data[position:position] = span
    return bytes(data)


def _mutate_lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    index = rng.randrange(len(lines))
    choice = rng.randrange(5)
    if choice == 0:
        lines.insert(index, lines[index])
    elif choice == 1:
        del lines[index]
    elif choice == 2:
        lines.insert(index, rng.choice(["\n", "   \n", "\r\n", ""]))
    elif choice == 3:
        other = rng.randrange(len(lines))
        lines[index], lines[other] = lines[other], lines[index]
    else:
        lines = lines[: index + 1]
    return "".join(lines)


def _mutate_csv_cells(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    if not lines:
        return text
    header = lines[0].split(",")
    choice = rng.randrange(4)
    if choice == 0 and header:  # a repeated column
        column = rng.randrange(len(header))
        lines = [
            ",".join([*cells, cells[column]])
            for cells in (line.split(",") for line in lines)
            if len(cells) > column
        ]
    elif choice == 1 and header:  # a missing column
        column = rng.randrange(len(header))
        lines = [
            ",".join(cells[:column] + cells[column + 1 :])
            for cells in (line.split(",") for line in lines)
        ]
    else:
        for _ in range(rng.randint(1, 3)):
            index = rng.randrange(len(lines))
            cells = lines[index].split(",")
            value = rng.choice(ODD_VALUES)
            if any(mark in value for mark in ',"\r\n'):
                value = '"' + value.replace('"', '""') + '"'
            cells[rng.randrange(len(cells))] = value
            lines[index] = ",".join(cells)
    return "\n".join(lines) + "\n"


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_nodes(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nodes(item, (*path, index)))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _mutate_json_value(document: Any, rng: random.Random) -> str:
    paths = _nodes(document)
    path = rng.choice(paths)
    choice = rng.randrange(4)
    if choice == 0:
        return _dumps(_set(document, path, rng.choice(JSON_VALUES)))
    if choice == 1 and path:
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
        return _dumps(document)
    if choice == 2:  # a repeated key, written by hand: json.dumps cannot write one
        text = _dumps(document)
        keys = [match.start() for match in re.finditer(r'"[a-z_]+": ', text)]
        if keys:
            start = rng.choice(keys)
            end = text.index(",", start) if "," in text[start:] else len(text) - 1
            return text[:start] + text[start:end] + ", " + text[start:]
        return text
    depth = rng.choice([50, 1_000, 100_000])
    return _dumps(_set(document, path, None)).replace("null", "[" * depth + "]" * depth, 1)


def _mutate_jsonl(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    index = rng.randrange(len(lines))
    try:
        document = json.loads(lines[index])
    except json.JSONDecodeError:
        return text
    lines[index] = _mutate_json_value(document, rng)
    return "\n".join(lines) + "\n"


def _mutate_toml(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    values = [index for index, line in enumerate(lines) if " = " in line]
    if not values or rng.randrange(3) == 0:
        return _mutate_lines(text, rng)
    index = rng.choice(values)
    key = lines[index].split(" = ", 1)[0]
    replacement = rng.choice(
        [
            json.dumps(rng.choice(ODD_VALUES)),
            "1.9",
            "5" * 5000,
            "true",
            "[]",
            "{}",
            "1979-05-27T07:32:00",
            "inf",
            "nan",
            "[" * 5000 + "]" * 5000,
        ]
    )
    if rng.randrange(4) == 0:  # a repeated key
        lines.insert(index, f"{key} = {replacement}")
    else:
        lines[index] = f"{key} = {replacement}"
    return "\n".join(lines) + "\n"


# --- targets ---------------------------------------------------------------------------


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _file_target(
    target: str,
    read: Callable[[Path], object],
    data: bytes,
    *,
    fmt: str,
    outcomes: Outcomes,
    folder: Path,
) -> None:
    """Read ``data`` from a file, where the edge checks the encoding itself."""
    file = folder / f"fuzz.{fmt}"
    file.write_bytes(data)
    try:
        read(file)
    except HybridRoiError:
        outcomes.add(target, "file refused with a library error")
    except Exception as error:
        outcomes.fail(target, f"file: {type(error).__name__}: {error}"[:200], repr(data))
    else:
        outcomes.add(target, "file read")


def _events_target(
    seeds: dict[str, str], rng: random.Random, outcomes: Outcomes, folder: Path
) -> None:
    fmt = rng.choice(["csv", "jsonl"])
    seed = seeds[fmt]
    choice = rng.randrange(3)
    if choice == 0:
        data = _mutate_bytes(seed, rng)
        text = _decode(data)
        if text is None:  # not UTF-8: read from a file, where the edge checks the encoding
            _file_target(
                "events",
                lambda file: read_event_files([file]),
                data,
                fmt=fmt,
                outcomes=outcomes,
                folder=folder,
            )
            return
    elif choice == 1:
        text = _mutate_lines(seed, rng)
    else:
        text = _mutate_csv_cells(seed, rng) if fmt == "csv" else _mutate_jsonl(seed, rng)
    try:
        loaded = parse_events(text, format=fmt, source=f"fuzz.{fmt}")
    except HybridRoiError:
        outcomes.add("events", "refused with a library error")
        return
    except Exception as error:
        outcomes.fail("events", f"{type(error).__name__}: {error}"[:200], text)
        return
    outcomes.add("events", "records and problems" if loaded.problems else "records, no problem")
    records: list[Record] = [*loaded.touches, *loaded.conversions, *loaded.refunds, *loaded.stats]
    for other in ("csv", "jsonl"):
        try:
            again = parse_events(format_events(records, format=other), format=other)
        except Exception as error:
            outcomes.fail("events", f"round trip via {other}: {type(error).__name__}", text)
            return
        if [*again.touches, *again.conversions, *again.refunds, *again.stats] != records:
            outcomes.fail("events", f"round trip via {other} changed a record", text)
            return


def _campaign_target(
    seeds: dict[str, str], rng: random.Random, outcomes: Outcomes, folder: Path
) -> None:
    fmt = rng.choice(["toml", "json"])
    seed = seeds[fmt]
    choice = rng.randrange(3)
    if choice == 0:
        data = _mutate_bytes(seed, rng)
        text = _decode(data)
        if text is None:  # not UTF-8: read from a file, where the edge checks the encoding
            _file_target("campaign", load_campaign, data, fmt=fmt, outcomes=outcomes, folder=folder)
            return
    elif choice == 1 or fmt == "toml":
        text = _mutate_toml(seed, rng) if fmt == "toml" else _mutate_lines(seed, rng)
    else:
        text = _mutate_json_value(json.loads(seed), rng)
    try:
        campaign = parse_campaign(text, format=fmt, source=f"fuzz.{fmt}")
    except HybridRoiError:
        outcomes.add("campaign", "refused with a library error")
        return
    except Exception as error:
        outcomes.fail("campaign", f"{type(error).__name__}: {error}"[:200], text)
        return
    outcomes.add("campaign", "accepted")
    try:
        again = parse_campaign(campaign_to_json(campaign), format="json")
    except Exception as error:
        outcomes.fail("campaign", f"round trip: {type(error).__name__}: {error}"[:200], text)
        return
    if again != campaign:
        outcomes.fail("campaign", "round trip changed the campaign", text)


def _cli_target(
    seeds: dict[str, str], rng: random.Random, outcomes: Outcomes, folder: Path
) -> None:
    campaign_text = seeds["json"]
    events_fmt = rng.choice(["csv", "jsonl"])
    events: bytes = seeds[events_fmt].encode("utf-8")
    mutate = rng.randrange(3)
    if mutate == 0:
        campaign_bytes = _mutate_bytes(campaign_text, rng)
    elif mutate == 1:
        campaign_bytes = _mutate_json_value(json.loads(campaign_text), rng).encode("utf-8")
    else:
        campaign_bytes = campaign_text.encode("utf-8")
        events = (
            _mutate_bytes(seeds[events_fmt], rng)
            if rng.randrange(2)
            else (
                _mutate_csv_cells(seeds["csv"], rng)
                if events_fmt == "csv"
                else _mutate_jsonl(seeds["jsonl"], rng)
            ).encode("utf-8")
        )
    campaign_file = folder / "campaign.json"
    events_file = folder / f"events.{events_fmt}"
    campaign_file.write_bytes(campaign_bytes)
    events_file.write_bytes(events)
    command = rng.choice(["validate", "report"])
    argv = [command, str(campaign_file), "--events", str(events_file)]
    if command == "report":
        argv += ["--format", rng.choice(["table", "json", "csv"])]
    out, err = io.StringIO(), io.StringIO()
    try:
        status = cli.main(argv, stdout=out, stderr=err)
    except BaseException as error:
        outcomes.fail("cli", f"escaped: {type(error).__name__}", campaign_bytes.decode("latin-1"))
        return
    if "Traceback" in err.getvalue() or status not in (0, 1, 2):
        outcomes.fail("cli", f"exit {status}: {err.getvalue()[-200:]}", argv[0])
        return
    outcomes.add("cli", f"{command} exit {status}")


def _seeds() -> dict[str, str]:
    data = demo_data(size=300)
    records: list[Record] = [*data.events[:120], *data.stats[:5]]
    text = DOCS.read_text(encoding="utf-8")
    toml = text.split("```toml\n", 1)[1].split("```", 1)[0]
    return {
        "csv": format_events(records, format="csv"),
        "jsonl": format_events(records, format="jsonl"),
        "json": campaign_to_json(demo_campaign()),
        "toml": toml,
    }


def main(inputs: int = 2_000, *, seed: int = 20261201) -> Outcomes:
    """Run ``inputs`` mutated documents through each target and print the outcomes.

    Args:
        inputs: How many mutated documents each target gets.
        seed: The seed of every mutation.

    Returns:
        The outcomes, with the reproducers of any failure.
    """
    rng = random.Random(seed)
    seeds = _seeds()
    outcomes = Outcomes()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        targets: dict[str, Callable[[], None]] = {
            "events": lambda: _events_target(seeds, rng, outcomes, Path(folder)),
            "campaign": lambda: _campaign_target(seeds, rng, outcomes, Path(folder)),
            "cli": lambda: _cli_target(seeds, rng, outcomes, Path(folder)),
        }
        for name, run in targets.items():
            started = time.perf_counter()
            for _ in range(inputs):
                with contextlib.redirect_stderr(io.StringIO()):
                    run()
            timings[name] = time.perf_counter() - started
    for name, counts in outcomes.counts.items():
        total = sum(counts.values())
        print(f"{name}: {total} inputs in {timings[name]:.1f} s")
        for outcome, count in sorted(counts.items()):
            print(f"  {outcome:<40} {count:>7}")
    if outcomes.failures:
        print(f"\n{len(outcomes.failures)} failure(s); the first reproducers:")
        for target, kind, document in outcomes.failures[:5]:
            print(f"--- {target}: {kind}\n{document[:500]!r}")
    else:
        print("\nno failure: every input ended in records, located problems or a library error")
    return outcomes


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="?", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261201)
    arguments = parser.parse_args()
    sys.exit(1 if main(arguments.inputs, seed=arguments.seed).failures else 0)
