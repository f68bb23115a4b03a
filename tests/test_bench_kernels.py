"""The kernels benchmark runs at a small size: every implementation gives the same results.

Each kernel's results are also checked against a plain-Python reading of its definition
(a scan of the customer's clicks, fractions for the band parts, a dict for the sums), so
that agreeing with each other means agreeing with the definition.
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests.bench_scripts import load_bench

for needed in ("duckdb", "polars", "pyarrow", "numpy"):
    pytest.importorskip(needed, reason=f"the kernels benchmark needs {needed} (the bench extra)")

SALES = 2_000
SEED = 20260301


def _load() -> ModuleType:
    return load_bench("kernels")


@pytest.fixture(scope="module")
def kernels() -> ModuleType:
    return _load()


@pytest.fixture(scope="module")
def figures(kernels: ModuleType) -> dict[str, Any]:
    result: dict[str, Any] = kernels.benchmark(SALES, 1, SEED, memory=False, weight=False)
    return result


@pytest.fixture(scope="module")
def data(kernels: ModuleType) -> Any:
    return kernels.generate(SALES, SEED)


def _first_seen(values: list[str]) -> list[int]:
    index: dict[str, int] = {}
    return [index.setdefault(value, len(index)) for value in values]


def _asof(data: Any) -> list[int]:
    """The row of each sale's latest click of its customer at most 30 days before, or -1."""
    clicks: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row, (at, customer) in enumerate(
        zip(data.click_at.tolist(), data.click_customer.tolist(), strict=True)
    ):
        clicks[customer].append((at, row))
    window = 30 * 24 * 3600 * 10**6
    found = []
    for at, customer in zip(data.sale_at.tolist(), data.sale_customer.tolist(), strict=True):
        eligible = [(click, row) for click, row in clicks[customer] if 0 <= at - click <= window]
        found.append(max(eligible)[1] if eligible else -1)
    return found


def _tiers(kernels: ModuleType, data: Any) -> tuple[list[int], int]:
    """Each sale's commission in cents, and the largest month-to-date revenue reached."""
    months: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
    for row, (partner, month, at) in enumerate(
        zip(
            data.sale_partner.tolist(), data.sale_month.tolist(), data.sale_at.tolist(), strict=True
        )
    ):
        months[partner, month].append((at, int(data.sale_id[row]), row))
    starts = [start for start, _ in kernels.TIERS]
    ends = [*starts[1:], math.inf]
    paid = [0] * len(data.cents)
    reached = 0
    for (partner, _), sales in months.items():
        rates = [
            Fraction(kernels.base_rate_bp(partner) + points, 10_000) for _, points in kernels.TIERS
        ]
        carried = 0
        for _, _, row in sorted(sales):
            cents = int(data.cents[row])
            exact = sum(
                (
                    max(min(carried + cents, end) - max(carried, start), 0) * rate
                    for start, end, rate in zip(starts, ends, rates, strict=True)
                ),
                Fraction(0),
            )
            paid[row] = math.floor(exact + Fraction(1, 2))
            carried += cents
        reached = max(reached, carried)
    return paid, reached


def test_every_kernel_agrees_at_a_small_size(
    kernels: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [str(SALES), "--runs", "1", "--seed", str(SEED), "--no-memory", "--no-weight"]
    assert kernels.main(arguments) == 0
    out = capsys.readouterr().out
    assert "every implementation gives the same result on every kernel" in out
    for kernel in kernels.KERNELS:
        assert f"\n{kernel}\n" in out


def test_the_encodings_number_the_keys(
    kernels: ModuleType, figures: dict[str, Any], data: Any
) -> None:
    customers = _first_seen(kernels.customer_keys(data).to_pylist())
    partners = _first_seen(kernels.partner_keys(data).to_pylist())
    assert max(customers) + 1 > 1_000
    assert max(partners) + 1 > 100
    for kernel, expected in (("encode-customers", customers), ("encode-partners", partners)):
        for name, result in figures["results"][kernel].items():
            assert result.tolist() == expected, (kernel, name)


def test_the_asof_join_takes_the_latest_click_inside_the_window(
    figures: dict[str, Any], data: Any
) -> None:
    expected = _asof(data)
    # The window's edges are in the data: a click exactly 30 days before counts, one a
    # microsecond older does not.
    window = 30 * 24 * 3600 * 10**6
    gaps = {
        int(at - data.click_at[row])
        for at, row in zip(data.sale_at, expected, strict=True)
        if row >= 0
    }
    assert window in gaps
    assert 0 in gaps
    assert 0 < sum(row < 0 for row in expected) < len(expected)
    for name, result in figures["results"]["asof"].items():
        assert result.tolist() == expected, name


def test_the_tiers_are_priced_band_by_band(
    kernels: ModuleType, figures: dict[str, Any], data: Any
) -> None:
    expected, reached = _tiers(kernels, data)
    # The small size reaches the last band.
    assert reached > kernels.TIERS[-1][0]
    for name, result in figures["results"]["tiers"].items():
        assert result.tolist() == expected, name


def test_the_group_sums_are_exact(figures: dict[str, Any], data: Any) -> None:
    expected: dict[tuple[int, int], int] = defaultdict(int)
    for partner, month, cents in zip(
        data.sale_partner.tolist(), data.sale_month.tolist(), data.cents.tolist(), strict=True
    ):
        expected[partner, month] += cents
    assert len({month for _, month in expected}) >= 4
    for name, result in figures["results"]["sums"].items():
        assert result == dict(expected), name


def test_the_inputs_are_generated_from_the_seed(kernels: ModuleType, data: Any) -> None:
    again = kernels.generate(SALES, SEED)
    other = kernels.generate(SALES, SEED + 1)
    assert (again.click_at == data.click_at).all()
    assert (again.cents == data.cents).all()
    assert not (other.sale_at == data.sale_at).all()
    # Clicks are in time order, and no customer has two clicks at one instant.
    assert (data.click_at[1:] >= data.click_at[:-1]).all()
    pairs = set(zip(data.click_customer.tolist(), data.click_at.tolist(), strict=True))
    assert len(pairs) == len(data.click_at)


def test_a_disagreement_makes_the_exit_status_1(
    kernels: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = kernels.prepare_sums

    def off_by_one_cent(data: Any, implementation: str) -> Any:
        kernel = original(data, implementation)
        if implementation != "polars":
            return kernel
        return lambda: {key: total + (key == min(kernel())) for key, total in kernel().items()}

    monkeypatch.setattr(kernels, "prepare_sums", off_by_one_cent)
    arguments = ["300", "--runs", "1", "--kernel", "sums", "--no-memory", "--no-weight"]
    assert kernels.main(arguments) == 1
    assert "sums: polars differs from numpy (library)" in capsys.readouterr().out


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc/self/statm")
def test_peak_memory_is_measured_in_a_fresh_process(kernels: ModuleType) -> None:
    peak = kernels.measure_memory("tiers", "numpy (library)", 200_000, SEED)
    # Several int64 columns of 200,000 rows are allocated: well over a megabyte.
    assert peak is not None
    assert 1 < peak < 500


def test_the_installed_size_counts_required_distributions(kernels: ModuleType) -> None:
    size, names = kernels.installed_mb("numpy")
    assert names[0] == "numpy"
    assert size > 1
    assert kernels.installed_mb("not-an-installed-distribution") == (
        0.0,
        ["not-an-installed-distribution"],
    )
