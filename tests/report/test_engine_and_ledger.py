"""The report on statements priced by the engine: refunds by period, the ledger, unattributed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.domain.partners import Affiliate, Influencer
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import PercentRate
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.events.stats import ContentStats
from hybridroi.ledger.entries import EntryType
from hybridroi.ledger.lifecycle import LockAfterSale
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.memory import MemoryLedgerStore
from hybridroi.report.report import Report, build_report
from hybridroi.statements.engine import compute_statements

Event = Touch | Conversion | Refund


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def campaign(*, fee: bool = False) -> Campaign:
    return Campaign(
        id="c",
        name="C",
        currency="EUR",
        timezone="Europe/Paris",
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 12, 1, tzinfo=UTC),
        partners=(Affiliate(id="a", name="A"), Influencer(id="i", name="I")),
        deals=(AffiliateDeal(id="d", partner_id="a", rules=(PercentRate(id="p", rate="0.10"),)),),
        fees=(
            InfluencerFee(
                id="fee",
                partner_id="i",
                kind=FeeKind.ONE_OFF,
                amount=eur("250.00"),
                due=datetime(2026, 3, 2, tzinfo=UTC),
            ),
        )
        if fee
        else (),
    )


def sale(number: int, when: datetime, amount: str, *, partner: str | None = "a") -> list[Event]:
    customer = f"cust{number}"
    events: list[Event] = [
        Conversion(id=f"s{number}", instant=when, customer_key=customer, revenue=eur(amount))
    ]
    if partner is not None:
        events.insert(
            0,
            Touch(
                id=f"t{number}",
                kind=TouchKind.CLICK,
                customer_key=customer,
                partner_id=partner,
                instant=when - timedelta(hours=1),
            ),
        )
    return events


def report_of(events: list[Event], as_of: datetime, **options: object) -> Report:
    run = compute_statements(campaign(), events, as_of=as_of)
    return build_report(campaign(), run, **options)  # type: ignore[arg-type]


def by_period(report: Report) -> dict[str, tuple[Money, Money]]:
    return {
        row.key: (row.figures.revenue, row.figures.costs.commissions) for row in report.by_period
    }


# -- a refund lands in its sale's period -------------------------------------------------------


def test_a_refund_in_a_later_month_lowers_the_revenue_of_the_sales_month() -> None:
    # Sale of 100 on 5 March (commission 10% = 10.00), refunded in full on 5 April. The engine
    # reprices the March line to 0.00; the revenue it takes away lands in March too.
    events = [
        *sale(1, datetime(2026, 3, 5, tzinfo=UTC), "100.00"),
        Refund(
            id="r1",
            conversion_id="s1",
            instant=datetime(2026, 4, 5, tzinfo=UTC),
            amount=eur("100.00"),
        ),
    ]
    report = report_of(events, datetime(2026, 5, 1, tzinfo=UTC))
    assert by_period(report) == {"2026-03": (eur("0.00"), eur("0.00"))}
    march = report.by_period[0].figures
    assert (march.sales_revenue, march.refunds) == (eur("100.00"), eur("100.00"))
    # Before the refund, March shows the sale and its commission.
    before = report_of(events, datetime(2026, 4, 1, tzinfo=UTC))
    assert by_period(before) == {"2026-03": (eur("100.00"), eur("10.00"))}


def test_a_window_counts_a_refund_with_its_sale() -> None:
    # Sale of 80 on 20 March, 30 refunded on 2 April: the April window holds neither.
    events = [
        *sale(1, datetime(2026, 3, 20, tzinfo=UTC), "80.00"),
        *sale(2, datetime(2026, 4, 10, tzinfo=UTC), "40.00"),
        Refund(
            id="r1", conversion_id="s1", instant=datetime(2026, 4, 2, tzinfo=UTC), amount=eur("30")
        ),
    ]
    april = (datetime(2026, 3, 31, 22, tzinfo=UTC), datetime(2026, 4, 30, 22, tzinfo=UTC))
    figures = report_of(events, datetime(2026, 5, 1, tzinfo=UTC), window=april).total.figures
    # April: s2 40.00, commission 4.00; the refund of s1 belongs to March
    assert (figures.revenue, figures.refunds, figures.costs.commissions) == (
        eur("40.00"),
        eur("0.00"),
        eur("4.00"),
    )


days = st.integers(0, 120)
cents = st.integers(1, 100_000)


@st.composite
def sales_and_refunds(draw: st.DrawFn) -> list[Event]:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    events: list[Event] = []
    for number in range(draw(st.integers(1, 6))):
        when = start + timedelta(days=draw(days), hours=draw(st.integers(0, 23)))
        amount = draw(cents)
        events += sale(number, when, str(Money.from_minor(amount, "EUR").amount))
        refunded = draw(st.integers(0, amount))
        if refunded:
            events.append(
                Refund(
                    id=f"r{number}",
                    conversion_id=f"s{number}",
                    instant=when + timedelta(days=draw(st.integers(0, 90))),
                    amount=Money.from_minor(refunded, "EUR"),
                )
            )
    return events


@settings(max_examples=40, deadline=None)
@given(events=sales_and_refunds())
def test_each_period_pairs_its_revenue_with_the_commission_on_it(events: list[Event]) -> None:
    # Oracle: each sale's commission is 10% of what is left of it by as-of, rounded half-up,
    # and it belongs to the sale's month with the revenue that is left.
    as_of = datetime(2026, 9, 1, tzinfo=UTC)
    report = report_of(events, as_of)
    expected: dict[str, tuple[Decimal, Decimal]] = {}
    for event in events:
        if isinstance(event, Touch):
            # A month with a click but no sale (a click at 23:00 on the last day, its sale
            # after midnight in Paris) has its row, with no revenue and no commission.
            expected.setdefault(_paris_month(event.instant), (Decimal(0), Decimal(0)))
        if not isinstance(event, Conversion):
            continue
        refunds = [e for e in events if isinstance(e, Refund) and e.conversion_id == event.id]
        left = event.revenue.amount - sum((e.amount.amount for e in refunds), Decimal(0))
        commission = (left / 10).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        label = _paris_month(event.instant)
        revenue, paid = expected.get(label, (Decimal(0), Decimal(0)))
        expected[label] = (revenue + left, paid + commission)
    actual = {
        key: (revenue.amount, commissions.amount)
        for key, (revenue, commissions) in by_period(report).items()
    }
    assert actual == expected


def _paris_month(instant: datetime) -> str:
    local = instant.astimezone(ZoneInfo("Europe/Paris"))
    return f"{local.year}-{local.month:02d}"


# -- partner pay from the ledger ---------------------------------------------------------------


def ledger_case(*, claw_back_paid: bool) -> tuple[Ledger, list[Event]]:
    """A 100.00 sale on 5 March (10.00 commission), paid on 21 March, refunded on 22 March."""
    ledger = Ledger(
        MemoryLedgerStore(),
        campaign(),
        LedgerPolicies(
            default=LedgerPolicy(lock=LockAfterSale(after="10 days"), claw_back_paid=claw_back_paid)
        ),
    )
    events = sale(1, datetime(2026, 3, 5, tzinfo=UTC), "100.00")
    ledger.post(compute_statements(campaign(), events, as_of=datetime(2026, 3, 6, tzinfo=UTC)))
    payout = ledger.run_payouts(datetime(2026, 3, 20, tzinfo=UTC))
    ledger.mark_paid(payout.batches[0].id, datetime(2026, 3, 21, tzinfo=UTC))
    events.append(
        Refund(
            id="r1",
            conversion_id="s1",
            instant=datetime(2026, 3, 22, tzinfo=UTC),
            amount=eur("100.00"),
        )
    )
    return ledger, events


def test_a_waived_clawback_stays_a_cost_when_the_ledger_is_used() -> None:
    ledger, events = ledger_case(claw_back_paid=False)
    as_of = datetime(2026, 3, 23, tzinfo=UTC)
    run = compute_statements(campaign(), events, as_of=as_of)
    ledger.post(run)
    entries = ledger.store.entries()
    # earned +10.00, then a waived clawback -10.00: the partner keeps the 10.00 paid.
    assert [(e.entry_type, e.amount) for e in entries] == [
        (EntryType.EARNED, eur("10.00")),
        (EntryType.WAIVED, eur("-10.00")),
    ]
    from_statements = build_report(campaign(), run)
    from_ledger = build_report(campaign(), run, ledger_entries=entries)
    # The statement says 0.00 is owed; the brand paid 10.00 and will not get it back.
    assert from_statements.total.figures.costs.commissions == eur("0.00")
    assert from_ledger.total.figures.costs.commissions == eur("10.00")
    assert from_ledger.by_period[0].figures.costs.commissions == eur("10.00")
    assert from_ledger.by_partner[0].figures.cost == eur("10.00")
    assert (from_statements.cost_source, from_ledger.cost_source) == ("statements", "ledger")


def test_a_recovered_clawback_is_no_cost_either_way() -> None:
    ledger, events = ledger_case(claw_back_paid=True)
    run = compute_statements(campaign(), events, as_of=datetime(2026, 3, 23, tzinfo=UTC))
    ledger.post(run)
    entries = ledger.store.entries()
    assert [e.entry_type for e in entries] == [EntryType.EARNED, EntryType.CLAWBACK]
    report = build_report(campaign(), run, ledger_entries=entries)
    assert report.total.figures.costs.commissions == eur("0.00")


@settings(max_examples=25, deadline=None)
@given(events=sales_and_refunds(), cut=st.integers(10, 200))
def test_ledger_and_statements_agree_when_nothing_is_waived(events: list[Event], cut: int) -> None:
    # Post at an earlier instant, then at the final one: the ledger holds earned, reversal and
    # clawback entries, which add up to the final statements line by line.
    with_fee = campaign(fee=True)
    ledger = Ledger(MemoryLedgerStore(), with_fee, LedgerPolicies())
    middle = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=cut)
    final = datetime(2026, 9, 1, tzinfo=UTC)
    ledger.post(compute_statements(with_fee, events, as_of=middle))
    run = compute_statements(with_fee, events, as_of=final)
    ledger.post(run)
    entries = ledger.store.entries()
    assert all(entry.entry_type is not EntryType.WAIVED for entry in entries)
    plain = build_report(with_fee, run)
    booked = build_report(with_fee, run, ledger_entries=entries)
    for one, two in zip(
        (plain.total, *plain.by_partner, *plain.by_period, *plain.by_leg),
        (booked.total, *booked.by_partner, *booked.by_period, *booked.by_leg),
        strict=True,
    ):
        assert one.key == two.key
        assert one.figures == two.figures


def test_ledger_entries_must_be_ledger_entries() -> None:
    events = sale(1, datetime(2026, 3, 5, tzinfo=UTC), "100.00")
    run = compute_statements(campaign(), events, as_of=datetime(2026, 4, 1, tzinfo=UTC))
    with pytest.raises(InvalidValueError, match=r"ledger_entries\[0\]"):
        build_report(campaign(), run, ledger_entries=["x"])  # type: ignore[list-item]


# -- unattributed sales and statistics ---------------------------------------------------------


def test_unattributed_sales_are_counted_apart_with_their_refunds() -> None:
    # s1 (100.00) via partner a; s2 (70.00) and s3 (30.00) with no partner touch;
    # 20.00 of s2 refunded: unattributed revenue = 70 + 30 - 20 = 80.
    events = [
        *sale(1, datetime(2026, 3, 5, tzinfo=UTC), "100.00"),
        *sale(2, datetime(2026, 3, 6, tzinfo=UTC), "70.00", partner=None),
        *sale(3, datetime(2026, 4, 6, tzinfo=UTC), "30.00", partner=None),
        Refund(
            id="r2", conversion_id="s2", instant=datetime(2026, 4, 9, tzinfo=UTC), amount=eur("20")
        ),
    ]
    report = report_of(events, datetime(2026, 5, 1, tzinfo=UTC))
    unattributed = report.unattributed
    assert (unattributed.conversions, unattributed.sales) == (2, 2)
    assert unattributed.sales_revenue == eur("100.00")
    assert unattributed.refunds == eur("20.00")
    assert unattributed.revenue == eur("80.00")
    assert report.total.figures.revenue == eur("100.00")  # credited revenue only
    # In a March window: s2 and its refund only.
    march = (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))
    windowed = report_of(events, datetime(2026, 5, 1, tzinfo=UTC), window=march).unattributed
    assert (windowed.sales, windowed.revenue) == (1, eur("50.00"))


def test_statistics_that_fall_are_reported_by_the_report() -> None:
    stats = [
        ContentStats(content_id="v", as_of=datetime(2026, 3, 5, tzinfo=UTC), views=100),
        ContentStats(content_id="v", as_of=datetime(2026, 3, 9, tzinfo=UTC), views=50),
    ]
    report = report_of([], datetime(2026, 4, 1, tzinfo=UTC), stats=stats)
    fell = [p for p in report.problems if "fell" in p.message]
    assert [(p.kind, p.subject, p.field) for p in fell] == [
        (ProblemKind.INVALID, "stats:v", "views")
    ]
