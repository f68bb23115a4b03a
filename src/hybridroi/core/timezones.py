"""Instants and time zones: every instant is timezone-aware.

>>> from datetime import datetime
>>> require_aware(datetime(2026, 3, 1), "Conversion.instant")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hybridroi.core.errors.NaiveDatetimeError: Conversion.instant: expected a timezone-aware datetime ...
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError

__all__ = ["EARLIEST", "LATEST", "UTC", "in_range", "is_utc_zone", "require_aware", "zone"]

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant the library accepts (1900-01-01T00:00Z)."""
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The first instant after the accepted range (9000-01-01T00:00Z).

Inside ``[EARLIEST, LATEST)`` every window, period and lock date the library computes
stays within what ``datetime`` can hold; an instant outside (a click dated in year 1)
is refused rather than overflowing later.
"""
_RANGE = (
    "an instant between 1900-01-01T00:00Z and 9000-01-01T00:00Z (the range the library "
    "computes periods and windows in)"
)


def require_aware(value: object, field: str) -> datetime:
    """Return ``value`` if it is a timezone-aware instant in range, else raise naming ``field``.

    Raises:
        NaiveDatetimeError: If ``value`` is a naive datetime.
        InvalidValueError: If ``value`` is not a datetime at all, or lies outside
            ``[EARLIEST, LATEST)``.
    """
    if not isinstance(value, datetime):
        raise InvalidValueError(field, value, "a timezone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(
            field,
            value,
            "a timezone-aware datetime (naive datetimes are ambiguous; attach a tzinfo such "
            "as ZoneInfo('Europe/Paris') or timezone.utc)",
        )
    if not in_range(value):
        raise InvalidValueError(field, value, _RANGE)
    return value


def in_range(value: datetime) -> bool:
    """Whether the aware ``value`` lies in ``[EARLIEST, LATEST)``.

    >>> in_range(datetime(2026, 3, 1, tzinfo=UTC)), in_range(datetime(1, 1, 1, tzinfo=UTC))
    (True, False)
    """
    # Years well inside the range need no offset arithmetic (the hot path); near the
    # bounds the exact comparison is made, without adding anything to ``value``.
    if EARLIEST.year < value.year < LATEST.year - 1:
        return True
    return EARLIEST <= value < LATEST


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA time zone called ``name``.

    Raises:
        InvalidValueError: If ``name`` is not a known IANA zone.
    """
    if not isinstance(name, str) or not name:
        raise InvalidValueError(field, name, "an IANA time zone name such as 'Europe/Paris'")
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValueError(
            field, name, "an IANA time zone name such as 'Europe/Paris'"
        ) from None


# The IANA names of UTC itself (the tz database's links to Etc/UTC).
_UTC_KEYS = frozenset(
    ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu")
)
_NO_OFFSET = timedelta(0)


def is_utc_zone(zone: tzinfo | None) -> bool:
    """Whether instants in ``zone`` are already in UTC (its offset is always zero).

    ``ZoneInfo('UTC')`` (what Arrow and pandas attach to UTC timestamps) qualifies as
    well as ``timezone.utc``: in either, wall clocks are elapsed time, and two instants
    of that zone compare field by field, without an offset lookup on each side.

    >>> is_utc_zone(ZoneInfo("Etc/UTC")), is_utc_zone(ZoneInfo("Europe/Paris"))
    (True, False)
    """
    if isinstance(zone, ZoneInfo):
        return zone.key in _UTC_KEYS
    return isinstance(zone, timezone) and zone.utcoffset(None) == _NO_OFFSET
