"""A credited sale that no rate rule prices is a problem of the run, never dropped."""

from __future__ import annotations

from fractions import Fraction

from tests.statements.strategies import at, campaign, credit, eur, lines, run, sale

from hybridroi.core.problems import ProblemKind
from hybridroi.domain.conditions import CountryIn
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import FlatPerSale, PercentRate, PerClick, PerLead
from hybridroi.events.records import ConversionKind


def test_a_credited_sale_that_matches_no_rate_rule_is_a_problem() -> None:
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[
            PercentRate(id="fr", rate="0.10", conditions=[CountryIn(countries=["FR"])]),
            FlatPerSale(id="de", amount=eur("5.00"), conditions=[CountryIn(countries=["DE"])]),
        ],
    )
    conversion = sale("S1", at(2), "84.00", country="US")
    result = run(campaign(deal), [conversion], credits=[credit(conversion, share=Fraction(1, 3))])
    assert lines(result) == {}
    (problem,) = result.problems
    assert problem.kind is ProblemKind.UNPRICED
    assert problem.subject == "conversion:S1"
    for part in ("S1", "partner A", "deal D", "fr", "de", "1/3"):
        assert part in problem.message, part


def test_a_sale_priced_by_a_rule_raises_no_problem() -> None:
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PercentRate(id="fr", rate="0.10", conditions=[CountryIn(countries=["FR"])])],
        program_rules=[PercentRate(id="default", rate="0.05")],
    )
    result = run(campaign(deal), [sale("S1", at(2), "84.00", country="US")])
    assert lines(result)["commission:S1:default"].amount == eur("4.20")
    assert result.problems == ()


def test_a_lead_on_a_deal_that_pays_no_leads_is_not_a_problem() -> None:
    # A deal without a lead rule does not price leads: that is the deal, not bad input.
    deal = AffiliateDeal(id="D", partner_id="A", rules=[PercentRate(id="pct", rate="0.10")])
    lead = sale("L1", at(2), "0.00", kind=ConversionKind.LEAD)
    result = run(campaign(deal), [lead])
    assert result.problems == ()


def test_a_lead_that_matches_no_lead_rule_is_a_problem() -> None:
    deal = AffiliateDeal(
        id="D",
        partner_id="A",
        rules=[PerLead(id="fr-lead", amount=eur("2.00"), conditions=[CountryIn(countries=["FR"])])],
    )
    lead = sale("L1", at(2), "0.00", kind=ConversionKind.LEAD, country="US")
    (problem,) = run(campaign(deal), [lead]).problems
    assert problem.kind is ProblemKind.UNPRICED
    assert "fr-lead" in problem.message


def test_a_deal_without_rate_rules_prices_no_sale_and_reports_none() -> None:
    deal = AffiliateDeal(id="D", partner_id="A", rules=[PerClick(id="k", amount=eur("0.10"))])
    assert run(campaign(deal), [sale("S1", at(2), "84.00")]).problems == ()
