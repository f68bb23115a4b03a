"""Sub-affiliate overrides: a parent's share of its recruits' commission lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import at, campaign, credit, eur, lines, run, sale

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import Cap, CapScope, PercentRate, SubAffiliateOverride
from hybridroi.events.records import Refund
from hybridroi.serialization import structure, unstructure
from hybridroi.statements.lines import LineKind

PARTNERS = ("lea", "max", "parent", "grand")


def child_deal(partner: str, rate: str = "0.10", **fields: object) -> AffiliateDeal:
    return AffiliateDeal(
        id=f"D-{partner}",
        partner_id=partner,
        rules=[PercentRate(id="pct", rate=rate)],
        **fields,  # type: ignore[arg-type]
    )


def parent_deal(*children: str, share: str = "0.10", **fields: object) -> AffiliateDeal:
    return AffiliateDeal(
        id="D-parent",
        partner_id="parent",
        rules=[
            PercentRate(id="pct", rate="0.10"),
            SubAffiliateOverride(id="ovr", children=children, share=share),
        ],
        **fields,  # type: ignore[arg-type]
    )


def test_the_parent_earns_ten_percent_of_leas_commission() -> None:
    order = sale("S1", at(5), "120.00")
    result = run(
        campaign(child_deal("lea"), parent_deal("lea"), partners=PARTNERS),
        [order],
        credits=[credit(order, "lea")],
    )
    assert lines(result, "lea")["commission:S1:pct"].amount == eur("12.00")  # 10% of 120.00
    (line,) = lines(result, "parent").values()
    assert line.key == "override:ovr:lea:commission:S1:pct"
    assert line.kind is LineKind.COMMISSION
    assert line.rule_id == "ovr"
    assert line.amount == eur("1.20")  # 10% of 12.00
    assert line.explanation == "10% override on lea's commission of EUR 12.00 = EUR 1.20"
    assert line.earned_at == at(5)
    assert line.source_ids == ("S1",)
    assert result.problems == ()


def test_the_override_follows_a_refund_of_the_child_sale() -> None:
    order = sale("S1", at(5), "120.00")
    the_campaign = campaign(child_deal("lea"), parent_deal("lea"), partners=PARTNERS)
    refund = Refund(id="R1", conversion_id="S1", instant=at(20), amount=eur("30.00"))
    before = run(the_campaign, [order], credits=[credit(order, "lea")], as_of=at(10))
    after = run(the_campaign, [order], [refund], credits=[credit(order, "lea")])
    key = "override:ovr:lea:commission:S1:pct"
    assert lines(before, "parent")[key].amount == eur("1.20")
    # Lea keeps 10% of 90.00 = 9.00; the parent 10% of that = 0.90: the ledger claws 0.30 back.
    assert lines(after, "parent")[key].amount == eur("0.90")
    assert lines(after, "parent")[key].source_ids == ("S1", "R1")
    full = Refund(id="R2", conversion_id="S1", instant=at(21), amount=eur("90.00"))
    gone = run(the_campaign, [order], [refund, full], credits=[credit(order, "lea")])
    assert lines(gone, "parent")[key].amount == eur("0.00")  # kept at zero, reversed by difference


def test_the_override_is_on_what_the_child_is_paid_after_its_caps() -> None:
    capped = AffiliateDeal(
        id="D-lea",
        partner_id="lea",
        rules=[
            PercentRate(id="pct", rate="0.10"),
            Cap(id="cap", scope=CapScope.SALE, amount=eur("5.00")),
        ],
    )
    order = sale("S1", at(5), "120.00")
    result = run(
        campaign(capped, parent_deal("lea"), partners=PARTNERS),
        [order],
        credits=[credit(order, "lea")],
    )
    line = lines(result, "parent")["override:ovr:lea:commission:S1:pct"]
    assert line.amount == eur("0.50")  # 10% of the capped 5.00, not of 12.00


def test_an_override_is_never_overridden_unless_listed() -> None:
    grand = AffiliateDeal(
        id="D-grand",
        partner_id="grand",
        rules=[SubAffiliateOverride(id="g", children=["parent"], share="0.50")],
    )
    lea_sale, parent_sale = sale("S1", at(5), "100.00"), sale("S2", at(6), "40.00")
    result = run(
        campaign(child_deal("lea"), parent_deal("lea"), grand, partners=PARTNERS),
        [lea_sale, parent_sale],
        credits=[credit(lea_sale, "lea"), credit(parent_sale, "parent")],
    )
    assert lines(result, "parent")["override:ovr:lea:commission:S1:pct"].amount == eur("1.00")
    # The grandparent earns on the parent's own commission (4.00) only, not on its override.
    assert {key: line.amount for key, line in lines(result, "grand").items()} == {
        "override:g:parent:commission:S2:pct": eur("2.00")
    }


def test_an_explicit_chain_lists_the_grandchild() -> None:
    grand = AffiliateDeal(
        id="D-grand",
        partner_id="grand",
        rules=[SubAffiliateOverride(id="g", children=["lea", "parent"], share="0.05")],
    )
    order = sale("S1", at(5), "100.00")
    result = run(
        campaign(child_deal("lea"), parent_deal("lea"), grand, partners=PARTNERS),
        [order],
        credits=[credit(order, "lea")],
    )
    assert set(lines(result, "grand")) == {"override:g:lea:commission:S1:pct"}
    assert lines(result, "grand")["override:g:lea:commission:S1:pct"].amount == eur("0.50")


def test_the_override_is_paid_in_the_parents_currency() -> None:
    fx = FxRates.from_rows([("USD", "EUR", date(2026, 1, 1), "0.92")])
    order = sale("S1", at(5), Money("120.00", "USD"))
    result = run(
        campaign(child_deal("lea", currency="USD"), parent_deal("lea"), partners=PARTNERS, fx=fx),
        [order],
        credits=[credit(order, "lea")],
    )
    line = lines(result, "parent")["override:ovr:lea:commission:S1:pct"]
    # 10% of USD 12.00 x 0.92 = EUR 1.104, rounded once: EUR 1.10.
    assert line.amount == eur("1.10")
    assert line.fx is not None
    assert line.fx.rate == Decimal("0.92")
    assert line.explanation == (
        "10% override on lea's commission of USD 12.00 = EUR 1.10 "
        "[converted from USD 12.00 at 0.92 (2026-01-01)]"
    )


def test_a_missing_rate_or_an_unknown_child_is_a_problem() -> None:
    order = sale("S1", at(5), Money("120.00", "USD"))
    result = run(
        campaign(
            child_deal("lea", currency="USD"),
            parent_deal("lea", "ghost"),
            partners=PARTNERS,
        ),
        [order],
        credits=[credit(order, "lea")],
    )
    assert lines(result, "parent") == {}
    kinds = sorted(problem.kind.value for problem in result.problems)
    assert kinds == sorted([ProblemKind.CURRENCY.value, ProblemKind.INVALID.value])


def test_an_override_is_checked() -> None:
    with pytest.raises(InvalidValueError, match="SubAffiliateOverride.share"):
        SubAffiliateOverride(id="o", children=["lea"], share="0")
    with pytest.raises(InvalidValueError, match="SubAffiliateOverride.children"):
        SubAffiliateOverride(id="o", children=[], share="0.1")
    with pytest.raises(InvalidValueError, match="itself"):
        parent_deal("parent")
    with pytest.raises(InvalidValueError, match="already overridden"):
        AffiliateDeal(
            id="D",
            partner_id="parent",
            rules=[
                SubAffiliateOverride(id="a", children=["lea"], share="0.1"),
                SubAffiliateOverride(id="b", children=["lea", "max"], share="0.1"),
            ],
        )


def test_the_override_round_trips_through_serialization() -> None:
    rule = SubAffiliateOverride(id="ovr", children=["max", "lea"], share="0.10")
    data = unstructure(rule)
    assert data == {"id": "ovr", "children": ["lea", "max"], "share": "0.10"}
    assert structure(data, SubAffiliateOverride) == rule
    deal = parent_deal("lea")
    assert structure(unstructure(deal), AffiliateDeal) == deal


@settings(max_examples=40, deadline=None)
@given(
    revenues=st.lists(st.integers(min_value=1, max_value=500_000), min_size=1, max_size=6),
    share=st.sampled_from(["0.10", "0.05", "0.333", "1"]),
    refunded=st.integers(min_value=0, max_value=100),
)
def test_each_override_line_is_its_share_of_a_child_line_rounded_once(
    revenues: list[int], share: str, refunded: int
) -> None:
    """Oracle: one override line per child commission line, share x amount, half up."""
    orders = [
        sale(f"S{index}", at(1 + index), Money.from_minor(cents, "EUR"))
        for index, cents in enumerate(revenues)
    ]
    back = revenues[0] * refunded // 100
    refunds = (
        [Refund(id="R0", conversion_id="S0", instant=at(20), amount=Money.from_minor(back, "EUR"))]
        if back
        else []
    )
    result = run(
        campaign(
            child_deal("lea", rate="0.07"), parent_deal("lea", share=share), partners=PARTNERS
        ),
        orders,
        refunds,
        credits=[credit(order, "lea") for order in orders],
    )
    child = lines(result, "lea")
    parent = lines(result, "parent")
    assert set(parent) == {f"override:ovr:lea:{key}" for key in child}
    for key, line in child.items():
        exact = Fraction(line.amount.minor_units) * Fraction(Decimal(share))
        expected = int(exact + Fraction(1, 2))  # half up, amounts >= 0
        assert parent[f"override:ovr:lea:{key}"].amount.minor_units == expected
        assert parent[f"override:ovr:lea:{key}"].earned_at == line.earned_at
