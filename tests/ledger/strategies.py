"""Builders and Hypothesis strategies for the ledger tests.

Statements are built by hand here, in the shape the commission engine
produces: one statement per partner, period and currency, lines keyed by a
stable key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

ZONE = "Europe/Paris"
PARTNERS = ("aff-1", "aff-2", "aff-3")
MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def make_campaign(timezone: str = ZONE, campaign_id: str = "CMP-1") -> Campaign:
    """A campaign in EUR with three affiliates, over 2026."""
    return Campaign(
        id=campaign_id,
        name="Spring launch",
        currency="EUR",
        timezone=timezone,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
        partners=tuple(Affiliate(id=p, name=f"Affiliate {p}") for p in PARTNERS),
    )


def eur(amount: str) -> Money:
    """EUR money from text."""
    return Money(Decimal(amount), "EUR")


def make_line(
    key: str,
    amount: Money,
    earned_at: datetime,
    *,
    sources: tuple[str, ...] = (),
    kind: LineKind = LineKind.COMMISSION,
    rule_id: str = "R-pct",
    explanation: str | None = None,
) -> StatementLine:
    """A statement line, explained in the engine's style."""
    return StatementLine(
        key=key,
        kind=kind,
        amount=amount,
        rule_id=rule_id,
        explanation=explanation or f"{key}: {amount}",
        earned_at=earned_at,
        source_ids=sources or (key.split(":")[1] if ":" in key else key,),
    )


def make_run(
    as_of: datetime,
    lines: Mapping[str, list[StatementLine]],
    *,
    timezone: str = ZONE,
) -> StatementRun:
    """A statement run: each partner's lines grouped into monthly statements per currency."""
    statements = []
    for partner_id in sorted(lines):
        groups: dict[tuple[str, str], list[StatementLine]] = {}
        periods = {}
        for line in lines[partner_id]:
            period = period_of(line.earned_at, PeriodKind.MONTH, timezone)
            periods[period.label] = period
            groups.setdefault((period.label, line.amount.currency), []).append(line)
        for (label, currency), group in sorted(groups.items()):
            statements.append(
                Statement(
                    partner_id=partner_id,
                    period=periods[label],
                    currency=currency,
                    lines=tuple(sorted(group, key=lambda line: line.key)),
                )
            )
    return StatementRun(
        as_of=as_of,
        statements=tuple(statements),
        attribution=AttributionResult(credits=(), unattributed=(), problems=()),
        problems=(),
    )


# A snapshot is what the statements say at one moment: (partner, line key) -> cents.
Snapshot = dict[tuple[str, str], int]

LINE_KEYS = tuple(f"commission:C-{n}:R-pct" for n in range(1, 7))


def earned_at_of(line_key: str) -> datetime:
    """A fixed sale instant per line key, spread over March 2026 (some near month ends)."""
    number = int(line_key.split(":")[1].split("-")[1])
    return MARCH + timedelta(days=5 * number - 4, hours=7 * number)


def snapshot_run(snapshot: Snapshot, as_of: datetime) -> StatementRun:
    """The statement run of a snapshot (zero lines are left out, as the engine would)."""
    lines: dict[str, list[StatementLine]] = {}
    for (partner_id, key), cents in sorted(snapshot.items()):
        if cents:
            lines.setdefault(partner_id, []).append(
                make_line(key, Money.from_minor(cents, "EUR"), earned_at_of(key))
            )
    return make_run(as_of, lines)


snapshots = st.dictionaries(
    st.tuples(st.sampled_from(PARTNERS), st.sampled_from(LINE_KEYS)),
    st.integers(min_value=-500, max_value=5_000),
    max_size=8,
)
"""What the statements say at one moment; negative amounts are recovery-like lines."""

histories = st.lists(snapshots, min_size=1, max_size=5)
"""Successive snapshots of the same campaign (sales, refunds, repricing, re-entries)."""

gaps = st.lists(st.integers(min_value=0, max_value=40), min_size=5, max_size=5)
"""Days between successive posting runs, so that some entries lock in between."""
