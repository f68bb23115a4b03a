"""Every KPI on hand-computed figures, zero denominators, and exact rounding."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from tests.strategies import money

from hybridroi.core.errors import CurrencyMismatchError, InvalidValueError
from hybridroi.core.money import Money, Rounding
from hybridroi.report.incrementality import Holdout, incrementality
from hybridroi.report.kpis import (
    EngagementBasis,
    Kpi,
    aov,
    cac,
    conversion_rate,
    cost_per_post,
    cpa,
    cpc,
    cpe,
    cpm,
    cpv,
    ctr,
    engagement_rate,
    epc,
    ltv_roi,
    ratio,
    revenue_roi,
    roas,
    roi,
)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


ZERO = eur("0")
COST = eur("400.00")


def test_each_kpi_on_hand_computed_figures() -> None:
    # ROI: (gross profit 700 - cost 400) / 400 = 300 / 400 = 0.75
    assert roi(eur("700.00"), COST).value == Fraction(3, 4)
    # revenue ROI: (1200 - 400) / 400 = 2
    assert revenue_roi(eur("1200.00"), COST).value == 2
    # ROAS: 1200 / 400 = 3
    assert roas(eur("1200.00"), COST).value == 3
    # CPA: 400 / 16 conversions = 25 EUR
    kpi = cpa(COST, 16)
    assert kpi.value == 25
    assert kpi.currency == "EUR"
    # CAC: 400 / 5 new customers = 80
    assert cac(COST, 5).value == 80
    # AOV: 1200 / 16 sales = 75
    assert aov(eur("1200.00"), 16).value == 75
    # conversion rate: 16 / 800 clicks = 0.02
    assert conversion_rate(16, 800).value == Fraction(1, 50)
    # CTR: 800 clicks / 40,000 views = 0.02
    assert ctr(800, 40_000).value == Fraction(1, 50)
    # EPC: 96 commissions / 800 clicks = 0.12
    assert epc(eur("96.00"), 800).value == Fraction(3, 25)
    # CPM: 400 x 1000 / 40,000 = 10
    assert cpm(COST, 40_000).value == 10
    # CPC: 400 / 800 = 0.50
    assert cpc(COST, 800).value == Fraction(1, 2)
    # CPV: 400 / 40,000 = 0.01
    assert cpv(COST, 40_000).value == Fraction(1, 100)
    # CPE: 400 / 2,000 engagements = 0.20
    assert cpe(COST, 2_000).value == Fraction(1, 5)
    # engagement rate: 2,000 / 100,000 followers = 0.02; 2,000 / 40,000 views = 0.05
    by_followers = engagement_rate(2_000, 100_000, basis=EngagementBasis.FOLLOWERS)
    by_views = engagement_rate(2_000, 40_000, basis=EngagementBasis.VIEWS)
    assert (by_followers.name, by_followers.value) == ("engagement_rate_followers", Fraction(1, 50))
    assert (by_views.name, by_views.value) == ("engagement_rate_views", Fraction(1, 20))
    # cost per post: 400 / 4 = 100
    assert cost_per_post(COST, 4).value == 100
    # LTV ROI: (5 new customers x 120 - 400) / 400 = 200 / 400 = 0.5
    assert ltv_roi(5, eur("120.00"), COST).value == Fraction(1, 2)


@pytest.mark.parametrize(
    ("kpi", "reason"),
    [
        (roi(eur("10.00"), ZERO), "cost is zero"),
        (roi(None, COST), "no gross margin given, so no gross profit; see the revenue-based ROI"),
        (revenue_roi(eur("10.00"), ZERO), "cost is zero"),
        (roas(eur("10.00"), ZERO), "cost is zero"),
        (roas(eur("10.00"), eur("-1.00")), "cost is negative"),
        (cpa(COST, 0), "no conversions"),
        (cac(COST, 0), "no new customers"),
        (aov(ZERO, 0), "no sales"),
        (conversion_rate(0, 0), "no clicks"),
        (ctr(3, 0), "no views"),
        (epc(ZERO, 0), "no clicks"),
        (cpm(COST, 0), "no views"),
        (cpc(COST, 0), "no clicks"),
        (cpv(COST, 0), "no views"),
        (cpe(COST, 0), "no engagements"),
        (engagement_rate(5, 0, basis=EngagementBasis.FOLLOWERS), "no followers"),
        (engagement_rate(5, 0, basis=EngagementBasis.VIEWS), "no views"),
        (cost_per_post(COST, 0), "no posts"),
        (ltv_roi(3, None, COST), "no customer lifetime value given"),
        (ltv_roi(3, eur("10.00"), ZERO), "cost is zero"),
    ],
)
def test_zero_denominators_are_undefined_with_a_reason(kpi: Kpi, reason: str) -> None:
    assert kpi.value is None
    assert kpi.decimal() is None
    assert not kpi.defined
    assert kpi.reason == reason
    assert f"undefined ({reason})" in str(kpi)


def test_money_kpis_carry_their_currency_and_pure_ratios_do_not() -> None:
    assert cpa(COST, 3).currency == "EUR"
    assert roas(eur("1.00"), COST).currency is None
    assert str(cpa(COST, 3)) == "CPA = cost / conversions = 133.3333 EUR"


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
        roas(Money("10.00", "USD"), COST)
    with pytest.raises(CurrencyMismatchError):
        incrementality(holdout(), spend=Money("1.00", "USD"), margin=None)


def test_a_kpi_cannot_be_built_defined_on_a_zero_denominator() -> None:
    with pytest.raises(InvalidValueError, match="Kpi.denominator"):
        Kpi(name="x", label="X", formula="a / b", numerator=Fraction(1), denominator=Fraction(0))


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        ratio("x", "X", "a / b", 1.5, 2, denominator_name="b")  # type: ignore[arg-type]


def test_shared_sales_count_as_fractions() -> None:
    # 2.5 credited sales (one sale shared half and half) for 100 EUR: CPA = 40
    assert cpa(eur("100.00"), Fraction(5, 2)).value == 40


@given(
    numerator=st.integers(-(10**9), 10**9),
    denominator=st.integers(1, 10**6),
    places=st.integers(0, 8),
    rounding=st.sampled_from(Rounding),
)
@example(numerator=5, denominator=2, places=0, rounding=Rounding.HALF_EVEN)
@example(numerator=-5, denominator=2, places=0, rounding=Rounding.HALF_UP)
@example(numerator=-1, denominator=3, places=2, rounding=Rounding.CEILING)
def test_rounding_agrees_with_decimal_on_every_mode(
    numerator: int, denominator: int, places: int, rounding: Rounding
) -> None:
    kpi = ratio("x", "X", "a / b", numerator, denominator, denominator_name="b")
    # Oracle: decimal's own division. A quotient that does not terminate is never
    # exactly on a half, so 80 significant digits decide every mode correctly.
    context = decimal.Context(prec=80)
    exact = context.divide(Decimal(numerator), Decimal(denominator))
    expected = exact.quantize(Decimal(1).scaleb(-places), rounding=rounding.value)
    assert kpi.decimal(places, rounding=rounding) == expected


@given(revenue=money("EUR", min_units=0), cost=money("EUR", min_units=1), rate=st.integers(0, 100))
def test_roi_is_margin_times_roas_minus_one(revenue: Money, cost: Money, rate: int) -> None:
    margin = Decimal(rate) / 100
    gross_profit = revenue * margin
    result = roi(gross_profit, cost).value
    assert result is not None
    assert result == Fraction(margin) * roas(revenue, cost).value - 1  # type: ignore[operator]


@given(
    cost=money("EUR", min_units=1, max_units=10**9),
    low=st.integers(0, 10**6),
    extra=st.integers(1, 10**6),
)
def test_cost_per_unit_falls_as_units_rise(cost: Money, low: int, extra: int) -> None:
    before = cpa(cost, low + 1).value
    after = cpa(cost, low + 1 + extra).value
    assert before is not None
    assert after is not None
    assert after < before


@given(
    numerator=money("EUR"),
    denominator=st.one_of(st.just(0), st.integers(-5, 0)),
)
def test_a_non_positive_denominator_never_raises_and_is_undefined(
    numerator: Money, denominator: int
) -> None:
    kpi = cpa(numerator, denominator)
    assert kpi.value is None
    assert kpi.reason in ("no conversions", "conversions is negative")


def holdout(**changes: object) -> Holdout:
    values: dict[str, object] = {
        "test_users": 10_000,
        "test_conversions": 300,
        "test_revenue": eur("30000.00"),
        "control_users": 10_000,
        "control_conversions": 200,
        "control_revenue": eur("20000.00"),
    }
    values.update(changes)
    return Holdout(**values)  # type: ignore[arg-type]


def test_incrementality_from_a_holdout() -> None:
    result = incrementality(holdout(), spend=eur("4000.00"), margin=Fraction(3, 5))
    # CVR test 300/10,000 = 3%, control 200/10,000 = 2%: lift = (3% - 2%) / 2% = 0.5
    assert result.lift.value == Fraction(1, 2)
    # incremental conversions = 300 - 10,000 x 2% = 100
    assert result.incremental_conversions.value == 100
    # incremental revenue = 30,000 - 10,000 x 20,000 / 10,000 = 10,000
    assert result.incremental_revenue.value == 10_000
    assert result.incremental_revenue.currency == "EUR"
    # iROAS = 10,000 / 4,000 = 2.5
    assert result.iroas.value == Fraction(5, 2)
    # incremental ROI = (10,000 x 0.6 - 4,000) / 4,000 = 0.5
    assert result.incremental_roi.value == Fraction(1, 2)


def test_incrementality_with_unequal_groups() -> None:
    result = incrementality(
        holdout(control_users=2_000, control_conversions=30, control_revenue=eur("3000.00")),
        spend=eur("1000.00"),
        margin=None,
    )
    # CVR control = 30 / 2,000 = 1.5%; lift = (3% - 1.5%) / 1.5% = 1
    assert result.lift.value == 1
    # incremental conversions = 300 - 10,000 x 1.5% = 150
    assert result.incremental_conversions.value == 150
    # incremental revenue = 30,000 - 10,000 x 3,000 / 2,000 = 15,000; iROAS = 15
    assert result.iroas.value == 15
    assert result.incremental_roi.reason is not None


def test_incrementality_with_empty_groups_is_undefined_not_a_crash() -> None:
    empty_control = incrementality(
        holdout(control_users=0, control_conversions=0, control_revenue=ZERO),
        spend=COST,
        margin=Fraction(1, 2),
    )
    assert empty_control.lift.reason == "the control group is empty"
    assert empty_control.iroas.reason == "the control group is empty"
    assert empty_control.incremental_conversions.reason == "no control users"
    no_control_conversions = incrementality(
        holdout(control_conversions=0), spend=ZERO, margin=Fraction(1, 2)
    )
    assert no_control_conversions.lift.reason == "no control conversions"
    assert no_control_conversions.iroas.reason == "spend is zero"


def test_a_holdout_refuses_impossible_groups() -> None:
    with pytest.raises(InvalidValueError, match="test_conversions"):
        holdout(test_conversions=10_001)
    with pytest.raises(InvalidValueError, match="control_revenue"):
        holdout(control_revenue=Money("1.00", "USD"))
