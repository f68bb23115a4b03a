"""Candidate deals: what a brand could sign with one partner, checked before pricing.

A :class:`Candidate` is fixed fees (:class:`~hybridroi.domain.fees.InfluencerFee`),
an :class:`~hybridroi.domain.deals.AffiliateDeal`, or both (a hybrid), for one
partner. Its own invariants are checked when it is made (every fee and the deal
name its partner; no per-click or CPM rule, since a forecast models sales); the
checks against a campaign and a forecast (:func:`candidate_setting`,
:func:`check_forecast`, :func:`check_names`) run before anything is priced.

A candidate also says how the engine can price it fast (:attr:`Candidate.path`,
see :class:`PricingPath`) and whether its pricing depends on new customers
(:attr:`Candidate.reads_new_customers`). A candidate whose rules have a
:class:`~hybridroi.domain.conditions.CustomerIs` condition is refused with
:class:`InvalidValueError` when the forecast does not say how many orders are
new customers' (:meth:`Candidate.require_new_customers`), rather than priced as
if no order came from a new customer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from hybridroi.core.checks import collection, identifier, text
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.conditions import CustomerIs
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import InfluencerFee
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CpmViews,
    GuaranteedMinimum,
    NetworkFee,
    PerClick,
    RecoverableDraw,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import TierMode
from hybridroi.evaluation.forecast import Forecast

__all__ = ["Candidate", "PricingPath"]


class PricingPath(enum.Enum):
    """How a candidate's cost at a volume is obtained from the engine (all exact)."""

    FIXED = "fixed"
    """Fees only: one engine run, whatever the volume."""
    PER_SALE = "per_sale"
    """Each sale is priced alone: n equal sales cost n times one sale's line."""
    PREFIX = "prefix"
    """A sale's line depends only on earlier sales: prefix sums of one run per order value."""
    PER_VOLUME = "per_volume"
    """Period totals matter: one engine run per distinct (sales, order value)."""


def _fees(value: Iterable[Any]) -> tuple[InfluencerFee, ...]:
    return collection(value, "Candidate.fees", InfluencerFee, "an InfluencerFee")


@attrs.frozen(kw_only=True)
class Candidate:
    """A deal a brand could sign with one partner: fixed fees, a commission deal, or both.

    Attributes:
        name: A short label shown in comparisons and charts (``"EUR 5,000 flat"``).
        partner_id: The partner paid; every fee and the deal must name it.
        fees: Fixed fees (one-off, per deliverable, retainer, ...).
        deal: The commission deal, if any. Per-click and CPM rules are refused:
            the forecast models sales, not clicks or views paid for.
    """

    name: str = attrs.field(validator=text)
    partner_id: str = attrs.field(validator=identifier)
    fees: tuple[InfluencerFee, ...] = attrs.field(default=(), converter=_fees)
    deal: AffiliateDeal | None = None

    def __attrs_post_init__(self) -> None:
        for index, fee in enumerate(self.fees):
            if not isinstance(fee, InfluencerFee):
                raise InvalidValueError(f"Candidate.fees[{index}]", fee, "an InfluencerFee")
            if fee.partner_id != self.partner_id:
                raise InvalidValueError(
                    f"Candidate.fees[{index}].partner_id",
                    fee.partner_id,
                    f"the candidate's partner {self.partner_id}",
                )
        if self.deal is None:
            if not self.fees:
                raise InvalidValueError("Candidate.fees", self.fees, "a fee or a deal (or both)")
            return
        if not isinstance(self.deal, AffiliateDeal):
            raise InvalidValueError("Candidate.deal", self.deal, "an AffiliateDeal or None")
        if self.deal.partner_id != self.partner_id:
            raise InvalidValueError(
                "Candidate.deal.partner_id",
                self.deal.partner_id,
                f"the candidate's partner {self.partner_id}",
            )
        for rule in self.deal.rules:
            if isinstance(rule, PerClick | CpmViews):
                raise InvalidValueError(
                    f"Candidate.deal.rules[{rule.id}]",
                    rule,
                    "sale-based rules (a forecast of sales does not price clicks or views)",
                )

    @property
    def path(self) -> PricingPath:
        """How this candidate's variable cost is priced (see :class:`PricingPath`)."""
        deal = self.deal
        if deal is None:
            return PricingPath.FIXED
        rules = (*deal.rules, *deal.program_rules)
        period_rules = ThresholdBonus | GuaranteedMinimum | RecoverableDraw | NetworkFee
        for rule in rules:
            if isinstance(rule, period_rules):
                return PricingPath.PER_VOLUME
            if isinstance(rule, TieredRate) and (
                rule.mode is TierMode.VOLUME or any(band.bonus for band in rule.bands)
            ):
                return PricingPath.PER_VOLUME
        # A per-sale cap limits each line alone; period and lifetime caps count earlier lines.
        if any(
            isinstance(rule, TieredRate)
            or (isinstance(rule, Cap) and rule.scope is not CapScope.SALE)
            for rule in rules
        ):
            return PricingPath.PREFIX
        return PricingPath.PER_SALE

    @property
    def customer_rules(self) -> tuple[str, ...]:
        """Ids of the rules with a :class:`CustomerIs` condition (new or returning customer)."""
        if self.deal is None:
            return ()
        return tuple(
            rule.id
            for rule in (*self.deal.rules, *self.deal.program_rules)
            if any(isinstance(c, CustomerIs) for c in getattr(rule, "conditions", ()))
        )

    @property
    def reads_new_customers(self) -> bool:
        """Whether pricing can depend on whether an order is a new customer's.

        True for a ``CustomerIs`` condition and for rules written in Python,
        which may read the flag.
        """
        return bool(self.customer_rules) or (self.deal is not None and bool(self.deal.custom_rules))

    def require_new_customers(self, modelled: bool, field: str) -> None:
        """Refuse to price a deal that pays new customers apart without knowing how many.

        Args:
            modelled: Whether the forecast or volume says how many orders are new customers'.
            field: The name of the missing input, for the error.

        Raises:
            InvalidValueError: If a rule has a ``CustomerIs`` condition and ``modelled``
                is false.
        """
        if self.customer_rules and not modelled:
            deal = self.deal
            assert deal is not None  # customer_rules is empty without a deal
            raise InvalidValueError(
                field,
                None,
                f"how many orders are from new customers: candidate {self.name!r} pays by "
                f"customer (rule(s) {', '.join(self.customer_rules)} of deal {deal.id} have a "
                "CustomerIs condition), and pricing every order as a returning customer's "
                "would be wrong",
            )


def candidate_setting(campaign: Campaign, candidate: Candidate) -> Campaign:
    """The campaign with the candidate as its only pay for the partner.

    Args:
        campaign: The campaign that gives the partner, currency, time zone and dates.
        candidate: The deal to price in it.

    Returns:
        The campaign with the candidate's fees and deal, and no other fee, deal
        or extra cost.

    Raises:
        InvalidValueError: If the partner is not in the campaign, or a fee or the
            deal is not in the campaign currency.
    """
    try:
        campaign.partner(candidate.partner_id)
    except KeyError:
        raise InvalidValueError(
            "Candidate.partner_id", candidate.partner_id, "a partner of the campaign"
        ) from None
    currency = campaign.currency
    for index, fee in enumerate(candidate.fees):
        if fee.amount.currency != currency:
            raise InvalidValueError(
                f"Candidate.fees[{index}].amount",
                fee.amount,
                f"an amount in the campaign currency {currency}",
            )
    if candidate.deal is not None and campaign.deal_currency(candidate.deal) != currency:
        raise InvalidValueError(
            "Candidate.deal.currency",
            candidate.deal.currency,
            f"the campaign currency {currency} (amounts in two currencies cannot be summed)",
        )
    return attrs.evolve(
        campaign,
        fees=candidate.fees,
        deals=() if candidate.deal is None else (candidate.deal,),
        extra_costs=(),
    )


def check_names(candidates: Sequence[Candidate]) -> None:
    """Refuse candidates that share a name (results are looked up by name).

    Args:
        candidates: The candidates to compare.

    Raises:
        InvalidValueError: If two candidates have the same name.
    """
    names = [candidate.name for candidate in candidates]
    if len(set(names)) != len(names):
        raise InvalidValueError("candidates", names, "candidates with distinct names")


def check_forecast(campaign: Campaign, forecast: Forecast) -> None:
    """Refuse a forecast whose order values are not in the campaign currency.

    Args:
        campaign: The campaign candidates are priced in.
        forecast: The forecast they are priced on.

    Raises:
        InvalidValueError: If the currencies differ.
    """
    if forecast.currency != campaign.currency:
        raise InvalidValueError(
            "Forecast.currency",
            forecast.currency,
            f"the campaign currency {campaign.currency}",
        )
