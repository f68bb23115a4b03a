"""Scheduled terms: rate rules in force from and until instants, half-open, zone-aware."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import at, campaign, eur, lines, run, sale

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.conditions import SkuIn
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import (
    FlatPerSale,
    PercentRate,
    PerLead,
    Precedence,
    RateScope,
    SubAffiliateOverride,
    TieredRate,
)
from hybridroi.domain.tiers import Band
from hybridroi.events.records import ConversionKind
from hybridroi.files import campaign_to_json, parse_campaign
from hybridroi.serialization import structure, unstructure

PARIS = ZoneInfo("Europe/Paris")
MARCH = datetime(2026, 3, 1, tzinfo=PARIS)  # 2026-02-28T23:00Z
APRIL = datetime(2026, 4, 1, tzinfo=PARIS)  # 2026-03-31T22:00Z, after the change to summer time


def deal(*rules: object, **fields: object) -> AffiliateDeal:
    return AffiliateDeal(id="D", partner_id="A", rules=rules, **fields)  # type: ignore[arg-type]


def promo() -> PercentRate:
    return PercentRate(id="march", rate="0.20", effective_from=MARCH, effective_until=APRIL)


def test_a_scheduled_rate_prices_the_sales_of_its_window_then_falls_through() -> None:
    the_deal = deal(promo(), PercentRate(id="base", rate="0.10"))
    before = sale("S0", datetime(2026, 2, 28, 22, 59, tzinfo=UTC), "100.00")
    first = sale("S1", MARCH, "100.00")  # the first instant of the window belongs to it
    inside = sale("S2", datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "100.00")
    last = sale("S3", APRIL, "100.00")  # the end is excluded
    found = lines(run(campaign(the_deal), [before, first, inside, last]))
    assert {key: line.amount for key, line in found.items()} == {
        "commission:S0:base": eur("10.00"),
        "commission:S1:march": eur("20.00"),
        "commission:S2:march": eur("20.00"),
        "commission:S3:base": eur("10.00"),
    }
    assert found["commission:S1:march"].explanation == (
        "20% of EUR 100.00 = EUR 20.00 [effective from 2026-03-01T00:00:00+01:00 "
        "until 2026-04-01T00:00:00+02:00]"
    )
    assert found["commission:S0:base"].explanation == "10% of EUR 100.00 = EUR 10.00"


def test_a_sale_outside_every_schedule_is_unpriced() -> None:
    result = run(campaign(deal(promo())), [sale("S1", at(5), "100.00")])
    assert lines(result) == {}
    (problem,) = result.problems
    assert problem.kind is ProblemKind.UNPRICED
    assert "tried: march" in problem.message


def test_an_open_ended_schedule_starts_or_ends_only() -> None:
    since = FlatPerSale(id="since", amount=eur("5.00"), effective_from=MARCH)
    until = FlatPerSale(id="until", amount=eur("3.00"), effective_until=MARCH)
    found = lines(
        run(
            campaign(deal(since, until)),
            [sale("S1", at(5), "10.00"), sale("S2", at(5, 6), "10.00")],
        )
    )
    assert found["commission:S1:until"].amount == eur("3.00")
    assert found["commission:S1:until"].explanation.endswith(
        "[effective until 2026-03-01T00:00:00+01:00]"
    )
    assert found["commission:S2:since"].amount == eur("5.00")


def test_scheduled_lead_rates_and_highest_precedence() -> None:
    lead = sale("L1", at(5, 3), "0.00", kind=ConversionKind.LEAD)
    the_deal = deal(
        PerLead(id="old", amount=eur("1.00"), effective_until=MARCH),
        PerLead(id="new", amount=eur("2.00"), effective_from=MARCH),
    )
    assert set(lines(run(campaign(the_deal), [lead]))) == {"commission:L1:new"}
    # Under HIGHEST a rule out of its schedule is not a candidate, however much it pays.
    rich = PercentRate(id="rich", rate="0.50", effective_until=MARCH)
    highest = deal(rich, PercentRate(id="base", rate="0.10"), precedence=Precedence.HIGHEST)
    assert set(lines(run(campaign(highest), [sale("S1", at(5, 3), "100.00")]))) == {
        "commission:S1:base"
    }


def test_a_scheduled_tier_counts_the_sales_of_its_window_only() -> None:
    tier = TieredRate(
        id="tier",
        bands=[Band(start=0, rate="0.10"), Band(start=100, rate="0.20")],
        effective_from=datetime(2026, 1, 10, tzinfo=UTC),
    )
    found = lines(
        run(
            campaign(deal(tier, PercentRate(id="base", rate="0.01"))),
            [sale("S1", at(5), "100.00"), sale("S2", at(15), "100.00")],
        )
    )
    assert found["commission:S1:base"].amount == eur("1.00")
    # S1 was not priced by the tier: S2 starts the month's volume at 0, in tier 1.
    assert found["commission:S2:tier"].amount == eur("10.00")


def test_a_schedule_is_checked() -> None:
    with pytest.raises(InvalidValueError, match="PercentRate.effective_until"):
        PercentRate(id="p", rate="0.1", effective_from=APRIL, effective_until=MARCH)
    with pytest.raises(InvalidValueError, match="FlatPerSale.effective_until"):
        FlatPerSale(id="f", amount=eur("1"), effective_from=MARCH, effective_until=MARCH)
    with pytest.raises(InvalidValueError, match="effective_from"):
        PercentRate(id="p", rate="0.1", effective_from=datetime(2026, 3, 1))  # noqa: DTZ001 - a naive instant is refused


def test_the_schedule_round_trips_through_serialization() -> None:
    rule = promo()
    data = unstructure(rule)
    assert data["effective_from"] == "2026-03-01T00:00:00+01:00"
    again = structure(data, PercentRate)
    assert again == rule
    assert again.effective_from is not None
    assert again.effective_from.utcoffset() == timedelta(hours=1)
    assert structure({"id": "p", "rate": "0.1"}, PercentRate).effective_until is None


@settings(max_examples=80, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=60 * 24),
    length=st.integers(min_value=1, max_value=60 * 24),
    offset=st.integers(min_value=0, max_value=2 * 60 * 24),
)
def test_a_sale_is_priced_by_the_schedule_exactly_when_it_is_in_from_until(
    start: int, length: int, offset: int
) -> None:
    """Oracle: from <= instant < until, compared as instants (any zone)."""
    origin = datetime(2026, 3, 28, tzinfo=UTC)  # spans the change to summer time in Paris
    effective_from = (origin + timedelta(minutes=start)).astimezone(PARIS)
    effective_until = effective_from + timedelta(minutes=length)
    instant = origin + timedelta(minutes=offset)
    rule = PercentRate(
        id="s", rate="0.20", effective_from=effective_from, effective_until=effective_until
    )
    found = lines(
        run(
            campaign(deal(rule, PercentRate(id="base", rate="0.10"))),
            [sale("S1", instant, "100.00")],
        )
    )
    inside = effective_from <= instant < effective_until
    assert set(found) == {"commission:S1:s" if inside else "commission:S1:base"}


def test_campaign_files_round_trip_the_new_deal_terms() -> None:
    items = PercentRate(
        id="serum",
        rate="0.20",
        conditions=[SkuIn(skus=["serum-30ml"])],
        scope=RateScope.MATCHING_ITEMS,
        effective_from=MARCH,
    )
    parent = AffiliateDeal(
        id="D-B",
        partner_id="B",
        rules=[SubAffiliateOverride(id="ovr", children=["A"], share="0.10")],
    )
    the_campaign = campaign(deal(items, promo()), parent, partners=("A", "B"))
    text = campaign_to_json(the_campaign)
    assert parse_campaign(text, format="json") == the_campaign


def test_toml_native_instants_are_read() -> None:
    data = tomllib.loads(
        'id = "march"\nrate = "0.20"\n'
        "effective_from = 2026-03-01T00:00:00+01:00\n"
        'effective_until = "2026-04-01T00:00:00+02:00"\n'
    )
    rule = structure(data, PercentRate)
    assert rule == promo()
