"""Validators shared by the domain records.

Each validator raises :class:`InvalidValueError` naming ``Class.field``, the
offending value and what was expected.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from types import UnionType
from typing import Any, TypeGuard, TypeVar

import attrs

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, is_currency, validate_currency
from hybridroi.core.timezones import in_range, require_aware

__all__ = [
    "as_tuple",
    "aware",
    "collection",
    "currency_code",
    "enum_member",
    "identifier",
    "instance_of",
    "non_negative_int",
    "non_negative_money",
    "one_of",
    "optional",
    "positive_money",
    "text",
    "to_tuple",
    "tuple_of",
    "unique_ids",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
Types = type | UnionType | tuple[type, ...]
E = TypeVar("E", bound=enum.Enum)


def _name(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def identifier(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A non-empty string without surrounding spaces."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise InvalidValueError(
            _name(instance, attribute), value, "a non-empty id without surrounding spaces"
        )


def text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(_name(instance, attribute), value, "a non-empty string")


def aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A timezone-aware datetime between ``EARLIEST`` and ``LATEST``."""
    if not (is_instant(value) and in_range(value)):
        require_aware(value, _name(instance, attribute))


def currency_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An ISO 4217 currency code."""
    if not isinstance(value, str) or not is_currency(value):
        validate_currency(value, _name(instance, attribute))  # type: ignore[arg-type]


def non_negative_money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A :class:`Money` amount >= 0."""
    if not isinstance(value, Money) or value.amount < 0:
        raise InvalidValueError(_name(instance, attribute), value, "Money >= 0")


def positive_money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A :class:`Money` amount > 0."""
    if not isinstance(value, Money) or value.amount <= 0:
        raise InvalidValueError(_name(instance, attribute), value, "Money > 0")


def non_negative_int(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An ``int`` >= 0 (not a bool)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValueError(_name(instance, attribute), value, "an integer >= 0")


def optional(validator: Validator) -> Validator:
    """Accept ``None`` or whatever ``validator`` accepts."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def instance_of(types: type | tuple[type, ...], expected: str) -> Validator:
    """A validator that accepts instances of ``types`` only.

    Unlike ``attrs.validators.instance_of``, the error is the library's own
    :class:`InvalidTypeError`, naming ``Class.field``, the value and ``expected``.

    Args:
        types: The accepted type or types.
        expected: What the field accepts, in words (``"a Money amount"``).
    """

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types):
            raise InvalidTypeError(_name(instance, attribute), value, expected)

    return check


def enum_member(enum_type: type[E]) -> attrs.Converter[Any, E]:
    """A converter that takes a member of ``enum_type``, its value (``"click"``) or its name.

    Text is matched without regard to case or surrounding spaces. Anything else
    raises :class:`InvalidValueError` naming ``Class.field`` and the accepted values.

    Args:
        enum_type: The enumeration the field holds.
    """
    by_value = {member.value: member for member in enum_type}
    # Text matches a value or, failing that, a name: Rounding's values are decimal's
    # constants ("ROUND_HALF_UP"), its names what files write ("half_up").
    by_text = {member.name.lower(): member for member in enum_type}
    by_text.update({str(member.value).lower(): member for member in enum_type})
    choices = ", ".join(repr(member.value) for member in enum_type)

    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> E:
        if type(value) is enum_type:
            return value
        member = by_value.get(value) if not isinstance(value, bool) and _hashable(value) else None
        if member is None and isinstance(value, str):
            member = by_text.get(value.strip().lower())
        if member is None:
            raise InvalidValueError(_name(instance, field), value, f"one of {choices}")
        return member

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def to_tuple(values: Iterable[Any], field: str = "collection") -> tuple[Any, ...]:
    """Converter: any iterable (but not a string) to a tuple.

    Args:
        values: The collection.
        field: The name the error gives (``"Campaign.partners"``).

    Raises:
        InvalidTypeError: For a string, bytes or a value that is not iterable.
    """
    if type(values) is tuple:
        return values
    if isinstance(values, str | bytes):
        raise InvalidTypeError(field, values, "a collection, not a string")
    try:
        return tuple(values)
    except TypeError:
        raise InvalidTypeError(field, values, "a collection (list or tuple)") from None


def collection(
    values: Any,
    field: str,
    types: Types,
    expected: str,
    *,
    key: Callable[[Any], Any] | None = None,
) -> tuple[Any, ...]:
    """A collection (not a string) of instances of ``types``, as a tuple.

    Args:
        values: The collection.
        field: The name errors give (``"Campaign.partners"``).
        types: The type or types every item must have.
        expected: What an item is, in words (``"a Partner"``).
        key: If given, the items are kept without repeats, sorted by ``key``.

    Raises:
        InvalidTypeError: For a string, a value that is not iterable or an item of another
            type, naming ``field``.
    """
    result = to_tuple(values, field)
    for item in result:
        if not isinstance(item, types):
            raise InvalidTypeError(field, item, f"items that are each {expected}")
    if key is not None:
        result = tuple(sorted(set(result), key=key))
    return result


def tuple_of(
    types: Types,
    expected: str,
    *,
    key: Callable[[Any], Any] | None = None,
) -> attrs.Converter[Any, tuple[Any, ...]]:
    """A converter that takes a collection of instances of ``types`` and keeps a tuple.

    Errors are :class:`InvalidTypeError` naming ``Class.field`` (see :func:`collection`).

    Args:
        types: The type or types every item must have.
        expected: What an item is, in words (``"a Partner"``).
        key: If given, the items are kept without repeats, sorted by ``key``.
    """

    def convert(values: Any, instance: Any, field: attrs.Attribute[Any]) -> tuple[Any, ...]:
        if type(values) is tuple and not values:
            return values
        return collection(values, _name(instance, field), types, expected, key=key)

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def _as_tuple(values: Any, instance: Any, field: attrs.Attribute[Any]) -> tuple[Any, ...]:
    return to_tuple(values, _name(instance, field))


as_tuple: attrs.Converter[Any, tuple[Any, ...]] = attrs.Converter(
    _as_tuple, takes_self=True, takes_field=True
)
"""Converter: :func:`to_tuple` whose error names ``Class.field``; items are left to a validator."""


def one_of(values: Iterable[Any], expected: str) -> Validator:
    """A validator that accepts one of ``values`` only, naming ``Class.field`` otherwise.

    Unlike ``attrs.validators.in_``, the error is the library's own
    :class:`InvalidValueError` (an :class:`InvalidTypeError` for a value of another type).

    Args:
        values: The accepted values.
        expected: What the field accepts, in words.
    """
    accepted = tuple(values)
    types = tuple({type(value) for value in accepted})

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types):
            raise InvalidTypeError(_name(instance, attribute), value, expected)
        if value not in accepted:
            raise InvalidValueError(_name(instance, attribute), value, expected)

    return check


def unique_ids(owner: str, items: Iterable[Any], attribute: str = "id") -> None:
    """Raise if two items share the same ``attribute``.

    Raises:
        InvalidValueError: Naming ``owner`` and the duplicated id.
    """
    seen: set[object] = set()
    for item in items:
        key = getattr(item, attribute)
        if key in seen:
            raise InvalidValueError(owner, key, f"unique {attribute}s (this one is repeated)")
        seen.add(key)


def is_instant(value: object) -> TypeGuard[datetime]:
    """Whether ``value`` is a timezone-aware datetime."""
    return isinstance(value, datetime) and value.utcoffset() is not None
