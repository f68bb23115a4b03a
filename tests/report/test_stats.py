"""Content statistics: a later record supersedes an earlier one; figures never fall."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError
from hybridroi.core.problems import ProblemKind
from hybridroi.events.stats import FIGURES, ContentStats, check_stats, latest_stats

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def record(content: str, day: int, views: int, **more: int) -> ContentStats:
    return ContentStats(content_id=content, as_of=T0 + timedelta(days=day), views=views, **more)


def test_latest_record_wins_and_as_of_bounds_it() -> None:
    records = [record("V", 7, 5_000), record("V", 0, 1_000), record("W", 3, 10)]
    assert latest_stats(records)["V"].views == 5_000
    assert latest_stats(records, as_of=T0 + timedelta(days=6))["V"].views == 1_000
    # A record taken exactly at as_of counts.
    assert latest_stats(records, as_of=T0 + timedelta(days=7))["V"].views == 5_000
    assert latest_stats(records, as_of=T0 - timedelta(days=1)) == {}


def test_engagements_are_likes_comments_shares_and_saves() -> None:
    assert record("V", 0, 0, likes=1, comments=2, shares=3, saves=4).engagements == 10


@pytest.mark.parametrize("field", ["views", "reach", "likes", "comments", "shares", "saves"])
def test_negative_or_non_integer_figures_are_refused(field: str) -> None:
    with pytest.raises(InvalidValueError, match=f"ContentStats.{field}"):
        ContentStats(content_id="V", as_of=T0, **{field: -1})
    with pytest.raises(InvalidValueError):
        ContentStats(content_id="V", as_of=T0, **{field: True})


def test_naive_instants_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        ContentStats(content_id="V", as_of=datetime(2026, 3, 1))  # noqa: DTZ001
    with pytest.raises(NaiveDatetimeError):
        latest_stats([], as_of=datetime(2026, 3, 1))  # noqa: DTZ001


records = st.lists(
    st.builds(
        record,
        content=st.sampled_from(["V", "W", "X"]),
        day=st.integers(0, 5),
        views=st.integers(0, 1_000),
    ),
    max_size=15,
)


@given(records=records, seed=st.integers(0, 2**32))
def test_result_does_not_depend_on_input_order(records: list[ContentStats], seed: int) -> None:
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert latest_stats(shuffled) == latest_stats(records)


@given(records=records)
def test_the_result_is_the_latest_record_of_each_content(records: list[ContentStats]) -> None:
    result = latest_stats(records)
    assert set(result) == {r.content_id for r in records}
    for content, chosen in result.items():
        mine = [r for r in records if r.content_id == content]
        assert chosen in mine
        assert chosen.as_of == max(r.as_of for r in mine)


def test_falling_views_are_a_problem() -> None:
    # Views 100 on day 0, then 50 on day 1: the cumulative figure fell by 50.
    (problem,) = check_stats([record("V", 0, 100), record("V", 1, 50)])
    assert problem.kind is ProblemKind.INVALID
    assert problem.subject == "stats:V"
    assert problem.field == "views"
    assert "views 50 < 100 as of 2026-03-01T00:00:00+00:00" in problem.message


def test_each_fallen_figure_is_named_and_the_first_is_the_field() -> None:
    (problem,) = check_stats([record("V", 0, 100, likes=9), record("V", 1, 100, likes=3)])
    assert problem.field == "likes"
    assert "likes 3 < 9" in problem.message
    (problem,) = check_stats([record("V", 0, 10, saves=2), record("V", 1, 5, saves=1)])
    assert problem.field == "views"
    assert "views 5 < 10" in problem.message
    assert "saves 1 < 2" in problem.message


def test_a_fall_is_measured_against_the_highest_earlier_figure() -> None:
    # 100, 50, 60: both later records are below the 100 of day 0.
    problems = check_stats([record("V", 0, 100), record("V", 1, 50), record("V", 2, 60)])
    assert [p.message.split(":")[0] for p in problems] == [
        "cumulative figures fell as of 2026-03-02T00",
        "cumulative figures fell as of 2026-03-03T00",
    ]


def test_two_different_records_at_one_instant_are_a_problem_repeats_are_not() -> None:
    assert check_stats([record("V", 0, 100), record("V", 0, 100)]) == ()
    (problem,) = check_stats([record("V", 0, 100), record("V", 0, 120)])
    assert problem.field == "views"
    assert "views 100 vs 120" in problem.message
    assert "the larger figures are used" in problem.message
    assert latest_stats([record("V", 0, 120), record("V", 0, 100)])["V"].views == 120


def test_sources_are_named_and_must_match_the_records() -> None:
    (problem,) = check_stats(
        [record("V", 1, 50), record("V", 0, 100)], sources=["b.csv:2", "a.csv:2"]
    )
    assert problem.source == "b.csv:2"  # the record whose views fell
    with pytest.raises(InvalidValueError, match="sources"):
        check_stats([record("V", 1, 50)], sources=[])


def test_growing_figures_and_separate_contents_are_fine() -> None:
    assert check_stats([record("V", 0, 10), record("V", 1, 10), record("W", 0, 5)]) == ()


@given(records=records, seed=st.integers(0, 2**32))
def test_problems_do_not_depend_on_input_order(records: list[ContentStats], seed: int) -> None:
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert check_stats(shuffled) == check_stats(records)


@given(records=records)
def test_no_problem_exactly_when_figures_grow_and_instants_agree(
    records: list[ContentStats],
) -> None:
    # An independent statement of the rule: for every pair of records of one content,
    # an earlier one is nowhere above a later one, and records at one instant are equal.
    def fine(a: ContentStats, b: ContentStats) -> bool:
        if a.content_id != b.content_id:
            return True
        if a.as_of == b.as_of:
            return a == b
        early, late = (a, b) if a.as_of < b.as_of else (b, a)
        return all(getattr(early, f) <= getattr(late, f) for f in FIGURES)

    expected = all(fine(a, b) for a in records for b in records)
    assert (check_stats(records) == ()) == expected
