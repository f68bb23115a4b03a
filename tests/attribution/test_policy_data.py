"""An attribution policy travels as plain data with the campaign."""

from __future__ import annotations

import json

import attrs
import pytest
from tests.attribution.strategies import CAMPAIGN

from hybridroi.domain.campaign import Campaign
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
)
from hybridroi.serialization import DocumentError, structure, unstructure


@pytest.mark.parametrize(
    "model",
    [
        LastTouch(),
        FirstTouch(),
        Linear(),
        PositionBased(first="0.3", last="0.5"),
        TimeDecay(half_life="36 hours"),
        IntroducerCloser(introducer_share="1/4"),
    ],
)
def test_a_campaign_policy_round_trips_through_json(model: AttributionModel) -> None:
    policy = AttributionPolicy(
        windows={"click": "1 month", "view": "2 days"},
        model=model,
        promo_code_precedence=False,
        dedupe_channels=["paid_search", "email"],
        tie_break=TieBreak.TOUCH_ID,
    )
    campaign = attrs.evolve(CAMPAIGN, attribution=policy)
    data = json.loads(json.dumps(unstructure(campaign)))
    assert structure(data, Campaign) == campaign


def test_a_policy_reads_from_plain_data() -> None:
    data = {
        "windows": [["click", "7 days"], ["promo_code", "30 days"]],
        "model": {"kind": "position_based", "first": "0.3", "last": "0.5"},
        "dedupe_channels": ["email"],
    }
    assert structure(data, AttributionPolicy) == AttributionPolicy(
        windows={"click": "7 days", "promo_code": "30 days"},
        model=PositionBased(first="0.3", last="0.5"),
        dedupe_channels=["email"],
    )
    with pytest.raises(DocumentError):
        structure({"model": {"kind": "position_based", "first": 0.3}}, AttributionPolicy)


def test_a_model_kind_cannot_be_forged() -> None:
    with pytest.raises(ValueError, match="kind"):
        LastTouch(kind="linear")  # type: ignore[arg-type]
