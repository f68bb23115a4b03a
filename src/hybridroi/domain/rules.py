"""Commission rules as data: rates, tiers, caps, bonuses, guarantees, draws, network fees.

Every rule is a frozen record with an ``id`` unique within its deal. Rules hold
no code, so a deal can be stored, sent to another service and evaluated again
with the same result. :data:`RULE_TYPES` lists every concrete rule class, so a
converter can build a tagged union of them keyed by class name.

Rules fall into four families:

* **Rate rules** (:class:`PercentRate`, :class:`FlatPerSale`,
  :class:`FlatPerItem`, :class:`PerLead`, :class:`TieredRate`) price one
  credited conversion. Exactly one rate rule fires per conversion, chosen by
  the deal's :class:`Precedence` among the rules whose conditions match.
* **Activity rules** (:class:`PerClick`, :class:`CpmViews`,
  :class:`RecurringRate`) price clicks, content views and the uncredited repeat
  purchases of referred customers.
* **Limits** (:class:`Cap`) reduce commission lines and mark what they removed.
* **Period rules** (:class:`ThresholdBonus`, :class:`GuaranteedMinimum`,
  :class:`RecoverableDraw`, :class:`NetworkFee`) add one line per statement
  period.
* **Overrides** (:class:`SubAffiliateOverride`) pay a parent partner a share of
  the commission lines of the partners it recruited.

A rate rule may be scheduled (``effective_from`` / ``effective_until``): it prices
only the sales of its half-open window ``[from, until)``. A percent or tiered rate
whose conditions select line items (:class:`~hybridroi.domain.conditions.SkuIn`,
:class:`~hybridroi.domain.conditions.CategoryIn`) may apply to those items only
(:attr:`RateScope.MATCHING_ITEMS`).

A developer can add a rate rule in Python by implementing the
:class:`~hybridroi.statements.context.CustomRule` protocol and listing it in
``AffiliateDeal.custom_rules``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import (
    aware,
    collection,
    enum_member,
    identifier,
    instance_of,
    optional,
    tuple_of,
)
from hybridroi.core.durations import fixed_length, parse_duration
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, UnroundedMoney, to_decimal
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.conditions import CONDITION_TYPES, ITEM_CONDITION_TYPES, Condition
from hybridroi.domain.tiers import Band, TierBasis, TierMode, check_bands

__all__ = [
    "ACTIVITY_RULE_TYPES",
    "PERIOD_RULE_TYPES",
    "RATE_RULE_TYPES",
    "RULE_TYPES",
    "Cap",
    "CapScope",
    "CommissionBase",
    "CpmAccrual",
    "CpmViews",
    "FlatPerItem",
    "FlatPerSale",
    "GuaranteedMinimum",
    "NetworkFee",
    "PerClick",
    "PerLead",
    "PercentRate",
    "Precedence",
    "RateRule",
    "RateScope",
    "RecoverableDraw",
    "RecurringRate",
    "Rule",
    "RuleOutcome",
    "SubAffiliateOverride",
    "ThresholdBonus",
    "TieredRate",
]


class Precedence(enum.Enum):
    """How a deal picks the one rate rule that prices a conversion."""

    FIRST_MATCH = "first_match"
    """The first matching rule in declared order (like Impact payout groups)."""
    HIGHEST = "highest"
    """The matching rule that pays the most (like Dub reward modifiers); ties go to
    the rule declared first."""


class CommissionBase(enum.Enum):
    """Which amount of a sale a percent commission is computed on."""

    NET = "net"
    """Net revenue: after discount, without tax and shipping (``Conversion.revenue``)."""
    NET_PLUS_SHIPPING = "net_plus_shipping"
    """Net revenue plus the shipping charged."""
    BEFORE_DISCOUNT = "before_discount"
    """Net revenue plus the discount granted (the list price of the order)."""
    GROSS = "gross"
    """What the customer paid, tax and shipping included."""
    GROSS_LESS_TAX = "gross_less_tax"
    """What the customer paid, without tax (shipping included)."""


class RateScope(enum.Enum):
    """Which part of an order a percent or tiered rate applies to."""

    ORDER = "order"
    """The whole order's commissionable base (as the deal declares it)."""
    MATCHING_ITEMS = "matching_items"
    """Only the line items that the rule's item conditions (``SkuIn``, ``CategoryIn``)
    select: their net revenue, quantity x unit price, exact."""


class CpmAccrual(enum.Enum):
    """When a CPM rule pays a content's views."""

    PUBLICATION = "publication"
    """All the views known as of the run, in the statement period of the publication."""
    PERIOD = "period"
    """The views that accrued in each statement period, in that period: the growth of
    the cumulative views between the latest statistics at its start and at its end."""


class CapScope(enum.Enum):
    """What a cap limits."""

    SALE = "sale"
    """Each conversion's commission line."""
    PERIOD = "period"
    """The commissions of each period (of ``Cap.period``)."""
    LIFETIME = "lifetime"
    """The deal's commissions over its whole life."""


def _fraction_rate(value: object, instance: object, field: attrs.Attribute[Any]) -> Decimal:
    return to_decimal(value, f"{type(instance).__name__}.{field.name}")


def _optional_fraction_rate(
    value: object, instance: object, field: attrs.Attribute[Any]
) -> Decimal | None:
    return None if value is None else _fraction_rate(value, instance, field)


_RATE = attrs.Converter(_fraction_rate, takes_self=True, takes_field=True)
_OPTIONAL_RATE = attrs.Converter(_optional_fraction_rate, takes_self=True, takes_field=True)


def _rate_between_0_and_1(
    instance: object, attribute: attrs.Attribute[Any], value: Decimal
) -> None:
    if not 0 <= value <= 1:
        raise InvalidValueError(
            f"{type(instance).__name__}.{attribute.name}",
            value,
            "a fraction between 0 and 1, such as 0.12 for 12%",
        )


def _money_at_least_zero(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise InvalidValueError(f"{type(instance).__name__}.{attribute.name}", value, "Money >= 0")


def _exact_amount(value: Money | UnroundedMoney) -> UnroundedMoney:
    """Unit amounts are exact: a price per click or per item may be finer than the minor unit."""
    return value.exact() if isinstance(value, Money) else value


def _exact_at_least_zero(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = f"{type(instance).__name__}.{attribute.name}"
    if not isinstance(value, UnroundedMoney):
        raise InvalidTypeError(field, value, "an exact amount (UnroundedMoney, or Money) >= 0")
    if value.amount < 0:
        raise InvalidValueError(field, value, "an exact amount >= 0")


def _money_above_zero(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount <= 0:
        raise InvalidValueError(f"{type(instance).__name__}.{attribute.name}", value, "Money > 0")


def _unique_within(value: object) -> relativedelta | None:
    if value is None:
        return None
    field = "PerClick.unique_within"
    if not isinstance(value, str | relativedelta):
        raise InvalidTypeError(field, value, "a duration such as '1 hour', or None")
    duration = parse_duration(value, field)
    length = fixed_length(duration)
    if length is None or duration != relativedelta(
        days=length.days, seconds=length.seconds, microseconds=length.microseconds
    ):
        raise InvalidValueError(field, value, "a fixed-length duration (no months or years)")
    if length <= timedelta(0):
        raise InvalidValueError(field, value, "a positive duration")
    return duration


_CONDITIONS = tuple_of(CONDITION_TYPES, "a condition record (CustomerIs, SkuIn, CountryIn, ...)")


def _non_empty_children(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]
) -> None:
    if not value:
        raise InvalidValueError("SubAffiliateOverride.children", value, "at least one partner id")


def _threshold(value: object) -> Decimal:
    return to_decimal(value, "ThresholdBonus.threshold")


def _period_kind(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, PeriodKind):
        raise InvalidValueError(
            f"{type(instance).__name__}.{attribute.name}", value, "a PeriodKind member"
        )


_INSTANT = optional(aware)


def _check_schedule(rule: Any) -> None:
    """A scheduled rule's window is a non-empty half-open interval ``[from, until)``."""
    start, end = rule.effective_from, rule.effective_until
    if start is not None and end is not None and end <= start:
        raise InvalidValueError(
            f"{type(rule).__name__}.effective_until",
            end,
            f"an instant after effective_from ({start.isoformat()})",
        )


def _check_scope(rule: Any) -> None:
    """A rate on the matching items needs a condition that selects items."""
    if rule.scope is RateScope.MATCHING_ITEMS and not any(
        isinstance(condition, ITEM_CONDITION_TYPES) for condition in rule.conditions
    ):
        raise InvalidValueError(
            f"{type(rule).__name__}.scope",
            rule.scope,
            "ORDER, or a condition that selects line items (SkuIn, CategoryIn) for MATCHING_ITEMS",
        )


@attrs.frozen(kw_only=True)
class PercentRate:
    """A percent of the sale's commissionable base.

    Attributes:
        id: Rule id, unique within the deal.
        rate: The fraction paid, for example ``Decimal("0.12")`` for 12%.
        conditions: All must match for the rule to fire.
        scope: The whole order (the default) or only the line items its item
            conditions select (:attr:`RateScope.MATCHING_ITEMS`): 20% of a EUR 10.00
            serum in a EUR 1,010.00 order is EUR 2.00.
        effective_from: The first instant of the rule's schedule (timezone-aware),
            if any: a sale before it is not priced by this rule.
        effective_until: The first instant after the schedule, if any: the rule
            prices sales in ``[effective_from, effective_until)``.
    """

    id: str = attrs.field(validator=identifier)
    rate: Decimal = attrs.field(
        converter=_RATE,  # type: ignore[misc]
        validator=_rate_between_0_and_1,
    )
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=_CONDITIONS,  # type: ignore[misc]
    )
    scope: RateScope = attrs.field(
        default=RateScope.ORDER,
        converter=enum_member(RateScope),  # type: ignore[misc]
    )
    effective_from: datetime | None = attrs.field(default=None, validator=_INSTANT)
    effective_until: datetime | None = attrs.field(default=None, validator=_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_scope(self)
        _check_schedule(self)


@attrs.frozen(kw_only=True)
class FlatPerSale:
    """A flat amount per order, however many lines or items it has.

    Attributes:
        id: Rule id, unique within the deal.
        amount: Paid once per order (in the deal's currency), exact (``Money`` is
            accepted): a share or a partial refund of it is rounded once, per line.
        conditions: All must match for the rule to fire.
        effective_from: The first instant of the rule's schedule (timezone-aware),
            if any: a sale before it is not priced by this rule.
        effective_until: The first instant after the schedule, if any: the rule
            prices sales in ``[effective_from, effective_until)``.
    """

    id: str = attrs.field(validator=identifier)
    amount: UnroundedMoney = attrs.field(converter=_exact_amount, validator=_exact_at_least_zero)
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=_CONDITIONS,  # type: ignore[misc]
    )
    effective_from: datetime | None = attrs.field(default=None, validator=_INSTANT)
    effective_until: datetime | None = attrs.field(default=None, validator=_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_schedule(self)


@attrs.frozen(kw_only=True)
class FlatPerItem:
    """A flat amount per unit sold (the order's total quantity; 1 when it lists no lines).

    Attributes:
        id: Rule id, unique within the deal.
        amount: Paid per unit (in the deal's currency), exact: it may be finer than
            the minor unit (``UnroundedMoney("4.4556", "EUR")``; ``Money`` is accepted).
            The line, amount x quantity, is rounded once.
        conditions: All must match for the rule to fire.
        effective_from: The first instant of the rule's schedule (timezone-aware),
            if any: a sale before it is not priced by this rule.
        effective_until: The first instant after the schedule, if any: the rule
            prices sales in ``[effective_from, effective_until)``.
    """

    id: str = attrs.field(validator=identifier)
    amount: UnroundedMoney = attrs.field(converter=_exact_amount, validator=_exact_at_least_zero)
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=_CONDITIONS,  # type: ignore[misc]
    )
    effective_from: datetime | None = attrs.field(default=None, validator=_INSTANT)
    effective_until: datetime | None = attrs.field(default=None, validator=_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_schedule(self)


@attrs.frozen(kw_only=True)
class PerLead:
    """A flat amount per credited lead (a conversion of kind LEAD).

    Attributes:
        id: Rule id, unique within the deal.
        amount: Paid per lead (in the deal's currency), exact (``Money`` is accepted).
        conditions: All must match for the rule to fire.
        effective_from: The first instant of the rule's schedule (timezone-aware),
            if any: a sale before it is not priced by this rule.
        effective_until: The first instant after the schedule, if any: the rule
            prices sales in ``[effective_from, effective_until)``.
    """

    id: str = attrs.field(validator=identifier)
    amount: UnroundedMoney = attrs.field(converter=_exact_amount, validator=_exact_at_least_zero)
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=_CONDITIONS,  # type: ignore[misc]
    )
    effective_from: datetime | None = attrs.field(default=None, validator=_INSTANT)
    effective_until: datetime | None = attrs.field(default=None, validator=_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_schedule(self)


def _bands(value: Any) -> tuple[Band, ...]:
    return check_bands(collection(value, "TieredRate.bands", Band, "a Band"), "TieredRate.bands")


@attrs.frozen(kw_only=True)
class TieredRate:
    """A percent of the commissionable base whose rate depends on the period's volume.

    Bands are half-open ``[start, next start)``: a volume exactly on a boundary
    is in the band that starts there.

    Attributes:
        id: Rule id, unique within the deal.
        bands: The tier schedule; the first band starts at 0.
        mode: Graduated (each band at its rate) or volume (the reached band's
            rate for every sale of the period).
        basis: What the bands measure: the count of sales or the revenue
            (commissionable base) priced by this rule.
        reset: The calendar period after which the volume starts again from
            zero, in the campaign's time zone.
        rolling_days: When set, the volume is that of a rolling window instead
            of a calendar period (``reset`` is then ignored): the sale's local day
            and the N - 1 local days before it, in the campaign's time zone, from
            local midnight (a day of a change of daylight saving time lasts 23
            or 25 hours, and the window with it).
        conditions: All must match for the rule to fire.
        scope: The whole order (the default) or only the line items its item
            conditions select (:attr:`RateScope.MATCHING_ITEMS`); a revenue tier then
            counts the matching items' revenue.
        effective_from: The first instant of the rule's schedule (timezone-aware),
            if any: a sale before it is not priced by this rule.
        effective_until: The first instant after the schedule, if any: the rule
            prices sales in ``[effective_from, effective_until)``.
    """

    id: str = attrs.field(validator=identifier)
    bands: tuple[Band, ...] = attrs.field(converter=_bands)
    mode: TierMode = attrs.field(
        default=TierMode.GRADUATED,
        converter=enum_member(TierMode),  # type: ignore[misc]
    )
    basis: TierBasis = attrs.field(
        default=TierBasis.REVENUE,
        converter=enum_member(TierBasis),  # type: ignore[misc]
    )
    reset: PeriodKind = attrs.field(
        default=PeriodKind.MONTH,
        converter=enum_member(PeriodKind),  # type: ignore[misc]
        validator=_period_kind,
    )
    rolling_days: int | None = None
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        converter=_CONDITIONS,  # type: ignore[misc]
    )
    scope: RateScope = attrs.field(
        default=RateScope.ORDER,
        converter=enum_member(RateScope),  # type: ignore[misc]
    )
    effective_from: datetime | None = attrs.field(default=None, validator=_INSTANT)
    effective_until: datetime | None = attrs.field(default=None, validator=_INSTANT)

    def __attrs_post_init__(self) -> None:
        _check_scope(self)
        _check_schedule(self)
        if self.basis is TierBasis.COMMISSION:
            raise InvalidValueError(
                "TieredRate.basis",
                self.basis,
                "COUNT or REVENUE (a rate cannot depend on the commission it produces; "
                "use ThresholdBonus for commission thresholds)",
            )
        if self.rolling_days is not None:
            if (
                not isinstance(self.rolling_days, int)
                or isinstance(self.rolling_days, bool)
                or self.rolling_days < 1
            ):
                raise InvalidValueError(
                    "TieredRate.rolling_days", self.rolling_days, "an integer >= 1 or None"
                )
            if any(band.bonus is not None for band in self.bands):
                raise InvalidValueError(
                    "TieredRate.bands",
                    self.bands,
                    "no tier bonus on a rolling window (a bonus is paid once per calendar period)",
                )


def _months(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError("RecurringRate.months", value, "a number of months >= 1")


@attrs.frozen(kw_only=True)
class RecurringRate:
    """A percent of a referred customer's repeat purchases, for at most N months.

    A customer is referred by the partner credited with the customer's first
    credited purchase. Their later purchases that attribution credits to no
    partner earn this rate for ``months`` calendar months (in the campaign's
    time zone) after that first purchase, times the partner's credit share of
    that first purchase: co-referrers split a repeat purchase's commission as
    they split the referring sale. Purchases credited to a partner are priced by
    the rate rules as usual, so a sale is never paid twice.

    Attributes:
        id: Rule id, unique within the deal.
        rate: The fraction paid on each repeat purchase's commissionable base.
        months: How long after the referral repeat purchases earn, in months.
    """

    id: str = attrs.field(validator=identifier)
    rate: Decimal = attrs.field(
        converter=_RATE,  # type: ignore[misc]
        validator=_rate_between_0_and_1,
    )
    months: int = attrs.field(validator=_months)


@attrs.frozen(kw_only=True)
class PerClick:
    """A flat amount per click on the partner's tracked links.

    Attributes:
        id: Rule id, unique within the deal.
        amount: Paid per click (in the deal's currency), exact: it may be finer than
            the minor unit (``UnroundedMoney("0.0005", "USD")``; ``Money`` is accepted).
            The period's line, clicks x amount, is rounded once: 30 clicks at USD 0.0005
            are USD 0.015, paid as USD 0.02 (half up).
        unique_within: If set, only unique clicks are paid (a click-flood rule): a
            customer's click is counted, and each later click of the same customer
            less than this long after the counted one is a duplicate, not paid; the
            first click at or after that length is counted again. A fixed-length
            duration (``"1 hour"``, ``"24 hours"``, ``"1 day"``), elapsed time.
            Duplicates are found over the partner's whole click history, so a click
            late in one period can make the next period's first clicks duplicates.
            None (the default) pays every click.
    """

    id: str = attrs.field(validator=identifier)
    amount: UnroundedMoney = attrs.field(converter=_exact_amount, validator=_exact_at_least_zero)
    unique_within: relativedelta | None = attrs.field(default=None, converter=_unique_within)


@attrs.frozen(kw_only=True)
class CpmViews:
    """An amount per thousand views of the partner's content (CPM).

    Attributes:
        id: Rule id, unique within the deal.
        amount: Paid per 1,000 views (in the deal's currency), exact (``Money`` is
            accepted); each content's line is rounded once.
        content_ids: The content it pays for; empty means all of the partner's.
        accrual: When views are paid: ``"publication"`` (the default) pays all the
            views known as of the run in the publication period, one line per content
            (``cpm:<rule id>:<content id>``); ``"period"`` pays in each statement period
            the views that accrued in it, the growth of the content's cumulative views
            over the period, one line per content and period
            (``cpm:<rule id>:<content id>:<period>``), each under that period's caps.
    """

    id: str = attrs.field(validator=identifier)
    amount: UnroundedMoney = attrs.field(converter=_exact_amount, validator=_exact_at_least_zero)
    content_ids: tuple[str, ...] = attrs.field(
        default=(),
        converter=tuple_of(str, "a content id"),  # type: ignore[misc]
    )
    accrual: CpmAccrual = attrs.field(
        default=CpmAccrual.PUBLICATION,
        converter=enum_member(CpmAccrual),  # type: ignore[misc]
    )


@attrs.frozen(kw_only=True)
class Cap:
    """A ceiling on commission lines; what exceeds it is marked, not dropped.

    Caps apply to each line in the order lines were earned, per-sale caps first,
    then period caps, then lifetime caps, whatever order they are declared in;
    each cap counts what the line finally pays.

    Attributes:
        id: Rule id, unique within the deal.
        scope: Per sale, per period or over the deal's lifetime.
        amount: The ceiling (in the deal's currency).
        period: For a period cap, the calendar period it counts within.
    """

    id: str = attrs.field(validator=identifier)
    scope: CapScope = attrs.field(
        converter=enum_member(CapScope)  # type: ignore[misc]
    )
    amount: Money = attrs.field(validator=_money_at_least_zero)
    period: PeriodKind = attrs.field(
        default=PeriodKind.MONTH,
        converter=enum_member(PeriodKind),  # type: ignore[misc]
        validator=_period_kind,
    )


@attrs.frozen(kw_only=True)
class ThresholdBonus:
    """A bonus once a statement period's count, revenue or commission reaches a level.

    Exactly one of ``amount`` and ``rate`` is set.

    Attributes:
        id: Rule id, unique within the deal.
        metric: What is measured: count of sales, revenue or commission.
        threshold: The level to reach (a count, or an amount in major units
            of the deal's currency); reaching it exactly is enough.
        amount: A fixed bonus.
        rate: A bonus as a fraction of the period's commission lines.
    """

    id: str = attrs.field(validator=identifier)
    metric: TierBasis = attrs.field(
        converter=enum_member(TierBasis)  # type: ignore[misc]
    )
    threshold: Decimal = attrs.field(converter=_threshold)
    amount: Money | None = attrs.field(default=None, validator=optional(_money_at_least_zero))
    rate: Decimal | None = attrs.field(
        default=None,
        converter=_OPTIONAL_RATE,  # type: ignore[misc]
        validator=optional(_rate_between_0_and_1),
    )

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (self.rate is None):
            raise InvalidValueError(
                "ThresholdBonus.amount", self.amount, "exactly one of amount and rate"
            )
        if self.threshold <= 0:
            raise InvalidValueError("ThresholdBonus.threshold", self.threshold, "a level > 0")


@attrs.frozen(kw_only=True)
class GuaranteedMinimum:
    """A minimum per statement period; the shortfall is topped up and never recovered.

    The minimum is compared with the period's commissions and bonuses.

    Attributes:
        id: Rule id, unique within the deal.
        amount: The guaranteed minimum per statement period.
    """

    id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=_money_above_zero)


@attrs.frozen(kw_only=True)
class RecoverableDraw:
    """A recoverable advance: at least ``amount`` is paid each statement period.

    When a period's commissions and bonuses fall short of the draw, the
    difference is advanced and added to a balance; in later periods, what
    commissions and bonuses exceed the draw recovers that balance.

    Attributes:
        id: Rule id, unique within the deal.
        amount: The draw per statement period.
    """

    id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=_money_above_zero)


@attrs.frozen(kw_only=True)
class NetworkFee:
    """A network or platform override fee on top of the partner's pay: a cost.

    The fee is charged per statement period on the commission and bonus lines.

    Attributes:
        id: Rule id, unique within the deal.
        rate: The fee as a fraction of commissions and bonuses (0.30 for 30%).
    """

    id: str = attrs.field(validator=identifier)
    rate: Decimal = attrs.field(
        converter=_RATE,  # type: ignore[misc]
        validator=_rate_between_0_and_1,
    )


def _children(value: Any) -> tuple[str, ...]:
    # Kept sorted without repeats, like the collections of conditions.
    children: tuple[str, ...] = collection(
        value, "SubAffiliateOverride.children", str, "a partner id", key=str
    )
    for child in children:
        if not child or child != child.strip():
            raise InvalidValueError(
                "SubAffiliateOverride.children", child, "a partner id without surrounding spaces"
            )
    return children


def _share_above_zero(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if not 0 < value <= 1:
        raise InvalidValueError(
            "SubAffiliateOverride.share", value, "a fraction above 0 and at most 1, such as 0.10"
        )


@attrs.frozen(kw_only=True)
class SubAffiliateOverride:
    """A parent partner's share of the commissions of the partners it recruited.

    It goes in the parent's deal (``AffiliateDeal.rules``). Each commission line of
    a child (a sale, a lead, clicks, views, a repeat purchase; after the child's caps)
    gives the parent one line of its own, key
    ``override:<rule id>:<child id>:<child line key>``, earned at the child line's
    instant, for ``share`` of what the child line pays, converted into the parent
    deal's currency and rounded once by the parent deal's rounding. An override
    line follows its child line: a refund that lowers the child's commission lowers
    the override, and the ledger posts (or claws back) the difference. An override
    never pays on another override: a chain is written explicitly, by listing the
    grandchild among a rule's children.

    The child's bonuses, fees, guarantee top-ups, advances and recoveries are not
    commissions and give no override. The override lines are paid on top of the
    parent's own terms: the parent's caps and period rules count the parent's own
    lines only.

    Attributes:
        id: Rule id, unique within the deal.
        children: The partner ids of the recruited partners.
        share: The fraction of each child commission line paid (0.10 for 10%).
    """

    id: str = attrs.field(validator=identifier)
    children: tuple[str, ...] = attrs.field(converter=_children, validator=_non_empty_children)
    share: Decimal = attrs.field(
        converter=_RATE,  # type: ignore[misc]
        validator=_share_above_zero,
    )


@attrs.frozen(kw_only=True)
class RuleOutcome:
    """What a custom rule returns for a sale it prices.

    Attributes:
        amount: The exact commission for the whole sale in the deal's currency,
            before the credit's share is applied and before rounding.
        explanation: Why, in words.
    """

    amount: UnroundedMoney = attrs.field(
        validator=instance_of(UnroundedMoney, "an UnroundedMoney amount")
    )
    explanation: str


RateRule: TypeAlias = PercentRate | FlatPerSale | FlatPerItem | PerLead | TieredRate
"""A rule that prices one credited conversion."""

Rule: TypeAlias = (
    PercentRate
    | FlatPerSale
    | FlatPerItem
    | PerLead
    | TieredRate
    | PerClick
    | CpmViews
    | RecurringRate
    | Cap
    | ThresholdBonus
    | GuaranteedMinimum
    | RecoverableDraw
    | NetworkFee
    | SubAffiliateOverride
)
"""Any rule record."""

RATE_RULE_TYPES: tuple[type, ...] = (PercentRate, FlatPerSale, FlatPerItem, PerLead, TieredRate)
"""The rate rule classes."""
ACTIVITY_RULE_TYPES: tuple[type, ...] = (PerClick, CpmViews, RecurringRate)
"""The rules that price clicks, views and repeat purchases."""
PERIOD_RULE_TYPES: tuple[type, ...] = (
    ThresholdBonus,
    GuaranteedMinimum,
    RecoverableDraw,
    NetworkFee,
)
"""The rules that add one line per statement period."""
RULE_TYPES: tuple[type, ...] = (
    *RATE_RULE_TYPES,
    *ACTIVITY_RULE_TYPES,
    Cap,
    *PERIOD_RULE_TYPES,
    SubAffiliateOverride,
)
"""Every concrete rule class, for a converter's tagged union by class name."""
