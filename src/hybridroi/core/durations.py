"""Durations and windows written as text ("30 days", "1 month", "2 weeks").

Durations are dateutil ``relativedelta`` values, so "1 month" after January 31
is the last day of February, as a calendar would say.

Accepted text: one or more ``<integer> <unit>`` terms separated by spaces,
commas or "and", where the unit is second, minute, hour, day, week, month or
year (singular or plural, case-insensitive), for example ``"1 month 15 days"``
or ``"24 hours"``. The compact forms ``30d``, ``2w``, ``12h``, ``3mo`` and
``1y`` are accepted too. Negative and empty durations are refused, numbers are
written with the ASCII digits 0-9, and a duration is at most :data:`MAX_DURATION_YEARS`
(100) years in total, counting a year as 365.2425 days and a month as a twelfth of that
(so "100 years", "1200 months" and "36524 days" are accepted, "36525 days" is not).

>>> parse_duration("30 days")
relativedelta(days=+30)
>>> parse_duration("1 month and 2 weeks")
relativedelta(months=+1, days=+14)
"""

from __future__ import annotations

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from hybridroi.core.errors import InvalidValueError

__all__ = ["MAX_DURATION_YEARS", "fixed_length", "format_duration", "parse_duration"]

MAX_DURATION_YEARS = 100
"""The longest duration accepted, in years (365.2425 days each)."""

_UNITS = {
    "second": "seconds",
    "seconds": "seconds",
    "s": "seconds",
    "sec": "seconds",
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "hour": "hours",
    "hours": "hours",
    "h": "hours",
    "day": "days",
    "days": "days",
    "d": "days",
    "week": "weeks",
    "weeks": "weeks",
    "w": "weeks",
    "month": "months",
    "months": "months",
    "mo": "months",
    "year": "years",
    "years": "years",
    "y": "years",
}
_TERM = re.compile(r"([0-9]+)\s*([a-z]+)", re.ASCII)
_SEPARATORS = re.compile(r"(\s|,|\band\b)+", re.ASCII)
_EXPECTED = (
    "a duration such as '30 days', '2 weeks', '1 month 15 days' or '24h' "
    "(units: second, minute, hour, day, week, month, year; ASCII digits; "
    f"at most {MAX_DURATION_YEARS} years in total)"
)
# Every unit in 4800ths of a second, so that a mean Gregorian year (146097 / 400 days) and
# its twelfth are whole numbers and the total is compared exactly.
_DAY = 86_400 * 4_800
_WEIGHTS = {
    "years": 146_097 * 86_400 * 12,
    "months": 146_097 * 86_400,
    "weeks": 7 * _DAY,
    "days": _DAY,
    "hours": 3_600 * 4_800,
    "minutes": 60 * 4_800,
    "seconds": 4_800,
}
_LIMIT = MAX_DURATION_YEARS * _WEIGHTS["years"]
# More digits than this cannot stay within the limit, so they are never converted.
_MAX_DIGITS = 12


def _within_limit(duration: relativedelta, field: str) -> relativedelta:
    """``duration`` if it is a relative length (no absolute field), >= 0 and within the limit."""
    absolute = (
        duration.year,
        duration.month,
        duration.day,
        duration.weekday,
        duration.hour,
        duration.minute,
        duration.second,
        duration.microsecond,
    )
    parts = {
        "years": duration.years,
        "months": duration.months,
        "days": duration.days,
        "hours": duration.hours,
        "minutes": duration.minutes,
        "seconds": duration.seconds,
    }
    if (
        any(value is not None for value in absolute)
        or duration.microseconds < 0
        or any(count < 0 for count in parts.values())
        or sum(_WEIGHTS[unit] * count for unit, count in parts.items()) > _LIMIT
    ):
        raise InvalidValueError(field, duration, _EXPECTED)
    return duration


def parse_duration(text: str | relativedelta, field: str = "duration") -> relativedelta:
    """Parse a duration written as text into a ``relativedelta``.

    Args:
        text: The duration, for example ``"30 days"``; a ``relativedelta`` is
            returned as it is.
        field: The configuration field name used in error messages.

    Raises:
        InvalidValueError: If the text is not a positive duration of at most
            :data:`MAX_DURATION_YEARS` years.
    """
    if isinstance(text, relativedelta):
        return _within_limit(text, field)
    if not isinstance(text, str):
        raise InvalidValueError(field, text, _EXPECTED)
    rest = text.strip().lower()
    counts: dict[str, int] = {}
    position = 0
    for match in _TERM.finditer(rest):
        between = rest[position : match.start()]
        if _SEPARATORS.sub("", between):
            raise InvalidValueError(field, text, _EXPECTED)
        unit = _UNITS.get(match.group(2))
        if unit is None or unit in counts:
            raise InvalidValueError(field, text, _EXPECTED)
        digits = match.group(1).lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:
            raise InvalidValueError(field, text, _EXPECTED)
        counts[unit] = int(digits)
        position = match.end()
    if not counts or _SEPARATORS.sub("", rest[position:]) or sum(counts.values()) == 0:
        raise InvalidValueError(field, text, _EXPECTED)
    if sum(_WEIGHTS[unit] * count for unit, count in counts.items()) > _LIMIT:
        raise InvalidValueError(field, text, _EXPECTED)
    return relativedelta(**counts)  # type: ignore[arg-type]


def format_duration(duration: relativedelta) -> str:
    """Write a ``relativedelta`` in the text form :func:`parse_duration` reads.

    >>> format_duration(relativedelta(months=1, days=15))
    '1 month 15 days'
    """
    parts = []
    for name in ("years", "months", "days", "hours", "minutes", "seconds"):
        value = getattr(duration, name)
        if value:
            singular = name[:-1]
            parts.append(f"{value} {singular if value == 1 else name}")
    return " ".join(parts) if parts else "0 days"


def fixed_length(duration: relativedelta) -> timedelta | None:
    """The elapsed time a duration stands for, or None if it depends on the calendar.

    Durations in seconds, minutes, hours, days and weeks have a fixed length;
    months and years do not (a month is 28 to 31 days).

    Args:
        duration: A relative duration such as ``parse_duration("30 days")``.

    Returns:
        The equivalent ``timedelta``, or None when the duration has months or years.

    >>> fixed_length(parse_duration("2 weeks"))
    datetime.timedelta(days=14)
    >>> fixed_length(parse_duration("1 month")) is None
    True
    """
    if duration.years or duration.months:
        return None
    return timedelta(
        days=duration.days,
        hours=duration.hours,
        minutes=duration.minutes,
        seconds=duration.seconds,
        microseconds=duration.microseconds,
    )
