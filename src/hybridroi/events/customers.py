"""New and returning customers: the flag a conversion carries, or the one its events imply.

A conversion's ``new_customer`` is ``True`` or ``False`` when the source said so
and ``None`` when it did not. An unknown flag is never read as ``False``: it is
derived from the events given to the computation. A conversion is a new
customer's when no sale of the same ``customer_key`` comes before it, in order
of instant and then id. Among the sales of one customer, exactly the earliest
is a new customer's; a lead is a new customer's when no sale of its customer
comes before it. A flag that was given is kept as given.

The report, the statement engine's :class:`~hybridroi.domain.conditions.CustomerIs`
condition and the evaluation all read the flag through :func:`new_customers`,
so they never disagree.

>>> from datetime import datetime, timezone
>>> from hybridroi.core.money import Money
>>> def sale(id: str, day: int, new: bool | None = None) -> Conversion:
...     instant = datetime(2026, 3, day, tzinfo=timezone.utc)
...     return Conversion(id=id, instant=instant, customer_key="k1",
...                       revenue=Money("10.00", "EUR"), new_customer=new)
>>> customers = new_customers([sale("B", 9), sale("A", 2)])
>>> customers.of(sale("A", 2)), customers.of(sale("B", 9))
(True, False)
>>> customers.counting.value
'derived'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from hybridroi.events.records import Conversion, ConversionKind

__all__ = ["NewCustomerCounting", "NewCustomers", "new_customers"]


class NewCustomerCounting(enum.Enum):
    """How the new customers of a set of conversions were counted."""

    GIVEN = "given"
    """Every conversion carried its ``new_customer`` flag."""
    DERIVED = "derived"
    """No conversion carried it: each customer's first sale in the events is new."""
    MIXED = "mixed"
    """Some flags were given, the others derived."""

    @classmethod
    def of(cls, given: int, derived: int) -> NewCustomerCounting | None:
        """The counting of ``given`` flags read and ``derived`` ones; None when both are 0."""
        if given and derived:
            return cls.MIXED
        if derived:
            return cls.DERIVED
        if given:
            return cls.GIVEN
        return None


@attrs.frozen(kw_only=True)
class NewCustomers:
    """Whether each conversion is a new customer's, for one set of events.

    Attributes:
        first_sales: For each customer key, the ``(instant, id)`` of its first
            sale among the events.
        given: Conversions whose flag was given.
        derived: Conversions whose flag was derived from the events.
    """

    first_sales: Mapping[str, tuple[datetime, str]]
    given: int
    derived: int

    @property
    def counting(self) -> NewCustomerCounting | None:
        """Given, derived or mixed; None without conversions."""
        return NewCustomerCounting.of(self.given, self.derived)

    def of(self, conversion: Conversion) -> bool:
        """Whether the conversion is a new customer's: its given flag, or the derived one."""
        if conversion.new_customer is not None:
            return conversion.new_customer
        first = self.first_sales.get(conversion.customer_key)
        if first is None:
            return True  # a lead of a customer with no sale
        if conversion.kind is ConversionKind.SALE:
            return first == (conversion.instant, conversion.id)
        return (conversion.instant, conversion.id) < first


def new_customers(conversions: Iterable[Conversion]) -> NewCustomers:
    """Index the conversions to tell, for each, whether it is a new customer's.

    The result does not depend on the order of ``conversions``: a customer's
    first sale is the one of earliest instant, ties broken by the smaller id.

    Args:
        conversions: Every conversion given to the computation (sales and leads,
            inside the window or before it: an earlier sale makes a later one
            a returning customer's).

    Returns:
        The index; :meth:`NewCustomers.of` reads it.
    """
    first: dict[str, tuple[datetime, str]] = {}
    given = derived = 0
    for conversion in conversions:
        if conversion.new_customer is None:
            derived += 1
        else:
            given += 1
        if conversion.kind is not ConversionKind.SALE:
            continue
        key = (conversion.instant, conversion.id)
        known = first.get(conversion.customer_key)
        if known is None or key < known:
            first[conversion.customer_key] = key
    return NewCustomers(first_sales=first, given=given, derived=derived)
