"""Work the engine shares between deals and look-ups never change a statement.

Amount texts and Money objects are remembered once per run and currency; a tier
that resets with the statement period finds both periods in one look-up; caps
keep their current period while they walk the lines in time order. Each of
these is checked against pricing the same deal alone, or against the calendar.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    band_schedules,
    campaign,
    credit,
    lines,
    run,
    sales_batches,
)

from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import Cap, CapScope, PercentRate, TieredRate
from hybridroi.domain.tiers import Band, TierMode
from hybridroi.events.records import Conversion, Refund
from hybridroi.statements.lines import LineKind

Batch = list[tuple[Conversion, Refund | None]]
CALENDAR = [PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]
RATES = FxRates.from_rows([("EUR", "USD", date(2026, 1, 1), "1.0837")])


def split(batch: Batch) -> tuple[list[Conversion], list[Refund]]:
    return [c for c, _ in batch], [r for _, r in batch if r is not None]


@given(sales_batches(), band_schedules(), st.sampled_from(["EUR", "USD"]))
@settings(max_examples=40)
def test_a_deal_priced_beside_others_reads_as_when_priced_alone(
    batch: Batch, bands: tuple[Band, ...], currency: str
) -> None:
    conversions, refunds = split(batch)
    tiers = AffiliateDeal(
        id="D-A",
        partner_id="A",
        rules=[TieredRate(id="T", bands=bands, mode=TierMode.GRADUATED)],
        currency=currency,
    )
    percent = AffiliateDeal(id="D-B", partner_id="B", rules=[PercentRate(id="pct", rate="0.0725")])
    credits = [credit(c, "A") for c in conversions] + [credit(c, "B") for c in conversions]
    both = run(
        campaign(tiers, percent, partners=("A", "B"), fx=RATES),
        conversions,
        refunds,
        credits=credits,
    )
    alone_a = run(campaign(tiers, fx=RATES), conversions, refunds)
    alone_b = run(
        campaign(percent, partners=("B",), fx=RATES),
        conversions,
        refunds,
        credits=[credit(c, "B") for c in conversions],
    )
    assert lines(both, "A") == lines(alone_a, "A")
    assert lines(both, "B") == lines(alone_b, "B")
    for partner, paid_in in (("A", currency), ("B", "EUR")):
        for line in lines(both, partner).values():
            assert line.amount.currency == paid_in
            assert f"= {paid_in} " in line.explanation


@given(
    sales_batches(months=6),
    band_schedules(),
    st.sampled_from(CALENDAR),
    st.sampled_from(CALENDAR),
)
@settings(max_examples=40)
def test_every_line_is_in_the_statement_of_its_own_period(
    batch: Batch, bands: tuple[Band, ...], reset: PeriodKind, statements: PeriodKind
) -> None:
    conversions, refunds = split(batch)
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[TieredRate(id="T", bands=bands, mode=TierMode.GRADUATED, reset=reset)],
        statement_period=statements,
    )
    result = run(campaign(deal), conversions, refunds)
    for statement in result.statements:
        for line in statement.lines:
            expected = period_of(line.earned_at, statements, "Europe/Paris")
            assert statement.period == expected


@given(sales_batches(months=4), st.integers(min_value=0, max_value=20_000))
@settings(max_examples=40)
def test_a_monthly_cap_holds_in_every_month(batch: Batch, cap_cents: int) -> None:
    conversions, refunds = split(batch)
    limit = Money.from_minor(cap_cents, "EUR")
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[
            PercentRate(id="pct", rate="0.17"),
            Cap(id="cap", scope=CapScope.PERIOD, amount=limit, period=PeriodKind.MONTH),
        ],
        statement_period=PeriodKind.WEEK,
    )
    found = [
        line
        for line in lines(run(campaign(deal), conversions, refunds)).values()
        if line.kind is LineKind.COMMISSION
    ]
    paid: dict[str, Decimal] = {}
    for line in found:
        month = period_of(line.earned_at, PeriodKind.MONTH, "Europe/Paris").label
        paid[month] = paid.get(month, Decimal(0)) + line.amount.amount
    assert all(total <= limit.amount for total in paid.values())
