"""The batch check_events builds through its fast path equals the one built directly."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, T0, at, journeys, sale, touch

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Refund

T = TypeVar("T")


@st.composite
def batches(draw: st.DrawFn) -> list[Event]:
    """Touches and conversions, repeats, and refunds that may or may not fit their sale."""
    events: list[Event] = list(draw(journeys()))
    sales = [e.id for e in events if isinstance(e, Conversion)] + ["C-unknown"]
    for index in range(draw(st.integers(min_value=0, max_value=6))):
        events.append(
            Refund(
                id=f"R{index}",
                conversion_id=draw(st.sampled_from(sales)),
                instant=T0 + timedelta(hours=draw(st.integers(-40 * 24, 10 * 24))),
                amount=Money.from_minor(draw(st.integers(1, 60_000)), "EUR"),
            )
        )
    events += draw(st.lists(st.sampled_from(events), max_size=3)) if events else []
    return events


def _shuffled(items: Sequence[T], shuffler: random.Random) -> list[T]:
    mixed = list(items)
    shuffler.shuffle(mixed)
    return mixed


@given(batches(), st.randoms(use_true_random=False))
def test_the_fast_path_of_check_events_equals_the_checked_constructor(
    events: list[Event], shuffler: random.Random
) -> None:
    fast = check_events(CAMPAIGN, events)

    checked = EventBatch(
        touches=_shuffled(fast.touches, shuffler),
        conversions=_shuffled(fast.conversions, shuffler),
        refunds=_shuffled(fast.refunds, shuffler),
        problems=_shuffled(fast.problems, shuffler),
    )
    assert type(fast) is type(checked) is EventBatch
    assert attrs.astuple(fast, recurse=False)[:4] == attrs.astuple(checked, recurse=False)[:4]
    assert fast == checked
    assert checked == fast
    assert hash(fast) == hash(checked)
    assert len({fast, checked}) == 1
    assert repr(fast) == repr(checked)
    for conversion in fast.conversions:
        assert fast.conversion(conversion.id) is checked.conversion(conversion.id)
        assert fast.refunds_of(conversion.id) == checked.refunds_of(conversion.id)
        assert fast.remaining(conversion.id) == checked.remaining(conversion.id)
    assert fast.conversion("C-unknown") is checked.conversion("C-unknown") is None
    assert fast.touches_by_customer() == checked.touches_by_customer()


def test_the_fast_path_neither_sorts_nor_checks_again() -> None:
    # What check_events hands over is stored as it is: out of order here, to show it.
    late, early = touch("T2", "lea", at(days=-1)), touch("T1", "lea", at(days=-2))
    order = sale("C1", at())
    trusted = EventBatch._trusted((late, early), (order,), (), (), {order.id: order})
    assert trusted.touches == (late, early)
    assert EventBatch(touches=[late, early]).touches == (early, late)


def test_check_events_hands_over_sorted_events_and_problems() -> None:
    events: list[Event] = [
        touch("T2", "ghost", at(days=-1)),
        touch("T1", "nobody", at(days=-2)),
        touch("T0", "lea", at(days=-2)),
        sale("C1", at()),
        Refund(id="R1", conversion_id="C9", instant=at(days=1), amount=Money("1", "EUR")),
    ]
    batch = check_events(CAMPAIGN, events)
    assert [t.id for t in batch.touches] == ["T0"]
    assert [p.subject for p in batch.problems] == ["refund:R1", "touch:T1", "touch:T2"]


@pytest.mark.parametrize(
    ("refund", "message"),
    [
        (
            Refund(id="R1", conversion_id="C1", instant=at(days=-1), amount=Money("1", "EUR")),
            "before conversion",
        ),
        (
            Refund(id="R1", conversion_id="C1", instant=at(days=1), amount=Money("101", "EUR")),
            "larger than",
        ),
        (
            Refund(id="R1", conversion_id="C1", instant=at(days=1), amount=Money("1", "USD")),
            "the refund is in USD",
        ),
    ],
)
def test_a_batch_built_directly_refuses_what_check_events_reports(
    refund: Refund, message: str
) -> None:
    order = sale("C1", at(), "100.00")
    assert [p.subject for p in check_events(CAMPAIGN, [order, refund]).problems] == ["refund:R1"]
    with pytest.raises(InvalidValueError, match=f"refunds that fit their sale.*{message}"):
        EventBatch(conversions=[order], refunds=[refund])


def test_a_batch_built_directly_keeps_refunds_that_fit() -> None:
    order = sale("C1", at(), "100.00")
    refunds = [
        Refund(id=f"R{i}", conversion_id="C1", instant=at(days=i), amount=Money("50", "EUR"))
        for i in (2, 1)
    ]
    batch = EventBatch(conversions=[order], refunds=refunds)
    assert [r.id for r in batch.refunds] == ["R1", "R2"]
    assert batch.remaining("C1") == Money("0", "EUR")
