"""Assisted sales: sales an affiliate closed after an influencer touched the same customer.

This measures "influence creates the desire, affiliates convert": the affiliate
closes, the influencer assisted, credited or not.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from hybridroi.attribution.credits import CreditRole
from hybridroi.core.money import Money
from hybridroi.domain.partners import Influencer
from hybridroi.report.columns import distinct, group_of, micros_of, ranges
from hybridroi.report.records import AssistedSale
from hybridroi.report.tally import Tally

__all__ = ["assisted_sales"]


def assisted_sales(tally: Tally) -> tuple[AssistedSale, ...]:
    """Every assisted sale in the window, by conversion id.

    Args:
        tally: The report's running totals, with the sales already booked (their
            values name what each partner's share is worth).

    Returns:
        One :class:`AssistedSale` per closer and assisting influencer of each sale.
    """
    influencer_ids = {key for key, p in tally.partners.items() if isinstance(p, Influencer)}
    closing = tally.partners.keys() - influencer_ids
    credits, sales = tally.credits, tally.sales
    if not len(credits.credits):
        return ()
    names = credits.partner_codes.values
    closer = np.array([name in closing for name in names], dtype=np.bool_)[credits.partners]
    influencer = np.array([name in influencer_ids for name in names], dtype=np.bool_)[
        credits.partners
    ]
    # Only a sale an affiliate (or another partner who is no influencer) closed has
    # assists: most sales are settled here, by columns.
    known = credits.conversion >= 0
    candidates = distinct(credits.conversion[known & closer & credits.closing])
    candidates = candidates[sales.inside[candidates]]
    if not len(candidates):
        return ()
    found = _touched(tally, candidates, influencer_ids)
    # An influencer credited as introducer or assist assisted, touch or none.
    assisting = known & influencer & credits.assisting
    assisting[assisting] = np.isin(credits.conversion[assisting], candidates)
    for row in np.flatnonzero(assisting).tolist():
        found.setdefault(int(credits.conversion[row]), set()).add(credits.partner_ids[row])
    grouped, starts = credits.grouped
    rows_of, first_rows = grouped.tolist(), starts.tolist()
    units_of = tally.sale_units
    amounts: dict[int, Money] = {}
    result: list[AssistedSale] = []
    conversions = sales.conversions
    currency = tally.currency
    zero = _money(0, currency, amounts)
    partners = tally.partners
    for at in sorted(found, key=lambda at: conversions[at].id):
        low, high = first_rows[at], first_rows[at + 1]
        if high - low > 1:
            rows = rows_of[low:high]
            result.extend(_assists_of(tally, at, rows, sorted(found[at]), influencer_ids, amounts))
            continue
        # A sale with one credit, most of them: the closer's, valued by sale alone (an
        # influencer's credit on it is zero).
        credit = credits.credits[rows_of[low]]
        closer = credit.partner_id
        if credit.role not in _CLOSING or closer not in partners or closer in influencer_ids:
            continue
        conversion = conversions[at]
        value = _money(int(units_of[at]), currency, amounts)
        result.extend(
            AssistedSale(
                conversion_id=conversion.id,
                instant=conversion.instant,
                closer_id=closer,
                influencer_id=influencer_id,
                credit=zero,
                value=value,
            )
            for influencer_id in sorted(found[at])
        )
    return tuple(result)


_PARTNER_ID = attrgetter("partner_id")
_CUSTOMER = attrgetter("customer_key")
_INSTANT = attrgetter("instant")


def _touched(
    tally: Tally, candidates: npt.NDArray[np.int64], influencer_ids: set[str]
) -> dict[int, set[str]]:
    """The influencers who touched the customer of each candidate sale by its instant.

    Touches count by ``as_of`` only, like every figure of the report.

    Returns:
        The influencer ids of each sale (by batch position) that has some.
    """
    sales = tally.sales
    touches = tally.touches
    names = sorted(influencer_ids)
    index: dict[str | None, int] = {name: code for code, name in enumerate(names)}
    # The influencer of each touch (-1: a touch of no influencer), in one pass.
    partners = np.fromiter(map(index.get, touches.partners, repeat(-1)), np.int64)
    by_influencer = np.flatnonzero(partners >= 0)
    chosen = by_influencer.tolist()
    keys = touches.keys
    touch_customers = sales.customer_codes.lookup([keys[row] for row in chosen])
    # Only the touches of the candidates' customers are read further.
    wanted = np.zeros(len(sales.customer_codes) + 1, dtype=np.bool_)
    wanted[sales.customers[candidates]] = True
    mine = np.flatnonzero(wanted[touch_customers])  # -1, no customer of a sale, is never wanted
    order = mine[np.argsort(touch_customers[mine], kind="stable")]
    sorted_customers = touch_customers[order]
    instants = touches.instants[by_influencer[order]]
    customers = sales.customers[candidates]
    low = np.searchsorted(sorted_customers, customers, side="left")
    high = np.searchsorted(sorted_customers, customers, side="right")
    counts = (high - low).astype(np.int64)
    sale_rows = np.repeat(np.arange(len(candidates), dtype=np.int64), counts)
    touch_rows = np.repeat(low, counts) + ranges(counts)
    last = np.minimum(sales.instants[candidates], micros_of(tally.run.as_of))
    hits = instants[touch_rows] <= last[sale_rows]
    # Each (sale, influencer) once, however many times the influencer touched the customer.
    touch_partners = partners[by_influencer[order]]
    _, first = group_of(sale_rows[hits], touch_partners[touch_rows[hits]])
    found: dict[int, set[str]] = {}
    sales_hit = candidates[sale_rows[hits][first]].tolist()
    partners_hit = map(names.__getitem__, touch_partners[touch_rows[hits]][first].tolist())
    for sale, partner in zip(sales_hit, partners_hit, strict=True):
        found.setdefault(sale, set()).add(partner)
    return found


def _assists_of(  # noqa: PLR0917 - private, called once per assisted sale
    tally: Tally,
    at: int,
    rows: list[int],
    influencers: list[str],
    influencer_ids: set[str],
    amounts: dict[int, Money],
) -> list[AssistedSale]:
    credits = tally.credits
    conversion = tally.sales.conversions[at]
    mine = [credits.credits[row] for row in rows]
    closers = [
        c
        for c in mine
        if c.role in _CLOSING
        and c.partner_id in tally.partners
        and c.partner_id not in influencer_ids
    ]
    currency = tally.currency
    units = int(tally.sale_units[at])
    sole = len(mine) == 1
    values: dict[str, int] = {}
    if not sole:
        # Each partner's part of the sale's value, split in their shares.
        values = credits.values_of(at, units)
        units = sum(values.get(c.partner_id, 0) for c in mine)
    # Its one credit is the closer's, valued by sale alone; an influencer's is zero.
    value = _money(units, currency, amounts)
    return [
        AssistedSale(
            conversion_id=conversion.id,
            instant=conversion.instant,
            closer_id=closer.partner_id,
            influencer_id=influencer_id,
            credit=_money(0 if sole else values.get(influencer_id, 0), currency, amounts),
            value=value,
        )
        for closer in closers
        for influencer_id in influencers
    ]


_CLOSING = (CreditRole.CLOSER, CreditRole.SOLE)


def _money(units: int, currency: str, amounts: dict[int, Money]) -> Money:
    """``Money.from_minor(units, currency)``, made once per amount (``amounts`` keeps them)."""
    found = amounts.get(units)
    if found is None:
        found = amounts[units] = Money.from_minor(units, currency)
    return found
