"""Grouped journeys (paths) and the per-channel credits read from them.

A path is the ordered channels of a journey, ``"tiktok > email > search"``, in the
text form that ChannelAttribution and marketing-attribution-models (MAM) take.
Journeys with the same path are grouped into one :class:`PathCount`: how many of
them converted, how many did not, and the total value of the conversions. A
:class:`Paths` table is canonical: equal paths are merged and the rows are sorted,
so that the same journeys give the same table (and the same fits) in any order.

>>> paths = Paths.of(
...     [
...         PathCount(channels=parse_path("tiktok > search"), conversions=2, value="80.00"),
...         PathCount(channels=("search",), conversions=1, non_conversions=3, value="25"),
...     ]
... )
>>> paths.channels, paths.conversions, paths.non_conversions, paths.value
(('search', 'tiktok'), 3, 3, Fraction(105, 1))
>>> credits = credit_paths(paths, {"tiktok": Fraction(3), "search": Fraction(1)})
>>> [(credit.channel, credit.conversions) for credit in credits]
[('search', Fraction(3, 2)), ('tiktok', Fraction(3, 2))]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from operator import attrgetter
from typing import Any

import attrs

from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.rounding import Rounding, round_ratio
from hybridroi.domain.policy import DataDriven, weighted_split

__all__ = [
    "PATH_SEPARATOR",
    "ChannelCredit",
    "PathCount",
    "Paths",
    "credit_paths",
    "format_path",
    "frozen_weights",
    "normalised_weights",
    "parse_path",
]

PATH_SEPARATOR = " > "
"""The separator of a path's channels in text, as ChannelAttribution and MAM write it."""

_ZERO = Fraction(0)
# Values beyond this power of ten (either way) are no amount of money.
_MAX_EXPONENT = 60


def _channels(value: Any) -> tuple[str, ...]:
    field = "PathCount.channels"
    if isinstance(value, str | bytes):
        raise InvalidTypeError(field, value, "a collection of channel names (see parse_path)")
    try:
        channels = tuple(value)
    except TypeError:
        raise InvalidTypeError(field, value, "a collection of channel names") from None
    if not channels:
        raise InvalidValueError(field, value, "at least one channel")
    for channel in channels:
        if not isinstance(channel, str):
            raise InvalidTypeError(field, channel, "channel names that are text")
        if not channel or channel != channel.strip() or PATH_SEPARATOR in channel:
            raise InvalidValueError(
                field,
                channel,
                f"a non-empty channel name without surrounding spaces or {PATH_SEPARATOR!r}",
            )
    return channels


def _value(value: Any) -> Fraction:
    field = "PathCount.value"
    if isinstance(value, bool | float) or not isinstance(value, Fraction | Decimal | int | str):
        raise InvalidTypeError(
            field, value, "an exact amount: Fraction, Decimal, int or a string such as '12.50'"
        )
    if isinstance(value, str | Decimal):
        # Bound the exponent before any exact arithmetic: "1e5000000" is a valid
        # decimal whose exact fraction would take seconds to build.
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else value
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite() and abs(number.adjusted()) > _MAX_EXPONENT:
            raise InvalidValueError(field, value, f"an amount within 10**±{_MAX_EXPONENT}")
    try:
        result = Fraction(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError, ArithmeticError):
        raise InvalidValueError(field, value, "a finite amount such as '12.50'") from None
    if result < 0:
        raise InvalidValueError(field, value, "an amount >= 0")
    return result


def _count(instance: PathCount, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidTypeError(f"PathCount.{attribute.name}", value, "an integer >= 0")
    if value < 0:
        raise InvalidValueError(f"PathCount.{attribute.name}", value, "an integer >= 0")


@attrs.frozen(kw_only=True)
class PathCount:
    """The journeys that followed one path: how many converted, how many did not.

    Attributes:
        channels: The path's channels in the order they were met (repeats kept),
            each a non-empty name without surrounding spaces or ``" > "``.
        conversions: How many of these journeys converted, >= 0.
        non_conversions: How many ended without a conversion, >= 0 (the two
            together are at least 1).
        value: The total value of the conversions, exact and >= 0 (0 when there
            are no conversions); a ``Fraction``, ``Decimal``, ``int`` or a string
            such as ``"12.50"``, never a float.
    """

    channels: tuple[str, ...] = attrs.field(converter=_channels)
    conversions: int = attrs.field(default=0, validator=_count)
    non_conversions: int = attrs.field(default=0, validator=_count)
    value: Fraction = attrs.field(default=_ZERO, converter=_value)

    def __attrs_post_init__(self) -> None:
        if self.conversions + self.non_conversions == 0:
            raise InvalidValueError(
                "PathCount.conversions",
                0,
                "at least one journey (conversions + non_conversions > 0)",
            )
        if self.value and not self.conversions:
            raise InvalidValueError(
                "PathCount.value", self.value, "0 when there are no conversions"
            )

    @property
    def journeys(self) -> int:
        """How many journeys followed the path: conversions and non-conversions."""
        return self.conversions + self.non_conversions

    @classmethod
    def _trusted(
        cls, channels: tuple[str, ...], conversions: int, non_conversions: int, value: Fraction
    ) -> PathCount:
        """Build a row from fields already checked, skipping ``__init__``.

        A table reader checks a million rows in columns and builds one row per
        distinct path from values it has judged itself (channels from
        :func:`parse_path` without ``" > "`` inside, counts >= 0 with at least one
        journey, an exact value >= 0 that is 0 without conversions). The row is
        equal to, and hashes like, the one ``PathCount(...)`` builds.
        """
        row = object.__new__(cls)
        set_channels, set_conversions, set_non_conversions, set_value = _SLOT_SETTERS
        set_channels(row, channels)
        set_conversions(row, conversions)
        set_non_conversions(row, non_conversions)
        set_value(row, value)
        return row


# The slot descriptors' setters, in field order, for PathCount._trusted.
_SLOT_SETTERS: tuple[Callable[[PathCount, object], None], ...] = tuple(
    vars(PathCount)[field.name].__set__ for field in attrs.fields(PathCount)
)


def _fraction_sum(values: Iterable[Fraction]) -> Fraction:
    """Add fractions exactly, and fast when there are many.

    Numerators are first added per denominator (amounts share a few), then the
    sums are added pairwise without reducing, so that the one reduction at the
    end is the only greatest-common-divisor computation.
    """
    by_denominator: defaultdict[int, int] = defaultdict(int)
    for value in values:
        by_denominator[value.denominator] += value.numerator
    terms = [(numerator, denominator) for denominator, numerator in by_denominator.items()]
    if not terms:
        return _ZERO
    while len(terms) > 1:
        paired = [
            (a * d + c * b, b * d) for (a, b), (c, d) in zip(terms[0::2], terms[1::2], strict=False)
        ]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return Fraction(*terms[0])


def _merged(group: list[PathCount]) -> PathCount:
    if len(group) == 1:
        return group[0]
    return PathCount(
        channels=group[0].channels,
        conversions=sum(row.conversions for row in group),
        non_conversions=sum(row.non_conversions for row in group),
        value=_fraction_sum(row.value for row in group),
    )


def _canonical(value: Any) -> tuple[PathCount, ...]:
    field = "Paths.rows"
    if isinstance(value, str | bytes):
        raise InvalidTypeError(field, value, "a collection of PathCount rows")
    try:
        rows = tuple(value)
    except TypeError:
        raise InvalidTypeError(field, value, "a collection of PathCount rows") from None
    groups: dict[tuple[str, ...], list[PathCount]] = {}
    for row in rows:
        if not isinstance(row, PathCount):
            raise InvalidTypeError(field, row, "items that are each a PathCount")
        groups.setdefault(row.channels, []).append(row)
    return tuple(_merged(groups[channels]) for channels in sorted(groups))


@attrs.frozen
class Paths:
    """A grouped-path table: one row per distinct path, merged and sorted by path.

    Rows given with the same channels are merged (their counts and values
    added), so equal journeys in any order make equal tables. An empty table is
    allowed: the fits then give zeros.

    Attributes:
        rows: The rows, one per distinct path, sorted by channels.
    """

    rows: tuple[PathCount, ...] = attrs.field(default=(), converter=_canonical)

    @classmethod
    def of(cls, rows: Iterable[PathCount]) -> Paths:
        """Build the table from rows in any order, merging rows with equal paths.

        Args:
            rows: The rows.

        Returns:
            The canonical table.

        Raises:
            InvalidTypeError: If an item is not a :class:`PathCount`.
        """
        return cls(tuple(rows))

    @property
    def channels(self) -> tuple[str, ...]:
        """The distinct channels of all paths, sorted."""
        return tuple(sorted(set(chain.from_iterable(map(attrgetter("channels"), self.rows)))))

    @property
    def conversions(self) -> int:
        """The total number of conversions."""
        return sum(map(attrgetter("conversions"), self.rows))

    @property
    def non_conversions(self) -> int:
        """The total number of journeys that did not convert."""
        return sum(map(attrgetter("non_conversions"), self.rows))

    @property
    def journeys(self) -> int:
        """The total number of journeys."""
        return self.conversions + self.non_conversions

    @property
    def value(self) -> Fraction:
        """The total value of the conversions, exact."""
        return _fraction_sum(row.value for row in self.rows)


def normalised_weights(pairs: Iterable[tuple[str, Fraction]]) -> dict[str, Fraction]:
    """Scale weights to add up to 1, exactly (all 0 when they all are).

    Args:
        pairs: ``(channel, weight)`` pairs, weights >= 0.

    Returns:
        Each channel's normalised weight, in the order given.
    """
    values = dict(pairs)
    total = sum(values.values(), _ZERO)
    if not total:
        return dict.fromkeys(values, _ZERO)
    return {channel: value / total for channel, value in values.items()}


def frozen_weights(weights: dict[str, Fraction], places: int, field: str) -> dict[str, Decimal]:
    """Round each weight once to ``places`` decimals, half to even, as a model freezes them.

    Args:
        weights: Each channel's exact weight.
        places: Decimal places kept, 0 to 28.
        field: The name an error gives to ``places``.

    Returns:
        Each channel's rounded weight.

    Raises:
        InvalidValueError: For a bad ``places``.
    """
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 28:
        raise InvalidValueError(field, places, "a number of decimal places from 0 to 28")
    scale = 10**places
    return {
        channel: Decimal(round_ratio(weight * scale, 1, Rounding.HALF_EVEN)).scaleb(-places)
        for channel, weight in weights.items()
    }


def fitted_credits(
    paths: Paths,
    exact: Mapping[str, Fraction],
    normalised: dict[str, Fraction],
    places: int | None,
) -> tuple[ChannelCredit, ...]:
    """A fit's credits: by its weights frozen to ``places``, or by its ``exact`` values.

    Args:
        paths: The paths to credit.
        exact: The fit's exact effects (removal effects, Shapley values).
        normalised: The same, scaled to add up to 1.
        places: Decimal places of the frozen weights, or None for the exact values.

    Returns:
        One credit per channel of ``paths``, sorted by channel.
    """
    if places is None:
        return credit_paths(paths, dict(exact))
    frozen = frozen_weights(normalised, places, "places")
    return credit_paths(paths, {channel: Fraction(w) for channel, w in frozen.items()})


def fitted_model(
    method: str,
    version: str,
    normalised: dict[str, Fraction],
    *,
    as_of: datetime,
    since: datetime | None,
    places: int,
) -> DataDriven:
    """A fit's normalised weights frozen to ``places`` as a model version.

    Args:
        method: ``"markov"`` or ``"shapley"``.
        version: The model version.
        normalised: The weights, adding up to 1.
        as_of: The instant of the fit.
        since: The start of the journeys read, if bounded.
        places: Decimal places kept of each weight.

    Returns:
        The model.
    """
    return DataDriven(
        method=method,
        version=version,
        weights=frozen_weights(normalised, places, "places"),
        fitted_as_of=as_of,
        fitted_since=since,
    )


def parse_path(text: str, separator: str = PATH_SEPARATOR) -> tuple[str, ...]:
    """Read a path written as text, ``"tiktok > email > search"``.

    The text is split at each ``separator`` and each channel is stripped of
    surrounding spaces, so with ``separator=">"`` (ChannelAttribution's default)
    ``"a>b"`` and ``"a > b"`` read the same.

    >>> parse_path("tiktok > email > tiktok")
    ('tiktok', 'email', 'tiktok')

    Args:
        text: The path.
        separator: What separates two channels (``" > "`` as in ChannelAttribution).

    Returns:
        The channels, in order, repeats kept.

    Raises:
        InvalidValueError: For an empty channel (``"a >  > b"``, an empty text) or a
            value that is not text, naming the text.
    """
    if not isinstance(text, str):
        raise InvalidTypeError("path", text, "a path written as text, such as 'a > b'")
    if not isinstance(separator, str) or not separator.strip():
        raise InvalidValueError("separator", separator, "a separator that is not blank")
    channels = tuple(part.strip() for part in text.split(separator))
    if not all(channels):
        raise InvalidValueError("path", text, f"channels separated by {separator!r}, none empty")
    return channels


def format_path(channels: Iterable[str], separator: str = PATH_SEPARATOR) -> str:
    """Write a path as text, the form :func:`parse_path` reads.

    >>> format_path(("tiktok", "email"))
    'tiktok > email'

    Args:
        channels: The channels, in order.
        separator: What separates two channels.

    Returns:
        The text.
    """
    return separator.join(channels)


@attrs.frozen(kw_only=True)
class ChannelCredit:
    """The conversions and value one channel is credited with.

    Attributes:
        channel: The channel.
        conversions: The credited conversions, exact.
        value: The credited conversion value, exact.
    """

    channel: str
    conversions: Fraction
    value: Fraction


@collector_paused()
def credit_paths(paths: Paths, weights: Mapping[str, Fraction]) -> tuple[ChannelCredit, ...]:
    """Credit each path's conversions and value to its own channels, by weight.

    Each converting path's conversions and value are split among its distinct
    channels with :func:`hybridroi.domain.policy.weighted_split`: in proportion to
    their weights, equally when they all weigh 0. A channel that appears in no
    converting path is credited nothing, whatever its weight, and each path's
    credits add up to its own conversions. Only the ratios of the weights of a
    path's channels matter, so raw or normalised weights give the same credits.

    Args:
        paths: The grouped paths.
        weights: Each channel's weight, >= 0 (a missing channel weighs 0).

    Returns:
        One credit per channel of ``paths.channels``, sorted by channel; the
        credited conversions add up to ``paths.conversions`` and the values to
        ``paths.value``, exactly.
    """
    # The split depends only on a path's set of channels: split each set once.
    by_set: dict[frozenset[str], tuple[int, list[Fraction]]] = {}
    for row in paths.rows:
        if not row.conversions:
            continue
        key = frozenset(row.channels)
        conversions, values = by_set.get(key, (0, []))
        values.append(row.value)
        by_set[key] = (conversions + row.conversions, values)
    conversions_of: dict[str, list[Fraction]] = {channel: [] for channel in paths.channels}
    values_of: dict[str, list[Fraction]] = {channel: [] for channel in paths.channels}
    for key, (conversions, values) in by_set.items():
        total = _fraction_sum(values)
        for channel, share in weighted_split(key, weights).items():
            conversions_of[channel].append(conversions * share)
            values_of[channel].append(total * share)
    return tuple(
        ChannelCredit(
            channel=channel,
            conversions=_fraction_sum(conversions_of[channel]),
            value=_fraction_sum(values_of[channel]),
        )
        for channel in paths.channels
    )
