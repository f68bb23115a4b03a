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
    everything as usual, and collection resumes as it was when the block ends.

    Yields:
        Nothing; the collector is paused for the duration of the ``with`` block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
