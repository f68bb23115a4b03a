"""Benchmark: post the statements of N sales to a SQLite ledger, then post them again.

Usage: ``python bench/ledger.py [SALES] [--repeat N]`` (default 1,000,000, once).

The statement run is built synthetically (not timed): 1,000 partners, one
commission line per sale, sales spread over March 2026 a minute apart. The
first posting writes one entry per sale; the second posting of the same
statements must find no difference. Targets for 1,000,000 sales: at most 5 s
and 1 s. With ``--repeat N`` each posting is timed N times, each time into a new
ledger file, and the median is printed beside every time.

A posting's entries are built when they are read (see
:class:`~hybridroi.ledger.entries.PostedEntries`): the first posting is timed
without building them, and the time to build every entry afterwards, with
Python's collector running as in any caller's code, is printed apart.

The baseline, run in the same process on the same lines, is the straightforward
ledger one would write first: one SQLite table with an index on the line key and,
for every line, a ``SELECT SUM`` of what is posted under its key followed by an
``INSERT`` of the difference, all in one transaction. It keeps no lifecycle, lock
dates, explanations or statement periods, so it is a lower bound on what posting by
difference costs row by row.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

ZONE = "Europe/Paris"
START = datetime(2026, 3, 1, tzinfo=UTC)


def build(sales: int, partners: int) -> tuple[Campaign, StatementRun]:
    """A campaign and a statement run with one commission line per sale."""
    campaign = Campaign(
        id="BENCH",
        name="Benchmark",
        currency="EUR",
        timezone=ZONE,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
        partners=tuple(Affiliate(id=f"P{p:04d}", name=f"Partner {p}") for p in range(partners)),
    )
    period = period_of(START + timedelta(days=10), PeriodKind.MONTH, ZONE)
    lines: dict[str, list[StatementLine]] = {p.id: [] for p in campaign.partners}
    ids = list(lines)
    for n in range(sales):
        earned_at = START + timedelta(minutes=n % 40_000)
        amount = Money.from_minor(100 + n % 5_000, "EUR")
        lines[ids[n % partners]].append(
            StatementLine(
                key=f"commission:C-{n}:R-pct",
                kind=LineKind.COMMISSION,
                amount=amount,
                rule_id="R-pct",
                explanation=f"10% of sale C-{n} = {amount}",
                earned_at=earned_at,
                source_ids=(f"C-{n}",),
            )
        )
    statements = tuple(
        Statement(partner_id=p, period=period, currency="EUR", lines=tuple(lines[p])) for p in ids
    )
    run = StatementRun(
        as_of=START + timedelta(days=31),
        statements=statements,
        attribution=AttributionResult(credits=(), unattributed=(), problems=()),
        problems=(),
    )
    return campaign, run


def baseline(run: StatementRun, path: Path) -> tuple[float, float]:
    """Post by difference row by row into a bare table; seconds of the first and second run."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE entries (partner TEXT, period TEXT, key TEXT, amount INTEGER)")
    connection.execute("CREATE INDEX entries_key ON entries (partner, period, key)")
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for statement in run.statements:
            for line in statement.lines:
                posted = connection.execute(
                    "SELECT COALESCE(SUM(amount), 0) FROM entries "
                    "WHERE partner = ? AND period = ? AND key = ?",
                    (statement.partner_id, statement.period.label, line.key),
                ).fetchone()[0]
                difference = line.amount.minor_units - posted
                if difference:
                    connection.execute(
                        "INSERT INTO entries VALUES (?, ?, ?, ?)",
                        (statement.partner_id, statement.period.label, line.key, difference),
                    )
        connection.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
    connection.close()
    return seconds[0], seconds[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark and print its figures.

    Args:
        argv: ``[SALES]``; 1,000,000 when empty.

    Returns:
        The measured seconds, keyed ``"first"`` and ``"again"``.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sales", nargs="?", type=int, default=1_000_000, help="sale lines")
    parser.add_argument("--repeat", type=int, default=1, help="times to time each posting")
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sales, repeat = arguments.sales, arguments.repeat
    if sales < 1:
        parser.error("sales must be at least 1")
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    partners = min(1_000, max(1, sales // 10))
    build_start = time.perf_counter()
    campaign, run = build(sales, partners)
    print(
        f"built {sales:,} sale lines for {partners:,} partners in "
        f"{time.perf_counter() - build_start:.1f} s (not timed)"
    )
    firsts: list[tuple[float, float]] = []
    agains: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(repeat):
            with SqliteLedgerStore(Path(folder) / f"ledger-{attempt}.db") as store:
                ledger = Ledger(store, campaign)
                started, cpu = time.perf_counter(), time.process_time()
                first = ledger.post(run)
                firsts.append((time.perf_counter() - started, time.process_time() - cpu))
                started, cpu = time.perf_counter(), time.process_time()
                again = ledger.post(run, at=run.as_of + timedelta(hours=1))
                agains.append((time.perf_counter() - started, time.process_time() - cpu))
                assert len(first.entries) == sales, "every sale line must be posted once"
                assert store.run_count() == 2
                assert again.entries == (), "posting the same statements again must add nothing"
            (Path(folder) / f"ledger-{attempt}.db").unlink()
        started = time.perf_counter()
        built = list(first.entries)
        materialize = time.perf_counter() - started
        assert len(built) == sales
        assert built[-1].id == f"posting-000001:{sales}"
        base_first, base_again = baseline(run, Path(folder) / "baseline.db")
    first_seconds = statistics.median(wall for wall, _ in firsts)
    again_seconds = statistics.median(wall for wall, _ in agains)

    def shown(times: list[tuple[float, float]]) -> str:
        each = ", ".join(f"{wall:.2f}" for wall, _ in times)
        cpu = statistics.median(cpu for _, cpu in times)
        median = statistics.median(wall for wall, _ in times)
        return f"{median:6.2f} s ({cpu:.2f} s CPU)" + (
            f", median of {len(times)}: {each}" if len(times) > 1 else ""
        )

    print(f"first posting:  {shown(firsts)} for {sales:,} entries (target <= 5 s at 1,000,000)")
    print(f"second posting: {shown(agains)}, 0 entries (target <= 1 s at 1,000,000)")
    print(
        f"building every entry of the first posting afterwards: {materialize:.2f} s "
        "(not part of posting)"
    )
    print(
        f"baseline (row-by-row SELECT SUM + INSERT): first {base_first:.2f} s, "
        f"second {base_again:.2f} s; ratios {first_seconds / base_first:.2f} and "
        f"{again_seconds / base_again:.2f}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB (the statement run included)")
    return {
        "first": first_seconds,
        "again": again_seconds,
        "baseline_first": base_first,
        "baseline_again": base_again,
    }


if __name__ == "__main__":
    main()
