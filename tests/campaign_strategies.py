"""Random campaigns that use every kind of rule, with events around a month boundary.

One builder, :func:`build_scenario`, makes a campaign, its events, its content
statistics and an as-of instant from a source of choices. Hypothesis drives it in
:func:`scenarios` (so failures shrink); a seeded :class:`random.Random` drives it in
:class:`SeededChoices`, so that a test can check, deterministically, that the builder
reaches every kind listed in :func:`every_kind`. The kinds a scenario uses are read
back from the campaign by :func:`kinds_of`, not recorded while building, so the
coverage claim is about what the campaign holds.

The events are valid records: conversions carry no line items (tables hold none),
instants are timezone-aware and fall in the twenty days around the first of a month
in the campaign's time zone, across a change of clocks in most zones drawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from hybridroi.core.money import Money, Rounding, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.conditions import (
    CONDITION_TYPES,
    ITEM_CONDITION_TYPES,
    CategoryIn,
    Condition,
    ContentFormatIn,
    ContentPlatformIn,
    CountryIn,
    CustomerIs,
    OrderValue,
    PromoCodeUsed,
    SkuIn,
)
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import ExtraCost, ExtraCostKind, FeeKind, InfluencerFee
from hybridroi.domain.partners import (
    Affiliate,
    AffiliateKind,
    Content,
    ContentFormat,
    Influencer,
    Partner,
    Platform,
)
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    DataDriven,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
    TouchKind,
)
from hybridroi.domain.rules import (
    RULE_TYPES,
    Cap,
    CapScope,
    CommissionBase,
    CpmAccrual,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RateRule,
    RateScope,
    RecoverableDraw,
    RecurringRate,
    Rule,
    SubAffiliateOverride,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    Event,
    Refund,
    RefundKind,
    Touch,
)
from hybridroi.events.stats import ContentStats

__all__ = [
    "Choices",
    "Scenario",
    "SeededChoices",
    "build_scenario",
    "every_kind",
    "kinds_of",
    "scenarios",
]

_T = TypeVar("_T")

# Zones whose clocks change near the first of April 2026 (or not at all): the events
# cross a month boundary, and in most zones a change of clocks too.
ZONES = ("Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
CUSTOMERS = tuple(f"c{index}" for index in range(6))
CHANNELS = ("email", "paid_search")
COUNTRIES = ("FR", "DE", "US")
RATES = ("0.05", "0.1", "0.125", "0.2", "0.333")
AMOUNTS = ("0.50", "2.5", "2.505", "7.0049", "12")
EXTRA_PERIOD_KINDS = (PeriodKind.MONTH, PeriodKind.WEEK, PeriodKind.DAY)
MODELS: tuple[type, ...] = (
    LastTouch,
    FirstTouch,
    Linear,
    PositionBased,
    TimeDecay,
    IntroducerCloser,
    DataDriven,
)


class Choices(Protocol):
    """A source of choices: Hypothesis' draws, or a seeded random generator."""

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""

    def pick(self, options: Sequence[_T]) -> _T:
        """One of ``options`` (not empty)."""

    def chance(self, percent: int) -> bool:
        """True about ``percent`` times in a hundred."""


class _Drawn:
    """Choices drawn by Hypothesis, so that a failing scenario shrinks."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(min_value=low, max_value=high))

    def pick(self, options: Sequence[_T]) -> _T:
        return self._draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self._draw(st.integers(min_value=0, max_value=99)) < percent


class SeededChoices:
    """Choices from a seeded :class:`random.Random`: the same seed, the same scenario."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return self._random.randint(low, high)

    def pick(self, options: Sequence[_T]) -> _T:
        """One of ``options``."""
        return self._random.choice(options)

    def chance(self, percent: int) -> bool:
        """True about ``percent`` times in a hundred."""
        return self._random.randrange(100) < percent


@attrs.frozen(kw_only=True)
class Scenario:
    """A campaign and what happened in it.

    Attributes:
        campaign: The campaign.
        events: Touches, conversions and refunds, in the order drawn.
        stats: Content statistics (tables do not hold them; both paths get them).
        as_of: The instant to run as of.
    """

    campaign: Campaign
    events: tuple[Event, ...]
    stats: tuple[ContentStats, ...]
    as_of: datetime


class _Clock:
    """Instants in the twenty days around the first of April in one zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.boundary = datetime(2026, 4, 1, tzinfo=self.zone)
        self.first = self.boundary - timedelta(days=10)

    def instant(self, choices: Choices, *, days: int = 20) -> datetime:
        """An instant ``days`` at most after the first, in UTC or in the zone."""
        seconds = choices.integer(0, days * 86_400)
        micros = choices.pick((0, 0, 0, 1, 500_000))
        moment = (self.first + timedelta(seconds=seconds, microseconds=micros)).astimezone(UTC)
        return moment.astimezone(self.zone) if choices.chance(30) else moment


def _eur(amount: str | int) -> Money:
    return Money(amount, "EUR")


def _partners(choices: Choices) -> list[Partner]:
    partners: list[Partner] = []
    for index in range(choices.integer(2, 5)):
        partner_id = f"p{index}"
        codes = (f"CODE{index}",) if choices.chance(50) else ()
        windows = (
            {"click": choices.pick(("7 days", "1 day", "12 hours"))} if choices.chance(25) else {}
        )
        keys = (CUSTOMERS[index],) if choices.chance(15) else ()
        if choices.chance(50):
            partners.append(
                Influencer(
                    id=partner_id,
                    name=f"Creator {index}",
                    promo_codes=codes,
                    windows=windows,
                    customer_keys=keys,
                )
            )
        else:
            partners.append(
                Affiliate(
                    id=partner_id,
                    name=f"Affiliate {index}",
                    kind=choices.pick(tuple(AffiliateKind)),
                    promo_codes=codes,
                    windows=windows,
                    customer_keys=keys,
                )
            )
    return partners


def _order_value(choices: Choices) -> Condition:
    low = choices.pick((None, "20", "100"))
    high = choices.pick((None, "150", "300")) if low is not None else "150"
    return OrderValue(
        minimum=None if low is None else _eur(low), maximum=None if high is None else _eur(high)
    )


def _promo_code_used(choices: Choices, partners: Sequence[Partner]) -> Condition:
    codes = [code.lower() for partner in partners for code in partner.promo_codes]
    return PromoCodeUsed(codes=(choices.pick(codes),) if codes and choices.chance(50) else ())


def _condition(choices: Choices, partners: Sequence[Partner]) -> Condition:
    kind = choices.pick(CONDITION_TYPES)
    builders: dict[type, Callable[[], Condition]] = {
        CustomerIs: lambda: CustomerIs(new=choices.chance(50)),
        CountryIn: lambda: CountryIn(countries=(choices.pick(COUNTRIES),)),
        PromoCodeUsed: lambda: _promo_code_used(choices, partners),
        OrderValue: lambda: _order_value(choices),
        ContentPlatformIn: lambda: ContentPlatformIn(
            platforms=(choices.pick((Platform.TIKTOK, Platform.YOUTUBE)),)
        ),
        ContentFormatIn: lambda: ContentFormatIn(
            formats=(choices.pick((ContentFormat.SHORT_VIDEO, ContentFormat.PHOTO)),)
        ),
        # Tables hold no line items: an item condition never matches, but the rule is valid.
        SkuIn: lambda: SkuIn(skus=("serum",)),
        CategoryIn: lambda: CategoryIn(categories=("skincare",)),
    }
    return builders[kind]()


def _bands(choices: Choices, basis: TierBasis, *, bonus: bool) -> tuple[Band, ...]:
    steps = (0, 2, 4) if basis is TierBasis.COUNT else (0, 100, 300)
    bands = []
    for start in steps[: choices.integer(1, 3)]:
        paid = _eur(choices.pick(("5.00", "0.01"))) if bonus and choices.chance(40) else None
        bands.append(Band(start=start, rate=Decimal(choices.pick(RATES)), bonus=paid))
    return tuple(bands)


def _rate_rule(
    choices: Choices, rule_id: str, partners: Sequence[Partner], clock: _Clock
) -> RateRule:
    conditions = tuple(_condition(choices, partners) for _ in range(choices.pick((0, 0, 1, 1, 2))))
    items = any(isinstance(condition, ITEM_CONDITION_TYPES) for condition in conditions)
    scope = RateScope.MATCHING_ITEMS if items and choices.chance(50) else RateScope.ORDER
    start = end = None
    if choices.chance(20):
        start = clock.boundary + timedelta(days=choices.integer(-3, 3))
        end = start + timedelta(days=choices.integer(1, 9)) if choices.chance(50) else None
    schedule: dict[str, Any] = {
        "effective_from": start,
        "effective_until": end,
        "conditions": conditions,
    }
    kind = choices.pick((PercentRate, FlatPerSale, FlatPerItem, PerLead, TieredRate, TieredRate))
    if kind is PercentRate:
        return PercentRate(id=rule_id, rate=Decimal(choices.pick(RATES)), scope=scope, **schedule)
    if kind is FlatPerSale:
        return FlatPerSale(
            id=rule_id, amount=UnroundedMoney(choices.pick(AMOUNTS), "EUR"), **schedule
        )
    if kind is FlatPerItem:
        return FlatPerItem(
            id=rule_id, amount=UnroundedMoney(choices.pick(AMOUNTS), "EUR"), **schedule
        )
    if kind is PerLead:
        return PerLead(id=rule_id, amount=_eur(choices.pick(("1.00", "3.50"))), **schedule)
    basis = choices.pick((TierBasis.COUNT, TierBasis.REVENUE))
    rolling = choices.integer(1, 10) if choices.chance(25) else None
    return TieredRate(
        id=rule_id,
        bands=_bands(choices, basis, bonus=rolling is None),
        mode=choices.pick(tuple(TierMode)),
        basis=basis,
        reset=choices.pick((PeriodKind.MONTH, PeriodKind.MONTH, *tuple(PeriodKind))),
        rolling_days=rolling,
        scope=scope,
        **schedule,
    )


def _period_rules(choices: Choices) -> list[Rule]:
    rules: list[Rule] = []
    if choices.chance(35):
        metric = choices.pick(tuple(TierBasis))
        threshold = {TierBasis.COUNT: "2", TierBasis.REVENUE: "150", TierBasis.COMMISSION: "10"}
        fixed = choices.chance(50)
        rules.append(
            ThresholdBonus(
                id="bonus",
                metric=metric,
                threshold=Decimal(threshold[metric]),
                amount=_eur("25.00") if fixed else None,
                rate=None if fixed else Decimal("0.1"),
            )
        )
    if choices.chance(30):
        rules.append(GuaranteedMinimum(id="minimum", amount=_eur(choices.pick(("10.00", "40.00")))))
    if choices.chance(30):
        rules.append(RecoverableDraw(id="draw", amount=_eur(choices.pick(("15.00", "60.00")))))
    if choices.chance(35):
        rules.append(NetworkFee(id="network", rate=Decimal(choices.pick(("0.3", "0.125")))))
    return rules


def _deal(
    choices: Choices, partner: Partner, partners: Sequence[Partner], clock: _Clock
) -> AffiliateDeal:
    rules: list[Rule] = [
        _rate_rule(choices, f"rate{index}", partners, clock)
        for index in range(choices.pick((0, 1, 1, 2, 3)))
    ]
    if choices.chance(35):
        unique = choices.pick((None, "1 hour", "1 day"))
        rules.append(
            PerClick(id="clicks", amount=UnroundedMoney("0.0125", "EUR"), unique_within=unique)
        )
    if choices.chance(35):
        rules.append(
            CpmViews(
                id="cpm",
                amount=_eur(choices.pick(("4.00", "0.75"))),
                accrual=choices.pick(tuple(CpmAccrual)),
            )
        )
    if choices.chance(30):
        rules.append(
            RecurringRate(
                id="repeat", rate=Decimal(choices.pick(RATES)), months=choices.integer(1, 3)
            )
        )
    for index in range(choices.pick((0, 0, 1, 2))):
        scope = choices.pick(tuple(CapScope))
        rules.append(
            Cap(
                id=f"cap{index}",
                scope=scope,
                amount=_eur(choices.pick(("3.00", "20.00", "80.00"))),
                period=choices.pick(EXTRA_PERIOD_KINDS),
            )
        )
    rules.extend(_period_rules(choices))
    others = [other.id for other in partners if other.id != partner.id]
    if others and choices.chance(35):
        children = tuple(other for other in others if choices.chance(60)) or (others[0],)
        rules.append(
            SubAffiliateOverride(
                id="override", children=children, share=Decimal(choices.pick(RATES))
            )
        )
    program = (_rate_rule(choices, "program", partners, clock),) if choices.chance(25) else ()
    return AffiliateDeal(
        id=f"deal-{partner.id}",
        partner_id=partner.id,
        rules=rules,
        precedence=choices.pick(tuple(Precedence)),
        program_rules=program,
        commission_base=choices.pick(tuple(CommissionBase)),
        rounding=choices.pick(tuple(Rounding)),
        statement_period=choices.pick((PeriodKind.MONTH, PeriodKind.MONTH, PeriodKind.WEEK)),
    )


def _contents(choices: Choices, partners: Sequence[Partner], clock: _Clock) -> list[Content]:
    return [
        Content(
            id=f"v{partner.id}",
            partner_id=partner.id,
            platform=choices.pick((Platform.TIKTOK, Platform.YOUTUBE, Platform.INSTAGRAM)),
            format=choices.pick((ContentFormat.SHORT_VIDEO, ContentFormat.PHOTO)),
            published_at=clock.instant(choices, days=12),
        )
        for partner in partners
        if choices.chance(60)
    ]


def _fees(
    choices: Choices, partners: Sequence[Partner], contents: Sequence[Content], clock: _Clock
) -> list[InfluencerFee]:
    fees = []
    for partner in partners:
        if not choices.chance(40):
            continue
        kind = choices.pick(tuple(FeeKind))
        fee_id = f"fee-{partner.id}"
        amount = _eur(choices.pick(("150.00", "99.99")))
        if kind is FeeKind.RETAINER:
            fees.append(
                InfluencerFee(
                    id=fee_id,
                    partner_id=partner.id,
                    kind=kind,
                    amount=amount,
                    schedule=choices.pick(("FREQ=MONTHLY;COUNT=3", "FREQ=WEEKLY;COUNT=4")),
                    schedule_start=clock.first + timedelta(days=choices.integer(0, 5)),
                    prorate=choices.chance(50),
                )
            )
        elif kind is FeeKind.PER_DELIVERABLE:
            owned = tuple(content.id for content in contents if content.partner_id == partner.id)
            fees.append(
                InfluencerFee(
                    id=fee_id,
                    partner_id=partner.id,
                    kind=kind,
                    amount=amount,
                    content_ids=owned if choices.chance(50) else (),
                    max_deliverables=choices.pick((None, 1)),
                )
            )
        else:
            fees.append(
                InfluencerFee(
                    id=fee_id,
                    partner_id=partner.id,
                    kind=kind,
                    amount=amount,
                    due=clock.instant(choices),
                )
            )
    return fees


def _model(choices: Choices, partners: Sequence[Partner], clock: _Clock) -> AttributionModel:
    kind = choices.pick(MODELS)
    if kind is DataDriven:
        return DataDriven(
            method=choices.pick(("markov", "shapley")),
            version="v1",
            weights={partner.id: Decimal(choices.pick(("0", "0.25", "1"))) for partner in partners},
            fitted_as_of=clock.first,
        )
    model: AttributionModel = kind()
    return model


def _policy(choices: Choices, partners: Sequence[Partner], clock: _Clock) -> AttributionPolicy:
    windows = choices.pick(
        (
            {"click": "30 days", "promo_code": "30 days"},
            {"click": "7 days", "view": "1 day", "promo_code": "30 days"},
            {"click": "1 month", "view": "24 hours"},
        )
    )
    return AttributionPolicy(
        windows=windows,
        model=_model(choices, partners, clock),
        promo_code_precedence=choices.chance(70),
        dedupe_channels=("email",) if choices.chance(30) else (),
        tie_break=choices.pick(tuple(TieBreak)),
    )


def _touches(
    choices: Choices, partners: Sequence[Partner], contents: Sequence[Content], clock: _Clock
) -> list[Touch]:
    moments = [clock.instant(choices) for _ in range(4)]
    touches = []
    for index in range(choices.integer(0, 30)):
        kind = choices.pick(
            (TouchKind.CLICK, TouchKind.CLICK, TouchKind.VIEW, TouchKind.PROMO_CODE)
        )
        outside = choices.chance(15)
        partner = choices.pick(partners)
        owned = [content.id for content in contents if content.partner_id == partner.id]
        # A few instants are shared, so that the tie-break decides.
        instant = choices.pick(moments) if choices.chance(25) else clock.instant(choices)
        touches.append(
            Touch(
                id=f"t{index:02d}",
                kind=kind,
                instant=instant,
                customer_key=choices.pick(CUSTOMERS),
                partner_id=None if outside else partner.id,
                channel=choices.pick(CHANNELS) if outside else None,
                content_id=choices.pick(owned)
                if owned and not outside and choices.chance(50)
                else None,
                link_id=f"link-{partner.id}" if choices.chance(20) else None,
            )
        )
    return touches


def _conversion(
    choices: Choices,
    index: int,
    partners: Sequence[Partner],
    touches: Sequence[Touch],
    clock: _Clock,
) -> Conversion:
    lead = choices.chance(15)
    cents = 0 if lead and choices.chance(50) else choices.integer(0, 40_000)
    currency = "USD" if choices.chance(4) else "EUR"
    amounts: dict[str, Money | None] = {}
    if choices.chance(70):
        tax, shipping = cents // 5, choices.integer(0, 999)
        amounts = {
            "tax": Money.from_minor(tax, currency),
            "shipping": Money.from_minor(shipping, currency),
            "gross": Money.from_minor(cents + tax + shipping, currency),
            "discount": Money.from_minor(choices.integer(0, 2_000), currency)
            if choices.chance(50)
            else None,
        }
    codes = [code for partner in partners for code in partner.promo_codes]
    code = None
    if choices.chance(35):
        code = choices.pick(codes) if codes and choices.chance(80) else "WELCOME5"
        code = code.lower() if choices.chance(30) else code
    # Most sales follow a touch of their customer, so that attribution credits them.
    customer, instant = choices.pick(CUSTOMERS), clock.instant(choices)
    if touches and choices.chance(75):
        after = choices.pick(touches)
        customer = after.customer_key
        instant = after.instant + timedelta(minutes=choices.pick((0, 1, 90, 3000)))
    clicks = [touch.id for touch in touches if touch.kind is TouchKind.CLICK]
    return Conversion(
        id=f"s{index:02d}",
        instant=instant,
        customer_key=customer,
        revenue=Money.from_minor(cents, currency),
        new_customer=choices.pick((None, None, True, False)),
        kind=ConversionKind.LEAD if lead else ConversionKind.SALE,
        promo_code=code,
        click_id=choices.pick(clicks) if clicks and choices.chance(20) else None,
        country=choices.pick((None, *COUNTRIES)),
        **amounts,
    )


def _refunds(choices: Choices, conversions: Sequence[Conversion]) -> list[Refund]:
    refunds: list[Refund] = []
    for conversion in conversions:
        units = conversion.revenue.minor_units
        if units == 0 or not choices.chance(30):
            continue
        back = choices.integer(1, units) if choices.chance(90) else units + 1
        hours = choices.integer(1, 200) if choices.chance(90) else -1
        refunds.append(
            Refund(
                id=f"r{len(refunds):02d}",
                conversion_id=conversion.id,
                instant=conversion.instant + timedelta(hours=hours),
                amount=Money.from_minor(back, conversion.currency),
                kind=choices.pick(tuple(RefundKind)),
            )
        )
    if conversions and choices.chance(10):
        refunds.append(
            Refund(
                id=f"r{len(refunds):02d}",
                conversion_id="s99",
                instant=conversions[0].instant,
                amount=_eur("1.00"),
            )
        )
    return refunds


def _stats(choices: Choices, contents: Sequence[Content], clock: _Clock) -> list[ContentStats]:
    stats = []
    for content in contents:
        views = 0
        for _ in range(choices.integer(0, 2)):
            views += choices.integer(0, 40_000)
            stats.append(
                ContentStats(content_id=content.id, as_of=clock.instant(choices), views=views)
            )
    return stats


def build_scenario(choices: Choices) -> Scenario:
    """A random, valid campaign with its events, statistics and as-of instant.

    Args:
        choices: Where the choices come from.

    Returns:
        The scenario.
    """
    clock = _Clock(choices.pick(ZONES))
    partners = _partners(choices)
    contents = _contents(choices, partners, clock)
    deals = [_deal(choices, partner, partners, clock) for partner in partners if choices.chance(85)]
    extra = (
        [
            ExtraCost(
                id="boost",
                kind=choices.pick(tuple(ExtraCostKind)),
                amount=_eur("300.00"),
                incurred_at=clock.instant(choices),
                partner_id=choices.pick((None, partners[0].id)),
            )
        ]
        if choices.chance(30)
        else []
    )
    campaign = Campaign(
        id="spring",
        name="Spring",
        currency="EUR",
        timezone=str(clock.zone),
        start=clock.boundary - timedelta(days=60),
        end=clock.boundary + timedelta(days=60),
        partners=partners,
        contents=contents,
        fees=_fees(choices, partners, contents, clock),
        deals=deals,
        extra_costs=extra,
        attribution=_policy(choices, partners, clock),
    )
    touches = _touches(choices, partners, contents, clock)
    conversions = [
        _conversion(choices, index, partners, touches, clock)
        for index in range(choices.integer(1, 12))
    ]
    events: list[Event] = [*touches, *conversions, *_refunds(choices, conversions)]
    return Scenario(
        campaign=campaign,
        events=tuple(events),
        stats=tuple(_stats(choices, contents, clock)),
        as_of=clock.boundary + timedelta(days=choices.integer(0, 15), hours=choices.integer(0, 23)),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Hypothesis strategy: a scenario from :func:`build_scenario`."""
    return build_scenario(_Drawn(draw))


# Kinds -----------------------------------------------------------------------------------


def every_kind() -> frozenset[str]:
    """Every kind a campaign's terms can take, read from the domain's own lists.

    A rule class, condition class, tier mode and basis, period a tier resets in, cap
    scope, CPM accrual, precedence, commission base, rounding, fee kind and attribution
    model added to the domain appears here, so the coverage test fails until the
    builder uses it.
    """
    kinds = {cls.__name__ for cls in (*RULE_TYPES, *CONDITION_TYPES)}
    kinds |= {f"TieredRate.mode={mode.value}" for mode in TierMode}
    kinds |= {f"TieredRate.basis={basis.value}" for basis in (TierBasis.COUNT, TierBasis.REVENUE)}
    kinds |= {f"TieredRate.reset={period.value}" for period in PeriodKind}
    kinds |= {"TieredRate.rolling_days", "Band.bonus", "RateScope.matching_items", "rate schedule"}
    kinds |= {f"ThresholdBonus.metric={metric.value}" for metric in TierBasis}
    kinds |= {"ThresholdBonus.amount", "ThresholdBonus.rate", "PerClick.unique_within"}
    kinds |= {f"Cap.scope={scope.value}" for scope in CapScope}
    kinds |= {f"CpmViews.accrual={accrual.value}" for accrual in CpmAccrual}
    kinds |= {f"precedence={precedence.value}" for precedence in Precedence}
    kinds |= {f"commission_base={base.value}" for base in CommissionBase}
    kinds |= {f"rounding={rounding.name}" for rounding in Rounding}
    kinds |= {"program_rules", "statement_period=week"}
    kinds |= {f"fee={kind.value}" for kind in FeeKind}
    kinds |= {"ExtraCost"}
    kinds |= {f"model={model.__name__}" for model in MODELS}
    return frozenset(kinds)


def _rule_kinds(rule: Rule) -> set[str]:
    kinds = {type(rule).__name__}
    for condition in getattr(rule, "conditions", ()):
        kinds.add(type(condition).__name__)
    if getattr(rule, "effective_from", None) is not None:
        kinds.add("rate schedule")
    if getattr(rule, "scope", None) is RateScope.MATCHING_ITEMS:
        kinds.add("RateScope.matching_items")
    if isinstance(rule, TieredRate):
        kinds |= {f"TieredRate.mode={rule.mode.value}", f"TieredRate.basis={rule.basis.value}"}
        if rule.rolling_days is None:
            kinds.add(f"TieredRate.reset={rule.reset.value}")
        else:
            kinds.add("TieredRate.rolling_days")
        if any(band.bonus is not None for band in rule.bands):
            kinds.add("Band.bonus")
    elif isinstance(rule, ThresholdBonus):
        kinds.add(f"ThresholdBonus.metric={rule.metric.value}")
        kinds.add("ThresholdBonus.amount" if rule.amount is not None else "ThresholdBonus.rate")
    elif isinstance(rule, Cap):
        kinds.add(f"Cap.scope={rule.scope.value}")
    elif isinstance(rule, CpmViews):
        kinds.add(f"CpmViews.accrual={rule.accrual.value}")
    elif isinstance(rule, PerClick) and rule.unique_within is not None:
        kinds.add("PerClick.unique_within")
    return kinds


def kinds_of(campaign: Campaign) -> frozenset[str]:
    """The kinds of :func:`every_kind` that ``campaign`` uses."""
    kinds: set[str] = set()
    for deal in campaign.deals:
        for rule in deal.rules:
            kinds |= _rule_kinds(rule)
        for rule in deal.program_rules:
            kinds |= _rule_kinds(rule) | {"program_rules"}
        kinds |= {
            f"precedence={deal.precedence.value}",
            f"commission_base={deal.commission_base.value}",
            f"rounding={deal.rounding.name}",
        }
        if deal.statement_period is PeriodKind.WEEK:
            kinds.add("statement_period=week")
    kinds |= {f"fee={fee.kind.value}" for fee in campaign.fees}
    if campaign.extra_costs:
        kinds.add("ExtraCost")
    kinds.add(f"model={type(campaign.attribution.model).__name__}")
    return frozenset(kinds)
