from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def test_the_rw1_report_benchmark_runs_at_a_tiny_size(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.rw1_report(200, runs=2, cache=tmp_path)
    assert set(figures) == {"lines_s", "report_s"}
    assert all(seconds >= 0 for seconds in figures.values())
    output = capsys.readouterr().out
    assert output.startswith("RW1, 200 sales: ")
    assert "(median of 2: " in output
    assert (tmp_path / "rw1-200-20260301" / "sales.parquet").exists()
