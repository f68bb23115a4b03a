"""Fixed fees: one-off, per deliverable, retainer with proration, seeding, usage rights."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.statements.strategies import at, campaign, credit, eur, lines, run, sale, statement

from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.domain.partners import Content, ContentFormat, Platform
from hybridroi.domain.rules import PercentRate
from hybridroi.statements.lines import LineKind


def post(content_id: str, day: int, month: int = 1) -> Content:
    return Content(
        id=content_id,
        partner_id="I1",
        platform=Platform.INSTAGRAM,
        format=ContentFormat.PHOTO,
        published_at=at(day, month),
    )


def test_dated_fees_fall_due_once() -> None:
    fees = [
        InfluencerFee(
            id="sign", partner_id="I1", kind=FeeKind.ONE_OFF, amount=eur("500.00"), due=at(2)
        ),
        InfluencerFee(
            id="seed",
            partner_id="I1",
            kind=FeeKind.PRODUCT_SEEDING,
            amount=eur("80.00"),
            due=at(4),
            description="skincare kit",
        ),
        InfluencerFee(
            id="rights",
            partner_id="I1",
            kind=FeeKind.USAGE_RIGHTS,
            amount=eur("300.00"),
            due=at(3, 3),
        ),
    ]
    result = run(campaign(partners=["I1"], fees=fees), [], as_of=at(1, 3))
    found = lines(result, "I1")
    assert {key: line.amount for key, line in found.items()} == {
        "fee:sign": eur("500.00"),
        "fee:seed": eur("80.00"),
    }
    assert (
        found["fee:seed"].explanation == "product seeding (skincare kit) due 2026-01-04 = EUR 80.00"
    )
    assert found["fee:sign"].kind is LineKind.FEE
    assert statement(result, "2026-01", "I1").fees == eur("580.00")


def test_per_deliverable_pays_on_publication_up_to_a_maximum() -> None:
    fee = InfluencerFee(
        id="cpp",
        partner_id="I1",
        kind=FeeKind.PER_DELIVERABLE,
        amount=eur("250.00"),
        max_deliverables=2,
    )
    contents = [post("P1", 5), post("P2", 10), post("P3", 12), post("P4", 5, month=6)]
    result = run(campaign(partners=["I1"], fees=[fee], contents=contents), [], as_of=at(1, 3))
    found = lines(result, "I1")
    assert sorted(found) == ["fee:cpp:P1", "fee:cpp:P2"]
    assert found["fee:cpp:P2"].earned_at == at(10)
    # the third deliverable is over the maximum: reported, not silently dropped
    assert [p.subject for p in result.problems] == ["content:P3"]


def test_monthly_retainer_with_proration_by_actual_days() -> None:
    # Campaign from 2026-01-01 to 2027-01-01 in Paris; a retainer of 900.00 on the 16th
    # of each month from 2025-12-16: the first occurrence covers 2025-12-16 to
    # 2026-01-16 (31 days) of which the campaign covers 2026-01-01 to 2026-01-16 (15 days).
    fee = InfluencerFee(
        id="ret",
        partner_id="I1",
        kind=FeeKind.RETAINER,
        amount=eur("900.00"),
        schedule="FREQ=MONTHLY;BYMONTHDAY=16;COUNT=3",
        schedule_start=datetime(2025, 12, 16, tzinfo=UTC),
        prorate=True,
    )
    result = run(campaign(partners=["I1"], fees=[fee]), [], as_of=at(1, 6))
    found = lines(result, "I1")
    # 900.00 x 15/31 = 435.483... -> 435.48; then two whole months
    assert found["fee:ret:2025-12-16T00:00:00+00:00"].amount == eur("435.48")
    assert (
        "15/31 days covered by the campaign"
        in found["fee:ret:2025-12-16T00:00:00+00:00"].explanation
    )
    assert found["fee:ret:2026-01-16T00:00:00+00:00"].amount == eur("900.00")
    assert found["fee:ret:2026-02-16T00:00:00+00:00"].amount == eur("900.00")
    assert len(found) == 3


def test_retainer_without_proration_stops_at_as_of() -> None:
    fee = InfluencerFee(
        id="ret",
        partner_id="I1",
        kind=FeeKind.RETAINER,
        amount=eur("1000.00"),
        schedule="FREQ=MONTHLY;COUNT=12",
        schedule_start=at(1),
    )
    result = run(campaign(partners=["I1"], fees=[fee]), [], as_of=at(15, 3))
    assert len(lines(result, "I1")) == 3  # January, February and March


def test_hybrid_deal_is_fee_plus_commission() -> None:
    fee = InfluencerFee(
        id="sign", partner_id="I1", kind=FeeKind.ONE_OFF, amount=eur("500.00"), due=at(2)
    )
    deal = AffiliateDeal(id="D", partner_id="I1", rules=[PercentRate(id="pct", rate="0.10")])
    conversion = sale("S1", at(5), "200.00")
    result = run(
        campaign(deal, partners=["I1"], fees=[fee]),
        [conversion],
        credits=[credit(conversion, partner_id="I1")],
    )
    january = statement(result, "2026-01", "I1")
    # fee 500.00 + 10% of 200.00 = 520.00
    assert january.fees == eur("500.00")
    assert january.commissions == eur("20.00")
    assert january.partner_total == eur("520.00")
