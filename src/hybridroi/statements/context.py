"""What the engine tells a rule about one credited conversion, and rules written in Python.

:class:`SaleContext` is built by the engine for every credited conversion a deal
prices: the conditions of the data rules read it (through
:class:`~hybridroi.domain.conditions.SaleFacts`), and so does a :class:`CustomRule`,
a rate rule a developer writes in Python and lists in ``AffiliateDeal.custom_rules``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from hybridroi.attribution.credits import Credit
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.domain.partners import Content
from hybridroi.domain.rules import RuleOutcome
from hybridroi.events.records import Conversion

__all__ = ["CustomRule", "SaleContext"]


@attrs.frozen(kw_only=True)
class SaleContext:
    """What the rules know about one credited conversion.

    Attributes:
        conversion: The conversion.
        credit: The partner's credit for it (share, role, content).
        content: The crediting content, when the credit names known content.
        currency: The deal's currency.
        order_value: The conversion's net revenue converted to the deal's
            currency, before refunds.
        base: The commissionable base (as the deal declares it) after refunds,
            in the deal's currency, for the whole sale (not the share). Both amounts
            are exact, with the places they need; one with no finite decimal is rounded
            half to even to the 60 digits exact money holds (the zeros after the point of an
            amount under one included).
        refunded: Net revenue refunded so far, in the sale's currency.
        fx: The conversion applied when the sale is in another currency.
        new_customer: Whether the sale is a new customer's: the flag given with the
            conversion or, when it was not given, the one the engine derived from
            the run's events (:func:`hybridroi.events.customers.new_customers`).
            It defaults to the conversion's own flag, ``None`` when unknown.
    """

    conversion: Conversion
    credit: Credit
    content: Content | None
    currency: str
    order_value: UnroundedMoney
    base: UnroundedMoney
    refunded: Money
    fx: FxConversion | None = None
    new_customer: bool | None = attrs.field(
        default=attrs.Factory(lambda self: self.conversion.new_customer, takes_self=True)
    )


@runtime_checkable
class CustomRule(Protocol):
    """A rate rule written in Python.

    A custom rule competes with the deal's other rate rules under the deal's
    precedence (in first-match order it comes before the declared rules). It
    must be a pure function of the sale: the same context always gives the same
    outcome. It is not serializable; prefer the data rules where they suffice.

    Example::

        @attrs.frozen
        class WeekendDouble:
            id: str = "weekend-double"

            def price(self, sale: SaleContext) -> RuleOutcome | None:
                if sale.conversion.instant.weekday() < 5:
                    return None
                return RuleOutcome(amount=sale.base * Decimal("0.20"),
                                   explanation="20% on weekends")
    """

    @property
    def id(self) -> str:
        """Rule id, unique within the deal."""

    def price(self, sale: SaleContext) -> RuleOutcome | None:
        """Price one credited conversion, or return None when the rule does not apply."""
