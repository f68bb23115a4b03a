from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.lifecycle import Balance, LockAfterMonthEnd, LockAfterSale, status_at
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.posting import (
    Difference,
    _post_increase,
    _Writer,
    changed_groups,
    plan_entries,
    statement_summaries,
)
from hybridroi.ledger.store import Ledger, LedgerStore
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

from .strategies import (
    LINE_KEYS,
    MARCH,
    PARTNERS,
    Snapshot,
    earned_at_of,
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
# 30 days after 10 March 15:00 CET is 9 April 15:00 CEST: 13:00Z, an hour less than 30 x 24 h.
LOCK = datetime(2026, 4, 9, 13, 0, tzinfo=UTC)
KEEP_PAID = LedgerPolicies(default=LedgerPolicy(claw_back_paid=False))

StoreFactory = Callable[[], LedgerStore]


def _sqlite() -> LedgerStore:
    return SqliteLedgerStore(":memory:")


STORES: dict[str, StoreFactory] = {"memory": MemoryLedgerStore, "sqlite": _sqlite}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest) -> Iterator[LedgerStore]:
    made = STORES[request.param]()
    yield made
    if isinstance(made, SqliteLedgerStore):
        made.close()


def one_sale(amount: str, as_of: datetime, *sources: str) -> StatementRun:
    line = make_line(KEY, eur(amount), SALE, sources=sources or ("C-17",))
    return make_run(as_of, {"aff-1": [line]})


def day(n: int) -> datetime:
    """``n`` days after the sale."""
    return SALE + timedelta(days=n)


def totals(store: LedgerStore) -> dict[LedgerKey, int]:
    return {key: value for key, value in store.posted_totals().items() if value}


class TestWorkedExamples:
    def test_a_sale_is_posted_once(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        # 12% of EUR 84.00 = EUR 10.08.
        first = ledger.post(one_sale("10.08", day(1)))
        again = ledger.post(one_sale("10.08", day(2)))
        assert [e.amount for e in first.entries] == [eur("10.08")]
        (entry,) = first.entries
        assert entry.entry_type is EntryType.EARNED
        assert entry.status is EntryStatus.PENDING
        assert entry.lock_at == LOCK  # default: 30 days after the sale
        assert entry.reason == f"earned: {KEY} first posted"
        assert entry.source_ids == ("C-17",)
        assert entry.explanation == f"{KEY}: EUR 10.08"
        assert entry.id == "posting-000001:1"
        assert again.entries == ()
        assert again.run.entry_count == 0
        assert store.run_count() == 2

    def test_a_partial_refund_before_the_lock_reverses_pro_rata(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(1)))
        # Refund R-3 of EUR 50.40 on the EUR 84.00 sale: 12% of 33.60 = 4.032 -> 4.03,
        # so the difference is 4.03 - 10.08 = -6.05.
        result = ledger.post(one_sale("4.03", day(5), "C-17", "R-3"))
        (reversal,) = result.entries
        assert reversal.entry_type is EntryType.REVERSAL
        assert reversal.amount == eur("-6.05")
        assert reversal.status is EntryStatus.PENDING
        assert reversal.lock_at == LOCK
        assert reversal.reason == (
            f"reversal: {KEY} fell from EUR 10.08 to EUR 4.03 (new sources: R-3); "
            "reverses the pending amount before it locks"
        )
        (balance,) = ledger.balances(day(5))
        assert balance.pending == eur("4.03")
        assert balance.locked == eur("0.00")

    def test_a_refund_after_the_lock_is_a_clawback_due_at_once(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(1)))
        result = ledger.post(one_sale("4.03", day(40), "C-17", "R-3"))
        (clawback,) = result.entries
        assert clawback.entry_type is EntryType.CLAWBACK
        assert clawback.amount == eur("-6.05")
        assert clawback.status is EntryStatus.LOCKED
        assert clawback.lock_at == day(40)  # no holding period
        (balance,) = ledger.balances(day(40))
        assert balance.locked == eur("4.03")  # 10.08 locked on day 30, minus 6.05 at once

    def test_a_clawback_of_a_paid_commission_lands_on_the_next_payout(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(1)))
        payout = ledger.run_payouts(day(31))
        (batch,) = payout.batches
        assert batch.amount == eur("10.08")
        ledger.mark_paid(batch.id, day(32))
        ledger.post(one_sale("4.03", day(35), "C-17", "R-3"))
        # A later sale in another key brings the balance back above zero.
        second = make_line("commission:C-18:R-pct", eur("20.00"), day(2), sources=("C-18",))
        first = make_line(KEY, eur("4.03"), SALE, sources=("C-17", "R-3"))
        ledger.post(make_run(day(36), {"aff-1": [first, second]}))
        next_payout = ledger.run_payouts(day(60))
        (next_batch,) = next_payout.batches
        # 20.00 earned on day 2, locked on day 32; minus the 6.05 clawback: 13.95.
        assert next_batch.amount == eur("13.95")

    def test_a_policy_that_keeps_paid_commissions_waives_the_clawback(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign(), KEEP_PAID)
        ledger.post(one_sale("10.08", day(1)))
        (batch,) = ledger.run_payouts(day(31)).batches
        ledger.mark_paid(batch.id, day(31))
        result = ledger.post(one_sale("4.03", day(35), "C-17", "R-3"))
        (waived,) = result.entries
        assert waived.entry_type is EntryType.WAIVED
        assert waived.status is EntryStatus.WAIVED
        assert waived.amount == eur("-6.05")
        assert "does not claw back paid commissions" in waived.reason
        (balance,) = ledger.balances(day(35))
        assert balance.paid == eur("10.08")
        assert balance.waived == eur("-6.05")
        assert balance.owed == eur("10.08")
        # The ledger still adds up to the statement: 10.08 - 6.05 = 4.03.
        assert totals(store) == {LedgerKey("aff-1", "2026-03", KEY, "EUR"): 403}
        # The sale re-entered offsets the waived clawback: the partner is not paid twice.
        restored = ledger.post(one_sale("10.08", day(36)))
        (offset,) = restored.entries
        assert offset.entry_type is EntryType.WAIVED
        assert offset.amount == eur("6.05")
        (balance,) = ledger.balances(day(36))
        assert balance.owed == eur("10.08")
        assert balance.waived == eur("0.00")

    def test_keeping_paid_still_claws_back_what_is_locked_but_unpaid(
        self, store: LedgerStore
    ) -> None:
        ledger = Ledger(store, make_campaign(), KEEP_PAID)
        ledger.post(one_sale("10.08", day(1)))
        result = ledger.post(one_sale("0.00", day(40), "C-17", "R-3"))
        (clawback,) = result.entries
        assert clawback.entry_type is EntryType.CLAWBACK
        assert clawback.amount == eur("-10.08")

    def test_a_tier_repricing_posts_adjustments(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        lines = [
            make_line("commission:C-1:R-tier", eur("10.00"), SALE),
            make_line("commission:C-2:R-tier", eur("10.00"), SALE),
        ]
        ledger.post(make_run(day(1), {"aff-1": lines}))
        # Crossing into tier 2 reprices both sales from 10% to 12% of EUR 100.00.
        repriced = [
            make_line("commission:C-1:R-tier", eur("12.00"), SALE),
            make_line("commission:C-2:R-tier", eur("12.00"), SALE),
            make_line("commission:C-3:R-tier", eur("12.00"), SALE),
        ]
        result = ledger.post(make_run(day(2), {"aff-1": repriced}))
        assert [(e.line_key, e.amount, e.entry_type) for e in result.entries] == [
            ("commission:C-1:R-tier", eur("2.00"), EntryType.EARNED),
            ("commission:C-2:R-tier", eur("2.00"), EntryType.EARNED),
            ("commission:C-3:R-tier", eur("12.00"), EntryType.EARNED),
        ]
        assert result.entries[0].reason == (
            "adjustment: commission:C-1:R-tier rose from EUR 10.00 to EUR 12.00"
        )

    def test_a_line_gone_from_the_statement_is_brought_to_zero(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(1)))
        result = ledger.post(make_run(day(2), {}))
        (reversal,) = result.entries
        assert reversal.amount == eur("-10.08")
        assert reversal.rule_id == "R-pct"
        assert "the line is no longer on the statement" in reversal.reason

    def test_a_repeated_line_key_is_held_and_reported(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(1)))
        twice = [make_line(KEY, eur("1.00"), SALE), make_line(KEY, eur("2.00"), SALE)]
        result = ledger.post(make_run(day(2), {"aff-1": twice}))
        assert result.entries == ()
        (problem,) = result.problems
        assert problem.kind is ProblemKind.DUPLICATE_ID
        assert totals(store) == {LedgerKey("aff-1", "2026-03", KEY, "EUR"): 1008}

    def test_an_unexplained_line_is_not_posted(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        result = ledger.post(
            make_run(day(1), {"aff-1": [make_line(KEY, eur("1.00"), SALE, explanation=" ")]})
        )
        assert result.entries == ()
        assert "explanation is empty" in result.problems[0].message

    def test_a_key_holding_a_separator_is_refused(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        line = make_line("commission:C-1\x1fEUR\x1f5", eur("1.00"), SALE)
        result = ledger.post(make_run(day(1), {"aff-1": [line]}))
        assert result.entries == ()
        assert "x1f" in result.problems[0].message

    def test_network_fees_are_not_partner_pay(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        lines = [
            make_line(KEY, eur("10.00"), SALE),
            make_line("network:C-17", eur("3.00"), SALE, kind=LineKind.NETWORK_FEE),
        ]
        result = ledger.post(make_run(day(1), {"aff-1": lines}))
        assert [e.line_key for e in result.entries] == [KEY]

    def test_currencies_are_kept_apart(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        lines = [
            make_line(KEY, eur("10.00"), SALE),
            make_line("commission:C-18:R-pct", Money("7.00", "USD"), SALE),
        ]
        ledger.post(make_run(day(1), {"aff-1": lines}))
        balances = ledger.balances(day(31))
        assert [(b.currency, b.locked) for b in balances] == [
            ("EUR", eur("10.00")),
            ("USD", Money("7.00", "USD")),
        ]
        batches = ledger.run_payouts(day(31)).batches
        assert [(b.id, b.amount) for b in batches] == [
            ("payout-000001:aff-1:EUR", eur("10.00")),
            ("payout-000001:aff-1:USD", Money("7.00", "USD")),
        ]

    def test_a_late_sale_after_its_lock_date_is_locked_at_once(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        (entry,) = ledger.post(one_sale("10.08", day(45))).entries
        assert entry.status is EntryStatus.LOCKED

    def test_instants_only_move_forward(self, store: LedgerStore) -> None:
        ledger = Ledger(store, make_campaign())
        ledger.post(one_sale("10.08", day(5)))
        with pytest.raises(InvalidValueError, match="at or after the ledger's last run"):
            ledger.post(one_sale("10.08", day(4)))

    def test_a_store_holds_one_campaign(self, store: LedgerStore) -> None:
        Ledger(store, make_campaign()).post(one_sale("10.08", day(1)))
        with pytest.raises(InvalidValueError, match="Ledger.campaign"):
            Ledger(store, make_campaign(campaign_id="CMP-2"))

    def test_policies_per_deal_apply_to_the_deal_partner(self) -> None:
        campaign = attrs.evolve(
            make_campaign(), deals=(AffiliateDeal(id="D-1", partner_id="aff-2"),)
        )
        week = LedgerPolicy(lock=LockAfterSale(after="7 days"))
        policies = LedgerPolicies.from_deals(campaign, {"D-1": week})
        assert policies.for_partner("aff-2") is week
        assert policies.for_partner("aff-1") == LedgerPolicy()
        with pytest.raises(InvalidValueError, match="a deal in the campaign"):
            LedgerPolicies.from_deals(campaign, {"D-9": week})


# --- properties ------------------------------------------------------------


def _post_history(
    ledger: Ledger, history: list[Snapshot], day_gaps: list[int], *, pay: bool
) -> list[datetime]:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    instants = []
    for snapshot, gap in zip(history, day_gaps, strict=False):
        at += timedelta(days=gap)
        ledger.post(snapshot_run(snapshot, at))
        instants.append(at)
        if pay:
            for batch in ledger.run_payouts(at).batches:
                ledger.mark_paid(batch.id, at)
    return instants


def _nonzero(balances: tuple[Balance, ...]) -> tuple[Balance, ...]:
    return tuple(b for b in balances if b.owed or b.waived)


def _partner_period_sums(entries: tuple[LedgerEntry, ...]) -> dict[tuple[str, str], int]:
    sums: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry.partner_id, entry.period_label)
        sums[key] = sums.get(key, 0) + entry.amount.minor_units
    return {key: value for key, value in sums.items() if value}


def _statement_sums(run: StatementRun) -> dict[tuple[str, str], int]:
    sums = {(s.partner_id, s.period.label): s.partner_total.minor_units for s in run.statements}
    return {key: value for key, value in sums.items() if value}


@settings(max_examples=60)
@given(
    history=histories,
    day_gaps=gaps,
    pay=st.booleans(),
    keep_paid=st.booleans(),
    backend=st.sampled_from(sorted(STORES)),
)
def test_entries_always_add_up_to_the_current_statements(
    history: list[Snapshot], day_gaps: list[int], pay: bool, keep_paid: bool, backend: str
) -> None:
    policies = KEEP_PAID if keep_paid else LedgerPolicies()
    ledger = Ledger(STORES[backend](), make_campaign(), policies)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    for snapshot, gap in zip(history, day_gaps, strict=False):
        at += timedelta(days=gap)
        run = snapshot_run(snapshot, at)
        ledger.post(run)
        assert _partner_period_sums(ledger.store.entries()) == _statement_sums(run)
        # The bulk summary the next run compares against describes the statements exactly.
        expected = {group: text for group, text in statement_summaries(run).items() if text}
        assert dict(ledger.store.posted_summaries()) == expected
        # Waived amounts aside, nothing owed is ever negative per line at posting.
        if pay:
            for batch in ledger.run_payouts(at).batches:
                assert batch.amount.amount > 0
                ledger.mark_paid(batch.id, at)
    # Replaying the last statements adds nothing.
    assert ledger.post(snapshot_run(history[-1], at)).entries == ()


@settings(max_examples=60)
@given(history=histories, day_gaps=gaps, data=st.data())
def test_any_batching_of_the_same_runs_converges(
    history: list[Snapshot], day_gaps: list[int], data: st.DataObject
) -> None:
    every = Ledger(MemoryLedgerStore(), make_campaign())
    _post_history(every, history, day_gaps, pay=False)
    keep = data.draw(st.lists(st.booleans(), min_size=len(history), max_size=len(history)))
    subset = [s for s, k in zip(history[:-1], keep, strict=False) if k] + [history[-1]]
    some = Ledger(MemoryLedgerStore(), make_campaign())
    _post_history(some, subset, day_gaps, pay=False)
    assert totals(every.store) == totals(some.store)
    last = datetime(2027, 1, 1, tzinfo=UTC)
    assert _nonzero(every.balances(last)) == _nonzero(some.balances(last))


@given(snapshot=histories.map(lambda h: h[-1]), seed=st.integers(0, 2**16))
def test_the_order_of_statements_and_lines_does_not_matter(snapshot: Snapshot, seed: int) -> None:
    run = snapshot_run(snapshot, datetime(2026, 4, 1, tzinfo=UTC))
    shuffled_statements = list(run.statements)
    random.Random(seed).shuffle(shuffled_statements)
    shuffled = StatementRun(
        as_of=run.as_of,
        statements=tuple(
            type(s)(
                partner_id=s.partner_id,
                period=s.period,
                currency=s.currency,
                lines=tuple(random.Random(seed).sample(s.lines, len(s.lines))),
            )
            for s in shuffled_statements
        ),
        attribution=run.attribution,
        problems=(),
    )
    first = Ledger(MemoryLedgerStore(), make_campaign()).post(run)
    second = Ledger(MemoryLedgerStore(), make_campaign()).post(shuffled)
    assert first.entries == second.entries


@settings(max_examples=60)
@given(
    history=histories,
    day_gaps=gaps,
    refund_key=st.sampled_from(LINE_KEYS),
    refunded_to=st.integers(min_value=0, max_value=100),
    keep_paid=st.booleans(),
)
# A paid line that went below zero, back to zero and below again: the increase must restore
# the below-zero part before offsetting the waived clawback, and the decrease must not waive
# what the restore added.
@example(
    history=[{}, {("aff-1", "commission:C-1:R-pct"): 1}, {("aff-1", "commission:C-1:R-pct"): -1}],
    day_gaps=[0, 31, 0, 0, 0],
    refund_key="commission:C-1:R-pct",
    refunded_to=0,
    keep_paid=True,
)
def test_a_refund_then_the_same_sale_re_entered_restores_the_balance(
    history: list[Snapshot],
    day_gaps: list[int],
    refund_key: str,
    refunded_to: int,
    keep_paid: bool,
) -> None:
    policies = KEEP_PAID if keep_paid else LedgerPolicies()
    ledger = Ledger(MemoryLedgerStore(), make_campaign(), policies)
    instants = _post_history(ledger, history, day_gaps, pay=True)
    final = history[-1]
    before = {b.partner_id: b.owed for b in ledger.balances(instants[-1])}
    refunded = {
        key: (cents * refunded_to // 100 if key[1] == refund_key else cents)
        for key, cents in final.items()
    }
    ledger.post(snapshot_run(refunded, instants[-1] + timedelta(days=3)))
    ledger.post(snapshot_run(final, instants[-1] + timedelta(days=50)))
    after = {b.partner_id: b.owed for b in ledger.balances(instants[-1] + timedelta(days=50))}
    assert {p: m for p, m in after.items() if m} == {p: m for p, m in before.items() if m}


@given(history=histories, day_gaps=gaps)
def test_a_status_only_moves_forward_in_time(history: list[Snapshot], day_gaps: list[int]) -> None:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    _post_history(ledger, history, day_gaps, pay=False)
    for entry in ledger.store.entries():
        seen = [status_at(entry, entry.posted_at + timedelta(days=d)) for d in range(0, 120, 7)]
        if EntryStatus.LOCKED in seen:
            assert EntryStatus.PENDING not in seen[seen.index(EntryStatus.LOCKED) :]


# Lines as (partner, key, cents, currency, kind, month): zero amounts, network fees, a key
# holding a separator, a key repeated, two currencies and two months in one run.
_line_specs = st.lists(
    st.tuples(
        st.sampled_from(PARTNERS),
        st.sampled_from((*LINE_KEYS[:3], "commission:C-4:R\x1epct")),
        st.integers(min_value=-500, max_value=5_000) | st.just(0),
        st.sampled_from(("EUR", "USD")),
        st.sampled_from((LineKind.COMMISSION, LineKind.NETWORK_FEE)),
        st.sampled_from((0, 31)),
    ),
    max_size=10,
)


def _spec_run(specs: list[tuple[str, str, int, str, LineKind, int]]) -> StatementRun:
    lines: dict[str, list[StatementLine]] = {}
    for partner_id, key, cents, currency, kind, shift in specs:
        earned_at = earned_at_of(key) + timedelta(days=shift)
        lines.setdefault(partner_id, []).append(
            make_line(key, Money.from_minor(cents, currency), earned_at, kind=kind)
        )
    return make_run(datetime(2026, 6, 1, tzinfo=UTC), lines)


@given(before=_line_specs, after=_line_specs)
@example(
    before=[("aff-1", LINE_KEYS[0], 100, "EUR", LineKind.COMMISSION, 0)],
    after=[("aff-1", LINE_KEYS[0], 0, "EUR", LineKind.COMMISSION, 0)],
)
@example(before=[], after=[("aff-2", LINE_KEYS[1], 0, "EUR", LineKind.COMMISSION, 31)])
def test_changed_groups_are_those_whose_summaries_differ(
    before: list[tuple[str, str, int, str, LineKind, int]],
    after: list[tuple[str, str, int, str, LineKind, int]],
) -> None:
    store = MemoryLedgerStore()
    Ledger(store, make_campaign()).post(_spec_run(before))
    posted = store.posted_summaries()
    run = _spec_run(after)
    expected = statement_summaries(run)
    # The definition: every partner-period whose whole summary differs, or is gone.
    compared = {group for group, text in expected.items() if text != posted.get(group, "")}
    compared |= {group for group, text in posted.items() if text and group not in expected}
    assert changed_groups(run, posted) == compared


# A first posting (nothing posted for the key) takes a shorter path than other increases.
_first_lines = st.lists(
    st.tuples(
        st.sampled_from(LINE_KEYS),
        st.integers(min_value=1, max_value=100_000),
        st.integers(min_value=0, max_value=90 * 24),
        st.sampled_from((LineKind.COMMISSION, LineKind.FEE, LineKind.BONUS)),
        st.lists(st.sampled_from(("C-1", "C-2", "R-3")), max_size=2, unique=True),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda spec: spec[0],
)


@given(
    specs=_first_lines,
    lock=st.sampled_from(
        (LockAfterSale(after="30 days"), LockAfterSale(after="1 hour"), LockAfterMonthEnd(days=10))
    ),
    posted_after=st.integers(min_value=0, max_value=120 * 24),
)
# Posted at the very instant the entry locks: locked, not pending.
@example(
    specs=[(LINE_KEYS[0], 100, 0, LineKind.COMMISSION, [])],
    lock=LockAfterSale(after="1 hour"),
    posted_after=1,
)
def test_a_first_posting_is_the_entry_the_general_increase_posts(
    specs: list[tuple[str, int, int, LineKind, list[str]]],
    lock: LockAfterSale | LockAfterMonthEnd,
    posted_after: int,
) -> None:
    posted_at = MARCH + timedelta(hours=posted_after)
    found = sorted(
        Difference(
            LedgerKey("aff-1", "2026-03", key, "EUR"),
            make_line(
                key,
                Money.from_minor(cents, "EUR"),
                MARCH + timedelta(hours=hours),
                kind=kind,
                sources=tuple(sources),
            ),
            0,
            cents,
        )
        for key, cents, hours, kind, sources in specs
    )
    planned = plan_entries(
        found,
        {},
        set(),
        policies=LedgerPolicies(default=LedgerPolicy(lock=lock)),
        timezone="Europe/Paris",
        run_id="run-1",
        posted_at=posted_at,
        first_sequence=7,
    )
    general = _Writer(
        run_id="run-1",
        posted_at=posted_at,
        timezone="Europe/Paris",
        first_sequence=7,
        statement_kinds={},
    )
    for difference in found:
        assert difference.line is not None
        _post_increase(general, difference, difference.line, (), lock)
    assert planned == tuple(general.entries)
