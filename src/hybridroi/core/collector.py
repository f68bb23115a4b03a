"""Pausing Python's cyclic garbage collector around a large, cycle-free computation."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its state afterwards.

    Pricing a batch or posting a run allocates millions of small objects, frees
    none of them until it ends and makes no reference cycles; with the collector
    running, each of its full passes walks every live object again, and those
    passes cost as much as the work itself. Reference counting still frees
    everything as usual, and collection resumes as it was when the block ends,
    the objects made meanwhile counted as long-lived (see :func:`_promote`).

    Yields:
        Nothing; the collector is paused for the duration of the ``with`` block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote()
            gc.enable()


def _promote() -> None:
    """Move every tracked object to the oldest generation, without a collection.

    While the collector was paused, the young generation kept every object the block
    made: millions, after a large run. Its first pass after the pause would walk them
    all, and the next generation's pass again, only to find them alive (the block makes
    no cycles). Freezing then unfreezing puts them, with the others, in the oldest
    generation at once (``gc.unfreeze`` returns frozen objects there): they are
    examined by full collections only, as long-lived objects are. Nothing is left out
    of collection. A process that froze objects itself (``gc.freeze`` before forking
    workers) keeps them frozen: then nothing is moved.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
