"""Payouts: a schedule, a minimum payout with carry-over, and batches per partner and currency.

A payout run at an instant takes every *locked* entry that is in no batch
yet, groups them by partner and currency (amounts in different currencies are
never summed), and makes one :class:`PayoutBatch` per group whose total
reaches the partner's minimum payout. A group below its minimum, or whose
clawbacks bring it to zero or below, is carried over: its entries stay locked
and join the next run. A batch is *payable* until it is marked paid.

Batch ids are ``"<payout run id>:<partner id>:<currency>"``. When the ledger's
policies have a :class:`~hybridroi.ledger.schedule.PayoutSchedule` (re-exported
here), a payout run must be dated at one of its payout instants.

A batch is marked paid with the payment's reference and method. A batch that
failed (the transfer was rejected) or is voided (a bank return, even after it
was marked paid) gives its entries back: they are locked again, in no batch,
and the next payout run pays them once, in a new batch. The voided batch is
kept, with its entries, for the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from hybridroi.core.checks import aware, identifier, optional, text, tuple_of
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.timezones import require_aware
from hybridroi.ledger.decisions import DecisionIndex
from hybridroi.ledger.entries import EntryStatus, LedgerEntry
from hybridroi.ledger.lifecycle import status_at
from hybridroi.ledger.policy import LedgerPolicies
from hybridroi.ledger.schedule import PayoutSchedule

__all__ = [
    "VOID_KINDS",
    "CarryOver",
    "PayoutBatch",
    "PayoutRun",
    "PayoutSchedule",
    "plan_payouts",
]


@attrs.frozen(kw_only=True)
class PayoutBatch:
    """What one partner is paid in one currency by one payout run.

    Attributes:
        id: ``"<payout run id>:<partner id>:<currency>"``.
        run_id: The payout run.
        partner_id: The partner paid.
        currency: The currency of every entry in the batch.
        amount: The sum of the entries (> 0, at or above the minimum payout).
        entry_ids: The entries paid, clawbacks included.
        created_at: When the payout run made the batch.
        paid_at: When the batch was marked paid; None while it is payable.
        reference: The payment's reference (a bank transfer id), once paid.
        method: How it was paid (``"sepa"``, ``"paypal"``...), once paid.
        voided_at: When the batch failed or was voided; None while it holds its entries.
        void_kind: ``"failed"`` or ``"void"`` once voided; None before.
        void_reason: Why it failed or was voided.
    """

    id: str = attrs.field(validator=identifier)
    run_id: str = attrs.field(validator=identifier)
    partner_id: str = attrs.field(validator=identifier)
    currency: str
    amount: Money
    entry_ids: tuple[str, ...] = attrs.field(
        converter=tuple_of(str, "an entry id")  # type: ignore[misc]
    )
    created_at: datetime = attrs.field(validator=aware)
    paid_at: datetime | None = attrs.field(default=None, validator=optional(aware))
    reference: str | None = attrs.field(default=None, validator=optional(text))
    method: str | None = attrs.field(default=None, validator=optional(text))
    voided_at: datetime | None = attrs.field(default=None, validator=optional(aware))
    void_kind: str | None = attrs.field(default=None)
    void_reason: str | None = attrs.field(default=None, validator=optional(text))

    @void_kind.validator
    def _check_void_kind(self, _attribute: object, value: object) -> None:
        if value not in (None, *VOID_KINDS):
            raise InvalidValueError("PayoutBatch.void_kind", value, "'failed', 'void' or None")

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.amount, Money) or self.amount.currency != self.currency:
            raise InvalidValueError("PayoutBatch.amount", self.amount, f"Money in {self.currency}")
        if self.amount.amount <= 0:
            raise InvalidValueError("PayoutBatch.amount", self.amount, "an amount > 0")

    @property
    def status(self) -> EntryStatus:
        """Payable until marked paid, then paid (what a voided batch was before it was voided)."""
        return EntryStatus.PAYABLE if self.paid_at is None else EntryStatus.PAID

    @property
    def live(self) -> bool:
        """Whether the batch still holds its entries (it has not failed or been voided)."""
        return self.voided_at is None

    @property
    def state(self) -> str:
        """``"payable"``, ``"paid"``, ``"failed"`` or ``"void"``."""
        if self.void_kind is not None:
            return self.void_kind
        return self.status.value


VOID_KINDS = ("failed", "void")
"""How a batch stops holding its entries: the transfer failed, or it was voided (returned)."""


@attrs.frozen(kw_only=True)
class CarryOver:
    """A partner's locked amount in one currency that a payout run did not pay.

    Attributes:
        partner_id: The partner.
        currency: The currency.
        amount: The locked, unpaid total.
        entry_ids: The entries carried over to the next run.
        reason: Why it was not paid (below the minimum, or not positive).
    """

    partner_id: str
    currency: str
    amount: Money
    entry_ids: tuple[str, ...]
    reason: str


@attrs.frozen(kw_only=True)
class PayoutRun:
    """The batches and carry-overs of one payout run.

    Attributes:
        id: The payout run id.
        at: The instant of the run.
        batches: Batches sorted by partner, then currency.
        carried_over: Amounts carried over, sorted by partner, then currency.
    """

    id: str
    at: datetime
    batches: tuple[PayoutBatch, ...]
    carried_over: tuple[CarryOver, ...]


def plan_payouts(
    entries: Iterable[LedgerEntry],
    payout_status: Mapping[str, EntryStatus],
    policies: LedgerPolicies,
    *,
    at: datetime,
    run_id: str,
    decisions: DecisionIndex | None = None,
    timezone: str = "UTC",
) -> PayoutRun:
    """Group the locked, unbatched entries into payout batches.

    Args:
        entries: Ledger entries (any; only those locked at ``at`` and in no
            batch are considered).
        payout_status: Entry id to the status of its batch, for entries in one.
        policies: The partners' policies (minimum payouts).
        at: The instant of the payout run.
        run_id: The payout run id.
        decisions: The ledger's decisions (held and declined entries are not
            paid; extended ones wait for their new lock instant).
        timezone: The campaign's IANA time zone, for extended locks.

    Returns:
        The batches to create and the amounts carried over.
    """
    require_aware(at, "at")
    groups: dict[tuple[str, str], list[LedgerEntry]] = {}
    for entry in entries:
        status = status_at(entry, at, payout_status, decisions=decisions, timezone=timezone)
        if status is EntryStatus.LOCKED:
            groups.setdefault((entry.partner_id, entry.currency), []).append(entry)
    batches = []
    carried = []
    for (partner_id, currency), items in sorted(groups.items()):
        total = Money.sum((entry.amount for entry in items), currency)
        entry_ids = tuple(entry.id for entry in items)
        minimum = policies.for_partner(partner_id).minimum_payout(currency)
        reason = None
        if total.amount <= 0:
            reason = (
                f"the locked balance is {total}: clawbacks are recovered from later commissions"
            )
        elif minimum is not None and total < minimum:
            reason = f"the locked balance {total} is below the minimum payout {minimum}"
        if reason is not None:
            carried.append(
                CarryOver(
                    partner_id=partner_id,
                    currency=currency,
                    amount=total,
                    entry_ids=entry_ids,
                    reason=reason,
                )
            )
            continue
        batches.append(
            PayoutBatch(
                id=f"{run_id}:{partner_id}:{currency}",
                run_id=run_id,
                partner_id=partner_id,
                currency=currency,
                amount=total,
                entry_ids=entry_ids,
                created_at=at,
            )
        )
    return PayoutRun(id=run_id, at=at, batches=tuple(batches), carried_over=tuple(carried))
