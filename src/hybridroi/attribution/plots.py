"""The figure of a data-driven fit (the optional ``plot`` extra: ``pip install hybridroi[plot]``).

:func:`channels_figure` returns a :class:`matplotlib.figure.Figure` built without
``pyplot``: nothing is shown and no global figure state is touched. matplotlib is
imported only when the function is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hybridroi.attribution.markov import MarkovFit
from hybridroi.attribution.paths import Paths
from hybridroi.attribution.shapley import ShapleyFit
from hybridroi.core.errors import InvalidTypeError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["channels_figure"]


def channels_figure(fit: MarkovFit | ShapleyFit, paths: Paths) -> Figure:
    """Each channel's weight beside its share of the credited conversions and value.

    The left panel shows the fitted effect of each channel (removal effect or
    Shapley value) as a share of all effects; the right one what the fit credits
    each channel with on ``paths``: its share of the conversions and of the
    conversion value. A channel that weighs a lot but is credited little appears
    in few converting journeys.

    Args:
        fit: A Markov or Shapley fit.
        paths: The paths to credit (usually those fitted).

    Returns:
        The figure.

    Raises:
        InvalidTypeError: If ``fit`` or ``paths`` is not one.
    """
    if not isinstance(fit, MarkovFit | ShapleyFit):
        raise InvalidTypeError("fit", fit, "a MarkovFit or ShapleyFit")
    if not isinstance(paths, Paths):
        raise InvalidTypeError("paths", paths, "the Paths to credit")
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency, loaded on use
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hybridroi's figures need matplotlib: pip install 'hybridroi[plot]'"
        ) from error
    weights = fit.weights()
    credits = {credit.channel: credit for credit in fit.credits(paths)}
    channels = sorted(set(weights) | set(credits))
    conversions = paths.conversions
    value = paths.value
    # Bar heights only: the exact figures are in the fit and in channels_table.
    weight_heights = [float(weights.get(channel, 0)) for channel in channels]
    conversion_heights = [
        float(credits[c].conversions / conversions) if c in credits and conversions else 0.0
        for c in channels
    ]
    value_heights = [
        float(credits[c].value / value) if c in credits and value else 0.0 for c in channels
    ]
    noun = "removal effect" if isinstance(fit, MarkovFit) else "Shapley value"
    figure = Figure(figsize=(10, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    positions = range(len(channels))
    left.barh(positions, weight_heights, color="tab:purple")
    left.set_yticks(positions, channels)
    left.invert_yaxis()
    left.set_xlabel(f"{noun}, share of all channels")
    left.set_title(f"{noun} by channel")
    left.grid(axis="x", alpha=0.3)
    height = 0.4
    right.barh([p - height / 2 for p in positions], conversion_heights, height, label="conversions")
    right.barh([p + height / 2 for p in positions], value_heights, height, label="value")
    right.set_xlabel("share of the credited total")
    right.set_title("credited on the journeys")
    right.legend(loc="best")
    right.grid(axis="x", alpha=0.3)
    return figure
