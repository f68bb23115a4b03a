"""The fuzzing benchmark runs at a small size, so that it never rots, and finds nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"


def test_the_fuzzing_benchmark_runs_at_a_small_size_without_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("bench_fuzz", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outcomes = module.main(60, seed=7)
    assert outcomes.failures == []
    assert set(outcomes.counts) == {"events", "campaign", "cli"}
    assert all(sum(counts.values()) == 60 for counts in outcomes.counts.values())
    assert "no failure" in capsys.readouterr().out
