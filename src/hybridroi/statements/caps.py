"""Caps: per-sale, period and lifetime limits on a deal's commission lines.

Internal to :mod:`hybridroi.statements.engine`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hybridroi.domain.rules import Cap, CapScope
from hybridroi.statements.drafts import _COMMISSION, _Periods
from hybridroi.statements.explain import format_minor

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer


def apply_caps(pricer: _DealPricer) -> None:
    """Limit the commission lines by the deal's caps, greedily in the order earned.

    Each line meets the caps in a fixed order, whatever the order they were
    declared in: per-sale caps, then period caps, then lifetime caps (by id
    within a scope). A line pays the least of its amount and every cap's
    room, and each period or lifetime cap is then charged with what the line
    finally pays, so that no cap ever counts an amount another cap removed.
    A line belongs to its own statement period: a period cap of the same
    kind as the statement period counts the line there; a cap of another
    kind counts it in the cap period containing ``earned_at``, which for a
    period-level line (clicks) is its statement period's last instant.
    """
    caps = [rule for rule in pricer.deal.rules if isinstance(rule, Cap) and pricer.usable(rule)]
    if not caps:
        return
    caps.sort(key=_cap_order)
    sale_caps = [cap for cap in caps if cap.scope is CapScope.SALE]
    # The drafts are visited in time order: each cap's finder keeps its current period.
    shared = [
        (cap, _Periods(pricer.campaign, cap.period), cap.period is pricer.deal.statement_period)
        for cap in caps
        if cap.scope is not CapScope.SALE
    ]
    commissions = sorted(
        (draft for draft in pricer.drafts if draft.kind is _COMMISSION),
        key=lambda draft: (draft.earned_at, draft.key),
    )
    currency = pricer.currency
    used: dict[tuple[str, datetime], int] = {}
    lifetime = pricer.campaign.start
    for draft in commissions:
        units = draft.units
        notes: list[str] = []
        if sale_caps and draft.key.startswith(("commission:", "recurring:")):
            for cap in sale_caps:
                limit = cap.amount.minor_units
                if units > limit:
                    notes.append(_cap_note(cap, units - limit, "per-sale cap", currency))
                    units = limit
        slots: list[tuple[str, datetime]] = []
        for cap, finder, own_period in shared:
            limit = cap.amount.minor_units
            if cap.scope is CapScope.PERIOD:
                period = draft.period if own_period else finder.of(draft.earned_at)
                slot = (cap.id, period.start)
                where = f"{cap.period.value} cap for {period.label}"
            else:
                slot = (cap.id, lifetime)
                where = "lifetime cap"
            room = limit - used.get(slot, 0)
            if units > room:
                notes.append(_cap_note(cap, units - room, where, currency))
                units = room
            slots.append(slot)
        for slot in slots:
            used[slot] = used.get(slot, 0) + units
        if notes:
            draft.capped += draft.units - units
            draft.units = units
            draft.explanation += "".join(notes)


# Period rules ------------------------------------------------------------------------


_CAP_SCOPES = {CapScope.SALE: 0, CapScope.PERIOD: 1, CapScope.LIFETIME: 2}


def _cap_order(cap: Cap) -> tuple[int, str]:
    """Per-sale caps first, then period caps, then lifetime caps; by id within a scope."""
    return _CAP_SCOPES[cap.scope], cap.id


def _cap_note(cap: Cap, removed: int, where: str, currency: str) -> str:
    return (
        f"; capped by {cap.id}: {format_minor(removed, currency)} over the "
        f"{where} of {format_minor(cap.amount.minor_units, currency)} not paid"
    )
