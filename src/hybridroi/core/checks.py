"""Validators shared by the domain records.

Each validator raises :class:`InvalidValueError` naming ``Class.field``, the
offending value and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, is_currency, validate_currency
from hybridroi.core.timezones import require_aware

__all__ = [
    "aware",
    "currency_code",
    "identifier",
    "non_negative_int",
    "non_negative_money",
    "optional",
    "positive_money",
    "text",
    "to_tuple",
    "unique_ids",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


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
    """A timezone-aware datetime."""
    if not is_instant(value):
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


def to_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """Converter: any iterable (but not a string) to a tuple."""
    if isinstance(values, str | bytes):
        raise TypeError(f"expected a collection, got the string {values!r}")
    return tuple(values)


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


def is_instant(value: object) -> bool:
    """Whether ``value`` is a timezone-aware datetime."""
    return isinstance(value, datetime) and value.utcoffset() is not None
