"""The running totals of a report while it is built, and where each figure lands.

A :class:`Tally` holds one :class:`RowTotals` per row of every breakdown. The
modules that read the run (:mod:`~hybridroi.report.revenue`,
:mod:`~hybridroi.report.costs`, :mod:`~hybridroi.report.engagement`) add the
figures to their :class:`Cell`: the finest grouping of the report (partner,
content, period, leg), whose projection on each breakdown is one of its rows.
:meth:`Tally.fold` then adds each cell to its row in every breakdown, once per
cell rather than once per figure, and :mod:`~hybridroi.report.breakdowns` rounds
and assembles the rows.

The run's sales and credits are read once, into the columns of
:class:`SaleColumns` and :class:`CreditColumns` (see
:mod:`~hybridroi.report.columns`); the modules add them by group, so that a cell
receives one sum per figure and denominator rather than one addition per credit.

A cell adds exact amounts and shares as integer numerators by denominator (a
sale of EUR 12.34 credited in full adds 1234 to the numerator over 100); folding
turns each sum into one exact :class:`~fractions.Fraction`. Fractions are exact
and canonical, so the rows are the very sums of the figures, whatever the grouping.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from fractions import Fraction
from itertools import count as count_from
from itertools import repeat
from operator import attrgetter, eq

import numpy as np
import numpy.typing as npt

from hybridroi.attribution.credits import CreditRole
from hybridroi.core.allocation import allocate_minor_units
from hybridroi.core.errors import InvalidValueError, MissingRateError
from hybridroi.core.money import Money, Rounding, minor_unit
from hybridroi.core.periods import Period, PeriodKind, period_of
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import is_utc_zone
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Content, Partner
from hybridroi.events.columns import TouchColumns, touch_columns
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import ConversionKind
from hybridroi.ledger.entries import LedgerEntry
from hybridroi.report.columns import (
    Codes,
    Integers,
    distinct,
    flags,
    group_of,
    instant_of,
    integers,
    members,
    micros,
    micros_of,
)
from hybridroi.report.margin import GrossMargin
from hybridroi.report.records import COST_COMPONENTS, NO_CONTENT, UNASSIGNED, Dimension, Leg
from hybridroi.statements.lines import StatementRun

__all__ = [
    "Cell",
    "CreditColumns",
    "RowTotals",
    "SaleColumns",
    "Tally",
    "batch_of",
    "exact_sum",
    "minor_units_of",
]


def batch_of(run: StatementRun) -> EventBatch:
    """The checked events ``run`` was priced from.

    Args:
        run: A statement run.

    Returns:
        Its batch.

    Raises:
        InvalidValueError: If the run carries no batch.
    """
    if run.batch is None:
        raise InvalidValueError(
            "run.batch",
            None,
            "the checked events the run was priced from (compute the run with compute_statements)",
        )
    return run.batch


# The figures a row of the report sums, held as slots by both kinds of totals below.
_ROW_FIELDS = (
    "click_sales",
    "clicks",
    "contents",
    "conversions",
    "costs",
    "engagements",
    "gross_profit",
    "new_customer_counting",
    "new_customers",
    "posts",
    "reach",
    "refunds",
    "sales",
    "sales_revenue",
    "views",
)


class RowTotals:
    """Mutable running totals of one row while the report is built."""

    __slots__ = _ROW_FIELDS

    def __init__(self) -> None:
        # Exact sums of credited shares; each breakdown rounds them once (see revenue.settle).
        self.sales_revenue = Fraction(0)
        self.refunds = Fraction(0)
        self.gross_profit = Fraction(0)
        # In integer minor units of the reporting currency: sums stay exact at any size.
        self.costs: dict[str, int] = dict.fromkeys(COST_COMPONENTS, 0)
        self.conversions = Fraction(0)
        self.sales = Fraction(0)
        self.new_customers = Fraction(0)
        self.new_customer_counting = 0  # 1: a flag given, 2: a flag derived
        self.click_sales = Fraction(0)
        self.clicks = 0
        self.views = 0
        self.reach = 0
        self.engagements = 0
        self.posts = 0
        self.contents: set[str] = set()

    def absorb(self, cell: Cell) -> None:
        """Add the figures of ``cell``, one of the cells this row groups."""
        self.sales_revenue += exact_sum(cell.sales_revenue)
        self.refunds += exact_sum(cell.refunds)
        self.gross_profit += exact_sum(cell.gross_profit)
        self.conversions += exact_sum(cell.conversions)
        self.sales += exact_sum(cell.sales)
        self.new_customers += exact_sum(cell.new_customers)
        self.click_sales += exact_sum(cell.click_sales)
        costs = self.costs
        for name, units in cell.costs.items():
            costs[name] += units
        self.new_customer_counting |= cell.new_customer_counting
        self.clicks += cell.clicks
        self.views += cell.views
        self.reach += cell.reach
        self.engagements += cell.engagements
        self.posts += cell.posts
        self.contents |= cell.contents


class Cell:
    """Mutable running totals of one cell: a (partner, content, period, leg) group.

    The exact figures (revenue, refunds, gross profit and the credited counts) are
    held as sums of integer numerators by denominator: ``{100: 1234}`` is 12.34.
    :func:`exact_sum` gives their exact value. The other figures are as in
    :class:`RowTotals`.
    """

    __slots__ = _ROW_FIELDS

    def __init__(self) -> None:
        self.sales_revenue: defaultdict[int, int] = defaultdict(int)
        self.refunds: defaultdict[int, int] = defaultdict(int)
        self.gross_profit: defaultdict[int, int] = defaultdict(int)
        self.conversions: defaultdict[int, int] = defaultdict(int)
        self.sales: defaultdict[int, int] = defaultdict(int)
        self.new_customers: defaultdict[int, int] = defaultdict(int)
        self.click_sales: defaultdict[int, int] = defaultdict(int)
        self.costs: dict[str, int] = dict.fromkeys(COST_COMPONENTS, 0)
        self.new_customer_counting = 0
        self.clicks = 0
        self.views = 0
        self.reach = 0
        self.engagements = 0
        self.posts = 0
        self.contents: set[str] = set()

    def merge(self, other: Cell) -> None:
        """Add the figures of ``other``, exactly (integer numerators by denominator)."""
        for mine, theirs in (
            (self.sales_revenue, other.sales_revenue),
            (self.refunds, other.refunds),
            (self.gross_profit, other.gross_profit),
            (self.conversions, other.conversions),
            (self.sales, other.sales),
            (self.new_customers, other.new_customers),
            (self.click_sales, other.click_sales),
        ):
            for denominator, numerator in theirs.items():
                mine[denominator] += numerator
        costs = self.costs
        for name, units in other.costs.items():
            costs[name] += units
        self.new_customer_counting |= other.new_customer_counting
        self.clicks += other.clicks
        self.views += other.views
        self.reach += other.reach
        self.engagements += other.engagements
        self.posts += other.posts
        self.contents |= other.contents


def _fixed_offset(zone: tzinfo | None) -> bool:
    """Whether ``zone`` is known to keep one offset: a ``timezone``, or a UTC ``ZoneInfo``."""
    return isinstance(zone, timezone) or is_utc_zone(zone)


def exact_sum(numerators: Mapping[int, int]) -> Fraction:
    """The exact value of a sum held as integer numerators by denominator.

    Args:
        numerators: For each denominator, the sum of the numerators over it.

    Returns:
        The sum of every ``numerator / denominator``, exactly.

    >>> exact_sum({100: 1234, 3: 1})
    Fraction(1901, 150)
    """
    return sum(
        (Fraction(numerator, denominator) for denominator, numerator in numerators.items()),
        Fraction(0),
    )


def minor_units_of(amount: Money) -> int:
    """``amount.minor_units``, read from the amount's exact integer ratio.

    Args:
        amount: An amount (always a whole number of its currency's minor units).

    Returns:
        The amount in minor units.

    >>> minor_units_of(Money("12.34", "EUR")), minor_units_of(Money("-5", "JPY"))
    (1234, -5)
    """
    numerator, denominator = amount.amount.as_integer_ratio()
    units: int = numerator * (10 ** minor_unit(amount.currency) // denominator)
    return units


class Tally:
    """The running totals of every breakdown, and the campaign and run they read.

    Args:
        campaign: The campaign.
        run: Its statement run.
        batch: The checked events the run was priced from.
        margin: The gross margin, if any.
        bounds: The report's window ``[start, end)``, or ``None``.
        period_kind: The kind of period of the period breakdown.
        ledger_entries: Ledger entries that give partner pay, if any.
    """

    def __init__(
        self,
        campaign: Campaign,
        run: StatementRun,
        batch: EventBatch,
        *,
        margin: GrossMargin | None,
        bounds: tuple[datetime, datetime] | None,
        period_kind: PeriodKind,
        ledger_entries: tuple[LedgerEntry, ...] | None = None,
    ) -> None:
        self.campaign = campaign
        self.run = run
        self.batch = batch
        self.ledger_entries = ledger_entries
        self.currency = campaign.currency
        self.margin = margin
        self.bounds = bounds
        self.period_kind = period_kind
        self.partners: dict[str, Partner] = {p.id: p for p in campaign.partners}
        self.contents: dict[str, Content] = {c.id: c for c in campaign.contents}
        self.deal_partners = {deal.partner_id for deal in campaign.deals}
        self.rows: dict[Dimension, dict[str, RowTotals]] = {d: {} for d in Dimension}
        self.period_starts: dict[str, datetime] = {}
        self._starts: list[datetime] = []
        self._known: list[Period] = []
        # The period found last: figures are mostly read in time order, so the next one
        # usually falls in it.
        self._last: tuple[tzinfo | None, datetime, datetime, str] | None = None
        self.cells: dict[tuple[str | None, str | None, str, Leg], Cell] = {}
        self.problems: list[Problem] = []
        # What each credited sale booked is worth, in minor units, by its position in
        # the batch (0 for the sales not booked); revenue sets it, assists read it.
        self.sale_units: Integers = np.zeros(len(batch.conversions), dtype=np.int64)
        self.unattributed = RowTotals()
        # Decimal places of the exact gross profits added, so rows keep them all.
        self.gross_places = minor_unit(self.currency)

    def inside(self, instant: datetime, *, as_of_bound: bool = True) -> bool:
        """Whether a figure at ``instant`` counts: in the window (and by ``as_of``)."""
        if as_of_bound and instant > self.run.as_of:
            return False
        return self.bounds is None or self.bounds[0] <= instant < self.bounds[1]

    @functools.cached_property
    def touches(self) -> TouchColumns:
        """The batch's touches as columns (their own, or built once from the records)."""
        return touch_columns(self.batch.touches)

    @functools.cached_property
    def sales(self) -> SaleColumns:
        """The columns of the batch's conversions (read once)."""
        return SaleColumns(self)

    @functools.cached_property
    def credits(self) -> CreditColumns:
        """The columns of the run's credits (read once)."""
        return CreditColumns(self)

    def inside_micros(
        self, instants: npt.NDArray[np.int64], *, as_of_bound: bool = True
    ) -> npt.NDArray[np.bool_]:
        """:meth:`inside` of each instant of a column of microseconds since the epoch."""
        keep = np.ones(len(instants), dtype=np.bool_)
        if as_of_bound:
            keep &= instants <= micros_of(self.run.as_of)
        if self.bounds is not None:
            start, end = (micros_of(bound) for bound in self.bounds)
            keep &= (instants >= start) & (instants < end)
        return keep

    def period_codes(
        self, instants: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], list[str]]:
        """The period row of each instant of a column (see :meth:`period_label`).

        Args:
            instants: Microseconds since the epoch.

        Returns:
            ``(codes, labels)``: the code of each instant's period and the label of
            each code. Only the periods that hold an instant are looked up, once each.
        """
        if self.period_kind is PeriodKind.CAMPAIGN:
            self.period_starts.setdefault("campaign", self.campaign.start)
            return np.zeros(len(instants), dtype=np.int64), ["campaign"]
        found_instants = distinct(instants)
        starts: list[int] = []
        labels: list[str] = []
        index = 0
        # Periods tile time: each lookup finds the period of the earliest instant not yet
        # placed, and every instant before its end belongs to it.
        while index < len(found_instants):
            found = self.period_at(instant_of(int(found_instants[index])))
            starts.append(micros_of(found.start))
            labels.append(found.label)
            index = int(np.searchsorted(found_instants, micros_of(found.end), side="left"))
        codes = np.searchsorted(np.array(starts, dtype=np.int64), instants, side="right") - 1
        return codes.astype(np.int64), labels

    def period_label(self, instant: datetime) -> str:
        """The label of the period row ``instant`` lands in."""
        last = self._last
        if last is not None:
            zone, start, end, label = last
            if (zone is None or zone is instant.tzinfo) and start <= instant < end:
                return label
        if self.period_kind is PeriodKind.CAMPAIGN:
            self.period_starts.setdefault("campaign", self.campaign.start)
            return "campaign"
        return self.period_at(instant).label

    def period_at(self, instant: datetime) -> Period:
        """The period ``instant`` lands in, when the breakdown has calendar periods.

        Args:
            instant: An aware instant.

        Returns:
            Its period of :attr:`period_kind` in the campaign's time zone (not
            :attr:`PeriodKind.CAMPAIGN`, which :meth:`period_label` handles).
        """
        # Periods tile time, so the known ones, sorted by start, are found by bisection.
        index = bisect.bisect_right(self._starts, instant) - 1
        if index >= 0 and instant < self._known[index].end:
            found = self._known[index]
        else:
            found = period_of(instant, self.period_kind, self.campaign.timezone)
            self._starts.insert(index + 1, found.start)
            self._known.insert(index + 1, found)
            self.period_starts[found.label] = found.start
        zone = instant.tzinfo
        if _fixed_offset(zone):
            # Instants of one fixed-offset zone compare with bounds in that same zone
            # field by field, without an offset lookup on each side.
            start, end = found.start.astimezone(zone), found.end.astimezone(zone)
            self._last = (zone, start, end, found.label)
        else:
            self._last = (None, found.start, found.end, found.label)
        return found

    def cell(self, partner_id: str | None, content_id: str | None, label: str, leg: Leg) -> Cell:
        """The cell a figure lands in (made when first used).

        Args:
            partner_id: The partner (``None``: the campaign-level row).
            content_id: The content, for the platform and format rows (``None``, or a
                content the campaign does not have: none).
            label: The label of the period (see :meth:`period_label`).
            leg: The leg.

        Returns:
            The cell; :meth:`fold` adds it to its row of every breakdown.
        """
        key = (partner_id, content_id if content_id in self.contents else None, label, leg)
        found = self.cells.get(key)
        if found is None:
            found = self.cells[key] = Cell()
        return found

    def cell_at(
        self, partner_id: str | None, content_id: str | None, instant: datetime, leg: Leg
    ) -> Cell:
        """The cell of a figure at ``instant`` (see :meth:`cell`)."""
        return self.cell(partner_id, content_id, self.period_label(instant), leg)

    def fold(self) -> None:
        """Add every cell to its row of each breakdown, once; the cells are then emptied.

        The cells of a row are merged in integers first, so that each exact figure of
        a row becomes a :class:`~fractions.Fraction` once.
        """
        merged: dict[Dimension, dict[str, Cell]] = {d: {} for d in Dimension}
        contents, campaign_id = self.contents, self.campaign.id
        for (partner_id, content_id, label, leg), cell in self.cells.items():
            content = contents.get(content_id) if content_id else None
            keys = (
                (Dimension.CAMPAIGN, campaign_id),
                (Dimension.PARTNER, partner_id or UNASSIGNED),
                (Dimension.PLATFORM, content.platform.value if content else NO_CONTENT),
                (Dimension.FORMAT, content.format.value if content else NO_CONTENT),
                (Dimension.PERIOD, label),
                (Dimension.LEG, leg.value),
            )
            for dimension, key in keys:
                group = merged[dimension]
                row = group.get(key)
                if row is None:
                    row = group[key] = Cell()
                row.merge(cell)
        for dimension, group in merged.items():
            rows = self.rows[dimension]
            for key, row in group.items():
                totals = rows.get(key)
                if totals is None:
                    totals = rows[key] = RowTotals()
                totals.absorb(row)
        self.cells = {}

    def leg(self, partner_id: str) -> Leg:
        """The leg of a partner's sales and content: affiliate with a deal, else influence."""
        return Leg.AFFILIATE if partner_id in self.deal_partners else Leg.INFLUENCE

    def report(
        self, kind: ProblemKind, subject: str, message: str, field: str | None = None
    ) -> None:
        """Record a problem found by the report."""
        self.problems.append(Problem(kind=kind, subject=subject, message=message, field=field))

    def convert(self, amount: Money, instant: datetime, subject: str) -> Money | None:
        """``amount`` in the reporting currency at ``instant``; None (reported) without a rate."""
        if amount.currency == self.currency:
            return amount
        try:
            converted = self.campaign.fx.convert(amount, self.currency, instant)
        except MissingRateError as error:
            self.report(ProblemKind.CURRENCY, subject, f"{error}; left out of the report")
            return None
        return converted.converted.round(rounding=Rounding.HALF_UP)

    def exact(self, amount: Money, instant: datetime, subject: str) -> Fraction | None:
        """``amount`` in the reporting currency at ``instant``, exactly (never rounded).

        Revenue and refunds are booked with it, and each row is rounded once at the end;
        None (reported) without a rate.
        """
        if amount.currency == self.currency:
            return Fraction(amount.amount)
        try:
            converted = self.campaign.fx.convert(amount, self.currency, instant)
        except MissingRateError as error:
            self.report(ProblemKind.CURRENCY, subject, f"{error}; left out of the report")
            return None
        return Fraction(converted.converted.amount)

    def exact_ratio(
        self, amount: Money, instant: datetime, noun: str, source_id: str
    ) -> tuple[int, int] | None:
        """``amount`` in the reporting currency at ``instant``, exactly, as an integer ratio.

        Like :meth:`exact` (the problem's subject is ``noun:source_id``), as the
        ``(numerator, denominator)`` the cells add.
        """
        if amount.currency == self.currency:
            return amount.amount.as_integer_ratio()
        value = self.exact(amount, instant, f"{noun}:{source_id}")
        return None if value is None else (value.numerator, value.denominator)


_ID = attrgetter("id")
_CURRENCY = attrgetter("currency")
_NUMERATOR = attrgetter("numerator")
_DENOMINATOR = attrgetter("denominator")
_TOUCH_ID = attrgetter("touch_id")
_CONVERSION_ID = attrgetter("conversion_id")
_PARTNER_ID = attrgetter("partner_id")
_CONTENT_ID = attrgetter("content_id")
_SHARE = attrgetter("share")
_ROLE = attrgetter("role")
_INSTANT = attrgetter("instant")
_CUSTOMER = attrgetter("customer_key")
_REVENUE = attrgetter("revenue")
_KIND = attrgetter("kind")
_NEW_CUSTOMER = attrgetter("new_customer")


class SaleColumns:
    """The fields of the batch's conversions the report reads, as columns in batch order.

    Attributes:
        conversions: The conversions (sorted by instant, then id: the batch's order).
        position: The position of each conversion, by id.
        instants: Their instants, in microseconds since the epoch.
        inside: Whether each is in the report's window (``as_of`` aside: a credited
            sale is counted as the run priced it).
        same_currency: Whether its revenue is in the reporting currency.
        is_sale: Whether it is a sale (not a lead).
        given: Whether its ``new_customer`` flag was given.
        new: Whether it is a new customer's (see
            :func:`~hybridroi.events.customers.new_customers`).
        revenues: The revenue of each.
        customers: The code of each conversion's customer key, in :attr:`customer_codes`.
        customer_codes: The dictionary of customer keys (the touches are looked up in it).
    """

    def __init__(self, tally: Tally) -> None:
        conversions = tally.batch.conversions
        self.conversions = conversions
        self.position: dict[str, int] = dict(zip(map(_ID, conversions), count_from(0)))
        self.instants = micros(map(_INSTANT, conversions))
        self.inside = tally.inside_micros(self.instants, as_of_bound=False)
        self.revenues: list[Money] = list(map(_REVENUE, conversions))
        self.same_currency = np.fromiter(
            map(eq, map(_CURRENCY, self.revenues), repeat(tally.currency)), np.bool_
        )
        self.is_sale = flags(map(_KIND, conversions), ConversionKind.SALE)
        given = list(map(_NEW_CUSTOMER, conversions))
        self.given = ~flags(given, None)
        self.customer_codes = Codes()
        self.customers = self.customer_codes.encode(map(_CUSTOMER, conversions))
        self.new = self._new(given)

    def lookup(self, ids: Iterable[str]) -> npt.NDArray[np.int64]:
        """The position of the conversion of each id in the batch (-1: not in it)."""
        return np.fromiter(map(self.position.get, ids, repeat(-1)), dtype=np.int64)

    def _new(self, given: list[bool | None]) -> npt.NDArray[np.bool_]:
        """Whether each conversion is a new customer's: its flag, or the one its events imply.

        The batch is sorted by (instant, id), so a customer's first sale by (instant, id)
        is its first sale in batch order, and a lead precedes it when its position does.
        """
        count = len(given)
        customers = self.customers
        sales = np.flatnonzero(self.is_sale)
        # The first sale of each customer: the first row of its group among the sales.
        _, firsts = group_of(customers[sales])
        first = np.full(len(self.customer_codes) + 1, count, dtype=np.int64)
        first[customers[sales][firsts]] = sales[firsts]
        positions = np.arange(count, dtype=np.int64)
        mine = first[customers]
        derived = np.where(self.is_sale, positions == mine, positions < mine)
        stated = flags(given, True)
        return np.where(self.given, stated, derived)


class CreditColumns:
    """The fields of the run's credits the report reads, as columns in the run's order.

    Attributes:
        credits: The credits.
        conversion_ids: The id of each credit's conversion.
        conversion: The position of each credit's conversion in the batch (-1: missing).
        partner_ids: The partner of each credit.
        partners: The code of each credit's partner, in :attr:`partner_codes`.
        content_ids: The content of each credit, as the credit names it.
        contents: The code of each credit's content in :attr:`content_codes` (a
            content of the campaign, else ``None``: the cell a credit lands in).
        parts: Each share's numerator (exact integers).
        wholes: The code of each share's denominator, in :attr:`whole_codes`.
        closing: Whether each credit's role closes the sale (closer or sole partner).
        assisting: Whether it assists (introducer or assist).
        touch_ids: The touch that earned each credit.
        sale_count: The number of conversions in the batch.
    """

    def __init__(self, tally: Tally) -> None:
        credits = tally.run.attribution.credits
        self.credits = credits
        self.conversion_ids: list[str] = list(map(_CONVERSION_ID, credits))
        self.conversion = tally.sales.lookup(self.conversion_ids)
        self.partner_ids: list[str] = list(map(_PARTNER_ID, credits))
        self.partner_codes = Codes()
        self.partners = self.partner_codes.encode(self.partner_ids)
        self.content_ids: list[str | None] = list(map(_CONTENT_ID, credits))
        given = Codes()
        raw = given.encode(self.content_ids)
        # A content the campaign does not have is none: its cell is the partner's own.
        known = tally.contents
        self.content_codes = Codes()
        named = self.content_codes.encode(
            value if value in known else None for value in given.values
        )
        self.contents = named[raw] if len(raw) else raw
        shares = list(map(_SHARE, credits))
        self.parts = integers(list(map(_NUMERATOR, shares)))
        self.whole_codes = Codes()
        self.wholes = self.whole_codes.encode(map(_DENOMINATOR, shares))
        roles = list(map(_ROLE, credits))
        self.closing = members(roles, {CreditRole.CLOSER, CreditRole.SOLE})
        self.assisting = members(roles, {CreditRole.INTRODUCER, CreditRole.ASSIST})
        self.touch_ids: list[str] = list(map(_TOUCH_ID, credits))
        self.sale_count = len(tally.batch.conversions)

    def by_conversion(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The credits grouped by conversion: ``(order, starts)``.

        ``order`` lists the credits by batch position (run order within one), and the
        credits of the conversion at position ``p`` are ``order[starts[p]:starts[p + 1]]``.
        """
        order = np.argsort(self.conversion, kind="stable")
        known = order[self.conversion[order] >= 0]
        boundaries = np.arange(self.sale_count + 1)
        starts = np.searchsorted(self.conversion[known], boundaries, side="left")
        return known.astype(np.int64), starts.astype(np.int64)

    def values_of(self, conversion: int, units: int) -> dict[str, int]:
        """What each partner's share of the sale at ``conversion`` is worth, in minor units.

        The parts are the sale's rounded value ``units`` split by largest remainder in
        the partners' shares (as :func:`~hybridroi.core.allocation.allocate` splits it).
        """
        order, starts = self.grouped
        rows = order[starts[conversion] : starts[conversion + 1]].tolist()
        credits = self.credits
        shares = {credits[row].partner_id: credits[row].share for row in rows}
        keys = sorted(shares)
        parts = allocate_minor_units(units, [Fraction(shares[key]) for key in keys])
        return dict(zip(keys, parts, strict=True))

    @functools.cached_property
    def grouped(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """:meth:`by_conversion`, computed once."""
        return self.by_conversion()
