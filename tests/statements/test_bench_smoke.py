"""The statements benchmark runs at a tiny size, so that it never rots."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "statements.py"


def test_the_statements_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_statements", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(["300"])
    assert figures["equal"] is True
    assert figures["statements"] > 0
    assert figures["problems"] == 0
    output = capsys.readouterr().out
    assert "hybridroi:" in output
    assert "statements equal to the cent: yes" in output
