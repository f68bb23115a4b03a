"""The credits the engine builds through its fast path equal those Credit(...) builds."""

from __future__ import annotations

from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st
from tests.attribution.strategies import CAMPAIGN, journeys

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.attribution.engine import attribute
from hybridroi.core.money import Money
from hybridroi.domain.policy import AttributionPolicy, IntroducerCloser, LastTouch, Linear

ids = st.text(alphabet="abcXYZ-:019", min_size=1, max_size=8)
fields = st.fixed_dictionaries(
    {
        "conversion_id": ids,
        "partner_id": ids,
        "share": st.fractions(min_value=Fraction(1, 10**6), max_value=1),
        "role": st.sampled_from(CreditRole),
        "touch_id": ids,
        "content_id": st.none() | ids,
        "revenue": st.integers(0, 10**9).map(lambda minor: Money.from_minor(minor, "EUR")),
        "reason": st.text(max_size=30),
    }
)


def _same(fast: Credit, checked: Credit) -> None:
    assert type(fast) is type(checked) is Credit
    assert attrs.astuple(fast, recurse=False) == attrs.astuple(checked, recurse=False)
    assert fast == checked
    assert checked == fast
    assert hash(fast) == hash(checked)
    assert len({fast, checked}) == 1
    assert repr(fast) == repr(checked)


@given(fields)
def test_the_fast_path_equals_the_checked_constructor(values: dict[str, object]) -> None:
    fast = Credit._trusted(*(values[field.name] for field in attrs.fields(Credit)))  # type: ignore[arg-type]
    checked = Credit(**values)  # type: ignore[arg-type]
    _same(fast, checked)
    assert checked.role is fast.role
    other = Credit(**{**values, "reason": f"{values['reason']}!"})  # type: ignore[arg-type]
    assert fast != other


@given(journeys(), st.sampled_from([LastTouch(), Linear(), IntroducerCloser()]))
def test_the_engine_credits_equal_their_checked_copies(
    events: list[object], model: LastTouch | Linear | IntroducerCloser
) -> None:
    result = attribute(CAMPAIGN, events, AttributionPolicy(model=model))  # type: ignore[arg-type]
    for credit in result.credits:
        _same(credit, Credit(**attrs.asdict(credit, recurse=False)))
