from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.paths import PathCount, Paths, parse_path
from hybridroi.attribution.shapley import EXACT_LIMIT, ShapleyFit, fit_shapley
from hybridroi.core.errors import InvalidValueError

Z, ONE = Fraction(0), Fraction(1)
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CHANNELS = ("a", "b", "c", "d", "e")


def row(text: str, conversions: int = 0, non_conversions: int = 0, value: object = 0) -> PathCount:
    return PathCount(
        channels=parse_path(text),
        conversions=conversions,
        non_conversions=non_conversions,
        value=value,
    )


@st.composite
def path_rows(draw: st.DrawFn, channels: tuple[str, ...] = CHANNELS) -> list[PathCount]:
    count = draw(st.integers(0, 8))
    rows = []
    for _ in range(count):
        path = draw(st.lists(st.sampled_from(channels), min_size=1, max_size=4))
        conversions = draw(st.integers(0, 4))
        non_conversions = draw(st.integers(0 if conversions else 1, 3))
        cents = draw(st.integers(0, 5000)) if conversions else 0
        rows.append(
            PathCount(
                channels=tuple(path),
                conversions=conversions,
                non_conversions=non_conversions,
                value=Fraction(cents, 100),
            )
        )
    return rows


def closed_form(paths: Paths, by: str = "conversions") -> dict[str, Fraction]:
    """Zhao et al. (2018): each converting channel set's worth shared equally."""
    result = dict.fromkeys(paths.channels, Z)
    for r in paths.rows:
        worth = Fraction(r.conversions) if by == "conversions" else r.value
        distinct = set(r.channels)
        for channel in distinct:
            result[channel] += worth / len(distinct)
    return result


def worth(paths: Paths, coalition: set[str]) -> int:
    return sum(r.conversions for r in paths.rows if set(r.channels) <= coalition)


WORKED = [
    row("a", 2, 1, "20"),
    row("b", 1, 0, "10"),
    row("a > b > a", 3, 2, "60"),
    row("c > a > b", 1, 0, "9"),
    row("c", 0, 4),
]


def test_exact_values_by_hand() -> None:
    # v(0) = 0, v(a) = 2, v(b) = 1, v(c) = 0, v(ab) = 6, v(ac) = 2, v(bc) = 1, v(abc) = 7.
    # Weights |S|!(2 - |S|)!/3!: 1/3 for |S| = 0 or 2, 1/6 for |S| = 1.
    # a: 1/3 * 2 + 1/6 * (6 - 1) + 1/6 * (2 - 0) + 1/3 * (7 - 1) = 23/6
    # b: 1/3 * 1 + 1/6 * (6 - 2) + 1/6 * (1 - 0) + 1/3 * (7 - 2) = 17/6
    # c: 1/3 * 0 + 1/6 * (2 - 2) + 1/6 * (1 - 1) + 1/3 * (7 - 6) = 1/3
    paths = Paths.of(WORKED)
    fit = fit_shapley(paths)
    assert fit == ShapleyFit(
        channels=("a", "b", "c"),
        by="conversions",
        values=(("a", Fraction(23, 6)), ("b", Fraction(17, 6)), ("c", Fraction(1, 3))),
        exact=True,
        samples=None,
        seed=None,
    )
    # 23/6 + 17/6 + 2/6 = 7 = v(N).
    assert fit.weights() == {"a": Fraction(23, 42), "b": Fraction(17, 42), "c": Fraction(1, 21)}


def test_exact_values_by_value_by_hand() -> None:
    # Worths in value: v(a) = 20, v(b) = 10, v(ab) = 90, v(abc) = 99, v(ac) = 20, v(bc) = 10.
    # a: 1/3 * 20 + 1/6 * 80 + 1/6 * 20 + 1/3 * 89 = 20/3 + 50/3 + 89/3 = 53
    # b: 1/3 * 10 + 1/6 * 70 + 1/6 * 10 + 1/3 * 79 = 10/3 + 40/3 + 79/3 = 43
    # c: 1/3 * (99 - 90) = 3
    fit = fit_shapley(Paths.of(WORKED), by="value")
    assert fit.by == "value"
    assert fit.values == (("a", Fraction(53)), ("b", Fraction(43)), ("c", Fraction(3)))


def test_credits_by_hand() -> None:
    # Weights 23 : 17 : 2. a > b > a (3): a 69/40, b 51/40. c > a > b (1): a 23/42,
    # b 17/42, c 2/42. a and b keep their own single-channel conversions.
    paths = Paths.of(WORKED)
    credits = fit_shapley(paths).credits(paths, places=None)
    assert [(c.channel, c.conversions) for c in credits] == [
        ("a", 2 + Fraction(69, 40) + Fraction(23, 42)),
        ("b", 1 + Fraction(51, 40) + Fraction(17, 42)),
        ("c", Fraction(1, 21)),
    ]
    assert sum((c.value for c in credits), Z) == 99


def test_to_model() -> None:
    model = fit_shapley(Paths.of(WORKED)).to_model("s-1", as_of=AS_OF)
    assert model.method == "shapley"
    assert model.weights == (
        ("a", Decimal("0.547619")),
        ("b", Decimal("0.404762")),
        ("c", Decimal("0.047619")),
    )
    assert sum(w for _, w in model.weights) == 1


def test_empty_and_non_converting_paths() -> None:
    empty = fit_shapley(Paths.of([]))
    assert (empty.channels, empty.values, empty.exact) == ((), (), True)
    assert empty.weights() == {}
    with pytest.raises(InvalidValueError):
        empty.to_model("v", as_of=AS_OF)
    silent = fit_shapley(Paths.of([row("a > b", 0, 5)]), exact_up_to=0)
    assert silent.values == (("a", Z), ("b", Z))
    assert silent.weights() == {"a": Z, "b": Z}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"by": "revenue"}, "by"),
        ({"exact_up_to": -1}, "exact_up_to"),
        ({"exact_up_to": EXACT_LIMIT + 1}, "exact_up_to"),
        ({"exact_up_to": True}, "exact_up_to"),
        ({"samples": 0}, "samples"),
        ({"samples": 2.0}, "samples"),
        ({"seed": -1}, "seed"),
        ({"seed": "0"}, "seed"),
    ],
)
def test_arguments_are_checked(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        fit_shapley(Paths.of(WORKED), **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_paths_must_be_a_table() -> None:
    with pytest.raises(InvalidValueError, match="paths"):
        fit_shapley(WORKED)  # type: ignore[arg-type]


# Properties.


@settings(max_examples=80, deadline=None)
@given(path_rows(), st.sampled_from(["conversions", "value"]), st.randoms(use_true_random=False))
def test_exact_values_properties(rows: list[PathCount], by: str, rng: random.Random) -> None:
    paths = Paths.of(rows)
    fit = fit_shapley(paths, by=by)  # type: ignore[arg-type]
    values = dict(fit.values)
    # Enumeration agrees with the closed form of the simplified Shapley value.
    assert values == closed_form(paths, by)
    # Efficiency: the values add up to v(N).
    total = paths.conversions if by == "conversions" else paths.value
    assert sum(values.values(), Z) == total
    # A channel in no converting path is worth nothing.
    converting = {channel for r in paths.rows if r.conversions for channel in r.channels}
    assert all(values[channel] == 0 for channel in paths.channels if channel not in converting)
    # The order of the rows does not matter.
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert fit_shapley(Paths.of(shuffled), by=by) == fit  # type: ignore[arg-type]
    # Credits keep each converting path's conversions.
    credits = fit.credits(paths)
    assert sum((c.conversions for c in credits), Z) == paths.conversions
    assert all(c.conversions == 0 for c in credits if c.channel not in converting)


@settings(max_examples=50, deadline=None)
@given(path_rows())
def test_values_follow_the_shapley_formula(rows: list[PathCount]) -> None:
    # Independent oracle: the textbook formula over coalitions, on sets.
    paths = Paths.of(rows)
    channels = paths.channels
    n = len(channels)
    values = dict(fit_shapley(paths).values)
    for channel in channels:
        others = [c for c in channels if c != channel]
        expected = Z
        for mask in range(1 << len(others)):
            coalition = {c for k, c in enumerate(others) if mask >> k & 1}
            size = len(coalition)
            weight = Fraction(
                math.factorial(size) * math.factorial(n - size - 1), math.factorial(n)
            )
            expected += weight * (worth(paths, coalition | {channel}) - worth(paths, coalition))
        assert values[channel] == expected


def swapped(r: PathCount) -> PathCount:
    swap = {"a": "b", "b": "a"}
    return PathCount(
        channels=tuple(swap.get(channel, channel) for channel in r.channels),
        conversions=r.conversions,
        non_conversions=r.non_conversions,
        value=r.value,
    )


@settings(max_examples=50, deadline=None)
@given(path_rows(), st.booleans())
def test_symmetric_channels_get_equal_values(rows: list[PathCount], sampled: bool) -> None:
    paths = Paths.of(rows + [swapped(r) for r in rows])
    fit = fit_shapley(paths, exact_up_to=0 if sampled else 12, samples=50)
    values = dict(fit.values)
    if "a" in values and not sampled:
        assert values["a"] == values["b"]
    # Sampled values are not symmetric draw by draw, but they are exactly efficient.
    assert sum(values.values(), Z) == paths.conversions


def test_sampled_values_approach_the_exact_ones() -> None:
    rows = [
        row("a > b > c", 5, 3, "50"),
        row("b > d", 4, 1, "40"),
        row("e", 2, 6, "20"),
        row("a > e > f", 3, 0, "30"),
        row("f > c > d > b", 6, 2, "60"),
        row("c", 1, 9, "10"),
        row("a", 0, 5),
    ]
    paths = Paths.of(rows)
    exact = fit_shapley(paths)
    approx = fit_shapley(paths, exact_up_to=3, samples=2000, seed=7)
    assert exact.exact
    assert (approx.exact, approx.samples, approx.seed) == (False, 2000, 7)
    assert approx.channels == exact.channels
    total = Fraction(paths.conversions)
    assert sum((v for _, v in approx.values), Z) == total
    # One order's contribution lies in [0, v(N)]: by Hoeffding, a value strays more
    # than 0.06 v(N) from the exact one with probability at most 2 exp(-2 * 2000 * 0.06**2),
    # below 1e-6; with the seed fixed the outcome is fixed too.
    for (channel, estimate), (_, value) in zip(approx.values, exact.values, strict=True):
        assert abs(estimate - value) <= Fraction(6, 100) * total, channel
    # Same seed, same values; each an exact fraction of the orders drawn.
    assert fit_shapley(paths, exact_up_to=3, samples=2000, seed=7) == approx
    assert all((v * 2000).denominator == 1 for _, v in approx.values)
