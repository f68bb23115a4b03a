"""A durable ledger store on SQLite (the standard library's ``sqlite3``).

* WAL journal mode with ``synchronous=FULL``: readers never block the writer,
  and a committed run survives a crash of the process or of the machine.
* One transaction per posting run and per payout run (``BEGIN IMMEDIATE`` ...
  ``COMMIT``): a run interrupted at any point, even by ``SIGKILL``, leaves the
  previous state intact, and running it again completes it.
* Amounts are stored as integer minor units beside their currency: exact, and
  summed by SQLite without rounding.
* Instants are stored as UTC text of fixed width (``2026-03-01T00:00:00.000000Z``),
  so that text order is time order.
* A ``schema_version`` table records the migrations applied; opening a
  database reads its version without taking the write lock, and migrates it
  forward (inside ``BEGIN IMMEDIATE``) only when a migration is missing. A
  database from a newer version of the library is refused rather than misread,
  and a file that is not a hybridroi ledger is refused and left as it was.
* A writer waits for another process's write transaction up to the store's
  busy timeout (:data:`DEFAULT_BUSY_TIMEOUT` by default), then gets a
  :class:`~hybridroi.ledger.errors.LedgerBusyError`. No ``sqlite3`` exception
  reaches the caller: each is translated into a library error (see
  :mod:`hybridroi.ledger.errors`).

See ``docs/ledger.md`` for the schema.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from hybridroi.core.durations import format_duration
from hybridroi.core.errors import HybridRoiError, InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.timezones import UTC
from hybridroi.events.records import Event
from hybridroi.ledger.adjustments import Adjustment
from hybridroi.ledger.audit import AuditRecord
from hybridroi.ledger.decisions import Decision
from hybridroi.ledger.entries import (
    EntryStatus,
    FreshEntries,
    LedgerEntry,
    LedgerKey,
    PostedEntries,
)
from hybridroi.ledger.errors import LedgerBusyError, LedgerFileError, UnknownBatchError
from hybridroi.ledger.intake import EventIntake
from hybridroi.ledger.payouts import PayoutBatch, PayoutRun
from hybridroi.ledger.posting import Group
from hybridroi.ledger.store import PostingRun
from hybridroi.ledger.stores.events import event_batch, event_from_text, event_kind, intake
from hybridroi.ledger.stores.sqlite_rows import (
    ENTRY_SELECT,
    entry_from_row,
    entry_rows,
    instant_text,
    parse_instant,
    posting_run_from_row,
)
from hybridroi.ledger.stores.sqlite_schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "MAX_BUSY_TIMEOUT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SqliteLedgerStore",
]

DEFAULT_BUSY_TIMEOUT = 60.0
"""How long, in seconds, a writer waits for another process's write transaction.

Long enough for another process to post a run of a million lines.
"""

MAX_BUSY_TIMEOUT = 86_400.0
"""The longest busy timeout a store accepts, in seconds (a day)."""

_PAGE_SIZE = 65_536

# A posting run of at least this many entries, more than the ledger holds, rebuilds the
# key index after its inserts instead of updating it row by row.
_BULK_ENTRIES = 10_000
_KEY_INDEX = (
    "CREATE INDEX entries_by_key "
    "ON entries (partner_id, period_label, line_key, currency, amount_minor)"
)
# The entries still without a statement period: clawbacks written before schema version 4
# (in the partial index entries_without_statement_period).
_UNFILLED = "statement_period IS NULL AND entry_type = 'clawback'"

# The schema version that added adjustments, decisions, the audit trail and voided payouts.
_OPERATIONS_VERSION = 7
_BATCH_COLUMNS = (
    "id, run_id, partner_id, currency, amount_minor, created_at, paid_at, reference, method, "
    "voided_at, void_kind, void_reason"
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _translated(
    doing: str,
) -> Callable[
    [Callable[Concatenate[SqliteLedgerStore, _P], _R]],
    Callable[Concatenate[SqliteLedgerStore, _P], _R],
]:
    """Turn every ``sqlite3`` error a store method meets into a library error.

    A stored value that cannot be decoded (text that is not UTF-8, an instant
    or a kind this library never writes) means the file is damaged: it is
    reported as such. The library's own errors pass as they are.
    """

    def decorate(
        method: Callable[Concatenate[SqliteLedgerStore, _P], _R],
    ) -> Callable[Concatenate[SqliteLedgerStore, _P], _R]:
        @functools.wraps(method)
        def wrapper(self: SqliteLedgerStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as error:
                raise self._error(error, doing) from error
            except HybridRoiError:
                raise
            except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
                raise LedgerFileError(
                    self.path,
                    f"the ledger is damaged: a stored value cannot be read "
                    f"({type(error).__name__}: {error}), so {doing} did not happen; restore "
                    "the file from a backup",
                ) from error

        return wrapper

    return decorate


# What a SQLite error means for a ledger file, and what to do about it.
_ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("SQLITE_NOTADB",), "not a hybridroi ledger (the file is not a SQLite database)"),
    (
        ("SQLITE_CORRUPT",),
        "the ledger is damaged and nothing was written; restore the file from a backup "
        "(the sqlite3 shell's .recover command may save what is left)",
    ),
    (
        ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH"),
        "check that you may read and write the file and its folder",
    ),
    (
        ("SQLITE_FULL", "SQLITE_IOERR"),
        "nothing was written; free some disk space or check the disk, then try again",
    ),
)


def _check_busy_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(
            "SqliteLedgerStore.busy_timeout", value, "a number of seconds (int or float)"
        )
    if not (math.isfinite(value) and 0 <= value <= MAX_BUSY_TIMEOUT):
        raise InvalidValueError(
            "SqliteLedgerStore.busy_timeout",
            value,
            f"a number of seconds between 0 and {MAX_BUSY_TIMEOUT:,.0f}",
        )
    return float(value)


class SqliteLedgerStore:
    """A :class:`~hybridroi.ledger.store.LedgerStore` in a SQLite database file.

    Args:
        path: The database file (created if missing), or ``":memory:"``.
        target_version: The schema version to migrate to; the latest by
            default. Older versions are for testing migrations.
        busy_timeout: How long, in seconds, a write waits for another
            process's write transaction before it gives up with a
            :class:`~hybridroi.ledger.errors.LedgerBusyError`
            (:data:`DEFAULT_BUSY_TIMEOUT` by default; at most
            :data:`MAX_BUSY_TIMEOUT`).

    Raises:
        InvalidTypeError: If ``path`` is not a path or ``busy_timeout`` not a number.
        InvalidValueError: If the database was written by a newer schema, or
            ``busy_timeout`` is negative, not finite or beyond the maximum.
        LedgerFileError: If the file cannot be opened, is not a hybridroi
            ledger (another application's database, or not SQLite at all: it
            is left as it was) or is damaged.
        LedgerBusyError: If a migration is due and another process kept the
            write lock beyond the busy timeout.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        target_version: int = SCHEMA_VERSION,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        if not isinstance(path, str | os.PathLike):
            raise InvalidTypeError(
                "SqliteLedgerStore.path", path, "a file path (str or pathlib.Path)"
            )
        if isinstance(target_version, bool) or not isinstance(target_version, int):
            raise InvalidTypeError(
                "SqliteLedgerStore.target_version", target_version, "a schema version (int)"
            )
        self.busy_timeout = _check_busy_timeout(busy_timeout)
        self.path = str(path)
        self._depth = 0
        self._operations = False
        try:
            self._connection = sqlite3.connect(
                self.path, isolation_level=None, timeout=self.busy_timeout
            )
        except sqlite3.Error as error:
            raise LedgerFileError(
                self.path,
                f"cannot open the ledger ({error}): check that the path names a file in a "
                "folder that exists and that you may read and write it",
            ) from error
        try:
            self._open(target_version)
        except BaseException:
            self._connection.close()
            raise

    @_translated("opening the ledger")
    def _open(self, target_version: int) -> None:
        # The page size of a new database (an existing one keeps its own): larger pages
        # than the default 4 KiB make writing a million-entry posting run cheaper.
        self._connection.execute(f"PRAGMA page_size={_PAGE_SIZE}")
        # Reading the mode takes no lock; only a new database is switched to WAL.
        if str(self._connection.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            self._refuse_foreign()
            self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        # A posting run of a million entries is one transaction: give it room in memory.
        self._connection.execute("PRAGMA cache_size=-131072")
        self._migrate(target_version)
        self._operations = self.schema_version() >= _OPERATIONS_VERSION

    def _error(self, error: sqlite3.Error, doing: str) -> HybridRoiError:
        """The library error that says what ``error`` means for the ledger and what to do."""
        name = str(getattr(error, "sqlite_errorname", ""))
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return LedgerBusyError(self.path, self.busy_timeout, doing)
        fallback = (
            "open the store again to use it"
            if isinstance(error, sqlite3.ProgrammingError)
            else "nothing was written; the file may be damaged or changed by another program: "
            "restore it from a backup"
        )
        advice = next((text for prefixes, text in _ADVICE if name.startswith(prefixes)), fallback)
        if name.startswith("SQLITE_NOTADB"):
            return LedgerFileError(self.path, advice)
        return LedgerFileError(self.path, f"{doing} failed ({error}): {advice}")

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    def __enter__(self) -> SqliteLedgerStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- schema ---------------------------------------------------------

    @_translated("reading the schema version")
    def schema_version(self) -> int:
        """The schema version of the database (0 when empty)."""
        found = self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if found is None:
            return 0
        row = self._connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _refuse_foreign(self) -> None:
        """Refuse a database that holds tables and is not a hybridroi ledger."""
        tables = {
            str(row[0])
            for row in self._connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        # A new file has no table; a ledger has its version and its campaign tables.
        if tables and not (
            tables <= {"schema_version"} or {"schema_version", "ledger_meta"} <= tables
        ):
            raise LedgerFileError(
                self.path,
                "not a hybridroi ledger (a SQLite database of another application, with "
                f"tables {', '.join(sorted(tables)[:5])}); it was left as it was: give the "
                "path of a ledger, or of a new file",
            )

    def _checked_version(self) -> int:
        self._refuse_foreign()
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise InvalidValueError(
                "schema_version",
                current,
                f"a schema this library knows (up to version {SCHEMA_VERSION}); "
                "upgrade hybridroi to open this ledger",
            )
        return current

    def _migrate(self, target: int) -> None:
        # Read first, without the write lock: a ledger that is up to date is opened even
        # while another process writes to it.
        if self._checked_version() >= target:
            return
        with self._transaction():
            current = self._checked_version()  # another process may have migrated meanwhile
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for version, description, statements in MIGRATIONS:
                if current < version <= target:
                    for statement in statements:
                        self._connection.execute(statement)
                    self._connection.execute(
                        "INSERT INTO schema_version VALUES (?, ?, ?)",
                        (version, description, instant_text(datetime.now(UTC))),
                    )

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def writing(self) -> _Transaction:
        """Hold the write lock (``BEGIN IMMEDIATE``) until the block ends.

        The reads and writes inside see one state and change it in one
        transaction: another process that posts at the same time waits (up to
        the busy timeout), then sees what this one wrote. The block commits
        when it ends, or rolls back if it raises.

        Raises:
            LedgerBusyError: If another process kept the write lock beyond the
                busy timeout.
        """
        return _Transaction(self)

    def _has_operations(self) -> bool:
        """Whether the schema has the operations' tables (version 7 or later)."""
        return self._operations

    # --- campaign and runs ---------------------------------------------

    @_translated("reading the ledger's campaign")
    def campaign_id(self) -> str | None:
        """The campaign the store is bound to."""
        row = self._connection.execute(
            "SELECT value FROM ledger_meta WHERE name = 'campaign_id'"
        ).fetchone()
        return None if row is None else str(row[0])

    @_translated("binding the ledger to its campaign")
    def bind_campaign(self, campaign_id: str) -> None:
        """Bind the store to a campaign.

        Raises:
            InvalidValueError: If it is bound to another one.
        """
        with self._transaction():
            bound = self.campaign_id()
            if bound is None:
                self._connection.execute(
                    "INSERT INTO ledger_meta VALUES ('campaign_id', ?)", (campaign_id,)
                )
            elif bound != campaign_id:
                raise InvalidValueError("campaign_id", campaign_id, f"{bound}")

    @_translated("reading the last run's instant")
    def last_instant(self) -> datetime | None:
        """The instant of the latest run, adjustment, decision, failed or voided payout."""
        operations = (
            " UNION ALL SELECT MAX(at) FROM adjustments UNION ALL SELECT MAX(at) FROM decisions "
            "UNION ALL SELECT MAX(voided_at) FROM payout_batches"
            if self._has_operations()
            else ""
        )
        row = self._connection.execute(
            "SELECT MAX(t) FROM (SELECT MAX(posted_at) AS t FROM posting_runs "
            f"UNION ALL SELECT MAX(at) FROM payout_runs{operations})"
        ).fetchone()
        return None if row[0] is None else parse_instant(row[0])

    @_translated("reading the last posting run")
    def last_posting(self) -> PostingRun | None:
        """The latest posting run, or None before the first."""
        row = self._connection.execute(
            "SELECT id, number, as_of, posted_at, entry_count FROM posting_runs "
            "ORDER BY number DESC LIMIT 1"
        ).fetchone()
        return None if row is None else posting_run_from_row(row)

    @_translated("counting the posting runs")
    def run_count(self) -> int:
        """How many posting runs are stored."""
        return int(self._connection.execute("SELECT COUNT(*) FROM posting_runs").fetchone()[0])

    @_translated("counting the payout runs")
    def payout_run_count(self) -> int:
        """How many payout runs are stored."""
        return int(self._connection.execute("SELECT COUNT(*) FROM payout_runs").fetchone()[0])

    @_translated("reading the posting runs")
    def posting_runs(self) -> tuple[PostingRun, ...]:
        """Every posting run, in order."""
        rows = self._connection.execute(
            "SELECT id, number, as_of, posted_at, entry_count FROM posting_runs ORDER BY number"
        ).fetchall()
        return tuple(posting_run_from_row(row) for row in rows)

    # --- entries --------------------------------------------------------

    @_translated("reading what is posted")
    def posted_summaries(self) -> Mapping[Group, str]:
        """Every partner-period's posted summary, built by SQLite in one query.

        The rows come out of the covering index in key order; if SQLite ever
        concatenated them in another order, the summaries would differ from the
        statement's and the partner-period would be compared line by line: slower,
        never wrong.

        Each partner-period is summarised by its own subquery, which reads its
        part of the index in order: grouping the sums of all partner-periods at
        once would sort them all in a temporary tree first.
        """
        rows = self._connection.execute(
            "SELECT g.partner_id, g.period_label, ("
            "SELECT group_concat(line_key || char(31) || currency || char(31) || total, char(30)) "
            "FROM (SELECT line_key, currency, SUM(amount_minor) AS total FROM entries "
            "WHERE partner_id = g.partner_id AND period_label = g.period_label "
            "GROUP BY line_key, currency HAVING total != 0)) "
            "FROM (SELECT DISTINCT partner_id, period_label FROM entries) AS g"
        )
        # A partner-period whose sums are all zero has no summary, as in the memory store.
        return {(partner, period): text for partner, period, text in rows if text is not None}

    @_translated("reading what is posted")
    def posted_totals(self, groups: Collection[Group] | None = None) -> Mapping[LedgerKey, int]:
        """The sum of every key's entries (of ``groups`` only, if given), in minor units."""
        found: dict[LedgerKey, int] = {}
        if groups is None:
            for p, pl, k, c, total in self._connection.execute(
                "SELECT partner_id, period_label, line_key, currency, SUM(amount_minor) "
                "FROM entries GROUP BY partner_id, period_label, line_key, currency"
            ):
                found[LedgerKey(p, pl, k, c)] = total
            return found
        query = (
            "SELECT line_key, currency, SUM(amount_minor) FROM entries "
            "WHERE partner_id = ? AND period_label = ? GROUP BY line_key, currency"
        )
        for partner_id, period_label in groups:
            for line_key, currency, total in self._connection.execute(
                query, (partner_id, period_label)
            ):
                found[LedgerKey(partner_id, period_label, line_key, currency)] = total
        return found

    @_translated("reading what is posted")
    def posted_digests(self) -> Mapping[Group, str | None]:
        """Every partner-period with entries, to the digest of the lines last posted."""
        rows = self._connection.execute(
            "SELECT partner_id, period_label, digest FROM posted_groups"
        )
        return {(partner, period): digest for partner, period, digest in rows}

    @_translated("reading the entries' history")
    def history(self, keys: Iterable[LedgerKey]) -> dict[LedgerKey, tuple[LedgerEntry, ...]]:
        """The entries of ``keys``, in posting order."""
        found: dict[LedgerKey, tuple[LedgerEntry, ...]] = {}
        query = (
            f"{ENTRY_SELECT} WHERE e.partner_id = ? AND e.period_label = ? "
            "AND e.line_key = ? AND e.currency = ? ORDER BY e.rowid"
        )
        for key in keys:
            rows = self._connection.execute(query, tuple(key)).fetchall()
            if rows:
                found[key] = tuple(entry_from_row(row) for row in rows)
        return found

    @_translated("reading the entries")
    def entries(self, partner_id: str | None = None) -> tuple[LedgerEntry, ...]:
        """All entries (of one partner), in posting order."""
        if partner_id is None:
            rows = self._connection.execute(f"{ENTRY_SELECT} ORDER BY e.rowid")
        else:
            rows = self._connection.execute(
                f"{ENTRY_SELECT} WHERE e.partner_id = ? ORDER BY e.rowid", (partner_id,)
            )
        return tuple(entry_from_row(row) for row in rows)

    @_translated("the posting")
    def write_posting(
        self,
        run: PostingRun,
        entries: Sequence[LedgerEntry],
        digests: Mapping[Group, str | None] | None = None,
    ) -> None:
        """Store a posting run, its entries and the partner-periods' digests in one transaction.

        A partner-period of ``entries`` that ``digests`` does not name gets no
        digest (NULL).

        Raises:
            InvalidValueError: If the run id or number is already used (nothing
                is written).
        """
        with self._transaction():
            used = self._connection.execute(
                "SELECT id, number FROM posting_runs WHERE id = ? OR number = ?",
                (run.id, run.number),
            ).fetchone()
            if used is not None and used[0] == run.id:
                raise InvalidValueError("PostingRun.id", run.id, "a run id not used before")
            if used is not None:
                raise InvalidValueError(
                    "PostingRun.number",
                    run.number,
                    f"a run number not used before ({used[0]} has it): another process "
                    "posted meanwhile; post inside Ledger.post, which holds the write lock",
                )
            self._connection.execute(
                "INSERT INTO posting_runs VALUES (?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.number,
                    instant_text(run.as_of),
                    instant_text(run.posted_at),
                    run.entry_count,
                ),
            )
            self._insert_entries(run, entries)
            given = digests or {}
            unnamed = _groups(entries).difference(given)
            self._connection.executemany(
                "INSERT OR REPLACE INTO posted_groups VALUES (?, ?, ?)",
                [
                    *((p, pl, None) for p, pl in unnamed),
                    *((p, pl, d) for (p, pl), d in given.items()),
                ],
            )

    def _insert_entries(self, run: PostingRun, entries: Sequence[LedgerEntry]) -> None:
        """Insert a run's entries; a run larger than the ledger rebuilds the key index after.

        Building the index once from sorted keys costs less than updating it for
        each of many new rows. Dropping and creating it happen in the run's
        transaction, so readers and a crash only ever see the ledger with its index.
        """
        if not entries:
            return
        names, rows = entry_rows(run, entries)
        insert = f"INSERT INTO entries ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        held = self._connection.execute("SELECT MAX(rowid) FROM entries").fetchone()[0] or 0
        rebuild = len(entries) >= _BULK_ENTRIES and len(entries) > held
        if rebuild:
            self._connection.execute("DROP INDEX entries_by_key")
        self._connection.executemany(insert, rows)
        if rebuild:
            self._connection.execute(_KEY_INDEX)

    @_translated("filling the statement periods of old clawbacks")
    def fill_statement_periods(self, label_of: Callable[[LedgerEntry], str]) -> int:
        """Give each entry stored without a statement period the one ``label_of`` returns.

        Only clawbacks written before schema version 4 lack one. A partial index
        holds exactly those rows, so a store without any is checked at no cost.

        Args:
            label_of: The statement period of an entry (see
                :meth:`hybridroi.ledger.store.Ledger.statement_period`).

        Returns:
            How many entries were filled (all in one transaction).
        """
        # Checked first without the write lock: opening an up-to-date ledger never waits.
        if not self._connection.in_transaction and (
            self._connection.execute(f"SELECT 1 FROM entries WHERE {_UNFILLED} LIMIT 1").fetchone()
            is None
        ):
            return 0
        with self._transaction():
            rows = self._connection.execute(
                f"{ENTRY_SELECT.replace('SELECT ', 'SELECT e.rowid, ', 1)} "
                "WHERE e.statement_period IS NULL AND e.entry_type = 'clawback'"
            ).fetchall()
            self._connection.executemany(
                "UPDATE entries SET statement_period = ? WHERE rowid = ?",
                [(label_of(entry_from_row(row[1:])), row[0]) for row in rows],
            )
        return len(rows)

    # --- payouts --------------------------------------------------------

    @_translated("reading the payout batches")
    def payout_status(self) -> dict[str, EntryStatus]:
        """Entry id to the status of its payout batch."""
        rows = self._connection.execute(
            "SELECT i.entry_id, b.paid_at FROM payout_items AS i "
            "JOIN payout_batches AS b ON b.id = i.batch_id"
        )
        return {
            entry_id: EntryStatus.PAYABLE if paid_at is None else EntryStatus.PAID
            for entry_id, paid_at in rows
        }

    @_translated("reading the payout batches")
    def batches(self, partner_id: str | None = None) -> tuple[PayoutBatch, ...]:
        """Payout batches (of one partner), by creation then id."""
        items: dict[str, list[str]] = {}
        for entry_id, batch_id in self._connection.execute(
            "SELECT entry_id, batch_id FROM payout_items ORDER BY rowid"
        ):
            items.setdefault(batch_id, []).append(entry_id)
        if not self._has_operations():
            rows = [
                (*row, None, None, None, None, None)
                for row in self._connection.execute(
                    "SELECT id, run_id, partner_id, currency, amount_minor, created_at, paid_at "
                    "FROM payout_batches WHERE ? IS NULL OR partner_id = ? "
                    "ORDER BY created_at, id",
                    (partner_id, partner_id),
                )
            ]
        else:
            for batch_id, entry_id in self._connection.execute(
                "SELECT batch_id, entry_id FROM voided_payout_items ORDER BY batch_id, position"
            ):
                items.setdefault(batch_id, []).append(entry_id)
            rows = self._connection.execute(
                f"SELECT {_BATCH_COLUMNS} FROM payout_batches "
                "WHERE ? IS NULL OR partner_id = ? ORDER BY created_at, id",
                (partner_id, partner_id),
            ).fetchall()

        def instant(value: object) -> datetime | None:
            return None if value is None else parse_instant(str(value))

        return tuple(
            PayoutBatch(
                id=row[0],
                run_id=row[1],
                partner_id=row[2],
                currency=row[3],
                amount=Money.from_minor(row[4], row[3]),
                entry_ids=tuple(items.get(row[0], ())),
                created_at=parse_instant(row[5]),
                paid_at=instant(row[6]),
                reference=row[7],
                method=row[8],
                voided_at=instant(row[9]),
                void_kind=row[10],
                void_reason=row[11],
            )
            for row in rows
        )

    @_translated("the payout run")
    def write_payouts(self, run: PayoutRun) -> None:
        """Store a payout run's batches in one transaction.

        Raises:
            InvalidValueError: If the run or a batch id is used, or an entry is
                in a batch already (nothing is written).
        """
        with self._transaction():
            if self._connection.execute(
                "SELECT 1 FROM payout_runs WHERE id = ?", (run.id,)
            ).fetchone():
                raise InvalidValueError("PayoutRun.id", run.id, "a payout run id not used before")
            for batch in run.batches:
                if self._connection.execute(
                    "SELECT 1 FROM payout_batches WHERE id = ?", (batch.id,)
                ).fetchone():
                    raise InvalidValueError(
                        "PayoutBatch.id", batch.id, "a batch id not used before"
                    )
            self._connection.execute(
                "INSERT INTO payout_runs VALUES (?, ?)", (run.id, instant_text(run.at))
            )
            self._connection.executemany(
                "INSERT INTO payout_batches (id, run_id, partner_id, currency, amount_minor, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        b.id,
                        b.run_id,
                        b.partner_id,
                        b.currency,
                        b.amount.minor_units,
                        instant_text(b.created_at),
                    )
                    for b in run.batches
                ],
            )
            try:
                self._connection.executemany(
                    "INSERT INTO payout_items VALUES (?, ?)",
                    [(entry_id, b.id) for b in run.batches for entry_id in b.entry_ids],
                )
            except sqlite3.IntegrityError:
                raise InvalidValueError(
                    "PayoutBatch.entry_ids", run.id, "entries in no other batch"
                ) from None

    @_translated("marking the batch paid")
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
        with self._transaction():
            voided = ", void_kind" if self._has_operations() else ", NULL"
            row = self._connection.execute(
                f"SELECT paid_at{voided} FROM payout_batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if row is None:
                raise UnknownBatchError(batch_id)
            if row[1] is not None:
                raise InvalidValueError("batch_id", batch_id, f"a batch not {row[1]}")
            if row[0] is not None:
                raise InvalidValueError("batch_id", batch_id, "a batch not yet paid")
            if self._has_operations():
                self._connection.execute(
                    "UPDATE payout_batches SET paid_at = ?, reference = ?, method = ? WHERE id = ?",
                    (instant_text(at), reference, method, batch_id),
                )
            else:
                self._connection.execute(
                    "UPDATE payout_batches SET paid_at = ? WHERE id = ?",
                    (instant_text(at), batch_id),
                )
        return next(b for b in self.batches() if b.id == batch_id)

    @_translated("voiding the batch")
    def void_batch(self, batch_id: str, at: datetime, *, kind: str, reason: str) -> PayoutBatch:
        """Mark a batch failed or voided: its entries leave it, to be paid by a later run.

        The batch's entries move from ``payout_items`` to ``voided_payout_items``
        in one transaction.

        Raises:
            UnknownBatchError: If there is no such batch (a ``KeyError``).
            InvalidValueError: If it is already failed or voided.
        """
        with self._transaction():
            row = self._connection.execute(
                "SELECT void_kind FROM payout_batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if row is None:
                raise UnknownBatchError(batch_id)
            if row[0] is not None:
                raise InvalidValueError("batch_id", batch_id, f"a batch not {row[0]} already")
            entry_ids = [
                entry_id
                for (entry_id,) in self._connection.execute(
                    "SELECT entry_id FROM payout_items WHERE batch_id = ? ORDER BY rowid",
                    (batch_id,),
                )
            ]
            self._connection.executemany(
                "INSERT INTO voided_payout_items VALUES (?, ?, ?)",
                [(batch_id, n, entry_id) for n, entry_id in enumerate(entry_ids)],
            )
            self._connection.execute("DELETE FROM payout_items WHERE batch_id = ?", (batch_id,))
            self._connection.execute(
                "UPDATE payout_batches SET voided_at = ?, void_kind = ?, void_reason = ? "
                "WHERE id = ?",
                (instant_text(at), kind, reason, batch_id),
            )
        return next(b for b in self.batches() if b.id == batch_id)

    # --- adjustments, decisions, audit, policies -------------------------

    @_translated("reading the adjustments")
    def adjustments(self, partner_id: str | None = None) -> tuple[Adjustment, ...]:
        """The manual adjustments (of one partner), in the order they were made."""
        rows = self._connection.execute(
            "SELECT id, partner_id, period_label, currency, amount_minor, kind, reason, actor, at "
            "FROM adjustments WHERE ? IS NULL OR partner_id = ? ORDER BY seq",
            (partner_id, partner_id),
        )
        return tuple(
            Adjustment(
                id=row[0],
                partner_id=row[1],
                period=row[2],
                amount=Money.from_minor(int(row[4]), str(row[3])),
                kind=row[5],
                reason=row[6],
                actor=row[7],
                at=parse_instant(row[8]),
            )
            for row in rows
        )

    @_translated("the adjustment")
    def write_adjustment(self, adjustment: Adjustment) -> None:
        """Store an adjustment.

        Raises:
            InvalidValueError: If its id is used.
        """
        with self._transaction():
            try:
                self._connection.execute(
                    "INSERT INTO adjustments (id, partner_id, period_label, currency, "
                    "amount_minor, kind, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        adjustment.id,
                        adjustment.partner_id,
                        adjustment.period,
                        adjustment.amount.currency,
                        adjustment.amount.minor_units,
                        adjustment.kind.value,
                        adjustment.reason,
                        adjustment.actor,
                        instant_text(adjustment.at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise InvalidValueError(
                    "Adjustment.id", adjustment.id, "an id not used before"
                ) from None

    @_translated("reading the decisions")
    def decisions(self) -> tuple[Decision, ...]:
        """Every decision, in the order it was made."""
        rows = self._connection.execute(
            "SELECT id, kind, partner_id, period_label, line_key, currency, actor, reason, at, "
            "extend_by FROM decisions ORDER BY seq"
        )
        return tuple(
            Decision(
                id=row[0],
                kind=row[1],
                key=LedgerKey(row[2], row[3], row[4], row[5]),
                actor=row[6],
                reason=row[7],
                at=parse_instant(row[8]),
                extend_by=row[9],
            )
            for row in rows
        )

    @_translated("the decision")
    def write_decision(self, decision: Decision) -> None:
        """Store a decision.

        Raises:
            InvalidValueError: If its id is used.
        """
        with self._transaction():
            try:
                self._connection.execute(
                    "INSERT INTO decisions (id, kind, partner_id, period_label, line_key, "
                    "currency, actor, reason, at, extend_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        decision.id,
                        decision.kind.value,
                        *decision.key,
                        decision.actor,
                        decision.reason,
                        instant_text(decision.at),
                        None if decision.extend_by is None else format_duration(decision.extend_by),
                    ),
                )
            except sqlite3.IntegrityError:
                raise InvalidValueError(
                    "Decision.id", decision.id, "an id not used before"
                ) from None

    @_translated("reading the audit trail")
    def audit(self) -> tuple[AuditRecord, ...]:
        """The audit trail, in order."""
        rows = self._connection.execute(
            "SELECT number, at, actor, action, subject, reason, details FROM audit ORDER BY number"
        )
        return tuple(
            AuditRecord(
                number=int(row[0]),
                at=parse_instant(row[1]),
                actor=row[2],
                action=row[3],
                subject=row[4],
                reason=row[5],
                details=row[6],
            )
            for row in rows
        )

    @_translated("the audit record")
    def write_audit(self, record: AuditRecord) -> None:
        """Append a record to the audit trail.

        Raises:
            InvalidValueError: If its number is not the next one.
        """
        with self._transaction():
            count = int(self._connection.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
            if record.number != count + 1:
                raise InvalidValueError(
                    "AuditRecord.number", record.number, f"the next number, {count + 1}"
                )
            self._connection.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.number,
                    instant_text(record.at),
                    record.actor,
                    record.action.value,
                    record.subject,
                    record.reason,
                    record.details,
                ),
            )

    @_translated("reading the ledger's policies")
    def stored_policies(self) -> str | None:
        """The ledger's policies as stored, or None."""
        row = self._connection.execute(
            "SELECT value FROM ledger_meta WHERE name = 'policies'"
        ).fetchone()
        return None if row is None else str(row[0])

    @_translated("storing the ledger's policies")
    def store_policies(self, text: str) -> None:
        """Store the ledger's policies, once.

        Raises:
            InvalidValueError: If other policies are stored.
        """
        with self._transaction():
            stored = self.stored_policies()
            if stored is None:
                self._connection.execute("INSERT INTO ledger_meta VALUES ('policies', ?)", (text,))
            elif stored != text:
                raise InvalidValueError("policies", text, f"the stored policies {stored}")

    # --- events ---------------------------------------------------------

    @_translated("recording the events")
    def record_events(self, events: Iterable[Event]) -> EventIntake:
        """Store events keyed by id; repeats change nothing, conflicts are refused."""
        batch = event_batch(events)
        with self._transaction():
            stored: dict[tuple[str, str], str] = {}
            for event in batch:
                key = (event_kind(event), event.id)
                row = self._connection.execute(
                    "SELECT content FROM events WHERE kind = ? AND id = ?", key
                ).fetchone()
                if row is not None:
                    stored[key] = row[0]
            new, report = intake(stored, batch)
            # INSERT (never REPLACE): a stored event is never overwritten.
            self._connection.executemany(
                "INSERT INTO events VALUES (?, ?, ?)",
                [(kind, event_id, text) for (kind, event_id), text in new.items()],
            )
        return report

    @_translated("reading the events")
    def events(self) -> tuple[Event, ...]:
        """Every stored event, by kind then id."""
        rows = self._connection.execute("SELECT kind, content FROM events ORDER BY kind, id")
        return tuple(event_from_text(kind, content) for kind, content in rows)


def _groups(entries: Sequence[LedgerEntry]) -> set[Group]:
    """The partner-periods of ``entries``; first postings kept as columns are not built."""
    if not isinstance(entries, PostedEntries):
        return {(entry.key.partner_id, entry.key.period_label) for entry in entries}
    found: set[Group] = set()
    for part in entries.parts:
        if isinstance(part, FreshEntries):
            found.add((part.partner_id, part.period_label))
        else:
            found.update((entry.key.partner_id, entry.key.period_label) for entry in part)
    return found


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any error.

    Nested blocks take part in the outermost one, which alone commits.
    """

    def __init__(self, store: SqliteLedgerStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        store = self._store
        if store._depth == 0:
            try:
                store._connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise store._error(error, "the write") from error
        store._depth += 1

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        store = self._store
        store._depth -= 1
        if store._depth:
            return
        connection = store._connection
        if exc_type is None:
            try:
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise store._error(error, "the write") from error
        elif connection.in_transaction:
            # SQLite may have rolled back already (a full disk, a damaged file); the error
            # that ended the block is the one to report.
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
