from __future__ import annotations

from pathlib import Path

import pytest

from hybridroi.core.money import Money
from hybridroi.files.campaign import campaign_to_json, load_campaign, parse_campaign
from hybridroi.serialization import DocumentError

TOML = """
id = "spring-glow"
name = "Spring glow"
currency = "EUR"
timezone = "Europe/Paris"
start = 2026-03-01T00:00:00+01:00
end = 2026-06-01T00:00:00+02:00
budget = "20000 EUR"

[[partners]]
type = "influencer"
id = "lea"
name = "Léa"
accounts = [{ platform = "tiktok", handle = "@lea.skin", audience = 420000 }]

[[partners]]
type = "affiliate"
id = "bonsplans"
name = "BonsPlans"
kind = "coupon"

[[fees]]
id = "lea-signing"
partner_id = "lea"
kind = "one_off"
amount = { amount = 1500.00, currency = "EUR" }
due = 2026-03-01T09:00:00+01:00
"""


def test_toml_definition_is_read_with_exact_numbers(tmp_path: Path) -> None:
    path = tmp_path / "spring.toml"
    path.write_text(TOML, encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.fees[0].amount == Money("1500.00", "EUR")
    assert [p.id for p in campaign.partners] == ["lea", "bonsplans"]
    assert campaign.start.utcoffset() is not None


def test_json_round_trip(tmp_path: Path) -> None:
    campaign = parse_campaign(TOML, format="toml")
    path = tmp_path / "spring.json"
    path.write_text(campaign_to_json(campaign), encoding="utf-8")
    assert load_campaign(path) == campaign


def test_problems_name_the_file_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(
        TOML.replace('kind = "coupon"', 'kind = "coupn"').replace('"tiktok"', '"tiktak"'),
        encoding="utf-8",
    )
    with pytest.raises(DocumentError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 2 problem(s)")
    assert "got 'coupn' @ $.partners[1].kind" in message
    assert "got 'tiktak' @ $.partners[0].accounts[0].platform" in message


def test_record_level_checks_run_once_fields_are_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "currency.toml"
    path.write_text(
        TOML.replace('currency = "EUR"\ntimezone', 'currency = "EURO"\ntimezone'), encoding="utf-8"
    )
    with pytest.raises(DocumentError, match=r"Campaign.currency: expected an ISO 4217 code"):
        load_campaign(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.toml", "id = ", "not valid TOML"),
        ("bad.json", "{", "not valid JSON"),
        ("list.json", "[]", "expected a table"),
        ("campaign.yaml", "", "expected a .toml or .json file"),
    ],
)
def test_unreadable_files_are_reported(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError, match=expected):
        load_campaign(path)


def test_missing_file_is_reported() -> None:
    with pytest.raises(DocumentError, match="cannot read the file"):
        load_campaign("/nonexistent/campaign.toml")
