"""The ledger service and the store protocol it drives.

:class:`Ledger` binds a store to a campaign and its ledger policies. Each
operation reads what it needs from the store, computes with the pure
functions of :mod:`hybridroi.ledger.posting` and
:mod:`hybridroi.ledger.payouts`, and hands the result to the store, which
writes it all or nothing.

Instants passed to the ledger only move forward: a posting or payout run
dated before the last one is refused, so statuses never depend on the order in
which history was written. A statement run computed as of an instant before
the as-of of the last run posted is refused too, whatever posting instant comes
with it: it would undo what was posted since.

Each run reads and writes inside the store's write lock
(:meth:`LedgerStore.writing`): two processes posting to one SQLite ledger at
once take turns, and the second posts by difference against what the first
posted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

import attrs

from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem
from hybridroi.core.timezones import UTC, require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.events.records import Event
from hybridroi.ledger.adjustments import ADJUSTMENT_PREFIX, Adjustment
from hybridroi.ledger.audit import AuditAction, AuditRecord
from hybridroi.ledger.decisions import Decision, DecisionIndex, DecisionKind, decided_lock
from hybridroi.ledger.entries import (
    EntryStatus,
    EntryType,
    LedgerEntry,
    LedgerKey,
    PostedEntries,
)
from hybridroi.ledger.errors import PolicyMismatchError, StaleRunError
from hybridroi.ledger.intake import EventIntake
from hybridroi.ledger.lifecycle import Balance, balances
from hybridroi.ledger.operations import LedgerOperations, check_actor
from hybridroi.ledger.payouts import PayoutBatch, PayoutRun, plan_payouts
from hybridroi.ledger.periods import statement_kinds, statement_period_label
from hybridroi.ledger.policy import LedgerPolicies
from hybridroi.ledger.posting import (
    EMPTY_DIGEST,
    Group,
    LineColumns,
    changed_groups,
    fresh_columns,
    group_columns,
    group_digests,
    held_differences,
    plan_entries,
)
from hybridroi.statements.lines import StatementRun

__all__ = ["Ledger", "LedgerStore", "PostingResult", "PostingRun"]


@attrs.frozen(kw_only=True)
class PostingRun:
    """The record of one posting run.

    Attributes:
        id: The run id (``"posting-000001"``).
        number: The run's number in the ledger, from 1.
        as_of: The statement run's as-of instant.
        posted_at: When the entries were posted.
        entry_count: How many entries the run added (0 when nothing changed).
    """

    id: str
    number: int
    as_of: datetime
    posted_at: datetime
    entry_count: int


@attrs.frozen(kw_only=True)
class PostingResult:
    """What a posting run did.

    Attributes:
        run: The run record.
        entries: The entries added, in key order (a
            :class:`~hybridroi.ledger.entries.PostedEntries`: a sequence equal to the
            tuple of its entries, each built when it is read).
        problems: Lines that could not be posted, and why.
    """

    run: PostingRun
    entries: Sequence[LedgerEntry]
    problems: tuple[Problem, ...]


class LedgerStore(Protocol):
    """Where a ledger's entries, payout batches and events are kept.

    Every write method is atomic: it stores everything it is given, or
    nothing.
    """

    def campaign_id(self) -> str | None:
        """The campaign the store is bound to, or None before its first write."""

    def bind_campaign(self, campaign_id: str) -> None:
        """Bind an unbound store to a campaign; a bound store refuses another one."""

    def writing(self) -> AbstractContextManager[None]:
        """Hold the store's write lock while a run reads what it needs and writes.

        The write methods called inside take part in the same transaction;
        another writer waits until the block ends.
        """

    def last_instant(self) -> datetime | None:
        """The instant of the latest run, adjustment, decision, failed or voided payout."""

    def last_posting(self) -> PostingRun | None:
        """The latest posting run, or None before the first."""

    def run_count(self) -> int:
        """How many posting runs the store holds."""

    def payout_run_count(self) -> int:
        """How many payout runs the store holds."""

    def posted_summaries(self) -> Mapping[Group, str]:
        """Every partner-period's posted summary (one bulk read).

        See :func:`~hybridroi.ledger.posting.posted_summary`.
        """

    def posted_totals(self, groups: Collection[Group] | None = None) -> Mapping[LedgerKey, int]:
        """The sum of every key's entries (of ``groups`` only, if given), in minor units."""

    def posted_digests(self) -> Mapping[Group, str | None]:
        """Every partner-period with entries, to the digest of the lines it was last posted from.

        The digest (see :func:`~hybridroi.ledger.posting.group_digests`) is None
        when the partner-period's posted sums are not known to equal any lines.
        """

    def history(self, keys: Iterable[LedgerKey]) -> dict[LedgerKey, tuple[LedgerEntry, ...]]:
        """The entries of ``keys``, in posting order."""

    def entries(self, partner_id: str | None = None) -> tuple[LedgerEntry, ...]:
        """All entries (of one partner), in posting order."""

    def payout_status(self) -> dict[str, EntryStatus]:
        """Entry id to the status of its payout batch, for entries in one."""

    def write_posting(
        self,
        run: PostingRun,
        entries: Sequence[LedgerEntry],
        digests: Mapping[Group, str | None] | None = None,
    ) -> None:
        """Store a posting run, its entries and the partner-periods' new digests in one transaction.

        A partner-period of ``entries`` that ``digests`` does not name gets no
        digest (None): it is compared sum by sum at the next run.
        """

    def fill_statement_periods(self, label_of: Callable[[LedgerEntry], str]) -> int:
        """Give each entry stored without a statement period the one ``label_of`` returns.

        Only entries written before the store recorded statement periods (SQLite
        schema version 3 or older) lack one; they are filled in one transaction.

        Returns:
            How many entries were filled.
        """

    def batches(self, partner_id: str | None = None) -> tuple[PayoutBatch, ...]:
        """Payout batches (of one partner), by creation then id."""

    def write_payouts(self, run: PayoutRun) -> None:
        """Store a payout run's batches in one transaction."""

    def mark_paid(
        self,
        batch_id: str,
        at: datetime,
        *,
        reference: str | None = None,
        method: str | None = None,
    ) -> PayoutBatch:
        """Mark a payable batch as paid, with the payment's reference and method.

        Raises:
            UnknownBatchError: If there is no such batch (a ``KeyError``).
            InvalidValueError: If it is already paid, failed or voided.
        """

    def void_batch(self, batch_id: str, at: datetime, *, kind: str, reason: str) -> PayoutBatch:
        """Mark a batch failed or voided: its entries leave it, to be paid by a later run.

        Raises:
            UnknownBatchError: If there is no such batch (a ``KeyError``).
            InvalidValueError: If it is already failed or voided.
        """

    def adjustments(self, partner_id: str | None = None) -> tuple[Adjustment, ...]:
        """The manual adjustments (of one partner), in the order they were made."""

    def write_adjustment(self, adjustment: Adjustment) -> None:
        """Store an adjustment.

        Raises:
            InvalidValueError: If its id is used.
        """

    def decisions(self) -> tuple[Decision, ...]:
        """Every decision, in the order it was made."""

    def write_decision(self, decision: Decision) -> None:
        """Store a decision.

        Raises:
            InvalidValueError: If its id is used.
        """

    def audit(self) -> tuple[AuditRecord, ...]:
        """The audit trail, in order."""

    def write_audit(self, record: AuditRecord) -> None:
        """Append a record to the audit trail (its number must be the next one).

        Raises:
            InvalidValueError: If its number is not the next one.
        """

    def stored_policies(self) -> str | None:
        """The ledger's policies as stored (see :meth:`LedgerPolicies.text`), or None."""

    def store_policies(self, text: str) -> None:
        """Store the ledger's policies, once.

        Raises:
            InvalidValueError: If other policies are stored.
        """

    def record_events(self, events: Iterable[Event]) -> EventIntake:
        """Store events keyed by id: repeats change nothing; conflicting ids are refused."""

    def events(self) -> tuple[Event, ...]:
        """Every stored event, by kind then id."""


def _extended(
    entries: Sequence[LedgerEntry],
    history: Mapping[LedgerKey, tuple[LedgerEntry, ...]],
    posted_at: datetime,
) -> tuple[LedgerEntry, ...]:
    """New earned entries of a transaction whose lock was extended lock with it.

    ``history`` holds each entry at its decided lock instant. A sale repriced
    upward after its lock was extended must not have its delta paid on the
    original date: the delta takes the transaction's latest decided lock when
    that is later than its own (an early approval, which moves locks earlier,
    covers only the amount that was reviewed).
    """
    result = list(entries)
    for index, entry in enumerate(result):
        if entry.entry_type is not EntryType.EARNED or entry.key not in history:
            continue
        locks = [
            earlier.lock_at
            for earlier in history[entry.key]
            if earlier.entry_type is EntryType.EARNED
        ]
        if locks and max(locks) > entry.lock_at:
            lock_at = max(locks)
            status = EntryStatus.PENDING if lock_at > posted_at else EntryStatus.LOCKED
            result[index] = attrs.evolve(entry, lock_at=lock_at, status=status)
    return tuple(result)


def _check_run_id(run_id: object) -> None:
    if run_id is not None and (
        not isinstance(run_id, str) or not run_id or run_id != run_id.strip() or ":" in run_id
    ):
        raise InvalidValueError("run_id", run_id, "a non-empty id without spaces around or ':'")
    # Adjustment entries are "adjustment:<id>": a run of that name could reuse their ids.
    if run_id == ADJUSTMENT_PREFIX:
        raise InvalidValueError("run_id", run_id, f"an id other than {ADJUSTMENT_PREFIX!r}")


def _check_campaign(store: LedgerStore, campaign: Campaign) -> str | None:
    bound = store.campaign_id()
    if bound is not None and bound != campaign.id:
        raise InvalidValueError(
            "Ledger.campaign", campaign.id, f"campaign {bound}, whose ledger this store holds"
        )
    return bound


def _check_partner_id(partner_id: object) -> None:
    if partner_id is not None and not isinstance(partner_id, str):
        raise InvalidTypeError("partner_id", partner_id, "a partner id (text) or None")


class Ledger(LedgerOperations):
    """A campaign's ledger: post statement runs, read balances, run payouts.

    Beside the statements, a partner team adjusts balances by hand
    (:meth:`adjust`), decides about single transactions (:meth:`hold`,
    :meth:`release`, :meth:`extend`, :meth:`approve`, :meth:`decline`), marks
    payout batches paid, failed or void, and reads the audit trail
    (:meth:`audit`). The policies are stored with the ledger on its first write.

    Args:
        store: Where the ledger lives (:class:`~hybridroi.ledger.stores.memory.MemoryLedgerStore`
            or :class:`~hybridroi.ledger.stores.sqlite.SqliteLedgerStore`).
        campaign: The campaign; its time zone sets lock dates and payout days, and
            its deals' statement period kinds the statement a clawback appears on.
        policies: Lock rules, minimum payouts and clawback policy per partner, and
            the payout schedule.

    Opening a store written before entries recorded their statement period
    (SQLite schema version 3 or older) fills the statement period of its old
    clawbacks, once (see :meth:`statement_period`).

    Raises:
        InvalidTypeError: If an argument is not of its type.
        InvalidValueError: If the store already holds another campaign's ledger.
        PolicyMismatchError: If the store holds a ledger written under other policies.
    """

    def __init__(
        self, store: LedgerStore, campaign: Campaign, policies: LedgerPolicies | None = None
    ) -> None:
        if not callable(getattr(store, "write_posting", None)) or not callable(
            getattr(store, "writing", None)
        ):
            raise InvalidTypeError(
                "Ledger.store", store, "a ledger store (MemoryLedgerStore or SqliteLedgerStore)"
            )
        if not isinstance(campaign, Campaign):
            raise InvalidTypeError("Ledger.campaign", campaign, "a Campaign")
        if policies is not None and not isinstance(policies, LedgerPolicies):
            raise InvalidTypeError("Ledger.policies", policies, "LedgerPolicies or None")
        bound = _check_campaign(store, campaign)
        self.store = store
        self.campaign = campaign
        self.policies = policies if policies is not None else LedgerPolicies()
        self._statement_kinds = statement_kinds(campaign)
        self._check_policies()
        if bound is not None:
            store.fill_statement_periods(self.statement_period)

    def _check_policies(self) -> str | None:
        """The stored policies' text; raises if they are not this ledger's."""
        stored = self.store.stored_policies()
        if stored is not None and stored != self.policies.text():
            raise PolicyMismatchError(stored, self.policies.text())
        return stored

    def _bind_policies(self, at: datetime, actor: str) -> None:
        """Store these policies after the ledger's first write (checked before it)."""
        if self._check_policies() is None:
            text = self.policies.text()
            self.store.store_policies(text)
            self._record(
                AuditAction.POLICIES,
                at=at,
                actor=actor,
                subject=self.campaign.id,
                reason="the ledger's policies, stored with it on first use",
                details=text,
            )

    def _record(
        self,
        action: AuditAction,
        *,
        at: datetime,
        actor: str,
        subject: str,
        reason: str,
        details: str = "",
    ) -> AuditRecord:
        record = AuditRecord(
            number=len(self.store.audit()) + 1,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            reason=reason,
            details=details,
        )
        self.store.write_audit(record)
        return record

    def statement_period(self, entry: LedgerEntry) -> str:
        """The label of the partner statement ``entry`` belongs on, by the campaign's rules.

        Args:
            entry: A ledger entry.

        Returns:
            For a clawback, the partner's statement period (in the campaign's
            calendar and the partner's deal's statement period kind) that
            contains its posting instant; for any other entry, its line's period.

        Raises:
            InvalidTypeError: If ``entry`` is not a :class:`LedgerEntry`.
        """
        if not isinstance(entry, LedgerEntry):
            raise InvalidTypeError("entry", entry, "a LedgerEntry")
        if entry.entry_type is not EntryType.CLAWBACK:
            return entry.period_label
        kind = self._statement_kinds.get(entry.partner_id, PeriodKind.MONTH)
        return statement_period_label(entry.posted_at, kind, self.campaign.timezone)

    def _check_forward(self, at: datetime, field: str) -> datetime:
        require_aware(at, field)
        last = self.store.last_instant()
        if last is not None and at < last:
            raise InvalidValueError(
                field, at, f"an instant at or after the ledger's last run, {last.isoformat()}"
            )
        return at.astimezone(UTC)

    def post(
        self,
        run: StatementRun,
        *,
        at: datetime | None = None,
        run_id: str | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> PostingResult:
        """Post the difference between ``run`` and what is already posted.

        Manual adjustments are not statement lines: posting never reverses them.

        Args:
            run: The campaign's statements: the complete state as of ``run.as_of``.
            at: The posting instant (default ``run.as_of``); it decides which
                posted entries are still pending.
            run_id: The run id (default ``"posting-<number>"``).
            actor: Who runs the posting, for the audit trail.
            reason: Why, for the audit trail (default: the statement run's as-of).

        Returns:
            The run record, the entries added and the lines not posted.

        Raises:
            InvalidTypeError: If ``run`` is not a :class:`StatementRun`.
            InvalidValueError: If ``at`` is before the ledger's last run, an
                instant is naive, or ``run_id`` is not a usable id.
            StaleRunError: If ``run.as_of`` is before the as-of of the last
                run posted, whatever ``at`` says (nothing is written).
            LedgerBusyError: If another process kept the store's write lock
                longer than the store's busy timeout (SQLite).
        """
        if not isinstance(run, StatementRun):
            raise InvalidTypeError("run", run, "a StatementRun")
        require_aware(run.as_of, "StatementRun.as_of")
        _check_run_id(run_id)
        check_actor(actor, reason)
        if at is not None:
            require_aware(at, "at")
        with self.store.writing():
            posted_at = self._check_forward(run.as_of if at is None else at, "at")
            last = self.store.last_posting()
            if last is not None and run.as_of < last.as_of:
                raise StaleRunError(run.as_of, last.as_of, last.id)
            self._check_policies()
            with collector_paused():
                result = self._post(run, posted_at, run_id)
            self._bind_policies(posted_at, actor)
            self._record(
                AuditAction.POST,
                at=posted_at,
                actor=actor,
                subject=result.run.id,
                reason=reason or f"statement run as of {run.as_of.astimezone(UTC).isoformat()}",
                details=(
                    f"{result.run.entry_count} entries posted, {len(result.problems)} lines held"
                ),
            )
            return result

    def _post(self, run: StatementRun, posted_at: datetime, run_id: str | None) -> PostingResult:
        number = self.store.run_count() + 1
        run_id = run_id or f"posting-{number:06d}"
        # A partner-period whose lines have the digest stored for it was posted from those
        # very lines and has nothing to post. The others are compared as whole
        # partner-periods, from one bulk read of posted sums; only those that changed are
        # compared line by line.
        stored = self.store.posted_digests()
        # A partner-period with nothing posted is posted in bulk from its columns, if fit:
        # they are read in full at once.
        columns = group_columns(run, posted=stored)
        digests = group_digests(run, columns)
        candidates = {
            g for g, digest in digests.items() if digest is None or stored.get(g) != digest
        }
        candidates.update(
            g for g, digest in stored.items() if g not in digests and digest != EMPTY_DIGEST
        )
        changed: set[Group] = set()
        if candidates:
            compared = attrs.evolve(
                run,
                statements=tuple(
                    s for s in run.statements if (s.partner_id, s.period.label) in candidates
                ),
            )
            changed = changed_groups(compared, self.store.posted_summaries()) & candidates
        totals = self.store.posted_totals(changed) if changed else {}
        # A partner-period with nothing posted whose lines are all fit to post is posted
        # in bulk, column by column; the others are compared key by key.
        fresh = self._fresh(columns, changed.difference(key[:2] for key in totals))
        found, problems, unposted = held_differences(
            attrs.evolve(
                run,
                statements=tuple(
                    s
                    for s in run.statements
                    if (group := (s.partner_id, s.period.label)) in changed and group not in fresh
                ),
            ),
            totals,
        )
        new_digests = {
            group: None if group in unposted else digests.get(group, EMPTY_DIGEST)
            for group in candidates
        }
        # A key absent from the totals has no entries at all, so no history to read.
        history = self.store.history(d.key for d in found if d.key in totals) if found else {}
        decisions = DecisionIndex(self.store.decisions()) if history else DecisionIndex()
        if decisions:
            history = self._decided_history(history, posted_at, decisions)
        status = self.store.payout_status() if found else {}
        paid = {entry_id for entry_id, state in status.items() if state is EntryStatus.PAID}
        entries = plan_entries(
            found,
            history,
            paid,
            policies=self.policies,
            timezone=self.campaign.timezone,
            run_id=run_id,
            posted_at=posted_at,
            statement_kinds=self._statement_kinds,
            fresh=fresh,
        )
        if any(d.kind is DecisionKind.EXTEND for d in decisions.decisions):
            entries = PostedEntries((_extended(entries, history, posted_at),))
        record = PostingRun(
            id=run_id,
            number=number,
            as_of=run.as_of,
            posted_at=posted_at,
            entry_count=len(entries),
        )
        # Checked again inside the write lock: another process may have bound the store since.
        if _check_campaign(self.store, self.campaign) is None:
            self.store.bind_campaign(self.campaign.id)
        self.store.write_posting(record, entries, new_digests)
        return PostingResult(run=record, entries=entries, problems=problems)

    def _decided_history(
        self,
        history: dict[LedgerKey, tuple[LedgerEntry, ...]],
        posted_at: datetime,
        decisions: DecisionIndex,
    ) -> dict[LedgerKey, tuple[LedgerEntry, ...]]:
        """The history with each entry's lock instant as extensions and approvals left it.

        A refund of an extended sale then reverses it at its extended lock
        instant (the two lock together), and a refund of a sale approved early
        is clawed back, as for any locked amount.
        """
        timezone = self.campaign.timezone

        def decided(entry: LedgerEntry) -> LedgerEntry:
            found = decisions.of(entry)
            if not found:
                return entry
            lock_at = decided_lock(entry, found, posted_at, timezone)
            return entry if lock_at == entry.lock_at else attrs.evolve(entry, lock_at=lock_at)

        return {key: tuple(map(decided, entries)) for key, entries in history.items()}

    @staticmethod
    def _fresh(
        columns: Mapping[Group, LineColumns], groups: set[Group]
    ) -> dict[Group, LineColumns]:
        """The partner-periods of ``groups`` (nothing posted) to post in bulk, as columns."""
        found = {group: fresh_columns(columns[group]) for group in groups if group in columns}
        return {group: ready for group, ready in found.items() if ready is not None}

    def balances(self, at: datetime, partner_id: str | None = None) -> tuple[Balance, ...]:
        """Balances by partner, currency and status at ``at``.

        Raises:
            InvalidValueError: If ``at`` is not a timezone-aware instant, or
                ``partner_id`` is not text.
        """
        require_aware(at, "at")
        _check_partner_id(partner_id)
        return balances(
            self.entries(partner_id),
            at,
            self.store.payout_status(),
            decisions=DecisionIndex(self.store.decisions()),
            timezone=self.campaign.timezone,
        )

    def run_payouts(
        self,
        at: datetime,
        *,
        run_id: str | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> PayoutRun:
        """Make payout batches of everything locked at ``at`` and store them.

        What is locked at ``at`` is paid; a partner's amount in a currency that
        is below its minimum payout, or not positive, is carried over to the
        next run (see :func:`~hybridroi.ledger.payouts.plan_payouts`).

        Args:
            at: The payout instant. With a payout schedule (``policies.schedule``),
                it must be one of the schedule's payout instants (see
                :meth:`next_payout`).
            run_id: The payout run id (default ``"payout-<number>"``).
            actor: Who runs the payouts, for the audit trail.
            reason: Why, for the audit trail (default: the payout instant).

        Returns:
            The batches made and the amounts carried over. Adjustments are paid
            like any locked entry; held, declined and extended entries wait.

        Raises:
            InvalidValueError: If ``at`` is before the ledger's last run, or is
                not a payout instant of the schedule (the message names the
                scheduled instants before and after it).
        """
        _check_run_id(run_id)
        check_actor(actor, reason)
        with self.store.writing():
            at = self._check_forward(at, "at")
            self._check_policies()
            payout = self._run_payouts(at, run_id)
            total = ", ".join(f"{b.partner_id} {b.amount}" for b in payout.batches)
            self._bind_policies(at, actor)
            self._record(
                AuditAction.PAYOUT,
                at=at,
                actor=actor,
                subject=payout.id,
                reason=reason or f"payout run at {at.isoformat()}",
                details=(
                    f"{len(payout.batches)} batches ({total or 'none'}), "
                    f"{len(payout.carried_over)} carried over"
                ),
            )
            return payout

    def _run_payouts(self, at: datetime, run_id: str | None) -> PayoutRun:
        _check_campaign(self.store, self.campaign)
        schedule = self.policies.schedule
        timezone = self.campaign.timezone
        if schedule is not None and not schedule.is_payout(at, timezone):
            before = schedule.previous_payout(at, timezone)
            after = schedule.next_payout(at, timezone)
            raise InvalidValueError(
                "at",
                at,
                f"a payout instant of the schedule, {schedule.describe()} at midnight in "
                f"{timezone}: the nearest are {before.isoformat()} and {after.isoformat()}",
            )
        run_id = run_id or f"payout-{self.store.payout_run_count() + 1:06d}"
        payout = plan_payouts(
            self.entries(),
            self.store.payout_status(),
            self.policies,
            at=at,
            run_id=run_id,
            decisions=DecisionIndex(self.store.decisions()),
            timezone=timezone,
        )
        self.store.write_payouts(payout)
        return payout

    def next_payout(self, on_or_after: datetime) -> datetime | None:
        """The first scheduled payout instant at or after ``on_or_after``.

        Args:
            on_or_after: A timezone-aware instant.

        Returns:
            The instant to pass to :meth:`run_payouts`, in the campaign's
            calendar; None when the ledger has no payout schedule.
        """
        schedule = self.policies.schedule
        if schedule is None:
            return None
        return schedule.next_payout(on_or_after, self.campaign.timezone)

    def mark_paid(
        self,
        batch_id: str,
        at: datetime,
        *,
        reference: str | None = None,
        method: str | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> PayoutBatch:
        """Record that a payable batch was paid at ``at``.

        Args:
            batch_id: The batch.
            at: When it was paid.
            reference: The payment's reference (a bank transfer id), if any.
            method: How it was paid (``"sepa"``, ``"paypal"``...), if known.
            actor: Who records the payment, for the audit trail.
            reason: Why, for the audit trail (default: the reference and method).

        Returns:
            The batch, paid.

        Raises:
            UnknownBatchError: If the ledger holds no such batch (a ``KeyError``).
            InvalidValueError: If it is already paid, failed or voided, ``at``
                is before the ledger's last run, or a text is empty.
        """
        for name, value in (("reference", reference), ("method", method)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidValueError(name, value, "a non-empty text or None")
        check_actor(actor, reason)
        with self.store.writing():
            at = self._check_forward(at, "at")
            self._check_policies()
            paid = self.store.mark_paid(batch_id, at, reference=reference, method=method)
            self._bind_policies(at, actor)
            self._record(
                AuditAction.PAID,
                at=at,
                actor=actor,
                subject=batch_id,
                reason=reason or "payment recorded",
                details=(
                    f"{paid.amount} to {paid.partner_id}; reference {reference or '-'}, "
                    f"method {method or '-'}"
                ),
            )
            return paid
