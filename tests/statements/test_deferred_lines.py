"""Statements whose commission lines stay in columns until they are read.

Without a cap, a deal's graduated tier lines are kept in columns: a statement builds
its lines on first access and sums its totals from the columns. The statements must be
the very ones built line by line: a cap that never binds forces that path, with the
same lines, keys and explanations.
"""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import START, campaign, credit, run, sale, sales_batches
from tests.statements.test_tier_columns import Batch, tier_rules

from hybridroi.core.money import Money
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import Cap, CapScope, PercentRate, Precedence, TieredRate
from hybridroi.domain.tiers import Band
from hybridroi.statements.lines import (
    _PENDING_SLOT,
    LineKind,
    Statement,
    StatementLine,
    StatementRun,
    _pending_of,
)

NEVER_BINDS = Cap(id="never", scope=CapScope.LIFETIME, amount=Money("1000000000", "EUR"))


def _priced(
    rule: TieredRate, batch: Batch, shares: list[Fraction], *, capped: bool
) -> StatementRun:
    conversions = [conversion for conversion, _ in batch]
    refunds = [refund for _, refund in batch if refund is not None]
    rules = [rule, PercentRate(id="P", rate="0.05"), *([NEVER_BINDS] if capped else [])]
    deal = AffiliateDeal(id="D", partner_id="A", rules=rules, precedence=Precedence.HIGHEST)
    credits = [
        credit(conversion, share=shares[index % len(shares)])
        for index, conversion in enumerate(conversions)
    ]
    return run(campaign(deal), conversions, refunds, credits=credits)


def _is_deferred(statement: Statement) -> bool:
    return _pending_of(statement) is not None


@given(
    tier_rules(),
    sales_batches(max_size=14),
    st.just([Fraction(1)])
    | st.lists(st.fractions(min_value=Fraction(1, 7), max_value=1), min_size=1, max_size=3),
)
@settings(max_examples=60, deadline=None)
def test_lines_kept_in_columns_are_the_lines_built_one_by_one(
    rule: TieredRate, batch: Batch, shares: list[Fraction]
) -> None:
    deferred = _priced(rule, batch, shares, capped=False)
    eager = _priced(rule, batch, shares, capped=True)
    assert not any(_is_deferred(statement) for statement in eager.statements)
    # The totals first, from the columns, then the lines, built on access.
    for kinds in ((), (LineKind.COMMISSION,), (LineKind.BONUS,), (LineKind.FEE, LineKind.BONUS)):
        assert [s.total_of(*kinds) for s in deferred.statements] == [
            s.total_of(*kinds) for s in eager.statements
        ]
    assert [s.partner_total for s in deferred.statements] == [
        s.partner_total for s in eager.statements
    ]
    assert deferred.statements == eager.statements
    assert deferred.problems == eager.problems


def test_a_statement_builds_its_lines_once_on_first_access() -> None:
    rule = TieredRate(id="T", bands=(Band(start=0, rate="0.10"),))
    deal = AffiliateDeal(id="D", partner_id="A", rules=[rule])
    found = run(campaign(deal), [sale("S1", START, "84.00"), sale("S2", START, "16.00")])
    (statement,) = found.statements
    assert _is_deferred(statement)
    assert statement.commissions == Money("10.00", "EUR")
    assert _is_deferred(statement)  # a total builds no line
    lines = statement.lines
    assert not _is_deferred(statement)
    assert statement.lines is lines
    assert [line.key for line in lines] == ["commission:S1:T", "commission:S2:T"]
    assert lines[0].explanation == (
        "10% (tier 1, EUR 0 and more month to date) of EUR 84.00 = EUR 8.40"
    )
    assert pickle.loads(pickle.dumps(statement)) == statement


@given(
    sales_batches(max_size=14),
    st.just([Fraction(1)])
    | st.lists(st.fractions(min_value=Fraction(1, 7), max_value=1), min_size=1, max_size=3),
    st.decimals(min_value=0, max_value=1, places=5),
)
@settings(max_examples=40, deadline=None)
def test_percent_lines_kept_in_columns_are_the_lines_built_one_by_one(
    batch: Batch, shares: list[Fraction], rate: Decimal
) -> None:
    conversions = [conversion for conversion, _ in batch]
    refunds = [refund for _, refund in batch if refund is not None]
    credits = [
        credit(conversion, share=shares[index % len(shares)])
        for index, conversion in enumerate(conversions)
    ]
    found = []
    for extra in ([], [NEVER_BINDS]):
        deal = AffiliateDeal(id="D", partner_id="A", rules=[PercentRate(id="P", rate=rate), *extra])
        found.append(run(campaign(deal), conversions, refunds, credits=credits))
    deferred, eager = found
    assert [s.commissions for s in deferred.statements] == [s.commissions for s in eager.statements]
    assert deferred.statements == eager.statements


def test_percent_amounts_beyond_the_64_bit_bound_are_priced_exactly() -> None:
    deal = AffiliateDeal(id="D", partner_id="A", rules=[PercentRate(id="P", rate="0.12345")])
    cents = 10**17 + 7
    found = run(campaign(deal), [sale("S1", START, Money.from_minor(cents, "EUR"))])
    (statement,) = found.statements
    # Half up, to the cent: the floor of the exact amount plus one half.
    assert statement.commissions.minor_units == int(cents * Fraction("0.12345") + Fraction(1, 2))


@pytest.mark.parametrize("rate", ["1E-19", "3E-19", "0.1234567890123456789"])
def test_rates_with_a_denominator_beyond_64_bits_are_priced_exactly(rate: str) -> None:
    sales = [sale("S1", START, "84.00"), sale("S2", START, "1000000.00")]
    for rule in (
        PercentRate(id="P", rate=rate),
        TieredRate(id="P", bands=(Band(start=0, rate=rate),)),
    ):
        deal = AffiliateDeal(id="D", partner_id="A", rules=[rule])
        (statement,) = run(campaign(deal), sales).statements
        expected = sum(
            int(Fraction(cents) * Fraction(rate) + Fraction(1, 2)) for cents in (8400, 10**8)
        )
        assert statement.commissions.minor_units == expected


def _one_deferred_statement() -> Statement:
    rule = TieredRate(id="T", bands=(Band(start=0, rate="0.10"),))
    deal = AffiliateDeal(id="D", partner_id="A", rules=[rule])
    (statement,) = run(campaign(deal), [sale("S1", START, "84.00")]).statements
    assert _is_deferred(statement)
    return statement


def test_a_deferred_statement_is_the_record_it_stands_for() -> None:
    statement = _one_deferred_statement()
    # Fields and their copies are the record's: no hidden field among them.
    assert [field.name for field in attrs.fields(Statement)] == [
        "partner_id",
        "period",
        "currency",
        "lines",
    ]
    unpickled = pickle.loads(pickle.dumps(_one_deferred_statement()))
    assert unpickled == statement
    assert not _is_deferred(unpickled)
    assert Statement(**attrs.asdict(_one_deferred_statement(), recurse=False)) == statement
    assert attrs.evolve(_one_deferred_statement(), currency="EUR") == statement


def _lines_of(statement: Statement) -> tuple[StatementLine, ...]:
    return statement.lines


def test_threads_reading_the_lines_at_once_get_the_same_lines() -> None:
    for _ in range(20):
        statements = [_one_deferred_statement()] * 8
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = list(pool.map(_lines_of, statements))
        assert all(lines is found[0] for lines in found)


def test_a_failure_while_building_lines_is_not_a_missing_attribute() -> None:
    statement = _one_deferred_statement()
    pending = _pending_of(statement)
    assert pending is not None

    class Broken:
        units = 0

        def lines(self) -> list[StatementLine]:
            raise AttributeError("a column is missing")

    _PENDING_SLOT.__set__(statement, (pending[0], (Broken(),)))
    with pytest.raises(RuntimeError, match="a column is missing"):
        _ = statement.lines
