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


_JSON = (
    '{"id": "c", "name": "C", "currency": "EUR", "timezone": "UTC",'
    ' "start": "2026-01-01T00:00:00+00:00", "end": "2026-02-01T00:00:00+00:00"%s}'
)


def _problems(text: str, format: str = "json") -> list[str]:
    with pytest.raises(DocumentError) as caught:
        parse_campaign(text, format=format, source="spring")
    assert str(caught.value).startswith("spring: ")
    return caught.value.problems


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        (', "id": "d"', "$.id"),
        (
            ', "attribution": {"promo_code_precedence": true, "promo_code_precedence": false}',
            "$.attribution.promo_code_precedence",
        ),
        (
            ', "partners": [{"type": "affiliate", "id": "a", "name": "A", "id": "b"}]',
            "$.partners[0].id",
        ),
        (
            ', "budget": {"amount": "84.00", "currency": "EUR", "amount": "999.00"}',
            "$.budget.amount",
        ),
    ],
)
def test_a_repeated_json_key_is_a_located_problem(extra: str, path: str) -> None:
    problems = _problems(_JSON % extra)
    assert any("given twice" in p and p.endswith(f"@ {path}") for p in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        TOML + '\nid = "again"\n',
        TOML.replace('kind = "coupon"', 'kind = "coupon"\nkind = "cashback"'),
        TOML + "\n[attribution]\npromo_code_precedence = true\n[attribution]\n",
    ],
)
def test_a_repeated_toml_key_is_refused(text: str) -> None:
    (problem,) = _problems(text, "toml")
    assert problem.startswith("not valid TOML")
    assert "given twice" in problem


_ACCOUNT = (
    ', "partners": [{"type": "influencer", "id": "lea", "name": "Lea",'
    ' "accounts": [{"platform": "tiktok", "handle": "@lea", "audience": %s}]}]'
)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        (
            ', "attribution": {"promo_code_precedence": "false"}',
            "$.attribution.promo_code_precedence",
        ),
        (', "attribution": {"promo_code_precedence": 0}', "$.attribution.promo_code_precedence"),
        (_ACCOUNT % "1.9", "$.partners[0].accounts[0].audience"),
        (_ACCOUNT % "1.0", "$.partners[0].accounts[0].audience"),
        (_ACCOUNT % "true", "$.partners[0].accounts[0].audience"),
        (_ACCOUNT % '"420000"', "$.partners[0].accounts[0].audience"),
        (', "partners": [{"type": "affiliate", "id": [], "name": "A"}]', "$.partners[0].id"),
        (', "partners": [{"type": "affiliate", "id": null, "name": "A"}]', "$.partners[0].id"),
        (', "partners": [{"type": "affiliate", "id": "a", "name": 5}]', "$.partners[0].name"),
        (
            ', "partners": [{"type": "affiliate", "id": "a", "name": "A", "kind": 1}]',
            "$.partners[0].kind",
        ),
        (', "partners": [{"type": "affiliate", "id": "a", "name": true}]', "$.partners[0].name"),
        (', "partners": [{"type": "affiliate", "id": "\\ud800", "name": "A"}]', "$.partners[0].id"),
        (', "attribution": {"dedupe_channels": "paid_search"}', "$.attribution.dedupe_channels"),
        (', "partners": {"type": "affiliate"}', "$.partners"),
        (', "partners": "ab"', "$.partners"),
        (', "attribution": []', "$.attribution"),
        (', "partners": [["type", "affiliate"]]', "$.partners[0]"),
        (
            ', "fx": {"rates": [{"base": "USD", "quote": "EUR", "effective": "2026-01-01",'
            ' "rate": true}]}',
            "$.fx.rates[0].rate",
        ),
        (
            ', "fx": {"rates": [{"base": "USD", "quote": "EUR", "effective": "2026-01-01",'
            ' "rate": ["0.92"]}]}',
            "$.fx.rates[0].rate",
        ),
    ],
)
def test_loose_types_are_refused_with_their_key_path(extra: str, path: str) -> None:
    problems = _problems(_JSON % extra)
    assert any(p.endswith(f"@ {path}") for p in problems), problems


def test_strict_types_still_accept_their_own_kind() -> None:
    campaign = parse_campaign(_JSON % (_ACCOUNT % "420000"), format="json")
    assert campaign.partners[0].accounts[0].audience == 420000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "format", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "json", "nested too deeply"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "json", "nested too deeply"),
        ("a = " + "[" * 100_000 + "]" * 100_000, "toml", "nested too deeply"),
        ("a = " + "{b = " * 50_000 + "1" + "}" * 50_000, "toml", "nested too deeply"),
        (_JSON % (', "x": ' + "1" * 5000), "json", "too many digits"),
        ("x = " + "1" * 5000, "toml", "too many digits"),
        (_JSON % ', "budget": NaN', "json", "NaN"),
        (_JSON % ', "budget": -Infinity', "json", "-Infinity"),
        ("[]", "json", "expected a table"),
        ('"spring"', "json", "expected a table"),
    ],
)
def test_crash_classes_are_document_errors(text: str, format: str, expected: str) -> None:
    problems = _problems(text, format)
    assert any(expected in p for p in problems), problems


def test_a_campaign_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(TOML.encode("latin-1"))
    with pytest.raises(DocumentError, match=r"not UTF-8 text.*byte 0xe9 at offset \d+"):
        load_campaign(path)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    for suffix, text in (
        ("toml", TOML),
        ("json", campaign_to_json(parse_campaign(TOML, format="toml"))),
    ):
        path = tmp_path / f"bom.{suffix}"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        assert load_campaign(path) == parse_campaign(TOML, format="toml")


def test_a_window_beyond_the_maximum_is_located() -> None:
    extra = ', "attribution": {"windows": {"click": "10000 years"}}'
    problems = _problems(_JSON % extra)
    assert any("at most 100 years" in p and p.endswith("@ $.attribution") for p in problems), (
        problems
    )
