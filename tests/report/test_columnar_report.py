"""The report's figures, added by columns, against a slow oracle that reads each object.

The report reads the credits, sales, refunds, touches and statement lines once into
columns and adds them by group. The oracle here walks the same objects one by one and
adds every figure of every row with fractions, following the rules the report
documents; the two must agree exactly, row by row and in every breakdown. The report
must also not depend on the order of the credits and statements it is given, and its
exact sums must hold beyond what 64-bit integers can count.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.report.example import campaign

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.core.allocation import allocate
from hybridroi.core.money import Money
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Influencer
from hybridroi.domain.policy import (
    AttributionPolicy,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TouchKind,
)
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Conversion, ConversionKind, Event, Refund, Touch
from hybridroi.report.columns import (
    INT64_BOUND,
    Codes,
    group_of,
    group_sums,
    instant_of,
    integers,
    micros,
    micros_of,
    products,
)
from hybridroi.report.costs import add_costs
from hybridroi.report.engagement import add_clicks
from hybridroi.report.margin import GrossMargin
from hybridroi.report.records import NO_CONTENT, UNASSIGNED, Dimension, Leg
from hybridroi.report.report import Report, build_report
from hybridroi.report.revenue import add_revenue
from hybridroi.report.tally import Tally
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import LineKind, StatementRun

PARTNERS = ("lea", "hugo", "coupons")
CONTENTS = {"lea": "lea-tt-1", "hugo": "hugo-yt-1", "coupons": None}
START = datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Paris"))
AS_OF = START + timedelta(days=45)
ZONES = (UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"))
POLICIES = (
    None,
    AttributionPolicy(model=Linear()),
    AttributionPolicy(model=PositionBased()),
    AttributionPolicy(model=IntroducerCloser()),
    AttributionPolicy(model=LastTouch()),
)
TICK = timedelta(microseconds=1)

minutes = st.integers(min_value=0, max_value=60 * 24 * 60)


@st.composite
def campaign_events(draw: st.DrawFn, *, limit: int = 10**7) -> list[Event]:
    """Clicks, views, sales and leads of the example campaign, some refunded, in several zones.

    Customers are few, so that sales share customers (new and returning ones) and
    touches; some conversions carry their new-customer flag and others leave it unknown.
    """
    events: list[Event] = []
    for n in range(draw(st.integers(0, 14))):
        partner = draw(st.sampled_from(PARTNERS))
        instant = (START + timedelta(minutes=draw(minutes))).astimezone(
            draw(st.sampled_from(ZONES))
        )
        events.append(
            Touch(
                id=f"t{n}",
                kind=draw(st.sampled_from((TouchKind.CLICK, TouchKind.VIEW))),
                instant=instant,
                customer_key=f"k{draw(st.integers(0, 3))}",
                partner_id=partner,
                content_id=CONTENTS[partner] if draw(st.booleans()) else None,
            )
        )
    for n in range(draw(st.integers(0, 12))):
        instant = (START + timedelta(minutes=draw(minutes))).astimezone(
            draw(st.sampled_from(ZONES))
        )
        kind = draw(
            st.sampled_from((ConversionKind.SALE, ConversionKind.SALE, ConversionKind.LEAD))
        )
        cents = draw(st.integers(1, limit))
        events.append(
            Conversion(
                id=f"s{n:02d}",
                instant=instant,
                customer_key=f"k{draw(st.integers(0, 3))}",
                revenue=Money.from_minor(cents, "EUR"),
                new_customer=draw(st.sampled_from((None, None, True, False))),
                kind=kind,
            )
        )
        if kind is ConversionKind.SALE and draw(st.booleans()):
            events.append(
                Refund(
                    id=f"r{n:02d}",
                    conversion_id=f"s{n:02d}",
                    instant=instant + timedelta(days=draw(st.integers(0, 50))),
                    amount=Money.from_minor(draw(st.integers(1, cents)), "EUR"),
                )
            )
    return events


def _label(instant: datetime, kind: PeriodKind, the_campaign: Campaign) -> str:
    if kind is PeriodKind.CAMPAIGN:
        return "campaign"
    return period_of(instant, kind, the_campaign.timezone).label


def _first_sales(batch: EventBatch) -> dict[str, tuple[datetime, str]]:
    first: dict[str, tuple[datetime, str]] = {}
    for conversion in batch.conversions:
        if conversion.kind is ConversionKind.SALE:
            key = (conversion.instant, conversion.id)
            if conversion.customer_key not in first or key < first[conversion.customer_key]:
                first[conversion.customer_key] = key
    return first


def _is_new(conversion: Conversion, first: dict[str, tuple[datetime, str]]) -> bool:
    if conversion.new_customer is not None:
        return conversion.new_customer
    earliest = first.get(conversion.customer_key)
    if earliest is None:
        return True
    if conversion.kind is ConversionKind.SALE:
        return earliest == (conversion.instant, conversion.id)
    return (conversion.instant, conversion.id) < earliest


class _Oracle:
    """Every figure of every row, added one object at a time, exactly."""

    def __init__(
        self,
        the_campaign: Campaign,
        run: StatementRun,
        window: tuple[datetime, datetime] | None,
        kind: PeriodKind,
        margin: Fraction | None,
    ) -> None:
        self.campaign, self.run, self.window, self.kind = the_campaign, run, window, kind
        self.contents = {c.id: c for c in the_campaign.contents}
        self.deal_partners = {d.partner_id for d in the_campaign.deals}
        self.rows: dict[tuple[Dimension, str], dict[str, Fraction]] = defaultdict(
            lambda: defaultdict(Fraction)
        )
        self.counting: dict[tuple[Dimension, str], int] = defaultdict(int)
        assert run.batch is not None
        batch = run.batch
        clicks = {t.id for t in batch.touches if t.kind is TouchKind.CLICK}
        first = _first_sales(batch)
        for credit in run.attribution.credits:
            sale = batch.conversion(credit.conversion_id)
            if sale is None or not self.inside(sale.instant):
                continue
            keys = self.keys(credit.partner_id, credit.content_id, sale.instant, self.leg(credit))
            share = credit.share
            value = Fraction(sale.revenue.amount)
            figures: dict[str, Fraction] = {
                "sales_revenue": value * share,
                "conversions": share,
            }
            if margin is not None:
                figures["gross_profit"] = value * share * margin
            if sale.kind is ConversionKind.SALE:
                figures["sales"] = share
                if _is_new(sale, first):
                    figures["new_customers"] = share
                if credit.touch_id in clicks:
                    figures["click_sales"] = share
                for key in keys:
                    self.counting[key] |= 1 if sale.new_customer is not None else 2
            for refund in batch.refunds_of(sale.id, run.as_of):
                figures["refunds"] = figures.get("refunds", Fraction(0)) + (
                    Fraction(refund.amount.amount) * share
                )
                if margin is not None:
                    figures["gross_profit"] -= Fraction(refund.amount.amount) * share * margin
            self.add(keys, figures)
        self.add_costs()

    def leg(self, credit: Credit) -> Leg:
        return Leg.AFFILIATE if credit.partner_id in self.deal_partners else Leg.INFLUENCE

    def inside(self, instant: datetime, *, as_of: bool = False) -> bool:
        if as_of and instant > self.run.as_of:
            return False
        return self.window is None or self.window[0] <= instant < self.window[1]

    def keys(
        self, partner_id: str | None, content_id: str | None, instant: datetime, leg: Leg
    ) -> list[tuple[Dimension, str]]:
        content = self.contents.get(content_id) if content_id else None
        return [
            (Dimension.CAMPAIGN, self.campaign.id),
            (Dimension.PARTNER, partner_id or UNASSIGNED),
            (Dimension.PLATFORM, content.platform.value if content else NO_CONTENT),
            (Dimension.FORMAT, content.format.value if content else NO_CONTENT),
            (Dimension.PERIOD, _label(instant, self.kind, self.campaign)),
            (Dimension.LEG, leg.value),
        ]

    def add(self, keys: list[tuple[Dimension, str]], figures: dict[str, Fraction]) -> None:
        for key in keys:
            row = self.rows[key]
            for name, value in figures.items():
                row[name] += value

    def add_costs(self) -> None:
        run, contents = self.run, self.contents
        by_partner: dict[str, list[str]] = defaultdict(list)
        for content in self.campaign.contents:
            by_partner[content.partner_id].append(content.id)
        components = {
            LineKind.FEE: "fees",
            LineKind.COMMISSION: "commissions",
            LineKind.BONUS: "bonuses",
            LineKind.GUARANTEE_TOPUP: "guarantees",
            LineKind.ADVANCE: "draws",
            LineKind.RECOVERY: "draws",
            LineKind.NETWORK_FEE: "network_fees",
        }
        for statement in run.statements:
            partner_id = statement.partner_id
            for line in statement.lines:
                instant = min(line.earned_at, statement.period.end - TICK)
                if not self.inside(instant):
                    continue
                targets: list[str] = []
                for source in line.source_ids:
                    if source in contents:
                        targets.append(source)
                        continue
                    # The partner's last credit on the sale the line names, if any.
                    mine = [
                        c
                        for c in run.attribution.credits
                        if c.conversion_id == source and c.partner_id == partner_id
                    ]
                    if mine:
                        targets.append(mine[-1].content_id or NO_CONTENT)
                targets = targets or by_partner[partner_id]
                leg = Leg.INFLUENCE if line.kind is LineKind.FEE else Leg.AFFILIATE
                self.add_cost(line.amount, components[line.kind], partner_id, instant, leg, targets)
        fee_partners = {fee.partner_id for fee in self.campaign.fees}
        for extra in self.campaign.extra_costs:
            if not self.inside(extra.incurred_at, as_of=True):
                continue
            if extra.partner_id is None:
                leg = Leg.CAMPAIGN
            else:
                leg = Leg.INFLUENCE if extra.partner_id in fee_partners else Leg.AFFILIATE
            targets = by_partner[extra.partner_id] if extra.partner_id else []
            self.add_cost(
                extra.amount, "extra_costs", extra.partner_id, extra.incurred_at, leg, targets
            )

    def add_cost(  # noqa: PLR0917 - the figure and the row it lands in
        self,
        amount: Money,
        component: str,
        partner_id: str | None,
        instant: datetime,
        leg: Leg,
        targets: list[str],
    ) -> None:
        parts: dict[str | None, Money]
        if len(set(targets)) <= 1:
            parts = {targets[0] if targets else None: amount}
        else:
            weights: dict[str | None, int] = {t: targets.count(t) for t in targets}
            parts = allocate(amount, weights)
        for content_id, part in parts.items():
            keys = self.keys(partner_id, content_id, instant, leg)
            self.add(keys, {f"costs.{component}": Fraction(part.minor_units)})


def _report_rows(tally: Tally) -> dict[tuple[Dimension, str], dict[str, Fraction]]:
    """The tally's rows, as the oracle holds them (zero figures left out)."""
    result: dict[tuple[Dimension, str], dict[str, Fraction]] = {}
    for dimension, rows in tally.rows.items():
        for key, totals in rows.items():
            figures = {
                name: Fraction(getattr(totals, name))
                for name in (
                    "sales_revenue",
                    "refunds",
                    "gross_profit",
                    "conversions",
                    "sales",
                    "new_customers",
                    "click_sales",
                )
            }
            figures.update({f"costs.{name}": Fraction(v) for name, v in totals.costs.items()})
            result[(dimension, key)] = {name: v for name, v in figures.items() if v}
    return result


def _assert_rows(tally: Tally, oracle: _Oracle) -> None:
    """Every row of the tally holds the oracle's figures (a row of zeros is no figure)."""
    expected = {key: {n: v for n, v in row.items() if v} for key, row in oracle.rows.items()}
    found = _report_rows(tally)
    for key in expected.keys() | found.keys():
        assert found.get(key, {}) == expected.get(key, {}), key


def _tally_of(
    run: StatementRun,
    window: tuple[datetime, datetime] | None,
    kind: PeriodKind,
    margin: str | None,
) -> Tally:
    """The tally ``build_report`` folds, for the same inputs (built through the same steps)."""
    assert run.batch is not None
    tally = Tally(
        campaign(),
        run,
        run.batch,
        margin=None if margin is None else GrossMargin(campaign=margin),
        bounds=window,
        period_kind=kind,
    )
    add_clicks(tally)
    add_revenue(tally)
    add_costs(tally)
    tally.fold()
    return tally


def _window(offsets: tuple[int, int] | None) -> tuple[datetime, datetime] | None:
    if offsets is None:
        return None
    begin = START + timedelta(minutes=offsets[0])
    return (begin, begin + timedelta(minutes=offsets[1]))


kinds = st.sampled_from((PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.CAMPAIGN))
windows = st.none() | st.tuples(minutes, st.integers(1, 60 * 24 * 60))


@settings(max_examples=80, deadline=None)
@given(
    events=campaign_events(),
    policy=st.sampled_from(POLICIES),
    offsets=windows,
    kind=kinds,
    margin=st.none() | st.sampled_from(("0.7", "0.333")),
)
def test_every_row_is_the_exact_sum_of_its_figures(
    events: list[Event],
    policy: AttributionPolicy | None,
    offsets: tuple[int, int] | None,
    kind: PeriodKind,
    margin: str | None,
) -> None:
    run = compute_statements(campaign(), events, as_of=AS_OF, policy=policy)
    window = _window(offsets)
    tally = _tally_of(run, window, kind, margin)
    oracle = _Oracle(
        campaign(), run, window, kind, None if margin is None else Fraction(Decimal(margin))
    )
    _assert_rows(tally, oracle)
    for key, counting in oracle.counting.items():
        dimension, row = key
        assert tally.rows[dimension][row].new_customer_counting == counting, key


@settings(max_examples=60, deadline=None)
@given(events=campaign_events(), policy=st.sampled_from(POLICIES), offsets=windows)
def test_unattributed_sales_and_assists_match_the_oracle(
    events: list[Event], policy: AttributionPolicy | None, offsets: tuple[int, int] | None
) -> None:
    run = compute_statements(campaign(), events, as_of=AS_OF, policy=policy)
    window = _window(offsets)
    report = build_report(campaign(), run, window=window)
    assert run.batch is not None
    batch = run.batch
    first = _first_sales(batch)

    def inside(instant: datetime) -> bool:
        return window is None or window[0] <= instant < window[1]

    # Unattributed: the conversions credited to no partner, in the window.
    sales = [batch.conversion(key) for key in run.attribution.unattributed]
    kept = [s for s in sales if s is not None and inside(s.instant)]
    unattributed = report.unattributed
    assert unattributed.conversions == len(kept)
    assert unattributed.sales == sum(s.kind is ConversionKind.SALE for s in kept)
    assert unattributed.new_customers == sum(
        s.kind is ConversionKind.SALE and _is_new(s, first) for s in kept
    )
    assert unattributed.sales_revenue == Money.sum((s.revenue for s in kept), "EUR")
    refunded = [r.amount for s in kept for r in batch.refunds_of(s.id, run.as_of)]
    assert unattributed.refunds == Money.sum(refunded, "EUR")

    # Assists: an affiliate closed the sale, an influencer touched its customer before
    # it (by as_of) or was credited with a part of it.
    the_campaign = campaign()
    influencers = {p.id for p in the_campaign.partners if isinstance(p, Influencer)}
    by_sale: dict[str, list[Credit]] = defaultdict(list)
    for credit in run.attribution.credits:
        by_sale[credit.conversion_id].append(credit)
    expected: list[tuple[str, str, str]] = []
    for sale_id in sorted(by_sale):
        credits = by_sale[sale_id]
        sale = batch.conversion(sale_id)
        closers = [
            c.partner_id
            for c in credits
            if c.role in (CreditRole.CLOSER, CreditRole.SOLE) and c.partner_id not in influencers
        ]
        if sale is None or not closers or not inside(sale.instant):
            continue
        last = min(sale.instant, run.as_of)
        touched = {
            str(t.partner_id)
            for t in batch.touches
            if t.customer_key == sale.customer_key
            and t.instant <= last
            and t.partner_id in influencers
        }
        touched |= {
            c.partner_id
            for c in credits
            if c.role in (CreditRole.INTRODUCER, CreditRole.ASSIST) and c.partner_id in influencers
        }
        expected.extend(
            (sale_id, closer, influencer) for closer in closers for influencer in sorted(touched)
        )
        for assist in report.assisted_sales:
            if assist.conversion_id == sale_id:
                assert assist.value == sale.revenue
                assert assist.instant == sale.instant
    found = [(a.conversion_id, a.closer_id, a.influencer_id) for a in report.assisted_sales]
    assert found == expected


def _shuffled(run: StatementRun, seed: int) -> StatementRun:
    rng = random.Random(seed)
    credits = list(run.attribution.credits)
    rng.shuffle(credits)
    statements = list(run.statements)
    rng.shuffle(statements)
    return attrs.evolve(
        run,
        attribution=attrs.evolve(run.attribution, credits=tuple(credits)),
        statements=tuple(statements),
    )


@settings(max_examples=50, deadline=None)
@given(
    events=campaign_events(),
    policy=st.sampled_from(POLICIES),
    offsets=windows,
    kind=kinds,
    seed=st.integers(0, 2**32),
)
def test_the_report_does_not_depend_on_the_order_of_credits_and_statements(
    events: list[Event],
    policy: AttributionPolicy | None,
    offsets: tuple[int, int] | None,
    kind: PeriodKind,
    seed: int,
) -> None:
    run = compute_statements(campaign(), events, as_of=AS_OF, policy=policy)
    window = _window(offsets)
    report = build_report(campaign(), run, window=window, period=kind, margin="0.6")
    again = build_report(campaign(), _shuffled(run, seed), window=window, period=kind, margin="0.6")
    assert again == report


@settings(max_examples=30, deadline=None)
@given(events=campaign_events(limit=10**22), policy=st.sampled_from(POLICIES))
def test_sums_beyond_64_bits_are_exact(
    events: list[Event], policy: AttributionPolicy | None
) -> None:
    # Sales of up to 10**20 euros: the products and sums leave int64 (a sale's cents
    # times its gross margin's numerator already do), and the columns fall back to
    # Python integers without losing a cent.
    run = compute_statements(campaign(), events, as_of=AS_OF, policy=policy)
    tally = _tally_of(run, None, PeriodKind.MONTH, "0.7")
    oracle = _Oracle(campaign(), run, None, PeriodKind.MONTH, Fraction(7, 10))
    _assert_rows(tally, oracle)


def test_a_report_of_huge_sales_rounds_the_exact_total() -> None:
    # Two sales of 2**62 cents each, shared by thirds: each sum overflows int64.
    at = START + timedelta(days=2)
    events: list[Event] = [
        Touch(id=f"t{n}", kind="click", instant=at, customer_key="k", partner_id=partner)
        for n, partner in enumerate(PARTNERS)
    ]
    events += [
        Conversion(
            id=f"s{n}",
            instant=at + timedelta(hours=1 + n),
            customer_key="k",
            revenue=Money.from_minor(2**62 + n, "EUR"),
        )
        for n in range(2)
    ]
    run = compute_statements(
        campaign(), events, as_of=AS_OF, policy=AttributionPolicy(model=Linear())
    )
    report: Report = build_report(campaign(), run)
    assert report.total.figures.sales_revenue == Money.from_minor(2**63 + 1, "EUR")
    assert report.total.figures.conversions == 2
    rows = [r for r in report.by_partner if r.key in PARTNERS]
    assert sum(r.figures.sales_revenue.minor_units for r in rows) == 2**63 + 1
    exact = Fraction(2**63 + 1, 3)
    assert all(abs(r.figures.sales_revenue.minor_units - exact) < 1 for r in rows)


# The column functions on their own.


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(-(2**70), 2**70)), max_size=40
    )
)
@example(rows=[(0, 0, 2**62), (0, 0, 2**62), (1, 0, -(2**63))])
def test_group_sums_are_the_exact_sums_by_group(rows: list[tuple[int, int, int]]) -> None:
    expected: dict[tuple[int, int], int] = defaultdict(int)
    for a, b, value in rows:
        expected[(a, b)] += value
    first_column = np.array([a for a, _, _ in rows], dtype=np.int64)
    second_column = np.array([b for _, b, _ in rows], dtype=np.int64)
    if not rows:
        return
    group, first = group_of(first_column, second_column)
    sums = group_sums(group, len(first), integers([v for _, _, v in rows]))
    found = {
        (int(first_column[row]), int(second_column[row])): sums[index]
        for index, row in enumerate(first.tolist())
    }
    assert found == dict(expected)
    # Every row is in the group of its first row's codes.
    for index, (a, b, _) in enumerate(rows):
        row = int(first[group[index]])
        assert (int(first_column[row]), int(second_column[row])) == (a, b)


@given(
    left=st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=10),
    right=st.integers(-(2**40), 2**40),
)
def test_products_are_exact_past_the_int64_bound(left: list[int], right: int) -> None:
    column = products(integers(left), integers([right] * len(left)))
    assert [int(v) for v in column] == [value * right for value in left]
    if max(abs(v) for v in left) * abs(right) >= INT64_BOUND:
        assert column.dtype == object


def test_group_of_keeps_many_wide_codes_apart() -> None:
    # Five columns of codes up to 2**20: their combined span is beyond int64.
    rng = np.random.default_rng(7)
    columns = [rng.integers(0, 2**20, size=200, dtype=np.int64) for _ in range(5)]
    columns = [np.concatenate([c, c[:50]]) for c in columns]
    group, first = group_of(*columns)
    rows = list(zip(*(c.tolist() for c in columns), strict=True))
    assert len(first) == len(set(rows))
    for index, row in enumerate(rows):
        assert rows[int(first[group[index]])] == row


@given(instant=st.datetimes(timezones=st.sampled_from(ZONES)))
def test_micros_are_the_exact_elapsed_microseconds(instant: datetime) -> None:
    utc = instant.astimezone(UTC)
    assert micros([instant, utc]).tolist() == [micros_of(utc)] * 2
    assert instant_of(micros_of(instant)) == utc
    assert micros_of(utc + TICK) == micros_of(utc) + 1


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(-3 * 24 * 60, 70 * 24 * 60), max_size=30),
    kind=kinds,
)
def test_period_codes_agree_with_period_of(offsets: list[int], kind: PeriodKind) -> None:
    run = compute_statements(campaign(), [], as_of=AS_OF)
    assert run.batch is not None
    tally = Tally(campaign(), run, run.batch, margin=None, bounds=None, period_kind=kind)
    instants = [START + timedelta(minutes=offset, microseconds=offset % 7) for offset in offsets]
    codes, labels = tally.period_codes(micros(instants))
    for instant, code in zip(instants, codes.tolist(), strict=True):
        assert labels[code] == _label(instant, kind, campaign())
        assert tally.period_starts[labels[code]] == (
            campaign().start
            if kind is PeriodKind.CAMPAIGN
            else period_of(instant, kind, "Europe/Paris").start
        )


def test_codes_number_values_in_first_seen_order() -> None:
    codes = Codes()
    assert codes.encode(["b", None, "b", "a"]).tolist() == [0, 1, 0, 2]
    assert codes.values == ["b", None, "a"]
    assert codes.lookup(["a", "z"]).tolist() == [2, -1]
