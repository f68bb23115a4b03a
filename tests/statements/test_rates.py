"""Rate rules, conditions, precedence, shares, refunds and FX, with hand-computed figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import amounts, at, campaign, credit, eur, lines, run, sale

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.fx import FxRates
from hybridroi.core.money import Money, Rounding, UnroundedMoney
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.conditions import (
    CategoryIn,
    ContentFormatIn,
    ContentPlatformIn,
    CountryIn,
    CustomerIs,
    OrderValue,
    PromoCodeUsed,
    SkuIn,
)
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content, ContentFormat, Platform
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import (
    CommissionBase,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RecurringRate,
    RuleOutcome,
    TieredRate,
)
from hybridroi.domain.tiers import Band
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, ConversionKind, LineItem, Refund, Touch
from hybridroi.statements.context import SaleContext
from hybridroi.statements.lines import LineKind


def deal(*rules: object, **fields: object) -> AffiliateDeal:
    return AffiliateDeal(id="D", partner_id="A", rules=rules, **fields)  # type: ignore[arg-type]


def test_percent_of_net_revenue_with_the_brief_example() -> None:
    result = run(campaign(deal(PercentRate(id="pct", rate="0.12"))), [sale("C-17", at(5), "84.00")])
    line = lines(result)["commission:C-17:pct"]
    # 12% of 84.00 = 10.08
    assert line.amount == eur("10.08")
    assert line.explanation == "12% of EUR 84.00 = EUR 10.08"
    assert line.kind is LineKind.COMMISSION
    assert line.rule_id == "pct"
    assert line.earned_at == at(5)
    assert line.source_ids == ("C-17",)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (CommissionBase.NET, "10.00"),  # 10% of 100.00
        (CommissionBase.NET_PLUS_SHIPPING, "10.50"),  # 10% of (100.00 + 5.00)
        (CommissionBase.BEFORE_DISCOUNT, "12.00"),  # 10% of (100.00 + 20.00)
        (CommissionBase.GROSS, "13.00"),  # 10% of 130.00 (tax 25.00 and shipping 5.00 in)
        (CommissionBase.GROSS_LESS_TAX, "10.50"),  # 10% of (130.00 - 25.00)
    ],
)
def test_commission_base_is_declared_by_the_deal(base: CommissionBase, expected: str) -> None:
    conversion = sale(
        "S1",
        at(3),
        "100.00",
        gross=eur("130.00"),
        tax=eur("25.00"),
        shipping=eur("5.00"),
        discount=eur("20.00"),
    )
    result = run(
        campaign(deal(PercentRate(id="pct", rate="0.10"), commission_base=base)), [conversion]
    )
    assert amounts(result)["commission:S1:pct"] == Decimal(expected)


def test_a_base_that_cannot_be_computed_is_reported() -> None:
    result = run(
        campaign(deal(PercentRate(id="pct", rate="0.10"), commission_base=CommissionBase.GROSS)),
        [sale("S1", at(3), "100.00")],
    )
    assert lines(result) == {}
    assert [p.kind for p in result.problems] == [ProblemKind.INVALID]
    assert "gross" in result.problems[0].message


def test_flat_per_sale_is_paid_once_per_order_not_per_line() -> None:
    # AffiliateWP #1386: three items, 5.00 per order -> 5.00, not 15.00.
    items = [LineItem(sku=f"SKU-{n}", quantity=1, unit_price=eur("10.00")) for n in range(3)]
    result = run(
        campaign(deal(FlatPerSale(id="flat", amount=eur("5.00")))),
        [sale("S1", at(3), "30.00", items=items)],
    )
    assert amounts(result) == {"commission:S1:flat": Decimal("5.00")}


def test_flat_per_item_counts_units() -> None:
    items = [
        LineItem(sku="A", quantity=2, unit_price=eur("10.00")),
        LineItem(sku="B", quantity="1.5", unit_price=eur("4.00")),
    ]
    result = run(
        campaign(deal(FlatPerItem(id="item", amount=eur("1.00")))),
        [sale("S1", at(3), "26.00", items=items)],
    )
    line = lines(result)["commission:S1:item"]
    # 1.00 x (2 + 1.5) = 3.50
    assert line.amount == eur("3.50")
    assert "x 3.5 items" in line.explanation


def test_per_lead_pays_leads_only() -> None:
    lead = sale("L1", at(4), "0", kind=ConversionKind.LEAD)
    order = sale("S1", at(4), "50.00")
    result = run(
        campaign(deal(PerLead(id="lead", amount=eur("2.00")), PercentRate(id="pct", rate="0.1"))),
        [lead, order],
    )
    # the lead gets 2.00; the sale gets 10% of 50.00 = 5.00
    assert amounts(result) == {
        "commission:L1:lead": Decimal("2.00"),
        "commission:S1:pct": Decimal("5.00"),
    }


def test_a_shared_credit_pays_its_share() -> None:
    conversion = sale("S1", at(3), "100.00")
    result = run(
        campaign(deal(PercentRate(id="pct", rate="0.10"))),
        [conversion],
        credits=[credit(conversion, share=Fraction(1, 3))],
    )
    line = lines(result)["commission:S1:pct"]
    # 1/3 x 10% x 100.00 = 3.3333... -> 3.33
    assert line.amount == eur("3.33")
    assert line.explanation.startswith("1/3 share x 10% of EUR 100.00")


class TestConditions:
    def test_new_and_returning_customers_get_different_rates(self) -> None:
        rules = (
            PercentRate(id="new", rate="0.20", conditions=[CustomerIs(new=True)]),
            PercentRate(id="returning", rate="0.05", conditions=[CustomerIs(new=False)]),
        )
        result = run(
            campaign(deal(*rules)),
            [
                sale("N", at(3), "100.00", new_customer=True),
                sale("R", at(3), "100.00", new_customer=False),
            ],
        )
        assert amounts(result) == {
            "commission:N:new": Decimal("20.00"),
            "commission:R:returning": Decimal("5.00"),
        }
        assert "[new customer]" in lines(result)["commission:N:new"].explanation

    def test_lower_rate_when_a_discount_code_was_used(self) -> None:
        rules = (
            PercentRate(id="coupon", rate="0.03", conditions=[PromoCodeUsed(codes=())]),
            PercentRate(id="base", rate="0.08"),
        )
        result = run(
            campaign(deal(*rules)),
            [sale("P", at(3), "100.00", promo_code="SPRING10"), sale("Q", at(3), "100.00")],
        )
        assert amounts(result) == {
            "commission:P:coupon": Decimal("3.00"),
            "commission:Q:base": Decimal("8.00"),
        }

    def test_item_country_order_value_and_code_conditions(self) -> None:
        shoes = LineItem(sku="SH-1", quantity=1, unit_price=eur("80.00"), category="shoes")
        rules = (
            PercentRate(id="sku", rate="0.30", conditions=[SkuIn(skus=["SKU-X"])]),
            PercentRate(id="shoes", rate="0.15", conditions=[CategoryIn(categories=["shoes"])]),
            PercentRate(id="be", rate="0.11", conditions=[CountryIn(countries=["BE"])]),
            PercentRate(id="vip", rate="0.02", conditions=[PromoCodeUsed(codes=["VIP"])]),
            PercentRate(
                id="big",
                rate="0.06",
                conditions=[OrderValue(minimum=eur("200.00"), maximum=eur("500.00"))],
            ),
            PercentRate(id="base", rate="0.04"),
        )
        conversions = [
            sale("shoes", at(3), "80.00", items=[shoes]),
            sale("belgium", at(3), "10.00", country="BE"),
            sale("vip", at(3), "10.00", promo_code="VIP"),
            sale("other-code", at(3), "10.00", promo_code="OTHER"),
            sale("big", at(3), "200.00"),
            sale("too-big", at(3), "500.00"),
        ]
        result = run(campaign(deal(*rules)), conversions)
        assert amounts(result) == {
            "commission:shoes:shoes": Decimal("12.00"),  # 15% of 80.00
            "commission:belgium:be": Decimal("1.10"),  # 11% of 10.00
            "commission:vip:vip": Decimal("0.20"),  # 2% of 10.00
            "commission:other-code:base": Decimal("0.40"),  # 4% of 10.00
            "commission:big:big": Decimal("12.00"),  # 6% of 200.00 (200 is in [200, 500))
            "commission:too-big:base": Decimal("20.00"),  # 4% of 500.00 (500 is not)
        }

    def test_platform_and_format_of_the_crediting_content(self) -> None:
        video = Content(
            id="V1",
            partner_id="A",
            platform=Platform.TIKTOK,
            format=ContentFormat.SHORT_VIDEO,
            published_at=at(1),
        )
        post = Content(
            id="P1",
            partner_id="A",
            platform=Platform.INSTAGRAM,
            format=ContentFormat.PHOTO,
            published_at=at(1),
        )
        rules = (
            PercentRate(
                id="tiktok",
                rate="0.20",
                conditions=[ContentPlatformIn(platforms=[Platform.TIKTOK])],
            ),
            PercentRate(
                id="photo", rate="0.10", conditions=[ContentFormatIn(formats=[ContentFormat.PHOTO])]
            ),
            PercentRate(id="base", rate="0.05"),
        )
        conversions = [
            sale("S1", at(3), "10.00"),
            sale("S2", at(3), "10.00"),
            sale("S3", at(3), "10.00"),
        ]
        credits = [
            credit(conversions[0], content_id="V1"),
            credit(conversions[1], content_id="P1"),
            credit(conversions[2]),
        ]
        result = run(campaign(deal(*rules), contents=[video, post]), conversions, credits=credits)
        assert amounts(result) == {
            "commission:S1:tiktok": Decimal("2.00"),
            "commission:S2:photo": Decimal("1.00"),
            "commission:S3:base": Decimal("0.50"),
        }

    def test_invalid_conditions_are_refused(self) -> None:
        with pytest.raises(InvalidValueError, match="at least one value"):
            SkuIn(skus=[])
        with pytest.raises(InvalidValueError, match="a minimum, a maximum or both"):
            OrderValue()
        with pytest.raises(InvalidValueError, match="an amount above"):
            OrderValue(minimum=eur("10"), maximum=eur("5"))
        with pytest.raises(InvalidValueError, match="Platform members"):
            ContentPlatformIn(platforms=["tiktok"])
        with pytest.raises(InvalidValueError, match="condition record"):
            PercentRate(id="x", rate="0.1", conditions=["new"])


class TestPrecedence:
    def test_first_match_takes_the_first_matching_rule_in_order(self) -> None:
        rules = (
            PercentRate(id="low", rate="0.05", conditions=[CountryIn(countries=["FR"])]),
            PercentRate(id="high", rate="0.20"),
        )
        result = run(campaign(deal(*rules)), [sale("S1", at(3), "100.00", country="FR")])
        assert amounts(result) == {"commission:S1:low": Decimal("5.00")}

    def test_highest_wins_takes_the_best_paying_matching_rule(self) -> None:
        rules = (
            PercentRate(id="low", rate="0.05", conditions=[CountryIn(countries=["FR"])]),
            FlatPerSale(id="flat", amount=eur("7.00")),
            PercentRate(id="high", rate="0.06"),
        )
        result = run(
            campaign(deal(*rules, precedence=Precedence.HIGHEST)),
            [sale("S1", at(3), "100.00", country="FR"), sale("S2", at(3), "200.00")],
        )
        # S1: max(5.00, 7.00, 6.00) = 7.00 flat; S2: max(7.00, 12.00) = 12.00 (6%)
        assert amounts(result) == {
            "commission:S1:flat": Decimal("7.00"),
            "commission:S2:high": Decimal("12.00"),
        }

    def test_partner_specific_rate_beats_the_program_default(self) -> None:
        # Pitfall 10 (AffiliateWP 685, 430): a per-product program rate must not
        # override the rate agreed with the partner.
        the_deal = deal(
            PercentRate(id="partner", rate="0.08"),
            program_rules=(
                PercentRate(
                    id="shoes-default", rate="0.15", conditions=[CategoryIn(categories=["shoes"])]
                ),
                PercentRate(id="default", rate="0.04"),
            ),
            precedence=Precedence.HIGHEST,
        )
        shoes = LineItem(sku="SH", quantity=1, unit_price=eur("100.00"), category="shoes")
        result = run(campaign(the_deal), [sale("S1", at(3), "100.00", items=[shoes])])
        assert amounts(result) == {"commission:S1:partner": Decimal("8.00")}

    def test_program_default_applies_when_no_partner_rule_matches(self) -> None:
        the_deal = deal(
            PercentRate(id="partner-fr", rate="0.08", conditions=[CountryIn(countries=["FR"])]),
            program_rules=(PercentRate(id="default", rate="0.04"),),
        )
        result = run(campaign(the_deal), [sale("S1", at(3), "100.00", country="DE")])
        line = lines(result)["commission:S1:default"]
        assert line.amount == eur("4.00")
        assert "program default" in line.explanation

    def test_tiered_versus_per_partner_rate_follows_the_declared_order(self) -> None:
        tiered = TieredRate(
            id="tiers", bands=[Band(start=0, rate="0.05"), Band(start=100, rate="0.25")]
        )
        flat_rate = PercentRate(id="flat-rate", rate="0.10")
        conversions = [sale("S1", at(3), "150.00")]
        first = run(campaign(deal(tiered, flat_rate)), conversions)
        second = run(campaign(deal(flat_rate, tiered)), conversions)
        # tiers first: 100 x 5% + 50 x 25% = 5.00 + 12.50 = 17.50; flat first: 15.00
        assert amounts(first) == {"commission:S1:tiers": Decimal("17.50")}
        assert amounts(second) == {"commission:S1:flat-rate": Decimal("15.00")}


class TestRefunds:
    def test_partial_refund_reduces_the_base_pro_rata(self) -> None:
        # Pitfall 8 (AffiliateWP 1829): a partial refund must adjust the commission.
        conversion = sale("S1", at(3), "100.00")
        refund = Refund(id="R1", conversion_id="S1", instant=at(10), amount=eur("40.00"))
        result = run(campaign(deal(PercentRate(id="pct", rate="0.10"))), [conversion], [refund])
        line = lines(result)["commission:S1:pct"]
        # 10% of (100.00 - 40.00) = 6.00
        assert line.amount == eur("6.00")
        assert line.source_ids == ("S1", "R1")
        assert "after EUR 40.00 refunded of EUR 100.00" in line.explanation

    def test_full_refund_keeps_the_line_at_zero(self) -> None:
        conversion = sale("S1", at(3), "100.00")
        refund = Refund(id="R1", conversion_id="S1", instant=at(10), amount=eur("100.00"))
        the_campaign = campaign(deal(PercentRate(id="pct", rate="0.10")))
        before = lines(run(the_campaign, [conversion], [refund], as_of=at(9)))
        after = lines(run(the_campaign, [conversion], [refund]))
        assert before["commission:S1:pct"].amount == eur("10.00")
        assert after["commission:S1:pct"].amount == eur("0.00")
        assert after["commission:S1:pct"].explanation.startswith("fully refunded")

    def test_refund_reverses_at_the_original_rate_not_a_blended_one(self) -> None:
        # Pitfall 8 (tezgah 144): the refunded sale keeps its own rate (new customer, 20%)
        # even though the other sale of the period earns 5%.
        rules = (
            PercentRate(id="new", rate="0.20", conditions=[CustomerIs(new=True)]),
            PercentRate(id="returning", rate="0.05"),
        )
        conversions = [
            sale("N", at(3), "100.00", new_customer=True),
            sale("R", at(3), "100.00", new_customer=False),
        ]
        refund = Refund(id="RF", conversion_id="N", instant=at(10), amount=eur("50.00"))
        result = run(campaign(deal(*rules)), conversions, [refund])
        # N: 20% of 50.00 = 10.00 (a reduction of exactly 10.00 = 20% of the 50.00 refunded)
        assert amounts(result) == {
            "commission:N:new": Decimal("10.00"),
            "commission:R:returning": Decimal("5.00"),
        }

    def test_flat_per_sale_shrinks_with_the_refunded_part(self) -> None:
        conversion = sale("S1", at(3), "100.00")
        refund = Refund(id="R1", conversion_id="S1", instant=at(10), amount=eur("25.00"))
        result = run(
            campaign(deal(FlatPerSale(id="flat", amount=eur("8.00")))), [conversion], [refund]
        )
        # 8.00 x 3/4 = 6.00
        assert amounts(result) == {"commission:S1:flat": Decimal("6.00")}

    def test_refund_problems_are_reported(self) -> None:
        conversion = sale("S1", at(3), "100.00")
        refunds = [
            Refund(id="R1", conversion_id="S1", instant=at(10), amount=eur("80.00")),
            Refund(id="R2", conversion_id="S1", instant=at(11), amount=eur("80.00")),
            Refund(id="R3", conversion_id="missing", instant=at(11), amount=eur("1.00")),
        ]
        the_campaign = campaign(deal(PercentRate(id="pct", rate="0.10")))
        # A refund beyond what is left of its sale (R2), or of a sale that does not exist (R3),
        # never reaches pricing: the checked batch refuses it with a problem, and the sale is
        # priced on what the valid refund left of it (100.00 - 80.00), 10% of 20.00.
        with pytest.raises(InvalidValueError, match="larger than the EUR 20.00 that remains"):
            EventBatch(conversions=[conversion], refunds=refunds[:2])
        batch = check_events(the_campaign, [conversion, *refunds])
        result = run(the_campaign, batch.conversions, batch.refunds)
        assert amounts(result) == {"commission:S1:pct": Decimal("2.00")}
        assert sorted(p.kind.value for p in batch.problems) == [
            "refund_exceeds_sale",
            "unknown_sale",
        ]


class TestCurrencies:
    def test_a_foreign_sale_is_converted_at_the_rate_of_its_instant(self) -> None:
        rates = FxRates.from_rows(
            [("USD", "EUR", date(2026, 1, 1), "0.90"), ("USD", "EUR", date(2026, 1, 10), "0.80")]
        )
        conversions = [
            sale("early", at(5), Money("100.00", "USD")),
            sale("late", at(12), Money("100.00", "USD")),
        ]
        result = run(campaign(deal(PercentRate(id="pct", rate="0.10")), fx=rates), conversions)
        found = lines(result)
        # 10% of (100.00 x 0.90) = 9.00, then 10% of (100.00 x 0.80) = 8.00
        assert found["commission:early:pct"].amount == eur("9.00")
        assert found["commission:late:pct"].amount == eur("8.00")
        fx = found["commission:late:pct"].fx
        assert fx is not None
        assert fx.original == Money("100.00", "USD")
        assert fx.rate == Decimal("0.80")
        assert fx.rate_date == date(2026, 1, 10)
        assert (
            "converted from USD 100.00 at 0.80 (2026-01-10)"
            in found["commission:late:pct"].explanation
        )

    def test_a_missing_rate_is_a_problem_never_a_silent_one_to_one(self) -> None:
        # Pitfall 9 (dub 4050): a missing FX rate stored a non-USD amount as USD.
        result = run(
            campaign(deal(PercentRate(id="pct", rate="0.10"))),
            [sale("S1", at(5), Money("100.00", "USD"))],
        )
        assert lines(result) == {}
        assert [p.kind for p in result.problems] == [ProblemKind.CURRENCY]

    def test_a_rule_in_another_currency_is_reported(self) -> None:
        the_deal = deal(FlatPerSale(id="flat", amount=Money("5.00", "USD")))
        result = run(campaign(the_deal), [sale("S1", at(5), "10.00")])
        assert lines(result) == {}
        assert any(p.kind is ProblemKind.CURRENCY for p in result.problems)

    def test_a_deal_refuses_rules_in_a_foreign_currency(self) -> None:
        with pytest.raises(InvalidValueError, match="deal's currency EUR"):
            AffiliateDeal(
                id="D",
                partner_id="A",
                currency="EUR",
                rules=[FlatPerSale(id="flat", amount=Money("5.00", "USD"))],
            )


class TestActivity:
    def test_per_click_counts_the_partners_clicks_per_period(self) -> None:
        touches = [
            Touch(
                id=f"K{n}",
                kind=TouchKind.CLICK,
                instant=at(n + 1),
                customer_key="c",
                partner_id="A",
            )
            for n in range(3)
        ] + [
            Touch(id="V1", kind=TouchKind.VIEW, instant=at(2), customer_key="c", partner_id="A"),
            Touch(
                id="K9",
                kind=TouchKind.CLICK,
                instant=at(2, month=2),
                customer_key="c",
                partner_id="A",
            ),
        ]
        result = run(campaign(deal(PerClick(id="cpc", amount=eur("0.15")))), [], touches=touches)
        found = lines(result)
        # January: 3 clicks x 0.15 = 0.45; February: 1 click
        assert found["clicks:cpc:2026-01"].amount == eur("0.45")
        assert found["clicks:cpc:2026-01"].source_ids == ("K0", "K1", "K2")
        assert found["clicks:cpc:2026-02"].amount == eur("0.15")

    def test_cpm_pays_per_thousand_views(self) -> None:
        video = Content(
            id="V1",
            partner_id="A",
            platform=Platform.YOUTUBE,
            format=ContentFormat.LONG_VIDEO,
            published_at=at(3),
        )
        result = run(
            campaign(deal(CpmViews(id="cpm", amount=eur("8.00"))), contents=[video]),
            [],
            views={"V1": 12345},
        )
        line = lines(result)["cpm:cpm:V1"]
        # 12,345 / 1,000 x 8.00 = 98.76
        assert line.amount == eur("98.76")
        assert line.earned_at == at(3)


@attrs.frozen
class WeekendDouble:
    id: str = "weekend"

    def price(self, sale: SaleContext) -> RuleOutcome | None:
        if sale.conversion.instant.weekday() < 5:
            return None
        return RuleOutcome(amount=sale.base * Decimal("0.20"), explanation="20% on weekends")


def test_a_custom_rule_competes_under_the_precedence() -> None:
    the_deal = deal(PercentRate(id="pct", rate="0.10"), custom_rules=[WeekendDouble()])
    # 2026-01-03 is a Saturday, 2026-01-05 a Monday.
    result = run(campaign(the_deal), [sale("SAT", at(3), "50.00"), sale("MON", at(5), "50.00")])
    found = lines(result)
    assert found["commission:SAT:weekend"].amount == eur("10.00")
    assert found["commission:SAT:weekend"].explanation == "20% on weekends = EUR 10.00"
    assert found["commission:MON:pct"].amount == eur("5.00")


def test_deal_validation() -> None:
    with pytest.raises(InvalidValueError, match="unique rule ids"):
        deal(PercentRate(id="x", rate="0.1"), FlatPerSale(id="x", amount=eur("1")))
    with pytest.raises(InvalidValueError, match="RULE_TYPES"):
        deal("10%")
    with pytest.raises(InvalidValueError, match="CustomRule protocol"):
        deal(custom_rules=["code"])
    with pytest.raises(InvalidValueError, match="a rate rule"):
        deal(program_rules=[PerClick(id="c", amount=eur("1"))])
    with pytest.raises(InvalidValueError, match="between 0 and 1"):
        PercentRate(id="pct", rate="12")


def test_rounding_is_per_line_by_the_declared_mode() -> None:
    conversions = [sale("S1", at(3), "0.25"), sale("S2", at(3), "0.35")]
    half_up = run(campaign(deal(PercentRate(id="pct", rate="0.10"))), conversions)
    half_even = run(
        campaign(deal(PercentRate(id="pct", rate="0.10"), rounding=Rounding.HALF_EVEN)),
        conversions,
    )
    # 0.025 -> 0.03 (half up) or 0.02 (half even); 0.035 -> 0.04 in both
    assert amounts(half_up) == {
        "commission:S1:pct": Decimal("0.03"),
        "commission:S2:pct": Decimal("0.04"),
    }
    assert amounts(half_even) == {
        "commission:S1:pct": Decimal("0.02"),
        "commission:S2:pct": Decimal("0.04"),
    }
    # Pitfall 5 (killbill 494): the engine and Money round the same exact amount identically.
    exact = UnroundedMoney("0.025", "EUR")
    assert exact.round(rounding=Rounding.HALF_EVEN).amount == Decimal("0.02")


def test_recurring_commission_on_a_referred_customers_repeat_purchases() -> None:
    def purchase(conversion_id: str, day: int, month: int, revenue: str) -> Conversion:
        return Conversion(
            id=conversion_id, instant=at(day, month), customer_key="cust-1", revenue=eur(revenue)
        )

    first = purchase("P1", 3, 1, "100.00")  # credited to A: the referral
    repeats = [
        purchase("P2", 10, 2, "40.00"),  # uncredited, within 3 months: 5% = 2.00
        purchase("P3", 2, 4, "60.00"),  # 2026-04-02 is before 2026-04-03: 5% = 3.00
        purchase("P4", 4, 4, "80.00"),  # after 3 months: nothing
        purchase("P5", 20, 2, "50.00"),  # credited to B: priced by B's deal, not recurring
    ]
    rules = (PercentRate(id="pct", rate="0.10"), RecurringRate(id="rec", rate="0.05", months=3))
    the_campaign = campaign(AffiliateDeal(id="D", partner_id="A", rules=rules), partners=["A", "B"])
    result = run(
        the_campaign,
        [first, *repeats],
        credits=[credit(first), credit(repeats[3], partner_id="B")],
    )
    found = lines(result)
    assert {key: line.amount for key, line in found.items()} == {
        "commission:P1:pct": eur("10.00"),
        "recurring:P2:rec": eur("2.00"),
        "recurring:P3:rec": eur("3.00"),
    }
    assert found["recurring:P2:rec"].explanation == (
        "recurring 5% of EUR 40.00 (repeat purchase of a customer referred on 2026-01-03, "
        "within 3 months) = EUR 2.00"
    )
    with pytest.raises(InvalidValueError, match="months >= 1"):
        RecurringRate(id="rec", rate="0.05", months=0)


class TestRecurringSharedReferral:
    """Co-referrers split a repeat purchase's recurring commission by their credit shares."""

    @staticmethod
    def purchases(revenue: str = "100.00") -> tuple[Conversion, Conversion]:
        first = Conversion(id="P1", instant=at(5, 3), customer_key="cust-1", revenue=eur("100.00"))
        repeat = Conversion(id="P2", instant=at(4, 5), customer_key="cust-1", revenue=eur(revenue))
        return first, repeat

    @staticmethod
    def deals(partners: list[str], rounding: Rounding = Rounding.HALF_UP) -> list[AffiliateDeal]:
        rules = (PercentRate(id="pct", rate="0.10"), RecurringRate(id="rec", rate="0.05", months=6))
        return [
            AffiliateDeal(id=f"D-{p}", partner_id=p, rules=rules, rounding=rounding)
            for p in partners
        ]

    def test_a_fifty_fifty_referral_pays_half_the_recurring_commission_to_each(self) -> None:
        # Linear 50/50 first sale; the repeat purchase of 100.00 earns 5% = 5.00 once in all:
        # 1/2 x 5.00 = 2.50 each (each used to get the full 5.00: 10.00 for one purchase).
        first, repeat = self.purchases()
        result = run(
            campaign(*self.deals(["A", "B"]), partners=["A", "B"]),
            [first, repeat],
            credits=[credit(first, "A", Fraction(1, 2)), credit(first, "B", Fraction(1, 2))],
        )
        for partner in ("A", "B"):
            line = lines(result, partner)["recurring:P2:rec"]
            assert line.amount == eur("2.50")
            assert line.explanation == (
                "1/2 share x recurring 5% of EUR 100.00 (repeat purchase of a customer referred "
                "on 2026-03-05, within 6 months; 1/2 is the partner's credit share of the "
                "referring sale P1) = EUR 2.50"
            )

    @given(
        st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=4),
        st.integers(min_value=1, max_value=10_000_000),
        st.sampled_from(Rounding),
    )
    @settings(max_examples=40)
    def test_the_shares_of_a_repeat_purchase_sum_to_one_recurring_commission(
        self, weights: list[int], cents: int, rounding: Rounding
    ) -> None:
        partners = [f"P{index}" for index in range(len(weights))]
        shares = [Fraction(weight, sum(weights)) for weight in weights]
        first, repeat = self.purchases(str(Money.from_minor(cents, "EUR").amount))
        result = run(
            campaign(*self.deals(partners, rounding), partners=partners),
            [first, repeat],
            credits=[credit(first, p, s) for p, s in zip(partners, shares, strict=True)],
        )
        full = Fraction(cents) * Fraction(5, 100)  # 5% of the repeat purchase, in cents
        paid = []
        for partner, share in zip(partners, shares, strict=True):
            units = lines(result, partner)["recurring:P2:rec"].amount.minor_units
            assert abs(units - share * full) < 1  # each line is its share, rounded once
            paid.append(units)
        if rounding is Rounding.DOWN:
            assert sum(paid) <= full  # never paid more than once in all
        assert abs(sum(paid) - full) < len(partners)
