from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from datetime import UTC, date, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, T0, at, journeys, sale, touch

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.policy import TouchKind
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Refund, RefundKind


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def refund(
    refund_id: str, conversion_id: str, amount: str, when: object = None, currency: str = "EUR"
) -> Refund:
    return Refund(
        id=refund_id,
        conversion_id=conversion_id,
        instant=at(days=1) if when is None else when,  # type: ignore[arg-type]
        amount=Money(amount, currency),
        kind=RefundKind.REFUND,
    )


def kinds(batch: EventBatch) -> list[tuple[ProblemKind, str]]:
    return [(problem.kind, problem.subject) for problem in batch.problems]


def test_valid_events_are_sorted_by_instant_then_id() -> None:
    events: list[Event] = [
        touch("T2", "lea", at(days=-1)),
        touch("T1", "coupons", at(days=-1)),
        touch("T0", "coupons", at(days=-2)),
        sale("C2", T0),
        sale("C1", T0),
    ]
    batch = check_events(CAMPAIGN, events)
    assert [t.id for t in batch.touches] == ["T0", "T1", "T2"]
    assert [c.id for c in batch.conversions] == ["C1", "C2"]
    assert batch.problems == ()


def test_the_same_event_twice_is_used_once_without_a_problem() -> None:
    click = touch("T1", "coupons", at(days=-1))
    order = sale("C1", T0)
    batch = check_events(CAMPAIGN, [click, order, click, order, attrs.evolve(click)])
    assert (batch.touches, batch.conversions, batch.problems) == ((click,), (order,), ())


def test_a_different_event_reusing_an_id_is_a_problem_and_neither_is_used() -> None:
    first = sale("C1", T0, "100.00")
    retry = sale("C1", T0, "120.00")
    other = sale("C2", T0)
    batch = check_events(CAMPAIGN, [first, retry, other, first])
    assert [c.id for c in batch.conversions] == ["C2"]
    (problem,) = batch.problems
    assert (problem.kind, problem.subject, problem.field) == (
        ProblemKind.DUPLICATE_ID,
        "conversion:C1",
        "id",
    )
    assert problem.message.startswith("2 different conversions use this id")
    # The same id in another kind of event is no clash.
    assert check_events(CAMPAIGN, [touch("C1", "lea", at(days=-1)), other]).problems == ()


def test_touches_of_unknown_partners_or_content_are_reported() -> None:
    batch = check_events(
        CAMPAIGN,
        [
            touch("T1", "ghost", at(days=-1)),
            touch("T2", "lea", at(days=-1), TouchKind.VIEW, content="v404"),
            touch("T3", "coupons", at(days=-1), TouchKind.VIEW, content="v1"),
            touch("T4", "lea", at(days=-1), TouchKind.VIEW, content="v1"),
            touch("T5", None, at(days=-1), channel="paid_boost", content="v1"),
        ],
    )
    assert [t.id for t in batch.touches] == ["T4", "T5"]
    assert kinds(batch) == [
        (ProblemKind.UNKNOWN_PARTNER, "touch:T1"),
        (ProblemKind.UNKNOWN_CONTENT, "touch:T2"),
        (ProblemKind.INVALID, "touch:T3"),
    ]
    assert (
        batch.problems[2].message == "content 'v1' was published by partner 'lea', not by 'coupons'"
    )


def test_a_conversion_the_campaign_cannot_convert_is_reported() -> None:
    dollars = Conversion(id="C1", instant=T0, customer_key="alice", revenue=Money("50.00", "USD"))
    batch = check_events(CAMPAIGN, [dollars, refund("R1", "C1", "10.00", currency="USD")])
    assert batch.conversions == ()
    assert kinds(batch) == [
        (ProblemKind.CURRENCY, "conversion:C1"),
        (ProblemKind.UNKNOWN_SALE, "refund:R1"),
    ]
    assert "was rejected" in batch.problems[1].message
    # With a rate in force, the sale is accepted in its own currency.
    rates = FxRates.from_rows([("USD", "EUR", date(2026, 1, 1), "0.92")])
    priced = attrs.evolve(CAMPAIGN, fx=rates)
    assert check_events(priced, [dollars]).conversions == (dollars,)


def test_refund_problems() -> None:
    order = sale("C1", T0, "100.00")
    batch = check_events(
        CAMPAIGN,
        [
            order,
            refund("R1", "C1", "60.00", at(days=1)),
            refund("R2", "C1", "50.00", at(days=2)),  # only 40.00 remains
            refund("R3", "C1", "40.00", at(days=3)),  # exactly what remains
            refund("R4", "C1", "1.00", at(days=-1)),  # before the sale
            refund("R5", "C9", "1.00"),  # unknown sale
            refund("R6", "C1", "1.00", currency="USD"),
        ],
    )
    assert [r.id for r in batch.refunds] == ["R1", "R3"]
    assert kinds(batch) == [
        (ProblemKind.REFUND_EXCEEDS_SALE, "refund:R2"),
        (ProblemKind.REFUND_BEFORE_SALE, "refund:R4"),
        (ProblemKind.UNKNOWN_SALE, "refund:R5"),
        (ProblemKind.CURRENCY, "refund:R6"),
    ]
    assert batch.problems[0].message == (
        "the refund of EUR 50.00 is larger than the EUR 40.00 that remains of conversion 'C1' "
        "(revenue EUR 100.00, already refunded EUR 60.00)"
    )
    assert "is not in the batch" in batch.problems[2].message


def test_refunded_and_remaining_as_of_an_instant() -> None:
    order = sale("C1", T0, "100.00")
    batch = check_events(
        CAMPAIGN,
        [order, refund("R1", "C1", "30.00", at(days=1)), refund("R2", "C1", "20.00", at(days=5))],
    )
    assert batch.conversion("C1") == order
    assert batch.conversion("C9") is None
    assert batch.refunded("C1") == eur("50.00")
    assert batch.refunded("C1", as_of=at(days=2)) == eur("30.00")
    assert batch.remaining("C1", as_of=at(days=2)) == eur("70.00")
    assert batch.remaining("C1") == eur("50.00")
    assert batch.refunded("C1", as_of=T0) == eur("0.00")
    assert [r.id for r in batch.refunds_of("C1", as_of=at(days=1))] == ["R1"]
    with pytest.raises(KeyError):
        batch.refunded("C9")


def test_something_that_is_not_an_event_is_reported() -> None:
    batch = check_events(CAMPAIGN, [sale("C1", T0), "C2"])  # type: ignore[list-item]
    assert kinds(batch) == [(ProblemKind.INVALID, "event:str")]
    assert [c.id for c in batch.conversions] == ["C1"]


def test_touches_grouped_by_customer() -> None:
    batch = check_events(
        CAMPAIGN,
        [touch("T2", "lea", at(days=-1)), touch("T1", "lea", at(days=-2), customer="bob")],
    )
    assert {k: [t.id for t in v] for k, v in batch.touches_by_customer().items()} == {
        "alice": ["T2"],
        "bob": ["T1"],
    }


def test_a_batch_built_directly_is_sorted_and_checked() -> None:
    early, late = sale("C1", at(days=-1)), sale("C0", T0)
    assert EventBatch(conversions=[late, early]).conversions == (early, late)
    with pytest.raises(InvalidValueError, match="unique ids"):
        EventBatch(conversions=[early, attrs.evolve(early, revenue=eur("1.00"))])
    with pytest.raises(InvalidValueError, match="refunds of conversions in the batch"):
        EventBatch(refunds=[refund("R1", "C1", "1.00")])


@given(journeys(), st.randoms(use_true_random=False))
def test_the_batch_does_not_depend_on_arrival_order_or_repeats(
    events: list[Event], shuffler: random.Random
) -> None:
    shuffled = events + events[: len(events) // 2]
    shuffler.shuffle(shuffled)
    assert check_events(CAMPAIGN, shuffled) == check_events(CAMPAIGN, events)


amounts = st.integers(min_value=1, max_value=6_000).map(
    lambda cents: Money.from_minor(cents, "EUR")
)


@given(
    st.lists(st.tuples(amounts, st.integers(min_value=-2, max_value=10)), max_size=8),
    st.randoms(use_true_random=False),
)
def test_accepted_refunds_never_exceed_the_sale(
    refunds: list[tuple[Money, int]], shuffler: random.Random
) -> None:
    order = sale("C1", T0, "100.00")
    events: list[Event] = [order]
    for index, (amount, day) in enumerate(refunds):
        events.append(
            Refund(
                id=f"R{index}",
                conversion_id="C1",
                instant=T0 + timedelta(days=day),
                amount=amount,
            )
        )
    shuffler.shuffle(events)
    batch = check_events(CAMPAIGN, events)
    total = Money.sum((r.amount for r in batch.refunds), "EUR")
    assert total <= order.revenue
    assert total == batch.refunded("C1")
    # Nothing is dropped silently: each refund is either accepted or reported.
    assert len(batch.refunds) + len(batch.problems) == len(refunds)
    # Accepted refunds are those that fitted, oldest first: a rejected one did not fit.
    remaining = order.revenue
    accepted = {r.id for r in batch.refunds}
    for r in sorted((e for e in events if isinstance(e, Refund)), key=lambda r: (r.instant, r.id)):
        fits = r.instant >= order.instant and r.amount <= remaining
        assert (r.id in accepted) == fits
        if fits:
            remaining -= r.amount


@pytest.mark.parametrize(
    "zone", [ZoneInfo("UTC"), ZoneInfo("Etc/UTC"), UTC, timezone(timedelta(0))]
)
def test_events_already_in_utc_are_kept_as_they_are(zone: tzinfo) -> None:
    # Arrow and pandas give UTC instants with ZoneInfo("UTC"): rebuilding millions of
    # events only to swap one UTC for another would change nothing but the cost.
    click = touch("T1", "coupons", at(days=-1).astimezone(zone))
    order = sale("C1", T0.astimezone(zone))
    batch = check_events(CAMPAIGN, [click, order])
    assert batch.touches[0] is click
    assert batch.conversions[0] is order


def test_events_in_other_zones_are_put_in_utc() -> None:
    paris, plus_two = ZoneInfo("Europe/Paris"), timezone(timedelta(hours=2))
    click = touch("T1", "coupons", at(days=-1).astimezone(plus_two))
    order = sale("C1", T0.astimezone(paris))
    batch = check_events(CAMPAIGN, [click, order, sale("C2", T0)])
    assert [t.instant.tzinfo for t in batch.touches] == [UTC]
    assert [c.instant.tzinfo for c in batch.conversions] == [UTC, UTC]
    assert (batch.touches[0].instant, batch.conversions[0].instant) == (click.instant, T0)


def test_checking_pauses_the_cyclic_collector_and_restores_it() -> None:
    seen: list[bool] = []

    def events() -> Iterator[Event]:
        seen.append(gc.isenabled())
        yield sale("C1", T0)

    assert gc.isenabled()
    check_events(CAMPAIGN, events())
    assert seen == [False]
    assert gc.isenabled()
