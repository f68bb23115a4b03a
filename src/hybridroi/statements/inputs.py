"""Event preparation: a run's events indexed once, and each deal's credited sales.

Internal to :mod:`hybridroi.statements.engine`. The events come from a checked
:class:`~hybridroi.events.intake.EventBatch`: sorted by (instant, id), with unique
ids, and every refund of a conversion of the batch. Nothing here checks that
again; what is left to find is what only pricing sees (the as-of cut, a refund in
another currency or beyond its sale, a deal's base a conversion cannot give).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.core.errors import MissingRateError
from hybridroi.core.money import Money, minor_unit, scaled
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import CommissionBase
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Conversion, ConversionKind, Touch
from hybridroi.statements.deal import _DealPricer
from hybridroi.statements.drafts import (
    _BY_ID,
    _BY_INSTANT,
    _MEMO_LIMIT,
    Exact,
    _Sale,
    _to_exact,
)


def _base_units(conversion: Conversion, base: CommissionBase) -> int | None:  # noqa: PLR0911 - one exit per commission base
    """The commissionable base of a sale in its own minor units, or None if unknown."""
    revenue = conversion.revenue.minor_units
    if base is CommissionBase.NET:
        return revenue
    if base is CommissionBase.NET_PLUS_SHIPPING:
        shipping = conversion.shipping
        return revenue + (shipping.minor_units if shipping is not None else 0)
    if base is CommissionBase.BEFORE_DISCOUNT:
        discount = conversion.discount
        return revenue + (discount.minor_units if discount is not None else 0)
    gross = conversion.gross
    if gross is None:
        return None
    if base is CommissionBase.GROSS:
        return gross.minor_units
    tax = conversion.tax
    if tax is None:
        return None
    return gross.minor_units - tax.minor_units


def _revenue_units(revenue: Money, currency: str, places: int, units: dict[Decimal, int]) -> int:
    """A sale's revenue in its own minor units, remembered in ``units`` if in ``currency``."""
    if revenue.currency != currency:
        return int(scaled(revenue.amount, minor_unit(revenue.currency)))
    result = int(scaled(revenue.amount, places))
    if len(units) < _MEMO_LIMIT:
        units[revenue.amount] = result
    return result


class _Inputs:
    """The events of a run, indexed once and cut at ``as_of``."""

    def __init__(
        self,
        batch: EventBatch,
        *,
        as_of: datetime,
        problems: list[Problem],
        want_clicks: bool,
    ) -> None:
        # The batch is sorted by (instant, id) with unique ids: the conversions up to
        # as_of are a prefix, found by a binary search and indexed in C.
        ordered = batch.conversions
        cut = bisect.bisect_right(ordered, as_of, key=_BY_INSTANT)
        self.conversions: dict[str, Conversion] = dict(
            zip(map(_BY_ID, ordered[:cut]), ordered[:cut], strict=True)
        )
        self.later: set[str] = set(map(_BY_ID, ordered[cut:]))
        self.refunded: dict[str, int] = {}
        self.refund_ids: dict[str, list[str]] = {}
        # The batch guarantees that each refund follows its sale, in the sale's currency,
        # and never exceeds what remains of it: pricing only adds them up.
        for refund in batch.refunds:
            if refund.instant > as_of:
                break
            sale_id = refund.conversion_id
            self.refunded[sale_id] = self.refunded.get(sale_id, 0) + refund.amount.minor_units
            self.refund_ids.setdefault(sale_id, []).append(refund.id)
        self._by_customer: dict[str, list[Conversion]] | None = None
        # Each partner's clicks up to as_of, in the batch's (instant, id) order.
        self.clicks: dict[str, list[Touch]] = {}
        for touch in batch.touches if want_clicks else ():
            if touch.kind is TouchKind.CLICK and touch.partner_id and touch.instant <= as_of:
                self.clicks.setdefault(touch.partner_id, []).append(touch)

    def by_customer(self) -> dict[str, list[Conversion]]:
        """The conversions of each customer, in order (built on first use)."""
        if self._by_customer is None:
            self._by_customer = _by_customer_of(self.conversions)
        return self._by_customer


def _by_customer_of(conversions: Mapping[str, Conversion]) -> dict[str, list[Conversion]]:
    result: dict[str, list[Conversion]] = {}
    for conversion in conversions.values():
        result.setdefault(conversion.customer_key, []).append(conversion)
    for purchases in result.values():
        purchases.sort(key=lambda item: (item.instant, item.id))
    return result


def _prepare_sales(  # noqa: PLR0912, PLR0915 - one pass that prepares every credited sale
    pricer: _DealPricer,
    credits: Sequence[Credit],
    inputs: _Inputs,
    problems: list[Problem],
) -> list[_Sale]:
    """The credited sales of one deal, sorted by (instant, id)."""
    currency = pricer.currency
    places = pricer.places
    base_kind = pricer.deal.commission_base
    net = base_kind is CommissionBase.NET
    conversions = inputs.conversions
    refunded_by_sale = inputs.refunded
    refund_ids = inputs.refund_ids
    lead_kind = ConversionKind.LEAD
    needs_quantity = pricer.needs_quantity
    units = pricer.units
    whole: Fraction | None = None
    sales: list[_Sale] = []
    for credit in credits:
        conversion = conversions.get(credit.conversion_id)
        if conversion is None:
            if credit.conversion_id not in inputs.later:
                problems.append(
                    Problem(
                        kind=ProblemKind.UNKNOWN_SALE,
                        subject=f"credit:{credit.conversion_id}:{credit.partner_id}",
                        message=f"credit for unknown conversion {credit.conversion_id}",
                    )
                )
            continue
        revenue_money = conversion.revenue
        sale_currency = revenue_money.currency
        revenue = units.get(revenue_money.amount) if sale_currency == currency else None
        if revenue is None:
            revenue = _revenue_units(revenue_money, currency, places, units)
        base = revenue if net else _base_units(conversion, base_kind)
        if base is None:
            problems.append(_no_base(pricer, conversion))
            continue
        sale_id = conversion.id
        refunded = refunded_by_sale.get(sale_id, 0)
        sale = _Sale()
        sale.context = None
        sale.scope = None
        sale.conversion = conversion
        sale.credit = credit
        sale.id = sale_id
        sale.instant = conversion.instant
        sale.lead = conversion.kind is lead_kind
        share = credit.share
        # A share of one is an int: the products of a whole credit stay ints. (A share is
        # one exactly when its reduced numerator equals its denominator.) Whole credits
        # usually share one Fraction object: once one is seen, the others are known by it.
        if share is whole:
            sale.share = 1
        elif share.numerator == share.denominator:
            whole = share
            sale.share = 1
        else:
            sale.share = share
        sale.refunded = refunded
        sale.fully_refunded = refunded > 0 and refunded >= revenue
        if refunded:
            sale.remaining = Fraction(revenue - refunded, revenue)
            net_base: Exact = revenue - refunded if net else _to_exact(base * sale.remaining)
            sale.source_ids = (conversion.id, *refund_ids[conversion.id])
        else:
            sale.remaining = 1
            net_base = base
            sale.source_ids = (conversion.id,)
        if needs_quantity:
            quantity = conversion.quantity if conversion.items else Decimal(1)
            sale.quantity = _to_exact(Fraction(quantity))
        else:
            sale.quantity = 1
        sale.fx = None
        if sale_currency == currency:
            sale.base = net_base
            sale.gross_base = base
            sale.order_value = revenue
        elif not _convert(pricer, sale, (net_base, base, revenue), problems):
            continue
        sales.append(sale)
    # Two stable sorts order by (instant, id) without building a key tuple per sale.
    sales.sort(key=_BY_ID)
    sales.sort(key=_BY_INSTANT)
    return sales


def _no_base(pricer: _DealPricer, conversion: Conversion) -> Problem:
    """The problem of a conversion that lacks the amounts of the deal's commission base."""
    base_kind = pricer.deal.commission_base
    return Problem(
        kind=ProblemKind.INVALID,
        subject=f"conversion:{conversion.id}",
        field=base_kind.value,
        message=(
            f"deal {pricer.deal.id} pays on the {base_kind.value} base but the "
            "conversion lacks the amounts to compute it; it was not priced"
        ),
    )


def _convert(
    pricer: _DealPricer,
    sale: _Sale,
    amounts: tuple[Exact, int, int],
    problems: list[Problem],
) -> bool:
    """Set a sale's amounts in the deal's currency; False (and a problem) without a rate.

    ``amounts`` are the net base, the gross base and the revenue, in the sale's minor units.
    """
    conversion = sale.conversion
    try:
        conversion_fx = pricer.campaign.fx.convert(
            conversion.revenue, pricer.currency, sale.instant
        )
    except MissingRateError as error:
        problems.append(
            Problem(
                kind=ProblemKind.CURRENCY,
                subject=f"conversion:{conversion.id}",
                field="revenue",
                message=f"{error}; the sale was not priced for deal {pricer.deal.id}",
            )
        )
        return False
    factor = Fraction(conversion_fx.rate) * Fraction(10) ** (
        pricer.places - minor_unit(conversion.currency)
    )
    net_base, base, revenue = amounts
    sale.fx = conversion_fx
    sale.base = _to_exact(net_base * factor)
    sale.gross_base = _to_exact(base * factor)
    sale.order_value = _to_exact(revenue * factor)
    return True


class _Referral:
    """A customer's referral by this partner: the referring sale and the partner's share of it."""

    __slots__ = ("at", "sale_id", "share")

    def __init__(self, sale: _Sale) -> None:
        self.at = sale.instant
        self.sale_id = sale.id
        self.share: Exact = sale.share


def _repeat_purchases(
    pricer: _DealPricer,
    sales: list[_Sale],
    inputs: _Inputs,
    credited: set[str],
    problems: list[Problem],
) -> list[tuple[_Sale, _Referral]]:
    """Uncredited later purchases of the customers first referred by this partner.

    Each comes with the referral: the customer's first credited purchase and the
    partner's credit share of it, which the recurring commission is scaled by.
    """
    referred: dict[str, _Referral] = {}
    for sale in sales:
        if not sale.lead and sale.conversion.customer_key not in referred:
            referred[sale.conversion.customer_key] = _Referral(sale)
    by_customer = inputs.by_customer()
    found: list[tuple[Conversion, _Referral]] = []
    for customer, referral in referred.items():
        first = referral.at
        earlier = [
            c for c in by_customer.get(customer, ()) if c.instant < first and c.id in credited
        ]
        if earlier:
            continue  # another partner's credited purchase came first: not this referral
        found.extend(
            (conversion, referral)
            for conversion in by_customer.get(customer, ())
            if conversion.instant > first
            and conversion.id not in credited
            and conversion.kind is ConversionKind.SALE
        )
    synthetic = [
        Credit(
            conversion_id=conversion.id,
            partner_id=pricer.deal.partner_id,
            share=Fraction(1),
            role=CreditRole.SOLE,
            touch_id=conversion.id,
            content_id=None,
            revenue=conversion.revenue,
            reason="repeat purchase of a referred customer",
        )
        for conversion, _ in found
    ]
    referrals = {conversion.id: referral for conversion, referral in found}
    prepared = _prepare_sales(pricer, synthetic, inputs, problems)
    return [(sale, referrals[sale.id]) for sale in prepared]
