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

from hybridroi.core.allocation import allocate
from hybridroi.core.money import Money
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.report.records import NO_CONTENT, Leg
from hybridroi.report.tally import Tally, minor_units_of
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

    def add(self) -> None:
        tally = self.tally
        from_ledger = tally.ledger_entries is not None
        currency, inside, bounds = tally.currency, tally.inside, tally.bounds
        for statement in tally.run.statements:
            last = statement.period.end - _TICK
            partner_id = statement.partner_id
            for line in statement.lines:
                kind = line.kind
                if from_ledger and kind is not LineKind.NETWORK_FEE:
                    continue  # partner pay comes from the ledger entries
                # Every line counts in its statement's period. The engine dates lines inside
                # it, except a sale or content dated after a campaign-long statement's end,
                # which the clamp brings back into that statement's period.
                earned_at = line.earned_at
                instant = last if last < earned_at else earned_at  # min(), ties as min()
                if bounds is not None and not inside(instant, as_of_bound=False):
                    continue
                amount = line.amount
                if amount.currency != currency:
                    converted = tally.convert(amount, earned_at, f"line:{partner_id}:{line.key}")
                    if converted is None:
                        continue
                    amount = converted
                self.add_line_cost(partner_id, kind, amount, instant, line.source_ids)
        if tally.ledger_entries is not None:
            self.add_ledger_costs(tally.ledger_entries)
        self.add_extra_costs()

    def add_ledger_costs(self, entries: tuple[LedgerEntry, ...]) -> None:
        """Partner pay from ledger entries: what the brand paid and did not get back."""
        tally = self.tally
        periods = {(s.partner_id, s.period.label): s.period for s in tally.run.statements}
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
            if not tally.inside(instant, as_of_bound=False):
                continue
            amount = tally.convert(entry.amount, entry.earned_at, f"ledger:{entry.id}")
            if amount is not None:
                self.add_line_cost(
                    entry.partner_id, entry.line_kind, amount, instant, entry.source_ids
                )

    def add_line_cost(
        self,
        partner_id: str,
        kind: LineKind,
        amount: Money,
        instant: datetime,
        source_ids: tuple[str, ...],
    ) -> None:
        """Add a line's cost, in the reporting currency, to the contents it pays for."""
        contents = self.tally.contents
        targets = [
            target
            for source in source_ids
            if (target := source if source in contents else self.content_of(source, partner_id))
            is not None
        ] or self.by_partner.get(partner_id, [])
        leg = Leg.INFLUENCE if kind is LineKind.FEE else Leg.AFFILIATE
        self.add_cost(amount, _COMPONENT[kind], partner_id, instant, leg, targets)

    def content_of(self, source_id: str, partner_id: str) -> str | None:
        """The content of the partner's credit on sale ``source_id``; None if it has none.

        A credit without a content gives :data:`NO_CONTENT`: the line names a sale, and
        its cost belongs to no content.
        """
        credits = self.tally.credits_by_conversion.get(source_id)
        if not credits:
            return None
        # The partner's last credit on the sale, if it has several.
        for credit in reversed(credits):
            if credit.partner_id == partner_id:
                return credit.content_id or NO_CONTENT
        return None

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
            targets = self.by_partner.get(extra.partner_id or "", [])
            self.add_cost(amount, "extra_costs", extra.partner_id, extra.incurred_at, leg, targets)

    def add_cost(  # noqa: PLR0917 - the figure and the cell it lands in
        self,
        amount: Money,
        component: str,
        partner_id: str | None,
        instant: datetime,
        leg: Leg,
        targets: list[str],
    ) -> None:
        """Add a cost, split equally between the contents it pays for."""
        tally = self.tally
        label = tally.period_label(instant)
        if len(set(targets)) <= 1:
            cell = tally.cell(partner_id, targets[0] if targets else None, label, leg)
            cell.costs[component] += minor_units_of(amount)
            return
        weights: dict[str | None, int] = defaultdict(int)
        for target in targets:
            weights[target] += 1
        for content_id, part in allocate(amount, dict(weights)).items():
            tally.cell(partner_id, content_id, label, leg).costs[component] += part.minor_units
