"""The entries posting builds through its fast path equal those LedgerEntry(...) builds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st
from tests.ledger.strategies import MARCH, Snapshot, gaps, histories, make_campaign, snapshot_run

from hybridroi.core.money import Money
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.statements.lines import LineKind

ids = st.text(alphabet="abcXYZ019-_", min_size=1, max_size=8)
instants = st.integers(0, 10**7).map(lambda seconds: MARCH + timedelta(seconds=seconds))


@st.composite
def entry_fields(draw: st.DrawFn) -> dict[str, object]:
    """The fields of a valid entry, every one given explicitly."""
    currency = draw(st.sampled_from(["EUR", "USD", "JPY"]))
    key = LedgerKey(draw(ids), draw(ids), draw(ids), currency)
    minor = draw(st.integers(-(10**9), 10**9).filter(bool))
    return {
        "id": f"{draw(ids)}:{draw(st.integers(1, 10**6))}",
        "run_id": draw(ids),
        "key": key,
        "line_kind": draw(st.sampled_from(LineKind)),
        "entry_type": draw(st.sampled_from(EntryType)),
        "amount": Money.from_minor(minor, currency),
        "status": draw(
            st.sampled_from([EntryStatus.PENDING, EntryStatus.LOCKED, EntryStatus.WAIVED])
        ),
        "lock_at": draw(instants),
        "earned_at": draw(instants),
        "posted_at": draw(instants),
        "rule_id": draw(ids),
        "explanation": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        "source_ids": tuple(draw(st.lists(ids, max_size=3))),
        "reason": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        "statement_period": draw(st.one_of(st.just(key.period_label), ids)),
    }


def _same(fast: LedgerEntry, checked: LedgerEntry) -> None:
    assert type(fast) is type(checked) is LedgerEntry
    assert attrs.astuple(fast, recurse=False) == attrs.astuple(checked, recurse=False)
    assert fast == checked
    assert checked == fast
    assert hash(fast) == hash(checked)
    assert len({fast, checked}) == 1
    assert repr(fast) == repr(checked)


@given(entry_fields())
def test_the_fast_path_equals_the_checked_constructor(values: dict[str, object]) -> None:
    try:
        checked = LedgerEntry(**values)  # type: ignore[arg-type]
    except ValueError:
        # Text the validators refuse (control characters...): the fast path is for
        # fields already checked, so there is nothing to compare.
        return
    fast = LedgerEntry._trusted(**values)  # type: ignore[arg-type]
    _same(fast, checked)
    assert fast != attrs.evolve(checked, reason=f"{checked.reason}!")


@given(histories, gaps)
def test_posted_entries_equal_their_checked_copies(
    history: list[Snapshot], day_gaps: list[int]
) -> None:
    # Successive postings give earned entries, reversals, clawbacks and waived ones.
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    at = datetime(2026, 3, 2, tzinfo=UTC)
    for snapshot, gap in zip(history, day_gaps, strict=False):
        at += timedelta(days=gap)
        for entry in ledger.post(snapshot_run(snapshot, at)).entries:
            _same(entry, LedgerEntry(**attrs.asdict(entry, recurse=False)))
