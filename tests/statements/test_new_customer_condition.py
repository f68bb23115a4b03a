"""A rule for new customers reads the flag given, or the one derived from the run's events."""

from __future__ import annotations

from decimal import Decimal

from tests.statements.strategies import amounts, at, campaign, credit, run, sale

from hybridroi.domain.conditions import CustomerIs
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import PercentRate
from hybridroi.events.records import Conversion

RULES = (
    PercentRate(id="new", rate="0.20", conditions=[CustomerIs(new=True)]),
    PercentRate(id="returning", rate="0.05", conditions=[CustomerIs(new=False)]),
)


def deal() -> AffiliateDeal:
    return AffiliateDeal(id="D", partner_id="A", rules=RULES)


def test_an_unflagged_first_sale_is_a_new_customers_and_the_next_returns() -> None:
    first = sale("S1", at(3), "100.00")
    again = Conversion(
        id="S2", instant=at(5), customer_key=first.customer_key, revenue=first.revenue
    )
    result = run(campaign(deal()), [again, first])
    assert amounts(result) == {
        "commission:S1:new": Decimal("20.00"),
        "commission:S2:returning": Decimal("5.00"),
    }


def test_an_earlier_uncredited_sale_makes_the_customer_returning() -> None:
    earlier = sale("S0", at(2), "100.00")
    later = Conversion(
        id="S1", instant=at(4), customer_key=earlier.customer_key, revenue=earlier.revenue
    )
    result = run(campaign(deal()), [earlier, later], credits=[credit(later)])
    assert amounts(result) == {"commission:S1:returning": Decimal("5.00")}


def test_a_given_flag_wins_over_the_order_of_the_events() -> None:
    result = run(campaign(deal()), [sale("S1", at(3), "100.00", new_customer=False)])
    assert amounts(result) == {"commission:S1:returning": Decimal("5.00")}
