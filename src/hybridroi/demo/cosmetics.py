"""A realistic example: a French direct-to-consumer cosmetics brand's spring campaign.

Maison Lumière sells skincare, make-up and fragrance online, in euros, on
Paris time. For three months it works with six partners:

============  =========================  =========================================
partner       where                      deal
============  =========================  =========================================
Camille       TikTok, 420k followers     hybrid: EUR 3,000 fee + 10% commission
Inès          Instagram, 180k followers  pure fee: EUR 1,200 per post, 3 posts
Théo          YouTube, 250k subscribers  hybrid: EUR 5,000 fee + 8% commission
Lucie         Instagram, 45k followers   pure commission: 15%
Le Blog       a beauty blog              pure commission: 12%, bonus, network fee
Bons Plans    a coupon site              pure commission: 5% and a network fee
============  =========================  =========================================

plus extra costs: product seeding, an agency fee, video production and paid
boosts of Camille's videos.

:func:`demo_data` generates the campaign's events from a fixed seed: about
50,000 touches, sales (with line items) and refunds, and weekly content
statistics. The same seed always gives the same events; the generator is pure
(it uses its own ``random.Random``, never the clock). ``hybridroi demo`` reports
them through :func:`hybridroi.run`:

>>> from hybridroi import run
>>> data = demo_data(size=500)
>>> result = run(data.campaign, data.events, as_of=data.as_of, stats=data.stats,
...              margin=data.margin)
>>> result.report.total.figures.costs.fees
Money('11600.00', 'EUR')
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding
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
from hybridroi.domain.rules import NetworkFee, PercentRate, ThresholdBonus
from hybridroi.domain.tiers import TierBasis
from hybridroi.events.records import Conversion, Event, LineItem, Refund, RefundKind, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.report.report import GrossMargin

__all__ = [
    "DEMO_AS_OF",
    "DEMO_MARGIN",
    "DEMO_SEED",
    "DEMO_SIZE",
    "DemoData",
    "demo_campaign",
    "demo_data",
]

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 1, tzinfo=PARIS)
END = datetime(2026, 6, 1, tzinfo=PARIS)
DEMO_AS_OF = END
"""The instant the demo report is computed as of: the end of the campaign."""
DEMO_SEED = 2026
"""The fixed seed of the demo's events."""
DEMO_SIZE = 50_000
"""About how many events the demo generates."""
DEMO_MARGIN = GrossMargin(
    campaign=Decimal("0.70"),
    by_category={
        "skincare": Decimal("0.78"),
        "makeup": Decimal("0.72"),
        "fragrance": Decimal("0.62"),
    },
)
"""Gross margins of the demo brand: by category, 70% for anything else."""


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=PARIS)


# (sku, category, unit price)
_CATALOGUE = (
    ("SERUM-ECLAT-30", "skincare", "39.00"),
    ("CREME-NUIT-50", "skincare", "45.00"),
    ("MASQUE-ARGILE", "skincare", "19.00"),
    ("FOND-TEINT-LUM", "makeup", "32.00"),
    ("ROUGE-VELOURS", "makeup", "24.00"),
    ("MASCARA-VOLUME", "makeup", "21.00"),
    ("EAU-DE-PARFUM-50", "fragrance", "68.00"),
)


def _content(
    content_id: str, partner_id: str, platform: Platform, fmt: ContentFormat, when: datetime
) -> Content:
    return Content(
        id=content_id, partner_id=partner_id, platform=platform, format=fmt, published_at=when
    )


def demo_campaign() -> Campaign:
    """The Maison Lumière spring campaign: partners, content, fees, deals and extra costs.

    Returns:
        The campaign.
    """
    tiktok, instagram, youtube, blog = (
        Platform.TIKTOK,
        Platform.INSTAGRAM,
        Platform.YOUTUBE,
        Platform.BLOG,
    )
    short, photo, long, article = (
        ContentFormat.SHORT_VIDEO,
        ContentFormat.PHOTO,
        ContentFormat.LONG_VIDEO,
        ContentFormat.ARTICLE,
    )
    return Campaign(
        id="lumiere-spring-2026",
        name="Maison Lumière - Spring glow 2026",
        currency="EUR",
        timezone="Europe/Paris",
        start=START,
        end=END,
        budget=_eur("60000.00"),
        partners=(
            Influencer(
                id="camille",
                name="Camille Glow",
                accounts=(Account(platform=tiktok, handle="@camille.glow", audience=420_000),),
            ),
            Influencer(
                id="ines",
                name="Inès Beauté",
                accounts=(Account(platform=instagram, handle="@ines.beaute", audience=180_000),),
            ),
            Influencer(
                id="theo",
                name="Théo Skincare",
                accounts=(Account(platform=youtube, handle="@theoskincare", audience=250_000),),
            ),
            Influencer(
                id="lucie",
                name="Lucie Makeup",
                accounts=(Account(platform=instagram, handle="@lucie.makeup", audience=45_000),),
            ),
            Affiliate(
                id="leblog",
                name="Le Blog Beauté",
                kind=AffiliateKind.CONTENT,
                website="https://leblogbeaute.example",
            ),
            Affiliate(
                id="bonsplans",
                name="Bons Plans Beauté",
                kind=AffiliateKind.COUPON,
                website="https://bonsplans.example",
            ),
        ),
        contents=(
            _content("camille-tt-1", "camille", tiktok, short, _at(3, 3, 18)),
            _content("camille-tt-2", "camille", tiktok, short, _at(3, 24, 18)),
            _content("camille-tt-3", "camille", tiktok, short, _at(4, 21, 18)),
            _content("ines-ig-1", "ines", instagram, photo, _at(3, 5, 19)),
            _content("ines-ig-2", "ines", instagram, short, _at(4, 2, 19)),
            _content("ines-ig-3", "ines", instagram, photo, _at(5, 7, 19)),
            _content("theo-yt-1", "theo", youtube, long, _at(3, 12, 17)),
            _content("theo-yt-2", "theo", youtube, short, _at(4, 16, 17)),
            _content("lucie-ig-1", "lucie", instagram, short, _at(3, 9, 20)),
            _content("lucie-ig-2", "lucie", instagram, short, _at(4, 13, 20)),
            _content("leblog-1", "leblog", blog, article, _at(3, 2, 8)),
            _content("leblog-2", "leblog", blog, article, _at(4, 6, 8)),
        ),
        fees=(
            InfluencerFee(
                id="fee-camille",
                partner_id="camille",
                kind=FeeKind.ONE_OFF,
                amount=_eur("3000.00"),
                due=_at(3, 2, 9),
                description="3 TikTok videos",
            ),
            InfluencerFee(
                id="fee-ines",
                partner_id="ines",
                kind=FeeKind.PER_DELIVERABLE,
                amount=_eur("1200.00"),
                max_deliverables=3,
                description="EUR 1,200 per Instagram post",
            ),
            InfluencerFee(
                id="fee-theo",
                partner_id="theo",
                kind=FeeKind.ONE_OFF,
                amount=_eur("5000.00"),
                due=_at(3, 10, 9),
                description="YouTube review and a Short",
            ),
        ),
        deals=(
            AffiliateDeal(
                id="deal-camille",
                partner_id="camille",
                rules=(PercentRate(id="camille-10pct", rate=Decimal("0.10")),),
            ),
            AffiliateDeal(
                id="deal-theo",
                partner_id="theo",
                rules=(PercentRate(id="theo-8pct", rate=Decimal("0.08")),),
            ),
            AffiliateDeal(
                id="deal-lucie",
                partner_id="lucie",
                rules=(PercentRate(id="lucie-15pct", rate=Decimal("0.15")),),
            ),
            AffiliateDeal(
                id="deal-leblog",
                partner_id="leblog",
                rules=(
                    PercentRate(id="leblog-12pct", rate=Decimal("0.12")),
                    ThresholdBonus(
                        id="leblog-bonus",
                        metric=TierBasis.REVENUE,
                        threshold=Decimal(8000),
                        amount=_eur("300.00"),
                    ),
                    NetworkFee(id="leblog-network", rate=Decimal("0.20")),
                ),
            ),
            AffiliateDeal(
                id="deal-bonsplans",
                partner_id="bonsplans",
                rules=(
                    PercentRate(id="bonsplans-5pct", rate=Decimal("0.05")),
                    NetworkFee(id="bonsplans-network", rate=Decimal("0.25")),
                ),
            ),
        ),
        extra_costs=(
            ExtraCost(
                id="seeding",
                kind=ExtraCostKind.PRODUCT_SEEDING,
                amount=_eur("1840.00"),
                incurred_at=_at(3, 1, 10),
                description="PR boxes for the four creators",
            ),
            ExtraCost(
                id="agency",
                kind=ExtraCostKind.AGENCY_FEE,
                amount=_eur("4500.00"),
                incurred_at=_at(3, 1, 10),
                description="Talent agency: casting and campaign management",
            ),
            ExtraCost(
                id="production-theo",
                kind=ExtraCostKind.PRODUCTION,
                amount=_eur("2200.00"),
                incurred_at=_at(3, 11, 10),
                partner_id="theo",
                description="Studio and editing for the YouTube review",
            ),
            ExtraCost(
                id="boost-camille",
                kind=ExtraCostKind.PAID_BOOST,
                amount=_eur("3500.00"),
                incurred_at=_at(3, 25, 10),
                partner_id="camille",
                description="Spark Ads on Camille's videos",
            ),
        ),
    )


@attrs.frozen(kw_only=True)
class DemoData:
    """The demo's campaign, events and content statistics.

    Attributes:
        campaign: The campaign.
        events: Touches, conversions and refunds, in time order.
        stats: Weekly cumulative statistics of every piece of content.
        as_of: The instant to compute the report as of.
        margin: The brand's gross margins.
    """

    campaign: Campaign
    events: tuple[Event, ...]
    stats: tuple[ContentStats, ...]
    as_of: datetime
    margin: GrossMargin


# Where journeys start, with the chance that a journey ends in an order.
_ENTRY = (
    ("camille", 32, Decimal("0.055")),
    ("ines", 15, Decimal("0.045")),
    ("theo", 17, Decimal("0.070")),
    ("lucie", 11, Decimal("0.060")),
    ("leblog", 15, Decimal("0.080")),
    ("bonsplans", 10, Decimal("0.100")),
)
_INFLUENCERS = {"camille", "ines", "theo", "lucie"}


class _Generator:
    def __init__(self, campaign: Campaign, seed: int) -> None:
        self.rng = random.Random(seed)
        self.campaign = campaign
        self.contents: dict[str, list[Content]] = {}
        for content in campaign.contents:
            self.contents.setdefault(content.partner_id, []).append(content)
        self.events: list[Event] = []
        self.touches = 0
        self.orders = 0
        self.refunds = 0
        self.customers = 0

    def touch(
        self, kind: TouchKind, instant: datetime, customer: str, partner: str, content: str | None
    ) -> None:
        self.touches += 1
        self.events.append(
            Touch(
                id=f"T{self.touches:06d}",
                kind=kind,
                instant=instant,
                customer_key=customer,
                partner_id=partner,
                content_id=content,
            )
        )

    def order(self, instant: datetime, customer: str) -> None:
        rng = self.rng
        self.orders += 1
        lines = []
        for sku, category, price in rng.sample(_CATALOGUE, rng.choice((1, 1, 1, 2, 2, 3))):
            quantity = Decimal(rng.choice((1, 1, 1, 2)))
            lines.append(
                LineItem(sku=sku, quantity=quantity, unit_price=_eur(price), category=category)
            )
        subtotal = Money.sum((line.net for line in lines), "EUR")
        discount = (subtotal * Decimal("0.10")).round(rounding=Rounding.HALF_UP)
        revenue = subtotal - discount
        conversion = Conversion(
            id=f"ML-{self.orders:05d}",
            instant=instant,
            customer_key=customer,
            revenue=revenue,
            discount=discount,
            new_customer=rng.random() < 0.68,
            items=tuple(lines),
            country=rng.choice(("FR", "FR", "FR", "FR", "BE", "CH")),
        )
        self.events.append(conversion)
        if rng.random() < 0.07:
            self.refund(conversion)

    def refund(self, conversion: Conversion) -> None:
        rng = self.rng
        instant = conversion.instant + timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 23))
        if instant >= DEMO_AS_OF:
            return
        self.refunds += 1
        whole = rng.random() < 0.6 or len(conversion.items) == 1
        amount = conversion.revenue
        if not whole:
            amount = (conversion.revenue * Decimal("0.5")).round(rounding=Rounding.HALF_UP)
        self.events.append(
            Refund(
                id=f"RF-{self.refunds:05d}",
                conversion_id=conversion.id,
                instant=instant,
                amount=amount,
                kind=RefundKind.REFUND if rng.random() < 0.9 else RefundKind.CHARGEBACK,
            )
        )

    def instant_after(self, earliest: datetime) -> datetime:
        """A random instant between ``earliest`` and the campaign's end, early-weighted."""
        span = (END - timedelta(days=1) - earliest).total_seconds()
        # Attention decays after publication: most views come in the first weeks.
        fraction = min(1.0, self.rng.expovariate(1 / 0.25))
        return earliest + timedelta(seconds=int(span * fraction))

    def journey(self) -> None:
        rng = self.rng
        self.customers += 1
        customer = f"cust-{self.customers:06d}"
        partners = [entry[0] for entry in _ENTRY]
        weights = [entry[1] for entry in _ENTRY]
        partner = rng.choices(partners, weights)[0]
        chance = next(entry[2] for entry in _ENTRY if entry[0] == partner)
        contents = self.contents.get(partner, [])
        content = rng.choice(contents) if contents else None
        start = content.published_at if content else START
        instant = self.instant_after(start)
        content_id = content.id if content else None
        if partner in _INFLUENCERS:
            self.touch(TouchKind.VIEW, instant, customer, partner, content_id)
            if rng.random() < 0.45:
                instant += timedelta(minutes=rng.randint(1, 30))
                self.touch(TouchKind.CLICK, instant, customer, partner, content_id)
            else:
                chance = chance / 3
        else:
            self.touch(TouchKind.CLICK, instant, customer, partner, content_id)
        if Decimal(str(rng.random())) >= chance * 2:
            return
        buy = instant + timedelta(minutes=rng.randint(5, 60 * 20))
        if partner in _INFLUENCERS and rng.random() < 0.3:
            # Influence creates the desire; a coupon site closes the sale.
            closing = buy - timedelta(minutes=rng.randint(1, 20))
            self.touch(TouchKind.CLICK, closing, customer, "bonsplans", None)
        if buy < END:
            self.order(buy, customer)

    def stats(self) -> list[ContentStats]:
        audience = {
            partner.id: sum(a.audience for a in partner.accounts)
            for partner in self.campaign.partners
            if isinstance(partner, Influencer)
        }
        result = []
        for content in self.campaign.contents:
            base = audience.get(content.partner_id, 60_000)
            reach_total = int(base * self.rng.uniform(0.6, 1.4))
            views_total = int(reach_total * self.rng.uniform(1.2, 1.9))
            week = content.published_at
            while week + timedelta(days=7) <= DEMO_AS_OF:
                week += timedelta(days=7)
                age = (week - content.published_at).days / 7
                grown = 1 - math.exp(-age / 1.5)
                views = int(views_total * grown)
                result.append(
                    ContentStats(
                        content_id=content.id,
                        as_of=week,
                        views=views,
                        reach=int(reach_total * grown),
                        likes=views * 48 // 1000,
                        comments=views * 4 // 1000,
                        shares=views * 6 // 1000,
                        saves=views * 9 // 1000,
                    )
                )
        return result


def demo_data(*, seed: int = DEMO_SEED, size: int = DEMO_SIZE) -> DemoData:
    """Generate the demo's events and statistics from a seed.

    Args:
        seed: The seed; the same seed always gives the same data.
        size: About how many events to generate (>= 1): journeys are added
            until the events reach this number.

    Returns:
        The campaign, its events in time order, its content statistics, the
        as-of instant and the gross margins.

    Raises:
        InvalidValueError: If ``size`` is not a positive integer.
    """
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise InvalidValueError("size", size, "a number of events >= 1")
    campaign = demo_campaign()
    generator = _Generator(campaign, seed)
    while len(generator.events) < size:
        generator.journey()
    events = sorted(generator.events, key=lambda e: (e.instant, e.id))
    return DemoData(
        campaign=campaign,
        events=tuple(events),
        stats=tuple(generator.stats()),
        as_of=DEMO_AS_OF,
        margin=DEMO_MARGIN,
    )
