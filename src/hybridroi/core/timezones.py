"""Instants and time zones: every instant is timezone-aware.

>>> from datetime import datetime
>>> require_aware(datetime(2026, 3, 1), "Conversion.instant")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hybridroi.core.errors.NaiveDatetimeError: Conversion.instant: expected a timezone-aware datetime ...
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hybridroi.core.errors import InvalidValueError, NaiveDatetimeError

__all__ = ["UTC", "require_aware", "zone"]


def require_aware(value: object, field: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise naming ``field``.

    Raises:
        NaiveDatetimeError: If ``value`` is a naive datetime.
        InvalidValueError: If ``value`` is not a datetime at all.
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
    return value


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
