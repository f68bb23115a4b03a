"""The collector paused around a large computation, and what it finds afterwards."""

from __future__ import annotations

import gc
import weakref

from hybridroi.core.collector import collector_paused


class Node:
    """A record that can hold a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def _young() -> int:
    return sum(gc.get_count()[:2])


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_objects_made_while_paused_are_long_lived_afterwards() -> None:
    with collector_paused():
        made = [Node() for _ in range(50_000)]
        assert _young() > 0
    # Moved to the oldest generation at once: no young pass walks them.
    assert gc.get_count()[0] < 1_000
    assert any(node is made[0] for node in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_cycles_are_still_collected() -> None:
    with collector_paused():
        first, second = Node(), Node()
        first.other, second.other = second, first
        watched = weakref.ref(first)
    del first, second
    assert watched() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert watched() is None


def test_objects_a_process_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with collector_paused():
            _ = [Node() for _ in range(1_000)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
