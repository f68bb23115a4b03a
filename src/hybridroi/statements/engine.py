"""The commission engine: credited sales, clicks, views and fees priced into statements.

:func:`price_credits` is a pure function of a campaign, the attribution
credits, the events and an as-of instant. It returns one
:class:`~hybridroi.statements.lines.Statement` per partner, statement period
and currency. The same inputs in any order give the identical statements. While it runs,
Python's cyclic garbage collector is paused (and then restored): the engine
creates no reference cycles, and on millions of events the collector's full
passes would cost as much as the pricing.

How a credited sale is priced:

1. Only events at or before ``as_of`` count. Refunds reduce the sale's
   commissionable base in proportion to the net revenue they return.
2. The base is converted to the deal's currency at the rate in force at the
   sale's instant (the line keeps the conversion).
3. The deal's precedence picks one rate rule among the partner-specific rules
   whose conditions match; program rules are tried only when none does.
4. The exact commission (times the credit's share) is rounded once, per line,
   by the deal's rounding mode.
5. Caps then limit the rounded lines, in the order the lines were earned: each
   line meets the per-sale, then the period, then the lifetime caps (whatever
   order they were declared in), and each cap is charged with what the line
   finally pays. What they removed is recorded in ``capped``.
6. Period rules add their lines: tier and threshold bonuses, network fees,
   guarantee top-ups, advances and recoveries.

A line belongs to the period it was earned in. A period-level line (clicks,
bonuses, network fees, guarantees, advances, recoveries) is earned at its
period's last instant, ``Period.end`` minus one microsecond, so that caps, the
report and the ledger, which all read ``earned_at``, file it in that period.

Line keys are stable: ``commission:<conversion id>:<rule id>`` for a sale,
``tier-bonus:<rule id>:<period>:<tier>``, ``bonus:<rule id>:<period>``,
``guarantee:<rule id>:<period>``, ``advance:<rule id>:<period>``,
``recovery:<rule id>:<period>``, ``network-fee:<rule id>:<period>``,
``clicks:<rule id>:<period>``, ``cpm:<rule id>:<content id>`` and
``fee:<fee id>[:<occurrence>]``.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import decimal
import gc
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.attribution.engine import attribute_batch
from hybridroi.core.errors import MissingRateError
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import MAX_DIGITS, Money, Rounding, UnroundedMoney, minor_unit, scaled
from hybridroi.core.periods import (
    Period,
    PeriodKind,
    local_midnight,
    period_of,
    periods_between,
)
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware, zone
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content
from hybridroi.domain.policy import AttributionPolicy, TouchKind
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CommissionBase,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RecoverableDraw,
    RecurringRate,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import TierBasis, TierMode
from hybridroi.events.customers import NewCustomers, new_customers
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, ConversionKind, Event, Refund, Touch
from hybridroi.statements.context import CustomRule, SaleContext
from hybridroi.statements.explain import (
    format_band_range,
    format_exact,
    format_minor,
    format_rate,
    period_phrase,
)
from hybridroi.statements.fees import price_fees
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun
from hybridroi.statements.tiers import band_index, graduated_split, volume_band

__all__ = ["compute_statements", "price_credits", "round_minor"]

Exact = int | Fraction
"""An exact amount in minor units of the deal's currency (or a volume)."""

_TICK = timedelta(microseconds=1)
"""The smallest step between two instants."""
_COMMISSION = LineKind.COMMISSION
_BY_ID = operator.attrgetter("id")
_BY_INSTANT = operator.attrgetter("instant")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its state afterwards.

    Pricing a large batch allocates millions of small objects and no reference
    cycles; with the collector running, each of its full passes walks every live
    event, and those passes cost as much as the pricing itself. Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def round_minor(value: Exact, *, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round an exact number of minor units to a whole one with a named mode.

    It agrees with :meth:`UnroundedMoney.round` on every exact amount, and also
    accepts fractions that have no finite decimal form (a third of a cent).

    Args:
        value: The exact amount, in minor units.
        rounding: The rounding mode.

    Returns:
        The whole number of minor units.

    >>> round_minor(Fraction(1, 2)), round_minor(Fraction(-1, 2))
    (1, -1)
    >>> round_minor(Fraction(5, 2), rounding=Rounding.HALF_EVEN)
    2
    """
    if isinstance(value, int):
        return value
    return _round_ratio(value.numerator, value.denominator, rounding)


def _round_ratio(numerator: Exact, denominator: int, rounding: Rounding) -> int:  # noqa: PLR0911 - one exit per rounding mode
    if not isinstance(numerator, int):
        denominator *= numerator.denominator
        numerator = numerator.numerator
    floor, remainder = divmod(numerator, denominator)
    if remainder == 0:
        return floor
    positive = numerator > 0
    if (
        rounding is Rounding.HALF_UP
        or rounding is Rounding.HALF_DOWN
        or rounding is Rounding.HALF_EVEN
    ):
        twice = 2 * remainder
        if twice < denominator:
            return floor
        if twice > denominator:
            return floor + 1
        if rounding is Rounding.HALF_UP:
            return floor + 1 if positive else floor
        if rounding is Rounding.HALF_DOWN:
            return floor if positive else floor + 1
        return floor if floor % 2 == 0 else floor + 1
    if rounding is Rounding.FLOOR:
        return floor
    if rounding is Rounding.CEILING:
        return floor + 1
    if rounding is Rounding.DOWN:
        return floor if positive else floor + 1
    return floor + 1 if positive else floor


_new = object.__new__
_set = object.__setattr__

# StatementLine is a slotted attrs class without validators or converters (a test
# holds it to that): each field is a member descriptor whose __set__ writes the slot.
_LINE_SLOTS = tuple(
    StatementLine.__dict__[name].__set__
    for name in (
        "key",
        "kind",
        "amount",
        "rule_id",
        "explanation",
        "earned_at",
        "source_ids",
        "capped",
        "fx",
    )
)


def _line(  # noqa: PLR0917 - positional on purpose: called once per line on the hot path
    key: str,
    kind: LineKind,
    amount: Money,
    rule_id: str,
    explanation: str,
    earned_at: datetime,
    source_ids: tuple[str, ...],
    capped: Money | None,
    fx: FxConversion | None,
) -> StatementLine:
    """``StatementLine(key=key, kind=kind, ...)``, without keyword parsing.

    Lines are built from the engine's own checked drafts, a million of them on
    large runs; writing the slots directly skips the keyword parsing of attrs'
    ``__init__``, about 40% of the cost of building each line.
    """
    line = _new(StatementLine)
    s_key, s_kind, s_amount, s_rule, s_explanation, s_earned, s_sources, s_capped, s_fx = (
        _LINE_SLOTS
    )
    s_key(line, key)
    s_kind(line, kind)
    s_amount(line, amount)
    s_rule(line, rule_id)
    s_explanation(line, explanation)
    s_earned(line, earned_at)
    s_sources(line, source_ids)
    s_capped(line, capped)
    s_fx(line, fx)
    return line


def _money(units: int, currency: str, places: int) -> Money:
    # Lines are built from exact integer minor units: skip Money's parsing and
    # checks, which would cost more than the whole pricing of a sale.
    money = _new(Money)
    _set(money, "amount", scaled(units, -places))
    _set(money, "currency", currency)
    return money


_MEMO_LIMIT = 1 << 17
"""How many amounts a run remembers per currency (texts and Money objects)."""


class _Memo:
    """Amount texts and Money objects of one run, shared by every deal.

    Prices and commissions repeat across partners and periods: each amount is
    formatted (and each Money built) once per run and currency rather than
    once per line. Money is immutable, so lines of the same amount share one
    object, which also saves memory on large runs. Up to ``_MEMO_LIMIT``
    amounts are remembered per currency; the rest are built each time.
    """

    __slots__ = ("_money", "_texts")

    def __init__(self) -> None:
        self._texts: dict[str, dict[int, str]] = {}
        self._money: dict[str, dict[int, Money]] = {}

    def texts(self, currency: str) -> dict[int, str]:
        """The remembered texts of amounts in ``currency``, by minor units."""
        return self._texts.setdefault(currency, {})

    def money(self, currency: str) -> dict[int, Money]:
        """The remembered Money objects of ``currency``, by minor units."""
        return self._money.setdefault(currency, {})


def _exact_text(value: Exact, currency: str) -> str:
    if isinstance(value, int) or value.denominator == 1:
        return format_minor(int(value), currency)
    rounded = round_minor(value)
    return f"about {format_minor(rounded, currency)}"


def _to_exact(value: Fraction) -> Exact:
    return value.numerator if value.denominator == 1 else value


def _exact_units(amount: Decimal, places: int) -> Exact:
    """An exact amount in major units as exact minor units (an int when it is whole)."""
    return _to_exact(Fraction(amount) * 10**places)


def _rate_pair(rate: Decimal) -> tuple[int, int]:
    numerator, denominator = rate.as_integer_ratio()
    return numerator, denominator


class _Sale:
    """A credited conversion, prepared for pricing (internal, built from trusted data)."""

    __slots__ = (
        "base",
        "context",
        "conversion",
        "credit",
        "fully_refunded",
        "fx",
        "gross_base",
        "id",
        "instant",
        "lead",
        "order_value",
        "quantity",
        "refunded",
        "remaining",
        "share",
        "source_ids",
    )

    base: Exact
    conversion: Conversion
    credit: Credit
    fully_refunded: bool
    fx: FxConversion | None
    gross_base: Exact
    id: str
    instant: datetime
    lead: bool
    order_value: Exact
    quantity: Exact
    refunded: int
    remaining: Exact
    share: Exact
    source_ids: tuple[str, ...]
    context: SaleContext | None


class _Draft:
    """A statement line being built; caps may still reduce it."""

    __slots__ = (
        "capped",
        "earned_at",
        "explanation",
        "fx",
        "key",
        "kind",
        "period",
        "rule_id",
        "source_ids",
        "units",
    )

    def __init__(  # noqa: PLR0917 - an internal record built on the hot path, positionally for speed
        self,
        key: str,
        kind: LineKind,
        units: int,
        rule_id: str,
        explanation: str,
        earned_at: datetime,
        period: Period,
        source_ids: tuple[str, ...] = (),
        fx: FxConversion | None = None,
    ) -> None:
        self.key = key
        self.kind = kind
        self.units = units
        self.rule_id = rule_id
        self.explanation = explanation
        self.earned_at = earned_at
        self.period = period
        self.source_ids = source_ids
        self.fx = fx
        self.capped = 0


def _last_instant(period: Period) -> datetime:
    """The instant a period-level line is earned at: the period's last instant.

    ``Period.end`` is the first instant of the next period; a line stamped there
    would be filed, capped and locked as if it were earned in the next period.
    """
    return period.end - _TICK


class _Periods:
    """Finds the period of instants visited in increasing order with few calendar look-ups."""

    __slots__ = ("_campaign", "_current", "_kind", "_timezone")

    def __init__(self, campaign: Campaign, kind: PeriodKind) -> None:
        self._campaign = campaign
        self._kind = kind
        self._timezone = campaign.timezone
        self._current: Period | None = None
        if kind is PeriodKind.CAMPAIGN:
            self._current = campaign.period_of(campaign.start, kind)

    def of(self, instant: datetime) -> Period:
        current = self._current
        if current is not None and (
            self._kind is PeriodKind.CAMPAIGN or current.start <= instant < current.end
        ):
            return current
        current = period_of(instant, self._kind, self._timezone)
        self._current = current
        return current


def _statement_periods(campaign: Campaign, kind: PeriodKind, as_of: datetime) -> list[Period]:
    """The statement periods that have begun by ``as_of``, within the campaign."""
    if as_of < campaign.start:
        return []
    if kind is PeriodKind.CAMPAIGN:
        return [campaign.period_of(campaign.start, kind)]
    end = min(as_of + _TICK, campaign.end)
    return list(periods_between(campaign.start, end, kind, campaign.timezone))


class _Compiled:
    """A rate rule with its arithmetic prepared once per deal."""

    __slots__ = (
        "band_prefix",
        "band_text",
        "bonus_bands",
        "common",
        "conditions",
        "default",
        "describe",
        "kind",
        "notes",
        "numerators",
        "price_text",
        "rate",
        "rate_text",
        "resets_with_statements",
        "revenue_basis",
        "rolling",
        "rule",
        "rule_id",
        "starts",
        "units",
        "volume_mode",
    )

    def __init__(  # noqa: PLR0915 - one branch per kind of rate rule
        self, rule: Any, default: bool, currency: str, places: int, statements: PeriodKind
    ) -> None:
        self.rule = rule
        self.rule_id: str = rule.id
        self.default = default
        self.conditions: tuple[Any, ...] = getattr(rule, "conditions", ())
        self.describe = "; ".join(condition.describe() for condition in self.conditions)
        # The notes every line of this rule ends with; a sale's conversion may add one.
        self.notes = "; ".join(
            note for note in (self.describe, "program default" if default else "") if note
        )
        self.price_text = ""
        self.rate = (0, 1)
        # A flat amount in exact minor units: a unit price may be finer than a cent.
        self.units: Exact = 0
        self.starts: list[Exact] = []
        self.numerators: list[int] = []
        self.common = 1
        self.band_text: list[str] = []
        self.band_prefix: list[str] = []
        self.rate_text: list[str] = []
        self.bonus_bands: list[int] = []
        self.revenue_basis = False
        self.rolling = False
        self.volume_mode = False
        # A tier that resets with the statement period finds both periods in one look-up.
        self.resets_with_statements = False
        if isinstance(rule, PercentRate):
            self.kind = "percent"
            self.rate = _rate_pair(rule.rate)
            self.price_text = format_rate(rule.rate)
        elif isinstance(rule, FlatPerSale | FlatPerItem | PerLead):
            self.kind = {FlatPerSale: "sale", FlatPerItem: "item", PerLead: "lead"}[type(rule)]
            self.units = _exact_units(rule.amount.amount, places)
            self.price_text = format_exact(rule.amount.amount, currency, places)
        elif isinstance(rule, TieredRate):
            self.kind = "tier"
            revenue = rule.basis is TierBasis.REVENUE
            self.revenue_basis = revenue
            self.rolling = rule.rolling_days is not None
            self.volume_mode = rule.mode is TierMode.VOLUME
            self.resets_with_statements = rule.rolling_days is None and rule.reset is statements
            scale = 10**places
            self.starts = [
                _to_exact(Fraction(band.start) * (scale if revenue else 1)) for band in rule.bands
            ]
            pairs = [_rate_pair(band.rate) for band in rule.bands]
            common = 1
            for _, denominator in pairs:
                common = common * denominator // _gcd(common, denominator)
            self.common = common
            self.numerators = [numerator * (common // den) for numerator, den in pairs]
            self.bonus_bands = [
                index for index, band in enumerate(rule.bands) if band.bonus is not None
            ]
            phrase = period_phrase(rule.reset, rule.rolling_days)
            for index, band in enumerate(rule.bands):
                end = rule.bands[index + 1].start if index + 1 < len(rule.bands) else None
                span = format_band_range(band.start, end, currency if revenue else None)
                self.band_text.append(f"tier {index + 1}, {span} {phrase}")
                self.rate_text.append(format_rate(band.rate))
                self.band_prefix.append(f"{self.rate_text[-1]} ({self.band_text[-1]}) of ")
        else:
            self.kind = "custom"


def _gcd(left: int, right: int) -> int:
    while right:
        left, right = right, left % right
    return left


class _TierState:
    """Volumes of one tiered rule: per calendar period (by label), or a rolling window.

    For a rolling window, ``periods`` finds local days and ``horizon`` is the
    first instant of the window of the day ``day``.
    """

    __slots__ = (
        "buckets",
        "day",
        "gross",
        "horizon",
        "labels",
        "net",
        "periods",
        "reached_at",
        "window",
        "window_total",
    )

    def __init__(self, periods: _Periods) -> None:
        self.periods = periods
        self.day: Period | None = None
        self.horizon: datetime | None = None
        self.net: dict[str, Exact] = {}
        self.gross: dict[str, Exact] = {}
        self.labels: dict[str, Period] = {}
        self.buckets: dict[str, list[_Sale]] = {}
        self.window: collections.deque[tuple[datetime, Exact]] = collections.deque()
        self.window_total: Exact = 0
        self.reached_at: dict[tuple[str, int], datetime] = {}


class _DealPricer:
    """Prices one deal's credited sales, activity and period rules."""

    def __init__(
        self,
        campaign: Campaign,
        deal: AffiliateDeal,
        as_of: datetime,
        problems: list[Problem],
        contents: Mapping[str, Content],
        *,
        memo: _Memo,
    ) -> None:
        self.campaign = campaign
        self.campaign_contents = contents
        self.deal = deal
        self.as_of = as_of
        self.problems = problems
        self.currency = campaign.deal_currency(deal)
        self.places = minor_unit(self.currency)
        self.rounding = deal.rounding
        self.statement_periods = _Periods(campaign, deal.statement_period)
        self.drafts: list[_Draft] = []
        self.texts = memo.texts(self.currency)
        self.amounts = memo.money(self.currency)
        self.partner_rules = [
            _Compiled(rule, False, self.currency, self.places, deal.statement_period)
            for rule in (*deal.custom_rules, *deal.rules)
            if self._usable(rule) and (isinstance(rule, CustomRule) or _is_rate_rule(rule))
        ]
        self.program_rules = [
            _Compiled(rule, True, self.currency, self.places, deal.statement_period)
            for rule in deal.program_rules
            if self._usable(rule)
        ]
        self.tiers: dict[str, _TierState] = {}
        self.needs_quantity = any(
            compiled.kind == "item" for compiled in (*self.partner_rules, *self.program_rules)
        )
        every = (*self.partner_rules, *self.program_rules)
        # A deal prices leads or sales only if it has a rule for them: a conversion of a
        # kind it has rules for that none of them matches is reported, never dropped.
        self.prices_leads = any(c.kind in ("lead", "custom") for c in every)
        self.prices_sales = any(c.kind != "lead" for c in every)
        self.needs_context = bool(
            deal.custom_rules
            or any(c.conditions for c in (*self.partner_rules, *self.program_rules))
        )
        # New customers of the run's events, for the conditions: set by the run.
        self.customers: NewCustomers | None = None

    def _usable(self, rule: Any) -> bool:
        amounts = [getattr(rule, "amount", None)] + [
            band.bonus for band in getattr(rule, "bands", ())
        ]
        for condition in getattr(rule, "conditions", ()):
            amounts.extend(
                (getattr(condition, "minimum", None), getattr(condition, "maximum", None))
            )
        for amount in amounts:
            if isinstance(amount, Money | UnroundedMoney) and amount.currency != self.currency:
                self.problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"deal:{self.deal.id}",
                        field=f"rules[{rule.id}]",
                        message=(
                            f"rule {rule.id} is in {amount.currency} but the deal pays in "
                            f"{self.currency}; the rule was not applied"
                        ),
                    )
                )
                return False
        return True

    # Sales -------------------------------------------------------------------------------

    def price_sales(self, sales: list[_Sale]) -> None:
        highest = self.deal.precedence is Precedence.HIGHEST
        partner_rules = self.partner_rules
        program_rules = self.program_rules
        single = (
            partner_rules[0]
            if len(partner_rules) == 1 and not program_rules and not self.needs_context
            else None
        )
        for sale in sales:
            if self.needs_context:
                sale.context = self._context(sale)
            if single is not None and (single.kind == "lead") == sale.lead:
                winner: _Compiled | None = single
            else:
                winner = self._choose(sale, partner_rules, highest) or self._choose(
                    sale, program_rules, highest
                )
            if winner is None:
                if self.prices_leads if sale.lead else self.prices_sales:
                    self._unpriced(sale)
                continue
            if winner.kind == "tier":
                self._tier(sale, winner)
            else:
                self._flat_or_percent(sale, winner)
        self._close_volume_tiers()

    def _unpriced(self, sale: _Sale) -> None:
        """Report a credited conversion that no rate rule of the deal priced."""
        kind = "lead" if sale.lead else "sale"
        tried = ", ".join(
            compiled.rule_id
            for compiled in (*self.partner_rules, *self.program_rules)
            if compiled.kind == "custom" or (compiled.kind == "lead") == sale.lead
        )
        share = "" if sale.share == 1 else f" ({sale.share} share)"
        self.problems.append(
            Problem(
                kind=ProblemKind.UNPRICED,
                subject=f"conversion:{sale.id}",
                field="rules",
                message=(
                    f"{kind} {sale.id} credited to partner {self.deal.partner_id}{share} "
                    f"matched no rate rule of deal {self.deal.id} (tried: {tried}); "
                    "it was not priced"
                ),
            )
        )

    def _matching(self, sale: _Sale, compiled: _Compiled) -> bool:
        if (compiled.kind == "lead") != sale.lead and compiled.kind != "custom":
            return False
        context = sale.context
        if context is None:
            return not compiled.conditions
        return all(condition.matches(context) for condition in compiled.conditions)

    def _choose(self, sale: _Sale, rules: list[_Compiled], highest: bool) -> _Compiled | None:
        best: _Compiled | None = None
        best_amount: Fraction | None = None
        for compiled in rules:
            if not self._matching(sale, compiled):
                continue
            if compiled.kind == "custom":
                outcome = compiled.rule.price(sale.context)
                if outcome is None:
                    continue
                if outcome.amount.currency != self.currency:
                    self.problems.append(
                        Problem(
                            kind=ProblemKind.CURRENCY,
                            subject=f"conversion:{sale.id}",
                            field=f"custom_rules[{compiled.rule_id}]",
                            message=(
                                f"custom rule {compiled.rule_id} priced the sale in "
                                f"{outcome.amount.currency}, not in the deal's {self.currency}; "
                                "it was not applied"
                            ),
                        )
                    )
                    continue
            if not highest:
                return compiled
            amount = self._provisional(sale, compiled)
            if best_amount is None or amount > best_amount:
                best, best_amount = compiled, amount
        return best

    def _provisional(self, sale: _Sale, compiled: _Compiled) -> Fraction:
        """The exact amount a rule would pay for a sale, to compare rules (HIGHEST)."""
        kind = compiled.kind
        if kind == "tier":
            volume = self._tier_volume(sale, compiled)
            carried = self._tier_carry(sale, compiled, peek=True)
            if not compiled.volume_mode:
                parts = graduated_split(compiled.starts, carried, carried + volume)
                total = sum((part * compiled.numerators[i] for i, part in parts), Fraction(0))
                scale = 1 if compiled.revenue_basis else sale.base
                return Fraction(total) * scale / compiled.common
            index = volume_band(compiled.starts, carried + volume)
            return Fraction(sale.share * sale.base * compiled.numerators[index], compiled.common)
        numerator, denominator, _ = self._simple_amount(sale, compiled)
        return Fraction(numerator) / denominator

    def _context(self, sale: _Sale) -> SaleContext:
        conversion = sale.conversion
        content_id = sale.credit.content_id
        return SaleContext(
            conversion=conversion,
            credit=sale.credit,
            content=self.campaign_contents.get(content_id) if content_id else None,
            currency=self.currency,
            order_value=UnroundedMoney(_as_decimal(sale.order_value, self.places), self.currency),
            base=UnroundedMoney(_as_decimal(sale.base, self.places), self.currency),
            refunded=Money.from_minor(sale.refunded, conversion.currency),
            fx=sale.fx,
            new_customer=(
                conversion.new_customer if self.customers is None else self.customers.of(conversion)
            ),
        )

    def _simple_amount(self, sale: _Sale, compiled: _Compiled) -> tuple[Exact, int, str]:
        """Exact amount of a non-tiered rule as numerator / denominator, and its explanation."""
        kind = compiled.kind
        share = sale.share
        if kind == "percent":
            rate_numerator, rate_denominator = compiled.rate
            numerator: Exact = sale.base * rate_numerator * share
            text = f"{compiled.price_text} of {self._base_text(sale)}"
            return numerator, rate_denominator, text
        if kind == "custom":
            outcome = compiled.rule.price(sale.context)
            exact = Fraction(outcome.amount.amount) * 10**self.places * share
            return _to_exact(exact), 1, outcome.explanation
        flat = compiled.units
        if kind == "item":
            numerator = flat * sale.quantity * sale.remaining * share
            count = sale.conversion.quantity.normalize() if sale.conversion.items else Decimal(1)
            text = f"{compiled.price_text} x {count} item{'s' if count != 1 else ''}"
        elif kind == "lead":
            numerator = flat * share
            text = f"{compiled.price_text} per lead"
        else:
            numerator = flat * sale.remaining * share
            text = f"{compiled.price_text} per sale"
        if sale.remaining != 1 and kind != "lead":
            text += f" x {sale.remaining} of the sale not refunded"
        return _to_exact(Fraction(numerator)), 1, text

    def _amount_text(self, units: int) -> str:
        texts = self.texts
        text = texts.get(units)
        if text is None:
            text = format_minor(units, self.currency, self.places)
            if len(texts) < _MEMO_LIMIT:
                texts[units] = text
        return text

    def _base_text(self, sale: _Sale) -> str:
        base = sale.base
        if isinstance(base, int):
            text = self._amount_text(base)
        else:
            text = _exact_text(base, self.currency)
        if sale.refunded:
            refunded = format_minor(sale.refunded, sale.conversion.currency)
            text += f" (after {refunded} refunded of {sale.conversion.revenue})"
        return text

    def _describe(
        self,
        sale: _Sale,
        compiled: _Compiled,
        body: str,
        units: int,
        *,
        share_inside: bool = False,
    ) -> str:
        share = sale.share
        if share != 1:
            # A revenue tier prices the partner's share of the sale band by band.
            body = (
                f"{share} share of the sale: {body}" if share_inside else f"{share} share x {body}"
            )
        text = f"{body} = {self._amount_text(units)}"
        if sale.fully_refunded:
            text = f"fully refunded: {text}"
        notes = compiled.notes
        fx = sale.fx
        if fx is not None:
            converted = f"converted from {fx.original} at {fx.rate} ({fx.rate_date.isoformat()})"
            notes = f"{notes}; {converted}" if notes else converted
        return f"{text} [{notes}]" if notes else text

    def _add_sale_line(
        self,
        sale: _Sale,
        compiled: _Compiled,
        units: int,
        explanation: str,
        period: Period | None = None,
    ) -> None:
        """Add a sale's commission line; ``period`` is its statement period, if known."""
        instant = sale.instant
        self.drafts.append(
            _Draft(
                f"commission:{sale.id}:{compiled.rule_id}",
                _COMMISSION,
                units,
                compiled.rule_id,
                explanation,
                instant,
                period or self.statement_periods.of(instant),
                sale.source_ids,
                sale.fx,
            )
        )

    def _flat_or_percent(self, sale: _Sale, compiled: _Compiled) -> None:
        numerator, denominator, body = self._simple_amount(sale, compiled)
        units = _round_ratio(numerator, denominator, self.rounding)
        self._add_sale_line(sale, compiled, units, self._describe(sale, compiled, body, units))

    # Tiers -------------------------------------------------------------------------------

    def _tier_state(self, compiled: _Compiled) -> _TierState:
        state = self.tiers.get(compiled.rule_id)
        if state is None:
            rule: TieredRate = compiled.rule
            # A rolling window is counted in local days; a calendar tier in its reset period.
            kind = PeriodKind.DAY if rule.rolling_days is not None else rule.reset
            state = self.tiers[compiled.rule_id] = _TierState(_Periods(self.campaign, kind))
        return state

    @staticmethod
    def _tier_volume(sale: _Sale, compiled: _Compiled) -> Exact:
        if compiled.revenue_basis:
            return sale.base * sale.share
        return 0 if sale.fully_refunded else sale.share

    def _tier_carry(self, sale: _Sale, compiled: _Compiled, *, peek: bool = False) -> Exact:
        """The volume reached before this sale (carry-in attainment)."""
        rule: TieredRate = compiled.rule
        state = self._tier_state(compiled)
        if rule.rolling_days is None:
            return state.net.get(state.periods.of(sale.instant).label, 0)
        horizon = self._window_start(state, sale.instant, rule.rolling_days)
        window = state.window
        total = state.window_total
        if peek:
            return total - sum(volume for instant, volume in window if instant < horizon)
        while window and window[0][0] < horizon:
            total -= window.popleft()[1]
        state.window_total = total
        return total

    def _window_start(self, state: _TierState, instant: datetime, days: int) -> datetime:
        """The first instant of a rolling window of ``days`` local days ending at ``instant``.

        The window covers the local day of ``instant`` and the ``days - 1`` local
        days before it, in the campaign's time zone: it starts at local midnight,
        so across a change of daylight saving time it is an hour shorter or longer
        than ``days`` x 24 hours.
        """
        day = state.periods.of(instant)
        if day is not state.day or state.horizon is None:
            state.day = day
            first = day.first_day - timedelta(days=days - 1)
            state.horizon = local_midnight(first, self.campaign.timezone)
        return state.horizon

    def _tier(self, sale: _Sale, compiled: _Compiled) -> None:  # noqa: PLR0912, PLR0915 - graduated, volume and rolling tiers share one pass
        state = self._tier_state(compiled)
        revenue_basis = compiled.revenue_basis
        volume = (
            sale.base * sale.share if revenue_basis else (0 if sale.fully_refunded else sale.share)
        )
        statement_period = None
        if compiled.rolling:
            carried = self._tier_carry(sale, compiled)
            after = carried + volume
            state.window.append((sale.instant, volume))
            state.window_total = after
            if compiled.volume_mode:
                self._volume_line(sale, compiled, volume_band(compiled.starts, after), after)
                return
        else:
            period = state.periods.of(sale.instant)
            if compiled.resets_with_statements:
                statement_period = period
            label = period.label
            net = state.net
            carried = net.get(label, 0)
            after = carried + volume
            net[label] = after
            if compiled.bonus_bands:
                gross = sale.gross_base * sale.share if compiled.revenue_basis else sale.share
                gross_before = state.gross.get(label, 0)
                state.gross[label] = gross_before + gross
                state.labels[label] = period
                for index in compiled.bonus_bands:
                    threshold = compiled.starts[index]
                    # A band is entered when a unit falls inside it: the volume exceeds its start.
                    if gross_before <= threshold < gross_before + gross:
                        state.reached_at[(label, index)] = sale.instant
            if compiled.volume_mode:
                state.labels[label] = period
                bucket = state.buckets.get(label)
                if bucket is None:
                    bucket = state.buckets[label] = []
                bucket.append(sale)
                return
        parts = graduated_split(compiled.starts, carried, after)
        numerators = compiled.numerators
        numerator: Exact = 0
        for index, part in parts:
            numerator += part * numerators[index]
        if not revenue_basis:
            numerator *= sale.base
        units = _round_ratio(numerator, compiled.common, self.rounding)
        if len(parts) == 1 or not parts:
            index = parts[0][0] if parts else band_index(compiled.starts, carried)
            body = f"{compiled.band_prefix[index]}{self._base_text(sale)}"
        elif not revenue_basis:
            body = " + ".join(
                f"{part} of the sale at {compiled.rate_text[i]} ({compiled.band_text[i]})"
                for i, part in parts
            )
            body = f"{self._base_text(sale)} x ({body})"
        else:
            currency = self.currency
            body = " + ".join(
                f"{compiled.rate_text[i]} of {_exact_text(part, currency)} "
                f"({compiled.band_text[i]})"
                for i, part in parts
            )
        self._add_sale_line(
            sale,
            compiled,
            units,
            self._describe(sale, compiled, body, units, share_inside=revenue_basis),
            statement_period,
        )

    def _volume_line(self, sale: _Sale, compiled: _Compiled, index: int, total: Exact) -> None:
        numerator = sale.base * sale.share * compiled.numerators[index]
        units = _round_ratio(numerator, compiled.common, self.rounding)
        reached = _exact_text(total, self.currency) if compiled.revenue_basis else f"{total} sales"
        body = (
            f"{compiled.rate_text[index]} ({compiled.band_text[index]}, "
            f"volume {reached} reached) of {self._base_text(sale)}"
        )
        self._add_sale_line(sale, compiled, units, self._describe(sale, compiled, body, units))

    def _close_volume_tiers(self) -> None:
        for compiled in (*self.partner_rules, *self.program_rules):
            state = self.tiers.get(compiled.rule_id)
            if state is None:
                continue
            for label in sorted(state.buckets, key=lambda item: state.labels[item].start):
                total = state.net[label]
                index = volume_band(compiled.starts, total)
                for sale in state.buckets[label]:
                    self._volume_line(sale, compiled, index, total)

    def tier_bonuses(self) -> None:
        currency = self.currency
        for compiled in (*self.partner_rules, *self.program_rules):
            state = self.tiers.get(compiled.rule_id)
            if state is None or not compiled.bonus_bands:
                continue
            rule: TieredRate = compiled.rule
            for label in sorted(state.gross, key=lambda item: state.labels[item].start):
                period = state.labels[label]
                for index in compiled.bonus_bands:
                    bonus = rule.bands[index].bonus
                    threshold = compiled.starts[index]
                    if bonus is None or state.gross[label] <= threshold:
                        continue
                    reached = state.net.get(label, 0) > threshold
                    units = bonus.minor_units if reached else 0
                    earned = state.reached_at.get((label, index)) or _last_instant(period)
                    if reached:
                        text = (
                            f"bonus for reaching {compiled.band_text[index]} "
                            f"in {label} = {format_minor(units, currency)}"
                        )
                    else:
                        text = (
                            f"{compiled.band_text[index]} was reached in "
                            f"{label} but refunds took the volume back under it: "
                            f"bonus {format_minor(bonus.minor_units, currency)} "
                            f"withdrawn = {format_minor(0, currency)}"
                        )
                    self.drafts.append(
                        _Draft(
                            f"tier-bonus:{compiled.rule_id}:{label}:{index + 1}",
                            LineKind.BONUS,
                            units,
                            compiled.rule_id,
                            text,
                            earned,
                            self.statement_periods_of(earned),
                        )
                    )

    def statement_periods_of(self, instant: datetime) -> Period:
        return self.statement_periods.of(instant)

    # Activity ----------------------------------------------------------------------------

    def price_activity(
        self,
        clicks: Sequence[Touch],
        contents: Sequence[Content],
        views: Mapping[str, int],
    ) -> None:
        currency = self.currency
        for rule in self.deal.rules:
            if isinstance(rule, PerClick) and self._usable(rule):
                by_period: dict[datetime, tuple[Period, list[str]]] = {}
                for touch in clicks:
                    period = self.statement_periods_of(touch.instant)
                    by_period.setdefault(period.start, (period, []))[1].append(touch.id)
                flat = _exact_units(rule.amount.amount, self.places)
                price = format_exact(rule.amount.amount, currency, self.places)
                for start in sorted(by_period):
                    period, ids = by_period[start]
                    units = _round_ratio(flat * len(ids), 1, self.rounding)
                    self.drafts.append(
                        _Draft(
                            f"clicks:{rule.id}:{period.label}",
                            LineKind.COMMISSION,
                            units,
                            rule.id,
                            f"{len(ids):,} click{'s' if len(ids) != 1 else ''} x "
                            f"{price} = {format_minor(units, currency)}",
                            _last_instant(period),
                            period,
                            tuple(sorted(ids)),
                        )
                    )
            elif isinstance(rule, CpmViews) and self._usable(rule):
                wanted = set(rule.content_ids)
                per_thousand = _exact_units(rule.amount.amount, self.places)
                price = format_exact(rule.amount.amount, currency, self.places)
                for content in contents:
                    if wanted and content.id not in wanted:
                        continue
                    count = views.get(content.id, 0)
                    units = _round_ratio(count * per_thousand, 1000, self.rounding)
                    self.drafts.append(
                        _Draft(
                            f"cpm:{rule.id}:{content.id}",
                            LineKind.COMMISSION,
                            units,
                            rule.id,
                            f"{count:,} views / 1,000 x {price} "
                            f"CPM = {format_minor(units, currency)}",
                            content.published_at,
                            self.statement_periods_of(content.published_at),
                            (content.id,),
                        )
                    )

    def price_recurring(self, repeats: list[tuple[_Sale, _Referral]]) -> None:
        """Lines for the uncredited repeat purchases of customers this partner referred.

        A partner credited with a share of the referring sale earns that share of
        the recurring commission: the co-referrers' shares sum to at most 1, so
        together they are paid a repeat purchase at most once (before each line
        is rounded on its own, as the lines of a shared sale are).
        """
        rules = [
            rule
            for rule in self.deal.rules
            if isinstance(rule, RecurringRate) and self._usable(rule)
        ]
        timezone = zone(self.campaign.timezone)
        for rule in rules:
            numerator, denominator = _rate_pair(rule.rate)
            span = relativedelta(months=rule.months)
            within = f"within {rule.months} month{'s' if rule.months != 1 else ''}"
            for sale, referral in repeats:
                referred_at = referral.at
                local = referred_at.astimezone(timezone)
                if not referred_at < sale.instant < local + span:
                    continue
                share = referral.share
                units = _round_ratio(sale.base * numerator * share, denominator, self.rounding)
                body = (
                    f"recurring {format_rate(rule.rate)} of {self._base_text(sale)} "
                    f"(repeat purchase of a customer referred on {local:%Y-%m-%d}, {within}"
                )
                if share == 1:
                    body += ")"
                else:
                    body = (
                        f"{share} share x {body}; {share} is the partner's credit share of "
                        f"the referring sale {referral.sale_id})"
                    )
                self.drafts.append(
                    _Draft(
                        f"recurring:{sale.id}:{rule.id}",
                        LineKind.COMMISSION,
                        units,
                        rule.id,
                        f"{body} = {self._amount_text(units)}",
                        sale.instant,
                        self.statement_periods_of(sale.instant),
                        sale.source_ids,
                        sale.fx,
                    )
                )

    # Caps --------------------------------------------------------------------------------

    def apply_caps(self) -> None:
        """Limit the commission lines by the deal's caps, greedily in the order earned.

        Each line meets the caps in a fixed order, whatever the order they were
        declared in: per-sale caps, then period caps, then lifetime caps (by id
        within a scope). A line pays the least of its amount and every cap's
        room, and each period or lifetime cap is then charged with what the line
        finally pays, so that no cap ever counts an amount another cap removed.
        A line belongs to its own statement period: a period cap of the same
        kind as the statement period counts the line there; a cap of another
        kind counts it in the cap period containing ``earned_at``, which for a
        period-level line (clicks) is its statement period's last instant.
        """
        caps = [rule for rule in self.deal.rules if isinstance(rule, Cap) and self._usable(rule)]
        if not caps:
            return
        caps.sort(key=_cap_order)
        sale_caps = [cap for cap in caps if cap.scope is CapScope.SALE]
        # The drafts are visited in time order: each cap's finder keeps its current period.
        shared = [
            (cap, _Periods(self.campaign, cap.period), cap.period is self.deal.statement_period)
            for cap in caps
            if cap.scope is not CapScope.SALE
        ]
        commissions = sorted(
            (draft for draft in self.drafts if draft.kind is _COMMISSION),
            key=lambda draft: (draft.earned_at, draft.key),
        )
        currency = self.currency
        used: dict[tuple[str, datetime], int] = {}
        lifetime = self.campaign.start
        for draft in commissions:
            units = draft.units
            notes: list[str] = []
            if sale_caps and draft.key.startswith(("commission:", "recurring:")):
                for cap in sale_caps:
                    limit = cap.amount.minor_units
                    if units > limit:
                        notes.append(_cap_note(cap, units - limit, "per-sale cap", currency))
                        units = limit
            slots: list[tuple[str, datetime]] = []
            for cap, finder, own_period in shared:
                limit = cap.amount.minor_units
                if cap.scope is CapScope.PERIOD:
                    period = draft.period if own_period else finder.of(draft.earned_at)
                    slot = (cap.id, period.start)
                    where = f"{cap.period.value} cap for {period.label}"
                else:
                    slot = (cap.id, lifetime)
                    where = "lifetime cap"
                room = limit - used.get(slot, 0)
                if units > room:
                    notes.append(_cap_note(cap, units - room, where, currency))
                    units = room
                slots.append(slot)
            for slot in slots:
                used[slot] = used.get(slot, 0) + units
            if notes:
                draft.capped += draft.units - units
                draft.units = units
                draft.explanation += "".join(notes)

    # Period rules ------------------------------------------------------------------------

    def price_periods(self, sales: list[_Sale]) -> None:
        rules = [
            rule
            for rule in self.deal.rules
            if isinstance(rule, ThresholdBonus | NetworkFee | GuaranteedMinimum | RecoverableDraw)
            and self._usable(rule)
        ]
        bonuses = [rule for rule in rules if isinstance(rule, ThresholdBonus)]
        fees = [rule for rule in rules if isinstance(rule, NetworkFee)]
        guarantees = [rule for rule in rules if isinstance(rule, GuaranteedMinimum)]
        draws = [rule for rule in rules if isinstance(rule, RecoverableDraw)]
        if not (bonuses or fees or guarantees or draws):
            return
        periods = _statement_periods(self.campaign, self.deal.statement_period, self.as_of)
        known = {period.start for period in periods}
        for draft in self.drafts:
            if draft.period.start not in known:
                known.add(draft.period.start)
                periods.append(draft.period)
        periods.sort(key=lambda period: period.start)
        metrics: dict[datetime, list[Exact]] = {p.start: [0, 0, 0, 0] for p in periods}
        for sale in sales:
            if sale.lead:
                continue
            slot = metrics.get(self.statement_periods_of(sale.instant).start)
            if slot is None:
                continue
            slot[0] += 0 if sale.fully_refunded else sale.share
            slot[1] += sale.share
            slot[2] += sale.base * sale.share
            slot[3] += sale.gross_base * sale.share
        balances = {rule.id: 0 for rule in draws}
        commission_by_period: dict[str, int] = {}
        bonus_by_period: dict[str, int] = {}
        for draft in self.drafts:
            if draft.kind is LineKind.COMMISSION or draft.kind is LineKind.BONUS:
                sums = (
                    commission_by_period if draft.kind is LineKind.COMMISSION else bonus_by_period
                )
                label = draft.period.label
                sums[label] = sums.get(label, 0) + draft.units
        for period in periods:
            label = period.label
            commission = commission_by_period.get(label, 0)
            net_count, gross_count, net_revenue, gross_revenue = metrics[period.start]
            earned = commission + bonus_by_period.get(label, 0)
            for rule in bonuses:
                earned += self._threshold_bonus(
                    rule,
                    period,
                    commission,
                    (net_count, gross_count, net_revenue, gross_revenue),
                )
            self._settle(period, earned, (fees, guarantees, draws), balances)

    def _settle(
        self,
        period: Period,
        earned: int,
        rules: tuple[list[NetworkFee], list[GuaranteedMinimum], list[RecoverableDraw]],
        balances: dict[str, int],
    ) -> None:
        """Network fees, guarantee top-ups, advances and recoveries of one period."""
        fees, guarantees, draws = rules
        currency = self.currency
        label = period.label
        for fee in fees:
            fee_numerator, fee_denominator = _rate_pair(fee.rate)
            units = _round_ratio(earned * fee_numerator, fee_denominator, self.rounding)
            self.drafts.append(
                _Draft(
                    f"network-fee:{fee.id}:{label}",
                    LineKind.NETWORK_FEE,
                    units,
                    fee.id,
                    f"{format_rate(fee.rate)} of commissions and bonuses "
                    f"{format_minor(earned, currency)} = {format_minor(units, currency)}",
                    _last_instant(period),
                    period,
                )
            )
        for guarantee in guarantees:
            minimum = guarantee.amount.minor_units
            units = max(0, minimum - earned)
            self.drafts.append(
                _Draft(
                    f"guarantee:{guarantee.id}:{label}",
                    LineKind.GUARANTEE_TOPUP,
                    units,
                    guarantee.id,
                    f"guaranteed minimum {format_minor(minimum, currency)} less commissions "
                    f"and bonuses {format_minor(earned, currency)} = "
                    f"{format_minor(units, currency)} top-up (not recoverable)",
                    _last_instant(period),
                    period,
                )
            )
        for draw_rule in draws:
            draw = draw_rule.amount.minor_units
            balance = balances[draw_rule.id]
            advance = max(0, draw - earned)
            recovered = min(balance, max(0, earned - draw))
            balances[draw_rule.id] = balance + advance - recovered
            self.drafts.append(
                _Draft(
                    f"advance:{draw_rule.id}:{label}",
                    LineKind.ADVANCE,
                    advance,
                    draw_rule.id,
                    f"draw {format_minor(draw, currency)} less commissions and bonuses "
                    f"{format_minor(earned, currency)} = {format_minor(advance, currency)} "
                    f"advanced (recoverable; balance now "
                    f"{format_minor(balances[draw_rule.id], currency)})",
                    _last_instant(period),
                    period,
                )
            )
            self.drafts.append(
                _Draft(
                    f"recovery:{draw_rule.id}:{label}",
                    LineKind.RECOVERY,
                    -recovered,
                    draw_rule.id,
                    f"commissions and bonuses {format_minor(earned, currency)} above the "
                    f"draw {format_minor(draw, currency)} recover "
                    f"{format_minor(recovered, currency)} of the advance balance "
                    f"{format_minor(balance, currency)}",
                    _last_instant(period),
                    period,
                )
            )

    def _threshold_bonus(
        self,
        rule: ThresholdBonus,
        period: Period,
        commission: int,
        measures: tuple[Exact, Exact, Exact, Exact],
    ) -> int:
        currency = self.currency
        net_count, gross_count, net_revenue, gross_revenue = measures
        if rule.metric is TierBasis.COUNT:
            level: Exact = _to_exact(Fraction(rule.threshold))
            net, gross = net_count, gross_count
            shown = f"{net} sales"
        elif rule.metric is TierBasis.REVENUE:
            level = _to_exact(Fraction(rule.threshold) * 10**self.places)
            net, gross = net_revenue, gross_revenue
            shown = _exact_text(net, currency)
        else:
            level = _to_exact(Fraction(rule.threshold) * 10**self.places)
            net = gross = commission
            shown = format_minor(commission, currency)
        if gross < level and net < level:
            return 0
        threshold_text = (
            f"{rule.threshold.normalize():f} sales"
            if rule.metric is TierBasis.COUNT
            else _exact_text(level, currency)
        )
        if net < level:
            units = 0
            text = (
                f"{rule.metric.value} {shown} is under the threshold {threshold_text} "
                f"after refunds = {format_minor(0, currency)}"
            )
        elif rule.amount is not None:
            units = rule.amount.minor_units
            text = (
                f"{rule.metric.value} {shown} reached {threshold_text} in {period.label} = "
                f"{format_minor(units, currency)}"
            )
        else:
            numerator, denominator = _rate_pair(rule.rate or Decimal(0))
            units = _round_ratio(commission * numerator, denominator, self.rounding)
            text = (
                f"{rule.metric.value} {shown} reached {threshold_text} in {period.label}: "
                f"{format_rate(rule.rate or Decimal(0))} of commissions "
                f"{format_minor(commission, currency)} = "
                f"{format_minor(units, currency)}"
            )
        self.drafts.append(
            _Draft(
                f"bonus:{rule.id}:{period.label}",
                LineKind.BONUS,
                units,
                rule.id,
                text,
                _last_instant(period),
                period,
            )
        )
        return units

    def lines(self, groups: _Groups) -> None:
        """Turn the drafts into statement lines, grouped by statement period."""
        currency = self.currency
        places = self.places
        partner_id = self.deal.partner_id
        current: list[StatementLine] = []
        current_label = None
        amounts = self.amounts
        for draft in self.drafts:
            amount = amounts.get(draft.units)
            if amount is None:
                amount = _money(draft.units, currency, places)
                if len(amounts) < _MEMO_LIMIT:
                    amounts[draft.units] = amount
            period = draft.period
            if period.label != current_label:
                current_label = period.label
                current = groups.add(partner_id, period, currency)
            current.append(
                _line(
                    draft.key,
                    draft.kind,
                    amount,
                    draft.rule_id,
                    draft.explanation,
                    draft.earned_at,
                    draft.source_ids,
                    _money(draft.capped, currency, places) if draft.capped else None,
                    draft.fx,
                )
            )


_CAP_SCOPES = {CapScope.SALE: 0, CapScope.PERIOD: 1, CapScope.LIFETIME: 2}


def _cap_order(cap: Cap) -> tuple[int, str]:
    """Per-sale caps first, then period caps, then lifetime caps; by id within a scope."""
    return _CAP_SCOPES[cap.scope], cap.id


def _cap_note(cap: Cap, removed: int, where: str, currency: str) -> str:
    return (
        f"; capped by {cap.id}: {format_minor(removed, currency)} over the "
        f"{where} of {format_minor(cap.amount.minor_units, currency)} not paid"
    )


def _is_rate_rule(rule: object) -> bool:
    return isinstance(rule, PercentRate | FlatPerSale | FlatPerItem | PerLead | TieredRate)


# A credited share of a sale (a third of it) may have no finite decimal; a custom rule's
# context gets it to the precision of exact money, rounded half-even, once.
_SHARES = decimal.Context(prec=MAX_DIGITS, rounding=decimal.ROUND_HALF_EVEN)


def _as_decimal(value: Exact, places: int) -> Decimal:
    if isinstance(value, int):
        return scaled(value, -places)
    # A share of a sale (a third) has no exact decimal: custom rules see it to the
    # precision of exact money, which is documented on SaleContext.
    exact = _SHARES.divide(Decimal(value.numerator), Decimal(value.denominator))
    return scaled(exact, -places)


def _base_units(conversion: Conversion, base: CommissionBase) -> int | None:  # noqa: PLR0911 - one exit per commission base
    """The commissionable base of a sale in its own minor units, or None if unknown."""
    revenue = conversion.revenue.minor_units
    if base is CommissionBase.NET:
        return revenue
    if base is CommissionBase.NET_PLUS_SHIPPING:
        shipping = conversion.shipping
        return revenue + (shipping.minor_units if shipping is not None else 0)
    if base is CommissionBase.BEFORE_DISCOUNT:
        discount = conversion.discount
        return revenue + (discount.minor_units if discount is not None else 0)
    gross = conversion.gross
    if gross is None:
        return None
    if base is CommissionBase.GROSS:
        return gross.minor_units
    tax = conversion.tax
    if tax is None:
        return None
    return gross.minor_units - tax.minor_units


class _Inputs:
    """The events of a run, indexed once and cut at ``as_of``."""

    def __init__(  # noqa: PLR0912 - one pass over each kind of event
        self,
        conversions: Iterable[Conversion],
        refunds: Iterable[Refund],
        touches: Iterable[Touch],
        *,
        as_of: datetime,
        problems: list[Problem],
        want_clicks: bool,
        checked: bool = False,
    ) -> None:
        self.conversions: dict[str, Conversion] = {}
        self.later: set[str] = set()
        conflicting: set[str] = set()
        if checked:
            # From an EventBatch: conversions have unique ids and are sorted by
            # (instant, id), refunds too. The loop below would find no conflict
            # and cut at as_of where a binary search does, so index them in C.
            ordered = tuple(conversions)
            cut = bisect.bisect_right(ordered, as_of, key=_BY_INSTANT)
            self.conversions = dict(zip(map(_BY_ID, ordered[:cut]), ordered[:cut], strict=True))
            self.later = set(map(_BY_ID, ordered[cut:]))
            conversions = ()
        else:
            refunds = sorted(refunds, key=lambda item: (item.instant, item.id))
        for conversion in conversions:
            if conversion.instant > as_of:
                self.later.add(conversion.id)
                continue
            known = self.conversions.get(conversion.id)
            if known is None:
                self.conversions[conversion.id] = conversion
            elif known != conversion:
                conflicting.add(conversion.id)
        for conversion_id in sorted(conflicting):
            del self.conversions[conversion_id]
            problems.append(
                Problem(
                    kind=ProblemKind.DUPLICATE_ID,
                    subject=f"conversion:{conversion_id}",
                    message="two different conversions share this id; neither was priced",
                )
            )
        self.refunded: dict[str, int] = {}
        self.refund_ids: dict[str, list[str]] = {}
        seen_refunds: dict[str, Refund] = {}
        for refund in refunds:
            if refund.instant > as_of:
                continue
            if refund.id in seen_refunds:
                if seen_refunds[refund.id] != refund:
                    problems.append(
                        Problem(
                            kind=ProblemKind.DUPLICATE_ID,
                            subject=f"refund:{refund.id}",
                            message="two different refunds share this id; the earlier one counts",
                        )
                    )
                continue
            seen_refunds[refund.id] = refund
            sale = self.conversions.get(refund.conversion_id)
            if sale is None:
                if refund.conversion_id not in self.later:
                    problems.append(
                        Problem(
                            kind=ProblemKind.UNKNOWN_SALE,
                            subject=f"refund:{refund.id}",
                            field="conversion_id",
                            message=f"refund of unknown conversion {refund.conversion_id}",
                        )
                    )
                continue
            if refund.amount.currency != sale.currency:
                problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"refund:{refund.id}",
                        field="amount",
                        message=(
                            f"refund in {refund.amount.currency} of a sale in {sale.currency}; "
                            "it was not applied"
                        ),
                    )
                )
                continue
            total = self.refunded.get(sale.id, 0) + refund.amount.minor_units
            revenue = sale.revenue.minor_units
            if total > revenue:
                problems.append(
                    Problem(
                        kind=ProblemKind.REFUND_EXCEEDS_SALE,
                        subject=f"refund:{refund.id}",
                        field="amount",
                        message=(
                            f"refunds total {format_minor(total, sale.currency)} on a sale of "
                            f"{sale.revenue}; the sale counts as fully refunded"
                        ),
                    )
                )
                total = revenue
            self.refunded[sale.id] = total
            self.refund_ids.setdefault(sale.id, []).append(refund.id)
        self._by_customer: dict[str, list[Conversion]] | None = None
        self.clicks: dict[str, list[Touch]] = {}
        for touch in touches if want_clicks else ():
            if touch.kind is TouchKind.CLICK and touch.partner_id and touch.instant <= as_of:
                self.clicks.setdefault(touch.partner_id, []).append(touch)

    def by_customer(self) -> dict[str, list[Conversion]]:
        """The conversions of each customer, in order (built on first use)."""
        if self._by_customer is None:
            self._by_customer = _by_customer_of(self.conversions)
        return self._by_customer


def _by_customer_of(conversions: Mapping[str, Conversion]) -> dict[str, list[Conversion]]:
    result: dict[str, list[Conversion]] = {}
    for conversion in conversions.values():
        result.setdefault(conversion.customer_key, []).append(conversion)
    for purchases in result.values():
        purchases.sort(key=lambda item: (item.instant, item.id))
    return result


def _prepare_sales(  # noqa: PLR0915 - one pass that prepares every credited sale
    pricer: _DealPricer,
    credits: Sequence[Credit],
    inputs: _Inputs,
    problems: list[Problem],
    *,
    by_id: bool = False,
) -> list[_Sale]:
    """The credited sales of one deal, sorted by (instant, id).

    ``by_id`` when ``credits`` are already sorted by conversion id, as
    :func:`attribute_batch` returns them: the first of the two sorts is skipped.
    """
    campaign = pricer.campaign
    currency = pricer.currency
    places = pricer.places
    base_kind = pricer.deal.commission_base
    net = base_kind is CommissionBase.NET
    conversions = inputs.conversions
    refunded_by_sale = inputs.refunded
    refund_ids = inputs.refund_ids
    lead_kind = ConversionKind.LEAD
    needs_quantity = pricer.needs_quantity
    sales: list[_Sale] = []
    for credit in credits:
        conversion = conversions.get(credit.conversion_id)
        if conversion is None:
            if credit.conversion_id not in inputs.later:
                problems.append(
                    Problem(
                        kind=ProblemKind.UNKNOWN_SALE,
                        subject=f"credit:{credit.conversion_id}:{credit.partner_id}",
                        message=f"credit for unknown conversion {credit.conversion_id}",
                    )
                )
            continue
        revenue_money = conversion.revenue
        sale_currency = revenue_money.currency
        revenue = int(
            scaled(
                revenue_money.amount,
                places if sale_currency == currency else minor_unit(sale_currency),
            )
        )
        base = revenue if net else _base_units(conversion, base_kind)
        if base is None:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"conversion:{conversion.id}",
                    field=base_kind.value,
                    message=(
                        f"deal {pricer.deal.id} pays on the {base_kind.value} base but the "
                        "conversion lacks the amounts to compute it; it was not priced"
                    ),
                )
            )
            continue
        sale_id = conversion.id
        refunded = refunded_by_sale.get(sale_id, 0)
        sale = _Sale()
        sale.context = None
        sale.conversion = conversion
        sale.credit = credit
        sale.id = sale_id
        sale.instant = conversion.instant
        sale.lead = conversion.kind is lead_kind
        share = credit.share
        sale.share = 1 if share == 1 else share
        sale.refunded = refunded
        sale.fully_refunded = refunded > 0 and refunded >= revenue
        if refunded:
            sale.remaining = Fraction(revenue - refunded, revenue)
            net_base: Exact = revenue - refunded if net else _to_exact(base * sale.remaining)
            sale.source_ids = (conversion.id, *refund_ids[conversion.id])
        else:
            sale.remaining = 1
            net_base = base
            sale.source_ids = (conversion.id,)
        if needs_quantity:
            quantity = conversion.quantity if conversion.items else Decimal(1)
            sale.quantity = _to_exact(Fraction(quantity))
        else:
            sale.quantity = 1
        sale.fx = None
        if sale_currency != currency:
            try:
                conversion_fx = campaign.fx.convert(conversion.revenue, currency, sale.instant)
            except MissingRateError as error:
                problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"conversion:{conversion.id}",
                        field="revenue",
                        message=f"{error}; the sale was not priced for deal {pricer.deal.id}",
                    )
                )
                continue
            factor = Fraction(conversion_fx.rate) * Fraction(10) ** (
                places - minor_unit(conversion.currency)
            )
            sale.fx = conversion_fx
            sale.base = _to_exact(net_base * factor)
            sale.gross_base = _to_exact(base * factor)
            sale.order_value = _to_exact(revenue * factor)
        else:
            sale.base = net_base
            sale.gross_base = base
            sale.order_value = revenue
        sales.append(sale)
    # Two stable sorts order by (instant, id) without building a key tuple per sale.
    if not by_id:
        sales.sort(key=_BY_ID)
    sales.sort(key=_BY_INSTANT)
    return sales


class _Referral:
    """A customer's referral by this partner: the referring sale and the partner's share of it."""

    __slots__ = ("at", "sale_id", "share")

    def __init__(self, sale: _Sale) -> None:
        self.at = sale.instant
        self.sale_id = sale.id
        self.share: Exact = sale.share


def _repeat_purchases(
    pricer: _DealPricer,
    sales: list[_Sale],
    inputs: _Inputs,
    credited: set[str],
    problems: list[Problem],
) -> list[tuple[_Sale, _Referral]]:
    """Uncredited later purchases of the customers first referred by this partner.

    Each comes with the referral: the customer's first credited purchase and the
    partner's credit share of it, which the recurring commission is scaled by.
    """
    referred: dict[str, _Referral] = {}
    for sale in sales:
        if not sale.lead and sale.conversion.customer_key not in referred:
            referred[sale.conversion.customer_key] = _Referral(sale)
    by_customer = inputs.by_customer()
    found: list[tuple[Conversion, _Referral]] = []
    for customer, referral in referred.items():
        first = referral.at
        earlier = [
            c for c in by_customer.get(customer, ()) if c.instant < first and c.id in credited
        ]
        if earlier:
            continue  # another partner's credited purchase came first: not this referral
        found.extend(
            (conversion, referral)
            for conversion in by_customer.get(customer, ())
            if conversion.instant > first
            and conversion.id not in credited
            and conversion.kind is ConversionKind.SALE
        )
    synthetic = [
        Credit(
            conversion_id=conversion.id,
            partner_id=pricer.deal.partner_id,
            share=Fraction(1),
            role=CreditRole.SOLE,
            touch_id=conversion.id,
            content_id=None,
            revenue=conversion.revenue,
            reason="repeat purchase of a referred customer",
        )
        for conversion, _ in found
    ]
    referrals = {conversion.id: referral for conversion, referral in found}
    prepared = _prepare_sales(pricer, synthetic, inputs, problems)
    return [(sale, referrals[sale.id]) for sale in prepared]


def price_credits(
    campaign: Campaign,
    attribution: AttributionResult,
    conversions: Iterable[Conversion],
    refunds: Iterable[Refund] = (),
    touches: Iterable[Touch] = (),
    *,
    as_of: datetime,
    views: Mapping[str, int] | None = None,
) -> StatementRun:
    """Price credited conversions, clicks, views and fixed fees into statements.

    Args:
        campaign: The campaign: partners, contents, deals, fees, FX rates.
        attribution: The credits (who earned each conversion, and what share).
        conversions: The campaign's conversions (sales and leads).
        refunds: Refunds, chargebacks and cancellations.
        touches: Touches; clicks of program partners feed per-click rules.
        as_of: Only events, fees and periods at or before this instant count.
        views: Views of each content id as of ``as_of``, for CPM rules.

    Returns:
        A :class:`StatementRun` with statements sorted by partner id, period
        start and currency, and the problems found on the way (the attribution's
        problems first).

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    require_aware(as_of, "as_of")
    with _collector_paused():
        return _price_credits(
            campaign, attribution, conversions, refunds, touches, as_of, views, trusted=False
        )


def _price_credits(  # noqa: PLR0917 - the private body of price_credits
    campaign: Campaign,
    attribution: AttributionResult,
    conversions: Iterable[Conversion],
    refunds: Iterable[Refund],
    touches: Iterable[Touch],
    as_of: datetime,
    views: Mapping[str, int] | None,
    *,
    trusted: bool,
) -> StatementRun:
    """The body of :func:`price_credits`.

    ``trusted`` when the events are an EventBatch's and the credits come from
    :func:`attribute_batch` on it: events sorted and unique, credits sorted by
    conversion id.
    """
    problems: list[Problem] = []
    want_clicks = any(isinstance(rule, PerClick) for deal in campaign.deals for rule in deal.rules)
    inputs = _Inputs(
        conversions,
        refunds,
        touches,
        as_of=as_of,
        problems=problems,
        want_clicks=want_clicks,
        checked=trusted,
    )
    credits_by_partner: dict[str, list[Credit]] = {}
    for credit in attribution.credits:
        credits_by_partner.setdefault(credit.partner_id, []).append(credit)
    contents_by_partner: dict[str, list[Content]] = {}
    for content in sorted(campaign.contents, key=lambda item: (item.published_at, item.id)):
        if content.published_at <= as_of:
            contents_by_partner.setdefault(content.partner_id, []).append(content)
    contents = {content.id: content for content in campaign.contents}
    credited: set[str] | None = None
    statement_kind: dict[str, PeriodKind] = {}
    groups = _Groups()
    memo = _Memo()
    customers: NewCustomers | None = None
    for deal in sorted(campaign.deals, key=lambda item: item.id):
        known_kind = statement_kind.setdefault(deal.partner_id, deal.statement_period)
        if known_kind is not deal.statement_period:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"deal:{deal.id}",
                    field="statement_period",
                    message=(
                        f"partner {deal.partner_id} already has {known_kind.value} statements; "
                        f"this deal's {deal.statement_period.value} period was not used for fees"
                    ),
                )
            )
        pricer = _DealPricer(campaign, deal, as_of, problems, contents, memo=memo)
        if pricer.needs_context:
            # Derived once per run, from the same events for every deal.
            customers = customers or new_customers(inputs.conversions.values())
            pricer.customers = customers
        sales = _prepare_sales(
            pricer,
            credits_by_partner.get(deal.partner_id, ()),
            inputs,
            problems,
            by_id=trusted,
        )
        pricer.price_sales(sales)
        pricer.tier_bonuses()
        pricer.price_activity(
            sorted(inputs.clicks.get(deal.partner_id, ()), key=lambda t: (t.instant, t.id)),
            contents_by_partner.get(deal.partner_id, ()),
            views or {},
        )
        if any(isinstance(rule, RecurringRate) for rule in deal.rules):
            if credited is None:
                credited = {credit.conversion_id for credit in attribution.credits}
            pricer.price_recurring(_repeat_purchases(pricer, sales, inputs, credited, problems))
        pricer.apply_caps()
        pricer.price_periods(sales)
        pricer.lines(groups)
    fee_lines, fee_problems = price_fees(campaign, as_of)
    problems.extend(fee_problems)
    for partner_id, line in fee_lines:
        kind = statement_kind.get(partner_id, PeriodKind.MONTH)
        if kind is PeriodKind.CAMPAIGN:
            period = campaign.period_of(campaign.start, kind)
        else:
            period = period_of(line.earned_at, kind, campaign.timezone)
        groups.add(partner_id, period, line.amount.currency).append(line)
    return StatementRun(
        as_of=as_of,
        statements=groups.statements(),
        attribution=attribution,
        problems=(*attribution.problems, *problems),
    )


def _line_key(line: StatementLine) -> str:
    return line.key


class _Groups:
    """Statement lines gathered by (partner, statement period, currency)."""

    def __init__(self) -> None:
        # Keyed by label: a string hashes faster than an aware datetime.
        self._groups: dict[tuple[str, str, str], tuple[Period, list[StatementLine]]] = {}

    def add(self, partner_id: str, period: Period, currency: str) -> list[StatementLine]:
        key = (partner_id, period.label, currency)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (period, [])
        return group[1]

    def statements(self) -> tuple[Statement, ...]:
        groups = self._groups
        result = []
        for key in sorted(groups, key=lambda item: (item[0], groups[item][0].start, item[2])):
            period, lines = groups[key]
            lines.sort(key=_line_key)
            result.append(
                Statement(partner_id=key[0], period=period, currency=key[2], lines=tuple(lines))
            )
        return tuple(result)


def compute_statements(
    campaign: Campaign,
    events: Iterable[Event],
    *,
    as_of: datetime,
    policy: AttributionPolicy | None = None,
    views: Mapping[str, int] | None = None,
) -> StatementRun:
    """Check the events, attribute the conversions and price the statements.

    This is the whole pipeline from raw events to statements: a pure function
    of (campaign, events, as_of); the order of ``events`` never matters.

    Args:
        campaign: The campaign.
        events: Touches, conversions and refunds, mixed, in any order.
        as_of: Only events at or before this instant count.
        policy: The attribution policy; the campaign's default when None.
        views: Views of each content id as of ``as_of``, for CPM rules.

    Returns:
        The statements, the attribution they were priced from and every
        problem found (in the events, the credits, the rules and FX).

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    require_aware(as_of, "as_of")
    with _collector_paused():
        batch = check_events(campaign, events)
        attribution = attribute_batch(campaign, batch, policy, as_of=as_of)
        # The batch's events are sorted and unique: pricing indexes them without
        # checking again (price_credits on the same arguments gives the same run).
        run = _price_credits(
            campaign,
            attribution,
            batch.conversions,
            batch.refunds,
            batch.touches,
            as_of,
            views,
            trusted=True,
        )
        return attrs.evolve(run, batch=batch)
