"""Exact money: amounts in whole minor units, exact products, named rounding.

Two types carry amounts:

* :class:`Money` is a payable amount: a ``Decimal`` that is a whole number of
  the currency's minor units (cents for EUR, yen for JPY, fils for KWD).
* :class:`UnroundedMoney` is the exact result of multiplying money by a rate
  (``Money("84.00", "EUR") * Decimal("0.12")``). It is never rounded behind
  your back: :meth:`UnroundedMoney.round` turns it into :class:`Money` with a
  :class:`Rounding` mode passed by name.

Floats are refused everywhere. Amounts in different currencies never combine:
adding, subtracting or ordering them raises :class:`CurrencyMismatchError`.

Arithmetic is exact up to :data:`MAX_DIGITS` (60) significant digits, far above
any amount a campaign meets; an amount or a result beyond that is refused with
:class:`InvalidValueError`, never rounded silently. Amounts are written with ASCII
digits (``"1234.50"``; ``"1_234.50"`` is accepted too).

>>> Money("84.00", "EUR") * Decimal("0.12")
UnroundedMoney('10.0800', 'EUR')
>>> (Money("0.05", "EUR") * Decimal("0.5")).round()
Money('0.03', 'EUR')
>>> (Money("-0.05", "EUR") * Decimal("0.5")).round()
Money('-0.03', 'EUR')
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

import attrs
import iso4217

from hybridroi.core.errors import (
    CurrencyMismatchError,
    InvalidTypeError,
    InvalidValueError,
    UnknownCurrencyError,
)
from hybridroi.core.rounding import Rounding, round_ratio

__all__ = [
    "MAX_DIGITS",
    "Money",
    "Rate",
    "Rounding",
    "UnroundedMoney",
    "finite_decimal",
    "is_currency",
    "minor_unit",
    "scaled",
    "to_decimal",
    "validate_currency",
]

Rate: TypeAlias = Decimal | int
"""A multiplier for money: an ``int`` or an exact ``Decimal`` (never a float)."""

MAX_DIGITS = 60
"""The significant digits an amount may have; arithmetic is exact up to this precision."""

# All arithmetic on amounts is computed in this context. Its precision is far above
# any amount the library meets, and Inexact is trapped, so a result is either exact
# or an error, never silently rounded (the default context would keep 28 digits).
_EXACT = decimal.Context(
    prec=MAX_DIGITS,
    rounding=decimal.ROUND_HALF_UP,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)


_TOO_LONG = (
    f"an amount of at most {MAX_DIGITS} significant digits (amounts are exact to that precision)"
)


def _exactly(operation: Callable[..., Decimal], *operands: object, field: str) -> Decimal:
    """``operation(*operands)`` in the exact context, or an error naming ``field``."""
    try:
        return operation(*operands)
    except (decimal.DecimalException, ValueError, OverflowError):
        raise InvalidValueError(field, operands[0], _TOO_LONG) from None


def _check_digits(value: Decimal, field: str, places: int | None = None) -> Decimal:
    """``value`` if it fits in :data:`MAX_DIGITS` digits (with ``places`` decimals when given)."""
    integer = value.adjusted() + 1 if value else 0
    exponent = value.as_tuple().exponent
    fraction = places if places is not None else -exponent if isinstance(exponent, int) else 0
    if max(integer, 0) + max(fraction, 0) > MAX_DIGITS:
        raise InvalidValueError(field, value, _TOO_LONG)
    return value


def scaled(value: Decimal | int, exponent: int) -> Decimal:
    """``value`` times ten to the power ``exponent``, exactly.

    It is how amounts move between major and minor units (``scaled(1234, -2)`` is 12.34).
    Python's default decimal context would keep only 28 digits; this never rounds.

    Raises:
        InvalidValueError: If the result needs more than :data:`MAX_DIGITS` digits.

    >>> scaled(1234, -2), scaled(Decimal("12.34"), 2)
    (Decimal('12.34'), Decimal('1234'))
    """
    return _exactly(Decimal(value).scaleb, exponent, _EXACT, field="amount")


def finite_decimal(value: Fraction) -> Decimal | None:
    """The exact decimal of a fraction whose expansion is finite, else None.

    A fraction is a finite decimal when its denominator has no prime factor but 2
    and 5 (``3/8`` is 0.375; ``1/3`` is not).

    Raises:
        InvalidValueError: If the decimal needs more than :data:`MAX_DIGITS` digits.

    >>> finite_decimal(Fraction(3, 8)), finite_decimal(Fraction(1, 3))
    (Decimal('0.375'), None)
    """
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    return scaled(value.numerator * (10**places // value.denominator), -places)


@functools.cache
def minor_unit(currency: str) -> int:
    """Number of decimal places of a currency's minor unit, from ISO 4217.

    Args:
        currency: An ISO 4217 alphabetic code such as ``"EUR"``.

    Returns:
        2 for EUR or USD, 0 for JPY or KRW, 3 for KWD or BHD.

    Raises:
        UnknownCurrencyError: If the code is not an ISO 4217 currency, or is one
            without a minor unit (gold, testing codes).

    >>> minor_unit("JPY"), minor_unit("EUR"), minor_unit("KWD")
    (0, 2, 3)
    """
    if not isinstance(currency, str):
        raise UnknownCurrencyError("currency", currency, "an ISO 4217 code such as 'EUR'")
    try:
        exponent = iso4217.Currency(currency).exponent
    except ValueError:
        raise UnknownCurrencyError("currency", currency, "an ISO 4217 code such as 'EUR'") from None
    if exponent is None:
        raise UnknownCurrencyError(
            "currency", currency, "an ISO 4217 currency that has a minor unit"
        )
    return int(exponent)


def validate_currency(currency: str, field: str = "currency") -> str:
    """Return ``currency`` if it is a known ISO 4217 code, or raise naming ``field``.

    Raises:
        UnknownCurrencyError: If the code is unknown.
    """
    try:
        minor_unit(currency)
    except UnknownCurrencyError as error:
        raise UnknownCurrencyError(field, currency, error.expected) from None
    return currency


@functools.cache
def is_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency with a minor unit (cached, never raises)."""
    try:
        minor_unit(code)
    except UnknownCurrencyError:
        return False
    return True


@functools.cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def to_decimal(value: object, field: str = "amount") -> Decimal:
    """Convert a ``str``, ``int`` or ``Decimal`` to a finite ``Decimal``.

    Args:
        value: The value to convert.
        field: The field name to use in error messages.

    Raises:
        TypeError: For a float (pass a string or Decimal) or another type.
        InvalidValueError: For a string that is not a number, or NaN/infinity.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidTypeError(field, value, "str, int or Decimal, not a bool")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if not value.isascii():
            raise InvalidValueError(
                field, value, "a decimal number in ASCII digits such as '12.50'"
            )
        try:
            result = Decimal(value.strip().replace("_", ""))
        except (decimal.InvalidOperation, ValueError):
            raise InvalidValueError(field, value, "a decimal number such as '12.50'") from None
    elif isinstance(value, float):
        raise InvalidTypeError(
            field,
            value,
            "a string or a Decimal (binary floating point cannot hold money exactly; "
            "pass a string such as '12.50')",
        )
    else:
        raise InvalidTypeError(field, value, "str, int or Decimal")
    if not result.is_finite():
        raise InvalidValueError(field, value, "a finite number")
    return result


_new = object.__new__
_set = object.__setattr__


def _check_same(left: str, right: str, operation: str) -> None:
    if left != right:
        raise CurrencyMismatchError(left, right, operation)


@attrs.frozen(init=False, repr=False, order=False)
class Money:
    """A payable amount: a whole number of minor units of one currency.

    Args:
        amount: A ``str``, ``int`` or ``Decimal``. It must not carry more
            decimal places than the currency's minor unit allows; round an
            exact amount with :meth:`UnroundedMoney.round` instead.
        currency: An ISO 4217 alphabetic code.

    Raises:
        TypeError: If ``amount`` is a float.
        UnknownCurrencyError: If the currency is unknown.
        InvalidValueError: If the amount is not a whole number of minor units.

    Equality between two currencies is ``False``; ordering comparisons,
    addition and subtraction across currencies raise
    :class:`CurrencyMismatchError`.

    >>> Money("12.5", "EUR")
    Money('12.50', 'EUR')
    >>> sum([Money("1.10", "EUR"), Money("2.20", "EUR")])
    Money('3.30', 'EUR')
    >>> Money("1.005", "EUR")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hybridroi.core.errors.InvalidValueError: Money.amount: expected a whole number of EUR ...
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: str | int | Decimal, currency: str) -> None:
        validate_currency(currency, "Money.currency")
        value = to_decimal(amount, "Money.amount")
        _check_digits(value, "Money.amount", minor_unit(currency))
        quantum = _quantum(currency)
        try:
            exact = value.quantize(quantum, context=_EXACT)
        except decimal.DecimalException:
            raise InvalidValueError(
                "Money.amount",
                value,
                f"a whole number of {currency} minor units ({minor_unit(currency)} decimal "
                "places); round it with UnroundedMoney.round()",
            ) from None
        object.__setattr__(self, "amount", exact)
        object.__setattr__(self, "currency", currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        """``Money(amount, currency)`` for an amount known to be valid, without checking it.

        For the engine's hot paths only: ``amount`` must already be a ``Decimal`` with
        exactly the currency's minor-unit places (``scaled(units, -places)``) and
        ``currency`` a known code. Parsing and checking would cost more than pricing
        a sale.
        """
        money = _new(cls)
        _set(money, "amount", amount)
        _set(money, "currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        """The zero amount of ``currency``."""
        return cls(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Build money from an integer count of minor units (cents).

        >>> Money.from_minor(1234, "EUR")
        Money('12.34', 'EUR')
        """
        if not isinstance(units, int) or isinstance(units, bool):
            raise InvalidTypeError("Money.from_minor", units, "int minor units")
        return cls(scaled(units, -minor_unit(currency)), currency)

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units."""
        return int(scaled(self.amount, minor_unit(self.currency)))

    def exact(self) -> UnroundedMoney:
        """This amount as :class:`UnroundedMoney`, to combine with exact products."""
        return UnroundedMoney(self.amount, self.currency)

    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount == 0

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"

    def __bool__(self) -> bool:
        return self.amount != 0

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            _check_same(self.currency, other.currency, "add")
            return Money(
                _exactly(_EXACT.add, self.amount, other.amount, field="Money.amount"),
                self.currency,
            )
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # sum() starts from the int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            _check_same(self.currency, other.currency, "subtract")
            return Money(
                _exactly(_EXACT.subtract, self.amount, other.amount, field="Money.amount"),
                self.currency,
            )
        return NotImplemented

    def __neg__(self) -> Money:
        return Money(_EXACT.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(_EXACT.abs(self.amount), self.currency)

    def __mul__(self, other: object) -> UnroundedMoney:
        if isinstance(other, float):
            raise InvalidTypeError(
                "factor", other, "a Decimal or str rate (cannot multiply by a float)"
            )
        if isinstance(other, Decimal | int) and not isinstance(other, bool):
            return UnroundedMoney(
                _exactly(_EXACT.multiply, self.amount, Decimal(other), field="money product"),
                self.currency,
            )
        return NotImplemented

    __rmul__ = __mul__

    def _compare(self, other: object, operation: str) -> tuple[Decimal, Decimal] | None:
        if isinstance(other, Money):
            _check_same(self.currency, other.currency, operation)
            return self.amount, other.amount
        return None

    def __lt__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] >= pair[1]

    @staticmethod
    def sum(amounts: Iterable[Money], currency: str) -> Money:
        """Sum ``amounts``; the empty sum is zero in ``currency``.

        Raises:
            CurrencyMismatchError: If an amount is not in ``currency``.
        """
        total = Decimal(0)
        for item in amounts:
            _check_same(currency, item.currency, "add")
            total = _exactly(_EXACT.add, total, item.amount, field="Money.sum")
        return Money(total, currency)


@attrs.frozen(init=False, repr=False, order=False)
class UnroundedMoney:
    """An exact amount that may hold fractions of a minor unit.

    It is what multiplying :class:`Money` by a rate gives. It adds and
    subtracts exactly with other unrounded or rounded amounts of the same
    currency, and becomes payable only through :meth:`round`.

    Args:
        amount: A ``str``, ``int`` or ``Decimal`` (never a float).
        currency: An ISO 4217 alphabetic code.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: str | int | Decimal, currency: str) -> None:
        validate_currency(currency, "UnroundedMoney.currency")
        value = _check_digits(to_decimal(amount, "UnroundedMoney.amount"), "UnroundedMoney.amount")
        object.__setattr__(self, "amount", value)
        object.__setattr__(self, "currency", currency)

    @classmethod
    def zero(cls, currency: str) -> UnroundedMoney:
        """The zero amount of ``currency``."""
        return cls(0, currency)

    def round(self, *, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Round to the currency's minor unit with a named mode.

        >>> UnroundedMoney("2.675", "EUR").round()
        Money('2.68', 'EUR')
        >>> UnroundedMoney("2.675", "EUR").round(rounding=Rounding.HALF_EVEN)
        Money('2.68', 'EUR')
        >>> UnroundedMoney("2.665", "EUR").round(rounding=Rounding.HALF_EVEN)
        Money('2.66', 'EUR')
        """
        if not isinstance(rounding, Rounding):
            raise InvalidTypeError("rounding", rounding, "a Rounding member")
        numerator, denominator = self.amount.as_integer_ratio()
        places = minor_unit(self.currency)
        units = round_ratio(numerator * 10**places, denominator, rounding)
        try:
            return Money(scaled(units, -places), self.currency)
        except InvalidValueError:
            raise InvalidValueError("UnroundedMoney.amount", self.amount, _TOO_LONG) from None

    def __repr__(self) -> str:
        return f"UnroundedMoney('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"

    def _other_amount(self, other: object, operation: str) -> Decimal | None:
        if isinstance(other, UnroundedMoney | Money):
            _check_same(self.currency, other.currency, operation)
            return other.amount
        return None

    def __add__(self, other: object) -> UnroundedMoney:
        amount = self._other_amount(other, "add")
        if amount is None:
            return NotImplemented
        return UnroundedMoney(
            _exactly(_EXACT.add, self.amount, amount, field="UnroundedMoney.amount"), self.currency
        )

    def __radd__(self, other: object) -> UnroundedMoney:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self.__add__(other)

    def __sub__(self, other: object) -> UnroundedMoney:
        amount = self._other_amount(other, "subtract")
        if amount is None:
            return NotImplemented
        return UnroundedMoney(
            _exactly(_EXACT.subtract, self.amount, amount, field="UnroundedMoney.amount"),
            self.currency,
        )

    def __rsub__(self, other: object) -> UnroundedMoney:
        amount = self._other_amount(other, "subtract")
        if amount is None:
            return NotImplemented
        return UnroundedMoney(
            _exactly(_EXACT.subtract, amount, self.amount, field="UnroundedMoney.amount"),
            self.currency,
        )

    def __neg__(self) -> UnroundedMoney:
        return UnroundedMoney(_EXACT.minus(self.amount), self.currency)

    def __mul__(self, other: object) -> UnroundedMoney:
        if isinstance(other, float):
            raise InvalidTypeError(
                "factor", other, "a Decimal or str rate (cannot multiply by a float)"
            )
        if isinstance(other, Decimal | int) and not isinstance(other, bool):
            return UnroundedMoney(
                _exactly(_EXACT.multiply, self.amount, Decimal(other), field="money product"),
                self.currency,
            )
        return NotImplemented

    __rmul__ = __mul__

    def _pair(self, other: object) -> tuple[Decimal, Decimal] | None:
        amount = self._other_amount(other, "compare")
        return None if amount is None else (self.amount, amount)

    def __lt__(self, other: object) -> bool:
        pair = self._pair(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._pair(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._pair(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._pair(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]
