"""Bad input at the public entry points is refused with a library error naming it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.relativedelta import relativedelta

from hybridroi import (
    AffiliateDeal,
    AttributionPolicy,
    Campaign,
    HybridRoiError,
    InfluencerFee,
    Money,
    Rounding,
    run,
)
from hybridroi.files.events import format_events

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_retainer_schedule_with_its_own_naive_start_is_refused() -> None:
    with pytest.raises(HybridRoiError, match=r"InfluencerFee\.schedule"):
        InfluencerFee(
            id="r",
            partner_id="p",
            kind="retainer",
            amount=Money("1", "EUR"),
            schedule="DTSTART:20260301T000000\nRRULE:FREQ=MONTHLY;UNTIL=20260501T000000",
            schedule_start=START,
        ).occurrences("Europe/Paris", end=datetime(2026, 6, 1, tzinfo=UTC))


def test_a_window_given_as_a_relativedelta_keeps_the_100_year_limit() -> None:
    with pytest.raises(HybridRoiError, match=r"windows\[click\]"):
        AttributionPolicy(windows={"click": relativedelta(years=5000)})
    with pytest.raises(HybridRoiError, match=r"windows\[click\]"):
        AttributionPolicy(windows={"click": relativedelta(days=-3)})
    assert AttributionPolicy(windows={"click": relativedelta(days=30)}).windows


def test_run_refuses_what_is_not_a_collection_of_records() -> None:
    campaign = Campaign(
        id="c",
        name="C",
        currency="EUR",
        timezone="UTC",
        start=START,
        end=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with pytest.raises(HybridRoiError, match=r"stats\[0\]"):
        run(campaign, [], as_of=campaign.end, stats=[1])  # type: ignore[list-item]
    with pytest.raises(HybridRoiError, match="events"):
        run(campaign, None, as_of=campaign.end)  # type: ignore[arg-type]
    # An event of the wrong type is bad input in a batch: a problem, not an error.
    assert run(campaign, [1], as_of=campaign.end).problems  # type: ignore[list-item]


def test_format_events_refuses_what_is_not_a_record() -> None:
    with pytest.raises(HybridRoiError, match=r"records\[0\]"):
        format_events([object()], format="csv")  # type: ignore[list-item]


def test_a_rounding_mode_is_taken_by_its_name_as_files_write_it() -> None:
    assert AffiliateDeal(id="d", partner_id="p", rounding="half_up").rounding is Rounding.HALF_UP
    assert (
        AffiliateDeal(id="d", partner_id="p", rounding="HALF_EVEN").rounding is Rounding.HALF_EVEN
    )
