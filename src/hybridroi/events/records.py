"""The raw events of a campaign: touches, conversions (sales and leads) and refunds.

Events are frozen records validated on construction. A batch of events is
checked against the campaign by :func:`hybridroi.events.intake.check_events`,
which returns problem records rather than raising.
"""

from __future__ import annotations

import enum
import re
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from hybridroi.core.checks import (
    aware,
    enum_member,
    identifier,
    instance_of,
    optional,
    positive_money,
    text,
    tuple_of,
)
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money, UnroundedMoney, to_decimal
from hybridroi.domain.policy import TouchKind

__all__ = [
    "Conversion",
    "ConversionKind",
    "Event",
    "LineItem",
    "Refund",
    "RefundKind",
    "Touch",
]

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _customer_key(value: object) -> object:
    # One string object per customer: attribution looks every event up by its customer key,
    # and interned keys compare by identity instead of character by character.
    return sys.intern(value) if type(value) is str else value


@attrs.frozen(kw_only=True)
class Touch:
    """A visitor's contact with a partner (or with a channel outside the program).

    Exactly one of ``partner_id`` and ``channel`` is set: a touch either comes
    from a partner of the campaign, or from another marketing channel (paid
    search, email, ...) that attribution can de-duplicate against.

    Attributes:
        id: Touch id (a click id for clicks), unique within the campaign.
        kind: View, click or promo code.
        instant: When it happened (timezone-aware).
        customer_key: The customer or visitor it is tied to.
        partner_id: The partner who earned it, for program touches.
        channel: The outside channel (``"paid_search"``, ``"email"``), otherwise.
        content_id: The content it came from, if known (gives platform and format).
        link_id: The tracking link, if any.
    """

    id: str = attrs.field(validator=identifier)
    kind: TouchKind = attrs.field(
        converter=enum_member(TouchKind)  # type: ignore[misc]
    )
    instant: datetime = attrs.field(validator=aware)
    customer_key: str = attrs.field(converter=_customer_key, validator=identifier)
    partner_id: str | None = attrs.field(default=None, validator=optional(identifier))
    channel: str | None = attrs.field(default=None, validator=optional(identifier))
    content_id: str | None = attrs.field(default=None, validator=optional(identifier))
    link_id: str | None = attrs.field(default=None, validator=optional(identifier))

    def __attrs_post_init__(self) -> None:
        if (self.partner_id is None) == (self.channel is None):
            raise InvalidValueError(
                "Touch.partner_id",
                self.partner_id,
                "exactly one of partner_id (a program partner) and channel (an outside channel)",
            )


def _quantity(value: object) -> Decimal:
    result = to_decimal(value, "LineItem.quantity")
    if result <= 0:
        raise InvalidValueError("LineItem.quantity", value, "a quantity > 0")
    return result


def _unit_price(value: object) -> UnroundedMoney:
    if isinstance(value, Money):
        value = value.exact()
    if not isinstance(value, UnroundedMoney):
        raise InvalidTypeError(
            "LineItem.unit_price", value, "an exact amount (UnroundedMoney, or Money) >= 0"
        )
    if value.amount < 0:
        raise InvalidValueError("LineItem.unit_price", value, "a unit price >= 0")
    return value


@attrs.frozen(kw_only=True)
class LineItem:
    """One line of an order.

    Attributes:
        sku: Product reference.
        category: Product category.
        quantity: Quantity (> 0; may be fractional, such as 1.5 kg).
        unit_price: Net price of one unit, >= 0, exact: it may be finer than the
            minor unit (``UnroundedMoney("4.4556", "USD")``); ``Money`` is accepted
            and kept exact.

    >>> item = LineItem(sku="bulk", quantity="10.625", unit_price=UnroundedMoney("4.4556", "USD"))
    >>> item.net  # 47.34075, rounded once
    Money('47.34', 'USD')
    """

    sku: str = attrs.field(validator=identifier)
    quantity: Decimal = attrs.field(converter=_quantity)
    unit_price: UnroundedMoney = attrs.field(converter=_unit_price)
    category: str | None = attrs.field(default=None, validator=optional(text))

    @property
    def net(self) -> Money:
        """Quantity times unit price, rounded once, half-up, to the minor unit."""
        return (self.unit_price * self.quantity).round()


class ConversionKind(enum.Enum):
    """What a conversion is."""

    SALE = "sale"
    LEAD = "lead"
    """A sign-up or other lead without revenue."""


def _country(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _COUNTRY.match(value)):
        raise InvalidValueError(
            "Conversion.country", value, "an ISO 3166-1 alpha-2 code such as 'FR'"
        )


def _non_negative_optional(
    instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    if value is not None and (not isinstance(value, Money) or value.amount < 0):
        raise InvalidValueError(f"Conversion.{attribute.name}", value, "Money >= 0 or None")


@attrs.frozen(kw_only=True)
class Conversion:
    """A sale (or lead) by a customer.

    Attributes:
        id: Order or lead id, unique within the campaign.
        instant: When it happened (timezone-aware).
        customer_key: The customer or visitor, matched against touches.
        revenue: Net revenue (after discount, without tax and shipping), >= 0.
        new_customer: Whether this is the customer's first purchase: ``True`` or
            ``False`` when the source says so, ``None`` (the default) when it does
            not. An unknown flag is derived from the events, never read as
            ``False``: see :func:`hybridroi.events.customers.new_customers`.
        kind: Sale or lead.
        gross: Amount paid, if known.
        tax: Tax included in ``gross``, if known.
        shipping: Shipping charged, if known.
        discount: Discount granted, if known.
        items: Order lines.
        promo_code: The promo code used at checkout, if any.
        click_id: The id of the click touch the order was tracked to, if any.
        country: ISO 3166-1 alpha-2 country of the customer, if known.
    """

    id: str = attrs.field(validator=identifier)
    instant: datetime = attrs.field(validator=aware)
    customer_key: str = attrs.field(converter=_customer_key, validator=identifier)
    revenue: Money = attrs.field(validator=instance_of(Money, "a Money amount"))
    new_customer: bool | None = attrs.field(
        default=None, validator=optional(instance_of(bool, "true, false or None"))
    )
    kind: ConversionKind = attrs.field(
        default=ConversionKind.SALE,
        converter=enum_member(ConversionKind),  # type: ignore[misc]
    )
    gross: Money | None = attrs.field(default=None, validator=_non_negative_optional)
    tax: Money | None = attrs.field(default=None, validator=_non_negative_optional)
    shipping: Money | None = attrs.field(default=None, validator=_non_negative_optional)
    discount: Money | None = attrs.field(default=None, validator=_non_negative_optional)
    items: tuple[LineItem, ...] = attrs.field(
        default=(),
        converter=tuple_of(LineItem, "a LineItem"),  # type: ignore[misc]
    )
    promo_code: str | None = attrs.field(default=None, validator=optional(identifier))
    click_id: str | None = attrs.field(default=None, validator=optional(identifier))
    country: str | None = attrs.field(default=None, validator=_country)

    def __attrs_post_init__(self) -> None:
        if self.revenue.amount < 0:
            raise InvalidValueError("Conversion.revenue", self.revenue, "Money >= 0")
        for name in ("gross", "tax", "shipping", "discount"):
            amount = getattr(self, name)
            if amount is not None and amount.currency != self.revenue.currency:
                raise InvalidValueError(
                    f"Conversion.{name}", amount, f"an amount in {self.revenue.currency}"
                )
        if self.gross is not None:
            included = sum(
                (part.amount for part in (self.tax, self.shipping) if part is not None), Decimal(0)
            )
            if included > self.gross.amount:
                raise InvalidValueError(
                    "Conversion.gross",
                    self.gross,
                    f"at least the tax and shipping it includes ({self.currency} {included})",
                )
        for index, item in enumerate(self.items):
            if not isinstance(item, LineItem):
                raise InvalidValueError(f"Conversion.items[{index}]", item, "a LineItem")
            if item.unit_price.currency != self.revenue.currency:
                raise InvalidValueError(
                    f"Conversion.items[{index}].unit_price",
                    item.unit_price,
                    f"an amount in {self.revenue.currency}",
                )

    @property
    def currency(self) -> str:
        """The currency of the sale."""
        return self.revenue.currency

    @property
    def quantity(self) -> Decimal:
        """Total quantity over the order's lines (0 when there are none)."""
        return sum((item.quantity for item in self.items), Decimal(0))


class RefundKind(enum.Enum):
    """Why money went back to the customer."""

    REFUND = "refund"
    CHARGEBACK = "chargeback"
    CANCELLATION = "cancellation"


@attrs.frozen(kw_only=True)
class Refund:
    """Money returned on a conversion, partially or in full.

    Attributes:
        id: Refund id, unique within the campaign.
        conversion_id: The conversion refunded.
        instant: When it happened (timezone-aware).
        amount: Net revenue returned, > 0, in the conversion's currency.
        kind: Refund, chargeback or cancellation.
    """

    id: str = attrs.field(validator=identifier)
    conversion_id: str = attrs.field(validator=identifier)
    instant: datetime = attrs.field(validator=aware)
    amount: Money = attrs.field(validator=positive_money)
    kind: RefundKind = attrs.field(
        default=RefundKind.REFUND,
        converter=enum_member(RefundKind),  # type: ignore[misc]
    )


Event: TypeAlias = Touch | Conversion | Refund
"""Any event of a campaign: a touch, a conversion or a refund."""
