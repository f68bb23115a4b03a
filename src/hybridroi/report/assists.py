"""Assisted sales: sales an affiliate closed after an influencer touched the same customer.

This measures "influence creates the desire, affiliates convert": the affiliate
closes, the influencer assisted, credited or not.
"""

from __future__ import annotations

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.core.money import Money
from hybridroi.domain.partners import Influencer
from hybridroi.events.records import Conversion, Touch
from hybridroi.report.records import AssistedSale
from hybridroi.report.tally import Tally

__all__ = ["assisted_sales"]


def assisted_sales(tally: Tally) -> tuple[AssistedSale, ...]:
    """Every assisted sale in the window, by conversion id.

    Args:
        tally: The report's running totals, with the sales already booked (their
            credited values name what each partner's share is worth).

    Returns:
        One :class:`AssistedSale` per closer and assisting influencer of each sale.
    """
    influencers = {key for key, p in tally.partners.items() if isinstance(p, Influencer)}
    closing = tally.partners.keys() - influencers
    touches: dict[str, list[Touch]] | None = None
    amounts: dict[int, Money] = {}
    result: list[AssistedSale] = []
    for conversion_id in tally.credited_ids():
        credits = tally.credits_by_conversion[conversion_id]
        # Only a sale an affiliate (or another partner who is no influencer) closed has
        # assists: most sales are settled here, before their conversion is looked up.
        if not any(c.partner_id in closing and c.role in _CLOSING for c in credits):
            continue
        conversion = tally.batch.conversion(conversion_id)
        if conversion is None or not tally.inside(conversion.instant, as_of_bound=False):
            continue
        if touches is None:
            touches = tally.batch.touches_by_customer()
        result.extend(_assists_of(tally, conversion, credits, touches, influencers, amounts))
    return tuple(result)


_CLOSING = (CreditRole.CLOSER, CreditRole.SOLE)
_ASSISTING = (CreditRole.INTRODUCER, CreditRole.ASSIST)


def _assists_of(  # noqa: PLR0917 - private, called once per closed sale
    tally: Tally,
    conversion: Conversion,
    credits: list[Credit],
    touches: dict[str, list[Touch]],
    influencer_ids: set[str],
    amounts: dict[int, Money],
) -> list[AssistedSale]:
    closers = [
        c
        for c in credits
        if c.role in _CLOSING
        and c.partner_id in tally.partners
        and c.partner_id not in influencer_ids
    ]
    # Touches by as_of only, like every figure of the report.
    last = min(conversion.instant, tally.run.as_of)
    influencers = {
        str(t.partner_id)
        for t in touches.get(conversion.customer_key, ())
        if t.instant <= last and t.partner_id in influencer_ids
    }
    influencers.update(
        c.partner_id for c in credits if c.role in _ASSISTING and c.partner_id in influencer_ids
    )
    if not influencers:
        return []
    currency = tally.currency
    values = tally.credit_value
    sole = len(credits) == 1
    if sole:
        # Its one credit is the closer's, valued by sale alone; an influencer's is zero.
        units = tally.sole_credit_value.get(conversion.id, 0)
    else:
        units = sum(values.get((conversion.id, c.partner_id), 0) for c in credits)
    value = _money(units, currency, amounts)
    return [
        AssistedSale(
            conversion_id=conversion.id,
            instant=conversion.instant,
            closer_id=closer.partner_id,
            influencer_id=influencer_id,
            credit=_money(
                0 if sole else values.get((conversion.id, influencer_id), 0), currency, amounts
            ),
            value=value,
        )
        for closer in closers
        for influencer_id in sorted(influencers)
    ]


def _money(units: int, currency: str, amounts: dict[int, Money]) -> Money:
    """``Money.from_minor(units, currency)``, made once per amount (``amounts`` keeps them)."""
    found = amounts.get(units)
    if found is None:
        found = amounts[units] = Money.from_minor(units, currency)
    return found
