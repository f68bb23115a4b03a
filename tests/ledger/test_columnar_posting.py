"""Posting from columns: first postings kept as columns, digests, and what a run may not do."""

from __future__ import annotations

import copy
import hashlib
import itertools
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import HybridRoiError
from hybridroi.core.money import Money
from hybridroi.ledger.entries import (
    EntryStatus,
    EntryType,
    FreshEntries,
    LedgerEntry,
    LedgerKey,
    PostedEntries,
)
from hybridroi.ledger.posting import LineColumns, group_columns, group_digests
from hybridroi.ledger.store import Ledger, LedgerStore, PostingRun
from hybridroi.ledger.stores import sqlite as ledger_sqlite
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.ledger.stores.sqlite_rows import entry_rows
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

from .strategies import MARCH, make_campaign, make_line, make_run

AT = datetime(2026, 4, 20, tzinfo=UTC)

# A sale's cents per (partner, sale number): the state of the statements at one moment.
Sales = dict[tuple[str, int], int]

sales = st.dictionaries(
    st.tuples(st.sampled_from(["aff-1", "aff-2", "aff-3"]), st.integers(0, 30)),
    st.integers(-2_000, 2_000),
    max_size=40,
)


def _lines(found: Sales, partner: str) -> list[StatementLine]:
    return [
        make_line(
            f"commission:C-{n}:R",
            Money.from_minor(cents, "EUR"),
            MARCH + timedelta(days=n % 28, minutes=n),
        )
        for (p, n), cents in found.items()
        if p == partner
    ]


def _run(found: Sales, as_of: datetime = AT) -> StatementRun:
    partners = {p for p, _ in found}
    return make_run(as_of, {p: _lines(found, p) for p in partners})


def _store(sqlite: bool) -> LedgerStore:
    return SqliteLedgerStore(":memory:") if sqlite else MemoryLedgerStore()


def _ledger_state(store: LedgerStore) -> list[tuple[object, ...]]:
    return [attrs.astuple(entry, recurse=False) for entry in store.entries()]


def _posted(store: LedgerStore) -> dict[tuple[str, int], int]:
    found: dict[tuple[str, int], int] = {}
    for key, total in store.posted_totals().items():
        if total:
            found[(key.partner_id, int(key.line_key.split(":")[1][2:]))] = total
    return found


@settings(max_examples=60, deadline=None)
@given(found=sales, sqlite=st.booleans())
def test_posting_the_same_statements_twice_posts_nothing(found: Sales, sqlite: bool) -> None:
    store = _store(sqlite)
    ledger = Ledger(store, make_campaign())
    run = _run(found)
    first = ledger.post(run)
    assert len(first.entries) == sum(1 for cents in found.values() if cents)
    assert _posted(store) == {key: cents for key, cents in found.items() if cents}
    before = _ledger_state(store)
    again = ledger.post(run, at=AT + timedelta(hours=1))
    assert again.entries == ()
    assert len(again.entries) == 0
    assert _ledger_state(store) == before


@settings(max_examples=40, deadline=None)
@given(found=sales, seed=st.integers(0, 2**32 - 1), sqlite=st.booleans())
def test_statements_in_any_order_and_split_in_chunks_post_the_same_ledger(
    found: Sales, seed: int, sqlite: bool
) -> None:
    # One partner-period's lines spread over several statements, listed in any order: the
    # ledger is the same, entry for entry (ids, amounts, reasons, lock instants).
    run = _run(found)
    shuffle = random.Random(seed)
    chunks: list[Statement] = []
    for statement in run.statements:
        lines = list(statement.lines)
        shuffle.shuffle(lines)
        cut = shuffle.randint(0, len(lines))
        chunks.extend(
            attrs.evolve(statement, lines=tuple(part)) for part in (lines[:cut], lines[cut:])
        )
    shuffle.shuffle(chunks)
    chunked = attrs.evolve(run, statements=tuple(chunks))
    whole, split = _store(sqlite), _store(sqlite)
    expected = Ledger(whole, make_campaign()).post(run).entries
    assert Ledger(split, make_campaign()).post(chunked).entries == expected
    assert _ledger_state(split) == _ledger_state(whole)


@settings(max_examples=40, deadline=None)
@given(found=sales, steps=st.integers(1, 4), sqlite=st.booleans())
def test_posting_growing_statements_in_steps_ends_with_the_statements(
    found: Sales, steps: int, sqlite: bool
) -> None:
    # The sales arrive in steps (each run the complete state so far): whatever the steps,
    # what is posted per line is the final amount.
    store = _store(sqlite)
    ledger = Ledger(store, make_campaign())
    items = sorted(found.items())
    at = AT
    for step in range(1, steps + 1):
        ledger.post(_run(dict(items[: len(items) * step // steps]), at), at=at)
        at += timedelta(days=1)
    assert _posted(store) == {key: cents for key, cents in found.items() if cents}
    assert ledger.post(_run(found, at), at=at).entries == ()


@settings(max_examples=60, deadline=None)
@given(
    found=sales.filter(bool),
    pick=st.integers(0, 10**6),
    change=st.integers(-3_000, 3_000).filter(bool),
    sqlite=st.booleans(),
)
@example(found={("aff-1", 1): 100}, pick=0, change=-100, sqlite=True)
def test_a_changed_amount_posts_exactly_the_difference(
    found: Sales, pick: int, change: int, sqlite: bool
) -> None:
    store = _store(sqlite)
    ledger = Ledger(store, make_campaign())
    ledger.post(_run(found))
    key = sorted(found)[pick % len(found)]
    changed = {**found, key: found[key] + change}
    result = ledger.post(_run(changed, AT + timedelta(days=1)), at=AT + timedelta(days=1))
    partner, number = key
    assert {entry.key.partner_id for entry in result.entries} == {partner}
    assert {entry.line_key for entry in result.entries} == {f"commission:C-{number}:R"}
    assert sum(entry.amount.minor_units for entry in result.entries) == change
    assert _posted(store) == {k: cents for k, cents in changed.items() if cents}


def test_first_postings_are_kept_as_columns_and_built_as_the_checked_entries() -> None:
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    lines = [make_line(f"commission:C-{n}:R", Money.from_minor(n, "EUR"), sale) for n in (3, 0, 1)]
    result = Ledger(MemoryLedgerStore(), make_campaign()).post(
        make_run(sale + timedelta(days=1), {"aff-1": lines, "aff-2": lines[:1]})
    )
    entries = result.entries
    assert isinstance(entries, PostedEntries)
    assert [type(part) for part in entries.parts] == [FreshEntries, FreshEntries]
    assert len(entries) == 3
    # The zero line posts nothing; the others in key order, numbered across partners.
    assert [(e.id, e.partner_id, e.line_key, e.amount.minor_units) for e in entries] == [
        ("posting-000001:1", "aff-1", "commission:C-1:R", 1),
        ("posting-000001:2", "aff-1", "commission:C-3:R", 3),
        ("posting-000001:3", "aff-2", "commission:C-3:R", 3),
    ]
    for entry in entries:
        # The checked constructor builds the same entry from the same fields.
        assert entry == LedgerEntry(
            **{field.name: getattr(entry, field.name) for field in attrs.fields(LedgerEntry)}
        )
        assert entry.entry_type is EntryType.EARNED
        assert entry.status is EntryStatus.PENDING
        assert entry.reason == f"earned: {entry.line_key} first posted"
        assert entry.statement_period == "2026-03"
    assert entries[0] is entries[0]
    assert entries[-1] == entries[2]
    assert entries[1:] == (entries[1], entries[2])
    with pytest.raises(IndexError):
        entries[3]


def _entry(n: int) -> LedgerEntry:
    return LedgerEntry(
        id=f"run-a:{n}",
        run_id="run-a",
        key=LedgerKey("aff-1", "2026-03", f"commission:C-{n}:R", "EUR"),
        line_kind=LineKind.COMMISSION,
        entry_type=EntryType.EARNED,
        amount=Money.from_minor(n, "EUR"),
        status=EntryStatus.LOCKED,
        lock_at=MARCH,
        earned_at=MARCH,
        posted_at=MARCH,
        rule_id="R",
        explanation="explained",
        reason="earned",
    )


def test_posted_entries_compare_and_hash_like_the_tuple_of_their_entries() -> None:
    entries = tuple(_entry(n) for n in range(1, 5))
    posted = PostedEntries([entries[:1], (), entries[1:3], entries[3:]])
    assert posted == entries
    assert entries == posted
    assert posted == PostedEntries([entries])
    assert hash(posted) == hash(entries)
    assert posted != entries[:3]
    assert posted != list(entries)
    assert list(posted) == list(entries)
    assert [posted[n] for n in range(-4, 4)] == [*entries, *entries]
    assert PostedEntries() == ()
    assert not PostedEntries([(), ()])
    assert repr(PostedEntries([entries[:1]])) == repr(entries[:1])


def test_posted_entries_stand_for_the_tuple_of_their_entries() -> None:
    entries = tuple(_entry(n) for n in range(1, 5))
    posted = PostedEntries([entries[:2], entries[2:]])
    assert type(posted) is PostedEntries  # not a tuple: C code reading tuples never sees it
    assert repr(posted) == repr(entries)
    assert "%s" % (posted,) == str(entries)  # noqa: UP031 - the formatting is what is tested
    assert tuple(posted) == entries
    assert () + posted == entries  # noqa: RUF005 - the concatenation is what is tested
    assert posted + () == entries  # noqa: RUF005 - the concatenation is what is tested
    assert entries[:1] + posted == (entries[0], *entries)
    assert posted + posted == entries + entries
    assert entries[2] in posted
    assert _entry(9) not in posted
    assert posted.count(entries[1]) == 1
    assert posted.index(entries[3]) == 3
    assert list(reversed(posted)) == list(reversed(entries))
    first, *rest = posted
    assert (first, *rest) == entries
    assert posted[::-1] == entries[::-1]
    assert pickle.loads(pickle.dumps(posted)) == entries
    assert copy.deepcopy(posted) == entries
    by_entries: dict[object, int] = {posted: 1}
    assert by_entries[entries] == 1
    assert [*itertools.chain(posted)] == list(entries)
    assert bool(posted)
    assert max(len(part) for part in posted.parts) == 2


def _old_digest(lines: list[StatementLine]) -> str:
    """The digest as ledgers store it: the text of each posted line's key, currency, amount."""
    posted = [line for line in lines if line.kind is not LineKind.NETWORK_FEE]
    text = "\x1e".join(
        (
            str(len(posted)),
            "\x1f".join(line.key for line in posted),
            "\x1f".join(line.amount.currency for line in posted),
            "\x1f".join(str(line.amount.amount) for line in posted),
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


line_strategy = st.builds(
    lambda n, cents, currency, kind: make_line(
        f"commission:C-{n}:R", Money.from_minor(cents, currency), MARCH, kind=kind
    ),
    st.integers(0, 9),
    st.integers(-10_000, 10_000),
    st.sampled_from(["EUR", "JPY", "KWD"]),
    st.sampled_from([LineKind.COMMISSION, LineKind.NETWORK_FEE, LineKind.BONUS]),
)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(line_strategy, max_size=12))
def test_digests_from_columns_are_the_digests_ledgers_store(lines: list[StatementLine]) -> None:
    run = make_run(MARCH + timedelta(days=40), {})
    period = make_run(MARCH, {"aff-1": [make_line("k", Money.from_minor(1, "EUR"), MARCH)]})
    statement = Statement(
        partner_id="aff-1",
        period=period.statements[0].period,
        currency="EUR",
        lines=tuple(lines),
    )
    run = attrs.evolve(run, statements=(statement,))
    assert group_digests(run) == {("aff-1", "2026-03"): _old_digest(lines)}
    posted = [line for line in lines if line.kind is not LineKind.NETWORK_FEE]
    given_columns = LineColumns.from_columns(
        keys=[line.key for line in posted],
        kinds=[line.kind for line in posted],
        amounts=[line.amount for line in posted],
        rule_ids=[line.rule_id for line in posted],
        explanations=[line.explanation for line in posted],
        earned_ats=[line.earned_at for line in posted],
        source_ids=[line.source_ids for line in posted],
    )
    assert given_columns.digest() == _old_digest(lines)
    (read,) = group_columns(run).values()
    assert read.details() == given_columns.details()


def test_columns_given_as_columns_must_be_posted_lines_of_one_length() -> None:
    with pytest.raises(HybridRoiError):
        LineColumns.from_columns(
            keys=["a"], kinds=[], amounts=[], rule_ids=[], explanations=[], earned_ats=[],
            source_ids=[],
        )  # fmt: skip
    with pytest.raises(HybridRoiError):
        LineColumns.from_columns(
            keys=["a"],
            kinds=[LineKind.NETWORK_FEE],
            amounts=[Money.from_minor(1, "EUR")],
            rule_ids=["R"],
            explanations=["x"],
            earned_ats=[MARCH],
            source_ids=[()],
        )


def _bulk(count: int, cents: int, partners: int = 3) -> StatementRun:
    return make_run(
        AT,
        {
            f"aff-{p}": [
                make_line(f"commission:C-{n}:R", Money.from_minor(cents + n, "EUR"), MARCH)
                for n in range(count)
            ]
            for p in range(1, partners + 1)
        },
    )


def test_a_failed_bulk_write_leaves_nothing_posted_and_a_second_run_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    original = entry_rows

    def failing(
        run: PostingRun, entries: Sequence[LedgerEntry]
    ) -> tuple[tuple[str, ...], Iterator[object]]:
        names, rows = original(run, entries)

        def rows_then_fail() -> Iterator[object]:
            for written, row in enumerate(rows):
                if written == 250:
                    raise sqlite3.OperationalError("disk I/O error")
                yield row

        return names, rows_then_fail()

    with SqliteLedgerStore(path) as store:
        ledger = Ledger(store, make_campaign())
        monkeypatch.setattr(ledger_sqlite, "entry_rows", failing)
        with pytest.raises(HybridRoiError):
            ledger.post(_bulk(200, 100))
        monkeypatch.setattr(ledger_sqlite, "entry_rows", original)
        assert store.run_count() == 0
        assert store.entries() == ()
        assert dict(store.posted_digests()) == {}
        result = ledger.post(_bulk(200, 100))
        assert len(result.entries) == 600
        assert store.entries() == result.entries
        assert ledger.post(_bulk(200, 100), at=AT + timedelta(hours=1)).entries == ()


CHILD = textwrap.dedent(
    """
    import sys, time
    from hybridroi.ledger.stores import sqlite as ledger_sqlite
    from hybridroi.ledger.store import Ledger
    from tests.ledger.strategies import make_campaign
    from tests.ledger.test_columnar_posting import _bulk

    original = ledger_sqlite.entry_rows

    def slow_rows(run, entries):
        names, rows = original(run, entries)

        def slowly():
            for written, row in enumerate(rows, 1):
                if written == 1_500:
                    print("mid-write", flush=True)
                    time.sleep(120)
                yield row

        return names, slowly()

    ledger_sqlite.entry_rows = slow_rows
    ledger_sqlite._BULK_ENTRIES = 1_000
    store = ledger_sqlite.SqliteLedgerStore(sys.argv[1])
    Ledger(store, make_campaign()).post(_bulk(1_000, 100))
    print("finished", flush=True)
    """
)


def test_a_first_posting_killed_mid_write_leaves_an_empty_consistent_ledger(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    SqliteLedgerStore(path).close()
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], cwd=root, stdout=subprocess.PIPE, text=True
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
        assert store.run_count() == 0
        assert store.entries() == ()
        ledger = Ledger(store, make_campaign())
        result = ledger.post(_bulk(1_000, 100))
        assert len(result.entries) == 3_000
        assert ledger.post(_bulk(1_000, 100), at=AT + timedelta(hours=1)).entries == ()


def test_a_run_mixing_first_postings_and_changes_reads_back_as_posted(tmp_path: Path) -> None:
    # aff-1 falls (entries built one by one), aff-2 and aff-3 are new (kept as columns):
    # the rows of both kinds are written in one transaction and read back equal.
    with SqliteLedgerStore(tmp_path / "ledger.db") as store:
        ledger = Ledger(store, make_campaign())
        ledger.post(_bulk(50, 100, partners=1))
        result = ledger.post(_bulk(50, 90), at=AT + timedelta(days=1))
        assert isinstance(result.entries, PostedEntries)
        kinds = [type(part) for part in result.entries.parts]
        assert kinds == [tuple, FreshEntries, FreshEntries]
        assert store.entries()[50:] == result.entries
        # Locked sales clawed back: their rows hold a statement period, the bulk rows none.
        assert {e.entry_type for e in result.entries[:50]} == {EntryType.CLAWBACK}
        assert {e.statement_period for e in result.entries[:50]} == {"2026-04"}
        assert {e.statement_period for e in result.entries[50:]} == {"2026-03"}
    with SqliteLedgerStore(tmp_path / "ledger.db") as store:
        assert store.entries()[50:] == result.entries


def test_first_postings_stored_under_another_run_keep_their_run_and_instant() -> None:
    sale = datetime(2026, 3, 10, 14, tzinfo=UTC)
    run = make_run(
        sale, {"aff-1": [make_line("commission:C-1:R", Money.from_minor(5, "EUR"), sale)]}
    )
    posted = Ledger(MemoryLedgerStore(), make_campaign()).post(run)
    with SqliteLedgerStore(":memory:") as store:
        other = attrs.evolve(posted.run, id="other-run", posted_at=sale + timedelta(days=1))
        store.write_posting(other, posted.entries)
        assert store.entries() == posted.entries
