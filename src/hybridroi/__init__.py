"""hybridroi: measure and pay the return on influencer and affiliate spend.

One call takes a campaign and its events to statements and a blended ROI report::

    import hybridroi

    campaign = hybridroi.load_campaign("campaign.toml")
    events = hybridroi.read_event_files(["events.csv"])
    result = hybridroi.run(campaign, events, as_of=campaign.end, margin="0.6")
    print(hybridroi.report_to_table(result.report))

The top level holds what that needs: money, the campaign records, the event records,
:func:`run` and its :class:`RunResult`, :func:`compare_models` (the same campaign under several
attribution models), problems and the base error, reading files and tables and writing the report
as a table. The rest lives in namespaces:

* ``hybridroi.rules``: commission rules, their conditions and tier bands;
* ``hybridroi.ledger``: what is pending, locked, payable and paid; stores and exports;
* ``hybridroi.evaluation``: flat fee, commission or hybrid, compared before signing;
* ``hybridroi.files``: campaign files (TOML, JSON), event files (CSV, JSON Lines) and
  event tables (Parquet, CSV, Arrow, pandas, polars);
* ``hybridroi.serialization``: records to plain data and back;
* ``hybridroi.core``: exact money, FX, periods, durations and the errors.

The stages :func:`run` wires are plain functions of data, each in its own package:
``hybridroi.events`` (checking), ``hybridroi.attribution`` (credits; journeys and the
Markov and Shapley models),
``hybridroi.statements`` (pricing) and ``hybridroi.report`` (the report).
"""

from hybridroi.comparison import compare_models
from hybridroi.core.allocation import allocate
from hybridroi.core.errors import HybridRoiError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money, UnroundedMoney
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import Rounding
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import ExtraCost, ExtraCostKind, FeeKind, InfluencerFee
from hybridroi.domain.partners import (
    Account,
    Affiliate,
    Content,
    ContentFormat,
    Influencer,
    Platform,
)
from hybridroi.domain.policy import AttributionPolicy, TouchKind
from hybridroi.events.records import Conversion, LineItem, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.files.campaign import load_campaign
from hybridroi.files.events import read_event_files
from hybridroi.files.tables import read_event_tables
from hybridroi.pipeline import RunResult, run
from hybridroi.report.margin import GrossMargin
from hybridroi.report.records import Report
from hybridroi.report.render import (
    report_to_csv,
    report_to_dataframe,
    report_to_dict,
    report_to_table,
)

__all__ = [
    "Account",
    "Affiliate",
    "AffiliateDeal",
    "AttributionPolicy",
    "Campaign",
    "Content",
    "ContentFormat",
    "ContentStats",
    "Conversion",
    "ExtraCost",
    "ExtraCostKind",
    "FeeKind",
    "FxRates",
    "GrossMargin",
    "HybridRoiError",
    "Influencer",
    "InfluencerFee",
    "LineItem",
    "Money",
    "Platform",
    "Problem",
    "ProblemKind",
    "Refund",
    "Report",
    "Rounding",
    "RunResult",
    "Touch",
    "TouchKind",
    "UnroundedMoney",
    "allocate",
    "compare_models",
    "load_campaign",
    "read_event_files",
    "read_event_tables",
    "report_to_csv",
    "report_to_dataframe",
    "report_to_dict",
    "report_to_table",
    "run",
]

__version__ = "0.1.0.dev0"
