"""The operations a partner team runs: adjustments, decisions, payout outcomes, audit, policies.

Worked examples by hand, run against both stores (memory and SQLite).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.ledger import (
    AuditAction,
    EntryStatus,
    EntryType,
    Ledger,
    LedgerPolicies,
    LedgerPolicy,
    LockOnDayOfMonth,
    MemoryLedgerStore,
    PolicyMismatchError,
    SqliteLedgerStore,
)
from hybridroi.ledger.export import audit_csv, audit_jsonl, read_csv, to_csv
from hybridroi.ledger.store import LedgerStore
from hybridroi.statements.lines import StatementLine

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
CJ = LedgerPolicies(default=LedgerPolicy(lock=LockOnDayOfMonth(day=10)))
"""CJ's rule: commissions lock on the 10th of the month after the sale (local midnight, Paris)."""
APRIL_10 = datetime(2026, 4, 9, 22, tzinfo=UTC)  # 10 April 00:00 in Paris
MAY_10 = datetime(2026, 5, 9, 22, tzinfo=UTC)  # 10 May 00:00 in Paris


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    if request.param == "memory":
        yield MemoryLedgerStore()
    else:
        with SqliteLedgerStore(tmp_path / "ledger.db") as sqlite_store:
            yield sqlite_store


def _line(key: str, amount: str, earned_at: datetime = SALE) -> StatementLine:
    return make_line(key, eur(amount), earned_at)


class TestAdjustments:
    def test_an_adjustment_survives_reposting(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        run = make_run(SALE, {"aff-1": [_line("commission:C-1:R", "30.00")]})
        ledger.post(run)
        bonus = ledger.adjust(
            "aff-1",
            eur("25.00"),
            kind="bonus",
            reason="launch week bonus",
            actor="ops@brand",
            at=SALE + timedelta(hours=1),
        )
        assert bonus.period == "2026-03"
        # The next statement runs know nothing of the bonus: posting by difference keeps it.
        again = ledger.post(make_run(SALE + timedelta(days=1), {"aff-1": []}))
        assert [e.entry_type for e in again.entries] == [EntryType.REVERSAL]
        assert ledger.post(make_run(SALE + timedelta(days=2), {})).entries == ()
        (balance,) = ledger.balances(SALE + timedelta(days=2))
        # 30.00 earned then reversed (pending), 25.00 locked at once.
        assert balance.pending == eur("0.00")
        assert balance.locked == eur("25.00")
        assert balance.total == eur("25.00")
        (entry,) = [e for e in ledger.entries("aff-1") if e.entry_type is EntryType.ADJUSTMENT]
        assert entry.id == f"adjustment:{bonus.id}"
        assert entry.reason == f"adjustment: bonus {bonus.id} by ops@brand: launch week bonus"
        # The payout run pays the adjustment like any locked entry.
        (batch,) = ledger.run_payouts(SALE + timedelta(days=3)).batches
        assert batch.amount == eur("25.00")
        assert batch.entry_ids == (entry.id,)

    def test_the_same_adjustment_twice_is_recorded_once(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        made = {
            "partner_id": "aff-2",
            "amount": eur("-5.00"),
            "kind": "penalty",
            "reason": "coupon posted on a code site",
            "actor": "ops@brand",
            "at": SALE,
        }
        first = ledger.adjust(**made)  # type: ignore[arg-type]
        ledger.post(make_run(SALE + timedelta(days=1), {}))
        # A retry after later runs (same content, so the same default id) changes nothing.
        assert ledger.adjust(**made) == first  # type: ignore[arg-type]
        assert ledger.adjustments() == (first,)
        assert [r.action for r in ledger.audit()].count(AuditAction.ADJUST) == 1
        with pytest.raises(InvalidValueError, match="not used by another adjustment"):
            ledger.adjust(
                "aff-2",
                eur("-6.00"),
                kind="penalty",
                reason="other",
                actor="ops@brand",
                at=SALE + timedelta(days=2),
                adjustment_id=first.id,
            )
        (balance,) = ledger.balances(SALE + timedelta(days=2))
        assert balance.locked == eur("-5.00")

    def test_signs_partners_and_instants_are_checked(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        args = {"reason": "r", "actor": "a", "at": SALE}
        with pytest.raises(InvalidValueError, match="a negative amount for a penalty"):
            ledger.adjust("aff-1", eur("5.00"), kind="penalty", **args)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="a positive amount for a bonus"):
            ledger.adjust("aff-1", eur("-5.00"), kind="bonus", **args)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="bonus, correction, penalty or goodwill"):
            ledger.adjust("aff-1", eur("5.00"), kind="tip", **args)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="a partner of the campaign"):
            ledger.adjust("nobody", eur("5.00"), kind="goodwill", **args)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="non-empty"):
            ledger.adjust("aff-1", eur("5.00"), kind="bonus", reason=" ", actor="a", at=SALE)
        correction = ledger.adjust(
            "aff-1",
            eur("-1.50"),
            kind="correction",
            period="2026-02",
            **args,  # type: ignore[arg-type]
        )
        assert correction.entry().statement_period == "2026-02"
        ledger.post(make_run(SALE + timedelta(days=1), {}))
        with pytest.raises(InvalidValueError, match="at or after the ledger's last run"):
            ledger.adjust("aff-1", eur("1.00"), kind="bonus", **args)  # type: ignore[arg-type]
        assert ledger.adjustments() == (correction,)

    def test_a_run_cannot_take_the_adjustments_id_space(self, store: LedgerStore) -> None:
        with pytest.raises(InvalidValueError, match="an id other than 'adjustment'"):
            Ledger(store, make_campaign()).post(make_run(SALE, {}), run_id="adjustment")

    def test_an_adjustment_is_on_the_partner_statement(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(make_run(SALE, {"aff-1": [_line("commission:C-1:R", "30.00")]}))
        ledger.adjust(
            "aff-1", eur("2.00"), kind="goodwill", reason="=late fix", actor="ops", at=SALE
        )
        rows = read_csv(to_csv(ledger.statement("aff-1", SALE, period="2026-03")))
        assert [(r["entry_type"], r["amount"], r["status"]) for r in rows] == [
            ("earned", "30.00", "pending"),
            ("adjustment", "2.00", "locked"),
        ]
        assert rows[1]["reason"].endswith(": =late fix")


def _two_sales(ledger: Ledger) -> tuple[str, str]:
    lines = [
        _line("commission:C-1:R", "40.00", datetime(2026, 3, 5, 9, tzinfo=UTC)),
        _line("commission:C-2:R", "60.00", datetime(2026, 3, 12, 9, tzinfo=UTC)),
    ]
    result = ledger.post(make_run(datetime(2026, 3, 15, tzinfo=UTC), {"aff-1": lines}))
    first, second = result.entries
    assert first.lock_at == second.lock_at == APRIL_10
    return first.id, second.id


class TestDecisions:
    def test_an_extended_transaction_locks_one_period_later(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        decision = ledger.extend(
            second,
            actor="risk@brand",
            reason="unusual basket",
            at=datetime(2026, 3, 20, tzinfo=UTC),
        )
        assert decision.describe() == "extend the lock by 1 month"
        (balance,) = ledger.balances(APRIL_10)
        assert (balance.locked, balance.pending) == (eur("40.00"), eur("60.00"))
        (april,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        assert april.entry_ids == (first,)
        (balance,) = ledger.balances(MAY_10 - timedelta(seconds=1))
        assert balance.pending == eur("60.00")
        (balance,) = ledger.balances(MAY_10)
        assert balance.locked == eur("60.00")
        (may,) = ledger.run_payouts(datetime(2026, 5, 15, tzinfo=UTC)).batches
        assert (may.entry_ids, may.amount) == ((second,), eur("60.00"))
        history = ledger.history(second)
        assert [(step.status, step.source) for step in history] == [
            (EntryStatus.PENDING, "posting"),
            (EntryStatus.PENDING, "decision"),
            (EntryStatus.LOCKED, "lock"),
            (EntryStatus.PAYABLE, "payout"),
        ]
        assert history[1].actor == "risk@brand"
        assert history[1].reason == "extend the lock by 1 month: unusual basket"
        assert history[2].at == MAY_10

    def test_a_refund_of_an_extended_sale_reverses_it(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        _first, second = _two_sales(ledger)
        ledger.extend(second, actor="risk", reason="check", at=datetime(2026, 3, 20, tzinfo=UTC))
        # Refunded after its usual lock date but before the extended one: still pending.
        kept = [_line("commission:C-1:R", "40.00", datetime(2026, 3, 5, 9, tzinfo=UTC))]
        result = ledger.post(make_run(datetime(2026, 4, 20, tzinfo=UTC), {"aff-1": kept}))
        (reversal,) = result.entries
        assert reversal.entry_type is EntryType.REVERSAL
        assert reversal.amount == eur("-60.00")
        (balance,) = ledger.balances(datetime(2026, 6, 1, tzinfo=UTC))
        assert balance.owed == eur("40.00")
        assert balance.locked == eur("40.00")

    def test_a_sale_repriced_after_its_extension_waits_for_the_extended_lock_whole(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        ledger.extend(second, actor="risk", reason="check", at=datetime(2026, 3, 20, tzinfo=UTC))
        repriced = [
            _line("commission:C-1:R", "40.00", datetime(2026, 3, 5, 9, tzinfo=UTC)),
            _line("commission:C-2:R", "90.00", datetime(2026, 3, 12, 9, tzinfo=UTC)),
        ]
        (delta,) = ledger.post(
            make_run(datetime(2026, 3, 25, tzinfo=UTC), {"aff-1": repriced})
        ).entries
        assert delta.amount == eur("30.00")
        assert delta.lock_at > APRIL_10
        # The April run pays the first sale only; all of C-2 (90.00) waits for May.
        (april,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        assert april.entry_ids == (first,)
        (may,) = ledger.run_payouts(datetime(2026, 5, 15, tzinfo=UTC)).batches
        assert set(may.entry_ids) == {second, delta.id}

    def test_paid_money_stays_a_cost_when_the_rest_of_its_sale_is_declined(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, _second = _two_sales(ledger)
        (batch,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        ledger.mark_paid(batch.id, datetime(2026, 4, 16, tzinfo=UTC))
        more = [
            _line("commission:C-1:R", "50.00", datetime(2026, 3, 5, 9, tzinfo=UTC)),
            _line("commission:C-2:R", "60.00", datetime(2026, 3, 12, 9, tzinfo=UTC)),
        ]
        (delta,) = ledger.post(make_run(datetime(2026, 4, 17, tzinfo=UTC), {"aff-1": more})).entries
        ledger.decline(delta.id, actor="risk", reason="fraud", at=datetime(2026, 4, 18, tzinfo=UTC))
        at = datetime(2026, 6, 1, tzinfo=UTC)
        (balance,) = ledger.balances(at)
        assert (balance.paid, balance.declined) == (eur("100.00"), eur("10.00"))
        kept = {entry.id for entry in ledger.cost_entries(at)}
        assert first in kept
        assert delta.id not in kept

    def test_a_default_decision_id_never_takes_one_given(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        at = datetime(2026, 3, 20, tzinfo=UTC)
        given = ledger.hold(first, actor="a", reason="r", at=at, decision_id="decision-000002")
        chosen = ledger.hold(second, actor="a", reason="r", at=at)
        assert (given.id, chosen.id) == ("decision-000002", "decision-000003")
        assert len(ledger.decisions()) == 2

    def test_a_hold_keeps_an_entry_from_payouts_until_released(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        ledger.hold(
            first, actor="risk", reason="chargeback risk", at=datetime(2026, 4, 1, tzinfo=UTC)
        )
        with pytest.raises(InvalidValueError, match="not held already"):
            ledger.hold(first, actor="risk", reason="again", at=datetime(2026, 4, 1, tzinfo=UTC))
        (balance,) = ledger.balances(datetime(2026, 4, 15, tzinfo=UTC))
        assert (balance.held, balance.locked) == (eur("40.00"), eur("60.00"))
        (batch,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        assert batch.entry_ids == (second,)
        ledger.release(first, actor="risk", reason="cleared", at=datetime(2026, 4, 20, tzinfo=UTC))
        (later,) = ledger.run_payouts(datetime(2026, 4, 21, tzinfo=UTC)).batches
        assert later.entry_ids == (first,)
        steps = [(s.status, s.source) for s in ledger.history(first)]
        assert steps == [
            (EntryStatus.PENDING, "posting"),
            (EntryStatus.HELD, "decision"),
            (EntryStatus.LOCKED, "decision"),
            (EntryStatus.PAYABLE, "payout"),
        ]

    def test_approve_early_makes_a_pending_entry_payable_now(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, _second = _two_sales(ledger)
        approved_at = datetime(2026, 3, 16, tzinfo=UTC)
        ledger.approve(first, actor="am@brand", reason="trusted partner", at=approved_at)
        (batch,) = ledger.run_payouts(approved_at + timedelta(days=1)).batches
        assert (batch.entry_ids, batch.amount) == ((first,), eur("40.00"))

    def test_a_declined_sale_is_never_paid_even_after_a_refund(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        entry = next(e for e in ledger.entries() if e.id == second)
        ledger.decline(
            entry.key, actor="risk", reason="fraud", at=datetime(2026, 3, 20, tzinfo=UTC)
        )
        with pytest.raises(InvalidValueError, match="a decline is final"):
            ledger.approve(second, actor="am", reason="oops", at=datetime(2026, 3, 21, tzinfo=UTC))
        (balance,) = ledger.balances(datetime(2026, 4, 15, tzinfo=UTC))
        assert (balance.declined, balance.owed) == (eur("60.00"), eur("40.00"))
        (batch,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        assert batch.entry_ids == (first,)
        # The declined sale is refunded later: its reversal is declined too, the two net out.
        kept = [_line("commission:C-1:R", "40.00", datetime(2026, 3, 5, 9, tzinfo=UTC))]
        ledger.post(make_run(datetime(2026, 4, 20, tzinfo=UTC), {"aff-1": kept}))
        (balance,) = ledger.balances(datetime(2026, 6, 1, tzinfo=UTC))
        assert (balance.declined, balance.owed, balance.total) == (
            eur("0.00"),
            eur("40.00"),
            eur("40.00"),
        )

    def test_decisions_that_cannot_apply_are_refused(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, _second = _two_sales(ledger)
        with pytest.raises(InvalidValueError, match="a pending transaction"):
            ledger.extend(first, actor="a", reason="late", at=datetime(2026, 4, 11, tzinfo=UTC))
        ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC))
        with pytest.raises(InvalidValueError, match="void it first"):
            ledger.hold(first, actor="a", reason="r", at=datetime(2026, 4, 16, tzinfo=UTC))
        with pytest.raises(InvalidValueError, match="the id of an entry"):
            ledger.hold(
                "posting-000009:1", actor="a", reason="r", at=datetime(2026, 4, 16, tzinfo=UTC)
            )
        assert ledger.decisions() == ()


class TestPayoutOutcomes:
    def test_a_payout_voided_and_rerun_pays_each_entry_once(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, second = _two_sales(ledger)
        (batch,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        paid = ledger.mark_paid(
            batch.id,
            datetime(2026, 4, 16, tzinfo=UTC),
            reference="TRX-2026-04-0001",
            method="sepa",
            actor="finance@brand",
        )
        assert (paid.reference, paid.method, paid.state) == ("TRX-2026-04-0001", "sepa", "paid")
        (balance,) = ledger.balances(datetime(2026, 4, 16, tzinfo=UTC))
        assert balance.paid == eur("100.00")
        # The bank returns the transfer (closed account): the amounts are owed again.
        voided = ledger.void_batch(
            batch.id, datetime(2026, 4, 20, tzinfo=UTC), actor="finance@brand", reason="AC04"
        )
        assert (voided.state, voided.entry_ids) == ("void", batch.entry_ids)
        (balance,) = ledger.balances(datetime(2026, 4, 20, tzinfo=UTC))
        assert (balance.paid, balance.locked) == (eur("0.00"), eur("100.00"))
        with pytest.raises(InvalidValueError, match="not void"):
            ledger.mark_paid(batch.id, datetime(2026, 4, 21, tzinfo=UTC))
        rerun = ledger.run_payouts(datetime(2026, 5, 15, tzinfo=UTC))
        (again,) = rerun.batches
        assert again.id == "payout-000002:aff-1:EUR"
        assert (set(again.entry_ids), again.amount) == ({first, second}, eur("100.00"))
        # A third run finds nothing left to pay.
        assert ledger.run_payouts(datetime(2026, 6, 15, tzinfo=UTC)).batches == ()
        live = [b for b in ledger.payout_batches() if b.live]
        assert sorted(e for b in live for e in b.entry_ids) == sorted([first, second])
        assert [b.state for b in ledger.payout_batches()] == ["void", "payable"]
        steps = [(s.status, s.source) for s in ledger.history(first)]
        assert steps == [
            (EntryStatus.PENDING, "posting"),
            (EntryStatus.LOCKED, "lock"),
            (EntryStatus.PAYABLE, "payout"),
            (EntryStatus.PAID, "payout"),
            (EntryStatus.LOCKED, "payout"),
            (EntryStatus.PAYABLE, "payout"),
        ]

    def test_a_failed_batch_is_payable_again(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        _two_sales(ledger)
        (batch,) = ledger.run_payouts(datetime(2026, 4, 15, tzinfo=UTC)).batches
        failed = ledger.mark_failed(
            batch.id, datetime(2026, 4, 16, tzinfo=UTC), actor="bank-feed", reason="rejected"
        )
        assert failed.state == "failed"
        with pytest.raises(InvalidValueError, match="not failed already"):
            ledger.void_batch(batch.id, datetime(2026, 4, 16, tzinfo=UTC), actor="a", reason="r")
        (balance,) = ledger.balances(datetime(2026, 4, 16, tzinfo=UTC))
        assert (balance.payable, balance.locked) == (eur("0.00"), eur("100.00"))


class TestAuditAndPolicies:
    def test_every_operation_is_audited_with_its_actor_and_reason(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign(), CJ)
        first, _second = _two_sales(ledger)
        ledger.adjust(
            "aff-1", eur("5.00"), kind="bonus", reason="=HYPERLINK()", actor="ops", at=APRIL_10
        )
        ledger.hold(first, actor="risk", reason="check", at=APRIL_10)
        (batch,) = ledger.run_payouts(APRIL_10 + timedelta(days=1), actor="finance").batches
        ledger.mark_paid(batch.id, APRIL_10 + timedelta(days=2), reference="R-1", actor="finance")
        records = ledger.audit()
        assert [(r.number, r.action, r.actor) for r in records] == [
            (1, AuditAction.POLICIES, "system"),
            (2, AuditAction.POST, "system"),
            (3, AuditAction.ADJUST, "ops"),
            (4, AuditAction.HOLD, "risk"),
            (5, AuditAction.PAYOUT, "finance"),
            (6, AuditAction.PAID, "finance"),
        ]
        assert records[4].details == "1 batches (aff-1 EUR 65.00), 0 carried over"
        text = audit_csv(records)
        assert text.splitlines()[0] == "number,at,actor,action,subject,reason,details"
        assert ",'=HYPERLINK()," in text
        lines = [json.loads(line) for line in audit_jsonl(records).splitlines()]
        assert [line["number"] for line in lines] == [1, 2, 3, 4, 5, 6]
        assert lines[2]["reason"] == "=HYPERLINK()"

    def test_a_ledger_opened_with_other_policies_is_refused(self, store: LedgerStore) -> None:
        Ledger(store, make_campaign(), CJ).post(make_run(SALE, {}))
        with pytest.raises(PolicyMismatchError, match="written under other policies"):
            Ledger(store, make_campaign(), LedgerPolicies())
        # The same policies, built again, are accepted.
        same = LedgerPolicies(default=LedgerPolicy(lock=LockOnDayOfMonth(day=10)))
        assert Ledger(store, make_campaign(), same).post(make_run(SALE, {})).entries == ()


def test_two_processes_with_different_policies_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedgerStore(path) as one, SqliteLedgerStore(path) as other:
        first = Ledger(one, make_campaign(), CJ)
        # Opened before anything was stored: refused at its first write instead.
        second = Ledger(other, make_campaign(), LedgerPolicies())
        first.post(make_run(SALE, {"aff-1": [_line("commission:C-1:R", "3.00")]}))
        with pytest.raises(PolicyMismatchError):
            second.post(make_run(SALE + timedelta(days=1), {}))
        assert len(other.entries()) == 1
        assert other.run_count() == 1


def test_a_version_6_ledger_is_migrated_to_version_7(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    memory = Ledger(MemoryLedgerStore(), make_campaign(), CJ)
    first, second = _two_sales(memory)
    payout = memory.run_payouts(datetime(2026, 4, 15, tzinfo=UTC))
    (batch,) = payout.batches
    paid = memory.store.mark_paid(batch.id, datetime(2026, 4, 16, tzinfo=UTC))
    # A version 6 ledger, written by the version 6 store: a posting, a payout run, a payment.
    with SqliteLedgerStore(path, target_version=6) as old:
        assert old.schema_version() == 6
        old.bind_campaign("CMP-1")
        (run,) = [memory.store.last_posting()]
        assert run is not None
        old.write_posting(run, memory.store.entries())
        old.write_payouts(payout)
        assert old.mark_paid(batch.id, datetime(2026, 4, 16, tzinfo=UTC)) == paid
    with SqliteLedgerStore(path) as store:
        assert store.schema_version() == 7
        assert store.batches() == (paid,)
        assert store.entries() == memory.store.entries()
        ledger = Ledger(store, make_campaign(), CJ)
        assert store.stored_policies() is None  # stored at the ledger's next write
        ledger.void_batch(batch.id, datetime(2026, 4, 20, tzinfo=UTC), actor="bank", reason="R")
        assert store.stored_policies() == CJ.text()
        (again,) = ledger.run_payouts(datetime(2026, 5, 15, tzinfo=UTC)).batches
        assert set(again.entry_ids) == {first, second}
    connection = sqlite3.connect(path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    versions = [row[0] for row in connection.execute("SELECT version FROM schema_version")]
    connection.close()
    assert {"adjustments", "decisions", "audit", "voided_payout_items"} <= tables
    assert versions == [1, 2, 3, 4, 5, 6, 7]


def test_money_stays_exact_in_every_currency(store: LedgerStore) -> None:
    # aff-3 is paid in yen and aff-2 in dinars by their deals.
    campaign = attrs.evolve(
        make_campaign(),
        deals=(
            AffiliateDeal(id="d-jpy", partner_id="aff-3", rules=(), currency="JPY"),
            AffiliateDeal(id="d-bhd", partner_id="aff-2", rules=(), currency="BHD"),
        ),
    )
    ledger = Ledger(store, campaign)
    with pytest.raises(InvalidValueError, match="currency the partner is paid in"):
        ledger.adjust("aff-1", Money("1500", "JPY"), kind="bonus", reason="r", actor="a", at=SALE)
    ledger.adjust("aff-3", Money("1500", "JPY"), kind="bonus", reason="r", actor="a", at=SALE)
    ledger.adjust("aff-2", Money("0.125", "BHD"), kind="bonus", reason="r", actor="a", at=SALE)
    assert sorted((b.currency, b.locked) for b in ledger.balances(SALE)) == [
        ("BHD", Money("0.125", "BHD")),
        ("JPY", Money("1500", "JPY")),
    ]


def test_concurrent_writers_on_one_file_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    errors: list[BaseException] = []

    def adjust_many(worker: int) -> None:
        try:
            with SqliteLedgerStore(path) as own:
                ledger = Ledger(own, make_campaign(), CJ)
                for n in range(8):
                    ledger.adjust(
                        "aff-1",
                        eur("1.00"),
                        kind="bonus",
                        reason=f"worker {worker}, bonus {n}",
                        actor=f"worker-{worker}",
                        at=SALE,
                    )
        except BaseException as error:
            errors.append(error)

    SqliteLedgerStore(path).close()
    workers = [threading.Thread(target=adjust_many, args=(w,)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with SqliteLedgerStore(path) as store:
        ledger = Ledger(store, make_campaign(), CJ)
        assert len(ledger.adjustments()) == 16
        records = ledger.audit()
        assert [r.number for r in records] == list(range(1, 18))
        assert [r.action for r in records].count(AuditAction.POLICIES) == 1
        (balance,) = ledger.balances(SALE)
        assert balance.locked == eur("16.00")


def test_an_adjustment_beyond_what_a_ledger_can_hold_is_refused(store: LedgerStore) -> None:
    ledger = Ledger(store, make_campaign(), CJ)
    with pytest.raises(InvalidValueError, match="63 bits"):
        ledger.adjust("aff-1", eur("1e30"), kind="bonus", reason="r", actor="a", at=SALE)
    assert ledger.adjustments() == ()
