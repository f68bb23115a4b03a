"""Attribution: which partners earned each conversion, and in what share.

The engine (:func:`attribute`, :func:`attribute_batch`) credits each conversion
under the campaign's policy. The data-driven models learn the weights of a
:class:`~hybridroi.domain.policy.DataDriven` policy model from journeys:
:func:`build_journeys` cuts them from events (or :func:`hybridroi.files.read_paths`
reads grouped paths), :func:`fit_markov` and :func:`fit_shapley` fit them, and a
fit's ``to_model`` freezes the weights as a model version that pays commissions.
"""

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.attribution.engine import attribute, attribute_batch
from hybridroi.attribution.journeys import Journey, Journeys, build_journeys
from hybridroi.attribution.markov import MarkovFit, Transition, fit_markov
from hybridroi.attribution.paths import (
    ChannelCredit,
    PathCount,
    Paths,
    credit_paths,
    format_path,
    parse_path,
)
from hybridroi.attribution.plots import channels_figure
from hybridroi.attribution.shapley import ShapleyFit, fit_shapley
from hybridroi.domain.policy import CustomModel, DataDriven, weighted_split

__all__ = [
    "AttributionResult",
    "ChannelCredit",
    "Credit",
    "CreditRole",
    "CustomModel",
    "DataDriven",
    "Journey",
    "Journeys",
    "MarkovFit",
    "PathCount",
    "Paths",
    "ShapleyFit",
    "Transition",
    "attribute",
    "attribute_batch",
    "build_journeys",
    "channels_figure",
    "credit_paths",
    "fit_markov",
    "fit_shapley",
    "format_path",
    "parse_path",
    "weighted_split",
]
