"""Readable explanations: amounts, rates, bands and whole statements in words.

>>> format_minor(1000000, "EUR")
'EUR 10,000.00'
>>> format_rate(Decimal("0.125"))
'12.5%'
>>> format_band_range(Decimal(10000), Decimal(50000), "EUR")
'EUR 10,000 to 50,000'
"""

from __future__ import annotations

from decimal import Decimal

from hybridroi.core.money import minor_unit, scaled
from hybridroi.core.periods import PeriodKind
from hybridroi.statements.lines import Statement

__all__ = [
    "format_band_range",
    "format_exact",
    "format_minor",
    "format_rate",
    "period_phrase",
    "render_statement",
]


def format_minor(units: int, currency: str, places: int | None = None) -> str:
    """An amount given in minor units, written like ``str(Money)``: ``EUR 1,234.50``.

    Args:
        units: The amount in minor units (cents).
        currency: The ISO 4217 code.
        places: The currency's minor unit, when the caller already knows it.

    Returns:
        The currency code, then the amount with thousands separators.
    """
    if places is None:
        places = minor_unit(currency)
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**places)
    if places == 0:
        return f"{currency} {sign}{whole:,}"
    return f"{currency} {sign}{whole:,}.{fraction:0{places}d}"


def format_exact(amount: Decimal, currency: str, places: int | None = None) -> str:
    """An exact amount in major units, with every digit it has: ``EUR 0.0005``.

    A whole number of minor units is written like :func:`format_minor`; an
    amount finer than the minor unit (a unit price) keeps its extra digits.

    Args:
        amount: The exact amount, such as ``Decimal("0.0005")``.
        currency: The ISO 4217 code.
        places: The currency's minor unit, when the caller already knows it.

    Returns:
        The currency code, then the amount with thousands separators.

    >>> format_exact(Decimal("1.5"), "EUR"), format_exact(Decimal("4.45560"), "EUR")
    ('EUR 1.50', 'EUR 4.4556')
    """
    if places is None:
        places = minor_unit(currency)
    units = scaled(amount, places)
    if units == units.to_integral_value():
        return format_minor(int(units), currency, places)
    return f"{currency} {amount.normalize():,f}"


def format_rate(rate: Decimal) -> str:
    """A fraction written as a percent without needless zeros: ``0.12`` -> ``12%``.

    Args:
        rate: The fraction.

    Returns:
        The percent text.
    """
    percent = (rate * 100).normalize()
    text = f"{percent:f}"
    return f"{text}%"


def _number(value: Decimal) -> str:
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return f"{int(normalized):,}"
    return f"{normalized:,f}"


def format_band_range(start: Decimal, end: Decimal | None, currency: str | None) -> str:
    """A band ``[start, end)`` in words: ``EUR 10,000 to 50,000`` or ``10 sales and more``.

    Args:
        start: The band's start.
        end: The next band's start, or None for the last band.
        currency: The currency of a revenue band, or None for a count band.

    Returns:
        The range text.
    """
    if currency is None:
        if end is None:
            return f"{_number(start)} sales and more"
        return f"{_number(start)} to {_number(end)} sales"
    if end is None:
        return f"{currency} {_number(start)} and more"
    return f"{currency} {_number(start)} to {_number(end)}"


_PHRASES = {
    PeriodKind.DAY: "day to date",
    PeriodKind.WEEK: "week to date",
    PeriodKind.MONTH: "month to date",
    PeriodKind.QUARTER: "quarter to date",
    PeriodKind.CAMPAIGN: "campaign to date",
}


def period_phrase(kind: PeriodKind, rolling_days: int | None = None) -> str:
    """How far a tier's volume counts: ``month to date`` or ``last 30 days``.

    Args:
        kind: The reset period.
        rolling_days: The length of a rolling window, if the tier uses one.

    Returns:
        The phrase.
    """
    if rolling_days is not None:
        return f"last {rolling_days} days"
    return _PHRASES[kind]


def render_statement(statement: Statement) -> str:
    """A statement as text: a heading, one row per line, and the totals.

    Args:
        statement: The statement.

    Returns:
        Several lines of text a partner manager can read.
    """
    rows = [
        f"Statement {statement.partner_id} {statement.period.label} ({statement.currency})",
    ]
    for line in statement.lines:
        capped = f" [capped: {line.capped} removed]" if line.capped else ""
        rows.append(f"  {line.key}: {line.amount} - {line.explanation}{capped}")
    rows.append(f"  partner total: {statement.partner_total}")
    if statement.network_fees:
        rows.append(f"  network fees: {statement.network_fees}")
        rows.append(f"  total cost: {statement.total_cost}")
    return "\n".join(rows)
