"""Posting in bulk: partner-periods with nothing posted, and the narrower rows of schema 6."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.lifecycle import LockAfterMonthEnd
from hybridroi.ledger.periods import statement_kinds
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.posting import differences, plan_entries
from hybridroi.ledger.store import Ledger, LedgerStore, PostingRun
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SCHEMA_VERSION, SqliteLedgerStore
from hybridroi.ledger.stores.sqlite_rows import entry_row, instant_text
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

from .strategies import MARCH, ZONE, eur, make_campaign, make_line, make_run

POLICIES = LedgerPolicies(default=LedgerPolicy(lock=LockAfterMonthEnd(months=1, days=10)))


def _line_by_line(store: LedgerStore, run: StatementRun, at: datetime) -> Sequence[LedgerEntry]:
    """The entries of posting ``run`` difference by difference, without the bulk path."""
    found, _ = differences(run, store.posted_totals())
    return plan_entries(
        found,
        store.history(d.key for d in found),
        set(),
        policies=POLICIES,
        timezone=ZONE,
        run_id=f"posting-{store.run_count() + 1:06d}",
        posted_at=at,
        statement_kinds=statement_kinds(make_campaign()),
    )


keys = st.sampled_from([f"commission:C-{n}:R" for n in range(8)] + ["fee:F-1", " padded"])
lines = st.builds(
    lambda key, cents, currency, kind, minutes, explanation: StatementLine(
        key=key,
        kind=kind,
        amount=Money.from_minor(cents, currency),
        rule_id="R",
        explanation=explanation,
        earned_at=MARCH + timedelta(minutes=minutes),
        source_ids=(key.split(":")[-1],),
    ),
    keys,
    st.integers(-500, 500),
    st.sampled_from(["EUR", "EUR", "USD"]),
    st.sampled_from([LineKind.COMMISSION, LineKind.FEE, LineKind.NETWORK_FEE]),
    st.integers(0, 60 * 24 * 60),
    st.sampled_from(["explained", "explained", " "]),
)
statements = st.dictionaries(
    st.sampled_from(["aff-1", "aff-2", "aff-3"]), st.lists(lines, max_size=8), max_size=3
)


def _run(partners: dict[str, list[StatementLine]], as_of: datetime) -> StatementRun:
    period = period_of(MARCH + timedelta(days=3), PeriodKind.MONTH, ZONE)
    return StatementRun(
        as_of=as_of,
        statements=tuple(
            Statement(partner_id=p, period=period, currency="EUR", lines=tuple(found))
            for p, found in sorted(partners.items())
        ),
        attribution=make_run(as_of, {}).attribution,
        problems=(),
    )


@settings(max_examples=80, deadline=None)
@given(first=statements, second=statements, sqlite=st.booleans())
def test_posting_in_bulk_posts_what_posting_line_by_line_posts(
    first: dict[str, list[StatementLine]], second: dict[str, list[StatementLine]], sqlite: bool
) -> None:
    # Unsorted, repeated, zero, negative, network fee and unexplained lines, in two
    # currencies: a partner-period that cannot be posted in bulk is compared line by line.
    store: LedgerStore = SqliteLedgerStore(":memory:") if sqlite else MemoryLedgerStore()
    ledger = Ledger(store, make_campaign(), POLICIES)
    at = datetime(2026, 4, 20, tzinfo=UTC)
    for partners in (first, second, {**second, "aff-3": first.get("aff-1", [])}):
        run = _run(partners, at)
        expected = _line_by_line(store, run, at)
        result = ledger.post(run, at=at)
        assert result.entries == expected
        assert store.entries()[len(store.entries()) - len(expected) :] == expected
        at += timedelta(days=1)


def test_a_partner_period_with_nothing_posted_posts_each_line_once_in_key_order() -> None:
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    lines = [make_line(f"commission:C-{n}:R", eur(f"{n}.00"), sale) for n in (3, 1, 2)]
    result = Ledger(MemoryLedgerStore(), make_campaign()).post(
        make_run(sale + timedelta(days=1), {"aff-1": lines})
    )
    assert [(e.id, e.line_key, str(e.amount)) for e in result.entries] == [
        ("posting-000001:1", "commission:C-1:R", "EUR 1.00"),
        ("posting-000001:2", "commission:C-2:R", "EUR 2.00"),
        ("posting-000001:3", "commission:C-3:R", "EUR 3.00"),
    ]
    assert {e.reason for e in result.entries} == {
        f"earned: commission:C-{n}:R first posted" for n in (1, 2, 3)
    }


def _entry(**changes: Any) -> LedgerEntry:
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    entry = LedgerEntry(
        id="run-a:1",
        run_id="run-a",
        key=LedgerKey("aff-1", "2026-03", "commission:C-1:R", "EUR"),
        line_kind=LineKind.COMMISSION,
        entry_type=EntryType.EARNED,
        amount=eur("1.20"),
        status=EntryStatus.PENDING,
        lock_at=sale + timedelta(days=30),
        earned_at=sale,
        posted_at=sale + timedelta(days=1),
        rule_id="R",
        explanation="10% of C-1",
        source_ids=("C-1",),
        reason="earned: commission:C-1:R first posted",
    )
    return attrs.evolve(entry, **changes)


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"])
def test_values_a_row_does_not_imply_are_kept(store_kind: str) -> None:
    store: LedgerStore = (
        MemoryLedgerStore() if store_kind == "memory" else SqliteLedgerStore(":memory:")
    )
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    entries = (
        _entry(),
        # A status, reason, statement period, posting instant and id prefix of their own.
        _entry(id="run-a:2", status=EntryStatus.LOCKED, reason="by hand"),
        _entry(id="run-b:3", statement_period="2026-05", posted_at=sale + timedelta(days=2)),
        _entry(id="run-a:4", entry_type=EntryType.WAIVED, status=EntryStatus.WAIVED, source_ids=()),
        _entry(id="run-a:5", source_ids=('a "quoted", id', "S 2")),
    )
    run = PostingRun(
        id="run-a", number=1, as_of=sale, posted_at=sale + timedelta(days=1), entry_count=5
    )
    store.write_posting(run, entries)
    stored = store.entries()
    if store_kind == "sqlite":
        # Read back as the checked constructor gives them: the id's prefix is the run.
        assert stored[2] == attrs.evolve(entries[2], run_id="run-b")
        assert stored[:2] + stored[3:] == entries[:2] + entries[3:]
    else:
        assert stored == entries


def _v5_ledger(path: Path, runs: list[tuple[PostingRun, Sequence[LedgerEntry]]]) -> None:
    """A version 5 ledger holding ``runs``, written as version 5 wrote them."""
    with SqliteLedgerStore(path, target_version=5) as old:
        old.bind_campaign("CMP-1")
    connection = sqlite3.connect(path)
    with connection:
        for run, entries in runs:
            connection.execute(
                "INSERT INTO posting_runs VALUES (?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.number,
                    instant_text(run.as_of),
                    instant_text(run.posted_at),
                    run.entry_count,
                ),
            )
            connection.executemany(
                f"INSERT INTO entries VALUES ({', '.join('?' * 18)})",
                [entry_row(entry) for entry in entries],
            )
            connection.executemany(
                "INSERT OR REPLACE INTO posted_groups VALUES (?, ?, NULL)",
                {(e.partner_id, e.period_label) for e in entries},
            )
    connection.close()


def test_a_version_5_ledger_is_upgraded_in_place_and_reads_back_equal(tmp_path: Path) -> None:
    # Earned entries, an adjustment, a reversal, a clawback and a waived clawback.
    campaign = make_campaign()
    policies = LedgerPolicies(default=LedgerPolicy(claw_back_paid=False))
    memory = Ledger(MemoryLedgerStore(), campaign, policies)
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    history = [
        (sale + timedelta(days=1), {"commission:C-1:R": "20.00", "commission:C-2:R": "5.00"}),
        (sale + timedelta(days=2), {"commission:C-1:R": "25.00", "commission:C-2:R": "3.00"}),
        (datetime(2026, 4, 30, 22, 30, tzinfo=UTC), {"commission:C-1:R": "10.00"}),
    ]
    runs = []
    for at, amounts in history:
        lines = [make_line(key, eur(amount), sale) for key, amount in amounts.items()]
        result = memory.post(make_run(at, {"aff-1": lines}))
        runs.append((result.run, result.entries))
    paid_at = datetime(2026, 6, 1, tzinfo=UTC)
    path = tmp_path / "ledger.db"
    _v5_ledger(path, runs)
    kinds = {e.entry_type for _, entries in runs for e in entries}
    assert kinds >= {EntryType.EARNED, EntryType.REVERSAL, EntryType.CLAWBACK}
    with SqliteLedgerStore(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == 7
        assert store.entries() == memory.store.entries()
        assert store.entries("aff-1") == memory.store.entries("aff-1")
        assert dict(store.posted_totals()) == dict(memory.store.posted_totals())
        ledger = Ledger(store, campaign, policies)
        assert ledger.balances(paid_at) == memory.balances(paid_at)
        last = make_run(
            history[-1][0], {"aff-1": [make_line("commission:C-1:R", eur("10.00"), sale)]}
        )
        assert ledger.post(last).entries == ()
    with SqliteLedgerStore(path) as store:
        assert store.entries() == memory.store.entries()
