"""Benchmark RW1: commissions from Parquet files, hybridroi against DuckDB SQL and polars.

Usage::

    python bench/rw1.py [SALES] [--runs K] [--seed S] [--cache DIR]

The reference workload, for SALES sales (default 1,000,000):

* **Files.** ``sales.parquet`` (id, instant, customer_key, revenue as decimal(12, 2),
  currency), ``clicks.parquet`` with three clicks per sale (id, instant, customer_key,
  partner_id), ``refunds.parquet`` (id, conversion_id, instant, amount, currency: one
  sale in twenty, drawn at random, refunded in full two days later) and
  ``bands.parquet``, the deals' tier bands (partner_id, band_start_cents, band_end_cents,
  rate_bp). Instants are UTC microseconds, sales fall over 115 days from 6 January 2026,
  and each click precedes some sale of its customer by 0 to 40 days (one click in a
  hundred exactly 30 days before, one 30 days and a second, one at the sale's instant,
  so that the window's edges are exercised). No customer has two clicks at one instant:
  DuckDB's ASOF JOIN does not define which of two equal keys it takes, so the workload
  keeps the library's tie-break (the larger touch id) out of play. The files are
  generated from a fixed seed into the cache directory (untimed) and reused.
* **Partners.** 200 (50 influencers, 150 affiliates); clicks go to partner i with a
  weight proportional to 1 / (i + 1), so both large and small partners exist.
* **Attribution.** Last click within 30 days: the customer's latest click at or before
  the sale, if at most 30 x 24 hours before it (the library's default click window).
* **Deal.** Each partner holds one deal with one rule, a graduated ``TieredRate`` on
  revenue, reset monthly in Europe/Paris months. Its bands carry the partner's base
  rate (4.00% to 8.00% by partner, in steps of 0.25%): the base rate from EUR 0, the
  base rate plus 2 points from EUR 2,500 and the base rate plus 4.5 points from
  EUR 10,000 of the partner's month-to-date revenue. One rule, because the deal's
  first-match precedence lets exactly one rate rule price a sale: a ``PercentRate``
  beside the tiers would never add to them.
* **Pricing.** Unit k of a month's revenue occupies [k - 1, k) cents; a sale spanning
  bands is paid the exact sum of its parts at each band's rate, rounded half up to the
  cent once per sale. Sales of a partner's month count in (instant, id) order. A fully
  refunded sale pays nothing and adds nothing to the month's volume.
* **Result.** Commissions per (partner, Paris month), in cents.

Three implementations read the same files end to end, each run in a fresh process so
that its peak memory (the child's ``ru_maxrss``) is its own:

1. **duckdb**: one SQL query (ASOF JOIN, a window sum per partner and month, exact
   integer arithmetic on cents and basis points);
2. **polars**: one lazy plan (``join_asof``, ``cum_sum`` over partner and month,
   integer cents);
3. **hybridroi**: by default (``--engine tables``) through its table interface:
   ``hybridroi.read_event_tables`` reads the Parquet files (checking them in columns),
   ``hybridroi.pipeline.run`` prices the statements and builds the report, and the
   commissions are summed per partner and month (``Statement.commissions``: a
   statement that keeps its lines in columns sums them without building one).
   ``--engine run`` builds one
   ``Touch``, ``Conversion`` and ``Refund`` per row with their public constructors
   instead (the record API); ``statements`` and ``tables-statements`` stop at
   ``compute_statements``. Reading, building, the engine and the sum are timed apart;
   then, outside the total, so is building every statement line with its explanation.

Times are medians over ``--runs`` runs (default 3), taken in alternation; each is
measured inside the child from the first read to the finished sums (interpreter start
and imports excluded). The script prints the times, peak memory, the ratios to DuckDB
and whether the three agree to the cent on every (partner, month); it exits with
status 1 if they do not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 120
AS_OF = START + timedelta(days=DAYS + 10)
TIMEZONE = "Europe/Paris"
PARTNERS = 200
WINDOW_US = 30 * 86_400 * 1_000_000
# Band starts in cents and the points added to the partner's base rate, in basis points.
TIERS = ((0, 0), (250_000, 200), (1_000_000, 450))
OPEN_END = 2**62
IMPLEMENTATIONS = ("duckdb", "polars", "hybridroi")
FILES = ("sales", "clicks", "refunds", "bands")

Totals = dict[tuple[str, str], int]
# What an implementation gives: its totals, its timed phases and how it ran.
Measured = tuple[Totals, dict[str, float], str]


def partner_ids() -> list[str]:
    """The 200 partner ids: 50 influencers, then 150 affiliates."""
    return [f"inf-{i:03d}" for i in range(50)] + [f"aff-{i:03d}" for i in range(150)]


def base_rate_bp(index: int) -> int:
    """Partner ``index``'s base rate in basis points: 4.00% to 8.00% by 0.25%."""
    return 400 + 25 * (index % 17)


def _module(name: str) -> ModuleType:
    """Import ``name`` where it is used: the parent that measures never loads an engine.

    By name, because pyarrow ships no type information (its attributes are ``Any``).
    """
    return importlib.import_module(name)


# --- the data (generated once, untimed) ---------------------------------------------------


def _decimal_cents(cents: Any) -> Any:
    """A decimal(12, 2) Arrow array holding ``cents`` (a numpy int64 array, >= 0)."""
    import numpy as np  # noqa: PLC0415 - only the generator needs numpy

    pa = _module("pyarrow")

    # A decimal128 value is its unscaled integer in 16 little-endian bytes: the cents.
    words = np.zeros((len(cents), 2), dtype="<i8")
    words[:, 0] = cents
    buffer = pa.py_buffer(words.tobytes())
    return pa.Array.from_buffers(pa.decimal128(12, 2), len(cents), [None, buffer])


def generate(size: int, seed: int, directory: Path) -> None:
    """Write the workload's four Parquet files for ``size`` sales into ``directory``."""
    import numpy as np  # noqa: PLC0415 - only the generator needs numpy

    pa = _module("pyarrow")
    pq = _module("pyarrow.parquet")

    rng = np.random.default_rng(seed)
    origin = int(START.timestamp()) * 1_000_000
    stamp = pa.timestamp("us", tz="UTC")
    customers = max(1, size * 4 // 5)
    sale_at = np.sort(rng.integers(86_400 * 5, 86_400 * DAYS, size)) * 1_000_000
    sale_customer = rng.integers(0, customers, size)
    cents = rng.integers(500, 50_000, size)
    customer_keys = [f"cust-{c:08d}" for c in sale_customer.tolist()]
    sale_ids = [f"S{n:09d}" for n in range(size)]
    pq.write_table(
        pa.table(
            {
                "id": pa.array(sale_ids, pa.string()),
                "instant": pa.array(sale_at + origin, stamp),
                "customer_key": pa.array(customer_keys, pa.string()),
                "revenue": _decimal_cents(cents),
                "currency": pa.array(["EUR"] * size, pa.string()),
            }
        ),
        directory / "sales.parquet",
    )

    count = 3 * size
    target = rng.integers(0, size, count)
    gap = rng.integers(0, 86_400 * 40, count) * 1_000_000
    edge = rng.integers(0, 100, count)
    gap = np.where(edge == 0, WINDOW_US, gap)
    gap = np.where(edge == 1, WINDOW_US + 1_000_000, gap)
    gap = np.where(edge == 2, 0, gap)
    click_at = np.maximum(0, sale_at[target] - gap)
    click_customer = sale_customer[target]
    weights = 1.0 / np.arange(1, PARTNERS + 1)
    click_partner = rng.choice(PARTNERS, count, p=weights / weights.sum())
    # One click per customer and instant (see the module's docstring), in time order.
    key = click_customer * (86_400 * (DAYS + 1) * 1_000_000) + click_at
    _, kept = np.unique(key, return_index=True)
    kept = kept[np.lexsort((click_customer[kept], click_at[kept]))]
    names = partner_ids()
    pq.write_table(
        pa.table(
            {
                "id": pa.array([f"K{n:09d}" for n in range(len(kept))], pa.string()),
                "instant": pa.array(click_at[kept] + origin, stamp),
                "customer_key": pa.array(
                    [f"cust-{c:08d}" for c in click_customer[kept].tolist()], pa.string()
                ),
                "partner_id": pa.array(
                    [names[p] for p in click_partner[kept].tolist()], pa.string()
                ),
            }
        ),
        directory / "clicks.parquet",
    )

    refunded = np.flatnonzero(rng.random(size) < 0.05)
    pq.write_table(
        pa.table(
            {
                "id": pa.array([f"R{n:09d}" for n in refunded.tolist()], pa.string()),
                "conversion_id": pa.array([sale_ids[n] for n in refunded.tolist()], pa.string()),
                "instant": pa.array(sale_at[refunded] + origin + 2 * 86_400 * 1_000_000, stamp),
                "amount": _decimal_cents(cents[refunded]),
                "currency": pa.array(["EUR"] * len(refunded), pa.string()),
            }
        ),
        directory / "refunds.parquet",
    )

    rows: list[tuple[str, int, int, int]] = []
    for index, partner in enumerate(names):
        ends = [start for start, _ in TIERS[1:]] + [OPEN_END]
        for (start, points), end in zip(TIERS, ends, strict=True):
            rows.append((partner, start, end, base_rate_bp(index) + points))
    pq.write_table(
        pa.table(
            {
                "partner_id": pa.array([row[0] for row in rows], pa.string()),
                "band_start_cents": pa.array([row[1] for row in rows], pa.int64()),
                "band_end_cents": pa.array([row[2] for row in rows], pa.int64()),
                "rate_bp": pa.array([row[3] for row in rows], pa.int64()),
            }
        ),
        directory / "bands.parquet",
    )


def dataset(size: int, seed: int, cache: Path) -> Path:
    """The directory of the workload's files, generated into ``cache`` unless present."""
    directory = cache / f"rw1-{size}-{seed}"
    if all((directory / f"{name}.parquet").exists() for name in FILES):
        return directory
    cache.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so that an interrupted run never leaves half a data set.
    partial = Path(tempfile.mkdtemp(dir=cache, prefix=f".rw1-{size}-{seed}-"))
    try:
        # In a child process: a child's ru_maxrss starts from its parent's high-water mark
        # (Linux copies it at fork), so the parent that measures must stay small.
        command = [sys.executable, str(Path(__file__).resolve()), str(size), "--seed", str(seed)]
        subprocess.run([*command, "--generate", str(partial)], check=True)
        if directory.exists():
            shutil.rmtree(directory)
        partial.rename(directory)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    return directory


# --- the implementations (each runs in its own process) ---------------------------------

SQL = """
WITH sales AS (
    SELECT id, epoch_us(instant) AS sold_at, customer_key,
           CAST(revenue * 100 AS BIGINT) AS cents,
           strftime(timezone('{zone}', instant), '%Y-%m') AS month
    FROM read_parquet('{data}/sales.parquet')
),
clicks AS (
    SELECT epoch_us(instant) AS click_at, customer_key, partner_id
    FROM read_parquet('{data}/clicks.parquet')
),
refunded AS (
    SELECT DISTINCT conversion_id AS id FROM read_parquet('{data}/refunds.parquet')
),
credited AS (
    SELECT s.id, s.sold_at, s.month, c.partner_id,
           CASE WHEN r.id IS NULL THEN s.cents ELSE 0 END AS cents
    FROM sales s
    ASOF JOIN clicks c ON s.customer_key = c.customer_key AND s.sold_at >= c.click_at
    LEFT JOIN refunded r ON r.id = s.id
    WHERE s.sold_at - c.click_at <= {window}
),
running AS (
    SELECT id, partner_id, month, cents,
           SUM(cents) OVER (PARTITION BY partner_id, month ORDER BY sold_at, id
                            ROWS UNBOUNDED PRECEDING) AS after
    FROM credited
),
priced AS (
    SELECT r.partner_id, r.month, r.id,
           SUM(GREATEST(LEAST(r.after, b.band_end_cents)
                        - GREATEST(r.after - r.cents, b.band_start_cents), 0)
               * b.rate_bp) AS exact
    FROM running r JOIN read_parquet('{data}/bands.parquet') b USING (partner_id)
    GROUP BY ALL
)
SELECT partner_id, month, CAST(SUM((exact + 5000) // 10000) AS BIGINT) AS cents
FROM priced GROUP BY ALL
"""


def run_duckdb(data: Path) -> Measured:
    """RW1 as one DuckDB query."""
    import duckdb  # noqa: PLC0415 - each child imports only its own engine

    began = time.perf_counter()
    connection = duckdb.connect()
    query = SQL.format(data=data.as_posix(), zone=TIMEZONE, window=WINDOW_US)
    rows = connection.execute(query).fetchall()
    totals = {(str(partner), str(month)): int(cents) for partner, month, cents in rows}
    return totals, {"total": time.perf_counter() - began}, "one SQL query"


def run_polars(data: Path) -> Measured:
    """RW1 as one lazy polars plan."""
    import polars as pl  # noqa: PLC0415 - each child imports only its own engine

    began = time.perf_counter()
    refunded = pl.scan_parquet(data / "refunds.parquet").select(
        pl.col("conversion_id").alias("id"), pl.lit(True).alias("refunded")
    )
    sales = (
        pl.scan_parquet(data / "sales.parquet")
        .select(
            "id",
            "customer_key",
            pl.col("instant").dt.epoch("us").alias("at"),
            (pl.col("revenue") * 100).cast(pl.Int64).alias("cents"),
            pl.col("instant").dt.convert_time_zone(TIMEZONE).dt.strftime("%Y-%m").alias("month"),
        )
        .sort("at")
    )
    clicks = (
        pl.scan_parquet(data / "clicks.parquet")
        .select("customer_key", "partner_id", pl.col("instant").dt.epoch("us").alias("click_at"))
        .sort("click_at")
    )
    priced = (
        sales.join_asof(
            clicks,
            left_on="at",
            right_on="click_at",
            by="customer_key",
            strategy="backward",
            tolerance=WINDOW_US,
        )
        .filter(pl.col("partner_id").is_not_null())
        .join(refunded.unique("id"), on="id", how="left")
        .with_columns(pl.when(pl.col("refunded")).then(0).otherwise(pl.col("cents")).alias("cents"))
        .sort("partner_id", "month", "at", "id")
        .with_columns(pl.col("cents").cum_sum().over("partner_id", "month").alias("after"))
        .join(pl.scan_parquet(data / "bands.parquet"), on="partner_id")
        .with_columns(
            (
                (
                    pl.min_horizontal("after", "band_end_cents")
                    - pl.max_horizontal(pl.col("after") - pl.col("cents"), "band_start_cents")
                ).clip(lower_bound=0)
                * pl.col("rate_bp")
            ).alias("exact")
        )
        .group_by("partner_id", "month", "id")
        .agg(pl.col("exact").sum())
        .group_by("partner_id", "month")
        .agg(((pl.col("exact") + 5000) // 10000).sum().alias("cents"))
    )
    with warnings.catch_warnings():
        # Both sides are sorted on the join key above; polars cannot check it within groups.
        warnings.filterwarnings("ignore", message="Sortedness of columns cannot be checked")
        frame = priced.collect()
    totals = {
        (str(partner), str(month)): int(cents)
        for partner, month, cents in frame.select("partner_id", "month", "cents").iter_rows()
    }
    return totals, {"total": time.perf_counter() - began}, "one lazy plan"


def hybridroi_campaign(bands: Any) -> Any:
    """The campaign of RW1, from the ``bands`` table (a pyarrow Table)."""
    from hybridroi.core.periods import PeriodKind  # noqa: PLC0415 - the child's own imports
    from hybridroi.domain.campaign import Campaign  # noqa: PLC0415
    from hybridroi.domain.deals import AffiliateDeal  # noqa: PLC0415
    from hybridroi.domain.partners import Affiliate, Influencer, Partner  # noqa: PLC0415
    from hybridroi.domain.rules import TieredRate  # noqa: PLC0415
    from hybridroi.domain.tiers import Band, TierMode  # noqa: PLC0415

    by_partner: dict[str, list[Band]] = {}
    for row in bands.to_pylist():
        by_partner.setdefault(row["partner_id"], []).append(
            Band(
                start=Decimal(row["band_start_cents"]).scaleb(-2),
                rate=Decimal(row["rate_bp"]).scaleb(-4),
            )
        )
    partners: list[Partner] = [
        Influencer(id=partner, name=partner)
        if partner.startswith("inf-")
        else Affiliate(id=partner, name=partner)
        for partner in partner_ids()
    ]
    deals = [
        AffiliateDeal(
            id=f"deal-{partner.id}",
            partner_id=partner.id,
            rules=[
                TieredRate(
                    id="tiers",
                    bands=tuple(by_partner[partner.id]),
                    mode=TierMode.GRADUATED,
                    reset=PeriodKind.MONTH,
                )
            ],
        )
        for partner in partners
    ]
    return Campaign(
        id="rw1",
        name="RW1",
        currency="EUR",
        timezone=TIMEZONE,
        start=START,
        end=START + timedelta(days=DAYS + 30),
        partners=partners,
        deals=deals,
    )


def run_hybridroi(data: Path, engine: str = "tables") -> Measured:
    """RW1 through hybridroi's public API: Parquet to statements.

    Args:
        data: The directory of the files.
        engine: ``tables`` for ``read_event_tables`` then ``hybridroi.pipeline.run``
            (statements and report), ``tables-statements`` for ``read_event_tables``
            then ``compute_statements``; ``run`` and ``statements`` build the records
            one per row first; ``auto`` is ``run``.

    Returns:
        The totals, the seconds of each phase and the entry point used.
    """
    if engine in ("tables", "tables-statements"):
        return _run_tables(data, engine)
    pq = _module("pyarrow.parquet")
    _module("pyarrow.dataset")  # read_table imports it on first use: keep it out of the timing

    from hybridroi.core.money import Money  # noqa: PLC0415
    from hybridroi.domain.policy import TouchKind  # noqa: PLC0415
    from hybridroi.events.records import Conversion, Event, Refund, Touch  # noqa: PLC0415

    began = time.perf_counter()
    clicks = pq.read_table(data / "clicks.parquet")
    sales = pq.read_table(data / "sales.parquet")
    refunds = pq.read_table(data / "refunds.parquet")
    bands = pq.read_table(data / "bands.parquet")
    read = time.perf_counter()

    campaign = hybridroi_campaign(bands)
    events: list[Event] = [
        Touch(id=id_, kind=TouchKind.CLICK, instant=at, customer_key=key, partner_id=partner)
        for id_, at, key, partner in zip(
            *(clicks.column(name).to_pylist() for name in clicks.column_names), strict=True
        )
    ]
    del clicks
    events.extend(
        Conversion(id=id_, instant=at, customer_key=key, revenue=Money(revenue, currency))
        for id_, at, key, revenue, currency in zip(
            *(sales.column(name).to_pylist() for name in sales.column_names), strict=True
        )
    )
    del sales
    events.extend(
        Refund(id=id_, conversion_id=sale, instant=at, amount=Money(amount, currency))
        for id_, sale, at, amount, currency in zip(
            *(refunds.column(name).to_pylist() for name in refunds.column_names), strict=True
        )
    )
    del refunds
    built = time.perf_counter()

    front_door = getattr(importlib.import_module("hybridroi.pipeline"), "run", None)
    if engine == "statements":
        front_door = None
    if front_door is not None:
        statements = front_door(campaign, events, as_of=AS_OF).statements.statements
    else:
        from hybridroi.statements.engine import compute_statements  # noqa: PLC0415

        statements = compute_statements(campaign, events, as_of=AS_OF).statements
    priced = time.perf_counter()
    totals, summed = _commissions(statements)
    entry = "pipeline.run" if front_door is not None else "compute_statements"
    phases = _phases(began, read, built, priced, summed)
    phases["lines"] = _materialize(statements)
    return totals, phases, entry


def _run_tables(data: Path, engine: str) -> Measured:
    """RW1 through the table interface: ``read_event_tables`` on the Parquet files, then run."""
    pq = _module("pyarrow.parquet")
    _module("pyarrow.dataset")  # read_table imports it on first use: keep it out of the timing

    from hybridroi.files.tables import read_event_tables  # noqa: PLC0415
    from hybridroi.pipeline import run  # noqa: PLC0415
    from hybridroi.statements.engine import compute_statements  # noqa: PLC0415

    began = time.perf_counter()
    campaign = hybridroi_campaign(pq.read_table(data / "bands.parquet"))
    loaded = read_event_tables(
        clicks=data / "clicks.parquet",
        conversions=data / "sales.parquet",
        refunds=data / "refunds.parquet",
    )
    read = time.perf_counter()
    if engine == "tables":
        statements = run(campaign, loaded, as_of=AS_OF).statements.statements
    else:
        statements = compute_statements(campaign, loaded.events, as_of=AS_OF).statements
    priced = time.perf_counter()
    totals, summed = _commissions(statements)
    entry = "read_event_tables + " + (
        "pipeline.run" if engine == "tables" else "compute_statements"
    )
    phases = _phases(began, read, read, priced, summed)
    phases["lines"] = _materialize(statements)
    return totals, phases, entry


def _phases(
    began: float, read: float, built: float, priced: float, summed: float
) -> dict[str, float]:
    """The seconds of each phase, from the instants that end them."""
    return {
        "total": summed - began,
        "read": read - began,
        "build": built - read,
        "engine": priced - built,
        "sum": summed - priced,
    }


def _commissions(statements: Any) -> tuple[Totals, float]:
    """The commissions per (partner, month) of ``statements``, and when they were summed.

    Through ``Statement.commissions``, the public total: a statement that holds its lines
    in columns sums them without building a line.
    """
    totals: Totals = {}
    for statement in statements:
        key = (statement.partner_id, statement.period.label)
        totals[key] = totals.get(key, 0) + statement.commissions.minor_units
    return totals, time.perf_counter()


def _materialize(statements: Any) -> float:
    """Seconds to build every line of ``statements`` with its explanation (not in the total)."""
    began = time.perf_counter()
    count = sum(len(statement.lines) for statement in statements)
    del count
    return time.perf_counter() - began


def worker(implementation: str, data: Path, out: Path, engine: str) -> None:
    """Run one implementation and write its totals and timings to ``out`` as JSON."""
    if implementation == "duckdb":
        totals, seconds, how = run_duckdb(data)
    elif implementation == "polars":
        totals, seconds, how = run_polars(data)
    else:
        totals, seconds, how = run_hybridroi(data, engine)
    rows = sorted([partner, month, cents] for (partner, month), cents in totals.items())
    out.write_text(json.dumps({"seconds": seconds, "totals": rows, "how": how}))


# --- the driver -------------------------------------------------------------------------


def measure(implementation: str, data: Path, engine: str) -> tuple[Measured, float]:
    """Run ``implementation`` in a fresh process: what it gives, and its peak RSS in MB."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            implementation,
            "--data",
            str(data),
            "--out",
            str(out),
            "--engine",
            engine,
        ]
        child = subprocess.Popen(command)
        # wait4 gives this child's own resource usage, where RUSAGE_CHILDREN would give the
        # largest of all children so far.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise RuntimeError(f"{implementation} failed with exit status {child.returncode}")
        result = json.loads(out.read_text())
    totals = {(partner, month): cents for partner, month, cents in result["totals"]}
    return (totals, result["seconds"], result["how"]), usage.ru_maxrss / 1024


def compare(reference: Totals, other: Totals) -> list[str]:
    """The (partner, month) groups where ``other`` differs from ``reference``, described."""
    return [
        f"{partner} {month}: {reference.get((partner, month))} != {other.get((partner, month))}"
        for partner, month in sorted(reference.keys() | other.keys())
        if reference.get((partner, month)) != other.get((partner, month))
    ]


def benchmark(
    size: int, runs: int, seed: int, cache: Path, engine: str = "tables"
) -> dict[str, Any]:
    """Run RW1 and print its figures.

    Args:
        size: The number of sales.
        runs: Runs of each implementation; medians are reported.
        seed: The seed of the generated files.
        cache: Where the files are generated and reused.
        engine: How hybridroi reads and prices: ``tables``, ``tables-statements``,
            ``auto``, ``run`` or ``statements`` (see
            :func:`run_hybridroi`).

    Returns:
        The figures: ``seconds`` and ``peak_mb`` (medians by implementation),
        ``phases`` (hybridroi's median read, build, engine and sum seconds), ``totals``
        (cents by (partner, month), by implementation), ``mismatches`` and ``equal``.
    """
    began = time.perf_counter()
    data = dataset(size, seed, cache)
    print(f"RW1, {size:,} sales: files in {data} ({time.perf_counter() - began:.1f} s to ready)")
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process's own peak is {floor:,.0f} MB: no child's peak can read below it)")
    seconds: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    peaks: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    phases: dict[str, list[float]] = {
        name: [] for name in ("read", "build", "engine", "sum", "lines")
    }
    totals: dict[str, Totals] = {}
    mismatches: list[str] = []
    entry = ""
    for run in range(runs):
        for implementation in IMPLEMENTATIONS:
            (found, timings, how), peak = measure(implementation, data, engine)
            seconds[implementation].append(timings["total"])
            peaks[implementation].append(peak)
            if implementation == "hybridroi":
                for name, values in phases.items():
                    values.append(timings[name])
                entry = how
            print(
                f"  run {run + 1}/{runs} {implementation:>9}: {timings['total']:7.2f} s, "
                f"peak {peak:7,.0f} MB"
            )
            if implementation not in totals:
                totals[implementation] = found
            elif found != totals[implementation]:
                mismatches.append(f"{implementation} gave other totals in run {run + 1}")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    peak_mb = {name: statistics.median(values) for name, values in peaks.items()}
    phase = {name: statistics.median(values) for name, values in phases.items()}
    print(f"\n{'implementation':<16}{'seconds':>9}{'/ duckdb':>10}{'peak MB':>10}{'/ duckdb':>10}")
    for name in IMPLEMENTATIONS:
        print(
            f"{name:<16}{median[name]:>9.2f}{median[name] / median['duckdb']:>10.2f}"
            f"{peak_mb[name]:>10,.0f}{peak_mb[name] / peak_mb['duckdb']:>10.2f}"
        )
    print(
        f"hybridroi phases (medians): read {phase['read']:.2f} s, build the records "
        f"{phase['build']:.2f} s, {entry} {phase['engine']:.2f} s, sum {phase['sum']:.2f} s; "
        f"then, not in the total, building every line with its explanation "
        f"{phase['lines']:.2f} s"
    )
    reference = totals["duckdb"]
    for name in IMPLEMENTATIONS[1:]:
        mismatches.extend(f"{name} vs duckdb, {text}" for text in compare(reference, totals[name]))
    total = sum(reference.values())
    equal = not mismatches
    print(
        f"{len(reference):,} (partner, month) groups, commissions EUR {total / 100:,.2f}: "
        + ("all three agree to the cent" if equal else f"{len(mismatches)} DISAGREEMENTS")
    )
    for text in mismatches[:20]:
        print(f"  {text}")
    return {
        "seconds": median,
        "peak_mb": peak_mb,
        "phases": phase,
        "totals": totals,
        "mismatches": mismatches,
        "equal": equal,
    }


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/hybridroi/bench``, or ``~/.cache/hybridroi/bench``."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hybridroi" / "bench"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--worker``, one implementation of it).

    Args:
        argv: Command-line arguments (``[SALES] [--runs K] [--seed S] [--cache DIR]``).

    Returns:
        The exit status: 0 when the three implementations agree to the cent, else 1.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=1_000_000, help="sales")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--engine",
        choices=("tables", "tables-statements", "auto", "run", "statements"),
        default="tables",
        help=(
            "hybridroi's entry point: read_event_tables then pipeline.run (tables) or "
            "compute_statements (tables-statements); records built per row then "
            "pipeline.run (run, auto) or compute_statements (statements)"
        ),
    )
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker is not None:
        worker(arguments.worker, arguments.data, arguments.out, arguments.engine)
        return 0
    if arguments.generate is not None:
        generate(arguments.size, arguments.seed, arguments.generate)
        return 0
    if arguments.size < 1 or arguments.runs < 1:
        parser.error("SALES and --runs must be at least 1")
    cache = arguments.cache or default_cache()
    figures = benchmark(arguments.size, arguments.runs, arguments.seed, cache, arguments.engine)
    return 0 if figures["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
