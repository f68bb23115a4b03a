"""Each KPI over its own population: click-tracked sales per click, new customers for CAC."""

from __future__ import annotations

from fractions import Fraction

from tests.report import example
from tests.report.example import at, eur

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.domain.policy import TouchKind
from hybridroi.events.customers import NewCustomerCounting
from hybridroi.events.records import Conversion, Touch
from hybridroi.report.report import Report, build_report
from hybridroi.statements.lines import StatementRun


def sale(index: int, customer_key: str | None = None, new: bool | None = None) -> Conversion:
    return Conversion(
        id=f"s{index:02d}",
        instant=at(3, 1 + index % 28),
        customer_key=customer_key or f"k{index:02d}",
        revenue=eur("50.00"),
        new_customer=new,
    )


def credit(conversion: Conversion, touch_id: str) -> Credit:
    return Credit(
        conversion_id=conversion.id,
        partner_id="coupons",
        share=Fraction(1),
        role=CreditRole.SOLE,
        touch_id=touch_id,
        content_id=None,
        revenue=conversion.revenue,
        reason="test",
    )


def click(index: int) -> Touch:
    return Touch(
        id=f"c{index:02d}",
        kind=TouchKind.CLICK,
        instant=at(3, 1 + index % 28, 9),
        customer_key=f"v{index:02d}",
        partner_id="coupons",
    )


def report(sales: list[Conversion], credits: list[Credit], touches: list[Touch]) -> Report:
    run = StatementRun(
        as_of=example.AS_OF,
        statements=(),
        attribution=AttributionResult(credits=tuple(credits), unattributed=(), problems=()),
        problems=(),
    )
    return build_report(example.campaign(), example.with_events(run, [*touches, *sales]))


def test_promo_code_sales_are_not_converted_clicks() -> None:
    # 20 sales credited through a promo code and 10 clicks: no click led to a sale.
    sales = [sale(index) for index in range(20)]
    clicks = [click(index) for index in range(10)]
    total = report(sales, [credit(s, f"code:{s.id}") for s in sales], clicks).total
    assert total.figures.sales == 20
    assert total.figures.clicks == 10
    assert total.kpis.conversion_rate.value != 2
    assert total.kpis.conversion_rate.value == 0


def test_conversion_rate_counts_the_sales_clicks_earned() -> None:
    sales = [sale(index) for index in range(20)]
    clicks = [click(index) for index in range(10)]
    credits = [
        credit(s, clicks[index].id if index < 4 else f"code:{s.id}")
        for index, s in enumerate(sales)
    ]
    kpis = report(sales, credits, clicks).total.kpis
    assert kpis.conversion_rate.value == Fraction(4, 10)


def test_first_time_buyers_without_a_flag_are_new_customers() -> None:
    # Item 14: a sale that does not say is not a returning customer's.
    sales = [sale(index) for index in range(4)]
    total = report(sales, [credit(s, f"code:{s.id}") for s in sales], []).total
    assert total.figures.new_customers == 4
    assert total.figures.new_customer_counting is NewCustomerCounting.DERIVED
    assert total.kpis.cac.reason is None


def test_a_customers_later_sale_returns_and_a_given_flag_is_kept() -> None:
    sales = [sale(0, "k1"), sale(1, "k1"), sale(2, "k2", new=False)]
    total = report(sales, [credit(s, f"code:{s.id}") for s in sales], []).total
    assert total.figures.new_customers == 1
    assert total.figures.new_customer_counting is NewCustomerCounting.MIXED


def test_cac_says_why_it_is_undefined() -> None:
    sales = [sale(0, new=False)]
    total = report(sales, [credit(sales[0], "code:s00")], []).total
    assert total.figures.new_customer_counting is NewCustomerCounting.GIVEN
    assert total.kpis.cac.value is None
    assert total.kpis.cac.reason is not None
    assert "flags given" in total.kpis.cac.reason
