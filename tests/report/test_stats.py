"""Content statistics: a later record supersedes an earlier one, whatever the input order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError
from hybridroi.events.stats import ContentStats, latest_stats

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
