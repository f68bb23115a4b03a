"""Unit prices finer than the minor unit: exact in rules and items, rounded once per line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import at, campaign, credit, eur, lines, run, sale

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content, ContentFormat, Platform
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import CpmViews, FlatPerItem, FlatPerSale, PerClick, PerLead
from hybridroi.events.records import LineItem, Touch
from hybridroi.files.events import format_events, parse_events
from hybridroi.serialization import structure, unstructure


def exact(amount: str, currency: str = "EUR") -> UnroundedMoney:
    return UnroundedMoney(amount, currency)


def clicks(count: int) -> list[Touch]:
    return [
        Touch(
            id=f"K{n:03d}",
            kind=TouchKind.CLICK,
            instant=at(2) + timedelta(minutes=n),
            customer_key=f"visitor-{n}",
            partner_id="A",
        )
        for n in range(count)
    ]


def click_line_amount(amount: UnroundedMoney | Money, count: int, rounding: Rounding) -> Money:
    deal = AffiliateDeal(
        id="D", partner_id="A", rules=[PerClick(id="k", amount=amount)], rounding=rounding
    )
    return lines(run(campaign(deal), [], touches=clicks(count)))["clicks:k:2026-01"].amount


def test_thirty_clicks_at_a_twentieth_of_a_cent_are_rounded_once() -> None:
    # 30 x 0.0005 = 0.015: 1.5 cents, paid as 2 (half up), 1 rounded down
    assert click_line_amount(exact("0.0005"), 30, Rounding.HALF_UP) == eur("0.02")
    assert click_line_amount(exact("0.0005"), 30, Rounding.DOWN) == eur("0.01")
    deal = AffiliateDeal(id="D", partner_id="A", rules=[PerClick(id="k", amount=exact("0.0005"))])
    line = lines(run(campaign(deal), [], touches=clicks(30)))["clicks:k:2026-01"]
    assert line.explanation == "30 clicks x EUR 0.0005 = EUR 0.02"


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=99))
@settings(max_examples=40, deadline=None)
def test_click_lines_round_the_exact_product_once(count: int, tenths_of_a_mill: int) -> None:
    price = Decimal(tenths_of_a_mill).scaleb(-4)
    expected = (UnroundedMoney(price, "EUR") * count).round()
    assert click_line_amount(exact(str(price)), count, Rounding.HALF_UP) == expected


@pytest.mark.parametrize(
    ("currency", "expected"), [("EUR", Money("47.34", "EUR")), ("JPY", Money("47", "JPY"))]
)
def test_a_per_item_price_of_four_decimals_for_a_fractional_quantity(
    currency: str, expected: Money
) -> None:
    # 4.4556 x 10.625 = 47.34075, rounded once
    item = LineItem(sku="bulk", quantity="10.625", unit_price=exact("4.4556", currency))
    assert item.net == expected
    deal = AffiliateDeal(
        id="D", partner_id="A", rules=[FlatPerItem(id="item", amount=exact("4.4556", currency))]
    )
    the_campaign = attrs.evolve(campaign(deal), currency=currency)
    conversion = sale("S1", at(2), Money("100", currency), items=[item])
    line = lines(run(the_campaign, [conversion]))["commission:S1:item"]
    assert line.amount == expected
    assert line.explanation == f"{currency} 4.4556 x 10.625 items = {expected}"


def test_a_cpm_finer_than_the_minor_unit() -> None:
    content = Content(
        id="V1",
        partner_id="A",
        platform=Platform.TIKTOK,
        format=ContentFormat.SHORT_VIDEO,
        published_at=at(3),
    )
    deal = AffiliateDeal(id="D", partner_id="A", rules=[CpmViews(id="cpm", amount=exact("1.2345"))])
    result = run(campaign(deal, contents=[content]), [], views={"V1": 1500})
    # 1,500 / 1,000 x 1.2345 = 1.85175
    assert lines(result)["cpm:cpm:V1"].amount == eur("1.85")


@pytest.mark.parametrize("rule_type", [PerClick, FlatPerItem, FlatPerSale, PerLead, CpmViews])
def test_rule_amounts_are_exact_and_accept_money(rule_type: type) -> None:
    rule = rule_type(id="r", amount=eur("1.50"))
    assert rule.amount == exact("1.50")
    assert isinstance(rule.amount, UnroundedMoney)
    assert rule_type(id="r", amount=exact("0.0005")).amount == exact("0.0005")
    with pytest.raises(InvalidValueError, match=f"{rule_type.__name__}.amount"):
        rule_type(id="r", amount=exact("-0.0005"))
    with pytest.raises(TypeError, match=f"{rule_type.__name__}.amount"):
        rule_type(id="r", amount=Decimal("1.50"))


def test_a_rule_with_an_exact_amount_reads_and_writes_a_campaign_document() -> None:
    rule = structure({"id": "k", "amount": "0.0005 EUR"}, PerClick)
    assert rule == PerClick(id="k", amount=exact("0.0005"))
    assert structure(unstructure(rule), PerClick) == rule
    deal = AffiliateDeal(id="D", partner_id="A", rules=[rule])
    assert structure(unstructure(deal), AffiliateDeal) == deal


def test_a_rule_amount_in_another_currency_than_the_deal_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"rules\[k\].amount"):
        AffiliateDeal(
            id="D",
            partner_id="A",
            currency="EUR",
            rules=[PerClick(id="k", amount=exact("1", "USD"))],
        )


# Line items -----------------------------------------------------------------------------


def test_item_unit_prices_are_exact_and_accept_money() -> None:
    item = LineItem(sku="s", quantity=3, unit_price=eur("10.00"))
    assert item.unit_price == exact("10.00")
    assert item.net == eur("30.00")
    third = LineItem(sku="s", quantity=3, unit_price=exact("0.3333"))
    assert third.net == eur("1.00")  # 0.9999, rounded once


@pytest.mark.parametrize("price", [eur("-24.00"), exact("-0.0001")])
def test_a_negative_item_unit_price_is_refused(price: Money | UnroundedMoney) -> None:
    with pytest.raises(InvalidValueError, match=r"LineItem.unit_price"):
        LineItem(sku="s", quantity=1, unit_price=price)


def test_an_item_unit_price_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match=r"LineItem.unit_price"):
        LineItem(sku="s", quantity=1, unit_price=Decimal("10"))


def test_an_event_file_with_a_negative_item_price_reports_it_where_it_is() -> None:
    text = """\
type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price
sale,S-1,2026-03-07T10:00:00+01:00,c1,84.00,EUR,,,,
item,,,,,EUR,S-1,A,1,108.00
item,,,,,EUR,S-1,B,1,-24.00
"""
    loaded = parse_events(text, format="csv", source="sales.csv")
    assert [(p.source, p.field) for p in loaded.problems] == [("sales.csv:4", "unit_price")]
    assert ">= 0" in loaded.problems[0].message


def test_an_event_file_with_an_inline_negative_item_price_reports_it() -> None:
    text = (
        '{"type": "sale", "id": "S-1", "instant": "2026-03-07T10:00:00+01:00", '
        '"customer_key": "c1", "revenue": "84.00", "currency": "EUR", "items": ['
        '{"sku": "A", "quantity": "1", "unit_price": "108.00"}, '
        '{"sku": "B", "quantity": "1", "unit_price": "-24.00"}]}\n'
    )
    loaded = parse_events(text, format="jsonl", source="sales.jsonl")
    assert [(p.source, p.field) for p in loaded.problems] == [
        ("sales.jsonl:1", "items[1].unit_price")
    ]
    assert loaded.conversions == ()


def test_an_event_file_keeps_an_item_price_finer_than_the_minor_unit() -> None:
    text = """\
type,id,instant,customer_key,revenue,currency,conversion_id,sku,quantity,unit_price
sale,S-1,2026-03-07T10:00:00+01:00,c1,47.34,EUR,,,,
item,,,,,EUR,S-1,A,10.625,4.4556
"""
    loaded = parse_events(text, format="csv", source="sales.csv")
    assert loaded.problems == ()
    (conversion,) = loaded.conversions
    (item,) = conversion.items
    assert item.unit_price == exact("4.4556")
    assert item.net == eur("47.34")
    for fmt in ("csv", "jsonl"):
        again = parse_events(format_events([conversion], format=fmt), format=fmt)
        assert again.conversions == (conversion,)


def test_a_share_of_an_exact_per_sale_amount_is_rounded_once() -> None:
    deal = AffiliateDeal(id="D", partner_id="A", rules=[FlatPerSale(id="f", amount=exact("0.015"))])
    conversion = sale("S1", at(2), "10.00")
    result = run(campaign(deal), [conversion], credits=[credit(conversion, share=Fraction(1, 2))])
    # 1/2 x 0.015 = 0.0075 -> 0.01
    assert lines(result)["commission:S1:f"].amount == eur("0.01")
