"""The report's grouped, integer sums agree with a plain sum over every figure.

The report adds each figure to its cell (partner, content, period, leg) as integer
numerators by denominator, and folds the cells into the rows of every breakdown
once. These tests hold that grouping to an oracle that adds each credited share,
click and statement line on its own, exactly, with fractions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.report.example import campaign

from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.policy import AttributionPolicy, Linear, TouchKind
from hybridroi.events.records import Conversion, Event, Refund, Touch
from hybridroi.report.costs import add_costs
from hybridroi.report.engagement import add_clicks
from hybridroi.report.records import UNASSIGNED, Dimension
from hybridroi.report.report import build_report
from hybridroi.report.revenue import add_revenue
from hybridroi.report.tally import Tally, exact_sum
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import LineKind, StatementRun

PARTNERS = ("lea", "hugo", "coupons")
CONTENTS = {"lea": "lea-tt-1", "hugo": "hugo-yt-1", "coupons": None}
START = datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Paris"))
ZONES = (UTC, ZoneInfo("UTC"), ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"))

minutes = st.integers(min_value=0, max_value=60 * 24 * 60)
zones = st.sampled_from(ZONES)


@st.composite
def campaign_events(draw: st.DrawFn) -> list[Event]:
    """Clicks and sales of the example campaign's partners, some refunded, in several zones."""
    events: list[Event] = []
    for n in range(draw(st.integers(0, 12))):
        partner = draw(st.sampled_from(PARTNERS))
        at = (START + timedelta(minutes=draw(minutes))).astimezone(draw(zones))
        customer = f"k{draw(st.integers(0, 2))}"
        events.append(
            Touch(
                id=f"t{n}",
                kind=draw(st.sampled_from((TouchKind.CLICK, TouchKind.VIEW))),
                instant=at,
                customer_key=customer,
                partner_id=partner,
                content_id=CONTENTS[partner] if draw(st.booleans()) else None,
            )
        )
    for n in range(draw(st.integers(0, 10))):
        at = (START + timedelta(minutes=draw(minutes))).astimezone(draw(zones))
        cents = draw(st.integers(1, 100_000))
        events.append(
            Conversion(
                id=f"s{n}",
                instant=at,
                customer_key=f"k{draw(st.integers(0, 2))}",
                revenue=Money.from_minor(cents, "EUR"),
            )
        )
        if draw(st.booleans()):
            events.append(
                Refund(
                    id=f"r{n}",
                    conversion_id=f"s{n}",
                    instant=at + timedelta(days=1),
                    amount=Money.from_minor(draw(st.integers(1, cents)), "EUR"),
                )
            )
    return events


def _tally(run: StatementRun, window: tuple[datetime, datetime] | None) -> Tally:
    assert run.batch is not None
    tally = Tally(
        campaign(), run, run.batch, margin=None, bounds=window, period_kind=PeriodKind.MONTH
    )
    add_clicks(tally)
    add_revenue(tally)
    add_costs(tally)
    tally.fold()
    return tally


def _inside(window: tuple[datetime, datetime] | None, instant: datetime) -> bool:
    return window is None or window[0] <= instant < window[1]


@settings(max_examples=60, deadline=None)
@given(
    events=campaign_events(),
    linear=st.booleans(),
    window=st.none() | st.tuples(minutes, st.integers(1, 60 * 24 * 60)),
)
def test_partner_rows_are_the_exact_sums_of_their_figures(
    events: list[Event], linear: bool, window: tuple[int, int] | None
) -> None:
    policy = AttributionPolicy(model=Linear()) if linear else None
    as_of = START + timedelta(days=45)
    run = compute_statements(campaign(), events, as_of=as_of, policy=policy)
    bounds = None
    if window is not None:
        begin = START + timedelta(minutes=window[0])
        bounds = (begin, begin + timedelta(minutes=window[1]))
    tally = _tally(run, bounds)
    assert run.batch is not None

    revenue: dict[str, Fraction] = defaultdict(Fraction)
    refunds: dict[str, Fraction] = defaultdict(Fraction)
    conversions: dict[str, Fraction] = defaultdict(Fraction)
    for credit in run.attribution.credits:
        sale = run.batch.conversion(credit.conversion_id)
        assert sale is not None
        if not _inside(bounds, sale.instant):
            continue
        revenue[credit.partner_id] += Fraction(sale.revenue.amount) * credit.share
        conversions[credit.partner_id] += credit.share
        for refund in run.batch.refunds_of(sale.id, as_of):
            refunds[credit.partner_id] += Fraction(refund.amount.amount) * credit.share
    clicks: dict[str, int] = defaultdict(int)
    for touch in run.batch.touches:
        counted = touch.kind is TouchKind.CLICK and touch.instant <= as_of
        if counted and touch.partner_id is not None and _inside(bounds, touch.instant):
            clicks[touch.partner_id] += 1
    commissions: dict[str, int] = defaultdict(int)
    for statement in run.statements:
        last = statement.period.end - timedelta(microseconds=1)
        for line in statement.lines:
            if line.kind is LineKind.COMMISSION and _inside(bounds, min(line.earned_at, last)):
                commissions[statement.partner_id] += line.amount.minor_units

    rows = tally.rows[Dimension.PARTNER]
    for partner in {*rows, *revenue, *clicks, *commissions} - {UNASSIGNED}:
        totals = rows[partner]
        assert totals.sales_revenue == revenue[partner]
        assert totals.refunds == refunds[partner]
        assert totals.conversions == conversions[partner]
        assert totals.clicks == clicks[partner]
        assert totals.costs["commissions"] == commissions[partner]
    # Each breakdown partitions the campaign's row, exactly.
    total = tally.rows[Dimension.CAMPAIGN]
    for dimension in Dimension:
        if dimension is Dimension.CAMPAIGN or not total:
            continue
        group = tally.rows[dimension].values()
        (campaign_row,) = total.values()
        assert sum((r.sales_revenue for r in group), Fraction(0)) == campaign_row.sales_revenue
        assert sum(r.clicks for r in group) == campaign_row.clicks


@settings(max_examples=100, deadline=None)
@given(
    offsets=st.lists(st.integers(-3 * 24 * 60, 70 * 24 * 60), min_size=1, max_size=30),
    zone_picks=st.lists(zones, min_size=1, max_size=30),
    kind=st.sampled_from((PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH)),
)
def test_period_labels_agree_with_period_of_in_any_order_and_zone(
    offsets: list[int], zone_picks: list[timezone], kind: PeriodKind
) -> None:
    # The labels are remembered between calls, including in the instants' own zone:
    # each must still be the period the instant falls in, around DST changes too.
    run = compute_statements(campaign(), [], as_of=START + timedelta(days=60))
    assert run.batch is not None
    tally = Tally(campaign(), run, run.batch, margin=None, bounds=None, period_kind=kind)
    for n, offset in enumerate(offsets):
        instant = (START + timedelta(minutes=offset)).astimezone(zone_picks[n % len(zone_picks)])
        expected = period_of(instant, kind, "Europe/Paris")
        assert tally.period_label(instant) == expected.label
        assert tally.period_starts[expected.label] == expected.start


def test_period_labels_at_the_edges_of_a_cached_period() -> None:
    run = compute_statements(campaign(), [], as_of=START + timedelta(days=60))
    assert run.batch is not None
    tally = Tally(
        campaign(), run, run.batch, margin=None, bounds=None, period_kind=PeriodKind.MONTH
    )
    april = datetime(2026, 4, 1, tzinfo=ZoneInfo("Europe/Paris"))
    tick = timedelta(microseconds=1)
    assert tally.period_label(START.astimezone(UTC)) == "2026-03"
    assert tally.period_label((april - tick).astimezone(UTC)) == "2026-03"
    assert tally.period_label(april.astimezone(UTC)) == "2026-04"
    assert tally.period_label((april - tick).astimezone(ZoneInfo("UTC"))) == "2026-03"


@given(
    parts=st.lists(st.tuples(st.integers(-(10**30), 10**30), st.integers(1, 10**6)), max_size=20)
)
def test_an_exact_sum_is_the_sum_of_its_fractions(parts: list[tuple[int, int]]) -> None:
    numerators: dict[int, int] = defaultdict(int)
    for numerator, denominator in parts:
        numerators[denominator] += numerator
    expected = sum((Fraction(n, d) for n, d in parts), Fraction(0))
    assert exact_sum(numerators) == expected


def test_the_report_of_a_shared_sale_keeps_thirds_exact() -> None:
    # Three partners share a sale of EUR 100.00: each row adds 100/3, the total is 100.00.
    at = START + timedelta(days=2)
    events: list[Event] = [
        Touch(
            id=f"t{n}",
            kind="click",
            instant=at + timedelta(minutes=n),
            customer_key="k",
            partner_id=partner,
        )
        for n, partner in enumerate(PARTNERS)
    ]
    events.append(
        Conversion(
            id="s",
            instant=at + timedelta(hours=1),
            customer_key="k",
            revenue=Money("100.00", "EUR"),
        )
    )
    run = compute_statements(
        campaign(),
        events,
        as_of=START + timedelta(days=30),
        policy=AttributionPolicy(model=Linear()),
    )
    tally = _tally(run, None)
    rows = tally.rows[Dimension.PARTNER]
    assert [rows[p].sales_revenue for p in PARTNERS] == [Fraction(100, 3)] * 3
    assert [rows[p].conversions for p in PARTNERS] == [Fraction(1, 3)] * 3
    report = build_report(campaign(), run)
    assert report.total.figures.sales_revenue == Money("100.00", "EUR")
    shares = {r.key: r.figures.sales_revenue for r in report.by_partner if r.key in PARTNERS}
    assert sorted(shares.values()) == [Money("33.33", "EUR")] * 2 + [Money("33.34", "EUR")]
