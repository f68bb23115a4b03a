"""Tiered rates: tier state, graduated, volume and rolling pricing, and tier bonuses.

Internal to :mod:`hybridroi.statements.engine`. A tiered rule counts volume (sales
or revenue) per reset period, or in a rolling window of local days. Graduated
tiers price each sale's slice of every band at the band's rate, from the carry-in
volume; volume tiers price every sale of the period at the band its total reached,
once the period's sales are all known; a band's bonus is paid once per period.
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from hybridroi.core.periods import Period, PeriodKind, local_midnight
from hybridroi.core.rounding import round_ratio
from hybridroi.domain.rules import TieredRate
from hybridroi.statements.compiled import _Compiled
from hybridroi.statements.drafts import Exact, _Draft, _exact_text, _last_instant, _Periods, _Sale
from hybridroi.statements.explain import format_minor
from hybridroi.statements.lines import LineKind
from hybridroi.statements.tiers import band_index, graduated_split, volume_band

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer


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


class _TierPricer:
    """Prices the sales of a deal's tiered rules and their tier bonuses."""

    def __init__(self, pricer: _DealPricer) -> None:
        self.pricer = pricer
        self.campaign = pricer.campaign
        self.currency = pricer.currency
        self.rounding = pricer.rounding
        self.rules = (*pricer.partner_rules, *pricer.program_rules)
        self.states: dict[str, _TierState] = {}

    def provisional(self, sale: _Sale, compiled: _Compiled) -> Fraction:
        """The exact amount the tiered rule would pay for a sale, to compare rules."""
        volume = self._volume(sale, compiled)
        carried = self.carry(sale, compiled, peek=True)
        if not compiled.volume_mode:
            parts = graduated_split(compiled.starts, carried, carried + volume)
            total = sum((part * compiled.numerators[i] for i, part in parts), Fraction(0))
            scale = 1 if compiled.revenue_basis else sale.base
            return Fraction(total) * scale / compiled.common
        index = volume_band(compiled.starts, carried + volume)
        return Fraction(sale.share * sale.base * compiled.numerators[index], compiled.common)

    def state(self, compiled: _Compiled) -> _TierState:
        state = self.states.get(compiled.rule_id)
        if state is None:
            rule: TieredRate = compiled.rule
            # A rolling window is counted in local days; a calendar tier in its reset period.
            kind = PeriodKind.DAY if rule.rolling_days is not None else rule.reset
            state = self.states[compiled.rule_id] = _TierState(_Periods(self.campaign, kind))
        return state

    @staticmethod
    def _volume(sale: _Sale, compiled: _Compiled) -> Exact:
        if compiled.revenue_basis:
            return sale.base * sale.share
        return 0 if sale.fully_refunded else sale.share

    def carry(self, sale: _Sale, compiled: _Compiled, *, peek: bool = False) -> Exact:
        """The volume reached before this sale (carry-in attainment)."""
        rule: TieredRate = compiled.rule
        state = self.state(compiled)
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

    def price(self, sale: _Sale, compiled: _Compiled) -> None:  # noqa: PLR0912, PLR0915 - graduated, volume and rolling tiers share one pass
        state = self.state(compiled)
        revenue_basis = compiled.revenue_basis
        volume = (
            sale.base * sale.share if revenue_basis else (0 if sale.fully_refunded else sale.share)
        )
        statement_period = None
        if compiled.rolling:
            carried = self.carry(sale, compiled)
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
        units = round_ratio(numerator, compiled.common, self.rounding)
        if len(parts) == 1 or not parts:
            index = parts[0][0] if parts else band_index(compiled.starts, carried)
            body = f"{compiled.band_prefix[index]}{self.pricer.base_text(sale)}"
        elif not revenue_basis:
            body = " + ".join(
                f"{part} of the sale at {compiled.rate_text[i]} ({compiled.band_text[i]})"
                for i, part in parts
            )
            body = f"{self.pricer.base_text(sale)} x ({body})"
        else:
            currency = self.currency
            body = " + ".join(
                f"{compiled.rate_text[i]} of {_exact_text(part, currency)} "
                f"({compiled.band_text[i]})"
                for i, part in parts
            )
        self.pricer.add_sale_line(
            sale,
            compiled,
            units,
            self.pricer.describe(sale, compiled, body, units, share_inside=revenue_basis),
            statement_period,
        )

    def _volume_line(self, sale: _Sale, compiled: _Compiled, index: int, total: Exact) -> None:
        numerator = sale.base * sale.share * compiled.numerators[index]
        units = round_ratio(numerator, compiled.common, self.rounding)
        reached = _exact_text(total, self.currency) if compiled.revenue_basis else f"{total} sales"
        body = (
            f"{compiled.rate_text[index]} ({compiled.band_text[index]}, "
            f"volume {reached} reached) of {self.pricer.base_text(sale)}"
        )
        self.pricer.add_sale_line(
            sale, compiled, units, self.pricer.describe(sale, compiled, body, units)
        )

    def close_volume_tiers(self) -> None:
        for compiled in self.rules:
            state = self.states.get(compiled.rule_id)
            if state is None:
                continue
            for label in sorted(state.buckets, key=lambda item: state.labels[item].start):
                total = state.net[label]
                index = volume_band(compiled.starts, total)
                for sale in state.buckets[label]:
                    self._volume_line(sale, compiled, index, total)

    def bonuses(self) -> None:
        currency = self.currency
        for compiled in self.rules:
            state = self.states.get(compiled.rule_id)
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
                    self.pricer.drafts.append(
                        _Draft(
                            f"tier-bonus:{compiled.rule_id}:{label}:{index + 1}",
                            LineKind.BONUS,
                            units,
                            compiled.rule_id,
                            text,
                            earned,
                            self.pricer.statement_periods_of(earned),
                        )
                    )
