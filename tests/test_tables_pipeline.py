"""A run from tables equals the run from the same events as records."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC
from typing import Any

import attrs
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.demo.cosmetics import demo_data
from hybridroi.events.records import Conversion
from hybridroi.files.tables import event_tables, read_event_tables
from hybridroi.pipeline import run


def _without_items(events: tuple[Any, ...]) -> tuple[Any, ...]:
    """The events with every sale's line items removed (tables hold none)."""
    return tuple(
        attrs.evolve(event, items=()) if isinstance(event, Conversion) and event.items else event
        for event in events
    )


def _in_utc(event: Any) -> Any:
    return attrs.evolve(event, instant=event.instant.astimezone(UTC))


def _shuffled_in_chunks(table: pa.Table, order: random.Random, chunks: int) -> pa.Table:
    rows = list(range(table.num_rows))
    order.shuffle(rows)
    table = table.take(rows)
    step = max(1, -(-table.num_rows // chunks))
    parts = [table.slice(start, step) for start in range(0, table.num_rows, step)]
    return pa.concat_tables(parts) if parts else table


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    chunks=st.integers(min_value=1, max_value=5),
    order=st.randoms(use_true_random=False),
)
def test_a_run_from_tables_equals_the_run_from_records(
    seed: int, chunks: int, order: random.Random
) -> None:
    data = demo_data(seed=seed, size=300)
    events = _without_items(data.events)
    tables = {
        name: _shuffled_in_chunks(table, order, chunks)
        for name, table in event_tables(events).items()
    }
    loaded = read_event_tables(**tables)
    # In UTC: a wall time that a change of clocks skips hashes apart from its equal.
    assert Counter(map(_in_utc, loaded.events)) == Counter(map(_in_utc, events))
    assert loaded.problems == ()
    from_tables = run(data.campaign, loaded, as_of=data.as_of, stats=data.stats, margin="0.6")
    from_records = run(data.campaign, events, as_of=data.as_of, stats=data.stats, margin="0.6")
    assert from_tables.statements.statements == from_records.statements.statements
    assert from_tables.attribution == from_records.attribution
    assert from_tables.report == from_records.report
    assert from_tables.problems == from_records.problems
