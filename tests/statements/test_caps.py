"""Caps: a fixed order whatever the declared one, the greedy most, and lines in their own period.

Every line meets the caps per sale, then per period, then over the lifetime, and
each period or lifetime cap is charged with what the line finally pays. A line
belongs to the period it was earned in: a per-click line of March is earned at
March's last instant, not at the first instant of April.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    at,
    campaign,
    click_batches,
    eur,
    lines,
    run,
    sale,
    sales_batches,
    statement,
)

from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import Cap, CapScope, PercentRate, PerClick
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

Batch = list[tuple[Conversion, Refund | None]]
PCT = PercentRate(id="pct", rate="0.17")
CLICK = PerClick(id="cpc", amount=eur("0.35"))
# March 2026 in Europe/Paris ends at 2026-03-31 22:00 UTC (summer time began on the 29th).
MARCH_LAST_INSTANT = datetime(2026, 3, 31, 21, 59, 59, 999999, tzinfo=UTC)


def clicks(count: int, instant: datetime, prefix: str = "K") -> list[Touch]:
    return [
        Touch(
            id=f"{prefix}{n}",
            kind=TouchKind.CLICK,
            instant=instant,
            customer_key=f"visitor-{prefix}{n}",
            partner_id="A",
        )
        for n in range(count)
    ]


def cap(scope: CapScope, amount: str, period: PeriodKind = PeriodKind.MONTH) -> Cap:
    return Cap(id=f"cap-{scope.value}", scope=scope, amount=eur(amount), period=period)


class TestLinesBelongToTheirOwnPeriod:
    def test_march_clicks_count_against_marchs_cap_not_aprils(self) -> None:
        # The review's case: monthly cap 10.00, 10% rate, 1.00 per click.
        # March: sale 10% of 100.00 = 10.00 (earned 5 March), 20 clicks = 20.00 earned at
        # March's last instant: the cap is used up, so the clicks pay 0.00 (20.00 capped).
        # April: the sale pays 10.00 in full, against April's own cap.
        deal = AffiliateDeal(
            id="D",
            partner_id="A",
            rules=[
                PercentRate(id="pct", rate="0.10"),
                PerClick(id="cpc", amount=eur("1.00")),
                cap(CapScope.PERIOD, "10.00"),
            ],
        )
        result = run(
            campaign(deal),
            [sale("S1", at(5, month=3), "100.00"), sale("S2", at(5, month=4), "100.00")],
            touches=clicks(20, at(10, month=3)),
            as_of=at(1, month=5),
        )
        found = lines(result)
        march_clicks = found["clicks:cpc:2026-03"]
        assert march_clicks.earned_at == MARCH_LAST_INSTANT
        assert (march_clicks.amount, march_clicks.capped) == (eur("0.00"), eur("20.00"))
        assert "month cap for 2026-03" in march_clicks.explanation
        assert found["commission:S2:pct"].amount == eur("10.00")
        assert found["commission:S2:pct"].capped is None
        assert statement(result, "2026-03").commissions == eur("10.00")
        assert statement(result, "2026-04").commissions == eur("10.00")

    def test_weekly_clicks_count_in_the_month_of_the_weeks_last_instant(self) -> None:
        # Weekly statements, a monthly cap of 5.00, 1.00 per click. The ISO week
        # 2026-W18 runs from Monday 27 April to Sunday 3 May: its click line (3 clicks on
        # 28 April) is earned at the week's last instant, in May, so it counts against
        # May's cap: April's 4.00 of clicks (week 17) leave April's cap alone.
        deal = AffiliateDeal(
            id="D",
            partner_id="A",
            rules=[PerClick(id="cpc", amount=eur("1.00")), cap(CapScope.PERIOD, "5.00")],
            statement_period=PeriodKind.WEEK,
        )
        touches = [*clicks(4, at(21, month=4), "A"), *clicks(3, at(28, month=4), "B")]
        result = run(campaign(deal), [], touches=touches, as_of=at(10, month=5))
        found = lines(result)
        week_17, week_18 = found["clicks:cpc:2026-W17"], found["clicks:cpc:2026-W18"]
        assert (week_17.amount, week_18.amount) == (eur("4.00"), eur("3.00"))
        assert period_of(week_18.earned_at, PeriodKind.MONTH, "Europe/Paris").label == "2026-05"


class TestCapOrder:
    RULES = (
        PercentRate(id="pct", rate="0.10"),
        Cap(id="month", scope=CapScope.PERIOD, amount=eur("50.00")),
        Cap(id="per-sale", scope=CapScope.SALE, amount=eur("20.00")),
    )
    SALES = (
        sale("S1", at(5, month=3), "400.00"),
        sale("S2", at(6, month=3), "400.00"),
        sale("S3", at(7, month=3), "400.00"),
    )

    def test_per_sale_cap_applies_before_the_period_cap_whatever_the_declared_order(
        self,
    ) -> None:
        # Each sale pays 10% of 400.00 = 40.00, cut to 20.00 by the per-sale cap; the
        # monthly cap of 50.00 then takes 20.00, 20.00 and the last 10.00: 50.00 in all.
        # Declared [month, per-sale], the period cap used to be charged 40.00 for S1 and
        # the month paid 30.00.
        declared = [
            run(
                campaign(AffiliateDeal(id="D", partner_id="A", rules=rules)),
                list(self.SALES),
                as_of=at(1, month=4),
            )
            for rules in (self.RULES, (self.RULES[0], self.RULES[2], self.RULES[1]))
        ]
        assert declared[0].statements == declared[1].statements
        found = lines(declared[0])
        assert [found[f"commission:S{n}:pct"].amount for n in (1, 2, 3)] == [
            eur("20.00"),
            eur("20.00"),
            eur("10.00"),
        ]
        assert found["commission:S3:pct"].capped == eur("30.00")
        assert found["commission:S3:pct"].explanation == (
            "10% of EUR 400.00 = EUR 40.00"
            "; capped by per-sale: EUR 20.00 over the per-sale cap of EUR 20.00 not paid"
            "; capped by month: EUR 10.00 over the month cap for 2026-03 of EUR 50.00 not paid"
        )
        assert statement(declared[0], "2026-03").commissions == eur("50.00")


# Properties ------------------------------------------------------------------------------


def _greedy(
    uncapped: list[StatementLine], sale_cap: int | None, month_cap: int | None, life: int | None
) -> dict[str, int]:
    """What each line pays, capped line by line in time order (plain integer cents)."""
    paid: dict[str, int] = {}
    used_month: dict[str, int] = {}
    used_life = 0
    for line in sorted(uncapped, key=lambda item: (item.earned_at, item.key)):
        cents = line.amount.minor_units
        if sale_cap is not None and line.key.startswith("commission:"):
            cents = min(cents, sale_cap)
        month = period_of(line.earned_at, PeriodKind.MONTH, "Europe/Paris").label
        if month_cap is not None:
            cents = min(cents, month_cap - used_month.get(month, 0))
        if life is not None:
            cents = min(cents, life - used_life)
        used_month[month] = used_month.get(month, 0) + cents
        used_life += cents
        paid[line.key] = cents
    return paid


def _commission_lines(result: StatementRun) -> list[StatementLine]:
    return [line for line in lines(result).values() if line.kind is LineKind.COMMISSION]


optional_cents = st.none() | st.integers(min_value=0, max_value=30_000)


@given(
    sales_batches(months=3),
    click_batches(months=3),
    optional_cents,
    optional_cents,
    optional_cents,
    st.sampled_from([PeriodKind.MONTH, PeriodKind.WEEK]),
    st.randoms(),
)
@settings(max_examples=60)
def test_several_caps_pay_the_greedy_most_in_any_declared_order(  # noqa: PLR0917 - one argument per generated input
    batch: Batch,
    touches: list[Touch],
    sale_cap: int | None,
    month_cap: int | None,
    lifetime_cap: int | None,
    statements: PeriodKind,
    random: Random,
) -> None:
    conversions = [c for c, _ in batch]
    refunds = [r for _, r in batch if r is not None]
    caps = [
        Cap(id=name, scope=scope, amount=Money.from_minor(cents, "EUR"))
        for name, scope, cents in (
            ("c-sale", CapScope.SALE, sale_cap),
            ("b-month", CapScope.PERIOD, month_cap),
            ("a-life", CapScope.LIFETIME, lifetime_cap),
        )
        if cents is not None
    ]

    def priced(rules: list[object]) -> StatementRun:
        deal = AffiliateDeal(id="D", partner_id="A", rules=rules, statement_period=statements)
        return run(campaign(deal), conversions, refunds, touches=touches)

    capped = priced([PCT, CLICK, *caps])
    shuffled = list(caps)
    random.shuffle(shuffled)
    assert priced([*shuffled, CLICK, PCT]).statements == capped.statements

    uncapped = _commission_lines(priced([PCT, CLICK]))
    expected = _greedy(uncapped, sale_cap, month_cap, lifetime_cap)
    found = {line.key: line for line in _commission_lines(capped)}
    assert {key: line.amount.minor_units for key, line in found.items()} == expected
    for line in uncapped:
        removed = found[line.key].capped
        assert (removed.minor_units if removed else 0) == line.amount.minor_units - expected[
            line.key
        ]

    # No cap is ever exceeded.
    by_month: dict[str, int] = {}
    for line in found.values():
        if sale_cap is not None and line.key.startswith("commission:"):
            assert line.amount.minor_units <= sale_cap
        month = period_of(line.earned_at, PeriodKind.MONTH, "Europe/Paris").label
        by_month[month] = by_month.get(month, 0) + line.amount.minor_units
    if month_cap is not None:
        assert all(total <= month_cap for total in by_month.values())
    total = sum(by_month.values())
    if lifetime_cap is not None:
        assert total <= lifetime_cap

    # The greedy result is the most the caps allow: per month, the least of the month cap
    # and the lines cut by the per-sale cap; over the lifetime, the least of that and its cap.
    allowed: dict[str, int] = {}
    for line in uncapped:
        cents = line.amount.minor_units
        if sale_cap is not None and line.key.startswith("commission:"):
            cents = min(cents, sale_cap)
        month = period_of(line.earned_at, PeriodKind.MONTH, "Europe/Paris").label
        allowed[month] = allowed.get(month, 0) + cents
    most = sum(
        min(cents, month_cap) if month_cap is not None else cents for cents in allowed.values()
    )
    assert total == (min(most, lifetime_cap) if lifetime_cap is not None else most)


@given(sales_batches(max_size=6), st.integers(min_value=0, max_value=20_000))
@settings(max_examples=30)
def test_a_line_is_never_charged_to_a_cap_for_what_another_cap_removed(
    batch: Batch, sale_cap: int
) -> None:
    # With a per-sale cap and a period cap as large as the sum of the per-sale-capped
    # lines, the period cap removes nothing, whatever the order the caps are declared in.
    conversions = [c for c, _ in batch]
    refunds = [r for _, r in batch if r is not None]
    per_sale = Cap(id="per-sale", scope=CapScope.SALE, amount=Money.from_minor(sale_cap, "EUR"))
    alone = run(
        campaign(AffiliateDeal(id="D", partner_id="A", rules=[PCT, per_sale])),
        conversions,
        refunds,
        as_of=at(31, month=3),
    )
    months = {s.period.label: s.commissions.amount for s in alone.statements}
    roomy = max(months.values(), default=Decimal(0))
    period = Cap(id="month", scope=CapScope.PERIOD, amount=eur(roomy))
    both = run(
        campaign(AffiliateDeal(id="D", partner_id="A", rules=[PCT, period, per_sale])),
        conversions,
        refunds,
        as_of=at(31, month=3),
    )
    assert both.statements == alone.statements
