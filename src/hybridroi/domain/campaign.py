"""The campaign: partners, content, deals, fees and costs in one time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from hybridroi.core.checks import (
    aware,
    currency_code,
    identifier,
    instance_of,
    text,
    tuple_of,
    unique_ids,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.periods import Period, PeriodKind, period_of
from hybridroi.core.timezones import zone
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import ExtraCost, FeeKind, InfluencerFee
from hybridroi.domain.partners import Affiliate, Content, Influencer, Partner
from hybridroi.domain.policy import AttributionPolicy

__all__ = ["Campaign"]


def _timezone(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    zone(value, f"{type(instance).__name__}.{attribute.name}")  # type: ignore[arg-type]


def _check_promo_codes(partners: tuple[Partner, ...]) -> None:
    """No promo code belongs to two partners (codes ignore letter case)."""
    owners: dict[str, str] = {}
    for partner in partners:
        for code in partner.promo_codes:
            owner = owners.setdefault(code.casefold(), partner.id)
            if owner != partner.id:
                raise InvalidValueError(
                    f"Campaign.partners[{partner.id}].promo_codes",
                    code,
                    f"a code no other partner owns (partner {owner} owns it too; codes "
                    "ignore letter case)",
                )


def _check_retainer(fee: InfluencerFee, timezone: str, end: datetime) -> None:
    """A retainer has at most MAX_OCCURRENCES occurrences before the campaign's end."""
    try:
        fee.occurrences(timezone, end=end)
    except InvalidValueError as error:
        raise InvalidValueError(
            f"Campaign.fees[{fee.id}].schedule", error.value, error.expected
        ) from None


@attrs.frozen(kw_only=True)
class Campaign:
    """A campaign: who is paid, how, and in which currency and time zone.

    The time zone defines the campaign's calendar: its days, weeks, months and
    quarters, and so when tiers reset and which period a sale belongs to.

    Attributes:
        id: Campaign id.
        name: Display name.
        currency: The reporting currency (ISO 4217).
        timezone: IANA time zone of the campaign's calendar.
        start: First instant of the campaign.
        end: First instant after the campaign (``end > start``).
        budget: Planned spend, in the campaign currency, if set.
        partners: Influencers and affiliates, with unique ids.
        contents: Published deliverables.
        fees: Fixed fees.
        deals: Commission deals.
        extra_costs: Other costs of the campaign.
        fx: Exchange rates for amounts in other currencies.
        attribution: How conversions are credited to partners (windows, model,
            promo-code precedence, de-duplication, tie-break); last touch with a
            30-day click window by default.
    """

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=text)
    currency: str = attrs.field(validator=currency_code)
    timezone: str = attrs.field(validator=_timezone)
    start: datetime = attrs.field(validator=aware)
    end: datetime = attrs.field(validator=aware)
    budget: Money | None = None
    partners: tuple[Partner, ...] = attrs.field(
        default=(),
        converter=tuple_of(Partner, "a Partner"),  # type: ignore[misc]
    )
    contents: tuple[Content, ...] = attrs.field(
        default=(),
        converter=tuple_of(Content, "a Content"),  # type: ignore[misc]
    )
    fees: tuple[InfluencerFee, ...] = attrs.field(
        default=(),
        converter=tuple_of(InfluencerFee, "an InfluencerFee"),  # type: ignore[misc]
    )
    deals: tuple[AffiliateDeal, ...] = attrs.field(
        default=(),
        converter=tuple_of(AffiliateDeal, "an AffiliateDeal"),  # type: ignore[misc]
    )
    extra_costs: tuple[ExtraCost, ...] = attrs.field(
        default=(),
        converter=tuple_of(ExtraCost, "an ExtraCost"),  # type: ignore[misc]
    )
    fx: FxRates = attrs.field(factory=FxRates)
    attribution: AttributionPolicy = attrs.field(
        factory=AttributionPolicy, validator=instance_of(AttributionPolicy, "an AttributionPolicy")
    )

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidValueError(
                "Campaign.end", self.end, f"an instant after start {self.start}"
            )
        if self.budget is not None and (
            not isinstance(self.budget, Money)
            or self.budget.currency != self.currency
            or self.budget.amount < 0
        ):
            raise InvalidValueError(
                "Campaign.budget",
                self.budget,
                f"Money >= 0 in the campaign currency {self.currency}",
            )
        for partner in self.partners:
            if not isinstance(partner, Influencer | Affiliate):
                raise InvalidValueError("Campaign.partners", partner, "Influencer or Affiliate")
        unique_ids("Campaign.partners", self.partners)
        unique_ids("Campaign.contents", self.contents)
        unique_ids("Campaign.fees", self.fees)
        unique_ids("Campaign.deals", self.deals)
        unique_ids("Campaign.extra_costs", self.extra_costs)
        known = {p.id for p in self.partners}
        for field, items in (
            ("contents", self.contents),
            ("fees", self.fees),
            ("deals", self.deals),
            ("extra_costs", self.extra_costs),
        ):
            for item in items:
                partner_id = getattr(item, "partner_id", None)
                if partner_id is not None and partner_id not in known:
                    raise InvalidValueError(
                        f"Campaign.{field}[{item.id}].partner_id",
                        partner_id,
                        "the id of a partner in the campaign",
                    )
        # One deal per partner: a second deal would price the same credited sale again and
        # split caps, guarantees and draws in two. A partner's rules all live in one deal.
        unique_ids("Campaign.deals (one deal per partner)", self.deals, "partner_id")
        _check_promo_codes(self.partners)
        contents = {c.id: c for c in self.contents}
        for fee in self.fees:
            if fee.kind is FeeKind.RETAINER:
                _check_retainer(fee, self.timezone, self.end)
            for content_id in fee.content_ids:
                content = contents.get(content_id)
                if content is None or content.partner_id != fee.partner_id:
                    raise InvalidValueError(
                        f"Campaign.fees[{fee.id}].content_ids",
                        content_id,
                        f"the id of content published by partner {fee.partner_id}",
                    )

    def promo_code_owner(self, code: str) -> tuple[str, str] | None:
        """The partner owning the promo code ``code``, ignoring letter case.

        Args:
            code: A code used at checkout.

        Returns:
            ``(partner id, the code as the partner declares it)``, or None when no
            partner of the campaign owns it (it may be a code of another channel).
        """
        wanted = code.casefold()
        for partner in self.partners:
            for owned in partner.promo_codes:
                if owned.casefold() == wanted:
                    return partner.id, owned
        return None

    def partner(self, partner_id: str) -> Partner:
        """The partner with ``partner_id``.

        Raises:
            KeyError: If there is none.
        """
        for partner in self.partners:
            if partner.id == partner_id:
                return partner
        raise KeyError(partner_id)

    def deal_currency(self, deal: AffiliateDeal) -> str:
        """The currency a deal pays in (its own, or the campaign's)."""
        return deal.currency or self.currency

    def period_of(self, instant: datetime, kind: PeriodKind) -> Period:
        """The campaign-calendar period of ``kind`` containing ``instant``."""
        return period_of(instant, kind, self.timezone, campaign=(self.start, self.end))
