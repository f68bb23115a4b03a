"""Conversion between hybridroi records and plain data (the edge).

One cattrs converter turns records into JSON-safe dictionaries and back:

* rounding modes by name (``"half_up"``), attribution windows as a table
  (``{"click": "30 days", "view": "1 day"}``);
* ``Decimal`` as a string (``"0.12"``), never a float;
* ``Money`` as ``{"amount": "12.50", "currency": "EUR"}`` (the text ``"12.50 EUR"`` is
  accepted too);
* instants as ISO 8601 text with their offset (a naive instant is refused); TOML's native
  datetimes are accepted as they are;
* commission rules and their conditions as tagged unions keyed by their class name
  (``{"type": "PercentRate", ...}``, ``{"type": "CountryIn", ...}``);
* durations as text (``"30 days"``), fractions as ``"1/3"``, enums by value;
* partners as a tagged union (``"type": "influencer"`` or ``"affiliate"``).

Types are strict: a boolean is only ``true`` or ``false``, an integer only a whole number
written as one (not a boolean, a text or a number with a fraction point), a text only a text
(not a number, ``null`` or a list), a collection only a list and a record only a table.

Validation belongs here: :func:`structure` collects every error of a document and raises
:class:`DocumentError`, whose messages carry the key path (``$.deals[0].rules[1].rate``) and
what was expected.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.strategies import configure_tagged_union
from dateutil.relativedelta import relativedelta

from hybridroi.core.durations import format_duration, parse_duration
from hybridroi.core.errors import HybridRoiError, InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney, to_decimal
from hybridroi.core.timezones import require_aware
from hybridroi.domain.conditions import CONDITION_TYPES
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import AttributionPolicy, TouchKind
from hybridroi.domain.rules import RULE_TYPES

__all__ = ["DocumentError", "converter", "structure", "unstructure"]

T = TypeVar("T")


class DocumentError(HybridRoiError, ValueError):
    """A document (a campaign file, a JSON payload) that cannot be turned into records.

    Attributes:
        problems: One message per problem, each ending with its key path
            (``"... @ $.partners[1].id"``).
    """

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{where}{len(problems)} problem(s):\n{listing}")


def _decimal(value: Any, _type: Any) -> Decimal:
    if isinstance(value, float):
        raise InvalidTypeError(
            "number", value, "an exact number; write it as a string such as '0.12'"
        )
    if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        raise InvalidTypeError("number", value, "a number such as '0.12' or 12")
    return to_decimal(value, "number")


def _bool(value: Any, _type: Any) -> bool:
    if value is True or value is False:
        return bool(value)
    raise InvalidTypeError("boolean", value, "true or false")


def _int(value: Any, _type: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidTypeError(
        "integer", value, "a whole number written without a fraction, such as 12"
    )


def _str(value: Any, _type: Any) -> str:
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidValueError("text", value, "text without lone surrogates") from None
        return value
    raise InvalidTypeError("text", value, "a text (a quoted string)")


def _is_homogeneous_tuple(type_: Any) -> bool:
    args: tuple[Any, ...] = getattr(type_, "__args__", ())
    return getattr(type_, "__origin__", None) is tuple and args[1:] == (Ellipsis,)


def _sequence_hook(type_: Any, conv: cattrs.Converter) -> Any:
    base = homogenous_tuple_structure_factory(type_, conv)

    def structure_sequence(value: Any, type_: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise InvalidTypeError("collection", value, "a list (an array)")
        return base(value, type_)

    return structure_sequence


def _record_hook(hook: Any) -> Any:
    """``hook``, refusing anything but a table (a dict) before it looks inside."""

    def structure_record(value: Any, type_: Any) -> Any:
        if not isinstance(value, dict):
            raise InvalidTypeError("record", value, "a table (an object with keys)")
        return hook(value, type_)

    return structure_record


def _money(value: Any, _type: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, str):
        parts = value.split()
        if len(parts) != 2:
            raise InvalidValueError("money", value, "'<amount> <currency>' such as '12.50 EUR'")
        amount, currency = parts
        if amount.isalpha():
            amount, currency = currency, amount
        return Money(amount, currency)
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return Money(_decimal(value["amount"], Decimal), value["currency"])
    raise InvalidValueError("money", value, "{'amount': '12.50', 'currency': 'EUR'} or '12.50 EUR'")


def _unrounded(value: Any, _type: Any) -> UnroundedMoney:
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return UnroundedMoney(_decimal(value["amount"], Decimal), value["currency"])
    # Exact unit prices in rules are written like money, and may be finer: "0.0005 EUR".
    if isinstance(value, str) and len(value.split()) == 2:
        amount, currency = value.split()
        if amount.isalpha():
            amount, currency = currency, amount
        return UnroundedMoney(_decimal(amount, Decimal), currency)
    raise InvalidValueError(
        "money", value, "{'amount': '10.0800', 'currency': 'EUR'} or '0.0005 EUR'"
    )


def _instant(value: Any, _type: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValueError(
                "instant",
                value,
                "an ISO 8601 instant with offset, such as 2026-03-01T09:30:00+01:00",
            ) from None
    return require_aware(value, "instant")


def _date(value: Any, _type: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValueError("date", value, "an ISO 8601 date such as 2026-03-01")


def _fraction(value: Any, _type: Any) -> Fraction:
    if isinstance(value, bool | float):
        raise InvalidValueError("fraction", value, "a fraction written as text, such as '1/3'")
    try:
        return Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise InvalidValueError("fraction", value, "a fraction such as '1/3' or '0.4'") from None


def _enum_hook(cls: type[enum.Enum]) -> Any:
    choices = ", ".join(repr(member.value) for member in cls)

    def structure_enum(value: Any, _type: Any) -> enum.Enum:
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            raise InvalidValueError(cls.__name__, value, f"one of {choices}") from None

    return structure_enum


def _rounding(value: Any, _type: Any) -> Rounding:
    if isinstance(value, Rounding):
        return value
    if isinstance(value, str):
        name = value.strip().upper().removeprefix("ROUND_")
        if name in Rounding.__members__:
            return Rounding[name]
    choices = ", ".join(repr(name.lower()) for name in Rounding.__members__)
    raise InvalidValueError("Rounding", value, f"one of {choices}")


def _windows_to_table(windows: tuple[tuple[TouchKind, relativedelta], ...]) -> dict[str, str]:
    return {kind.value: format_duration(duration) for kind, duration in windows}


def _format_error(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unexpected field(s): {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, KeyError):
        return f"required field missing, or unknown type: {exc.args[0]!r}"
    if isinstance(exc, RecursionError):
        return "the document is nested too deeply"
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return "a number with too many digits"
    if isinstance(exc, HybridRoiError | ValueError | TypeError | ArithmeticError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _union(types: tuple[type, ...]) -> Any:
    """The union of record types (the commission rules, the conditions)."""
    union: Any = types[0]
    for other in types[1:]:
        union = union | other
    return union


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, lambda t: _sequence_hook(t, conv))
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and attrs.has(t),
        lambda t: _record_hook(make_dict_structure_fn(t, conv)),
    )
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Money, _money)
    conv.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(UnroundedMoney, _unrounded)
    conv.register_unstructure_hook(
        UnroundedMoney, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(dt.datetime, _instant)
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_structure_hook(dt.date, _date)
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(relativedelta, lambda v, _t: parse_duration(v, "duration"))
    conv.register_unstructure_hook(relativedelta, format_duration)
    conv.register_structure_hook(Fraction, _fraction)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook
    )
    conv.register_unstructure_hook(Fraction, str)
    conv.register_structure_hook(Rounding, _rounding)
    conv.register_unstructure_hook(Rounding, lambda r: r.name.lower())
    # Windows read as a table ({"click": "30 days"}) or as pairs; the policy parses them.
    conv.register_structure_hook(
        AttributionPolicy,
        _record_hook(
            make_dict_structure_fn(
                AttributionPolicy, conv, windows=override(struct_hook=lambda v, _t: v)
            )
        ),
    )
    conv.register_unstructure_hook(
        AttributionPolicy,
        make_dict_unstructure_fn(
            AttributionPolicy, conv, windows=override(unstruct_hook=_windows_to_table)
        ),
    )
    configure_tagged_union(
        Influencer | Affiliate,
        conv,
        tag_name="type",
        tag_generator=lambda cls: cls.__name__.lower(),
    )
    conv.register_structure_hook(
        Influencer | Affiliate, _record_hook(conv.get_structure_hook(Influencer | Affiliate))
    )
    for types in (CONDITION_TYPES, RULE_TYPES):
        union = _union(types)
        configure_tagged_union(union, conv, tag_name="type")
        conv.register_structure_hook(union, _record_hook(conv.get_structure_hook(union)))
    return conv


@functools.cache
def converter() -> cattrs.Converter:
    """The library's one converter (built on first use)."""
    return _make_converter()


def structure(data: Any, cls: type[T], *, source: str | None = None) -> T:
    """Build a record of type ``cls`` from plain data.

    Args:
        data: Plain data (dicts, lists, strings, numbers), for example parsed JSON or TOML.
        cls: The record type, for example :class:`hybridroi.Campaign`.
        source: The file or origin of ``data``, used in error messages.

    Returns:
        The record.

    Raises:
        DocumentError: Listing every problem found, each with its key path. Nothing else
            escapes: whatever ``data`` holds, the outcome is the record or this error.
    """
    try:
        return converter().structure(data, cls)
    except (ClassValidationError, IterableValidationError) as error:
        raise DocumentError(
            cattrs.transform_error(error, path="$", format_exception=_format_error), source
        ) from None
    except Exception as error:  # any failure of the data is a located problem
        raise DocumentError([f"{_format_error(error, cls)} @ $"], source) from None


def unstructure(record: Any) -> Any:
    """Turn a record into JSON-safe plain data that :func:`structure` reads back."""
    return converter().unstructure(record)
