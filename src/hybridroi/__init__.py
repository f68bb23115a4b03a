"""hybridroi: measure and pay the return on influencer and affiliate spend.

The flow of a campaign's figures, and the package that owns each step:

* ``hybridroi.events``: raw touches, conversions and refunds;
* ``hybridroi.attribution``: which partners earned each conversion;
* ``hybridroi.statements``: commission rules and fixed fees priced into statements;
* ``hybridroi.ledger``: what is pending, locked, payable and paid;
* ``hybridroi.report``: blended ROI and KPIs.

``hybridroi.core`` holds exact money, time and errors; ``hybridroi.domain`` the
campaign model. The core is pure: no I/O.
"""

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.allocation import allocate
from hybridroi.core.durations import format_duration, parse_duration
from hybridroi.core.errors import (
    CurrencyMismatchError,
    HybridRoiError,
    InvalidValueError,
    MissingRateError,
    NaiveDatetimeError,
    UnknownCurrencyError,
)
from hybridroi.core.fx import FxConversion, FxRate, FxRates
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit
from hybridroi.core.periods import Period, PeriodKind, local_midnight, period_of, periods_between
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import ExtraCost, ExtraCostKind, FeeKind, InfluencerFee
from hybridroi.domain.partners import (
    Account,
    Affiliate,
    AffiliateKind,
    Content,
    ContentFormat,
    Influencer,
    Partner,
    Platform,
)
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    LineItem,
    Refund,
    RefundKind,
    Touch,
    TouchKind,
)

__all__ = [
    "Account",
    "Affiliate",
    "AffiliateDeal",
    "AffiliateKind",
    "AttributionResult",
    "Campaign",
    "Content",
    "ContentFormat",
    "Conversion",
    "ConversionKind",
    "Credit",
    "CreditRole",
    "CurrencyMismatchError",
    "ExtraCost",
    "ExtraCostKind",
    "FeeKind",
    "FxConversion",
    "FxRate",
    "FxRates",
    "HybridRoiError",
    "Influencer",
    "InfluencerFee",
    "InvalidValueError",
    "LineItem",
    "MissingRateError",
    "Money",
    "NaiveDatetimeError",
    "Partner",
    "Period",
    "PeriodKind",
    "Platform",
    "Problem",
    "ProblemKind",
    "Refund",
    "RefundKind",
    "Rounding",
    "Touch",
    "TouchKind",
    "UnknownCurrencyError",
    "UnroundedMoney",
    "allocate",
    "format_duration",
    "local_midnight",
    "minor_unit",
    "parse_duration",
    "period_of",
    "periods_between",
    "require_aware",
]

__version__ = "0.1.0.dev0"
