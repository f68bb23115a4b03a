"""Benchmark: events to statements for a performance program, against a pandas implementation.

Usage::

    python bench/statements.py [SIZE] [--no-baseline]

SIZE is the number of sales (default 1,000,000). There are three clicks per sale
and 200 partners (50 influencers, 150 affiliates). Every partner holds the same
deal: a percent of net revenue on monthly graduated tiers (8% up to EUR 20,000,
10% up to EUR 100,000, 12.5% above), Europe/Paris months, half-up rounding per
sale. Attribution is last click within 30 days; one sale in twenty is fully
refunded, so it earns nothing.

The data is generated with a fixed seed as library objects and is not timed. The
timed part is :func:`hybridroi.statements.engine.compute_statements` on the list of
events: checking, attribution and pricing, to finished statements. The pandas
implementation computes the same commissions from the same objects (merge_asof
last click, a cumulative sum per partner and month, the band overlaps in integer
cents) and the script checks that both agree to the cent, sale by sale.

The pricing step (:func:`~hybridroi.statements.engine.price_credits`) is then
run again on the same credits and checked batch and timed alone; checking and attribution are the
rest of the pipeline's time. Wall and CPU seconds are both printed, since the
machine may be shared. Peak memory is the process's maximum resident set size
(``ru_maxrss``), which includes the generated events.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Affiliate, Influencer, Partner
from hybridroi.domain.policy import AttributionPolicy, TouchKind
from hybridroi.domain.rules import TieredRate
from hybridroi.domain.tiers import Band, TierMode
from hybridroi.events.records import Conversion, Event, Refund, Touch
from hybridroi.statements.engine import compute_statements, price_credits
from hybridroi.statements.lines import LineKind, StatementRun

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 120
TIMEZONE = "Europe/Paris"
BANDS = (
    Band(start=Decimal(0), rate=Decimal("0.08")),
    Band(start=Decimal(20_000), rate=Decimal("0.10")),
    Band(start=Decimal(100_000), rate=Decimal("0.125")),
)
PARTNERS = 200


def build(size: int, seed: int) -> tuple[Campaign, list[Event], datetime]:
    """The campaign, its events (sales, clicks, refunds) and the as-of instant."""
    rng = random.Random(seed)
    influencers = [Influencer(id=f"inf-{i:03d}", name=f"Creator {i}") for i in range(50)]
    affiliates = [Affiliate(id=f"aff-{i:03d}", name=f"Site {i}") for i in range(150)]
    partners: list[Partner] = [*influencers, *affiliates]
    deals = [
        AffiliateDeal(
            id=f"deal-{partner.id}",
            partner_id=partner.id,
            rules=[
                TieredRate(id="tiers", bands=BANDS, mode=TierMode.GRADUATED, reset=PeriodKind.MONTH)
            ],
        )
        for partner in partners
    ]
    campaign = Campaign(
        id="bench",
        name="Benchmark",
        currency="EUR",
        timezone=TIMEZONE,
        start=START,
        end=START + timedelta(days=DAYS + 30),
        partners=partners,
        deals=deals,
    )
    prices = [Money.from_minor(rng.randrange(500, 50_000), "EUR") for _ in range(2000)]
    customers = max(1, size * 4 // 5)
    rows = sorted(
        (rng.randrange(86_400 * 5, 86_400 * DAYS), f"cust-{rng.randrange(customers):08d}")
        for _ in range(size)
    )
    clicks = []
    for _ in range(3 * size):
        second, customer = rows[rng.randrange(size)]
        at = max(0, second - rng.randrange(0, 86_400 * 40))
        clicks.append((at, customer, rng.randrange(PARTNERS)))
    clicks.sort()
    instants: dict[int, datetime] = {}

    def instant(second: int) -> datetime:
        # Share one datetime per second, as a loader reading a sorted log would.
        found = instants.get(second)
        if found is None:
            found = instants[second] = START + timedelta(seconds=second)
        return found

    events: list[Event] = [
        Touch(
            id=f"K{number:09d}",
            kind=TouchKind.CLICK,
            instant=instant(at),
            customer_key=customer,
            partner_id=partners[partner].id,
        )
        for number, (at, customer, partner) in enumerate(clicks)
    ]
    for number, (second, customer) in enumerate(rows):
        conversion = Conversion(
            id=f"C{number:09d}",
            instant=instant(second),
            customer_key=customer,
            revenue=prices[number % len(prices)],
        )
        events.append(conversion)
        if number % 20 == 7:
            events.append(
                Refund(
                    id=f"R{number:09d}",
                    conversion_id=conversion.id,
                    instant=conversion.instant + timedelta(days=2),
                    amount=conversion.revenue,
                )
            )
    return campaign, events, START + timedelta(days=DAYS + 10)


def pandas_commissions(events: Sequence[Event]) -> tuple[float, float, dict[str, int]] | None:
    """The same commissions with pandas: seconds and CPU seconds taken, cents by conversion."""
    try:
        import numpy as np  # noqa: PLC0415 - optional, imported only when benchmarking
        import pandas as pd  # noqa: PLC0415 - optional, imported only when benchmarking
    except ImportError:
        return None
    began, began_cpu = time.perf_counter(), time.process_time()
    clicks = [e for e in events if isinstance(e, Touch)]
    sales = [e for e in events if isinstance(e, Conversion)]
    refunded = {e.conversion_id for e in events if isinstance(e, Refund)}
    touches = pd.DataFrame(
        {
            "at": [t.instant for t in clicks],
            "touch": [t.id for t in clicks],
            "customer": [t.customer_key for t in clicks],
            "partner": [t.partner_id for t in clicks],
        }
    ).sort_values(["at", "touch"])
    orders = pd.DataFrame(
        {
            "id": [c.id for c in sales],
            "at": [c.instant for c in sales],
            "customer": [c.customer_key for c in sales],
            "cents": [c.revenue.minor_units for c in sales],
        }
    ).sort_values(["at", "id"])
    merged = pd.merge_asof(
        orders,
        touches,
        on="at",
        by="customer",
        direction="backward",
        tolerance=pd.Timedelta(days=30),
    ).dropna(subset=["partner"])
    merged.loc[merged["id"].isin(refunded), "cents"] = 0
    merged["month"] = merged["at"].dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m")
    merged = merged.sort_values(["partner", "month", "at", "id"])
    after = merged.groupby(["partner", "month"])["cents"].cumsum().to_numpy(dtype=np.int64)
    before = after - merged["cents"].to_numpy(dtype=np.int64)
    starts = [int(band.start * 100) for band in BANDS] + [2**62]
    # rates as thousandths: 8% = 80/1000, 10% = 100/1000, 12.5% = 125/1000
    numerators = [int(band.rate * 1000) for band in BANDS]
    exact = np.zeros(len(merged), dtype=np.int64)
    for index, numerator in enumerate(numerators):
        low, high = starts[index], starts[index + 1]
        overlap = np.clip(np.minimum(after, high) - np.maximum(before, low), 0, None)
        exact += overlap * numerator
    cents = (2 * exact + 1000) // 2000  # half up, amounts are never negative
    result = dict(zip(merged["id"].tolist(), cents.tolist(), strict=True))
    return time.perf_counter() - began, time.process_time() - began_cpu, result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_commissions(run: StatementRun) -> dict[str, int]:
    found = {}
    for statement in run.statements:
        for line in statement.lines:
            if line.kind is LineKind.COMMISSION:
                found[line.source_ids[0]] = line.amount.minor_units
    return found


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its figures.

    Args:
        argv: Command-line arguments (``[SIZE] [--no-baseline]``).

    Returns:
        The figures printed, by name.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=20260301)
    arguments = parser.parse_args(argv)
    size = arguments.size
    began = time.perf_counter()
    campaign, events, as_of = build(size, arguments.seed)
    generated = time.perf_counter() - began
    clicks = sum(1 for event in events if isinstance(event, Touch))
    print(
        f"{size:,} sales, {clicks:,} clicks, {PARTNERS} partners "
        f"(generated in {generated:.1f} s; peak RSS so far {_peak_mb():,.0f} MB)"
    )
    policy = AttributionPolicy(windows={"click": "30 days"})
    # Events are loaded: settle the heap so that the garbage left by generating them is not
    # collected inside the timed interval.
    gc.collect()
    began, began_cpu = time.perf_counter(), time.process_time()
    run = compute_statements(campaign, events, as_of=as_of, policy=policy)
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    peak = _peak_mb()
    lines = sum(len(statement.lines) for statement in run.statements)
    total = sum(statement.commissions.minor_units for statement in run.statements)
    print(
        f"hybridroi: {seconds:.2f} s ({cpu:.2f} s CPU) from events to "
        f"{len(run.statements):,} statements ({lines:,} lines, commissions "
        f"EUR {total / 100:,.2f}); peak RSS {peak:,.0f} MB"
    )
    figures: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak,
        "statements": len(run.statements),
        "lines": lines,
        "problems": len(run.problems),
    }
    found = _engine_commissions(run)
    attribution, batch = run.attribution, run.batch
    assert batch is not None
    del run  # keep one set of statements in memory at a time
    began, began_cpu = time.perf_counter(), time.process_time()
    again = price_credits(campaign, attribution, batch, as_of=as_of)
    pricing, pricing_cpu = time.perf_counter() - began, time.process_time() - began_cpu
    same = _engine_commissions(again) == found
    del again
    figures.update(
        pricing_seconds=pricing,
        pricing_cpu_seconds=pricing_cpu,
        checking_seconds=seconds - pricing,
        checking_cpu_seconds=cpu - pricing_cpu,
    )
    print(
        f"  pricing (price_credits on the same credits, run again): {pricing:.2f} s "
        f"({pricing_cpu:.2f} s CPU); same commissions: {'yes' if same else 'NO'}; "
        f"peak RSS {_peak_mb():,.0f} MB"
    )
    print(
        f"  checking + attribution (the rest of the pipeline): {seconds - pricing:.2f} s "
        f"({cpu - pricing_cpu:.2f} s CPU)"
    )
    if arguments.no_baseline:
        return figures
    measured = pandas_commissions(events)
    if measured is None:
        print("pandas is not installed: baseline skipped")
        return figures
    baseline_seconds, baseline_cpu, expected = measured
    equal = found == expected
    figures.update(baseline_seconds=baseline_seconds, equal=equal)
    print(
        f"pandas: {baseline_seconds:.2f} s ({baseline_cpu:.2f} s CPU); hybridroi / pandas = "
        f"{seconds / baseline_seconds:.2f} (CPU {cpu / baseline_cpu:.2f}); "
        f"statements equal to the cent: {'yes' if equal else 'NO'} "
        f"({len(found):,} commission lines)"
    )
    print(f"peak RSS of the whole process: {_peak_mb():,.0f} MB")
    return figures


if __name__ == "__main__":
    main()
