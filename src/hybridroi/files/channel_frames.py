r"""Data-driven attribution as tables: channels, transitions and paths.

The conventions are those of :mod:`hybridroi.files.frames`: an Arrow table by default,
a pandas or polars DataFrame with ``to="pandas"`` or ``to="polars"``. An exact fraction
``<name>`` (a removal effect, a Shapley value, a credited count or value) is the pair of
integer columns ``<name>_numerator`` and ``<name>_denominator`` in lowest terms, beside
``<name>``, its value rounded half-up to :data:`~hybridroi.files.frames.KPI_PLACES`
places for reading. Credited values are in the currency of the paths' values.

>>> from hybridroi.attribution.markov import fit_markov
>>> from hybridroi.attribution.paths import PathCount, Paths
>>> paths = Paths.of([
...     PathCount(channels=("tiktok", "coupons"), conversions=1, non_conversions=1, value="80"),
...     PathCount(channels=("coupons",), conversions=1, non_conversions=3, value="40"),
... ])
>>> table = channels_table(fit_markov(paths), paths)
>>> table.column("channel").to_pylist()
['coupons', 'tiktok']
>>> table.column("removal_effect").to_pylist()
[Decimal('1.000000'), Decimal('0.333333')]
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hybridroi.attribution.markov import MarkovFit
from hybridroi.attribution.paths import Paths, format_path
from hybridroi.attribution.shapley import ShapleyFit
from hybridroi.core.money import Rounding, finite_decimal, scaled
from hybridroi.core.rounding import round_minor
from hybridroi.files.frames import (
    KPI_PLACES,
    _Columns,
    _converter,
    _exact_decimals,
    _integers,
    _require,
    _text,
)

__all__ = ["channels_table", "paths_table", "shown_fraction", "transitions_table"]


def shown_fraction(value: Fraction | None) -> Decimal | None:
    """An exact fraction rounded half-up to ``KPI_PLACES`` places, for reading.

    Args:
        value: The fraction, or None.

    Returns:
        The rounded decimal, or None.
    """
    if value is None:
        return None
    return scaled(round_minor(value * 10**KPI_PLACES, rounding=Rounding.HALF_UP), -KPI_PLACES)


def _fractions(columns: _Columns, name: str, values: Sequence[Fraction | None]) -> None:
    """``<name>_numerator``, ``<name>_denominator`` and ``<name>`` rounded for reading."""
    columns.fractions(name, values)
    columns[name] = _exact_decimals([shown_fraction(value) for value in values], KPI_PLACES)


def channels_table(fit: MarkovFit | ShapleyFit, paths: Paths, *, to: str = "arrow") -> Any:
    """One row per channel of a fit: its effect, its weight and what it is credited.

    Columns: ``channel``; ``removal_effect`` (a Markov fit) or ``shapley_value`` (a
    Shapley fit); ``weight`` (the effects scaled to add up to 1, what
    ``fit.to_model`` freezes before rounding); ``conversions`` and ``value``, what
    the fit credits the channel with on ``paths`` (each converting path split among
    its own channels by weight). Every number is an exact fraction (see the module).

    Args:
        fit: A fit of :func:`~hybridroi.attribution.markov.fit_markov` or
            :func:`~hybridroi.attribution.shapley.fit_shapley`.
        paths: The paths to credit (usually those fitted).
        to: ``"arrow"``, ``"pandas"`` or ``"polars"``.

    Returns:
        The table, sorted by channel.

    Raises:
        InvalidTypeError: If ``fit`` or ``paths`` is not one.
        InvalidValueError: If ``to`` is not one of its values.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "channels_table")
    _require(fit, (MarkovFit, ShapleyFit), "channels_table.fit", "a MarkovFit or ShapleyFit")
    _require(paths, Paths, "channels_table.paths", "the Paths to credit")
    if isinstance(fit, MarkovFit):
        effects, name = dict(fit.removal_effects), "removal_effect"
    else:
        effects, name = dict(fit.values), "shapley_value"
    weights = fit.weights()
    credited = {credit.channel: credit for credit in fit.credits(paths)}
    channels = sorted(set(effects) | set(credited))
    columns = _Columns(decimals=False, places=0)
    columns["channel"] = _text(channels)
    _fractions(columns, name, [effects.get(channel) for channel in channels])
    _fractions(columns, "weight", [weights.get(channel) for channel in channels])
    _fractions(
        columns,
        "conversions",
        [credited[c].conversions if c in credited else Fraction(0) for c in channels],
    )
    _fractions(
        columns, "value", [credited[c].value if c in credited else Fraction(0) for c in channels]
    )
    return deliver(columns.table())


def transitions_table(fit: MarkovFit, *, to: str = "arrow") -> Any:
    """The transitions of a Markov fit: ``source``, ``target``, ``count``, ``probability``.

    States are written as ChannelAttribution writes them: ``(start)``,
    ``(conversion)``, ``(null)``, and channels joined by ``" > "`` for a chain of
    order 2 or more. ``probability`` is exact (numerator and denominator).

    Args:
        fit: A fit of :func:`~hybridroi.attribution.markov.fit_markov`.
        to: ``"arrow"``, ``"pandas"`` or ``"polars"``.

    Returns:
        The table, sorted by (source, target).

    Raises:
        InvalidTypeError: If ``fit`` is not a ``MarkovFit``.
        InvalidValueError: If ``to`` is not one of its values.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "transitions_table")
    _require(fit, MarkovFit, "transitions_table.fit", "a MarkovFit")
    rows = fit.transitions
    columns = _Columns(decimals=False, places=0)
    columns["source"] = _text([row.source for row in rows])
    columns["target"] = _text([row.target for row in rows])
    columns["count"] = _integers([row.count for row in rows])
    _fractions(columns, "probability", [row.probability for row in rows])
    return deliver(columns.table())


def paths_table(paths: Paths, *, to: str = "arrow") -> Any:
    """Grouped paths in ChannelAttribution's form, which :func:`read_paths` reads back.

    Columns: ``path`` (channels joined by ``" > "``), ``total_conversions``,
    ``total_null`` and ``total_conversion_value`` (exact: a decimal column when
    every value is a finite decimal, else text of the exact fraction ``p/q``).

    Args:
        paths: The grouped paths.
        to: ``"arrow"``, ``"pandas"`` or ``"polars"``.

    Returns:
        The table, one row per path, in the paths' order.

    Raises:
        InvalidTypeError: If ``paths`` is not a ``Paths``.
        InvalidValueError: If ``to`` is not one of its values.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "paths_table")
    _require(paths, Paths, "paths_table.paths", "a Paths")
    rows = paths.rows
    columns = _Columns(decimals=False, places=0)
    columns["path"] = _text([format_path(row.channels) for row in rows])
    columns["total_conversions"] = _integers([row.conversions for row in rows])
    columns["total_null"] = _integers([row.non_conversions for row in rows])
    values = [finite_decimal(row.value) for row in rows]
    if all(value is not None for value in values):
        columns["total_conversion_value"] = _exact_decimals(values)
    else:
        columns["total_conversion_value"] = _text([str(row.value) for row in rows])
    return deliver(columns.table())
