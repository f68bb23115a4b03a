"""The ledger: append-only entries posted by difference, lock dates, payouts, stores, exports."""
