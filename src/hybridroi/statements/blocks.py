"""Commission lines held in columns until they are read.

Internal to :mod:`hybridroi.statements.engine`. The graduated lines of a tiered rule
are priced in columns (:mod:`hybridroi.statements.tiered`); when nothing in the deal
has to change a line once priced (no cap), they stay in a :class:`_TierBlock`: the
sales, their amounts in minor units, and the columns their explanations are written
from. Each statement keeps the :class:`_BlockSlice` of its period; the
:class:`~hybridroi.statements.lines.StatementLine` records and their explanations are
built, word for word the ones a line-by-line pass writes, the first time the
statement's lines are read, and its totals are the slices' sums, without building a
line.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridroi.core.periods import Period
from hybridroi.statements.compiled import _Compiled
from hybridroi.statements.drafts import _COMMISSION, _exact_text, _Sale
from hybridroi.statements.lines import StatementLine, _LineFacts
from hybridroi.statements.tiers import band_index
from hybridroi.statements.wording import _Wording

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer


class _Block(abc.ABC):
    """The commission lines of one rate rule, in columns: the sales and their amounts.

    The sales are in time order. What each line's explanation says is the
    subclass's: :meth:`bodies`.
    """

    __slots__ = ("compiled", "sales", "share_inside", "units", "wording")

    def __init__(
        self, pricer: _DealPricer, compiled: _Compiled, sales: list[_Sale], units: list[int]
    ) -> None:
        # The words only, not the pricer: a statement read late keeps no deal state alive.
        self.wording: _Wording = pricer.wording
        self.compiled = compiled
        self.sales = sales
        for sale in sales:
            sale.context = None  # what conditions read, once: no line's words need it
        self.units = units
        # A revenue tier prices the partner's share of the sale band by band.
        self.share_inside = compiled.revenue_basis

    def slices(self, periods: list[Period]) -> list[tuple[Period, _BlockSlice]]:
        """The block cut by statement period: ``periods`` holds each sale's, in time order."""
        found: list[tuple[Period, _BlockSlice]] = []
        low = 0
        count = len(periods)
        units = self.units
        while low < count:
            label = periods[low].label
            high = low + 1
            while high < count and periods[high].label == label:
                high += 1
            found.append((periods[low], _BlockSlice(self, low, high, sum(units[low:high]))))
            low = high
        return found

    @abc.abstractmethod
    def bodies(self, low: int, high: int) -> list[str]:
        """The body of each explanation of sales ``[low, high)``, before its amount."""

    def facts(self, low: int, high: int) -> _LineFacts:
        """The figures and sources of the lines of sales ``[low, high)``, no words."""
        facts = _LineFacts()
        sales = self.sales[low:high]
        rule_id = self.compiled.rule_id
        facts.keys = [f"commission:{sale.id}:{rule_id}" for sale in sales]
        facts.kinds = [_COMMISSION] * len(sales)
        facts.amounts = list(map(self.wording.money, self.units[low:high]))
        facts.earned_at = [sale.instant for sale in sales]
        facts.source_ids = [sale.source_ids for sale in sales]
        return facts

    def lines(self, low: int, high: int) -> list[StatementLine]:
        """The statement lines of sales ``[low, high)``."""
        wording = self.wording
        compiled = self.compiled
        rule_id = compiled.rule_id
        describe = wording.describe
        money = wording.money
        share_inside = self.share_inside
        line = StatementLine._trusted
        built: list[StatementLine] = []
        for sale, units, body in zip(
            self.sales[low:high], self.units[low:high], self.bodies(low, high), strict=True
        ):
            built.append(
                line(
                    f"commission:{sale.id}:{rule_id}",
                    _COMMISSION,
                    money(units),
                    rule_id,
                    describe(sale, compiled, body, units, share_inside=share_inside),
                    sale.instant,
                    sale.source_ids,
                    None,
                    sale.fx,
                )
            )
        return built


class _PercentBlock(_Block):
    """The lines of a percent rate: the rate of each sale's base."""

    __slots__ = ()

    def bodies(self, low: int, high: int) -> list[str]:
        """``<rate> of <base>`` for each sale of ``[low, high)``."""
        prefix = f"{self.compiled.price_text} of "
        base_text = self.wording.base_text
        return [prefix + base_text(sale) for sale in self.sales[low:high]]


class _TierBlock(_Block):
    """The graduated lines of one tiered rule.

    ``carried`` is the volume the rule had reached before each sale, and ``parts``
    holds, band by band, the part of each sale's volume inside the band (64-bit columns
    when ``exact``, else exact Python numbers).
    """

    __slots__ = ("carried", "exact", "parts")

    def __init__(  # noqa: PLR0917 - an internal record, built once per rule
        self,
        pricer: _DealPricer,
        compiled: _Compiled,
        sales: list[_Sale],
        units: list[int],
        carried: Any,
        parts: list[Any],
        exact: bool,
    ) -> None:
        super().__init__(pricer, compiled, sales, units)
        self.carried = carried
        self.parts = parts
        self.exact = exact

    def bodies(self, low: int, high: int) -> list[str]:
        """The body of each explanation of sales ``[low, high)``: its band, or its parts."""
        compiled = self.compiled
        starts = compiled.starts
        carried = self.carried[low:high]
        if self.exact:
            bands = (
                np.searchsorted(np.array(starts, dtype=np.int64), carried, "right") - 1
            ).tolist()
            columns = [column[low:high].tolist() for column in self.parts]
        else:
            bands = [band_index(starts, value) for value in carried]
            columns = [list(column[low:high]) for column in self.parts]
        base_text = self.wording.base_text
        prefix = compiled.band_prefix
        revenue_basis = compiled.revenue_basis
        currency = self.wording.currency
        texts: list[str] = []
        for i, sale in enumerate(self.sales[low:high]):
            split = [(band, column[i]) for band, column in enumerate(columns) if column[i] > 0]
            if len(split) <= 1:
                texts.append(f"{prefix[bands[i]]}{base_text(sale)}")
            elif not revenue_basis:
                body = " + ".join(
                    f"{part} of the sale at {compiled.rate_text[band]} ({compiled.band_text[band]})"
                    for band, part in split
                )
                texts.append(f"{base_text(sale)} x ({body})")
            else:
                texts.append(
                    " + ".join(
                        f"{compiled.rate_text[band]} of {_exact_text(part, currency)} "
                        f"({compiled.band_text[band]})"
                        for band, part in split
                    )
                )
        return texts


class _BlockSlice:
    """The lines of a block that fall in one statement period: what a statement holds."""

    __slots__ = ("_built", "block", "high", "low", "units")

    def __init__(self, block: _Block, low: int, high: int, units: int) -> None:
        self.block = block
        self.low = low
        self.high = high
        self.units = units
        self._built: list[StatementLine] | None = None

    @property
    def count(self) -> int:
        """How many lines the slice holds."""
        return self.high - self.low

    def facts(self) -> _LineFacts:
        """The slice's lines' figures and sources, without building a line."""
        built = self._built
        if built is not None:
            facts = _LineFacts()
            facts.add_lines(built)
            return facts
        return self.block.facts(self.low, self.high)

    def lines(self) -> list[StatementLine]:
        """The slice's statement lines, built on the first call and kept."""
        built = self._built
        if built is None:
            built = self._built = self.block.lines(self.low, self.high)
        return built
