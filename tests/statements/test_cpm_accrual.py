"""CPM accrual by period: views are paid in the statement periods they accrue in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import campaign, eur, lines

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content, ContentFormat, Platform
from hybridroi.domain.rules import Cap, CapScope, CpmAccrual, CpmViews, Rule
from hybridroi.events.intake import EventBatch
from hybridroi.events.stats import ContentStats, latest_stats
from hybridroi.serialization import structure, unstructure
from hybridroi.statements.engine import price_credits
from hybridroi.statements.lines import StatementRun

# Published 20 March 2026, 10:00 in Paris (09:00 UTC).
VIDEO = Content(
    id="V1",
    partner_id="A",
    platform=Platform.YOUTUBE,
    format=ContentFormat.LONG_VIDEO,
    published_at=datetime(2026, 3, 20, 9, tzinfo=UTC),
)


def utc(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def views(when: datetime, count: int, content_id: str = "V1") -> ContentStats:
    return ContentStats(content_id=content_id, as_of=when, views=count)


def price(
    rules: Sequence[Rule],
    stats: Sequence[ContentStats],
    as_of: datetime,
    *,
    view_counts: dict[str, int] | None = None,
    period: PeriodKind = PeriodKind.MONTH,
) -> StatementRun:
    deal = AffiliateDeal(id="D", partner_id="A", rules=rules, statement_period=period)
    return price_credits(
        campaign(deal, contents=[VIDEO]),
        AttributionResult(credits=(), unattributed=(), problems=()),
        EventBatch(conversions=(), refunds=(), touches=()),
        as_of=as_of,
        views=view_counts,
        stats=stats,
    )


# Cumulative views of V1. March ends at 2026-03-31 22:00 UTC in Paris (summer time):
# the record taken exactly then is March's closing figure.
HISTORY = [
    views(utc(3, 25), 4_000),
    views(datetime(2026, 3, 31, 22, tzinfo=UTC), 10_000),
    views(utc(4, 15), 18_000),
    views(utc(4, 30), 25_000),
    views(utc(5, 10), 26_500),
]
AS_OF = utc(5, 20)
BY_PERIOD = CpmViews(id="cpm", amount=eur("8.00"), accrual="period")


def test_views_are_paid_in_the_months_they_accrue() -> None:
    # March: 0 -> 10,000 = 10,000 views x 8.00 / 1,000 = 80.00
    # April: 10,000 -> 25,000 = 15,000 views = 120.00
    # May (to 20 May): 25,000 -> 26,500 = 1,500 views = 12.00
    found = lines(price([BY_PERIOD], HISTORY, AS_OF))
    assert {key: line.amount for key, line in found.items()} == {
        "cpm:cpm:V1:2026-03": eur("80.00"),
        "cpm:cpm:V1:2026-04": eur("120.00"),
        "cpm:cpm:V1:2026-05": eur("12.00"),
    }
    assert found["cpm:cpm:V1:2026-04"].explanation == (
        "15,000 views accrued in 2026-04 (cumulative 10,000 to 25,000) / 1,000 x EUR 8.00 "
        "CPM = EUR 120.00"
    )
    # Each line is earned at its month's last instant (Paris), so it files in that month.
    assert found["cpm:cpm:V1:2026-04"].earned_at == datetime(
        2026, 4, 30, 21, 59, 59, 999999, tzinfo=UTC
    )


def test_each_month_meets_its_own_cap() -> None:
    # Monthly cap 100.00: March 80.00 and May 12.00 are paid in full, April's 120.00
    # is cut to 100.00. Paid at publication, all 26,500 views (212.00) met March's cap.
    cap = Cap(id="cap", scope=CapScope.PERIOD, amount=eur("100.00"))
    by_period = lines(price([BY_PERIOD, cap], HISTORY, AS_OF))
    assert by_period["cpm:cpm:V1:2026-03"].amount == eur("80.00")
    assert by_period["cpm:cpm:V1:2026-04"].amount == eur("100.00")
    assert by_period["cpm:cpm:V1:2026-05"].amount == eur("12.00")
    at_publication = lines(price([CpmViews(id="cpm", amount=eur("8.00")), cap], HISTORY, AS_OF))
    assert at_publication["cpm:cpm:V1"].amount == eur("100.00")


def test_the_default_pays_every_view_at_publication_as_before() -> None:
    rule = CpmViews(id="cpm", amount=eur("8.00"))
    assert rule.accrual is CpmAccrual.PUBLICATION
    latest = {key: r.views for key, r in latest_stats(HISTORY, as_of=AS_OF).items()}
    from_views = lines(price([rule], [], AS_OF, view_counts=latest))
    from_stats = lines(price([rule], HISTORY, AS_OF))
    assert from_views == from_stats
    assert from_views["cpm:cpm:V1"].amount == eur("212.00")
    assert from_views["cpm:cpm:V1"].explanation == (
        "26,500 views / 1,000 x EUR 8.00 CPM = EUR 212.00"
    )


def test_a_month_without_growth_has_no_line_and_late_statistics_pay_when_they_arrive() -> None:
    # No record in April: its views show up in May's growth.
    history = [views(utc(3, 25), 4_000), views(utc(5, 10), 9_000)]
    found = lines(price([BY_PERIOD], history, AS_OF))
    assert {key: line.amount for key, line in found.items()} == {
        "cpm:cpm:V1:2026-03": eur("32.00"),
        "cpm:cpm:V1:2026-05": eur("40.00"),
    }


def test_content_without_statistics_is_reported_and_pays_zero() -> None:
    result = price([BY_PERIOD], [], AS_OF)
    found = lines(result)
    assert list(found) == ["cpm:cpm:V1:2026-05"]
    assert found["cpm:cpm:V1:2026-05"].amount == eur("0.00")
    assert [p.kind for p in result.problems] == [ProblemKind.MISSING_STATISTICS]
    assert "pays the views accrued in each period" in result.problems[0].message


def test_a_fallen_figure_never_takes_views_back() -> None:
    # April's record falls below March's: the largest figure so far stands.
    history = [views(utc(3, 25), 4_000), views(utc(4, 10), 3_500), views(utc(5, 10), 5_000)]
    found = lines(price([BY_PERIOD], history, AS_OF))
    assert {key: line.amount for key, line in found.items()} == {
        "cpm:cpm:V1:2026-03": eur("32.00"),
        "cpm:cpm:V1:2026-05": eur("8.00"),
    }


def test_the_accrual_round_trips() -> None:
    data = unstructure(BY_PERIOD)
    assert data["accrual"] == "period"
    assert structure(data, CpmViews) == BY_PERIOD
    assert structure({"id": "c", "amount": "8 EUR"}, CpmViews).accrual is CpmAccrual.PUBLICATION


# --- properties ------------------------------------------------------------------------------

START = VIDEO.published_at
# Records over ~5 months after publication, on a grid of 6 hours so that records fall
# on period boundaries and share instants.
records = st.lists(
    st.tuples(st.integers(0, 4 * 150), st.integers(0, 50_000)), min_size=0, max_size=12
)


def history_of(drawn: list[tuple[int, int]]) -> list[ContentStats]:
    # Cumulative figures: sorted by instant, the views are made non-decreasing.
    ordered = sorted(drawn)
    result = []
    highest = 0
    for step, count in ordered:
        highest = max(highest, count)
        result.append(views(START + timedelta(hours=6 * step), highest))
    return result


ONE_PER_VIEW = CpmViews(id="cpm", amount=eur("1000.00"), accrual="period")


@settings(max_examples=60)
@given(records, st.integers(1, 4 * 160), st.sampled_from([PeriodKind.MONTH, PeriodKind.WEEK]))
def test_the_periods_together_pay_every_view_once(
    drawn: list[tuple[int, int]], end: int, kind: PeriodKind
) -> None:
    # At EUR 1 per view nothing rounds: the period lines sum to the publication line.
    as_of = START + timedelta(hours=6 * end)
    history = history_of(drawn)
    result = price([ONE_PER_VIEW], history, as_of, period=kind)
    by_period = lines(result)
    at_publication = lines(
        price([CpmViews(id="cpm", amount=eur("1000.00"))], history, as_of, period=kind)
    )
    assert sum(line.amount.amount for line in by_period.values()) == (
        at_publication["cpm:cpm:V1"].amount.amount if history else 0
    )
    for statement in result.statements:
        for line in statement.lines:
            assert line.amount.amount >= 0
            assert statement.period.start <= line.earned_at < statement.period.end
            assert line.key.endswith(statement.period.label)


@settings(max_examples=60)
@given(records, st.integers(1, 4 * 150), st.integers(0, 4 * 60))
def test_a_later_run_never_changes_a_closed_period(
    drawn: list[tuple[int, int]], first: int, more: int
) -> None:
    early = START + timedelta(hours=6 * first)
    late = early + timedelta(hours=6 * more)
    history = history_of(drawn)
    before = price([BY_PERIOD], [r for r in history if r.as_of <= early], early)
    after = lines(price([BY_PERIOD], history, late))
    for statement in before.statements:
        if statement.period.end <= early:
            for line in statement.lines:
                assert after.get(line.key) == line
