"""Benchmark: from event files to the blended ROI report, stage by stage.

Usage::

    python bench/report.py [SIZE] [--seed N]

SIZE is the number of events of the generated demo campaign (default 50,000: the
size ``hybridroi demo`` runs). Generating the events is not timed. The timed stages
are what ``hybridroi report`` does: parsing the CSV event file text into records,
:func:`hybridroi.run` on them (intake checks, attribution, commission engine, then
the report with every breakdown, KPI and assisted sale), and rendering the report as
a table and as JSON. The report stage (``build_report`` on the run's statements) is
then run again and timed alone; the statements stage is the rest of ``run``'s time.

The baseline, run in the same process when pandas is installed (the optional ``pandas``
extra), is ``pandas.read_csv`` of the same event file: it parses the text into columns
without validating a row or building a record, so the ratio shows what the library's
checked, exact parsing costs against the fastest common way to read the file.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import time

from hybridroi import ContentStats, Conversion, Refund, Touch, report_to_dict, report_to_table, run
from hybridroi.demo.cosmetics import DEMO_SEED, demo_data
from hybridroi.files import format_events, parse_events
from hybridroi.report.report import build_report


def main(size: int = 50_000, *, seed: int = DEMO_SEED) -> dict[str, float]:
    """Run the benchmark and print its figures.

    Args:
        size: Number of events to generate.
        seed: Seed of the generated events.

    Returns:
        The figures printed, by name (seconds, and events per second).
    """
    data = demo_data(seed=seed, size=size)
    records: list[Touch | Conversion | Refund | ContentStats] = [*data.events, *data.stats]
    text = format_events(records, format="csv")
    figures: dict[str, float] = {}

    began = time.perf_counter()
    loaded = parse_events(text, format="csv", source="events.csv")
    figures["parse_s"] = time.perf_counter() - began
    assert not loaded.problems, loaded.problems[:3]

    began = time.perf_counter()
    result = run(data.campaign, loaded, as_of=data.as_of, margin=data.margin)
    pipeline = time.perf_counter() - began
    report = result.report

    began = time.perf_counter()
    build_report(data.campaign, result.statements, stats=loaded.stats, margin=data.margin)
    figures["report_s"] = time.perf_counter() - began
    figures["statements_s"] = max(0.0, pipeline - figures["report_s"])

    began = time.perf_counter()
    report_to_table(report)
    json.dumps(report_to_dict(report))
    figures["render_s"] = time.perf_counter() - began

    total = sum(figures.values())
    figures["total_s"] = total
    figures["events_per_s"] = len(data.events) / total if total else 0.0
    print(
        f"{len(data.events):,} events ({len(text) / 1e6:.1f} MB of CSV), "
        f"{len(result.statements.statements)} statements, {len(report.by_partner)} partner rows"
    )
    for name in ("parse_s", "statements_s", "report_s", "render_s", "total_s"):
        print(f"  {name[:-2]:<12} {figures[name]:8.3f} s")
    print(f"  {'throughput':<12} {figures['events_per_s']:8,.0f} events/s")
    baseline = _pandas_read_csv(text)
    if baseline is None:
        print("  baseline     pandas is not installed (pip install 'hybridroi[pandas]'): skipped")
    else:
        figures["baseline_read_csv_s"] = baseline
        ratio = figures["parse_s"] / baseline if baseline else float("nan")
        print(
            f"  baseline     pandas.read_csv of the same file: {baseline:.3f} s; "
            f"parse / baseline = {ratio:.2f}"
        )
    return figures


def _pandas_read_csv(text: str) -> float | None:
    """Seconds pandas takes to read the event CSV, or None without pandas."""
    if importlib.util.find_spec("pandas") is None:
        return None
    import pandas as pd  # noqa: PLC0415 - an optional extra, imported only when installed

    began = time.perf_counter()
    pd.read_csv(io.StringIO(text), low_memory=False)
    return time.perf_counter() - began


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    arguments = parser.parse_args()
    main(arguments.size, seed=arguments.seed)
