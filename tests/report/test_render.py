"""Rendering: JSON-safe dict, flat records, CSV, DataFrame and the terminal table."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import attrs
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
        example.with_events(example.run()),
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
    # the total, every breakdown row, and the unattributed sales
    expected = 2 + sum(
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


def test_unattributed_sales_are_in_the_dict_the_table_and_the_csv(report: Report) -> None:
    # s4 (EUR 60, a returning customer) was credited to no partner.
    data = report_to_dict(report)["unattributed"]
    assert data == {
        "conversions": 1,
        "sales": 1,
        "new_customers": 0,
        "sales_revenue": {"amount": "60.00", "currency": "EUR"},
        "refunds": {"amount": "0.00", "currency": "EUR"},
        "revenue": {"amount": "60.00", "currency": "EUR"},
    }
    table = report_to_table(report)
    assert "\nUnattributed (credited to no partner; in no row of this report)" in table
    section = table.split("\nUnattributed")[1].split("\n\n")[0].splitlines()
    assert section[-1].split() == ["1", "1", "0", "60.00", "0.00", "60.00"]
    parsed = list(csv.DictReader(io.StringIO(report_to_csv(report))))
    last = parsed[-1]
    assert (last["dimension"], last["key"]) == ("unattributed", "(unattributed)")
    assert (last["revenue"], last["sales"], last["cost"], last["roas"]) == ("60.00", "1", "", "")
    # The unattributed revenue is in no other row: the total stays the credited revenue.
    assert parsed[0]["revenue"] == "390.00"


def test_text_cells_of_the_csv_cannot_run_as_formulas() -> None:
    campaign = example.campaign()
    evil = '=HYPERLINK("http://evil.example","x")'
    partners = tuple(
        attrs.evolve(p, name=evil) if p.id == "coupons" else p for p in campaign.partners
    )
    report = build_report(
        attrs.evolve(campaign, partners=partners, name="+cmd|' /C calc'!A0"),
        example.with_events(example.run()),
    )
    parsed = list(csv.DictReader(io.StringIO(report_to_csv(report))))
    coupons = next(r for r in parsed if r["dimension"] == "partner" and r["key"] == "coupons")
    assert coupons["label"] == "'" + evil
    assert parsed[0]["label"] == "'+cmd|' /C calc'!A0"
    # Numbers are left as numbers, negative ones included.
    assert parsed[0]["profit"] == ""
    assert any(r["revenue_roi"].startswith("-0.") for r in parsed)
    for row in parsed:
        for value in row.values():
            assert not value.startswith(("=", "+", "@")), value


def test_the_table_says_where_partner_pay_comes_from(report: Report) -> None:
    assert "partner pay from the statements" in report_to_table(report)
    assert report_to_dict(report)["cost_source"] == "statements"
