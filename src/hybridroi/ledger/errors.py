"""The errors the ledger and its stores raise.

Each derives from :class:`~hybridroi.core.errors.HybridRoiError` and from the
matching built-in exception, and its message says what happened and what to do.
No ``sqlite3`` exception reaches the caller: a store translates it into one of
these.
"""

from __future__ import annotations

from datetime import datetime

from hybridroi.core.errors import HybridRoiError, InvalidValueError

__all__ = [
    "LedgerBusyError",
    "LedgerFileError",
    "PolicyMismatchError",
    "StaleRunError",
    "UnknownBatchError",
]


class StaleRunError(InvalidValueError):
    """A statement run older than the last one posted.

    A statement run is the complete state of the campaign as of its ``as_of``;
    one computed before the last run posted would undo what was posted since
    (later sales reversed), whatever posting instant is given with it.

    Attributes:
        as_of: The refused run's as-of instant.
        last_as_of: The as-of instant of the last run posted.
        last_run_id: The id of that run.
    """

    def __init__(self, as_of: datetime, last_as_of: datetime, last_run_id: str) -> None:
        super().__init__(
            "StatementRun.as_of",
            as_of,
            f"a statement run as of {last_as_of.isoformat()} or later",
        )
        self.as_of = as_of
        self.last_as_of = last_as_of
        self.last_run_id = last_run_id
        self.args = (
            f"statement run as of {as_of.isoformat()} refused: the ledger already posted "
            f"{last_run_id}, as of {last_as_of.isoformat()}, and an older run would undo what "
            "was posted since; nothing was written. Post statements computed as of now (or as "
            f"of {last_as_of.isoformat()} or later) instead",
        )


class LedgerBusyError(HybridRoiError, TimeoutError):
    """Another process held the ledger's write lock for longer than the busy timeout.

    Attributes:
        path: The ledger file.
        busy_timeout: How long the store waited, in seconds.
    """

    def __init__(self, path: str, busy_timeout: float, doing: str) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        super().__init__(
            f"{path}: the ledger is busy: another process is writing to it and still held "
            f"its lock after {busy_timeout:g} s, so {doing} did not happen and nothing was "
            "written. Try again once the other run has finished, or open the store with a "
            "longer busy_timeout"
        )


class LedgerFileError(HybridRoiError, OSError):
    """A ledger file that cannot be used: unreadable, not a ledger, or damaged.

    Attributes:
        path: The file.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class UnknownBatchError(HybridRoiError, KeyError):
    """A payout batch id that the ledger does not hold.

    Attributes:
        batch_id: The id asked for.
    """

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        super().__init__(batch_id)

    def __str__(self) -> str:
        return (
            f"no payout batch {self.batch_id!r} in this ledger: use the id of a batch of "
            "Ledger.run_payouts (see store.batches())"
        )


class PolicyMismatchError(HybridRoiError, ValueError):
    """A ledger opened with policies other than those stored with it.

    The policies (lock rules, minimum payouts, clawback rule, payout schedule)
    are stored with the ledger on first use: a process with other policies
    would lock, pay or claw back the same entries differently.

    Attributes:
        stored: The stored policies, as JSON text.
        given: The policies given, as JSON text.
    """

    def __init__(self, stored: str, given: str) -> None:
        self.stored = stored
        self.given = given
        super().__init__(
            "this ledger was written under other policies, and entries would lock or be paid "
            "differently under these; nothing was written. Open it with the stored policies. "
            f"Stored: {stored}. Given: {given}"
        )
