"""Period settlements: threshold bonuses, network fees, guarantees and recoverable draws.

Internal to :mod:`hybridroi.statements.engine`. Each statement period of a deal is
settled once its commission and tier-bonus lines are known: threshold bonuses first,
then network fees on what the period earned, guarantee top-ups, and the advances
and recoveries of a recoverable draw, whose balance carries from period to period.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from hybridroi.core.periods import Period
from hybridroi.core.rounding import round_ratio
from hybridroi.domain.rules import GuaranteedMinimum, NetworkFee, RecoverableDraw, ThresholdBonus
from hybridroi.domain.tiers import TierBasis
from hybridroi.statements.drafts import (
    Exact,
    _Draft,
    _exact_text,
    _last_instant,
    _rate_pair,
    _Sale,
    _statement_periods,
    _to_exact,
)
from hybridroi.statements.explain import format_minor, format_rate
from hybridroi.statements.lines import LineKind

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer


def price_periods(pricer: _DealPricer, sales: list[_Sale]) -> None:
    """Settle each statement period of a deal that has begun by the as-of instant.

    Args:
        pricer: The deal's pricer, with its commission and tier-bonus drafts.
        sales: The deal's credited sales, in time order (threshold measures).
    """
    rules = [
        rule
        for rule in pricer.deal.rules
        if isinstance(rule, ThresholdBonus | NetworkFee | GuaranteedMinimum | RecoverableDraw)
        and pricer.usable(rule)
    ]
    bonuses = [rule for rule in rules if isinstance(rule, ThresholdBonus)]
    fees = [rule for rule in rules if isinstance(rule, NetworkFee)]
    guarantees = [rule for rule in rules if isinstance(rule, GuaranteedMinimum)]
    draws = [rule for rule in rules if isinstance(rule, RecoverableDraw)]
    if not (bonuses or fees or guarantees or draws):
        return
    periods = _periods_to_settle(pricer)
    metrics: dict[datetime, list[Exact]] = {p.start: [0, 0, 0, 0] for p in periods}
    for sale in sales:
        if sale.lead:
            continue
        slot = metrics.get(pricer.statement_periods_of(sale.instant).start)
        if slot is None:
            continue
        slot[0] += 0 if sale.fully_refunded else sale.share
        slot[1] += sale.share
        slot[2] += sale.base * sale.share
        slot[3] += sale.gross_base * sale.share
    balances = {rule.id: 0 for rule in draws}
    commission_by_period: dict[str, int] = {}
    bonus_by_period: dict[str, int] = {}
    for draft in pricer.drafts:
        if draft.kind is LineKind.COMMISSION or draft.kind is LineKind.BONUS:
            sums = commission_by_period if draft.kind is LineKind.COMMISSION else bonus_by_period
            label = draft.period.label
            sums[label] = sums.get(label, 0) + draft.units
    for period, part in pricer.blocks:
        label = period.label
        commission_by_period[label] = commission_by_period.get(label, 0) + part.units
    for period in periods:
        label = period.label
        commission = commission_by_period.get(label, 0)
        net_count, gross_count, net_revenue, gross_revenue = metrics[period.start]
        earned = commission + bonus_by_period.get(label, 0)
        for rule in bonuses:
            earned += _threshold_bonus(
                pricer,
                rule,
                period,
                commission,
                (net_count, gross_count, net_revenue, gross_revenue),
            )
        _settle(pricer, period, earned, (fees, guarantees, draws), balances)


def _periods_to_settle(pricer: _DealPricer) -> list[Period]:
    """The deal's statement periods begun by the as-of instant, and any its lines fall in."""
    periods = _statement_periods(pricer.campaign, pricer.deal.statement_period, pricer.as_of)
    known = {period.start for period in periods}
    found = [draft.period for draft in pricer.drafts]
    found.extend(period for period, _ in pricer.blocks)
    for period in found:
        if period.start not in known:
            known.add(period.start)
            periods.append(period)
    periods.sort(key=lambda period: period.start)
    return periods


def _settle(
    pricer: _DealPricer,
    period: Period,
    earned: int,
    rules: tuple[list[NetworkFee], list[GuaranteedMinimum], list[RecoverableDraw]],
    balances: dict[str, int],
) -> None:
    """Network fees, guarantee top-ups, advances and recoveries of one period."""
    fees, guarantees, draws = rules
    currency = pricer.currency
    label = period.label
    for fee in fees:
        fee_numerator, fee_denominator = _rate_pair(fee.rate)
        units = round_ratio(earned * fee_numerator, fee_denominator, pricer.rounding)
        pricer.drafts.append(
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
        pricer.drafts.append(
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
        pricer.drafts.append(
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
        pricer.drafts.append(
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
    pricer: _DealPricer,
    rule: ThresholdBonus,
    period: Period,
    commission: int,
    measures: tuple[Exact, Exact, Exact, Exact],
) -> int:
    currency = pricer.currency
    net_count, gross_count, net_revenue, gross_revenue = measures
    if rule.metric is TierBasis.COUNT:
        level: Exact = _to_exact(Fraction(rule.threshold))
        net, gross = net_count, gross_count
        shown = f"{net} sales"
    elif rule.metric is TierBasis.REVENUE:
        level = _to_exact(Fraction(rule.threshold) * 10**pricer.places)
        net, gross = net_revenue, gross_revenue
        shown = _exact_text(net, currency)
    else:
        level = _to_exact(Fraction(rule.threshold) * 10**pricer.places)
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
        units = round_ratio(commission * numerator, denominator, pricer.rounding)
        text = (
            f"{rule.metric.value} {shown} reached {threshold_text} in {period.label}: "
            f"{format_rate(rule.rate or Decimal(0))} of commissions "
            f"{format_minor(commission, currency)} = "
            f"{format_minor(units, currency)}"
        )
    pricer.drafts.append(
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
