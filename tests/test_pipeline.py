"""The front door: ``run`` gives what the separate steps give, once, with every problem once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from hybridroi import (
    Account,
    AffiliateDeal,
    Campaign,
    Content,
    ContentStats,
    Conversion,
    Influencer,
    Money,
    Refund,
    RunResult,
    Touch,
    read_event_files,
    run,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.problems import ProblemKind
from hybridroi.demo.cosmetics import DemoData, demo_data
from hybridroi.events.intake import check_events
from hybridroi.events.records import Event
from hybridroi.events.stats import latest_stats
from hybridroi.ledger import Ledger, MemoryLedgerStore
from hybridroi.report.report import build_report
from hybridroi.rules import CpmViews, PercentRate
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import LineKind


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return demo_data(size=3_000)


def test_run_gives_the_statements_and_the_report_of_the_separate_steps(demo: DemoData) -> None:
    result = run(demo.campaign, demo.events, as_of=demo.as_of, stats=demo.stats, margin=demo.margin)
    views = {key: s.views for key, s in latest_stats(demo.stats, as_of=demo.as_of).items()}
    statements = compute_statements(demo.campaign, demo.events, as_of=demo.as_of, views=views)
    report = build_report(demo.campaign, statements, stats=demo.stats, margin=demo.margin)
    assert result.statements == statements
    assert result.report == report
    assert result.batch == check_events(demo.campaign, demo.events)
    assert result.attribution == statements.attribution
    assert result.problems == report.problems == ()
    assert result.as_of == demo.as_of
    # The demo's influencers are paid fixed fees, and its affiliates commissions.
    assert result.report.total.figures.costs.fees == eur("11600.00")
    assert result.report.total.figures.costs.commissions > eur("0.00")


def test_the_order_of_the_events_does_not_matter(demo: DemoData) -> None:
    forward = run(demo.campaign, demo.events, as_of=demo.as_of, stats=demo.stats)
    backward = run(
        demo.campaign, reversed(demo.events), as_of=demo.as_of, stats=tuple(reversed(demo.stats))
    )
    assert forward == backward


def cpm_campaign() -> Campaign:
    return Campaign(
        id="cpm",
        name="CPM",
        currency="EUR",
        timezone="UTC",
        start=at(3, 1, 0),
        end=at(6, 1, 0),
        partners=(
            Influencer(
                id="mia",
                name="Mia",
                accounts=(Account(platform="tiktok", handle="@mia", audience=80_000),),
                promo_codes=("MIA",),
            ),
        ),
        contents=(
            Content(
                id="mia-1",
                partner_id="mia",
                platform="tiktok",
                format="short_video",
                published_at=at(3, 2),
            ),
        ),
        deals=(
            AffiliateDeal(
                id="mia-deal",
                partner_id="mia",
                rules=(
                    CpmViews(id="mia-cpm", amount=eur("8.00")),
                    PercentRate(id="mia-10pct", rate="0.10"),
                ),
            ),
        ),
    )


CPM_STATS = (
    ContentStats(content_id="mia-1", as_of=at(3, 10), views=10_000, likes=400),
    ContentStats(content_id="mia-1", as_of=at(3, 20), views=45_500, likes=1_800),
    # After as_of: neither priced nor reported.
    ContentStats(content_id="mia-1", as_of=at(4, 10), views=99_000, likes=3_000),
)


def test_a_cpm_deal_priced_through_run_with_content_statistics_is_never_zero() -> None:
    campaign = cpm_campaign()
    sale = Conversion(
        id="S1", instant=at(3, 15), customer_key="c1", revenue=eur("50.00"), promo_code="MIA"
    )
    result = run(campaign, [sale], as_of=at(4, 1, 0), stats=CPM_STATS)
    assert result.problems == ()
    (statement,) = result.statements.statements
    cpm = [line for line in statement.lines if line.rule_id == "mia-cpm"]
    # 45,500 views as of 1 April (the record of 20 March) at EUR 8.00 per thousand:
    # 45.5 x 8.00 = 364.00. With the commission of 10% x 50.00 = 5.00, the cost is 369.00.
    assert Money.sum((line.amount for line in cpm), "EUR") == eur("364.00")
    assert result.report.total.figures.costs.commissions == eur("369.00")
    assert result.report.total.figures.cost == eur("369.00")
    # The same statistics serve the report: views and engagements as of 1 April.
    assert result.report.total.figures.views == 45_500
    assert result.report.total.figures.engagements == 1_800
    assert all(line.kind is not LineKind.FEE for line in statement.lines)


def test_without_statistics_the_cpm_line_is_zero_and_a_problem_says_why() -> None:
    # What the statistics change, shown by their absence: they reach the engine through run,
    # and a CPM deal priced without them is never a silent EUR 0.00.
    result = run(cpm_campaign(), [], as_of=at(4, 1, 0))
    assert result.report.total.figures.views == 0
    assert result.report.total.figures.cost == eur("0.00")
    missing = [p for p in result.problems if p.kind is ProblemKind.MISSING_STATISTICS]
    assert [(p.subject, p.field) for p in missing] == [("content:mia-1", "views")]
    assert "mia-cpm" in missing[0].message


def test_each_problem_is_listed_once() -> None:
    campaign = cpm_campaign()
    events: list[Event] = [
        Conversion(id="S1", instant=at(3, 15), customer_key="c1", revenue=eur("50.00")),
        # Unknown sale and unknown partner: found when the events are checked, which the
        # statements and the report both rest on.
        Refund(id="R1", conversion_id="nope", instant=at(3, 16), amount=eur("5.00")),
        Touch(id="T1", kind="click", instant=at(3, 14), customer_key="c1", partner_id="zoe"),
    ]
    stats = (*CPM_STATS, ContentStats(content_id="ghost", as_of=at(3, 10), views=10))
    result = run(campaign, events, as_of=at(4, 1, 0), stats=stats)
    subjects = Counter(problem.subject for problem in result.problems)
    assert subjects == {"refund:R1": 1, "touch:T1": 1, "stats:ghost": 1}
    assert len(set(result.problems)) == len(result.problems)
    assert result.report.problems == result.problems


CSV = (
    "type,id,kind,instant,customer_key,partner_id,revenue,currency,conversion_id,amount,"
    "content_id,as_of,views\n"
    "sale,S1,,2026-03-15T12:00:00Z,c1,,50.00,EUR,,,,,\n"
    "sale,S2,,2026-03-16T12:00:00Z,c2,,-3.00,EUR,,,,,\n"
    "refund,R1,,2026-03-16T12:00:00Z,,,,EUR,nope,5.00,,,\n"
    "stats,,,,,,,,,,mia-1,2026-03-10T00:00:00Z,100\n"
    "stats,,,,,,,,,,mia-1,2026-03-17T00:00:00Z,50\n"
)


def test_run_on_loaded_events_names_the_file_and_line_of_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(CSV, encoding="utf-8")
    loaded = read_event_files([path])
    result = run(cpm_campaign(), loaded, as_of=at(4, 1, 0))
    by_subject = {problem.subject: problem for problem in result.problems}
    assert len(by_subject) == len(result.problems) == 3
    # A row the file reader refused, a refund the intake refused, statistics that fall.
    assert by_subject["sale:S2"].source == f"{path.name}:3"
    assert by_subject["refund:R1"].source == f"{path.name}:4"
    assert by_subject["stats:mia-1"].source == f"{path.name}:6"
    # The file's statistics served the engine: 50 views at EUR 8.00 per thousand.
    assert result.report.total.figures.views == 50
    assert result.report.total.figures.costs.commissions == eur("0.40")


def test_statistics_given_beside_loaded_events_are_used_too(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(CSV.splitlines(keepends=True)[0] + CSV.splitlines(keepends=True)[1], "utf-8")
    result = run(cpm_campaign(), read_event_files([path]), as_of=at(4, 1, 0), stats=CPM_STATS)
    assert result.report.total.figures.views == 45_500


def test_the_ledger_is_read_for_partner_pay_and_must_be_the_campaigns() -> None:
    campaign = cpm_campaign()
    sale = Conversion(
        id="S1", instant=at(3, 15), customer_key="c1", revenue=eur("50.00"), promo_code="MIA"
    )
    ledger = Ledger(MemoryLedgerStore(), campaign)
    first = run(campaign, [sale], as_of=at(4, 1, 0))
    ledger.post(first.statements)
    booked = run(campaign, [sale], as_of=at(4, 1, 0), ledger=ledger)
    assert (first.report.cost_source, booked.report.cost_source) == ("statements", "ledger")
    assert booked.report.total.figures.cost == first.report.total.figures.cost == eur("5.00")
    other = Ledger(MemoryLedgerStore(), attrs.evolve(campaign, id="other"))
    with pytest.raises(InvalidValueError, match="ledger"):
        run(campaign, [sale], as_of=at(4, 1, 0), ledger=other)


def test_the_result_is_frozen(demo: DemoData) -> None:
    result = run(demo.campaign, (), as_of=demo.as_of)
    assert isinstance(result, RunResult)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.problems = ()  # type: ignore[misc]


def test_the_report_counts_adjustments_and_not_declined_sales_from_the_ledger() -> None:
    campaign = cpm_campaign()
    sales = [
        Conversion(
            id=f"S{n}",
            instant=at(3, 15),
            customer_key=f"c{n}",
            revenue=eur("50.00"),
            promo_code="MIA",
        )
        for n in (1, 2)
    ]
    ledger = Ledger(MemoryLedgerStore(), campaign)
    first = run(campaign, sales, as_of=at(4, 1, 0))
    posting = ledger.post(first.statements, at=at(3, 20))
    # Two sales at 10%: EUR 5.00 each.
    assert run(campaign, sales, as_of=at(4, 1, 0), ledger=ledger).report.total.figures.cost == eur(
        "10.00"
    )
    declined = next(e for e in posting.entries if "S2" in e.line_key)
    ledger.decline(declined.id, actor="ops", reason="fraudulent order", at=at(3, 21))
    ledger.adjust("mia", eur("2.50"), kind="bonus", reason="launch", actor="ops", at=at(3, 22))
    booked = run(campaign, sales, as_of=at(4, 1, 0), ledger=ledger)
    # S2 is never paid (no cost); the bonus is paid: 5.00 + 2.50.
    assert booked.report.total.figures.cost == eur("7.50")
