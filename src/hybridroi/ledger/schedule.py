"""When payout runs happen: a fixed day of every month, at local midnight in the campaign's zone.

A payout run is dated at a scheduled payout instant: local midnight that
starts the payout day, in the campaign's time zone. A day past the end of a
short month is that month's last day (``day=31`` pays on 28 or 29 February and
30 April). If local midnight does not exist on the payout day (a zone that
springs forward at midnight, such as America/Santiago), the payout instant is
the first instant of that local date.

>>> from datetime import UTC, datetime
>>> schedule = PayoutSchedule(day=31)
>>> schedule.next_payout(datetime(2026, 2, 10, tzinfo=UTC), "Europe/Paris").isoformat()
'2026-02-27T23:00:00+00:00'
>>> schedule.is_payout(datetime(2026, 2, 27, 23, tzinfo=UTC), "Europe/Paris")
True
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.periods import local_midnight
from hybridroi.core.timezones import require_aware, zone

__all__ = ["PayoutSchedule"]


@attrs.frozen(kw_only=True)
class PayoutSchedule:
    """Payout runs on a fixed day of every month, at local midnight.

    Attributes:
        day: Day of the month, 1 to 31; in a shorter month, its last day.
    """

    day: int = attrs.field(default=1)

    @day.validator
    def _check_day(self, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 31:
            raise InvalidValueError("PayoutSchedule.day", value, "a day of the month, 1 to 31")

    def payout_day(self, year: int, month: int) -> date:
        """The payout date of one month.

        Args:
            year: The year.
            month: The month, 1 to 12.

        Returns:
            The scheduled day of that month, or its last day if the month is shorter.
        """
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def _payout_of(self, first: date, timezone: str) -> datetime:
        return local_midnight(self.payout_day(first.year, first.month), timezone)

    def next_payout(self, on_or_after: datetime, timezone: str) -> datetime:
        """The first scheduled payout instant at or after ``on_or_after`` (UTC).

        Args:
            on_or_after: A timezone-aware instant, such as a lock instant.
            timezone: The campaign's IANA time zone.

        Returns:
            Local midnight of the next payout day, as a UTC instant.

        Raises:
            NaiveDatetimeError: If ``on_or_after`` is naive.

        >>> from datetime import UTC
        >>> PayoutSchedule(day=15).next_payout(
        ...     datetime(2026, 2, 15, 0, 30, tzinfo=UTC), "Europe/Paris").isoformat()
        '2026-03-14T23:00:00+00:00'
        """
        require_aware(on_or_after, "on_or_after")
        first = on_or_after.astimezone(zone(timezone)).date().replace(day=1)
        while True:
            candidate = self._payout_of(first, timezone)
            if candidate >= on_or_after:
                return candidate
            first += relativedelta(months=1)

    def previous_payout(self, before: datetime, timezone: str) -> datetime:
        """The last scheduled payout instant strictly before ``before`` (UTC).

        Args:
            before: A timezone-aware instant.
            timezone: The campaign's IANA time zone.

        Returns:
            Local midnight of the previous payout day, as a UTC instant.

        Raises:
            NaiveDatetimeError: If ``before`` is naive.
        """
        require_aware(before, "before")
        first = before.astimezone(zone(timezone)).date().replace(day=1)
        while True:
            candidate = self._payout_of(first, timezone)
            if candidate < before:
                return candidate
            first -= relativedelta(months=1)

    def is_payout(self, instant: datetime, timezone: str) -> bool:
        """Whether ``instant`` is a scheduled payout instant.

        Args:
            instant: A timezone-aware instant.
            timezone: The campaign's IANA time zone.

        Returns:
            True exactly at local midnight of a payout day.

        Raises:
            NaiveDatetimeError: If ``instant`` is naive.
        """
        return self.next_payout(instant, timezone) == instant

    def describe(self) -> str:
        """The schedule in words, for error messages and explanations."""
        if self.day >= 28:
            return f"day {self.day} of every month (its last day in a shorter month)"
        return f"day {self.day} of every month"
