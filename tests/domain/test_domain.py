from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError, UnknownCurrencyError
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
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

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 1, tzinfo=PARIS)
END = datetime(2026, 6, 1, tzinfo=PARIS)

LEA = Influencer(
    id="lea",
    name="Léa Skin",
    accounts=[Account(platform=Platform.TIKTOK, handle="@lea.skin", audience=420_000)],
)
COUPONS = Affiliate(id="coupons", name="BonsPlans", kind=AffiliateKind.COUPON)
VIDEO = Content(
    id="v1",
    partner_id="lea",
    platform=Platform.TIKTOK,
    format=ContentFormat.SHORT_VIDEO,
    published_at=datetime(2026, 3, 5, tzinfo=PARIS),
)


def campaign(**changes: Any) -> Campaign:
    fields: dict[str, Any] = {
        "id": "spring",
        "name": "Spring glow",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "start": START,
        "end": END,
        "partners": [LEA, COUPONS],
        "contents": [VIDEO],
        "budget": Money("20000", "EUR"),
    }
    fields.update(changes)
    return Campaign(**fields)


def test_a_valid_hybrid_campaign() -> None:
    fee = InfluencerFee(
        id="f1", partner_id="lea", kind=FeeKind.ONE_OFF, amount=Money("1500", "EUR"), due=START
    )
    deal = AffiliateDeal(id="d1", partner_id="lea")
    built = campaign(fees=[fee], deals=[deal])
    assert built.partner("lea") is LEA
    assert built.deal_currency(deal) == "EUR"
    assert LEA.audience_on(Platform.TIKTOK) == 420_000
    assert isinstance(built.partners, tuple)
    with pytest.raises(KeyError):
        built.partner("nobody")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": START}, "Campaign.end"),
        ({"currency": "EURO"}, "Campaign.currency"),
        ({"timezone": "Paris"}, "Campaign.timezone"),
        ({"start": datetime(2026, 3, 1)}, "Campaign.start"),  # noqa: DTZ001
        ({"budget": Money("-1", "EUR")}, "Campaign.budget"),
        ({"budget": Money("1", "USD")}, "Campaign.budget"),
        ({"partners": [LEA, attrs.evolve(COUPONS, id="lea")]}, "Campaign.partners"),
        ({"deals": [AffiliateDeal(id="d1", partner_id="ghost")]}, "Campaign.deals[d1].partner_id"),
        ({"contents": [attrs.evolve(VIDEO, partner_id="ghost")]}, "Campaign.contents[v1]"),
        ({"id": " spring"}, "Campaign.id"),
        ({"name": ""}, "Campaign.name"),
    ],
)
def test_invalid_campaigns_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        campaign(**changes)
    assert caught.value.field.startswith(field)
    assert field in str(caught.value)


def test_unknown_currency_and_naive_datetime_use_dedicated_errors() -> None:
    with pytest.raises(UnknownCurrencyError):
        campaign(currency="ABC")
    with pytest.raises(NaiveDatetimeError):
        campaign(end=datetime(2026, 6, 1))  # noqa: DTZ001


def test_negative_fee_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"InfluencerFee.amount: expected Money >= 0"):
        InfluencerFee(
            id="f", partner_id="lea", kind=FeeKind.ONE_OFF, amount=Money("-10", "EUR"), due=START
        )


def test_fee_kinds_need_their_dates_and_schedules() -> None:
    with pytest.raises(InvalidValueError, match="InfluencerFee.due"):
        InfluencerFee(id="f", partner_id="lea", kind=FeeKind.ONE_OFF, amount=Money("1", "EUR"))
    with pytest.raises(InvalidValueError, match="InfluencerFee.schedule"):
        InfluencerFee(id="f", partner_id="lea", kind=FeeKind.RETAINER, amount=Money("1", "EUR"))
    with pytest.raises(InvalidValueError, match="RRULE"):
        InfluencerFee(
            id="f",
            partner_id="lea",
            kind=FeeKind.RETAINER,
            amount=Money("1", "EUR"),
            schedule="EVERY MONDAY",
            schedule_start=START,
        )
    with pytest.raises(InvalidValueError, match="COUNT or UNTIL"):
        InfluencerFee(
            id="f",
            partner_id="lea",
            kind=FeeKind.RETAINER,
            amount=Money("1", "EUR"),
            schedule="FREQ=MONTHLY",
            schedule_start=START,
        )
    with pytest.raises(InvalidValueError, match="max_deliverables"):
        InfluencerFee(
            id="f",
            partner_id="lea",
            kind=FeeKind.PER_DELIVERABLE,
            amount=Money("1", "EUR"),
            max_deliverables=0,
        )


def test_retainer_schedule_follows_the_campaign_calendar() -> None:
    fee = InfluencerFee(
        id="r",
        partner_id="lea",
        kind=FeeKind.RETAINER,
        amount=Money("800", "EUR"),
        schedule="FREQ=MONTHLY;COUNT=3",
        schedule_start=START,
    )
    occurrences = list(fee.occurrence_rule())
    assert [o.month for o in occurrences] == [3, 4, 5]
    # Local midnight on the 1st each month, whatever the DST offset.
    assert all((o.day, o.hour) == (1, 0) for o in occurrences)
    assert occurrences[1].utcoffset() != occurrences[0].utcoffset()


def test_fee_content_must_belong_to_the_partner() -> None:
    fee = InfluencerFee(
        id="f",
        partner_id="coupons",
        kind=FeeKind.PER_DELIVERABLE,
        amount=Money("100", "EUR"),
        content_ids=["v1"],
    )
    with pytest.raises(InvalidValueError, match=r"Campaign.fees\[f\].content_ids"):
        campaign(fees=[fee])


def test_extra_costs_are_validated() -> None:
    with pytest.raises(InvalidValueError, match="ExtraCost.amount"):
        ExtraCost(
            id="x", kind=ExtraCostKind.AGENCY_FEE, amount=Money("-1", "EUR"), incurred_at=START
        )
    cost = ExtraCost(
        id="x",
        kind=ExtraCostKind.PAID_BOOST,
        amount=Money("500", "EUR"),
        incurred_at=START,
        partner_id="lea",
    )
    assert campaign(extra_costs=[cost]).extra_costs == (cost,)
    with pytest.raises(InvalidValueError, match=r"Campaign.extra_costs\[x\].partner_id"):
        campaign(extra_costs=[attrs.evolve(cost, partner_id="ghost")])


def test_accounts_are_validated() -> None:
    with pytest.raises(InvalidValueError, match="Account.audience"):
        Account(platform=Platform.YOUTUBE, handle="@x", audience=-5)
    with pytest.raises(InvalidValueError, match="one account per platform and handle"):
        Influencer(
            id="i",
            name="I",
            accounts=[
                Account(platform=Platform.YOUTUBE, handle="@x"),
                Account(platform=Platform.YOUTUBE, handle="@x"),
            ],
        )


class TestEvents:
    def test_touch_needs_exactly_one_of_partner_and_channel(self) -> None:
        kwargs: dict[str, Any] = {
            "id": "t",
            "kind": TouchKind.CLICK,
            "instant": START,
            "customer_key": "c",
        }
        assert Touch(partner_id="lea", **kwargs).channel is None
        assert Touch(channel="paid_search", **kwargs).partner_id is None
        with pytest.raises(InvalidValueError, match="exactly one of partner_id"):
            Touch(**kwargs)
        with pytest.raises(InvalidValueError, match="exactly one of partner_id"):
            Touch(partner_id="lea", channel="email", **kwargs)

    def test_conversion_amounts_share_one_currency(self) -> None:
        with pytest.raises(InvalidValueError, match="Conversion.tax"):
            Conversion(
                id="o",
                instant=START,
                customer_key="c",
                revenue=Money("10", "EUR"),
                tax=Money("2", "USD"),
            )
        with pytest.raises(InvalidValueError, match=r"Conversion.items\[0\].unit_price"):
            Conversion(
                id="o",
                instant=START,
                customer_key="c",
                revenue=Money("10", "EUR"),
                items=[LineItem(sku="s", quantity=1, unit_price=Money("10", "USD"))],
            )

    def test_conversion_fields_are_validated(self) -> None:
        with pytest.raises(InvalidValueError, match="Conversion.country"):
            Conversion(
                id="o",
                instant=START,
                customer_key="c",
                revenue=Money("10", "EUR"),
                country="France",
            )
        with pytest.raises(InvalidValueError, match="Conversion.revenue"):
            Conversion(id="o", instant=START, customer_key="c", revenue=Money("-10", "EUR"))
        with pytest.raises(NaiveDatetimeError, match="Conversion.instant"):
            Conversion(
                id="o",
                instant=datetime(2026, 3, 1),  # noqa: DTZ001
                customer_key="c",
                revenue=Money("10", "EUR"),
            )

    def test_fractional_quantities_are_accepted_negative_ones_refused(self) -> None:
        # lago-api PRs 1699 and 4570: fractional quantities work; negatives are refused.
        item = LineItem(sku="serum", quantity="1.5", unit_price=Money("19.99", "EUR"))
        assert item.net == Money("29.99", "EUR")  # 29.985 rounded half-up
        with pytest.raises(InvalidValueError, match="LineItem.quantity"):
            LineItem(sku="serum", quantity=-1, unit_price=Money("19.99", "EUR"))

    def test_refund_amount_must_be_positive(self) -> None:
        with pytest.raises(InvalidValueError, match="Refund.amount"):
            Refund(id="r", conversion_id="o", instant=START, amount=Money("0", "EUR"))
