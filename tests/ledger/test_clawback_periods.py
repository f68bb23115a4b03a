"""A clawback appears on the statement of the period it was posted in; the next payout nets it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.ledger.export import PartnerStatement, to_csv, to_json
from hybridroi.ledger.periods import statement_period_label
from hybridroi.ledger.policy import LedgerPolicies
from hybridroi.ledger.schedule import PayoutSchedule
from hybridroi.ledger.store import Ledger, LedgerStore
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.statements.lines import Statement, StatementLine, StatementRun

from .strategies import (
    ZONE,
    Snapshot,
    eur,
    gaps,
    histories,
    make_campaign,
    make_line,
    make_run,
    snapshot_run,
)

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
KEY = "commission:C-17:R-pct"
# 1 May 00:30 in Paris (CEST), still 30 April in UTC.
MAY_1_PARIS = datetime(2026, 4, 30, 22, 30, tzinfo=UTC)
ON_THE_1ST = LedgerPolicies(schedule=PayoutSchedule(day=1))
APRIL_1 = datetime(2026, 3, 31, 22, tzinfo=UTC)
JUNE_1 = datetime(2026, 5, 31, 22, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[LedgerStore]:
    if request.param == "memory":
        yield MemoryLedgerStore()
        return
    with SqliteLedgerStore(":memory:") as made:
        yield made


def _commission(amount: str, *sources: str) -> dict[str, list[StatementLine]]:
    return {"aff-1": [make_line(KEY, eur(amount), SALE, sources=sources or ("C-17",))]}


def _weekly_campaign() -> Campaign:
    base = make_campaign()
    deal = AffiliateDeal(id="D-1", partner_id="aff-1", statement_period=PeriodKind.WEEK)
    return Campaign(
        id=base.id,
        name=base.name,
        currency=base.currency,
        timezone=base.timezone,
        start=base.start,
        end=base.end,
        partners=base.partners,
        deals=(deal,),
    )


class TestClawbackStatementPeriod:
    def test_a_clawback_goes_on_the_statement_of_its_posting_month(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign(), ON_THE_1ST)
        # 10% of a EUR 200.00 sale on 10 March = 20.00; it locks 30 days later, on 9 April.
        ledger.post(make_run(SALE + timedelta(days=1), _commission("20.00")))
        # A refund of 50.00 in late April: 10% of 150.00 = 15.00, so the line falls by 5.00,
        # after the lock: a clawback of -5.00 (pro rata), posted at 00:30 on 1 May in Paris.
        result = ledger.post(make_run(MAY_1_PARIS, _commission("15.00", "C-17", "R-3")))
        (clawback,) = result.entries
        assert clawback.entry_type is EntryType.CLAWBACK
        assert clawback.amount == eur("-5.00")
        # Its key still names the March line, for posting by difference ...
        assert clawback.key.period_label == "2026-03"
        # ... but it appears on the May statement: the month of 1 May in Paris, not UTC's April.
        assert clawback.statement_period == "2026-05"
        earned = store.entries()[0]
        assert (earned.entry_type, earned.statement_period) == (EntryType.EARNED, "2026-03")
        # Stored and read back with its statement period.
        assert store.entries()[-1] == clawback
        # Posting the same statements again adds nothing: the key still balances.
        assert ledger.post(make_run(MAY_1_PARIS, _commission("15.00", "C-17", "R-3"))).entries == ()

    def test_a_reversal_before_the_lock_stays_on_the_line_period(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(make_run(SALE + timedelta(days=1), _commission("20.00")))
        # Refunded on 2 April, before the lock on 9 April: a reversal, on the March statement.
        result = ledger.post(
            make_run(datetime(2026, 4, 2, tzinfo=UTC), _commission("15.00", "C-17", "R-3"))
        )
        (reversal,) = result.entries
        assert reversal.entry_type is EntryType.REVERSAL
        assert reversal.statement_period == "2026-03"

    def test_the_next_payout_nets_the_clawback(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), ON_THE_1ST)
        ledger.post(make_run(SALE + timedelta(days=1), _commission("30.00")))
        may_1 = datetime(2026, 4, 30, 22, tzinfo=UTC)
        # Locked on 9 April, paid on 1 May.
        (paid,) = ledger.run_payouts(may_1).batches
        assert paid.amount == eur("30.00")
        ledger.mark_paid(paid.id, may_1 + timedelta(hours=9))
        # On 5 May the March sale is refunded in full and a new sale of 4 May earns 50.00.
        new_sale = make_line(
            "commission:C-40:R-pct", eur("50.00"), datetime(2026, 4, 4, tzinfo=UTC)
        )
        result = ledger.post(make_run(datetime(2026, 5, 5, tzinfo=UTC), {"aff-1": [new_sale]}))
        (clawback,) = (e for e in result.entries if e.entry_type is EntryType.CLAWBACK)
        assert (clawback.amount, clawback.statement_period) == (eur("-30.00"), "2026-05")
        # 1 June: the new sale locked on 4 May (50.00) less the clawback (-30.00) = 20.00.
        (batch,) = ledger.run_payouts(JUNE_1).batches
        assert batch.amount == eur("20.00")
        assert clawback.id in batch.entry_ids

    def test_a_weekly_partner_sees_the_clawback_on_the_week_it_was_posted(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, _weekly_campaign())
        ledger.post(_weekly_run(SALE + timedelta(days=1), [make_line(KEY, eur("20.00"), SALE)]))
        # Sunday 10 May 2026 23:30 in Paris (21:30Z) is still ISO week 19 there.
        (clawback,) = ledger.post(
            _weekly_run(datetime(2026, 5, 10, 21, 30, tzinfo=UTC), [])
        ).entries
        assert clawback.entry_type is EntryType.CLAWBACK
        assert clawback.key.period_label == "2026-W11"
        assert clawback.statement_period == "2026-W19"
        # At 22:30Z it is Monday 11 May in Paris: week 20.
        assert (
            statement_period_label(datetime(2026, 5, 10, 22, 30, tzinfo=UTC), PeriodKind.WEEK, ZONE)
            == "2026-W20"
        )


def _weekly_run(as_of: datetime, lines: list[StatementLine]) -> StatementRun:
    """aff-1's lines on one weekly statement: the week of SALE."""
    statements = (
        (
            Statement(
                partner_id="aff-1",
                period=period_of(SALE, PeriodKind.WEEK, ZONE),
                currency="EUR",
                lines=tuple(lines),
            ),
        )
        if lines
        else ()
    )
    return attrs.evolve(make_run(as_of, {}), statements=statements)


class TestStatementExport:
    def _ledger(self) -> Ledger:
        ledger = Ledger(MemoryLedgerStore(), make_campaign())
        ledger.post(make_run(SALE + timedelta(days=1), _commission("20.00")))
        ledger.post(make_run(MAY_1_PARIS, _commission("15.00", "C-17", "R-3")))
        return ledger

    def test_the_clawback_is_listed_on_the_statement_of_the_period_it_was_posted_in(
        self,
    ) -> None:
        store = self._ledger().store
        at = MAY_1_PARIS + timedelta(days=1)
        march = PartnerStatement.build(
            "aff-1", store.entries(), store.batches(), at, period="2026-03"
        )
        may = PartnerStatement.build(
            "aff-1", store.entries(), store.batches(), at, period="2026-05"
        )
        assert [(e.entry_type, e.amount) for e in march.entries] == [
            (EntryType.EARNED, eur("20.00"))
        ]
        assert [(e.entry_type, e.amount) for e in may.entries] == [
            (EntryType.CLAWBACK, eur("-5.00"))
        ]
        (row,) = csv.DictReader(io.StringIO(to_csv(may)))
        # The clawback is on the May statement and says which line (of March) it corrects.
        assert (row["statement_period"], row["period"], row["line_key"], row["amount"]) == (
            "2026-05",
            "2026-03",
            KEY,
            "-5.00",
        )
        document = json.loads(to_json(may))
        assert document["period"] == "2026-05"
        assert [e["statement_period"] for e in document["entries"]] == ["2026-05"]

    def test_without_a_period_the_statement_lists_every_entry(self) -> None:
        store = self._ledger().store
        every = PartnerStatement.build("aff-1", store.entries(), store.batches(), MAY_1_PARIS)
        assert every.period is None
        assert [e.statement_period for e in every.entries] == ["2026-03", "2026-05"]


def _post(ledger: Ledger, history: list[Snapshot], day_gaps: list[int], pay: bool) -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    for snapshot, gap in zip(history, day_gaps, strict=False):
        at += timedelta(days=gap)
        ledger.post(snapshot_run(snapshot, at))
        if pay:
            for batch in ledger.run_payouts(at).batches:
                ledger.mark_paid(batch.id, at)


def _expected_period(entry: LedgerEntry) -> str:
    if entry.entry_type is not EntryType.CLAWBACK:
        return entry.period_label
    return period_of(entry.posted_at, PeriodKind.MONTH, ZONE).label


@settings(max_examples=40)
@given(history=histories, day_gaps=gaps, pay=st.booleans(), backend=st.sampled_from(["m", "s"]))
def test_each_entry_is_on_exactly_one_statement_and_a_clawback_never_on_an_older_one(
    history: list[Snapshot], day_gaps: list[int], pay: bool, backend: str
) -> None:
    store: LedgerStore = MemoryLedgerStore() if backend == "m" else SqliteLedgerStore(":memory:")
    ledger = Ledger(store, make_campaign())
    _post(ledger, history, day_gaps, pay)
    entries = store.entries()
    assert [e.statement_period for e in entries] == [_expected_period(e) for e in entries]
    # Labels of months sort in time order: a clawback is never on a statement before its line's.
    assert all(e.statement_period >= e.period_label for e in entries)
    # Every entry appears on the statement of exactly one period.
    at = datetime(2027, 1, 1, tzinfo=UTC)
    periods = sorted({e.statement_period for e in entries})
    listed = [
        entry.id
        for period in periods
        for entry in PartnerStatement.build("aff-1", entries, (), at, period=period).entries
    ]
    assert sorted(listed) == sorted(e.id for e in entries if e.partner_id == "aff-1")
    # Statement periods change no sum: each key still adds up to its line.
    assert sum(e.amount.minor_units for e in entries) == sum(
        cents for cents in history[-1].values()
    )
    if isinstance(store, SqliteLedgerStore):
        store.close()
