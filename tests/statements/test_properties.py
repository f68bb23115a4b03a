"""Invariants of the commission engine, proved with Hypothesis."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    START,
    band_schedules,
    campaign,
    click_batches,
    commissions,
    credit,
    eur,
    lines,
    run,
    sales_batches,
)

from hybridroi.core.money import Rounding, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.core.rounding import round_minor
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content, ContentFormat, Platform
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CpmViews,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    RecoverableDraw,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.statements.lines import LineKind

Batch = list[tuple[Conversion, Refund | None]]


def split(batch: Batch) -> tuple[list[Conversion], list[Refund]]:
    return [c for c, _ in batch], [r for _, r in batch if r is not None]


def tier_deal(bands: tuple[Band, ...], mode: TierMode, *extra: object) -> AffiliateDeal:
    rule = TieredRate(id="T", bands=bands, mode=mode)
    return AffiliateDeal(id="D", partner_id="A", rules=[rule, *extra])


@given(sales_batches(), band_schedules(), st.sampled_from(TierMode), st.randoms())
@settings(max_examples=40)
def test_input_order_never_changes_a_statement(
    batch: Batch, bands: tuple[Band, ...], mode: TierMode, random: Random
) -> None:
    conversions, refunds = split(batch)
    the_campaign = campaign(
        tier_deal(bands, mode, Cap(id="cap", scope=CapScope.PERIOD, amount=eur("300")))
    )
    credits = [credit(c) for c in conversions]
    expected = run(the_campaign, conversions, refunds, credits=credits)
    shuffled = list(zip(conversions, credits, strict=True))
    random.shuffle(shuffled)
    refunds_shuffled = list(refunds)
    random.shuffle(refunds_shuffled)
    again = run(
        the_campaign,
        [c for c, _ in shuffled],
        refunds_shuffled,
        credits=[k for _, k in shuffled],
    )
    assert again.statements == expected.statements


@given(sales_batches(), band_schedules(), st.integers(min_value=1, max_value=500_000))
@settings(max_examples=40)
def test_adding_a_later_sale_never_lowers_a_graduated_commission(
    batch: Batch, bands: tuple[Band, ...], cents: int
) -> None:
    # A sale after every other one leaves the earlier lines as they were (graduated tiers
    # never reprice) and adds a line >= 0, so even the rounded total cannot drop.
    conversions, refunds = split(batch)
    the_campaign = campaign(tier_deal(bands, TierMode.GRADUATED))
    before = commissions(run(the_campaign, conversions, refunds))
    last = max(c.instant for c in conversions)
    extra = Conversion(
        id="ZZZ-extra",
        instant=last + timedelta(seconds=1),
        customer_key="extra",
        revenue=eur(Decimal(cents).scaleb(-2)),
    )
    after = commissions(run(the_campaign, [*conversions, extra], refunds))
    assert after >= before


@given(sales_batches(), band_schedules(), st.integers(min_value=1, max_value=500_000))
@settings(max_examples=40)
def test_adding_a_sale_anywhere_never_lowers_a_graduated_commission_beyond_rounding(
    batch: Batch, bands: tuple[Band, ...], cents: int
) -> None:
    # A sale slipped in before others moves their carry-in: the exact commission still
    # rises, but each line is rounded on its own, so the rounded total may lose up to half a
    # cent per line that moved.
    conversions, refunds = split(batch)
    the_campaign = campaign(tier_deal(bands, TierMode.GRADUATED))
    before = commissions(run(the_campaign, conversions, refunds))
    extra = Conversion(
        id="ZZZ-extra",
        instant=conversions[0].instant,
        customer_key="extra",
        revenue=eur(Decimal(cents).scaleb(-2)),
    )
    after = commissions(run(the_campaign, [*conversions, extra], refunds))
    assert after >= before - Decimal("0.005") * len(conversions)


def graduated_oracle(bands: tuple[Band, ...], low: Fraction, high: Fraction) -> Fraction:
    """Integrate band by band: the part of [low, high) inside each band at its rate."""
    total = Fraction(0)
    for index, band in enumerate(bands):
        band_low = Fraction(band.start)
        band_high = Fraction(bands[index + 1].start) if index + 1 < len(bands) else high
        overlap = min(high, band_high) - max(low, band_low)
        if overlap > 0:
            total += overlap * Fraction(band.rate)
    return total


def half_up_cents(amount: Fraction) -> int:
    """An amount >= 0 in euros, rounded half up to whole cents."""
    return math.floor(amount * 100 + Fraction(1, 2))


def test_the_graduated_oracle_by_hand() -> None:
    bands = (Band(start=0, rate="0.10"), Band(start=100, rate="0.20"))
    # [50, 150): 50 x 10% + 50 x 20% = 5 + 10 = 15
    assert graduated_oracle(bands, Fraction(50), Fraction(150)) == 15
    assert half_up_cents(Fraction("0.125")) == 13


@given(sales_batches(max_size=6), band_schedules())
@settings(max_examples=40)
def test_graduated_lines_agree_with_a_fraction_oracle(
    batch: Batch, bands: tuple[Band, ...]
) -> None:
    conversions, refunds = split(batch)
    the_campaign = campaign(tier_deal(bands, TierMode.GRADUATED), timezone="UTC")
    found = lines(run(the_campaign, conversions, refunds))
    refunded: dict[str, Fraction] = {}
    for refund in refunds:
        refunded[refund.conversion_id] = Fraction(refund.amount.amount)
    reached: dict[tuple[int, int], Fraction] = {}
    for conversion in sorted(conversions, key=lambda c: (c.instant, c.id)):
        month = (conversion.instant.year, conversion.instant.month)
        net = Fraction(conversion.revenue.amount) - refunded.get(conversion.id, Fraction(0))
        before = reached.get(month, Fraction(0))
        reached[month] = before + net
        expected = half_up_cents(graduated_oracle(bands, before, before + net))
        assert found[f"commission:{conversion.id}:T"].amount.minor_units == expected


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(Rounding),
)
def test_round_minor_agrees_with_money_rounding(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    value = Fraction(numerator, denominator)
    # a power of ten denominator has an exact Decimal form to compare with
    decimal_value = Fraction(numerator * 10**6 // denominator, 10**6)
    exact = UnroundedMoney(
        Decimal(decimal_value.numerator) / Decimal(decimal_value.denominator), "EUR"
    )
    expected = exact.round(rounding=rounding).minor_units
    assert round_minor(decimal_value * 100, rounding=rounding) == expected
    assert round_minor(value, rounding=rounding) in {
        value.numerator // value.denominator,
        value.numerator // value.denominator + 1,
    }


@given(sales_batches(max_size=8))
@settings(max_examples=30)
def test_statements_sum_their_rounded_lines(batch: Batch) -> None:
    conversions, refunds = split(batch)
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PercentRate(id="pct", rate="0.0333")],
        statement_period=PeriodKind.WEEK,
    )
    result = run(campaign(deal), conversions, refunds)
    for statement in result.statements:
        assert statement.commissions.amount == sum(
            (line.amount.amount for line in statement.lines), Decimal(0)
        )
        assert [line.key for line in statement.lines] == sorted(
            line.key for line in statement.lines
        )
        for line in statement.lines:
            assert statement.period.start <= line.earned_at < statement.period.end


PERIOD_LINES = {
    LineKind.NETWORK_FEE,
    LineKind.GUARANTEE_TOPUP,
    LineKind.ADVANCE,
    LineKind.RECOVERY,
}


@given(
    sales_batches(months=2),
    click_batches(months=2),
    st.sampled_from([PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]),
    st.sampled_from([PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]),
    st.integers(min_value=0, max_value=56 * 86400),
)
@settings(max_examples=40)
def test_every_line_is_earned_inside_its_statement_period(
    batch: Batch,
    touches: list[Touch],
    statements: PeriodKind,
    reset: PeriodKind,
    published: int,
) -> None:
    conversions, refunds = split(batch)
    bands = (Band(start=0, rate="0.10"), Band(start=500, rate="0.12", bonus=eur("7.00")))
    rules = [
        TieredRate(id="T", bands=bands, reset=reset),
        PerClick(id="cpc", amount=eur("0.20")),
        CpmViews(id="cpm", amount=eur("8.00")),
        ThresholdBonus(id="bonus", metric=TierBasis.COUNT, threshold=1, amount=eur("5.00")),
        GuaranteedMinimum(id="min", amount=eur("50.00")),
        RecoverableDraw(id="draw", amount=eur("80.00")),
        NetworkFee(id="fee", rate="0.30"),
    ]
    video = Content(
        id="V1",
        partner_id="A",
        platform=Platform.TIKTOK,
        format=ContentFormat.SHORT_VIDEO,
        published_at=START + timedelta(seconds=published),
    )
    deal = AffiliateDeal(id="D", partner_id="A", rules=rules, statement_period=statements)
    result = run(
        campaign(deal, contents=[video]),
        conversions,
        refunds,
        touches=touches,
        as_of=datetime(2026, 3, 1, tzinfo=UTC),
        views={"V1": 12_345},
    )
    kinds = set()
    for statement in result.statements:
        period = statement.period
        for line in statement.lines:
            kinds.add(line.kind)
            assert period.start <= line.earned_at < period.end, line.key
            if line.kind in PERIOD_LINES or line.key.startswith(("clicks:", "bonus:")):
                # a period-level line: the period's last instant
                assert line.earned_at == period.end - timedelta(microseconds=1), line.key
    assert kinds >= PERIOD_LINES
