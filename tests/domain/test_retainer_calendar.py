"""Retainer occurrences follow the campaign's wall clock, bounded by the campaign and a maximum."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.fees import MAX_OCCURRENCES, FeeKind, InfluencerFee
from hybridroi.domain.partners import Influencer
from hybridroi.statements.fees import price_fees

PARIS = ZoneInfo("Europe/Paris")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
ZONES = ("Europe/Paris", "Pacific/Kiritimati", "America/New_York", "Australia/Lord_Howe", "UTC")


def retainer(
    start: datetime, schedule: str = "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3", **changes: Any
) -> InfluencerFee:
    fields: dict[str, Any] = {
        "id": "theo-retainer",
        "partner_id": "theo",
        "kind": FeeKind.RETAINER,
        "amount": Money("1000", "EUR"),
        "schedule": schedule,
        "schedule_start": start,
    }
    fields.update(changes)
    return InfluencerFee(**fields)


def campaign(fee: InfluencerFee, timezone_name: str = "Europe/Paris", **changes: Any) -> Campaign:
    tz = ZoneInfo(timezone_name)
    fields: dict[str, Any] = {
        "id": "spring",
        "name": "Spring",
        "currency": "EUR",
        "timezone": timezone_name,
        "start": datetime(2026, 3, 1, tzinfo=tz),
        "end": datetime(2026, 6, 1, tzinfo=tz),
        "partners": [Influencer(id="theo", name="Théo")],
        "fees": [fee],
    }
    fields.update(changes)
    return Campaign(**fields)


def due(campaign: Campaign) -> list[datetime]:
    lines, problems = price_fees(campaign, campaign.end)
    assert problems == []
    return [line.earned_at for _, line in lines]


def test_the_docs_retainer_falls_due_at_local_midnight() -> None:
    # docs/campaign-file.md: schedule_start = 2026-03-01T00:00:00+01:00 in a Paris campaign.
    fee = retainer(datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=1))))
    instants = due(campaign(fee))
    assert [moment.astimezone(UTC) for moment in instants] == [
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 31, 22, tzinfo=UTC),  # local midnight in summer time, not 23:00Z
        datetime(2026, 4, 30, 22, tzinfo=UTC),
    ]
    assert all(moment.astimezone(PARIS).time().hour == 0 for moment in instants)


def test_a_start_written_in_utc_keeps_the_local_day() -> None:
    # The same instant as local midnight on 1 March, written in UTC.
    fee = retainer(datetime(2026, 2, 28, 23, tzinfo=UTC))
    local = [moment.astimezone(PARIS) for moment in due(campaign(fee))]
    assert [(moment.month, moment.day, moment.hour) for moment in local] == [
        (3, 1, 0),
        (4, 1, 0),
        (5, 1, 0),
    ]


def test_a_campaign_far_from_utc_keeps_each_fee_in_its_month() -> None:
    # Local midnight on 1 March in Kiritimati (UTC+14) is 10:00Z on 28 February.
    fee = retainer(datetime(2026, 2, 28, 10, tzinfo=UTC))
    instants = due(campaign(fee, "Pacific/Kiritimati"))
    local = [moment.astimezone(KIRITIMATI) for moment in instants]
    assert [(moment.month, moment.day, moment.hour) for moment in local] == [
        (3, 1, 0),
        (4, 1, 0),
        (5, 1, 0),
    ]


def test_a_nonexistent_local_time_is_read_with_the_offset_before_the_gap() -> None:
    # 02:30 on 29 March 2026 does not exist in Paris: RFC 5545 reads it as 03:30 summer time.
    fee = retainer(datetime(2026, 3, 28, 2, 30, tzinfo=PARIS), "FREQ=DAILY;COUNT=3", id="daily")
    local = [moment.astimezone(PARIS) for moment in due(campaign(fee))]
    assert [(moment.day, moment.hour, moment.minute) for moment in local] == [
        (28, 2, 30),
        (29, 3, 30),
        (30, 2, 30),
    ]


def test_an_ambiguous_local_time_is_its_first_occurrence() -> None:
    # 02:30 on 25 October 2026 happens twice in Paris: the first one (summer time) counts.
    fee = retainer(datetime(2026, 10, 24, 2, 30, tzinfo=PARIS), "FREQ=DAILY;COUNT=2", id="daily")
    fall = campaign(
        fee,
        start=datetime(2026, 10, 1, tzinfo=PARIS),
        end=datetime(2026, 11, 1, tzinfo=PARIS),
    )
    assert [moment.astimezone(UTC) for moment in due(fall)] == [
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    ]


def test_occurrences_made_equal_by_a_gap_count_once() -> None:
    # Hourly across the spring gap: 02:30 (nonexistent) and 03:30 are the same instant.
    fee = retainer(datetime(2026, 3, 29, 1, 30, tzinfo=PARIS), "FREQ=HOURLY;COUNT=3", id="h")
    local = [moment.astimezone(PARIS) for moment in due(campaign(fee))]
    assert [(moment.hour, moment.minute) for moment in local] == [(1, 30), (3, 30)]


def test_line_keys_do_not_depend_on_the_offset_the_start_was_written_in() -> None:
    written = [
        datetime(2026, 3, 1, tzinfo=PARIS),
        datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 2, 28, 13, tzinfo=timezone(timedelta(hours=-10))),
    ]
    keys = []
    for start in written:
        priced = campaign(retainer(start))
        keys.append([line.key for _, line in price_fees(priced, priced.end)[0]])
    assert keys[0] == [
        "fee:theo-retainer:2026-02-28T23:00:00+00:00",
        "fee:theo-retainer:2026-03-31T22:00:00+00:00",
        "fee:theo-retainer:2026-04-30T22:00:00+00:00",
    ]
    assert all(other == keys[0] for other in keys)


def test_until_in_utc_bounds_the_instants() -> None:
    fee = retainer(datetime(2026, 3, 1, tzinfo=PARIS), "FREQ=MONTHLY;UNTIL=20260430T220000Z")
    assert len(due(campaign(fee))) == 3
    fee = retainer(datetime(2026, 3, 1, tzinfo=PARIS), "FREQ=MONTHLY;UNTIL=20260430T215959Z")
    assert len(due(campaign(fee))) == 2


def test_occurrences_stop_at_the_campaign_end() -> None:
    fee = retainer(datetime(2026, 3, 1, tzinfo=PARIS), "FREQ=MONTHLY;COUNT=12")
    assert len(due(campaign(fee))) == 3  # March, April, May: June 1st is the end


def test_a_count_beyond_the_maximum_is_refused_at_once() -> None:
    began = time.perf_counter()
    with pytest.raises(InvalidValueError, match=r"at most 10,000 occurrences for fee theo-retain"):
        retainer(datetime(2026, 3, 1, tzinfo=PARIS), "FREQ=SECONDLY;COUNT=100000000")
    assert time.perf_counter() - began < 1


def test_an_until_rule_beyond_the_maximum_is_refused_by_the_campaign() -> None:
    fee = retainer(datetime(2026, 3, 1, tzinfo=PARIS), "FREQ=SECONDLY;UNTIL=20300101T000000Z")
    began = time.perf_counter()
    with pytest.raises(
        InvalidValueError, match=r"Campaign.fees\[theo-retainer\].schedule.*at most 10,000"
    ):
        campaign(fee)
    assert time.perf_counter() - began < 5
    assert MAX_OCCURRENCES == 10_000


def test_the_maximum_itself_is_accepted() -> None:
    fee = retainer(datetime(2026, 3, 1, tzinfo=PARIS), f"FREQ=MINUTELY;COUNT={MAX_OCCURRENCES}")
    assert len(fee.occurrences("Europe/Paris", end=datetime(2026, 6, 1, tzinfo=PARIS))) == 10_000


# --- properties ------------------------------------------------------------------------------

_starts = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - naive bounds of a strategy of aware values
    max_value=datetime(2030, 1, 1),  # noqa: DTZ001
).map(lambda moment: moment.replace(second=0, microsecond=0, fold=0))
_offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda quarters: timezone(timedelta(minutes=15 * quarters))
)
_rules = st.sampled_from(
    ["FREQ=MONTHLY;COUNT=14", "FREQ=WEEKLY;COUNT=60", "FREQ=DAILY;COUNT=400", "FREQ=YEARLY;COUNT=3"]
)
_FAR = datetime(2034, 1, 1, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(local=_starts, zone_name=st.sampled_from(ZONES), offset=_offsets, rule=_rules)
def test_occurrences_keep_the_local_wall_clock_whatever_the_offset(
    local: datetime, zone_name: str, offset: timezone, rule: str
) -> None:
    tz = ZoneInfo(zone_name)
    start = local.replace(tzinfo=tz)
    written = start.astimezone(offset)
    fee = retainer(written, rule)
    occurrences = fee.occurrences(zone_name, end=_FAR)
    assert occurrences
    wall = start.astimezone(tz).replace(tzinfo=None).time()
    for moment in occurrences:
        shown = moment.astimezone(tz).replace(tzinfo=None)
        # Same wall-clock time, unless the local time falls in a gap (moved forward by it).
        if shown.time() != wall:
            naive = datetime.combine(shown.date(), wall)
            assert naive.replace(tzinfo=tz).astimezone(UTC) == moment.astimezone(UTC)


@settings(max_examples=60, deadline=None)
@given(
    local=_starts,
    zone_name=st.sampled_from(ZONES),
    first=_offsets,
    second=_offsets,
    rule=_rules,
)
def test_equal_instants_written_in_different_offsets_give_the_same_occurrences(
    local: datetime, zone_name: str, first: timezone, second: timezone, rule: str
) -> None:
    start = local.replace(tzinfo=ZoneInfo(zone_name))
    one = retainer(start.astimezone(first), rule).occurrences(zone_name, end=_FAR)
    other = retainer(start.astimezone(second), rule).occurrences(zone_name, end=_FAR)
    assert one == other
    assert list(one) == sorted(set(one))
