"""The bundled example: realistic shape, fixed seed, and totals that reconcile."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.demo.cosmetics import DEMO_SIZE, DemoData, demo_data
from hybridroi.domain.fees import FeeKind
from hybridroi.domain.partners import Platform
from hybridroi.events.records import Conversion, Refund
from hybridroi.events.stats import latest_stats
from hybridroi.report.report import Dimension, Report, build_report
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import StatementRun


@pytest.fixture(scope="module")
def demo() -> tuple[DemoData, StatementRun, Report]:
    data = demo_data(size=6_000)
    views = {k: v.views for k, v in latest_stats(data.stats, as_of=data.as_of).items()}
    run = compute_statements(data.campaign, data.events, as_of=data.as_of, views=views)
    report = build_report(data.campaign, run, stats=data.stats, margin=data.margin)
    return data, run, report


def test_the_campaign_is_the_one_described() -> None:
    campaign = demo_data(size=1).campaign
    assert campaign.currency == "EUR"
    assert campaign.timezone == "Europe/Paris"
    assert len(campaign.partners) == 6
    assert {c.platform for c in campaign.contents} == {
        Platform.TIKTOK,
        Platform.INSTAGRAM,
        Platform.YOUTUBE,
        Platform.BLOG,
    }
    fee_partners = {fee.partner_id for fee in campaign.fees}
    deal_partners = {deal.partner_id for deal in campaign.deals}
    assert fee_partners & deal_partners == {"camille", "theo"}  # fee plus commission
    assert fee_partners - deal_partners == {"ines"}  # pure fee
    assert deal_partners - fee_partners == {"lucie", "leblog", "bonsplans"}  # pure commission
    assert FeeKind.PER_DELIVERABLE in {fee.kind for fee in campaign.fees}


def test_full_size_and_fixed_seed() -> None:
    first = demo_data()
    assert len(first.events) == DEMO_SIZE  # journeys stop as soon as 50,000 are reached
    assert first == demo_data()
    assert demo_data(size=2_000, seed=7) != demo_data(size=2_000, seed=8)
    with pytest.raises(InvalidValueError):
        demo_data(size=0)


def test_no_problems_in_the_generated_events(
    demo: tuple[DemoData, StatementRun, Report],
) -> None:
    _, run, report = demo
    assert run.problems == ()
    assert report.problems == ()


def test_cost_reconciles_with_the_statements_plus_extra_costs(
    demo: tuple[DemoData, StatementRun, Report],
) -> None:
    data, run, report = demo
    statements = Money.sum((s.total_cost for s in run.statements), "EUR")
    extra = Money.sum((c.amount for c in data.campaign.extra_costs), "EUR")
    assert report.total.figures.cost == statements + extra
    fees = Money.sum((s.fees for s in run.statements), "EUR")
    assert report.total.figures.costs.fees == fees
    # Inès: three posts at EUR 1,200; Camille EUR 3,000; Théo EUR 5,000.
    assert fees == Money("11600.00", "EUR")


def test_revenue_reconciles_with_credited_sales_minus_refunds(
    demo: tuple[DemoData, StatementRun, Report],
) -> None:
    data, run, report = demo
    credited = Money.sum((c.revenue for c in run.attribution.credits), "EUR")
    credited_ids = {c.conversion_id for c in run.attribution.credits}
    refunds = Money.sum(
        (
            e.amount
            for e in data.events
            if isinstance(e, Refund) and e.conversion_id in credited_ids
        ),
        "EUR",
    )
    figures = report.total.figures
    assert figures.sales_revenue == credited
    assert figures.refunds == refunds
    assert figures.revenue == credited - refunds
    sales = {e.id for e in data.events if isinstance(e, Conversion)}
    assert figures.sales == len(credited_ids) <= len(sales)


def test_every_breakdown_partitions_the_totals(
    demo: tuple[DemoData, StatementRun, Report],
) -> None:
    _, _, report = demo
    total = report.total.figures
    for dimension in (
        Dimension.PARTNER,
        Dimension.PLATFORM,
        Dimension.FORMAT,
        Dimension.PERIOD,
        Dimension.LEG,
    ):
        rows = [row.figures for row in report.breakdown(dimension)]
        assert Money.sum((r.cost for r in rows), "EUR") == total.cost
        assert Money.sum((r.revenue for r in rows), "EUR") == total.revenue
        assert sum((r.sales for r in rows), Fraction(0)) == total.sales


def test_influence_assists_affiliate_sales(demo: tuple[DemoData, StatementRun, Report]) -> None:
    _, _, report = demo
    assert report.assisted_sales
    assert {sale.closer_id for sale in report.assisted_sales} <= {"bonsplans", "leblog"}
    assert {sale.influencer_id for sale in report.assisted_sales} <= {
        "camille",
        "ines",
        "theo",
        "lucie",
    }
