"""The audit trail: who did what to the ledger, when and why.

Every operation that changes a ledger records an :class:`AuditRecord` in the
same transaction as the change: posting runs, adjustments, decisions, payout
runs, payments, failed and voided payouts, and the storing of the ledger's
policies. The trail is append-only; :meth:`hybridroi.ledger.store.Ledger.audit`
reads it and :func:`hybridroi.ledger.export.audit_csv` /
:func:`~hybridroi.ledger.export.audit_jsonl` write it out.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from hybridroi.core.checks import aware, enum_member, text

__all__ = ["AuditAction", "AuditRecord"]


class AuditAction(enum.Enum):
    """What an audited operation did."""

    POST = "post"
    """A posting run."""
    ADJUST = "adjust"
    """A manual adjustment."""
    HOLD = "hold"
    """A hold decision."""
    RELEASE = "release"
    """A hold released."""
    EXTEND = "extend"
    """A lock extended."""
    APPROVE = "approve"
    """An early approval."""
    DECLINE = "decline"
    """A decline."""
    PAYOUT = "payout"
    """A payout run."""
    PAID = "paid"
    """A payout batch marked paid."""
    FAILED = "failed"
    """A payout batch marked failed: its entries are payable again."""
    VOID = "void"
    """A payout batch voided (a bank return): its entries are payable again."""
    POLICIES = "policies"
    """The ledger's policies stored with it, on first use."""


@attrs.frozen(kw_only=True)
class AuditRecord:
    """One audited operation.

    Attributes:
        number: Its place in the trail, from 1.
        at: The operation's instant (the instant it was dated at).
        actor: Who did it.
        action: What was done.
        subject: What it was done to: a run id, an adjustment id, an entry id
            or ledger key, a batch id.
        reason: Why, in words.
        details: What it did, in words (amounts, counts, references).
    """

    number: int
    at: datetime = attrs.field(validator=aware)
    actor: str = attrs.field(validator=text)
    action: AuditAction = attrs.field(converter=enum_member(AuditAction))  # type: ignore[misc]
    subject: str = attrs.field(validator=text)
    reason: str = attrs.field(validator=text)
    details: str = ""
