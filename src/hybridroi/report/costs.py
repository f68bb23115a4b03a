"""Costs: partner pay and network fees from the statement run or the ledger, and extra costs.

Every statement line counts in its statement's period, at ``earned_at``; when
ledger entries are given, partner pay comes from them instead (network fees,
which the ledger does not hold, still come from the statements). A cost that
pays for several pieces of content is split between them with
:func:`hybridroi.core.allocation.allocate`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import attrs

from hybridroi.core.allocation import allocate
from hybridroi.core.money import Money
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.report.records import NO_CONTENT, Leg
from hybridroi.report.tally import Tally, Where
from hybridroi.statements.lines import LineKind

__all__ = ["add_costs"]

_TICK = timedelta(microseconds=1)
_COMPONENT = {
    LineKind.FEE: "fees",
    LineKind.COMMISSION: "commissions",
    LineKind.BONUS: "bonuses",
    LineKind.GUARANTEE_TOPUP: "guarantees",
    LineKind.ADVANCE: "draws",
    LineKind.RECOVERY: "draws",
    LineKind.NETWORK_FEE: "network_fees",
}
"""The cost component of each kind of statement line (fields of :class:`Costs`)."""


def add_costs(tally: Tally) -> None:
    """Book every cost of the run: statement lines (or ledger entries) and extra costs.

    Args:
        tally: The report's running totals.
    """
    _Costs(tally).add()


class _Costs:
    """Books the costs of one report into its tally."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        # The contents a partner's costs are split between, when a line names none.
        self.by_partner: dict[str, list[str]] = defaultdict(list)
        for content in tally.campaign.contents:
            self.by_partner[content.partner_id].append(content.id)
        self.credit_content = {
            (c.conversion_id, c.partner_id): c.content_id for c in tally.run.attribution.credits
        }

    def add(self) -> None:
        tally = self.tally
        from_ledger = tally.ledger_entries is not None
        for statement in tally.run.statements:
            last = statement.period.end - _TICK
            for line in statement.lines:
                if from_ledger and line.kind is not LineKind.NETWORK_FEE:
                    continue  # partner pay comes from the ledger entries
                # Every line counts in its statement's period. The engine dates lines inside
                # it, except a sale or content dated after a campaign-long statement's end,
                # which the clamp brings back into that statement's period.
                self.add_line_cost(
                    statement.partner_id,
                    line.kind,
                    line.amount,
                    earned_at=line.earned_at,
                    instant=min(line.earned_at, last),
                    source_ids=line.source_ids,
                    subject=f"line:{statement.partner_id}:{line.key}",
                )
        if tally.ledger_entries is not None:
            self.add_ledger_costs(tally.ledger_entries)
        self.add_extra_costs()

    def add_ledger_costs(self, entries: tuple[LedgerEntry, ...]) -> None:
        """Partner pay from ledger entries: what the brand paid and did not get back."""
        periods = {(s.partner_id, s.period.label): s.period for s in self.tally.run.statements}
        for entry in entries:
            # A waived clawback is money the brand does not recover: the cost stays.
            # Network fees are not posted to the ledger; they come from the statements.
            if entry.entry_type is EntryType.WAIVED or entry.line_kind is LineKind.NETWORK_FEE:
                continue
            period = periods.get((entry.partner_id, entry.period_label))
            # Without its statement in the run (a line brought back to zero), the entry
            # counts at its own earned_at.
            instant = (
                entry.earned_at if period is None else min(entry.earned_at, period.end - _TICK)
            )
            self.add_line_cost(
                entry.partner_id,
                entry.line_kind,
                entry.amount,
                earned_at=entry.earned_at,
                instant=instant,
                source_ids=entry.source_ids,
                subject=f"ledger:{entry.id}",
            )

    def add_line_cost(
        self,
        partner_id: str,
        kind: LineKind,
        amount: Money,
        *,
        earned_at: datetime,
        instant: datetime,
        source_ids: tuple[str, ...],
        subject: str,
    ) -> None:
        tally = self.tally
        if not tally.inside(instant, as_of_bound=False):
            return
        converted = tally.convert(amount, earned_at, subject)
        if converted is None:
            return
        contents, credit_content = tally.contents, self.credit_content
        targets = [
            source if source in contents else credit_content.get((source, partner_id)) or NO_CONTENT
            for source in source_ids
            if source in contents or (source, partner_id) in credit_content
        ] or self.by_partner.get(partner_id, [])
        leg = Leg.INFLUENCE if kind is LineKind.FEE else Leg.AFFILIATE
        where = Where(partner_id, None, instant, leg)
        self.add_cost(converted, _COMPONENT[kind], where, targets)

    def add_extra_costs(self) -> None:
        tally = self.tally
        fee_partners = {fee.partner_id for fee in tally.campaign.fees}
        for extra in tally.campaign.extra_costs:
            if not tally.inside(extra.incurred_at):
                continue
            amount = tally.convert(extra.amount, extra.incurred_at, f"extra_cost:{extra.id}")
            if amount is None:
                continue
            if extra.partner_id is None:
                leg = Leg.CAMPAIGN
            else:
                leg = Leg.INFLUENCE if extra.partner_id in fee_partners else Leg.AFFILIATE
            where = Where(extra.partner_id, None, extra.incurred_at, leg)
            targets = self.by_partner.get(extra.partner_id or "", [])
            self.add_cost(amount, "extra_costs", where, targets)

    def add_cost(self, amount: Money, component: str, where: Where, targets: list[str]) -> None:
        """Add a cost, split equally between the contents it pays for."""
        if len(set(targets)) <= 1:
            parts = {targets[0] if targets else None: amount}
        else:
            weights: dict[str | None, int] = defaultdict(int)
            for target in targets:
                weights[target] += 1
            parts = allocate(amount, dict(weights))
        for content_id, part in parts.items():
            for totals in self.tally.rows_of(attrs.evolve(where, content_id=content_id)):
                totals.costs[component] += part.minor_units
