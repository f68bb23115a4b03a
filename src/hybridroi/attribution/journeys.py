"""Journeys: each customer's touches up to each conversion, and those that never converted.

The data-driven models (:mod:`hybridroi.attribution.markov`,
:mod:`hybridroi.attribution.shapley`) learn from every journey, the converting
ones and the others. :func:`build_journeys` cuts them from a campaign's events:

* A customer's history (by ``customer_key``) is split at each of their
  conversions: a **converting journey** holds the touches after the previous
  conversion (strictly) and at or before this one, within ``lookback`` of it.
  A repeat order therefore starts a new journey, and a touch counts in one
  journey only.
* The touches of a customer that no converting journey holds, between two
  conversions (too old for the next one) or after the last conversion, up to
  ``as_of``, form one **journey without conversion** per gap.
* A conversion without any touch in its journey is **direct**: it is listed,
  and it is in no path (a path has at least one channel).

A journey's channels are its touches' partner ids (a partner is a channel)
and the names of outside channels (``"paid_search"``, ``"email"``), oldest
first, with ties ordered as the policy orders them; repeats are kept. Every
kind of touch counts (views, clicks, promo codes). A journey's value is its
conversion's revenue, in the campaign's currency (converted exactly at the
rate in force at the order's instant).

>>> from datetime import datetime, timezone
>>> from hybridroi.domain.campaign import Campaign
>>> from hybridroi.domain.partners import Affiliate, Influencer
>>> from hybridroi.events.records import Conversion, Touch
>>> from hybridroi.core.money import Money
>>> t = lambda day: datetime(2026, 3, day, 12, tzinfo=timezone.utc)
>>> spring = Campaign(id="spring", name="Spring", currency="EUR", timezone="Europe/Paris",
...     start=t(1), end=t(31), partners=[Influencer(id="lea", name="Lea"),
...     Affiliate(id="coupons", name="Coupons")])
>>> events = [Touch(id="T1", kind="view", instant=t(2), customer_key="ann", partner_id="lea"),
...     Touch(id="T2", kind="click", instant=t(3), customer_key="ann", partner_id="coupons"),
...     Conversion(id="C1", instant=t(4), customer_key="ann", revenue=Money("50.00", "EUR")),
...     Touch(id="T3", kind="click", instant=t(9), customer_key="ann", channel="email")]
>>> found = build_journeys(spring, events, as_of=t(30))
>>> [(j.channels, j.conversion_id, j.value) for j in found.journeys]
[(('lea', 'coupons'), 'C1', Fraction(50, 1)), (('email',), None, Fraction(0, 1))]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.attribution.context import AttributionContext
from hybridroi.attribution.paths import PATH_SEPARATOR, PathCount, Paths
from hybridroi.core.collector import collector_paused
from hybridroi.core.durations import fixed_length, format_duration, parse_duration
from hybridroi.core.errors import InvalidTypeError, InvalidValueError, MissingRateError
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware, zone
from hybridroi.domain.campaign import Campaign
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Touch

__all__ = ["DEFAULT_LOOKBACK", "Journey", "Journeys", "build_journeys"]

DEFAULT_LOOKBACK = relativedelta(days=30)
"""How long before a conversion its journey's touches may be, unless told (30 days)."""

_ZERO = Fraction(0)


@attrs.frozen(kw_only=True)
class Journey:
    """One customer's touches up to a conversion, or up to the cut-off without one.

    Attributes:
        customer_key: The customer.
        channels: The channel of each touch, oldest first: the partner id of a
            partner's touch, the channel name of an outside channel's.
        touch_ids: The touches, in the same order.
        start: The instant of the first touch.
        end: The conversion's instant, or the last touch's for a journey
            without conversion.
        conversion_id: The conversion that ended the journey, or None.
        value: The conversion's revenue in the campaign's currency, exactly
            (0 without conversion).
    """

    customer_key: str
    channels: tuple[str, ...]
    touch_ids: tuple[str, ...]
    start: datetime
    end: datetime
    conversion_id: str | None
    value: Fraction

    @property
    def converted(self) -> bool:
        """Whether a conversion ended the journey."""
        return self.conversion_id is not None


@attrs.frozen(kw_only=True)
class Journeys:
    """The journeys of a campaign's events, as of an instant.

    Attributes:
        journeys: Every journey, sorted by (customer, end, conversion id).
        direct: Ids of the conversions without any touch in their journey, sorted.
        as_of: The cut-off: nothing after it was read.
        since: Only journeys ending at or after it were kept, if set.
        lookback: How long before a conversion its touches may be.
        problems: The events that could not be used, and why.
    """

    journeys: tuple[Journey, ...]
    direct: tuple[str, ...]
    as_of: datetime
    since: datetime | None
    lookback: relativedelta | None
    problems: tuple[Problem, ...]

    def paths(self) -> Paths:
        """The journeys grouped by path: conversions, journeys without one and value.

        Returns:
            The grouped paths the models fit on.
        """
        return Paths.of(
            PathCount(
                channels=journey.channels,
                conversions=1 if journey.converted else 0,
                non_conversions=0 if journey.converted else 1,
                value=journey.value,
            )
            for journey in self.journeys
        )

    def describe(self) -> str:
        """The journeys' scope in words, for notes and reports."""
        since = "" if self.since is None else f" from {self.since.isoformat()}"
        window = (
            "without a lookback limit"
            if self.lookback is None
            else f"with a {format_duration(self.lookback)} lookback"
        )
        return f"{len(self.journeys):,} journeys{since} up to {self.as_of.isoformat()}, {window}"


def _lookback(value: str | relativedelta | timedelta | None) -> relativedelta | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise InvalidValueError("lookback", value, "a positive duration such as '30 days'")
        return relativedelta(
            days=value.days, seconds=value.seconds, microseconds=value.microseconds
        )
    duration = parse_duration(value, "lookback")
    length = fixed_length(duration)
    if length is None:
        positive = (
            duration.years >= 0 and duration.months >= 0 and (duration.years or duration.months)
        )
    else:
        positive = length > timedelta(0)
    if not positive:
        raise InvalidValueError("lookback", value, "a positive duration such as '30 days'")
    return duration


_RESERVED = ("(start)", "(conversion)", "(null)")


def _unusable_channel(channel: str) -> str | None:
    """Why a channel name cannot be a channel of a journey, or None when it can."""
    if PATH_SEPARATOR in channel:
        return (
            f"channel {channel!r} holds the path separator {PATH_SEPARATOR!r}: its journeys "
            "could not be written as paths (rename it)"
        )
    if channel in _RESERVED:
        return f"channel {channel!r} is the name of a state of the Markov chain (rename it)"
    return None


def _channel(touch: Touch) -> str:
    return touch.partner_id if touch.partner_id is not None else str(touch.channel)


@collector_paused()
def build_journeys(
    campaign: Campaign,
    events: Iterable[Event] | EventBatch,
    *,
    as_of: datetime,
    since: datetime | None = None,
    lookback: str | relativedelta | timedelta | None = DEFAULT_LOOKBACK,
) -> Journeys:
    """Cut a campaign's events into journeys, as of an instant.

    Args:
        campaign: The campaign (partners, time zone, exchange rates, policy's tie-break).
        events: Touches, conversions and refunds in any order, or a checked
            :class:`~hybridroi.events.intake.EventBatch`. Refunds do not change
            journeys: a refunded order still ended its journey.
        as_of: The cut-off (timezone-aware): events after it are not read.
        since: Keep only the journeys ending at or after this instant, if given.
            Earlier conversions still split their customers' histories.
        lookback: How long before a conversion its touches may be (default 30
            days; a duration text, a ``relativedelta`` or a ``timedelta``; months
            follow the campaign's calendar); None for no limit.

    Returns:
        The journeys, the direct conversions and the problems of the events
        (plus one for each touch left out because its channel could not be a
        channel of a path: an outside channel bearing a partner's id, a name holding
        ``" > "``, or the name of a state of the chain such as ``"(null)"``).

    Raises:
        InvalidTypeError: If ``campaign`` or ``events`` is not one.
        NaiveDatetimeError: If ``as_of`` or ``since`` has no time zone.
        InvalidValueError: If ``lookback`` is not a positive duration, or ``since``
            is after ``as_of``.
    """
    if not isinstance(campaign, Campaign):
        raise InvalidTypeError("campaign", campaign, "a Campaign")
    given: object = events
    if not isinstance(given, EventBatch) and (
        isinstance(given, str | bytes) or not isinstance(given, Iterable)
    ):
        raise InvalidTypeError(
            "events", events, "a collection of Touch, Conversion and Refund, or an EventBatch"
        )
    require_aware(as_of, "as_of")
    if since is not None:
        require_aware(since, "since")
        if since > as_of:
            raise InvalidValueError("since", since, f"an instant at or before as_of {as_of}")
    window = _lookback(lookback)
    batch = events if isinstance(events, EventBatch) else check_events(campaign, events)
    builder = _Builder(campaign, window)
    problems = list(batch.problems)
    touches: defaultdict[str, list[Touch]] = defaultdict(list)
    partner_ids = {partner.id for partner in campaign.partners}
    for touch in batch.touches:
        if touch.instant > as_of:
            continue
        unusable = _unusable_channel(_channel(touch))
        if unusable is not None:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"touch:{touch.id}",
                    field="partner_id" if touch.partner_id is not None else "channel",
                    message=unusable,
                )
            )
            continue
        if touch.channel is not None and touch.channel in partner_ids:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"touch:{touch.id}",
                    field="channel",
                    message=(
                        f"outside channel {touch.channel!r} bears the id of a partner of the "
                        "campaign: journeys could not tell them apart (rename the channel)"
                    ),
                )
            )
            continue
        touches[touch.customer_key].append(touch)
    conversions: defaultdict[str, list[Conversion]] = defaultdict(list)
    for conversion in batch.conversions:
        if conversion.instant <= as_of:
            conversions[conversion.customer_key].append(conversion)
    journeys: list[Journey] = []
    direct: list[str] = []
    for customer in sorted(touches.keys() | conversions.keys()):
        builder.customer(
            customer, touches.get(customer, []), conversions.get(customer, []), journeys, direct
        )
    problems.extend(builder.problems)
    if since is not None:
        journeys = [journey for journey in journeys if journey.end >= since]
        kept = {conversion.id for conversion in batch.conversions if conversion.instant >= since}
        direct = [conversion_id for conversion_id in direct if conversion_id in kept]
    journeys.sort(key=lambda j: (j.customer_key, j.end, j.conversion_id or ""))
    return Journeys(
        journeys=tuple(journeys),
        direct=tuple(sorted(direct)),
        as_of=as_of,
        since=since,
        lookback=window,
        problems=tuple(problems),
    )


class _Builder:
    """Cuts one customer's sorted touches and conversions into journeys."""

    def __init__(self, campaign: Campaign, lookback: relativedelta | None) -> None:
        self.campaign = campaign
        self.zone = zone(campaign.timezone)
        self.lookback = lookback
        self.fixed = None if lookback is None else fixed_length(lookback)
        # Ties ordered as the campaign's policy orders them for attribution.
        self.order_key = AttributionContext(campaign, campaign.attribution).order_key
        self.problems: list[Problem] = []

    def earliest(self, instant: datetime) -> datetime | None:
        """The earliest instant a touch of a conversion at ``instant`` may have."""
        if self.lookback is None:
            return None
        if self.fixed is not None:
            return instant - self.fixed
        return instant.astimezone(self.zone) - self.lookback

    def value(self, conversion: Conversion) -> Fraction:
        revenue = conversion.revenue
        if revenue.currency == self.campaign.currency:
            return Fraction(revenue.amount)
        try:
            converted = self.campaign.fx.convert(
                revenue, self.campaign.currency, conversion.instant
            )
        except MissingRateError as error:
            self.problems.append(
                Problem(
                    kind=ProblemKind.CURRENCY,
                    subject=f"conversion:{conversion.id}",
                    field="revenue",
                    message=f"its journey is valued 0: {error}",
                )
            )
            return _ZERO
        return Fraction(converted.converted.amount)

    def journey(
        self, customer: str, touches: Sequence[Touch], conversion: Conversion | None
    ) -> Journey:
        ordered = sorted(touches, key=self.order_key)
        return Journey(
            customer_key=customer,
            channels=tuple(_channel(touch) for touch in ordered),
            touch_ids=tuple(touch.id for touch in ordered),
            start=ordered[0].instant,
            end=ordered[-1].instant if conversion is None else conversion.instant,
            conversion_id=None if conversion is None else conversion.id,
            value=_ZERO if conversion is None else self.value(conversion),
        )

    def customer(
        self,
        customer: str,
        touches: Sequence[Touch],
        conversions: Sequence[Conversion],
        journeys: list[Journey],
        direct: list[str],
    ) -> None:
        position = 0
        for conversion in conversions:
            instant = conversion.instant
            gap: list[Touch] = []
            while position < len(touches) and touches[position].instant <= instant:
                gap.append(touches[position])
                position += 1
            start = self.earliest(instant)
            inside = [t for t in gap if start is None or t.instant >= start]
            older = [t for t in gap if start is not None and t.instant < start]
            if older:
                journeys.append(self.journey(customer, older, None))
            if inside:
                journeys.append(self.journey(customer, inside, conversion))
            else:
                direct.append(conversion.id)
        rest = touches[position:]
        if rest:
            journeys.append(self.journey(customer, rest, None))
