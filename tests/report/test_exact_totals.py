"""The report converts and adds amounts exactly, and rounds each figure once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hybridroi import (
    Affiliate,
    Campaign,
    Conversion,
    FxRates,
    InfluencerFee,
    Money,
    Refund,
    Touch,
    run,
)
from hybridroi.domain.partners import Influencer

START = datetime(2026, 3, 1, tzinfo=UTC)


def campaign(**more: object) -> Campaign:
    return Campaign(
        id="c",
        name="C",
        currency="EUR",
        timezone="Europe/Paris",
        start=START,
        end=START + timedelta(days=30),
        **more,  # type: ignore[arg-type]
    )


def test_foreign_sales_and_refunds_are_converted_exactly_then_rounded_once() -> None:
    # Ten sales of USD 0.02 at 0.5 are EUR 0.01 each; each is refunded in two halves of USD
    # 0.01 (EUR 0.005). Rounding each refund on its own made EUR 0.20 of refunds out of EUR
    # 0.10 of sales, a negative revenue; exactly, the refunds are EUR 0.10 and revenue 0.00.
    rates = FxRates.from_rows([("USD", "EUR", date(2026, 1, 1), "0.5")])
    events: list[object] = []
    for n in range(10):
        at = START + timedelta(days=1, hours=n)
        events += [
            Touch(id=f"t{n}", kind="click", instant=at, customer_key=f"k{n}", partner_id="a"),
            Conversion(
                id=f"s{n}",
                instant=at + timedelta(minutes=1),
                customer_key=f"k{n}",
                revenue=Money("0.02", "USD"),
            ),
            Refund(
                id=f"r{n}a",
                conversion_id=f"s{n}",
                instant=at + timedelta(days=1),
                amount=Money("0.01", "USD"),
            ),
            Refund(
                id=f"r{n}b",
                conversion_id=f"s{n}",
                instant=at + timedelta(days=2),
                amount=Money("0.01", "USD"),
            ),
        ]
    result = run(
        campaign(partners=[Affiliate(id="a", name="A")], fx=rates),
        events,  # type: ignore[arg-type]
        as_of=START + timedelta(days=30),
    )
    figures = result.report.total.figures
    assert figures.sales_revenue == Money("0.10", "EUR")
    assert figures.refunds == Money("0.10", "EUR")
    assert figures.revenue == Money("0.00", "EUR")


def test_costs_add_up_exactly_beyond_28_digits() -> None:
    big = Money("123456789012345678901234567.89", "EUR")
    fees = [
        InfluencerFee(id=f"f{n}", partner_id="i", kind="one_off", amount=amount, due=START)
        for n, amount in enumerate([big, Money("0.02", "EUR")])
    ]
    result = run(
        campaign(partners=[Influencer(id="i", name="I")], fees=fees),
        [],
        as_of=START + timedelta(days=30),
    )
    assert result.report.total.figures.cost == Money("123456789012345678901234567.91", "EUR")
