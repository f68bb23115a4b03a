"""The stored digest of each partner-period's lines: unchanged statements skipped, no others."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.ledger.entries import EntryStatus, LedgerEntry
from hybridroi.ledger.periods import statement_kinds
from hybridroi.ledger.policy import LedgerPolicies
from hybridroi.ledger.posting import EMPTY_DIGEST, differences, group_digests, plan_entries
from hybridroi.ledger.store import Ledger, LedgerStore
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SCHEMA_VERSION, SqliteLedgerStore
from hybridroi.ledger.stores.sqlite_rows import entry_row, instant_text
from hybridroi.statements.lines import StatementRun

from .strategies import (
    Snapshot,
    earned_at_of,
    eur,
    histories,
    make_campaign,
    make_line,
    make_run,
    snapshot_run,
)

START = datetime(2026, 4, 1, tzinfo=UTC)


def _straightforward(store: LedgerStore, run: StatementRun, at: datetime) -> Sequence[LedgerEntry]:
    """The entries of posting ``run`` by comparing every line with every posted sum."""
    found, _ = differences(run, store.posted_totals())
    status = store.payout_status()
    return plan_entries(
        found,
        store.history(d.key for d in found),
        {entry_id for entry_id, state in status.items() if state is EntryStatus.PAID},
        policies=LedgerPolicies(),
        timezone=run_timezone(),
        run_id=f"posting-{store.run_count() + 1:06d}",
        posted_at=at,
        statement_kinds=statement_kinds(make_campaign()),
    )


def run_timezone() -> str:
    return make_campaign().timezone


def _shuffled(run: StatementRun, seed: int) -> StatementRun:
    rng = random.Random(seed)
    statements = list(run.statements)
    rng.shuffle(statements)
    return StatementRun(
        as_of=run.as_of,
        statements=tuple(
            type(s)(
                partner_id=s.partner_id,
                period=s.period,
                currency=s.currency,
                lines=tuple(rng.sample(s.lines, len(s.lines))),
            )
            for s in statements
        ),
        attribution=run.attribution,
        problems=(),
    )


def _sqlite() -> LedgerStore:
    return SqliteLedgerStore(":memory:")


@settings(max_examples=60, deadline=None)
@given(
    history=histories,
    repeats=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    seed=st.integers(0, 2**16),
    sqlite=st.booleans(),
)
def test_posting_with_digests_posts_exactly_what_comparing_every_line_posts(
    history: list[Snapshot], repeats: list[int], seed: int, sqlite: bool
) -> None:
    factory: Callable[[], LedgerStore] = _sqlite if sqlite else MemoryLedgerStore
    ledger = Ledger(factory(), make_campaign())
    at = START
    for snapshot, again in zip(history, repeats, strict=False):
        for copy in range(1 + again):
            at += timedelta(days=3)
            run = snapshot_run(snapshot, at)
            # A copy lists the same lines in another order: another digest, same entries.
            run = _shuffled(run, seed + copy) if copy % 2 else run
            expected = _straightforward(ledger.store, run, at)
            assert ledger.post(run, at=at).entries == expected


def test_a_repost_of_unchanged_statements_reads_no_line_and_posts_nothing() -> None:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    run = snapshot_run({("aff-1", "commission:C-1:R-pct"): 120}, START)
    assert len(ledger.post(run).entries) == 1
    assert dict(ledger.store.posted_digests()) == group_digests(run)
    assert ledger.post(run, at=START + timedelta(hours=1)).entries == ()


def test_a_partner_period_with_a_held_line_keeps_no_digest_and_is_compared_again() -> None:
    line = make_line("commission:C-1:R-pct", eur("1.20"), earned_at_of("commission:C-1:R-pct"))
    run = make_run(START, {"aff-1": [line, line]})
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    first = ledger.post(run)
    assert first.entries == ()
    assert [p.kind.name for p in first.problems] == ["DUPLICATE_ID"]
    (digest,) = ledger.store.posted_digests().values()
    assert digest is None
    again = ledger.post(run, at=START + timedelta(hours=1))
    assert [p.kind.name for p in again.problems] == ["DUPLICATE_ID"]


def test_a_partner_period_gone_from_the_run_is_brought_to_zero_and_then_left_alone() -> None:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    ledger.post(snapshot_run({("aff-1", "commission:C-1:R-pct"): 120}, START))
    gone = ledger.post(snapshot_run({}, START + timedelta(days=1)))
    assert [entry.amount for entry in gone.entries] == [eur("-1.20")]
    assert set(ledger.store.posted_digests().values()) == {EMPTY_DIGEST}
    assert ledger.post(snapshot_run({}, START + timedelta(days=2))).entries == ()


def test_a_version_4_ledger_is_migrated_and_its_first_repost_compares_every_line(
    tmp_path: Path,
) -> None:
    before = snapshot_run(
        {("aff-1", "commission:C-1:R-pct"): 120, ("aff-2", "commission:C-2:R-pct"): 300}, START
    )
    posted = Ledger(MemoryLedgerStore(), make_campaign()).post(before)
    path = tmp_path / "ledger.db"
    with SqliteLedgerStore(path, target_version=4) as old:
        old.bind_campaign("CMP-1")
    connection = sqlite3.connect(path)
    with connection:
        run = posted.run
        connection.execute(
            "INSERT INTO posting_runs VALUES (?, ?, ?, ?, ?)",
            (run.id, run.number, instant_text(run.as_of), instant_text(run.posted_at), 2),
        )
        connection.executemany(
            f"INSERT INTO entries VALUES ({', '.join('?' * 18)})",
            [entry_row(entry) for entry in posted.entries],
        )
    connection.close()
    with SqliteLedgerStore(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert dict(store.posted_digests()) == {
            ("aff-1", "2026-03"): None,
            ("aff-2", "2026-03"): None,
        }
        ledger = Ledger(store, make_campaign())
        at = START + timedelta(days=1)
        assert ledger.post(before, at=at).entries == ()
        assert dict(store.posted_digests()) == group_digests(before)
        after = snapshot_run({("aff-1", "commission:C-1:R-pct"): 50}, START + timedelta(days=2))
        expected = _straightforward(store, after, after.as_of)
        result = ledger.post(after)
        assert result.entries == expected
        assert sorted(str(entry.amount) for entry in result.entries) == ["EUR -0.70", "EUR -3.00"]
