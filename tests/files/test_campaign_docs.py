"""The complete example of docs/campaign-file.md is a valid campaign."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hybridroi.domain.rules import Cap, NetworkFee, PercentRate, ThresholdBonus, TieredRate
from hybridroi.files.campaign import campaign_to_json, parse_campaign

DOC = Path(__file__).resolve().parents[2] / "docs" / "campaign-file.md"


def _example() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    return str(blocks[0])


def test_documented_example_loads_and_round_trips() -> None:
    campaign = parse_campaign(_example(), format="toml", source=str(DOC))
    assert [p.id for p in campaign.partners] == ["camille", "theo", "leblog", "bonsplans"]
    blog = next(d for d in campaign.deals if d.partner_id == "leblog")
    assert [type(r) for r in blog.rules] == [TieredRate, ThresholdBonus, Cap, NetworkFee]
    coupons = next(d for d in campaign.deals if d.partner_id == "bonsplans")
    assert isinstance(coupons.rules[0], PercentRate)
    assert len(coupons.rules[0].conditions) == 1
    assert tuple(campaign.attribution.dedupe_channels) == ("paid_search",)
    text = campaign_to_json(campaign)
    assert parse_campaign(text, format="json") == parse_campaign(text, format="json")
    assert json.loads(campaign_to_json(parse_campaign(text, format="json"))) == json.loads(text)
