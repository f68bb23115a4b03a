from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def test_the_report_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(300)
    assert set(figures) - {"baseline_read_csv_s"} == {
        "parse_s",
        "statements_s",
        "report_s",
        "render_s",
        "total_s",
        "events_per_s",
    }
    output = capsys.readouterr().out
    assert output.split(" events (")[0].isdigit()
    assert "throughput" in output
    assert "baseline" in output
