"""The journeys benchmark at a small size: hybridroi's removal effects equal the float peer's."""

from __future__ import annotations

import importlib
import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from tests.bench_scripts import load_bench

for needed in ("polars", "pyarrow", "numpy"):
    pytest.importorskip(needed, reason=f"the journeys benchmark needs {needed} (the bench extra)")

JOURNEYS = 2_000
SEED = 20260401


def _load() -> ModuleType:
    return load_bench("journeys")


@pytest.fixture(scope="module")
def journeys() -> ModuleType:
    return _load()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("journeys")


def test_hybridroi_and_the_float_peer_agree_at_a_small_size(
    journeys: ModuleType, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [str(JOURNEYS), "--runs", "1", "--seed", str(SEED), "--cache", str(cache)]
    assert journeys.main(arguments) == 0
    out = capsys.readouterr().out
    assert "removal effects and P agree with the float peer to 1e-9 relative" in out
    assert "credits add up exactly: True" in out
    for name in ("hybridroi", "polars", "hybridroi-order2", "hybridroi-shapley"):
        assert f" {name}: " in out


def test_the_file_holds_the_stated_workload(journeys: ModuleType, cache: Path) -> None:
    parquet = importlib.import_module("pyarrow.parquet")
    table = parquet.read_table(journeys.dataset(JOURNEYS, SEED, cache))
    assert table.num_rows == JOURNEYS
    assert str(table.schema.field("total_conversion_value").type) == "decimal128(12, 2)"
    rows = table.to_pylist()
    lengths = {len(row["path"].split(" > ")) for row in rows}
    assert lengths == set(range(1, 9))
    assert {c for row in rows for c in row["path"].split(" > ")} == set(journeys.CHANNELS)
    for row in rows:
        assert row["total_conversions"] + row["total_null"] == 1
        assert (row["total_conversion_value"] > 0) == (row["total_conversions"] == 1)
        assert row["total_conversion_value"] <= Decimal("500.00")
    assert 0.05 < sum(row["total_conversions"] for row in rows) / JOURNEYS < 0.3


def test_a_difference_beyond_the_tolerance_is_reported(journeys: ModuleType) -> None:
    exact = {"a": 0.5, "b": 0.25}
    assert journeys.compare(exact, {"a": 0.5 * (1 + 1e-12), "b": 0.25}) == []
    assert journeys.compare(exact, {"a": 0.5 * (1 + 1e-8), "b": 0.25}) == [
        f"a: 0.5 != {0.5 * (1 + 1e-8)!r}"
    ]
    assert journeys.compare(exact, {"a": 0.5}) == ["b: 0.25 != None"]
