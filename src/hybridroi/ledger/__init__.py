"""The ledger: append-only entries posted by difference, lock dates, payouts, stores, exports.

A :class:`Ledger` posts statement runs to a store (:class:`MemoryLedgerStore`, or
:class:`SqliteLedgerStore` for a file shared by processes) under the campaign's
:class:`LedgerPolicies`, locks entries by their :class:`LockRule`, batches what is payable
and exports a partner's :class:`PartnerStatement` (``export.to_csv``, ``export.to_json``).

>>> from hybridroi.core import Money
>>> from hybridroi.ledger import LedgerPolicies, LedgerPolicy, LockAfterSale, PayoutSchedule
>>> policy = LedgerPolicy(lock=LockAfterSale(after="30 days"),
...                       minimum_payouts=(Money("50.00", "EUR"),))
>>> LedgerPolicies(default=policy, schedule=PayoutSchedule(day=15)).schedule.day
15
"""

from hybridroi.ledger import export
from hybridroi.ledger.adjustments import Adjustment, AdjustmentKind
from hybridroi.ledger.audit import AuditAction, AuditRecord
from hybridroi.ledger.decisions import Decision, DecisionKind, StatusChange
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.errors import (
    LedgerBusyError,
    LedgerFileError,
    PolicyMismatchError,
    StaleRunError,
    UnknownBatchError,
)
from hybridroi.ledger.export import PartnerStatement
from hybridroi.ledger.intake import EventIntake
from hybridroi.ledger.lifecycle import (
    Balance,
    LockAfterMonthEnd,
    LockAfterSale,
    LockOnDayOfMonth,
    LockRule,
    status_at,
)
from hybridroi.ledger.payout_files import (
    PayoutAccount,
    PayoutFile,
    check_payout_file,
    payout_csv,
    read_payout_accounts,
    sepa_credit_transfer,
)
from hybridroi.ledger.payouts import CarryOver, PayoutBatch, PayoutRun
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.schedule import PayoutSchedule
from hybridroi.ledger.store import Ledger, LedgerStore, PostingResult, PostingRun
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore

__all__ = [
    "Adjustment",
    "AdjustmentKind",
    "AuditAction",
    "AuditRecord",
    "Balance",
    "CarryOver",
    "Decision",
    "DecisionKind",
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
    "PayoutAccount",
    "PayoutBatch",
    "PayoutFile",
    "PayoutRun",
    "PayoutSchedule",
    "PolicyMismatchError",
    "PostingResult",
    "PostingRun",
    "SqliteLedgerStore",
    "StaleRunError",
    "StatusChange",
    "UnknownBatchError",
    "check_payout_file",
    "export",
    "payout_csv",
    "read_payout_accounts",
    "sepa_credit_transfer",
    "status_at",
]
