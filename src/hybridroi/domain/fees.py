"""Fixed fees paid to influencers and extra costs borne by the campaign.

A fee is data: its schedule is an RFC 5545 recurrence rule text read by
dateutil's ``rrulestr``, so a fee can be stored, sent to another service and
evaluated again with the same result.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs
from dateutil.rrule import rrule, rrulestr

from hybridroi.core.checks import (
    aware,
    identifier,
    non_negative_money,
    optional,
    to_tuple,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money

__all__ = ["ExtraCost", "ExtraCostKind", "FeeKind", "InfluencerFee"]


class FeeKind(enum.Enum):
    """When and how a fixed fee falls due."""

    ONE_OFF = "one_off"
    """Once, at ``due`` (typically at signing)."""
    PER_DELIVERABLE = "per_deliverable"
    """Each time a matching piece of content is published (cost per post)."""
    RETAINER = "retainer"
    """On every occurrence of ``schedule`` (an RRULE), optionally prorated."""
    PRODUCT_SEEDING = "product_seeding"
    """Cost of the goods sent to the creator, at ``due``."""
    USAGE_RIGHTS = "usage_rights"
    """Licence to reuse the creator's content, at ``due``."""


_DATED = (FeeKind.ONE_OFF, FeeKind.PRODUCT_SEEDING, FeeKind.USAGE_RIGHTS)


@attrs.frozen(kw_only=True)
class InfluencerFee:
    """A fixed fee owed to a partner, whatever the sales.

    Attributes:
        id: Fee id, unique within a campaign.
        partner_id: The partner paid.
        kind: When the fee falls due.
        amount: Amount per occurrence (per fee, per deliverable, per retainer
            period), >= 0.
        due: When a one-off, seeding or usage-rights fee falls due.
        schedule: For a retainer: an RFC 5545 RRULE such as
            ``"FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3"``.
        schedule_start: For a retainer: the first instant of the schedule (DTSTART).
        prorate: For a retainer: prorate the first and last periods by the
            actual days the campaign covers.
        content_ids: For a per-deliverable fee: the content it pays for; empty
            means every piece of the partner's content in the campaign.
        max_deliverables: For a per-deliverable fee: at most this many are paid.
        description: Free text shown on statements.
    """

    id: str = attrs.field(validator=identifier)
    partner_id: str = attrs.field(validator=identifier)
    kind: FeeKind = attrs.field(validator=attrs.validators.instance_of(FeeKind))
    amount: Money = attrs.field(validator=non_negative_money)
    due: datetime | None = attrs.field(default=None, validator=optional(aware))
    schedule: str | None = None
    schedule_start: datetime | None = attrs.field(default=None, validator=optional(aware))
    prorate: bool = False
    content_ids: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    max_deliverables: int | None = None
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind in _DATED and self.due is None:
            raise InvalidValueError(
                "InfluencerFee.due", None, f"a due instant for a {self.kind.value} fee"
            )
        if self.kind is FeeKind.RETAINER:
            if self.schedule is None or self.schedule_start is None:
                raise InvalidValueError(
                    "InfluencerFee.schedule",
                    self.schedule,
                    "an RRULE and a schedule_start for a retainer",
                )
            self.occurrence_rule()
        elif self.schedule is not None:
            raise InvalidValueError(
                "InfluencerFee.schedule", self.schedule, "no schedule unless kind is retainer"
            )
        if self.max_deliverables is not None and (
            not isinstance(self.max_deliverables, int) or self.max_deliverables < 1
        ):
            raise InvalidValueError(
                "InfluencerFee.max_deliverables", self.max_deliverables, "an integer >= 1 or None"
            )

    def occurrence_rule(self) -> rrule:
        """The retainer's recurrence rule, anchored at ``schedule_start``.

        Raises:
            InvalidValueError: If the schedule is not a valid RRULE.
        """
        try:
            rule = rrulestr(str(self.schedule), dtstart=self.schedule_start)
        except (ValueError, TypeError) as error:
            raise InvalidValueError(
                "InfluencerFee.schedule",
                self.schedule,
                f"an RFC 5545 RRULE such as 'FREQ=MONTHLY;COUNT=3' ({error})",
            ) from None
        if not isinstance(rule, rrule):
            raise InvalidValueError("InfluencerFee.schedule", self.schedule, "a single RRULE")
        # dateutil exposes no public accessor for COUNT and UNTIL.
        if getattr(rule, "_count", None) is None and getattr(rule, "_until", None) is None:
            raise InvalidValueError(
                "InfluencerFee.schedule", self.schedule, "an RRULE bounded by COUNT or UNTIL"
            )
        return rule


class ExtraCostKind(enum.Enum):
    """Costs of a campaign that are not paid to a partner as fee or commission."""

    PRODUCT_SEEDING = "product_seeding"
    AGENCY_FEE = "agency_fee"
    PRODUCTION = "production"
    PAID_BOOST = "paid_boost"
    """Paid promotion of creator content (whitelisting, spark ads)."""
    OTHER = "other"


@attrs.frozen(kw_only=True)
class ExtraCost:
    """A cost of the campaign outside partner pay.

    Attributes:
        id: Cost id, unique within a campaign.
        kind: What the cost is for.
        amount: The amount, >= 0.
        incurred_at: When the cost was incurred (timezone-aware).
        partner_id: The partner it relates to, if any.
        description: Free text.
    """

    id: str = attrs.field(validator=identifier)
    kind: ExtraCostKind = attrs.field(validator=attrs.validators.instance_of(ExtraCostKind))
    amount: Money = attrs.field(validator=non_negative_money)
    incurred_at: datetime = attrs.field(validator=aware)
    partner_id: str | None = attrs.field(default=None, validator=optional(identifier))
    description: str = ""
