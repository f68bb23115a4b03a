from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "evaluation.py"


def test_the_evaluation_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_evaluation", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(40, baseline_draws=2)
    assert set(figures) == {
        "evaluation_s",
        "evaluations_per_s",
        "continuous_s",
        "baseline_s",
        "speedup",
    }
    assert figures["evaluations_per_s"] > 0
    output = capsys.readouterr().out
    assert "200 evaluations" in output
    assert "costs equal to the cent" in output
