"""The public surface: the names of the top level and of each namespace, pinned.

A name added to or removed from an ``__all__`` fails here first, so that the surface
changes only on purpose (and the changelog says so). Every public name resolves and
carries its own documentation.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import hybridroi
from hybridroi import core, ledger

SURFACE: dict[str, list[str]] = {
    "hybridroi": [
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
    ],
    "hybridroi.attribution": [
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
    ],
    "hybridroi.core": [
        "MAX_DIGITS",
        "MAX_DURATION_YEARS",
        "CurrencyMismatchError",
        "FxConversion",
        "FxRate",
        "FxRates",
        "HybridRoiError",
        "InvalidTypeError",
        "InvalidValueError",
        "MissingRateError",
        "Money",
        "NaiveDatetimeError",
        "Period",
        "PeriodKind",
        "Problem",
        "ProblemKind",
        "Rounding",
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
    ],
    "hybridroi.evaluation": [
        "Beta",
        "BreakEven",
        "BudgetOption",
        "BudgetSplit",
        "Candidate",
        "Comparison",
        "DealEvaluation",
        "Empirical",
        "Estimate",
        "FlatFeeAlternatives",
        "Forecast",
        "Indifference",
        "LogNormal",
        "MARGIN_SCALE",
        "Objective",
        "Point",
        "PricedVolume",
        "PricingPath",
        "Proposal",
        "RateTry",
        "Triangular",
        "Volume",
        "break_even",
        "compare",
        "cost_by_sales",
        "cost_curves_figure",
        "indifference",
        "match_flat_fee",
        "price_volume",
        "roi_distributions_figure",
        "simulate",
        "split_budget",
    ],
    "hybridroi.files": [
        "PATH_COLUMNS",
        "TABLE_COLUMNS",
        "EventFileError",
        "LoadedEvents",
        "LoadedPaths",
        "Progress",
        "campaign_to_json",
        "channels_table",
        "credits_table",
        "entries_table",
        "event_tables",
        "format_events",
        "lines_table",
        "load_campaign",
        "parse_campaign",
        "parse_events",
        "paths_table",
        "read_event_files",
        "read_event_tables",
        "read_paths",
        "report_table",
        "transitions_table",
    ],
    "hybridroi.ledger": [
        "Adjustment",
        "AdjustmentKind",
        "AuditAction",
        "AuditRecord",
        "Balance",
        "Decision",
        "DecisionKind",
        "PayoutAccount",
        "PayoutFile",
        "PolicyMismatchError",
        "StatusChange",
        "check_payout_file",
        "payout_csv",
        "read_payout_accounts",
        "sepa_credit_transfer",
        "CarryOver",
        "EntryStatus",
        "EntryType",
        "EventIntake",
        "Ledger",
        "LedgerBusyError",
        "LedgerEntry",
        "LedgerFileError",
        "LedgerKey",
        "LedgerPolicies",
        "LedgerPolicy",
        "LedgerStore",
        "LockAfterMonthEnd",
        "LockAfterSale",
        "LockOnDayOfMonth",
        "LockRule",
        "MemoryLedgerStore",
        "PartnerStatement",
        "PayoutBatch",
        "PayoutRun",
        "PayoutSchedule",
        "PostingResult",
        "PostingRun",
        "SqliteLedgerStore",
        "StaleRunError",
        "UnknownBatchError",
        "export",
        "status_at",
    ],
    "hybridroi.rules": [
        "Band",
        "Cap",
        "CapScope",
        "CategoryIn",
        "CommissionBase",
        "Condition",
        "ContentFormatIn",
        "ContentPlatformIn",
        "CountryIn",
        "CpmAccrual",
        "CpmViews",
        "CustomRule",
        "CustomerIs",
        "FlatPerItem",
        "FlatPerSale",
        "GuaranteedMinimum",
        "NetworkFee",
        "OrderValue",
        "PerClick",
        "PerLead",
        "PercentRate",
        "Precedence",
        "PromoCodeUsed",
        "RateRule",
        "RateScope",
        "RecoverableDraw",
        "RecurringRate",
        "Rule",
        "RuleOutcome",
        "SaleContext",
        "SkuIn",
        "SubAffiliateOverride",
        "ThresholdBonus",
        "TierBasis",
        "TierMode",
        "TieredRate",
    ],
    "hybridroi.serialization": ["DocumentError", "converter", "structure", "unstructure"],
}

NAMES = [(namespace, name) for namespace, names in SURFACE.items() for name in names]


@pytest.mark.parametrize("namespace", sorted(SURFACE))
def test_the_public_names_are_pinned(namespace: str) -> None:
    exported = importlib.import_module(namespace).__all__
    assert sorted(exported) == sorted(SURFACE[namespace])
    assert len(set(exported)) == len(exported)


def test_the_top_level_is_small() -> None:
    assert 30 <= len(SURFACE["hybridroi"]) <= 40


def test_internals_and_generic_names_stay_off_the_top_level() -> None:
    for name in ("graduated_charge", "RuleOutcome", "SaleContext", "LedgerKey", "Point"):
        assert name not in SURFACE["hybridroi"]
    for name in ("MemoryLedgerStore", "SqliteLedgerStore", "Volume", "Band", "Leg"):
        assert name not in SURFACE["hybridroi"]


def _attribute_docstring(name: str, value: object) -> str | None:
    """The string literal written right after ``name = ...`` in the module that defines it."""
    for module in list(sys.modules.values()):
        if not module.__name__.startswith("hybridroi") or vars(module).get(name) is not value:
            continue
        source = getattr(module, "__file__", None)
        if source is None:
            continue
        body = ast.parse(Path(source).read_text(encoding="utf-8")).body
        for statement, following in itertools.pairwise(body):
            targets: list[ast.expr] = (
                statement.targets
                if isinstance(statement, ast.Assign)
                else [statement.target]
                if isinstance(statement, ast.AnnAssign)
                else []
            )
            named = any(isinstance(t, ast.Name) and t.id == name for t in targets)
            if (
                named
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                return following.value.value
    return None


def _own_docstring(value: Any, name: str) -> str | None:
    if isinstance(value, type):
        doc = vars(value).get("__doc__")
        return doc if isinstance(doc, str) else None
    if isinstance(value, types.ModuleType) or inspect.isroutine(value):
        return value.__doc__
    return _attribute_docstring(name, value)


@pytest.mark.parametrize(("namespace", "name"), NAMES, ids=[f"{ns}.{n}" for ns, n in NAMES])
def test_every_public_name_resolves_and_is_documented(namespace: str, name: str) -> None:
    value = getattr(importlib.import_module(namespace), name)
    doc = _own_docstring(value, name)
    assert doc is not None
    assert doc.strip()


def test_a_namespace_exports_the_object_of_the_module_that_defines_it() -> None:
    assert hybridroi.Money is core.Money
    assert hybridroi.run is importlib.import_module("hybridroi.pipeline").run
    assert ledger.Ledger is importlib.import_module("hybridroi.ledger.store").Ledger
