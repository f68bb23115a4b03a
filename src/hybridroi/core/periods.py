"""Calendar periods in a campaign's time zone: day, ISO week, month, quarter.

A period is the half-open interval ``[start, end)`` of instants between two
local midnights of the campaign's zone. Start and end are returned as UTC
instants, so a day in Europe/Paris lasts 23 hours on the last Sunday of March
and 25 hours on the last Sunday of October. Consecutive periods tile time: the
end of one is the start of the next.

If local midnight does not exist on some date (a zone that springs forward at
midnight, such as America/Santiago), the period starts at the first instant of
that local date.

>>> from datetime import datetime, timezone
>>> period = period_of(datetime(2026, 3, 29, 12, tzinfo=timezone.utc),
...                    PeriodKind.DAY, "Europe/Paris")
>>> period.label, period.end - period.start
('2026-03-29', datetime.timedelta(seconds=82800))
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import enum_member
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.timezones import UTC, require_aware, zone

__all__ = ["Period", "PeriodKind", "local_midnight", "period_of", "periods_between"]


class PeriodKind(enum.Enum):
    """The calendar periods a campaign's figures are grouped by."""

    DAY = "day"
    WEEK = "week"
    """ISO week, Monday to Sunday."""
    MONTH = "month"
    QUARTER = "quarter"
    CAMPAIGN = "campaign"
    """The whole campaign, from its start to its end."""


@attrs.frozen(kw_only=True)
class Period:
    """A half-open interval of time ``[start, end)`` with a readable label.

    Attributes:
        kind: Which kind of period this is.
        label: ``2026-03-29``, ``2026-W13``, ``2026-03``, ``2026-Q1`` or ``campaign``.
        start: First instant of the period (UTC).
        end: First instant after the period (UTC).
        timezone: The IANA zone whose calendar defines the period.
    """

    kind: PeriodKind = attrs.field(
        converter=enum_member(PeriodKind)  # type: ignore[misc]
    )
    label: str
    start: datetime
    end: datetime
    timezone: str

    def __contains__(self, instant: object) -> bool:
        if not isinstance(instant, datetime):
            return False
        require_aware(instant, "instant")
        return self.start <= instant < self.end

    @property
    def duration(self) -> timedelta:
        """Elapsed time between start and end."""
        return self.end - self.start

    @property
    def first_day(self) -> date:
        """The first local date of the period."""
        return self.start.astimezone(zone(self.timezone)).date()

    @property
    def last_day(self) -> date:
        """The last local date of the period (inclusive)."""
        return (self.end - timedelta(microseconds=1)).astimezone(zone(self.timezone)).date()

    @property
    def days(self) -> int:
        """Number of local calendar days the period touches."""
        return (self.last_day - self.first_day).days + 1


def local_midnight(day: date, timezone: str) -> datetime:
    """The first instant of local date ``day`` in ``timezone``, as a UTC datetime.

    Raises:
        InvalidValueError: If the zone is unknown.
    """
    # For a midnight inside a DST gap, fold=0 reads the wall time with the offset
    # in force before the gap, which lands exactly on the transition instant:
    # the first instant that exists on that local date.
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(UTC)


def _bounds(local_day: date, kind: PeriodKind) -> tuple[date, date, str]:
    if kind is PeriodKind.DAY:
        return local_day, local_day + timedelta(days=1), local_day.isoformat()
    if kind is PeriodKind.WEEK:
        iso_year, iso_week, iso_weekday = local_day.isocalendar()
        first = local_day - timedelta(days=iso_weekday - 1)
        return first, first + timedelta(days=7), f"{iso_year}-W{iso_week:02d}"
    if kind is PeriodKind.MONTH:
        first = local_day.replace(day=1)
        return first, first + relativedelta(months=1), f"{first:%Y-%m}"
    if kind is PeriodKind.QUARTER:
        quarter = (local_day.month - 1) // 3
        first = date(local_day.year, 3 * quarter + 1, 1)
        return first, first + relativedelta(months=3), f"{first.year}-Q{quarter + 1}"
    raise InvalidValueError("kind", kind, "DAY, WEEK, MONTH or QUARTER")


def period_of(
    instant: datetime,
    kind: PeriodKind,
    timezone: str,
    *,
    campaign: tuple[datetime, datetime] | None = None,
) -> Period:
    """The period of ``kind`` that contains ``instant`` in ``timezone``'s calendar.

    Args:
        instant: A timezone-aware instant.
        kind: The kind of period.
        timezone: IANA zone defining the calendar.
        campaign: ``(start, end)`` of the campaign, required for
            :attr:`PeriodKind.CAMPAIGN`.

    Raises:
        NaiveDatetimeError: If ``instant`` is naive.
        InvalidValueError: For an unknown zone, or a campaign period without bounds
            or an instant outside them.
    """
    require_aware(instant, "instant")
    if kind is PeriodKind.CAMPAIGN:
        if campaign is None:
            raise InvalidValueError("campaign", None, "the campaign's (start, end)")
        start, end = campaign
        if not start <= instant < end:
            raise InvalidValueError("instant", instant, f"an instant in [{start}, {end})")
        zone(timezone)
        return Period(
            kind=kind,
            label="campaign",
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
            timezone=timezone,
        )
    local_day = instant.astimezone(zone(timezone)).date()
    first, after, label = _bounds(local_day, kind)
    return Period(
        kind=kind,
        label=label,
        start=local_midnight(first, timezone),
        end=local_midnight(after, timezone),
        timezone=timezone,
    )


def periods_between(
    start: datetime, end: datetime, kind: PeriodKind, timezone: str
) -> Iterator[Period]:
    """The consecutive periods of ``kind`` that overlap ``[start, end)``.

    The first period may begin before ``start`` and the last may end after
    ``end``: periods are whole calendar periods.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    if kind is PeriodKind.CAMPAIGN:
        if start < end:
            yield period_of(start, kind, timezone, campaign=(start, end))
        return
    cursor = start
    while cursor < end:
        period = period_of(cursor, kind, timezone)
        yield period
        cursor = period.end
