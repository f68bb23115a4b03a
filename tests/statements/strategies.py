"""Builders and Hypothesis strategies shared by the commission engine tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import InfluencerFee
from hybridroi.domain.partners import Affiliate, Content, Influencer
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.tiers import Band
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.statements.engine import price_credits
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 31, tzinfo=UTC)


def eur(amount: str | int | Decimal) -> Money:
    return Money(amount, "EUR")


def at(day: int, month: int = 1, hour: int = 12) -> datetime:
    """An instant in 2026 (UTC)."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


def campaign(
    *deals: AffiliateDeal,
    partners: Sequence[str] = ("A",),
    fees: Sequence[InfluencerFee] = (),
    contents: Sequence[Content] = (),
    fx: FxRates | None = None,
    timezone: str = "Europe/Paris",
) -> Campaign:
    people = [
        Influencer(id=p, name=p) if p.startswith("I") else Affiliate(id=p, name=p) for p in partners
    ]
    return Campaign(
        id="spring",
        name="Spring",
        currency="EUR",
        timezone=timezone,
        start=START,
        end=END,
        partners=people,
        deals=deals,
        fees=fees,
        contents=contents,
        fx=fx if fx is not None else FxRates(),
    )


def sale(
    conversion_id: str,
    instant: datetime,
    revenue: str | Money,
    **fields: object,
) -> Conversion:
    amount = revenue if isinstance(revenue, Money) else eur(revenue)
    return Conversion(
        id=conversion_id,
        instant=instant,
        customer_key=f"cust-{conversion_id}",
        revenue=amount,
        **fields,  # type: ignore[arg-type]
    )


def credit(
    conversion: Conversion,
    partner_id: str = "A",
    share: Fraction = Fraction(1),
    content_id: str | None = None,
) -> Credit:
    return Credit(
        conversion_id=conversion.id,
        partner_id=partner_id,
        share=share,
        role=CreditRole.SOLE if share == 1 else CreditRole.ASSIST,
        touch_id=f"touch-{conversion.id}-{partner_id}",
        content_id=content_id,
        revenue=conversion.revenue,
        reason="test credit",
    )


def run(
    the_campaign: Campaign,
    conversions: Sequence[Conversion],
    refunds: Sequence[Refund] = (),
    *,
    credits: Iterable[Credit] | None = None,
    touches: Sequence[Touch] = (),
    as_of: datetime = AS_OF,
    views: dict[str, int] | None = None,
) -> StatementRun:
    given = tuple(credits) if credits is not None else tuple(credit(c) for c in conversions)
    # A batch holds only refunds of its own conversions; check_events reports any other
    # refund as an unknown sale, in the problems the attribution passes on.
    known = {conversion.id for conversion in conversions}
    strays = tuple(
        Problem(
            kind=ProblemKind.UNKNOWN_SALE,
            subject=f"refund:{refund.id}",
            field="conversion_id",
            message=f"conversion {refund.conversion_id!r} is not in the batch",
        )
        for refund in refunds
        if refund.conversion_id not in known
    )
    attribution = AttributionResult(credits=given, unattributed=(), problems=strays)
    batch = EventBatch(
        conversions=conversions,
        refunds=[refund for refund in refunds if refund.conversion_id in known],
        touches=touches,
    )
    return price_credits(the_campaign, attribution, batch, as_of=as_of, views=views)


def lines(result: StatementRun, partner_id: str = "A") -> dict[str, StatementLine]:
    """Every line of a partner, by key."""
    return {
        line.key: line
        for statement in result.statements
        if statement.partner_id == partner_id
        for line in statement.lines
    }


def amounts(result: StatementRun, partner_id: str = "A") -> dict[str, Decimal]:
    return {key: line.amount.amount for key, line in lines(result, partner_id).items()}


def statement(result: StatementRun, label: str, partner_id: str = "A") -> Statement:
    for item in result.statements:
        if item.partner_id == partner_id and item.period.label == label:
            return item
    raise KeyError(label)


def commissions(result: StatementRun, partner_id: str = "A") -> Decimal:
    return sum(
        (
            line.amount.amount
            for line in lines(result, partner_id).values()
            if line.kind is LineKind.COMMISSION
        ),
        Decimal(0),
    )


# Strategies ------------------------------------------------------------------------------


def band_schedules(max_bands: int = 4) -> st.SearchStrategy[tuple[Band, ...]]:
    """Valid tier schedules: starts from 0, strictly increasing; rates between 0 and 1."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Band, ...]:
        count = draw(st.integers(min_value=1, max_value=max_bands))
        gaps = draw(
            st.lists(
                st.decimals(min_value="0.01", max_value=1000, places=2),
                min_size=count - 1,
                max_size=count - 1,
            )
        )
        rates = draw(
            st.lists(
                st.decimals(min_value=0, max_value=1, places=4), min_size=count, max_size=count
            )
        )
        starts = [Decimal(0)]
        for gap in gaps:
            starts.append(starts[-1] + gap)
        return tuple(Band(start=s, rate=r) for s, r in zip(starts, rates, strict=True))

    return build()


quantities = st.decimals(min_value=0, max_value=5000, places=3)


@st.composite
def sales_batches(
    draw: st.DrawFn, max_size: int = 12, *, months: int = 2
) -> list[tuple[Conversion, Refund | None]]:
    """Sales in EUR over the first months of 2026, some partly or fully refunded."""
    size = draw(st.integers(min_value=1, max_value=max_size))
    result = []
    for index in range(size):
        seconds = draw(st.integers(min_value=0, max_value=months * 28 * 86400))
        cents = draw(st.integers(min_value=0, max_value=200_000))
        conversion = sale(
            f"S{index:03d}", START + timedelta(seconds=seconds), Money.from_minor(cents, "EUR")
        )
        refund = None
        if cents and draw(st.booleans()):
            back = draw(st.integers(min_value=1, max_value=cents))
            refund = Refund(
                id=f"R{index:03d}",
                conversion_id=conversion.id,
                instant=conversion.instant + timedelta(days=3),
                amount=Money.from_minor(back, "EUR"),
            )
        result.append((conversion, refund))
    return result


@st.composite
def click_batches(
    draw: st.DrawFn, max_size: int = 30, *, months: int = 2, partner_id: str = "A"
) -> list[Touch]:
    """Clicks of a partner over the first months of 2026."""
    size = draw(st.integers(min_value=0, max_value=max_size))
    return [
        Touch(
            id=f"K{index:03d}",
            kind=TouchKind.CLICK,
            instant=START + timedelta(seconds=draw(st.integers(0, months * 28 * 86400))),
            customer_key=f"visitor-{index}",
            partner_id=partner_id,
        )
        for index in range(size)
    ]
