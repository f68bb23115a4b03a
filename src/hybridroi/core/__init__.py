"""The core: exact money, FX, time zones, calendar periods, durations, errors, problems.

Everything here is plain data and pure functions; every other layer builds on it.

>>> from hybridroi.core import Money, PeriodKind, period_of
>>> Money("10.00", "EUR") + Money("2.50", "EUR")
Money('12.50', 'EUR')
>>> from datetime import datetime, timezone
>>> instant = datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc)
>>> period_of(instant, PeriodKind.MONTH, "Europe/Paris").label
'2026-04'
"""

from hybridroi.core.allocation import allocate
from hybridroi.core.durations import MAX_DURATION_YEARS, format_duration, parse_duration
from hybridroi.core.errors import (
    CurrencyMismatchError,
    HybridRoiError,
    InvalidTypeError,
    InvalidValueError,
    MissingRateError,
    NaiveDatetimeError,
    UnknownCurrencyError,
)
from hybridroi.core.fx import FxConversion, FxRate, FxRates
from hybridroi.core.money import MAX_DIGITS, Money, UnroundedMoney, minor_unit
from hybridroi.core.periods import Period, PeriodKind, local_midnight, period_of, periods_between
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import Rounding
from hybridroi.core.timezones import require_aware

__all__ = [
    "MAX_DIGITS",
    "MAX_DURATION_YEARS",
    "CurrencyMismatchError",
    "FxConversion",
    "FxRate",
    "FxRates",
    "HybridRoiError",
    "InvalidTypeError",
    "InvalidValueError",
    "MissingRateError",
    "Money",
    "NaiveDatetimeError",
    "Period",
    "PeriodKind",
    "Problem",
    "ProblemKind",
    "Rounding",
    "UnknownCurrencyError",
    "UnroundedMoney",
    "allocate",
    "format_duration",
    "local_midnight",
    "minor_unit",
    "parse_duration",
    "period_of",
    "periods_between",
    "require_aware",
]
