"""The commission engine's working records: exact amounts, prepared sales and line drafts.

Internal to :mod:`hybridroi.statements.engine`. Amounts are exact numbers of minor
units of the deal's currency (an ``int``, or a ``Fraction`` for a share of a
cent); a :class:`_Draft` holds one statement line while caps may still reduce it.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from hybridroi.attribution.credits import Credit
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import MAX_DIGITS, Money, finite_decimal, scaled
from hybridroi.core.periods import Period, PeriodKind, period_of, periods_between
from hybridroi.core.rounding import Rounding, round_minor, round_ratio
from hybridroi.core.timezones import is_utc_zone
from hybridroi.domain.campaign import Campaign
from hybridroi.events.columns import instant_micros
from hybridroi.events.records import Conversion
from hybridroi.statements.context import SaleContext
from hybridroi.statements.explain import format_minor
from hybridroi.statements.lines import LineKind

Exact = int | Fraction
"""An exact amount in minor units of the deal's currency (or a volume)."""

_TICK = timedelta(microseconds=1)
Ints = npt.NDArray[np.int64]
"""The smallest step between two instants."""
_COMMISSION = LineKind.COMMISSION
_BY_ID = operator.attrgetter("id")
_BY_INSTANT = operator.attrgetter("instant")


_MEMO_LIMIT = 1 << 17
"""How many amounts a run remembers per currency (texts and Money objects)."""


class _Memo:
    """Amount texts and Money objects of one run, shared by every deal.

    Prices and commissions repeat across partners and periods: each amount is
    formatted (each Money built, each sale's revenue turned into minor units)
    once per run and currency rather than once per line. Money is immutable, so
    lines of the same amount share one object, which also saves memory on large
    runs. Up to ``_MEMO_LIMIT``
    amounts are remembered per currency; the rest are built each time.
    """

    __slots__ = ("_money", "_texts", "_units")

    def __init__(self) -> None:
        self._texts: dict[str, dict[int, str]] = {}
        self._money: dict[str, dict[int, Money]] = {}
        self._units: dict[str, dict[Decimal, int]] = {}

    def texts(self, currency: str) -> dict[int, str]:
        """The remembered texts of amounts in ``currency``, by minor units."""
        return self._texts.setdefault(currency, {})

    def money(self, currency: str) -> dict[int, Money]:
        """The remembered Money objects of ``currency``, by minor units."""
        return self._money.setdefault(currency, {})

    def units(self, currency: str) -> dict[Decimal, int]:
        """The remembered minor units of amounts in ``currency``, by amount."""
        return self._units.setdefault(currency, {})


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


def _digits(amount: Decimal) -> int:
    """The digits an amount holds, the zeros after the point of an amount under one included."""
    return len(amount.as_tuple().digits) + max(-amount.adjusted() - 1, 0)


def _as_decimal(value: Exact, places: int) -> Decimal:
    """Exact minor units as a decimal amount in major units, within exact money's digits.

    An amount with a finite decimal (a base converted at a rate of four decimals) is
    given exactly, with no more places than it needs. A share of a sale (a third) has
    no finite decimal: conditions and custom rules see it rounded once, half to even,
    to the digits exact money holds (:data:`MAX_DIGITS` in all, the zeros after the
    point of an amount under one included), as documented on
    :class:`~hybridroi.statements.context.SaleContext`.
    """
    if isinstance(value, int):
        return scaled(value, -places)
    exact = finite_decimal(value / 10**places)
    if exact is not None and _digits(exact) <= MAX_DIGITS:
        return exact
    scale = value.denominator * 10**places
    whole = abs(value.numerator) // scale
    decimals = max(MAX_DIGITS - (len(str(whole)) if whole else 0), 0)
    units = round_ratio(value.numerator * 10**decimals, scale, Rounding.HALF_EVEN)
    if decimals and len(str(abs(units))) > MAX_DIGITS:
        # Rounded up to a power of ten (9.99... to 10): one more digit before the point.
        decimals -= 1
        units = round_ratio(value.numerator * 10**decimals, scale, Rounding.HALF_EVEN)
    return scaled(units, -decimals)


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
        "scope",
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
    # For a rate on the matching items: which items of which order, in words (else None).
    scope: str | None
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
    """Finds the period of instants visited in increasing order with few calendar look-ups.

    The current period's bounds are also kept in the zone of the instants looked up,
    when that zone is UTC under another name (Arrow's ``ZoneInfo('UTC')``): Python
    compares two datetimes of one ``tzinfo`` by their fields, but those of two zones
    through an offset look-up on each side, which would cost more than the rest of
    the look-up.
    """

    __slots__ = ("_campaign", "_current", "_end", "_kind", "_start", "_timezone", "_zone")

    def __init__(self, campaign: Campaign, kind: PeriodKind) -> None:
        self._campaign = campaign
        self._kind = kind
        self._timezone = campaign.timezone
        self._current: Period | None = None
        self._zone: tzinfo | None = None
        self._start = self._end = campaign.start
        if kind is PeriodKind.CAMPAIGN:
            self._current = campaign.period_of(campaign.start, kind)

    def of(self, instant: datetime) -> Period:
        current = self._current
        if current is not None:
            if self._kind is PeriodKind.CAMPAIGN:
                return current
            if instant.tzinfo is self._zone:
                if self._start <= instant < self._end:
                    return current
            elif current.start <= instant < current.end:
                return current
        current = period_of(instant, self._kind, self._timezone)
        self._current = current
        zone = instant.tzinfo
        if zone is not None and is_utc_zone(zone):
            # In a zone of offset zero, comparing fields is comparing instants.
            self._zone = zone
            self._start = current.start.astimezone(zone)
            self._end = current.end.astimezone(zone)
        else:
            self._zone = None
        return current

    def of_sorted(self, instants: Sequence[datetime]) -> tuple[list[Period], Ints]:
        """The periods of instants in increasing order, found by one search.

        Args:
            instants: Aware instants, each at or after the one before.

        Returns:
            The periods from the first instant's to the last one's, in order, and the
            index in that list of each instant's period. Each period is the one
            :meth:`of` gives.
        """
        count = len(instants)
        if not count:
            return [], np.zeros(0, dtype=np.int64)
        if self._kind is PeriodKind.CAMPAIGN:
            return [self.of(instants[0])], np.zeros(count, dtype=np.int64)
        # Whole calendar periods from the first to the last: never more than the instants
        # need (a sparse span of many periods is looked up instant by instant instead).
        found: list[Period] = []
        for period in periods_between(
            instants[0], instants[-1] + _TICK, self._kind, self._timezone
        ):
            found.append(period)
            if len(found) > count:
                return self._each(instants)
        bounds = instant_micros([period.start for period in found[1:]])
        index = np.searchsorted(bounds, instant_micros(instants), side="right").astype(np.int64)
        return found, index

    def _each(self, instants: Sequence[datetime]) -> tuple[list[Period], Ints]:
        """:meth:`of_sorted`, looking each instant up."""
        found: list[Period] = []
        index: list[int] = []
        for instant in instants:
            period = self.of(instant)
            if not found or period.label != found[-1].label:
                found.append(period)
            index.append(len(found) - 1)
        return found, np.array(index, dtype=np.int64)


def _statement_periods(campaign: Campaign, kind: PeriodKind, as_of: datetime) -> list[Period]:
    """The statement periods that have begun by ``as_of``, within the campaign."""
    if as_of < campaign.start:
        return []
    if kind is PeriodKind.CAMPAIGN:
        return [campaign.period_of(campaign.start, kind)]
    end = min(as_of + _TICK, campaign.end)
    return list(periods_between(campaign.start, end, kind, campaign.timezone))
