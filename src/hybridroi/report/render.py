"""Render a :class:`Report`: a JSON-safe dict, flat records (CSV, pandas) and a terminal table.

Money is never written as a float: in the dict, an amount is
``{"amount": "1234.50", "currency": "EUR"}``; exact amounts that carry more
decimals than the currency's minor unit (gross profit) also give their exact
value under ``"exact"``. A KPI is written with its value rounded half-up to six
places, its formula, its exact numerator and denominator, and the reason when
it is undefined.

Rendering is pure: these functions return values and strings and never print.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hybridroi.core.money import Money, Rounding, UnroundedMoney
from hybridroi.core.problems import Problem
from hybridroi.core.text import csv_text, escape_cell, printable
from hybridroi.report.incrementality import Incrementality
from hybridroi.report.kpis import Kpi
from hybridroi.report.report import (
    COST_COMPONENTS,
    AssistedSale,
    Dimension,
    Figures,
    Report,
    ReportRow,
    UnattributedSales,
)

__all__ = [
    "KPI_PLACES",
    "UNATTRIBUTED",
    "report_records",
    "report_to_csv",
    "report_to_dataframe",
    "report_to_dict",
    "report_to_table",
]

KPI_PLACES = 6
"""Decimal places of a KPI value in the dict, records and CSV (rounded half-up)."""

_BREAKDOWNS = (
    Dimension.PARTNER,
    Dimension.PLATFORM,
    Dimension.FORMAT,
    Dimension.PERIOD,
    Dimension.LEG,
)
_COUNT_FIELDS = ("conversions", "sales", "new_customers", "click_sales")
_INT_FIELDS = ("clicks", "views", "reach", "engagements", "followers", "posts")


def _money(amount: Money | UnroundedMoney | None) -> dict[str, str] | None:
    if amount is None:
        return None
    if isinstance(amount, UnroundedMoney):
        rounded = amount.round(rounding=Rounding.HALF_UP)
        return {
            "amount": str(rounded.amount),
            "currency": amount.currency,
            "exact": str(amount.amount),
        }
    return {"amount": str(amount.amount), "currency": amount.currency}


def _count(value: Fraction) -> Decimal:
    """A share-weighted count as a decimal with at most four places (half-up)."""
    if value.denominator == 1:
        return Decimal(value.numerator)
    shown = Kpi(
        name="count", label="count", formula="count", numerator=value, denominator=Fraction(1)
    ).decimal(4)
    assert shown is not None  # a ratio over 1 is always defined
    return shown.quantize(Decimal(1)) if shown == shown.to_integral_value() else shown.normalize()


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _kpi(kpi: Kpi) -> dict[str, Any]:
    value = kpi.decimal(KPI_PLACES)
    return {
        "label": kpi.label,
        "formula": kpi.formula,
        "value": None if value is None else str(value),
        "currency": kpi.currency,
        "numerator": str(kpi.numerator),
        "denominator": str(kpi.denominator),
        "undefined": kpi.reason,
    }


def _figures(figures: Figures) -> dict[str, Any]:
    costs = figures.costs
    return {
        "revenue": _money(figures.revenue),
        "sales_revenue": _money(figures.sales_revenue),
        "refunds": _money(figures.refunds),
        "gross_profit": _money(figures.gross_profit),
        "profit": _money(figures.profit),
        "cost": {
            "total": _money(figures.cost),
            **{name: _money(getattr(costs, name)) for name in COST_COMPONENTS},
        },
        "counts": {
            **{name: str(_count(getattr(figures, name))) for name in _COUNT_FIELDS},
            **{name: getattr(figures, name) for name in _INT_FIELDS},
        },
    }


def _row(row: ReportRow) -> dict[str, Any]:
    return {
        "dimension": row.dimension.value,
        "key": row.key,
        "label": row.label,
        **_figures(row.figures),
        "kpis": {kpi.name: _kpi(kpi) for kpi in row.kpis.all()},
    }


def _problem(problem: Problem) -> dict[str, str | None]:
    return {
        "kind": problem.kind.value,
        "subject": problem.subject,
        "field": problem.field,
        "source": problem.source,
        "message": problem.message,
    }


def _assists(report: Report) -> dict[str, Any]:
    summary = _assist_summary(report.assisted_sales, report.currency)
    return {
        "count": len({sale.conversion_id for sale in report.assisted_sales}),
        "by_influencer": [
            {
                "influencer_id": influencer_id,
                "sales": count,
                "value": _money(value),
                "credit": _money(credit),
            }
            for influencer_id, (count, value, credit) in summary.items()
        ],
        "sales": [
            {
                "conversion_id": sale.conversion_id,
                "instant": sale.instant.isoformat(),
                "closer_id": sale.closer_id,
                "influencer_id": sale.influencer_id,
                "credit": _money(sale.credit),
                "value": _money(sale.value),
            }
            for sale in report.assisted_sales
        ],
    }


def _assist_summary(
    sales: Sequence[AssistedSale], currency: str
) -> dict[str, tuple[int, Money, Money]]:
    """Per influencer: assisted sales, their value and the credit the influencer received."""
    counts: dict[str, int] = defaultdict(int)
    values: dict[str, Money] = defaultdict(lambda: Money.zero(currency))
    credits: dict[str, Money] = defaultdict(lambda: Money.zero(currency))
    for sale in sales:
        counts[sale.influencer_id] += 1
        values[sale.influencer_id] += sale.value
        credits[sale.influencer_id] += sale.credit
    return {key: (counts[key], values[key], credits[key]) for key in sorted(counts)}


def _incrementality(result: Incrementality | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "lift": _kpi(result.lift),
        "incremental_conversions": _kpi(result.incremental_conversions),
        "incremental_revenue": _kpi(result.incremental_revenue),
        "iroas": _kpi(result.iroas),
        "incremental_roi": _kpi(result.incremental_roi),
    }


def _unattributed(figures: UnattributedSales) -> dict[str, Any]:
    return {
        "conversions": figures.conversions,
        "sales": figures.sales,
        "new_customers": figures.new_customers,
        "sales_revenue": _money(figures.sales_revenue),
        "refunds": _money(figures.refunds),
        "revenue": _money(figures.revenue),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain data that ``json.dumps`` accepts as it is.

    Args:
        report: The report.

    Returns:
        A dict of strings, ints, lists, dicts and ``None``; money as strings with
        their currency.
    """
    margin = report.margin
    return {
        "campaign": {"id": report.campaign_id, "name": report.campaign_name},
        "currency": report.currency,
        "timezone": report.timezone,
        "as_of": report.as_of.isoformat(),
        "window": (
            None
            if report.window is None
            else {"start": _instant(report.window[0]), "end": _instant(report.window[1])}
        ),
        "period": report.period_kind.value,
        "cost_source": report.cost_source,
        "margin": (
            None
            if margin is None
            else {
                "campaign": None if margin.campaign is None else str(margin.campaign),
                "by_category": {k: str(v) for k, v in sorted(margin.by_category.items())},
                "by_sale": {k: str(v) for k, v in sorted(margin.by_sale.items())},
            }
        ),
        "total": _row(report.total),
        "unattributed": _unattributed(report.unattributed),
        "breakdowns": {
            dimension.value: [_row(row) for row in report.breakdown(dimension)]
            for dimension in _BREAKDOWNS
        },
        "rankings": {
            "basis": report.ranking_basis,
            "partners": [row.key for row in report.partner_ranking],
            "formats": [row.key for row in report.format_ranking],
        },
        "assisted_sales": _assists(report),
        "incrementality": _incrementality(report.incrementality),
        "problems": [_problem(problem) for problem in report.problems],
    }


def _record(row: ReportRow) -> dict[str, Any]:
    figures = row.figures
    gross = figures.gross_profit
    profit = figures.profit
    record: dict[str, Any] = {
        "dimension": row.dimension.value,
        "key": row.key,
        "label": row.label,
        "currency": figures.currency,
        "revenue": figures.revenue.amount,
        "sales_revenue": figures.sales_revenue.amount,
        "refunds": figures.refunds.amount,
        "gross_profit": None if gross is None else gross.round().amount,
        "profit": None if profit is None else profit.round().amount,
        "cost": figures.cost.amount,
    }
    for name in COST_COMPONENTS:
        record[name] = getattr(figures.costs, name).amount
    for name in _COUNT_FIELDS:
        record[name] = _count(getattr(figures, name))
    for name in _INT_FIELDS:
        record[name] = getattr(figures, name)
    for kpi in row.kpis.all():
        record[kpi.name] = kpi.decimal(KPI_PLACES)
    return record


UNATTRIBUTED = "unattributed"
"""The ``dimension`` and (in parentheses) the ``key`` of the record of unattributed sales."""


def _unattributed_record(report: Report, template: dict[str, Any]) -> dict[str, Any]:
    """The unattributed sales as a record: revenue and counts; cost, profit and KPIs empty."""
    figures = report.unattributed
    record: dict[str, Any] = dict.fromkeys(template)
    record.update(
        dimension=UNATTRIBUTED,
        key=f"({UNATTRIBUTED})",
        label="Unattributed (credited to no partner)",
        currency=figures.currency,
        revenue=figures.revenue.amount,
        sales_revenue=figures.sales_revenue.amount,
        refunds=figures.refunds.amount,
        conversions=Decimal(figures.conversions),
        sales=Decimal(figures.sales),
        new_customers=Decimal(figures.new_customers),
    )
    return record


def report_records(report: Report) -> list[dict[str, Any]]:
    """One flat record per row: the total, every breakdown, then the unattributed sales.

    Money is a ``Decimal`` in the record's ``currency`` (gross profit and profit
    rounded half-up to the minor unit); a KPI is a ``Decimal`` with six places,
    or ``None`` when undefined (the dict from :func:`report_to_dict` says why).

    The last record (``dimension`` ``"unattributed"``) holds the conversions
    credited to no partner: their revenue, refunds and counts. They are in no
    other row; their cost, profit and KPI fields are ``None``.

    Args:
        report: The report.

    Returns:
        The records, all with the same keys.
    """
    rows = [report.total]
    for dimension in _BREAKDOWNS:
        rows.extend(report.breakdown(dimension))
    records = [_record(row) for row in rows]
    records.append(_unattributed_record(report, records[0]))
    return records


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # Names come from campaign files and partners: a spreadsheet must not run them.
        return escape_cell(value)
    return str(value)


def report_to_csv(report: Report) -> str:
    """The records of :func:`report_records` as CSV text with a header line.

    Text cells (keys, labels, currency) are escaped against formula injection
    with :func:`hybridroi.core.text.escape_cell`: a partner named
    ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, so a spreadsheet shows
    it as text. Numbers are written as they are. Rows are written by
    :func:`hybridroi.core.text.csv_text`, which quotes a cell holding a
    carriage return, so every cell reads back whole.

    Args:
        report: The report.

    Returns:
        CSV text; an undefined KPI or figure is an empty cell.
    """
    records = report_records(report)
    header = list(records[0])
    return csv_text(header, ([_cell(record[key]) for key in header] for record in records))


def report_to_dataframe(report: Report) -> Any:
    """The records of :func:`report_records` as a pandas ``DataFrame``.

    Money, counts and KPIs stay exact ``Decimal`` values (object columns).
    pandas is imported only when this function is called; install it with
    ``pip install "hybridroi[pandas]"``.

    Args:
        report: The report.

    Returns:
        A ``pandas.DataFrame`` with one row per report row.

    Raises:
        ImportError: If pandas is not installed, with the command that installs it.
    """
    try:
        import pandas  # noqa: PLC0415  (optional dependency, imported on use)
    except ImportError as error:
        raise ImportError(
            'report_to_dataframe needs pandas: pip install "hybridroi[pandas]"'
        ) from error
    return pandas.DataFrame.from_records(report_records(report))


# -- terminal table ---------------------------------------------------------------------------


def _amount(value: Money | UnroundedMoney | None) -> str:
    if value is None:
        return "-"
    rounded = value.round() if isinstance(value, UnroundedMoney) else value
    return f"{rounded.amount:,}"


def _ratio(kpi: Kpi, places: int = 2) -> str:
    value = kpi.decimal(places)
    return "n/a" if value is None else f"{value:,}"


def _percent(kpi: Kpi) -> str:
    value = kpi.decimal(4)
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _grid(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, text_columns: int = 1
) -> list[str]:
    """Columns of text: the first ``text_columns`` left-aligned, the figures right-aligned."""
    # Escaped before measuring, so a name with control characters keeps its column.
    headers = [printable(cell) for cell in headers]
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if index < text_columns else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]


_TABLE_HEADERS = (
    "",
    "revenue",
    "cost",
    "gross profit",
    "profit",
    "ROI",
    "ROAS",
    "CPA",
    "sales",
    "clicks",
    "views",
)


def _table_row(row: ReportRow) -> list[str]:
    figures = row.figures
    kpis = row.kpis
    return [
        row.label,
        _amount(figures.revenue),
        _amount(figures.cost),
        _amount(figures.gross_profit),
        _amount(figures.profit),
        _percent(kpis.roi),
        _ratio(kpis.roas),
        _ratio(kpis.cpa),
        f"{_count(figures.sales):,}",
        f"{figures.clicks:,}",
        f"{figures.views:,}",
    ]


def report_to_table(report: Report, *, max_problems: int = 10) -> str:
    """A readable plain-text report for a terminal.

    Args:
        report: The report.
        max_problems: How many problems to list (the count is always given).

    Returns:
        The text, lines separated by newlines, ending with a newline.
    """
    window = (
        "everything up to as-of"
        if report.window is None
        else f"{report.window[0].isoformat()} to {report.window[1].isoformat()}"
    )
    lines = [
        f"{report.campaign_name} ({report.campaign_id})",
        f"as of {report.as_of.isoformat()}; window: {window}; amounts in {report.currency}",
        f"partner pay from the {report.cost_source}",
        "",
        *_cost_section(report),
        "",
        *_revenue_section(report),
        "",
        *_unattributed_section(report.unattributed),
        "",
        *_kpi_section(report),
        *_breakdown_sections(report),
        "",
        f"Ranking by {report.ranking_basis}",
        f"  partners: {', '.join(row.label for row in report.partner_ranking) or '-'}",
        f"  formats:  {', '.join(row.label for row in report.format_ranking) or '-'}",
        "",
        *_assist_section(report),
        *_incrementality_section(report.incrementality),
        "",
        *_problem_section(report.problems, max_problems),
    ]
    # Names, ids and problems come from input files: no control character reaches the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def _indented(lines: list[str]) -> list[str]:
    return ["  " + text for text in lines]


def _cost_section(report: Report) -> list[str]:
    figures = report.total.figures
    cost_rows = [
        [name.replace("_", " "), _amount(getattr(figures.costs, name))] for name in COST_COMPONENTS
    ]
    cost_rows.append(["total cost", _amount(figures.cost)])
    return ["Cost", *_indented(_grid(["component", report.currency], cost_rows))]


def _revenue_section(report: Report) -> list[str]:
    figures = report.total.figures
    rows = [
        ["credited sales", _amount(figures.sales_revenue)],
        ["refunds", _amount(-figures.refunds)],
        ["attributed revenue", _amount(figures.revenue)],
        ["gross profit", _amount(figures.gross_profit)],
        ["profit (gross profit - cost)", _amount(figures.profit)],
    ]
    return ["Revenue and profit", *_indented(_grid(["figure", report.currency], rows))]


def _unattributed_section(unattributed: UnattributedSales) -> list[str]:
    headers = ["conversions", "sales", "new customers", "sales revenue", "refunds", "revenue"]
    row = [
        f"{unattributed.conversions:,}",
        f"{unattributed.sales:,}",
        f"{unattributed.new_customers:,}",
        _amount(unattributed.sales_revenue),
        _amount(-unattributed.refunds),
        _amount(unattributed.revenue),
    ]
    return [
        "Unattributed (credited to no partner; in no row of this report)",
        *_indented(_grid(headers, [row], text_columns=0)),
    ]


def _kpi_section(report: Report) -> list[str]:
    kpi_rows = []
    for kpi in report.total.kpis.all():
        value = kpi.decimal(4)
        shown = f"undefined: {kpi.reason}" if value is None else f"{value:,}"
        if value is not None and kpi.currency:
            shown += f" {kpi.currency}"
        kpi_rows.append([kpi.label, kpi.formula, shown])
    return ["KPIs", *_indented(_grid(["KPI", "formula", "value"], kpi_rows, text_columns=2))]


def _breakdown_sections(report: Report) -> list[str]:
    titles = {
        Dimension.PARTNER: "By partner",
        Dimension.PLATFORM: "By platform",
        Dimension.FORMAT: "By format",
        Dimension.PERIOD: f"By {report.period_kind.value}",
        Dimension.LEG: "By leg",
    }
    lines: list[str] = []
    for dimension in _BREAKDOWNS:
        rows = [_table_row(row) for row in report.breakdown(dimension)]
        lines += ["", titles[dimension], *_indented(_grid(_TABLE_HEADERS, rows))]
    return lines


def _assist_section(report: Report) -> list[str]:
    summary = _assist_summary(report.assisted_sales, report.currency)
    lines = ["Assisted sales (closed by an affiliate after an influencer touch)"]
    if not summary:
        return [*lines, "  none"]
    rows = [
        [key, f"{count:,}", _amount(value), _amount(credit)]
        for key, (count, value, credit) in summary.items()
    ]
    return [*lines, *_indented(_grid(["influencer", "sales", "value", "credit"], rows))]


def _incrementality_section(result: Incrementality | None) -> list[str]:
    if result is None:
        return []
    return [
        "",
        "Incrementality (holdout)",
        *(
            f"  {kpi.label}: {_ratio(kpi, 4)}" + (f" ({kpi.reason})" if kpi.reason else "")
            for kpi in (
                result.lift,
                result.incremental_conversions,
                result.incremental_revenue,
                result.iroas,
                result.incremental_roi,
            )
        ),
    ]


def _problem_section(problems: Sequence[Problem], max_problems: int) -> list[str]:
    lines = [f"Problems: {len(problems)}", *(f"  {problem}" for problem in problems[:max_problems])]
    if len(problems) > max_problems:
        lines.append(f"  ... and {len(problems) - max_problems} more")
    return lines
