"""The statement period a ledger entry appears on.

A partner's statements follow the statement period kind of the partner's deal
(monthly unless the deal says otherwise; partners paid by fees only have
monthly statements, as in the commission engine), in the campaign's calendar.
An entry appears on the statement of its line's period, except a clawback: it
is a negative entry *on the next statement*, so it appears on the statement
whose period contains its posting instant.

>>> from datetime import UTC, datetime
>>> statement_period_label(datetime(2026, 4, 30, 22, 30, tzinfo=UTC), PeriodKind.MONTH,
...                        "Europe/Paris")
'2026-05'
"""

from __future__ import annotations

from datetime import datetime

from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign

__all__ = ["statement_kinds", "statement_period_label"]


def statement_kinds(campaign: Campaign) -> dict[str, PeriodKind]:
    """The statement period kind of each partner with a deal.

    Args:
        campaign: The campaign (one deal per partner).

    Returns:
        Partner id to the deal's statement period kind; partners without a
        deal are left out (their statements are monthly).
    """
    return {deal.partner_id: deal.statement_period for deal in campaign.deals}


def statement_period_label(instant: datetime, kind: PeriodKind, timezone: str) -> str:
    """The label of the statement period of ``kind`` that contains ``instant``.

    Args:
        instant: A timezone-aware instant, such as a clawback's posting instant.
        kind: The partner's statement period kind.
        timezone: The campaign's IANA time zone.

    Returns:
        The period's label (``"2026-05"``, ``"2026-W19"``, ...); ``"campaign"``
        for campaign-long statements, which have a single statement even for an
        instant after the campaign's end.

    Raises:
        NaiveDatetimeError: If ``instant`` is naive.
    """
    require_aware(instant, "instant")
    if kind is PeriodKind.CAMPAIGN:
        return "campaign"
    return period_of(instant, kind, timezone).label
