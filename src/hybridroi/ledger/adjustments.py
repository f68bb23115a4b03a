"""Manual adjustments: a signed amount for a partner, with a kind, a reason and an actor.

A partner team adds what no statement line says: a bonus, a correction, a
penalty, a goodwill gesture. An :class:`Adjustment` is kept apart from the
statement lines, so posting by difference never sees it: a later statement
run that does not list it leaves it as it is (a line added by hand to one
statement run would be reversed by the next run that lacks it).

An adjustment becomes one ledger entry of type ``adjustment``, keyed
``adjustment:<id>`` on the statement period it belongs to. It is due at once:
it is locked at its instant (a person decided it, so there is no holding
period) and the next payout run pays it, or recovers a negative one from the
partner's next commissions. Like any entry it can be held, approved or declined
by a decision (see :mod:`hybridroi.ledger.decisions`).

Signs follow the kind: a bonus and goodwill are positive, a penalty is
negative, a correction is either.

>>> from datetime import UTC, datetime
>>> from hybridroi.core.money import Money
>>> bonus = Adjustment(id="adj-1", partner_id="aff-1", amount=Money("25.00", "EUR"),
...     kind="bonus", reason="launch week bonus", actor="ops@brand",
...     at=datetime(2026, 3, 31, tzinfo=UTC), period="2026-03")
>>> entry = bonus.entry()
>>> entry.id, entry.key.line_key, entry.status.value, entry.lock_at == bonus.at
('adjustment:adj-1', 'adjustment:adj-1', 'locked', True)
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import Any

import attrs

from hybridroi.core.checks import aware, enum_member, identifier, instance_of, text
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.timezones import UTC
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.statements.lines import LineKind

__all__ = ["ADJUSTMENT_PREFIX", "Adjustment", "AdjustmentKind", "adjustment_id"]

ADJUSTMENT_PREFIX = "adjustment"
"""The first part of an adjustment's entry id and line key: ``adjustment:<id>``."""


class AdjustmentKind(enum.Enum):
    """What a manual adjustment is for."""

    BONUS = "bonus"
    """An extra amount for the partner (positive)."""
    CORRECTION = "correction"
    """A correction of an error, either way (positive or negative)."""
    PENALTY = "penalty"
    """An amount taken from the partner, such as a breach of the program's terms (negative)."""
    GOODWILL = "goodwill"
    """A gesture for the partner, not owed by the deal (positive)."""


_SIGN = {
    AdjustmentKind.BONUS: 1,
    AdjustmentKind.GOODWILL: 1,
    AdjustmentKind.PENALTY: -1,
}


def _adjustment_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    identifier(instance, attribute, value)
    if ":" in str(value):
        raise InvalidValueError("Adjustment.id", value, "an id without ':'")


@attrs.frozen(kw_only=True)
class Adjustment:
    """A signed manual adjustment of a partner's balance.

    Attributes:
        id: The adjustment id, unique in the ledger (no ``:``).
        partner_id: The partner.
        amount: The signed amount (not zero): positive for a bonus or
            goodwill, negative for a penalty, either for a correction.
        kind: What it is for.
        reason: Why, in words (shown on the partner's statement).
        actor: Who made it.
        at: When it was made; the entry is locked (due) from that instant.
        period: The label of the statement period it appears on.
    """

    id: str = attrs.field(validator=_adjustment_id)
    partner_id: str = attrs.field(validator=identifier)
    amount: Money = attrs.field(validator=instance_of(Money, "a Money amount"))
    kind: AdjustmentKind = attrs.field(converter=enum_member(AdjustmentKind))  # type: ignore[misc]
    reason: str = attrs.field(validator=text)
    actor: str = attrs.field(validator=text)
    at: datetime = attrs.field(validator=aware)
    period: str = attrs.field(validator=identifier)

    def __attrs_post_init__(self) -> None:
        if self.amount.is_zero():
            raise InvalidValueError("Adjustment.amount", self.amount, "a non-zero amount")
        sign = _SIGN.get(self.kind)
        if sign is not None and (self.amount.amount > 0) != (sign > 0):
            expected = "a positive amount" if sign > 0 else "a negative amount"
            raise InvalidValueError(
                "Adjustment.amount", self.amount, f"{expected} for a {self.kind.value}"
            )

    @property
    def line_key(self) -> str:
        """The key of its entry: ``adjustment:<id>``."""
        return f"{ADJUSTMENT_PREFIX}:{self.id}"

    def entry(self) -> LedgerEntry:
        """The ledger entry of the adjustment: locked at once, on its statement period."""
        key = LedgerKey(self.partner_id, self.period, self.line_key, self.amount.currency)
        at = self.at.astimezone(UTC)
        return LedgerEntry(
            id=self.line_key,
            run_id=self.id,
            key=key,
            line_kind=LineKind.BONUS if self.amount.amount > 0 else LineKind.RECOVERY,
            entry_type=EntryType.ADJUSTMENT,
            amount=self.amount,
            status=EntryStatus.LOCKED,
            lock_at=at,
            earned_at=at,
            posted_at=at,
            rule_id=f"{ADJUSTMENT_PREFIX}-{self.kind.value}",
            explanation=f"{self.kind.value} of {self.amount} by {self.actor}: {self.reason}",
            reason=f"adjustment: {self.kind.value} {self.id} by {self.actor}: {self.reason}",
            statement_period=self.period,
        )


def adjustment_id(
    partner_id: str,
    amount: Money,
    kind: AdjustmentKind,
    *,
    reason: str,
    actor: str,
    at: datetime,
) -> str:
    """The default id of an adjustment: a digest of what it says.

    A retry of the same adjustment (same partner, amount, kind, reason, actor
    and instant) gets the same id, so it is recorded once.

    >>> from datetime import UTC, datetime
    >>> adjustment_id("aff-1", Money("5.00", "EUR"), AdjustmentKind.BONUS, reason="thanks",
    ...               actor="ops", at=datetime(2026, 3, 1, tzinfo=UTC))
    'adjustment-484c55e5c40f0c47'
    """
    content = "\x1f".join(
        (
            partner_id,
            str(amount.amount),
            amount.currency,
            kind.value,
            reason,
            actor,
            at.astimezone(UTC).isoformat(),
        )
    )
    digest = hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{ADJUSTMENT_PREFIX}-{digest}"
