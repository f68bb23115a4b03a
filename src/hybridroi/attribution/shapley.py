"""Shapley-value attribution over channel coalitions, exact up to a stated size.

The worth of a coalition ``S`` of channels is ``v(S)``: the conversions (or, with
``by="value"``, the conversion value) of the paths whose set of channels lies
inside ``S``. A channel's Shapley value is its marginal contribution
``v(S + {i}) - v(S)`` averaged over every order in which the channels could join.

With at most ``exact_up_to`` channels the values are exact: ``v`` is computed
for all ``2**n`` coalitions (by subset sums over the distinct channel sets of the
converting paths) and weighted by ``|S|! (n - |S| - 1)! / n!``, in whole numbers.
For this ``v`` the result equals the "simplified Shapley value" of Zhao et al.
(2018): each converting channel set's conversions shared equally among its
channels.

Beyond ``exact_up_to`` channels the values are approximated, as Castro, Gomez and
Tejada (2009) do: the marginal contributions are averaged over ``samples`` random
orders drawn with ``numpy.random.default_rng(seed)``. The average is an exact
fraction of the orders drawn, so the same seed gives the same values; the values
still add up exactly to ``v(N)``. Each value is within ``t * v(N)`` of the exact
one with probability at least ``1 - 2 exp(-2 samples t**2)`` (Hoeffding: one
order's contribution lies in ``[0, v(N)]``).

Worked example: ``a`` converts twice, ``b`` once, ``a > b`` three times.
``a`` adds 2 alone and 5 after ``b``; ``b`` adds 1 alone and 4 after ``a``; so
``a`` gets ``(2 + 5) / 2 = 7/2`` and ``b`` gets ``(1 + 4) / 2 = 5/2``.

>>> from hybridroi.attribution.paths import PathCount, Paths
>>> fit = fit_shapley(
...     Paths.of(
...         [
...             PathCount(channels=("a",), conversions=2),
...             PathCount(channels=("b",), conversions=1),
...             PathCount(channels=("a", "b"), conversions=3),
...         ]
...     )
... )
>>> fit.values
(('a', Fraction(7, 2)), ('b', Fraction(5, 2)))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Literal

import attrs
import numpy as np

from hybridroi.attribution.paths import (
    ChannelCredit,
    Paths,
    fitted_credits,
    fitted_model,
    normalised_weights,
)
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import DataDriven

__all__ = ["EXACT_LIMIT", "ShapleyFit", "fit_shapley"]

EXACT_LIMIT = 20
"""The largest ``exact_up_to`` accepted: ``2**20`` coalitions."""

_ZERO = Fraction(0)


@attrs.frozen(kw_only=True)
class ShapleyFit:
    """Each channel's Shapley value over the paths.

    Attributes:
        channels: The channels of the paths, sorted.
        by: What a coalition is worth: ``"conversions"`` or ``"value"``.
        values: Each channel's Shapley value, by channel; they add up to ``v(N)``.
        exact: Whether the values are exact (False: sampled orders).
        samples: The number of orders drawn, or ``None`` when exact.
        seed: The seed of the draw, or ``None`` when exact.
    """

    channels: tuple[str, ...]
    by: Literal["conversions", "value"]
    values: tuple[tuple[str, Fraction], ...]
    exact: bool
    samples: int | None
    seed: int | None

    def weights(self) -> dict[str, Fraction]:
        """The Shapley values scaled to add up to 1 (all 0 when they all are).

        Returns:
            Each channel's weight, by channel.
        """
        return normalised_weights(self.values)

    def credits(self, paths: Paths, *, places: int | None = 6) -> tuple[ChannelCredit, ...]:
        """Credit the conversions and value of ``paths`` to their channels by Shapley value.

        Each converting path is split among its own channels in proportion to
        their weights (:func:`~hybridroi.attribution.paths.credit_paths`). By
        default the weights are the ones :meth:`to_model` freezes (rounded once
        to ``places`` decimals); ``places=None`` uses the exact values.

        Args:
            paths: The paths to credit (usually the ones fitted).
            places: Decimal places of the weights, as in :meth:`to_model`; ``None``
                for the exact values.

        Returns:
            One credit per channel of ``paths``, sorted by channel.

        Raises:
            InvalidValueError: For a bad ``places``.
        """
        return fitted_credits(paths, dict(self.values), self.weights(), places)

    def to_model(
        self,
        version: str,
        *,
        as_of: datetime,
        since: datetime | None = None,
        places: int = 6,
    ) -> DataDriven:
        """Freeze the normalised values as a model version that pays commissions.

        Each weight is rounded once to ``places`` decimals, half to even, so the
        frozen weights add up to 1 within ``len(channels) * 10**-places``.

        Args:
            version: The model version, an identifier (``"spring-2026-11"``).
            as_of: The instant of the fit (journeys up to it were read).
            since: The start of the journeys read, if bounded.
            places: Decimal places kept of each weight, 0 to 28.

        Returns:
            The model, method ``"shapley"``.

        Raises:
            InvalidValueError: For a bad ``places``, or (from the model) a bad
                version or instant, or a fit without channels.
        """
        return fitted_model(
            "shapley", version, self.weights(), as_of=as_of, since=since, places=places
        )


def _whole(value: object, name: str, low: int, high: int | None = None) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise InvalidValueError(name, value, f"an integer {bound}")
    return value


def _worths(paths: Paths, channels: Sequence[str], by: str) -> tuple[dict[int, int], int]:
    """Each converting channel set as a bit mask, with its worth in whole units.

    Returns the worths and the denominator they share (1 for conversions), so
    that every later sum is of whole numbers.
    """
    bit = {channel: 1 << number for number, channel in enumerate(channels)}
    raw: dict[int, Fraction] = {}
    for row in paths.rows:
        if not row.conversions:
            continue
        mask = 0
        for channel in row.channels:
            mask |= bit[channel]
        worth = Fraction(row.conversions) if by == "conversions" else row.value
        raw[mask] = raw.get(mask, _ZERO) + worth
    scale = math.lcm(*(worth.denominator for worth in raw.values())) if raw else 1
    return {
        mask: worth.numerator * (scale // worth.denominator) for mask, worth in raw.items() if worth
    }, scale


def _exact(worths: dict[int, int], n: int) -> list[Fraction]:
    """Shapley values by enumerating all ``2**n`` coalitions."""
    size = 1 << n
    v = [0] * size
    for mask, worth in worths.items():
        v[mask] += worth
    # Subset sums: afterwards v[S] is the worth of every set inside S.
    for number in range(n):
        bit = 1 << number
        for mask in range(size):
            if mask & bit:
                v[mask] += v[mask ^ bit]
    # |S|! (n - |S| - 1)!, over the common denominator n!.
    weight = [math.factorial(k) * math.factorial(n - k - 1) for k in range(n)]
    totals = [0] * n
    for mask in range(size):
        k = mask.bit_count()
        if k == n:
            continue
        w, worth = weight[k], v[mask]
        rest = ~mask
        for number in range(n):
            bit = 1 << number
            if rest & bit:
                totals[number] += w * (v[mask | bit] - worth)
    whole = math.factorial(n)
    return [Fraction(total, whole) for total in totals]


def _sampled(worths: dict[int, int], n: int, samples: int, seed: int) -> list[Fraction]:
    """Shapley values averaged over ``samples`` random orders of the channels.

    In one order, the marginal contribution of channel ``i`` is the worth of the
    channel sets that become complete when ``i`` joins: those whose last channel,
    in that order, is ``i``. So each set's worth goes to its last channel, and the
    average over the orders is computed exactly from how often each channel was
    a set's last.
    """
    if not worths:
        return [_ZERO] * n
    masks = list(worths)
    member = np.array([[(mask >> number) & 1 for number in range(n)] for mask in masks], dtype=bool)
    orders = np.random.default_rng(seed).permuted(
        np.tile(np.arange(n, dtype=np.int64), (samples, 1)), axis=1
    )
    rank = np.empty_like(orders)
    rank[np.arange(samples)[:, None], orders] = np.arange(n, dtype=np.int64)[None, :]
    times = np.zeros((len(masks), n), dtype=np.int64)
    columns = np.arange(len(masks))
    # A few million cells at a time: (orders, sets, channels).
    chunk = max(1, 4_000_000 // (len(masks) * n))
    for first in range(0, samples, chunk):
        ranks = rank[first : first + chunk]
        # For each order and set: the member channel that joins last.
        last = np.where(member[None, :, :], ranks[:, None, :], -1).argmax(axis=2)
        np.add.at(times, (np.broadcast_to(columns, last.shape), last), 1)
    totals = [0] * n
    for column, mask in enumerate(masks):
        worth = worths[mask]
        for number, count in enumerate(times[column].tolist()):
            totals[number] += worth * count
    return [Fraction(total, samples) for total in totals]


@collector_paused()
def fit_shapley(
    paths: Paths,
    *,
    by: Literal["conversions", "value"] = "conversions",
    exact_up_to: int = 12,
    samples: int = 2000,
    seed: int = 0,
) -> ShapleyFit:
    """Compute each channel's Shapley value over the paths.

    Args:
        paths: The grouped paths (an empty table gives no values).
        by: What a coalition is worth: the ``"conversions"`` or the conversion
            ``"value"`` of the paths whose channels lie inside it.
        exact_up_to: The largest number of channels computed exactly, 0 to
            :data:`EXACT_LIMIT`; beyond it the values are sampled.
        samples: The number of random orders drawn beyond ``exact_up_to``, >= 1.
        seed: The seed of the draw, >= 0.

    Returns:
        The fit.

    Raises:
        InvalidValueError: For an argument out of range, naming it.
    """
    # Duck-typed: a table is read through its rows (already checked by Paths).
    if not isinstance(getattr(paths, "rows", None), tuple):
        raise InvalidValueError("paths", paths, "a Paths table (Paths.of(rows))")
    if by not in ("conversions", "value"):
        raise InvalidValueError("by", by, '"conversions" or "value"')
    _whole(exact_up_to, "exact_up_to", 0, EXACT_LIMIT)
    _whole(samples, "samples", 1)
    _whole(seed, "seed", 0)
    channels = paths.channels
    n = len(channels)
    worths, scale = _worths(paths, channels, by)
    exact = n <= exact_up_to
    values = _exact(worths, n) if exact else _sampled(worths, n, samples, seed)
    return ShapleyFit(
        channels=channels,
        by=by,
        values=tuple(
            (channel, value / scale) for channel, value in zip(channels, values, strict=True)
        ),
        exact=exact,
        samples=None if exact else samples,
        seed=None if exact else seed,
    )
