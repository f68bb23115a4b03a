"""Checking a batch of events against a campaign: valid events plus problem records.

:func:`check_events` never raises on bad data. It returns an
:class:`EventBatch` holding the events that can be used, in a fixed order, and
one :class:`~hybridroi.core.problems.Problem` for each event it could not use:

* the same event received twice is used once (retries are harmless); a
  *different* event reusing an id is a ``DUPLICATE_ID`` problem, and none of the
  events sharing that id is used until the conflict is resolved (keeping the
  first one to arrive would make the result depend on arrival order);
* a touch of a partner or content the campaign does not know, or of content
  published by another partner;
* a conversion in a currency the campaign's FX table cannot convert at its
  instant;
* a refund of an unknown (or rejected) sale, dated before its sale, in another
  currency, or larger than what remains of the sale after the earlier refunds.

Touches, conversions and refunds have separate id spaces: a touch ``"42"`` and
an order ``"42"`` do not clash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import islice
from operator import attrgetter, eq
from typing import Any, TypeVar, overload

import attrs
import numpy as np

from hybridroi.core.checks import collection
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError, MissingRateError
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import UTC, is_utc_zone, require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.events.columns import TouchColumns
from hybridroi.events.records import Conversion, Event, Refund, Touch

__all__ = ["EventBatch", "EventParts", "check_events"]

E = TypeVar("E", Touch, Conversion, Refund)

_BY_ID = attrgetter("id")
_BY_INSTANT = attrgetter("instant")
_PARTNER = attrgetter("partner_id")
_CONTENT = attrgetter("content_id")
_CURRENCY = attrgetter("revenue.currency")
_NOUN = {Touch: "touch", Conversion: "conversion", Refund: "refund"}
_NOTHING = Decimal(0)
_ZONE = attrgetter("instant.tzinfo")


def _chronological(events: Iterable[E]) -> tuple[E, ...]:
    # Two stable passes give the order (instant, id) without building a tuple
    # key per event; logs that arrive roughly in time order sort in near-linear time.
    return _by_instant(sorted(events, key=_BY_ID))


def _by_instant(by_id: list[E]) -> tuple[E, ...]:
    """Events sorted by id, now sorted by (instant, id): the second stable pass."""
    by_id.sort(key=_BY_INSTANT)
    return tuple(by_id)


def _repeats_an_id(by_id: list[E]) -> bool:
    """Whether two events of ``by_id`` (sorted by id) share an id."""
    # Repeats are neighbours once sorted; comparing neighbours is cheaper than
    # hashing millions of ids into a set, and the sort is needed anyway.
    ids = list(map(_BY_ID, by_id))
    return any(map(eq, ids, islice(ids, 1, None)))


def _sorted_touches(touches: Iterable[Touch]) -> tuple[Touch, ...]:
    return _chronological(collection(touches, "EventBatch.touches", Touch, "a Touch"))


def _sorted_conversions(conversions: Iterable[Conversion]) -> tuple[Conversion, ...]:
    return _chronological(
        collection(conversions, "EventBatch.conversions", Conversion, "a Conversion")
    )


def _sorted_refunds(refunds: Iterable[Refund]) -> tuple[Refund, ...]:
    return _chronological(collection(refunds, "EventBatch.refunds", Refund, "a Refund"))


def _problem_key(problem: Problem) -> tuple[str, str, str, str]:
    return (problem.subject, problem.kind.value, problem.field or "", problem.message)


def _sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(
        sorted(collection(problems, "EventBatch.problems", Problem, "a Problem"), key=_problem_key)
    )


class EventParts(Sequence[Event]):
    """Touches, conversions and refunds kept apart: a sequence of all of them.

    :func:`check_events` takes the three as they are, without a pass that sorts events
    by type, and touches kept in columns (:class:`~hybridroi.events.columns.TouchColumns`)
    stay in columns through the check. As a sequence it holds the touches, then the
    conversions, then the refunds, and equals the tuple of the same events.

    Attributes:
        touches: The touches.
        conversions: The conversions.
        refunds: The refunds.
    """

    __slots__ = ("conversions", "refunds", "touches")

    def __init__(
        self,
        touches: Sequence[Touch] = (),
        conversions: Sequence[Conversion] = (),
        refunds: Sequence[Refund] = (),
    ) -> None:
        self.touches = touches
        self.conversions = conversions
        self.refunds = refunds

    def __iter__(self) -> Iterator[Event]:
        yield from self.touches
        yield from self.conversions
        yield from self.refunds

    def __len__(self) -> int:
        return len(self.touches) + len(self.conversions) + len(self.refunds)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Event, ...]: ...

    def __getitem__(self, index: int | slice) -> Event | tuple[Event, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        row = range(len(self))[index]
        for part in (self.touches, self.conversions, self.refunds):
            if row < len(part):
                return part[row]
            row -= len(part)
        raise IndexError(index)  # pragma: no cover - range() has refused it already

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventParts | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: tuple[Event, ...]) -> tuple[Event, ...]:
        if not isinstance(other, EventParts | tuple):
            return NotImplemented
        return (*self, *other)

    def __radd__(self, other: tuple[Event, ...]) -> tuple[Event, ...]:
        if not isinstance(other, tuple):
            return NotImplemented
        return (*other, *self)

    def __repr__(self) -> str:
        return (
            f"EventParts({len(self.touches)} touches, {len(self.conversions)} conversions, "
            f"{len(self.refunds)} refunds)"
        )


@attrs.frozen(kw_only=True)
class EventBatch:
    """A checked batch of events: what attribution and the commission engine consume.

    The type is the guarantee: an ``EventBatch`` holds only events that were
    sorted and checked, so whoever receives one uses its events as they are,
    without sorting or checking them again.

    Build it with :func:`check_events`, which checks the events against the
    campaign, reports each event it cannot use as a problem, sorts the rest once
    and hands them over without their being sorted or checked a second time.
    Built directly, the batch sorts and checks what it is given itself, and
    refuses what :func:`check_events` would report: repeated ids, and refunds of
    conversions that are not in the batch, dated before their sale, in another
    currency or larger than what remains of the sale. (What needs the campaign,
    such as unknown partners, only :func:`check_events` can check.) Each
    collection is sorted by instant, then id, so the batch is the same whatever
    order the events arrived in.

    Attributes:
        touches: Valid touches, sorted by (instant, id). Checked from touches kept in
            columns, they stay a :class:`~hybridroi.events.columns.TouchColumns`.
        conversions: Valid conversions, sorted by (instant, id).
        refunds: Valid refunds, sorted by (instant, id); each belongs to a
            conversion of the batch and they never exceed its revenue.
        problems: The events that could not be used, and why, sorted by
            (subject, kind, field, message).

    Raises:
        InvalidValueError: When built directly with repeated ids or refunds that
            :func:`check_events` would refuse.
    """

    touches: Sequence[Touch] = attrs.field(default=(), converter=_sorted_touches)
    conversions: tuple[Conversion, ...] = attrs.field(default=(), converter=_sorted_conversions)
    refunds: tuple[Refund, ...] = attrs.field(default=(), converter=_sorted_refunds)
    problems: tuple[Problem, ...] = attrs.field(default=(), converter=_sorted_problems)
    _conversion_index: dict[str, Conversion] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )
    _refund_index: dict[str, tuple[Refund, ...]] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        for name, items in (
            ("touches", self.touches),
            ("conversions", self.conversions),
            ("refunds", self.refunds),
        ):
            if len({item.id for item in items}) != len(items):
                raise InvalidValueError(
                    f"EventBatch.{name}", name, "unique ids (use check_events to report repeats)"
                )
        index = {c.id: c for c in self.conversions}
        for refund in self.refunds:
            if refund.conversion_id not in index:
                raise InvalidValueError(
                    "EventBatch.refunds",
                    refund.id,
                    "refunds of conversions in the batch (use check_events to report others)",
                )
        unfit: list[Problem] = []
        _check_refunds(list(self.refunds), index, set(), unfit)
        if unfit:
            raise InvalidValueError(
                "EventBatch.refunds",
                unfit[0].subject.removeprefix("refund:"),
                f"refunds that fit their sale (use check_events to report others): "
                f"{unfit[0].message}",
            )
        _index(self, index)

    @classmethod
    def _trusted(
        cls,
        touches: Sequence[Touch],
        conversions: tuple[Conversion, ...],
        refunds: tuple[Refund, ...],
        problems: tuple[Problem, ...],
        index: dict[str, Conversion],
    ) -> EventBatch:
        """Build a batch from what :func:`check_events` has sorted and checked, as it is.

        Skips ``__init__``: the converters would sort millions of events again
        and the checks would repeat those :func:`check_events` has made. Each
        collection must already be sorted and checked (problems sorted by
        :func:`_problem_key`), and ``index`` must map the id of each conversion
        to it. The batch is equal to, and hashes like, the one
        ``EventBatch(...)`` builds from the same events.
        """
        batch = object.__new__(cls)
        set_touches, set_conversions, set_refunds, set_problems = _SLOT_SETTERS
        set_touches(batch, touches)
        set_conversions(batch, conversions)
        set_refunds(batch, refunds)
        set_problems(batch, problems)
        _index(batch, index)
        return batch

    def conversion(self, conversion_id: str) -> Conversion | None:
        """The valid conversion with ``conversion_id``, or None.

        Args:
            conversion_id: The conversion's id.

        Returns:
            The conversion, or None if it is not in the batch (unknown or rejected).
        """
        return self._conversion_index.get(conversion_id)

    def refunds_of(self, conversion_id: str, as_of: datetime | None = None) -> tuple[Refund, ...]:
        """The valid refunds of one conversion, oldest first.

        Args:
            conversion_id: The conversion's id.
            as_of: Only refunds at or before this instant, if given.

        Returns:
            The refunds, sorted by (instant, id).
        """
        refunds = self._refund_index.get(conversion_id, ())
        if as_of is None:
            return refunds
        require_aware(as_of, "as_of")
        return tuple(refund for refund in refunds if refund.instant <= as_of)

    def refunded(self, conversion_id: str, as_of: datetime | None = None) -> Money:
        """Total refunded on one conversion, optionally as of an instant.

        Args:
            conversion_id: The conversion's id.
            as_of: Count only refunds at or before this instant, if given.

        Returns:
            The refunded amount in the conversion's currency (zero if none).

        Raises:
            KeyError: If the conversion is not in the batch.
        """
        conversion = self._conversion_index[conversion_id]
        return Money.sum(
            (refund.amount for refund in self.refunds_of(conversion_id, as_of)),
            conversion.currency,
        )

    def remaining(self, conversion_id: str, as_of: datetime | None = None) -> Money:
        """What remains of a conversion's revenue after its refunds.

        Args:
            conversion_id: The conversion's id.
            as_of: Count only refunds at or before this instant, if given.

        Returns:
            Revenue minus refunds, never negative.

        Raises:
            KeyError: If the conversion is not in the batch.
        """
        revenue = self._conversion_index[conversion_id].revenue
        return revenue - self.refunded(conversion_id, as_of)

    def touches_by_customer(self) -> dict[str, list[Touch]]:
        """The touches grouped by customer key, each group in batch order.

        Returns:
            A new dict from customer key to that customer's touches, sorted by
            (instant, id).
        """
        groups: defaultdict[str, list[Touch]] = defaultdict(list)
        for touch in self.touches:
            groups[touch.customer_key].append(touch)
        return dict(groups)


# The slot descriptors' setters of the four event fields, in field order, for
# EventBatch._trusted. Setting a frozen slotted field by name (object.__setattr__)
# looks the slot up on every call.
_SLOT_SETTERS: tuple[Callable[[EventBatch, object], None], ...] = tuple(
    vars(EventBatch)[field.name].__set__ for field in attrs.fields(EventBatch) if field.init
)
_SET_CONVERSION_INDEX = vars(EventBatch)["_conversion_index"].__set__
_SET_REFUND_INDEX = vars(EventBatch)["_refund_index"].__set__


def _index(batch: EventBatch, conversions: dict[str, Conversion]) -> None:
    """Give ``batch`` its lookups: conversions by id, refunds by conversion id."""
    _SET_CONVERSION_INDEX(batch, conversions)
    by_conversion: dict[str, list[Refund]] = defaultdict(list)
    for refund in batch.refunds:
        by_conversion[refund.conversion_id].append(refund)
    _SET_REFUND_INDEX(batch, {key: tuple(value) for key, value in by_conversion.items()})


def _unique(items: list[E], problems: list[Problem]) -> tuple[list[E], set[str]]:
    """Drop exact repeats; reject every event of an id claimed by different events."""
    if len(set(map(_BY_ID, items))) == len(items):
        return items, set()
    variants: dict[str, list[E]] = defaultdict(list)
    for item in items:
        known = variants[item.id]
        if item not in known:
            known.append(item)
    kept: list[E] = []
    rejected: set[str] = set()
    for event_id, versions in variants.items():
        if len(versions) == 1:
            kept.append(versions[0])
            continue
        rejected.add(event_id)
        noun = _NOUN[type(versions[0])]
        problems.append(
            Problem(
                kind=ProblemKind.DUPLICATE_ID,
                subject=f"{noun}:{event_id}",
                field="id",
                message=(
                    f"{len(versions)} different {noun}s use this id; none of them is used "
                    "until the conflict is resolved (the same event sent twice is used once)"
                ),
            )
        )
    return kept, rejected


def _known_pairs(campaign: Campaign, pairs: set[tuple[str | None, str | None]]) -> bool:
    """Whether every touch's partner and content are the campaign's, each content its partner's.

    Checked once per distinct (partner, content) pair of the touches (``pairs``).
    """
    known = {partner.id for partner in campaign.partners}
    owners = {content.id: content.partner_id for content in campaign.contents}
    return all(
        (partner is None or partner in known)
        and (content is None or (content in owners and partner in (None, owners[content])))
        for partner, content in pairs
    )


def _check_touches(
    campaign: Campaign, touches: list[Touch], problems: list[Problem]
) -> list[Touch]:
    # Few distinct (partner, content) pairs hold millions of touches: check those first.
    # zip reuses its pair when the set already holds an equal one: no tuple kept per touch.
    pairs = set(zip(map(_PARTNER, touches), map(_CONTENT, touches), strict=True))
    if _known_pairs(campaign, pairs):
        return touches
    partners = {partner.id for partner in campaign.partners}
    owners = {content.id: content.partner_id for content in campaign.contents}
    kept = []
    for touch in touches:
        subject = f"touch:{touch.id}"
        if touch.partner_id is not None and touch.partner_id not in partners:
            problems.append(
                Problem(
                    kind=ProblemKind.UNKNOWN_PARTNER,
                    subject=subject,
                    field="partner_id",
                    message=f"partner {touch.partner_id!r} is not a partner of campaign "
                    f"{campaign.id!r}",
                )
            )
        elif touch.content_id is not None and touch.content_id not in owners:
            problems.append(
                Problem(
                    kind=ProblemKind.UNKNOWN_CONTENT,
                    subject=subject,
                    field="content_id",
                    message=f"content {touch.content_id!r} is not in campaign {campaign.id!r}",
                )
            )
        elif (
            touch.content_id is not None
            and touch.partner_id is not None
            and owners[touch.content_id] != touch.partner_id
        ):
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=subject,
                    field="content_id",
                    message=f"content {touch.content_id!r} was published by partner "
                    f"{owners[touch.content_id]!r}, not by {touch.partner_id!r}",
                )
            )
        else:
            kept.append(touch)
    return kept


def _check_conversions(
    campaign: Campaign, conversions: list[Conversion], problems: list[Problem]
) -> list[Conversion]:
    home = campaign.currency
    if set(map(_CURRENCY, conversions)) <= {home}:
        return conversions
    kept = []
    for conversion in conversions:
        currency = conversion.revenue.currency
        if currency != home:
            try:
                campaign.fx.rate_at(currency, home, conversion.instant)
            except MissingRateError as error:
                problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"conversion:{conversion.id}",
                        field="revenue",
                        message=f"revenue is in {currency} but campaign {campaign.id!r} reports "
                        f"in {home}, and its FX table cannot convert it ({error})",
                    )
                )
                continue
        kept.append(conversion)
    return kept


def _check_refunds(
    refunds: list[Refund],
    conversions: dict[str, Conversion],
    rejected: set[str],
    problems: list[Problem],
) -> list[Refund]:
    kept = []
    # Amounts refunded so far, by conversion id. Money amounts are Decimals already
    # at the currency's minor unit, and the currencies are checked equal first, so
    # adding and comparing the amounts is exact and the same as Money's arithmetic;
    # Money objects are built only for the message of a refund that is too large.
    refunded: dict[str, Decimal] = {}
    for refund in _chronological(refunds):
        subject = f"refund:{refund.id}"
        conversion = conversions.get(refund.conversion_id)
        if conversion is None:
            why = (
                "was rejected (see its own problem)"
                if refund.conversion_id in rejected
                else "is not in the batch"
            )
            problems.append(
                Problem(
                    kind=ProblemKind.UNKNOWN_SALE,
                    subject=subject,
                    field="conversion_id",
                    message=f"conversion {refund.conversion_id!r} {why}",
                )
            )
            continue
        if refund.instant < conversion.instant:
            problems.append(
                Problem(
                    kind=ProblemKind.REFUND_BEFORE_SALE,
                    subject=subject,
                    field="instant",
                    message=f"the refund at {refund.instant.isoformat()} is before conversion "
                    f"{conversion.id!r} at {conversion.instant.isoformat()}",
                )
            )
            continue
        if refund.amount.currency != conversion.currency:
            problems.append(
                Problem(
                    kind=ProblemKind.CURRENCY,
                    subject=subject,
                    field="amount",
                    message=f"the refund is in {refund.amount.currency} but conversion "
                    f"{conversion.id!r} is in {conversion.currency}",
                )
            )
            continue
        already = refunded.get(conversion.id, _NOTHING)
        remaining = conversion.revenue.amount - already
        if refund.amount.amount > remaining:
            currency = conversion.currency
            problems.append(
                Problem(
                    kind=ProblemKind.REFUND_EXCEEDS_SALE,
                    subject=subject,
                    field="amount",
                    message=f"the refund of {refund.amount} is larger than the "
                    f"{Money(remaining, currency)} that remains of conversion "
                    f"{conversion.id!r} (revenue {conversion.revenue}, already refunded "
                    f"{Money(already, currency)})",
                )
            )
            continue
        refunded[conversion.id] = already + refund.amount.amount
        kept.append(refund)
    return kept


def _by_type(
    events: Iterable[Event], problems: list[Problem]
) -> tuple[list[Touch], list[Conversion], list[Refund]]:
    """The touches, conversions and refunds of ``events``; anything else is a problem."""
    touches: list[Touch] = []
    conversions: list[Conversion] = []
    refunds: list[Refund] = []
    buckets: dict[type, Any] = {
        Touch: touches.append,
        Conversion: conversions.append,
        Refund: refunds.append,
    }
    # Typed as objects: input from the edges may hold anything, and is reported.
    received: Iterable[object] = events
    for event in received:
        add = buckets.get(type(event))
        if add is not None:
            add(event)
        elif isinstance(event, Touch):
            touches.append(event)
        elif isinstance(event, Conversion):
            conversions.append(event)
        elif isinstance(event, Refund):
            refunds.append(event)
        else:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"event:{type(event).__name__}",
                    message=f"expected a Touch, Conversion or Refund, got {event!r}",
                )
            )
    return _in_utc(touches), _in_utc(conversions), _in_utc(refunds)


def _parts(
    parts: EventParts, problems: list[Problem]
) -> tuple[list[Touch], list[Conversion], list[Refund]]:
    """The touches, conversions and refunds of ``parts``, each checked to be of its type.

    Touches kept in columns are left out (an empty list): the columns are checked apart.
    """
    touches: list[Touch] = [] if isinstance(parts.touches, TouchColumns) else list(parts.touches)
    conversions, refunds = list(parts.conversions), list(parts.refunds)
    # Each part of its own type only (what the event readers give): no event to sort,
    # the types found in C.
    if (
        set(map(type, touches)) <= {Touch}
        and set(map(type, conversions)) <= {Conversion}
        and set(map(type, refunds)) <= {Refund}
    ):
        return _in_utc(touches), _in_utc(conversions), _in_utc(refunds)
    return _by_type((*touches, *conversions, *refunds), problems)


def _checked_columns(campaign: Campaign, touches: TouchColumns) -> TouchColumns | None:
    """Touches kept in columns, checked and sorted by (instant, id); None to check them one by one.

    The columns hold what the record constructors accept; what is left to check needs
    the campaign (partners and contents) or the whole batch (repeated ids). When a check
    fails, the touches are checked as records instead, so that each problem is the one
    the records give.
    """
    if len(set(touches.ids)) != len(touches):
        return None
    if not _known_pairs(campaign, touches.distinct_pairs("partners", "contents")):
        return None
    instants = touches.instants
    order = np.argsort(instants, kind="stable")
    ordered = instants[order]
    # Touches of one instant follow their ids: sort each run of equal instants by id.
    ties = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(ties):
        ids = touches.ids
        starts = ties[np.r_[True, np.diff(ties) > 1]]
        ends = ties[np.r_[np.diff(ties) > 1, True]] + 2
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            run = order[start:end].tolist()
            run.sort(key=ids.__getitem__)
            order[start:end] = run
    if (order == np.arange(len(order))).all():
        return touches  # already in (instant, id) order, as tracking logs often are
    return touches.take(order)


def _in_utc(events: list[E]) -> list[E]:
    """The events with their instants in UTC: the same instants, measured alike.

    Python subtracts two datetimes that share one ``tzinfo`` by their wall clocks, so
    across a change of daylight saving time a gap between two instants written in
    ``Europe/Paris`` is an hour off; in UTC every gap and window is elapsed time.
    Instants already in a zone of offset zero are kept (see :func:`is_utc_zone`).
    """
    zones = set(map(_ZONE, events))
    kept = {zone for zone in zones if is_utc_zone(zone)}
    if len(kept) == len(zones):
        return events
    utc = UTC
    return [
        event
        if event.instant.tzinfo in kept
        else attrs.evolve(event, instant=event.instant.astimezone(utc))
        for event in events
    ]


@collector_paused()
def check_events(
    campaign: Campaign,
    events: Iterable[Event],
    *,
    locate: Callable[[Iterable[Problem]], Iterable[Problem]] | None = None,
) -> EventBatch:
    """Check a batch of events against a campaign.

    The result does not depend on the order of ``events``, and feeding an
    event twice changes nothing.

    The cyclic garbage collector is paused while it runs (see
    :func:`~hybridroi.core.collector.collector_paused`): checking creates no
    reference cycles, and on millions of events its passes would cost as much as
    the checking.

    Args:
        campaign: The campaign the events belong to.
        events: Touches, conversions and refunds, in any order and mixed.
        locate: Gives the problems the source of their events; for events read from
            files, pass :meth:`LoadedEvents.locate
            <hybridroi.files.events.LoadedEvents.locate>` so that each problem names
            the file and line of its event.

    Returns:
        The valid events, sorted, with a problem record for each event that
        could not be used.

    Example:
        >>> from datetime import datetime, timezone
        >>> from hybridroi.events.records import Touch
        >>> from hybridroi.domain.policy import TouchKind
        >>> campaign = Campaign(id="spring", name="Spring", currency="EUR",
        ...     timezone="Europe/Paris", start=datetime(2026, 3, 1, tzinfo=timezone.utc),
        ...     end=datetime(2026, 6, 1, tzinfo=timezone.utc))
        >>> touch = Touch(id="T-1", kind=TouchKind.CLICK, customer_key="cust-1",
        ...     partner_id="ghost", instant=datetime(2026, 3, 2, tzinfo=timezone.utc))
        >>> batch = check_events(campaign, [touch, touch])
        >>> len(batch.touches), [str(problem) for problem in batch.problems]
        (0, ["unknown_partner touch:T-1 [partner_id]: partner 'ghost' is not a partner of campaign 'spring'"])
    """  # noqa: E501
    problems: list[Problem] = []
    columns: TouchColumns | None = None
    if isinstance(events, EventParts):
        touches, conversions, refunds = _parts(events, problems)
        if isinstance(events.touches, TouchColumns):
            columns = _checked_columns(campaign, events.touches)
            if columns is None:
                # Records in UTC already: the columns hold UTC microseconds.
                touches = list(events.touches)
    else:
        touches, conversions, refunds = _by_type(events, problems)
    checked: Sequence[Touch]
    if columns is not None:
        checked = columns
    else:
        # Touches are put in id order first: it shows repeated ids and is the first
        # pass of the chronological sort; filtering keeps that order.
        touches = sorted(touches, key=_BY_ID)
        if _repeats_an_id(touches):
            touches, _ = _unique(touches, problems)
        checked = _by_instant(_check_touches(campaign, touches, problems))
    # The id index doubles as the uniqueness check of conversions.
    index = dict(zip(map(_BY_ID, conversions), conversions, strict=True))
    rejected: set[str] = set()
    if len(index) != len(conversions):
        conversions, rejected = _unique(conversions, problems)
    valid_conversions = _check_conversions(campaign, conversions, problems)
    if valid_conversions is not conversions or rejected:
        index = {conversion.id: conversion for conversion in valid_conversions}
    if refunds:
        if valid_conversions is not conversions:
            # Conversions the currency check dropped; when it dropped none, every
            # remaining conversion is in the index and there is nothing to add.
            rejected.update(c.id for c in conversions if c.id not in index)
        refunds, _ = _unique(refunds, problems)
        refunds = _check_refunds(refunds, index, rejected, problems)
    return EventBatch._trusted(
        checked,
        _chronological(valid_conversions),
        _chronological(refunds),
        # What locate returns comes from the caller: checked like a batch built directly.
        (
            tuple(sorted(problems, key=_problem_key))
            if locate is None
            else _sorted_problems(locate(problems))
        ),
        index,
    )
