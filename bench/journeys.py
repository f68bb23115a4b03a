"""Benchmark: Markov attribution on per-journey Parquet, hybridroi against polars + numpy.

Usage::

    python bench/journeys.py [JOURNEYS] [--runs K] [--seed S] [--cache DIR] [--ca-python PY]

The workload, for JOURNEYS journeys (default 1,000,000):

* **File.** ``journeys.parquet``, one row per journey: ``path`` (the channels joined by
  ``" > "``), ``total_conversions`` and ``total_null`` (0 or 1, one of them 1) and
  ``total_conversion_value`` (decimal(12, 2): the order's value, exact cents, 0 when the
  journey did not convert). It is generated from a fixed seed with numpy into the cache
  directory (untimed) and reused.
* **Journeys.** 10 channels; a journey has 1 to 8 touches (shorter ones more likely),
  each touch drawn with a weight proportional to 1 / (i + 1) for channel i, so both
  large and small channels exist (repeats such as ``"email > email"`` occur). A journey
  converts with probability ``1 - prod(1 - q_c)`` over its distinct channels, ``q_c``
  from 1% to 10% by channel; a conversion is worth EUR 5.00 to EUR 500.00.

Implementations, each run in a fresh process so that its peak memory (the child's
``ru_maxrss``) is its own, timed inside the child from the first read (imports
excluded):

1. **hybridroi**: ``read_paths(file)``, ``fit_markov(paths, order=1)`` (exact removal
   effects, in integers), ``fit.credits(paths)`` (per-channel credited conversions and
   value) and ``fit.to_model("bench", as_of=...)``.
2. **polars**: what an analyst writes instead: polars reads the file, groups it by
   path, explodes the paths into transitions and counts them with ``group_by``; numpy
   builds the transition matrix and solves the absorbing chain with
   ``numpy.linalg.solve`` in float64, for the whole chain and for each channel removed
   (first order, global removal effects).
3. **ChannelAttribution** (only if importable by ``--ca-python``, default this
   interpreter; it is no dependency): pandas reads and groups the file, then
   ``markov_model(order=1)``, which estimates the removal effects by simulation.

The first two alternate over ``--runs`` runs (default 3); medians are printed, with
peak memory and the ratios to polars. ``fit_markov(order=2)`` and ``fit_shapley`` (10
channels: exact) are timed once each. The script checks that hybridroi's removal
effects equal the float peer's to 1e-9 relative, and exits with status 1 if not.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

CHANNELS = (
    "tiktok",
    "instagram",
    "youtube",
    "email",
    "paid_search",
    "coupons",
    "cashback",
    "blog",
    "display",
    "podcast",
)
# Each channel's conversion lift q_c: a journey converts with 1 - prod(1 - q_c).
LIFT = (0.06, 0.04, 0.05, 0.03, 0.10, 0.08, 0.07, 0.02, 0.01, 0.03)
# The chances of a journey of 1 to 8 touches.
LENGTHS = (0.30, 0.22, 0.16, 0.11, 0.08, 0.06, 0.04, 0.03)
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
SEPARATOR = " > "
FILE = "journeys.parquet"
ALTERNATED = ("hybridroi", "polars")
ONCE = ("hybridroi-order2", "hybridroi-shapley")
TOLERANCE = 1e-9

# What a worker gives: its removal effects (float), conversion probability, phases, extras.
Result = dict[str, Any]


def _module(name: str) -> ModuleType:
    """Import ``name`` where it is used, by name (pyarrow ships no type information)."""
    return importlib.import_module(name)


# --- the data (generated once, untimed) ---------------------------------------------------


def _decimal_cents(cents: Any) -> Any:
    """A decimal(12, 2) Arrow array holding ``cents`` (a numpy int64 array, >= 0)."""
    import numpy as np  # noqa: PLC0415 - only the generator needs numpy

    pa = _module("pyarrow")
    # A decimal128 value is its unscaled integer in 16 little-endian bytes: the cents.
    words = np.zeros((len(cents), 2), dtype="<i8")
    words[:, 0] = cents
    return pa.Array.from_buffers(pa.decimal128(12, 2), len(cents), [None, pa.py_buffer(words)])


def generate(size: int, seed: int, directory: Path) -> None:
    """Write ``journeys.parquet`` with ``size`` journeys into ``directory``."""
    import numpy as np  # noqa: PLC0415 - only the generator needs numpy

    pa = _module("pyarrow")
    pq = _module("pyarrow.parquet")

    rng = np.random.default_rng(seed)
    lengths = rng.choice(np.arange(1, len(LENGTHS) + 1), size, p=np.array(LENGTHS))
    popularity = 1.0 / np.arange(1, len(CHANNELS) + 1)
    flat = rng.choice(len(CHANNELS), int(lengths.sum()), p=popularity / popularity.sum())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # Distinct channels of each journey: a bit mask, then the chance it does not convert.
    journey = np.repeat(np.arange(size), lengths)
    masks = np.zeros(size, dtype=np.int64)
    np.bitwise_or.at(masks, journey, 1 << flat)
    missed = np.ones(size)
    for channel, lift in enumerate(LIFT):
        missed = np.where(masks & (1 << channel), missed * (1 - lift), missed)
    converted = (rng.random(size) >= missed).astype(np.int64)
    cents = np.where(converted == 1, rng.integers(500, 50_001, size), 0)
    names = np.array(CHANNELS, dtype=object)[flat].tolist()
    paths = [
        SEPARATOR.join(names[start : start + length])
        for start, length in zip(starts.tolist(), lengths.tolist(), strict=True)
    ]
    pq.write_table(
        pa.table(
            {
                "path": pa.array(paths, pa.string()),
                "total_conversions": pa.array(converted, pa.int64()),
                "total_null": pa.array(1 - converted, pa.int64()),
                "total_conversion_value": _decimal_cents(cents),
            }
        ),
        directory / FILE,
    )


def dataset(size: int, seed: int, cache: Path) -> Path:
    """The workload's file, generated into ``cache`` unless present."""
    directory = cache / f"journeys-{size}-{seed}"
    if (directory / FILE).exists():
        return directory / FILE
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=cache, prefix=f".journeys-{size}-{seed}-"))
    try:
        # In a child: a child's ru_maxrss starts from its parent's high-water mark.
        command = [sys.executable, str(Path(__file__).resolve()), str(size), "--seed", str(seed)]
        subprocess.run([*command, "--generate", str(partial)], check=True)
        if directory.exists():
            shutil.rmtree(directory)
        partial.rename(directory)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    return directory / FILE


# --- the implementations (each runs in its own process) ---------------------------------


def run_hybridroi(file: Path, what: str) -> Result:
    """Run hybridroi end to end: read, fit, credit and freeze (or order 2, or Shapley)."""
    from hybridroi.attribution.markov import fit_markov  # noqa: PLC0415 - the child's own
    from hybridroi.attribution.shapley import fit_shapley  # noqa: PLC0415
    from hybridroi.files.paths import read_paths  # noqa: PLC0415

    _module("pyarrow.parquet")
    _module("pyarrow.dataset")  # read_table imports it on first use: keep it out of the timing
    began = time.perf_counter()
    loaded = read_paths(file)
    read = time.perf_counter()
    paths = loaded.paths
    phases = {"read": read - began}
    result: Result = {"problems": len(loaded.problems), "distinct": len(paths.rows)}
    if what == "hybridroi-shapley":
        shapley = fit_shapley(paths)
        done = time.perf_counter()
        phases.update(fit=done - read, total=done - began)
        result["shapley"] = {channel: float(value) for channel, value in shapley.values}
        result["phases"] = phases
        return result
    fit = fit_markov(paths, order=2 if what == "hybridroi-order2" else 1)
    fitted = time.perf_counter()
    phases["fit"] = fitted - read
    if what == "hybridroi":
        credits = fit.credits(paths)
        credited = time.perf_counter()
        model = fit.to_model("bench", as_of=AS_OF)
        frozen = time.perf_counter()
        phases.update(credits=credited - fitted, model=frozen - credited)
        result["credits"] = {
            credit.channel: [float(credit.conversions), float(credit.value)] for credit in credits
        }
        result["credits_add_up"] = (
            sum(credit.conversions for credit in credits) == paths.conversions
            and sum(credit.value for credit in credits) == paths.value
        )
        result["weights"] = {
            channel: str(weight) for channel, weight in dict(model.weights).items()
        }
    phases["total"] = time.perf_counter() - began
    result["phases"] = phases
    result["probability"] = float(fit.conversion_probability)
    result["effects"] = {channel: float(effect) for channel, effect in fit.removal_effects}
    result["states"] = len({transition.source for transition in fit.transitions})
    return result


def run_polars(file: Path) -> Result:
    """The analyst's peer: polars counts the transitions, numpy solves in float64."""
    import numpy as np  # noqa: PLC0415 - each child imports only its own engine
    import polars as pl  # noqa: PLC0415

    began = time.perf_counter()
    grouped = (
        pl.read_parquet(file, columns=["path", "total_conversions", "total_null"])
        .group_by("path")
        .agg(
            pl.col("total_conversions").sum().alias("won"), pl.col("total_null").sum().alias("lost")
        )
        .with_columns(
            pl.col("path").str.split(SEPARATOR).alias("channels"),
            (pl.col("won") + pl.col("lost")).alias("journeys"),
        )
    )
    read = time.perf_counter()
    touches = (
        grouped.select("channels", "journeys")
        .with_row_index("journey")
        .explode("channels")
        .with_columns(pl.col("channels").shift(-1).over("journey").alias("target"))
        .filter(pl.col("target").is_not_null())
        .select(pl.col("channels").alias("source"), "target", pl.col("journeys").alias("count"))
    )
    first = grouped.select(
        pl.lit("(start)").alias("source"),
        pl.col("channels").list.first().alias("target"),
        pl.col("journeys").alias("count"),
    )
    last = pl.col("channels").list.last().alias("source")
    ends = [
        grouped.select(last, pl.lit("(conversion)").alias("target"), pl.col("won").alias("count")),
        grouped.select(last, pl.lit("(null)").alias("target"), pl.col("lost").alias("count")),
    ]
    counts = (
        pl.concat([first, touches, *ends])
        .filter(pl.col("count") > 0)
        .group_by("source", "target")
        .agg(pl.col("count").sum())
    )
    counted = time.perf_counter()

    channels = sorted(set(counts["source"].to_list()) - {"(start)"})
    index = {channel: number for number, channel in enumerate(channels)}
    size = len(channels)
    moves = np.zeros((size, size))
    start = np.zeros(size)
    won = np.zeros(size)
    out = np.zeros(size)
    for source, target, count in counts.iter_rows():
        if source == "(start)":
            start[index[target]] += count
            continue
        row = index[source]
        out[row] += count
        if target == "(conversion)":
            won[row] += count
        elif target != "(null)":
            moves[row, index[target]] += count
    start /= start.sum()
    q = moves / out[:, None]
    r = won / out

    def probability(keep: Any) -> float:
        inside = q[np.ix_(keep, keep)]
        chance = np.linalg.solve(np.eye(len(keep)) - inside, r[keep])
        return float(start[keep] @ chance)

    everything = np.arange(size)
    whole = probability(everything)
    effects = {
        channel: 1.0 - probability(np.delete(everything, number)) / whole
        for number, channel in enumerate(channels)
    }
    solved = time.perf_counter()
    return {
        "phases": {
            "read": read - began,
            "count": counted - read,
            "solve": solved - counted,
            "total": solved - began,
        },
        "probability": whole,
        "effects": effects,
        "distinct": grouped.height,
    }


def run_channel_attribution(file: Path) -> Result:
    """ChannelAttribution's ``markov_model`` on the grouped paths (pandas reads the file)."""
    pd = _module("pandas")
    ca = _module("ChannelAttribution")

    began = time.perf_counter()
    frame = pd.read_parquet(file, columns=["path", "total_conversions", "total_null"])
    grouped = frame.groupby("path", as_index=False)[["total_conversions", "total_null"]].sum()
    read = time.perf_counter()
    found = ca.markov_model(
        grouped,
        var_path="path",
        var_conv="total_conversions",
        var_null="total_null",
        order=1,
        sep=">",
        out_more=True,
        verbose=0,
        **(
            {"flg_pro": False} if "flg_pro" in inspect.signature(ca.markov_model).parameters else {}
        ),
    )
    fitted = time.perf_counter()
    removal = found["removal_effects"]
    effects = {
        str(channel).strip(): float(effect)
        for channel, effect in zip(
            removal["channel_name"],
            removal[next(name for name in removal.columns if name.startswith("removal_effect"))],
            strict=True,
        )
    }
    return {
        "phases": {"read": read - began, "fit": fitted - read, "total": fitted - began},
        "effects": effects,
    }


def worker(implementation: str, file: Path, out: Path) -> None:
    """Run one implementation and write what it gives to ``out`` as JSON."""
    if implementation == "polars":
        result = run_polars(file)
    elif implementation == "channelattribution":
        result = run_channel_attribution(file)
    else:
        result = run_hybridroi(file, implementation)
    out.write_text(json.dumps(result))


# --- the driver -------------------------------------------------------------------------


def measure(implementation: str, file: Path, python: str | None = None) -> tuple[Result, float]:
    """Run ``implementation`` in a fresh process: what it gives, and its peak RSS in MB."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [
            python or sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            implementation,
            "--data",
            str(file),
            "--out",
            str(out),
        ]
        child = subprocess.Popen(command)
        # wait4 gives this child's own resource usage (RUSAGE_CHILDREN: the largest so far).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise RuntimeError(f"{implementation} failed with exit status {child.returncode}")
        result: Result = json.loads(out.read_text())
    return result, usage.ru_maxrss / 1024


def compare(exact: dict[str, float], floats: dict[str, float]) -> list[str]:
    """The channels whose removal effects differ by more than 1e-9 relative, described."""
    return [
        f"{channel}: {exact.get(channel)!r} != {floats.get(channel)!r}"
        for channel in sorted(exact.keys() | floats.keys())
        if channel not in exact
        or channel not in floats
        or not math.isclose(exact[channel], floats[channel], rel_tol=TOLERANCE, abs_tol=1e-15)
    ]


def _channel_attribution(python: str) -> bool:
    """Whether ``python`` can import ChannelAttribution (it is no dependency)."""
    found = subprocess.run(
        [python, "-c", "import ChannelAttribution, pandas, pyarrow"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def _print_table(
    median: dict[str, float], peak_mb: dict[str, float], phase: dict[str, dict[str, float]]
) -> None:
    """Print the medians, the peaks and the ratios to polars, then each one's phases."""
    seconds, peak = median["polars"], peak_mb["polars"]
    print(f"\n{'implementation':<20}{'seconds':>9}{'/ polars':>10}{'peak MB':>10}{'/ polars':>10}")
    for name, value in median.items():
        print(
            f"{name:<20}{value:>9.2f}{value / seconds:>10.2f}"
            f"{peak_mb[name]:>10,.0f}{peak_mb[name] / peak:>10.2f}"
        )
    for name, by in phase.items():
        text = ", ".join(f"{key} {value:.2f} s" for key, value in by.items() if key != "total")
        print(f"{name} phases (medians): {text}")


def _checks(results: dict[str, Result], with_ca: bool) -> list[str]:
    """Print hybridroi's per-channel table and the checks; the disagreements found."""
    ours, peer = results["hybridroi"], results["polars"]
    print(
        f"{ours['distinct']:,} distinct paths, {ours['problems']} problems, "
        f"P(conversion) {ours['probability']:.6f}; credits add up exactly: "
        f"{ours['credits_add_up']}"
    )
    print(f"{'channel':<14}{'removal effect':>16}{'weight':>10}{'conversions':>13}{'value':>15}")
    for channel, effect in sorted(ours["effects"].items()):
        conversions, value = ours["credits"][channel]
        print(
            f"{channel:<14}{effect:>16.9f}{ours['weights'][channel]:>10}"
            f"{conversions:>13,.1f}{value:>15,.2f}"
        )
    mismatches = [f"vs polars, {text}" for text in compare(ours["effects"], peer["effects"])]
    if not math.isclose(ours["probability"], peer["probability"], rel_tol=TOLERANCE):
        mismatches.append(f"P: {ours['probability']!r} != {peer['probability']!r}")
    if not ours["credits_add_up"]:
        mismatches.append("the credits do not add up to the conversions and value")
    if with_ca:
        theirs = results["channelattribution"]["effects"]
        worst = max(
            abs(theirs.get(channel, math.nan) - effect) / effect
            for channel, effect in ours["effects"].items()
            if effect
        )
        print(f"ChannelAttribution (simulated) removal effects: largest relative gap {worst:.2e}")
    return mismatches


def benchmark(size: int, runs: int, seed: int, cache: Path, ca_python: str) -> dict[str, Any]:
    """Run the benchmark and print its figures.

    Args:
        size: The number of journeys.
        runs: Runs of each alternated implementation; medians are reported.
        seed: The seed of the generated file.
        cache: Where the file is generated and reused.
        ca_python: The interpreter that runs ChannelAttribution, if it can import it.

    Returns:
        The figures: ``seconds`` and ``peak_mb`` (medians by implementation),
        ``phases`` (median seconds by implementation and phase), ``results`` (the
        first result of each implementation), ``mismatches`` and ``equal``.
    """
    began = time.perf_counter()
    file = dataset(size, seed, cache)
    print(f"Markov attribution, {size:,} journeys: {file} ({time.perf_counter() - began:.1f} s)")
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process's own peak is {floor:,.0f} MB: no child's peak can read below it)")
    plan = [(name, run) for run in range(runs) for name in ALTERNATED]
    plan += [(name, 0) for name in ONCE]
    with_ca = _channel_attribution(ca_python)
    if with_ca:
        plan.append(("channelattribution", 0))
    else:
        print("(ChannelAttribution is not importable: skipped; see --ca-python)")
    seconds: dict[str, list[float]] = {}
    peaks: dict[str, list[float]] = {}
    phases: dict[str, dict[str, list[float]]] = {}
    results: dict[str, Result] = {}
    mismatches: list[str] = []
    for name, run in plan:
        python = ca_python if name == "channelattribution" else None
        result, peak = measure(name, file, python)
        seconds.setdefault(name, []).append(result["phases"]["total"])
        peaks.setdefault(name, []).append(peak)
        for phase, value in result["phases"].items():
            phases.setdefault(name, {}).setdefault(phase, []).append(value)
        label = f"run {run + 1}/{runs}" if name in ALTERNATED else "once"
        print(f"  {label:>8} {name:>18}: {result['phases']['total']:7.2f} s, peak {peak:7,.0f} MB")
        if name not in results:
            results[name] = result
        elif result.get("effects") != results[name].get("effects"):
            mismatches.append(f"{name} gave other removal effects in run {run + 1}")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    peak_mb = {name: statistics.median(values) for name, values in peaks.items()}
    phase = {
        name: {key: statistics.median(values) for key, values in by.items()}
        for name, by in phases.items()
    }
    _print_table(median, peak_mb, phase)
    mismatches.extend(_checks(results, with_ca))
    equal = not mismatches
    print(
        "removal effects and P agree with the float peer to 1e-9 relative"
        if equal
        else f"{len(mismatches)} DISAGREEMENTS"
    )
    for text in mismatches[:20]:
        print(f"  {text}")
    return {
        "seconds": median,
        "peak_mb": peak_mb,
        "phases": phase,
        "results": results,
        "mismatches": mismatches,
        "equal": equal,
    }


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/hybridroi/bench``, or ``~/.cache/hybridroi/bench``."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hybridroi" / "bench"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--worker``, one implementation of it).

    Args:
        argv: Command-line arguments (``[JOURNEYS] [--runs K] [--seed S] [--cache DIR]``).

    Returns:
        The exit status: 0 when hybridroi's removal effects equal the float peer's.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, default=1_000_000, help="journeys")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--ca-python",
        default=sys.executable,
        help="the interpreter that runs ChannelAttribution (skipped if it cannot import it)",
    )
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--worker", choices=(*ALTERNATED, *ONCE, "channelattribution"), help=argparse.SUPPRESS
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker is not None:
        worker(arguments.worker, arguments.data, arguments.out)
        return 0
    if arguments.generate is not None:
        generate(arguments.size, arguments.seed, arguments.generate)
        return 0
    if arguments.size < 1 or arguments.runs < 1:
        parser.error("JOURNEYS and --runs must be at least 1")
    cache = arguments.cache or default_cache()
    figures = benchmark(arguments.size, arguments.runs, arguments.seed, cache, arguments.ca_python)
    return 0 if figures["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
