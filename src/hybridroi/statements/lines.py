"""Statement records: what a partner is owed for a period, line by line.

A statement is a pure function of (campaign, events, as-of instant). Each line
carries its amount (rounded per line), the events it comes from, the rule that
fired and an explanation a partner manager can read.

Lines have a stable ``key`` within their partner and period: the ledger posts
the difference between the current statement and what is already posted, line
key by line key.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.checks import enum_member
from hybridroi.core.collector import collector_paused
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import Money
from hybridroi.core.periods import Period
from hybridroi.core.problems import Problem
from hybridroi.events.intake import EventBatch

__all__ = ["LineKind", "Statement", "StatementLine", "StatementRun"]


class LineKind(enum.Enum):
    """What a statement line pays for."""

    FEE = "fee"
    """A fixed fee (one-off, per deliverable, retainer, seeding, usage rights)."""
    COMMISSION = "commission"
    """A commission on credited sales, clicks, leads or views."""
    BONUS = "bonus"
    """A threshold or tier bonus."""
    GUARANTEE_TOPUP = "guarantee_topup"
    """The top-up to a guaranteed minimum (non-recoverable)."""
    ADVANCE = "advance"
    """A recoverable advance (draw) paid now."""
    RECOVERY = "recovery"
    """Recovery of an earlier advance from commissions (negative)."""
    NETWORK_FEE = "network_fee"
    """A network or platform override fee on top of commissions: a cost, not partner pay."""


@attrs.frozen(kw_only=True)
class StatementLine:
    """One line of a partner's statement.

    Attributes:
        key: Stable identifier of the line within its partner and period,
            such as ``"commission:C-17:R-pct"``; the ledger diffs by it.
        kind: What the line pays for.
        amount: The amount, rounded per line by the deal's declared rounding.
        rule_id: The id of the rule that fired.
        explanation: Why the amount is what it is, in words, for example
            ``"12% (tier 2, EUR 10,000 to 50,000 month to date) of EUR 84.00 = EUR 10.08"``.
        earned_at: When the amount was earned: the sale's instant, the fee's due
            instant, or, for period-level lines, the period's last instant
            (``Period.end`` minus one microsecond), so every line lies inside its period.
        source_ids: Ids of the events or objects the line comes from.
        capped: What a cap removed from this line, if a cap applied (the amount
            is already net of it).
        fx: The conversion applied when the source was in another currency.
    """

    key: str
    kind: LineKind = attrs.field(
        converter=enum_member(LineKind)  # type: ignore[misc]
    )
    amount: Money
    rule_id: str
    explanation: str
    earned_at: datetime
    source_ids: tuple[str, ...] = ()
    capped: Money | None = None
    fx: FxConversion | None = None

    @classmethod
    def _trusted(  # noqa: PLR0917 - positional on purpose: called once per line on the hot path
        cls,
        key: str,
        kind: LineKind,
        amount: Money,
        rule_id: str,
        explanation: str,
        earned_at: datetime,
        source_ids: tuple[str, ...],
        capped: Money | None,
        fx: FxConversion | None,
    ) -> StatementLine:
        """``StatementLine(key=key, kind=kind, ...)`` for checked values, without keyword parsing.

        For the commission engine, which builds a million lines on large runs from its
        own checked drafts: ``kind`` must be a :class:`LineKind` member (the one field
        with a converter, which gives a member back unchanged). Writing the slots
        directly skips attrs' ``__init__``, about 40% of the cost of building a line.
        """
        line = _new(cls)
        s_key, s_kind, s_amount, s_rule, s_explanation, s_earned, s_sources, s_capped, s_fx = (
            _LINE_SLOTS
        )
        s_key(line, key)
        s_kind(line, kind)
        s_amount(line, amount)
        s_rule(line, rule_id)
        s_explanation(line, explanation)
        s_earned(line, earned_at)
        s_sources(line, source_ids)
        s_capped(line, capped)
        s_fx(line, fx)
        return line


_new = object.__new__

# StatementLine is a slotted attrs class without validators (a test holds it to that):
# each field is a member descriptor whose __set__ writes the slot.
_LINE_SLOTS = tuple(
    StatementLine.__dict__[field.name].__set__ for field in attrs.fields(StatementLine)
)


class _Deferred(Protocol):
    """Commission lines a statement holds in columns: built when its lines are read."""

    @property
    def units(self) -> int:
        """The sum of the lines' amounts, in minor units."""

    def lines(self) -> list[StatementLine]:
        """The lines, built now."""

    def facts(self) -> _LineFacts:
        """The lines' figures (no explanation), without building a line."""


class _LineFacts:
    """What lines say besides their words, field by field: their figures and sources.

    For readers that sum lines (the report): a statement that keeps lines in columns
    gives these without building a line or writing an explanation.
    """

    __slots__ = ("amounts", "earned_at", "keys", "kinds", "source_ids")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.kinds: list[LineKind] = []
        self.amounts: list[Money] = []
        self.earned_at: list[datetime] = []
        self.source_ids: list[tuple[str, ...]] = []

    def add_lines(self, lines: Iterable[StatementLine]) -> None:
        """Add the facts of built lines."""
        for line in lines:
            self.keys.append(line.key)
            self.kinds.append(line.kind)
            self.amounts.append(line.amount)
            self.earned_at.append(line.earned_at)
            self.source_ids.append(line.source_ids)

    def add(self, other: _LineFacts) -> None:
        """Add another's facts after these."""
        self.keys += other.keys
        self.kinds += other.kinds
        self.amounts += other.amounts
        self.earned_at += other.earned_at
        self.source_ids += other.source_ids


class _Pending:
    """The slot where a statement keeps its lines still in columns (unset otherwise).

    Outside attrs' fields, so that fields, ``attrs.asdict``, equality and pickles stay
    those of the record: an unset slot is a statement whose lines are all built.
    """

    __slots__ = ("_pending",)


@attrs.frozen(kw_only=True)
class Statement(_Pending):
    """What one partner is owed for one period, in one currency.

    The commission engine may hand over a statement whose commission lines are still
    in columns: its ``lines`` are then built on first access (the same records, keys
    and explanations, sorted by key) and its totals are computed from the columns
    without building a line.

    Attributes:
        partner_id: The partner.
        period: The campaign-calendar period.
        currency: The currency of every line.
        lines: The lines, sorted by key.
    """

    partner_id: str
    period: Period
    currency: str
    lines: tuple[StatementLine, ...]

    @classmethod
    def _deferred(
        cls,
        partner_id: str,
        period: Period,
        currency: str,
        lines: Sequence[StatementLine],
        deferred: Sequence[_Deferred],
    ) -> Statement:
        """A statement of ``lines`` and of column slices whose lines are built on access.

        For the commission engine: ``lines`` and the slices' lines must be valid lines of
        this statement, with distinct keys.
        """
        statement = _new(cls)
        set_partner, set_period, set_currency, _ = _STATEMENT_SLOTS
        set_partner(statement, partner_id)
        set_period(statement, period)
        set_currency(statement, currency)
        _PENDING_SLOT.__set__(statement, (tuple(lines), tuple(deferred)))
        return statement

    if not TYPE_CHECKING:
        # Hidden from the type checker, so that a misspelt attribute stays an error.

        def __getattr__(self, name: str) -> Any:
            # Only an unset slot reaches here: the lines of a statement built in columns.
            if name != "lines":
                raise AttributeError(name)
            return _materialized(self)

    def _line_facts(self) -> _LineFacts:
        """Every line's figures and sources, built lines first, then those in columns.

        Lines kept in columns give theirs without being built; the order is the
        lines' own only once they are built (sorted by key).
        """
        facts = _LineFacts()
        pending = _pending_of(self)
        if pending is None:
            facts.add_lines(self.lines)
            return facts
        facts.add_lines(pending[0])
        for deferred in pending[1]:
            facts.add(deferred.facts())
        return facts

    def total_of(self, *kinds: LineKind) -> Money:
        """Sum of the lines of the given kinds (all lines when none are given)."""
        pending = _pending_of(self)
        if pending is None:
            return Money.sum(
                (line.amount for line in self.lines if not kinds or line.kind in kinds),
                self.currency,
            )
        # Column slices hold commission lines only: their sums need no line built.
        total = Money.sum(
            (line.amount for line in pending[0] if not kinds or line.kind in kinds),
            self.currency,
        )
        if kinds and LineKind.COMMISSION not in kinds:
            return total
        return total + Money.from_minor(sum(part.units for part in pending[1]), self.currency)

    @property
    def fees(self) -> Money:
        """Fixed fees."""
        return self.total_of(LineKind.FEE)

    @property
    def commissions(self) -> Money:
        """Commissions."""
        return self.total_of(LineKind.COMMISSION)

    @property
    def bonuses(self) -> Money:
        """Threshold and tier bonuses."""
        return self.total_of(LineKind.BONUS)

    @property
    def guarantee_topups(self) -> Money:
        """Top-ups to a guaranteed minimum."""
        return self.total_of(LineKind.GUARANTEE_TOPUP)

    @property
    def advances(self) -> Money:
        """Recoverable advances paid."""
        return self.total_of(LineKind.ADVANCE)

    @property
    def recoveries(self) -> Money:
        """Advances recovered (a negative amount)."""
        return self.total_of(LineKind.RECOVERY)

    @property
    def network_fees(self) -> Money:
        """Network override fees (a cost to the brand, not paid to the partner)."""
        return self.total_of(LineKind.NETWORK_FEE)

    @property
    def partner_total(self) -> Money:
        """What the partner is owed: every line except network fees."""
        return self.total_of(*(kind for kind in LineKind if kind is not LineKind.NETWORK_FEE))

    @property
    def total_cost(self) -> Money:
        """What the statement costs the brand: every line, network fees included."""
        return self.total_of()


def _line_key(line: StatementLine) -> str:
    return line.key


_STATEMENT_SLOTS = tuple(vars(Statement)[field.name].__set__ for field in attrs.fields(Statement))
_LINES_SLOT = vars(Statement)["lines"]
_PENDING_SLOT = vars(_Pending)["_pending"]
# One statement's lines are built once, even when two threads read them at once.
_BUILDING = threading.Lock()

_Parts = tuple[tuple[StatementLine, ...], tuple[_Deferred, ...]]


def _pending_of(statement: Statement) -> _Parts | None:
    """The lines of ``statement`` built so far and its slices not yet built, or None."""
    try:
        pending: _Parts | None = _PENDING_SLOT.__get__(statement)
    except AttributeError:
        return None
    return pending


def _materialized(statement: Statement) -> tuple[StatementLine, ...]:
    """The lines of a statement that keeps some in columns: built now, once, and kept."""
    # A statement may build a million lines and no reference cycle: the collector's full
    # passes over them would cost more than building them.
    with _BUILDING, collector_paused():
        try:
            built: tuple[StatementLine, ...] = _LINES_SLOT.__get__(statement)
        except AttributeError:
            pass
        else:
            return built  # another thread built them while this one waited
        pending = _pending_of(statement)
        if pending is None:
            raise AttributeError("lines")
        lines = list(pending[0])
        try:
            for deferred in pending[1]:
                lines.extend(deferred.lines())
        except AttributeError as error:
            # Not "no attribute lines": building them failed, and says why.
            raise RuntimeError(f"building the lines of a statement failed: {error}") from error
        lines.sort(key=_line_key)
        built = tuple(lines)
        _LINES_SLOT.__set__(statement, built)
        _PENDING_SLOT.__set__(statement, None)
        return built


@attrs.frozen(kw_only=True)
class StatementRun:
    """The statements of a campaign as of an instant, with what fed them.

    Attributes:
        as_of: The instant the statements were computed for.
        statements: Statements sorted by partner id, then period start.
        attribution: The credits the commissions were priced from.
        problems: Bad input found on the way (events, rules, FX).
        batch: The checked events the run was priced from, so that what comes after
            (the report, the ledger) reads them without checking them again. Every run
            of the engine carries it; None only for a run assembled by hand.
    """

    as_of: datetime
    statements: tuple[Statement, ...]
    attribution: AttributionResult
    problems: tuple[Problem, ...]
    batch: EventBatch | None = attrs.field(default=None, eq=False, repr=False)
