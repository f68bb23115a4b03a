"""Gross margin rates: what turns a report's revenue into gross profit."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from hybridroi.core.allocation import allocate
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, UnroundedMoney, to_decimal
from hybridroi.events.records import Conversion

__all__ = ["GrossMargin"]


def _rate(value: object, field: str) -> Decimal:
    rate = to_decimal(value, field)
    if not 0 <= rate <= 1:
        raise InvalidValueError(field, value, "a gross margin rate between 0 and 1")
    return rate


def _rates(values: Mapping[str, object], field: str) -> dict[str, Decimal]:
    if not isinstance(values, Mapping):
        raise InvalidValueError(field, values, "a mapping of ids to margin rates")
    return {key: _rate(value, f"{field}[{key!r}]") for key, value in values.items()}


def _optional_rate(value: object) -> Decimal | None:
    return None if value is None else _rate(value, "GrossMargin.campaign")


def _category_rates(values: Mapping[str, object]) -> dict[str, Decimal]:
    return _rates(values, "GrossMargin.by_category")


def _sale_rates(values: Mapping[str, object]) -> dict[str, Decimal]:
    return _rates(values, "GrossMargin.by_sale")


@attrs.frozen(kw_only=True)
class GrossMargin:
    """Gross margin rates that turn revenue into gross profit.

    The most specific rate wins: a sale's own rate, else the rates of its
    products' categories (weighted by each line's net amount), else the
    campaign rate. A sale whose margin cannot be found (a category without a
    rate and no campaign rate) is reported as a problem and adds no gross
    profit.

    Attributes:
        campaign: The margin rate of the whole campaign, in [0, 1], if known.
        by_category: Margin rates by product category.
        by_sale: Margin rates by conversion id (when the cost of goods of each
            order is known).

    >>> GrossMargin(campaign=Decimal("0.7"), by_category={"fragrance": "0.8"}).campaign
    Decimal('0.7')
    """

    campaign: Decimal | None = attrs.field(default=None, converter=_optional_rate)
    by_category: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_category_rates)
    by_sale: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_sale_rates)

    def gross_profit(self, conversion: Conversion, amount: Money) -> UnroundedMoney | str:
        """Gross profit on ``amount`` of ``conversion``'s revenue, or why it cannot be found.

        Args:
            conversion: The sale the amount belongs to.
            amount: A part of its net revenue (a credit, or a refunded part).

        Returns:
            The exact gross profit, or a message saying which rate is missing.
        """
        rate = self.by_sale.get(conversion.id)
        if rate is not None:
            return amount * rate
        items = [item for item in conversion.items if item.net.amount > 0]
        if not items or not self.by_category:
            if self.campaign is None:
                return "no campaign gross margin and no rate for the sale"
            return amount * self.campaign
        rates = []
        for item in items:
            category_rate = self.by_category.get(item.category or "", self.campaign)
            if category_rate is None:
                return f"no gross margin for category {item.category!r} and no campaign rate"
            rates.append(category_rate)
        # Split the amount across the lines by their net value, exactly, so the
        # discount of an order is shared by its lines in proportion.
        parts = allocate(amount, [item.net.amount for item in items])
        return sum(
            (part * rate for part, rate in zip(parts, rates, strict=True)),
            UnroundedMoney.zero(amount.currency),
        )
