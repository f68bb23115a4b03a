"""Benchmark: attribute N conversions against 3N touches, from library objects to credits.

Usage::

    python bench/attribution.py [SIZE] [--shuffle] [--model last|hybrid] [--no-baseline]

SIZE is the number of conversions (default 1,000,000); there are three touches per
conversion. The data is generated with a fixed seed and is not timed. By default
the events arrive in time order, as tracking logs do; ``--shuffle`` feeds them in
random order instead. The timed part is :func:`hybridroi.attribution.engine.attribute`
on the list of events: checking the batch (duplicates, unknown partners, sorting)
plus attribution, to finished ``Credit`` records. Under last touch, attribution is
a columnar as-of join (:mod:`hybridroi.attribution.columns`); the figures also give,
timed apart once more, how much of it is building the columns from the records
(the part that input already in columns would not pay).

The baseline, when pandas is installed, is a straightforward ``merge_asof`` last-touch
attribution of the same objects (one merge per touch kind and window), timed from the
same objects to one (conversion, partner) row per attributed conversion.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hybridroi.attribution.columns import columns_of
from hybridroi.attribution.engine import attribute_batch
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate, Content, ContentFormat, Influencer, Platform
from hybridroi.domain.policy import AttributionPolicy, IntroducerCloser, LastTouch, TouchKind
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Event, Touch

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 120
WINDOWS = {TouchKind.VIEW: timedelta(days=1), TouchKind.CLICK: timedelta(days=30)}
WINDOWS[TouchKind.PROMO_CODE] = timedelta(days=30)


def build(size: int, seed: int) -> tuple[Campaign, list[Event]]:
    """A campaign with 200 partners and ``size`` conversions against ``3 * size`` touches."""
    rng = random.Random(seed)
    influencers = [Influencer(id=f"inf-{i:03d}", name=f"Creator {i}") for i in range(50)]
    affiliates = [Affiliate(id=f"aff-{i:03d}", name=f"Site {i}") for i in range(150)]
    contents = [
        Content(
            id=f"video-{i:03d}",
            partner_id=influencer.id,
            platform=Platform.TIKTOK,
            format=ContentFormat.SHORT_VIDEO,
            published_at=START,
        )
        for i, influencer in enumerate(influencers)
    ]
    campaign = Campaign(
        id="bench",
        name="Benchmark",
        currency="EUR",
        timezone="Europe/Paris",
        start=START,
        end=START + timedelta(days=DAYS + 30),
        partners=[*influencers, *affiliates],
        contents=contents,
    )
    prices = [Money.from_minor(rng.randrange(500, 50_000), "EUR") for _ in range(1000)]
    kinds = [TouchKind.VIEW] * 2 + [TouchKind.CLICK] * 7 + [TouchKind.PROMO_CODE]
    customers = max(1, size * 4 // 5)
    conversion_rows = sorted(
        (rng.randrange(86_400 * 10, 86_400 * DAYS), rng.randrange(customers)) for _ in range(size)
    )
    touch_rows = []
    for _ in range(3 * size):
        # Each touch leads up to some order (up to 40 days before it), so most
        # conversions have touches both inside and outside their windows.
        second, customer = conversion_rows[rng.randrange(size)]
        at = max(0, second - rng.randrange(0, 86_400 * 40))
        touch_rows.append((at, customer, rng.choice(kinds), rng.randrange(200)))
    touch_rows.sort(key=lambda row: (row[0], row[1], row[3]))
    touches = [
        Touch(
            id=f"T{number:09d}",
            kind=kind,
            instant=START + timedelta(seconds=at),
            # Each event gets its own key string, as a file loader would make.
            customer_key=f"cust-{customer:08d}",
            partner_id=influencers[partner].id if partner < 50 else affiliates[partner - 50].id,
            content_id=contents[partner].id if partner < 50 else None,
        )
        for number, (at, customer, kind, partner) in enumerate(touch_rows)
    ]
    conversions = [
        Conversion(
            id=f"C{number:09d}",
            instant=START + timedelta(seconds=second),
            customer_key=f"cust-{customer:08d}",
            revenue=prices[number % len(prices)],
            promo_code="SAVE10" if number % 10 == 0 else None,
        )
        for number, (second, customer) in enumerate(conversion_rows)
    ]
    events: list[Event] = [*touches, *conversions]
    return campaign, events


def pandas_baseline(events: list[Event]) -> tuple[float, int] | None:
    """Last touch with pandas ``merge_asof``: seconds taken and conversions attributed."""
    try:
        import pandas as pd  # noqa: PLC0415 - optional, imported only when benchmarking
    except ImportError:
        return None
    began = time.perf_counter()
    touches = [e for e in events if isinstance(e, Touch)]
    conversions = [e for e in events if isinstance(e, Conversion)]
    frame = pd.DataFrame(
        {
            "at": [t.instant for t in touches],
            "customer": [t.customer_key for t in touches],
            "kind": [t.kind.value for t in touches],
            "partner": [t.partner_id for t in touches],
        }
    ).sort_values("at")
    orders = pd.DataFrame(
        {
            "id": [c.id for c in conversions],
            "at": [c.instant for c in conversions],
            "customer": [c.customer_key for c in conversions],
        }
    ).sort_values("at")
    best: Any = None
    for kind, window in WINDOWS.items():
        subset = frame[frame["kind"] == kind.value].rename(columns={"at": "touch_at"})
        subset["at"] = subset["touch_at"]
        merged = pd.merge_asof(
            orders, subset, on="at", by="customer", direction="backward", tolerance=window
        )[["id", "touch_at", "partner"]]
        if best is None:
            best = merged
        else:
            later = merged["touch_at"] > best["touch_at"]
            later = later | (best["touch_at"].isna() & merged["touch_at"].notna())
            best = best.where(~later, merged)
    assert best is not None
    credited = best.dropna(subset=["partner"])
    rows = list(zip(credited["id"], credited["partner"], strict=True))
    return time.perf_counter() - began, len(rows)


def main(
    size: int = 1_000_000,
    *,
    seed: int = 20260301,
    shuffle: bool = False,
    model: str = "last",
    baseline: bool = True,
) -> dict[str, float]:
    """Run the benchmark and print its figures.

    Args:
        size: Number of conversions; there are three times as many touches.
        seed: Seed of the generated data.
        shuffle: Feed the events in random order instead of time order.
        model: ``"last"`` (last touch, the default model) or ``"hybrid"``
            (introducer/closer).
        baseline: Also time the pandas baseline when pandas is installed.

    Returns:
        The figures printed, by name.
    """
    began = time.perf_counter()
    campaign, events = build(size, seed)
    if shuffle:
        random.Random(seed).shuffle(events)
    generated = time.perf_counter() - began
    chosen = IntroducerCloser() if model == "hybrid" else LastTouch()
    policy = AttributionPolicy(model=chosen)
    print(
        f"{size:,} conversions, {len(events) - size:,} touches "
        f"({'shuffled' if shuffle else 'time order'}; generated in {generated:.1f} s)"
    )
    # Events are loaded: settle the heap so that the garbage left by generating them is not
    # collected inside the timed interval.
    gc.collect()
    began = time.perf_counter()
    batch = check_events(campaign, events)
    checked = time.perf_counter()
    result = attribute_batch(campaign, batch, policy)
    ended = time.perf_counter()
    total = ended - began
    figures = {
        "events": float(len(events)),
        "check_seconds": checked - began,
        "attribute_seconds": ended - checked,
        "total_seconds": total,
        "events_per_second": len(events) / total,
        "credits": float(len(result.credits)),
        "unattributed": float(len(result.unattributed)),
        "problems": float(len(result.problems)),
    }
    print(
        f"model {policy.model.label}: checked in {figures['check_seconds']:.2f} s, "
        f"attributed in {figures['attribute_seconds']:.2f} s, total {total:.2f} s "
        f"= {figures['events_per_second']:,.0f} events/s"
    )
    print(
        f"{len(result.credits):,} credits, {len(result.unattributed):,} unattributed, "
        f"{len(result.problems):,} problems"
    )
    if model == "last":
        began = time.perf_counter()
        columns_of(batch.touches, batch.conversions)
        figures["columns_seconds"] = time.perf_counter() - began
        print(
            f"of the attribution, building columns from the records takes "
            f"{figures['columns_seconds']:.2f} s"
        )
    if baseline:
        measured = pandas_baseline(events)
        if measured is None:
            print("baseline: pandas is not installed, skipped")
        else:
            seconds, attributed = measured
            figures["baseline_seconds"] = seconds
            figures["baseline_attributed"] = float(attributed)
            agrees = (
                "same"
                if attributed == len(batch.conversions) - len(result.unattributed)
                else "NOT the same"
            )
            print(
                f"baseline pandas merge_asof last touch: {seconds:.2f} s for {attributed:,} "
                f"attributed conversions ({agrees} as hybridroi); "
                f"hybridroi time / baseline time = {total / seconds:.2f}"
            )
    return figures


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--model", choices=["last", "hybrid"], default="last")
    parser.add_argument("--no-baseline", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    main(
        arguments.size,
        shuffle=arguments.shuffle,
        model=arguments.model,
        baseline=not arguments.no_baseline,
    )
