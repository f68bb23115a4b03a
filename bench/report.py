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

With ``--rw1``, SIZE is a number of sales of the RW1 workload (``bench/rw1.py``): its
Parquet files are read through the table interface and priced once, untimed, then
``build_report`` on the run is timed alone, ``--runs`` times (the median is printed).
The statement lines and the touches are read once before the first timing, and that
reading is printed apart: statements and event batches held in columns make their
records on first access, and that cost is theirs, whoever reads them first.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import statistics
import time
from pathlib import Path
from types import ModuleType

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


RW1_SEED = 20260301
"""The seed of the RW1 files (``bench/rw1.py``'s default), so that both reuse one data set."""


def rw1_report(sales: int, *, runs: int = 3, cache: Path | None = None) -> dict[str, float]:
    """Time ``build_report`` on the RW1 workload of ``sales`` sales, and print the figures.

    Args:
        sales: The number of sales of the workload.
        runs: How many times to build the report (the median is kept).
        cache: Where the workload's files are generated and kept (the RW1 default).

    Returns:
        The seconds of reading the statement lines and touches once (``lines_s``) and
        the median seconds of one report (``report_s``).
    """
    rw1 = _rw1()
    directory = rw1.dataset(sales, RW1_SEED, cache or rw1.default_cache())
    import pyarrow.parquet as pq  # noqa: PLC0415 - a dependency of the table interface

    from hybridroi.files.tables import read_event_tables  # noqa: PLC0415
    from hybridroi.statements.engine import compute_statements  # noqa: PLC0415

    campaign = rw1.hybridroi_campaign(pq.read_table(directory / "bands.parquet"))
    loaded = read_event_tables(
        clicks=directory / "clicks.parquet",
        conversions=directory / "sales.parquet",
        refunds=directory / "refunds.parquet",
    )
    statements = compute_statements(campaign, loaded.events, as_of=rw1.AS_OF)
    began = time.perf_counter()
    lines = sum(len(statement.lines) for statement in statements.statements)
    assert statements.batch is not None
    touches = len(list(statements.batch.touches))
    figures = {"lines_s": time.perf_counter() - began}
    times = []
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        report = build_report(campaign, statements)
        times.append(time.perf_counter() - began)
    figures["report_s"] = statistics.median(times)
    print(
        f"RW1, {sales:,} sales: {len(statements.attribution.credits):,} credits, {touches:,} "
        f"touches, {lines:,} statement lines, {len(report.assisted_sales):,} assisted sales"
    )
    print(f"  {'records read':<12} {figures['lines_s']:8.3f} s (lines and touches, once)")
    runs_text = ", ".join(f"{t:.3f}" for t in times)
    print(f"  {'report':<12} {figures['report_s']:8.3f} s (median of {runs}: {runs_text})")
    return figures


def _rw1() -> ModuleType:
    """``bench/rw1.py``, the RW1 workload's generator, loaded beside this file."""
    spec = importlib.util.spec_from_file_location("bench_rw1", Path(__file__).with_name("rw1.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    parser.add_argument("--rw1", action="store_true", help="SIZE sales of the RW1 workload")
    parser.add_argument("--runs", type=int, default=3, help="reports built, with --rw1")
    arguments = parser.parse_args()
    if arguments.rw1:
        rw1_report(arguments.size, runs=arguments.runs)
    else:
        main(arguments.size, seed=arguments.seed)
