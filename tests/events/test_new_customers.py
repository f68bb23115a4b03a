"""New customers: a flag that was not given is unknown, derived from the events, never false."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.money import Money
from hybridroi.events.customers import NewCustomerCounting, new_customers
from hybridroi.events.records import Conversion, ConversionKind
from hybridroi.files.events import format_events, parse_events

START = datetime(2026, 3, 1, tzinfo=UTC)


def sale(
    conversion_id: str,
    hours: int,
    customer_key: str = "k1",
    new: bool | None = None,
    kind: ConversionKind = ConversionKind.SALE,
) -> Conversion:
    return Conversion(
        id=conversion_id,
        instant=START + timedelta(hours=hours),
        customer_key=customer_key,
        revenue=Money("10.00", "EUR"),
        new_customer=new,
        kind=kind,
    )


def test_a_conversion_without_the_flag_is_unknown_not_returning() -> None:
    conversion = Conversion(
        id="s1", instant=START, customer_key="k1", revenue=Money("84.00", "EUR")
    )
    assert conversion.new_customer is None


def test_each_customers_first_sale_is_new_and_later_ones_return() -> None:
    events = [sale("s2", 5), sale("s1", 1), sale("s3", 1, customer_key="k2")]
    customers = new_customers(events)
    assert [customers.of(c) for c in events] == [False, True, True]
    assert customers.counting is NewCustomerCounting.DERIVED


def test_a_tie_in_instant_goes_to_the_smaller_id() -> None:
    events = [sale("b", 1), sale("a", 1)]
    customers = new_customers(events)
    assert [customers.of(c) for c in events] == [False, True]


def test_a_given_flag_is_kept_and_the_counting_says_mixed() -> None:
    events = [sale("s1", 1, new=False), sale("s2", 2, customer_key="k2")]
    customers = new_customers(events)
    assert [customers.of(c) for c in events] == [False, True]
    assert customers.counting is NewCustomerCounting.MIXED
    assert new_customers(events[:1]).counting is NewCustomerCounting.GIVEN
    assert new_customers([]).counting is None


def test_a_lead_is_new_until_its_customer_buys() -> None:
    lead = sale("l1", 0, kind=ConversionKind.LEAD)
    late = sale("l2", 9, kind=ConversionKind.LEAD)
    first = sale("s1", 3)
    customers = new_customers([late, first, lead])
    assert (customers.of(lead), customers.of(first), customers.of(late)) == (True, True, False)


def test_offsets_do_not_change_which_sale_comes_first() -> None:
    paris = datetime(2026, 3, 1, 10, 30, tzinfo=UTC).astimezone(
        datetime.fromisoformat("2026-03-01T00:00:00+01:00").tzinfo
    )
    early = Conversion(id="z", instant=paris, customer_key="k1", revenue=Money("1.00", "EUR"))
    later = Conversion(
        id="a",
        instant=datetime(2026, 3, 1, 11, tzinfo=UTC),
        customer_key="k1",
        revenue=Money("1.00", "EUR"),
    )
    customers = new_customers([later, early])
    assert (customers.of(early), customers.of(later)) == (True, False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["k1", "k2", "k3"])),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_exactly_the_earliest_sale_of_each_customer_is_new_in_any_order(
    drawn: list[tuple[int, str]], rng: object
) -> None:
    events = [sale(f"s{i:02d}", hours, key) for i, (hours, key) in enumerate(drawn)]
    shuffled = list(events)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    customers = new_customers(shuffled)
    marked = {c.id for c in events if customers.of(c)}
    for key in {c.customer_key for c in events}:
        own = [c for c in events if c.customer_key == key]
        earliest = min(own, key=lambda c: (c.instant, c.id))
        assert {c.id for c in own} & marked == {earliest.id}
    assert new_customers(events) == customers


# -- event files ------------------------------------------------------------------------------

HEADER = "type,id,instant,customer_key,revenue,currency,new_customer\n"


def test_an_empty_or_absent_flag_reads_as_unknown() -> None:
    text = HEADER + "sale,s1,2026-03-07T10:00:00+01:00,k1,84.00,EUR,\n"
    assert parse_events(text, format="csv").conversions[0].new_customer is None
    line = '{"type": "sale", "id": "s1", "instant": "2026-03-07T10:00:00+01:00", '
    line += '"customer_key": "k1", "revenue": "84.00", "currency": "EUR"}\n'
    assert parse_events(line, format="jsonl").conversions[0].new_customer is None


def test_a_flag_that_is_neither_true_nor_false_is_a_located_problem() -> None:
    text = HEADER + "sale,s1,2026-03-07T10:00:00+01:00,k1,84.00,EUR,maybe\n"
    loaded = parse_events(text, format="csv", source="sales.csv")
    assert loaded.conversions == ()
    [problem] = loaded.problems
    assert (problem.field, problem.source) == ("new_customer", "sales.csv:2")


@settings(max_examples=30, deadline=None)
@given(flag=st.none() | st.booleans(), fmt=st.sampled_from(["csv", "jsonl"]))
def test_the_flag_survives_the_round_trip_unknown_included(flag: bool | None, fmt: str) -> None:
    conversion = sale("s1", 3, new=flag)
    loaded = parse_events(format_events([conversion], format=fmt), format=fmt)
    assert loaded.conversions == (conversion,)
