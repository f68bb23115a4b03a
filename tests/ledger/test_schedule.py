"""The payout schedule: payout instants in the campaign's zone, and payout runs held to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.schedule import PayoutSchedule
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.memory import MemoryLedgerStore

from .strategies import eur, make_campaign, make_line, make_run

PARIS = "Europe/Paris"
SANTIAGO = "America/Santiago"


def _payouts(schedule: PayoutSchedule, start: datetime, count: int, timezone: str) -> list[str]:
    found = []
    at = start
    for _ in range(count):
        payout = schedule.next_payout(at, timezone)
        found.append(payout.isoformat())
        at = payout + timedelta(microseconds=1)
    return found


class TestPayoutInstants:
    def test_day_31_pays_on_the_last_day_of_shorter_months_at_paris_midnight(self) -> None:
        # Local midnight in Paris: 23:00Z in winter (CET, +01:00), 22:00Z in summer (CEST).
        # 31 Jan; 28 Feb (no 31st); 31 Mar (clocks went forward on 29 Mar); 30 Apr; 31 May.
        assert _payouts(PayoutSchedule(day=31), datetime(2026, 1, 1, tzinfo=UTC), 5, PARIS) == [
            "2026-01-30T23:00:00+00:00",
            "2026-02-27T23:00:00+00:00",
            "2026-03-30T22:00:00+00:00",
            "2026-04-29T22:00:00+00:00",
            "2026-05-30T22:00:00+00:00",
        ]

    def test_day_30_pays_on_29_february_in_a_leap_year(self) -> None:
        schedule = PayoutSchedule(day=30)
        assert schedule.payout_day(2028, 2).isoformat() == "2028-02-29"
        assert schedule.payout_day(2027, 2).isoformat() == "2027-02-28"
        assert schedule.next_payout(datetime(2028, 2, 2, tzinfo=UTC), PARIS) == datetime(
            2028, 2, 28, 23, tzinfo=UTC
        )

    def test_the_offset_follows_the_day_not_the_day_the_schedule_is_asked(self) -> None:
        # Clocks go back on 25 Oct 2026 at 03:00: that day's midnight is still CEST (22:00Z),
        # the next month's is CET (23:00Z).
        schedule = PayoutSchedule(day=25)
        assert _payouts(schedule, datetime(2026, 10, 1, tzinfo=UTC), 2, PARIS) == [
            "2026-10-24T22:00:00+00:00",
            "2026-11-24T23:00:00+00:00",
        ]

    def test_a_payout_day_whose_midnight_does_not_exist_pays_at_its_first_instant(self) -> None:
        # Santiago springs forward from 24:00 on Saturday 5 Sep 2026 to 01:00 on Sunday 6 Sep:
        # 6 Sep starts at 01:00 -03:00 = 04:00Z. In August midnight is 00:00 -04:00 = 04:00Z too.
        schedule = PayoutSchedule(day=6)
        assert _payouts(schedule, datetime(2026, 8, 1, tzinfo=UTC), 2, SANTIAGO) == [
            "2026-08-06T04:00:00+00:00",
            "2026-09-06T04:00:00+00:00",
        ]
        assert schedule.is_payout(datetime(2026, 9, 6, 4, tzinfo=UTC), SANTIAGO)
        # 00:00 at the new offset (-03:00) would be 03:00Z: still 5 Sep in Santiago.
        assert not schedule.is_payout(datetime(2026, 9, 6, 3, tzinfo=UTC), SANTIAGO)

    def test_midnight_utc_is_not_midnight_in_paris(self) -> None:
        schedule = PayoutSchedule(day=1)
        assert not schedule.is_payout(datetime(2026, 4, 1, tzinfo=UTC), PARIS)
        assert schedule.is_payout(datetime(2026, 3, 31, 22, tzinfo=UTC), PARIS)
        assert schedule.previous_payout(datetime(2026, 4, 1, tzinfo=UTC), PARIS) == datetime(
            2026, 3, 31, 22, tzinfo=UTC
        )

    @pytest.mark.parametrize("day", [0, 32, True, "1"])
    def test_a_day_outside_the_month_is_refused(self, day: object) -> None:
        with pytest.raises(InvalidValueError, match="a day of the month, 1 to 31"):
            PayoutSchedule(day=day)  # type: ignore[arg-type]

    @given(
        day=st.integers(1, 31),
        instant=st.datetimes(
            min_value=datetime(2024, 1, 1),  # noqa: DTZ001
            max_value=datetime(2030, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
        timezone=st.sampled_from([PARIS, SANTIAGO, "Asia/Tokyo", "America/New_York"]),
    )
    @example(day=6, instant=datetime(2026, 9, 6, 3, tzinfo=UTC), timezone=SANTIAGO)
    def test_previous_and_next_bracket_every_instant_with_no_payout_between(
        self, day: int, instant: datetime, timezone: str
    ) -> None:
        schedule = PayoutSchedule(day=day)
        before = schedule.previous_payout(instant, timezone)
        after = schedule.next_payout(instant, timezone)
        assert before < instant <= after
        assert schedule.is_payout(before, timezone)
        assert schedule.is_payout(after, timezone)
        # No payout instant lies strictly between the two.
        assert schedule.next_payout(before + timedelta(microseconds=1), timezone) == after
        assert is_payout_day(schedule, after, timezone)


def is_payout_day(schedule: PayoutSchedule, instant: datetime, timezone: str) -> bool:
    """An independent check: the local date is the scheduled day, or the month's last day."""
    local = instant.astimezone(ZoneInfo(timezone))
    last = (local.date().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return local.day == min(schedule.day, last.day)


# --- payout runs on the schedule -------------------------------------------

MONTHLY_ON_THE_1ST = PayoutSchedule(day=1)
APRIL_1 = datetime(2026, 3, 31, 22, tzinfo=UTC)  # 1 Apr 00:00 CEST
MAY_1 = datetime(2026, 4, 30, 22, tzinfo=UTC)
JUNE_1 = datetime(2026, 5, 31, 22, tzinfo=UTC)


def _scheduled_ledger(minimum: str = "50.00") -> Ledger:
    policies = LedgerPolicies(
        default=LedgerPolicy(minimum_payouts=(eur(minimum),)), schedule=MONTHLY_ON_THE_1ST
    )
    return Ledger(MemoryLedgerStore(), make_campaign(), policies)


class TestScheduledPayoutRuns:
    def test_a_run_off_the_schedule_is_refused_with_the_nearest_payout_instants(self) -> None:
        ledger = _scheduled_ledger()
        with pytest.raises(InvalidValueError) as raised:
            ledger.run_payouts(datetime(2026, 4, 1, tzinfo=UTC))  # 02:00 in Paris
        message = str(raised.value)
        assert "day 1 of every month at midnight in Europe/Paris" in message
        assert "2026-03-31T22:00:00+00:00" in message
        assert "2026-04-30T22:00:00+00:00" in message
        assert ledger.store.payout_run_count() == 0

    def test_without_a_schedule_a_run_may_happen_at_any_instant(self) -> None:
        ledger = Ledger(MemoryLedgerStore(), make_campaign())
        assert ledger.next_payout(APRIL_1) is None
        assert ledger.run_payouts(datetime(2026, 4, 1, 9, 17, tzinfo=UTC)).batches == ()

    def test_what_is_locked_at_the_payout_instant_is_paid_and_the_rest_carries_over(
        self,
    ) -> None:
        ledger = _scheduled_ledger()
        # Default lock: 30 days after the sale, on the Paris wall clock.
        # C-1 on 1 Mar 10:00 CET locks 31 Mar 10:00 CEST (08:00Z), before the April payout.
        # C-2 on 2 Mar 00:30 CET (1 Mar 23:30Z) locks 1 Apr 00:30 CEST: 30 minutes too late.
        # C-3 on 5 Mar locks 4 Apr; C-4 on 20 Mar locks 19 Apr.
        lines = [
            make_line("commission:C-1:R", eur("40.00"), datetime(2026, 3, 1, 9, tzinfo=UTC)),
            make_line("commission:C-2:R", eur("7.00"), datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
            make_line("commission:C-3:R", eur("8.00"), datetime(2026, 3, 5, 9, tzinfo=UTC)),
            make_line("commission:C-4:R", eur("9.00"), datetime(2026, 3, 20, 9, tzinfo=UTC)),
        ]
        ledger.post(make_run(datetime(2026, 3, 21, tzinfo=UTC), {"aff-1": lines}))
        assert ledger.next_payout(datetime(2026, 3, 21, tzinfo=UTC)) == APRIL_1
        april = ledger.run_payouts(APRIL_1)
        # Only C-1 is locked at the April payout: 40.00 < 50.00 minimum, carried over.
        assert april.batches == ()
        (carried,) = april.carried_over
        assert carried.amount == eur("40.00")
        assert carried.reason == (
            "the locked balance EUR 40.00 is below the minimum payout EUR 50.00"
        )
        may = ledger.run_payouts(MAY_1)
        # 40.00 carried + 7.00 + 8.00 + 9.00 locked in April = 64.00 >= 50.00.
        (batch,) = may.batches
        assert batch.amount == eur("64.00")
        assert batch.id == "payout-000002:aff-1:EUR"
        assert len(batch.entry_ids) == 4
        assert ledger.run_payouts(JUNE_1).batches == ()

    def test_the_next_payout_instant_is_always_accepted(self) -> None:
        ledger = _scheduled_ledger(minimum="0.00")
        line = make_line("commission:C-1:R", eur("12.34"), datetime(2026, 3, 1, 9, tzinfo=UTC))
        ledger.post(make_run(datetime(2026, 3, 2, tzinfo=UTC), {"aff-1": [line]}))
        at = ledger.next_payout(datetime(2026, 4, 15, 12, tzinfo=UTC))
        assert at == MAY_1
        (batch,) = ledger.run_payouts(at).batches
        assert batch.amount == eur("12.34")

    def test_a_schedule_must_be_a_payout_schedule(self) -> None:
        with pytest.raises(InvalidValueError, match="LedgerPolicies.schedule"):
            LedgerPolicies(schedule=1)  # type: ignore[arg-type]

    def test_policies_from_deals_carry_the_schedule(self) -> None:
        policies = LedgerPolicies.from_deals(make_campaign(), {}, schedule=MONTHLY_ON_THE_1ST)
        assert policies.schedule == MONTHLY_ON_THE_1ST
