"""Decisions on single transactions: hold, release, extend the lock, approve early, decline.

A partner team decides about one transaction at a time, beside the lock rules
that apply to everyone: hold a suspicious sale, extend the lock of one sale by
a period (CJ's "extended" status) while the partner's other sales lock as
usual, approve a sale early, or decline it. Each :class:`Decision` is data,
kept in the store with its instant, its actor and its reason; the status of an
entry at an instant is computed from the entry, the decisions made up to that
instant and its payout batch (see :func:`decided_status`). Nothing is changed
in the entries themselves.

A decision targets a transaction: a ledger key (partner, period, line key,
currency), named by the key or by one of its entries. A hold, a release and a
decline cover every entry of the key, including those posted after the
decision (a later refund's reversal of a declined sale is declined too, so the
two still net to zero); an extension and an early approval cover the entries
posted up to the decision, and a later refund reverses them at their decided
lock instant. A sale repriced upward after its lock was extended locks the new
amount with the transaction, at the extended instant (see
:meth:`hybridroi.ledger.store.Ledger.post`).

Effects, in the order the decisions were made:

* ``hold``: the entry does not lock, whatever its lock date, until released;
* ``release``: ends a hold; the entry locks on its lock date (at once if that
  date has passed);
* ``extend``: the lock instant moves by a duration (one month unless told
  otherwise) on the campaign's local wall clock, as :class:`LockAfterSale`
  counts it;
* ``approve``: the entry locks at the decision's instant if it was still
  pending, and a hold ends;
* ``decline``: the entry is declined for good: never locked, never paid, and
  no longer owed to the partner.

An entry in a live payout batch takes its batch's status; decisions apply to
it again if the batch is voided.

>>> from datetime import UTC, datetime
>>> from hybridroi.core.money import Money
>>> from hybridroi.ledger.entries import EntryType
>>> from hybridroi.statements.lines import LineKind
>>> sale = datetime(2026, 3, 10, tzinfo=UTC)
>>> entry = LedgerEntry(id="posting-000001:1", run_id="posting-000001",
...     key=LedgerKey("aff-1", "2026-03", "commission:C-1", "EUR"),
...     line_kind=LineKind.COMMISSION, entry_type=EntryType.EARNED,
...     amount=Money("10.00", "EUR"), status=EntryStatus.PENDING,
...     lock_at=datetime(2026, 4, 10, tzinfo=UTC), earned_at=sale, posted_at=sale,
...     rule_id="R", explanation="10% of EUR 100.00", reason="earned")
>>> extend = Decision(id="decision-000001", kind=DecisionKind.EXTEND,
...     key=entry.key, actor="ops@brand", reason="fraud check",
...     at=datetime(2026, 3, 20, tzinfo=UTC))
>>> decided_lock(entry, [extend], datetime(2026, 4, 30, tzinfo=UTC), "UTC").isoformat()
'2026-05-10T00:00:00+00:00'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import aware, enum_member, identifier, instance_of, optional, text
from hybridroi.core.durations import format_duration, parse_duration
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.timezones import UTC, require_aware, zone
from hybridroi.ledger.entries import EntryStatus, LedgerEntry, LedgerKey

__all__ = [
    "BatchEvent",
    "Decision",
    "DecisionIndex",
    "DecisionKind",
    "StatusChange",
    "decided_lock",
    "decided_status",
    "moved_lock",
    "status_history",
]


class DecisionKind(enum.Enum):
    """What a decision does to the entries it targets."""

    HOLD = "hold"
    """The entries do not lock until released."""
    RELEASE = "release"
    """A hold ends."""
    EXTEND = "extend"
    """The lock instant moves by a duration."""
    APPROVE = "approve"
    """The entries lock now (payable at the next payout run); a hold ends."""
    DECLINE = "decline"
    """The entries are declined: never paid, no longer owed."""


def _optional_duration(value: str | relativedelta | None) -> relativedelta | None:
    return None if value is None else parse_duration(value, "Decision.extend_by")


def _key(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, LedgerKey):
        raise InvalidValueError("Decision.key", value, "a LedgerKey")


@attrs.frozen(kw_only=True)
class Decision:
    """One decision about a transaction, with who made it, when and why.

    Attributes:
        id: The decision id (``"decision-000001"``), unique in the ledger.
        kind: What the decision does.
        key: The transaction: the ledger key whose entries it covers.
        actor: Who made the decision.
        reason: Why, in words.
        at: When it was made; it applies from that instant on.
        extend_by: For ``extend``, how far the lock moves (default one month);
            None for the other kinds.
    """

    id: str = attrs.field(validator=identifier)
    kind: DecisionKind = attrs.field(converter=enum_member(DecisionKind))  # type: ignore[misc]
    key: LedgerKey = attrs.field(validator=_key)
    actor: str = attrs.field(validator=text)
    reason: str = attrs.field(validator=text)
    at: datetime = attrs.field(validator=aware)
    extend_by: relativedelta | None = attrs.field(default=None, converter=_optional_duration)

    def __attrs_post_init__(self) -> None:
        if self.kind is DecisionKind.EXTEND and self.extend_by is None:
            object.__setattr__(self, "extend_by", relativedelta(months=1))
        if self.kind is not DecisionKind.EXTEND and self.extend_by is not None:
            raise InvalidValueError("Decision.extend_by", self.extend_by, "None unless extending")

    @property
    def target(self) -> str:
        """The transaction in words: ``partner/period/line key/currency``."""
        return "/".join(self.key)

    def describe(self) -> str:
        """The decision in words, for status histories and the audit trail."""
        if self.kind is DecisionKind.EXTEND and self.extend_by is not None:
            return f"extend the lock by {format_duration(self.extend_by)}"
        return self.kind.value

    def applies_to(self, entry: LedgerEntry) -> bool:
        """Whether the decision covers ``entry``.

        A hold, release or decline covers every entry of its key; an extension
        or an approval those posted up to the decision.
        """
        if entry.key != self.key:
            return False
        return self.kind not in _AT_DECISION or entry.posted_at <= self.at


_AT_DECISION = (DecisionKind.EXTEND, DecisionKind.APPROVE)


class DecisionIndex:
    """Decisions by the entry id and the key they target, for fast look-ups.

    Args:
        decisions: Decisions, in the order they were made.
    """

    def __init__(self, decisions: Iterable[Decision] = ()) -> None:
        self.decisions = tuple(decisions)
        self._by_key: dict[LedgerKey, list[Decision]] = {}
        for decision in self.decisions:
            self._by_key.setdefault(decision.key, []).append(decision)

    def __bool__(self) -> bool:
        return bool(self.decisions)

    def of(self, entry: LedgerEntry) -> tuple[Decision, ...]:
        """The decisions that cover ``entry``, in the order they were made."""
        return tuple(d for d in self._by_key.get(entry.key, ()) if d.applies_to(entry))

    def of_key(self, key: LedgerKey) -> tuple[Decision, ...]:
        """Every decision on ``key``, in the order they were made."""
        return tuple(self._by_key.get(key, ()))


def moved_lock(lock_at: datetime, by: relativedelta, timezone: str) -> datetime:
    """``lock_at`` moved by ``by`` on the local wall clock of ``timezone`` (UTC result).

    >>> from datetime import UTC
    >>> moved_lock(datetime(2026, 4, 9, 22, tzinfo=UTC), relativedelta(months=1),
    ...            "Europe/Paris").isoformat()
    '2026-05-09T22:00:00+00:00'
    """
    local = lock_at.astimezone(zone(timezone))
    wall = local.replace(tzinfo=None) + by
    return wall.replace(tzinfo=local.tzinfo).astimezone(UTC)


class _State:
    __slots__ = ("declined", "held", "lock_at")

    def __init__(self, lock_at: datetime) -> None:
        self.lock_at = lock_at
        self.held = False
        self.declined = False


def _apply(
    entry: LedgerEntry, decisions: Sequence[Decision], at: datetime, timezone: str
) -> _State:
    state = _State(entry.lock_at)
    for decision in decisions:
        if decision.at > at:
            continue
        kind = decision.kind
        if kind is DecisionKind.HOLD:
            state.held = True
        elif kind is DecisionKind.RELEASE:
            state.held = False
        elif kind is DecisionKind.EXTEND and decision.extend_by is not None:
            state.lock_at = moved_lock(state.lock_at, decision.extend_by, timezone)
        elif kind is DecisionKind.APPROVE:
            state.held = False
            state.lock_at = min(state.lock_at, decision.at)
        elif kind is DecisionKind.DECLINE:
            state.declined = True
    return state


def decided_lock(
    entry: LedgerEntry, decisions: Sequence[Decision], at: datetime, timezone: str
) -> datetime:
    """The lock instant of ``entry`` after the decisions made up to ``at``.

    Args:
        entry: The entry.
        decisions: The decisions that target it, in the order they were made.
        at: The instant asked about.
        timezone: The campaign's IANA time zone (for extensions).

    Returns:
        The entry's lock instant, moved by extensions and brought forward by
        an approval (a hold or a decline does not move it).
    """
    require_aware(at, "at")
    return _apply(entry, decisions, at, timezone).lock_at


def decided_status(
    entry: LedgerEntry,
    at: datetime,
    decisions: Sequence[Decision],
    timezone: str,
    in_batch: EntryStatus | None = None,
) -> EntryStatus:
    """The status of ``entry`` at ``at``, decisions applied.

    Args:
        entry: The entry.
        at: The instant asked about (timezone-aware).
        decisions: The decisions that target it, in the order they were made;
            those made after ``at`` are not applied yet.
        timezone: The campaign's IANA time zone.
        in_batch: The status of its live payout batch (payable or paid), if any.

    Returns:
        Waived entries stay waived; an entry in a live batch has its batch's
        status; a declined entry is declined, a held one held; otherwise
        pending before its (decided) lock instant and locked from it on.
    """
    require_aware(at, "at")
    if entry.status is EntryStatus.WAIVED:
        return EntryStatus.WAIVED
    if in_batch is not None:
        return in_batch
    if not decisions:
        return EntryStatus.PENDING if at < entry.lock_at else EntryStatus.LOCKED
    state = _apply(entry, decisions, at, timezone)
    if state.declined:
        return EntryStatus.DECLINED
    if state.held:
        return EntryStatus.HELD
    return EntryStatus.PENDING if at < state.lock_at else EntryStatus.LOCKED


@attrs.frozen(kw_only=True)
class StatusChange:
    """One step of an entry's status history.

    Attributes:
        entry_id: The entry.
        at: When its status changed.
        status: The status from that instant on.
        actor: Who caused the change (``"system"`` for a lock date passing).
        reason: Why, in words.
        source: What recorded it: ``"posting"``, ``"lock"``, ``"decision"``,
            ``"payout"`` or ``"adjustment"``.
    """

    entry_id: str = attrs.field(validator=identifier)
    at: datetime = attrs.field(validator=aware)
    status: EntryStatus = attrs.field(converter=enum_member(EntryStatus))  # type: ignore[misc]
    actor: str = attrs.field(validator=text)
    reason: str = attrs.field(validator=text)
    source: str = attrs.field(validator=identifier)


@attrs.frozen(kw_only=True)
class BatchEvent:
    """What happened to a payout batch holding an entry, for :func:`status_history`.

    Attributes:
        at: When.
        status: The status the entry takes: payable (batched), paid, or
            ``None`` when the batch is voided (the entry goes back to its
            decided status).
        actor: Who did it.
        reason: Why.
    """

    at: datetime = attrs.field(validator=aware)
    status: EntryStatus | None = attrs.field(
        default=None,
        validator=optional(instance_of(EntryStatus, "an EntryStatus or None")),
    )
    actor: str = attrs.field(validator=text)
    reason: str = attrs.field(validator=text)


def status_history(
    entry: LedgerEntry,
    decisions: Sequence[Decision],
    batch_events: Sequence[BatchEvent],
    timezone: str,
    *,
    posted_by: str = "system",
    posted_reason: str | None = None,
    until: datetime | None = None,
) -> tuple[StatusChange, ...]:
    """Every status ``entry`` has had, from its posting to ``until``.

    Args:
        entry: The entry.
        decisions: The decisions that target it, in the order they were made.
        batch_events: What happened to the payout batches that held it, in time order.
        timezone: The campaign's IANA time zone.
        posted_by: The actor of the run that posted the entry.
        posted_reason: The reason recorded for that run (default: the entry's reason).
        until: The last instant considered (the last event if it is later); a
            lock instant after it is left out.

    Returns:
        The changes in time order; a step that leaves the status as it was is
        left out, except the posting itself.
    """
    batch: EntryStatus | None = None

    def decided(instant: datetime) -> EntryStatus:
        return decided_status(entry, instant, decisions, timezone, batch)

    status = decided(entry.posted_at)
    changes = [
        StatusChange(
            entry_id=entry.id,
            at=entry.posted_at,
            status=status,
            actor=posted_by,
            reason=posted_reason or entry.reason,
            source="adjustment" if entry.entry_type.value == "adjustment" else "posting",
        )
    ]
    events: list[tuple[datetime, int, str, str, str, EntryStatus | None, bool]] = []
    for decision in decisions:
        if decision.at >= entry.posted_at:
            reason = f"{decision.describe()}: {decision.reason}"
            events.append((decision.at, 1, decision.actor, reason, "decision", None, False))
    for event in batch_events:
        events.append((event.at, 2, event.actor, event.reason, "payout", event.status, True))
    events.sort(key=lambda item: (item[0], item[1]))
    last = max([entry.posted_at, *(item[0] for item in events), *([until] if until else [])])
    cursor = entry.posted_at
    for instant, rank, actor, reason, source, to_status, is_batch in [
        *events,
        (last, 3, "", "", "", None, False),
    ]:
        # A lock instant passing between two recorded events is a change too.
        lock = decided_lock(entry, decisions, cursor, timezone)
        passes = batch is None and status is EntryStatus.PENDING and cursor < lock <= instant
        if passes and decided(lock) is EntryStatus.LOCKED:
            status = EntryStatus.LOCKED
            changes.append(
                StatusChange(
                    entry_id=entry.id,
                    at=lock,
                    status=status,
                    actor="system",
                    reason=f"the lock date {lock.isoformat()} passed",
                    source="lock",
                )
            )
        if rank == 3:
            break
        if is_batch:
            batch = to_status
        new = decided(instant)
        if new is not status or source == "decision":
            status = new
            changes.append(
                StatusChange(
                    entry_id=entry.id,
                    at=instant,
                    status=status,
                    actor=actor,
                    reason=reason,
                    source=source,
                )
            )
        cursor = instant
    return tuple(changes)
