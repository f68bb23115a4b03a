"""Hypothesis strategies and a small campaign for the attribution tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import (
    Affiliate,
    AffiliateKind,
    Content,
    ContentFormat,
    Influencer,
    Platform,
)
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Conversion, ConversionKind, Touch

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

LEA = Influencer(id="lea", name="Léa Skin")
MAX = Influencer(id="max", name="Max Reviews")
COUPONS = Affiliate(id="coupons", name="BonsPlans", kind=AffiliateKind.COUPON)
CASHBACK = Affiliate(id="cashback", name="CashBack", kind=AffiliateKind.CASHBACK)
VIDEO = Content(
    id="v1",
    partner_id="lea",
    platform=Platform.TIKTOK,
    format=ContentFormat.SHORT_VIDEO,
    published_at=T0 - timedelta(days=30),
)
PARTNERS = ("lea", "max", "coupons", "cashback")
CUSTOMERS = ("alice", "bob", "carol")
CHANNELS = ("paid_search", "email")

CAMPAIGN = Campaign(
    id="spring",
    name="Spring glow",
    currency="EUR",
    timezone="Europe/Paris",
    start=T0 - timedelta(days=60),
    end=T0 + timedelta(days=60),
    partners=[LEA, MAX, COUPONS, CASHBACK],
    contents=[VIDEO],
)


def at(days: int = 0, hours: int = 0, minutes: int = 0) -> datetime:
    """An instant relative to T0 (negative is before)."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def touch(
    touch_id: str,
    partner: str | None,
    when: datetime,
    kind: TouchKind = TouchKind.CLICK,
    *,
    customer: str = "alice",
    channel: str | None = None,
    content: str | None = None,
    code: str | None = None,
) -> Touch:
    """A touch, for worked examples."""
    return Touch(
        id=touch_id,
        kind=kind,
        instant=when,
        customer_key=customer,
        partner_id=partner,
        channel=channel,
        content_id=content,
        link_id=code,
    )


def sale(
    conversion_id: str,
    when: datetime,
    revenue: str = "100.00",
    *,
    customer: str = "alice",
    promo_code: str | None = None,
    click_id: str | None = None,
    kind: ConversionKind = ConversionKind.SALE,
) -> Conversion:
    """A conversion, for worked examples."""
    return Conversion(
        id=conversion_id,
        instant=when,
        customer_key=customer,
        revenue=Money(revenue, "EUR"),
        promo_code=promo_code,
        click_id=click_id,
        kind=kind,
    )


# Instants on a coarse grid (hours over ~40 days) so that ties and window edges occur.
offsets = st.integers(min_value=-40 * 24, max_value=0).map(lambda h: timedelta(hours=h))


@st.composite
def touches(draw: st.DrawFn, index: int) -> Touch:
    """One touch by a partner or an outside channel, for a few customers."""
    outside = draw(st.integers(min_value=0, max_value=5)) == 0
    kind = draw(st.sampled_from(TouchKind))
    return Touch(
        id=f"T{index:03d}",
        kind=kind,
        instant=T0 + draw(offsets),
        customer_key=draw(st.sampled_from(CUSTOMERS)),
        partner_id=None if outside else draw(st.sampled_from(PARTNERS)),
        channel=draw(st.sampled_from(CHANNELS)) if outside else None,
        link_id=draw(st.sampled_from([None, "LEA10", "SAVE5"]))
        if kind is TouchKind.PROMO_CODE
        else None,
    )


@st.composite
def conversions(draw: st.DrawFn, index: int) -> Conversion:
    """One sale or lead by one of a few customers."""
    return Conversion(
        id=f"C{index:03d}",
        instant=T0 + draw(offsets) + timedelta(days=draw(st.integers(0, 5))),
        customer_key=draw(st.sampled_from(CUSTOMERS)),
        revenue=Money.from_minor(draw(st.integers(min_value=0, max_value=100_000)), "EUR"),
        promo_code=draw(st.sampled_from([None, None, "LEA10", "SAVE5"])),
        click_id=draw(st.sampled_from([None, None, None, "T000", "T001"])),
    )


@st.composite
def journeys(draw: st.DrawFn) -> list[Touch | Conversion]:
    """A batch of touches and conversions of a few customers."""
    n_touches = draw(st.integers(min_value=0, max_value=12))
    n_conversions = draw(st.integers(min_value=1, max_value=5))
    events: list[Touch | Conversion] = [draw(touches(i)) for i in range(n_touches)]
    events += [draw(conversions(i)) for i in range(n_conversions)]
    return events
