"""Markov-chain attribution: removal effects computed exactly from grouped paths.

The journeys are read as walks of a Markov chain, as ChannelAttribution does.
Every journey starts in ``"(start)"``, moves through one state per touch and ends
in one of the absorbing states ``"(conversion)"`` or ``"(null)"``. In a chain of
order ``k`` a state is the last ``min(i, k)`` channels met after ``i`` touches,
written ``"a > b"``; in order 1 it is the channel itself. Repeated channels are
kept as they are: ``"a > a"`` is a self-transition of ``"a"`` (ChannelAttribution
does the same). The transition probabilities are the observed counts divided by
the counts out of each state, exact fractions.

The conversion probability is the probability of reaching ``"(conversion)"``
from ``"(start)"``. It is computed exactly by solving the absorbing chain: the
equations ``D_s x_s = sum_t C(s, t) x_t + c_s`` over the transient states, with
the integer counts of the data, are solved by eliminating states one at a time
in integer arithmetic (no simulation). Only the states reachable from
``"(start)"`` that can still reach a conversion take part. On chains of more
than a few dozen states (higher orders), where that elimination meets dense
blocks of huge integers, every removal is solved at once by p-adic lifting
modulo a prime and rational reconstruction, with enough digits (from
Hadamard's bound) for the fractions to be exact: the same fractions.

The removal effect of a channel is ``1 - P_without / P``, where ``P_without`` is
the conversion probability once every transition into a state containing the
channel goes to ``"(null)"`` instead. It lies in [0, 1]; when ``P`` is 0 every
removal effect is 0.

Worked example: ``a > b`` converts, ``a`` does not, ``b`` converts, ``c`` does
not. From ``(start)``, ``a`` has probability 1/2 to go on to ``b`` (which always
converts), so ``P = 1/2 * 1/2 + 1/4 * 1 = 1/2``; without ``a`` only ``b`` is left,
``P = 1/4``, a removal effect of 1/2; without ``b`` nothing converts (1); ``c``
changes nothing (0).

>>> from hybridroi.attribution.paths import PathCount, Paths
>>> fit = fit_markov(
...     Paths.of(
...         [
...             PathCount(channels=("a", "b"), conversions=1),
...             PathCount(channels=("a",), non_conversions=1),
...             PathCount(channels=("b",), conversions=1),
...             PathCount(channels=("c",), non_conversions=1),
...         ]
...     )
... )
>>> fit.conversion_probability, fit.removal_effects
(Fraction(1, 2), (('a', Fraction(1, 2)), ('b', Fraction(1, 1)), ('c', Fraction(0, 1))))
>>> fit.weights()
{'a': Fraction(1, 3), 'b': Fraction(2, 3), 'c': Fraction(0, 1)}
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from fractions import Fraction
from itertools import chain, islice
from operator import attrgetter
from typing import Any

import attrs
import numpy as np

from hybridroi.attribution.paths import (
    PATH_SEPARATOR,
    ChannelCredit,
    Paths,
    fitted_credits,
    fitted_model,
    normalised_weights,
)
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import DataDriven

__all__ = ["CONVERSION", "NULL", "START", "MarkovFit", "Transition", "fit_markov"]

START = "(start)"
"""The state every journey starts in."""
CONVERSION = "(conversion)"
"""The absorbing state of a journey that converted."""
NULL = "(null)"
"""The absorbing state of a journey that ended without a conversion."""

_ZERO = Fraction(0)
_ONE = Fraction(1)

State = tuple[str, ...]
"""A transient state: the last channels met; ``()`` is the start."""

_START_STATE: State = ()
# numpy counts in int64: beyond these bounds the plain Python count is used.
_INT64_SAFE = 2**62
_DENSE_PAIRS = 2**22


@attrs.frozen(kw_only=True)
class Transition:
    """One observed transition of the chain.

    Attributes:
        source: The state left: ``"(start)"`` or channels such as ``"a > b"``.
        target: The state entered: channels, ``"(conversion)"`` or ``"(null)"``.
        count: How many times the journeys made the transition.
        probability: ``count`` over all the transitions out of ``source``, exact.
    """

    source: str
    target: str
    count: int
    probability: Fraction


@attrs.frozen(kw_only=True)
class _Counts:
    """The transition counts: between transient states, and into the absorbing ones."""

    moves: dict[State, dict[State, int]]
    converted: dict[State, int]
    lost: dict[State, int]


def _count_python(paths: Paths, order: int) -> _Counts:
    moves: defaultdict[State, defaultdict[State, int]] = defaultdict(lambda: defaultdict(int))
    converted: defaultdict[State, int] = defaultdict(int)
    lost: defaultdict[State, int] = defaultdict(int)
    for row in paths.rows:
        journeys = row.journeys
        previous = _START_STATE
        channels = row.channels
        for index in range(len(channels)):
            state = channels[max(0, index + 1 - order) : index + 1]
            moves[previous][state] += journeys
            previous = state
        if row.conversions:
            converted[previous] += row.conversions
        if row.non_conversions:
            lost[previous] += row.non_conversions
    return _Counts(
        moves={source: dict(targets) for source, targets in moves.items()},
        converted=dict(converted),
        lost=dict(lost),
    )


def _count_numpy(paths: Paths, order: int, channels: tuple[str, ...]) -> _Counts:
    """The same counts as :func:`_count_python`, by whole-array operations.

    A state is coded as an integer in base ``len(channels) + 1``: digit ``j``
    (from the right) is the channel met ``j`` touches before, 0 where the journey
    is shorter than the order; the codes of the start and the absorbing states
    come after all of them.
    """
    rows = paths.rows
    base = len(channels) + 1
    index = {channel: number + 1 for number, channel in enumerate(channels)}
    # map() with attrgetter keeps the per-row work out of Python bytecode.
    paths_of = list(map(attrgetter("channels"), rows))
    lengths = np.fromiter(map(len, paths_of), np.int64, count=len(rows))
    total = int(lengths.sum())
    flat = np.fromiter(map(index.__getitem__, chain.from_iterable(paths_of)), np.int64, count=total)
    won = np.fromiter(map(attrgetter("conversions"), rows), np.int64, count=len(rows))
    missed = np.fromiter(map(attrgetter("non_conversions"), rows), np.int64, count=len(rows))
    journeys = won + missed
    starts = np.cumsum(lengths) - lengths
    ends = starts + lengths - 1
    position = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    code = flat.copy()
    for back in range(1, min(order, int(lengths.max()))):
        shifted = np.zeros(total, dtype=np.int64)
        shifted[back:] = flat[:-back]
        code += np.where(position >= back, shifted * base**back, 0)
    space = base**order
    start_code, conversion_code, null_code = space, space + 1, space + 2
    weight = np.repeat(journeys, lengths)
    inside = position < np.repeat(lengths, lengths) - 1
    sources = np.concatenate([np.full(len(rows), start_code), code[inside], code[ends], code[ends]])
    targets = np.concatenate(
        [
            code[starts],
            code[np.flatnonzero(inside) + 1],
            np.full(len(rows), conversion_code),
            np.full(len(rows), null_code),
        ]
    )
    weights = np.concatenate([journeys, weight[inside], won, missed])
    width = space + 3
    found, counted = _totals(sources * width + targets, weights, width * width)
    return _decoded(found.tolist(), counted.tolist(), width, base, channels)


def _totals(
    keys: np.ndarray[Any, np.dtype[np.int64]],
    weights: np.ndarray[Any, np.dtype[np.int64]],
    space: int,
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
    """The distinct keys with a non-zero total weight, and their totals (whole numbers)."""
    if space <= _DENSE_PAIRS:
        sums = np.zeros(space, dtype=np.int64)
        np.add.at(sums, keys, weights)
        found = np.flatnonzero(sums)
        return found, sums[found]
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(unique), dtype=np.int64)
    np.add.at(sums, inverse, weights)
    keep = np.flatnonzero(sums)
    return unique[keep], sums[keep]


def _decoded(
    keys: list[int], totals: list[int], width: int, base: int, channels: tuple[str, ...]
) -> _Counts:
    """The counts by state, from the keys ``source * width + target`` of state codes."""
    start_code, conversion_code, null_code = width - 3, width - 2, width - 1
    names = ("", *channels)
    decoded: dict[int, State] = {start_code: _START_STATE}

    def state(number: int) -> State:
        if number not in decoded:
            digits = []
            rest = number
            while rest:
                rest, digit = divmod(rest, base)
                digits.append(names[digit])
            decoded[number] = tuple(reversed(digits))
        return decoded[number]

    moves: defaultdict[State, dict[State, int]] = defaultdict(dict)
    converted: dict[State, int] = {}
    lost: dict[State, int] = {}
    for key, count in zip(keys, totals, strict=True):
        source, target = divmod(key, width)
        if target == conversion_code:
            converted[state(source)] = count
        elif target == null_code:
            lost[state(source)] = count
        else:
            moves[state(source)][state(target)] = count
    return _Counts(moves=dict(moves), converted=converted, lost=lost)


def _count(paths: Paths, order: int, channels: tuple[str, ...]) -> _Counts:
    if not paths.rows:
        return _Counts(moves={}, converted={}, lost={})
    longest = max(map(len, map(attrgetter("channels"), paths.rows)))
    if paths.journeys * (longest + 1) >= _INT64_SAFE or (len(channels) + 1) ** order + 3 >= 2**31:
        return _count_python(paths, order)
    return _count_numpy(paths, order, channels)


def _reachable(
    seeds: Iterable[State], edges: Mapping[State, Iterable[State]], keep: set[State]
) -> set[State]:
    found = {seed for seed in seeds if seed in keep}
    stack = list(found)
    while stack:
        for target in edges.get(stack.pop(), ()):
            if target in keep and target not in found:
                found.add(target)
                stack.append(target)
    return found


def _conversion_probability(counts: _Counts, removed: str | None) -> Fraction:
    """P(conversion from the start), exactly, with ``removed``'s states sent to null.

    Row ``s`` stands for ``d[s] * x_s = sum_t w[s][t] * x_t + c[s]`` in whole
    numbers (``d`` the transitions out of ``s`` less its self-transitions).
    Eliminating ``s`` substitutes its row into every row that points to it, scaled
    by ``d[s]`` so that everything stays an integer; each row is then divided by
    the greatest common divisor of its entries. A transition into a removed
    state keeps its count in ``d`` but loses its target: it now ends in null.
    """
    states = set(counts.moves) | set(counts.converted) | set(counts.lost) | {_START_STATE}
    for targets in counts.moves.values():
        states.update(targets)
    keep = {state for state in states if removed is None or removed not in state}
    forward = _reachable([_START_STATE], counts.moves, keep)
    backward_edges: defaultdict[State, list[State]] = defaultdict(list)
    for source, targets in counts.moves.items():
        for target in targets:
            backward_edges[target].append(source)
    live = _reachable(counts.converted, backward_edges, forward)
    if _START_STATE not in live:
        return _ZERO
    return _eliminated(counts, live)


def _eliminated(counts: _Counts, live: set[State]) -> Fraction:
    """Solve the rows of the ``live`` states for the start, eliminating the others."""
    d: dict[State, int] = {}
    w: dict[State, dict[State, int]] = {}
    c: dict[State, int] = {}
    predecessors: dict[State, set[State]] = {state: set() for state in live}
    for state in live:
        targets = counts.moves.get(state, {})
        out = sum(targets.values()) + counts.converted.get(state, 0) + counts.lost.get(state, 0)
        d[state] = out - targets.get(state, 0)
        w[state] = {t: n for t, n in targets.items() if t != state and t in live}
        c[state] = counts.converted.get(state, 0)
        for target in w[state]:
            predecessors[target].add(state)
    pending = live - {_START_STATE}
    while pending:
        # Fewest new entries first (Markowitz), ties by state, so the work is small
        # and the same on every run.
        s = min(pending, key=lambda state: (len(predecessors[state]) * len(w[state]), state))
        pending.remove(s)
        ds, ws, cs = d[s], w[s], c[s]
        for p in predecessors[s]:
            row = w[p]
            wps = row.pop(s)
            for target in row:
                row[target] *= ds
            dp = d[p] * ds
            cp = c[p] * ds + wps * cs
            for target, wst in ws.items():
                if target == p:
                    dp -= wps * wst
                else:
                    row[target] = row.get(target, 0) + wps * wst
                    predecessors[target].add(p)
            divisor = math.gcd(dp, cp, *row.values())
            if divisor > 1:
                dp //= divisor
                cp //= divisor
                for target in row:
                    row[target] //= divisor
            d[p], c[p] = dp, cp
        for target in ws:
            predecessors[target].discard(s)
        del d[s], w[s], c[s], predecessors[s]
    return Fraction(c[_START_STATE], d[_START_STATE])


# The exact elimination above is quick on sparse chains (order 1 always), but on a
# higher-order chain the fill-in makes a dense block of hundreds of states whose
# integers have thousands of digits. Beyond _MODULAR_FROM states, every removal
# is solved at once by p-adic lifting (Dixon): the inverse of the whole matrix
# modulo one prime, the inverse of each principal submatrix from it (the
# removed states' block of the inverse), then the base-p digits of each
# solution and a rational reconstruction. Whole numbers stay below 2**53 in
# float64, so every product is exact, and the number of digits comes from
# Hadamard's bound on the determinant: the fractions are exact, not estimates.
_MODULAR_FROM = 64
_MODULAR_UP_TO = 3000
_EXACT_FLOATS = 2**52
_PRIMES_TRIED = 3
_LEAF = 48

_Floats = np.ndarray[Any, np.dtype[np.float64]]
_Indices = np.ndarray[Any, np.dtype[np.intp]]


class _UnluckyPrimeError(ArithmeticError):
    """A pivot vanished modulo the prime: another prime is needed."""


def _product(left: _Floats, right: _Floats, prime: int) -> _Floats:
    """``left @ right`` modulo ``prime`` (entries in [0, prime), exact in float64)."""
    return np.mod(left @ right, prime)


def _small_inverse(matrix: _Floats, prime: int) -> _Floats:
    """The inverse modulo ``prime`` by Gauss-Jordan elimination."""
    size = len(matrix)
    work = np.concatenate([matrix, np.eye(size)], axis=1)
    for column in range(size):
        found = np.flatnonzero(work[column:, column])
        if not found.size:
            raise _UnluckyPrimeError
        pivot = column + int(found[0])
        if pivot != column:
            work[[column, pivot]] = work[[pivot, column]]
        scale = pow(int(work[column, column]), -1, prime)
        work[column] = np.mod(work[column] * scale, prime)
        factors = work[:, column].copy()
        factors[column] = 0
        work = np.mod(work - np.outer(factors, work[column]), prime)
    return work[:, size:]


def _inverse(matrix: _Floats, prime: int) -> _Floats:
    """The inverse modulo ``prime``, by blocks (Schur complement) for the products."""
    size = len(matrix)
    if size <= _LEAF:
        return _small_inverse(matrix, prime)
    half = size // 2
    top, right = matrix[:half, :half], matrix[:half, half:]
    left, bottom = matrix[half:, :half], matrix[half:, half:]
    top_inverse = _inverse(top, prime)
    top_right = _product(top_inverse, right, prime)
    left_top = _product(left, top_inverse, prime)
    schur = _inverse(np.mod(bottom - _product(left, top_right, prime), prime), prime)
    upper = np.mod(-_product(top_right, schur, prime), prime)
    lower = np.mod(-_product(schur, left_top, prime), prime)
    corner = np.mod(top_inverse - _product(upper, left_top, prime), prime)
    return np.block([[corner, upper], [lower, schur]])


def _primes_below(limit: int) -> Iterator[int]:
    candidate = limit - 1 if limit % 2 == 0 else limit - 2
    while candidate > 2:
        if all(candidate % k for k in range(3, math.isqrt(candidate) + 1, 2)):
            yield candidate
        candidate -= 2


def _reconstructed(residue: int, modulus: int, bound: int) -> Fraction:
    """The fraction ``n / d`` with ``|n|, d <= bound`` equal to ``residue`` modulo ``modulus``.

    ``modulus > 2 * bound**2`` makes it unique (Wang's rational reconstruction).
    """
    r0, r1, t0, t1 = modulus, residue % modulus, 0, 1
    while r1 > bound:
        quotient = r0 // r1
        r0, r1, t0, t1 = r1, r0 - quotient * r1, t1, t0 - quotient * t1
    if not 0 < abs(t1) <= bound:
        raise _UnluckyPrimeError
    return Fraction(r1, t1)


def _all_by_lifting(counts: _Counts, channels: tuple[str, ...]) -> list[Fraction] | None:
    """P and each channel's P without it, by p-adic lifting; None where it does not apply.

    The matrix ``A`` of all the transient states has ``A[s][s] = D_s`` and
    ``A[s][t] = -C(s, t)``; removing a channel keeps the rows and columns ``K`` of
    the other states. Every principal submatrix ``A_KK`` is invertible: from each
    state a journey ends, inside ``K`` or by leaving it.
    """
    if not counts.moves:
        return [_ZERO] * (len(channels) + 1)
    states = set(counts.moves) | set(counts.converted) | set(counts.lost) | {_START_STATE}
    for targets in counts.moves.values():
        states.update(targets)
    size = len(states)
    if size > _MODULAR_UP_TO:
        return None
    at = {state: number for number, state in enumerate(sorted(states))}
    matrix = np.zeros((size, size))
    free = np.zeros(size)
    largest = 0
    for state, number in at.items():
        targets = counts.moves.get(state, {})
        converted = counts.converted.get(state, 0)
        out = sum(targets.values()) + converted + counts.lost.get(state, 0)
        largest = max(largest, 2 * out)
        matrix[number, number] = out
        for target, count in targets.items():
            matrix[number, at[target]] -= count
        free[number] = converted
    limit = math.isqrt(_EXACT_FLOATS // max(size, _LEAF))
    if largest * limit >= _EXACT_FLOATS:
        return None
    keep = np.ones((size, len(channels) + 1))
    removed: list[_Indices] = [np.zeros(0, dtype=np.intp)]
    for column, channel in enumerate(channels, 1):
        inside = np.array([n for state, n in at.items() if channel in state], dtype=np.intp)
        keep[inside, column] = 0
        removed.append(inside)
    # Hadamard: |det A_KK| <= the product of the norms of its rows; it bounds the
    # denominators, and the numerators too since every probability is <= 1.
    squares = (matrix * matrix) @ keep
    bounds = [
        1 << math.ceil(0.5 * float(np.log2(squares[keep[:, column] > 0, column]).sum()) + 8)
        for column in range(keep.shape[1])
    ]
    for prime in islice(_primes_below(limit), _PRIMES_TRIED):
        try:
            return _lifted(
                matrix,
                free,
                keep,
                removed=removed,
                start=at[_START_STATE],
                bounds=bounds,
                prime=prime,
            )
        except _UnluckyPrimeError:
            continue
    return None  # pragma: no cover - three unlucky primes in a row


def _lifted(
    matrix: _Floats,
    free: _Floats,
    keep: _Floats,
    *,
    removed: list[_Indices],
    start: int,
    bounds: list[int],
    prime: int,
) -> list[Fraction]:
    """Dixon's lifting of ``A_KK x = c_K`` for every column of ``keep``, modulo ``prime``."""
    inverse = _inverse(np.mod(matrix, prime), prime)
    # (A_KK)^-1 v = G_KK v - G_KR (G_RR)^-1 G_RK v, with G = A^-1 and R the removed states.
    blocks = [_inverse(inverse[np.ix_(rows, rows)], prime) for rows in removed]
    steps = [math.ceil((2 * bound.bit_length() + 2) / math.log2(prime)) for bound in bounds]
    digits = np.zeros((max(steps), keep.shape[1]))
    sources, targets = np.nonzero(matrix)
    entries = matrix[sources, targets][:, None]
    firsts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
    filled = sources[firsts]
    residual = free[:, None] * keep
    spread = np.zeros_like(residual)
    for step in range(len(digits)):
        solution = _product(inverse, np.mod(residual, prime), prime)
        for column, rows in enumerate(removed):
            if rows.size:
                spread[rows, column] = _product(blocks[column], solution[rows, column], prime)
        solution = np.mod(solution - _product(inverse, spread, prime), prime) * keep
        digits[step] = solution[start]
        # residual = (residual - A_KK solution) / prime, exactly (a sparse product).
        product = np.zeros_like(residual)
        product[filled] = np.add.reduceat(entries * solution[targets], firsts, axis=0)
        residual = (residual - product) / prime * keep
    result = []
    for column, count in enumerate(steps):
        value = 0
        for digit in reversed(digits[:count, column].tolist()):
            value = value * prime + int(digit)
        result.append(_reconstructed(value, prime**count, bounds[column]))
    return result


def _probabilities(counts: _Counts, channels: tuple[str, ...]) -> list[Fraction]:
    """P, then P without each channel in turn, exactly."""
    states = set(counts.moves) | set(counts.converted) | set(counts.lost)
    if len(states) >= _MODULAR_FROM:
        lifted = _all_by_lifting(counts, channels)
        if lifted is not None:
            return lifted
    return [_conversion_probability(counts, removed) for removed in (None, *channels)]


def _state_text(state: State) -> str:
    return PATH_SEPARATOR.join(state) if state else START


@attrs.frozen(kw_only=True)
class MarkovFit:
    """A Markov chain fitted on grouped paths, with each channel's removal effect.

    Attributes:
        order: The order of the chain (how many past channels a state remembers).
        channels: The channels of the paths, sorted.
        journeys: How many journeys were read.
        conversions: How many of them converted.
        conversion_probability: P(conversion from the start), exact.
        removal_effects: Each channel's removal effect, in [0, 1], by channel.
        transitions: The observed transitions, sorted by (source, target).
    """

    order: int
    channels: tuple[str, ...]
    journeys: int
    conversions: int
    conversion_probability: Fraction
    removal_effects: tuple[tuple[str, Fraction], ...]
    transitions: tuple[Transition, ...]

    def weights(self) -> dict[str, Fraction]:
        """The removal effects scaled to add up to 1 (all 0 when they all are).

        Returns:
            Each channel's weight, by channel.
        """
        return normalised_weights(self.removal_effects)

    def credits(self, paths: Paths, *, places: int | None = 6) -> tuple[ChannelCredit, ...]:
        """Credit the conversions and value of ``paths`` to their channels by removal effect.

        Each converting path is split among its own channels in proportion to
        their weights (:func:`~hybridroi.attribution.paths.credit_paths`), so raw
        or normalised effects give the same credits. This differs from
        ChannelAttribution, which scales globally (total conversions x RE / sum of
        RE): here a channel that is in no converting journey is credited nothing,
        and each journey's credits add up to its own conversions, which is what
        paying partners on their own sales needs.

        By default the weights are the ones :meth:`to_model` freezes (rounded
        once to ``places`` decimals), so the table shows what the frozen model
        credits. With ``places=None`` the exact removal effects are used: exact
        too, but their fractions grow with the data (hundreds of digits on large
        fits), and so do the sums of the credits.

        Args:
            paths: The paths to credit (usually the ones fitted).
            places: Decimal places of the weights, as in :meth:`to_model`; ``None``
                for the exact removal effects.

        Returns:
            One credit per channel of ``paths``, sorted by channel.

        Raises:
            InvalidValueError: For a bad ``places``.
        """
        return fitted_credits(paths, dict(self.removal_effects), self.weights(), places)

    def to_model(
        self,
        version: str,
        *,
        as_of: datetime,
        since: datetime | None = None,
        places: int = 6,
    ) -> DataDriven:
        """Freeze the normalised weights as a model version that pays commissions.

        Each weight is rounded once to ``places`` decimals, half to even, so the
        frozen weights add up to 1 within ``len(channels) * 10**-places``.

        Args:
            version: The model version, an identifier (``"spring-2026-11"``).
            as_of: The instant of the fit (journeys up to it were read).
            since: The start of the journeys read, if bounded.
            places: Decimal places kept of each weight, 0 to 28.

        Returns:
            The model, method ``"markov"``.

        Raises:
            InvalidValueError: For a bad ``places``, or (from the model) a bad
                version or instant, or a fit without channels.
        """
        return fitted_model(
            "markov", version, self.weights(), as_of=as_of, since=since, places=places
        )


@collector_paused()
def fit_markov(paths: Paths, *, order: int = 1) -> MarkovFit:
    """Fit a Markov chain of ``order`` on the paths and compute every removal effect.

    Args:
        paths: The grouped paths (an empty table gives a fit of zeros).
        order: How many past channels a state remembers, >= 1.

    Returns:
        The fit.

    Raises:
        InvalidValueError: If ``order`` is not an integer >= 1 or ``paths`` is not
            a :class:`~hybridroi.attribution.paths.Paths`.
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise InvalidValueError("order", order, "an integer >= 1")
    # Duck-typed: a table is read through its rows (already checked by Paths).
    if not isinstance(getattr(paths, "rows", None), tuple):
        raise InvalidValueError("paths", paths, "a Paths table (Paths.of(rows))")
    channels = paths.channels
    counts = _count(paths, order, channels)
    solved = _probabilities(counts, channels)
    probability = solved[0]
    effects = [
        (channel, _ONE - without / probability if probability else _ZERO)
        for channel, without in zip(channels, solved[1:], strict=True)
    ]
    transitions: list[Transition] = []
    sources = set(counts.moves) | set(counts.converted) | set(counts.lost)
    for source in sources:
        targets = [
            (_state_text(target), count) for target, count in counts.moves.get(source, {}).items()
        ]
        if source in counts.converted:
            targets.append((CONVERSION, counts.converted[source]))
        if source in counts.lost:
            targets.append((NULL, counts.lost[source]))
        out = sum(count for _, count in targets)
        transitions.extend(
            Transition(
                source=_state_text(source),
                target=target,
                count=count,
                probability=Fraction(count, out),
            )
            for target, count in targets
        )
    transitions.sort(key=lambda transition: (transition.source, transition.target))
    return MarkovFit(
        order=order,
        channels=channels,
        journeys=paths.journeys,
        conversions=paths.conversions,
        conversion_probability=probability,
        removal_effects=tuple(effects),
        transitions=tuple(transitions),
    )
