"""Tiered rules priced in columns: 64-bit columns and exact Python numbers agree.

The engine prices a tiered rule's sales together, in 64-bit integer columns when a
checked bound allows it and in columns of exact Python numbers otherwise. Forcing the
exact columns must give the very same statements (amounts, keys, explanations), for
every mode, basis, reset, rolling window, bonus band, share of a sale and precedence;
and amounts beyond the 64-bit bound are priced exactly.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    START,
    band_schedules,
    campaign,
    credit,
    lines,
    run,
    sale,
    sales_batches,
)
from tests.statements.test_properties import graduated_oracle, half_up_cents

from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import PercentRate, Precedence, TieredRate
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.records import Conversion, Refund
from hybridroi.statements import tiered
from hybridroi.statements.lines import StatementRun

Batch = list[tuple[Conversion, Refund | None]]


def _exact_columns_only() -> AbstractContextManager[object]:
    return patch.object(tiered, "_columns_fit", lambda *_: False)


@st.composite
def tier_rules(draw: st.DrawFn) -> TieredRate:
    bands = draw(band_schedules())
    basis = draw(st.sampled_from([TierBasis.COUNT, TierBasis.REVENUE]))
    if basis is TierBasis.COUNT:
        # Counts of sales: whole-number starts, 0 first, increasing.
        steps = draw(st.lists(st.integers(1, 3), min_size=len(bands) - 1, max_size=len(bands) - 1))
        starts = [0]
        for step in steps:
            starts.append(starts[-1] + step)
        bands = tuple(
            Band(start=start, rate=band.rate) for start, band in zip(starts, bands, strict=True)
        )
    with_bonus = draw(st.booleans())
    if with_bonus:
        bands = tuple(
            Band(
                start=band.start,
                rate=band.rate,
                bonus=Money.from_minor(draw(st.integers(0, 5000)), "EUR")
                if draw(st.booleans())
                else None,
            )
            for band in bands
        )
    rolling = None if with_bonus else draw(st.none() | st.integers(1, 20))
    return TieredRate(
        id="T",
        bands=bands,
        mode=draw(st.sampled_from(TierMode)),
        basis=basis,
        reset=draw(st.sampled_from([PeriodKind.MONTH, PeriodKind.WEEK, PeriodKind.DAY])),
        rolling_days=rolling,
    )


def _priced(rule: TieredRate, batch: Batch, shares: list[Fraction], highest: bool) -> StatementRun:
    conversions = [conversion for conversion, _ in batch]
    refunds = [refund for _, refund in batch if refund is not None]
    extra = [PercentRate(id="P", rate="0.05")] if highest else []
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[rule, *extra],
        precedence=Precedence.HIGHEST if highest else Precedence.FIRST_MATCH,
    )
    credits = [
        credit(conversion, share=shares[index % len(shares)])
        for index, conversion in enumerate(conversions)
    ]
    return run(campaign(deal), conversions, refunds, credits=credits)


@given(
    tier_rules(),
    sales_batches(max_size=14),
    # Whole credits (64-bit columns) half of the time, shares of sales the other half.
    st.just([Fraction(1)])
    | st.lists(st.fractions(min_value=Fraction(1, 7), max_value=1), min_size=1, max_size=3),
    st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_exact_columns_give_the_same_statements(
    rule: TieredRate, batch: Batch, shares: list[Fraction], highest: bool
) -> None:
    fast = _priced(rule, batch, shares, highest)
    with _exact_columns_only():
        exact = _priced(rule, batch, shares, highest)
    assert fast.statements == exact.statements
    assert fast.problems == exact.problems


def _one_band_deal(rate: str) -> AffiliateDeal:
    rule = TieredRate(id="T", bands=(Band(start=0, rate=rate), Band(start=10**16, rate="0.5")))
    return AffiliateDeal(id="D", partner_id="A", rules=[rule])


def test_amounts_beyond_the_64_bit_bound_are_priced_exactly() -> None:
    # 10**15 EUR is 10**17 cents: times the rate's numerator it is far beyond 2**62.
    huge = [
        sale(f"S{i}", START + timedelta(days=i), Money.from_minor(10**17 + i, "EUR"))
        for i in range(3)
    ]
    found = lines(run(campaign(_one_band_deal("0.1234"), timezone="UTC"), huge))
    for i in range(3):
        exact = Fraction(10**17 + i) * Fraction("0.1234")
        # Half up, to the cent: the floor of exact + 1/2.
        expected = int(exact + Fraction(1, 2))
        assert found[f"commission:S{i}:T"].amount.minor_units == expected


def test_the_columns_carry_volume_across_a_rule_s_sales_by_hand() -> None:
    bands = (Band(start=0, rate="0.10"), Band(start=100, rate="0.20"))
    deal = AffiliateDeal(id="D", partner_id="A", rules=[TieredRate(id="T", bands=bands)])
    sales = [
        sale("S1", START, "60.00"),
        sale("S2", START + timedelta(hours=1), "60.00"),
        sale("S3", START + timedelta(hours=2), "10.00"),
    ]
    found = lines(run(campaign(deal, timezone="UTC"), sales))
    # S1: 60 x 10%; S2: 40 x 10% + 20 x 20%; S3: 10 x 20%.
    assert [found[f"commission:S{i}:T"].amount.amount for i in (1, 2, 3)] == [
        Decimal("6.00"),
        Decimal("8.00"),
        Decimal("2.00"),
    ]
    assert found["commission:S2:T"].explanation == (
        "10% of EUR 40.00 (tier 1, EUR 0 to 100 month to date) + "
        "20% of EUR 20.00 (tier 2, EUR 100 and more month to date) = EUR 8.00"
    )


@given(
    sales_batches(max_size=10),
    band_schedules(),
    st.lists(st.fractions(min_value=Fraction(1, 9), max_value=1), min_size=1, max_size=3),
    st.sampled_from([TierBasis.REVENUE, TierBasis.COUNT]),
)
@settings(max_examples=60, deadline=None)
def test_graduated_lines_with_shares_agree_with_a_sale_by_sale_oracle(
    batch: Batch, bands: tuple[Band, ...], shares: list[Fraction], basis: TierBasis
) -> None:
    if basis is TierBasis.COUNT:
        bands = tuple(Band(start=i, rate=band.rate) for i, band in enumerate(bands))
    conversions = [conversion for conversion, _ in batch]
    refunds = [refund for _, refund in batch if refund is not None]
    share_of = {c.id: shares[i % len(shares)] for i, c in enumerate(conversions)}
    deal = AffiliateDeal(
        id="D", partner_id="A", rules=[TieredRate(id="T", bands=bands, basis=basis)]
    )
    credits = [credit(c, share=share_of[c.id]) for c in conversions]
    found = lines(run(campaign(deal, timezone="UTC"), conversions, refunds, credits=credits))
    refunded = {r.conversion_id: Fraction(r.amount.amount) for r in refunds}
    reached: dict[tuple[int, int], Fraction] = {}
    for conversion in sorted(conversions, key=lambda c: (c.instant, c.id)):
        month = (conversion.instant.year, conversion.instant.month)
        revenue = Fraction(conversion.revenue.amount)
        net = revenue - refunded.get(conversion.id, Fraction(0))
        share = share_of[conversion.id]
        before = reached.get(month, Fraction(0))
        if basis is TierBasis.REVENUE:
            volume = net * share
            exact = graduated_oracle(bands, before, before + volume)
        else:
            volume = Fraction(0) if revenue and not net else share
            exact = graduated_oracle(bands, before, before + volume) * net
        reached[month] = before + volume
        expected = half_up_cents(exact)
        assert found[f"commission:{conversion.id}:T"].amount.minor_units == expected
