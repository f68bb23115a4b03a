"""Hypothesis strategies shared by the test suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from hybridroi.core.money import Money, minor_unit

CURRENCIES = ("EUR", "USD", "JPY", "KWD", "GBP", "CHF", "BHD", "KRW")
currencies = st.sampled_from(CURRENCIES)

ZONES = (
    "Europe/Paris",
    "America/New_York",
    "UTC",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "America/Santiago",
)


def minor_units(limit: int = 10**12) -> st.SearchStrategy[int]:
    """Integer amounts in minor units, negative or positive."""
    return st.integers(min_value=-limit, max_value=limit)


@st.composite
def money(
    draw: st.DrawFn,
    currency: str | None = None,
    *,
    min_units: int = -(10**12),
    max_units: int = 10**12,
) -> Money:
    """Money in one of several currencies (or the one given)."""
    code = currency if currency is not None else draw(currencies)
    units = draw(st.integers(min_value=min_units, max_value=max_units))
    return Money(Decimal(units).scaleb(-minor_unit(code)), code)


def rates() -> st.SearchStrategy[Decimal]:
    """Exact rates such as 0.12 or 1.0375, between 0 and 10."""
    return st.decimals(min_value=0, max_value=10, places=6, allow_nan=False, allow_infinity=False)


def instants(
    start: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    end: datetime = datetime(2030, 1, 1, tzinfo=UTC),
) -> st.SearchStrategy[datetime]:
    """Aware UTC instants, to the second, in a range that crosses many DST changes."""
    span = int((end - start).total_seconds())
    return st.integers(min_value=0, max_value=span).map(lambda s: start + timedelta(seconds=s))
