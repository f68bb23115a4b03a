"""The blended ROI report on a hand-computed campaign, and its invariants."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.report import example
from tests.report.example import at, eur

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.allocation import allocate
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import ProblemKind
from hybridroi.events.records import Conversion, LineItem, Refund
from hybridroi.events.stats import ContentStats
from hybridroi.report.incrementality import Holdout
from hybridroi.report.render import report_to_dict
from hybridroi.report.report import (
    Dimension,
    GrossMargin,
    Report,
    ReportRow,
    build_report,
    compare_campaigns,
)
from hybridroi.statements.lines import StatementRun

ALL = (Dimension.PARTNER, Dimension.PLATFORM, Dimension.FORMAT, Dimension.PERIOD, Dimension.LEG)


def build(**options: object) -> Report:
    run = example.with_events(
        options.pop("run", example.run()),  # type: ignore[arg-type]
        options.pop("events", example.events()),  # type: ignore[arg-type]
    )
    return build_report(
        example.campaign(),
        run,
        stats=options.pop("stats", example.stats()),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return build(margin="0.6", ltv=eur("120.00"))


def rows(report: Report, dimension: Dimension) -> dict[str, ReportRow]:
    return {row.key: row for row in report.breakdown(dimension)}


def test_cost_by_component(report: Report) -> None:
    costs = report.total.figures.costs
    assert costs.fees == eur("1500.00")  # Léa 1,000 + Hugo 500
    assert costs.commissions == eur("25.20")  # 8.00 + 7.20 + 10.00 (s2 repriced after r1)
    assert costs.bonuses == eur("20.00")
    assert costs.network_fees == eur("4.56")  # 2.40 + 2.16
    assert costs.extra_costs == eur("400.00")  # agency 300 + seeding 100
    assert costs.guarantees == costs.draws == eur("0")
    # 1,500 + 25.20 + 20 + 4.56 + 400 = 1,949.76
    assert report.total.figures.cost == eur("1949.76")
    assert costs.partner_pay == eur("1545.20")


def test_revenue_and_gross_profit(report: Report) -> None:
    figures = report.total.figures
    # s1 200 (100 Léa + 100 Coupons) + s2 150 + s3 90 = 440; s4 is unattributed
    assert figures.sales_revenue == eur("440.00")
    assert figures.refunds == eur("50.00")
    assert figures.revenue == eur("390.00")
    # 390 x 0.6 = 234
    assert figures.gross_profit == UnroundedMoney("234", "EUR")
    assert figures.profit == UnroundedMoney("-1715.76", "EUR")
    # s1 is shared half and half: 1/2 + 1/2 + 1 + 1 = 3 sales; s1 and s3 are new customers
    assert figures.sales == 3
    assert figures.new_customers == 2
    assert figures.clicks == 4  # t2 to t5; the paid-search click is not a partner's
    assert figures.views == 35_000  # Léa 30,000 + Hugo 5,000 (latest figures)
    assert figures.engagements == 1_950  # Léa 1,500+100+60+40 = 1,700; Hugo 250
    assert figures.followers == 150_000
    assert figures.posts == 2


def test_every_kpi_of_the_campaign(report: Report) -> None:
    kpis = report.total.kpis
    cost = Fraction("1949.76")
    assert kpis.roi.value == (234 - cost) / cost
    assert kpis.roi.decimal(4) == Decimal("-0.8800")  # -1,715.76 / 1,949.76 = -0.87999...
    assert kpis.revenue_roi.value == (390 - cost) / cost
    assert kpis.roas.value == 390 / cost
    assert kpis.cpa.value == Fraction("649.92")  # 1,949.76 / 3
    assert kpis.cac.value == Fraction("974.88")  # 1,949.76 / 2
    assert kpis.aov.value == Fraction(440, 3)  # 440 / 3 = 146.67
    # Click-tracked sales only: Léa's half of s1 was earned by a view (t1), so
    # 1/2 (Coupons' half of s1) + 1 (s2) + 1 (s3) = 5/2 sales over 4 clicks.
    assert kpis.conversion_rate.value == Fraction(5, 8)
    assert kpis.ctr.value == Fraction(4, 35_000)
    assert kpis.epc.value == Fraction("6.30")  # 25.20 / 4
    assert kpis.cpm.value == cost * 1000 / 35_000  # 55.7074 per thousand views
    assert kpis.cpc.value == Fraction("487.44")
    assert kpis.cpv.value == cost / 35_000
    assert kpis.cpe.value == cost / 1_950
    assert kpis.engagement_rate_followers.value == Fraction(13, 1000)  # 1,950 / 150,000
    assert kpis.engagement_rate_views.value == Fraction(1_950, 35_000)
    assert kpis.cost_per_post.value == Fraction("974.88")
    assert kpis.ltv_roi.value == (2 * 120 - cost) / cost


def test_breakdown_by_partner(report: Report) -> None:
    by = rows(report, Dimension.PARTNER)
    assert list(by) == ["coupons", "hugo", "lea", "(campaign)"]
    lea, hugo, coupons, campaign = by["lea"], by["hugo"], by["coupons"], by["(campaign)"]
    assert lea.figures.revenue == eur("100.00")
    assert lea.figures.cost == eur("1100.00")  # fee + seeding
    assert hugo.figures.revenue == eur("100.00")  # 150 - 50
    assert hugo.figures.cost == eur("510.00")  # 500 + 10
    assert coupons.figures.revenue == eur("190.00")
    assert coupons.figures.cost == eur("39.76")
    assert coupons.figures.profit == UnroundedMoney("74.24", "EUR")
    assert campaign.figures.cost == eur("300.00")
    assert lea.label == "Léa"


def test_ranking_is_by_profit_not_views(report: Report) -> None:
    # Coupons: 114 - 39.76 = 74.24; Hugo: 60 - 510 = -450; Léa (most views): 60 - 1,100
    assert [row.key for row in report.partner_ranking] == ["coupons", "hugo", "lea"]
    assert report.ranking_basis == "profit"
    assert [row.key for row in report.format_ranking] == ["long_video", "short_video"]


def test_breakdown_by_platform_format_period_and_leg(report: Report) -> None:
    platform = rows(report, Dimension.PLATFORM)
    assert {k: r.figures.cost for k, r in platform.items()} == {
        "tiktok": eur("1100.00"),  # Léa's fee and seeding go to her only video
        "youtube": eur("510.00"),  # Hugo's commission lines follow the credit's content
        "(none)": eur("339.76"),  # Coupons 39.76 + agency 300
    }
    fmt = rows(report, Dimension.FORMAT)
    assert fmt["short_video"].figures.views == 30_000
    period = rows(report, Dimension.PERIOD)
    assert list(period) == ["2026-03", "2026-04"]
    march, april = period["2026-03"], period["2026-04"]
    # March: fees 1,500 + commissions 8 + 10 + network 2.40 + extras 400 = 1,920.40;
    # revenue 200 + 150 - 50 (r1 on 10 April refunds s2, a March sale) = 300
    assert march.figures.cost == eur("1920.40")
    assert march.figures.revenue == eur("300.00")
    assert march.figures.refunds == eur("50.00")
    # April: 7.20 + 2.16 + 20 = 29.36; revenue 90, no refund of an April sale
    assert april.figures.cost == eur("29.36")
    assert april.figures.revenue == eur("90.00")
    assert april.figures.refunds == eur("0.00")
    assert march.figures.views == 10_000
    assert april.figures.views == 25_000
    leg = rows(report, Dimension.LEG)
    # influence: fees 1,500 + Léa's seeding 100; revenue of Léa (no deal) 100
    assert leg["influence"].figures.cost == eur("1600.00")
    assert leg["influence"].figures.revenue == eur("100.00")
    # affiliate: 25.20 + 20 + 4.56; revenue of Coupons 190 and Hugo (hybrid) 100
    assert leg["affiliate"].figures.cost == eur("49.76")
    assert leg["affiliate"].figures.revenue == eur("290.00")
    assert leg["campaign"].figures.cost == eur("300.00")


def test_assisted_sales(report: Report) -> None:
    # s1: Coupons closed after Léa's TikTok view; s3 was closed without an influencer touch.
    (sale,) = report.assisted_sales
    assert (sale.conversion_id, sale.closer_id, sale.influencer_id) == ("s1", "coupons", "lea")
    assert sale.credit == eur("100.00")
    assert sale.value == eur("200.00")


def test_an_uncredited_influencer_touch_still_counts_as_an_assist() -> None:
    run = example.run()
    credits = tuple(
        attrs.evolve(c, share=Fraction(1), role=CreditRole.SOLE, revenue=eur("200"))
        if c.conversion_id == "s1" and c.partner_id == "coupons"
        else c
        for c in run.attribution.credits
        if not (c.conversion_id == "s1" and c.partner_id == "lea")
    )
    run = attrs.evolve(run, attribution=attrs.evolve(run.attribution, credits=credits))
    (sale,) = build(run=run).assisted_sales
    assert sale.influencer_id == "lea"
    assert sale.credit == eur("0.00")
    assert sale.value == eur("200.00")


def test_window_keeps_only_what_happened_inside() -> None:
    april = build(window=(at(4, 1, 0), example.AS_OF), margin="0.6")
    figures = april.total.figures
    # s3 (90); the April refund r1 counts with its March sale, outside the window
    assert figures.revenue == eur("90.00")
    assert figures.cost == eur("29.36")  # 7.20 + 2.16 + 20
    assert figures.posts == 0
    assert figures.views == 25_000


def test_as_of_excludes_later_events() -> None:
    late = Refund(
        id="r-late",
        conversion_id="s1",
        instant=example.AS_OF + timedelta(days=1),
        amount=eur("10.00"),
    )
    report = build(events=[*example.events(), late])
    assert report.total.figures.refunds == eur("50.00")


def test_without_margin_roi_is_undefined_and_ranking_says_so() -> None:
    report = build()
    assert report.total.figures.gross_profit is None
    assert report.total.kpis.roi.reason is not None
    assert report.total.kpis.roas.defined
    assert report.ranking_basis.startswith("revenue minus cost")
    # Coupons 190 - 39.76; Hugo 100 - 510; Léa 100 - 1,100
    assert [row.key for row in report.partner_ranking] == ["coupons", "hugo", "lea"]


def test_margin_by_category_and_by_sale() -> None:
    events = example.events()
    s2 = Conversion(
        id="s2",
        instant=at(3, 12),
        customer_key="k2",
        revenue=eur("150"),
        items=(
            LineItem(sku="serum", quantity=Decimal(1), unit_price=eur("100"), category="skincare"),
            LineItem(sku="lipstick", quantity=Decimal(2), unit_price=eur("40"), category="makeup"),
        ),
    )
    events = [s2 if getattr(e, "id", None) == "s2" else e for e in events]
    margin = GrossMargin(
        campaign=Decimal("0.5"),
        by_category={"skincare": "0.8", "makeup": "0.6"},
        by_sale={"s3": "0.1"},
    )
    report = build(events=events, margin=margin)
    # s1: 200 x 0.5 = 100. s3: 90 x 0.1 = 9.
    # s2: 150 split by line value 100 : 80 -> 83.33 skincare + 66.67 makeup;
    #     83.33 x 0.8 + 66.67 x 0.6 = 66.664 + 40.002 = 106.666;
    #     refund 50 -> 27.78 + 22.22 -> 27.78 x 0.8 + 22.22 x 0.6 = 22.224 + 13.332 = 35.556
    # gross profit = 100 + 9 + 106.666 - 35.556 = 180.110
    assert report.total.figures.gross_profit == UnroundedMoney("180.110", "EUR")


def test_a_category_without_a_rate_is_reported_not_guessed() -> None:
    events = [
        Conversion(
            id="s3",
            instant=at(4, 2, 10),
            customer_key="k3",
            revenue=eur("90"),
            items=(LineItem(sku="x", quantity=Decimal(1), unit_price=eur("90"), category="hair"),),
        )
        if getattr(e, "id", None) == "s3"
        else e
        for e in example.events()
    ]
    report = build(events=events, margin=GrossMargin(by_category={"skincare": "0.8"}))
    problems = [p for p in report.problems if p.subject == "margin"]
    assert len(problems) == 2  # one message per missing rate, with the count of amounts
    assert any("category 'hair'" in p.message for p in problems)


def test_holdout_gives_incrementality(report: Report) -> None:
    holdout = Holdout(
        test_users=10_000,
        test_conversions=300,
        test_revenue=eur("30000"),
        control_users=10_000,
        control_conversions=200,
        control_revenue=eur("20000"),
    )
    result = build(margin="0.6", holdout=holdout).incrementality
    assert result is not None
    cost = Fraction("1949.76")
    # incremental revenue 10,000 x blended margin 234/390 = 6,000
    assert result.incremental_roi.value == (6000 - cost) / cost
    assert result.iroas.value == 10_000 / cost
    assert report.incrementality is None


def test_empty_campaign_has_undefined_kpis_not_errors() -> None:
    run = StatementRun(
        as_of=example.AS_OF,
        statements=(),
        attribution=AttributionResult(credits=(), unattributed=(), problems=()),
        problems=(),
    )
    campaign = attrs.evolve(example.campaign(), extra_costs=(), contents=())
    report = build_report(
        campaign, example.with_events(run, [], checked_for=campaign), margin="0.5"
    )
    kpis = report.total.kpis
    assert report.total.figures.cost == eur("0.00")
    undefined = [kpi.name for kpi in kpis.all() if not kpi.defined]
    assert undefined == [kpi.name for kpi in kpis.all()]
    assert report.by_partner == ()
    assert json.loads(json.dumps(_as_dict(report)))["total"]["kpis"]["roi"]["value"] is None


def _as_dict(report: Report) -> dict[str, object]:
    return report_to_dict(report)


def test_foreign_currency_sales_are_converted_and_missing_rates_reported() -> None:
    campaign = attrs.evolve(
        example.campaign(),
        fx=FxRates.from_rows([("USD", "EUR", date(2026, 3, 1), "0.90")]),
    )
    events = [
        Conversion(id="s3", instant=at(4, 2, 10), customer_key="k3", revenue=Money("100", "USD"))
        if getattr(e, "id", None) == "s3"
        else e
        for e in example.events()
    ]
    run = example.run()
    credits = tuple(
        attrs.evolve(c, revenue=Money("100", "USD")) if c.conversion_id == "s3" else c
        for c in run.attribution.credits
    )
    run = attrs.evolve(run, attribution=attrs.evolve(run.attribution, credits=credits))
    report = build_report(
        campaign, example.with_events(run, events, checked_for=campaign), stats=example.stats()
    )
    assert report.total.figures.sales_revenue == eur("440.00")  # 100 USD x 0.90 = 90 EUR
    no_rates = build_report(example.campaign(), example.with_events(run, events))
    assert no_rates.total.figures.sales_revenue == eur("350.00")
    # The USD sale cannot be used without a rate: reported, never counted as EUR.
    assert ProblemKind.CURRENCY in {p.kind for p in no_rates.problems}


def test_bad_input_becomes_problems() -> None:
    events = [
        *example.events(),
        Refund(id="r2", conversion_id="nope", instant=at(4, 11), amount=eur("1.00")),
        Refund(id="r3", conversion_id="s2", instant=at(4, 12), amount=eur("120.00")),
    ]
    stats = [*example.stats(), ContentStats(content_id="ghost", as_of=at(4, 1), views=3)]
    report = build(events=events, stats=stats)
    kinds = {p.subject: p.kind for p in report.problems}
    assert kinds == {
        "refund:r2": ProblemKind.UNKNOWN_SALE,
        "refund:r3": ProblemKind.REFUND_EXCEEDS_SALE,  # 50 + 120 > 150
        "stats:ghost": ProblemKind.UNKNOWN_CONTENT,
    }
    assert report.total.figures.refunds == eur("50.00")


def test_malformed_arguments_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="window.end"):
        build(window=(at(4, 2), at(4, 1)))
    with pytest.raises(InvalidValueError, match="ltv"):
        build(ltv=Money("1.00", "USD"))
    with pytest.raises(InvalidValueError, match="between 0 and 1"):
        build(margin="1.2")


def test_compare_campaigns_puts_totals_side_by_side(report: Report) -> None:
    other = attrs.evolve(report, campaign_id="autumn")
    assert [row.figures.cost for row in compare_campaigns([report, other])] == [
        eur("1949.76"),
        eur("1949.76"),
    ]
    with pytest.raises(InvalidValueError):
        compare_campaigns([report, attrs.evolve(report, currency="USD")])


def test_periods_follow_the_campaign_time_zone() -> None:
    # 2026-03-31 23:30 in Paris is 21:30 UTC: a March sale, whatever UTC says.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=example.PARIS)
    events = [
        Conversion(id="s3", instant=late, customer_key="k3", revenue=eur("90"), new_customer=True)
        if getattr(e, "id", None) == "s3"
        else e
        for e in example.events()
    ]
    report = build(events=events, period=PeriodKind.MONTH)
    by = rows(report, Dimension.PERIOD)
    assert by["2026-03"].figures.sales_revenue == eur("440.00")


# -- invariants ------------------------------------------------------------------------------


@st.composite
def runs(draw: st.DrawFn) -> tuple[StatementRun, list[Conversion | Refund]]:
    """Random credits, refunds and statement lines over the example campaign."""
    partners = ["lea", "hugo", "coupons"]
    contents = {"lea": "lea-tt-1", "hugo": "hugo-yt-1", "coupons": None}
    count = draw(st.integers(0, 8))
    events: list[Conversion | Refund] = []
    credits: list[Credit] = []
    for index in range(count):
        cents = draw(st.integers(0, 100_000))
        instant = at(3, 1) + timedelta(hours=draw(st.integers(0, 24 * 58)))
        revenue = Money.from_minor(cents, "EUR")
        conversion = Conversion(
            id=f"c{index}",
            instant=instant,
            customer_key=f"k{index}",
            revenue=revenue,
            new_customer=draw(st.booleans()),
        )
        events.append(conversion)
        chosen = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=3, unique=True))
        weights = [draw(st.integers(1, 5)) for _ in chosen]
        total = sum(weights)
        parts = allocate(revenue, weights)
        for partner, weight, part in zip(chosen, weights, parts, strict=True):
            credits.append(
                Credit(
                    conversion_id=conversion.id,
                    partner_id=partner,
                    share=Fraction(weight, total),
                    role=CreditRole.SOLE,
                    touch_id="t",
                    content_id=contents[partner],
                    revenue=part,
                    reason="test",
                )
            )
        if cents and draw(st.booleans()):
            refund = Money.from_minor(draw(st.integers(1, cents)), "EUR")
            events.append(
                Refund(
                    id=f"r{index}",
                    conversion_id=conversion.id,
                    instant=instant + timedelta(days=draw(st.integers(0, 20))),
                    amount=refund,
                )
            )
    base = example.run()
    statements = []
    for statement in base.statements:
        lines = tuple(
            attrs.evolve(line, amount=Money.from_minor(draw(st.integers(-5_000, 100_000)), "EUR"))
            for line in statement.lines
        )
        statements.append(attrs.evolve(statement, lines=lines))
    run = StatementRun(
        as_of=example.AS_OF,
        statements=tuple(statements),
        attribution=AttributionResult(credits=tuple(credits), unattributed=(), problems=()),
        problems=(),
    )
    return run, events


@settings(max_examples=40, deadline=None)
@given(data=runs(), margin=st.integers(0, 100))
def test_every_breakdown_adds_up_to_the_total(
    data: tuple[StatementRun, list[Conversion | Refund]], margin: int
) -> None:
    run, events = data
    report = build(run=run, events=events, margin=Decimal(margin) / 100)
    total = report.total.figures
    for dimension in ALL:
        parts = [row.figures for row in report.breakdown(dimension)]
        assert Money.sum((p.revenue for p in parts), "EUR") == total.revenue
        assert Money.sum((p.cost for p in parts), "EUR") == total.cost
        assert sum(p.sales for p in parts) == total.sales
        assert sum(p.clicks for p in parts) == total.clicks
        assert sum(p.views for p in parts) == total.views
        profits = [p.gross_profit for p in parts]
        assert total.gross_profit is not None
        assert sum(p.amount for p in profits if p is not None) == total.gross_profit.amount
    # Reconciliation: cost = statement totals + extra costs; revenue = credits - refunds.
    statements = Money.sum((s.total_cost for s in run.statements), "EUR")
    assert total.cost == statements + eur("400.00")
    credited = Money.sum((c.revenue for c in run.attribution.credits), "EUR")
    refunded = Money.sum(
        (e.amount for e in events if isinstance(e, Refund) and e.instant <= example.AS_OF), "EUR"
    )
    assert total.revenue == credited - refunded


@settings(max_examples=20, deadline=None)
@given(data=runs(), seed=st.integers(0, 2**32))
def test_order_of_events_and_credits_does_not_matter(
    data: tuple[StatementRun, list[Conversion | Refund]], seed: int
) -> None:
    run, events = data
    shuffled_events = list(events)
    credits = list(run.attribution.credits)
    rng = random.Random(seed)
    rng.shuffle(shuffled_events)
    rng.shuffle(credits)
    shuffled_run = attrs.evolve(
        run, attribution=attrs.evolve(run.attribution, credits=tuple(credits))
    )
    first = build(run=run, events=events, margin="0.5")
    second = build(run=shuffled_run, events=shuffled_events, margin="0.5")
    assert first == second


def test_events_fed_twice_are_counted_once(report: Report) -> None:
    # A retried delivery repeats every event: nothing may be counted twice.
    events = example.events()
    doubled = build(events=[*events, *events], margin="0.6", ltv=eur("120.00"))
    assert doubled.total == report.total
    for dimension in ALL:
        assert doubled.breakdown(dimension) == report.breakdown(dimension)
    assert doubled.assisted_sales == report.assisted_sales


def test_a_refund_reverses_at_the_rate_of_its_sale() -> None:
    rates = FxRates.from_rows(
        [("USD", "EUR", date(2026, 3, 1), "0.90"), ("USD", "EUR", date(2026, 4, 1), "0.80")]
    )
    campaign = attrs.evolve(example.campaign(), fx=rates)
    events = [
        Conversion(id="s2", instant=at(3, 12), customer_key="k2", revenue=Money("150", "USD"))
        if getattr(e, "id", None) == "s2"
        else Refund(id="r1", conversion_id="s2", instant=at(4, 10), amount=Money("50", "USD"))
        if getattr(e, "id", None) == "r1"
        else e
        for e in example.events()
    ]
    run = example.run()
    credits = tuple(
        attrs.evolve(c, revenue=Money("150", "USD")) if c.conversion_id == "s2" else c
        for c in run.attribution.credits
    )
    run = attrs.evolve(run, attribution=attrs.evolve(run.attribution, credits=credits))
    report = build_report(campaign, example.with_events(run, events, checked_for=campaign))
    hugo = rows(report, Dimension.PARTNER)["hugo"].figures
    # Sale: 150 USD x 0.90 = 135 EUR; refund in April: 50 USD x 0.90 (the sale's rate) = 45 EUR,
    # not 50 x 0.80 = 40 EUR at April's rate.
    assert hugo.sales_revenue == eur("135.00")
    assert hugo.refunds == eur("45.00")


def test_building_twice_gives_the_same_report(report: Report) -> None:
    assert build(margin="0.6", ltv=eur("120.00")) == report
