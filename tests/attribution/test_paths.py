from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.attribution.paths import (
    PATH_SEPARATOR,
    ChannelCredit,
    PathCount,
    Paths,
    credit_paths,
    format_path,
    frozen_weights,
    normalised_weights,
    parse_path,
)
from hybridroi.core.errors import InvalidTypeError, InvalidValueError

CHANNELS = ("email", "search", "tiktok", "youtube")


@st.composite
def path_rows(draw: st.DrawFn, channels: tuple[str, ...] = CHANNELS) -> list[PathCount]:
    """Rows of random paths (repeats of a path allowed) with whole-cent values."""
    count = draw(st.integers(0, 8))
    rows = []
    for _ in range(count):
        path = draw(st.lists(st.sampled_from(channels), min_size=1, max_size=4))
        conversions = draw(st.integers(0, 4))
        non_conversions = draw(st.integers(0 if conversions else 1, 4))
        cents = draw(st.integers(0, 10_000)) if conversions else 0
        rows.append(
            PathCount(
                channels=tuple(path),
                conversions=conversions,
                non_conversions=non_conversions,
                value=Fraction(cents, 100),
            )
        )
    return rows


def row(text: str, conversions: int = 0, non_conversions: int = 0, value: object = 0) -> PathCount:
    return PathCount(
        channels=parse_path(text),
        conversions=conversions,
        non_conversions=non_conversions,
        value=value,
    )


# PathCount


def test_value_accepts_exact_amounts() -> None:
    assert row("a", 1, value="12.50").value == Fraction(25, 2)
    assert row("a", 1, value=" 3/4 ").value == Fraction(3, 4)
    assert row("a", 1, value=Decimal("0.10")).value == Fraction(1, 10)
    assert row("a", 1, value=7).value == 7
    assert row("a", 1, value=Fraction(1, 3)).value == Fraction(1, 3)


@pytest.mark.parametrize("value", [1.5, True, None, [1], Decimal("NaN"), Decimal("Infinity")])
def test_value_refuses_floats_bools_and_non_numbers(value: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        row("a", 1, value=value)
    assert caught.value.field == "PathCount.value"


def test_value_float_is_a_type_error() -> None:
    with pytest.raises(InvalidTypeError, match=r"PathCount\.value"):
        row("a", 1, value=12.5)


@pytest.mark.parametrize("value", ["-1", "twelve", ""])
def test_value_refuses_negative_or_unreadable_text(value: str) -> None:
    with pytest.raises(InvalidValueError, match=r"PathCount\.value"):
        row("a", 1, value=value)


def test_value_without_conversions_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"PathCount\.value"):
        row("a", 0, 3, value="5")


@pytest.mark.parametrize(
    "channels",
    [(), ("",), (" a",), ("a ",), ("a > b",), ("a", 3)],
)
def test_channels_are_checked(channels: tuple[object, ...]) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PathCount(channels=channels, conversions=1)
    assert caught.value.field == "PathCount.channels"


@pytest.mark.parametrize("channels", ["a > b", 3, None])
def test_channels_must_be_a_collection(channels: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"PathCount\.channels"):
        PathCount(channels=channels, conversions=1)


def test_channels_may_repeat() -> None:
    assert row("a > a > b", 1).channels == ("a", "a", "b")


@pytest.mark.parametrize(
    ("conversions", "non_conversions", "field"),
    [
        (-1, 1, "PathCount.conversions"),
        (1, -1, "PathCount.non_conversions"),
        (True, 0, "PathCount.conversions"),
        (1.0, 0, "PathCount.conversions"),
        (0, 0, "PathCount.conversions"),
    ],
)
def test_counts_are_checked(conversions: object, non_conversions: object, field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PathCount(
            channels=("a",),
            conversions=conversions,  # type: ignore[arg-type]
            non_conversions=non_conversions,  # type: ignore[arg-type]
        )
    assert caught.value.field == field


# Paths


def test_paths_merge_equal_paths_and_sort() -> None:
    paths = Paths.of(
        [row("b", 1, 0, "2"), row("a > b", 0, 2), row("b", 2, 1, "3.5"), row("a > b", 1, 0, 1)]
    )
    assert paths.rows == (row("a > b", 1, 2, 1), row("b", 3, 1, "5.5"))
    assert paths.channels == ("a", "b")
    assert (paths.conversions, paths.non_conversions, paths.journeys) == (4, 3, 7)
    assert paths.value == Fraction(13, 2)
    assert Paths(paths.rows) == paths
    assert Paths([row("b", 3, 1, "5.5"), row("a > b", 1, 2, 1)]) == paths


def test_empty_paths() -> None:
    paths = Paths.of([])
    assert paths.rows == ()
    assert paths.channels == ()
    assert (paths.conversions, paths.non_conversions, paths.value) == (0, 0, Fraction(0))
    assert credit_paths(paths, {}) == ()


@pytest.mark.parametrize("rows", [[("a",)], "a > b", [None]])
def test_paths_refuse_other_rows(rows: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"Paths\.rows"):
        Paths(rows)


@settings(max_examples=60, deadline=None)
@given(path_rows(), st.randoms(use_true_random=False))
def test_paths_do_not_depend_on_row_order(rows: list[PathCount], rng: random.Random) -> None:
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert Paths.of(shuffled) == Paths.of(rows)
    merged = Paths.of(rows)
    assert len({r.channels for r in merged.rows}) == len(merged.rows)
    assert [r.channels for r in merged.rows] == sorted(r.channels for r in merged.rows)
    assert merged.conversions == sum(r.conversions for r in rows)
    assert merged.value == sum((r.value for r in rows), Fraction(0))


# parse_path / format_path


def test_parse_path_reads_the_text_form() -> None:
    assert PATH_SEPARATOR == " > "
    assert parse_path("tiktok > email > tiktok") == ("tiktok", "email", "tiktok")
    assert parse_path("  tiktok >  email ") == ("tiktok", "email")
    assert parse_path("a>b > c", separator=">") == ("a", "b", "c")
    assert parse_path("solo") == ("solo",)


@pytest.mark.parametrize("text", ["", "a >  > b", " > a", "a > ", "   "])
def test_parse_path_refuses_empty_channels(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        parse_path(text)
    assert caught.value.value == text


def test_parse_path_refuses_non_text_and_blank_separator() -> None:
    with pytest.raises(InvalidTypeError):
        parse_path(["a"])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="separator"):
        parse_path("a b", separator=" ")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from((*CHANNELS, "paid search", "e-mail")), min_size=1, max_size=6))
def test_format_then_parse_round_trips(channels: list[str]) -> None:
    assert parse_path(format_path(channels)) == tuple(channels)


# credit_paths


def test_credit_paths_by_hand() -> None:
    # tiktok > search (2 conversions, 80): weights 3:1 -> tiktok 3/4, search 1/4.
    # search (1 conversion, 25, 3 misses): all to search.
    # youtube only in a journey that did not convert: nothing.
    paths = Paths.of(
        [
            row("tiktok > search > tiktok", 2, 0, "80.00"),
            row("search", 1, 3, "25"),
            row("youtube > search", 0, 4),
        ]
    )
    credits = credit_paths(
        paths, {"tiktok": Fraction(3), "search": Fraction(1), "youtube": Fraction(9)}
    )
    assert credits == (
        ChannelCredit(channel="search", conversions=Fraction(3, 2), value=Fraction(45)),
        ChannelCredit(channel="tiktok", conversions=Fraction(3, 2), value=Fraction(60)),
        ChannelCredit(channel="youtube", conversions=Fraction(0), value=Fraction(0)),
    )


def test_credit_paths_split_equally_when_weights_are_zero() -> None:
    paths = Paths.of([row("a > b > c", 3, 0, "10")])
    credits = credit_paths(paths, {})
    assert [(c.channel, c.conversions, c.value) for c in credits] == [
        ("a", Fraction(1), Fraction(10, 3)),
        ("b", Fraction(1), Fraction(10, 3)),
        ("c", Fraction(1), Fraction(10, 3)),
    ]


weights_strategy = st.dictionaries(
    st.sampled_from(CHANNELS), st.fractions(min_value=0, max_value=5, max_denominator=50)
)


@settings(max_examples=80, deadline=None)
@given(path_rows(), weights_strategy)
def test_credit_paths_preserve_totals_and_each_path(
    rows: list[PathCount], weights: dict[str, Fraction]
) -> None:
    paths = Paths.of(rows)
    credits = credit_paths(paths, weights)
    assert [credit.channel for credit in credits] == list(paths.channels)
    assert sum((c.conversions for c in credits), Fraction(0)) == paths.conversions
    assert sum((c.value for c in credits), Fraction(0)) == paths.value
    converting = {channel for r in paths.rows if r.conversions for channel in r.channels}
    for credit in credits:
        if credit.channel not in converting:
            assert credit.conversions == credit.value == 0
    # Each converting path alone: its credits add up to its own conversions.
    for r in paths.rows:
        if r.conversions:
            alone = credit_paths(Paths.of([r]), weights)
            assert sum((c.conversions for c in alone), Fraction(0)) == r.conversions
            assert sum((c.value for c in alone), Fraction(0)) == r.value


# weights helpers


def test_normalised_weights() -> None:
    assert normalised_weights([("a", Fraction(1)), ("b", Fraction(3))]) == {
        "a": Fraction(1, 4),
        "b": Fraction(3, 4),
    }
    assert normalised_weights([("a", Fraction(0))]) == {"a": 0}


def test_frozen_weights_round_half_even_once() -> None:
    frozen = frozen_weights({"a": Fraction(1, 8), "b": Fraction(7, 8)}, 2, "places")
    assert frozen == {"a": Decimal("0.12"), "b": Decimal("0.88")}
    assert str(frozen["a"]) == "0.12"
    assert frozen_weights({"a": Fraction(1, 3)}, 6, "places") == {"a": Decimal("0.333333")}
    for places in (-1, 29, True, 1.0):
        with pytest.raises(InvalidValueError, match="places"):
            frozen_weights({"a": Fraction(1)}, places, "places")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(("a", "b", "tiktok")), min_size=1, max_size=5),
    st.integers(0, 10**20),
    st.integers(0, 10**20),
    st.fractions(min_value=0, max_value=10**6),
)
def test_the_trusted_row_equals_the_checked_one(
    channels: list[str], conversions: int, non_conversions: int, value: Fraction
) -> None:
    if conversions + non_conversions == 0:
        non_conversions = 1
    if not conversions:
        value = Fraction(0)
    checked = PathCount(
        channels=tuple(channels),
        conversions=conversions,
        non_conversions=non_conversions,
        value=value,
    )
    trusted = PathCount._trusted(tuple(channels), conversions, non_conversions, value)
    assert trusted == checked
    assert hash(trusted) == hash(checked)
    assert repr(trusted) == repr(checked)


def test_a_value_beyond_any_amount_is_refused_at_once() -> None:
    for value in ("1e5000000", Decimal("1e-5000000")):
        with pytest.raises(InvalidValueError, match="within"):
            PathCount(channels=("a",), conversions=1, value=value)
