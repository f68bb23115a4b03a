"""Rendering: JSON-safe dict, flat records, CSV, DataFrame and the terminal table."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from tests.report import example

from hybridroi.report.render import (
    report_records,
    report_to_csv,
    report_to_dataframe,
    report_to_dict,
    report_to_table,
)
from hybridroi.report.report import Report, build_report


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(
        example.campaign(),
        example.run(),
        events=example.events(),
        stats=example.stats(),
        margin="0.6",
    )


def test_dict_is_json_safe_with_money_as_strings(report: Report) -> None:
    data = json.loads(json.dumps(report_to_dict(report)))
    total = data["total"]
    assert total["cost"]["total"] == {"amount": "1949.76", "currency": "EUR"}
    assert total["revenue"] == {"amount": "390.00", "currency": "EUR"}
    assert total["gross_profit"] == {"amount": "234.00", "currency": "EUR", "exact": "234.000"}
    # ROAS = 390 / 1,949.76 = 0.200024...
    assert total["kpis"]["roas"]["value"] == "0.200025"
    assert total["kpis"]["roas"]["formula"] == "revenue / cost"
    assert total["kpis"]["ltv_roi"] == {
        "label": "LTV ROI",
        "formula": "(new customers x LTV - cost) / cost",
        "value": None,
        "currency": None,
        "numerator": "0",
        "denominator": "0",
        "undefined": "no customer lifetime value given",
    }
    assert total["counts"]["sales"] == "3"
    assert [row["key"] for row in data["breakdowns"]["partner"]] == [
        "coupons",
        "hugo",
        "lea",
        "(campaign)",
    ]
    assert data["rankings"]["partners"] == ["coupons", "hugo", "lea"]
    assert data["assisted_sales"]["by_influencer"] == [
        {
            "influencer_id": "lea",
            "sales": 1,
            "value": {"amount": "200.00", "currency": "EUR"},
            "credit": {"amount": "100.00", "currency": "EUR"},
        }
    ]
    assert data["problems"] == []


def test_no_float_anywhere_in_the_dict(report: Report) -> None:
    def walk(value: object) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(report_to_dict(report))


def test_records_and_csv_have_one_line_per_row(report: Report) -> None:
    records = report_records(report)
    expected = 1 + sum(
        len(rows)
        for rows in (
            report.by_partner,
            report.by_platform,
            report.by_format,
            report.by_period,
            report.by_leg,
        )
    )
    assert len(records) == expected
    assert records[0]["cost"] == Decimal("1949.76")
    parsed = list(csv.DictReader(io.StringIO(report_to_csv(report))))
    assert len(parsed) == expected
    coupons = next(r for r in parsed if r["dimension"] == "partner" and r["key"] == "coupons")
    assert coupons["cost"] == "39.76"
    assert coupons["profit"] == "74.24"
    assert coupons["ltv_roi"] == ""  # undefined: empty cell


def test_dataframe_keeps_exact_decimals(report: Report) -> None:
    pytest.importorskip("pandas")
    frame = report_to_dataframe(report)
    assert len(frame) == len(report_records(report))
    assert frame.loc[0, "cost"] == Decimal("1949.76")


def test_table_is_readable_plain_text(report: Report) -> None:
    table = report_to_table(report)
    assert "Léa" in table  # partner rows show names, not ids
    for heading in (
        "Cost",
        "KPIs",
        "By partner",
        "By platform",
        "By format",
        "By month",
        "By leg",
        "Ranking by profit",
        "Assisted sales",
        "Problems: 0",
    ):
        assert f"\n{heading}" in table
    assert "total cost" in table
    assert "1,949.76" in table
    assert "undefined: no customer lifetime value given" in table
