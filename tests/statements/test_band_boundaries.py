"""Band boundaries: the band of the last unit, first-band bonuses, volume against graduated."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.statements.strategies import (
    START,
    amounts,
    at,
    band_schedules,
    campaign,
    eur,
    lines,
    quantities,
    run,
    sale,
)

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import TieredRate
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.events.records import Refund
from hybridroi.statements.lines import LineKind
from hybridroi.statements.tiers import band_index, graduated_charge, volume_band, volume_charge

MODES = (TierMode.GRADUATED, TierMode.VOLUME)
COUNT_BANDS = (Band(start=0, rate="0.05"), Band(start=5, rate="0.10"))


def tiered(bands: tuple[Band, ...], mode: TierMode, basis: TierBasis) -> AffiliateDeal:
    rule = TieredRate(id="T", bands=bands, mode=mode, basis=basis)
    return AffiliateDeal(id="D", partner_id="A", rules=[rule])


def commissions(found: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: value for key, value in found.items() if key.startswith("commission:")}


# The band of the last unit -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_five_sales_on_bands_at_0_and_5_are_priced_in_the_first_band(mode: TierMode) -> None:
    # Unit k occupies [k - 1, k): the fifth sale is [4, 5), inside the first band, in
    # both modes (billing engines' volume mode: five units "up to 5" at the first price).
    conversions = [sale(f"S{n}", at(n + 1), "100.00") for n in range(5)]
    found = amounts(run(campaign(tiered(COUNT_BANDS, mode, TierBasis.COUNT)), conversions))
    assert found == {f"commission:S{n}:T": Decimal("5.00") for n in range(5)}


def test_a_sixth_sale_enters_the_second_band_in_both_modes() -> None:
    conversions = [sale(f"S{n}", at(n + 1), "100.00") for n in range(6)]
    graduated = amounts(
        run(campaign(tiered(COUNT_BANDS, TierMode.GRADUATED, TierBasis.COUNT)), conversions)
    )
    volume = amounts(
        run(campaign(tiered(COUNT_BANDS, TierMode.VOLUME, TierBasis.COUNT)), conversions)
    )
    # graduated: five sales at 5%, the sixth ([5, 6)) at 10%; volume: all six at 10%
    assert [graduated[f"commission:S{n}:T"] for n in range(6)] == [Decimal("5.00")] * 5 + [
        Decimal("10.00")
    ]
    assert set(volume.values()) == {Decimal("10.00")}


def test_a_revenue_total_exactly_on_a_boundary_is_priced_in_the_band_that_ends_there() -> None:
    bands = (Band(start=0, rate="0.10"), Band(start=10000, rate="0.12"))
    conversions = [sale("S0", at(2), "6000.00"), sale("S1", at(3), "4000.00")]
    for mode in MODES:
        found = amounts(run(campaign(tiered(bands, mode, TierBasis.REVENUE)), conversions))
        # the last cent of 10,000.00 is in the first band: 10% in both modes
        assert found == {"commission:S0:T": Decimal("600.00"), "commission:S1:T": Decimal("400.00")}
    # one more cent and the volume reaches the second band: 12% for all
    more = [*conversions, sale("S2", at(4), "0.01")]
    found = amounts(run(campaign(tiered(bands, TierMode.VOLUME, TierBasis.REVENUE)), more))
    assert found["commission:S0:T"] == Decimal("720.00")


def test_a_rolling_volume_tier_uses_the_band_of_the_last_unit() -> None:
    rule = TieredRate(
        id="T", bands=COUNT_BANDS, mode=TierMode.VOLUME, basis=TierBasis.COUNT, rolling_days=30
    )
    deal = AffiliateDeal(id="D", partner_id="A", rules=[rule])
    conversions = [sale(f"S{n}", at(n + 1), "100.00") for n in range(6)]
    found = amounts(run(campaign(deal), conversions))
    # each sale at the window's band when it happens: sales 1 to 5 in the first band
    assert [found[f"commission:S{n}:T"] for n in range(6)] == [Decimal("5.00")] * 5 + [
        Decimal("10.00")
    ]


def test_volume_band_is_the_band_of_the_last_unit() -> None:
    starts = [Fraction(0), Fraction(5)]
    assert volume_band(starts, 0) == 0  # no unit yet: the first band
    assert volume_band(starts, 5) == 0  # unit 5 is [4, 5)
    assert volume_band(starts, Fraction(501, 100)) == 1
    assert band_index(starts, 5) == 1  # the next unit, [5, 6), is in the second band
    with pytest.raises(InvalidValueError, match="volume: expected a volume >= the first band"):
        volume_band(starts, -1)
    assert volume_charge(COUNT_BANDS, 5) == graduated_charge(COUNT_BANDS, 5) == Fraction(1, 4)


@given(band_schedules(), quantities)
@example(bands=COUNT_BANDS, quantity=Decimal(5))
@example(bands=COUNT_BANDS, quantity=Decimal(0))
@settings(max_examples=100)
def test_volume_equals_graduated_inside_the_first_band_including_its_boundary(
    bands: tuple[Band, ...], quantity: Decimal
) -> None:
    if len(bands) > 1 and quantity > bands[1].start:
        quantity = bands[1].start
    assert volume_charge(bands, quantity) == graduated_charge(bands, quantity)


@given(band_schedules(), st.data())
@settings(max_examples=100)
def test_graduated_is_continuous_and_volume_switches_just_after_each_boundary(
    bands: tuple[Band, ...], data: st.DataObject
) -> None:
    epsilon = Fraction(1, 10**9)
    starts = [Fraction(band.start) for band in bands]
    for index, boundary in enumerate(starts[1:], start=1):
        below = graduated_charge(bands, boundary - epsilon)
        on = graduated_charge(bands, boundary)
        above = graduated_charge(bands, boundary + epsilon)
        assert 0 <= on - below <= epsilon
        assert 0 <= above - on <= epsilon
        assert volume_band(starts, boundary) == index - 1
        assert volume_band(starts, boundary + epsilon) == index


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=9))
@settings(max_examples=60)
def test_count_volume_and_graduated_agree_while_the_count_stays_in_the_first_band(
    sales: int, boundary: int
) -> None:
    bands = (Band(start=0, rate="0.05"), Band(start=boundary, rate="0.10"))
    conversions = [sale(f"S{n:02d}", at(n + 1), "100.00") for n in range(sales)]
    graduated = commissions(
        amounts(run(campaign(tiered(bands, TierMode.GRADUATED, TierBasis.COUNT)), conversions))
    )
    volume = commissions(
        amounts(run(campaign(tiered(bands, TierMode.VOLUME, TierBasis.COUNT)), conversions))
    )
    if sales <= boundary:
        assert graduated == volume
        assert set(volume.values()) == {Decimal("5.00")}
    else:
        assert set(volume.values()) == {Decimal("10.00")}


# Tier bonuses ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("basis", [TierBasis.REVENUE, TierBasis.COUNT])
def test_a_first_band_bonus_is_paid_with_the_first_sale(mode: TierMode, basis: TierBasis) -> None:
    second = 1000 if basis is TierBasis.REVENUE else 5
    bands = (
        Band(start=0, rate="0.01", bonus=eur("200.00")),
        Band(start=second, rate="0.02"),
    )
    result = run(campaign(tiered(bands, mode, basis)), [sale("S0", at(2), "500.00")])
    found = lines(result)
    assert found["commission:S0:T"].amount == eur("5.00")
    bonus = found["tier-bonus:T:2026-01:1"]
    assert bonus.kind is LineKind.BONUS
    assert bonus.amount == eur("200.00")
    assert bonus.earned_at == at(2)
    assert "tier 1" in bonus.explanation
    assert sum(line.amount.amount for line in found.values()) == Decimal("205.00")
    assert result.problems == ()


def test_a_first_band_bonus_is_paid_once_per_period() -> None:
    bands = (Band(start=0, rate="0.01", bonus=eur("200.00")), Band(start=1000, rate="0.02"))
    conversions = [
        sale("S0", at(2), "500.00"),
        sale("S1", at(3), "100.00"),
        sale("S2", at(2, month=2), "100.00"),
    ]
    found = amounts(
        run(campaign(tiered(bands, TierMode.GRADUATED, TierBasis.REVENUE)), conversions)
    )
    bonuses = {key: value for key, value in found.items() if key.startswith("tier-bonus:")}
    assert bonuses == {
        "tier-bonus:T:2026-01:1": Decimal("200.00"),
        "tier-bonus:T:2026-02:1": Decimal("200.00"),
    }


def test_a_first_band_bonus_is_withdrawn_when_every_sale_is_refunded() -> None:
    bands = (Band(start=0, rate="0.01", bonus=eur("200.00")), Band(start=1000, rate="0.02"))
    conversions = [sale("S0", at(2), "500.00")]
    refund = Refund(id="R0", conversion_id="S0", instant=at(5), amount=eur("500.00"))
    found = lines(
        run(campaign(tiered(bands, TierMode.GRADUATED, TierBasis.REVENUE)), conversions, [refund])
    )
    assert found["tier-bonus:T:2026-01:1"].amount == eur("0.00")
    assert "withdrawn" in found["tier-bonus:T:2026-01:1"].explanation


@pytest.mark.parametrize("mode", MODES)
def test_a_band_bonus_is_paid_when_a_unit_falls_inside_the_band(mode: TierMode) -> None:
    bands = (Band(start=0, rate="0.05"), Band(start=5, rate="0.10", bonus=eur("50.00")))
    the_campaign = campaign(tiered(bands, mode, TierBasis.COUNT))
    five = [sale(f"S{n}", at(n + 1), "100.00") for n in range(5)]
    # five sales end on the boundary: no unit in the second band, no bonus
    assert not any(key.startswith("tier-bonus:") for key in amounts(run(the_campaign, five)))
    six = [*five, sale("S5", at(9), "100.00")]
    found = lines(run(the_campaign, six))
    assert found["tier-bonus:T:2026-01:2"].amount == eur("50.00")
    assert found["tier-bonus:T:2026-01:2"].earned_at == at(9)


@given(
    st.lists(st.tuples(st.integers(0, 55 * 86400), st.integers(0, 50_000)), min_size=1, max_size=8),
    st.sampled_from(MODES),
    st.sampled_from([TierBasis.REVENUE, TierBasis.COUNT]),
)
@settings(max_examples=60, deadline=None)
def test_a_first_band_bonus_is_paid_exactly_once_per_period_with_a_priced_unit(
    drawn: list[tuple[int, int]], mode: TierMode, basis: TierBasis
) -> None:
    bands = (Band(start=0, rate="0.01", bonus=eur("7.00")), Band(start=3, rate="0.02"))
    conversions = [
        sale(f"S{n}", START + timedelta(seconds=seconds), Money.from_minor(cents, "EUR"))
        for n, (seconds, cents) in enumerate(drawn)
    ]
    result = run(campaign(tiered(bands, mode, basis)), conversions)
    keys = Counter(
        key.rsplit(":", 2)[-2]
        for key in amounts(result)
        if key.startswith("tier-bonus:") and key.endswith(":1")
    )
    # the periods (months, Europe/Paris) that priced at least one unit
    months = {
        (conversion.instant + timedelta(hours=1)).strftime("%Y-%m")
        for conversion in conversions
        if basis is TierBasis.COUNT or conversion.revenue.amount > 0
    }
    assert set(keys) == months
    assert all(count == 1 for count in keys.values())
