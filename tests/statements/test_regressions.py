"""Regression tests for defects found in the commission engine's inputs and conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.conditions import PromoCodeUsed
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Affiliate
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import PercentRate
from hybridroi.events.records import Conversion, Touch
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import LineKind

MARCH = datetime(2026, 3, 5, tzinfo=UTC)


def _campaign(*deals: AffiliateDeal) -> Campaign:
    return Campaign(
        id="c",
        name="C",
        currency="EUR",
        timezone="Europe/Paris",
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 12, 1, tzinfo=UTC),
        partners=[Affiliate(id="a", name="A")],
        deals=deals,
    )


def test_a_partner_cannot_hold_two_deals() -> None:
    # Two deals would each price the same credited sale: one sale paid twice.
    first = AffiliateDeal(id="d1", partner_id="a", rules=[PercentRate(id="p1", rate="0.10")])
    second = AffiliateDeal(id="d2", partner_id="a", rules=[PercentRate(id="p2", rate="0.10")])
    with pytest.raises(InvalidValueError, match=r"one deal per partner.*'a'"):
        _campaign(first, second)


def test_discount_code_rate_ignores_letter_case() -> None:
    # Attribution matched the order's "summer10" to the partner's SUMMER10 touch; the lower
    # discount-code rate must apply too: 2% of EUR 100.00 = EUR 2.00, not the 10% default.
    deal = AffiliateDeal(
        id="d",
        partner_id="a",
        rules=[
            PercentRate(id="promo", rate="0.02", conditions=[PromoCodeUsed(codes=["SUMMER10"])]),
            PercentRate(id="standard", rate="0.10"),
        ],
    )
    events: list[Touch | Conversion] = [
        Touch(
            id="t1",
            kind=TouchKind.PROMO_CODE,
            customer_key="x",
            partner_id="a",
            link_id="SUMMER10",
            instant=MARCH,
        ),
        Conversion(
            id="s1",
            instant=MARCH + timedelta(hours=1),
            customer_key="x",
            revenue=Money("100.00", "EUR"),
            promo_code="summer10",
        ),
    ]
    run = compute_statements(_campaign(deal), events, as_of=datetime(2026, 4, 1, tzinfo=UTC))
    lines = [line for s in run.statements for line in s.lines if line.kind is LineKind.COMMISSION]
    assert [(line.rule_id, line.amount) for line in lines] == [("promo", Money("2.00", "EUR"))]


def test_tax_and_shipping_cannot_exceed_gross() -> None:
    # A gross-less-tax base would go negative and price at a negative commission.
    with pytest.raises(InvalidValueError, match="Conversion.gross: expected at least the tax"):
        Conversion(
            id="s",
            instant=MARCH,
            customer_key="x",
            revenue=Money("10", "EUR"),
            gross=Money("10", "EUR"),
            tax=Money("50", "EUR"),
        )
    with pytest.raises(InvalidValueError, match="Conversion.gross"):
        Conversion(
            id="s",
            instant=MARCH,
            customer_key="x",
            revenue=Money("10", "EUR"),
            gross=Money("6", "EUR"),
            tax=Money("2", "EUR"),
            shipping=Money("5", "EUR"),
        )
    ok = Conversion(
        id="s",
        instant=MARCH,
        customer_key="x",
        revenue=Money("10", "EUR"),
        gross=Money("17", "EUR"),
        tax=Money("2", "EUR"),
        shipping=Money("5", "EUR"),
    )
    assert ok.gross == Money("17", "EUR")
