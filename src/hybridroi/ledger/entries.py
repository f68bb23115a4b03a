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

import bisect
import enum
import functools
import itertools
import operator
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import repeat
from typing import NamedTuple, SupportsIndex, overload

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
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.statements.lines import LineKind

__all__ = [
    "EntryStatus",
    "EntryType",
    "FreshEntries",
    "LedgerEntry",
    "LedgerKey",
    "PostedEntries",
]


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


_FIRST_POSTED = "earned: {} first posted".format
_LEDGER_KEY = functools.partial(tuple.__new__, LedgerKey)


@attrs.frozen(kw_only=True, eq=False)
class FreshEntries:
    """The first postings of one partner-period, column by column.

    A partner-period with nothing posted posts each of its lines whole, as one
    ``earned`` entry numbered in key order; every field of those entries but the
    line's own is shared or follows from the others (the id from the sequence,
    the status from the lock instant, the reason from the line key, the
    statement period from the period). The columns are kept as they are:
    :class:`PostedEntries` builds an entry only when it is read, and the SQLite
    store writes its rows straight from the columns.

    Built by :func:`hybridroi.ledger.posting.plan_entries` from lines it has
    checked; the columns are not checked again.

    Attributes:
        run_id: The posting run.
        first_sequence: The number of the first entry in the run.
        partner_id: The partner.
        period_label: The label of the statement period.
        posted_at: The posting instant.
        line_keys: The lines' keys, in key order.
        line_kinds: What each line pays for.
        amounts: Each line's amount (Money, in the line's currency, not zero).
        currencies: Each amount's currency.
        units: Each amount in minor units of its currency.
        lock_ats: The instant each entry locks.
        earned_ats: When each line's amount was earned.
        rule_ids: The rule that fired for each line.
        explanations: Each line's explanation.
        source_ids: Each line's source ids.
    """

    run_id: str
    first_sequence: int
    partner_id: str
    period_label: str
    posted_at: datetime
    line_keys: Sequence[str]
    line_kinds: Sequence[LineKind]
    amounts: Sequence[Money]
    currencies: Sequence[str]
    units: Sequence[int]
    lock_ats: Sequence[datetime]
    earned_ats: Sequence[datetime]
    rule_ids: Sequence[str]
    explanations: Sequence[str]
    source_ids: Sequence[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.line_keys)

    def statuses(self) -> Iterator[EntryStatus]:
        """Each entry's status when posted: pending until it locks, then locked."""
        return map(
            (EntryStatus.LOCKED, EntryStatus.PENDING).__getitem__,
            map(self.posted_at.__lt__, self.lock_ats),
        )

    @collector_paused()
    def build(self) -> list[LedgerEntry]:
        """The entries, built column by column (see :meth:`LedgerEntry._trusted_many`).

        A part may build a million entries and no reference cycle: the cyclic collector
        is paused meanwhile, as when a statement builds its lines.
        """
        count = len(self.line_keys)
        sequence = self.first_sequence
        return LedgerEntry._trusted_many(
            count,
            (
                map(
                    operator.add,
                    repeat(f"{self.run_id}:"),
                    map(str, range(sequence, sequence + count)),
                ),
                repeat(self.run_id),
                map(
                    _LEDGER_KEY,
                    zip(
                        repeat(self.partner_id),
                        repeat(self.period_label),
                        self.line_keys,
                        self.currencies,
                    ),
                ),
                self.line_kinds,
                repeat(EntryType.EARNED),
                self.amounts,
                self.statuses(),
                self.lock_ats,
                self.earned_ats,
                repeat(self.posted_at),
                self.rule_ids,
                self.explanations,
                self.source_ids,
                map(_FIRST_POSTED, self.line_keys),
                repeat(self.period_label),
            ),
        )


class PostedEntries(Sequence[LedgerEntry]):
    """The entries of a posting run, in order, built when they are read.

    A run posts partner-periods with nothing posted in bulk (:class:`FreshEntries`)
    and the others entry by entry; this tuple holds both kinds of parts in order.
    Its length is known at once; an entry is built the first time its part is
    read, and the same object is returned afterwards.

    It is a sequence of the entries that compares equal to (and hashes, adds,
    pickles and is written like) the plain tuple of the same entries, so that a
    million first postings need no million objects until they are read.

    Args:
        parts: The run's entries, part by part, in posting order.
    """

    __slots__ = ("_built", "_ends", "_parts")

    def __init__(self, parts: Iterable[Sequence[LedgerEntry] | FreshEntries] = ()) -> None:
        self._parts: tuple[Sequence[LedgerEntry] | FreshEntries, ...] = tuple(
            part for part in parts if len(part)
        )
        self._ends: list[int] = list(itertools.accumulate(map(len, self._parts)))
        self._built: dict[int, Sequence[LedgerEntry]] = {}

    @property
    def parts(self) -> tuple[Sequence[LedgerEntry] | FreshEntries, ...]:
        """The parts, in posting order: entries already built, or first postings as columns."""
        return self._parts

    def _part(self, index: int) -> Sequence[LedgerEntry]:
        found = self._built.get(index)
        if found is None:
            part = self._parts[index]
            found = part.build() if isinstance(part, FreshEntries) else part
            self._built[index] = found
        return found

    def _entries(self) -> tuple[LedgerEntry, ...]:
        """Every entry, as a plain tuple."""
        return tuple(itertools.chain.from_iterable(map(self._part, range(len(self._parts)))))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __bool__(self) -> bool:
        return bool(self._ends)

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> LedgerEntry: ...

    @overload
    def __getitem__(self, index: slice, /) -> tuple[LedgerEntry, ...]: ...

    def __getitem__(self, index: SupportsIndex | slice, /) -> LedgerEntry | tuple[LedgerEntry, ...]:
        if isinstance(index, slice):
            return self._entries()[index]
        length = len(self)
        position = operator.index(index)
        if position < 0:
            position += length
        if not 0 <= position < length:
            raise IndexError("tuple index out of range")
        part = bisect.bisect_right(self._ends, position)
        start = self._ends[part - 1] if part else 0
        return self._part(part)[position - start]

    def __iter__(self) -> Iterator[LedgerEntry]:
        for index in range(len(self._parts)):
            yield from self._part(index)

    def __reversed__(self) -> Iterator[LedgerEntry]:
        return reversed(self._entries())

    def __contains__(self, value: object) -> bool:
        return any(value == entry for entry in self)

    def count(self, value: object) -> int:
        """How many entries equal ``value``."""
        return self._entries().count(value)

    def index(
        self, value: object, start: SupportsIndex = 0, stop: SupportsIndex = sys.maxsize
    ) -> int:
        """The position of the first entry equal to ``value``.

        Raises:
            ValueError: If no entry between ``start`` and ``stop`` equals it.
        """
        return self._entries().index(value, start, stop)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PostedEntries):
            return len(self) == len(other) and self._entries() == other._entries()
        if isinstance(other, tuple):
            return len(self) == len(other) and self._entries() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._entries())

    def __add__(self, other: Sequence[LedgerEntry]) -> tuple[LedgerEntry, ...]:
        return self._entries() + tuple(other)

    def __radd__(self, other: Sequence[LedgerEntry]) -> tuple[LedgerEntry, ...]:
        return tuple(other) + self._entries()

    def __reduce__(self) -> tuple[type[PostedEntries], tuple[tuple[tuple[LedgerEntry, ...]]]]:
        return (PostedEntries, ((self._entries(),),))

    def __repr__(self) -> str:
        # Written as the tuple it equals.
        return repr(self._entries())
