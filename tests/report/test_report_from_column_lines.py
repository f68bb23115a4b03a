"""The report reads lines kept in columns without building them, and gives the same figures."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.demo.cosmetics import demo_data
from hybridroi.report.report import build_report
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import _pending_of


@settings(max_examples=6, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_the_report_of_lines_in_columns_is_the_report_of_built_lines(seed: int) -> None:
    data = demo_data(seed=seed, size=400)
    runs = [compute_statements(data.campaign, data.events, as_of=data.as_of) for _ in range(2)]
    deferred, built = runs
    for statement in built.statements:
        assert statement.lines is not None  # built now
    kept = [statement for statement in deferred.statements if _pending_of(statement) is not None]
    assert kept  # the demo holds deals without caps
    from_columns = build_report(data.campaign, deferred, stats=data.stats, margin="0.6")
    from_lines = build_report(data.campaign, built, stats=data.stats, margin="0.6")
    assert from_columns == from_lines
    # The report built none of the lines it read from columns.
    assert all(_pending_of(statement) is not None for statement in kept)
