"""Periods of sorted instants found by one search: the ones found instant by instant."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.periods import PeriodKind
from hybridroi.domain.campaign import Campaign
from hybridroi.statements.drafts import _Periods

START = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"]


def campaign(zone: str) -> Campaign:
    return Campaign(
        id="c",
        name="C",
        currency="EUR",
        timezone=zone,
        start=START,
        end=START + timedelta(days=800),
    )


# Seconds over two years, dense around the DST changes of March and October.
offsets = st.lists(
    st.one_of(
        st.integers(0, 2 * 365 * 86_400),
        st.integers(86 * 86_400, 92 * 86_400),
        st.integers(297 * 86_400, 303 * 86_400),
    ),
    max_size=60,
)


@given(offsets, st.sampled_from(list(PeriodKind)), st.sampled_from(ZONES))
def test_one_search_finds_the_period_of_each_instant(
    seconds: list[int], kind: PeriodKind, zone: str
) -> None:
    instants = [START + timedelta(seconds=value) for value in sorted(seconds)]
    table, index = _Periods(campaign(zone), kind).of_sorted(instants)
    one_by_one = _Periods(campaign(zone), kind)
    assert [table[i] for i in index.tolist()] == [one_by_one.of(t) for t in instants]
    # Distinct periods in calendar order.
    assert all(a.end <= b.start for a, b in itertools.pairwise(table))


def test_a_sparse_span_is_looked_up_instant_by_instant() -> None:
    instants = [START, START + timedelta(days=700)]
    table, index = _Periods(campaign("Europe/Paris"), PeriodKind.DAY).of_sorted(instants)
    assert [period.label for period in table] == ["2026-01-01", "2027-12-02"]
    assert index.tolist() == [0, 1]
    table, index = _Periods(campaign("UTC"), PeriodKind.DAY).of_sorted([])
    assert (table, index.tolist()) == ([], [])
