from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.markov import (
    MarkovFit,
    Transition,
    _all_by_lifting,
    _conversion_probability,
    _count_numpy,
    _count_python,
    fit_markov,
)
from hybridroi.attribution.paths import PathCount, Paths, parse_path
from hybridroi.core.errors import InvalidValueError

Z, ONE = Fraction(0), Fraction(1)
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
CHANNELS = ("a", "b", "c", "d")


def row(text: str, conversions: int = 0, non_conversions: int = 0, value: object = 0) -> PathCount:
    return PathCount(
        channels=parse_path(text),
        conversions=conversions,
        non_conversions=non_conversions,
        value=value,
    )


@st.composite
def path_rows(draw: st.DrawFn, channels: tuple[str, ...] = CHANNELS) -> list[PathCount]:
    count = draw(st.integers(0, 7))
    rows = []
    for _ in range(count):
        path = draw(st.lists(st.sampled_from(channels), min_size=1, max_size=5))
        conversions = draw(st.integers(0, 3))
        non_conversions = draw(st.integers(0 if conversions else 1, 3))
        rows.append(
            PathCount(
                channels=tuple(path),
                conversions=conversions,
                non_conversions=non_conversions,
                value=conversions * 10,
            )
        )
    return rows


def t(source: str, target: str, count: int, probability: Fraction) -> Transition:
    return Transition(source=source, target=target, count=count, probability=probability)


def effects(fit: MarkovFit) -> dict[str, Fraction]:
    return dict(fit.removal_effects)


# Worked examples, by hand.


def test_first_order_by_hand() -> None:
    # Four journeys: a > b converts, a does not, b converts, c does not.
    # From (start): a 2/4, b 1/4, c 1/4. From a: b 1/2, (null) 1/2. b always converts;
    # c never. x_b = 1, x_a = 1/2 x_b = 1/2, x_c = 0, so
    #   P = 1/2 * 1/2 + 1/4 * 1 + 1/4 * 0 = 1/2.
    # Without a: (start) -> a goes to (null): P = 1/4, RE = 1 - (1/4)/(1/2) = 1/2.
    # Without b: x_a = x_b = 0: P = 0, RE = 1. Without c: P = 1/2, RE = 0.
    paths = Paths.of([row("a > b", 1), row("a", 0, 1), row("b", 1), row("c", 0, 1)])
    fit = fit_markov(paths)
    assert fit.order == 1
    assert fit.channels == ("a", "b", "c")
    assert (fit.journeys, fit.conversions) == (4, 2)
    assert fit.conversion_probability == Fraction(1, 2)
    assert fit.removal_effects == (("a", Fraction(1, 2)), ("b", ONE), ("c", Z))
    assert fit.weights() == {"a": Fraction(1, 3), "b": Fraction(2, 3), "c": Z}
    assert fit.transitions == (
        t("(start)", "a", 2, Fraction(1, 2)),
        t("(start)", "b", 1, Fraction(1, 4)),
        t("(start)", "c", 1, Fraction(1, 4)),
        t("a", "(null)", 1, Fraction(1, 2)),
        t("a", "b", 1, Fraction(1, 2)),
        t("b", "(conversion)", 2, ONE),
        t("c", "(null)", 1, ONE),
    )
    # a > b splits 1:2 by removal effect, b keeps its own; c converted nothing.
    credits = fit.credits(paths, places=None)
    assert [(c.channel, c.conversions) for c in credits] == [
        ("a", Fraction(1, 3)),
        ("b", Fraction(5, 3)),
        ("c", Z),
    ]


def test_first_order_with_a_loop_by_hand() -> None:
    # a > b > a converts, a > b does not, b converts.
    # Counts: (start)->a 2, (start)->b 1; a->b 2, a->(conversion) 1; b->a 1, b->(null) 1,
    # b->(conversion) 1. So x_a = 2/3 x_b + 1/3 and x_b = 1/3 x_a + 1/3:
    #   x_a = 2/9 x_a + 5/9 -> x_a = 5/7, x_b = 4/7, P = 2/3 * 5/7 + 1/3 * 4/7 = 2/3.
    # Without a: x_b = 1/3, P = 1/3 * 1/3 = 1/9, RE = 1 - (1/9)/(2/3) = 5/6.
    # Without b: x_a = 1/3, P = 2/3 * 1/3 = 2/9, RE = 1 - (2/9)/(2/3) = 2/3.
    paths = Paths.of([row("a > b > a", 1), row("a > b", 0, 1), row("b", 1)])
    fit = fit_markov(paths)
    assert fit.conversion_probability == Fraction(2, 3)
    assert effects(fit) == {"a": Fraction(5, 6), "b": Fraction(2, 3)}
    # Normalised: 5/6 : 2/3 = 5 : 4.
    assert fit.weights() == {"a": Fraction(5, 9), "b": Fraction(4, 9)}


def test_self_transitions_are_kept() -> None:
    # a > a converts, a does not: a -> a once, a -> (conversion) once, a -> (null) once.
    # x_a = 1/3 x_a + 1/3 -> x_a = 1/2 = P; without a, P = 0.
    fit = fit_markov(Paths.of([row("a > a", 1), row("a", 0, 1)]))
    assert t("a", "a", 1, Fraction(1, 3)) in fit.transitions
    assert fit.conversion_probability == Fraction(1, 2)
    assert effects(fit) == {"a": ONE}


LOOPED = [row("a > c", 1), row("b > c", 0, 1), row("a > c > a > c", 0, 1)]


def test_second_order_by_hand() -> None:
    # States remember two channels. a > c converts, b > c does not, a > c > a > c does not:
    #   (start)->a 2, (start)->b 1; a->"a > c" 2; "a > c"->(conversion) 1, ->(null) 1,
    #   ->"c > a" 1; "c > a"->"a > c" 1; b->"b > c" 1; "b > c"->(null) 1.
    # x_ac = 1/3 + 1/3 x_ca and x_ca = x_ac -> x_ac = 1/2; x_a = 1/2, x_b = 0,
    #   P = 2/3 * 1/2 = 1/3.
    # Without a (states a, "a > c", "c > a"): P = 0, RE 1. Without b: P = 1/3, RE 0.
    # Without c (states "a > c", "c > a", "b > c"): P = 0, RE 1.
    fit = fit_markov(Paths.of(LOOPED), order=2)
    assert fit.order == 2
    assert fit.conversion_probability == Fraction(1, 3)
    assert effects(fit) == {"a": ONE, "b": Z, "c": ONE}
    third = Fraction(1, 3)
    assert fit.transitions == (
        t("(start)", "a", 2, Fraction(2, 3)),
        t("(start)", "b", 1, third),
        t("a", "a > c", 2, ONE),
        t("a > c", "(conversion)", 1, third),
        t("a > c", "(null)", 1, third),
        t("a > c", "c > a", 1, third),
        t("b", "b > c", 1, ONE),
        t("b > c", "(null)", 1, ONE),
        t("c > a", "a > c", 1, ONE),
    )


def test_first_order_forgets_what_second_order_remembers() -> None:
    # The same journeys in order 1: (start)->a 2, ->b 1; a->c 3; b->c 1;
    # c->(conversion) 1, ->(null) 2, ->a 1.
    # x_c = 1/4 + 1/4 x_a, x_a = x_b = x_c -> x_c = 1/3, P = 1/3.
    # Without a: x_c = 1/4, P = 1/3 * 1/4 = 1/12, RE = 3/4.
    # Without b: P = 2/3 * 1/3 = 2/9, RE = 1/3. Without c: RE = 1.
    # Order 1 credits b for journeys that never convert after it; order 2 does not.
    fit = fit_markov(Paths.of(LOOPED), order=1)
    assert fit.conversion_probability == Fraction(1, 3)
    assert effects(fit) == {"a": Fraction(3, 4), "b": Fraction(1, 3), "c": ONE}


def test_order_longer_than_every_path() -> None:
    fit = fit_markov(Paths.of([row("a > b", 1), row("b", 0, 1)]), order=5)
    assert [(tr.source, tr.target) for tr in fit.transitions] == [
        ("(start)", "a"),
        ("(start)", "b"),
        ("a", "a > b"),
        ("a > b", "(conversion)"),
        ("b", "(null)"),
    ]
    assert effects(fit) == {"a": ONE, "b": ONE}


# Errors and edge cases.


@pytest.mark.parametrize("order", [0, -1, True, 1.0, "1", None])
def test_order_is_checked(order: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        fit_markov(Paths.of([row("a", 1)]), order=order)  # type: ignore[arg-type]
    assert caught.value.field == "order"


def test_paths_must_be_a_table() -> None:
    with pytest.raises(InvalidValueError, match="paths"):
        fit_markov([row("a", 1)])  # type: ignore[arg-type]


def test_empty_paths_give_zeros() -> None:
    fit = fit_markov(Paths.of([]), order=2)
    assert fit.channels == ()
    assert (fit.journeys, fit.conversions, fit.conversion_probability) == (0, 0, Z)
    assert fit.removal_effects == ()
    assert fit.transitions == ()
    assert fit.weights() == {}
    assert fit.credits(Paths.of([])) == ()
    with pytest.raises(InvalidValueError):
        fit.to_model("v1", as_of=AS_OF)


def test_no_conversion_gives_zero_effects() -> None:
    fit = fit_markov(Paths.of([row("a > b", 0, 3), row("b", 0, 1)]))
    assert fit.conversion_probability == Z
    assert effects(fit) == {"a": Z, "b": Z}
    assert fit.weights() == {"a": Z, "b": Z}


# Freezing the model.


def test_to_model_freezes_rounded_weights() -> None:
    paths = Paths.of([row("a > b", 1), row("a", 0, 1), row("b", 1), row("c", 0, 1)])
    since = datetime(2026, 3, 1, tzinfo=UTC)
    model = fit_markov(paths).to_model("spring-1", as_of=AS_OF, since=since)
    assert model.method == "markov"
    assert model.version == "spring-1"
    assert (model.fitted_as_of, model.fitted_since) == (AS_OF, since)
    assert model.weights == (
        ("a", Decimal("0.333333")),
        ("b", Decimal("0.666667")),
        ("c", Decimal("0")),
    )
    assert fit_markov(paths).to_model("v", as_of=AS_OF, places=0).weights == (
        ("a", Decimal(0)),
        ("b", Decimal(1)),
        ("c", Decimal(0)),
    )
    with pytest.raises(InvalidValueError, match="places"):
        fit_markov(paths).to_model("v", as_of=AS_OF, places=-1)


def test_to_model_rounds_half_to_even() -> None:
    fit = MarkovFit(
        order=1,
        channels=("a", "b"),
        journeys=8,
        conversions=8,
        conversion_probability=ONE,
        removal_effects=(("a", Fraction(1, 8)), ("b", Fraction(7, 8))),
        transitions=(),
    )
    assert fit.to_model("v", as_of=AS_OF, places=2).weights == (
        ("a", Decimal("0.12")),
        ("b", Decimal("0.88")),
    )


def test_credits_use_the_frozen_weights_by_default() -> None:
    paths = Paths.of([row("a > b", 3, 0, "30"), row("a", 0, 1), row("b", 1, 0, "5")])
    fit = fit_markov(paths)
    frozen = fit.to_model("v", as_of=AS_OF).weight_of
    default = fit.credits(paths)
    a_share = frozen["a"] / (frozen["a"] + frozen["b"])
    assert default[0].conversions == 3 * a_share
    assert default[0].value == 30 * a_share
    exact = fit.credits(paths, places=None)
    exact_share = effects(fit)["a"] / (effects(fit)["a"] + effects(fit)["b"])
    assert exact[0].conversions == 3 * exact_share
    assert abs(default[0].conversions - exact[0].conversions) < Fraction(1, 10**5)


# Properties.


def oracle_probability(rows: list[PathCount], order: int, removed: str | None) -> Fraction:
    """P(conversion) by counting and dense Gauss-Jordan elimination on fractions."""
    moves: defaultdict[tuple[str, ...], defaultdict[object, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for r in rows:
        previous: tuple[str, ...] = ()
        for index in range(len(r.channels)):
            state = r.channels[max(0, index - order + 1) : index + 1]
            moves[previous][state] += r.conversions + r.non_conversions
            previous = state
        moves[previous]["conversion"] += r.conversions
        moves[previous]["null"] += r.non_conversions
    states = [s for s in moves if removed is None or removed not in s]
    if () not in states:
        return Z
    at = {s: i for i, s in enumerate(states)}
    size = len(states)
    matrix = [[Z] * (size + 1) for _ in range(size)]
    for s in states:
        out = sum(moves[s].values())
        i = at[s]
        matrix[i][i] += 1
        for target, count in moves[s].items():
            if target == "conversion":
                matrix[i][size] += Fraction(count, out)
            elif target in at:
                matrix[i][at[target]] -= Fraction(count, out)
    for column in range(size):
        pivot = next(k for k in range(column, size) if matrix[k][column])
        matrix[column], matrix[pivot] = matrix[pivot], matrix[column]
        lead = matrix[column][column]
        matrix[column] = [x / lead for x in matrix[column]]
        for k in range(size):
            if k != column and matrix[k][column]:
                factor = matrix[k][column]
                matrix[k] = [x - factor * y for x, y in zip(matrix[k], matrix[column], strict=True)]
    return matrix[at[()]][size]


@settings(max_examples=60, deadline=None)
@given(path_rows(), st.integers(1, 3))
def test_exact_solution_matches_a_dense_oracle(rows: list[PathCount], order: int) -> None:
    fit = fit_markov(Paths.of(rows), order=order)
    probability = oracle_probability(rows, order, None)
    assert fit.conversion_probability == probability
    for channel, effect in fit.removal_effects:
        expected = 1 - oracle_probability(rows, order, channel) / probability if probability else Z
        assert effect == expected


@settings(max_examples=60, deadline=None)
@given(path_rows(), st.integers(1, 3))
def test_array_counting_matches_plain_counting(rows: list[PathCount], order: int) -> None:
    paths = Paths.of(rows)
    if paths.rows:
        assert _count_numpy(paths, order, paths.channels) == _count_python(paths, order)


@settings(max_examples=60, deadline=None)
@given(path_rows(), st.integers(1, 2), st.randoms(use_true_random=False))
def test_fit_properties(rows: list[PathCount], order: int, rng: random.Random) -> None:
    paths = Paths.of(rows)
    fit = fit_markov(paths, order=order)
    # Removal effects lie in [0, 1]; weights add up to 1 (or are all 0).
    assert all(Z <= effect <= ONE for _, effect in fit.removal_effects)
    weights = fit.weights()
    assert sum(weights.values(), Z) in ({ONE} if any(weights.values()) else {Z})
    # The order of the rows does not matter.
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert fit_markov(Paths.of(shuffled), order=order) == fit
    # Probabilities out of each state add up to 1.
    out: defaultdict[str, Fraction] = defaultdict(Fraction)
    for transition in fit.transitions:
        out[transition.source] += transition.probability
    assert set(out.values()) <= {ONE}
    # Credits: totals kept, nothing for a channel in no converting path.
    credits = fit.credits(paths, places=None)
    assert sum((c.conversions for c in credits), Z) == paths.conversions
    assert sum((c.value for c in credits), Z) == paths.value
    converting = {channel for r in paths.rows if r.conversions for channel in r.channels}
    assert all(c.conversions == 0 for c in credits if c.channel not in converting)
    for r in paths.rows:
        if r.conversions:
            alone = fit.credits(Paths.of([r]))
            assert sum((c.conversions for c in alone), Z) == r.conversions
    if fit.channels:
        model = fit.to_model("v", as_of=AS_OF, places=4)
        total = sum((weight for _, weight in model.weights), Decimal(0))
        if any(weights.values()):
            assert abs(total - 1) <= Decimal(len(fit.channels)) / 10**4


def swapped(r: PathCount) -> PathCount:
    swap = {"a": "b", "b": "a"}
    return PathCount(
        channels=tuple(swap.get(channel, channel) for channel in r.channels),
        conversions=r.conversions,
        non_conversions=r.non_conversions,
        value=r.value,
    )


@settings(max_examples=50, deadline=None)
@given(path_rows(), st.integers(1, 2))
def test_symmetric_channels_get_equal_removal_effects(rows: list[PathCount], order: int) -> None:
    paths = Paths.of(rows + [swapped(r) for r in rows])
    fit = fit_markov(paths, order=order)
    if "a" in fit.channels:
        assert effects(fit)["a"] == effects(fit)["b"]


@settings(max_examples=40, deadline=None)
@given(path_rows(), st.integers(1, 3))
def test_lifting_matches_the_dense_oracle(rows: list[PathCount], order: int) -> None:
    # The p-adic solve (used on large chains) on small ones, against the oracle.
    paths = Paths.of(rows)
    counts = _count_python(paths, order)
    expected = [oracle_probability(rows, order, removed) for removed in (None, *paths.channels)]
    assert _all_by_lifting(counts, paths.channels) == expected
    exact = [_conversion_probability(counts, removed) for removed in (None, *paths.channels)]
    assert exact == expected


def random_rows(count: int, channels: int, longest: int, seed: int) -> list[PathCount]:
    rng = random.Random(seed)
    names = [f"c{number:02}" for number in range(channels)]
    rows = []
    for _ in range(count):
        path = tuple(rng.choice(names) for _ in range(rng.randint(1, longest)))
        conversions = rng.randint(0, 3)
        rows.append(
            PathCount(
                channels=path,
                conversions=conversions,
                non_conversions=rng.randint(0 if conversions else 1, 5),
            )
        )
    return rows


def test_lifting_matches_elimination_on_a_sparse_third_order_chain() -> None:
    rows = random_rows(150, 6, 6, seed=3)
    paths = Paths.of(rows)
    counts = _count_numpy(paths, 3, paths.channels)
    assert len(counts.moves) > 100
    expected = [_conversion_probability(counts, removed) for removed in (None, *paths.channels)]
    assert _all_by_lifting(counts, paths.channels) == expected


def test_second_order_chain_over_many_channels_is_solved_quickly() -> None:
    # About 480 states: their exact elimination fills a dense block with integers
    # of hundreds of digits (about ten seconds); by lifting it takes well under
    # one. The flow of the journeys gives P exactly: every journey that enters a
    # state leaves it, so P is the conversion rate.
    paths = Paths.of(random_rows(800, 22, 6, seed=9))
    fit = fit_markov(paths, order=2)
    assert fit.conversion_probability == Fraction(paths.conversions, paths.journeys)
    assert all(Z < effect < ONE for _, effect in fit.removal_effects)
    assert len({effect for _, effect in fit.removal_effects}) == 22
    assert max(effect.denominator for _, effect in fit.removal_effects) > 10**300
