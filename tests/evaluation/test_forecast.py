from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.evaluation.example import START, point_forecast, uncertain_forecast

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding
from hybridroi.core.problems import ProblemKind
from hybridroi.evaluation import (
    Beta,
    Empirical,
    Forecast,
    LogNormal,
    Point,
    Triangular,
)
from hybridroi.events.records import Conversion, ConversionKind
from hybridroi.statements.lines import StatementRun


def test_point_forecast_funnel_by_hand() -> None:
    # 3 x 200,000 views = 600,000; x 1.2% = 7,200 clicks; x 2.5% = 180 orders.
    volume = point_forecast().expected_volume()
    assert volume.sales == 180
    assert volume.order_value == Money("50.00", "EUR")
    assert volume.revenue == Money("9000.00", "EUR")
    assert volume.gross_profit.round() == Money("5400.00", "EUR")  # 9,000 x 60%


def test_refunds_remove_orders_and_half_even_rounds_the_count() -> None:
    # 180 orders x (1 - 12.5%) = 157.5 kept orders: half-even gives 158, half-down 157.
    base = point_forecast()
    refunded = Forecast(
        currency="EUR",
        views=base.views,
        pieces=3,
        click_through_rate=base.click_through_rate,
        conversion_rate=base.conversion_rate,
        order_value=base.order_value,
        margin=base.margin,
        refund_rate=Point(value="0.125"),
    )
    assert refunded.expected_units()[0] == 158
    half_down = Forecast(
        currency="EUR",
        views=base.views,
        pieces=3,
        click_through_rate=base.click_through_rate,
        conversion_rate=base.conversion_rate,
        order_value=base.order_value,
        margin=base.margin,
        refund_rate=Point(value="0.125"),
        rounding=Rounding.HALF_DOWN,
    )
    assert half_down.expected_units()[0] == 157


def test_order_value_step_rounds_the_order_value() -> None:
    forecast = Forecast(
        currency="EUR",
        views=Point(value="1000"),
        click_through_rate=Point(value="0.1"),
        conversion_rate=Point(value="0.1"),
        order_value=Point(value="48.49"),
        margin=Point(value="0.5"),
        order_value_step="0.50",
    )
    # 48.49 / 0.50 = 96.98 steps -> 97 steps = EUR 48.50.
    assert forecast.expected_volume().order_value == Money("48.50", "EUR")


def test_invalid_forecasts_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValueError, match=r"Forecast\.click_through_rate"):
        Forecast(
            currency="EUR",
            views=Point(value="1000"),
            click_through_rate=LogNormal(median="0.01", sigma="0.2"),
            conversion_rate=Point(value="0.1"),
            order_value=Point(value="50"),
            margin=Point(value="0.5"),
        )
    with pytest.raises(InvalidValueError, match=r"Forecast\.order_value_step"):
        Forecast(
            currency="EUR",
            views=Point(value="1000"),
            click_through_rate=Point(value="0.1"),
            conversion_rate=Point(value="0.1"),
            order_value=Point(value="50"),
            margin=Point(value="0.5"),
            order_value_step="0.001",
        )
    with pytest.raises(InvalidValueError, match=r"Triangular\.mode"):
        Triangular(low="2", mode="1", high="3")
    with pytest.raises(TypeError, match="float"):
        Point(value=0.1)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"Empirical\.values"):
        Empirical(values=[])


def test_beta_from_mean() -> None:
    beta = Beta.from_mean("0.25", 40)
    assert (beta.alpha, beta.beta) == (Decimal(10), Decimal(30))
    assert beta.mean() == Decimal("0.25")


def test_same_seed_same_draws_and_another_seed_differs() -> None:
    forecast = uncertain_forecast()
    assert forecast.draws(200, seed=7) == forecast.draws(200, seed=7)
    assert forecast.draws(200, seed=7) != forecast.draws(200, seed=8)


@given(
    value=st.decimals(min_value=0, max_value=10_000, places=2),
    count=st.integers(min_value=1, max_value=5),
)
def test_certain_estimates_draw_their_mean_exactly(value: Decimal, count: int) -> None:
    rng = random.Random(1)
    for estimate in (
        Point(value=value),
        Triangular(low=value, mode=value, high=value),
        Empirical(values=[value] * count),
    ):
        assert estimate.sample(rng) == estimate.mean() == value
    if value > 0:
        lognormal = LogNormal(median=value, sigma=0)
        assert lognormal.sample(rng) == lognormal.mean() == value


@given(seed=st.integers(min_value=0, max_value=10_000))
def test_draws_stay_within_the_support(seed: int) -> None:
    rng = random.Random(seed)
    triangular = Triangular(low="35", mode="48", high="70")
    beta = Beta.from_mean("0.02", 50)
    empirical = Empirical(values=["10", "20.50"])
    for _ in range(20):
        assert 35 <= triangular.sample(rng) <= 70
        assert 0 <= beta.sample(rng) <= 1
        assert empirical.sample(rng) in {Decimal(10), Decimal("20.50")}


@given(seed=st.integers(min_value=0, max_value=10_000))
def test_drawn_volumes_are_whole_and_within_bounds(seed: int) -> None:
    forecast = uncertain_forecast()
    for sales, value, margin in forecast.draws(20, seed):
        assert sales >= 0
        assert 3500 <= value <= 7000
        assert value % 100 == 0  # whole euros: the step is EUR 1
        assert 5500 <= margin <= 6500


def _sale(sale_id: str, amount: str, currency: str = "EUR") -> Conversion:
    return Conversion(
        id=sale_id,
        instant=START + timedelta(days=1),
        customer_key="c",
        revenue=Money(amount, currency),
    )


def test_empirical_order_values_from_past_events_report_other_currencies() -> None:
    lead = Conversion(
        id="L1",
        instant=START,
        customer_key="c",
        revenue=Money("0", "EUR"),
        kind=ConversionKind.LEAD,
    )
    estimate, problems = Empirical.from_order_values(
        [_sale("S2", "30.00"), _sale("S1", "45.50"), _sale("S3", "20.00", "USD"), lead], "EUR"
    )
    assert estimate is not None
    assert estimate.values == (Decimal("45.50"), Decimal("30.00"))
    assert estimate.mean() == Decimal("37.75")
    assert [problem.kind for problem in problems] == [ProblemKind.CURRENCY]
    assert problems[0].subject == "conversion:S3"
    nothing, why = Empirical.from_order_values([lead], "EUR")
    assert nothing is None
    assert why[0].kind is ProblemKind.INVALID


def test_empirical_order_values_from_a_past_statement_run() -> None:
    def credit(sale_id: str, partner: str, amount: str, share: Fraction) -> Credit:
        return Credit(
            conversion_id=sale_id,
            partner_id=partner,
            share=share,
            role=CreditRole.SOLE,
            touch_id="t",
            content_id=None,
            revenue=Money(amount, "EUR"),
            reason="test",
        )

    run = StatementRun(
        as_of=START,
        statements=(),
        attribution=AttributionResult(
            credits=(
                credit("S1", "lea", "40.00", Fraction(1)),
                credit("S2", "lea", "25.00", Fraction(1, 2)),
                credit("S2", "blog", "25.00", Fraction(1, 2)),
            ),
            unattributed=(),
            problems=(),
        ),
        problems=(),
    )
    estimate, problems = Empirical.from_statements(run, "lea", "EUR")
    assert estimate is not None
    assert estimate.values == (Decimal("40.00"), Decimal("25.00"))
    assert problems == ()
    missing, why = Empirical.from_statements(run, "nobody", "EUR")
    assert missing is None
    assert "no credited sale" in why[0].message
