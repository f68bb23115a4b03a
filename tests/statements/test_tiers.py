"""Tier arithmetic: half-open bands, graduated versus volume, exactness."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from tests.statements.strategies import band_schedules, quantities

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.tiers import Band, check_bands
from hybridroi.statements.tiers import band_index, graduated_charge, graduated_split, volume_charge

BANDS = (
    Band(start=Decimal(0), rate=Decimal("0.10")),
    Band(start=Decimal(10000), rate=Decimal("0.12")),
    Band(start=Decimal(50000), rate=Decimal("0.15")),
)


def test_graduated_prices_each_band_at_its_own_rate() -> None:
    # 10,000 x 10% + 40,000 x 12% + 10,000 x 15% = 1,000 + 4,800 + 1,500 = 7,300
    assert graduated_charge(BANDS, 60000) == 7300


def test_volume_prices_every_unit_at_the_reached_band() -> None:
    # 60,000 is in the third band: 60,000 x 15% = 9,000
    assert volume_charge(BANDS, 60000) == 9000


@pytest.mark.parametrize(
    ("quantity", "graduated", "volume"),
    [
        # just under the boundary: both at 10%: 9,999.99 x 10% = 999.999
        (Decimal("9999.99"), Fraction("999.999"), Fraction("999.999")),
        # on the boundary: the last cent is in band 1, in both modes: 10,000 x 10% = 1,000
        (Decimal(10000), Fraction(1000), Fraction(1000)),
        # just over: graduated 1,000 + 0.01 x 12% = 1,000.0012; volume 10,000.01 x 12% = 1,200.0012
        (Decimal("10000.01"), Fraction("1000.0012"), Fraction("1200.0012")),
    ],
)
def test_around_a_boundary(quantity: Decimal, graduated: Fraction, volume: Fraction) -> None:
    assert graduated_charge(BANDS, quantity) == graduated
    assert volume_charge(BANDS, quantity) == volume


def test_a_boundary_total_is_priced_in_the_band_that_ends_there() -> None:
    # Pitfall 2 (lago-front 3489): bands 0-250 and 250-infinity priced 250 units at 0.
    # Unit 250 occupies [249, 250): 250 units are priced in the first band in both modes;
    # the next unit, which starts at 250, is in the second band.
    bands = (Band(start=0, rate="0.10"), Band(start=250, rate="0.20"))
    starts = [band.start for band in bands]
    assert band_index(starts, Decimal(250)) == 1
    assert band_index(starts, Decimal("249.999")) == 0
    assert volume_charge(bands, 250) == 25  # 250 x 10%
    assert graduated_charge(bands, 250) == 25  # 250 x 10%
    assert volume_charge(bands, 251) == Fraction("50.2")  # 251 x 20%


def test_fractional_quantity_between_integer_bounds() -> None:
    # Pitfall 1 (lago-api 1699): 2.5 units over bands [0, 2), [2, 5) must not raise.
    bands = (Band(start=0, rate="0.5"), Band(start=2, rate="0.25"))
    # 2 x 0.5 + 0.5 x 0.25 = 1.125
    assert graduated_charge(bands, Decimal("2.5")) == Fraction(9, 8)
    assert volume_charge(bands, Decimal("1.5")) == Fraction(3, 4)


def test_negative_quantity_is_refused_not_floored() -> None:
    # Pitfall 3 (lago-api 4570): negative quantities were silently floored to zero.
    with pytest.raises(InvalidValueError, match="quantity >= 0"):
        graduated_charge(BANDS, Decimal(-5))
    with pytest.raises(InvalidValueError, match="quantity >= 0"):
        volume_charge(BANDS, -1)


def test_carry_in_attainment() -> None:
    # 8,000 already reached; 5,000 more: 2,000 x 10% + 3,000 x 12% = 200 + 360 = 560
    assert graduated_charge(BANDS, 5000, carried_in=8000) == 560
    assert graduated_split([0, 10000, 50000], 8000, 13000) == [(0, 2000), (1, 3000)]


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ((), "one or more Band"),
        ((Band(start=5, rate="0.1"),), "first band starting at 0"),
        ((Band(start=0, rate="0.1"), Band(start=0, rate="0.2")), "strictly increasing"),
    ],
)
def test_invalid_schedules(bands: tuple[Band, ...], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        check_bands(bands)


def test_band_validation() -> None:
    with pytest.raises(InvalidValueError, match="between 0 and 1"):
        Band(start=0, rate="12")
    with pytest.raises(InvalidValueError, match="band start >= 0"):
        Band(start=-1, rate="0.1")
    with pytest.raises(TypeError, match="float"):
        Band(start=0, rate=0.1)
    with pytest.raises(InvalidValueError, match="Band.bonus"):
        Band(start=0, rate="0.1", bonus=Money("-1", "EUR"))


@given(band_schedules(), st.data())
def test_graduated_is_continuous_at_every_boundary(
    bands: tuple[Band, ...], data: st.DataObject
) -> None:
    epsilon = Fraction(1, 10**9)
    for band in bands[1:]:
        boundary = Fraction(band.start)
        below = graduated_charge(bands, boundary - epsilon)
        at = graduated_charge(bands, boundary)
        above = graduated_charge(bands, boundary + epsilon)
        # The charge moves by at most epsilon x the largest rate on either side.
        assert at - below <= epsilon
        assert above - at <= epsilon
        assert below <= at <= above


@given(band_schedules(), quantities)
def test_volume_equals_graduated_inside_the_first_band(
    bands: tuple[Band, ...], quantity: Decimal
) -> None:
    if len(bands) > 1 and quantity >= bands[1].start:
        quantity = bands[1].start / 2
    assert volume_charge(bands, quantity) == graduated_charge(bands, quantity)


@given(band_schedules(), quantities, quantities)
@example(bands=BANDS, low=Decimal(9000), extra=Decimal(2000))
def test_graduated_is_additive_and_agrees_with_a_fraction_oracle(
    bands: tuple[Band, ...], low: Decimal, extra: Decimal
) -> None:
    whole = graduated_charge(bands, low + extra)
    assert whole == graduated_charge(bands, low) + graduated_charge(bands, extra, carried_in=low)
    # Oracle: integrate the rate band by band with plain Fractions.
    total = Fraction(low + extra)
    expected = Fraction(0)
    for index, band in enumerate(bands):
        start = Fraction(band.start)
        end = Fraction(bands[index + 1].start) if index + 1 < len(bands) else None
        top = total if end is None else min(total, end)
        if top > start:
            expected += (top - start) * Fraction(band.rate)
    assert whole == expected


@given(band_schedules(), quantities, quantities)
def test_split_parts_sum_to_the_interval(
    bands: tuple[Band, ...], low: Decimal, extra: Decimal
) -> None:
    starts = [band.start for band in bands]
    parts = graduated_split(starts, low, low + extra)
    assert sum((part for _, part in parts), Decimal(0)) == extra
    assert all(part > 0 for _, part in parts)


@pytest.mark.parametrize("value", [-1, Fraction(-1, 3), Decimal("-0.01")])
def test_a_volume_below_the_first_band_is_refused_not_priced_at_the_last_band(
    value: int | Fraction | Decimal,
) -> None:
    # bisect answered -1 for a negative volume, and index -1 is the last band.
    starts = [Fraction(band.start) for band in BANDS]
    with pytest.raises(InvalidValueError, match="volume: expected a volume >= the first band"):
        band_index(starts, value)
    with pytest.raises(InvalidValueError, match="volume: expected a volume >= the first band"):
        graduated_split(starts, value, 100)
    assert band_index(starts, 0) == 0
    assert graduated_split(starts, 0, 0) == []


def _oracle(bands: tuple[Band, ...], low: Fraction, high: Fraction) -> Fraction:
    """Integrate band by band with plain fractions (shares nothing with the library)."""
    total = Fraction(0)
    for index, band in enumerate(bands):
        end = Fraction(bands[index + 1].start) if index + 1 < len(bands) else high
        overlap = min(high, end) - max(low, Fraction(band.start))
        total += max(overlap, Fraction(0)) * Fraction(band.rate)
    return total


@given(band_schedules(), quantities, quantities)
def test_graduated_charge_agrees_with_band_by_band_integration(
    bands: tuple[Band, ...], quantity: Decimal, carried: Decimal
) -> None:
    low = Fraction(carried)
    expected = _oracle(bands, low, low + Fraction(quantity))
    assert graduated_charge(bands, quantity, carried_in=carried) == expected
