"""Exit status of the command: 0, 1, 2, and 70 for an internal error; no traceback on input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hybridroi import cli
from hybridroi.cli import main
from hybridroi.demo.cosmetics import DEMO_SEED, demo_data
from hybridroi.files.campaign import campaign_to_json

HEADER = "type,id,kind,instant,customer_key,partner_id,revenue,currency\n"


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(arg) for arg in args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("status") / "campaign.json"
    path.write_text(campaign_to_json(demo_data(seed=DEMO_SEED, size=200).campaign), "utf-8")
    return path


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER + "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,bonsplans,,\n"
        "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.00,EUR\n",
        encoding="utf-8",
    )
    return path


def _explode(*args: object, **kwargs: object) -> object:
    raise RuntimeError("something the library did not expect\nsecond line")


@pytest.mark.parametrize("command", ["report", "validate"])
def test_an_internal_error_is_status_70_with_one_line(
    monkeypatch: pytest.MonkeyPatch, campaign: Path, events: Path, command: str
) -> None:
    monkeypatch.setattr(cli, "run", _explode)
    status, _, err = run(command, campaign, "--events", events)
    assert status == cli.EXIT_INTERNAL == 70
    (line,) = err.splitlines()
    assert line.startswith("hybridroi: internal error (RuntimeError: something")
    assert "--debug" in line
    assert "Traceback" not in err


def test_debug_prints_the_traceback_of_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, campaign: Path, events: Path
) -> None:
    monkeypatch.setattr(cli, "run", _explode)
    for args in (("--debug", "report"), ("report", "--debug")):
        status, _, err = run(*args, campaign, "--events", events)
        assert status == 70
        assert "Traceback (most recent call last)" in err
        assert err.splitlines()[-1].startswith("hybridroi: internal error")


def test_usage_errors_are_status_2(campaign: Path, events: Path) -> None:
    for args in (
        ("report", campaign),
        ("report", campaign, "--events", events, "--nonsense"),
        ("frobnicate",),
        (),
        ("report", campaign, "--events", events, "--as-of", "yesterday"),
    ):
        status, out, err = run(*args)
        assert status == 2, args
        assert out == ""
        assert len(err.splitlines()) == 1
        assert err.startswith("hybridroi: error: ")


def test_unreadable_input_is_status_2(tmp_path: Path, campaign: Path, events: Path) -> None:
    for args in (
        ("report", tmp_path / "missing.toml", "--events", events),
        ("report", campaign, "--events", tmp_path / "missing.csv"),
        ("validate", tmp_path, "--events", events),
    ):
        status, _, err = run(*args)
        assert status == 2, (args, err)
        assert len(err.splitlines()) == 1
        assert "Traceback" not in err


@pytest.mark.parametrize("command", ["report", "validate"])
def test_a_click_in_year_1_is_a_located_problem(
    tmp_path: Path, campaign: Path, command: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER + "touch,T-1,click,0001-01-01T00:00:00+00:00,c1,bonsplans,,\n"
        "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.00,EUR\n",
        encoding="utf-8",
    )
    args = (command, campaign, "--events", path, "--period", "day")
    status, _, err = run(*(args if command == "report" else args[:-2]))
    assert status == 1, err
    assert "events.csv:2" in err if command == "report" else "1 problem(s) found" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "option",
    [
        ("--as-of", "0001-01-01T00:00:00+00:00"),
        ("--from", "0001-01-01T00:00:00+00:00"),
        ("--to", "9999-12-31T23:59:59-10:00"),
    ],
)
def test_instants_out_of_range_on_the_command_line_are_status_2(
    campaign: Path, events: Path, option: tuple[str, str]
) -> None:
    status, _, err = run("report", campaign, "--events", events, *option)
    assert status == 2
    (line,) = err.splitlines()
    assert "1900-01-01" in line
