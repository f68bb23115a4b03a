from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.events.records import Conversion, LineItem, Refund
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.ledger.store import Ledger, LedgerStore, PostingRun
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SCHEMA_VERSION, SqliteLedgerStore
from hybridroi.ledger.stores.sqlite_rows import entry_row, instant_text
from hybridroi.statements.lines import StatementRun

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def _run(count: int, cents: int, as_of: datetime) -> StatementRun:
    lines = [
        make_line(f"commission:C-{n}:R", Money.from_minor(cents + n, "EUR"), SALE)
        for n in range(count)
    ]
    return make_run(as_of, {"aff-1": lines})


def _sale(conversion_id: str = "C-17", revenue: str = "84.00") -> Conversion:
    return Conversion(
        id=conversion_id,
        instant=SALE,
        customer_key="cust-1",
        revenue=eur(revenue),
        items=(LineItem(sku="SKU-1", quantity="1.50", unit_price=eur("56.00")),),
    )


class TestEvents:
    @pytest.fixture(params=["memory", "sqlite"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> LedgerStore:
        if request.param == "memory":
            return MemoryLedgerStore()
        return SqliteLedgerStore(tmp_path / "ledger.db")

    def test_the_same_event_twice_changes_nothing(self, store: LedgerStore) -> None:
        first = store.record_events([_sale()])
        # The same sale, written with another quantity scale and time zone.
        same = Conversion(
            id="C-17",
            instant=SALE.astimezone(make_campaign().start.tzinfo),
            customer_key="cust-1",
            revenue=eur("84.0"),
            items=(LineItem(sku="SKU-1", quantity="1.5", unit_price=eur("56")),),
        )
        second = store.record_events([same, _sale()])
        assert first.added == ("conversion:C-17",)
        assert second.added == ()
        assert second.unchanged == ("conversion:C-17", "conversion:C-17")
        assert store.events() == (_sale(),)

    def test_a_reused_id_with_other_content_is_refused_and_nothing_is_overwritten(
        self, store: LedgerStore
    ) -> None:
        store.record_events([_sale()])
        refund = Refund(id="R-3", conversion_id="C-17", instant=SALE, amount=eur("10.00"))
        report = store.record_events([_sale(revenue="99.00"), refund])
        (problem,) = report.problems
        assert problem.kind is ProblemKind.DUPLICATE_ID
        assert problem.subject == "conversion:C-17"
        assert "already stored with different content" in problem.message
        assert report.added == ("refund:R-3",)
        assert store.events() == (_sale(), refund)


def _write_at_version(
    path: Path, version: int, runs: list[tuple[PostingRun, Sequence[LedgerEntry]]]
) -> None:
    """A database at an older schema ``version``, holding ``runs`` as that version stored them."""
    with SqliteLedgerStore(path, target_version=version) as old:
        assert old.schema_version() == version
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
            # Before version 4 an entry row ended with its reason: no statement period.
            connection.executemany(
                f"INSERT INTO entries VALUES ({', '.join('?' * 17)})",
                [entry_row(entry)[:17] for entry in entries],
            )
    connection.close()


class TestSchema:
    def test_wal_mode_and_the_schema_version(self, tmp_path: Path) -> None:
        with SqliteLedgerStore(tmp_path / "ledger.db") as store:
            assert store.schema_version() == SCHEMA_VERSION
        connection = sqlite3.connect(tmp_path / "ledger.db")
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [row[0] for row in connection.execute("SELECT version FROM schema_version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        connection.close()

    def test_an_old_database_is_migrated_and_keeps_its_entries(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.db"
        posted = Ledger(MemoryLedgerStore(), make_campaign()).post(_run(3, 100, SALE))
        _write_at_version(path, 1, [(posted.run, posted.entries)])
        with SqliteLedgerStore(path) as store:
            assert store.schema_version() == SCHEMA_VERSION
            assert store.campaign_id() == "CMP-1"
            assert store.entries() == posted.entries
            ledger = Ledger(store, make_campaign())
            assert ledger.post(_run(3, 100, SALE + timedelta(days=1))).entries == ()
            assert store.payout_status() == {}
            assert sum(store.posted_totals().values()) == 100 + 101 + 102

    def test_a_version_3_database_gets_the_statement_period_of_its_old_clawbacks(
        self, tmp_path: Path
    ) -> None:
        # A ledger written before entries knew their statement period: a March sale of
        # 20.00 posted on 11 March, locked on 9 April, refunded in part on 1 May in Paris.
        memory = Ledger(MemoryLedgerStore(), make_campaign())
        line = make_line("commission:C-1:R", eur("20.00"), SALE)
        first = memory.post(make_run(SALE + timedelta(days=1), {"aff-1": [line]}))
        refunded = make_line("commission:C-1:R", eur("15.00"), SALE, sources=("C-1", "R-1"))
        may_1 = datetime(2026, 4, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 May in Paris
        second = memory.post(make_run(may_1, {"aff-1": [refunded]}))
        path = tmp_path / "ledger.db"
        _write_at_version(path, 3, [(first.run, first.entries), (second.run, second.entries)])
        with SqliteLedgerStore(path) as store:
            assert store.schema_version() == SCHEMA_VERSION
            # Until a Ledger tells the store the campaign's calendar, an old clawback shows
            # on its line's period, as before.
            assert [e.statement_period for e in store.entries()] == ["2026-03", "2026-03"]
            ledger = Ledger(store, make_campaign())
            earned, clawback = store.entries()
            assert clawback.entry_type is EntryType.CLAWBACK
            assert (earned.statement_period, clawback.statement_period) == ("2026-03", "2026-05")
            # The upgraded entries are those a new ledger would have written.
            assert store.entries() == memory.store.entries()
            assert store.fill_statement_periods(ledger.statement_period) == 0
            assert ledger.post(make_run(may_1, {"aff-1": [refunded]})).entries == ()
        with SqliteLedgerStore(path) as store:
            # Filled once, kept: a store opened again needs no Ledger to show it.
            assert [e.statement_period for e in store.entries()] == ["2026-03", "2026-05"]

    def test_a_newer_database_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.db"
        SqliteLedgerStore(path).close()
        connection = sqlite3.connect(path)
        connection.execute("INSERT INTO schema_version VALUES (99, 'future', 'x')")
        connection.commit()
        connection.close()
        with pytest.raises(InvalidValueError, match="upgrade hybridroi"):
            SqliteLedgerStore(path)

    def test_a_failed_write_leaves_the_previous_state(self, tmp_path: Path) -> None:
        with SqliteLedgerStore(tmp_path / "ledger.db") as store:
            ledger = Ledger(store, make_campaign())
            ledger.post(_run(3, 100, SALE), run_id="run-a")
            with pytest.raises(InvalidValueError, match="run id not used before"):
                ledger.post(_run(3, 500, SALE + timedelta(days=1)), run_id="run-a")
            assert sum(store.posted_totals().values()) == 303
            assert store.run_count() == 1


CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    from hybridroi.ledger.stores import sqlite as ledger_sqlite
    from hybridroi.ledger.store import Ledger
    from tests.ledger.strategies import make_campaign
    from tests.ledger.test_sqlite import SALE, _run

    original = ledger_sqlite.entry_rows

    def slow_rows(run, entries):
        names, rows = original(run, entries)

        def slowly():
            for written, row in enumerate(rows, 1):
                if written == 700:
                    print("mid-write", flush=True)
                    time.sleep(120)
                yield row

        return names, slowly()

    ledger_sqlite.entry_rows = slow_rows
    # With a small bulk size, the posting drops the key index and is killed before it
    # builds it again.
    ledger_sqlite._BULK_ENTRIES = int(sys.argv[2])
    store = ledger_sqlite.SqliteLedgerStore(sys.argv[1])
    Ledger(store, make_campaign()).post(_run(2000, 900, SALE + timedelta(days=2)))
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("bulk", [10_000, 1_500])
def test_a_posting_killed_mid_write_leaves_the_database_consistent(
    tmp_path: Path, bulk: int
) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedgerStore(path) as store:
        Ledger(store, make_campaign()).post(_run(1000, 100, SALE))
        before = dict(store.posted_totals())
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(bulk)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "mid-write"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'entries_by_key'"
    ).fetchone()
    connection.close()
    with SqliteLedgerStore(path) as store:
        assert store.run_count() == 1
        assert dict(store.posted_totals()) == before
        # Running the posting again completes it.
        result = Ledger(store, make_campaign()).post(_run(2000, 900, SALE + timedelta(days=2)))
        assert len(result.entries) == 2000
        expected = _run(2000, 900, SALE)
        assert sum(store.posted_totals().values()) == sum(
            s.partner_total.minor_units for s in expected.statements
        )
        assert store.run_count() == 2
