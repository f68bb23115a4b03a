"""The examples of README.md run as written and give the figures worked out by hand."""

from __future__ import annotations

import contextlib
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from hybridroi import Money, RunResult

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _run(block: str) -> tuple[dict[str, Any], str]:
    namespace: dict[str, Any] = {"__name__": "readme"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, str(README), "exec"), namespace)
    return namespace, printed.getvalue()


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_the_first_look_is_a_hybrid_campaign_with_the_figures_worked_out_by_hand() -> None:
    first = _blocks()[0]
    # About 30 lines of code: the campaign, its events and the call, blank lines aside.
    assert len([line for line in first.splitlines() if line.strip()]) <= 40
    namespace, printed = _run(first)
    result = namespace["result"]
    assert isinstance(result, RunResult)
    assert result.problems == ()
    # Léa: promo-code sales S1 120.00, S2 80.00, S3 200.00 (the code in lower case is
    # hers too) = 400.00; S2 refunded in full, so revenue 320.00 and commission
    # 10% x (120 + 200) = 32.00; with her fee 250.00, cost 282.00.
    # Bons Plans: click-tracked sales S4 150.00 and S5 90.00 = 240.00; commission
    # 5% x 240 = 12.00.
    # Campaign: revenue 560.00, cost 294.00, gross profit 0.70 x 560 = 392.00,
    # ROI = (392 - 294) / 294 = 98 / 294 = 1/3; ROAS = 560 / 294 = 40/21.
    # Léa's ROI = (224 - 282) / 282 = -29/141; Bons Plans' = (168 - 12) / 12 = 13.
    report = result.report
    total = report.total
    assert total.figures.revenue == eur("560.00")
    assert total.figures.refunds == eur("80.00")
    assert total.figures.cost == eur("294.00")
    assert total.figures.costs.fees == eur("250.00")
    assert total.figures.costs.commissions == eur("44.00")
    assert total.kpis.roi.value == Fraction(1, 3)
    assert total.kpis.roas.value == Fraction(40, 21)
    rows = {row.key: row for row in report.by_partner}
    assert rows["lea"].figures.revenue == eur("320.00")
    assert rows["lea"].figures.cost == eur("282.00")
    assert rows["lea"].figures.sales == 3
    assert rows["lea"].kpis.roi.value == Fraction(-29, 141)
    assert rows["bonsplans"].figures.revenue == eur("240.00")
    assert rows["bonsplans"].figures.cost == eur("12.00")
    assert rows["bonsplans"].kpis.roi.value == 13
    # What the block prints is what its comments say.
    assert printed.splitlines() == [
        "ROI = (gross profit - cost) / cost = 0.3333",
        "Bons Plans EUR 240.00 EUR 12.00 ROI 13.0000",
        "Léa        EUR 320.00 EUR 282.00 ROI -0.2057",
    ]
    for line in printed.splitlines():
        assert line in first


def test_every_python_example_of_the_readme_runs() -> None:
    blocks = _blocks()
    assert len(blocks) >= 2
    for block in blocks:
        _run(block)
