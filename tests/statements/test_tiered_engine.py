"""Tiered rates in statements: graduated and volume, resets, refunds, bonuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.statements.strategies import amounts, at, campaign, eur, lines, run, sale, statement

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import TieredRate
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.records import Refund
from hybridroi.statements.lines import LineKind

BANDS = (
    Band(start=0, rate="0.10"),
    Band(start=10000, rate="0.12"),
    Band(start=50000, rate="0.15"),
)


def tiered(mode: TierMode = TierMode.GRADUATED, **fields: object) -> AffiliateDeal:
    rule = TieredRate(id="T", bands=fields.pop("bands", BANDS), mode=mode, **fields)  # type: ignore[arg-type]
    return AffiliateDeal(id="D", partner_id="A", rules=[rule])


def test_the_brief_example_in_tier_two() -> None:
    conversions = [sale("S0", at(2), "10000.00"), sale("S1", at(3), "84.00")]
    result = run(campaign(tiered()), conversions)
    line = lines(result)["commission:S1:T"]
    # 10,000 already reached: 12% of 84.00 = 10.08
    assert line.amount == eur("10.08")
    assert line.explanation == (
        "12% (tier 2, EUR 10,000 to 50,000 month to date) of EUR 84.00 = EUR 10.08"
    )


def test_a_sale_that_straddles_a_boundary_is_split() -> None:
    conversions = [sale("S0", at(2), "9950.00"), sale("S1", at(3), "100.00")]
    line = lines(run(campaign(tiered()), conversions))["commission:S1:T"]
    # 50.00 x 10% + 50.00 x 12% = 5.00 + 6.00 = 11.00
    assert line.amount == eur("11.00")
    assert line.explanation == (
        "10% of EUR 50.00 (tier 1, EUR 0 to 10,000 month to date) + "
        "12% of EUR 50.00 (tier 2, EUR 10,000 to 50,000 month to date) = EUR 11.00"
    )


def test_each_line_is_rounded_once_from_the_exact_split() -> None:
    # Pitfall 4: never compute from already-rounded parts. Parts 0.05 x 10% = 0.005 and
    # 0.05 x 12% = 0.006 would round to 0.01 + 0.01 = 0.02; the exact 0.011 rounds to 0.01.
    conversions = [sale("S0", at(2), "9999.95"), sale("S1", at(3), "0.10")]
    assert amounts(run(campaign(tiered()), conversions))["commission:S1:T"] == Decimal("0.01")


@pytest.mark.parametrize(
    ("first", "graduated", "volume"),
    [
        # first sale 9,999.99 then a 100.00 sale; volume total 10,099.99 is in tier 2 (12%)
        # graduated: 999.999 -> 1,000.00 and 0.01 x 10% + 99.99 x 12% = 11.9998 -> 12.00
        # volume: 9,999.99 x 12% = 1,199.9988 -> 1,200.00 and 100.00 x 12% = 12.00
        ("9999.99", ("1000.00", "12.00"), ("1200.00", "12.00")),
        # exactly on the boundary: graduated 1,000.00 + 12.00; volume 1,200.00 + 12.00
        ("10000.00", ("1000.00", "12.00"), ("1200.00", "12.00")),
        # far below: 9,000.00 then 100.00, total 9,100 in tier 1: both modes at 10%
        ("9000.00", ("900.00", "10.00"), ("900.00", "10.00")),
        # a first sale of 9,950.00 and 100.00 across the boundary: graduated
        # 995.00 and 50 x 10% + 50 x 12% = 11.00; volume 10,050 in tier 2:
        # 9,950 x 12% = 1,194.00 and 12.00
        ("9950.00", ("995.00", "11.00"), ("1194.00", "12.00")),
        # over: 1,000.0012 -> 1,000.00 and 12.00; volume 1,200.0012 -> 1,200.00 and 12.00
        ("10000.01", ("1000.00", "12.00"), ("1200.00", "12.00")),
    ],
)
def test_graduated_versus_volume_around_a_boundary(
    first: str, graduated: tuple[str, str], volume: tuple[str, str]
) -> None:
    conversions = [sale("S0", at(2), first), sale("S1", at(3), "100.00")]
    for mode, expected in ((TierMode.GRADUATED, graduated), (TierMode.VOLUME, volume)):
        found = amounts(run(campaign(tiered(mode)), conversions))
        assert (found["commission:S0:T"], found["commission:S1:T"]) == tuple(
            Decimal(x) for x in expected
        ), mode


def test_volume_threshold_crossed_then_lost_to_a_refund() -> None:
    conversions = [sale("S0", at(2), "6000.00"), sale("S1", at(3), "5000.00")]
    the_campaign = campaign(tiered(TierMode.VOLUME))
    crossed = amounts(run(the_campaign, conversions))
    # 11,000 reached: every sale at 12%: 720.00 and 600.00
    assert crossed == {"commission:S0:T": Decimal("720.00"), "commission:S1:T": Decimal("600.00")}
    refund = Refund(id="R1", conversion_id="S1", instant=at(20), amount=eur("2000.00"))
    lost = run(the_campaign, conversions, [refund])
    # 9,000 net: back to 10%: 600.00 and 10% of 3,000.00 = 300.00
    assert amounts(lost) == {
        "commission:S0:T": Decimal("600.00"),
        "commission:S1:T": Decimal("300.00"),
    }
    assert "volume EUR 9,000.00 reached" in lines(lost)["commission:S0:T"].explanation


def test_months_follow_the_campaign_time_zone() -> None:
    # 2026-01-31 23:30 UTC is 2026-02-01 00:30 in Paris: the February volume starts over.
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    conversions = [sale("JAN", at(10), "10000.00"), sale("FEB", late, "100.00")]
    result = run(campaign(tiered()), conversions)
    # 10% of 100.00 in February's first tier, not 12%
    assert lines(result)["commission:FEB:T"].amount == eur("10.00")
    assert statement(result, "2026-02").lines[0].key == "commission:FEB:T"
    utc = run(campaign(tiered(), timezone="UTC"), conversions)
    assert lines(utc)["commission:FEB:T"].amount == eur("12.00")


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        # 2026-01-05 and 2026-01-06 are Monday and Tuesday of one ISO week
        (PeriodKind.DAY, "10.00"),
        (PeriodKind.WEEK, "12.00"),
        (PeriodKind.QUARTER, "12.00"),
        (PeriodKind.CAMPAIGN, "12.00"),
    ],
)
def test_reset_periods(reset: PeriodKind, expected: str) -> None:
    conversions = [sale("S0", at(5), "10000.00"), sale("S1", at(6), "100.00")]
    result = run(campaign(tiered(reset=reset)), conversions)
    assert lines(result)["commission:S1:T"].amount == eur(expected)


def test_rolling_window_counts_the_last_n_days() -> None:
    conversions = [
        sale("S0", at(1), "10000.00"),
        sale("S1", at(20), "100.00"),  # 19 days later: inside 30 days -> 12%
        sale("S2", at(5, month=2), "100.00"),  # 35 days after S0: only S1 counts -> 10%
    ]
    result = run(campaign(tiered(rolling_days=30)), conversions)
    found = lines(result)
    assert found["commission:S1:T"].amount == eur("12.00")
    assert found["commission:S2:T"].amount == eur("10.00")
    assert "last 30 days" in found["commission:S2:T"].explanation


TICK = timedelta(microseconds=1)
OCTOBER_25 = datetime(2026, 10, 24, 22, tzinfo=UTC)  # local midnight of 25 October in Paris
MARCH_29 = datetime(2026, 3, 28, 23, tzinfo=UTC)  # local midnight of 29 March in Paris


@pytest.mark.parametrize(
    ("days", "first", "second", "expected"),
    [
        # Europe/Paris leaves summer time on Sunday 25 October 2026: that local day lasts
        # 25 hours, 2026-10-24 22:00 UTC to 2026-10-25 23:00 UTC. A one-day window is
        # that local day: a sale at its first instant counts for a sale 24.5 hours later
        # (12% of 100.00 = 12.00), and one a microsecond before it does not (10% = 10.00).
        (1, OCTOBER_25, OCTOBER_25 + timedelta(hours=24, minutes=30), "12.00"),
        (1, OCTOBER_25 - TICK, OCTOBER_25 + timedelta(hours=24, minutes=30), "10.00"),
        # Summer time begins on Sunday 29 March 2026 (a 23-hour local day). A two-day
        # window for a sale on Monday 30 March at 23:00 local covers 29 and 30 March, from
        # 2026-03-28 23:00 UTC: 47 hours, not 48. A sale a microsecond before it, 46 hours
        # earlier, is outside the window although it is within 2 x 24 hours.
        (2, MARCH_29, MARCH_29 + timedelta(hours=46), "12.00"),
        (2, MARCH_29 - TICK, MARCH_29 + timedelta(hours=46), "10.00"),
    ],
)
def test_a_rolling_window_counts_local_calendar_days_across_daylight_saving(
    days: int, first: datetime, second: datetime, expected: str
) -> None:
    conversions = [sale("S0", first, "10000.00"), sale("S1", second, "100.00")]
    result = run(campaign(tiered(rolling_days=days)), conversions)
    assert lines(result)["commission:S1:T"].amount == eur(expected)


def test_a_rolling_window_follows_the_campaigns_time_zone() -> None:
    # 2026-01-10 23:30 UTC is 11 January in Paris but 10 January in UTC; a one-day window
    # for a sale at 2026-01-11 12:00 UTC includes it in Paris only.
    conversions = [
        sale("S0", datetime(2026, 1, 10, 23, 30, tzinfo=UTC), "10000.00"),
        sale("S1", datetime(2026, 1, 11, 12, tzinfo=UTC), "100.00"),
    ]
    paris = run(campaign(tiered(rolling_days=1)), conversions)
    utc = run(campaign(tiered(rolling_days=1), timezone="UTC"), conversions)
    assert lines(paris)["commission:S1:T"].amount == eur("12.00")
    assert lines(utc)["commission:S1:T"].amount == eur("10.00")


def test_count_basis() -> None:
    bands = (Band(start=0, rate="0.05"), Band(start=2, rate="0.10"))
    conversions = [sale(f"S{n}", at(n + 1), "100.00") for n in range(3)]
    graduated = amounts(run(campaign(tiered(bands=bands, basis=TierBasis.COUNT)), conversions))
    # sales 1 and 2 cover [0, 2): 5%; sale 3 covers [2, 3): 10%
    assert graduated == {
        "commission:S0:T": Decimal("5.00"),
        "commission:S1:T": Decimal("5.00"),
        "commission:S2:T": Decimal("10.00"),
    }
    volume = amounts(
        run(campaign(tiered(TierMode.VOLUME, bands=bands, basis=TierBasis.COUNT)), conversions)
    )
    # 3 sales reach the band starting at 2: all at 10%
    assert set(volume.values()) == {Decimal("10.00")}


def test_tier_bonus_paid_once_and_withdrawn_when_a_refund_takes_the_tier_back() -> None:
    bands = (Band(start=0, rate="0.10"), Band(start=1000, rate="0.12", bonus=eur("50.00")))
    conversions = [sale("S0", at(2), "600.00"), sale("S1", at(3), "600.00")]
    the_campaign = campaign(tiered(bands=bands))
    reached = lines(run(the_campaign, conversions))
    bonus = reached["tier-bonus:T:2026-01:2"]
    assert bonus.kind is LineKind.BONUS
    assert bonus.amount == eur("50.00")
    assert bonus.earned_at == at(3)  # the sale that reached tier 2
    refund = Refund(id="R1", conversion_id="S1", instant=at(9), amount=eur("500.00"))
    withdrawn = lines(run(the_campaign, conversions, [refund]))
    assert withdrawn["tier-bonus:T:2026-01:2"].amount == eur("0.00")
    assert (
        "refunds took the volume back under it" in withdrawn["tier-bonus:T:2026-01:2"].explanation
    )


def test_commission_basis_is_refused_for_a_rate() -> None:
    with pytest.raises(InvalidValueError, match="ThresholdBonus"):
        TieredRate(id="T", bands=BANDS, basis=TierBasis.COMMISSION)
    with pytest.raises(InvalidValueError, match="rolling window"):
        TieredRate(
            id="T",
            bands=(Band(start=0, rate="0.1"), Band(start=5, rate="0.2", bonus=Money("1", "EUR"))),
            rolling_days=7,
        )
