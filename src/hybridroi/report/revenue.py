"""Revenue: sales and refunds booked by credit shares, and their rounding by largest remainder.

Each credited sale adds each partner's exact share of its net revenue (a third
of 50.00 is 50/3) to the partner's rows; a refund takes away the same shares,
at the sale's instant and exchange rate. :func:`settle` rounds the rows of one
breakdown once, so that they add up to the rounded total.

The sales, refunds and credits are read once into columns; each cell then adds, for
each denominator, the sum of its credits' numerators (``value numerator x share
numerator`` over ``value denominator x share denominator``), found by one grouped sum
over the credits (see :func:`~hybridroi.report.columns.group_sums`). Only what needs
an object of its own is handled one at a time: a conversion missing from the events
or in another currency, a refund in another currency, and gross profit (the margin's
rule reads the sale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from itertools import compress, repeat
from operator import attrgetter, is_

import numpy as np
import numpy.typing as npt

from hybridroi.core.allocation import allocate_minor_units
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit, scaled
from hybridroi.core.problems import ProblemKind
from hybridroi.core.rounding import round_minor
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Conversion
from hybridroi.report.columns import (
    Codes,
    distinct,
    group_of,
    group_sums,
    integers,
    members,
    micros,
    micros_of,
    products,
    ranges,
)
from hybridroi.report.tally import Tally

__all__ = ["add_revenue", "places_of", "settle"]


def add_revenue(tally: Tally) -> None:
    """Book the credited and unattributed sales of the run, then their refunds.

    Args:
        tally: The report's running totals; its batch holds the sales and refunds.
    """
    _Revenue(tally).add()


_INSTANT = attrgetter("instant")
_AMOUNT = attrgetter("amount")
_CONVERSION_ID = attrgetter("conversion_id")
_ID = attrgetter("id")
_KIND = attrgetter("kind")


class _Values:
    """Exact amounts in the reporting currency, one per row, as ``numerators / denominators``.

    Attributes:
        numerators: The numerator of each amount (exact integers).
        denominators: The code of each amount's denominator, in ``codes``.
        codes: The dictionary of denominators (few: the currency's scale, and those
            of converted amounts).
    """

    def __init__(self, ratios: list[tuple[int, int]]) -> None:
        self.codes = Codes()
        self.numerators = integers([numerator for numerator, _ in ratios])
        self.denominators = self.codes.encode(denominator for _, denominator in ratios)

    def total(self) -> Fraction:
        """The exact sum of the amounts."""
        sums = group_sums(self.denominators, len(self.codes), self.numerators)
        return sum(
            (Fraction(numerator, self.codes.values[code]) for code, numerator in enumerate(sums)),
            Fraction(0),
        )


class _Revenue:
    """Books the sales and refunds of one report into its tally, by columns."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.sales = tally.sales
        self.credits = tally.credits
        self.margin_missing: dict[str, int] = defaultdict(int)
        self.scale = 10 ** minor_unit(tally.currency)
        count = len(self.sales.conversions)
        # The period row of each sale booked or refunded, by batch position (-1: none).
        self.labels = np.full(count, -1, dtype=np.int64)
        self.label_names: list[str] = []

    def add(self) -> None:
        self.add_credits()
        self.add_unattributed()
        self.add_refunds()
        self.report_missing_margins()

    def _booked(
        self, known: npt.NDArray[np.int64], missing: list[str], listed: str
    ) -> tuple[npt.NDArray[np.int64], dict[int, tuple[int, int]]]:
        """The conversions to book, in the window, and the value of those in another currency.

        Args:
            known: The positions in the batch of the conversions listed (distinct).
            missing: The ids listed that are not in the batch.
            listed: Why they were listed, for the problems.

        Conversions missing from the batch, and those in another currency without a
        rate, are reported in order of id and left out.

        Returns:
            The positions of the conversions to book, and the exact value of those in
            another currency.
        """
        tally, sales = self.tally, self.sales
        inside = known[sales.inside[known]]
        conversions = sales.conversions
        special: list[tuple[str, int]] = [(key, -1) for key in missing]
        special.extend(
            (conversions[at].id, at) for at in inside[~sales.same_currency[inside]].tolist()
        )
        foreign: dict[int, tuple[int, int]] = {}
        refused: list[int] = []
        for key, at in sorted(special):
            if at < 0:
                tally.report(
                    ProblemKind.UNKNOWN_SALE,
                    f"conversion:{key}",
                    f"{listed} but missing from the events given to the report",
                )
                continue
            conversion = conversions[at]
            value = tally.exact_ratio(
                conversion.revenue, conversion.instant, "conversion", conversion.id
            )
            if value is None:
                refused.append(at)
            else:
                foreign[at] = value
        if refused:
            inside = inside[~np.isin(inside, np.array(refused, dtype=np.int64))]
        return inside, foreign

    def _values(
        self, positions: npt.NDArray[np.int64], foreign: dict[int, tuple[int, int]]
    ) -> _Values:
        """The exact value of the sales at ``positions``, in the reporting currency."""
        revenues, scale = self.sales.revenues, self.scale
        at = positions.tolist()
        # An amount in the reporting currency is a whole number of its minor units.
        ratios = [
            (numerator * (scale // denominator), scale)
            for numerator, denominator in map(
                Decimal.as_integer_ratio, map(_AMOUNT, map(revenues.__getitem__, at))
            )
        ]
        if foreign:
            for index, position in enumerate(at):
                value = foreign.get(position)
                if value is not None:
                    ratios[index] = value
        return _Values(ratios)

    def _label(self, positions: npt.NDArray[np.int64]) -> None:
        """Find the period row of the sales at ``positions`` (not yet found)."""
        wanted = positions[self.labels[positions] < 0]
        if not len(wanted):
            return
        wanted = distinct(wanted)
        codes, names = self.tally.period_codes(self.sales.instants[wanted])
        index = {name: i for i, name in enumerate(self.label_names)}
        for name in names:
            if name not in index:
                index[name] = len(self.label_names)
                self.label_names.append(name)
        self.labels[wanted] = np.array([index[name] for name in names], dtype=np.int64)[codes]

    def add_credits(self) -> None:
        tally, sales, credits = self.tally, self.sales, self.credits
        listed = credits.conversion
        missing = sorted({credits.conversion_ids[i] for i in np.flatnonzero(listed < 0).tolist()})
        positions, foreign = self._booked(
            distinct(listed[listed >= 0]), missing, "credited by attribution"
        )
        values = self._values(positions, foreign)
        # What each booked sale is worth in minor units, for the assists' credited parts.
        scale = self.scale
        denominators = values.codes.values
        if denominators in ([], [scale]):
            sale_units = values.numerators
        else:
            sale_units = integers(
                [
                    numerator * (scale // denominator)
                    if scale % denominator == 0
                    else round_minor(Fraction(numerator * scale, denominator))
                    for numerator, denominator in zip(
                        values.numerators.tolist(),
                        map(denominators.__getitem__, values.denominators.tolist()),
                        strict=True,
                    )
                ]
            )
        tally.sale_units = np.zeros(len(sales.conversions), dtype=sale_units.dtype)
        tally.sale_units[positions] = sale_units
        gross = self._gross(
            [sales.conversions[at] for at in positions.tolist()],
            [sales.revenues[at] for at in positions.tolist()],
        )
        self._label(positions)
        # Each booked sale's row among the booked ones, by batch position.
        row_of = np.full(len(sales.conversions), -1, dtype=np.int64)
        row_of[positions] = np.arange(len(positions), dtype=np.int64)
        rows = row_of[np.where(credits.conversion >= 0, credits.conversion, 0)]
        chosen = np.flatnonzero((credits.conversion >= 0) & (rows >= 0))
        sale_rows = rows[chosen]
        at = positions[sale_rows]
        clicks = self._click_ids()
        is_click = members(map(credits.touch_ids.__getitem__, chosen.tolist()), clicks)
        is_sale = sales.is_sale[at]
        self._book(
            chosen,
            at,
            values,
            sale_rows,
            gross,
            sign=1,
            counts=(is_sale, is_sale & sales.new[at], is_sale & is_click, sales.given[at]),
        )

    def _click_ids(self) -> set[str]:
        touches = self.tally.touches
        click = TouchKind.CLICK
        return set(compress(touches.ids, map(is_, touches.kinds, repeat(click))))

    def _gross(self, conversions: list[Conversion], amounts: list[Money]) -> _Values | None:
        """The exact gross profit on each amount of its conversion; None without a margin."""
        if self.tally.margin is None:
            return None
        return _Values(
            [
                self.gross_of(conversion, amount)
                for conversion, amount in zip(conversions, amounts, strict=True)
            ]
        )

    def _book(
        self,
        chosen: npt.NDArray[np.int64],
        at: npt.NDArray[np.int64],
        values: _Values,
        value_rows: npt.NDArray[np.int64],
        gross: _Values | None,
        *,
        sign: int,
        counts: tuple[npt.NDArray[np.bool_], ...] | None = None,
    ) -> None:
        """Add the exact shares of ``chosen`` credits of the amounts ``values[value_rows]``.

        Each cell adds, for each denominator, the sum of the numerators over it (see
        :class:`~hybridroi.report.tally.Cell`): a group is a cell and a denominator.
        A sale (``sign`` 1) adds its revenue and credited counts; a refund (``sign`` -1)
        adds to the refunds and takes its gross profit away.
        """
        tally, credits = self.tally, self.credits
        partners = credits.partners[chosen]
        contents = credits.contents[chosen]
        labels = self.labels[at]
        wholes = credits.wholes[chosen]
        parts = credits.parts[chosen]
        denominators = values.denominators[value_rows]
        group, first = group_of(partners, contents, labels, denominators, wholes)
        numerators = products(values.numerators[value_rows], parts)
        sums = group_sums(group, len(first), numerators)
        # A sale's credited counts, by group: conversions, sales, new customers, sales
        # tracked to a click, and how many of the sales' new-customer flags were given
        # and derived.
        figures: list[list[int]] = []
        if counts is not None:
            is_sale, is_new, is_click, given = counts
            zero = np.zeros(len(chosen), dtype=parts.dtype)
            figures = [
                group_sums(group, len(first), parts),
                group_sums(group, len(first), np.where(is_sale, parts, zero)),
                group_sums(group, len(first), np.where(is_new, parts, zero)),
                group_sums(group, len(first), np.where(is_click, parts, zero)),
                group_sums(group, len(first), (is_sale & given).astype(np.int64)),
                group_sums(group, len(first), (is_sale & ~given).astype(np.int64)),
            ]
        partner_ids, content_ids = credits.partner_codes.values, credits.content_codes.values
        whole_values, denominator_values = credits.whole_codes.values, values.codes.values
        names = self.label_names
        for index, row in enumerate(first.tolist()):
            partner_id = partner_ids[int(partners[row])]
            cell = tally.cell(
                partner_id,
                content_ids[int(contents[row])],
                names[int(labels[row])],
                tally.leg(partner_id),
            )
            whole = whole_values[int(wholes[row])]
            denominator = denominator_values[int(denominators[row])] * whole
            if sign > 0:
                cell.sales_revenue[denominator] += sums[index]
            else:
                cell.refunds[denominator] += sums[index]
            if figures:
                cell.conversions[whole] += figures[0][index]
                if figures[1][index] or figures[4][index] or figures[5][index]:
                    cell.sales[whole] += figures[1][index]
                    cell.new_customers[whole] += figures[2][index]
                    cell.click_sales[whole] += figures[3][index]
                    cell.new_customer_counting |= (1 if figures[4][index] else 0) | (
                        2 if figures[5][index] else 0
                    )
        if gross is not None:
            self._book_gross(chosen, labels, gross, value_rows, sign)

    def _book_gross(
        self,
        chosen: npt.NDArray[np.int64],
        labels: npt.NDArray[np.int64],
        gross: _Values,
        value_rows: npt.NDArray[np.int64],
        sign: int,
    ) -> None:
        """Add (``sign`` 1) or take away (-1) the exact shares of the gross profits."""
        tally, credits = self.tally, self.credits
        partners, contents = credits.partners[chosen], credits.contents[chosen]
        wholes, denominators = credits.wholes[chosen], gross.denominators[value_rows]
        group, first = group_of(partners, contents, labels, denominators, wholes)
        numerators = products(gross.numerators[value_rows], credits.parts[chosen])
        sums = group_sums(group, len(first), numerators)
        partner_ids, content_ids = credits.partner_codes.values, credits.content_codes.values
        for index, row in enumerate(first.tolist()):
            if not sums[index]:
                continue
            partner_id = partner_ids[int(partners[row])]
            cell = tally.cell(
                partner_id,
                content_ids[int(contents[row])],
                self.label_names[int(labels[row])],
                tally.leg(partner_id),
            )
            whole = credits.whole_codes.values[int(wholes[row])]
            denominator = gross.codes.values[int(denominators[row])] * whole
            cell.gross_profit[denominator] += sign * sums[index]

    def add_unattributed(self) -> None:
        tally, sales = self.tally, self.sales
        ids = sorted(frozenset(tally.run.attribution.unattributed))
        found = sales.lookup(ids)
        missing = [ids[i] for i in np.flatnonzero(found < 0).tolist()]
        positions, foreign = self._booked(found[found >= 0], missing, "listed as unattributed")
        values = self._values(positions, foreign)
        totals = tally.unattributed
        totals.sales_revenue += values.total()
        totals.conversions += len(positions)
        is_sale = sales.is_sale[positions]
        totals.sales += int(is_sale.sum())
        given = sales.given[positions]
        if (is_sale & given).any():
            totals.new_customer_counting |= 1
        if (is_sale & ~given).any():
            totals.new_customer_counting |= 2
        totals.new_customers += int((is_sale & sales.new[positions]).sum())

    def add_refunds(self) -> None:
        # The batch's refunds each belong to one of its sales and never exceed it.
        tally, sales, credits = self.tally, self.sales, self.credits
        refunds = tally.batch.refunds
        position = sales.position
        at = np.fromiter(
            (position.get(key, -1) for key in map(_CONVERSION_ID, refunds)), np.int64, len(refunds)
        )
        keep = (micros(map(_INSTANT, refunds)) <= micros_of(tally.run.as_of)) & (at >= 0)
        # A refund counts with its sale: in the sale's period and window, where the
        # commission engine reprices the sale's line.
        keep[keep] = sales.inside[at[keep]]
        order, starts = credits.grouped
        credit_count = starts[1:] - starts[:-1]
        unattributed = {
            i for key in tally.run.attribution.unattributed if (i := position.get(key)) is not None
        }
        credited = keep & (credit_count[np.where(at >= 0, at, 0)] > 0)
        apart = keep & ~credited
        if unattributed:
            apart[apart] = np.isin(at[apart], np.array(sorted(unattributed), np.int64))
        else:
            apart[:] = False
        amounts = list(map(_AMOUNT, refunds))
        # Refunds in another currency are converted at their sale's instant, in batch order,
        # so that a missing rate is reported as the refund's.
        ratios: dict[int, tuple[int, int]] = {}
        refused: list[int] = []
        scale = self.scale
        for index in np.flatnonzero(credited | apart).tolist():
            amount = amounts[index]
            if amount.currency == tally.currency:
                numerator, denominator = amount.amount.as_integer_ratio()
                ratios[index] = (numerator * (scale // denominator), scale)
                continue
            conversion = sales.conversions[int(at[index])]
            value = tally.exact_ratio(amount, conversion.instant, "refund", refunds[index].id)
            if value is None:
                refused.append(index)
            else:
                ratios[index] = value
        if refused:
            credited[refused] = False
            apart[refused] = False
        booked_apart = np.flatnonzero(apart)
        tally.unattributed.refunds += _Values([ratios[i] for i in booked_apart.tolist()]).total()
        rows = np.flatnonzero(credited)
        values = _Values([ratios[i] for i in rows.tolist()])
        refunded = at[rows]
        gross = self._gross(
            [sales.conversions[i] for i in refunded.tolist()],
            [amounts[i] for i in rows.tolist()],
        )
        # Each refund is shared between its sale's credits in their exact shares.
        per = credit_count[refunded]
        value_rows = np.repeat(np.arange(len(rows), dtype=np.int64), per)
        chosen = order[np.repeat(starts[refunded], per) + ranges(per)]
        self._label(refunded)
        self._book(chosen, refunded[value_rows], values, value_rows, gross, sign=-1)

    def gross_of(self, conversion: Conversion, amount: Money) -> tuple[int, int]:
        """The exact gross profit on ``amount`` of ``conversion``, as an integer ratio."""
        tally = self.tally
        if tally.margin is None:
            return (0, 1)
        exact = self.profit_of(conversion, amount)
        tally.gross_places = max(tally.gross_places, places_of(exact))
        return exact.as_integer_ratio()

    def profit_of(self, conversion: Conversion, amount: Money) -> Decimal:
        tally = self.tally
        if tally.margin is None:
            return Decimal(0)
        result = tally.margin.gross_profit(conversion, amount)
        if isinstance(result, str):
            self.margin_missing[result] += 1
            return Decimal(0)
        if result.currency != tally.currency:
            # Converted at the sale's rate, exactly, before any rounding.
            rate, _ = tally.campaign.fx.rate_at(result.currency, tally.currency, conversion.instant)
            return (UnroundedMoney(result.amount, result.currency) * rate).amount
        return result.amount

    def report_missing_margins(self) -> None:
        for message, count in sorted(self.margin_missing.items()):
            self.tally.report(
                ProblemKind.INVALID,
                "margin",
                f"{message}: {count} credited amount(s) add no gross profit",
                "margin",
            )


def places_of(value: Decimal) -> int:
    """The decimal places ``value`` is written with.

    Args:
        value: A decimal.

    Returns:
        The number of digits after its point (zero for an integral exponent).
    """
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def settle(exact: Mapping[str, Fraction], places: int) -> dict[str, Decimal]:
    """Round the rows of one breakdown once, so that they still add up to the rounded total.

    Each row is the exact sum of its credited shares. The total is rounded half-up
    to ``places`` decimals, then split by largest remainder: every row gets its
    exact amount rounded down, and the units left over go one each to the rows
    with the largest remainders (ties: the larger row, then the row key in sorted
    order, as :func:`hybridroi.core.allocation.allocate` breaks them). Every row
    is within one unit of its exact amount, whatever the order of partner ids.

    Args:
        exact: The exact amount of each row, by row key.
        places: The decimal places to round to.

    Returns:
        The rounded amount of each row, by row key.
    """
    scale = 10**places
    keys = sorted(exact)
    units = [exact[key] * scale for key in keys]
    total = sum(units, Fraction(0))
    rounded = round_minor(total, rounding=Rounding.HALF_UP)
    if all(unit >= 0 for unit in units) and rounded > 0:
        parts = allocate_minor_units(rounded, units)
    else:
        # Rows of both signs (a gross profit net of refunds): the same rule, by hand.
        parts = [unit.numerator // unit.denominator for unit in units]
        remainders = [unit - part for unit, part in zip(units, parts, strict=True)]
        order = sorted(range(len(keys)), key=lambda i: (-remainders[i], -units[i], i))
        for i in order[: max(0, rounded - sum(parts))]:
            parts[i] += 1
    return {key: scaled(part, -places) for key, part in zip(keys, parts, strict=True)}
