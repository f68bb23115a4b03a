"""Where a ledger keeps its entries: in memory, or in a SQLite file.

The stores are the ledger's edge: they keep entries, runs, payouts and events
durably, and nothing else. The ledger's rules (posting by difference, lock dates,
payouts) live in :mod:`hybridroi.ledger` and never import a store.
"""
