"""The attribution benchmark runs at a tiny size, so that it never rots."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "attribution.py"


@pytest.mark.parametrize("model", ["last", "hybrid"])
def test_the_attribution_benchmark_runs_at_a_tiny_size(
    capsys: pytest.CaptureFixture[str], model: str
) -> None:
    spec = importlib.util.spec_from_file_location("bench_attribution", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(200, model=model, shuffle=True)
    assert figures["events"] == 800
    assert figures["credits"] >= figures["events"] / 8
    assert figures["unattributed"] > 0
    assert figures["problems"] == 0
    output = capsys.readouterr().out
    assert "events/s" in output
    assert "baseline" in output
