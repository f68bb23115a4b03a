"""The operations a partner team runs on a ledger: adjustments, decisions, payouts, audit.

:class:`LedgerOperations` is the part of :class:`~hybridroi.ledger.store.Ledger`
that a finance or partner team uses beside posting statements: manual
adjustments (:meth:`~LedgerOperations.adjust`), decisions on single
transactions (:meth:`~LedgerOperations.hold`, :meth:`~LedgerOperations.release`,
:meth:`~LedgerOperations.extend`, :meth:`~LedgerOperations.approve`,
:meth:`~LedgerOperations.decline`), the status history of an entry, failed and
voided payouts, partner statements and the audit trail. Each write runs inside
the store's write lock, in one transaction, and records who did it and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind
from hybridroi.core.timezones import UTC, require_aware, zone
from hybridroi.ledger.adjustments import Adjustment, AdjustmentKind
from hybridroi.ledger.adjustments import adjustment_id as default_adjustment_id
from hybridroi.ledger.audit import AuditAction, AuditRecord
from hybridroi.ledger.decisions import (
    BatchEvent,
    Decision,
    DecisionIndex,
    DecisionKind,
    StatusChange,
    decided_status,
    status_history,
)
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.errors import UnknownBatchError
from hybridroi.ledger.export import PartnerStatement
from hybridroi.ledger.lifecycle import status_at
from hybridroi.ledger.payout_files import (
    PayoutAccount,
    PayoutFile,
    _sepa_id,
    payout_csv,
    sepa_credit_transfer,
)
from hybridroi.ledger.payouts import VOID_KINDS, PayoutBatch
from hybridroi.ledger.periods import statement_period_label

if TYPE_CHECKING:
    from hybridroi.domain.campaign import Campaign
    from hybridroi.ledger.policy import LedgerPolicies
    from hybridroi.ledger.store import LedgerStore

__all__ = ["LedgerOperations", "Target", "check_actor"]

Target = str | LedgerEntry | LedgerKey
"""What a decision or a status history names: an entry id, an entry, or a ledger key."""

_DECISION_ACTIONS = {
    DecisionKind.HOLD: AuditAction.HOLD,
    DecisionKind.RELEASE: AuditAction.RELEASE,
    DecisionKind.EXTEND: AuditAction.EXTEND,
    DecisionKind.APPROVE: AuditAction.APPROVE,
    DecisionKind.DECLINE: AuditAction.DECLINE,
}
_IN_BATCH = (EntryStatus.PAYABLE, EntryStatus.PAID, EntryStatus.WAIVED)


def check_actor(actor: object, reason: object, *, reason_required: bool = False) -> None:
    """Refuse an actor that is not a non-empty text, and a reason that is not one (or None).

    Raises:
        InvalidValueError: If one is empty or not text.
    """
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidValueError("actor", actor, "who does it, as a non-empty text")
    if (reason is None and reason_required) or (
        reason is not None and (not isinstance(reason, str) or not reason.strip())
    ):
        raise InvalidValueError("reason", reason, "why, as a non-empty text")


class LedgerOperations:
    """Adjustments, decisions, payout outcomes, histories and the audit trail of a ledger.

    Mixed into :class:`~hybridroi.ledger.store.Ledger`; not used on its own.
    """

    if TYPE_CHECKING:
        store: LedgerStore
        campaign: Campaign
        policies: LedgerPolicies
        _statement_kinds: dict[str, PeriodKind]

        def _check_forward(self, at: datetime, field: str) -> datetime: ...

        def _check_policies(self) -> str | None: ...

        def _bind_policies(self, at: datetime, actor: str) -> None: ...

        def _record(
            self,
            action: AuditAction,
            *,
            at: datetime,
            actor: str,
            subject: str,
            reason: str,
            details: str = "",
        ) -> AuditRecord: ...

    # --- entries and adjustments -------------------------------------------

    def entries(self, partner_id: str | None = None) -> tuple[LedgerEntry, ...]:
        """Every entry (of one partner): the posted ones and the adjustments', by posting instant.

        Args:
            partner_id: One partner, or None for all.

        Returns:
            The entries; posted entries keep their posting order.
        """
        posted = self.store.entries(partner_id)
        made = tuple(adjustment.entry() for adjustment in self.store.adjustments(partner_id))
        if not made:
            return posted
        return tuple(sorted(posted + made, key=attrgetter("posted_at")))

    def cost_entries(self, at: datetime) -> tuple[LedgerEntry, ...]:
        """The entries that are partner pay as of ``at``: every entry but the declined ones.

        The report counts partner pay from these (``hybridroi.run(..., ledger=...)``):
        adjustments are paid like commissions, and a declined transaction is never paid,
        so it is no cost.

        Args:
            at: The instant (timezone-aware) decisions are applied as of.

        Returns:
            The entries, in the order of :meth:`entries`.
        """
        require_aware(at, "at")
        entries = self.entries()
        index = DecisionIndex(self.store.decisions())
        if not index:
            return entries
        timezone = self.campaign.timezone
        # An entry in a live payout batch keeps its batch's status (paid money is a cost
        # even when the rest of its transaction was declined later).
        batches = self.store.payout_status()
        return tuple(
            entry
            for entry in entries
            if decided_status(entry, at, index.of(entry), timezone, batches.get(entry.id))
            is not EntryStatus.DECLINED
        )

    def adjust(
        self,
        partner_id: str,
        amount: Money,
        *,
        kind: AdjustmentKind | str,
        reason: str,
        actor: str,
        at: datetime,
        period: str | None = None,
        adjustment_id: str | None = None,
    ) -> Adjustment:
        """Record a manual adjustment of a partner's balance: locked at once, paid at the next run.

        Posting by difference never reverses it. Recording the same adjustment
        again (same id and content) changes nothing and returns it.

        Args:
            partner_id: The partner, one of the campaign's.
            amount: The signed amount (positive for a bonus or goodwill,
                negative for a penalty, either for a correction).
            kind: ``"bonus"``, ``"correction"``, ``"penalty"`` or ``"goodwill"``.
            reason: Why, in words (shown on the partner's statement).
            actor: Who makes it.
            at: When; it must not be before the ledger's last run.
            period: The label of the statement period it appears on (default:
                the partner's statement period that contains ``at``).
            adjustment_id: Its id (default: a digest of what it says, so that a
                retry of the same adjustment is recorded once).

        Returns:
            The adjustment recorded (or the one already recorded under its id).

        Raises:
            InvalidValueError: If a value is not acceptable, the partner is not
                in the campaign, ``at`` is before the ledger's last run, or the
                id is used by another adjustment.
        """
        check_actor(actor, reason, reason_required=True)
        require_aware(at, "at")
        if not isinstance(amount, Money):
            raise InvalidTypeError("amount", amount, "a Money amount")
        if not -_MINOR_BOUND < amount.minor_units < _MINOR_BOUND:
            raise InvalidValueError(
                "amount", amount, "an amount whose minor units fit in 63 bits (a ledger's bound)"
            )
        if not isinstance(partner_id, str) or partner_id not in {
            partner.id for partner in self.campaign.partners
        }:
            raise InvalidValueError("partner_id", partner_id, "a partner of the campaign")
        # A partner is paid in the campaign's currency or its deals' currencies: an
        # adjustment in another would open a balance no payout run expects.
        currencies = {self.campaign.currency} | {
            self.campaign.deal_currency(deal)
            for deal in self.campaign.deals
            if deal.partner_id == partner_id
        }
        if amount.currency not in currencies:
            raise InvalidValueError(
                "amount",
                amount,
                "an amount in a currency the partner is paid in: " + ", ".join(sorted(currencies)),
            )
        if period is not None and not isinstance(period, str):
            raise InvalidTypeError("period", period, "a statement period label or None")
        try:
            kind = AdjustmentKind(kind.strip().lower() if isinstance(kind, str) else kind)
        except ValueError:
            raise InvalidValueError(
                "kind", kind, "bonus, correction, penalty or goodwill"
            ) from None
        at = at.astimezone(UTC)
        statement_kind = self._statement_kinds.get(partner_id, PeriodKind.MONTH)
        given = Adjustment(
            id=adjustment_id
            or default_adjustment_id(partner_id, amount, kind, reason=reason, actor=actor, at=at),
            partner_id=partner_id,
            amount=amount,
            kind=kind,
            reason=reason,
            actor=actor,
            at=at,
            period=period or statement_period_label(at, statement_kind, self.campaign.timezone),
        )
        with self.store.writing():
            known = next((a for a in self.store.adjustments() if a.id == given.id), None)
            if known is not None:
                if known == given:
                    return known
                raise InvalidValueError(
                    "adjustment_id", given.id, "an id not used by another adjustment"
                )
            self._check_forward(at, "at")
            self._check_policies()
            if self.store.campaign_id() is None:
                self.store.bind_campaign(self.campaign.id)
            self.store.write_adjustment(given)
            self._bind_policies(at, actor)
            self._record(
                AuditAction.ADJUST,
                at=at,
                actor=actor,
                subject=given.id,
                reason=reason,
                details=f"{kind.value} of {amount} for {partner_id} on {given.period}",
            )
        return given

    def adjustments(self, partner_id: str | None = None) -> tuple[Adjustment, ...]:
        """The manual adjustments (of one partner), in the order they were made."""
        return self.store.adjustments(partner_id)

    # --- decisions --------------------------------------------------------

    def hold(
        self,
        target: Target,
        *,
        actor: str,
        reason: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> Decision:
        """Hold a transaction: its entries do not lock until released.

        Args:
            target: The transaction: a ledger key, or the id of one of its entries (or the entry).
            actor: Who decides.
            reason: Why.
            at: When; not before the ledger's last run.
            decision_id: The decision's id (default ``"decision-<number>"``);
                the same decision given again with its id changes nothing.

        Returns:
            The decision recorded.

        Raises:
            InvalidValueError: If the target has no entry that can be held
                (all in payout batches, declined or already held), or ``at``
                is before the ledger's last run.
        """
        return self._decide(DecisionKind.HOLD, target, actor, reason, at, decision_id)

    def release(
        self,
        target: Target,
        *,
        actor: str,
        reason: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> Decision:
        """Release a hold: the entries lock on their lock date (at once if it passed).

        Arguments, result and errors as for :meth:`hold`; the target must be held.
        """
        return self._decide(DecisionKind.RELEASE, target, actor, reason, at, decision_id)

    def extend(
        self,
        target: Target,
        *,
        actor: str,
        reason: str,
        at: datetime,
        by: str | relativedelta = "1 month",
        decision_id: str | None = None,
    ) -> Decision:
        """Extend the lock of a pending transaction by a period (CJ's "extended" status).

        The lock instant of the transaction's entries moves by ``by`` on the
        campaign's local wall clock; the partner's other sales lock as usual.

        Args:
            target: As for :meth:`hold`.
            actor: Who decides.
            reason: Why.
            at: When; not before the ledger's last run.
            by: How far the lock moves (``"1 month"`` by default).
            decision_id: As for :meth:`hold`.

        Returns:
            The decision recorded.

        Raises:
            InvalidValueError: If an entry of the target is not pending at
                ``at`` (locked, held, in a batch or declined: hold a locked
                one instead), or ``at`` is before the ledger's last run.
        """
        return self._decide(DecisionKind.EXTEND, target, actor, reason, at, decision_id, by)

    def approve(
        self,
        target: Target,
        *,
        actor: str,
        reason: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> Decision:
        """Approve a pending or held transaction early: it locks now, payable at the next run.

        Arguments, result and errors as for :meth:`hold`; the target must have
        a pending or held entry.
        """
        return self._decide(DecisionKind.APPROVE, target, actor, reason, at, decision_id)

    def decline(
        self,
        target: Target,
        *,
        actor: str,
        reason: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> Decision:
        """Decline a transaction: its entries are reversed from what is owed and never paid.

        A decline is final. Entries already in a payout batch are not
        affected (void the batch first); later entries of the key, such as a
        refund's reversal, are declined too.

        Arguments, result and errors as for :meth:`hold`.
        """
        return self._decide(DecisionKind.DECLINE, target, actor, reason, at, decision_id)

    def decisions(self) -> tuple[Decision, ...]:
        """Every decision, in the order it was made."""
        return self.store.decisions()

    def _target_key(self, target: Target) -> LedgerKey:
        if isinstance(target, LedgerKey):
            return target
        if isinstance(target, LedgerEntry):
            return target.key
        if isinstance(target, str):
            found = next((e for e in self.entries() if e.id == target), None)
            if found is None:
                raise InvalidValueError("target", target, "the id of an entry of the ledger")
            return found.key
        raise InvalidTypeError("target", target, "an entry id, a LedgerEntry or a LedgerKey")

    def _decide(  # noqa: PLR0917 - private, called with the decision's fields in order
        self,
        kind: DecisionKind,
        target: Target,
        actor: str,
        reason: str,
        at: datetime,
        decision_id: str | None,
        extend_by: str | relativedelta | None = None,
    ) -> Decision:
        check_actor(actor, reason, reason_required=True)
        require_aware(at, "at")
        if decision_id is not None and (
            not isinstance(decision_id, str) or not decision_id.strip() or ":" in decision_id
        ):
            raise InvalidValueError("decision_id", decision_id, "a non-empty id without ':'")
        with self.store.writing():
            key = self._target_key(target)
            known = self.store.decisions()
            decision = Decision(
                id=decision_id or _next_decision_id(known),
                kind=kind,
                key=key,
                actor=actor,
                reason=reason,
                at=at.astimezone(UTC),
                extend_by=extend_by,
            )
            same = next((d for d in known if d.id == decision.id), None)
            if same is not None:
                if same == decision:
                    return same
                raise InvalidValueError(
                    "decision_id", decision.id, "an id not used by another decision"
                )
            at = self._check_forward(at, "at")
            entries = [e for e in self.entries(key.partner_id) if e.key == key]
            if not entries:
                raise InvalidValueError("target", "/".join(key), "a ledger key with entries")
            index = DecisionIndex(known)
            batches = self.store.payout_status()
            timezone = self.campaign.timezone
            statuses = [
                status_at(e, at, batches, decisions=index, timezone=timezone) for e in entries
            ]
            _check_decision(kind, "/".join(key), statuses)
            self._check_policies()
            self.store.write_decision(decision)
            self._bind_policies(at, actor)
            self._record(
                _DECISION_ACTIONS[kind],
                at=at,
                actor=actor,
                subject="/".join(key),
                reason=reason,
                details=f"{decision.id}: {decision.describe()} ({len(entries)} entries)",
            )
        return decision

    # --- histories ----------------------------------------------------------

    def history(self, target: Target, *, at: datetime | None = None) -> tuple[StatusChange, ...]:
        """The status history of an entry, or of every entry of a ledger key.

        Each step says when the status changed, to what, who caused it and why:
        the posting (or the adjustment), the lock date passing, each decision,
        the payout batch, its payment and a failed or voided payout.

        Args:
            target: An entry id, an entry, or a ledger key.
            at: The last instant of the history (default: the instant of the
                ledger's last run or operation); a lock date after it is not
                a step yet.

        Returns:
            The steps, in time order (for a key, entry by entry in posting order).

        Raises:
            InvalidValueError: If the target names no entry of the ledger.
        """
        if isinstance(target, LedgerKey):
            entries = [e for e in self.entries(target.partner_id) if e.key == target]
        else:
            entry_id = target.id if isinstance(target, LedgerEntry) else target
            if not isinstance(entry_id, str):
                raise InvalidTypeError(
                    "target", target, "an entry id, a LedgerEntry or a LedgerKey"
                )
            entries = [e for e in self.entries() if e.id == entry_id]
        if not entries:
            raise InvalidValueError("target", target, "an entry or a ledger key of the ledger")
        if at is not None:
            require_aware(at, "at")
        until = at if at is not None else self.store.last_instant()
        audit = self.store.audit()
        by_subject: dict[tuple[AuditAction, str], AuditRecord] = {
            (record.action, record.subject): record for record in audit
        }
        index = DecisionIndex(self.store.decisions())
        batches = self.store.batches(entries[0].partner_id)
        steps: list[StatusChange] = []
        for entry in entries:
            adjusted = entry.entry_type is EntryType.ADJUSTMENT
            action = AuditAction.ADJUST if adjusted else AuditAction.POST
            posted = by_subject.get((action, entry.run_id))
            events = _batch_events(entry, batches, by_subject)
            steps.extend(
                status_history(
                    entry,
                    index.of(entry),
                    events,
                    self.campaign.timezone,
                    posted_by=posted.actor if posted is not None else "system",
                    posted_reason=None if posted is None else f"{entry.reason}",
                    until=until,
                )
            )
        return tuple(steps)

    # --- payouts -----------------------------------------------------------

    def void_batch(
        self,
        batch_id: str,
        at: datetime,
        *,
        actor: str,
        reason: str,
        kind: str = "void",
    ) -> PayoutBatch:
        """Void a payout batch (a bank return), or mark it failed: its entries are payable again.

        The batch is kept, with its entries, for the record; the entries are
        locked again and the next payout run pays them once, in a new batch.
        A paid batch can be voided (the money came back).

        Args:
            batch_id: The batch.
            at: When; not before the ledger's last run.
            actor: Who records it.
            reason: Why (the bank's return reason).
            kind: ``"void"`` (default) or ``"failed"``.

        Returns:
            The batch, voided.

        Raises:
            UnknownBatchError: If the ledger holds no such batch (a ``KeyError``).
            InvalidValueError: If it is already failed or voided, ``kind`` is
                neither, or ``at`` is before the ledger's last run.
        """
        check_actor(actor, reason, reason_required=True)
        if kind not in VOID_KINDS:
            raise InvalidValueError("kind", kind, "'void' or 'failed'")
        with self.store.writing():
            at = self._check_forward(at, "at")
            self._check_policies()
            voided = self.store.void_batch(batch_id, at, kind=kind, reason=reason)
            self._bind_policies(at, actor)
            self._record(
                AuditAction.VOID if kind == "void" else AuditAction.FAILED,
                at=at,
                actor=actor,
                subject=batch_id,
                reason=reason,
                details=(
                    f"{voided.amount} to {voided.partner_id}: {len(voided.entry_ids)} entries "
                    "payable again"
                ),
            )
            return voided

    def mark_failed(self, batch_id: str, at: datetime, *, actor: str, reason: str) -> PayoutBatch:
        """Mark a payout batch failed (the transfer was rejected): see :meth:`void_batch`."""
        return self.void_batch(batch_id, at, actor=actor, reason=reason, kind="failed")

    def payout_batches(self, run_id: str | None = None) -> tuple[PayoutBatch, ...]:
        """The payout batches (of one payout run), voided ones included.

        Raises:
            UnknownBatchError: If ``run_id`` names no payout run with batches.
        """
        found = tuple(b for b in self.store.batches() if run_id in (None, b.run_id))
        if run_id is not None and not found:
            raise UnknownBatchError(run_id)
        return found

    def payout_file(
        self,
        run_id: str,
        *,
        format: str = "csv",
        accounts: Mapping[str, PayoutAccount] | None = None,
        debtor: PayoutAccount | None = None,
        execution_date: date | None = None,
    ) -> PayoutFile:
        """The payout file of one payout run: CSV, or a SEPA credit transfer for euros.

        Args:
            run_id: The payout run.
            format: ``"csv"`` (every batch, with its state) or ``"sepa"``
                (ISO 20022 pain.001.001.03 of the payable EUR batches).
            accounts: Partner id to payout account (name, IBAN, BIC); required for SEPA.
            debtor: The account paid from; required for SEPA.
            execution_date: The requested execution date (SEPA; default the
                run's local date in the campaign's time zone).

        Returns:
            The file, checked against the batches, with a problem for each
            batch left out or lacking an account.

        Raises:
            UnknownBatchError: If the run has no batches.
            InvalidValueError: If ``format`` is unknown, or SEPA lacks ``debtor``
                or ``accounts``.
        """
        batches = self.payout_batches(run_id)
        if format == "csv":
            return payout_csv(batches, accounts)
        if format != "sepa":
            raise InvalidValueError("format", format, "'csv' or 'sepa'")
        if debtor is None or accounts is None:
            raise InvalidValueError(
                "debtor" if debtor is None else "accounts",
                None,
                "the account paid from and the partners' payout accounts, for a SEPA file",
            )
        created_at = batches[0].created_at
        local = created_at.astimezone(zone(self.campaign.timezone)).date()
        return sepa_credit_transfer(
            batches,
            debtor=debtor,
            accounts=accounts,
            message_id=_sepa_id(run_id),
            created_at=created_at,
            execution_date=execution_date or local,
        )

    # --- statements and audit --------------------------------------------

    def statement(
        self, partner_id: str, at: datetime, *, period: str | None = None
    ) -> PartnerStatement:
        """A partner's statement at ``at``: posted entries and adjustments, decisions applied.

        Args:
            partner_id: The partner.
            at: The instant statuses are given at.
            period: One statement period's label, or None for every period.

        Returns:
            The statement, ready for :func:`~hybridroi.ledger.export.to_csv` or
            :func:`~hybridroi.ledger.export.to_json`.
        """
        return PartnerStatement.build(
            partner_id,
            self.entries(partner_id),
            self.store.batches(partner_id),
            at,
            period=period,
            decisions=DecisionIndex(self.store.decisions()),
            timezone=self.campaign.timezone,
        )

    def audit(self) -> tuple[AuditRecord, ...]:
        """The audit trail: every posting run, adjustment, decision and payout action, in order."""
        return self.store.audit()


_MINOR_BOUND = 2**63
"""Amounts are stored as signed 64-bit minor units (SQLite's INTEGER)."""


def _next_decision_id(known: Sequence[Decision]) -> str:
    """The first ``decision-NNNNNN`` after the decisions made, not taken by an id given."""
    taken = {decision.id for decision in known}
    number = len(known) + 1
    while f"decision-{number:06d}" in taken:
        number += 1
    return f"decision-{number:06d}"


def _check_decision(kind: DecisionKind, target: str, statuses: Sequence[EntryStatus]) -> None:
    open_statuses = [s for s in statuses if s not in _IN_BATCH]
    if not open_statuses:
        raise InvalidValueError(
            "target", target, "a transaction with an entry in no payout batch (void it first)"
        )
    if EntryStatus.DECLINED in open_statuses:
        raise InvalidValueError("target", target, "a transaction not declined (a decline is final)")
    if kind is DecisionKind.HOLD and all(s is EntryStatus.HELD for s in open_statuses):
        raise InvalidValueError("target", target, "a transaction not held already")
    if kind is DecisionKind.RELEASE and EntryStatus.HELD not in open_statuses:
        raise InvalidValueError("target", target, "a held transaction")
    if kind is DecisionKind.EXTEND and any(s is not EntryStatus.PENDING for s in open_statuses):
        raise InvalidValueError(
            "target", target, "a pending transaction (hold a locked one instead)"
        )
    if kind is DecisionKind.APPROVE and not {EntryStatus.PENDING, EntryStatus.HELD} & set(
        open_statuses
    ):
        raise InvalidValueError("target", target, "a pending or held transaction")


def _batch_events(
    entry: LedgerEntry,
    batches: Sequence[PayoutBatch],
    by_subject: dict[tuple[AuditAction, str], AuditRecord],
) -> list[BatchEvent]:
    events: list[BatchEvent] = []
    for batch in batches:
        if entry.id not in batch.entry_ids:
            continue
        run = by_subject.get((AuditAction.PAYOUT, batch.run_id))
        events.append(
            BatchEvent(
                at=batch.created_at,
                status=EntryStatus.PAYABLE,
                actor=run.actor if run is not None else "system",
                reason=f"in payout batch {batch.id}",
            )
        )
        if batch.paid_at is not None:
            paid = by_subject.get((AuditAction.PAID, batch.id))
            events.append(
                BatchEvent(
                    at=batch.paid_at,
                    status=EntryStatus.PAID,
                    actor=paid.actor if paid is not None else "system",
                    reason=f"batch {batch.id} paid"
                    + (f", reference {batch.reference}" if batch.reference else ""),
                )
            )
        if batch.voided_at is not None:
            action = AuditAction.VOID if batch.void_kind == "void" else AuditAction.FAILED
            record = by_subject.get((action, batch.id))
            events.append(
                BatchEvent(
                    at=batch.voided_at,
                    status=None,
                    actor=record.actor if record is not None else "system",
                    reason=f"batch {batch.id} {batch.void_kind}: {batch.void_reason}",
                )
            )
    events.sort(key=attrgetter("at"))
    return events
