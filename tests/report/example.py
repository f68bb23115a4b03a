"""A small hybrid campaign whose report is computed by hand in the tests.

Partners: Léa (influencer, TikTok, 100,000 followers, fixed fee only), Hugo
(influencer, YouTube, 50,000 subscribers, fee plus commission: hybrid) and
Coupons (a coupon affiliate, commission only). The statements are written by
hand, line by line, as the commission engine would price them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
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
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Event, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

PARIS = ZoneInfo("Europe/Paris")


def at(month: int, day: int, hour: int = 12) -> datetime:
    """An instant in March or April 2026, Paris time."""
    return datetime(2026, month, day, hour, tzinfo=PARIS)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def campaign() -> Campaign:
    return Campaign(
        id="spring",
        name="Spring glow",
        currency="EUR",
        timezone="Europe/Paris",
        start=datetime(2026, 3, 1, tzinfo=PARIS),
        end=datetime(2026, 5, 1, tzinfo=PARIS),
        partners=(
            Influencer(
                id="lea",
                name="Léa",
                accounts=(Account(platform=Platform.TIKTOK, handle="@lea", audience=100_000),),
            ),
            Influencer(
                id="hugo",
                name="Hugo",
                accounts=(Account(platform=Platform.YOUTUBE, handle="@hugo", audience=50_000),),
            ),
            Affiliate(id="coupons", name="Coupons", kind=AffiliateKind.COUPON),
        ),
        contents=(
            Content(
                id="lea-tt-1",
                partner_id="lea",
                platform=Platform.TIKTOK,
                format=ContentFormat.SHORT_VIDEO,
                published_at=at(3, 5),
            ),
            Content(
                id="hugo-yt-1",
                partner_id="hugo",
                platform=Platform.YOUTUBE,
                format=ContentFormat.LONG_VIDEO,
                published_at=at(3, 10),
            ),
        ),
        fees=(
            InfluencerFee(
                id="fee-lea",
                partner_id="lea",
                kind=FeeKind.ONE_OFF,
                amount=eur("1000"),
                due=at(3, 5),
            ),
            InfluencerFee(
                id="fee-hugo",
                partner_id="hugo",
                kind=FeeKind.ONE_OFF,
                amount=eur("500"),
                due=at(3, 10),
            ),
        ),
        deals=(
            AffiliateDeal(id="deal-coupons", partner_id="coupons"),
            AffiliateDeal(id="deal-hugo", partner_id="hugo"),
        ),
        extra_costs=(
            ExtraCost(
                id="agency", kind=ExtraCostKind.AGENCY_FEE, amount=eur("300"), incurred_at=at(3, 1)
            ),
            ExtraCost(
                id="seeding-lea",
                kind=ExtraCostKind.PRODUCT_SEEDING,
                amount=eur("100"),
                incurred_at=at(3, 2),
                partner_id="lea",
            ),
        ),
    )


def events() -> list[Touch | Conversion | Refund]:
    return [
        Touch(
            id="t1",
            kind=TouchKind.VIEW,
            instant=at(3, 6),
            customer_key="k1",
            partner_id="lea",
            content_id="lea-tt-1",
        ),
        Touch(
            id="t2",
            kind=TouchKind.CLICK,
            instant=at(3, 7, 9),
            customer_key="k1",
            partner_id="coupons",
        ),
        Touch(
            id="t3",
            kind=TouchKind.CLICK,
            instant=at(3, 11),
            customer_key="k2",
            partner_id="hugo",
            content_id="hugo-yt-1",
        ),
        Touch(
            id="t4",
            kind=TouchKind.CLICK,
            instant=at(4, 2, 9),
            customer_key="k3",
            partner_id="coupons",
        ),
        Touch(
            id="t5",
            kind=TouchKind.CLICK,
            instant=at(4, 3),
            customer_key="k4",
            partner_id="hugo",
            content_id="hugo-yt-1",
        ),
        Touch(
            id="t6",
            kind=TouchKind.CLICK,
            instant=at(4, 3),
            customer_key="k4",
            channel="paid_search",
        ),
        Conversion(
            id="s1", instant=at(3, 7, 10), customer_key="k1", revenue=eur("200"), new_customer=True
        ),
        Conversion(
            id="s2", instant=at(3, 12), customer_key="k2", revenue=eur("150"), new_customer=False
        ),
        Conversion(
            id="s3", instant=at(4, 2, 10), customer_key="k3", revenue=eur("90"), new_customer=True
        ),
        Conversion(
            id="s4", instant=at(4, 5), customer_key="k5", revenue=eur("60"), new_customer=False
        ),
        Refund(id="r1", conversion_id="s2", instant=at(4, 10), amount=eur("50")),
    ]


def stats() -> list[ContentStats]:
    return [
        ContentStats(
            content_id="lea-tt-1",
            as_of=at(3, 10),
            views=10_000,
            likes=500,
            comments=50,
            shares=20,
            saves=30,
        ),
        ContentStats(
            content_id="lea-tt-1",
            as_of=at(4, 10),
            views=30_000,
            likes=1_500,
            comments=100,
            shares=60,
            saves=40,
        ),
        ContentStats(
            content_id="hugo-yt-1",
            as_of=at(4, 1),
            views=5_000,
            likes=200,
            comments=40,
            shares=5,
            saves=5,
        ),
    ]


def credits() -> tuple[Credit, ...]:
    half = Fraction(1, 2)
    return (
        Credit(
            conversion_id="s1",
            partner_id="coupons",
            share=half,
            role=CreditRole.CLOSER,
            touch_id="t2",
            content_id=None,
            revenue=eur("100"),
            reason="last click",
        ),
        Credit(
            conversion_id="s1",
            partner_id="lea",
            share=half,
            role=CreditRole.INTRODUCER,
            touch_id="t1",
            content_id="lea-tt-1",
            revenue=eur("100"),
            reason="first touch",
        ),
        Credit(
            conversion_id="s2",
            partner_id="hugo",
            share=Fraction(1),
            role=CreditRole.SOLE,
            touch_id="t3",
            content_id="hugo-yt-1",
            revenue=eur("150"),
            reason="click",
        ),
        Credit(
            conversion_id="s3",
            partner_id="coupons",
            share=Fraction(1),
            role=CreditRole.SOLE,
            touch_id="t4",
            content_id=None,
            revenue=eur("90"),
            reason="click",
        ),
    )


def _line(
    key: str, kind: LineKind, amount: str, earned_at: datetime, *sources: str
) -> StatementLine:
    return StatementLine(
        key=key,
        kind=kind,
        amount=eur(amount),
        rule_id="R",
        explanation=key,
        earned_at=earned_at,
        source_ids=sources,
    )


def _statement(partner_id: str, month: int, *lines: StatementLine) -> Statement:
    return Statement(
        partner_id=partner_id,
        period=period_of(at(month, 15), PeriodKind.MONTH, "Europe/Paris"),
        currency="EUR",
        lines=tuple(sorted(lines, key=lambda line: line.key)),
    )


AS_OF = datetime(2026, 5, 1, tzinfo=PARIS)


def run() -> StatementRun:
    return StatementRun(
        as_of=AS_OF,
        statements=(
            _statement(
                "coupons",
                3,
                _line("commission:s1", LineKind.COMMISSION, "8.00", at(3, 7, 10), "s1"),
                _line("network:s1", LineKind.NETWORK_FEE, "2.40", at(3, 7, 10), "s1"),
            ),
            _statement(
                "coupons",
                4,
                _line("commission:s3", LineKind.COMMISSION, "7.20", at(4, 2, 10), "s3"),
                _line("network:s3", LineKind.NETWORK_FEE, "2.16", at(4, 2, 10), "s3"),
                _line("bonus", LineKind.BONUS, "20.00", at(4, 30)),
            ),
            _statement(
                "hugo",
                3,
                _line("fee:fee-hugo", LineKind.FEE, "500.00", at(3, 10), "fee-hugo"),
                # 10% of s2: 150 x 10% = 15.00 when sold; the refund of 50 on 10 April
                # reprices the line in the sale's period: (150 - 50) x 10% = 10.00.
                _line("commission:s2", LineKind.COMMISSION, "10.00", at(3, 12), "s2", "r1"),
            ),
            _statement(
                "lea", 3, _line("fee:fee-lea", LineKind.FEE, "1000.00", at(3, 5), "fee-lea")
            ),
        ),
        attribution=AttributionResult(credits=credits(), unattributed=("s4",), problems=()),
        problems=(),
    )


def with_events(
    run: StatementRun,
    given: Iterable[Event] | None = None,
    *,
    checked_for: Campaign | None = None,
) -> StatementRun:
    """``run`` as compute_statements gives it: with its checked events and their problems.

    The events (``events()`` unless given) are checked for ``checked_for`` (the
    example campaign unless given), as the commission engine checks them.
    """
    batch = check_events(checked_for or campaign(), events() if given is None else given)
    return attrs.evolve(run, batch=batch, problems=(*run.problems, *batch.problems))
