"""Fixed fees paid to influencers and extra costs borne by the campaign.

A fee is data: its schedule is an RFC 5545 recurrence rule text read by
dateutil's ``rrulestr``, so a fee can be stored, sent to another service and
evaluated again with the same result.

A retainer's occurrences are expanded on the wall clock of the campaign's time
zone (:meth:`InfluencerFee.occurrences`): the schedule start is read as a local
time there, the rule is expanded on local times, and each local time is then
placed in the zone as RFC 5545 (section 3.3.5) places a local time: an ambiguous
one (a repeated hour when clocks go back) is its first occurrence, and a
nonexistent one (in the gap when clocks go forward) is read with the UTC offset
before the gap, so 02:30 on a spring-forward night in Paris falls due at 03:30
summer time. Occurrences that become the same instant count once. A fee has at
most :data:`MAX_OCCURRENCES` occurrences before the campaign's end.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from dateutil.rrule import rrule, rrulestr

from hybridroi.core.checks import (
    aware,
    enum_member,
    identifier,
    non_negative_money,
    optional,
    tuple_of,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.timezones import zone

__all__ = ["MAX_OCCURRENCES", "ExtraCost", "ExtraCostKind", "FeeKind", "InfluencerFee"]

MAX_OCCURRENCES = 10_000
"""The most occurrences a retainer may have before the campaign's end (a monthly
retainer for 800 years, a daily one for 27): a rule with more is refused, so a
schedule never makes the library enumerate an unbounded number of fees."""


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
_MARGIN = timedelta(days=2)


def _placed(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant of the naive local time ``local`` in ``tz``, in UTC.

    ``fold=0`` is what RFC 5545 (section 3.3.5) asks for: an ambiguous time is
    its first occurrence, a nonexistent one is read with the offset before the gap.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


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
    kind: FeeKind = attrs.field(
        converter=enum_member(FeeKind)  # type: ignore[misc]
    )
    amount: Money = attrs.field(validator=non_negative_money)
    due: datetime | None = attrs.field(default=None, validator=optional(aware))
    schedule: str | None = None
    schedule_start: datetime | None = attrs.field(default=None, validator=optional(aware))
    prorate: bool = False
    content_ids: tuple[str, ...] = attrs.field(
        default=(),
        converter=tuple_of(str, "a content id"),  # type: ignore[misc]
    )
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
        count = getattr(rule, "_count", None)
        if count is None and getattr(rule, "_until", None) is None:
            raise InvalidValueError(
                "InfluencerFee.schedule", self.schedule, "an RRULE bounded by COUNT or UNTIL"
            )
        until = getattr(rule, "_until", None)
        if "DTSTART" in str(self.schedule).upper() or (
            until is not None and until.utcoffset() is None
        ):
            raise InvalidValueError(
                "InfluencerFee.schedule",
                self.schedule,
                "an RRULE without DTSTART (the start is schedule_start) and with an UNTIL in UTC "
                "('UNTIL=20260501T000000Z')",
            )
        if count is not None and count > MAX_OCCURRENCES:
            raise InvalidValueError(
                "InfluencerFee.schedule",
                self.schedule,
                f"at most {MAX_OCCURRENCES:,} occurrences for fee {self.id}",
            )
        return rule

    def occurrences(self, timezone: str, *, end: datetime) -> tuple[datetime, ...]:
        """The instants a retainer falls due before ``end``, on the wall clock of ``timezone``.

        The schedule start is read as a local time in ``timezone`` (whatever offset
        it was written in), the rule is expanded on local times and each is placed
        in the zone as RFC 5545 does: the first of an ambiguous time, and a
        nonexistent time read with the offset before the gap. Equal instants count
        once.

        Args:
            timezone: The campaign's IANA time zone.
            end: The first instant after the campaign; no occurrence is at or after it.

        Returns:
            The occurrences in time order, as aware datetimes in ``timezone``.

        Raises:
            InvalidValueError: If the fee is not a retainer, or has more than
                :data:`MAX_OCCURRENCES` occurrences before ``end``.
        """
        return tuple(start for start, _ in self.occurrence_periods(timezone, end=end))

    def occurrence_periods(
        self, timezone: str, *, end: datetime
    ) -> tuple[tuple[datetime, datetime], ...]:
        """Each occurrence before ``end`` with the start of the next period.

        The next period starts at the following occurrence of the rule without its
        COUNT and UNTIL, so the last occurrence also has a period (what a prorated
        retainer pays for).

        Args:
            timezone: The campaign's IANA time zone.
            end: The first instant after the campaign.

        Returns:
            ``(occurrence, next occurrence)`` pairs in time order, in ``timezone``.

        Raises:
            InvalidValueError: If the fee is not a retainer, or has more than
                :data:`MAX_OCCURRENCES` occurrences before ``end``.
        """
        if self.kind is not FeeKind.RETAINER or self.schedule_start is None:
            raise InvalidValueError("InfluencerFee.kind", self.kind, "a retainer")
        tz = zone(timezone)
        rule = self.occurrence_rule()
        count: int | None = getattr(rule, "_count", None)
        until: datetime | None = getattr(rule, "_until", None)
        local_start = self.schedule_start.astimezone(tz).replace(tzinfo=None)
        # Expanded on naive local times, so that BYHOUR, BYMONTHDAY and the
        # defaults taken from the start are the campaign's wall clock.
        unbounded = rule.replace(dtstart=local_start, count=None, until=None)
        bound = end if until is None else min(end, until)
        # Local times a little past the bound may still lie before it (a gap moves
        # a local time forward by at most a day); later ones cannot.
        horizon = bound.astimezone(tz).replace(tzinfo=None) + _MARGIN
        occurrences: set[datetime] = set()
        seen: list[datetime] = []
        steps = iter(unbounded)
        for index, naive in enumerate(steps, start=1):
            if naive > horizon or (count is not None and index > count):
                seen.append(_placed(naive, tz))
                break
            instant = _placed(naive, tz)
            seen.append(instant)
            if instant < end and (until is None or instant <= until):
                occurrences.add(instant)
                if len(occurrences) > MAX_OCCURRENCES:
                    raise InvalidValueError(
                        "InfluencerFee.schedule",
                        self.schedule,
                        f"at most {MAX_OCCURRENCES:,} occurrences for fee {self.id} "
                        "before the campaign's end",
                    )
        if not occurrences:
            return ()
        last = max(occurrences)
        if max(seen) <= last:
            # The period of the last occurrence ends at the next one of the unbounded rule.
            later = next((moment for moment in steps if _placed(moment, tz) > last), None)
            if later is not None:
                seen.append(_placed(later, tz))
        following = sorted(set(seen))
        result = []
        for instant in sorted(occurrences):
            position = bisect_right(following, instant)
            after = following[position] if position < len(following) else instant + _MARGIN
            result.append((instant.astimezone(tz), after.astimezone(tz)))
        return tuple(result)


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
    kind: ExtraCostKind = attrs.field(
        converter=enum_member(ExtraCostKind)  # type: ignore[misc]
    )
    amount: Money = attrs.field(validator=non_negative_money)
    incurred_at: datetime = attrs.field(validator=aware)
    partner_id: str | None = attrs.field(default=None, validator=optional(identifier))
    description: str = ""
