from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from tests.attribution.strategies import T0, touch

from hybridroi.core.durations import fixed_length
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import (
    DEFAULT_WINDOWS,
    AttributionPolicy,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TieBreak,
    TimeDecay,
    TouchKind,
    to_share,
)
from hybridroi.events.records import Touch

NOBODY: frozenset[str] = frozenset()
Z, ONE = Fraction(0), Fraction(1)


def chain(*partners: str, hours_apart: int = 24) -> list[Touch]:
    """Touches by ``partners``, oldest first, the last one at T0."""
    count = len(partners)
    return [
        touch(f"T{i}", partner, T0 - timedelta(hours=hours_apart * (count - 1 - i)))
        for i, partner in enumerate(partners)
    ]


def test_positional_models_by_hand() -> None:
    four = chain("a", "b", "c", "d")
    assert LastTouch().shares(four, T0, NOBODY) == (Z, Z, Z, ONE)
    assert FirstTouch().shares(four, T0, NOBODY) == (ONE, Z, Z, Z)
    assert Linear().shares(four, T0, NOBODY) == (Fraction(1, 4),) * 4
    # 40 / (20 / 2) / (20 / 2) / 40.
    assert PositionBased().shares(four, T0, NOBODY) == (
        Fraction(2, 5),
        Fraction(1, 10),
        Fraction(1, 10),
        Fraction(2, 5),
    )
    # Two touches split the end shares in proportion: 30:50 -> 3/8 and 5/8.
    custom = PositionBased(first="0.3", last="0.5")
    assert custom.shares(chain("a", "b"), T0, NOBODY) == (Fraction(3, 8), Fraction(5, 8))
    assert custom.shares(chain("a"), T0, NOBODY) == (ONE,)


def test_time_decay_by_hand() -> None:
    # Ages 14, 7 and 0 days with a 7-day half-life weigh 1/4, 1/2, 1: shares 1/7, 2/7, 4/7.
    model = TimeDecay(half_life="1 week")
    shares = model.shares(chain("a", "b", "c", hours_apart=24 * 7), T0, NOBODY)
    assert shares == (Fraction(1, 7), Fraction(2, 7), Fraction(4, 7))
    # Half a half-life is irrational (2^-0.5); the shares still sum to exactly 1.
    uneven = model.shares(chain("a", "b", hours_apart=84), T0, NOBODY)
    assert sum(uneven) == 1
    assert uneven[0] < uneven[1]


def test_introducer_closer_by_hand() -> None:
    model = IntroducerCloser(introducer_share=Decimal("0.25"))
    lea = frozenset({"lea"})
    assert model.shares(chain("coupons", "lea", "cashback", "max"), T0, lea) == (
        Z,
        Fraction(1, 4),
        Z,
        Fraction(3, 4),
    )
    assert model.shares(chain("coupons", "cashback"), T0, lea) == (Z, ONE)
    assert model.shares(chain("lea", "coupons", "lea"), T0, lea) == (Z, Z, ONE)


@given(st.integers(min_value=1, max_value=30), st.sampled_from(["0", "0.2", "0.4", "1/3"]))
def test_positional_shares_sum_to_one_and_are_non_negative(count: int, first: str) -> None:
    touches = chain(*(f"p{i}" for i in range(count)))
    for model in (
        LastTouch(),
        FirstTouch(),
        Linear(),
        PositionBased(first=first, last="0.4"),
        TimeDecay(),
        IntroducerCloser(),
    ):
        shares = model.shares(touches, T0, frozenset({"p0"}))
        assert len(shares) == count
        assert sum(shares) == 1
        assert all(share >= 0 for share in shares)


@given(st.lists(st.integers(min_value=0, max_value=60 * 24), min_size=2, max_size=8, unique=True))
def test_time_decay_is_monotone_in_recency(ages_in_hours: list[int]) -> None:
    ages = sorted(ages_in_hours, reverse=True)
    touches = [touch(f"T{i}", "a", T0 - timedelta(hours=age)) for i, age in enumerate(ages)]
    shares = TimeDecay(half_life="2 days").shares(touches, T0, NOBODY)
    assert list(shares) == sorted(shares)
    assert len(set(shares)) == len(shares)


@pytest.mark.parametrize(
    "build",
    [
        lambda: PositionBased(first="0.6", last="0.6"),
        lambda: PositionBased(first="-0.1", last="0.4"),
        lambda: PositionBased(first=0, last=0),
        lambda: PositionBased(first=0.4),
        lambda: TimeDecay(half_life="1 month"),
        lambda: TimeDecay(half_life="soon"),
        lambda: IntroducerCloser(introducer_share=1),
        lambda: IntroducerCloser(introducer_share="0"),
        lambda: IntroducerCloser(introducer_share="a third"),
    ],
)
def test_invalid_model_parameters_are_refused(build: object) -> None:
    with pytest.raises(InvalidValueError):
        build()  # type: ignore[operator]


def test_shares_are_exact() -> None:
    assert to_share("3/10") == Fraction(3, 10)
    assert to_share(Decimal("0.3")) == Fraction(3, 10)
    with pytest.raises(InvalidValueError, match="exact share"):
        to_share(0.3)


def test_fixed_length_windows() -> None:
    assert fixed_length(relativedelta(weeks=2, hours=3)) == timedelta(days=14, hours=3)
    assert fixed_length(relativedelta(months=1)) is None


def test_default_policy() -> None:
    policy = AttributionPolicy()
    assert policy.windows == DEFAULT_WINDOWS
    assert policy.window(TouchKind.CLICK) == relativedelta(days=30)
    assert policy.window(TouchKind.VIEW) == relativedelta(days=1)
    assert policy.model == LastTouch()
    assert policy.promo_code_precedence is True
    assert policy.dedupe_channels == ()
    assert policy.tie_break is TieBreak.KIND_THEN_ID


def test_windows_are_read_from_text_and_a_missing_kind_never_counts() -> None:
    policy = AttributionPolicy(windows={"click": "7 days", TouchKind.VIEW: "24h"})
    assert policy.window(TouchKind.CLICK) == relativedelta(days=7)
    assert policy.window(TouchKind.VIEW) == relativedelta(hours=24)
    assert policy.window(TouchKind.PROMO_CODE) is None
    # The order of the mapping does not matter.
    assert policy == AttributionPolicy(windows={TouchKind.VIEW: "24h", "click": "7 days"})


@pytest.mark.parametrize(
    "windows",
    [
        {"click": "0 days"},
        {"click": "a while"},
        {"click": relativedelta(days=-1)},
        {"click": relativedelta(day=1)},
        {"click": 30},
        {"scroll": "1 day"},
        [("click", "1 day"), ("click", "2 days")],
    ],
)
def test_invalid_windows_are_refused(windows: object) -> None:
    with pytest.raises(InvalidValueError, match="AttributionPolicy.windows"):
        AttributionPolicy(windows=windows)  # type: ignore[arg-type]


def test_invalid_policy_fields_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="AttributionPolicy.model"):
        AttributionPolicy(model="last touch")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="dedupe_channels"):
        AttributionPolicy(dedupe_channels="paid_search")
    with pytest.raises(InvalidValueError, match="dedupe_channels"):
        AttributionPolicy(dedupe_channels=[" email"])
    with pytest.raises(InvalidValueError, match="AttributionPolicy.tie_break"):
        AttributionPolicy(tie_break="id")


def test_channels_are_kept_sorted_and_unique() -> None:
    policy = AttributionPolicy(dedupe_channels=["email", "paid_search", "email"])
    assert policy.dedupe_channels == ("email", "paid_search")


def test_policies_are_hashable_values() -> None:
    assert hash(AttributionPolicy(model=TimeDecay())) == hash(AttributionPolicy(model=TimeDecay()))
