"""Revenue: sales and refunds booked by credit shares, and their rounding by largest remainder.

Each credited sale adds each partner's exact share of its net revenue (a third
of 50.00 is 50/3) to the partner's rows; a refund takes away the same shares,
at the sale's instant and exchange rate. :func:`settle` rounds the rows of one
breakdown once, so that they add up to the rounded total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from hybridroi.attribution.credits import Credit
from hybridroi.core.allocation import allocate_minor_units
from hybridroi.core.money import Money, Rounding, UnroundedMoney, minor_unit, scaled
from hybridroi.core.problems import ProblemKind
from hybridroi.core.rounding import round_minor
from hybridroi.domain.policy import TouchKind
from hybridroi.events.customers import new_customers
from hybridroi.events.records import Conversion, ConversionKind, Refund
from hybridroi.report.tally import Tally

__all__ = ["add_revenue", "places_of", "settle"]


def add_revenue(tally: Tally) -> None:
    """Book the credited and unattributed sales of the run, then their refunds.

    Args:
        tally: The report's running totals; its batch holds the sales and refunds.
    """
    _Revenue(tally).add()


class _Revenue:
    """Books the sales and refunds of one report into its tally."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        batch = tally.batch
        self.customers = new_customers(batch.conversions)
        self.click_ids = {touch.id for touch in batch.touches if touch.kind is TouchKind.CLICK}
        self.unattributed_ids = frozenset(tally.run.attribution.unattributed)
        self.margin_missing: dict[str, int] = defaultdict(int)
        self.scale = 10 ** minor_unit(tally.currency)

    def add(self) -> None:
        self.add_credits()
        self.add_unattributed()
        self.add_refunds()
        self.report_missing_margins()

    def _in_window(self, conversion_id: str, listed: str) -> Conversion | None:
        """The conversion ``listed`` by attribution, if it is in the batch and the window."""
        tally = self.tally
        conversion = tally.batch.conversion(conversion_id)
        if conversion is None:
            tally.report(
                ProblemKind.UNKNOWN_SALE,
                f"conversion:{conversion_id}",
                f"{listed} but missing from the events given to the report",
            )
            return None
        return conversion if tally.inside(conversion.instant, as_of_bound=False) else None

    def add_credits(self) -> None:
        tally = self.tally
        for conversion_id in tally.credited_ids():
            conversion = self._in_window(conversion_id, "credited by attribution")
            if conversion is not None:
                self.add_sale(conversion, tally.credits_by_conversion[conversion_id])

    def add_unattributed(self) -> None:
        tally = self.tally
        for conversion_id in sorted(self.unattributed_ids):
            conversion = self._in_window(conversion_id, "listed as unattributed")
            if conversion is None:
                continue
            value = tally.exact(
                conversion.revenue, conversion.instant, f"conversion:{conversion.id}"
            )
            if value is None:
                continue
            totals = tally.unattributed
            totals.sales_revenue += value
            totals.conversions += 1
            if conversion.kind is ConversionKind.SALE:
                totals.sales += 1
                totals.new_customer_counting |= 1 if conversion.new_customer is not None else 2
                if self.customers.of(conversion):
                    totals.new_customers += 1

    def add_sale(self, conversion: Conversion, credits: list[Credit]) -> None:
        """Add a credited sale: each partner's exact share of its value, never a rounded part."""
        tally = self.tally
        revenue = conversion.revenue
        if revenue.currency == tally.currency:
            numerator, denominator = revenue.amount.as_integer_ratio()
        else:
            value = tally.exact_ratio(revenue, conversion.instant, "conversion", conversion.id)
            if value is None:
                return
            numerator, denominator = value
        self.add_credit_values(conversion.id, numerator, denominator, credits)
        if tally.margin is None:
            gross_numerator, gross_denominator = 0, 1
        else:
            gross_numerator, gross_denominator = self.gross_of(conversion, revenue)
        is_sale = conversion.kind is ConversionKind.SALE
        is_new = is_sale and self.customers.of(conversion)
        counting = 1 if conversion.new_customer is not None else 2
        label = tally.period_label(conversion.instant)
        click_ids = self.click_ids
        for credit in credits:
            # Each cell adds the exact share of the exact value: numerators by denominator.
            share = credit.share
            part, whole = share.numerator, share.denominator
            partner_id = credit.partner_id
            cell = tally.cell(partner_id, credit.content_id, label, tally.leg(partner_id))
            cell.sales_revenue[denominator * whole] += numerator * part
            if gross_numerator:
                cell.gross_profit[gross_denominator * whole] += gross_numerator * part
            cell.conversions[whole] += part
            if is_sale:
                cell.sales[whole] += part
                cell.new_customer_counting |= counting
                if is_new:
                    cell.new_customers[whole] += part
                if credit.touch_id in click_ids:
                    cell.click_sales[whole] += part

    def add_credit_values(
        self, conversion_id: str, numerator: int, denominator: int, credits: list[Credit]
    ) -> None:
        """Record what each partner's share of a sale is worth, in minor units.

        Rows add the exact shares of the exact converted value and round once; the
        parts an assist is credited with are the rounded value split by largest
        remainder (as :func:`~hybridroi.core.allocation.allocate` splits it).
        """
        tally = self.tally
        scale = self.scale
        if scale % denominator == 0:
            units = numerator * (scale // denominator)
        else:
            units = round_minor(Fraction(numerator * scale, denominator))
        if len(credits) == 1:
            # A single part of a split is the whole amount: kept by sale alone.
            tally.sole_credit_value[conversion_id] = units
            return
        shares = {credit.partner_id: credit.share for credit in credits}
        keys = sorted(shares)
        parts = allocate_minor_units(units, [Fraction(shares[key]) for key in keys])
        for key, part in zip(keys, parts, strict=True):
            tally.credit_value[(conversion_id, key)] = part

    def gross_of(self, conversion: Conversion, amount: Money) -> tuple[int, int]:
        """The exact gross profit on ``amount`` of ``conversion``, as an integer ratio."""
        tally = self.tally
        if tally.margin is None:
            return (0, 1)
        exact = self.profit_of(conversion, amount)
        tally.gross_places = max(tally.gross_places, places_of(exact))
        return exact.as_integer_ratio()

    def add_refunds(self) -> None:
        # The batch's refunds each belong to one of its sales and never exceed it.
        tally = self.tally
        for refund in tally.batch.refunds:
            if refund.instant > tally.run.as_of:
                continue
            conversion = tally.batch.conversion(refund.conversion_id)
            # A refund counts with its sale: in the sale's period and window, where the
            # commission engine reprices the sale's line (see add_refund).
            if conversion is None or not tally.inside(conversion.instant, as_of_bound=False):
                continue
            credits = tally.credits_by_conversion.get(conversion.id)
            if credits:
                self.add_refund(refund, conversion, credits)
            elif conversion.id in self.unattributed_ids:
                value = tally.exact(refund.amount, conversion.instant, f"refund:{refund.id}")
                if value is not None:
                    tally.unattributed.refunds += value

    def add_refund(self, refund: Refund, conversion: Conversion, credits: list[Credit]) -> None:
        # A refund reverses at the sale's rate, like the sale itself, and is shared
        # in the sale's exact shares.
        tally = self.tally
        value = tally.exact_ratio(refund.amount, conversion.instant, "refund", refund.id)
        if value is None:
            return
        numerator, denominator = value
        gross_numerator, gross_denominator = self.gross_of(conversion, refund.amount)
        # Booked at the sale's instant: a refund lowers the commission of the sale's
        # period (the engine reprices that line), so the revenue it takes away lands in
        # the same period, and each period's revenue matches its cost.
        label = tally.period_label(conversion.instant)
        for credit in credits:
            share = credit.share
            part, whole = share.numerator, share.denominator
            partner_id = credit.partner_id
            cell = tally.cell(partner_id, credit.content_id, label, tally.leg(partner_id))
            cell.refunds[denominator * whole] += numerator * part
            if gross_numerator:
                cell.gross_profit[gross_denominator * whole] -= gross_numerator * part

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
