"""Rates on the matching line items only: the mixed cart, refunds, FX, tiers, properties."""

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
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.conditions import CategoryIn, CountryIn, SkuIn
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import (
    FlatPerItem,
    PercentRate,
    Precedence,
    RateScope,
    TieredRate,
)
from hybridroi.domain.tiers import Band
from hybridroi.events.records import Conversion, LineItem, Refund
from hybridroi.serialization import structure, unstructure

SERUM = SkuIn(skus=["serum-30ml"])
ITEMS = RateScope.MATCHING_ITEMS


def deal(*rules: object, **fields: object) -> AffiliateDeal:
    return AffiliateDeal(id="D", partner_id="A", rules=rules, **fields)  # type: ignore[arg-type]


def serum_rate(rate: str = "0.20", conditions: tuple[object, ...] = (SERUM,)) -> PercentRate:
    return PercentRate(id="serum", rate=rate, conditions=conditions, scope=ITEMS)


def mixed_cart(conversion_id: str = "S1", **fields: object) -> Conversion:
    """A EUR 10.00 serum and a EUR 1,000.00 hair dryer: a EUR 1,010.00 order."""
    return sale(
        conversion_id,
        at(5),
        "1010.00",
        items=[
            LineItem(sku="serum-30ml", quantity=1, unit_price=eur("10.00"), category="skincare"),
            LineItem(sku="dryer", quantity=1, unit_price=eur("1000.00"), category="hair"),
        ],
        **fields,
    )


def test_the_mixed_cart_pays_the_rate_on_the_serum_only() -> None:
    result = run(campaign(deal(serum_rate())), [mixed_cart()])
    (line,) = lines(result).values()
    # 20% of the serum's EUR 10.00, not of the EUR 1,010.00 cart (which would be EUR 202.00).
    assert line.key == "commission:S1:serum"
    assert line.amount == eur("2.00")
    assert line.explanation == (
        "20% of EUR 10.00, the matching items (serum-30ml) of a EUR 1,010.00 order "
        "= EUR 2.00 [sku in serum-30ml]"
    )
    assert result.problems == ()


def test_an_order_scoped_rate_still_prices_the_whole_cart() -> None:
    rule = PercentRate(id="serum", rate="0.20", conditions=[SERUM])
    result = run(campaign(deal(rule)), [mixed_cart()])
    assert lines(result)["commission:S1:serum"].amount == eur("202.00")  # 20% of 1,010.00


def test_the_rest_of_the_cart_falls_through_to_the_next_rule() -> None:
    result = run(campaign(deal(serum_rate(), PercentRate(id="base", rate="0.05"))), [mixed_cart()])
    found = lines(result)
    assert found["commission:S1:serum"].amount == eur("2.00")  # 20% of 10.00
    assert found["commission:S1:base"].amount == eur("50.00")  # 5% of 1,000.00
    assert found["commission:S1:base"].explanation == (
        "5% of EUR 1,000.00, the rest of a EUR 1,010.00 order "
        "(serum-30ml priced by rule serum) = EUR 50.00"
    )


def test_an_order_rule_declared_first_wins_the_whole_order() -> None:
    # First match in declared order: the general rate matches first and prices all.
    result = run(campaign(deal(PercentRate(id="base", rate="0.05"), serum_rate())), [mixed_cart()])
    assert {key: line.amount for key, line in lines(result).items()} == {
        "commission:S1:base": eur("50.50")  # 5% of 1,010.00
    }


def test_the_program_default_prices_the_rest_of_the_cart() -> None:
    the_deal = deal(serum_rate(), program_rules=[PercentRate(id="default", rate="0.05")])
    found = lines(run(campaign(the_deal), [mixed_cart()]))
    assert found["commission:S1:serum"].amount == eur("2.00")
    assert found["commission:S1:default"].amount == eur("50.00")
    assert found["commission:S1:default"].explanation.endswith("[program default]")


def test_a_cart_without_the_item_falls_through_or_is_unpriced() -> None:
    cart = sale(
        "S2", at(5), "30.00", items=[LineItem(sku="comb", quantity=3, unit_price=eur("10"))]
    )
    alone = run(campaign(deal(serum_rate())), [cart])
    assert lines(alone) == {}
    assert [problem.kind for problem in alone.problems] == [ProblemKind.UNPRICED]
    with_base = run(campaign(deal(serum_rate(), PercentRate(id="base", rate="0.05"))), [cart])
    assert lines(with_base)["commission:S2:base"].amount == eur("1.50")  # 5% of 30.00


def test_a_line_is_matched_by_every_item_condition_of_the_rule() -> None:
    # The serum is skincare, the dryer is hair: no single line is both serum and hair.
    rule = PercentRate(
        id="mixed",
        rate="0.20",
        conditions=[SERUM, CategoryIn(categories=["hair"])],
        scope=ITEMS,
    )
    result = run(campaign(deal(rule)), [mixed_cart()])
    assert lines(result) == {}
    assert [problem.kind for problem in result.problems] == [ProblemKind.UNPRICED]


def test_quantities_and_exact_unit_prices_are_rounded_once() -> None:
    # 3 x EUR 3.335 = EUR 10.005 exactly; 20% = EUR 2.001, paid EUR 2.00 (rounded once).
    cart = sale(
        "S3",
        at(5),
        "110.01",
        items=[
            LineItem(sku="serum-30ml", quantity=3, unit_price=UnroundedMoney("3.335", "EUR")),
            LineItem(sku="dryer", quantity=1, unit_price=eur("100.00")),
        ],
    )
    line = lines(run(campaign(deal(serum_rate())), [cart]))["commission:S3:serum"]
    assert line.amount == eur("2.00")
    assert line.explanation.startswith("20% of about EUR 10.01, the matching items (serum-30ml)")


def test_a_partial_refund_reverses_at_the_lines_own_rates() -> None:
    refund = Refund(id="R1", conversion_id="S1", instant=at(6), amount=eur("101.00"))
    result = run(
        campaign(deal(serum_rate(), PercentRate(id="base", rate="0.05"))), [mixed_cart()], [refund]
    )
    found = lines(result)
    # A tenth of the order came back: each line keeps nine tenths, at its own rate.
    assert found["commission:S1:serum"].amount == eur("1.80")  # 20% of 9.00
    assert found["commission:S1:base"].amount == eur("45.00")  # 5% of 900.00
    assert found["commission:S1:serum"].explanation == (
        "20% of EUR 9.00, the matching items (serum-30ml) of a EUR 1,010.00 order "
        "(after EUR 101.00 refunded of EUR 1,010.00) = EUR 1.80 [sku in serum-30ml]"
    )
    assert found["commission:S1:serum"].source_ids == ("S1", "R1")


def test_a_full_refund_keeps_the_line_at_zero() -> None:
    refund = Refund(id="R1", conversion_id="S1", instant=at(6), amount=eur("1010.00"))
    line = lines(run(campaign(deal(serum_rate())), [mixed_cart()], [refund]))["commission:S1:serum"]
    assert line.amount == eur("0.00")
    assert line.explanation.startswith("fully refunded: 20% of EUR 0.00, the matching items")


def test_a_shared_credit_pays_its_share_of_the_items() -> None:
    cart = mixed_cart()
    result = run(campaign(deal(serum_rate())), [cart], credits=[credit(cart, share=Fraction(1, 2))])
    line = lines(result)["commission:S1:serum"]
    assert line.amount == eur("1.00")  # 1/2 x 20% of 10.00
    assert line.explanation.startswith("1/2 share x 20% of EUR 10.00, the matching items")


def test_a_sale_in_another_currency_converts_the_items() -> None:
    fx = FxRates.from_rows([("USD", "EUR", date(2026, 1, 1), "0.90")])
    cart = sale(
        "S4",
        at(5),
        Money("1010.00", "USD"),
        items=[
            LineItem(sku="serum-30ml", quantity=1, unit_price=Money("10.00", "USD")),
            LineItem(sku="dryer", quantity=1, unit_price=Money("1000.00", "USD")),
        ],
    )
    line = lines(run(campaign(deal(serum_rate()), fx=fx), [cart]))["commission:S4:serum"]
    assert line.amount == eur("1.80")  # 20% of USD 10.00 x 0.90 = 20% of EUR 9.00
    assert line.fx is not None
    assert line.fx.rate == Decimal("0.90")


def test_a_revenue_tier_counts_the_matching_items_revenue() -> None:
    tier = TieredRate(
        id="tier",
        bands=[Band(start=0, rate="0.10"), Band(start=15, rate="0.20")],
        conditions=[SERUM],
        scope=ITEMS,
    )
    first, second = mixed_cart("S1"), mixed_cart("S2")
    found = lines(run(campaign(deal(tier)), [first, second]))
    assert found["commission:S1:tier"].amount == eur("1.00")  # 10% of 10.00
    # Volume 10.00 before: 5.00 at 10% and 5.00 at 20% = 1.50 (the dryers do not count).
    assert found["commission:S2:tier"].amount == eur("1.50")


def test_highest_compares_the_order_rules_on_the_rest() -> None:
    the_deal = deal(
        serum_rate(),
        PercentRate(id="low", rate="0.05"),
        FlatPerItem(id="flat", amount=eur("60.00")),
        precedence=Precedence.HIGHEST,
    )
    found = lines(run(campaign(the_deal), [mixed_cart()]))
    assert found["commission:S1:serum"].amount == eur("2.00")
    # The rest is one item: EUR 60.00 x 1 beats 5% of EUR 1,000.00.
    assert found["commission:S1:flat"].amount == eur("60.00")
    assert found["commission:S1:flat"].explanation == "EUR 60.00 x 1 item = EUR 60.00"
    assert "commission:S1:low" not in found


def test_other_conditions_still_apply_to_the_order() -> None:
    rule = serum_rate(conditions=(SERUM, CountryIn(countries=["FR"])))
    assert lines(run(campaign(deal(rule)), [mixed_cart(country="DE")])) == {}
    assert lines(run(campaign(deal(rule)), [mixed_cart(country="FR")]))[
        "commission:S1:serum"
    ].amount == eur("2.00")


def test_matching_items_needs_an_item_condition() -> None:
    with pytest.raises(InvalidValueError, match="PercentRate.scope"):
        PercentRate(id="p", rate="0.2", scope=ITEMS)
    with pytest.raises(InvalidValueError, match="TieredRate.scope"):
        TieredRate(
            id="t",
            bands=[Band(start=0, rate="0.1")],
            conditions=[CountryIn(countries=["FR"])],
            scope="matching_items",
        )


def test_the_scope_round_trips_through_serialization() -> None:
    rule = serum_rate()
    data = unstructure(rule)
    assert data["scope"] == "matching_items"
    assert structure(data, PercentRate) == rule
    old = {"id": "p", "rate": "0.1"}
    assert structure(old, PercentRate).scope is RateScope.ORDER


@settings(max_examples=60, deadline=None)
@given(
    cents=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=5),
    picks=st.lists(st.booleans(), min_size=5, max_size=5),
    refunded=st.integers(min_value=0, max_value=100),
)
def test_the_lines_of_an_order_never_pay_more_than_the_highest_rate_on_it(
    cents: list[int], picks: list[bool], refunded: int
) -> None:
    """Each line pays its rate on a part of the order; the parts never exceed the order.

    Oracle: the serum lines' revenue at 20% plus the rest at 5%, times what is left after
    refunds, each rounded once half up.
    """
    items = [
        LineItem(
            sku="serum-30ml" if picked else f"other-{index}",
            quantity=1,
            unit_price=Money.from_minor(amount, "EUR"),
        )
        for index, (amount, picked) in enumerate(zip(cents, picks, strict=False))
    ]
    total = sum(cents)
    cart = sale("S9", at(5), Money.from_minor(total, "EUR"), items=items)
    back = total * refunded // 100
    refunds = (
        [Refund(id="R9", conversion_id="S9", instant=at(6), amount=Money.from_minor(back, "EUR"))]
        if back
        else []
    )
    result = run(campaign(deal(serum_rate(), PercentRate(id="base", rate="0.05"))), [cart], refunds)
    found = lines(result)
    serum = sum(
        amount for amount, item in zip(cents, items, strict=False) if item.sku == "serum-30ml"
    )
    kept = Fraction(total - back, total)

    def half_up(value: Fraction) -> int:
        return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))

    expected: dict[str, int] = {}
    if serum:
        expected["commission:S9:serum"] = half_up(Fraction(serum) * Fraction(1, 5) * kept)
    if any(item.sku != "serum-30ml" for item in items):
        expected["commission:S9:base"] = half_up(Fraction(total - serum) / 20 * kept)
    assert {key: line.amount.minor_units for key, line in found.items()} == expected
    paid = sum(line.amount.minor_units for line in found.values())
    assert paid <= half_up(Fraction(total) / 5 * kept) + len(found)
