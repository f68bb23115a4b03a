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
    touches = tally.batch.touches_by_customer()
    result: list[AssistedSale] = []
    for conversion_id in sorted(tally.credits_by_conversion):
        conversion = tally.batch.conversion(conversion_id)
        if conversion is None or not tally.inside(conversion.instant, as_of_bound=False):
            continue
        credits = tally.credits_by_conversion[conversion_id]
        result.extend(_assists_of(tally, conversion, credits, touches))
    return tuple(result)


def _is_influencer(tally: Tally, partner_id: str | None) -> bool:
    return isinstance(tally.partners.get(partner_id or ""), Influencer)


def _assists_of(
    tally: Tally,
    conversion: Conversion,
    credits: list[Credit],
    touches: dict[str, list[Touch]],
) -> list[AssistedSale]:
    closers = [
        c
        for c in credits
        if c.role in (CreditRole.CLOSER, CreditRole.SOLE)
        and c.partner_id in tally.partners
        and not _is_influencer(tally, c.partner_id)
    ]
    if not closers:
        return []
    # Touches by as_of only, like every figure of the report.
    last = min(conversion.instant, tally.run.as_of)
    influencers = {
        str(t.partner_id)
        for t in touches.get(conversion.customer_key, ())
        if t.instant <= last and t.partner_id is not None and _is_influencer(tally, t.partner_id)
    }
    influencers.update(
        c.partner_id
        for c in credits
        if c.role in (CreditRole.INTRODUCER, CreditRole.ASSIST)
        and _is_influencer(tally, c.partner_id)
    )
    currency = tally.currency
    zero = Money.zero(currency)
    value = Money.sum(
        (tally.credit_value.get((conversion.id, c.partner_id), zero) for c in credits), currency
    )
    return [
        AssistedSale(
            conversion_id=conversion.id,
            instant=conversion.instant,
            closer_id=closer.partner_id,
            influencer_id=influencer_id,
            credit=tally.credit_value.get((conversion.id, influencer_id), zero),
            value=value,
        )
        for closer in closers
        for influencer_id in sorted(influencers)
    ]
