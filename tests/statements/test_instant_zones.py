"""Look-ups the engine makes once per distinct value agree with the straightforward ones.

The zone an instant is written in never changes a statement, nor the period it is in:
Arrow and pandas give UTC instants as ``ZoneInfo('UTC')``; the engine compares them
with period bounds kept in that zone, rather than across two zones. Each property
checks that against the calendar (``period_of``) or against the same events in UTC.
A sale's revenue in minor units is remembered per amount, and equals the amount's own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import band_schedules, campaign, run, sales_batches

from hybridroi.core.money import Money, minor_unit
from hybridroi.core.periods import PeriodKind, period_of, periods_between
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import Cap, CapScope, TieredRate
from hybridroi.domain.tiers import Band, TierMode
from hybridroi.events.records import Conversion, Refund
from hybridroi.statements.drafts import _Periods
from hybridroi.statements.inputs import _revenue_units

ZONES = [UTC, ZoneInfo("UTC"), ZoneInfo("Etc/UTC"), ZoneInfo("Europe/Paris")]
KINDS = [PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]
START = datetime(2026, 1, 1, tzinfo=UTC)
# Every period bound of the first half of 2026 in Paris, for instants on and beside them.
BOUNDS = sorted(
    {
        bound
        for kind in KINDS
        for period in periods_between(START, START + timedelta(days=180), kind, "Europe/Paris")
        for bound in (period.start, period.end)
    }
)

instants = st.builds(
    lambda bound, step, zone: (bound + timedelta(microseconds=step)).astimezone(zone),
    st.sampled_from(BOUNDS),
    st.integers(min_value=-2, max_value=2) | st.integers(min_value=-(10**11), max_value=10**11),
    st.sampled_from(ZONES),
)


@given(st.lists(instants, max_size=40), st.sampled_from(KINDS))
@settings(max_examples=150)
def test_the_period_finder_agrees_with_the_calendar(
    found: list[datetime], kind: PeriodKind
) -> None:
    finder = _Periods(campaign(), kind)
    # Mostly in time order, as the engine visits them, with the zones mixed.
    for instant in sorted(found):
        assert finder.of(instant) == period_of(instant, kind, "Europe/Paris")
    for instant in found:
        assert finder.of(instant) == period_of(instant, kind, "Europe/Paris")


def _in_zone(
    batch: list[tuple[Conversion, Refund | None]], zone: tzinfo
) -> tuple[list[Conversion], list[Refund]]:
    conversions = [attrs.evolve(c, instant=c.instant.astimezone(zone)) for c, _ in batch]
    refunds = [
        attrs.evolve(r, instant=r.instant.astimezone(zone)) for _, r in batch if r is not None
    ]
    return conversions, refunds


@given(
    sales_batches(months=4),
    band_schedules(),
    st.sampled_from(KINDS),
    st.sampled_from(KINDS),
    st.sampled_from(ZONES[1:]),
)
@settings(max_examples=40)
def test_statements_do_not_depend_on_the_zone_of_the_instants(
    batch: list[tuple[Conversion, Refund | None]],
    bands: tuple[Band, ...],
    reset: PeriodKind,
    statements: PeriodKind,
    zone: ZoneInfo,
) -> None:
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[
            TieredRate(id="T", bands=bands, mode=TierMode.GRADUATED, reset=reset),
            Cap(id="cap", scope=CapScope.PERIOD, amount=Money("900.00", "EUR"), period=reset),
        ],
        statement_period=statements,
    )
    in_utc = run(campaign(deal), *_in_zone(batch, UTC))
    elsewhere = run(campaign(deal), *_in_zone(batch, zone))
    assert in_utc.problems == elsewhere.problems
    assert [(s.partner_id, s.period, s.currency) for s in in_utc.statements] == [
        (s.partner_id, s.period, s.currency) for s in elsewhere.statements
    ]
    for ours, theirs in zip(in_utc.statements, elsewhere.statements, strict=True):
        assert [attrs.astuple(line, recurse=False) for line in ours.lines] == [
            attrs.astuple(line, recurse=False) for line in theirs.lines
        ]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**15), st.sampled_from(["EUR", "JPY", "BHD"])
        ),
        max_size=30,
    ),
    st.sampled_from(["EUR", "JPY", "BHD"]),
)
@settings(max_examples=100)
def test_remembered_revenue_units_are_the_revenue_in_minor_units(
    amounts: list[tuple[int, str]], deal_currency: str
) -> None:
    memo: dict[Decimal, int] = {}
    places = minor_unit(deal_currency)
    for units, currency in amounts:
        revenue = Money.from_minor(units, currency)
        found = memo.get(revenue.amount) if currency == deal_currency else None
        if found is None:
            found = _revenue_units(revenue, deal_currency, places, memo)
        assert found == revenue.minor_units == units
    assert all(Money(amount, deal_currency).minor_units == units for amount, units in memo.items())
