"""Fuzz the command line: random arguments and mutated files never end in a traceback."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridroi.cli import main
from hybridroi.demo.cosmetics import DEMO_SEED, demo_data
from hybridroi.files.campaign import campaign_to_json

CAMPAIGN = campaign_to_json(demo_data(seed=DEMO_SEED, size=200).campaign)
EVENTS = (
    "type,id,kind,instant,customer_key,partner_id,content_id,revenue,currency,new_customer\n"
    "touch,T-1,click,2026-03-07T09:00:00+01:00,c1,bonsplans,,,,\n"
    "touch,T-2,view,2026-03-07T09:30:00+01:00,c2,camille,camille-tt-1,,,\n"
    "sale,S-1,,2026-03-07T10:00:00+01:00,c1,,,12.00,EUR,true\n"
    "sale,S-2,,2026-03-08T10:00:00+01:00,c2,,,30.50,EUR,\n"
    "refund,R-1,,2026-03-09T10:00:00+01:00,,,,5.00,EUR,\n"
)
# Pieces that exercise the edges of the readers: separators, quotes, digits that are
# not ASCII, a byte-order mark, control characters, huge numbers, odd dates.
PIECES = [
    ",",
    '"',
    "\n",
    "\r",
    "\r\n",
    "\ufeff",
    "\x00",
    "\x1b[31m",
    "²",
    "-",
    "+",
    "=",
    "0",
    "9" * 40,
    "1e999",
    "NaN",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T00:00Z",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "USD",
    "eur",
    "",
    "é",
    "   ",
]
OPTIONS = [
    "--format",
    "table",
    "json",
    "csv",
    "--period",
    "day",
    "week",
    "quarter",
    "campaign",
    "--as-of",
    "2026-06-01T00:00:00+02:00",
    "2026-03-01",
    "--from",
    "--to",
    "2026-03-05T00:00Z",
    "--margin",
    "0.7",
    "1.5",
    "-1",
    "--category-margin",
    "skincare=0.78",
    "x=",
    "--ltv",
    "120.00",
    "abc",
    "--seed",
    "--size",
    "5",
    "-3",
    "--events",
    "--help",
    "--debug",
    "validate",
    "report",
    "demo",
]


@st.composite
def mutated(draw: st.DrawFn, text: str, most: int = 4) -> str:
    for _ in range(draw(st.integers(0, most))):
        at = draw(st.integers(0, len(text)))
        end = at + draw(st.integers(0, 12))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[end:]
    return text


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    command=st.sampled_from(["report", "validate"]),
    # A broken campaign file stops everything: most examples keep it readable.
    campaign=st.one_of(st.just(CAMPAIGN), st.just(CAMPAIGN), mutated(CAMPAIGN, 2)),
    events=mutated(EVENTS),
    options=st.lists(st.sampled_from(OPTIONS), max_size=6),
    suffix=st.sampled_from([".csv", ".jsonl"]),
)
def test_the_command_never_ends_in_a_traceback(
    *,
    command: str,
    campaign: str,
    events: str,
    options: list[str],
    suffix: str,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        campaign_path = Path(folder) / "campaign.json"
        campaign_path.write_text(campaign, encoding="utf-8", errors="surrogatepass")
        events_path = Path(folder) / f"events{suffix}"
        events_path.write_text(events, encoding="utf-8")
        argv = [command, str(campaign_path), "--events", str(events_path), *options]
        out, err = io.StringIO(), io.StringIO()
        status = main(argv, stdout=out, stderr=err)
    assert status in (0, 1, 2), (argv, err.getvalue())
    if "--help" in options and status == 0:
        assert out.getvalue().startswith("usage: hybridroi")
    assert "Traceback" not in err.getvalue()
    assert "internal error" not in err.getvalue()
    if status != 0:
        assert err.getvalue().endswith("\n")
