"""Idempotent intake of events keyed by id, for the ledger stores.

Stores keep every event they are given under its kind and id, as the plain
data of :mod:`hybridroi.serialization`. Giving the same event again changes
nothing; an event that reuses a stored id with different content is refused
with a :class:`Problem` of kind ``DUPLICATE_ID``, and the stored event is kept
as it is.

"The same" means equal records: ``Decimal("1.50")`` and ``Decimal("1.5")``,
or one instant written in two time zones, are the same content.

>>> from datetime import UTC, datetime
>>> from hybridroi.core.money import Money
>>> from hybridroi.events.records import Refund
>>> refund = Refund(id="R-3", conversion_id="C-17",
...                 instant=datetime(2026, 3, 2, tzinfo=UTC), amount=Money("4.00", "EUR"))
>>> new, report = intake({}, [refund, refund])
>>> list(new), report.added, report.unchanged
([('refund', 'R-3')], ('refund:R-3',), ('refund:R-3',))
>>> event_from_text("refund", new[("refund", "R-3")]) == refund
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from hybridroi.core.errors import InvalidTypeError
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.events.records import Conversion, Event, Refund, Touch
from hybridroi.ledger.intake import EventIntake
from hybridroi.serialization import structure, unstructure

__all__ = ["event_batch", "event_from_text", "event_kind", "event_text", "intake"]

_KINDS: dict[str, type[Touch] | type[Conversion] | type[Refund]] = {
    "touch": Touch,
    "conversion": Conversion,
    "refund": Refund,
}


def event_kind(event: Event) -> str:
    """``"touch"``, ``"conversion"`` or ``"refund"``.

    Raises:
        TypeError: If ``event`` is none of these.
    """
    for kind, cls in _KINDS.items():
        if isinstance(event, cls):
            return kind
    raise InvalidTypeError("event", event, "a Touch, Conversion or Refund")


def event_text(event: Event) -> str:
    """The event as JSON text (sorted keys), as stores keep it."""
    event_kind(event)
    return json.dumps(unstructure(event), sort_keys=True, separators=(",", ":"))


def event_from_text(kind: str, text: str) -> Event:
    """Rebuild an event from its kind and stored JSON text.

    Raises:
        KeyError: If ``kind`` is not a known event kind.
    """
    return structure(json.loads(text), _KINDS[kind])


def event_batch(events: Iterable[Event]) -> list[Event]:
    """The events of a batch, as a list.

    Raises:
        InvalidTypeError: If ``events`` is not a collection (a string, a number, None).
    """
    given: object = events
    if isinstance(given, str | bytes):
        raise InvalidTypeError("events", events, "a collection of Touch, Conversion or Refund")
    try:
        return list(events)
    except TypeError:
        raise InvalidTypeError(
            "events", events, "a collection of Touch, Conversion or Refund"
        ) from None


def intake(
    stored: Mapping[tuple[str, str], str], events: Iterable[Event]
) -> tuple[dict[tuple[str, str], str], EventIntake]:
    """Sort a batch of events into new, unchanged and refused ones.

    Args:
        stored: The stored text of the events already kept for the ids of
            this batch (more is fine), keyed by ``(kind, id)``.
        events: The batch.

    Returns:
        The new events to store (text keyed by ``(kind, id)``) and the intake report.
    """
    new: dict[tuple[str, str], str] = {}
    added: list[str] = []
    unchanged: list[str] = []
    problems: list[Problem] = []
    for event in events:
        kind = event_kind(event)
        key = (kind, event.id)
        known = stored.get(key, new.get(key))
        subject = f"{kind}:{event.id}"
        if known is None:
            new[key] = event_text(event)
            added.append(subject)
        elif event_from_text(kind, known) == event:
            unchanged.append(subject)
        else:
            problems.append(
                Problem(
                    kind=ProblemKind.DUPLICATE_ID,
                    subject=subject,
                    field="id",
                    message=(
                        f"{kind} id {event.id} is already stored with different content; "
                        f"the stored {kind} is kept. Stored: {known}. "
                        f"Refused: {event_text(event)}"
                    ),
                )
            )
    return new, EventIntake(
        added=tuple(added), unchanged=tuple(unchanged), problems=tuple(problems)
    )
