"""Attribution models side by side: the figures of each partner under each model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from hybridroi import Affiliate, AffiliateDeal, Campaign, Conversion, Influencer, Money, Touch
from hybridroi.comparison import compare_models, comparison_figure, comparison_table
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import DataDriven, LastTouch, Linear
from hybridroi.events.records import Event
from hybridroi.rules import PercentRate

T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


CAMPAIGN = Campaign(
    id="spring",
    name="Spring",
    currency="EUR",
    timezone="Europe/Paris",
    start=T0 - timedelta(days=30),
    end=T0 + timedelta(days=30),
    partners=[Influencer(id="lea", name="Lea"), Affiliate(id="coupons", name="Coupons")],
    deals=[
        AffiliateDeal(
            id="lea-deal", partner_id="lea", rules=(PercentRate(id="lea-10", rate="0.10"),)
        ),
        AffiliateDeal(
            id="coupons-deal",
            partner_id="coupons",
            rules=(PercentRate(id="coupons-5", rate="0.05"),),
        ),
    ],
)


def _events() -> list[Event]:
    # Ann: lea then coupons, EUR 200. Bob: coupons alone, EUR 100.
    return [
        Touch(
            id="T1",
            kind="click",
            instant=T0 - timedelta(days=3),
            customer_key="ann",
            partner_id="lea",
        ),
        Touch(
            id="T2",
            kind="click",
            instant=T0 - timedelta(days=1),
            customer_key="ann",
            partner_id="coupons",
        ),
        Conversion(id="C1", instant=T0, customer_key="ann", revenue=eur("200.00")),
        Touch(
            id="T3",
            kind="click",
            instant=T0 - timedelta(days=2),
            customer_key="bob",
            partner_id="coupons",
        ),
        Conversion(id="C2", instant=T0, customer_key="bob", revenue=eur("100.00")),
    ]


MARKOV = DataDriven(
    method="markov", version="v1", weights={"lea": "0.75", "coupons": "0.25"}, fitted_as_of=T0
)


def test_each_partner_under_each_model_worked_by_hand() -> None:
    comparison = compare_models(
        CAMPAIGN,
        _events(),
        {"last click": LastTouch(), "linear": Linear(), "markov": MARKOV},
        as_of=T0 + timedelta(days=1),
        margin="0.5",
    )
    assert comparison.models == ("last click", "linear", "markov")
    shown = [
        (row.model, row.partner_id, row.conversions, row.revenue, row.commissions)
        for row in comparison.rows
    ]
    assert shown == [
        # coupons: last click takes both sales (EUR 300, 5% = 15.00); linear half of
        # Ann's (100 + 100, 10.00); markov a quarter of Ann's (50 + 100, 7.50).
        ("last click", "coupons", Fraction(2), eur("300.00"), eur("15.00")),
        ("linear", "coupons", Fraction(3, 2), eur("200.00"), eur("10.00")),
        ("markov", "coupons", Fraction(5, 4), eur("150.00"), eur("7.50")),
        # lea: nothing, half of Ann's (100, 10% = 10.00), three quarters (150, 15.00).
        ("last click", "lea", Fraction(0), eur("0.00"), eur("0.00")),
        ("linear", "lea", Fraction(1, 2), eur("100.00"), eur("10.00")),
        ("markov", "lea", Fraction(3, 4), eur("150.00"), eur("15.00")),
        # The campaign: the same revenue, a different cost.
        ("last click", None, Fraction(2), eur("300.00"), eur("15.00")),
        ("linear", None, Fraction(2), eur("300.00"), eur("20.00")),
        ("markov", None, Fraction(2), eur("300.00"), eur("22.50")),
    ]
    # ROI of markov for lea: (150 x 0.5 - 15) / 15 = 4.
    markov_lea = next(r for r in comparison.rows if r.model == "markov" and r.partner_id == "lea")
    assert markov_lea.roi.value == 4
    assert comparison.unattributed == (("last click", 0), ("linear", 0), ("markov", 0))
    assert comparison.run_of("markov").attribution.credits[0].reason.startswith("markov model v1")
    with pytest.raises(InvalidValueError, match="model"):
        comparison.run_of("nope")


def test_models_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="models"):
        compare_models(CAMPAIGN, _events(), {}, as_of=T0)
    with pytest.raises(InvalidValueError, match="models"):
        compare_models(CAMPAIGN, _events(), {" ": LastTouch()}, as_of=T0)
    with pytest.raises(InvalidValueError, match="model"):
        compare_models(CAMPAIGN, _events(), {"x": "last"}, as_of=T0)  # type: ignore[dict-item]


def test_the_figure_has_one_panel_per_measure_and_a_bar_per_model_and_partner() -> None:
    pytest.importorskip("matplotlib")
    comparison = compare_models(
        CAMPAIGN,
        _events(),
        {"last click": LastTouch(), "markov": MARKOV},
        as_of=T0 + timedelta(days=1),
    )
    figure = comparison_figure(comparison, measures=("revenue", "commissions", "conversions"))
    panels = figure.axes
    assert len(panels) == 3
    assert [len(axes.patches) for axes in panels] == [4, 4, 4]
    heights = sorted(patch.get_height() for patch in panels[1].patches)  # type: ignore[attr-defined]
    assert heights == [0.0, 7.5, 15.0, 15.0]
    assert panels[0].get_ylabel() == "attributed net revenue (EUR)"
    with pytest.raises(InvalidValueError, match="measures"):
        comparison_figure(comparison, measures=("likes",))


def test_the_comparison_as_a_table() -> None:
    comparison = compare_models(
        CAMPAIGN,
        _events(),
        {"last click": LastTouch(), "markov": MARKOV},
        as_of=T0 + timedelta(days=1),
        margin="0.5",
    )
    table = comparison_table(comparison)
    assert table.column("model").to_pylist() == ["last click", "markov"] * 3
    assert table.column("partner_id").to_pylist() == [
        "coupons",
        "coupons",
        "lea",
        "lea",
        None,
        None,
    ]
    assert table.column("commissions_minor").to_pylist() == [1500, 750, 0, 1500, 1500, 2250]
    assert table.column("conversions_numerator").to_pylist() == [2, 5, 0, 3, 2, 2]
    assert table.column("conversions_denominator").to_pylist() == [1, 4, 1, 4, 1, 1]
    # lea under last click cost nothing: ROI undefined, null.
    assert table.column("roi").to_pylist()[2] is None
    assert table.column("roi_numerator").to_pylist()[3] == 4
