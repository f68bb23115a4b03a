"""Tiered rates: tier state, graduated, volume and rolling pricing, and tier bonuses.

Internal to :mod:`hybridroi.statements.engine`. A tiered rule counts volume (sales
or revenue) per reset period, or in a rolling window of local days. Graduated
tiers price each sale's slice of every band at the band's rate, from the carry-in
volume; volume tiers price every sale of the period at the band its total reached,
once the period's sales are all known; a band's bonus is paid once per period.

The sales a rule wins are gathered while the deal's sales are chosen, and each
rule's sales are then priced together, in columns (:func:`_price_columns`): the
carry-in volume of every sale is a cumulative sum over its period (or, for a rolling
window, the difference of two cumulative sums found by a search), each band's part
is the overlap of ``[carried, after)`` with the band, and the commission is the
exact integer ratio rounded by :func:`~hybridroi.core.rounding.round_ratios`. The
columns are 64-bit integers when a checked bound allows it, and exact Python
numbers (object columns, same operations) otherwise. Each line keeps the place its
sale had among the deal's lines, so the result is the one a sale-by-sale pass gives.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridroi.core.periods import Period, PeriodKind, local_midnight
from hybridroi.core.rounding import COLUMN_BOUND, round_ratio, round_ratios
from hybridroi.domain.rules import Precedence, TieredRate
from hybridroi.events.columns import instant_micros
from hybridroi.statements.blocks import _TierBlock
from hybridroi.statements.compiled import _Compiled
from hybridroi.statements.drafts import Exact, _Draft, _exact_text, _last_instant, _Periods, _Sale
from hybridroi.statements.explain import format_minor
from hybridroi.statements.lines import LineKind
from hybridroi.statements.tiers import graduated_split, volume_band

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer


class _TierState:
    """Volumes of one tiered rule: per calendar period (by label), or a rolling window.

    For a rolling window, ``periods`` finds local days and ``horizon`` is the
    first instant of the window of the day ``day``.
    """

    __slots__ = (
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
        self.window: collections.deque[tuple[datetime, Exact]] = collections.deque()
        self.window_total: Exact = 0
        self.reached_at: dict[tuple[str, int], datetime] = {}


class _TierPricer:
    """Prices the sales of a deal's tiered rules and their tier bonuses.

    :meth:`price` gathers a sale a tiered rule won and keeps its line's place among
    the deal's lines; :meth:`close` prices each rule's sales in columns once the deal's
    sales are all chosen. Under ``HIGHEST`` precedence, choosing a rule compares what
    each would pay, which depends on the volume the rule has reached so far: only then
    the volumes are also kept sale by sale, as the choice is made (:meth:`provisional`).
    """

    def __init__(self, pricer: _DealPricer) -> None:
        self.pricer = pricer
        self.campaign = pricer.campaign
        self.currency = pricer.currency
        self.rounding = pricer.rounding
        self.rules = (*pricer.partner_rules, *pricer.program_rules)
        # The volumes each rule reached, per period, once its sales are priced: what the
        # tier bonuses read.
        self.states: dict[str, _TierState] = {}
        # The volumes reached so far while the sales are chosen (HIGHEST precedence only).
        self.running: dict[str, _TierState] = {}
        self.track = pricer.deal.precedence is Precedence.HIGHEST
        # The sales each rule won, in time order, and the index of each one's line.
        self.won: dict[str, tuple[list[_Sale], list[int]]] = {}

    def provisional(self, sale: _Sale, compiled: _Compiled) -> Fraction:
        """The exact amount the tiered rule would pay for a sale, to compare rules."""
        volume = _volume_of(sale, compiled)
        carried = self.carry(sale, compiled, peek=True)
        if not compiled.volume_mode:
            parts = graduated_split(compiled.starts, carried, carried + volume)
            total = sum((part * compiled.numerators[i] for i, part in parts), Fraction(0))
            scale = 1 if compiled.revenue_basis else sale.base
            return Fraction(total) * scale / compiled.common
        index = volume_band(compiled.starts, carried + volume)
        return Fraction(sale.share * sale.base * compiled.numerators[index], compiled.common)

    def _state(self, states: dict[str, _TierState], compiled: _Compiled) -> _TierState:
        state = states.get(compiled.rule_id)
        if state is None:
            rule: TieredRate = compiled.rule
            # A rolling window is counted in local days; a calendar tier in its reset period.
            kind = PeriodKind.DAY if rule.rolling_days is not None else rule.reset
            state = states[compiled.rule_id] = _TierState(_Periods(self.campaign, kind))
        return state

    def carry(self, sale: _Sale, compiled: _Compiled, *, peek: bool = False) -> Exact:
        """The volume the rule reached before this sale, while the sales are chosen."""
        rule: TieredRate = compiled.rule
        state = self._state(self.running, compiled)
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

    def price(self, sale: _Sale, compiled: _Compiled) -> None:
        """Give a sale to the tiered rule that won it; its line is priced by :meth:`close`."""
        won = self.won.get(compiled.rule_id)
        if won is None:
            won = self.won[compiled.rule_id] = ([], [])
        won[0].append(sale)
        drafts = self.pricer.drafts
        if (compiled.volume_mode and not compiled.rolling) or (
            self.pricer.defer and not compiled.volume_mode
        ):
            # Priced once the period's total is known, the line comes after the others; a
            # line kept in columns has no place among them.
            won[1].append(-1)
        else:
            won[1].append(len(drafts))
            drafts.append(_PENDING)
        if self.track:
            self._advance(sale, compiled)

    def _advance(self, sale: _Sale, compiled: _Compiled) -> None:
        """Count a sale in the volumes the next choices compare rules with."""
        volume = _volume_of(sale, compiled)
        state = self._state(self.running, compiled)
        if compiled.rolling:
            carried = self.carry(sale, compiled)
            state.window.append((sale.instant, volume))
            state.window_total = carried + volume
        else:
            label = state.periods.of(sale.instant).label
            state.net[label] = state.net.get(label, 0) + volume

    def close(self) -> None:
        """Price the sales each tiered rule won, rule by rule, in columns."""
        for compiled in self.rules:
            won = self.won.get(compiled.rule_id)
            if won is not None:
                self._price_columns(compiled, *won)

    def _price_columns(self, compiled: _Compiled, sales: list[_Sale], slots: list[int]) -> None:
        """Price a tiered rule's sales (in time order) together, and file their lines."""
        rule: TieredRate = compiled.rule
        state = self._state(self.states, compiled)
        volumes = [_volume_of(sale, compiled) for sale in sales]
        bases = None if compiled.revenue_basis else [sale.base for sale in sales]
        exact = _columns_fit(compiled, volumes, bases)
        dtype = np.int64 if exact else object
        volume = np.array(volumes, dtype=dtype)
        # prefix[k] is the volume of the first k sales: a run's carry-in is a difference.
        prefix = np.zeros(len(sales) + 1, dtype=dtype)
        np.cumsum(volume, out=prefix[1:])
        periods: Sequence[Period | None]
        if compiled.rolling:
            days = rule.rolling_days or 1
            horizons = instant_micros(
                [self._window_start(state, sale.instant, days) for sale in sales]
            )
            first = np.searchsorted(
                instant_micros([sale.instant for sale in sales]), horizons, "left"
            )
            begin = prefix[first]
            periods = [None] * len(sales)
        else:
            periods, begin = self._calendar(compiled, state, sales, prefix)
        carried = prefix[:-1] - begin
        after = prefix[1:] - begin
        if compiled.volume_mode:
            self._volume_lines(compiled, state, sales, slots, after=after, periods=periods)
            return
        numerator, parts = _graduated(compiled, carried, after, dtype)
        if bases is not None:
            numerator = numerator * np.array(bases, dtype=dtype)
        if exact:
            units: list[int] = round_ratios(numerator, compiled.common, self.rounding).tolist()
        else:
            units = [round_ratio(value, compiled.common, self.rounding) for value in numerator]
        pricer = self.pricer
        by_statements = compiled.resets_with_statements
        block = _TierBlock(pricer, compiled, sales, units, carried, parts, exact)
        if pricer.defer:
            if not by_statements:
                of = pricer.statement_periods.of
                periods = [of(sale.instant) for sale in sales]
            pricer.blocks.extend(block.slices(periods))  # type: ignore[arg-type]
            return
        texts = block.bodies(0, len(sales))
        drafts = pricer.drafts
        draft = pricer.sale_draft
        describe = pricer.wording.describe
        revenue_basis = compiled.revenue_basis
        for sale, slot, amount, body, period in zip(
            sales, slots, units, texts, periods, strict=True
        ):
            drafts[slot] = draft(
                sale,
                compiled,
                amount,
                describe(sale, compiled, body, amount, share_inside=revenue_basis),
                period if by_statements else None,
            )

    def _calendar(
        self,
        compiled: _Compiled,
        state: _TierState,
        sales: list[_Sale],
        prefix: Any,
    ) -> tuple[list[Period], Any]:
        """The reset period of each sale, and the volume before its period's first sale.

        The sales are in time order, so each period's sales are one run. Fills the
        state's totals (and, for bonus bands, the gross volumes and when each band was
        entered) that the tier bonuses read.
        """
        table, of_sale = state.periods.of_sorted([sale.instant for sale in sales])
        found = np.empty(len(table), dtype=object)
        found[:] = table
        periods: list[Period] = found[of_sale].tolist()
        starts: list[int] = np.flatnonzero(np.diff(of_sale, prepend=-1)).tolist()
        runs = np.repeat(starts, np.diff([*starts, len(sales)]))
        begin = prefix[runs]
        bounds = [*starts, len(sales)]
        totals = prefix[bounds].tolist()
        for index, low in enumerate(starts):
            period = periods[low]
            state.labels[period.label] = period
            state.net[period.label] = totals[index + 1] - totals[index]
        if compiled.bonus_bands:
            self._bonus_volumes(compiled, state, sales, bounds, periods)
        return periods, begin

    def _bonus_volumes(
        self,
        compiled: _Compiled,
        state: _TierState,
        sales: list[_Sale],
        bounds: list[int],
        periods: list[Period],
    ) -> None:
        """Each period's gross volume, and the instant each bonus band was entered."""
        revenue = compiled.revenue_basis
        for low, high in itertools.pairwise(bounds):
            label = periods[low].label
            before: Exact = 0
            for sale in sales[low:high]:
                gross = sale.gross_base * sale.share if revenue else sale.share
                for index in compiled.bonus_bands:
                    threshold = compiled.starts[index]
                    # A band is entered when a unit falls inside it: the volume exceeds its start.
                    if before <= threshold < before + gross:
                        state.reached_at[(label, index)] = sale.instant
                before += gross
            state.gross[label] = before

    def _volume_lines(
        self,
        compiled: _Compiled,
        state: _TierState,
        sales: list[_Sale],
        slots: list[int],
        *,
        after: Any,
        periods: Sequence[Period | None],
    ) -> None:
        """Volume tiers: every sale at the band its period's (or window's) total reached."""
        starts = compiled.starts
        drafts = self.pricer.drafts
        if compiled.rolling:
            for sale, slot, total in zip(sales, slots, after.tolist(), strict=True):
                line = self._volume_line(sale, compiled, volume_band(starts, total), total)
                drafts[slot] = line
            return
        # Lines of volume tiers follow the deal's other lines, period by period.
        order = sorted(
            range(len(sales)),
            key=lambda i: (state.labels[periods[i].label].start, i),  # type: ignore[union-attr]
        )
        for i in order:
            label = periods[i].label  # type: ignore[union-attr]
            total = state.net[label]
            drafts.append(self._volume_line(sales[i], compiled, volume_band(starts, total), total))

    def _volume_line(self, sale: _Sale, compiled: _Compiled, index: int, total: Exact) -> _Draft:
        numerator = sale.base * sale.share * compiled.numerators[index]
        units = round_ratio(numerator, compiled.common, self.rounding)
        reached = _exact_text(total, self.currency) if compiled.revenue_basis else f"{total} sales"
        body = (
            f"{compiled.rate_text[index]} ({compiled.band_text[index]}, "
            f"volume {reached} reached) of {self.pricer.wording.base_text(sale)}"
        )
        return self.pricer.sale_draft(
            sale, compiled, units, self.pricer.wording.describe(sale, compiled, body, units)
        )

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


_PENDING: _Draft = object.__new__(_Draft)
"""The place of a line priced later: never read (its slots are empty), only replaced."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _volume_of(sale: _Sale, compiled: _Compiled) -> Exact:
    """What a sale adds to its rule's volume: its revenue, or one sale unless fully refunded."""
    if compiled.revenue_basis:
        return sale.base * sale.share
    return 0 if sale.fully_refunded else sale.share


def _columns_fit(compiled: _Compiled, volumes: list[Exact], bases: list[Exact] | None) -> bool:
    """Whether a rule's sales can be priced in 64-bit integers without overflow.

    Every volume, base and band start must be a whole number, and the largest
    product the pricing forms (the rule's whole volume times the largest rate
    numerator, times the largest base for a count of sales) must stay below 2**62.
    """
    if compiled.common >= COLUMN_BOUND:
        return False
    whole = [value for value in volumes if type(value) is int]
    if len(whole) != len(volumes):
        return False
    if not all(type(start) is int and start < COLUMN_BOUND for start in compiled.starts):
        return False
    scale = 1
    if bases is not None:
        counts = [base for base in bases if type(base) is int]
        if len(counts) != len(bases):
            return False
        scale = max((abs(base) for base in counts), default=0) + 1
    largest = max(compiled.numerators, default=0) + 1
    return (sum(whole) + 1) * largest * scale < COLUMN_BOUND


def _graduated(compiled: _Compiled, carried: Any, after: Any, dtype: Any) -> tuple[Any, list[Any]]:
    """The exact numerator of each sale over the rule's common denominator, and its parts.

    Band ``b`` holds the volumes ``[start_b, start_{b+1})``; a sale that takes the
    volume from ``carried`` to ``after`` has in it the overlap of the two intervals.
    """
    starts = compiled.starts
    numerators = compiled.numerators
    numerator = np.zeros(len(carried), dtype=dtype)
    parts = []
    last = len(starts) - 1
    for band, start in enumerate(starts):
        # Object columns (exact Python numbers) when a start is not a whole number.
        start_value: Any = start
        end_value: Any = None if band == last else starts[band + 1]
        high = after if end_value is None else np.minimum(after, end_value)
        part = np.maximum(high - np.maximum(carried, start_value), 0)
        parts.append(part)
        numerator = numerator + part * numerators[band]
    return numerator, parts
