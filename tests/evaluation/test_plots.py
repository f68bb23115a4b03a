from __future__ import annotations

import io

from matplotlib.figure import Figure
from tests.evaluation.example import (
    CAMPAIGN,
    deal,
    flat,
    uncertain_forecast,
)

from hybridroi.domain.rules import PercentRate
from hybridroi.evaluation import (
    Candidate,
    compare,
    cost_curves_figure,
    roi_distributions_figure,
)

CANDIDATES = [
    flat(),
    Candidate(name="20% affiliate", partner_id="lea", deal=deal(PercentRate(id="r", rate="0.2"))),
]


def test_cost_curves_mark_break_even_and_indifference() -> None:
    comparison = compare(CAMPAIGN, CANDIDATES, uncertain_forecast(), draws=200)
    figure = cost_curves_figure(CAMPAIGN, CANDIDATES, comparison, points=50)
    assert isinstance(figure, Figure)
    (axes,) = figure.axes
    labels = [line.get_label() for line in axes.get_lines()]
    assert {"gross profit", "EUR 5000 flat", "20% affiliate"} <= set(labels)
    notes = [text.get_text() for text in axes.texts]
    assert any(note.startswith("break-even") for note in notes)
    assert any("EUR 5000 flat = 20% affiliate" in note for note in notes)
    figure.savefig(io.BytesIO(), format="png")  # it renders without a display


def test_roi_distributions_side_by_side() -> None:
    comparison = compare(CAMPAIGN, CANDIDATES, uncertain_forecast(), draws=200)
    figure = roi_distributions_figure(comparison.evaluations)
    (axes,) = figure.axes
    assert [tick.get_text() for tick in axes.get_xticklabels()] == [
        "EUR 5000 flat",
        "20% affiliate",
    ]
