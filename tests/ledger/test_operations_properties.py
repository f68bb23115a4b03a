"""Properties of the ledger under any sequence of postings, adjustments, decisions and payouts.

* The balance of a partner (every status summed) equals the statements' total
  plus the partner's adjustments, checked against plain integer cents.
* No entry is in two live payout batches: a voided batch's entries are paid
  once by a later run, never twice.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.ledger import (
    EntryStatus,
    Ledger,
    LedgerPolicies,
    LedgerPolicy,
    LockOnDayOfMonth,
    MemoryLedgerStore,
    SqliteLedgerStore,
)
from hybridroi.ledger.store import LedgerStore

from .strategies import MARCH, PARTNERS, Snapshot, eur, make_campaign, snapshot_run, snapshots

POLICIES = LedgerPolicies(
    default=LedgerPolicy(lock=LockOnDayOfMonth(day=10), minimum_payouts=(eur("10.00"),))
)
DECISIONS = ("hold", "release", "extend", "approve", "decline")

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20),  # days since the previous step
        st.one_of(
            st.tuples(st.just("post"), snapshots),
            st.tuples(
                st.just("adjust"),
                st.sampled_from(PARTNERS),
                st.integers(min_value=-3_000, max_value=3_000).filter(bool),
            ),
            st.tuples(st.just("decide"), st.sampled_from(DECISIONS), st.integers(0, 50)),
            st.tuples(st.just("payout")),
            st.tuples(st.just("paid"), st.integers(0, 20)),
            st.tuples(st.just("void"), st.integers(0, 20), st.sampled_from(("void", "failed"))),
        ),
    ),
    min_size=1,
    max_size=12,
)


def _check(ledger: Ledger, posted: Snapshot, adjusted: dict[str, int], now: object) -> None:
    assert isinstance(now, type(MARCH))
    totals: dict[str, int] = {}
    for balance in ledger.balances(now):
        assert balance.currency == "EUR"
        parts = (
            balance.pending,
            balance.locked,
            balance.payable,
            balance.paid,
            balance.held,
            balance.declined,
            balance.waived,
        )
        assert sum(part.minor_units for part in parts) == balance.total.minor_units
        totals[balance.partner_id] = balance.total.minor_units
    for partner in PARTNERS:
        statements = sum(cents for (p, _key), cents in posted.items() if p == partner)
        assert totals.get(partner, 0) == statements + adjusted.get(partner, 0)
    live = Counter(e for b in ledger.payout_batches() if b.live for e in b.entry_ids)
    assert all(count == 1 for count in live.values())
    known = {entry.id for entry in ledger.entries()}
    assert set(live) <= known
    # The status history of an entry ends on the status derived at the same instant.
    statement: dict[str, EntryStatus] = {}
    for partner in PARTNERS:
        statement.update(ledger.statement(partner, now).statuses)
    for entry in ledger.entries()[:6]:
        (*_, last) = ledger.history(entry.id, at=now)
        assert last.status is statement[entry.id], (entry.id, ledger.history(entry.id, at=now))


def _run(store: LedgerStore, plan: list[tuple[int, tuple[object, ...]]]) -> Ledger:
    """Run ``plan`` on a ledger in ``store``, checking the invariants after every step."""
    ledger = Ledger(store, make_campaign(), POLICIES)
    now = MARCH + timedelta(days=12)
    posted: Snapshot = {}
    adjusted: dict[str, int] = {}
    for n, (gap, step) in enumerate(plan):
        now += timedelta(days=gap)
        action = step[0]
        if action == "post":
            snapshot = step[1]
            assert isinstance(snapshot, dict)
            ledger.post(snapshot_run(snapshot, now))
            posted = {key: cents for key, cents in snapshot.items() if cents}
        elif action == "adjust":
            partner, cents = step[1], step[2]
            assert isinstance(partner, str)
            assert isinstance(cents, int)
            ledger.adjust(
                partner,
                Money.from_minor(cents, "EUR"),
                kind="correction",
                reason=f"step {n}",
                actor="ops",
                at=now,
            )
            adjusted[partner] = adjusted.get(partner, 0) + cents
        elif action == "decide":
            kind, index = step[1], step[2]
            assert isinstance(kind, str)
            assert isinstance(index, int)
            entries = ledger.entries()
            if entries:
                target = entries[index % len(entries)]
                decide = getattr(ledger, str(kind))
                # A decision that cannot apply is refused, and nothing is written.
                with contextlib.suppress(InvalidValueError):
                    decide(target.id, actor="risk", reason=f"step {n}", at=now)
        elif action == "payout":
            ledger.run_payouts(now)
        else:
            index = step[1]
            assert isinstance(index, int)
            live = [b for b in ledger.payout_batches() if b.live]
            if action == "paid":
                payable = [b for b in live if b.paid_at is None]
                if payable:
                    ledger.mark_paid(payable[index % len(payable)].id, now, reference=f"T-{n}")
            elif live:
                kind = step[2]
                assert isinstance(kind, str)
                ledger.void_batch(
                    live[index % len(live)].id, now, actor="bank", reason="return", kind=kind
                )
        _check(ledger, posted, adjusted, now)
    # Whatever happened, a final payout run long after pays what is locked exactly once.
    later = now + timedelta(days=400)
    ledger.run_payouts(later)
    _check(ledger, posted, adjusted, later)
    return ledger


@settings(max_examples=60, deadline=None)
@given(steps)
def test_balances_add_up_and_no_entry_is_paid_twice(
    plan: list[tuple[int, tuple[object, ...]]],
) -> None:
    _run(MemoryLedgerStore(), plan)


@settings(max_examples=10, deadline=None)
@given(steps)
def test_the_sqlite_store_keeps_the_same_ledger_as_the_memory_store(
    plan: list[tuple[int, tuple[object, ...]]],
) -> None:
    memory = _run(MemoryLedgerStore(), plan)
    with (
        tempfile.TemporaryDirectory() as folder,
        SqliteLedgerStore(Path(folder) / "ledger.db") as store,
    ):
        sqlite = _run(store, plan)
        at = max(record.at for record in memory.audit())
        assert sqlite.entries() == memory.entries()
        assert sqlite.payout_batches() == memory.payout_batches()
        assert sqlite.decisions() == memory.decisions()
        assert sqlite.adjustments() == memory.adjustments()
        assert sqlite.audit() == memory.audit()
        assert sqlite.balances(at) == memory.balances(at)
