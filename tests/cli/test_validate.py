"""validate finds every problem report finds, each named with where it comes from."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hybridroi.cli import main
from hybridroi.demo.cosmetics import DEMO_SEED, demo_data
from hybridroi.files.campaign import campaign_to_json

EVENTS = (
    "type,id,kind,instant,customer_key,partner_id,revenue,currency\n"
    "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,bonsplans,,\n"
    "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.00,EUR\n"
)
AS_OF = ("--as-of", "2026-06-01T00:00:00+02:00")


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(arg) for arg in args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def campaign_data() -> dict[str, object]:
    data: dict[str, object] = json.loads(
        campaign_to_json(demo_data(seed=DEMO_SEED, size=200).campaign)
    )
    return data


def _files(tmp_path: Path, data: dict[str, object]) -> tuple[Path, Path]:
    campaign = tmp_path / "campaign.json"
    campaign.write_text(json.dumps(data), encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    return campaign, events


def test_a_fee_without_an_exchange_rate_is_a_problem_for_validate_too(
    tmp_path: Path, campaign_data: dict[str, object]
) -> None:
    data = json.loads(json.dumps(campaign_data))
    fees = data["fees"]
    assert isinstance(fees, list)
    fees[0]["amount"]["currency"] = "GBP"
    fee_id = fees[0]["id"]
    campaign, events = _files(tmp_path, data)
    status, out, err = run("validate", campaign, "--events", events, *AS_OF)
    assert status == 1, out
    (line,) = out.splitlines()
    assert line.startswith(f"{campaign}: currency ")
    assert fee_id in line
    assert "GBP" in line
    assert "1 problem(s) found" in err
    status, out, _ = run("report", campaign, "--events", events, *AS_OF, "--format", "json")
    assert status == 1
    problems = json.loads(out)["problems"]
    assert [(p["kind"], p["source"]) for p in problems] == [("currency", str(campaign))]
    assert fee_id in problems[0]["subject"]


def test_validate_takes_the_report_options_and_finds_what_they_cause(
    tmp_path: Path, campaign_data: dict[str, object]
) -> None:
    # A category margin without a campaign margin leaves uncategorised sales without one.
    campaign, events = _files(tmp_path, campaign_data)
    margin = ("--category-margin", "skincare=0.7")
    status, out, _ = run(
        "report", campaign, "--events", events, *AS_OF, *margin, "--format", "json"
    )
    assert status == 1
    reported = json.loads(out)["problems"]
    assert [p["subject"] for p in reported] == ["margin"]
    status, out, _ = run("validate", campaign, "--events", events, *AS_OF, *margin)
    assert status == 1
    (line,) = out.splitlines()
    assert "margin" in line
    assert line.startswith("--category-margin: ")
