"""The hybridroi command, run for real in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hybridroi.cli import ProgressBar, main

MARGINS = [
    "--margin",
    "0.70",
    "--category-margin",
    "skincare=0.78",
    "--category-margin",
    "makeup=0.72",
    "--category-margin",
    "fragrance=0.62",
]


def hybridroi(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hybridroi", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("example")
    result = hybridroi("demo", "--size", "3000", "--format", "json", "--write", folder)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    return folder, json.loads(result.stdout)


def test_demo_prints_a_table_by_default() -> None:
    result = hybridroi("demo", "--size", "500")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Maison Lumière - Spring glow 2026")
    assert "By partner" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_report_on_the_bundled_example_matches_the_demo(
    example: tuple[Path, dict[str, object]],
) -> None:
    folder, demo = example
    result = hybridroi(
        "report",
        folder / "campaign.json",
        "--events",
        folder / "events.csv",
        "--format",
        "json",
        "--as-of",
        "2026-06-01T00:00:00+02:00",
        *MARGINS,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == demo


def test_report_formats(example: tuple[Path, dict[str, object]]) -> None:
    folder, demo = example
    common: list[str | Path] = [
        "report",
        folder / "campaign.json",
        "--events",
        folder / "events.csv",
    ]
    table = hybridroi(*common, "--period", "week")
    assert table.returncode == 0, table.stderr
    assert "By week" in table.stdout
    assert "2026-W10" in table.stdout
    rows = list(csv.DictReader(io.StringIO(hybridroi(*common, "--format", "csv").stdout)))
    assert rows[0]["dimension"] == "campaign"
    total = demo["total"]
    assert isinstance(total, dict)
    assert rows[0]["cost"] == total["cost"]["total"]["amount"]
    assert rows[0]["roi"] == ""  # no margin given: ROI undefined


def test_report_window(example: tuple[Path, dict[str, object]]) -> None:
    folder, _ = example
    result = hybridroi(
        "report",
        folder / "campaign.json",
        "--events",
        folder / "events.csv",
        "--format",
        "json",
        "--from",
        "2026-04-01T00:00:00+02:00",
        "--to",
        "2026-05-01T00:00:00+02:00",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["window"]["start"] == "2026-04-01T00:00:00+02:00"
    assert [row["key"] for row in data["breakdowns"]["period"]] == ["2026-04"]


def test_validate_accepts_the_example(example: tuple[Path, dict[str, object]]) -> None:
    folder, _ = example
    result = hybridroi("validate", folder / "campaign.json", "--events", folder / "events.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: lumiere-spring-2026: 6 partners;")


def broken_events(folder: Path) -> Path:
    path = folder / "broken.csv"
    path.write_text(
        "type,id,kind,instant,customer_key,partner_id,revenue,currency\n"
        "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,camille,,\n"
        "touch,T-2,clic,2026-03-07T09:00:00+01:00,c1,camille,,\n"
        "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,12.345,EUR\n"
        "touch,T-3,click,2026-03-08T09:00:00+01:00,c2,nobody,,\n",
        encoding="utf-8",
    )
    return path


def test_validate_lists_every_problem(example: tuple[Path, dict[str, object]]) -> None:
    folder, _ = example
    result = hybridroi("validate", folder / "campaign.json", "--events", broken_events(folder))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("broken.csv:3: invalid touch:T-2 [kind]") for line in lines)
    assert any(line.startswith("broken.csv:4: invalid sale:S-1 [revenue]") for line in lines)
    assert any("unknown_partner touch:T-3" in line for line in lines)
    assert len(result.stderr.splitlines()) == 1
    assert "3 problem(s) found" in result.stderr


def test_report_with_bad_rows_still_reports_and_exits_non_zero(
    example: tuple[Path, dict[str, object]],
) -> None:
    folder, _ = example
    result = hybridroi("report", folder / "campaign.json", "--events", broken_events(folder))
    assert result.returncode == 1
    assert "By partner" in result.stdout
    assert "Problems: 3" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("hybridroi: 3 problem(s) in the input, first: broken.csv:3")


def test_unusable_input_gives_one_line_and_status_2(
    example: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    folder, _ = example
    bad_campaign = tmp_path / "campaign.toml"
    bad_campaign.write_text('id = "x"\ncurrency = "EURO"\n', encoding="utf-8")
    cases = [
        ("report", bad_campaign, "--events", folder / "events.csv"),
        ("report", folder / "campaign.json", "--events", tmp_path / "missing.csv"),
        ("report", folder / "campaign.json"),
        (
            "report",
            folder / "campaign.json",
            "--events",
            folder / "events.csv",
            "--as-of",
            "2026-05-01",
        ),
        ("report", folder / "campaign.json", "--events", folder / "events.csv", "--margin", "1.5"),
        ("demo", "--size", "0"),
        ("frobnicate",),
    ]
    for args in cases:
        result = hybridroi(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("hybridroi: error: ")


def test_main_in_process_and_help() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["demo", "--size", "200", "--format", "csv"], stdout=out, stderr=err) == 0
    assert out.getvalue().startswith("dimension,key,label,currency,")
    assert main(["--help"], stdout=out, stderr=err) == 0


def test_progress_bar_draws_in_place() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "reading events", width=10)
    bar(0, 2_000_000)
    bar(1_000_000, 2_000_000)
    bar(2_000_000, 2_000_000)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 3
    assert "[#####-----]  50% of 2.0 MB" in text
    assert text.endswith("[##########] 100% of 2.0 MB\n")


@pytest.mark.parametrize("value", ["-5", "abc"])
def test_ltv_must_be_a_non_negative_amount(
    example: tuple[Path, dict[str, object]], value: str
) -> None:
    folder, _ = example
    result = hybridroi(
        "report", folder / "campaign.json", "--events", folder / "events.csv", "--ltv", value
    )
    assert result.returncode == 2
    assert "--ltv: expected an amount such as 120.00, >= 0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
