"""Caps, guarantees, draws, threshold bonuses and network fees, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.statements.strategies import at, campaign, eur, lines, run, sale, statement

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    RecoverableDraw,
    ThresholdBonus,
)
from hybridroi.domain.tiers import TierBasis
from hybridroi.statements.lines import LineKind

PCT = PercentRate(id="pct", rate="0.10")


def deal(*rules: object) -> AffiliateDeal:
    return AffiliateDeal(id="D", partner_id="A", rules=[PCT, *rules])


class TestCaps:
    def test_per_sale_cap_marks_the_excess(self) -> None:
        result = run(
            campaign(deal(Cap(id="cap", scope=CapScope.SALE, amount=eur("25.00")))),
            [sale("S1", at(3), "400.00"), sale("S2", at(4), "100.00")],
        )
        found = lines(result)
        # 10% of 400.00 = 40.00, capped at 25.00: 15.00 marked as capped
        assert found["commission:S1:pct"].amount == eur("25.00")
        assert found["commission:S1:pct"].capped == eur("15.00")
        assert (
            "EUR 15.00 over the per-sale cap of EUR 25.00 not paid"
            in found["commission:S1:pct"].explanation
        )
        assert found["commission:S2:pct"].amount == eur("10.00")
        assert found["commission:S2:pct"].capped is None

    def test_period_cap_hit_mid_sale(self) -> None:
        conversions = [
            sale("S1", at(3), "300.00"),  # 30.00
            sale("S2", at(4), "300.00"),  # 30.00, only 20.00 left under the 50.00 cap
            sale("S3", at(5), "100.00"),  # 10.00, nothing left
            sale("S4", at(3, month=2), "100.00"),  # February starts over: 10.00
        ]
        result = run(
            campaign(deal(Cap(id="cap", scope=CapScope.PERIOD, amount=eur("50.00")))),
            conversions,
        )
        found = lines(result)
        assert [found[f"commission:S{n}:pct"].amount for n in range(1, 5)] == [
            eur("30.00"),
            eur("20.00"),
            eur("0.00"),
            eur("10.00"),
        ]
        assert found["commission:S2:pct"].capped == eur("10.00")
        assert found["commission:S3:pct"].capped == eur("10.00")
        assert statement(result, "2026-01").commissions == eur("50.00")

    def test_lifetime_cap_spans_periods(self) -> None:
        conversions = [sale("S1", at(3), "300.00"), sale("S2", at(3, month=3), "300.00")]
        result = run(
            campaign(deal(Cap(id="cap", scope=CapScope.LIFETIME, amount=eur("40.00")))),
            conversions,
        )
        found = lines(result)
        # 30.00 in January, then 10.00 of the 30.00 in March
        assert found["commission:S2:pct"].amount == eur("10.00")
        assert found["commission:S2:pct"].capped == eur("20.00")


class TestGuaranteeAndDraw:
    def test_guaranteed_minimum_tops_up_and_is_never_recovered(self) -> None:
        conversions = [sale("S1", at(3), "300.00"), sale("S2", at(3, month=2), "1200.00")]
        result = run(
            campaign(deal(GuaranteedMinimum(id="min", amount=eur("100.00")))),
            conversions,
            as_of=at(20, month=2),
        )
        january = statement(result, "2026-01")
        february = statement(result, "2026-02")
        # January: 30.00 earned, 70.00 topped up; February: 120.00 earned, no top-up
        assert january.guarantee_topups == eur("70.00")
        assert january.partner_total == eur("100.00")
        assert february.guarantee_topups == eur("0.00")
        assert february.partner_total == eur("120.00")

    def test_draw_recovered_over_two_periods(self) -> None:
        conversions = [
            sale("JAN", at(3), "200.00"),  # 20.00 earned: 80.00 advanced
            sale("FEB", at(3, month=2), "1500.00"),  # 150.00: 50.00 above the draw recovered
            sale("MAR", at(3, month=3), "1400.00"),  # 140.00: the last 30.00 recovered
            sale("APR", at(3, month=4), "1400.00"),  # 140.00: nothing left to recover
        ]
        result = run(
            campaign(deal(RecoverableDraw(id="draw", amount=eur("100.00")))),
            conversions,
            as_of=at(20, month=4),
        )
        months = [statement(result, f"2026-0{m}") for m in range(1, 5)]
        assert [m.advances for m in months] == [eur("80.00"), eur("0.00"), eur("0.00"), eur("0.00")]
        assert [m.recoveries for m in months] == [
            eur("0.00"),
            eur("-50.00"),
            eur("-30.00"),
            eur("0.00"),
        ]
        assert [m.partner_total for m in months] == [
            eur("100.00"),
            eur("100.00"),
            eur("110.00"),
            eur("140.00"),
        ]
        assert sum(m.advances.amount + m.recoveries.amount for m in months) == 0


class TestBonusesAndFees:
    def test_fixed_threshold_bonus_on_revenue(self) -> None:
        rule = ThresholdBonus(
            id="bonus", metric=TierBasis.REVENUE, threshold="1000", amount=eur("25.00")
        )
        result = run(
            campaign(deal(rule)),
            [
                sale("S1", at(3), "600.00"),
                sale("S2", at(4), "400.00"),  # 1,000.00 reached exactly
                sale("S3", at(3, month=2), "999.99"),  # February stays under
            ],
            as_of=at(20, month=2),
        )
        found = lines(result)
        assert found["bonus:bonus:2026-01"].amount == eur("25.00")
        assert found["bonus:bonus:2026-01"].kind is LineKind.BONUS
        assert "bonus:bonus:2026-02" not in found

    def test_percent_bonus_on_commissions_once_a_count_is_reached(self) -> None:
        rule = ThresholdBonus(id="bonus", metric=TierBasis.COUNT, threshold=2, rate="0.05")
        result = run(
            campaign(deal(rule)), [sale("S1", at(3), "333.33"), sale("S2", at(4), "100.00")]
        )
        # commissions 33.33 + 10.00 = 43.33; 5% = 2.1665 -> 2.17
        assert lines(result)["bonus:bonus:2026-01"].amount == eur("2.17")

    def test_commission_threshold(self) -> None:
        rule = ThresholdBonus(
            id="bonus", metric=TierBasis.COMMISSION, threshold="40", amount=eur("5.00")
        )
        result = run(campaign(deal(rule)), [sale("S1", at(3), "400.00")])
        assert lines(result)["bonus:bonus:2026-01"].amount == eur("5.00")

    def test_network_fee_on_commissions_and_bonuses_is_a_cost(self) -> None:
        rules = (
            ThresholdBonus(id="bonus", metric=TierBasis.COUNT, threshold=1, amount=eur("10.00")),
            NetworkFee(id="network", rate="0.30"),
        )
        result = run(campaign(deal(*rules)), [sale("S1", at(3), "123.45")])
        january = statement(result, "2026-01")
        # commission 12.345 -> 12.35 (half up); fee 30% of (12.35 + 10.00) = 6.705 -> 6.71
        assert january.commissions == eur("12.35")
        assert january.network_fees == eur("6.71")
        assert january.partner_total == eur("22.35")
        assert january.total_cost == eur("29.06")

    def test_bonus_validation(self) -> None:
        with pytest.raises(InvalidValueError, match="exactly one of amount and rate"):
            ThresholdBonus(id="b", metric=TierBasis.COUNT, threshold=1)
        with pytest.raises(InvalidValueError, match="level > 0"):
            ThresholdBonus(id="b", metric=TierBasis.COUNT, threshold=0, amount=eur("1"))


def test_period_lines_cover_every_statement_period_up_to_as_of() -> None:
    result = run(
        campaign(
            AffiliateDeal(
                id="D",
                partner_id="A",
                rules=[PCT, GuaranteedMinimum(id="min", amount=eur("10.00"))],
                statement_period=PeriodKind.QUARTER,
            )
        ),
        [],
        as_of=at(1, month=5),
    )
    assert [s.period.label for s in result.statements] == ["2026-Q1", "2026-Q2"]
    assert [s.guarantee_topups for s in result.statements] == [eur("10.00"), eur("10.00")]
    assert Decimal(0) not in {s.partner_total.amount for s in result.statements}
