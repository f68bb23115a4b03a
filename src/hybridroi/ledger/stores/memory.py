"""An in-memory ledger store, for tests, notebooks and short-lived runs.

Every write builds its new state aside and swaps it in at the end, so a write
that fails half-way leaves the previous state as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.events.records import Event
from hybridroi.ledger.adjustments import Adjustment
from hybridroi.ledger.audit import AuditRecord
from hybridroi.ledger.decisions import Decision
from hybridroi.ledger.entries import EntryStatus, LedgerEntry, LedgerKey
from hybridroi.ledger.errors import UnknownBatchError
from hybridroi.ledger.intake import EventIntake
from hybridroi.ledger.payouts import PayoutBatch, PayoutRun
from hybridroi.ledger.posting import Group, posted_summary
from hybridroi.ledger.store import PostingRun
from hybridroi.ledger.stores.events import event_batch, event_from_text, intake

__all__ = ["MemoryLedgerStore"]


class MemoryLedgerStore:
    """A :class:`~hybridroi.ledger.store.LedgerStore` held in memory."""

    def __init__(self) -> None:
        self._campaign_id: str | None = None
        self._runs: list[PostingRun] = []
        self._payout_instants: list[datetime] = []
        self._entries: list[LedgerEntry] = []
        self._by_key: dict[LedgerKey, list[LedgerEntry]] = {}
        self._totals: dict[LedgerKey, int] = {}
        self._digests: dict[Group, str | None] = {}
        self._batches: dict[str, PayoutBatch] = {}
        self._events: dict[tuple[str, str], str] = {}
        self._adjustments: list[Adjustment] = []
        self._decisions: list[Decision] = []
        self._audit: list[AuditRecord] = []
        self._policies: str | None = None
        self._lock = threading.RLock()

    def campaign_id(self) -> str | None:
        """The campaign the store is bound to."""
        return self._campaign_id

    def bind_campaign(self, campaign_id: str) -> None:
        """Bind the store to a campaign.

        Raises:
            InvalidValueError: If it is bound to another one.
        """
        if self._campaign_id not in (None, campaign_id):
            raise InvalidValueError("campaign_id", campaign_id, f"{self._campaign_id}")
        self._campaign_id = campaign_id

    def writing(self) -> AbstractContextManager[None]:
        """Hold the store's lock: another thread's run waits until this one ends."""
        return _Held(self._lock)

    def last_posting(self) -> PostingRun | None:
        """The latest posting run, or None before the first."""
        return self._runs[-1] if self._runs else None

    def last_instant(self) -> datetime | None:
        """The instant of the latest run, adjustment, decision, failed or voided payout."""
        instants = [run.posted_at for run in self._runs[-1:]] + self._payout_instants[-1:]
        instants += [a.at for a in self._adjustments[-1:]] + [d.at for d in self._decisions[-1:]]
        instants += [b.voided_at for b in self._batches.values() if b.voided_at is not None]
        return max(instants) if instants else None

    def run_count(self) -> int:
        """How many posting runs are stored."""
        return len(self._runs)

    def payout_run_count(self) -> int:
        """How many payout runs are stored."""
        return len(self._payout_instants)

    def posted_summaries(self) -> Mapping[Group, str]:
        """Every partner-period's posted summary."""
        groups: dict[Group, list[tuple[str, str, int]]] = {}
        for key, total in self._totals.items():
            groups.setdefault((key.partner_id, key.period_label), []).append(
                (key.line_key, key.currency, total)
            )
        summaries = {group: posted_summary(items) for group, items in groups.items()}
        return {group: text for group, text in summaries.items() if text}

    def posted_totals(self, groups: Collection[Group] | None = None) -> Mapping[LedgerKey, int]:
        """The sum of every key's entries (of ``groups`` only, if given), in minor units."""
        if groups is None:
            return dict(self._totals)
        wanted = set(groups)
        return {
            key: total
            for key, total in self._totals.items()
            if (key.partner_id, key.period_label) in wanted
        }

    def posted_digests(self) -> Mapping[Group, str | None]:
        """Every partner-period with entries, to the digest of the lines last posted."""
        return dict(self._digests)

    def history(self, keys: Iterable[LedgerKey]) -> dict[LedgerKey, tuple[LedgerEntry, ...]]:
        """The entries of ``keys``, in posting order."""
        return {key: tuple(self._by_key[key]) for key in keys if key in self._by_key}

    def entries(self, partner_id: str | None = None) -> tuple[LedgerEntry, ...]:
        """All entries (of one partner), in posting order."""
        return tuple(e for e in self._entries if partner_id in (None, e.partner_id))

    def payout_status(self) -> dict[str, EntryStatus]:
        """Entry id to the status of its payout batch."""
        return {
            entry_id: batch.status
            for batch in self._batches.values()
            if batch.live
            for entry_id in batch.entry_ids
        }

    def write_posting(
        self,
        run: PostingRun,
        entries: Sequence[LedgerEntry],
        digests: Mapping[Group, str | None] | None = None,
    ) -> None:
        """Store a posting run, its entries and the partner-periods' digests, all or nothing.

        Raises:
            InvalidValueError: If the run id is already used.
        """
        if any(known.id == run.id for known in self._runs):
            raise InvalidValueError("PostingRun.id", run.id, "a run id not used before")
        by_key = dict(self._by_key)
        totals = dict(self._totals)
        for entry in entries:
            by_key[entry.key] = [*by_key.get(entry.key, ()), entry]
            totals[entry.key] = totals.get(entry.key, 0) + entry.amount.minor_units
        found = dict(self._digests)
        for entry in entries:
            group = (entry.partner_id, entry.period_label)
            if digests is None or group not in digests:
                found[group] = None
        found.update(digests or {})
        self._entries = [*self._entries, *entries]
        self._by_key = by_key
        self._totals = totals
        self._digests = found
        self._runs = [*self._runs, run]

    def fill_statement_periods(self, label_of: Callable[[LedgerEntry], str]) -> int:
        """Fill missing statement periods: none are missing in memory, so nothing to do.

        Returns:
            0: every entry held in memory was built with its statement period.
        """
        return 0

    def batches(self, partner_id: str | None = None) -> tuple[PayoutBatch, ...]:
        """Payout batches (of one partner), in creation order."""
        return tuple(b for b in self._batches.values() if partner_id in (None, b.partner_id))

    def write_payouts(self, run: PayoutRun) -> None:
        """Store a payout run's batches, all or nothing.

        Raises:
            InvalidValueError: If a batch id is used, or an entry is in a batch already.
        """
        batched = self.payout_status()
        for batch in run.batches:
            if batch.id in self._batches:
                raise InvalidValueError("PayoutBatch.id", batch.id, "a batch id not used before")
            for entry_id in batch.entry_ids:
                if entry_id in batched:
                    raise InvalidValueError(
                        "PayoutBatch.entry_ids", entry_id, "entries in no other batch"
                    )
        self._batches = {**self._batches, **{batch.id: batch for batch in run.batches}}
        self._payout_instants.append(run.at)

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
        batch = self._batches.get(batch_id)
        if batch is None:
            raise UnknownBatchError(batch_id)
        if not batch.live:
            raise InvalidValueError("batch_id", batch_id, f"a batch not {batch.void_kind}")
        if batch.paid_at is not None:
            raise InvalidValueError("batch_id", batch_id, "a batch not yet paid")
        paid = attrs.evolve(batch, paid_at=at, reference=reference, method=method)
        self._batches = {**self._batches, batch_id: paid}
        return paid

    def void_batch(self, batch_id: str, at: datetime, *, kind: str, reason: str) -> PayoutBatch:
        """Mark a batch failed or voided: its entries leave it, to be paid by a later run.

        Raises:
            UnknownBatchError: If there is no such batch (a ``KeyError``).
            InvalidValueError: If it is already failed or voided.
        """
        batch = self._batches.get(batch_id)
        if batch is None:
            raise UnknownBatchError(batch_id)
        if not batch.live:
            raise InvalidValueError("batch_id", batch_id, f"a batch not {batch.void_kind} already")
        voided = attrs.evolve(batch, voided_at=at, void_kind=kind, void_reason=reason)
        self._batches = {**self._batches, batch_id: voided}
        return voided

    def adjustments(self, partner_id: str | None = None) -> tuple[Adjustment, ...]:
        """The manual adjustments (of one partner), in the order they were made."""
        return tuple(a for a in self._adjustments if partner_id in (None, a.partner_id))

    def write_adjustment(self, adjustment: Adjustment) -> None:
        """Store an adjustment.

        Raises:
            InvalidValueError: If its id is used.
        """
        if any(known.id == adjustment.id for known in self._adjustments):
            raise InvalidValueError("Adjustment.id", adjustment.id, "an id not used before")
        self._adjustments = [*self._adjustments, adjustment]

    def decisions(self) -> tuple[Decision, ...]:
        """Every decision, in the order it was made."""
        return tuple(self._decisions)

    def write_decision(self, decision: Decision) -> None:
        """Store a decision.

        Raises:
            InvalidValueError: If its id is used.
        """
        if any(known.id == decision.id for known in self._decisions):
            raise InvalidValueError("Decision.id", decision.id, "an id not used before")
        self._decisions = [*self._decisions, decision]

    def audit(self) -> tuple[AuditRecord, ...]:
        """The audit trail, in order."""
        return tuple(self._audit)

    def write_audit(self, record: AuditRecord) -> None:
        """Append a record to the audit trail.

        Raises:
            InvalidValueError: If its number is not the next one.
        """
        if record.number != len(self._audit) + 1:
            raise InvalidValueError(
                "AuditRecord.number", record.number, f"the next number, {len(self._audit) + 1}"
            )
        self._audit = [*self._audit, record]

    def stored_policies(self) -> str | None:
        """The ledger's policies as stored, or None."""
        return self._policies

    def store_policies(self, text: str) -> None:
        """Store the ledger's policies, once.

        Raises:
            InvalidValueError: If other policies are stored.
        """
        if self._policies not in (None, text):
            raise InvalidValueError("policies", text, f"the stored policies {self._policies}")
        self._policies = text

    def record_events(self, events: Iterable[Event]) -> EventIntake:
        """Store events keyed by id; repeats change nothing, conflicts are refused."""
        new, report = intake(self._events, event_batch(events))
        self._events = {**self._events, **new}
        return report

    def events(self) -> tuple[Event, ...]:
        """Every stored event, by kind then id."""
        return tuple(
            event_from_text(kind, self._events[(kind, i)]) for kind, i in sorted(self._events)
        )


class _Held:
    """A lock held for the length of a ``with`` block."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()
