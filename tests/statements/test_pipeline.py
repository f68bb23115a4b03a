"""The whole pipeline (events -> attribution -> statements) and rules as data."""

from __future__ import annotations

import gc
import json
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from tests.statements.strategies import AS_OF, at, campaign, credit, eur, sale

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.money import Rounding
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.conditions import CountryIn, CustomerIs, OrderValue, PromoCodeUsed
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RecoverableDraw,
    RecurringRate,
    RuleOutcome,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Event, Refund, Touch
from hybridroi.serialization import structure, unstructure
from hybridroi.statements.context import SaleContext
from hybridroi.statements.engine import compute_statements, price_credits
from hybridroi.statements.explain import render_statement


def test_compute_statements_runs_attribution_then_pricing_in_any_order() -> None:
    deal = AffiliateDeal(id="D", partner_id="A", rules=[PercentRate(id="pct", rate="0.10")])
    the_campaign = campaign(deal, partners=["A", "B"])
    click = Touch(
        id="K1", kind=TouchKind.CLICK, instant=at(2), customer_key="cust-S1", partner_id="A"
    )
    other = Touch(
        id="K2", kind=TouchKind.CLICK, instant=at(1), customer_key="cust-S2", partner_id="B"
    )
    conversions = [sale("S1", at(3), "120.00"), sale("S2", at(3), "50.00")]
    refund = Refund(id="R1", conversion_id="S1", instant=at(4), amount=eur("20.00"))
    events: list[Event] = [click, other, *conversions, refund]
    result = compute_statements(the_campaign, events, as_of=AS_OF)
    reversed_result = compute_statements(the_campaign, list(reversed(events)), as_of=AS_OF)
    assert result.statements == reversed_result.statements
    (statement,) = result.statements  # B has no deal: no statement
    # 10% of (120.00 - 20.00) = 10.00
    assert statement.commissions == eur("10.00")
    assert [c.partner_id for c in result.attribution.credits] == ["A", "B"]
    assert "A 2026-01 (EUR)" in render_statement(statement)
    earlier = compute_statements(the_campaign, events, as_of=at(2) + timedelta(hours=1))
    assert earlier.statements == ()


def test_every_rule_round_trips_through_plain_data() -> None:
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        currency="EUR",
        precedence=Precedence.HIGHEST,
        rounding=Rounding.HALF_EVEN,
        statement_period=PeriodKind.WEEK,
        rules=[
            PercentRate(id="pct", rate="0.12", conditions=[CustomerIs(new=True)]),
            FlatPerSale(id="flat", amount=eur("5.00")),
            FlatPerItem(id="item", amount=eur("1.00")),
            PerLead(id="lead", amount=eur("2.00")),
            TieredRate(
                id="tiers",
                bands=[Band(start=0, rate="0.1"), Band(start=100, rate="0.2", bonus=eur("10"))],
                mode=TierMode.VOLUME,
                basis=TierBasis.COUNT,
                reset=PeriodKind.QUARTER,
            ),
            PerClick(id="cpc", amount=eur("0.10")),
            CpmViews(id="cpm", amount=eur("8.00"), content_ids=["V1"]),
            RecurringRate(id="recurring", rate="0.05", months=6),
            Cap(id="cap", scope=CapScope.PERIOD, amount=eur("100.00")),
            ThresholdBonus(id="bonus", metric=TierBasis.REVENUE, threshold="1000", rate="0.05"),
            GuaranteedMinimum(id="min", amount=eur("50.00")),
            RecoverableDraw(id="draw", amount=eur("60.00")),
            NetworkFee(id="network", rate="0.30"),
        ],
        program_rules=[
            PercentRate(id="default", rate="0.04", conditions=[PromoCodeUsed(codes=["X"])]),
            PercentRate(
                id="fr",
                rate="0.05",
                conditions=[CountryIn(countries=["FR"]), OrderValue(minimum=eur("10"))],
            ),
        ],
    )
    data = unstructure(deal)
    assert data["rules"][0]["type"] == "PercentRate"
    assert data["rules"][0]["rate"] == "0.12"
    assert structure(json.loads(json.dumps(data)), AffiliateDeal) == deal
    assert Decimal(data["rules"][4]["bands"][1]["rate"]) == Decimal("0.2")


@attrs.frozen
class CollectorProbe:
    """A custom rule that records whether the garbage collector runs while pricing."""

    seen: list[bool] = attrs.field(factory=list, eq=False)
    id: str = "probe"

    def price(self, sale: SaleContext) -> RuleOutcome | None:
        self.seen.append(gc.isenabled())
        return None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_while_pricing_then_restored(enabled: bool) -> None:
    probe = CollectorProbe()
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PercentRate(id="pct", rate="0.10")],
        custom_rules=[probe],
    )
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        run = compute_statements(campaign(deal), [sale("S1", at(3), "10.00")], as_of=AS_OF)
        assert run.statements == ()  # no click: nothing attributed
        conversion = sale("S2", at(3), "10.00")
        priced = price_credits(
            campaign(deal),
            AttributionResult(credits=(credit(conversion),), unattributed=(), problems=()),
            EventBatch(conversions=[conversion]),
            as_of=AS_OF,
        )
        assert priced.statements[0].commissions == eur("1.00")
        assert probe.seen == [False]
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
