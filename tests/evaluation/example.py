"""The EUR 5,000 question as test data: a campaign, three candidate deals, forecasts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.rules import Rule
from hybridroi.evaluation import Beta, Candidate, Forecast, LogNormal, Point, Triangular

PARIS = ZoneInfo("Europe/Paris")
# One calendar month in the campaign's time zone, so monthly rules apply exactly once.
START = datetime(2026, 3, 1, tzinfo=PARIS)
END = datetime(2026, 4, 1, tzinfo=PARIS)

CAMPAIGN = Campaign(
    id="spring",
    name="Spring launch",
    currency="EUR",
    timezone="Europe/Paris",
    start=START,
    end=END,
    partners=[
        Influencer(id="lea", name="Lea"),
        Affiliate(id="deals-site", name="Deals site"),
        Affiliate(id="blog", name="Review blog"),
    ],
)


def eur(amount: str | int) -> Money:
    return Money(amount, "EUR")


def fee(amount: str, partner: str = "lea", fee_id: str = "fee") -> InfluencerFee:
    return InfluencerFee(
        id=fee_id, partner_id=partner, kind=FeeKind.ONE_OFF, amount=eur(amount), due=START
    )


def deal(*rules: Rule, partner: str = "lea") -> AffiliateDeal:
    return AffiliateDeal(id=f"deal-{partner}", partner_id=partner, rules=rules)


def flat(amount: str = "5000") -> Candidate:
    return Candidate(name=f"EUR {amount} flat", partner_id="lea", fees=[fee(amount)])


def point_forecast(order_value: str = "50", margin: str = "0.60") -> Forecast:
    """3 videos x 200,000 views x 1.2% CTR x 2.5% CVR = 180 orders."""
    return Forecast(
        currency="EUR",
        views=Point(value="200000"),
        pieces=3,
        click_through_rate=Point(value="0.012"),
        conversion_rate=Point(value="0.025"),
        order_value=Point(value=order_value),
        margin=Point(value=margin),
    )


def uncertain_forecast() -> Forecast:
    return Forecast(
        currency="EUR",
        views=LogNormal(median="200000", sigma="0.8"),
        pieces=3,
        click_through_rate=Beta.from_mean("0.012", 400),
        conversion_rate=Beta.from_mean("0.025", 300),
        order_value=Triangular(low="35", mode="48", high="70"),
        margin=Triangular(low="0.55", mode="0.60", high="0.65"),
        refund_rate=Beta.from_mean("0.08", 200),
        order_value_step=Decimal("1"),
    )
