"""The deal-evaluation notebook runs, cell by cell, without Jupyter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "deal-evaluation.ipynb"


def test_the_notebook_runs_end_to_end() -> None:
    matplotlib.use("Agg")
    document = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    assert cells
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    for index, cell in enumerate(cells):
        assert cell["outputs"] == [], "commit the notebook with empty outputs"
        source = "".join(cell["source"])
        exec(compile(source, f"{NOTEBOOK.name}[{index}]", "exec"), namespace)
    comparison = namespace["comparison"]
    assert [e.candidate for e in comparison.evaluations] == [
        "EUR 5,000 flat",
        "EUR 1,500 + 10%",
        "20% affiliate",
    ]
    flat, hybrid, affiliate = comparison.evaluations
    assert flat.cost_variance == 0
    assert flat.loss_probability > hybrid.loss_probability >= affiliate.loss_probability
    assert namespace["alternatives"].proposals
    assert namespace["cost_figure"].axes
    assert namespace["roi_figure"].axes
