"""What a ledger store did with a batch of events it was given to keep.

Stores keep every event under its kind and id (:mod:`hybridroi.ledger.stores.events`):
the same event given again changes nothing, and an id given again with other content
is refused with a problem.
"""

from __future__ import annotations

import attrs

from hybridroi.core.problems import Problem

__all__ = ["EventIntake"]


@attrs.frozen(kw_only=True)
class EventIntake:
    """What a store did with a batch of events.

    Attributes:
        added: ``"kind:id"`` of the events stored for the first time.
        unchanged: ``"kind:id"`` of events already stored with the same content.
        problems: Events refused because their id is stored with other content.
    """

    added: tuple[str, ...]
    unchanged: tuple[str, ...]
    problems: tuple[Problem, ...]
