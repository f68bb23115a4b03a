"""Invariants of the commission engine, proved with Hypothesis."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    band_schedules,
    campaign,
    commissions,
    credit,
    eur,
    lines,
    run,
    sales_batches,
)

from hybridroi.core.money import Rounding, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.events.records import Conversion, Refund
from hybridroi.statements.engine import round_minor
from hybridroi.statements.lines import LineKind
from hybridroi.statements.rules import Cap, CapScope, PercentRate, TieredRate
from hybridroi.statements.tiers import Band, TierMode, graduated_charge

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


@given(sales_batches(), st.integers(min_value=0, max_value=50_000), st.sampled_from(CapScope))
@settings(max_examples=40)
def test_no_cap_is_ever_exceeded(batch: Batch, cap_cents: int, scope: CapScope) -> None:
    conversions, refunds = split(batch)
    limit = eur(Decimal(cap_cents).scaleb(-2))
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PercentRate(id="pct", rate="0.17"), Cap(id="cap", scope=scope, amount=limit)],
    )
    result = run(campaign(deal), conversions, refunds)
    found = [line for line in lines(result).values() if line.kind is LineKind.COMMISSION]
    if scope is CapScope.SALE:
        assert all(line.amount <= limit for line in found)
    elif scope is CapScope.PERIOD:
        for statement in result.statements:
            assert statement.commissions <= limit
    else:
        assert sum((line.amount.amount for line in found), Decimal(0)) <= limit.amount
    # what the cap removed is marked, and paid + removed is the uncapped amount
    uncapped = run(
        campaign(AffiliateDeal(id="D", partner_id="A", rules=[PercentRate(id="pct", rate="0.17")])),
        conversions,
        refunds,
    )
    before = lines(uncapped)
    for line in found:
        removed = line.capped.amount if line.capped is not None else Decimal(0)
        assert line.amount.amount + removed == before[line.key].amount.amount


@given(sales_batches(), band_schedules(), st.integers(min_value=1, max_value=500_000))
@settings(max_examples=40)
def test_adding_a_sale_never_lowers_a_graduated_commission(
    batch: Batch, bands: tuple[Band, ...], cents: int
) -> None:
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
    assert after >= before


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
        exact = graduated_charge(bands, net, carried_in=before)
        reached[month] = before + net
        expected = UnroundedMoney(
            Decimal(exact.numerator) / Decimal(exact.denominator), "EUR"
        ).round()
        assert found[f"commission:{conversion.id}:T"].amount == expected


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
