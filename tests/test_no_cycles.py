"""A run makes no reference cycle: reference counting frees all it drops.

The collector is paused while a run computes and the objects it made are then counted
as long-lived (``hybridroi.core.collector``): a cycle made meanwhile would hold its
objects until a full collection. On campaigns that use every kind of rule, reading the
tables, running and building every line leave nothing for the collector to find.
"""

from __future__ import annotations

import gc

from hypothesis import given, settings
from tests.campaign_strategies import Scenario, scenarios

from hybridroi.files.tables import event_tables, read_event_tables
from hybridroi.pipeline import run


def _cycles(gathered: list[object]) -> list[str]:
    """The names of the types the collector finds unreachable now."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sorted({type(item).__name__ for item in gc.garbage})
    finally:
        gc.set_debug(0)
        gathered.extend(gc.garbage)
        gc.garbage.clear()


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_a_run_leaves_no_reference_cycle(scenario: Scenario) -> None:
    kept: list[object] = []
    tables = event_tables(scenario.events)
    # Once first: what modules imported on first use leave behind is not the run's.
    run(scenario.campaign, read_event_tables(**tables), as_of=scenario.as_of, stats=scenario.stats)
    _cycles(kept)
    loaded = read_event_tables(**tables)
    assert _cycles(kept) == []
    result = run(scenario.campaign, loaded, as_of=scenario.as_of, stats=scenario.stats)
    assert _cycles(kept) == []
    for statement in result.statements.statements:
        assert statement.lines is not None
    assert _cycles(kept) == []
