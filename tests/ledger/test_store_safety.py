"""Refusals and errors of the ledger and its stores: every one a library error, never a raw one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import HybridRoiError, InvalidTypeError, InvalidValueError
from hybridroi.ledger.errors import LedgerBusyError, LedgerFileError, StaleRunError
from hybridroi.ledger.lifecycle import LockAfterMonthEnd
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.store import Ledger, LedgerStore
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import DEFAULT_BUSY_TIMEOUT, SqliteLedgerStore
from hybridroi.statements.lines import StatementRun

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    if request.param == "memory":
        yield MemoryLedgerStore()
        return
    with SqliteLedgerStore(tmp_path / "ledger.db") as sqlite_store:
        yield sqlite_store


class TestStaleRuns:
    def test_a_run_older_than_the_last_one_posted_is_refused_whatever_at_says(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign())
        line = make_line("commission:C-1:R", eur("20.00"), SALE)
        late = make_line("commission:C-2:R", eur("8.00"), SALE + timedelta(days=3))
        ledger.post(make_run(SALE + timedelta(days=5), {"aff-1": [line, late]}))
        before = dict(store.posted_totals())
        # The statements as they were on day 1, before the second sale: posting them
        # would reverse that later sale.
        old = make_run(SALE + timedelta(days=1), {"aff-1": [line]})
        with pytest.raises(StaleRunError) as caught:
            ledger.post(old, at=SALE + timedelta(days=9))
        assert isinstance(caught.value, HybridRoiError)
        assert isinstance(caught.value, ValueError)
        message = str(caught.value)
        assert "2026-03-11T14:00:00+00:00" in message  # the run's as-of
        assert "2026-03-15T14:00:00+00:00" in message  # the last posted as-of
        assert "posting-000001" in message
        assert "statements computed as of now" in message
        assert dict(store.posted_totals()) == before
        assert store.run_count() == 1

    def test_the_same_as_of_again_is_accepted_and_adds_nothing(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        run = make_run(SALE, {"aff-1": [make_line("commission:C-1:R", eur("20.00"), SALE)]})
        ledger.post(run)
        assert ledger.post(run, at=SALE + timedelta(days=1)).entries == ()

    def test_a_naive_as_of_is_refused(self, store: LedgerStore) -> None:
        run = make_run(SALE, {"aff-1": [make_line("commission:C-1:R", eur("20.00"), SALE)]})
        naive = run.__class__(
            as_of=SALE.replace(tzinfo=None),
            statements=run.statements,
            attribution=run.attribution,
            problems=(),
        )
        with pytest.raises(InvalidValueError, match="as_of"):
            Ledger(store, make_campaign()).post(naive)
        assert store.run_count() == 0


class TestLedgerInputs:
    def test_wrong_types_are_refused_by_name(self, store: LedgerStore) -> None:
        with pytest.raises(InvalidTypeError, match="Ledger.store"):
            Ledger("ledger.db", make_campaign())  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="Ledger.campaign"):
            Ledger(store, "CMP-1")  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="Ledger.policies"):
            Ledger(store, make_campaign(), {"default": None})  # type: ignore[arg-type]
        ledger = Ledger(store, make_campaign())
        with pytest.raises(InvalidTypeError, match="run"):
            ledger.post([])  # type: ignore[arg-type]
        run = make_run(SALE, {"aff-1": [make_line("commission:C-1:R", eur("20.00"), SALE)]})
        with pytest.raises(InvalidValueError, match="run_id"):
            ledger.post(run, run_id="a:b")
        with pytest.raises(InvalidValueError, match="at"):
            ledger.post(run, at="2026-03-10")  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="at"):
            ledger.balances(SALE.replace(tzinfo=None))
        assert store.run_count() == 0

    def test_wrong_types_in_the_other_operations_are_refused(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        with pytest.raises(InvalidTypeError, match="events"):
            store.record_events(5)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="run_id"):
            ledger.run_payouts(SALE, run_id=5)  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="entry"):
            ledger.statement_period("x")  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="partner_id"):
            ledger.balances(SALE, 5)  # type: ignore[arg-type]
        assert store.payout_run_count() == 0

    def test_an_unknown_batch_is_a_library_error_and_a_key_error(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        with pytest.raises(HybridRoiError, match="no payout batch") as caught:
            ledger.mark_paid("payout-000001:aff-1:EUR", SALE)
        assert isinstance(caught.value, KeyError)


def _one_sale_run(as_of: datetime = SALE) -> StatementRun:
    return make_run(as_of, {"aff-1": [make_line("commission:C-1:R", eur("20.00"), SALE)]})


class TestSqliteFiles:
    def test_a_reused_run_id_is_refused_like_in_memory(self, tmp_path: Path) -> None:
        with SqliteLedgerStore(tmp_path / "ledger.db") as store:
            ledger = Ledger(store, make_campaign())
            ledger.post(make_run(SALE, {}), run_id="run-a")
            with pytest.raises(InvalidValueError, match="run id not used before"):
                ledger.post(make_run(SALE, {}), run_id="run-a")

    def test_a_file_that_is_not_a_database_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "sales.csv"
        path.write_text("id,revenue\nC-1,84.00\n" * 100)
        with pytest.raises(LedgerFileError, match="not a hybridroi ledger") as caught:
            SqliteLedgerStore(path)
        assert isinstance(caught.value, OSError)
        assert str(path) in str(caught.value)
        assert path.read_text() == "id,revenue\nC-1,84.00\n" * 100

    def test_another_applications_database_is_refused_and_left_as_it_was(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "crm.db"
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE customers (id TEXT)")
        connection.commit()
        connection.close()
        with pytest.raises(LedgerFileError, match="not a hybridroi ledger"):
            SqliteLedgerStore(path)
        connection = sqlite3.connect(path)
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
        connection.close()
        assert tables == ["customers"]

    def test_a_directory_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(LedgerFileError, match="cannot open"):
            SqliteLedgerStore(tmp_path)

    def test_a_corrupt_database_is_a_library_error(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.db"
        with SqliteLedgerStore(path) as store:
            Ledger(store, make_campaign()).post(_one_sale_run())
        data = bytearray(path.read_bytes())
        # Keep the header (the file still says SQLite) and scramble every page after the first.
        for offset in range(65_536, len(data)):
            data[offset] = (data[offset] * 7 + 13) % 256
        path.write_bytes(bytes(data))
        with pytest.raises(LedgerFileError, match="damaged"), SqliteLedgerStore(path) as store:
            store.entries()

    def test_wrong_arguments_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidTypeError, match="path"):
            SqliteLedgerStore(5)  # type: ignore[arg-type]
        for timeout in (-1, float("nan"), True, "5"):
            with pytest.raises(InvalidValueError, match="busy_timeout"):
                SqliteLedgerStore(tmp_path / "x.db", busy_timeout=timeout)  # type: ignore[arg-type]
        assert not (tmp_path / "x.db").exists()

    def test_the_busy_timeout_has_a_documented_default(self, tmp_path: Path) -> None:
        with SqliteLedgerStore(tmp_path / "ledger.db") as store:
            assert store.busy_timeout == DEFAULT_BUSY_TIMEOUT == 60.0

    def test_a_writer_that_waits_too_long_gets_a_busy_error(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.db"
        SqliteLedgerStore(path).close()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with SqliteLedgerStore(path, busy_timeout=0.2) as store:
                ledger = Ledger(store, make_campaign())
                started = time.monotonic()
                with pytest.raises(LedgerBusyError, match="busy_timeout") as caught:
                    ledger.post(_one_sale_run())
                assert time.monotonic() - started >= 0.2
                assert isinstance(caught.value, TimeoutError)
                assert "another process is writing" in str(caught.value)
                assert store.run_count() == 0
        finally:
            other.execute("ROLLBACK")
            other.close()


POSTER = textwrap.dedent(
    """
    import sys
    from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
    from hybridroi.ledger.store import Ledger
    from tests.ledger.strategies import make_campaign
    from tests.ledger.test_sqlite import SALE, _run

    store = SqliteLedgerStore(sys.argv[1], busy_timeout=60)
    print("opened", store.run_count(), flush=True)
    result = Ledger(store, make_campaign()).post(_run(500, 100, SALE))
    print("posted", len(result.entries), flush=True)
    """
)


def _start(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", POSTER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_posting_the_same_run_at_once_post_it_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    SqliteLedgerStore(path).close()
    # Another process holds a write transaction while both posters open the store and
    # start posting: opening reads without the write lock, posting waits for it.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    children = [_start(path), _start(path)]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().split() == ["opened", "0"]
        time.sleep(0.5)  # both are now waiting for the write lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    outcomes = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert "Traceback" not in err
        outcomes.append(int(out.split()[-1]))
    assert sorted(outcomes) == [0, 500]
    with SqliteLedgerStore(path) as store:
        assert len(store.entries()) == 500
        assert [run.number for run in store.posting_runs()] == [1, 2]
        assert sum(store.posted_totals().values()) == sum(100 + n for n in range(500))


def test_opening_and_reading_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedgerStore(path) as store:
        Ledger(store, make_campaign()).post(_one_sale_run())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "c.execute('DELETE FROM ledger_meta')\n"
            "print('holding', flush=True)\n"
            "time.sleep(30)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with SqliteLedgerStore(path, busy_timeout=1) as store:
            assert store.campaign_id() == "CMP-1"  # the writer's change is not committed
            assert len(store.entries()) == 1
        assert time.monotonic() - started < 1
    finally:
        holder.kill()
        holder.wait(timeout=30)


class TestPolicyInputs:
    def test_a_holding_period_beyond_the_maximum_duration_is_refused(self) -> None:
        assert LockAfterMonthEnd(months=1200).months == 1200
        assert LockAfterMonthEnd(days=36_524).days == 36_524
        for months, days in ((1201, 0), (0, 36_525), (10**9, 0), (1, 10**12)):
            with pytest.raises(InvalidValueError, match="at most 100 years"):
                LockAfterMonthEnd(months=months, days=days)

    def test_wrong_policy_types_are_refused_by_name(self) -> None:
        with pytest.raises(InvalidTypeError, match="LedgerPolicies.default"):
            LedgerPolicies(default="x")  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="LedgerPolicies.by_partner"):
            LedgerPolicies(by_partner=[1])  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="LedgerPolicies.by_partner"):
            LedgerPolicies(by_partner={1: LedgerPolicy()})  # type: ignore[dict-item]


def test_a_store_bound_by_another_ledger_meanwhile_is_refused_at_posting(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SqliteLedgerStore(path) as first, SqliteLedgerStore(path) as second:
        late = Ledger(second, make_campaign(campaign_id="CMP-2"))  # the store is still unbound
        Ledger(first, make_campaign()).post(_one_sale_run())
        with pytest.raises(InvalidValueError, match="campaign CMP-1"):
            late.post(_one_sale_run())
        assert second.run_count() == 1


@settings(max_examples=40, deadline=None)
@given(offsets=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=5))
def test_a_run_is_posted_exactly_when_its_as_of_is_not_before_the_last_one(
    offsets: list[int],
) -> None:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    latest: datetime | None = None
    at = SALE + timedelta(days=30)
    for number, offset in enumerate(offsets):
        as_of = SALE + timedelta(days=offset)
        lines = [make_line(f"commission:C-{n}:R", eur("5.00"), SALE) for n in range(offset + 1)]
        before = dict(ledger.store.posted_totals())
        at += timedelta(hours=1)
        if latest is not None and as_of < latest:
            with pytest.raises(StaleRunError):
                ledger.post(make_run(as_of, {"aff-1": lines}), at=at)
            assert dict(ledger.store.posted_totals()) == before
        else:
            ledger.post(make_run(as_of, {"aff-1": lines}), at=at, run_id=f"run-{number}")
            latest = as_of
            assert sum(ledger.store.posted_totals().values()) == 500 * (offset + 1)


def _ledger_file(folder: Path) -> bytes:
    path = folder / "model.db"
    if not path.exists():
        with SqliteLedgerStore(path) as store:
            Ledger(store, make_campaign()).post(_one_sale_run())
    return path.read_bytes()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_damaged_or_foreign_file_gives_a_library_error_never_a_raw_one(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.getbasetemp() / "ledger-fuzz"
    folder.mkdir(exist_ok=True)
    model = _ledger_file(folder)
    if data.draw(st.booleans(), label="random bytes"):
        content = data.draw(st.binary(max_size=4096), label="content")
    else:
        changed = bytearray(model)
        for _ in range(data.draw(st.integers(1, 20), label="changes")):
            offset = data.draw(st.integers(0, len(changed) - 1), label="offset")
            changed[offset] = data.draw(st.integers(0, 255), label="byte")
        content = bytes(changed[: data.draw(st.integers(0, len(changed)), label="cut")])
    path = folder / "try.db"
    for leftover in folder.glob("try.db*"):
        leftover.unlink()
    path.write_bytes(content)
    try:
        with SqliteLedgerStore(path, busy_timeout=0) as store:
            store.entries()
            store.batches()
            store.events()
            ledger = Ledger(store, make_campaign())
            ledger.post(_one_sale_run(SALE + timedelta(days=1)))
            ledger.balances(SALE + timedelta(days=2))
    except HybridRoiError:
        pass
