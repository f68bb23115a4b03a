"""A partner's ledger statement as CSV and JSON: every entry, with its explanation.

A statement covers one statement period, or every period when none is
named. An entry is on the statement of its ``statement_period``: a clawback on
the statement of the period it was posted in (the next statement after the
sale's), every other entry on its line's period. The ``period`` column keeps
the line's own period, so a clawback still says which line it corrects.

Both formats carry the same columns: the entry, its key, amount and currency,
its status at the statement's instant, its lock instant and payout batch, the
rule that fired, the line's explanation, its source events and the reason it
was posted. In the CSV, ``source_ids`` is a JSON array of the ids
(``["S-1","S 2"]``), so that an id holding a space, a comma or a quote reads back
as it was; in the JSON document it is a list.

CSV cells are escaped against formula injection (:func:`~hybridroi.core.text.escape_cell`):
a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, or with a single quote, is prefixed with a single quote, so a spreadsheet
shows it as text instead of running it. Plain decimal numbers such as ``-6.05``
are left as they are: a spreadsheet reads them as numbers, never as formulas.
Rows are RFC 4180 lines ending in a line feed, and a cell holding a carriage
return is quoted. :func:`read_csv` reads a file back to the values of
:meth:`PartnerStatement.rows`.

>>> escape_cell("=SUM(A1:A9)"), escape_cell("-6.05"), escape_cell("-1+2"), escape_cell("@x")
("'=SUM(A1:A9)", '-6.05', "'-1+2", "'@x")
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.text import csv_text, escape_cell, unescape_cell
from hybridroi.core.timezones import UTC, require_aware
from hybridroi.ledger.audit import AuditRecord
from hybridroi.ledger.decisions import DecisionIndex
from hybridroi.ledger.entries import EntryStatus, LedgerEntry
from hybridroi.ledger.lifecycle import status_at
from hybridroi.ledger.payouts import PayoutBatch

__all__ = [
    "AUDIT_COLUMNS",
    "COLUMNS",
    "PartnerStatement",
    "audit_csv",
    "audit_jsonl",
    "audit_rows",
    "escape_cell",
    "read_csv",
    "source_ids_cell",
    "source_ids_of",
    "to_csv",
    "to_json",
]

COLUMNS = (
    "entry_id",
    "run_id",
    "partner_id",
    "statement_period",
    "period",
    "line_key",
    "line_kind",
    "entry_type",
    "status",
    "amount",
    "currency",
    "earned_at",
    "lock_at",
    "posted_at",
    "payout_batch",
    "rule_id",
    "explanation",
    "source_ids",
    "reason",
)
"""The columns of a partner statement, in order."""


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def source_ids_cell(source_ids: Sequence[str]) -> str:
    r"""The ``source_ids`` cell of a row: the ids as a compact JSON array.

    >>> source_ids_cell(("S-1", "S 2"))
    '["S-1","S 2"]'

    Args:
        source_ids: The ids.

    Returns:
        The JSON array, non-ASCII characters kept as they are and control
        characters escaped (a line break in an id is written ``\n``).
    """
    return json.dumps(list(source_ids), ensure_ascii=False, separators=(",", ":"))


def source_ids_of(cell: str) -> tuple[str, ...]:
    """Read a ``source_ids`` cell back: the inverse of :func:`source_ids_cell`.

    Args:
        cell: The cell's text (already unescaped, as :func:`read_csv` gives it).

    Returns:
        The ids.

    Raises:
        InvalidValueError: If the cell is not a JSON array of strings.
    """
    try:
        ids = json.loads(cell)
    except (ValueError, RecursionError):
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidValueError("source_ids", cell, 'a JSON array of ids, e.g. ["S-1","S 2"]')
    return tuple(ids)


@attrs.frozen(kw_only=True)
class PartnerStatement:
    """A partner's ledger entries at an instant, ready to export.

    Attributes:
        partner_id: The partner.
        period: The label of the statement period covered; None for every period.
        at: The instant statuses are given at.
        entries: The partner's entries on the statement, in posting order.
        statuses: Entry id to status at ``at``.
        batch_of: Entry id to the id of its payout batch, for entries in one.
    """

    partner_id: str
    period: str | None = None
    at: datetime
    entries: tuple[LedgerEntry, ...]
    statuses: Mapping[str, EntryStatus]
    batch_of: Mapping[str, str]

    @classmethod
    def build(
        cls,
        partner_id: str,
        entries: Sequence[LedgerEntry],
        batches: Sequence[PayoutBatch],
        at: datetime,
        *,
        period: str | None = None,
        decisions: DecisionIndex | None = None,
        timezone: str = "UTC",
    ) -> PartnerStatement:
        """Gather a partner's entries and their statuses at ``at``.

        Args:
            partner_id: The partner.
            entries: Ledger entries (other partners' are left out).
            batches: Payout batches (other partners' are left out).
            at: The instant (timezone-aware).
            period: The label of one statement period: only the entries whose
                ``statement_period`` it is (a clawback on the statement of the
                period it was posted in). None lists every entry.
            decisions: The ledger's decisions (held, declined, extended entries).
            timezone: The campaign's IANA time zone, for extended locks.

        Returns:
            The statement.
        """
        require_aware(at, "at")
        # A batch voided by ``at`` no longer holds its entries.
        batch_of = {
            entry_id: batch.id
            for batch in batches
            if batch.partner_id == partner_id
            and batch.created_at <= at
            and (batch.voided_at is None or batch.voided_at > at)
            for entry_id in batch.entry_ids
        }
        by_batch = {batch.id: batch for batch in batches}
        payout_status = {
            entry_id: (
                EntryStatus.PAID
                if (paid_at := by_batch[batch_id].paid_at) is not None and paid_at <= at
                else EntryStatus.PAYABLE
            )
            for entry_id, batch_id in batch_of.items()
        }
        mine = tuple(
            entry
            for entry in entries
            if entry.partner_id == partner_id
            and (period is None or entry.statement_period == period)
        )
        return cls(
            partner_id=partner_id,
            period=period,
            at=at,
            entries=mine,
            statuses={
                entry.id: status_at(
                    entry, at, payout_status, decisions=decisions, timezone=timezone
                )
                for entry in mine
            },
            batch_of=batch_of,
        )

    def rows(self) -> list[dict[str, str]]:
        """One dict per entry, keyed by :data:`COLUMNS`, every value as text."""
        return [
            {
                "entry_id": entry.id,
                "run_id": entry.run_id,
                "partner_id": entry.partner_id,
                "statement_period": entry.statement_period,
                "period": entry.period_label,
                "line_key": entry.line_key,
                "line_kind": entry.line_kind.value,
                "entry_type": entry.entry_type.value,
                "status": self.statuses[entry.id].value,
                "amount": str(entry.amount.amount),
                "currency": entry.currency,
                "earned_at": _instant(entry.earned_at),
                "lock_at": _instant(entry.lock_at),
                "posted_at": _instant(entry.posted_at),
                "payout_batch": self.batch_of.get(entry.id, ""),
                "rule_id": entry.rule_id,
                "explanation": entry.explanation,
                "source_ids": source_ids_cell(entry.source_ids),
                "reason": entry.reason,
            }
            for entry in self.entries
        ]


def to_csv(statement: PartnerStatement) -> str:
    r"""The statement as CSV text: a header of :data:`COLUMNS`, then one row per entry.

    Every cell is escaped with :func:`~hybridroi.core.text.escape_cell`; rows are
    written with :func:`~hybridroi.core.text.csv_text` (lines end in ``\n``, a
    cell holding a carriage return is quoted). :func:`read_csv` reads it back.
    """
    return csv_text(
        COLUMNS,
        ([escape_cell(row[column]) for column in COLUMNS] for row in statement.rows()),
    )


def read_csv(text: str) -> list[dict[str, str]]:
    """Read a statement written by :func:`to_csv` back to its rows.

    Args:
        text: The CSV text.

    Returns:
        One dict per entry, keyed by :data:`COLUMNS`, equal to what
        :meth:`PartnerStatement.rows` gave when the file was written (cells
        unescaped; read ``source_ids`` with :func:`source_ids_of`).

    Raises:
        InvalidValueError: If the header is not :data:`COLUMNS` or a row does
            not have one cell per column (the message names the line).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise InvalidValueError("header", header, f"the columns {', '.join(COLUMNS)}")
    rows = []
    for cells in reader:
        if len(cells) != len(COLUMNS):
            raise InvalidValueError(
                f"line {reader.line_num}", cells, f"{len(COLUMNS)} cells, one per column"
            )
        rows.append(dict(zip(COLUMNS, map(unescape_cell, cells), strict=True)))
    return rows


def to_json(statement: PartnerStatement) -> str:
    """The statement as JSON: the partner, the period, the instant, every entry and its explanation.

    Amounts are decimal strings, never floats; source ids are a list. The
    document reads back with :func:`json.loads` to the same values.
    """
    entries = []
    for row, entry in zip(statement.rows(), statement.entries, strict=True):
        entries.append({**row, "source_ids": list(entry.source_ids)})
    document = {
        "partner_id": statement.partner_id,
        "period": statement.period,
        "at": _instant(statement.at),
        "entries": entries,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


AUDIT_COLUMNS = ("number", "at", "actor", "action", "subject", "reason", "details")
"""The columns of an audit export, in order."""


def audit_rows(records: Sequence[AuditRecord]) -> list[dict[str, str]]:
    """One dict per audit record, keyed by :data:`AUDIT_COLUMNS`, every value as text."""
    return [
        {
            "number": str(record.number),
            "at": _instant(record.at),
            "actor": record.actor,
            "action": record.action.value,
            "subject": record.subject,
            "reason": record.reason,
            "details": record.details,
        }
        for record in records
    ]


def audit_csv(records: Sequence[AuditRecord]) -> str:
    r"""The audit trail as CSV: a header of :data:`AUDIT_COLUMNS`, then one row per record.

    Cells are escaped as in :func:`to_csv` (an actor or reason beginning with
    ``=`` reads as text in a spreadsheet) and rows end in ``\n``.
    """
    return csv_text(
        AUDIT_COLUMNS,
        ([escape_cell(row[column]) for column in AUDIT_COLUMNS] for row in audit_rows(records)),
    )


def audit_jsonl(records: Sequence[AuditRecord]) -> str:
    """The audit trail as JSON Lines: one JSON object per record and line, in order.

    The number is an integer, every other value text; each line reads back
    with :func:`json.loads`.
    """
    return "".join(
        json.dumps({**row, "number": int(row["number"])}, ensure_ascii=False) + "\n"
        for row in audit_rows(records)
    )
