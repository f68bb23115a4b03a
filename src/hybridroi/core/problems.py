"""Problem records: bad input reported beside the results, never raised.

A batch of a million events with ten bad ones produces its results plus ten
:class:`Problem` records. Each says what is wrong, with which event, and why.
"""

from __future__ import annotations

import enum

import attrs

from hybridroi.core.checks import enum_member

__all__ = ["Problem", "ProblemKind"]


class ProblemKind(enum.Enum):
    """What kind of problem a record reports."""

    INVALID = "invalid"
    """A field holds a value that cannot be accepted."""
    DUPLICATE_ID = "duplicate_id"
    """An id that was already used by a different event."""
    UNKNOWN_PARTNER = "unknown_partner"
    """An event names a partner that is not in the campaign."""
    UNKNOWN_CONTENT = "unknown_content"
    """An event names content that is not in the campaign."""
    UNKNOWN_SALE = "unknown_sale"
    """A refund of a sale that does not exist."""
    REFUND_BEFORE_SALE = "refund_before_sale"
    """A refund dated before the sale it refunds."""
    REFUND_EXCEEDS_SALE = "refund_exceeds_sale"
    """A refund larger than what remains of the sale."""
    CURRENCY = "currency"
    """An amount in a currency that cannot be used here (no FX rate, mismatch)."""
    UNPRICED = "unpriced"
    """A credited conversion that no rate rule of its partner's deal prices (the rules
    tried are named); it earns nothing until a rule matches it."""
    MISSING_STATISTICS = "missing_statistics"
    """Content that a CPM rule pays for has no view statistics as of the run: its line
    is 0 until statistics are given."""


@attrs.frozen(kw_only=True)
class Problem:
    """One piece of bad input, reported instead of raised.

    Attributes:
        kind: What kind of problem it is.
        subject: The id of the event or object concerned (``"conversion:C-17"``).
        message: Why it is a problem, in words a person can act on.
        field: The field concerned, if one is.
        source: Where the input came from (``"sales.csv:17"``), if known.
    """

    kind: ProblemKind = attrs.field(
        converter=enum_member(ProblemKind)  # type: ignore[misc]
    )
    subject: str
    message: str
    field: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{self.kind.value} {self.subject}{field}: {self.message}"
