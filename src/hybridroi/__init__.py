"""hybridroi: measure and pay the return on influencer and affiliate spend.

The flow of a campaign's figures, and the package that owns each step:

* ``hybridroi.events``: raw touches, conversions and refunds, checked into a batch;
* ``hybridroi.attribution``: which partners earned each conversion;
* ``hybridroi.statements``: commission rules and fixed fees priced into statements;
* ``hybridroi.ledger``: what is pending, locked, payable and paid;
* ``hybridroi.report``: blended ROI and KPIs.

``hybridroi.core`` holds exact money, time and errors; ``hybridroi.domain`` the campaign
model; ``hybridroi.evaluation`` compares deal structures before signing. The core is pure:
files (``hybridroi.files``), serialization (``hybridroi.serialization``), the SQLite store
and the command line (``hybridroi.cli``) live at the edges.
"""

from hybridroi.attribution.credits import (
    AttributionResult,
    Credit,
    CreditRole,
)
from hybridroi.attribution.engine import (
    attribute,
    attribute_batch,
)
from hybridroi.core.allocation import (
    allocate,
)
from hybridroi.core.durations import (
    format_duration,
    parse_duration,
)
from hybridroi.core.errors import (
    CurrencyMismatchError,
    HybridRoiError,
    InvalidValueError,
    MissingRateError,
    NaiveDatetimeError,
    UnknownCurrencyError,
)
from hybridroi.core.fx import (
    FxConversion,
    FxRate,
    FxRates,
)
from hybridroi.core.money import (
    Money,
    Rounding,
    UnroundedMoney,
    minor_unit,
)
from hybridroi.core.periods import (
    Period,
    PeriodKind,
    local_midnight,
    period_of,
    periods_between,
)
from hybridroi.core.problems import (
    Problem,
    ProblemKind,
)
from hybridroi.core.timezones import (
    require_aware,
)
from hybridroi.domain.campaign import (
    Campaign,
)
from hybridroi.domain.conditions import (
    CategoryIn,
    ContentFormatIn,
    ContentPlatformIn,
    CountryIn,
    CustomerIs,
    OrderValue,
    PromoCodeUsed,
    SkuIn,
)
from hybridroi.domain.deals import (
    AffiliateDeal,
)
from hybridroi.domain.fees import (
    ExtraCost,
    ExtraCostKind,
    FeeKind,
    InfluencerFee,
)
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
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
    TouchKind,
)
from hybridroi.domain.rules import (
    RULE_TYPES,
    Cap,
    CapScope,
    CommissionBase,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RecoverableDraw,
    RecurringRate,
    Rule,
    RuleOutcome,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.evaluation.design import (
    BudgetSplit,
    FlatFeeAlternatives,
    match_flat_fee,
    split_budget,
)
from hybridroi.evaluation.evaluate import (
    BreakEven,
    Candidate,
    Comparison,
    DealEvaluation,
    Indifference,
    break_even,
    compare,
    indifference,
    simulate,
)
from hybridroi.evaluation.forecast import (
    Beta,
    Empirical,
    Forecast,
    LogNormal,
    Point,
    Triangular,
    Volume,
)
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import (
    Conversion,
    ConversionKind,
    Event,
    LineItem,
    Refund,
    RefundKind,
    Touch,
)
from hybridroi.events.stats import (
    ContentStats,
    check_stats,
    latest_stats,
)
from hybridroi.ledger.entries import (
    EntryStatus,
    EntryType,
    LedgerEntry,
    LedgerKey,
)
from hybridroi.ledger.export import (
    PartnerStatement,
)
from hybridroi.ledger.lifecycle import (
    Balance,
    LockAfterMonthEnd,
    LockAfterSale,
    LockOnDayOfMonth,
    LockRule,
)
from hybridroi.ledger.payouts import (
    CarryOver,
    PayoutBatch,
    PayoutRun,
    PayoutSchedule,
)
from hybridroi.ledger.policy import (
    LedgerPolicies,
    LedgerPolicy,
)
from hybridroi.ledger.store import (
    Ledger,
    LedgerStore,
    PostingResult,
    PostingRun,
)
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.report.kpis import (
    EngagementBasis,
    Holdout,
    Incrementality,
    Kpi,
)
from hybridroi.report.render import (
    report_to_csv,
    report_to_dataframe,
    report_to_dict,
    report_to_table,
)
from hybridroi.report.report import (
    AssistedSale,
    Costs,
    Dimension,
    Figures,
    GrossMargin,
    Kpis,
    Leg,
    Report,
    ReportRow,
    UnattributedSales,
    build_report,
    compare_campaigns,
)
from hybridroi.statements.context import CustomRule, SaleContext
from hybridroi.statements.engine import (
    compute_statements,
    price_credits,
)
from hybridroi.statements.explain import render_statement
from hybridroi.statements.lines import (
    LineKind,
    Statement,
    StatementLine,
    StatementRun,
)
from hybridroi.statements.tiers import graduated_charge, volume_charge

__all__ = [
    "RULE_TYPES",
    "Account",
    "Affiliate",
    "AffiliateDeal",
    "AffiliateKind",
    "AssistedSale",
    "AttributionModel",
    "AttributionPolicy",
    "AttributionResult",
    "Balance",
    "Band",
    "Beta",
    "BreakEven",
    "BudgetSplit",
    "Campaign",
    "Candidate",
    "Cap",
    "CapScope",
    "CarryOver",
    "CategoryIn",
    "CommissionBase",
    "Comparison",
    "Content",
    "ContentFormat",
    "ContentFormatIn",
    "ContentPlatformIn",
    "ContentStats",
    "Conversion",
    "ConversionKind",
    "Costs",
    "CountryIn",
    "CpmViews",
    "Credit",
    "CreditRole",
    "CurrencyMismatchError",
    "CustomRule",
    "CustomerIs",
    "DealEvaluation",
    "Dimension",
    "Empirical",
    "EngagementBasis",
    "EntryStatus",
    "EntryType",
    "Event",
    "EventBatch",
    "ExtraCost",
    "ExtraCostKind",
    "FeeKind",
    "Figures",
    "FirstTouch",
    "FlatFeeAlternatives",
    "FlatPerItem",
    "FlatPerSale",
    "Forecast",
    "FxConversion",
    "FxRate",
    "FxRates",
    "GrossMargin",
    "GuaranteedMinimum",
    "Holdout",
    "HybridRoiError",
    "Incrementality",
    "Indifference",
    "Influencer",
    "InfluencerFee",
    "IntroducerCloser",
    "InvalidValueError",
    "Kpi",
    "Kpis",
    "LastTouch",
    "Ledger",
    "LedgerEntry",
    "LedgerKey",
    "LedgerPolicies",
    "LedgerPolicy",
    "LedgerStore",
    "Leg",
    "LineItem",
    "LineKind",
    "Linear",
    "LockAfterMonthEnd",
    "LockAfterSale",
    "LockOnDayOfMonth",
    "LockRule",
    "LogNormal",
    "MemoryLedgerStore",
    "MissingRateError",
    "Money",
    "NaiveDatetimeError",
    "NetworkFee",
    "OrderValue",
    "Partner",
    "PartnerStatement",
    "PayoutBatch",
    "PayoutRun",
    "PayoutSchedule",
    "PerClick",
    "PerLead",
    "PercentRate",
    "Period",
    "PeriodKind",
    "Platform",
    "Point",
    "PositionBased",
    "PostingResult",
    "PostingRun",
    "Precedence",
    "Problem",
    "ProblemKind",
    "PromoCodeUsed",
    "RecoverableDraw",
    "RecurringRate",
    "Refund",
    "RefundKind",
    "Report",
    "ReportRow",
    "Rounding",
    "Rule",
    "RuleOutcome",
    "SaleContext",
    "SkuIn",
    "SqliteLedgerStore",
    "Statement",
    "StatementLine",
    "StatementRun",
    "ThresholdBonus",
    "TieBreak",
    "TierBasis",
    "TierMode",
    "TieredRate",
    "TimeDecay",
    "Touch",
    "TouchKind",
    "Triangular",
    "UnattributedSales",
    "UnknownCurrencyError",
    "UnroundedMoney",
    "Volume",
    "allocate",
    "attribute",
    "attribute_batch",
    "break_even",
    "build_report",
    "check_events",
    "check_stats",
    "compare",
    "compare_campaigns",
    "compute_statements",
    "format_duration",
    "graduated_charge",
    "indifference",
    "latest_stats",
    "local_midnight",
    "match_flat_fee",
    "minor_unit",
    "parse_duration",
    "period_of",
    "periods_between",
    "price_credits",
    "render_statement",
    "report_to_csv",
    "report_to_dataframe",
    "report_to_dict",
    "report_to_table",
    "require_aware",
    "simulate",
    "split_budget",
    "volume_charge",
]

__version__ = "0.1.0.dev0"
