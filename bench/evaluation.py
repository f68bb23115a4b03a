"""Benchmark: Monte Carlo evaluation of five candidate deals, against the full pipeline.

Usage::

    python bench/evaluation.py [DRAWS] [--baseline-draws N]

DRAWS is the number of scenarios per deal (default 10,000). The five deals are
the EUR 5,000 question's three (EUR 5,000 flat; EUR 1,500 + 10%; 20% pure
affiliate), a graduated tier (15% of revenue up to EUR 5,000, 25% above) and
EUR 1,000 + 15% with a EUR 3,000 lifetime cap. The forecast: three videos of
log-normal views, beta click-through, conversion and refund rates, a triangular
margin, and order values resampled from a past campaign's 400 orders
(:class:`Empirical`). A second run draws the order value from a triangular
distribution in whole euros, which gives the tier and cap deals many more
distinct order values to price.

The timed part is :func:`hybridroi.evaluation.simulate`: drawing the
scenarios, pricing them through the engine's shortcuts and summarizing.

The baseline prices a few draws the slow way, through the whole statement
pipeline (a click and an order event per kept order, then
:func:`~hybridroi.statements.engine.compute_statements`: checking, attribution
and pricing), checks that every cost agrees to the cent with the evaluation,
and scales its time per draw to all draws of all deals.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.domain.partners import Influencer
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import Cap, CapScope, PercentRate, TieredRate
from hybridroi.domain.tiers import Band
from hybridroi.evaluation import (
    Beta,
    Candidate,
    DealEvaluation,
    Empirical,
    Forecast,
    LogNormal,
    Triangular,
    simulate,
)
from hybridroi.events.records import Conversion, Event, Touch
from hybridroi.statements.engine import compute_statements

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 1, tzinfo=PARIS)
CAMPAIGN = Campaign(
    id="bench",
    name="Deal evaluation benchmark",
    currency="EUR",
    timezone="Europe/Paris",
    start=START,
    end=datetime(2026, 4, 1, tzinfo=PARIS),
    partners=[Influencer(id="lea", name="Lea")],
)


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _fee(amount: str) -> InfluencerFee:
    return InfluencerFee(
        id="fee", partner_id="lea", kind=FeeKind.ONE_OFF, amount=_eur(amount), due=START
    )


def _deal(*rules: PercentRate | TieredRate | Cap) -> AffiliateDeal:
    return AffiliateDeal(id="deal", partner_id="lea", rules=rules)


CANDIDATES = (
    Candidate(name="EUR 5,000 flat", partner_id="lea", fees=[_fee("5000")]),
    Candidate(
        name="EUR 1,500 + 10%",
        partner_id="lea",
        fees=[_fee("1500")],
        deal=_deal(PercentRate(id="ten", rate="0.10")),
    ),
    Candidate(
        name="20% affiliate", partner_id="lea", deal=_deal(PercentRate(id="pct", rate="0.2"))
    ),
    Candidate(
        name="15%/25% tiers",
        partner_id="lea",
        deal=_deal(
            TieredRate(
                id="tiers", bands=[Band(start=0, rate="0.15"), Band(start=5000, rate="0.25")]
            )
        ),
    ),
    Candidate(
        name="EUR 1,000 + 15% capped",
        partner_id="lea",
        fees=[_fee("1000")],
        deal=_deal(
            PercentRate(id="pct", rate="0.15"),
            Cap(id="cap", scope=CapScope.LIFETIME, amount=_eur("3000")),
        ),
    ),
)


def past_order_values() -> Empirical:
    """Order values of a past campaign: 400 orders of eight baskets."""
    rng = random.Random(2025)
    baskets = ["29.90", "34.90", "39.90", "44.80", "49.90", "59.80", "64.90", "89.70"]
    return Empirical(values=[rng.choice(baskets) for _ in range(400)])


def forecast(*, continuous: bool) -> Forecast:
    """The benchmark's forecast; ``continuous`` draws order values in whole euros."""
    return Forecast(
        currency="EUR",
        views=LogNormal(median="200000", sigma="0.8"),
        pieces=3,
        click_through_rate=Beta.from_mean("0.012", 400),
        conversion_rate=Beta.from_mean("0.025", 300),
        order_value=(
            Triangular(low="35", mode="48", high="70") if continuous else past_order_values()
        ),
        order_value_step=Decimal(1) if continuous else None,
        margin=Triangular(low="0.55", mode="0.60", high="0.65"),
        refund_rate=Beta.from_mean("0.08", 200),
    )


def _events(sales: int, value: int) -> list[Event]:
    events: list[Event] = []
    for index in range(sales):
        instant = START + timedelta(seconds=index)
        events.append(
            Touch(
                id=f"click-{index}",
                kind=TouchKind.CLICK,
                instant=instant,
                customer_key=f"customer-{index}",
                partner_id="lea",
            )
        )
        events.append(
            Conversion(
                id=f"order-{index}",
                instant=instant,
                customer_key=f"customer-{index}",
                revenue=Money.from_minor(value, "EUR"),
            )
        )
    return events


def baseline(
    chosen: Forecast, evaluations: Sequence[DealEvaluation], draws: int, seed: int
) -> float:
    """Seconds per (draw, deal) through the full pipeline; checks every cost to the cent."""
    scenarios = chosen.draws(draws, seed)
    as_of = CAMPAIGN.end - timedelta(microseconds=1)
    elapsed = 0.0
    for index, (sales, value, _margin) in enumerate(scenarios):
        events = _events(sales, value)
        for candidate, evaluation in zip(CANDIDATES, evaluations, strict=True):
            setting = attrs.evolve(
                CAMPAIGN,
                fees=candidate.fees,
                deals=() if candidate.deal is None else (candidate.deal,),
            )
            began = time.perf_counter()
            run = compute_statements(setting, events, as_of=as_of)
            elapsed += time.perf_counter() - began
            cost = sum(statement.total_cost.minor_units for statement in run.statements)
            if cost != evaluation.cost_draws[index]:
                raise AssertionError(
                    f"{candidate.name}, draw {index}: pipeline {cost} != evaluation "
                    f"{evaluation.cost_draws[index]}"
                )
    return elapsed / (draws * len(CANDIDATES))


def main(size: int = 10_000, baseline_draws: int = 20, seed: int = 1) -> dict[str, float]:
    """Run the benchmark and print its figures.

    Args:
        size: Draws per deal.
        baseline_draws: Draws priced through the full pipeline (at most ``size``).
        seed: Seed of the draws.

    Returns:
        The figures: seconds for each forecast, evaluations per second, the
        baseline's scaled seconds and the speed-up.
    """
    evaluations_count = size * len(CANDIDATES)
    began = time.perf_counter()
    empirical = forecast(continuous=False)
    results = simulate(CAMPAIGN, CANDIDATES, empirical, draws=size, seed=seed)
    catalogue_s = time.perf_counter() - began
    began = time.perf_counter()
    simulate(CAMPAIGN, CANDIDATES, forecast(continuous=True), draws=size, seed=seed)
    continuous_s = time.perf_counter() - began
    per_evaluation = baseline(empirical, results, min(baseline_draws, size), seed)
    baseline_s = per_evaluation * evaluations_count
    figures = {
        "evaluation_s": catalogue_s,
        "evaluations_per_s": evaluations_count / catalogue_s,
        "continuous_s": continuous_s,
        "baseline_s": baseline_s,
        "speedup": baseline_s / catalogue_s,
    }
    print(
        f"{size:,} draws x {len(CANDIDATES)} deals = {evaluations_count:,} evaluations "
        f"(past order values): {catalogue_s:.3f} s, "
        f"{figures['evaluations_per_s']:,.0f} evaluations/s"
    )
    for result in results:
        print(f"  {result.candidate:<24} {result.path.value:<10} {result.expected_cost}")
    print(f"same, order values drawn in whole euros: {continuous_s:.3f} s")
    print(
        f"baseline, full statement pipeline per draw ({min(baseline_draws, size)} draws x "
        f"{len(CANDIDATES)} deals, costs equal to the cent), scaled to {evaluations_count:,}: "
        f"{baseline_s:.1f} s; ratio {figures['speedup']:,.0f}x"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=10_000)
    parser.add_argument("--baseline-draws", type=int, default=20)
    arguments = parser.parse_args()
    main(arguments.size, arguments.baseline_draws)
