"""Rule compilation: each rate rule of a deal with its arithmetic prepared once.

Internal to :mod:`hybridroi.statements.engine`. A :class:`_Compiled` rule holds
its rate as an integer ratio, its flat amount in exact minor units, its tier
bands on a common denominator, and the texts its lines are explained with.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from hybridroi.core.periods import PeriodKind
from hybridroi.domain.conditions import ITEM_CONDITION_TYPES
from hybridroi.domain.rules import (
    FlatPerItem,
    FlatPerSale,
    PercentRate,
    PerLead,
    RateScope,
    TieredRate,
)
from hybridroi.domain.tiers import TierBasis, TierMode
from hybridroi.statements.drafts import Exact, _exact_units, _rate_pair, _to_exact
from hybridroi.statements.explain import format_band_range, format_exact, format_rate, period_phrase


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
        "effective_from",
        "effective_until",
        "item_conditions",
        "item_scope",
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
        "scheduled",
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
        # A scheduled rule prices the sales of [effective_from, effective_until) only.
        self.effective_from = getattr(rule, "effective_from", None)
        self.effective_until = getattr(rule, "effective_until", None)
        self.scheduled = self.effective_from is not None or self.effective_until is not None
        # A rate on the matching items prices the lines its item conditions all match.
        self.item_scope = getattr(rule, "scope", None) is RateScope.MATCHING_ITEMS
        self.item_conditions: tuple[Any, ...] = tuple(
            condition
            for condition in self.conditions
            if self.item_scope and isinstance(condition, ITEM_CONDITION_TYPES)
        )
        # The notes every line of this rule ends with; a sale's conversion may add one.
        self.notes = "; ".join(
            note
            for note in (self.describe, self._schedule_text(), "program default" if default else "")
            if note
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

    def _schedule_text(self) -> str:
        """The rule's schedule in words, or nothing for a rule always in force."""
        start, end = self.effective_from, self.effective_until
        if start is not None and end is not None:
            return f"effective from {start.isoformat()} until {end.isoformat()}"
        if start is not None:
            return f"effective from {start.isoformat()}"
        if end is not None:
            return f"effective until {end.isoformat()}"
        return ""

    def in_force(self, instant: datetime) -> bool:
        """Whether a sale at ``instant`` lies in the rule's schedule ``[from, until)``."""
        start, end = self.effective_from, self.effective_until
        return (start is None or start <= instant) and (end is None or instant < end)


def _gcd(left: int, right: int) -> int:
    while right:
        left, right = right, left % right
    return left


def _is_rate_rule(rule: object) -> bool:
    return isinstance(rule, PercentRate | FlatPerSale | FlatPerItem | PerLead | TieredRate)
