"""A run from tables equals the run from records, on campaigns that use every kind of rule.

The events go through :func:`~hybridroi.files.tables.event_tables`, their rows are
shuffled and cut into chunks, and :func:`~hybridroi.files.tables.read_event_tables`
reads them back: the statements (line by line, keys and explanations included), the
credits, the report and the problems must be those of the run from the records. A
problem found in a table says where (``touches:3``) and one found in a list of records
does not, so problems are compared without their ``source``, as multisets: the order
they are found in follows the order of the rows.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import attrs
import pandas as pd
import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.campaign_strategies import (
    Scenario,
    SeededChoices,
    build_scenario,
    every_kind,
    kinds_of,
    scenarios,
)
from tests.test_tables_pipeline import _shuffled_in_chunks

from hybridroi.core.problems import Problem
from hybridroi.files.tables import event_tables, read_event_tables
from hybridroi.pipeline import RunResult, run

TABLES = ("touches", "conversions", "refunds")


def _tables(scenario: Scenario, order: random.Random, chunks: int) -> dict[str, pa.Table]:
    return {
        name: _shuffled_in_chunks(table, order, chunks)
        for name, table in event_tables(scenario.events).items()
    }


def _run(scenario: Scenario, events: Any) -> RunResult:
    return run(scenario.campaign, events, as_of=scenario.as_of, stats=scenario.stats, margin="0.6")


def _from_tables(scenario: Scenario, tables: dict[str, Any]) -> RunResult:
    loaded = read_event_tables(**tables)
    # The events are valid records: every row is read, and none is a problem.
    assert loaded.problems == ()
    return _run(scenario, loaded)


def _problems(problems: tuple[Problem, ...]) -> Counter[Problem]:
    return Counter(attrs.evolve(problem, source=None) for problem in problems)


def _assert_same(from_tables: RunResult, from_records: RunResult) -> None:
    """Two runs give the same statements, lines, credits, report and problems."""
    tables, records = from_tables.statements, from_records.statements
    assert len(tables.statements) == len(records.statements)
    for mine, theirs in zip(tables.statements, records.statements, strict=True):
        assert (mine.partner_id, mine.period, mine.currency) == (
            theirs.partner_id,
            theirs.period,
            theirs.currency,
        )
        # Totals first: a statement whose lines are still in columns sums the columns.
        assert mine.partner_total == theirs.partner_total
        assert mine.total_cost == theirs.total_cost
        assert (mine.commissions, mine.bonuses, mine.fees, mine.network_fees) == (
            theirs.commissions,
            theirs.bonuses,
            theirs.fees,
            theirs.network_fees,
        )
        assert (mine.guarantee_topups, mine.advances, mine.recoveries) == (
            theirs.guarantee_topups,
            theirs.advances,
            theirs.recoveries,
        )
        assert [line.key for line in mine.lines] == [line.key for line in theirs.lines]
        for line, other in zip(mine.lines, theirs.lines, strict=True):
            assert line.explanation == other.explanation, line.key
            assert line == other, line.key
    assert tables.statements == records.statements
    assert _problems(tables.problems) == _problems(records.problems)
    assert attrs.evolve(from_tables.attribution, problems=()) == attrs.evolve(
        from_records.attribution, problems=()
    )
    assert _problems(from_tables.attribution.problems) == _problems(
        from_records.attribution.problems
    )
    assert attrs.evolve(from_tables.report, problems=()) == attrs.evolve(
        from_records.report, problems=()
    )
    assert _problems(from_tables.report.problems) == _problems(from_records.report.problems)
    assert _problems(from_tables.problems) == _problems(from_records.problems)


@settings(max_examples=60, deadline=None)
@given(
    scenario=scenarios(),
    chunks=st.integers(min_value=1, max_value=5),
    order=st.randoms(use_true_random=False),
)
def test_a_run_from_tables_equals_the_run_from_records(
    scenario: Scenario, chunks: int, order: random.Random
) -> None:
    from_records = _run(scenario, scenario.events)
    from_tables = _from_tables(scenario, _tables(scenario, order, chunks))
    _assert_same(from_tables, from_records)


@settings(max_examples=30, deadline=None)
@given(
    scenario=scenarios(),
    chunks=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    orders=st.tuples(st.randoms(use_true_random=False), st.randoms(use_true_random=False)),
)
def test_a_run_does_not_depend_on_row_order_or_chunks(
    scenario: Scenario,
    chunks: tuple[int, int],
    orders: tuple[random.Random, random.Random],
) -> None:
    first = _from_tables(scenario, _tables(scenario, orders[0], chunks[0]))
    second = _from_tables(scenario, _tables(scenario, orders[1], chunks[1]))
    _assert_same(first, second)
    reversed_records = _run(scenario, tuple(reversed(scenario.events)))
    _assert_same(first, reversed_records)


@settings(max_examples=20, deadline=None)
@given(scenario=scenarios(), order=st.randoms(use_true_random=False))
def test_pandas_and_polars_frames_give_the_run_of_arrow_tables(
    scenario: Scenario, order: random.Random
) -> None:
    tables = _tables(scenario, order, 1)
    from_arrow = _from_tables(scenario, tables)
    pandas_frames = {name: table.to_pandas() for name, table in tables.items()}
    polars_frames = {name: pl.from_arrow(table) for name, table in tables.items()}
    assert all(isinstance(frame, pd.DataFrame) for frame in pandas_frames.values())
    _assert_same(_from_tables(scenario, pandas_frames), from_arrow)
    _assert_same(_from_tables(scenario, polars_frames), from_arrow)


def test_the_scenarios_use_every_kind_of_rule() -> None:
    # Deterministic: the same builder as the strategy, driven by seeded choices.
    seen: Counter[str] = Counter()
    for seed in range(200):
        seen.update(kinds_of(build_scenario(SeededChoices(seed)).campaign))
    assert every_kind() - set(seen) == set()
    # Each kind is used often enough that 60 drawn examples meet most of them.
    assert min(seen[kind] for kind in every_kind()) >= 5, seen.most_common()[-5:]


def test_the_kinds_are_read_from_the_domain() -> None:
    kinds = every_kind()
    for name in ("PercentRate", "TieredRate", "SubAffiliateOverride", "NetworkFee", "CustomerIs"):
        assert name in kinds
    assert {"fee=retainer", "TieredRate.rolling_days", "Cap.scope=lifetime"} <= kinds
