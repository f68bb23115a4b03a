"""Money's trusted constructor builds exactly what the checked one does."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from hybridroi.core.money import Money, minor_unit, scaled


@given(st.integers(-(10**15), 10**15), st.sampled_from(["EUR", "JPY", "KWD", "USD"]))
def test_trusted_money_equals_checked_money(units: int, currency: str) -> None:
    amount = scaled(units, -minor_unit(currency))
    trusted = Money._trusted(amount, currency)
    checked = Money(amount, currency)
    assert trusted == checked
    assert hash(trusted) == hash(checked)
    assert repr(trusted) == repr(checked)
    assert attrs.asdict(trusted) == attrs.asdict(checked)
    assert str(trusted.amount) == str(checked.amount)  # the same exponent, not only equal
    assert trusted == Money.from_minor(units, currency)
