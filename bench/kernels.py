"""Columnar kernels side by side: numpy with pyarrow, polars and DuckDB SQL.

Usage::

    python bench/kernels.py [SALES] [--runs K] [--seed S] [--kernel NAME ...]
                            [--no-memory] [--no-weight]

The engine's columnar core rests on a few whole-column operations. This benchmark
times each of them in the form the library writes it (numpy, with pyarrow where the
library uses it) beside the same operation in polars and, as a reference, in DuckDB
SQL, all exact in 64-bit integers (cents, basis points, microseconds; no float
touches a money column). It measures kernels only: the inputs are generated from
``--seed`` (untimed) and handed to each implementation already in memory, in its
own form (numpy arrays; polars frames; DuckDB views of Arrow tables; all built
untimed). The end-to-end comparison, from Parquet files to statements, is
``bench/rw1.py``.

For SALES sales (default 1,000,000) and about three clicks per sale (clicks of one
customer never share an instant; one in a hundred lies exactly 30 days, or 30 days
and a microsecond, before a sale of its customer, one at its instant), 200 partners
weighted 1 / (i + 1), sales over 115 days of whole seconds (so instants tie) and
revenue of EUR 5 to EUR 500 per sale, one in twenty refunded to zero:

1. ``encode-customers`` and ``encode-partners``: the clicks' customer keys (about
   0.8 x SALES distinct) and partner ids (200 distinct), an Arrow string column, into
   integer codes. numpy: pyarrow's ``dictionary_encode`` as
   ``hybridroi.attribution.columns`` calls it, and ``pyarrow.compute.unique`` plus
   ``index_in``; polars: a cast to a ``Categorical`` of fresh categories; DuckDB:
   distinct keys numbered, joined back in row order. Codes are compared up to their
   numbering (renumbered in first-seen order).
2. ``asof``: last touch, the customer's latest click at or before each sale and at
   most 30 x 24 hours before it. numpy: the library's
   ``hybridroi.attribution.columns.latest_eligible`` (one sort of the packed
   (customer, position) keys, one ``searchsorted`` of the sales' keys in ascending
   order), and the same search made in the sales' own order (random needles, each
   search missing the cache on most steps); polars: ``join_asof`` by customer with a
   tolerance; DuckDB: ``ASOF LEFT JOIN``. The result is the click's row for each
   sale, or -1.
3. ``tiers``: each sale's commission under graduated monthly tiers: the running sum
   of cents per (partner, Paris month) in (instant, id) order, the overlap of
   ``[carried, carried + revenue)`` with the bands [0, EUR 2,500), [EUR 2,500,
   EUR 10,000) and [EUR 10,000, ...) at the partner's base rate plus 0, 2 and 4.5
   points (basis points), summed, then rounded half up to the cent by exact integer
   division. numpy: a lexsort, one ``cumsum`` less each group's start, the band
   overlaps of ``hybridroi.statements.tiered._graduated`` with each sale's own rates,
   and ``hybridroi.core.rounding.round_ratios``; polars: ``cum_sum().over(...,
   order_by=...)``; DuckDB: a window ``SUM``.
4. ``sums``: the sales' cents summed by (partner, month). numpy: the report's
   ``hybridroi.report.columns.group_of`` and ``group_sums`` (a stable sort, then
   ``np.add.at``), one sort with ``np.add.reduceat``, and ``np.add.at`` straight on
   the packed (partner, month) key, as the key's range is small; polars:
   ``group_by``; DuckDB: ``GROUP BY``.

Each kernel runs once untimed per implementation (its result is the one compared),
then ``--runs`` timed runs (default 5) alternate the implementations; the times are
medians. numpy runs on one thread, polars and DuckDB on all the machine's cores (the
count is printed). Peak memory, unless ``--no-memory``, is measured for each kernel
and implementation in a fresh process: its resident set sampled every millisecond
during one run, less the resident set before it (large blocks are returned to the
system at once there, so that freed input temporaries do not hide a kernel's own
allocations). The script also prints, for numpy, pyarrow, polars and DuckDB, the
median time to import each in a fresh interpreter and its installed size (the files
its distribution and its required distributions record).

It prints one table per kernel (seconds, ratios to the library's form, which comes
first, and to DuckDB, peak MB) and whether every implementation gave the same result;
it exits with status 1 if one did not.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from hybridroi.attribution.columns import latest_eligible
from hybridroi.core.rounding import Rounding, round_ratios
from hybridroi.report.columns import group_of, group_sums

Ints = npt.NDArray[np.int64]

START = datetime(2026, 1, 6, tzinfo=UTC)
DAYS = 115
TIMEZONE = "Europe/Paris"
PARTNERS = 200
DAY_US = 86_400 * 1_000_000
WINDOW_US = 30 * DAY_US
# Band starts in cents and the points added to the partner's base rate, in basis points.
TIERS = ((0, 0), (250_000, 200), (1_000_000, 450))
KERNELS = ("encode-customers", "encode-partners", "asof", "tiers", "sums")
IMPLEMENTATIONS: dict[str, tuple[str, ...]] = {
    "encode-customers": (
        "pyarrow dictionary_encode",
        "pyarrow unique+index_in",
        "polars",
        "duckdb",
    ),
    "encode-partners": ("pyarrow dictionary_encode", "pyarrow unique+index_in", "polars", "duckdb"),
    "asof": ("numpy (library)", "numpy random needles", "polars", "duckdb"),
    "tiers": ("numpy (library)", "polars", "duckdb"),
    "sums": (
        "numpy (library)",
        "numpy sort+reduceat",
        "numpy add.at packed key",
        "polars",
        "duckdb",
    ),
}
DISTRIBUTIONS = ("numpy", "pyarrow", "polars", "duckdb")
IMPORTS = (
    ("numpy",),
    ("pyarrow",),
    ("numpy", "pyarrow", "pyarrow.compute"),
    ("polars",),
    ("duckdb",),
)


def _module(name: str) -> ModuleType:
    """Import ``name`` by name: pyarrow ships no type information (its attributes are ``Any``)."""
    return importlib.import_module(name)


def base_rate_bp(index: int) -> int:
    """Partner ``index``'s base rate in basis points: 4.00% to 8.00% by 0.25%."""
    return 400 + 25 * (index % 17)


def rates_bp() -> Ints:
    """The rate of each (partner, band), in basis points."""
    return np.array(
        [[base_rate_bp(index) + points for _, points in TIERS] for index in range(PARTNERS)],
        dtype=np.int64,
    )


# --- the data (generated from the seed, untimed) -----------------------------------------


class Data(NamedTuple):
    """The kernels' inputs: sales and clicks in time order, codes and amounts as int64.

    Attributes:
        sale_at: Each sale's instant, microseconds since the epoch (whole seconds).
        sale_customer: Each sale's customer code.
        sale_id: Each sale's id, as its rank in id order (the row: ids follow time).
        sale_partner: The partner credited with each sale.
        sale_month: Each sale's Paris month, as a code.
        cents: Each sale's revenue in cents (0 when refunded).
        click_at: Each click's instant, microseconds since the epoch.
        click_customer: Each click's customer code.
        click_partner: Each click's partner code.
        customers: The number of customer codes.
    """

    sale_at: Ints
    sale_customer: Ints
    sale_id: Ints
    sale_partner: Ints
    sale_month: Ints
    cents: Ints
    click_at: Ints
    click_customer: Ints
    click_partner: Ints
    customers: int


def _month_starts() -> Ints:
    """The first instants of the Paris months around the data, in microseconds."""
    zone = ZoneInfo(TIMEZONE)
    starts = [
        int(datetime(2025 + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=zone).timestamp())
        for month in range(12, 12 + 8)
    ]
    return np.array(starts, dtype=np.int64) * 1_000_000


def generate(size: int, seed: int) -> Data:
    """The inputs for ``size`` sales, the same for every implementation and process."""
    rng = np.random.default_rng(seed)
    origin = int(START.timestamp()) * 1_000_000
    customers = max(1, size * 4 // 5)
    sale_at = origin + np.sort(rng.integers(0, 86_400 * DAYS, size)) * 1_000_000
    sale_customer = rng.integers(0, customers, size)
    cents = rng.integers(500, 50_000, size)
    cents[rng.random(size) < 0.05] = 0
    weights = 1.0 / np.arange(1, PARTNERS + 1)
    weights /= weights.sum()
    sale_partner = rng.choice(PARTNERS, size, p=weights)
    sale_month = np.searchsorted(_month_starts(), sale_at, side="right") - 1

    count = 3 * size
    target = rng.integers(0, size, count)
    gap = rng.integers(0, 40 * DAY_US, count)
    edge = rng.integers(0, 100, count)
    gap = np.where(edge == 0, WINDOW_US, gap)
    gap = np.where(edge == 1, WINDOW_US + 1, gap)
    gap = np.where(edge == 2, 0, gap)
    click_at = sale_at[target] - gap
    click_customer = sale_customer[target]
    click_partner = rng.choice(PARTNERS, count, p=weights)
    # One click per customer and instant: the implementations' tie-breaks stay out of play.
    key = click_customer * (DAY_US * (DAYS + 50)) + (click_at - origin + 45 * DAY_US)
    _, kept = np.unique(key, return_index=True)
    kept = kept[np.lexsort((click_customer[kept], click_at[kept]))]
    return Data(
        sale_at=sale_at.astype(np.int64),
        sale_customer=sale_customer.astype(np.int64),
        sale_id=np.arange(size, dtype=np.int64),
        sale_partner=sale_partner.astype(np.int64),
        sale_month=sale_month.astype(np.int64),
        cents=cents.astype(np.int64),
        click_at=click_at[kept].astype(np.int64),
        click_customer=click_customer[kept].astype(np.int64),
        click_partner=click_partner[kept].astype(np.int64),
        customers=customers,
    )


def customer_keys(data: Data) -> Any:
    """The clicks' customer keys, as an Arrow string column."""
    pa = _module("pyarrow")
    names = pa.array([f"cust-{code:08d}" for code in range(data.customers)], pa.string())
    return names.take(pa.array(data.click_customer))


def partner_keys(data: Data) -> Any:
    """The clicks' partner ids, as an Arrow string column."""
    pa = _module("pyarrow")
    ids = [f"inf-{i:03d}" for i in range(50)] + [f"aff-{i:03d}" for i in range(PARTNERS - 50)]
    return pa.array(ids, pa.string()).take(pa.array(data.click_partner))


# --- the kernels -------------------------------------------------------------------------
#
# Each ``prepare_*`` builds, untimed, what an implementation starts from, and returns the
# kernel as a function of nothing: calling it is what is timed.

Kernel = Callable[[], Any]


def _duckdb(tables: dict[str, Any]) -> Any:
    """A DuckDB connection on which each Arrow table of ``tables`` is a view."""
    duckdb = _module("duckdb")
    connection = duckdb.connect()
    for name, table in tables.items():
        connection.register(name, table)
    return connection


def _column(connection: Any, query: str) -> Ints:
    """The one column a query gives, as int64."""
    found = connection.execute(query).fetchnumpy()
    return np.asarray(next(iter(found.values())), dtype=np.int64)


def prepare_encode(keys: Any, implementation: str) -> Kernel:
    """Dictionary-encoding an Arrow string column into int64 codes."""
    pa = _module("pyarrow")
    pc = _module("pyarrow.compute")
    if implementation == "pyarrow dictionary_encode":

        def encode() -> Ints:
            encoded = keys.dictionary_encode()
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            return np.asarray(codes, dtype=np.int64)

        return encode
    if implementation == "pyarrow unique+index_in":

        def look_up() -> Ints:
            codes = pc.index_in(keys, value_set=pc.unique(keys))
            return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)

        return look_up
    if implementation == "polars":
        import polars as pl  # noqa: PLC0415 - only this implementation needs polars

        series = pl.Series("key", keys)

        def categorical() -> Ints:
            # Fresh categories each time: a run does not reuse the strings of the last one.
            codes = series.cast(pl.Categorical(pl.Categories.random())).to_physical()
            return codes.to_numpy().astype(np.int64)

        return categorical
    table = pa.table({"row": pa.array(np.arange(len(keys), dtype=np.int64)), "key": keys})
    connection = _duckdb({"keys": table})
    query = """
        WITH dictionary AS (
            SELECT key, CAST(row_number() OVER () - 1 AS BIGINT) AS code
            FROM (SELECT DISTINCT key FROM keys)
        )
        SELECT code FROM keys JOIN dictionary USING (key) ORDER BY row
    """
    return lambda: _column(connection, query)


def first_seen(codes: Ints) -> Ints:
    """``codes`` renumbered in order of first appearance: equal for equivalent encodings.

    >>> first_seen(np.array([7, 3, 7, 5])).tolist()
    [0, 1, 0, 2]
    """
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first), dtype=np.int64)
    renumbered: Ints = rank[inverse.reshape(-1)]
    return renumbered


def prepare_asof(data: Data, implementation: str) -> Kernel:
    """Last touch: each sale's latest click of its customer, within 30 days, as a row or -1."""
    pa = _module("pyarrow")
    if implementation == "numpy (library)":

        def join() -> Ints:
            count = len(data.click_at)
            # Clicks are in time order: a click's position in the touch order is its row.
            position = np.arange(count, dtype=np.int64)
            window = np.full(count, WINDOW_US, dtype=np.int64)
            last = np.searchsorted(data.click_at, data.sale_at, side="right") - 1
            return latest_eligible(
                data.click_customer,
                window,
                position,
                data.click_at,
                data.sale_customer,
                last.astype(np.int64),
                data.sale_at,
            )

        return join
    if implementation == "numpy random needles":
        return lambda: _asof_random_needles(data)
    if implementation == "polars":
        import polars as pl  # noqa: PLC0415 - only this implementation needs polars

        sales = pl.DataFrame({"customer": data.sale_customer, "instant": data.sale_at})
        clicks = pl.DataFrame(
            {
                "customer": data.click_customer,
                "instant": data.click_at,
                "row": np.arange(len(data.click_at), dtype=np.int64),
            }
        )
        sales, clicks = sales.set_sorted("instant"), clicks.set_sorted("instant")

        def join_asof() -> Ints:
            joined = sales.join_asof(
                clicks,
                on="instant",
                by="customer",
                strategy="backward",
                tolerance=WINDOW_US,
                check_sortedness=False,
            )
            return joined.get_column("row").fill_null(-1).to_numpy()

        return join_asof
    connection = _duckdb(
        {
            "sales": pa.table(
                {
                    "row": np.arange(len(data.sale_at), dtype=np.int64),
                    "customer": data.sale_customer,
                    "instant": data.sale_at,
                }
            ),
            "clicks": pa.table(
                {
                    "row": np.arange(len(data.click_at), dtype=np.int64),
                    "customer": data.click_customer,
                    "instant": data.click_at,
                }
            ),
        }
    )
    query = f"""
        SELECT COALESCE(CASE WHEN s.instant - c.instant <= {WINDOW_US} THEN c.row END, -1) AS row
        FROM sales s ASOF LEFT JOIN clicks c ON s.customer = c.customer AND s.instant >= c.instant
        ORDER BY s.row
    """
    return lambda: _column(connection, query)


def _asof_random_needles(data: Data) -> Ints:
    """The library's as-of search, with the sales' keys searched in the sales' order.

    The same packed keys as ``latest_eligible`` (customer x clicks + position, one
    window length); random needles miss the cache on most of the ~22 steps of each
    search, which ``latest_eligible`` avoids by searching them in ascending order.
    """
    count = len(data.click_at)
    keys = data.click_customer * count + np.arange(count, dtype=np.int64)
    keys.sort()
    last = np.searchsorted(data.click_at, data.sale_at, side="right") - 1
    wanted = data.sale_customer * count + last
    found = np.searchsorted(keys, wanted, side="right") - 1
    key = keys[np.maximum(found, 0)]
    latest = key % count
    hit = (found >= 0) & (last >= 0) & (key // count == data.sale_customer)
    hit &= data.sale_at - data.click_at[latest] <= WINDOW_US
    best: Ints = np.where(hit, latest, -1)
    return best


def _tiers_numpy(data: Data, rates: Ints) -> Ints:
    """Graduated monthly tiers in numpy, each sale's commission in cents, in sale order."""
    size = len(data.cents)
    order = np.lexsort((data.sale_id, data.sale_at, data.sale_month, data.sale_partner))
    partner = data.sale_partner[order]
    month = data.sale_month[order]
    cents = data.cents[order]
    running = np.cumsum(cents)
    first = np.ones(size, dtype=np.bool_)
    first[1:] = (partner[1:] != partner[:-1]) | (month[1:] != month[:-1])
    starts = np.flatnonzero(first)
    # What the sales before each (partner, month) added: subtracted from the running sum.
    begin = np.repeat(running[starts] - cents[starts], np.diff(np.append(starts, size)))
    after = running - begin
    carried = after - cents
    numerator = np.zeros(size, dtype=np.int64)
    last = len(TIERS) - 1
    for band, (start, _) in enumerate(TIERS):
        high = after if band == last else np.minimum(after, TIERS[band + 1][0])
        part = np.maximum(high - np.maximum(carried, start), 0)
        numerator += part * rates[partner, band]
    paid = np.empty(size, dtype=np.int64)
    paid[order] = round_ratios(numerator, 10_000, Rounding.HALF_UP)
    return paid


def prepare_tiers(data: Data, implementation: str) -> Kernel:
    """Graduated monthly tiers: each sale's commission in cents, in sale order."""
    rates = rates_bp()
    columns = {
        "partner": data.sale_partner,
        "month": data.sale_month,
        "instant": data.sale_at,
        "id": data.sale_id,
        "cents": data.cents,
    }
    if implementation == "numpy (library)":
        return lambda: _tiers_numpy(data, rates)
    if implementation == "polars":
        import polars as pl  # noqa: PLC0415 - only this implementation needs polars

        frame = pl.DataFrame(columns)
        by_band = [pl.Series(f"rate{band}", rates[:, band]) for band in range(len(TIERS))]

        def window() -> Ints:
            after = pl.col("after")
            carried = pl.col("after") - pl.col("cents")
            parts = []
            for band, (start, _) in enumerate(TIERS):
                high = (
                    after
                    if band == len(TIERS) - 1
                    else pl.min_horizontal(after, pl.lit(TIERS[band + 1][0]))
                )
                part = pl.max_horizontal(high - pl.max_horizontal(carried, pl.lit(start)), 0)
                parts.append(part * pl.lit(by_band[band]).gather(pl.col("partner")))
            priced = frame.with_columns(
                pl.col("cents")
                .cum_sum()
                .over("partner", "month", order_by=["instant", "id"])
                .alias("after")
            ).select(((pl.sum_horizontal(parts) + 5_000) // 10_000).alias("paid"))
            return priced.get_column("paid").to_numpy()

        return window
    pa = _module("pyarrow")
    connection = _duckdb(
        {
            "sales": pa.table({"row": np.arange(len(data.cents), dtype=np.int64), **columns}),
            "rates": pa.table(
                {
                    "partner": np.arange(PARTNERS, dtype=np.int64),
                    **{f"rate{band}": rates[:, band] for band in range(len(TIERS))},
                }
            ),
        }
    )
    (_, _), (second, _), (third, _) = TIERS
    query = f"""
        WITH running AS (
            SELECT row, partner, cents,
                   SUM(cents) OVER (PARTITION BY partner, month ORDER BY instant, id
                                    ROWS UNBOUNDED PRECEDING) AS after
            FROM sales
        )
        SELECT CAST((GREATEST(LEAST(after, {second}) - GREATEST(after - cents, 0), 0) * rate0
                     + GREATEST(LEAST(after, {third}) - GREATEST(after - cents, {second}), 0)
                       * rate1
                     + GREATEST(after - GREATEST(after - cents, {third}), 0) * rate2
                     + 5000) // 10000 AS BIGINT) AS paid
        FROM running JOIN rates USING (partner)
        ORDER BY row
    """
    return lambda: _column(connection, query)


Sums = dict[tuple[int, int], int]


def prepare_sums(data: Data, implementation: str) -> Kernel:
    """The sales' cents summed by (partner, month)."""
    partner, month, cents = data.sale_partner, data.sale_month, data.cents
    if implementation == "numpy (library)":

        def add_at() -> Sums:
            group, first = group_of(partner, month)
            totals = group_sums(group, len(first), cents)
            keys = zip(partner[first].tolist(), month[first].tolist(), strict=True)
            return dict(zip(keys, totals, strict=True))

        return add_at
    if implementation == "numpy sort+reduceat":

        def reduceat() -> Sums:
            key = partner * (int(month.max()) + 1) + month
            order = np.argsort(key, kind="stable")
            ordered = key[order]
            starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
            totals = np.add.reduceat(cents[order], starts)
            first = order[starts]
            keys = zip(partner[first].tolist(), month[first].tolist(), strict=True)
            return dict(zip(keys, totals.tolist(), strict=True))

        return reduceat
    if implementation == "numpy add.at packed key":

        def packed() -> Sums:
            # The codes span a small range: every (partner, month) has its own slot.
            months = int(month.max()) + 1
            key = partner * months + month
            slots = PARTNERS * months
            totals = np.zeros(slots, dtype=np.int64)
            np.add.at(totals, key, cents)
            present = np.flatnonzero(np.bincount(key, minlength=slots))
            return {
                (slot // months, slot % months): total
                for slot, total in zip(present.tolist(), totals[present].tolist(), strict=True)
            }

        return packed
    if implementation == "polars":
        import polars as pl  # noqa: PLC0415 - only this implementation needs polars

        frame = pl.DataFrame({"partner": partner, "month": month, "cents": cents})

        def group_by() -> Sums:
            grouped = frame.group_by("partner", "month").agg(pl.col("cents").sum())
            return {
                (key_partner, key_month): total
                for key_partner, key_month, total in grouped.iter_rows()
            }

        return group_by
    pa = _module("pyarrow")
    connection = _duckdb({"sales": pa.table({"partner": partner, "month": month, "cents": cents})})
    query = "SELECT partner, month, CAST(SUM(cents) AS BIGINT) FROM sales GROUP BY ALL"

    def group_all() -> Sums:
        rows = connection.execute(query).fetchall()
        return {
            (int(key_partner), int(key_month)): int(total) for key_partner, key_month, total in rows
        }

    return group_all


def prepare(kernel: str, implementation: str, data: Data, keys: dict[str, Any]) -> Kernel:
    """The kernel ``kernel`` of ``implementation``, ready to run on ``data``."""
    if kernel == "encode-customers":
        column = keys["customers"] if "customers" in keys else customer_keys(data)
        return prepare_encode(column, implementation)
    if kernel == "encode-partners":
        column = keys["partners"] if "partners" in keys else partner_keys(data)
        return prepare_encode(column, implementation)
    if kernel == "asof":
        return prepare_asof(data, implementation)
    if kernel == "tiers":
        return prepare_tiers(data, implementation)
    return prepare_sums(data, implementation)


def canonical(kernel: str, result: Any) -> Any:
    """A result in the form the implementations are compared in."""
    if kernel.startswith("encode"):
        return first_seen(result)
    return result


def same(left: Any, right: Any) -> bool:
    """Whether two canonical results are equal (arrays element by element, dtype aside)."""
    if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
        return left.shape == right.shape and bool((left == right).all())
    return bool(left == right)


# --- memory, imports and installed size (each in a fresh process) ------------------------


def _resident_bytes() -> int:
    """This process's resident set size, in bytes (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_above(run: Kernel) -> float:
    """Run ``run`` once; the peak of the resident set above its level before, in MB."""
    baseline = _resident_bytes()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _resident_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    peak = max(peak, _resident_bytes())
    return (peak - baseline) / 2**20


def memory_worker(kernel: str, implementation: str, size: int, seed: int) -> float:
    """Peak MB of one run of a kernel, measured in this (fresh) process."""
    data = generate(size, seed)
    run = prepare(kernel, implementation, data, {})
    return peak_above(run)


def measure_memory(kernel: str, implementation: str, size: int, seed: int) -> float | None:
    """Peak MB of one run of a kernel in a fresh process, or None where it cannot be read."""
    if not Path("/proc/self/statm").exists():
        return None
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        str(size),
        "--seed",
        str(seed),
        "--memory-worker",
        kernel,
        implementation,
    ]
    # Blocks from 64 KiB up are mapped and unmapped on their own: a block the generator
    # freed is not silently reused by the kernel, whose growth is then seen.
    environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
    return float(done.stdout.strip().splitlines()[-1])


def import_seconds(modules: Sequence[str], runs: int = 3) -> float:
    """The median time to import ``modules`` in a fresh interpreter."""
    script = (
        "import importlib, time\n"
        "began = time.perf_counter()\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(time.perf_counter() - began)\n"
    )
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        )
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


_NAME = re.compile(r"[A-Za-z0-9._-]+")


@cache
def _files_bytes(name: str) -> int:
    """The bytes of the files one installed distribution records (0 if not installed)."""
    try:
        files = metadata.files(name) or []
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for file in files:
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total


def installed_mb(name: str) -> tuple[float, list[str]]:
    """MB on disk of a distribution and those it requires (not its extras), and their names."""
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        canonical_name = current.lower().replace("_", "-")
        if canonical_name in seen:
            continue
        seen.append(canonical_name)
        try:
            required = metadata.requires(current) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in required:
            if "extra ==" in requirement:
                continue
            found = _NAME.match(requirement)
            if found is not None:
                pending.append(found.group(0))
    return sum(_files_bytes(item) for item in seen) / 2**20, seen


def dependency_weight() -> list[tuple[str, float, str]]:
    """Import seconds and installed MB: one row per import, one per distribution."""
    rows = [("import " + ", ".join(modules), import_seconds(modules), "s") for modules in IMPORTS]
    for name in DISTRIBUTIONS:
        size, names = installed_mb(name)
        rows.append(("installed " + " + ".join(names), size, "MB"))
    return rows


# --- the driver --------------------------------------------------------------------------


def threads() -> str:
    """The thread counts of the implementations."""
    import polars as pl  # noqa: PLC0415 - only read when the figures are printed

    connection = _module("duckdb").connect()
    duckdb_threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
    return f"numpy 1 thread, polars {pl.thread_pool_size()}, duckdb {duckdb_threads}"


def benchmark(
    size: int,
    runs: int,
    seed: int,
    kernels: Sequence[str] = KERNELS,
    *,
    memory: bool = True,
    weight: bool = True,
) -> dict[str, Any]:
    """Run the kernels and print their figures.

    Args:
        size: The number of sales (clicks are about three times as many).
        runs: Timed runs of each implementation; medians are reported.
        seed: The seed of the generated inputs.
        kernels: The kernels to run, among :data:`KERNELS`.
        memory: Whether to measure each kernel's peak memory in a fresh process.
        weight: Whether to measure the import times and installed sizes.

    Returns:
        The figures: ``seconds`` and ``peak_mb`` by kernel and implementation,
        ``results`` (the canonical results), ``weight`` (import seconds and installed
        MB), ``mismatches`` and ``equal``.
    """
    began = time.perf_counter()
    data = generate(size, seed)
    keys = {}
    if "encode-customers" in kernels:
        keys["customers"] = customer_keys(data)
    if "encode-partners" in kernels:
        keys["partners"] = partner_keys(data)
    print(
        f"Kernels, {size:,} sales and {len(data.click_at):,} clicks "
        f"(inputs ready in {time.perf_counter() - began:.1f} s; {threads()})"
    )
    seconds: dict[str, dict[str, float]] = {}
    peak_mb: dict[str, dict[str, float | None]] = {}
    results: dict[str, dict[str, Any]] = {}
    mismatches: list[str] = []
    for kernel in kernels:
        names = IMPLEMENTATIONS[kernel]
        ready = {name: prepare(kernel, name, data, keys) for name in names}
        results[kernel] = {name: canonical(kernel, ready[name]()) for name in names}
        times: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(runs):
            for name in names:
                started = time.perf_counter()
                ready[name]()
                times[name].append(time.perf_counter() - started)
        del ready
        seconds[kernel] = {name: statistics.median(values) for name, values in times.items()}
        peak_mb[kernel] = {
            name: measure_memory(kernel, name, size, seed) if memory else None for name in names
        }
        reference = results[kernel][names[0]]
        mismatches.extend(
            f"{kernel}: {name} differs from {names[0]}"
            for name in names[1:]
            if not same(reference, results[kernel][name])
        )
        _table(kernel, seconds[kernel], peak_mb[kernel])
    rows = dependency_weight() if weight else []
    if rows:
        print("\ndependency weight (import: median of 3 fresh interpreters; size: files on disk)")
        for what, value, unit in rows:
            print(f"  {what:<44}{value:>8.2f} {unit}")
    equal = not mismatches
    print(
        "\nevery implementation gives the same result on every kernel"
        if equal
        else f"\n{len(mismatches)} DISAGREEMENTS"
    )
    for text in mismatches:
        print(f"  {text}")
    return {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "results": results,
        "weight": rows,
        "mismatches": mismatches,
        "equal": equal,
    }


def _table(kernel: str, seconds: dict[str, float], peak_mb: dict[str, float | None]) -> None:
    """Print one kernel's figures."""
    names = list(seconds)
    first = seconds[names[0]]
    duckdb = seconds["duckdb"]
    print(f"\n{kernel}")
    print(f"  {'implementation':<28}{'seconds':>9}{'/ library':>11}{'/ duckdb':>10}{'peak MB':>9}")
    for name in names:
        peak = peak_mb[name]
        shown = "" if peak is None else f"{peak:,.0f}"
        print(
            f"  {name:<28}{seconds[name]:>9.3f}{seconds[name] / first:>11.2f}"
            f"{seconds[name] / duckdb:>10.2f}{shown:>9}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--memory-worker``, one kernel's memory measurement).

    Args:
        argv: Command-line arguments (``[SALES] [--runs K] [--seed S] [--kernel NAME ...]
            [--no-memory]``).

    Returns:
        The exit status: 0 when every implementation gives the same results, else 1.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=1_000_000, help="sales")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument(
        "--kernel", action="append", choices=KERNELS, help="a kernel to run (default: all)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak memory")
    parser.add_argument(
        "--no-weight", action="store_true", help="skip import times and installed sizes"
    )
    parser.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.size < 1 or arguments.runs < 1:
        parser.error("SALES and --runs must be at least 1")
    if arguments.memory_worker is not None:
        kernel, implementation = arguments.memory_worker
        print(memory_worker(kernel, implementation, arguments.size, arguments.seed))
        return 0
    figures = benchmark(
        arguments.size,
        arguments.runs,
        arguments.seed,
        tuple(arguments.kernel or KERNELS),
        memory=not arguments.no_memory,
        weight=not arguments.no_weight,
    )
    return 0 if figures["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
