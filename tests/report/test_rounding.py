"""Report rows add exact shares and round once: no cent drifts to one partner."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.report import example

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.allocation import allocate
from hybridroi.core.money import Money
from hybridroi.events.records import Conversion, Refund
from hybridroi.report.report import Dimension, Report, build_report
from hybridroi.statements.lines import StatementRun

PARTNERS = ("coupons", "hugo", "lea")


def _report(sales: list[tuple[int, dict[str, int]]], refunds: dict[int, int]) -> Report:
    """Sales of ``cents`` split by integer weights, each refunded by ``refunds[i]`` cents."""
    events: list[Conversion | Refund] = []
    credits: list[Credit] = []
    for index, (cents, weights) in enumerate(sales):
        conversion = Conversion(
            id=f"s{index:04}",
            instant=example.at(3, 1) + timedelta(minutes=index),
            customer_key=f"c{index}",
            revenue=Money.from_minor(cents, "EUR"),
        )
        events.append(conversion)
        if index in refunds:
            events.append(
                Refund(
                    id=f"r{index:04}",
                    conversion_id=conversion.id,
                    instant=conversion.instant + timedelta(hours=1),
                    amount=Money.from_minor(refunds[index], "EUR"),
                )
            )
        total = sum(weights.values())
        parts = allocate(conversion.revenue, weights)
        credits.extend(
            Credit(
                conversion_id=conversion.id,
                partner_id=partner,
                share=Fraction(weight, total),
                role=CreditRole.SOLE,
                touch_id=f"t-{partner}",
                content_id=None,
                revenue=parts[partner],
                reason="test",
            )
            for partner, weight in sorted(weights.items())
        )
    run = StatementRun(
        as_of=example.at(4, 30),
        statements=(),
        attribution=AttributionResult(credits=tuple(credits), unattributed=(), problems=()),
        problems=(),
    )
    return build_report(example.campaign(), example.with_events(run, events))


def test_three_way_sales_credit_every_partner_the_same() -> None:
    # 300 sales of 50.00 split three ways: each partner's exact share is 5,000.00.
    report = _report([(5000, dict.fromkeys(PARTNERS, 1))] * 300, {})
    revenue = {r.key: r.figures.sales_revenue for r in report.by_partner if r.key in PARTNERS}
    assert revenue == dict.fromkeys(PARTNERS, Money("5000.00", "EUR"))
    assert report.total.figures.sales_revenue == Money("15000.00", "EUR")


def test_refunds_of_three_way_sales_are_shared_the_same() -> None:
    report = _report([(5000, dict.fromkeys(PARTNERS, 1))] * 30, dict.fromkeys(range(30), 100))
    refunds = {r.key: r.figures.refunds for r in report.by_partner if r.key in PARTNERS}
    assert refunds == dict.fromkeys(PARTNERS, Money("10.00", "EUR"))


sales_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=100_000),
        st.dictionaries(st.sampled_from(PARTNERS), st.integers(1, 5), min_size=1),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(sales=sales_strategy, refund_every=st.integers(1, 4), reverse=st.booleans())
def test_rows_sum_to_the_total_and_stay_within_a_minor_unit_of_their_exact_share(
    sales: list[tuple[int, dict[str, int]]], refund_every: int, reverse: bool
) -> None:
    if reverse:
        # The same sales with the partners' ids in the opposite alphabetical order.
        rename = dict(zip(PARTNERS, reversed(PARTNERS), strict=True))
        sales = [(cents, {rename[p]: w for p, w in weights.items()}) for cents, weights in sales]
    refunds = {
        i: cents // 3 for i, (cents, _) in enumerate(sales) if i % refund_every == 0 and cents >= 3
    }
    report = _report(sales, refunds)
    exact_sales: dict[str, Fraction] = dict.fromkeys(PARTNERS, Fraction(0))
    exact_refunds: dict[str, Fraction] = dict.fromkeys(PARTNERS, Fraction(0))
    for index, (cents, weights) in enumerate(sales):
        total = sum(weights.values())
        for partner, weight in weights.items():
            exact_sales[partner] += Fraction(cents * weight, total)
            exact_refunds[partner] += Fraction(refunds.get(index, 0) * weight, total)
    figures = report.total.figures
    assert figures.sales_revenue.minor_units == sum(cents for cents, _ in sales)
    assert figures.refunds.minor_units == sum(refunds.values())
    for row in report.by_partner:
        exact = exact_sales.get(row.key, Fraction(0)), exact_refunds.get(row.key, Fraction(0))
        assert abs(row.figures.sales_revenue.minor_units - exact[0]) < 1
        assert abs(row.figures.refunds.minor_units - exact[1]) < 1
    for dimension in Dimension:
        rows = report.breakdown(dimension)
        assert sum(r.figures.sales_revenue.minor_units for r in rows) == (
            figures.sales_revenue.minor_units
        )
        assert sum(r.figures.refunds.minor_units for r in rows) == figures.refunds.minor_units
