"""Conditions that select which commission rule prices a sale.

A condition is a frozen record with a ``matches(sale)`` method, where ``sale``
holds the :class:`SaleFacts` of one credited conversion (the engine passes its
:class:`~hybridroi.statements.context.SaleContext`). A rule with several
conditions fires only when all of them match.

Item conditions (:class:`SkuIn`, :class:`CategoryIn`) match an order that
contains at least one matching line; the rule then prices the whole order, or,
with ``scope=RateScope.MATCHING_ITEMS`` on a percent or tiered rate, only the
lines that every item condition of the rule matches (``matches_item``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

import attrs

from hybridroi.core.checks import collection, instance_of, tuple_of
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.domain.partners import Content, ContentFormat, Platform

__all__ = [
    "CONDITION_TYPES",
    "ITEM_CONDITION_TYPES",
    "CategoryIn",
    "Condition",
    "ContentFormatIn",
    "ContentPlatformIn",
    "CountryIn",
    "CustomerIs",
    "OrderValue",
    "PromoCodeUsed",
    "SaleFacts",
    "SkuIn",
]


class OrderLine(Protocol):
    """What item conditions read of an order line."""

    @property
    def sku(self) -> str:
        """Product reference."""

    @property
    def category(self) -> str | None:
        """Product category."""


class Order(Protocol):
    """What conditions read of a conversion."""

    @property
    def promo_code(self) -> str | None:
        """The promo code used at checkout."""

    @property
    def country(self) -> str | None:
        """The customer's country."""

    @property
    def items(self) -> Sequence[OrderLine]:
        """The order's lines."""


class SaleFacts(Protocol):
    """What conditions read of one credited conversion.

    :class:`hybridroi.statements.context.SaleContext` is one.
    """

    @property
    def conversion(self) -> Order:
        """The conversion."""

    @property
    def content(self) -> Content | None:
        """The crediting content, if known."""

    @property
    def order_value(self) -> UnroundedMoney:
        """Net revenue in the deal's currency, before refunds."""

    @property
    def new_customer(self) -> bool | None:
        """Whether the sale is a new customer's (None when unknown)."""


# Collections are kept as sorted tuples without repeats: they compare like sets and
# serialize as plain lists.


def _code(value: str) -> str:
    return value


def _platforms(values: Any) -> tuple[Platform, ...]:
    return collection(
        values, "ContentPlatformIn.platforms", Platform, "one of the Platform members", key=_value
    )


def _value(member: Platform | ContentFormat) -> str:
    return str(member.value)


def _formats(values: Any) -> tuple[ContentFormat, ...]:
    return collection(
        values,
        "ContentFormatIn.formats",
        ContentFormat,
        "one of the ContentFormat members",
        key=_value,
    )


def _non_empty(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise InvalidValueError(
            f"{type(instance).__name__}.{attribute.name}", value, "at least one value"
        )


def _listing(values: tuple[Any, ...]) -> str:
    return ", ".join(sorted(getattr(value, "value", value) for value in values))


@attrs.frozen(kw_only=True)
class CustomerIs:
    """New or returning customer.

    A sale's customer is new when its ``new_customer`` flag says so or, when the
    flag was not given, when the sale is its customer's first among the run's
    events (:attr:`SaleFacts.new_customer`). A context whose flag is still
    unknown matches neither ``new=True`` nor ``new=False``.

    Attributes:
        new: True for a customer's first purchase, False for a returning one.
    """

    new: bool = attrs.field(validator=instance_of(bool, "true or false"))

    def matches(self, sale: SaleFacts) -> bool:
        """Whether the sale's customer is new (or returning)."""
        return sale.new_customer is self.new

    def describe(self) -> str:
        """The condition in words."""
        return "new customer" if self.new else "returning customer"


@attrs.frozen(kw_only=True)
class SkuIn:
    """The order contains at least one of these products.

    Attributes:
        skus: Product references.
    """

    skus: tuple[str, ...] = attrs.field(
        converter=tuple_of(str, "a SKU", key=_code),  # type: ignore[misc]
        validator=_non_empty,
    )

    def matches(self, sale: SaleFacts) -> bool:
        """Whether one of the order's lines is one of the skus."""
        return any(item.sku in self.skus for item in sale.conversion.items)

    def matches_item(self, item: OrderLine) -> bool:
        """Whether one order line is one of the skus."""
        return item.sku in self.skus

    def describe(self) -> str:
        """The condition in words."""
        return f"sku in {_listing(self.skus)}"


@attrs.frozen(kw_only=True)
class CategoryIn:
    """The order contains at least one product of these categories.

    Attributes:
        categories: Product categories.
    """

    categories: tuple[str, ...] = attrs.field(
        converter=tuple_of(str, "a category", key=_code),  # type: ignore[misc]
        validator=_non_empty,
    )

    def matches(self, sale: SaleFacts) -> bool:
        """Whether one of the order's lines is in one of the categories."""
        return any(item.category in self.categories for item in sale.conversion.items)

    def matches_item(self, item: OrderLine) -> bool:
        """Whether one order line is in one of the categories."""
        return item.category in self.categories

    def describe(self) -> str:
        """The condition in words."""
        return f"category in {_listing(self.categories)}"


@attrs.frozen(kw_only=True)
class CountryIn:
    """The customer's country is one of these.

    Attributes:
        countries: ISO 3166-1 alpha-2 codes.
    """

    countries: tuple[str, ...] = attrs.field(
        converter=tuple_of(str, "a country code", key=_code),  # type: ignore[misc]
        validator=_non_empty,
    )

    def matches(self, sale: SaleFacts) -> bool:
        """Whether the sale's country is listed (an unknown country never matches)."""
        return sale.conversion.country in self.countries

    def describe(self) -> str:
        """The condition in words."""
        return f"country in {_listing(self.countries)}"


@attrs.frozen(kw_only=True)
class PromoCodeUsed:
    """A promo (discount) code was used at checkout.

    Codes match without regard to letter case (``SUMMER10`` matches an order that used
    ``summer10``), as attribution matches promo codes.

    Attributes:
        codes: The codes that match; an empty collection means any code. A program that pays
            a lower rate when a discount code was used puts a rule with this
            condition first.
    """

    codes: tuple[str, ...] = attrs.field(
        converter=tuple_of(str, "a promo code", key=_code)  # type: ignore[misc]
    )
    _folded: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_folded", frozenset(code.casefold() for code in self.codes))

    def matches(self, sale: SaleFacts) -> bool:
        """Whether a (listed) promo code was used, ignoring letter case."""
        code = sale.conversion.promo_code
        return code is not None and (not self._folded or code.casefold() in self._folded)

    def describe(self) -> str:
        """The condition in words."""
        return f"promo code {_listing(self.codes)}" if self.codes else "a promo code used"


def _optional_money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, Money) or value.amount < 0):
        raise InvalidValueError(f"OrderValue.{attribute.name}", value, "Money >= 0 or None")


@attrs.frozen(kw_only=True)
class OrderValue:
    """The order's net revenue lies in ``[minimum, maximum)``.

    The order value is compared in the deal's currency, before refunds.

    Attributes:
        minimum: Lowest order value that matches (inclusive), if any.
        maximum: First order value that no longer matches (exclusive), if any.
    """

    minimum: Money | None = attrs.field(default=None, validator=_optional_money)
    maximum: Money | None = attrs.field(default=None, validator=_optional_money)

    def __attrs_post_init__(self) -> None:
        if self.minimum is None and self.maximum is None:
            raise InvalidValueError("OrderValue.minimum", None, "a minimum, a maximum or both")
        if (
            self.minimum is not None
            and self.maximum is not None
            and (self.minimum.currency != self.maximum.currency or self.maximum <= self.minimum)
        ):
            raise InvalidValueError(
                "OrderValue.maximum", self.maximum, f"an amount above {self.minimum}"
            )

    @property
    def currency(self) -> str:
        """The currency of the bounds."""
        if self.minimum is not None:
            return self.minimum.currency
        return self.maximum.currency if self.maximum is not None else ""

    def matches(self, sale: SaleFacts) -> bool:
        """Whether the order value is within the range."""
        value = sale.order_value
        if self.minimum is not None and value.amount < self.minimum.amount:
            return False
        return self.maximum is None or value.amount < self.maximum.amount

    def describe(self) -> str:
        """The condition in words."""
        if self.minimum is not None and self.maximum is not None:
            return f"order value from {self.minimum} to under {self.maximum}"
        if self.minimum is not None:
            return f"order value of {self.minimum} or more"
        return f"order value under {self.maximum}"


@attrs.frozen(kw_only=True)
class ContentPlatformIn:
    """The crediting content was published on one of these platforms.

    Attributes:
        platforms: The platforms.
    """

    platforms: tuple[Platform, ...] = attrs.field(converter=_platforms, validator=_non_empty)

    def matches(self, sale: SaleFacts) -> bool:
        """Whether the credit's content is on a listed platform (no content: no match)."""
        return sale.content is not None and sale.content.platform in self.platforms

    def describe(self) -> str:
        """The condition in words."""
        return f"content on {_listing(self.platforms)}"


@attrs.frozen(kw_only=True)
class ContentFormatIn:
    """The crediting content has one of these formats.

    Attributes:
        formats: The formats.
    """

    formats: tuple[ContentFormat, ...] = attrs.field(converter=_formats, validator=_non_empty)

    def matches(self, sale: SaleFacts) -> bool:
        """Whether the credit's content has a listed format (no content: no match)."""
        return sale.content is not None and sale.content.format in self.formats

    def describe(self) -> str:
        """The condition in words."""
        return f"content format {_listing(self.formats)}"


Condition: TypeAlias = (
    CustomerIs
    | SkuIn
    | CategoryIn
    | CountryIn
    | PromoCodeUsed
    | OrderValue
    | ContentPlatformIn
    | ContentFormatIn
)
"""Any of the condition records."""

CONDITION_TYPES: tuple[type, ...] = (
    CustomerIs,
    SkuIn,
    CategoryIn,
    CountryIn,
    PromoCodeUsed,
    OrderValue,
    ContentPlatformIn,
    ContentFormatIn,
)
"""Every concrete condition class, for a converter's tagged union by class name."""

ITEM_CONDITION_TYPES: tuple[type, ...] = (SkuIn, CategoryIn)
"""The conditions that select line items (each has ``matches_item(item)``)."""
