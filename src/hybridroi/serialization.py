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

Event files (:mod:`hybridroi.files.events`) go through the same edge: each row becomes a plain
dict that :func:`file_converter`, a second converter built by the same function, structures
into a touch, a sale with its line items, a refund or content statistics. Its hooks read text
cells (CSV cells and the strings :func:`~hybridroi.files.events.format_events` writes to JSON
Lines), stripped and bounded: numbers as decimal text or exact JSON numbers, counts as whole
numbers, flags as ``true``/``yes``/``1`` or ``false``/``no``/``0``, instants as ISO 8601 text with
their offset, enums by value in any case. Every other hook is shared.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple, NewType, TypeVar

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
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    DataDriven,
    TouchKind,
    is_custom_model,
)
from hybridroi.domain.rules import RULE_TYPES
from hybridroi.events.columns import TouchColumns
from hybridroi.events.records import Touch

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


_MODEL_TYPE: Any = AttributionModel


def _model_to_data(conv: cattrs.Converter, model: object) -> Any:
    """A built-in model as plain data; a custom model (code, not data) is refused."""
    if is_custom_model(model):
        raise InvalidValueError(
            "AttributionPolicy.model",
            model,
            "a built-in model: a custom model is code and cannot be written as data",
        )
    return conv.unstructure(model, type(model))


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


# -- event-file cells ---------------------------------------------------------------------------

MAX_FILE_DIGITS = 40
"""Numbers in event files have at most this many significant digits, and magnitudes
between ``10**-MAX_FILE_DIGITS`` and ``10**MAX_FILE_DIGITS``."""
MAX_FILE_COUNT = 10**18 - 1
"""The largest count (views, likes, ...) an event file may hold."""
MAX_FILE_TEXT = 10_000
"""The longest text (an id, a SKU, a category) an event file may hold, in characters."""

Currency = NewType("Currency", str)
"""An ISO 4217 currency code, as an event file's ``currency`` field holds it."""

# Numbers are written with ASCII digits only: str.isdigit and Decimal also accept
# other scripts' digits ("²", "١٢"), which no export writes and no reader can check.
_NUMERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_WHOLE = re.compile(r"[0-9]{1,18}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = (
    f"a decimal number such as 12.50 (ASCII digits, at most {MAX_FILE_DIGITS} significant digits)"
)
_COUNT = f"a whole number >= 0 written with ASCII digits, at most {MAX_FILE_COUNT:,}"
_INSTANT = "an ISO 8601 instant with its offset, such as 2026-03-07T10:15:00+01:00"
_FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class CurrencyMissingError(InvalidValueError):
    """An amount whose currency is missing or was refused: the currency's own problem says why."""


def _bounded(number: Decimal) -> bool:
    _, digits, exponent = number.as_tuple()
    return (
        isinstance(exponent, int)
        and len(digits) <= MAX_FILE_DIGITS
        and exponent >= -MAX_FILE_DIGITS
        and number.adjusted() < MAX_FILE_DIGITS
    )


def _json_integer(value: object) -> bool:
    """Whether ``value`` is a JSON integer as event files parse it: a Decimal without a point."""
    return isinstance(value, Decimal) and value.as_tuple().exponent == 0


def _cell_text(value: Any, _type: Any = str) -> str:
    if type(value) is str:
        if not value.isascii() and _SURROGATE.search(value):
            raise InvalidValueError(
                "text", value, "text (a lone surrogate such as \\ud800 is not a character)"
            )
        text: str = value.strip()
        if len(text) > MAX_FILE_TEXT:
            raise InvalidValueError("text", text, f"text of at most {MAX_FILE_TEXT:,} characters")
        return text
    if _json_integer(value) and len(value.as_tuple().digits) <= MAX_FILE_DIGITS:
        return str(value)  # JSON ids are often numbers
    raise InvalidTypeError("text", value, "text")


@functools.cache
def _known_currency(code: str) -> bool:
    if not _CURRENCY.fullmatch(code):
        return False
    try:
        Money.zero(code)
    except HybridRoiError:
        return False
    return True


def _cell_currency(value: Any, _type: Any) -> str:
    code: str = _cell_text(value)
    if not _known_currency(code):
        raise InvalidValueError(
            "currency", code, "an ISO 4217 currency code in upper case, such as EUR"
        )
    return code


def _cell_decimal(value: Any, _type: Any = Decimal) -> Decimal:
    number = None
    if isinstance(value, Decimal):  # JSON numbers are parsed as Decimal, never float
        number = value
    elif isinstance(value, str) and len(value) < 4 * MAX_FILE_DIGITS:
        text = value.strip()
        number = Decimal(text) if _NUMERAL.fullmatch(text) else None
    if number is None or not number.is_finite() or not _bounded(number):
        raise InvalidValueError("number", value, _NUMBER)
    return number


def _cell_amount(value: Any) -> tuple[Decimal, str]:
    """The amount and currency of ``{"amount": ..., "currency": ...}`` as a row gives them."""
    amount = _cell_decimal(value["amount"])
    currency = value["currency"]
    if currency is None:
        raise CurrencyMissingError("currency", None, "the currency of the amount")
    return amount, currency


def _cell_money(value: Any, _type: Any) -> Money:
    amount, currency = _cell_amount(value)
    try:
        return Money(amount, currency)
    except InvalidValueError as error:
        raise InvalidValueError("amount", value["amount"], error.expected) from None


def _cell_unrounded(value: Any, _type: Any) -> UnroundedMoney:
    # A unit price is exact: it may be finer than the minor unit (0.0005).
    amount, currency = _cell_amount(value)
    try:
        return UnroundedMoney(amount, currency)
    except InvalidValueError as error:
        raise InvalidValueError("amount", value["amount"], error.expected) from None


def _cell_count(value: Any, _type: Any) -> int:
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and 0 <= value <= MAX_FILE_COUNT
        and value == value.to_integral_value()
    ):
        return int(value)
    raise InvalidValueError("count", value, _COUNT)


def _cell_flag(value: Any, _type: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        flag = _FLAGS.get(value.strip().lower())
        if flag is not None:
            return flag
    raise InvalidValueError("flag", value, "true or false")


_FINER_THAN_MICROSECONDS = re.compile(r"[.,][0-9]{7,}")


def _cell_instant(value: Any, _type: Any) -> dt.datetime:
    result = None
    # fromisoformat drops digits past the sixth of a fraction: a finer instant is refused.
    if isinstance(value, str) and value.isascii() and not _FINER_THAN_MICROSECONDS.search(value):
        try:
            result = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            result = None
    if result is None or result.utcoffset() is None:
        raise InvalidValueError("instant", value, _INSTANT)
    return result


def _cell_enum_hook(cls: type[enum.Enum]) -> Any:
    members = {str(member.value): member for member in cls}
    expected = "one of " + ", ".join(members)

    def structure_cell_enum(value: Any, _type: Any) -> enum.Enum:
        if isinstance(value, str):
            member = members.get(value.strip().lower())
            if member is not None:
                return member
        raise InvalidValueError(cls.__name__, value, expected)

    return structure_cell_enum


class LocatedError(NamedTuple):
    """One error of a structuring, with where it happened.

    Attributes:
        path: The key path of the value (``"items[1].unit_price"``), ``""`` for the
            document itself.
        error: The exception raised there.
        built: True when the record at ``path`` was refused by its own constructor
            (every field was read, their combination is refused), False when a field's
            value was refused.
    """

    path: str
    error: BaseException
    built: bool


def located_errors(error: BaseException, path: str = "") -> list[LocatedError]:
    """The leaf errors of a failed structuring, each with its key path, in field order.

    Args:
        error: What :meth:`cattrs.Converter.structure` raised with detailed validation.
        path: The key path of the value structured (``""`` for the document).

    Returns:
        One entry per error found; an error that is not a validation group is one entry.
    """
    found: list[LocatedError] = []
    if isinstance(error, ClassValidationError):
        noted, unnoted = error.group_exceptions()
        for inner, note in noted:
            found.extend(located_errors(inner, f"{path}.{note.name}" if path else note.name))
        found.extend(LocatedError(path, inner, True) for inner in unnoted)
    elif isinstance(error, IterableValidationError):
        indexed, others = error.group_exceptions()
        for inner, index_note in indexed:
            found.extend(located_errors(inner, f"{path}[{index_note.index}]"))
        found.extend(LocatedError(path, inner, False) for inner in others)
    else:
        found.append(LocatedError(path, error, False))
    return found


def _union(types: tuple[type, ...]) -> Any:
    """The union of record types (the commission rules, the conditions)."""
    union: Any = types[0]
    for other in types[1:]:
        union = union | other
    return union


def _make_converter(*, cells: bool = False, detailed: bool = True) -> cattrs.Converter:
    """The converter: for documents, or with ``cells`` for the rows of event files.

    Args:
        cells: Read the fields of event-file rows (text cells, bounded numbers and
            texts) instead of typed documents; every other hook is the same.
        detailed: Collect every error with its key path (slower); without it the
            first error is raised as it is.
    """
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=True)
    if cells:
        conv.register_structure_hook(bool, _cell_flag)
        conv.register_structure_hook(int, _cell_count)
        conv.register_structure_hook(str, _cell_text)
        conv.register_structure_hook(Currency, _cell_currency)
    else:
        conv.register_structure_hook(bool, _bool)
        conv.register_structure_hook(int, _int)
        conv.register_structure_hook(str, _str)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, lambda t: _sequence_hook(t, conv))
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and attrs.has(t),
        lambda t: _record_hook(make_dict_structure_fn(t, conv)),
    )
    conv.register_structure_hook(Decimal, _cell_decimal if cells else _decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Money, _cell_money if cells else _money)
    conv.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(UnroundedMoney, _cell_unrounded if cells else _unrounded)
    conv.register_unstructure_hook(
        UnroundedMoney, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    conv.register_structure_hook(dt.datetime, _cell_instant if cells else _instant)
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_structure_hook(dt.date, _date)
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(relativedelta, lambda v, _t: parse_duration(v, "duration"))
    conv.register_unstructure_hook(relativedelta, format_duration)
    conv.register_structure_hook(Fraction, _fraction)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum),
        _cell_enum_hook if cells else _enum_hook,
    )
    conv.register_unstructure_hook(Fraction, str)
    # Touches kept in columns are written as the records they stand for.
    conv.register_unstructure_hook(
        TouchColumns,
        lambda touches: conv.unstructure(touches.records(), unstructure_as=tuple[Touch, ...]),
    )
    conv.register_structure_hook(Rounding, _rounding)
    conv.register_unstructure_hook(Rounding, lambda r: r.name.lower())
    # Windows read as a table ({"click": "30 days"}) or as pairs; the policy parses them.
    # Weights read as a table ({"tiktok": "0.39"}) or as pairs; the model parses them.
    # An earlier version (``previous``) is a model of its own, read and written the same way.
    conv.register_structure_hook(
        DataDriven,
        _record_hook(
            make_dict_structure_fn(
                DataDriven,
                conv,
                weights=override(struct_hook=lambda v, _t: v),
                method=override(struct_hook=lambda v, _t: v),
                previous=override(
                    struct_hook=lambda v, _t: None if v is None else conv.structure(v, _MODEL_TYPE)
                ),
            )
        ),
    )
    conv.register_unstructure_hook(
        DataDriven,
        make_dict_unstructure_fn(
            DataDriven,
            conv,
            weights=override(unstruct_hook=lambda pairs: {c: format(w, "f") for c, w in pairs}),
            previous=override(
                unstruct_hook=lambda model: None if model is None else _model_to_data(conv, model)
            ),
        ),
    )
    conv.register_structure_hook(
        AttributionPolicy,
        _record_hook(
            make_dict_structure_fn(
                AttributionPolicy,
                conv,
                windows=override(struct_hook=lambda v, _t: v),
                model=override(struct_hook=lambda v, _t: conv.structure(v, _MODEL_TYPE)),
            )
        ),
    )
    conv.register_unstructure_hook(
        AttributionPolicy,
        make_dict_unstructure_fn(
            AttributionPolicy,
            conv,
            windows=override(unstruct_hook=_windows_to_table),
            model=override(unstruct_hook=lambda model: _model_to_data(conv, model)),
        ),
    )
    # A partner's own windows read and write as the policy's do.
    for partner_type in (Influencer, Affiliate):
        conv.register_structure_hook(
            partner_type,
            make_dict_structure_fn(
                partner_type, conv, windows=override(struct_hook=lambda v, _t: v)
            ),
        )
        conv.register_unstructure_hook(
            partner_type,
            make_dict_unstructure_fn(
                partner_type, conv, windows=override(unstruct_hook=_windows_to_table)
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


@functools.cache
def file_converter(*, detailed: bool = False) -> cattrs.Converter:
    """The converter of event-file rows (built on first use).

    It is built by the same function as :func:`converter`, with the hooks of text cells:
    a row's plain dict (blank fields left out, each amount as ``{"amount": ...,
    "currency": ...}``) becomes a :class:`~hybridroi.events.records.Touch`,
    :class:`~hybridroi.events.records.Conversion` (with its line items),
    :class:`~hybridroi.events.records.Refund` or
    :class:`~hybridroi.events.stats.ContentStats`.

    Args:
        detailed: Collect every error of a row with its key path (see
            :func:`located_errors`); the fast variant raises the first error as it is,
            for rows that are expected to be good.

    Returns:
        The converter.
    """
    return _make_converter(cells=True, detailed=detailed)


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
