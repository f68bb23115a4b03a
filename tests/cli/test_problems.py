"""What validate and report say about problems: campaign files, statements, statistics."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hybridroi.cli import main
from hybridroi.demo.cosmetics import DEMO_SEED, demo_data
from hybridroi.files.campaign import campaign_to_json

BAD_CAMPAIGN = 'id = "x"\n'  # every other required key is missing
MISSING = ("name", "currency", "timezone", "start", "end")


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


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,id,kind,instant,customer_key,partner_id,revenue,currency\n"
        "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,bonsplans,,\n"
        "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.00,EUR\n",
        encoding="utf-8",
    )
    return path


def test_validate_lists_every_problem_of_the_campaign_file(tmp_path: Path, events: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_CAMPAIGN, encoding="utf-8")
    status, out, err = run("validate", bad, "--events", events)
    assert status == 2
    lines = out.splitlines()
    assert len(lines) == len(MISSING)
    for line, key in zip(lines, MISSING, strict=True):
        assert line.startswith(f"{bad}: ")
        assert line.endswith(f"@ $.{key}")
    (line,) = err.splitlines()
    assert line == (
        f"hybridroi: error: {bad}: 5 problem(s) in the campaign file, listed above; "
        "the event files were not checked"
    )


def test_report_fails_with_the_first_real_problem_of_the_campaign_file(
    tmp_path: Path, events: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_CAMPAIGN, encoding="utf-8")
    status, out, err = run("report", bad, "--events", events)
    assert status == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"hybridroi: error: {bad}: ")
    assert "@ $.name (and 4 more; run hybridroi validate for the list)" in line
    assert "problem(s):" not in line  # the header alone says nothing


def test_a_single_problem_is_given_whole(tmp_path: Path, events: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n", encoding="utf-8")
    status, _, err = run("report", bad, "--events", events)
    assert status == 2
    assert err.startswith(f"hybridroi: error: {bad}: not valid JSON: ")
    assert "more" not in err


def test_validate_runs_the_statements_and_reports_their_problems(
    tmp_path: Path, events: Path, campaign_data: dict[str, object]
) -> None:
    # A rule paying USD in a deal that pays EUR: only the commission engine sees it.
    deals = json.loads(json.dumps(campaign_data["deals"]))
    bonsplans = next(deal for deal in deals if deal["id"] == "deal-bonsplans")
    bonsplans["rules"].insert(
        0,
        {"type": "FlatPerSale", "id": "flat-usd", "amount": {"amount": "5.00", "currency": "USD"}},
    )
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps({**campaign_data, "deals": deals}), encoding="utf-8")
    status, out, err = run("validate", path, "--events", events)
    assert status == 1
    (line,) = out.splitlines()
    assert line.startswith(f"{path}: currency deal:deal-bonsplans [rules[flat-usd]]: rule flat-usd")
    assert "is in USD" in line
    assert "1 problem(s) found" in err
    # Without the rule, the same files are fine, and the statements are counted.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(campaign_data), encoding="utf-8")
    status, out, _ = run("validate", good, "--events", events, "--as-of", "2026-04-01T00:00Z")
    assert status == 0
    assert out.startswith("ok: ")
    assert "statements as of 2026-04-01T00:00:00+00:00" in out


def test_each_problem_is_listed_once(tmp_path: Path, campaign_data: dict[str, object]) -> None:
    # An unknown partner is found by the intake checks and again by the statement run.
    path = tmp_path / "events.csv"
    path.write_text(
        "type,id,kind,instant,customer_key,partner_id\n"
        "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,nobody\n",
        encoding="utf-8",
    )
    good = tmp_path / "campaign.json"
    good.write_text(json.dumps(campaign_data), encoding="utf-8")
    status, out, _ = run("validate", good, "--events", path)
    assert status == 1
    assert len(out.splitlines()) == 1


def test_statistics_that_fall_are_listed_with_their_line_once(
    tmp_path: Path, campaign_data: dict[str, object]
) -> None:
    path = tmp_path / "stats.csv"
    path.write_text(
        "type,content_id,as_of,views\n"
        "stats,camille-tt-1,2026-03-10T00:00:00+01:00,100\n"
        "stats,camille-tt-1,2026-03-17T00:00:00+01:00,50\n",
        encoding="utf-8",
    )
    good = tmp_path / "campaign.json"
    good.write_text(json.dumps(campaign_data), encoding="utf-8")
    status, out, _ = run("validate", good, "--events", path)
    assert status == 1
    (line,) = out.splitlines()
    assert line.startswith("stats.csv:3: invalid stats:camille-tt-1 [views]: ")
    assert "cumulative figures fell" in line
    status, out, err = run("report", good, "--events", path, "--format", "json")
    assert status == 1
    problems = json.loads(out)["problems"]
    assert [(p["source"], p["field"]) for p in problems] == [("stats.csv:3", "views")]
    assert "first: stats.csv:3" in err
