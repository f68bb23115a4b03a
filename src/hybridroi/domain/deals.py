"""Affiliate deals: the container of a partner's commission rules."""

from __future__ import annotations

from typing import Any

import attrs

from hybridroi.core.checks import currency_code, identifier, optional, to_tuple

__all__ = ["AffiliateDeal"]


@attrs.frozen(kw_only=True)
class AffiliateDeal:
    """The performance part of a partner's pay: commission rules on credited sales.

    A partner may hold both an :class:`AffiliateDeal` and one or more
    :class:`InfluencerFee`: that is a hybrid deal.

    Attributes:
        id: Deal id, unique within a campaign.
        partner_id: The partner the deal pays.
        rules: The commission rules, evaluated by the commission engine.
        currency: The currency commissions are paid in; the campaign's when None.
    """

    id: str = attrs.field(validator=identifier)
    partner_id: str = attrs.field(validator=identifier)
    rules: tuple[Any, ...] = attrs.field(default=(), converter=to_tuple)
    currency: str | None = attrs.field(default=None, validator=optional(currency_code))
