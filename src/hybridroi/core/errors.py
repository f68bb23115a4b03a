"""The exceptions hybridroi raises.

Every error shares the base class :class:`HybridRoiError` and also inherits the
matching built-in exception, so callers can catch either ``HybridRoiError`` or,
for example, ``ValueError``.

Exceptions are for programmer errors and for objects that cannot be built.
Problems found in a batch of input data are not raised: they are returned as
:class:`hybridroi.Problem` records beside the results.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CurrencyMismatchError",
    "HybridRoiError",
    "InvalidTypeError",
    "InvalidValueError",
    "MissingRateError",
    "NaiveDatetimeError",
    "UnknownCurrencyError",
]


class HybridRoiError(Exception):
    """Base class of every error raised by hybridroi."""


class InvalidValueError(HybridRoiError, ValueError):
    """A value that cannot be accepted for a field.

    The message names the field, the offending value and what was expected.

    Attributes:
        field: Dotted name of the field, for example ``"Campaign.end"``.
        value: The value that was refused.
        expected: What the field accepts, in words.
    """

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: expected {expected}, got {value!r}")


class InvalidTypeError(InvalidValueError, TypeError):
    """A value of the wrong type for a field: a float for money, a string for a record.

    It is an :class:`InvalidValueError` (so a ``ValueError``) and a ``TypeError``, so
    callers may catch either; the message names the field, the value and what was
    expected.
    """


class UnknownCurrencyError(InvalidValueError):
    """A currency code that is not an active ISO 4217 currency with a minor unit."""


class NaiveDatetimeError(InvalidValueError):
    """A datetime without a time zone where an instant is required."""


class CurrencyMismatchError(HybridRoiError, ValueError):
    """Two amounts in different currencies were combined.

    Attributes:
        left: Currency code of the left operand.
        right: Currency code of the right operand.
    """

    def __init__(self, left: str, right: str, operation: str = "combine") -> None:
        self.left = left
        self.right = right
        super().__init__(
            f"cannot {operation} {left} and {right}: convert one of them with an FX rate first"
        )


class MissingRateError(HybridRoiError, LookupError):
    """No exchange rate is in force for a currency pair at an instant."""
