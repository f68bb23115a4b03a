"""The error contract: every check of a public record raises a library error naming its field.

Records are found by introspection (every attrs class listed in a module's ``__all__``), so
a new record is covered as soon as it is exported.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import typing
from typing import Any

import attrs
import pytest

import hybridroi
from hybridroi.core.errors import HybridRoiError
from hybridroi.demo.cosmetics import DEMO_AS_OF
from hybridroi.domain.partners import Account, Platform
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Touch


class _Wrong:
    """A value of a type no field accepts."""

    def __repr__(self) -> str:
        return "<wrong>"


def _records() -> list[type[Any]]:
    found: dict[str, type[Any]] = {}
    for module_info in pkgutil.walk_packages(hybridroi.__path__, "hybridroi."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name in getattr(module, "__all__", ()):
            candidate = getattr(module, name, None)
            if isinstance(candidate, type) and attrs.has(candidate):
                found[f"{candidate.__module__}.{candidate.__qualname__}"] = candidate
    return [found[key] for key in sorted(found)]


RECORDS = _records()


def _checked_fields() -> list[tuple[type[Any], attrs.Attribute[Any]]]:
    return [
        (cls, field)
        for cls in RECORDS
        for field in attrs.fields(cls)
        if field.init and (field.validator is not None or field.converter is not None)
    ]


def _enum_fields() -> list[tuple[type[Any], attrs.Attribute[Any], type[enum.Enum]]]:
    result = []
    for cls in RECORDS:
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            hint = hints.get(field.name)
            if field.init and isinstance(hint, type) and issubclass(hint, enum.Enum):
                result.append((cls, field, hint))
    return result


def _check(cls: type[Any], field: attrs.Attribute[Any], value: Any) -> Any:
    """Run the field's converter and validator as ``cls(...)`` would, on a blank instance."""
    instance = object.__new__(cls)
    converter: Any = field.converter
    if isinstance(converter, attrs.Converter):
        wrapped: Any = converter  # the stubs leave out the attributes read here
        args: list[Any] = [value]
        if wrapped.takes_self:
            args.append(instance)
        if wrapped.takes_field:
            args.append(field)
        value = wrapped.converter(*args)
    elif converter is not None:
        value = converter(value)
    if field.validator is not None:
        field.validator(instance, field, value)
    return value


def _name(cls: type[Any], field: attrs.Attribute[Any]) -> str:
    return f"{cls.__name__}.{field.name}"


def test_records_are_found() -> None:
    assert len(RECORDS) > 50
    assert Touch in RECORDS
    assert len(_checked_fields()) > 100


def _wrong_values(cls: type[Any], field: attrs.Attribute[Any]) -> list[Any]:
    """A wrong-typed value; for a collection, also one holding a wrong-typed item and a text."""
    hint = typing.get_type_hints(cls).get(field.name)
    if typing.get_origin(hint) is tuple:
        return [_Wrong(), (_Wrong(),), [_Wrong()], "text"]
    return [_Wrong()]


@pytest.mark.parametrize(
    ("cls", "field"), [pytest.param(*row, id=_name(*row)) for row in _checked_fields()]
)
def test_a_wrong_typed_value_raises_a_library_error_naming_the_field(
    cls: type[Any], field: attrs.Attribute[Any]
) -> None:
    for wrong in _wrong_values(cls, field):
        with pytest.raises(HybridRoiError) as caught:
            _check(cls, field, wrong)
        assert _name(cls, field) in str(caught.value), wrong


def _outcome(cls: type[Any], field: attrs.Attribute[Any], value: Any) -> Any:
    """The checked value, or for a refused value the error's type and whether it names the field."""
    try:
        return _check(cls, field, value)
    except HybridRoiError as error:
        return (type(error), _name(cls, field) in str(error))


@pytest.mark.parametrize(
    ("cls", "field", "enum_type"),
    [pytest.param(*row, id=_name(row[0], row[1])) for row in _enum_fields()],
)
def test_enum_fields_accept_their_values(
    cls: type[Any], field: attrs.Attribute[Any], enum_type: type[enum.Enum]
) -> None:
    # A value is as good as its member: both give the member, or both are refused alike
    # (a ledger entry is stored with a posted status only).
    accepted = 0
    for member in enum_type:
        outcome = _outcome(cls, field, member)
        if outcome is member:
            accepted += 1
        else:
            assert outcome[1], "the error names the field"
        values = [member.value]
        if isinstance(member.value, str):
            values.append(f" {member.value.upper()} ")
        for value in values:
            given = _outcome(cls, field, value)
            assert given is member if outcome is member else given == outcome, value
    assert accepted > 0


def test_an_account_takes_the_value_of_its_platform() -> None:
    account = Account(platform="tiktok", handle="@lea")
    assert account.platform is Platform.TIKTOK
    with pytest.raises(HybridRoiError, match=r"Account\.platform"):
        Account(platform="tiktak", handle="@lea")


def test_a_touch_kind_given_by_value_is_its_member() -> None:
    touch = Touch(
        id="t",
        kind="click",
        instant=DEMO_AS_OF,
        customer_key="c",
        partner_id="p",
    )
    assert touch.kind is TouchKind.CLICK
    with pytest.raises(HybridRoiError, match=r"Touch\.kind"):
        attrs.evolve(touch, kind=_Wrong())
