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

import functools
import json
import re
from collections.abc import Sequence
from datetime import datetime

from hybridroi.core.money import Money, minor_unit, scaled
from hybridroi.core.timezones import UTC
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.store import PostingRun
from hybridroi.statements.lines import LineKind

__all__ = [
    "ENTRY_COLUMNS",
    "entry_from_row",
    "entry_row",
    "instant_text",
    "parse_instant",
    "posting_run_from_row",
]

ENTRY_COLUMNS = (
    "run_id, seq, partner_id, period_label, line_key, currency, amount_minor, line_kind, "
    "entry_type, status, lock_at, earned_at, posted_at, rule_id, explanation, source_ids, reason, "
    "statement_period"
)
"""The columns of ``entries``, in the order of :func:`entry_row`."""


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
    """The row of ``entries`` that stores ``entry``, in the order of :data:`ENTRY_COLUMNS`."""
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
