"""Every file the report writes reads back to the same values; the table is safe to print."""

from __future__ import annotations

import csv
import io

import attrs
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from tests.report import example

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.text import unescape_cell
from hybridroi.report.render import report_records, report_to_csv, report_to_table
from hybridroi.report.report import Report, build_report


def _named(name: str, campaign_name: str = "Spring glow") -> Report:
    campaign = example.campaign()
    partners = tuple(
        attrs.evolve(p, name=name) if p.id == "coupons" else p for p in campaign.partners
    )
    return build_report(
        attrs.evolve(campaign, partners=partners, name=campaign_name),
        example.with_events(example.run()),
    )


def _read_back(text: str) -> list[dict[str, str]]:
    return [
        {key: unescape_cell(value) for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text, newline=""))
    ]


def test_a_carriage_return_in_a_name_stays_inside_its_cell() -> None:
    report = _named("Cou\rpons")
    rows = _read_back(report_to_csv(report))
    assert len(rows) == len(report_records(report))
    coupons = next(r for r in rows if r["dimension"] == "partner" and r["key"] == "coupons")
    assert coupons["label"] == "Cou\rpons"


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=20))
def test_every_label_reads_back_from_the_csv(name: str) -> None:
    try:
        report = _named(name)
    except InvalidValueError:
        reject()  # not a name the campaign accepts
    rows = _read_back(report_to_csv(report))
    assert len(rows) == len(report_records(report))
    coupons = next(r for r in rows if r["dimension"] == "partner" and r["key"] == "coupons")
    assert coupons["label"] == name


def test_the_table_prints_no_control_character() -> None:
    report = _named("Evil\x1b[2J\rname", campaign_name="Spring\x1b]0;pwned\x07 glow")
    table = report_to_table(report)
    assert "\x1b" not in table
    assert "\r" not in table
    assert "\x07" not in table
    assert "Evil\\x1b[2J\\rname" in table
    assert table.startswith("Spring\\x1b]0;pwned\\x07 glow")
