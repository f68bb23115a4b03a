"""Results as tables: credits, statement lines, ledger entries and report rows as columns."""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from random import Random
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    band_schedules,
    campaign,
    credit,
    eur,
    run,
    sales_batches,
)
from tests.strategies import CURRENCIES

import hybridroi
from hybridroi import Affiliate, AffiliateDeal, Campaign, Conversion, HybridRoiError, Money, Touch
from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.errors import InvalidTypeError, InvalidValueError, NaiveDatetimeError
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import UnroundedMoney, minor_unit
from hybridroi.core.periods import PeriodKind, period_of
from hybridroi.domain.rules import Cap, CapScope, PercentRate, TieredRate
from hybridroi.domain.tiers import Band, TierMode
from hybridroi.events.records import Refund
from hybridroi.files import credits_table, entries_table, lines_table, report_table
from hybridroi.files.frames import MissingExtraError
from hybridroi.ledger import Ledger, MemoryLedgerStore
from hybridroi.report.records import Dimension
from hybridroi.statements.lines import LineKind, Statement, StatementLine, StatementRun

PARIS = "Europe/Paris"
MARCH = period_of(datetime(2026, 3, 10, tzinfo=UTC), PeriodKind.MONTH, PARIS)
APRIL = period_of(datetime(2026, 4, 10, tzinfo=UTC), PeriodKind.MONTH, PARIS)
NO_CREDITS = AttributionResult(credits=(), unattributed=(), problems=())


def line(
    key: str,
    amount: Money,
    *,
    kind: LineKind = LineKind.COMMISSION,
    earned_at: datetime = datetime(2026, 3, 5, 10, tzinfo=UTC),
    sources: tuple[str, ...] = (),
    capped: Money | None = None,
    fx: FxConversion | None = None,
) -> StatementLine:
    return StatementLine(
        key=key,
        kind=kind,
        amount=amount,
        rule_id="R",
        explanation=f"line {key}",
        earned_at=earned_at,
        source_ids=sources,
        capped=capped,
        fx=fx,
    )


def statement_run(*statements: Statement) -> StatementRun:
    return StatementRun(
        as_of=datetime(2026, 5, 1, tzinfo=UTC),
        statements=statements,
        attribution=NO_CREDITS,
        problems=(),
    )


def one_line_run(amount: Money) -> StatementRun:
    statement = Statement(
        partner_id="A", period=MARCH, currency=amount.currency, lines=(line("k", amount),)
    )
    return statement_run(statement)


# -- worked examples ---------------------------------------------------------------------


def test_lines_table_gives_every_column_of_each_line() -> None:
    paris = timezone(timedelta(hours=1))
    fx = FxConversion(
        original=Money("100.00", "USD"),
        converted=UnroundedMoney("92.1234", "EUR"),
        rate=Decimal("0.921234"),
        rate_date=date(2026, 3, 4),
    )
    march = Statement(
        partner_id="blog",
        period=MARCH,
        currency="EUR",
        lines=(
            line(
                "commission:C-1:R",
                eur("10.08"),
                earned_at=datetime(2026, 3, 5, 11, tzinfo=paris),
                sources=("C-1", "K-1"),
                capped=eur("1.92"),
            ),
            line("commission:C-2:R", eur("11.06"), sources=("C-2",), fx=fx),
        ),
    )
    april = Statement(
        partner_id="blog",
        period=APRIL,
        currency="EUR",
        lines=(line("fee:F-1", eur("-5.00"), kind=LineKind.FEE),),
    )
    table = lines_table(statement_run(march, april))
    assert table.num_rows == 3
    rows = table.to_pylist()
    assert rows[0] == {
        "partner_id": "blog",
        "period_label": "2026-03",
        "period_start": datetime(2026, 2, 28, 23, tzinfo=UTC),
        "period_end": datetime(2026, 3, 31, 22, tzinfo=UTC),
        "currency": "EUR",
        "key": "commission:C-1:R",
        "kind": "commission",
        "amount_minor": 1008,
        "capped_minor": 192,
        "rule_id": "R",
        "explanation": "line commission:C-1:R",
        "earned_at": datetime(2026, 3, 5, 10, tzinfo=UTC),
        "source_ids": ["C-1", "K-1"],
        "fx_original_minor": None,
        "fx_original_currency": None,
        "fx_converted": None,
        "fx_rate": None,
        "fx_rate_date": None,
    }
    assert rows[1]["amount_minor"] == 1106
    assert rows[1]["capped_minor"] is None
    assert rows[1]["fx_original_minor"] == 10000
    assert rows[1]["fx_original_currency"] == "USD"
    assert rows[1]["fx_converted"] == Decimal("92.1234")
    assert rows[1]["fx_rate"] == Decimal("0.921234")
    assert rows[1]["fx_rate_date"] == date(2026, 3, 4)
    assert (rows[2]["period_label"], rows[2]["kind"], rows[2]["amount_minor"]) == (
        "2026-04",
        "fee",
        -500,
    )
    assert table.schema.field("amount_minor").type == pa.int64()
    assert table.schema.field("earned_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("source_ids").type == pa.list_(pa.string())
    assert table.schema.field("fx_rate").type == pa.decimal128(38, 6)
    assert "amount" not in table.column_names


def test_decimals_add_exact_amounts_in_the_largest_places_of_the_table() -> None:
    euros = Statement(
        partner_id="A", period=MARCH, currency="EUR", lines=(line("a", eur("84.10")),)
    )
    dinars = Statement(
        partner_id="B",
        period=MARCH,
        currency="KWD",
        lines=(line("b", Money("1.234", "KWD"), capped=Money("0.001", "KWD")),),
    )
    table = lines_table(statement_run(euros, dinars), decimals=True)
    assert table.schema.field("amount").type == pa.decimal128(38, 3)
    assert table.column("amount").to_pylist() == [Decimal("84.100"), Decimal("1.234")]
    assert table.column("amount_minor").to_pylist() == [8410, 1234]
    assert table.column("capped").to_pylist() == [None, Decimal("0.001")]
    assert table.column("currency").to_pylist() == ["EUR", "KWD"]
    alone = lines_table(statement_run(euros), decimals=True)
    assert alone.schema.field("amount").type == pa.decimal128(38, 2)


def test_credits_table_keeps_shares_exact() -> None:
    def shared(partner: str, share: Fraction, role: CreditRole, cents: int) -> Credit:
        return Credit(
            conversion_id="C-1",
            partner_id=partner,
            share=share,
            role=role,
            touch_id=f"K-{partner}",
            content_id="post-1" if partner == "insta" else None,
            revenue=Money.from_minor(cents, "EUR"),
            reason=f"{role.value} of C-1",
        )

    credits = (
        shared("blog", Fraction(2, 3), CreditRole.CLOSER, 6667),
        shared("insta", Fraction(1, 3), CreditRole.INTRODUCER, 3333),
    )
    table = credits_table(AttributionResult(credits=credits, unattributed=(), problems=()))
    assert table.to_pylist() == [
        {
            "conversion_id": "C-1",
            "partner_id": "blog",
            "share_numerator": 2,
            "share_denominator": 3,
            "role": "closer",
            "touch_id": "K-blog",
            "content_id": None,
            "revenue_minor": 6667,
            "currency": "EUR",
            "reason": "closer of C-1",
        },
        {
            "conversion_id": "C-1",
            "partner_id": "insta",
            "share_numerator": 1,
            "share_denominator": 3,
            "role": "introducer",
            "touch_id": "K-insta",
            "content_id": "post-1",
            "revenue_minor": 3333,
            "currency": "EUR",
            "reason": "introducer of C-1",
        },
    ]
    with_decimals = credits_table(
        AttributionResult(credits=credits, unattributed=(), problems=()), decimals=True
    )
    assert with_decimals.column("revenue").to_pylist() == [Decimal("66.67"), Decimal("33.33")]


def small_campaign() -> tuple[Campaign, list[Any]]:
    the_campaign = Campaign(
        id="spring",
        name="Spring",
        currency="EUR",
        timezone=PARIS,
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime(2026, 6, 1, tzinfo=UTC),
        partners=[Affiliate(id="coupons", name="BonsPlans")],
        deals=[
            AffiliateDeal(
                id="D-1", partner_id="coupons", rules=[PercentRate(id="base", rate="0.12")]
            )
        ],
    )
    events = [
        Touch(
            id="K-1",
            kind="click",
            instant=datetime(2026, 3, 5, 9, tzinfo=UTC),
            customer_key="cust-1",
            partner_id="coupons",
        ),
        Conversion(
            id="C-17",
            instant=datetime(2026, 3, 5, 10, tzinfo=UTC),
            customer_key="cust-1",
            revenue=Money("840.00", "EUR"),
        ),
    ]
    return the_campaign, events


def test_entries_table_gives_every_column_of_each_entry() -> None:
    the_campaign, events = small_campaign()
    result = hybridroi.run(the_campaign, events, as_of=datetime(2026, 4, 1, tzinfo=UTC))
    posting = Ledger(MemoryLedgerStore(), the_campaign).post(result.statements)
    (entry,) = posting.entries
    table = entries_table(posting.entries, decimals=True)
    assert table.to_pylist() == [
        {
            "id": entry.id,
            "run_id": "posting-000001",
            "partner_id": "coupons",
            "period_label": "2026-03",
            "line_key": "commission:C-17:base",
            "currency": "EUR",
            "line_kind": "commission",
            "entry_type": "earned",
            "amount_minor": 10080,
            "amount": Decimal("100.80"),
            "status": "pending",
            "lock_at": entry.lock_at.astimezone(UTC),
            "earned_at": datetime(2026, 3, 5, 10, tzinfo=UTC),
            "posted_at": datetime(2026, 4, 1, tzinfo=UTC),
            "rule_id": "base",
            "explanation": "12% of EUR 840.00 = EUR 100.80",
            "source_ids": ["C-17"],
            "reason": entry.reason,
            "statement_period": "2026-03",
        }
    ]
    assert entries_table([]).column_names == table.drop_columns(["amount"]).column_names


def test_report_table_gives_money_counts_and_kpis_exactly() -> None:
    the_campaign, events = small_campaign()
    result = hybridroi.run(
        the_campaign, events, as_of=datetime(2026, 4, 1, tzinfo=UTC), margin="0.35"
    )
    (row,) = report_table(result.report, "partner").to_pylist()
    assert row["dimension"] == "partner"
    assert (row["key"], row["label"], row["currency"]) == ("coupons", "BonsPlans", "EUR")
    assert row["revenue_minor"] == 84000
    assert row["sales_revenue_minor"] == 84000
    assert row["refunds_minor"] == 0
    assert row["cost_minor"] == row["commissions_minor"] == 10080
    assert row["fees_minor"] == row["network_fees_minor"] == row["extra_costs_minor"] == 0
    # 35% of 840.00 is 294.00 exactly; profit = 294.00 - 100.80.
    assert row["gross_profit_minor"] == 29400
    assert row["gross_profit_exact"] == Decimal("294.0000")
    assert row["profit_minor"] == 19320
    assert (row["sales_numerator"], row["sales_denominator"]) == (1, 1)
    assert row["clicks"] == 1
    assert row["views"] == 0
    # ROAS = 840 / 100.80 = 25/3, exact, and its six-place reading.
    assert (row["roas_numerator"], row["roas_denominator"]) == (25, 3)
    assert row["roas"] == Decimal("8.333333")
    # No views: the CPM is undefined, and null in all three columns.
    assert (row["cpm_numerator"], row["cpm_denominator"], row["cpm"]) == (None, None, None)
    total = report_table(result.report, Dimension.CAMPAIGN, decimals=True)
    assert total.num_rows == 1
    assert total.column("cost").to_pylist() == [Decimal("100.80")]
    assert total.schema.field("roas").type == pa.decimal128(38, 6)
    assert total.schema.field("roas_numerator").type == pa.int64()


def test_report_table_without_a_margin_has_null_profits() -> None:
    the_campaign, events = small_campaign()
    result = hybridroi.run(the_campaign, events, as_of=datetime(2026, 4, 1, tzinfo=UTC))
    (row,) = report_table(result.report).to_pylist()
    assert row["gross_profit_minor"] is None
    assert row["gross_profit_exact"] is None
    assert row["roi"] is None
    empty = report_table(result.report, "platform")
    assert empty.column_names == report_table(result.report).column_names


# -- the bound of int64 ------------------------------------------------------------------


def test_minor_units_at_the_int64_bounds_stay_int64() -> None:
    for units in (2**63 - 1, -(2**63)):
        table = lines_table(one_line_run(Money.from_minor(units, "EUR")))
        assert table.schema.field("amount_minor").type == pa.int64()
        assert table.column("amount_minor").to_pylist() == [units]


def test_minor_units_beyond_int64_fall_back_to_decimal128() -> None:
    units = 2**63
    table = lines_table(one_line_run(Money.from_minor(units, "EUR")), decimals=True)
    assert table.schema.field("amount_minor").type == pa.decimal128(38, 0)
    assert table.column("amount_minor").to_pylist() == [Decimal(units)]
    assert table.column("amount").to_pylist() == [Money.from_minor(units, "EUR").amount]


def test_minor_units_beyond_38_digits_fall_back_to_text() -> None:
    units = -(10**45) - 7
    table = lines_table(one_line_run(Money.from_minor(units, "EUR")), decimals=True)
    assert table.schema.field("amount_minor").type == pa.string()
    assert table.column("amount_minor").to_pylist() == [str(units)]
    assert table.schema.field("amount").type == pa.string()
    assert table.column("amount").to_pylist() == [str(Money.from_minor(units, "EUR").amount)]
    assert Money(table.column("amount")[0].as_py(), "EUR").minor_units == units


def test_fallback_changes_only_the_column_that_needs_it() -> None:
    huge = Statement(
        partner_id="A",
        period=MARCH,
        currency="EUR",
        lines=(line("a", eur("1.00"), capped=Money.from_minor(2**70, "EUR")),),
    )
    table = lines_table(statement_run(huge))
    assert table.schema.field("amount_minor").type == pa.int64()
    assert table.schema.field("capped_minor").type == pa.decimal128(38, 0)


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_a_missing_library_is_refused_naming_what_to_install(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, library, None)
    with pytest.raises(MissingExtraError) as caught:
        lines_table(one_line_run(eur("1.00")), to=library)
    assert isinstance(caught.value, HybridRoiError)
    assert isinstance(caught.value, ImportError)
    assert caught.value.module == library
    assert f'lines_table(to="{library}") needs {library}' in str(caught.value)
    expected = (
        'pip install "hybridroi[pandas]"'
        if library == "pandas"
        else 'pip install "hybridroi[polars]"'
    )
    assert expected in str(caught.value)
    # The arrow form needs neither.
    assert lines_table(one_line_run(eur("1.00"))).num_rows == 1


def test_an_unknown_form_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="lines_table.to"):
        lines_table(one_line_run(eur("1.00")), to="excel")


def test_records_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(InvalidTypeError, match="lines_table.run"):
        lines_table(NO_CREDITS)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="credits_table.attribution"):
        credits_table(one_line_run(eur("1.00")))  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="entries_table.entries"):
        entries_table([one_line_run(eur("1.00"))])  # type: ignore[list-item]
    with pytest.raises(InvalidTypeError, match="report_table.report"):
        report_table(NO_CREDITS)  # type: ignore[arg-type]


def test_an_unknown_breakdown_is_refused() -> None:
    the_campaign, events = small_campaign()
    report = hybridroi.run(the_campaign, events, as_of=datetime(2026, 4, 1, tzinfo=UTC)).report
    with pytest.raises(InvalidValueError, match="report_table.breakdown"):
        report_table(report, "country")
    legs = report_table(report, " Leg ")
    assert legs.column("key").to_pylist() == [row.key for row in report.by_leg] == ["affiliate"]


def test_a_naive_instant_is_refused_not_read_as_utc() -> None:
    naive = line("a", eur("1.00"), earned_at=datetime(2026, 3, 5, 10))  # noqa: DTZ001
    run_ = statement_run(Statement(partner_id="A", period=MARCH, currency="EUR", lines=(naive,)))
    with pytest.raises(NaiveDatetimeError, match="StatementLine.earned_at"):
        lines_table(run_)


def test_a_line_in_another_currency_than_its_statement_is_refused() -> None:
    stray = Statement(
        partner_id="A", period=MARCH, currency="EUR", lines=(line("a", Money("1.00", "USD")),)
    )
    with pytest.raises(InvalidValueError, match="statement's currency EUR"):
        lines_table(statement_run(stray))


def test_an_empty_run_has_the_columns_of_a_full_one() -> None:
    empty = lines_table(statement_run())
    assert empty.num_rows == 0
    assert empty.column_names == lines_table(one_line_run(eur("1.00"))).column_names
    assert credits_table(NO_CREDITS).num_rows == 0


# -- properties --------------------------------------------------------------------------

Batch = list[tuple[Conversion, Refund | None]]


def priced(batch: Batch, bands: tuple[Band, ...], partners: int = 2) -> StatementRun:
    names = [f"P{n}" for n in range(partners)]
    deals = [
        AffiliateDeal(
            id=f"D-{name}",
            partner_id=name,
            rules=[
                TieredRate(id="T", bands=bands, mode=TierMode.GRADUATED),
                Cap(id="cap", scope=CapScope.PERIOD, amount=eur("300")),
            ],
        )
        for name in names
    ]
    conversions = [sale for sale, _ in batch]
    refunds = [refund for _, refund in batch if refund is not None]
    # A sale's partner follows from its id alone, whatever the order of the batch.
    credits = [credit(c, names[int(c.id[1:]) % partners]) for c in conversions]
    return run(campaign(*deals, partners=names), conversions, refunds, credits=credits)


@given(sales_batches(), band_schedules())
@settings(max_examples=30, deadline=None)
def test_minor_units_add_up_to_each_statement_and_rows_are_lines(
    batch: Batch, bands: tuple[Band, ...]
) -> None:
    statements = priced(batch, bands)
    table = lines_table(statements)
    assert table.num_rows == sum(len(s.lines) for s in statements.statements)
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for partner, label, currency, units in zip(
        table.column("partner_id").to_pylist(),
        table.column("period_label").to_pylist(),
        table.column("currency").to_pylist(),
        table.column("amount_minor").to_pylist(),
        strict=True,
    ):
        sums[partner, label, currency] += units
    assert sums == {
        (s.partner_id, s.period.label, s.currency): s.total_cost.minor_units
        for s in statements.statements
    }
    assert table.column("key").to_pylist() == [
        each.key for s in statements.statements for each in s.lines
    ]


@given(sales_batches(), band_schedules(), st.randoms(use_true_random=False))
@settings(max_examples=20, deadline=None)
def test_the_tables_do_not_depend_on_the_order_of_the_events(
    batch: Batch, bands: tuple[Band, ...], random: Random
) -> None:
    expected = priced(batch, bands)
    shuffled = list(batch)
    random.shuffle(shuffled)
    again = priced(shuffled, bands)
    assert lines_table(again).equals(lines_table(expected))
    assert lines_table(again, decimals=True).equals(lines_table(expected, decimals=True))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CURRENCIES), st.integers(min_value=-(2**63), max_value=2**63 - 1)
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=60, deadline=None)
def test_pandas_and_polars_keep_the_integers_exact(pairs: list[tuple[str, int]]) -> None:
    statements = [
        Statement(
            partner_id=f"P{n}",
            period=MARCH,
            currency=code,
            lines=(line(f"k{n}", Money.from_minor(units, code), capped=None),),
        )
        for n, (code, units) in enumerate(pairs)
    ]
    run_ = statement_run(*statements)
    expected = [units for _, units in pairs]
    table = lines_table(run_, decimals=True)
    assert table.column("amount_minor").to_pylist() == expected
    assert table.column("amount").to_pylist() == [
        Money.from_minor(units, code).amount for code, units in pairs
    ]
    frame = lines_table(run_, to="pandas")
    assert str(frame["amount_minor"].dtype) == "Int64"
    assert [int(value) for value in frame["amount_minor"]] == expected
    assert frame["capped_minor"].isna().all()
    assert str(frame["capped_minor"].dtype) == "Int64"
    back = pa.Table.from_pandas(frame, preserve_index=False)
    assert back.column("amount_minor").to_pylist() == expected
    polars_frame = lines_table(run_, to="polars")
    assert polars_frame.schema["amount_minor"] == pl.Int64
    assert polars_frame["amount_minor"].to_list() == expected
    assert polars_frame.to_arrow().column("amount_minor").to_pylist() == expected


@given(st.sampled_from(CURRENCIES), st.integers(min_value=-(10**59), max_value=10**59))
@settings(max_examples=80, deadline=None)
def test_any_amount_reads_back_to_the_same_money(code: str, units: int) -> None:
    money = Money.from_minor(units, code)
    table = lines_table(one_line_run(money), decimals=True)
    minor = table.column("amount_minor")[0].as_py()
    assert int(minor) == units
    assert Money(str(table.column("amount")[0].as_py()), code) == money
    kind = table.schema.field("amount_minor").type
    if -(2**63) <= units < 2**63:
        assert kind == pa.int64()
    elif abs(units) < 10**38:
        assert kind == pa.decimal128(38, 0)
    else:
        assert kind == pa.string()
    places = minor_unit(code)
    assert table.schema.field("amount").type in (pa.decimal128(38, places), pa.string())


def test_pandas_frames_of_every_table_keep_money_as_integers() -> None:
    the_campaign, events = small_campaign()
    result = hybridroi.run(the_campaign, events, as_of=datetime(2026, 4, 1, tzinfo=UTC))
    posting = Ledger(MemoryLedgerStore(), the_campaign).post(result.statements)
    frames = [
        credits_table(result.attribution, to="pandas"),
        entries_table(posting.entries, to="pandas"),
        report_table(result.report, to="pandas", decimals=True),
    ]
    assert [list(frame.filter(like="_minor").dtypes.astype(str).unique()) for frame in frames] == [
        ["Int64"],
        ["Int64"],
        ["Int64"],
    ]
    assert frames[0]["revenue_minor"].tolist() == [84000]
    assert frames[2]["cost"].tolist() == [Decimal("100.80")]
    assert isinstance(frames[0], pd.DataFrame)
    as_polars = report_table(result.report, to="polars")
    assert as_polars["cost_minor"].to_list() == [10080]
