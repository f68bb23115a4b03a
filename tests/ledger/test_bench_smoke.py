from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ledger.py"


def test_the_ledger_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_ledger", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(["200"])
    assert set(figures) == {"first", "again", "baseline_first", "baseline_again"}
    output = capsys.readouterr().out
    assert "first posting:" in output
    assert "second posting:" in output
    assert "baseline" in output
