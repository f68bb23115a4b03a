from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.ledger.entries import EntryStatus
from hybridroi.ledger.export import PartnerStatement, escape_cell, to_csv, to_json
from hybridroi.ledger.payouts import PayoutSchedule
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.memory import MemoryLedgerStore

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
MINIMUM_50 = LedgerPolicies(default=LedgerPolicy(minimum_payouts=(eur("50.00"),)))


def _ledger(policies: LedgerPolicies = MINIMUM_50) -> Ledger:
    return Ledger(MemoryLedgerStore(), make_campaign(), policies)


class TestPayouts:
    def test_below_the_minimum_carries_over_then_pays_the_sum(self) -> None:
        ledger = _ledger()
        first = [make_line("commission:C-1:R", eur("30.00"), SALE)]
        ledger.post(make_run(SALE, {"aff-1": first}))
        run = ledger.run_payouts(SALE + timedelta(days=31))
        assert run.batches == ()
        (carried,) = run.carried_over
        assert carried.amount == eur("30.00")
        assert carried.reason == (
            "the locked balance EUR 30.00 is below the minimum payout EUR 50.00"
        )
        second = [*first, make_line("commission:C-2:R", eur("25.00"), SALE + timedelta(days=1))]
        ledger.post(make_run(SALE + timedelta(days=32), {"aff-1": second}))
        (batch,) = ledger.run_payouts(SALE + timedelta(days=33)).batches
        # 30.00 carried over + 25.00 locked on day 31 = 55.00 >= 50.00.
        assert batch.amount == eur("55.00")
        assert batch.id == "payout-000002:aff-1:EUR"
        assert len(batch.entry_ids) == 2
        (balance,) = ledger.balances(SALE + timedelta(days=33))
        assert balance.payable == eur("55.00")
        ledger.mark_paid(batch.id, SALE + timedelta(days=34))
        (balance,) = ledger.balances(SALE + timedelta(days=34))
        assert balance.paid == eur("55.00")
        with pytest.raises(InvalidValueError, match="not yet paid"):
            ledger.mark_paid(batch.id, SALE + timedelta(days=35))

    def test_a_negative_locked_balance_is_carried_not_paid(self) -> None:
        ledger = _ledger(LedgerPolicies())
        line = make_line("commission:C-1:R", eur("10.00"), SALE)
        ledger.post(make_run(SALE, {"aff-1": [line]}))
        (batch,) = ledger.run_payouts(SALE + timedelta(days=31)).batches
        ledger.mark_paid(batch.id, SALE + timedelta(days=31))
        ledger.post(make_run(SALE + timedelta(days=32), {}))  # the sale is refunded in full
        run = ledger.run_payouts(SALE + timedelta(days=33))
        assert run.batches == ()
        (carried,) = run.carried_over
        assert carried.amount == eur("-10.00")
        assert "recovered from later commissions" in carried.reason

    def test_each_partner_and_currency_has_its_own_batch(self) -> None:
        ledger = _ledger(LedgerPolicies())
        lines = {
            "aff-1": [make_line("c:1", eur("1.00"), SALE), make_line("c:2", eur("2.00"), SALE)],
            "aff-2": [make_line("c:3", Money("300", "JPY"), SALE)],
        }
        ledger.post(make_run(SALE, lines))
        batches = ledger.run_payouts(SALE + timedelta(days=40)).batches
        assert [(b.partner_id, b.amount) for b in batches] == [
            ("aff-1", eur("3.00")),
            ("aff-2", Money("300", "JPY")),
        ]
        # Nothing is paid twice.
        assert ledger.run_payouts(SALE + timedelta(days=41)).batches == ()

    def test_the_schedule_picks_the_next_payout_day_in_the_campaign_zone(self) -> None:
        schedule = PayoutSchedule(day=31)
        # Locked 2026-02-10: the next payout is 28 Feb (no 31st), at midnight in Paris.
        assert schedule.next_payout(datetime(2026, 2, 10, tzinfo=UTC), "Europe/Paris") == datetime(
            2026, 2, 27, 23, 0, tzinfo=UTC
        )
        # A payout day that has passed this month moves to the next month.
        assert PayoutSchedule(day=1).next_payout(
            datetime(2026, 3, 1, 12, tzinfo=UTC), "Europe/Paris"
        ) == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)

    @given(
        day=st.integers(1, 31),
        instant=st.datetimes(
            min_value=datetime(2024, 1, 1),  # noqa: DTZ001
            max_value=datetime(2030, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
    )
    def test_the_next_payout_is_never_before_and_within_a_month(
        self, day: int, instant: datetime
    ) -> None:
        payout = PayoutSchedule(day=day).next_payout(instant, "Europe/Paris")
        assert instant <= payout < instant + timedelta(days=32)

    def test_minimums_are_one_per_currency(self) -> None:
        with pytest.raises(InvalidValueError, match="one minimum per currency"):
            LedgerPolicy(minimum_payouts=(eur("1.00"), eur("2.00")))


class TestExport:
    def _statement(self) -> PartnerStatement:
        ledger = _ledger(LedgerPolicies())
        lines = [
            make_line(
                "commission:C-1:R",
                eur("10.00"),
                SALE,
                explanation='=HYPERLINK("http://evil","click")',
            ),
            make_line("commission:C-2:R", eur("5.00"), SALE, rule_id="@rule"),
        ]
        ledger.post(make_run(SALE, {"aff-1": lines}))
        ledger.post(make_run(SALE + timedelta(days=2), {"aff-1": lines[:1]}))
        store = ledger.store
        return PartnerStatement.build(
            "aff-1", store.entries(), store.batches(), SALE + timedelta(days=3)
        )

    def test_csv_has_every_entry_and_escapes_formulas(self) -> None:
        text = to_csv(self._statement())
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["line_key"], r["amount"], r["entry_type"]) for r in rows] == [
            ("commission:C-1:R", "10.00", "earned"),
            ("commission:C-2:R", "5.00", "earned"),
            ("commission:C-2:R", "-5.00", "reversal"),
        ]
        assert rows[0]["explanation"] == '\'=HYPERLINK("http://evil","click")'
        assert rows[1]["rule_id"] == "'@rule"
        assert rows[2]["amount"] == "-5.00"  # a plain number stays a number
        assert rows[2]["status"] == EntryStatus.PENDING.value
        assert rows[2]["reason"].startswith("reversal: commission:C-2:R fell from EUR 5.00")

    def test_json_has_every_entry_with_its_explanation(self) -> None:
        document = json.loads(to_json(self._statement()))
        assert document["partner_id"] == "aff-1"
        assert [e["amount"] for e in document["entries"]] == ["10.00", "5.00", "-5.00"]
        assert document["entries"][0]["explanation"].startswith("=HYPERLINK")
        assert document["entries"][0]["source_ids"] == ["C-1"]

    @pytest.mark.parametrize(
        ("cell", "escaped"),
        [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-12.50", "-12.50"),
            ("Lea's skincare", "Lea's skincare"),
        ],
    )
    def test_escape_cell(self, cell: str, escaped: str) -> None:
        assert escape_cell(cell) == escaped

    @given(st.text())
    def test_no_escaped_cell_starts_a_formula(self, cell: str) -> None:
        escaped = escape_cell(cell)
        assert not escaped.startswith(("=", "+", "@", "\t", "\r"))
        assert escaped in (cell, "'" + cell)
