"""Ledger entries: the append-only record of what a partner has been credited.

An entry is never changed once posted. What changes over time is its
*status*, which is derived from the entry, the instant you ask at and the
payout batches that hold it (see :mod:`hybridroi.ledger.lifecycle`).

Every entry comes from one statement line, identified by its
:class:`LedgerKey` (partner, period label, line key and currency), and keeps
the line's rule id, explanation and source ids, plus a ``reason`` that says
why this entry was posted ("earned", "adjustment", "reversal", "clawback").

An entry also names the statement period it appears on. For most entries it
is the line's own period; a clawback appears on the statement of the period it
was posted in (the next statement), not on the old statement of the sale, while
its key still names the line it corrects so that posting by difference keeps
adding up line by line.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import repeat
from typing import NamedTuple

import attrs

from hybridroi.core.checks import (
    aware,
    enum_member,
    identifier,
    instance_of,
    one_of,
    text,
    tuple_of,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.statements.lines import LineKind

__all__ = ["EntryStatus", "EntryType", "LedgerEntry", "LedgerKey"]


class LedgerKey(NamedTuple):
    """Where an entry belongs: one statement line of one partner, period and currency.

    Attributes:
        partner_id: The partner credited.
        period_label: The label of the statement's period (``"2026-03"``).
        line_key: The statement line's stable key (``"commission:C-17:R-pct"``).
        currency: The currency of the line.
    """

    partner_id: str
    period_label: str
    line_key: str
    currency: str


class EntryType(enum.Enum):
    """Why an entry was posted."""

    EARNED = "earned"
    """An amount the partner earned: a first posting or an increase of a line."""
    REVERSAL = "reversal"
    """A decrease of a line whose entries are still pending: it nets them before they lock."""
    CLAWBACK = "clawback"
    """A decrease of a line after its lock date: negative, and due at once."""
    WAIVED = "waived"
    """A clawback the policy does not recover from the partner (paid commissions kept).

    Recorded so that it stays visible, but never counted against the partner.
    A later increase of the same line first offsets a waived clawback, with a
    positive waived entry, so that the partner is not paid twice.
    """
    ADJUSTMENT = "adjustment"
    """A manual adjustment (bonus, correction, penalty, goodwill), made by a person.

    Its key names no statement line (``"adjustment:<id>"``), and posting by
    difference never sees it: later statement runs keep it as it is (see
    :mod:`hybridroi.ledger.adjustments`).
    """


class EntryStatus(enum.Enum):
    """Where an amount stands in its lifecycle: pending, locked, payable, paid.

    Entries are stored with the status they had when posted (``PENDING``,
    ``LOCKED`` or ``WAIVED``); :func:`hybridroi.ledger.lifecycle.status_at`
    gives the status at any instant.
    """

    PENDING = "pending"
    """Before the lock date: a decrease of the line reverses it."""
    LOCKED = "locked"
    """On or after the lock date, not yet in a payout batch."""
    PAYABLE = "payable"
    """In a payout batch that is not yet marked as paid."""
    PAID = "paid"
    """In a payout batch marked as paid."""
    WAIVED = "waived"
    """A waived clawback: visible, but never due by or to the partner."""
    HELD = "held"
    """Held by a decision: it does not lock until the hold is released."""
    DECLINED = "declined"
    """Declined by a decision: reversed from what the partner is owed, never paid."""


_POSTED_STATUSES = (EntryStatus.PENDING, EntryStatus.LOCKED, EntryStatus.WAIVED)


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One append-only ledger entry.

    Attributes:
        id: Entry id, ``"<run id>:<sequence>"``, unique in the ledger.
        run_id: The posting run that wrote the entry.
        key: The statement line the entry belongs to.
        line_kind: What the line pays for (commission, fee, bonus...).
        entry_type: Why the entry was posted.
        amount: The amount, in the key's currency (negative for reversals and clawbacks).
        status: The status when posted: pending, locked (due at once) or waived.
        lock_at: The instant the entry locks (for a clawback, its posting instant).
        earned_at: When the line's amount was earned (the sale's instant).
        posted_at: When the entry was posted.
        rule_id: The rule that fired for the line.
        explanation: The line's explanation when the entry was posted.
        source_ids: The events the line came from when the entry was posted.
        reason: Why this entry was posted, in words
            (``"reversal: commission:C-17 fell from EUR 10.08 to EUR 4.03 (new sources: R-3)"``).
        statement_period: The label of the partner statement the entry appears on:
            for a clawback, the statement period (in the campaign's calendar and
            the partner's statement period kind) that contains its posting
            instant; for any other entry, the line's own period (the default).
    """

    id: str = attrs.field(validator=identifier)
    run_id: str = attrs.field(validator=identifier)
    key: LedgerKey = attrs.field(validator=instance_of(LedgerKey, "a LedgerKey"))
    line_kind: LineKind = attrs.field(
        converter=enum_member(LineKind)  # type: ignore[misc]
    )
    entry_type: EntryType = attrs.field(
        converter=enum_member(EntryType)  # type: ignore[misc]
    )
    amount: Money = attrs.field(validator=instance_of(Money, "a Money amount"))
    status: EntryStatus = attrs.field(
        converter=enum_member(EntryStatus),  # type: ignore[misc]
        validator=one_of(_POSTED_STATUSES, "a posted status: pending, locked or waived"),
    )
    lock_at: datetime = attrs.field(validator=aware)
    earned_at: datetime = attrs.field(validator=aware)
    posted_at: datetime = attrs.field(validator=aware)
    rule_id: str = attrs.field(validator=identifier)
    explanation: str = attrs.field(validator=text)
    source_ids: tuple[str, ...] = attrs.field(
        default=(),
        converter=tuple_of(str, "a source id"),  # type: ignore[misc]
    )
    reason: str = attrs.field(validator=text)
    statement_period: str = attrs.field(
        default=attrs.Factory(lambda entry: entry.key.period_label, takes_self=True),
        validator=identifier,
    )

    def __attrs_post_init__(self) -> None:
        if self.amount.currency != self.key.currency:
            raise InvalidValueError(
                "LedgerEntry.amount",
                self.amount,
                f"an amount in the key's currency {self.key.currency}",
            )
        if self.amount.is_zero():
            raise InvalidValueError("LedgerEntry.amount", self.amount, "a non-zero amount")

    @classmethod
    def _trusted(
        cls,
        *,
        id: str,
        run_id: str,
        key: LedgerKey,
        line_kind: LineKind,
        entry_type: EntryType,
        amount: Money,
        status: EntryStatus,
        lock_at: datetime,
        earned_at: datetime,
        posted_at: datetime,
        rule_id: str,
        explanation: str,
        source_ids: tuple[str, ...],
        reason: str,
        statement_period: str,
    ) -> LedgerEntry:
        """Build an entry from fields the caller has already checked, skipping ``__init__``.

        Only :func:`hybridroi.ledger.posting.plan_entries` uses it: it checks
        each statement line and the run's id and instant once, and derives
        every other field from them, so running the converters and validators
        again for each of a million entries would only cost time. For the same
        reason the fields are written through their slots, in field order, not
        by name. The entry is equal to, and hashes like, the one
        ``LedgerEntry(...)`` builds from the same fields.
        """
        entry = object.__new__(cls)
        (
            set_id,
            set_run_id,
            set_key,
            set_line_kind,
            set_entry_type,
            set_amount,
            set_status,
            set_lock_at,
            set_earned_at,
            set_posted_at,
            set_rule_id,
            set_explanation,
            set_source_ids,
            set_reason,
            set_statement_period,
        ) = _SLOT_SETTERS
        set_id(entry, id)
        set_run_id(entry, run_id)
        set_key(entry, key)
        set_line_kind(entry, line_kind)
        set_entry_type(entry, entry_type)
        set_amount(entry, amount)
        set_status(entry, status)
        set_lock_at(entry, lock_at)
        set_earned_at(entry, earned_at)
        set_posted_at(entry, posted_at)
        set_rule_id(entry, rule_id)
        set_explanation(entry, explanation)
        set_source_ids(entry, source_ids)
        set_reason(entry, reason)
        set_statement_period(entry, statement_period)
        return entry

    @classmethod
    def _trusted_many(cls, count: int, columns: Iterable[Iterable[object]]) -> list[LedgerEntry]:
        """``count`` entries from checked fields given column by column, in field order.

        What :meth:`_trusted` does for one entry, done for a whole partner-period
        at once by :func:`hybridroi.ledger.posting.plan_entries`: each column is
        written through its slot in one C-level pass, without a Python call per
        entry. Each column must yield ``count`` values (a constant is
        ``itertools.repeat(value)``).
        """
        entries = list(map(_new, repeat(cls, count)))
        for setter, column in zip(_SLOT_SETTERS, columns, strict=True):
            deque(map(setter, entries, column), maxlen=0)
        return entries

    @property
    def partner_id(self) -> str:
        """The partner credited."""
        return self.key.partner_id

    @property
    def period_label(self) -> str:
        """The label of the statement's period."""
        return self.key.period_label

    @property
    def line_key(self) -> str:
        """The statement line's key."""
        return self.key.line_key

    @property
    def currency(self) -> str:
        """The currency of the amount."""
        return self.key.currency


# The slot descriptors' setters, in field order, for LedgerEntry._trusted. Setting a
# frozen slotted field by name (object.__setattr__) looks the slot up on every call.
_new = object.__new__
_SLOT_SETTERS: tuple[Callable[[LedgerEntry, object], None], ...] = tuple(
    vars(LedgerEntry)[field.name].__set__ for field in attrs.fields(LedgerEntry)
)
