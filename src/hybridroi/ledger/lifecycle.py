"""Lock dates and the lifecycle of an entry: pending, locked, payable, paid.

A commission stays *pending* during a holding period, so that refunds can
reverse it; on its lock date it is *locked*; a payout run puts it in a payout
batch, where it is *payable*; once the batch is marked paid, it is *paid*.

Lock dates are computed in the campaign's time zone. Three rules exist:

* :class:`LockAfterSale`: a duration after the sale, on the local wall clock
  ("30 days" after 28 March 10:00 in Paris is 27 April 10:00 in Paris, even
  though a DST change fell in between);
* :class:`LockAfterMonthEnd`: M months and D days after the end of the sale's
  local month, at local midnight;
* :class:`LockOnDayOfMonth`: a fixed day of the following month, at local
  midnight (CJ locks on the 10th); a day past the end of a short month is the
  last day of that month.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> sale = datetime(2026, 1, 31, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))
>>> LockAfterMonthEnd(months=1, days=10).lock_at(sale, "Europe/Paris").isoformat()
'2026-03-10T23:00:00+00:00'
>>> LockOnDayOfMonth(day=31).lock_at(sale, "Europe/Paris").isoformat()
'2026-02-27T23:00:00+00:00'
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from fractions import Fraction

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import non_negative_int
from hybridroi.core.durations import MAX_DURATION_YEARS, format_duration, parse_duration
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.periods import local_midnight
from hybridroi.core.timezones import UTC, require_aware, zone
from hybridroi.ledger.decisions import DecisionIndex, decided_status
from hybridroi.ledger.entries import EntryStatus, LedgerEntry

__all__ = [
    "Balance",
    "LockAfterMonthEnd",
    "LockAfterSale",
    "LockOnDayOfMonth",
    "LockRule",
    "balances",
    "status_at",
]


def _duration(value: str | relativedelta) -> relativedelta:
    return parse_duration(value, "LockAfterSale.after")


@attrs.frozen(kw_only=True)
class LockAfterSale:
    """Lock a duration after the sale, on the campaign's local wall clock.

    Attributes:
        after: The holding period, as text (``"30 days"``, ``"2 weeks"``,
            ``"1 month"``) or a ``relativedelta``.

    Calendar units follow the local calendar: "1 day" after 28 March 2026
    10:00 in Paris is 29 March 10:00, 23 hours later, because clocks went
    forward in between; "1 month" after 31 January is the last day of
    February. A local time that falls in a DST gap is read with the offset in
    force before the gap, so it lands just after the gap.
    """

    after: relativedelta = attrs.field(converter=_duration)

    def lock_at(self, earned_at: datetime, timezone: str) -> datetime:
        """The instant an amount earned at ``earned_at`` locks (UTC).

        Args:
            earned_at: The sale's instant (timezone-aware).
            timezone: The campaign's IANA time zone.

        Returns:
            The first instant at which the amount is locked.

        Raises:
            NaiveDatetimeError: If ``earned_at`` is naive.
        """
        require_aware(earned_at, "earned_at")
        local = earned_at.astimezone(zone(timezone))
        wall = local.replace(tzinfo=None) + self.after
        return wall.replace(tzinfo=local.tzinfo).astimezone(UTC)

    def describe(self) -> str:
        """The rule in words, for explanations."""
        return f"{format_duration(self.after)} after the sale"


@attrs.frozen(kw_only=True)
class LockAfterMonthEnd:
    """Lock M months and D days after the end of the sale's local month.

    The end of a month is the local midnight that starts the next month; the
    months and days are added to that date, and the amount locks at local
    midnight of the result. Sales on 1 and 31 January both lock, with
    ``months=1, days=10``, at the start of 11 March (1 February + 1 month + 10
    days).

    Attributes:
        months: Whole months after the end of the sale's month, >= 0.
        days: Days added after the months, >= 0. Months and days are at most
            :data:`~hybridroi.core.durations.MAX_DURATION_YEARS` years in total,
            as for every duration (a month is a twelfth of 365.2425 days).
    """

    months: int = attrs.field(default=0, validator=non_negative_int)
    days: int = attrs.field(default=0, validator=non_negative_int)

    def __attrs_post_init__(self) -> None:
        year = Fraction(146_097, 400)
        if self.months * year / 12 + self.days > MAX_DURATION_YEARS * year:
            raise InvalidValueError(
                "LockAfterMonthEnd",
                f"months={self.months}, days={self.days}",
                f"a holding period of at most {MAX_DURATION_YEARS} years in total "
                f"({MAX_DURATION_YEARS * 12} months, or 36524 days)",
            )

    def lock_at(self, earned_at: datetime, timezone: str) -> datetime:
        """The instant an amount earned at ``earned_at`` locks (UTC).

        Args:
            earned_at: The sale's instant (timezone-aware).
            timezone: The campaign's IANA time zone.

        Returns:
            Local midnight of the lock date, as a UTC instant.

        Raises:
            NaiveDatetimeError: If ``earned_at`` is naive.
        """
        require_aware(earned_at, "earned_at")
        sale_day = earned_at.astimezone(zone(timezone)).date()
        month_end = sale_day.replace(day=1) + relativedelta(months=1)
        return local_midnight(
            month_end + relativedelta(months=self.months, days=self.days), timezone
        )

    def describe(self) -> str:
        """The rule in words, for explanations."""
        return f"{self.months} months and {self.days} days after the end of the sale's month"


@attrs.frozen(kw_only=True)
class LockOnDayOfMonth:
    """Lock on a fixed day of the month after the sale's local month.

    Attributes:
        day: Day of the month, 1 to 31. In a month without that day (31 in
            April, 30 in February) the amount locks on the month's last day.
        months_after: Which following month: 1 (the next month, the default)
            or more.
    """

    day: int = attrs.field()
    months_after: int = attrs.field(default=1)

    @day.validator
    def _check_day(self, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 31:
            raise InvalidValueError("LockOnDayOfMonth.day", value, "a day of the month, 1 to 31")

    @months_after.validator
    def _check_months_after(self, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidValueError("LockOnDayOfMonth.months_after", value, "an integer >= 1")

    def lock_date(self, earned_at: datetime, timezone: str) -> date:
        """The local date on which an amount earned at ``earned_at`` locks."""
        require_aware(earned_at, "earned_at")
        sale_day = earned_at.astimezone(zone(timezone)).date()
        first = sale_day.replace(day=1) + relativedelta(months=self.months_after)
        last = calendar.monthrange(first.year, first.month)[1]
        return first.replace(day=min(self.day, last))

    def lock_at(self, earned_at: datetime, timezone: str) -> datetime:
        """The instant an amount earned at ``earned_at`` locks (UTC).

        Args:
            earned_at: The sale's instant (timezone-aware).
            timezone: The campaign's IANA time zone.

        Returns:
            Local midnight of the lock date, as a UTC instant.

        Raises:
            NaiveDatetimeError: If ``earned_at`` is naive.
        """
        return local_midnight(self.lock_date(earned_at, timezone), timezone)

    def describe(self) -> str:
        """The rule in words, for explanations."""
        if self.months_after == 1:
            return f"day {self.day} of the month after the sale's month"
        return f"day {self.day} of the month {self.months_after} months after the sale's month"


LockRule = LockAfterSale | LockAfterMonthEnd | LockOnDayOfMonth
"""The ways a deal declares when its commissions lock."""


def status_at(
    entry: LedgerEntry,
    at: datetime,
    batches: Mapping[str, EntryStatus] | None = None,
    *,
    decisions: DecisionIndex | None = None,
    timezone: str = "UTC",
) -> EntryStatus:
    """The status of ``entry`` at instant ``at``.

    Args:
        entry: The entry.
        at: The instant asked about (timezone-aware).
        batches: For entries in a live payout batch, entry id to
            :attr:`EntryStatus.PAYABLE` (batch open) or :attr:`EntryStatus.PAID`.
        decisions: The ledger's decisions on single transactions (see
            :mod:`hybridroi.ledger.decisions`); those made after ``at`` do not
            apply yet.
        timezone: The campaign's IANA time zone, for extended locks.

    Returns:
        Waived entries stay waived; an entry in a batch is payable or paid;
        a declined entry is declined and a held one held; otherwise it is
        pending before its (decided) lock instant and locked from it on.
    """
    require_aware(at, "at")
    if decisions:
        return decided_status(
            entry, at, decisions.of(entry), timezone, (batches or {}).get(entry.id)
        )
    if entry.status is EntryStatus.WAIVED:
        return EntryStatus.WAIVED
    in_batch = (batches or {}).get(entry.id)
    if in_batch is not None:
        return in_batch
    return EntryStatus.PENDING if at < entry.lock_at else EntryStatus.LOCKED


@attrs.frozen(kw_only=True)
class Balance:
    """A partner's amounts in one currency, by status, at an instant.

    Attributes:
        partner_id: The partner.
        currency: The currency; amounts in different currencies are never summed.
        pending: Still in the holding period.
        locked: Locked, waiting for the next payout run.
        payable: In an open payout batch.
        paid: In a payout batch marked paid.
        waived: Clawbacks not recovered from the partner (kept visible).
        held: Held by a decision: not locking until released.
        declined: Declined by a decision: never paid, not owed.
    """

    partner_id: str
    currency: str
    pending: Money
    locked: Money
    payable: Money
    paid: Money
    waived: Money
    held: Money = attrs.field(
        default=attrs.Factory(lambda b: Money.from_minor(0, b.currency), takes_self=True)
    )
    declined: Money = attrs.field(
        default=attrs.Factory(lambda b: Money.from_minor(0, b.currency), takes_self=True)
    )

    @property
    def owed(self) -> Money:
        """Everything credited to the partner: waived clawbacks and declined entries excluded."""
        return self.pending + self.locked + self.payable + self.paid + self.held

    @property
    def total(self) -> Money:
        """The sum of every entry, whatever its status: what was posted, plus adjustments."""
        return self.owed + self.waived + self.declined


def balances(
    entries: Iterable[LedgerEntry],
    at: datetime,
    batches: Mapping[str, EntryStatus] | None = None,
    *,
    decisions: DecisionIndex | None = None,
    timezone: str = "UTC",
) -> tuple[Balance, ...]:
    """Sum entries by partner, currency and status at ``at``.

    Args:
        entries: Ledger entries.
        at: The instant (timezone-aware).
        batches: Entry id to payout status, as for :func:`status_at`.
        decisions: The ledger's decisions, as for :func:`status_at`.
        timezone: The campaign's IANA time zone, as for :func:`status_at`.

    Returns:
        One balance per partner and currency, sorted by partner then currency.
    """
    sums: dict[tuple[str, str], dict[EntryStatus, int]] = {}
    for entry in entries:
        status = status_at(entry, at, batches, decisions=decisions, timezone=timezone)
        by_status = sums.setdefault((entry.partner_id, entry.currency), {})
        by_status[status] = by_status.get(status, 0) + entry.amount.minor_units

    def money(values: dict[EntryStatus, int], status: EntryStatus, currency: str) -> Money:
        return Money.from_minor(values.get(status, 0), currency)

    return tuple(
        Balance(
            partner_id=partner,
            currency=currency,
            pending=money(values, EntryStatus.PENDING, currency),
            locked=money(values, EntryStatus.LOCKED, currency),
            payable=money(values, EntryStatus.PAYABLE, currency),
            paid=money(values, EntryStatus.PAID, currency),
            waived=money(values, EntryStatus.WAIVED, currency),
            held=money(values, EntryStatus.HELD, currency),
            declined=money(values, EntryStatus.DECLINED, currency),
        )
        for (partner, currency), values in sorted(sums.items())
    )
