"""The SQLite ledger's schema: the migrations that build it, in order.

A ``schema_version`` table in each ledger file records the migrations applied;
:class:`~hybridroi.ledger.stores.sqlite.SqliteLedgerStore` applies the missing
ones when it opens a file. See ``docs/ledger.md`` for the tables.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "posting runs and ledger entries",
        (
            "CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE posting_runs (
                id TEXT PRIMARY KEY,
                number INTEGER NOT NULL UNIQUE,
                as_of TEXT NOT NULL,
                posted_at TEXT NOT NULL,
                entry_count INTEGER NOT NULL
            )""",
            """CREATE TABLE entries (
                run_id TEXT NOT NULL REFERENCES posting_runs (id),
                seq INTEGER NOT NULL,
                partner_id TEXT NOT NULL,
                period_label TEXT NOT NULL,
                line_key TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                line_kind TEXT NOT NULL,
                entry_type TEXT NOT NULL,
                status TEXT NOT NULL,
                lock_at TEXT NOT NULL,
                earned_at TEXT NOT NULL,
                posted_at TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                explanation TEXT NOT NULL,
                source_ids TEXT NOT NULL,
                reason TEXT NOT NULL
            )""",
            """CREATE INDEX entries_by_key
                ON entries (partner_id, period_label, line_key, currency, amount_minor)""",
        ),
    ),
    (
        2,
        "payout batches",
        (
            """CREATE TABLE payout_runs (id TEXT PRIMARY KEY, at TEXT NOT NULL)""",
            """CREATE TABLE payout_batches (
                id TEXT PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES payout_runs (id),
                partner_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                paid_at TEXT
            )""",
            """CREATE TABLE payout_items (
                entry_id TEXT PRIMARY KEY,
                batch_id TEXT NOT NULL REFERENCES payout_batches (id)
            )""",
        ),
    ),
    (
        3,
        "events keyed by kind and id",
        (
            """CREATE TABLE events (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                content TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            ) WITHOUT ROWID""",
        ),
    ),
    (
        4,
        "the statement period each entry appears on",
        (
            "ALTER TABLE entries ADD COLUMN statement_period TEXT",
            # Every entry but a clawback appears on its line's own period. A clawback's
            # period depends on the campaign's calendar, which the store does not know:
            # it stays NULL until a Ledger opens the store and fills it.
            "UPDATE entries SET statement_period = period_label WHERE entry_type != 'clawback'",
            """CREATE INDEX entries_without_statement_period
                ON entries (statement_period) WHERE statement_period IS NULL""",
        ),
    ),
    (
        5,
        "a digest of the lines each partner-period was last posted from",
        (
            # A row for every partner-period with entries; the digest is NULL until a
            # posting run has compared the partner-period with its lines.
            """CREATE TABLE posted_groups (
                partner_id TEXT NOT NULL,
                period_label TEXT NOT NULL,
                digest TEXT,
                PRIMARY KEY (partner_id, period_label)
            ) WITHOUT ROWID""",
            """INSERT INTO posted_groups
                SELECT DISTINCT partner_id, period_label, NULL FROM entries""",
        ),
    ),
    (
        6,
        "narrower entries: the posting run by number, values the run implies left NULL",
        (
            # What an entry shares with its posting run or can be told from its other
            # columns is NULL: run_id and posted_at (the run's), status (pending or
            # locked by lock_at against posted_at, waived for a waived entry), reason
            # (that of a first posting), statement_period (the line's period; for a
            # clawback, not yet filled).
            """CREATE TABLE entries_6 (
                run INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                partner_id TEXT NOT NULL,
                period_label TEXT NOT NULL,
                line_key TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                line_kind TEXT NOT NULL,
                entry_type TEXT NOT NULL,
                lock_at TEXT NOT NULL,
                earned_at TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                explanation TEXT NOT NULL,
                source_ids TEXT NOT NULL,
                reason TEXT,
                statement_period TEXT,
                status TEXT,
                posted_at TEXT,
                run_id TEXT
            )""",
            # Existing rows keep every value as written; their order is kept.
            """INSERT INTO entries_6
                SELECT r.number, e.seq, e.partner_id, e.period_label, e.line_key, e.currency,
                    e.amount_minor, e.line_kind, e.entry_type, e.lock_at, e.earned_at,
                    e.rule_id, e.explanation, e.source_ids, e.reason, e.statement_period,
                    e.status, e.posted_at, e.run_id
                FROM entries AS e JOIN posting_runs AS r ON r.id = e.run_id
                ORDER BY e.rowid""",
            "DROP TABLE entries",
            "ALTER TABLE entries_6 RENAME TO entries",
            """CREATE INDEX entries_by_key
                ON entries (partner_id, period_label, line_key, currency, amount_minor)""",
            """CREATE INDEX entries_without_statement_period
                ON entries (statement_period)
                WHERE statement_period IS NULL AND entry_type = 'clawback'""",
        ),
    ),
    (
        7,
        "adjustments, decisions, the audit trail, payout references and voided payouts",
        (
            # A manual adjustment: kept apart from the entries, so that posting by
            # difference (which sums the entries table) never reverses it.
            """CREATE TABLE adjustments (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                partner_id TEXT NOT NULL,
                period_label TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                actor TEXT NOT NULL,
                at TEXT NOT NULL
            )""",
            # A decision on a transaction (a ledger key); extend_by is a duration as text.
            """CREATE TABLE decisions (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                partner_id TEXT NOT NULL,
                period_label TEXT NOT NULL,
                line_key TEXT NOT NULL,
                currency TEXT NOT NULL,
                actor TEXT NOT NULL,
                reason TEXT NOT NULL,
                at TEXT NOT NULL,
                extend_by TEXT
            )""",
            """CREATE TABLE audit (
                number INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                reason TEXT NOT NULL,
                details TEXT NOT NULL
            )""",
            "ALTER TABLE payout_batches ADD COLUMN reference TEXT",
            "ALTER TABLE payout_batches ADD COLUMN method TEXT",
            "ALTER TABLE payout_batches ADD COLUMN voided_at TEXT",
            "ALTER TABLE payout_batches ADD COLUMN void_kind TEXT",
            "ALTER TABLE payout_batches ADD COLUMN void_reason TEXT",
            # The entries of a failed or voided batch move here: payout_items keeps one row
            # per entry in a live batch (its primary key), so no entry is paid twice.
            """CREATE TABLE voided_payout_items (
                batch_id TEXT NOT NULL REFERENCES payout_batches (id),
                position INTEGER NOT NULL,
                entry_id TEXT NOT NULL,
                PRIMARY KEY (batch_id, position)
            ) WITHOUT ROWID""",
        ),
    ),
)
"""The schema migrations, in order: ``(version, description, statements)``."""

SCHEMA_VERSION = MIGRATIONS[-1][0]
"""The schema version this library writes."""
