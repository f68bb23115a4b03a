r"""Results as tables: credits, statement lines, ledger entries and report rows as columns.

Each function turns one kind of result into a table with one row per record, as an Arrow
table (``to="arrow"``, the default), a pandas DataFrame (``to="pandas"``) or a polars
DataFrame (``to="polars"``). pandas and polars are optional: they are imported only
when asked for, and a missing one is refused with :class:`MissingExtraError`, which
names the command that installs it.

Money is never a float. An amount ``<name>`` is the integer column ``<name>_minor`` of
its minor units (cents for EUR, yen for JPY, fils for KWD) beside a ``currency`` column.
``decimals=True`` adds the exact decimal ``<name>`` beside it, as a ``decimal128(38, s)``
column where ``s`` is the largest number of decimal places among the table's currencies
(the currency's own places when the table has one currency).

The type of a minor-unit column (and of every integer column) is the narrowest exact one
that holds every value of the column:

* ``int64`` when every value lies in [-2^63, 2^63 - 1] (92 quadrillion euros: every
  real amount);
* otherwise ``decimal128(38, 0)``, when every value has at most 38 digits;
* otherwise text: the integer in decimal digits (``Money`` is exact to 60 digits).

The rule applies to each column on its own, so one huge amount changes the type of
its own column only, and no value ever overflows or is rounded. Exact decimal columns
(an exchange rate, an unrounded gross profit, a decimal amount) follow the same rule:
``decimal128(38, s)`` with the places the column needs, and text beyond 38 digits.
Exact fractions (a credit's share, a share-weighted count, a KPI) are two integer
columns, ``<name>_numerator`` and ``<name>_denominator``, in lowest terms. Instants are
``timestamp[us, tz=UTC]``; an undefined figure is null.

pandas receives the Arrow columns with nullable integers (``Int64``), so an integer
column with nulls stays integer; decimals arrive as ``Decimal`` objects. polars reads
the Arrow columns as they are (``Int64``, ``Decimal``, ``Datetime("us", "UTC")``).

>>> from fractions import Fraction
>>> from hybridroi import Money
>>> from hybridroi.attribution.credits import AttributionResult, Credit
>>> half = Credit(conversion_id="C-1", partner_id="blog", share=Fraction(1, 2),
...               role="assist", touch_id="K-1", content_id=None,
...               revenue=Money("42.00", "EUR"), reason="shared")
>>> table = credits_table(AttributionResult(credits=(half,), unattributed=(), problems=()))
>>> table.column("revenue_minor").to_pylist(), table.column("currency").to_pylist()
([4200], ['EUR'])
>>> table.column("share_numerator")[0].as_py(), table.column("share_denominator")[0].as_py()
(1, 2)
"""

from __future__ import annotations

import decimal
import enum
import functools
import importlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.errors import (
    HybridRoiError,
    InvalidTypeError,
    InvalidValueError,
    NaiveDatetimeError,
)
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import MAX_DIGITS, Money, Rounding, UnroundedMoney, minor_unit
from hybridroi.ledger.entries import LedgerEntry
from hybridroi.report.kpis import Kpi
from hybridroi.report.records import COST_COMPONENTS, Dimension, Kpis, Report, ReportRow
from hybridroi.statements.lines import StatementLine, StatementRun

__all__ = [
    "KPI_PLACES",
    "MissingExtraError",
    "credits_table",
    "entries_table",
    "lines_table",
    "report_table",
]

KPI_PLACES = 6
"""Decimal places of a KPI's readable value column (rounded half-up; the exact value is
its numerator and denominator)."""

_TARGETS = ("arrow", "pandas", "polars")
_INSTALL = {
    "pandas": 'pip install "hybridroi[pandas]"',
    "polars": 'pip install "hybridroi[polars]"',
}
_INT64 = pa.int64()
_TEXT = pa.string()
_INSTANT = pa.timestamp("us", tz="UTC")
_DECIMAL_DIGITS = 38
_DECIMAL_BOUND = 10**_DECIMAL_DIGITS
# Minor units are amounts times 10**places: exact in a context wide enough for any Money
# (MAX_DIGITS digits), with every inexact or invalid result an error, never a rounding.
_EXACT = decimal.Context(
    prec=MAX_DIGITS + 8,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow],
)
_MULTIPLY = _EXACT.multiply
_AMOUNT = attrgetter("amount")
_CURRENCY = attrgetter("currency")
_TZINFO = attrgetter("tzinfo")
# ``_value_`` is an enum member's own attribute; ``.value`` goes through a descriptor.
_ENUM_VALUE = attrgetter("_value_")
_COUNT_FIELDS = ("conversions", "sales", "new_customers", "click_sales")
_INT_FIELDS = ("clicks", "views", "reach", "engagements", "followers", "posts")
_KPI_NAMES = tuple(field.name for field in attrs.fields(Kpis))


class MissingExtraError(HybridRoiError, ImportError):
    """A table was asked for as a pandas or polars frame, and that library is not installed.

    It is also an ``ImportError``, so callers may catch either.

    Attributes:
        module: The missing library (``"pandas"`` or ``"polars"``).
        install: The command that installs it.
    """

    def __init__(self, function: str, module: str, install: str) -> None:
        self.module = module
        self.install = install
        super().__init__(f'{function}(to="{module}") needs {module}: {install}', name=module)


# -- output ------------------------------------------------------------------------------


def _converter(to: object, function: str) -> Callable[[Any], Any]:
    """What turns the Arrow table into the frame ``to`` names, checked before any work."""
    if not isinstance(to, str) or to not in _TARGETS:
        raise InvalidValueError(f"{function}.to", to, '"arrow", "pandas" or "polars"')
    if to == "arrow":
        return _arrow
    try:
        library = importlib.import_module(to)
    except ImportError:
        raise MissingExtraError(function, to, _INSTALL[to]) from None
    if to == "pandas":
        return functools.partial(_pandas, library)
    return functools.partial(_polars, library)


def _arrow(table: Any) -> Any:
    return table


def _pandas(pandas: Any, table: Any) -> Any:
    # Nullable integers: numpy's int64 cannot hold a null, and pandas would turn such a
    # column into floats.
    integers = pandas.Int64Dtype()
    return table.to_pandas(types_mapper=lambda kind: integers if kind == _INT64 else None)


def _polars(polars: Any, table: Any) -> Any:
    return polars.from_arrow(table)


def _require(value: object, kind: type | tuple[type, ...], field: str, expected: str) -> None:
    if not isinstance(value, kind):
        raise InvalidTypeError(field, value, expected)


# -- columns -----------------------------------------------------------------------------


def _integers(values: Sequence[int | None]) -> Any:
    """``int64``; ``decimal128(38, 0)`` when a value is beyond it; text beyond 38 digits."""
    try:
        return pa.array(values, _INT64)
    except (OverflowError, pa.ArrowInvalid):
        pass
    if all(value is None or -_DECIMAL_BOUND < value < _DECIMAL_BOUND for value in values):
        wide = [None if value is None else Decimal(value) for value in values]
        return pa.array(wide, pa.decimal128(_DECIMAL_DIGITS, 0))
    return pa.array([None if value is None else str(value) for value in values], _TEXT)


def _exact_decimals(values: Sequence[Decimal | None], places: int | None = None) -> Any:
    """``decimal128(38, places)`` (the column's largest places by default); text beyond."""
    if places is None:
        places = max((_places(value) for value in values if value is not None), default=0)
    if places > _DECIMAL_DIGITS:
        return pa.array([None if value is None else str(value) for value in values], _TEXT)
    try:
        return pa.array(values, pa.decimal128(_DECIMAL_DIGITS, places))
    except pa.ArrowInvalid:
        return pa.array([None if value is None else str(value) for value in values], _TEXT)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # amounts are finite
    return max(0, -exponent)


@functools.cache
def _scale(currency: str) -> Decimal:
    return Decimal(10) ** minor_unit(currency)


def _units(amounts: Sequence[Decimal], currencies: Sequence[str]) -> list[int]:
    """Minor units of each amount in its currency, exactly."""
    kinds = set(currencies)
    if len(kinds) == 1:
        scale = _scale(next(iter(kinds)))
        return list(map(int, map(_MULTIPLY, amounts, repeat(scale))))
    return [
        int(_MULTIPLY(amount, _scale(code)))
        for amount, code in zip(amounts, currencies, strict=True)
    ]


def _table_places(currencies: Iterable[str]) -> int:
    return max((minor_unit(code) for code in set(currencies)), default=0)


class _Columns:
    """The columns of one table, in order, with its decimal places for ``decimals=True``."""

    def __init__(self, *, decimals: bool, places: int) -> None:
        self.columns: dict[str, Any] = {}
        self.decimals = decimals
        self.places = places

    def __setitem__(self, name: str, column: Any) -> None:
        self.columns[name] = column

    def money(self, name: str, moneys: Sequence[Money]) -> None:
        """``<name>_minor`` (and ``<name>`` with decimals) of amounts that are all given."""
        amounts = list(map(_AMOUNT, moneys))
        self.units(name, amounts, _units(amounts, list(map(_CURRENCY, moneys))))

    def units(
        self, name: str, amounts: Sequence[Decimal | None], units: Sequence[int | None]
    ) -> None:
        """``<name>_minor`` from minor units, and ``<name>`` from the amounts with decimals."""
        self.columns[f"{name}_minor"] = _integers(units)
        if self.decimals:
            self.columns[name] = _exact_decimals(amounts, self.places)

    def optional_money(self, name: str, moneys: Sequence[Money | None]) -> None:
        """``<name>_minor`` (and ``<name>``) of amounts that may be missing (nulls)."""
        present = [money for money in moneys if money is not None]
        if not present:
            self.units(name, [None] * len(moneys), [None] * len(moneys))
            return
        units = iter(_units(list(map(_AMOUNT, present)), list(map(_CURRENCY, present))))
        self.units(
            name,
            [None if money is None else money.amount for money in moneys],
            [None if money is None else next(units) for money in moneys],
        )

    def fractions(self, name: str, values: Sequence[Fraction | None]) -> None:
        """``<name>_numerator`` and ``<name>_denominator``, in lowest terms."""
        self.columns[f"{name}_numerator"] = _integers(
            [None if value is None else value.numerator for value in values]
        )
        self.columns[f"{name}_denominator"] = _integers(
            [None if value is None else value.denominator for value in values]
        )

    def table(self) -> Any:
        return pa.table(self.columns)


def _text(values: Sequence[str | None]) -> Any:
    return pa.array(values, _TEXT)


def _instants(values: Sequence[datetime], field: str) -> Any:
    """UTC microseconds; a naive datetime is refused, never read as UTC."""
    if None in set(map(_TZINFO, values)):
        naive = next(value for value in values if value.tzinfo is None)
        raise NaiveDatetimeError(field, naive, "a timezone-aware datetime")
    return pa.array(values, _INSTANT)


def _sources(values: Sequence[tuple[str, ...]]) -> Any:
    return pa.array(values, pa.list_(_TEXT))


def _values(records: Iterable[object], name: str) -> Any:
    """The text column of the enum field ``name`` of each record: its members' values."""
    return _text(list(map(attrgetter(f"{name}._value_"), records)))


class _LineFields:
    """The fields of statement lines, one list per field, read in a single pass.

    A million lines are a million objects spread over memory: one pass that reads every
    field of a line while it is at hand costs about half of one pass per field.
    """

    def __init__(self, lines: Iterable[StatementLine]) -> None:
        self.keys: list[str] = []
        self.kinds: list[enum.Enum] = []
        self.amounts: list[Decimal] = []
        self.currencies: list[str] = []
        self.rule_ids: list[str] = []
        self.explanations: list[str] = []
        self.earned_at: list[datetime] = []
        self.source_ids: list[tuple[str, ...]] = []
        self.capped: list[Money | None] = []
        self.fx: list[FxConversion | None] = []
        key, kind, amount, currency = (
            self.keys.append,
            self.kinds.append,
            self.amounts.append,
            self.currencies.append,
        )
        rule, explanation, earned, sources, capped, fx = (
            self.rule_ids.append,
            self.explanations.append,
            self.earned_at.append,
            self.source_ids.append,
            self.capped.append,
            self.fx.append,
        )
        for line in lines:
            money = line.amount
            key(line.key)
            kind(line.kind)
            amount(money.amount)
            currency(money.currency)
            rule(line.rule_id)
            explanation(line.explanation)
            earned(line.earned_at)
            sources(line.source_ids)
            capped(line.capped)
            fx(line.fx)


# -- credits -----------------------------------------------------------------------------


def credits_table(
    attribution: AttributionResult, *, to: str = "arrow", decimals: bool = False
) -> Any:
    """The credits of an attribution, one row per credit, in the attribution's order.

    Columns: ``conversion_id``, ``partner_id``, ``share_numerator`` and
    ``share_denominator`` (the exact share in lowest terms: ``1`` and ``2`` for a half),
    ``role`` (``"sole"``, ``"introducer"``, ``"closer"``, ``"assist"``), ``touch_id``,
    ``content_id`` (null when unknown), ``revenue_minor`` (the partner's part of the
    net revenue, in minor units), ``revenue`` (with ``decimals=True``), ``currency`` and
    ``reason``.

    Args:
        attribution: The attribution, as ``run(...).attribution`` gives it.
        to: ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"`` or ``"polars"``.
        decimals: Whether to add the exact decimal ``revenue`` column.

    Returns:
        The table, in the form ``to`` names.

    Raises:
        InvalidTypeError: If ``attribution`` is not an :class:`AttributionResult`.
        InvalidValueError: If ``to`` is not one of the three forms.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "credits_table")
    _require(attribution, AttributionResult, "credits_table.attribution", "an AttributionResult")
    credits = attribution.credits
    revenues = [credit.revenue for credit in credits]
    currencies = list(map(_CURRENCY, revenues))
    columns = _Columns(decimals=decimals, places=_table_places(currencies))
    columns["conversion_id"] = _text([credit.conversion_id for credit in credits])
    columns["partner_id"] = _text([credit.partner_id for credit in credits])
    columns.fractions("share", [credit.share for credit in credits])
    columns["role"] = _values(credits, "role")
    columns["touch_id"] = _text([credit.touch_id for credit in credits])
    columns["content_id"] = _text([credit.content_id for credit in credits])
    columns.money("revenue", revenues)
    columns["currency"] = _text(currencies)
    columns["reason"] = _text([credit.reason for credit in credits])
    return deliver(columns.table())


# -- statement lines ---------------------------------------------------------------------


def lines_table(run: StatementRun, *, to: str = "arrow", decimals: bool = False) -> Any:
    """The lines of a statement run, one row per line, statement by statement.

    Rows follow the run: statements by partner and period start, lines by key. The
    minor units of a statement's lines add up to its total, so a group-by sum of
    ``amount_minor`` over ``partner_id``, ``period_label`` and ``currency`` gives each
    statement's ``total_cost`` (``partner_total`` without the ``network_fee`` rows).

    Columns:

    * the statement's ``partner_id``, ``period_label``, ``period_start`` and
      ``period_end`` (UTC; the period is ``[start, end)``) and ``currency``;
    * the line's ``key``, ``kind`` (``"commission"``, ``"fee"``...), ``amount_minor``,
      ``capped_minor`` (what a cap removed; null when no cap applied), ``rule_id``,
      ``explanation``, ``earned_at`` (UTC) and ``source_ids`` (a list of text);
    * its conversion, null when the source was in the statement's currency:
      ``fx_original_minor`` and ``fx_original_currency`` (the amount before
      conversion), ``fx_converted`` (the exact converted amount, before the line's
      rounding), ``fx_rate`` (exact) and ``fx_rate_date``.

    With ``decimals=True``, ``amount``, ``capped`` and ``fx_original`` are added as
    exact decimals beside their minor units.

    Args:
        run: The statement run, as ``run(...).statements`` or ``compute_statements``
            gives it.
        to: ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"`` or ``"polars"``.
        decimals: Whether to add the exact decimal amount columns.

    Returns:
        The table, in the form ``to`` names.

    Raises:
        InvalidTypeError: If ``run`` is not a :class:`StatementRun`.
        InvalidValueError: If ``to`` is not one of the three forms, or a line's amount
            is not in its statement's currency.
        NaiveDatetimeError: If a line's ``earned_at`` has no time zone.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "lines_table")
    _require(run, StatementRun, "lines_table.run", "a StatementRun")
    statements = run.statements
    counts = [len(statement.lines) for statement in statements]
    fields = _LineFields(chain.from_iterable(s.lines for s in statements))
    amounts, currencies = fields.amounts, fields.currencies
    expected = list(chain.from_iterable(map(repeat, (s.currency for s in statements), counts)))
    if currencies != expected:
        at = next(
            n for n, (got, want) in enumerate(zip(currencies, expected, strict=True)) if got != want
        )
        raise InvalidValueError(
            "StatementLine.amount",
            Money(amounts[at], currencies[at]),
            f"an amount in its statement's currency {expected[at]}",
        )
    # Statement fields are built once per statement and repeated by index.
    index = pa.array(np.repeat(np.arange(len(statements), dtype=np.int64), counts))
    columns = _Columns(decimals=decimals, places=_table_places(expected))
    columns["partner_id"] = _text([s.partner_id for s in statements]).take(index)
    columns["period_label"] = _text([s.period.label for s in statements]).take(index)
    columns["period_start"] = _instants([s.period.start for s in statements], "Period.start").take(
        index
    )
    columns["period_end"] = _instants([s.period.end for s in statements], "Period.end").take(index)
    columns["currency"] = _text([s.currency for s in statements]).take(index)
    columns["key"] = _text(fields.keys)
    columns["kind"] = _text(list(map(_ENUM_VALUE, fields.kinds)))
    columns.units("amount", amounts, _units(amounts, currencies))
    columns.optional_money("capped", fields.capped)
    columns["rule_id"] = _text(fields.rule_ids)
    columns["explanation"] = _text(fields.explanations)
    columns["earned_at"] = _instants(fields.earned_at, "StatementLine.earned_at")
    columns["source_ids"] = _sources(fields.source_ids)
    _fx_columns(columns, fields.fx)
    return deliver(columns.table())


def _fx_columns(columns: _Columns, conversions: Sequence[FxConversion | None]) -> None:
    """The conversion of each line, all null for lines in the statement's currency."""
    if conversions.count(None) == len(conversions):
        nulls = [None] * len(conversions)
        columns.units("fx_original", nulls, nulls)
        columns["fx_original_currency"] = pa.nulls(len(nulls), _TEXT)
        columns["fx_converted"] = _exact_decimals(nulls)
        columns["fx_rate"] = _exact_decimals(nulls)
        columns["fx_rate_date"] = pa.nulls(len(nulls), pa.date32())
        return
    columns.optional_money(
        "fx_original", [None if fx is None else fx.original for fx in conversions]
    )
    columns["fx_original_currency"] = _text(
        [None if fx is None else fx.original.currency for fx in conversions]
    )
    columns["fx_converted"] = _exact_decimals(
        [None if fx is None else fx.converted.amount for fx in conversions]
    )
    columns["fx_rate"] = _exact_decimals([None if fx is None else fx.rate for fx in conversions])
    columns["fx_rate_date"] = pa.array(
        [None if fx is None else fx.rate_date for fx in conversions], pa.date32()
    )


# -- ledger entries ----------------------------------------------------------------------


def entries_table(
    entries: Iterable[LedgerEntry], *, to: str = "arrow", decimals: bool = False
) -> Any:
    """Ledger entries, one row per entry, in the order given.

    Columns: ``id``, ``run_id``, the key's ``partner_id``, ``period_label``, ``line_key``
    and ``currency``, ``line_kind``, ``entry_type`` (``"earned"``, ``"reversal"``,
    ``"clawback"``, ``"waived"``), ``amount_minor`` (negative for reversals and
    clawbacks), ``amount`` (with ``decimals=True``), ``status`` (as posted: ``"pending"``,
    ``"locked"`` or ``"waived"``), ``lock_at``, ``earned_at``, ``posted_at`` (UTC),
    ``rule_id``, ``explanation``, ``source_ids``, ``reason`` and ``statement_period``.

    Args:
        entries: Ledger entries, such as ``ledger.entries()`` or a posting's ``entries``.
        to: ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"`` or ``"polars"``.
        decimals: Whether to add the exact decimal ``amount`` column.

    Returns:
        The table, in the form ``to`` names.

    Raises:
        InvalidTypeError: If an entry is not a :class:`LedgerEntry`.
        InvalidValueError: If ``to`` is not one of the three forms.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "entries_table")
    rows = list(entries)
    for entry in rows:
        _require(entry, LedgerEntry, "entries_table.entries", "LedgerEntry records")
    keys = [entry.key for entry in rows]
    moneys = [entry.amount for entry in rows]
    currencies = list(map(_CURRENCY, moneys))
    columns = _Columns(decimals=decimals, places=_table_places(currencies))
    columns["id"] = _text([entry.id for entry in rows])
    columns["run_id"] = _text([entry.run_id for entry in rows])
    columns["partner_id"] = _text([key.partner_id for key in keys])
    columns["period_label"] = _text([key.period_label for key in keys])
    columns["line_key"] = _text([key.line_key for key in keys])
    columns["currency"] = _text([key.currency for key in keys])
    columns["line_kind"] = _values(rows, "line_kind")
    columns["entry_type"] = _values(rows, "entry_type")
    columns.money("amount", moneys)
    columns["status"] = _values(rows, "status")
    columns["lock_at"] = _instants([entry.lock_at for entry in rows], "LedgerEntry.lock_at")
    columns["earned_at"] = _instants([entry.earned_at for entry in rows], "LedgerEntry.earned_at")
    columns["posted_at"] = _instants([entry.posted_at for entry in rows], "LedgerEntry.posted_at")
    columns["rule_id"] = _text([entry.rule_id for entry in rows])
    columns["explanation"] = _text([entry.explanation for entry in rows])
    columns["source_ids"] = _sources([entry.source_ids for entry in rows])
    columns["reason"] = _text([entry.reason for entry in rows])
    columns["statement_period"] = _text([entry.statement_period for entry in rows])
    return deliver(columns.table())


# -- report rows -------------------------------------------------------------------------


def _dimension(value: object) -> Dimension:
    if isinstance(value, Dimension):
        return value
    if isinstance(value, str):
        for member in Dimension:
            if member.value == value.strip().lower():
                return member
    choices = ", ".join(repr(member.value) for member in Dimension)
    raise InvalidValueError("report_table.breakdown", value, f"a Dimension or one of {choices}")


def _rounded(value: UnroundedMoney | None) -> Money | None:
    return None if value is None else value.round(rounding=Rounding.HALF_UP)


def _kpi_shown(kpi: Kpi) -> Decimal | None:
    return kpi.decimal(KPI_PLACES, rounding=Rounding.HALF_UP)


def report_table(
    report: Report,
    breakdown: Dimension | str = Dimension.PARTNER,
    *,
    to: str = "arrow",
    decimals: bool = False,
) -> Any:
    """The rows of one breakdown of a report, one row per group, in the report's order.

    Columns:

    * ``dimension``, ``key``, ``label`` and ``currency`` (the reporting currency);
    * money in minor units: ``revenue_minor``, ``sales_revenue_minor``,
      ``refunds_minor``, ``cost_minor`` and each cost component (``fees_minor``,
      ``commissions_minor``, ``bonuses_minor``, ``guarantees_minor``, ``draws_minor``,
      ``network_fees_minor``, ``extra_costs_minor``);
    * ``gross_profit_minor`` and ``profit_minor``, rounded half-up to the minor unit as
      the report's CSV shows them, beside ``gross_profit_exact`` and ``profit_exact``,
      their exact values (all null without a margin);
    * the share-weighted counts as exact fractions (``conversions_numerator`` and
      ``conversions_denominator``; also ``sales``, ``new_customers``, ``click_sales``),
      ``new_customer_counting`` (null when no sale was credited), and the whole counts
      ``clicks``, ``views``, ``reach``, ``engagements``, ``followers``, ``posts``;
    * each KPI (``roi``, ``roas``, ``cpa``...): ``<kpi>_numerator`` and
      ``<kpi>_denominator``, its exact value in lowest terms, and ``<kpi>``, that value
      rounded half-up to :data:`KPI_PLACES` places; all three null when the KPI is
      undefined (``report_to_dict`` says why).

    With ``decimals=True``, every money column ``<name>_minor`` gets its exact decimal
    ``<name>`` beside it.

    Args:
        report: The report.
        breakdown: The breakdown: a :class:`~hybridroi.report.records.Dimension` or
            its value (``"partner"``, ``"platform"``, ``"format"``, ``"period"``,
            ``"leg"``; ``"campaign"`` gives the total alone).
        to: ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"`` or ``"polars"``.
        decimals: Whether to add the exact decimal money columns.

    Returns:
        The table, in the form ``to`` names.

    Raises:
        InvalidTypeError: If ``report`` is not a :class:`Report`.
        InvalidValueError: If ``breakdown`` or ``to`` is not one of its values.
        MissingExtraError: If ``to`` names a library that is not installed.
    """
    deliver = _converter(to, "report_table")
    _require(report, Report, "report_table.report", "a Report")
    rows: Sequence[ReportRow] = report.breakdown(_dimension(breakdown))
    figures = [row.figures for row in rows]
    columns = _Columns(decimals=decimals, places=_table_places(f.currency for f in figures))
    columns["dimension"] = _values(rows, "dimension")
    columns["key"] = _text([row.key for row in rows])
    columns["label"] = _text([row.label for row in rows])
    columns["currency"] = _text([f.currency for f in figures])
    columns.money("revenue", [f.revenue for f in figures])
    columns.money("sales_revenue", [f.sales_revenue for f in figures])
    columns.money("refunds", [f.refunds for f in figures])
    for name in ("gross_profit", "profit"):
        exact: list[UnroundedMoney | None] = [getattr(f, name) for f in figures]
        columns.optional_money(name, [_rounded(value) for value in exact])
        columns[f"{name}_exact"] = _exact_decimals(
            [None if value is None else value.amount for value in exact]
        )
    columns.money("cost", [f.cost for f in figures])
    for name in COST_COMPONENTS:
        columns.money(name, [getattr(f.costs, name) for f in figures])
    for name in _COUNT_FIELDS:
        columns.fractions(name, [getattr(f, name) for f in figures])
    columns["new_customer_counting"] = _text(
        [
            None if f.new_customer_counting is None else f.new_customer_counting.value
            for f in figures
        ]
    )
    for name in _INT_FIELDS:
        columns[name] = _integers([getattr(f, name) for f in figures])
    for name in _KPI_NAMES:
        column = [getattr(row.kpis, name) for row in rows]
        columns.fractions(name, [kpi.value for kpi in column])
        columns[name] = _exact_decimals([_kpi_shown(kpi) for kpi in column], KPI_PLACES)
    return deliver(columns.table())
