from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from cattrs.errors import ClassValidationError
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import instants, money

from hybridroi.core.fx import FxRate, FxRates
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.fees import ExtraCost, ExtraCostKind, FeeKind, InfluencerFee
from hybridroi.domain.partners import (
    Account,
    Affiliate,
    AffiliateKind,
    Content,
    ContentFormat,
    Influencer,
    Platform,
)
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Conversion, LineItem, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.serialization import (
    DocumentError,
    converter,
    file_converter,
    located_errors,
    structure,
    unstructure,
)

ids = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    start = draw(instants(end=datetime(2029, 1, 1, tzinfo=UTC)))
    zone = draw(st.sampled_from(["Europe/Paris", "America/New_York", "UTC"]))
    start = start.astimezone(ZoneInfo(zone))
    end = start + timedelta(days=draw(st.integers(1, 400)))
    partner_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    partners: list[Influencer | Affiliate] = []
    for pid in partner_ids:
        if draw(st.booleans()):
            accounts = [
                Account(platform=p, handle=f"@{pid}", audience=draw(st.integers(0, 10**7)))
                for p in draw(st.sets(st.sampled_from(Platform), max_size=2))
            ]
            partners.append(Influencer(id=pid, name=pid.title(), accounts=accounts))
        else:
            partners.append(
                Affiliate(id=pid, name=pid.upper(), kind=draw(st.sampled_from(AffiliateKind)))
            )
    contents = [
        Content(
            id=f"{pid}-c",
            partner_id=pid,
            platform=Platform.TIKTOK,
            format=ContentFormat.SHORT_VIDEO,
            published_at=start,
        )
        for pid in partner_ids
        if draw(st.booleans())
    ]
    fees = [
        InfluencerFee(
            id=f"{pid}-f",
            partner_id=pid,
            kind=FeeKind.ONE_OFF,
            amount=draw(money("EUR", min_units=0)),
            due=start,
        )
        for pid in partner_ids
        if draw(st.booleans())
    ]
    costs = [
        ExtraCost(
            id="agency",
            kind=ExtraCostKind.AGENCY_FEE,
            amount=draw(money("EUR", min_units=0)),
            incurred_at=end,
        )
    ]
    return Campaign(
        id="c",
        name="Campaign",
        currency="EUR",
        timezone=zone,
        start=start,
        end=end,
        partners=partners,
        contents=contents,
        fees=fees,
        extra_costs=costs,
        budget=draw(st.none() | money("EUR", min_units=0)),
    )


@given(campaigns())
def test_campaign_round_trips_through_plain_data(campaign: Campaign) -> None:
    data = unstructure(campaign)
    again = structure(data, Campaign)
    # Instants come back with a fixed offset instead of the zone: the same instants, and the
    # same plain data. (Datetimes in a DST fold compare unequal across tzinfo kinds, PEP 495.)
    assert unstructure(again) == data
    assert again.start.timestamp() == campaign.start.timestamp()
    assert again.start.utcoffset() == campaign.start.utcoffset()
    assert again.timezone == campaign.timezone


def test_plain_data_is_json_safe_and_exact() -> None:
    fee = InfluencerFee(
        id="r",
        partner_id="lea",
        kind=FeeKind.RETAINER,
        amount=Money("800", "EUR"),
        schedule="FREQ=MONTHLY;COUNT=3",
        schedule_start=datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Paris")),
    )
    data = unstructure(fee)
    assert data["amount"] == {"amount": "800.00", "currency": "EUR"}
    assert data["schedule_start"] == "2026-03-01T00:00:00+01:00"
    assert data["kind"] == "retainer"
    assert unstructure(Decimal("0.12")) == "0.12"
    assert unstructure(Fraction(1, 3)) == "1/3"
    assert unstructure(relativedelta(days=30)) == "30 days"
    assert unstructure(UnroundedMoney("10.0800", "EUR")) == {"amount": "10.0800", "currency": "EUR"}


def test_events_round_trip() -> None:
    instant = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    events = [
        Touch(
            id="t1",
            kind=TouchKind.CLICK,
            instant=instant,
            customer_key="c1",
            partner_id="lea",
            content_id="v1",
        ),
        Conversion(
            id="o1",
            instant=instant,
            customer_key="c1",
            revenue=Money("84.00", "EUR"),
            items=[LineItem(sku="serum", quantity="1.5", unit_price=Money("56", "EUR"))],
            country="FR",
            promo_code="LEA10",
        ),
        Refund(id="r1", conversion_id="o1", instant=instant, amount=Money("10", "EUR")),
    ]
    for event in events:
        assert structure(unstructure(event), type(event)) == event


def test_money_accepts_text_form() -> None:
    assert structure("12.50 EUR", Money) == Money("12.50", "EUR")
    assert structure("EUR 12.50", Money) == Money("12.50", "EUR")


def test_fx_table_round_trips() -> None:
    table = FxRates(
        rates=[FxRate(base="USD", quote="EUR", effective=date(2026, 3, 2), rate=Decimal("0.92"))]
    )
    assert structure(unstructure(table), FxRates) == table


def test_every_problem_is_reported_with_its_key_path() -> None:
    data = {
        "id": "c",
        "name": "C",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "start": "2026-03-01T00:00:00",
        "end": "2026-06-01T00:00:00+02:00",
        "partners": [
            {
                "type": "influencer",
                "id": "lea",
                "name": "Lea",
                "accounts": [{"platform": "tiktk", "handle": "@l"}],
            },
            {"type": "robot", "id": "r2"},
            {"type": "affiliate", "id": "x", "name": "X", "colour": "blue"},
        ],
        "budget": 1.5,
    }
    with pytest.raises(DocumentError) as caught:
        structure(data, Campaign, source="spring.toml")
    problems = caught.value.problems
    assert any(p.endswith("@ $.start") and "timezone-aware" in p for p in problems)
    assert any(
        p.endswith("@ $.partners[0].accounts[0].platform") and "'tiktok'" in p for p in problems
    )
    assert any(p.endswith("@ $.partners[1]") and "'robot'" in p for p in problems)
    assert any(p.endswith("@ $.partners[2]") and "colour" in p for p in problems)
    assert any(p.endswith("@ $.budget") for p in problems)
    assert str(caught.value).startswith("spring.toml: 5 problem(s)")


def test_cross_field_errors_are_reported_at_the_top() -> None:
    data = {
        "id": "c",
        "name": "C",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "start": "2026-03-01T00:00:00+01:00",
        "end": "2026-02-01T00:00:00+01:00",
    }
    with pytest.raises(DocumentError, match=r"Campaign.end: expected an instant after start"):
        structure(data, Campaign)


def test_the_file_converter_reads_text_cells_and_the_document_converter_stays_strict() -> None:
    cells = {"content_id": " V-1 ", "as_of": "2026-03-07T09:00:00Z", "views": "12", "likes": "3"}
    stats = file_converter().structure(cells, ContentStats)
    assert (stats.content_id, stats.views, stats.likes) == ("V-1", 12, 3)
    with pytest.raises(DocumentError, match="integer"):
        structure(cells, ContentStats)  # a document's count is a number, never a text
    assert converter() is not file_converter()
    bad = {**cells, "views": "1.5", "as_of": "2026-03-07"}
    with pytest.raises(ClassValidationError) as raised:
        file_converter(detailed=True).structure(bad, ContentStats)
    assert [(found.path, found.built) for found in located_errors(raised.value)] == [
        ("as_of", False),
        ("views", False),
    ]
