"""Costs: partner pay and network fees from the statement run or the ledger, and extra costs.

Every statement line counts in its statement's period, at ``earned_at``; when
ledger entries are given, partner pay comes from them instead (network fees,
which the ledger does not hold, still come from the statements). A cost that
pays for several pieces of content is split between them with
:func:`hybridroi.core.allocation.allocate`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import attrgetter, eq

import numpy as np
import numpy.typing as npt

from hybridroi.core.allocation import allocate
from hybridroi.core.money import Money, minor_unit
from hybridroi.ledger.entries import EntryType, LedgerEntry
from hybridroi.report.columns import (
    Codes,
    flags,
    group_of,
    group_sums,
    integers,
    members,
    micros,
    micros_of,
)
from hybridroi.report.records import NO_CONTENT, Leg
from hybridroi.report.tally import Tally, minor_units_of
from hybridroi.statements.lines import LineKind, _LineFacts

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


_KIND = attrgetter("kind")
_EARNED_AT = attrgetter("earned_at")
_AMOUNT = attrgetter("amount")
_SOURCES = attrgetter("source_ids")
_CURRENCY = attrgetter("currency")
_DECIMAL = attrgetter("amount")


class _Costs:
    """Books the costs of one report into its tally.

    Every cost becomes rows of one table (partner, component, instant, leg, content,
    minor units): one row per content it pays for. The table is then added by group,
    into the cell of each (partner, content, period, leg), once per group.
    """

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        # The contents a partner's costs are split between, when a line names none.
        self.by_partner: dict[str, list[str]] = defaultdict(list)
        for content in tally.campaign.contents:
            self.by_partner[content.partner_id].append(content.id)
        self.codes: dict[str, Codes] = {
            name: Codes() for name in ("partner", "component", "leg", "target")
        }
        # Rows added by columns, as codes: partner, component, instant, leg, content, units.
        self.chunks: list[tuple[npt.NDArray[np.int64], ...]] = []
        self.partners: list[str | None] = []
        self.components: list[str] = []
        self.instants: list[int] = []
        self.legs: list[Leg] = []
        self.targets: list[str | None] = []
        self.units: list[int] = []

    def add(self) -> None:
        if self.tally.ledger_entries is not None:
            self.add_line_costs(from_ledger=True)
            self.add_ledger_costs(self.tally.ledger_entries)
        else:
            self.add_line_costs(from_ledger=False)
        self.add_extra_costs()
        self.book()

    def add_line_costs(self, *, from_ledger: bool) -> None:
        """The statement lines' costs (only network fees when partner pay comes from the ledger)."""
        tally = self.tally
        facts = _LineFacts()
        partners: list[str] = []
        lasts: list[int] = []
        for statement in tally.run.statements:
            if statement.currency != tally.currency or from_ledger:
                # Converted line by line (in key order, as the problems list them), or
                # only network fees when partner pay comes from the ledger entries.
                found = statement.lines
                if from_ledger:
                    found = tuple(line for line in found if line.kind is LineKind.NETWORK_FEE)
                own = _LineFacts()
                own.add_lines(found)
            else:
                # Lines kept in columns give their figures without being built.
                own = statement._line_facts()
            facts.add(own)
            partners.extend(repeat(statement.partner_id, len(own.kinds)))
            lasts.extend(repeat(micros_of(statement.period.end - _TICK), len(own.kinds)))
        # Every line counts in its statement's period. The engine dates lines inside it,
        # except a sale or content dated after a campaign-long statement's end, which the
        # clamp brings back into that statement's period.
        earned = micros(facts.earned_at)
        instants = np.minimum(earned, np.array(lasts, dtype=np.int64))
        keep = tally.inside_micros(instants, as_of_bound=False)
        chosen = np.flatnonzero(keep).tolist()
        given: list[Money] = list(map(facts.amounts.__getitem__, chosen))
        amounts: list[Money | None] = list(given)
        foreign = ~flags(map(eq, map(_CURRENCY, given), repeat(tally.currency)), True)
        for index in np.flatnonzero(foreign).tolist():
            row = chosen[index]
            subject = f"line:{partners[row]}:{facts.keys[row]}"
            amounts[index] = tally.convert(given[index], facts.earned_at[row], subject)
        self.add_line_table(
            [partners[i] for i in chosen],
            list(map(facts.kinds.__getitem__, chosen)),
            amounts,
            instants[chosen],
            list(map(facts.source_ids.__getitem__, chosen)),
        )

    def add_line_table(
        self,
        partners: list[str],
        kinds: list[LineKind],
        amounts: list[Money | None],
        instants: npt.NDArray[np.int64],
        sources: list[tuple[str, ...]],
    ) -> None:
        """Add the costs of lines, given field by field (an amount of None is left out).

        A line pays for the contents it names, and for the content of the partner's
        credit on each sale it names (its last credit on the sale, if it has several;
        :data:`NO_CONTENT` for a credit without one); a line that names none pays for
        all the partner's contents. A line that pays for one content adds to its cell
        by columns; one split between several is split on its own.
        """
        tally = self.tally
        count = len(partners)
        if not count:
            return
        codes = self.codes
        partner_codes = codes["partner"].encode(partners)
        components = codes["component"].encode(_COMPONENT[kind] for kind in kinds)
        fee = flags(kinds, LineKind.FEE)
        legs = np.where(
            fee, codes["leg"].encode([Leg.INFLUENCE])[0], codes["leg"].encode([Leg.AFFILIATE])[0]
        )
        # Each source a line names, and the content it pays for (-1: none).
        sizes = np.fromiter(map(len, sources), dtype=np.int64)
        named: list[str] = list(chain.from_iterable(sources))
        line_of = np.repeat(np.arange(count, dtype=np.int64), sizes)
        targets = self._targets(named, [partners[i] for i in line_of.tolist()])
        valid = targets >= 0
        # A line pays for one content when all the contents its sources name are one.
        found = np.bincount(line_of[valid], minlength=count)
        low = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        high = np.full(count, -1, dtype=np.int64)
        np.minimum.at(low, line_of[valid], targets[valid])
        np.maximum.at(high, line_of[valid], targets[valid])
        single = (found > 0) & (low == high)
        kept = np.fromiter((amount is not None for amount in amounts), np.bool_, count)
        simple = np.flatnonzero(single & kept)
        scale = 10 ** minor_unit(tally.currency)
        units = integers(
            [
                numerator * (scale // denominator)
                for numerator, denominator in map(
                    Decimal.as_integer_ratio,
                    map(_DECIMAL, map(amounts.__getitem__, simple.tolist())),
                )
            ]
        )
        self.chunks.append(
            (
                partner_codes[simple],
                components[simple],
                instants[simple],
                legs[simple],
                low[simple],
                units,
            )
        )
        # The others: lines that name no content (all the partner's contents), and those
        # split between several.
        target_names = codes["target"].values
        for index in np.flatnonzero(~single).tolist():
            amount = amounts[index]
            if amount is None:
                continue
            partner_id = partners[index]
            mine = targets[line_of == index]
            shared = [target_names[code] for code in mine[mine >= 0].tolist()]
            self.add_cost(
                amount,
                _COMPONENT[kinds[index]],
                partner_id,
                int(instants[index]),
                Leg.INFLUENCE if fee[index] else Leg.AFFILIATE,
                shared or self.by_partner.get(partner_id, []),
            )

    def _targets(self, named: list[str], partners: list[str]) -> npt.NDArray[np.int64]:
        """The code (in the target codes) of the content each source pays for; -1 for none."""
        tally = self.tally
        codes = self.codes["target"]
        result = np.full(len(named), -1, dtype=np.int64)
        is_content = members(named, tally.contents)
        result[is_content] = codes.encode(compress(named, is_content))
        # A sale: the content of the partner's last credit on it.
        credits = tally.credits
        sale = tally.sales.lookup(named)
        sale[is_content] = -1
        partner = credits.partner_codes.lookup(partners)
        wanted = (sale >= 0) & (partner >= 0)
        if not wanted.any() or not len(credits.conversion):
            return result
        span = len(credits.partner_codes)
        known = np.flatnonzero(credits.conversion >= 0)
        keys = credits.conversion[known] * span + credits.partners[known]
        # The last credit of each (sale, partner): after a stable sort by key, the last row
        # of each run of one key.
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        last = np.ones(len(ordered), dtype=np.bool_)
        last[:-1] = ordered[1:] != ordered[:-1]
        keys_last, rows_last = ordered[last], known[order[last]]
        looked = sale[wanted] * span + partner[wanted]
        at = np.minimum(np.searchsorted(keys_last, looked), len(keys_last) - 1)
        hit = keys_last[at] == looked
        content_ids = credits.content_ids
        contents = codes.encode(
            content_ids[row] or NO_CONTENT for row in rows_last[at[hit]].tolist()
        )
        places = np.flatnonzero(wanted)[hit]
        result[places] = contents
        return result

    def add_ledger_costs(self, entries: tuple[LedgerEntry, ...]) -> None:
        """Partner pay from ledger entries: what the brand paid and did not get back."""
        tally = self.tally
        periods = {(s.partner_id, s.period.label): s.period for s in tally.run.statements}
        partners: list[str] = []
        kinds: list[LineKind] = []
        amounts: list[Money | None] = []
        instants: list[int] = []
        sources: list[tuple[str, ...]] = []
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
                partners.append(entry.partner_id)
                kinds.append(entry.line_kind)
                amounts.append(amount)
                instants.append(micros_of(instant))
                sources.append(entry.source_ids)
        self.add_line_table(partners, kinds, amounts, np.array(instants, dtype=np.int64), sources)

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
            self.add_cost(
                amount,
                "extra_costs",
                extra.partner_id,
                micros_of(extra.incurred_at),
                leg,
                targets,
            )

    def add_cost(  # noqa: PLR0917 - the figure and the cell it lands in
        self,
        amount: Money,
        component: str,
        partner_id: str | None,
        instant: int,
        leg: Leg,
        targets: list[str],
    ) -> None:
        """Add a cost, split equally between the contents it pays for, to the table."""
        if len(set(targets)) <= 1:
            self._row(
                partner_id,
                component,
                instant,
                leg,
                targets[0] if targets else None,
                minor_units_of(amount),
            )
            return
        weights: dict[str | None, int] = defaultdict(int)
        for target in targets:
            weights[target] += 1
        for content_id, part in allocate(amount, dict(weights)).items():
            self._row(partner_id, component, instant, leg, content_id, part.minor_units)

    def _row(  # noqa: PLR0917 - one row of the table, field by field
        self,
        partner_id: str | None,
        component: str,
        instant: int,
        leg: Leg,
        content_id: str | None,
        units: int,
    ) -> None:
        self.partners.append(partner_id)
        self.components.append(component)
        self.instants.append(instant)
        self.legs.append(leg)
        self.targets.append(content_id)
        self.units.append(units)

    def book(self) -> None:
        """Add the table's rows to their cells, by group: one addition per cell and component."""
        tally, codes = self.tally, self.codes
        chunks = list(self.chunks)
        if self.units:
            chunks.append(
                (
                    codes["partner"].encode(self.partners),
                    codes["component"].encode(self.components),
                    np.array(self.instants, dtype=np.int64),
                    codes["leg"].encode(self.legs),
                    codes["target"].encode(self.targets),
                    integers(self.units),
                )
            )
        if not chunks or not sum(len(chunk[0]) for chunk in chunks):
            return
        partners, components, instants, legs, targets = (
            np.concatenate([chunk[field] for chunk in chunks]) for field in range(5)
        )
        units = np.concatenate([chunk[5] for chunk in chunks])
        if units.dtype != object and any(chunk[5].dtype == object for chunk in chunks):
            units = units.astype(object)
        labels, names = tally.period_codes(instants)
        group, first = group_of(partners, targets, labels, legs, components)
        sums = group_sums(group, len(first), units)
        partner_ids, target_ids = codes["partner"].values, codes["target"].values
        leg_values, component_names = codes["leg"].values, codes["component"].values
        for index, row in enumerate(first.tolist()):
            cell = tally.cell(
                partner_ids[int(partners[row])],
                target_ids[int(targets[row])],
                names[int(labels[row])],
                leg_values[int(legs[row])],
            )
            cell.costs[component_names[int(components[row])]] += sums[index]
