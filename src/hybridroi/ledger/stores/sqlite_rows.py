"""How the SQLite ledger writes entries and posting runs as rows, and reads them back.

* Amounts are integer minor units beside their currency: exact, and summed by
  SQLite without rounding.
* Instants are UTC text of fixed width (``2026-03-01T00:00:00.000000Z``), so that
  text order is time order.
* Source ids are a JSON array of strings.

Reading goes through the checked constructors: a row comes from a file, which
may be damaged.
"""

from __future__ import annotations

import decimal
import functools
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, itemgetter

from hybridroi.core.money import MAX_DIGITS, Money, minor_unit, scaled
from hybridroi.core.timezones import UTC
from hybridroi.ledger.entries import (
    EntryStatus,
    EntryType,
    FreshEntries,
    LedgerEntry,
    LedgerKey,
    PostedEntries,
)
from hybridroi.ledger.store import PostingRun
from hybridroi.statements.lines import LineKind

__all__ = [
    "ENTRY_COLUMNS",
    "ENTRY_SELECT",
    "entry_from_row",
    "entry_row",
    "entry_rows",
    "instant_text",
    "parse_instant",
    "posting_run_from_row",
]

ENTRY_COLUMNS = (
    "run_id, seq, partner_id, period_label, line_key, currency, amount_minor, line_kind, "
    "entry_type, status, lock_at, earned_at, posted_at, rule_id, explanation, source_ids, reason, "
    "statement_period"
)
"""An entry's values in the order of :func:`entry_row` and :func:`entry_from_row`.

They are the columns of ``entries`` up to schema version 5; from version 6 on,
:data:`ENTRY_SELECT` reads them back in this order.
"""

# The reason of a first posting, as posting.plan_entries writes it.
_FIRST_POSTED = "earned: {} first posted".format

ENTRY_SELECT = (
    "SELECT COALESCE(e.run_id, r.id), e.seq, e.partner_id, e.period_label, e.line_key, "
    "e.currency, e.amount_minor, e.line_kind, e.entry_type, "
    "COALESCE(e.status, CASE WHEN e.entry_type = 'waived' THEN 'waived' "
    "WHEN e.lock_at > COALESCE(e.posted_at, r.posted_at) THEN 'pending' ELSE 'locked' END), "
    "e.lock_at, e.earned_at, COALESCE(e.posted_at, r.posted_at), e.rule_id, e.explanation, "
    "e.source_ids, COALESCE(e.reason, 'earned: ' || e.line_key || ' first posted'), "
    "e.statement_period "
    "FROM entries AS e LEFT JOIN posting_runs AS r ON r.number = e.run"
)
"""Every entry's values, in the order of :data:`ENTRY_COLUMNS` (schema version 6).

A NULL column stands for the value the row implies: the run's id and posting
instant, the status that ``lock_at`` and the entry type give (pending before
the lock, locked after, waived for a waived entry), the reason of a first
posting. A NULL statement period is the line's period (for a clawback written
before schema version 4, until a ledger fills it).
"""


@functools.lru_cache(maxsize=65_536)
def instant_text(value: datetime) -> str:
    """An aware instant as the store writes it: UTC text of fixed width."""
    # Cached: a posting run writes the same few instants (posted_at, lock days) many times.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    """An instant written by :func:`instant_text`, read back (aware, in UTC)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


_encode = json.JSONEncoder(separators=(",", ":")).encode
# Ids without quotes, backslashes or control characters are written as JSON directly.
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
_VALUES: dict[object, str] = {
    member: member.value for kind in (LineKind, EntryType, EntryStatus) for member in kind
}
# Money.minor_units looks the currency up in ISO 4217 for every amount; a ledger
# holds one or a few currencies.
_exponent = functools.cache(minor_unit)


def _source_ids_text(source_ids: tuple[str, ...]) -> str:
    if not source_ids:
        return "[]"
    joined = '","'.join(source_ids)
    if _PLAIN.fullmatch(joined):
        return f'["{joined}"]'
    return _encode(source_ids)


def entry_row(entry: LedgerEntry) -> tuple[object, ...]:
    """``entry``'s values as stored, in the order of :data:`ENTRY_COLUMNS`.

    It is the row of ``entries`` up to schema version 5; :func:`entry_rows`
    writes the rows of version 6.
    """
    run_id, _, seq = entry.id.rpartition(":")
    partner_id, period_label, line_key, currency = entry.key
    amount = entry.amount
    return (
        run_id,
        int(seq),
        partner_id,
        period_label,
        line_key,
        currency,
        # What Money.minor_units computes: exact, the amount has that many places.
        int(scaled(amount.amount, _exponent(amount.currency))),
        _VALUES[entry.line_kind],
        _VALUES[entry.entry_type],
        _VALUES[entry.status],
        instant_text(entry.lock_at),
        instant_text(entry.earned_at),
        instant_text(entry.posted_at),
        entry.rule_id,
        entry.explanation,
        _source_ids_text(entry.source_ids),
        entry.reason,
        entry.statement_period,
    )


_ID = attrgetter("id")
_RUN_ID_OF = itemgetter(0)
_SEQ_OF = itemgetter(2)
_KEY = attrgetter("key")
_AMOUNT = attrgetter("amount")
_DECIMAL = attrgetter("amount")
_LINE_KIND = attrgetter("line_kind")
_ENTRY_TYPE = attrgetter("entry_type")
_STATUS = attrgetter("status")
_LOCK_AT = attrgetter("lock_at")
_EARNED_AT = attrgetter("earned_at")
_POSTED_AT = attrgetter("posted_at")
_RULE_ID = attrgetter("rule_id")
_EXPLANATION = attrgetter("explanation")
_SOURCE_IDS = attrgetter("source_ids")
_REASON = attrgetter("reason")
_STATEMENT_PERIOD = attrgetter("statement_period")
_UNITS = decimal.Context(
    prec=MAX_DIGITS, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)
_NOT_PLAIN = re.compile(r'["\\\x00-\x1f]')
# The stored text of each member, by the member's identity: an enum member hashes in
# Python code, an id in C.
_VALUE_OF_ID = {id(member): value for member, value in _VALUES.items()}


def _values(members: Iterable[object]) -> Iterator[str]:
    return map(_VALUE_OF_ID.__getitem__, map(id, members))


def _units(moneys: list[Money]) -> Iterable[int]:
    """Each amount in minor units of its currency, exactly."""
    currencies = set(map(attrgetter("currency"), moneys))
    if len(currencies) != 1:
        return [int(scaled(m.amount, _exponent(m.currency))) for m in moneys]
    exponent = _exponent(currencies.pop())
    return map(int, map(Decimal.scaleb, map(_DECIMAL, moneys), repeat(exponent), repeat(_UNITS)))


def _source_texts(sources: list[tuple[str, ...]]) -> Iterable[str]:
    """Each tuple of source ids as the JSON array :func:`_source_ids_text` writes."""
    joined = list(map('","'.join, sources))
    if all(sources) and not _NOT_PLAIN.search("".join(joined)):
        return map('["{}"]'.format, joined)
    return map(_source_ids_text, sources)


def _statuses(
    types: list[EntryType], lock_ats: list[datetime], posted_ats: Iterable[datetime]
) -> list[EntryStatus]:
    """The status each entry is posted with, as posting gives it: see :data:`ENTRY_SELECT`."""
    found = list(
        map(
            (EntryStatus.LOCKED, EntryStatus.PENDING).__getitem__,
            map(operator.gt, lock_ats, posted_ats),
        )
    )
    if EntryType.WAIVED in types:
        found = [
            EntryStatus.WAIVED if kind is EntryType.WAIVED else status
            for kind, status in zip(types, found, strict=True)
        ]
    return found


_OPTIONAL = ("reason", "statement_period", "status", "posted_at", "run_id")


def _built_columns(
    run: PostingRun, entries: Sequence[LedgerEntry]
) -> tuple[dict[str, Iterable[object]], dict[str, Callable[[], Iterable[object]]]]:
    """The columns of built entries, and how to give each column left out its values."""
    columns: dict[str, Iterable[object]] = {}
    parts = list(map(str.rpartition, map(_ID, entries), repeat(":")))
    run_ids = list(map(_RUN_ID_OF, parts))
    keys = list(map(_KEY, entries))
    line_keys = list(map(itemgetter(2), keys))
    periods = list(map(itemgetter(1), keys))
    types = list(map(_ENTRY_TYPE, entries))
    lock_ats = list(map(_LOCK_AT, entries))
    posted_ats = list(map(_POSTED_AT, entries))
    columns["run"] = repeat(run.number)
    columns["seq"] = map(int, map(_SEQ_OF, parts))
    columns["partner_id"] = map(itemgetter(0), keys)
    columns["period_label"] = periods
    columns["line_key"] = line_keys
    columns["currency"] = map(itemgetter(3), keys)
    columns["amount_minor"] = _units(list(map(_AMOUNT, entries)))
    columns["line_kind"] = _values(map(_LINE_KIND, entries))
    columns["entry_type"] = _values(types)
    columns["lock_at"] = map(instant_text, lock_ats)
    columns["earned_at"] = map(instant_text, map(_EARNED_AT, entries))
    columns["rule_id"] = map(_RULE_ID, entries)
    columns["explanation"] = map(_EXPLANATION, entries)
    columns["source_ids"] = _source_texts(list(map(_SOURCE_IDS, entries)))
    reasons = list(map(_REASON, entries))
    if reasons != list(map(_FIRST_POSTED, line_keys)):
        columns["reason"] = reasons
    statement_periods = list(map(_STATEMENT_PERIOD, entries))
    if statement_periods != periods or EntryType.CLAWBACK in types:
        columns["statement_period"] = statement_periods
    statuses = list(map(_STATUS, entries))
    if statuses != _statuses(types, lock_ats, posted_ats):
        columns["status"] = _values(statuses)
    if set(map(instant_text, posted_ats)) - {instant_text(run.posted_at)}:
        columns["posted_at"] = map(instant_text, posted_ats)
    if set(run_ids) - {run.id}:
        columns["run_id"] = run_ids
    given: dict[str, Callable[[], Iterable[object]]] = {
        "reason": lambda: reasons,
        "statement_period": lambda: statement_periods,
        "status": lambda: _values(statuses),
        "posted_at": lambda: map(instant_text, posted_ats),
        "run_id": lambda: run_ids,
    }
    return columns, given


def _texts(instants: Sequence[datetime]) -> Iterable[str]:
    """Each instant as :func:`instant_text` writes it, formatting each distinct one once."""
    # A run's lines share few instants (a sale's minute, a lock day): a dictionary of the
    # distinct ones costs less than a cache lookup per line.
    text_of = {instant: instant_text(instant) for instant in set(instants)}
    return map(text_of.__getitem__, instants)


def _fresh_columns(
    run: PostingRun, part: FreshEntries
) -> tuple[dict[str, Iterable[object]], dict[str, Callable[[], Iterable[object]]]]:
    """The columns of first postings, straight from their columns (see :class:`FreshEntries`).

    Every value an entry implies (its run's id and instant, its status, the
    reason and statement period of a first posting) is left out, to be NULL,
    as :func:`_built_columns` leaves it out for built entries.
    """
    count = len(part)
    first = part.first_sequence
    columns: dict[str, Iterable[object]] = {
        "run": repeat(run.number, count),
        "seq": range(first, first + count),
        "partner_id": repeat(part.partner_id, count),
        "period_label": repeat(part.period_label, count),
        "line_key": part.line_keys,
        "currency": part.currencies,
        "amount_minor": part.units,
        "line_kind": _values(part.line_kinds),
        "entry_type": repeat(_VALUES[EntryType.EARNED], count),
        "lock_at": _texts(part.lock_ats),
        "earned_at": _texts(part.earned_ats),
        "rule_id": part.rule_ids,
        "explanation": part.explanations,
        "source_ids": _source_texts(list(part.source_ids)),
    }
    # Written by another run than the one storing them (never by Ledger.post): kept as given.
    if part.run_id != run.id:
        columns["run_id"] = repeat(part.run_id, count)
    if instant_text(part.posted_at) != instant_text(run.posted_at):
        columns["posted_at"] = repeat(instant_text(part.posted_at), count)
    given: dict[str, Callable[[], Iterable[object]]] = {
        "reason": lambda: map(_FIRST_POSTED, part.line_keys),
        "statement_period": lambda: repeat(part.period_label, count),
        "status": lambda: _values(part.statuses()),
        "posted_at": lambda: repeat(instant_text(part.posted_at), count),
        "run_id": lambda: repeat(part.run_id, count),
    }
    return columns, given


def entry_rows(
    run: PostingRun, entries: Sequence[LedgerEntry]
) -> tuple[tuple[str, ...], Iterator[tuple[object, ...]]]:
    """The columns of ``entries`` (schema version 6) and the rows that store ``entries``.

    Built column by column. A column whose every value is the one the row
    implies (see :data:`ENTRY_SELECT`) is left out, to be NULL; otherwise every
    row holds its value. First postings kept as columns (the
    :class:`~hybridroi.ledger.entries.FreshEntries` parts of a
    :class:`~hybridroi.ledger.entries.PostedEntries`) are written from their
    columns, without building an entry.

    Args:
        run: The posting run that writes the entries.
        entries: Its entries.

    Returns:
        The column names, and the rows in the same order, one per entry.
    """
    parts = entries.parts if isinstance(entries, PostedEntries) else (entries,)
    found = [
        _fresh_columns(run, part) if isinstance(part, FreshEntries) else _built_columns(run, part)
        for part in parts
    ]
    if not found:
        found = [_built_columns(run, ())]
    names = [name for name in found[0][0] if name not in _OPTIONAL]
    names += [name for name in _OPTIONAL if any(name in columns for columns, _ in found)]
    rows = itertools.chain.from_iterable(
        zip(
            *(columns[name] if name in columns else given[name]() for name in names),
            strict=False,
        )
        for columns, given in found
    )
    return tuple(names), rows


def _source_ids(text: str) -> tuple[str, ...]:
    ids = json.loads(text)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError(f"source_ids {text!r} is not a JSON array of ids")
    return tuple(ids)


def posting_run_from_row(row: Sequence[object]) -> PostingRun:
    """A posting run read back from its row of ``posting_runs``."""
    return PostingRun(
        id=str(row[0]),
        number=int(str(row[1])),
        as_of=parse_instant(str(row[2])),
        posted_at=parse_instant(str(row[3])),
        entry_count=int(str(row[4])),
    )


def entry_from_row(row: Sequence[object]) -> LedgerEntry:
    """An entry read back from its row, through the checked constructor.

    Raises:
        InvalidValueError: If the row holds a value no entry can have.
    """
    (
        run_id,
        seq,
        partner_id,
        period_label,
        line_key,
        currency,
        amount_minor,
        line_kind,
        entry_type,
        status,
        lock_at,
        earned_at,
        posted_at,
        rule_id,
        explanation,
        source_ids,
        reason,
        statement_period,
    ) = row
    return LedgerEntry(
        id=f"{run_id}:{seq}",
        run_id=str(run_id),
        key=LedgerKey(str(partner_id), str(period_label), str(line_key), str(currency)),
        line_kind=LineKind(line_kind),
        entry_type=EntryType(entry_type),
        amount=Money.from_minor(int(str(amount_minor)), str(currency)),
        status=EntryStatus(status),
        lock_at=parse_instant(str(lock_at)),
        earned_at=parse_instant(str(earned_at)),
        posted_at=parse_instant(str(posted_at)),
        rule_id=str(rule_id),
        explanation=str(explanation),
        source_ids=_source_ids(str(source_ids)),
        reason=str(reason),
        # NULL only for a clawback written before schema version 4 and not yet filled
        # by a Ledger (see fill_statement_periods): shown on its line's period until then.
        statement_period=str(period_label if statement_period is None else statement_period),
    )
