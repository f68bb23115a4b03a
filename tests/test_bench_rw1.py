"""The RW1 benchmark runs at a small size: DuckDB, polars and hybridroi agree to the cent.

The three are also checked against a plain-Python reading of the workload's definition
(a scan of every click, fractions for the band parts), so that agreeing with each other
means agreeing with the definition.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.bench_scripts import load_bench

for needed in ("duckdb", "polars", "pyarrow", "numpy"):
    pytest.importorskip(needed, reason=f"the RW1 benchmark needs {needed} (the bench extra)")

SALES = 2_000
SEED = 20260301


def _load() -> ModuleType:
    return load_bench("rw1")


@pytest.fixture(scope="module")
def rw1() -> ModuleType:
    return _load()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rw1")


def _rows(path: Path) -> list[dict[str, Any]]:
    # By name: pyarrow ships no type information.
    parquet = importlib.import_module("pyarrow.parquet")
    rows: list[dict[str, Any]] = parquet.read_table(path).to_pylist()
    return rows


def _oracle(data: Path) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], Decimal]]:
    """Commissions and revenue by (partner, Paris month), read naively from the files."""
    clicks: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for click in _rows(data / "clicks.parquet"):
        clicks[click["customer_key"]].append((click["instant"], click["partner_id"]))
    refunded = {refund["conversion_id"] for refund in _rows(data / "refunds.parquet")}
    bands: dict[str, list[tuple[Decimal, Decimal, Fraction]]] = defaultdict(list)
    for band in _rows(data / "bands.parquet"):
        bands[band["partner_id"]].append(
            (
                Decimal(band["band_start_cents"]),
                Decimal(band["band_end_cents"]),
                Fraction(band["rate_bp"], 10_000),
            )
        )
    paris = ZoneInfo("Europe/Paris")
    months: dict[tuple[str, str], list[tuple[datetime, str, Decimal]]] = defaultdict(list)
    for sale in _rows(data / "sales.parquet"):
        eligible = [
            (at, partner)
            for at, partner in clicks[sale["customer_key"]]
            if at <= sale["instant"] and sale["instant"] - at <= timedelta(days=30)
        ]
        if not eligible:
            continue
        _, partner = max(eligible)
        month = sale["instant"].astimezone(paris).strftime("%Y-%m")
        cents = Decimal(0) if sale["id"] in refunded else sale["revenue"] * 100
        months[partner, month].append((sale["instant"], sale["id"], cents))
    commissions: dict[tuple[str, str], int] = {}
    revenue: dict[tuple[str, str], Decimal] = {}
    for (partner, month), sales in months.items():
        reached, paid = Decimal(0), 0
        for _, _, cents in sorted(sales):
            exact = sum(
                (
                    Fraction(max(min(reached + cents, end) - max(reached, start), Decimal(0)))
                    * rate
                    for start, end, rate in bands[partner]
                ),
                Fraction(0),
            )
            quotient = Decimal(exact.numerator) / Decimal(exact.denominator)
            paid += int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            reached += cents
        commissions[partner, month] = paid
        revenue[partner, month] = reached / 100
    return commissions, revenue


@pytest.mark.parametrize(
    ("engine", "entry"),
    [
        ("tables", "read_event_tables + pipeline.run"),
        ("tables-statements", "read_event_tables + compute_statements"),
        ("run", "pipeline.run"),
        ("statements", "compute_statements"),
    ],
)
def test_the_three_implementations_agree_to_the_cent_at_a_small_size(
    rw1: ModuleType, cache: Path, capsys: pytest.CaptureFixture[str], engine: str, entry: str
) -> None:
    arguments = [str(SALES), "--runs", "1", "--seed", str(SEED), "--cache", str(cache)]
    assert rw1.main([*arguments, "--engine", engine]) == 0
    out = capsys.readouterr().out
    assert "all three agree to the cent" in out
    assert f" s, {entry} " in out


def test_the_implementations_compute_the_stated_workload(rw1: ModuleType, cache: Path) -> None:
    figures = rw1.benchmark(SALES, 1, SEED, cache)
    expected, revenue = _oracle(rw1.dataset(SALES, SEED, cache))
    # The small size still reaches every band and spans several Paris months.
    assert max(revenue.values()) > Decimal(10_000)
    assert len({month for _, month in expected}) >= 4
    assert figures["equal"]
    for implementation in rw1.IMPLEMENTATIONS:
        assert figures["totals"][implementation] == expected, implementation


def test_the_data_set_is_generated_once_and_reused(rw1: ModuleType, cache: Path) -> None:
    data = rw1.dataset(SALES, SEED, cache)
    written = {path.name: path.stat().st_mtime_ns for path in data.iterdir()}
    assert sorted(written) == sorted(f"{name}.parquet" for name in rw1.FILES)
    assert rw1.dataset(SALES, SEED, cache) == data
    assert {path.name: path.stat().st_mtime_ns for path in data.iterdir()} == written


def test_a_difference_of_one_cent_is_reported(rw1: ModuleType) -> None:
    reference = {("aff-001", "2026-02"): 1_000, ("aff-002", "2026-02"): 5}
    assert rw1.compare(reference, dict(reference)) == []
    assert rw1.compare(reference, {**reference, ("aff-002", "2026-02"): 6}) == [
        "aff-002 2026-02: 5 != 6"
    ]
    assert rw1.compare(reference, {("aff-001", "2026-02"): 1_000}) == ["aff-002 2026-02: 5 != None"]
