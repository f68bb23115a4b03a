"""Attribution policy and models: plain data, below the engine that applies them.

A policy says which touches may earn a conversion (windows by kind of touch, outside
channels to de-duplicate against, promo-code precedence, the tie-break at equal
instants) and which model splits the conversion among them. It is attached to a
campaign (``Campaign.attribution``) and applied by :mod:`hybridroi.attribution`.

A model sees the eligible partner touches of one conversion, oldest first (ties
already broken by the policy's rule), and returns one exact share per touch. The
shares are :class:`fractions.Fraction` values that sum to exactly 1; a touch may
receive 0. The engine then merges the shares of each partner, so a partner is never
credited twice for one sale. Every model has a ``label`` used in the reasons of
credits, a ``kind`` that names it in plain data (``{"kind": "position_based",
"first": "2/5"}``), and a ``shares`` method taking the eligible touches (oldest
first), the conversion's instant and the ids of the campaign's influencers.

>>> policy = AttributionPolicy(windows={"click": "7 days", "view": "24 hours"})
>>> policy.window(TouchKind.CLICK)
relativedelta(days=+7)
>>> policy.window(TouchKind.PROMO_CODE) is None
True
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, Literal, Protocol, TypeAlias

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import aware, collection, enum_member, identifier, instance_of, one_of
from hybridroi.core.durations import fixed_length, format_duration, parse_duration
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import finite_decimal

__all__ = [
    "DEFAULT_WINDOWS",
    "AttributionModel",
    "AttributionPolicy",
    "CustomModel",
    "DataDriven",
    "FirstTouch",
    "IntroducerCloser",
    "LastTouch",
    "Linear",
    "PositionBased",
    "TieBreak",
    "TimeDecay",
    "TouchKind",
    "Touchpoint",
    "attribution_windows",
    "is_custom_model",
    "to_share",
    "weighted_split",
]


class TouchKind(enum.Enum):
    """How a visitor met a partner."""

    VIEW = "view"
    """A view or impression of content."""
    CLICK = "click"
    """A click on a tracked link."""
    PROMO_CODE = "promo_code"
    """A partner's promo code, seen or entered."""


class Touchpoint(Protocol):
    """What a model reads of a touch: when it happened and whose it is.

    :class:`hybridroi.events.records.Touch` is one.
    """

    @property
    def instant(self) -> datetime:
        """When the touch happened."""

    @property
    def partner_id(self) -> str | None:
        """The partner the touch belongs to."""


_ZERO = Fraction(0)
_ONE = Fraction(1)


def to_share(value: object, field: str = "share") -> Fraction:
    """Convert an exact number to a :class:`~fractions.Fraction` share.

    Args:
        value: A ``Fraction``, ``Decimal``, ``int`` or a string such as ``"0.3"`` or ``"3/10"``.
        field: The field name used in error messages.

    Returns:
        The share.

    Raises:
        InvalidValueError: For a float (inexact) or a value that is not a number.
    """
    if isinstance(value, bool | float):
        raise InvalidValueError(
            field, value, "an exact share: Fraction, Decimal, int or a string such as '0.3'"
        )
    if isinstance(value, Fraction | int | Decimal):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except ValueError:
            raise InvalidValueError(field, value, "a share such as '0.3' or '3/10'") from None
    raise InvalidValueError(field, value, "an exact share: Fraction, Decimal, int or str")


def _first_share(value: object) -> Fraction:
    return to_share(value, "PositionBased.first")


def _last_share(value: object) -> Fraction:
    return to_share(value, "PositionBased.last")


@attrs.frozen(kw_only=True)
class LastTouch:
    """The last eligible touch takes the whole conversion (last click wins).

    Attributes:
        kind: Always ``"last_touch"``; names the model in plain data.
    """

    label: ClassVar[str] = "last touch"

    kind: Literal["last_touch"] = attrs.field(
        default="last_touch", validator=one_of(("last_touch",), '"last_touch"')
    )

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first: 1 for the last, 0 for the others.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares, summing to 1.
        """
        return (_ZERO,) * (len(touches) - 1) + (_ONE,)


@attrs.frozen(kw_only=True)
class FirstTouch:
    """The first eligible touch takes the whole conversion.

    Attributes:
        kind: Always ``"first_touch"``; names the model in plain data.
    """

    label: ClassVar[str] = "first touch"

    kind: Literal["first_touch"] = attrs.field(
        default="first_touch", validator=one_of(("first_touch",), '"first_touch"')
    )

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first: 1 for the first, 0 for the others.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares, summing to 1.
        """
        return (_ONE,) + (_ZERO,) * (len(touches) - 1)


@attrs.frozen(kw_only=True)
class Linear:
    """Every eligible touch gets an equal share: ``1/n`` each of ``n`` touches.

    Attributes:
        kind: Always ``"linear"``; names the model in plain data.
    """

    label: ClassVar[str] = "linear"

    kind: Literal["linear"] = attrs.field(
        default="linear", validator=one_of(("linear",), '"linear"')
    )

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One equal share per touch.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            ``n`` shares of ``1/n`` for ``n`` touches.
        """
        count = len(touches)
        return (Fraction(1, count),) * count


@attrs.frozen(kw_only=True)
class PositionBased:
    """The first and last touches get fixed shares; the touches between split the rest.

    With the defaults (40/20/40), four touches get 40%, 10%, 10% and 40%. Two
    touches split the first and last shares in proportion (40:40 gives 50/50);
    a single touch takes everything.

    Attributes:
        kind: Always ``"position_based"``; names the model in plain data.
        first: Share of the first touch (default 2/5).
        last: Share of the last touch (default 2/5). ``first + last <= 1``.
    """

    label: ClassVar[str] = "position-based"

    kind: Literal["position_based"] = attrs.field(
        default="position_based", validator=one_of(("position_based",), '"position_based"')
    )

    first: Fraction = attrs.field(default=Fraction(2, 5), converter=_first_share)
    last: Fraction = attrs.field(default=Fraction(2, 5), converter=_last_share)

    def __attrs_post_init__(self) -> None:
        if self.first < 0 or self.last < 0 or self.first + self.last > 1:
            raise InvalidValueError(
                "PositionBased.first",
                (self.first, self.last),
                "first and last shares >= 0 with first + last <= 1",
            )
        if self.first + self.last == 0:
            raise InvalidValueError(
                "PositionBased.first",
                (self.first, self.last),
                "a positive first or last share (use Linear for equal shares)",
            )

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares, summing to 1.
        """
        count = len(touches)
        if count == 1:
            return (_ONE,)
        if count == 2:
            ends = self.first + self.last
            return (self.first / ends, self.last / ends)
        middle = (1 - self.first - self.last) / (count - 2)
        return (self.first,) + (middle,) * (count - 2) + (self.last,)


def _half_life(value: str | relativedelta) -> relativedelta:
    duration = parse_duration(value, "TimeDecay.half_life")
    if fixed_length(duration) is None:
        raise InvalidValueError(
            "TimeDecay.half_life", value, "a fixed length such as '7 days' (no months or years)"
        )
    return duration


# Time-decay weights are powers of two with a fractional exponent, so they are
# irrational. They are computed in this context, whose result is correctly
# rounded and the same on every platform, then normalised exactly.
_DECAY = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
_MICROSECONDS_PER_DAY = 86_400_000_000


@attrs.frozen(kw_only=True)
class TimeDecay:
    """Touches closer to the conversion weigh more: the weight halves every half-life.

    A touch ``age`` before the conversion weighs ``2 ** (-age / half_life)``,
    computed to 28 significant digits; shares are the weights divided by their
    sum, exactly, so they sum to 1. With a 7-day half-life, touches 7 days and
    0 days before the order weigh 1/2 and 1, hence shares 1/3 and 2/3.

    Attributes:
        kind: Always ``"time_decay"``; names the model in plain data.
        half_life: A fixed-length duration (default 7 days).
    """

    label: ClassVar[str] = "time decay"

    kind: Literal["time_decay"] = attrs.field(
        default="time_decay", validator=one_of(("time_decay",), '"time_decay"')
    )

    half_life: relativedelta = attrs.field(default=relativedelta(days=7), converter=_half_life)

    def weights(self, instants: Sequence[datetime], conversion_instant: datetime) -> list[Fraction]:
        """The unnormalised weight of each touch.

        Args:
            instants: When the touches happened.
            conversion_instant: When the conversion happened.

        Returns:
            One positive weight per touch.
        """
        half_life_us = _MICROSECONDS_PER_DAY * self.half_life.days + (
            (self.half_life.hours * 3600 + self.half_life.minutes * 60 + self.half_life.seconds)
            * 1_000_000
            + self.half_life.microseconds
        )
        result = []
        for instant in instants:
            age_us = (conversion_instant - instant) // timedelta(microseconds=1)
            exponent = _DECAY.divide(Decimal(-age_us), Decimal(half_life_us))
            result.append(Fraction(_DECAY.power(Decimal(2), exponent)))
        return result

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first, normalised to sum to exactly 1.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares.
        """
        weights = self.weights([touch.instant for touch in touches], conversion_instant)
        total = sum(weights, _ZERO)
        return tuple(weight / total for weight in weights)

    def describe(self) -> str:
        """The model and its half-life, for reasons."""
        return f"time decay (half-life {format_duration(self.half_life)})"


def _introducer_share(value: object) -> Fraction:
    share = to_share(value, "IntroducerCloser.introducer_share")
    if not 0 < share < 1:
        raise InvalidValueError(
            "IntroducerCloser.introducer_share", value, "a share strictly between 0 and 1"
        )
    return share


@attrs.frozen(kw_only=True)
class IntroducerCloser:
    """The hybrid model: the influencer who created the desire and the partner who closed.

    The introducer is the partner of the first eligible touch by an
    :class:`~hybridroi.domain.partners.Influencer` of the campaign; the closer
    is the partner of the last eligible touch. The introducer gets
    ``introducer_share`` and the closer the rest. Touches in between get
    nothing. When there is no influencer touch, or the introducer also closed,
    the closer takes everything.

    Attributes:
        kind: Always ``"introducer_closer"``; names the model in plain data.
        introducer_share: The introducer's share, strictly between 0 and 1
            (default 3/10).
    """

    label: ClassVar[str] = "introducer/closer"

    kind: Literal["introducer_closer"] = attrs.field(
        default="introducer_closer", validator=one_of(("introducer_closer",), '"introducer_closer"')
    )

    introducer_share: Fraction = attrs.field(default=Fraction(3, 10), converter=_introducer_share)

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first.

        Args:
            touches: The eligible touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares, summing to 1.
        """
        result = [_ZERO] * len(touches)
        closer = len(touches) - 1
        introducer = next(
            (i for i, touch in enumerate(touches) if touch.partner_id in influencers), closer
        )
        if touches[introducer].partner_id == touches[closer].partner_id:
            result[closer] = _ONE
        else:
            result[introducer] = self.introducer_share
            result[closer] = 1 - self.introducer_share
        return tuple(result)


def weighted_split(channels: Iterable[str], weights: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """Split one conversion among its distinct channels in proportion to their weights.

    This is the one rule by which fitted weights (Markov removal effects, Shapley
    values) become shares: of a journey's channels when the fitted model is
    read, and of a sale's partners when it is paid. A channel without a weight
    weighs 0; when every channel of the journey weighs 0, they share equally.

    >>> weights = {"tiktok": Fraction(3), "coupons": Fraction(1)}
    >>> weighted_split(["tiktok", "coupons", "tiktok"], weights)
    {'coupons': Fraction(1, 4), 'tiktok': Fraction(3, 4)}

    Args:
        channels: The journey's channels, repeats allowed (at least one).
        weights: The weight of each channel: an exact number (``Fraction``,
            ``Decimal`` or ``int``) >= 0.

    Returns:
        The share of each distinct channel, by channel name, summing to exactly 1.

    Raises:
        InvalidTypeError: If ``channels`` is not a collection of names, or a weight
            is not an exact number (a float or a bool is refused).
        InvalidValueError: If ``channels`` is empty or a weight is negative or not finite.
    """
    if isinstance(channels, str | bytes) or not isinstance(channels, Iterable):
        raise InvalidTypeError("channels", channels, "a collection of channel names")
    distinct = sorted(set(channels))
    if not distinct:
        raise InvalidValueError("channels", (), "at least one channel")
    parts = [_exact_weight(channel, weights.get(channel, _ZERO)) for channel in distinct]
    total = sum(parts, _ZERO)
    if not total:
        equal = Fraction(1, len(distinct))
        return dict.fromkeys(distinct, equal)
    return {channel: part / total for channel, part in zip(distinct, parts, strict=True)}


def _exact_weight(channel: object, value: object) -> Fraction:
    field = f"weights[{channel!r}]"
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int):
        raise InvalidTypeError(field, value, "an exact weight (Fraction, Decimal or int) >= 0")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValueError(field, value, "a finite weight >= 0")
    weight = Fraction(value)
    if weight < 0:
        raise InvalidValueError(field, value, "a weight >= 0")
    return weight


_METHODS = ("markov", "shapley")
_MAX_WEIGHT = 1_000_000
_WEIGHT_PLACES = 28
_METHOD_NOUN = {"markov": "removal effect", "shapley": "Shapley value"}


def _weight_value(field: str, raw: object) -> Decimal:
    if isinstance(raw, bool | float) or not isinstance(raw, Decimal | int | str | Fraction):
        raise InvalidValueError(field, raw, "an exact weight >= 0 such as '0.39' (no float)")
    if isinstance(raw, Fraction):
        try:
            exact = finite_decimal(raw)
        except InvalidValueError:
            exact = None
        if exact is None:
            raise InvalidValueError(field, raw, "a weight with a finite decimal expansion")
        weight = exact
    else:
        try:
            weight = Decimal(raw.strip() if isinstance(raw, str) else raw)
        except decimal.InvalidOperation:
            raise InvalidValueError(field, raw, "a weight such as '0.39'") from None
    if not weight.is_finite() or weight < 0:
        raise InvalidValueError(field, raw, "a finite weight >= 0")
    exponent = weight.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if weight > _MAX_WEIGHT or exponent < -_WEIGHT_PLACES:
        raise InvalidValueError(
            field,
            raw,
            f"a weight of at most {_MAX_WEIGHT:,} with at most {_WEIGHT_PLACES} decimal places",
        )
    return weight


def _weights(
    value: Mapping[str, object] | Iterable[tuple[str, object]],
) -> tuple[tuple[str, Decimal], ...]:
    name = "DataDriven.weights"
    pairs = (
        value.items()
        if isinstance(value, Mapping)
        else collection(value, name, tuple | list, "a (channel, weight) pair")
    )
    result: dict[str, Decimal] = {}
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidTypeError(name, pair, "a (channel, weight) pair")
        channel, raw = pair
        if not isinstance(channel, str) or not channel or channel != channel.strip():
            raise InvalidValueError(name, channel, "a non-empty channel name")
        if channel in result:
            raise InvalidValueError(name, channel, "one weight per channel")
        weight = _weight_value(f"{name}[{channel}]", raw)
        result[channel] = weight
    if not result:
        raise InvalidValueError(name, value, "at least one channel weight")
    return tuple(sorted(result.items()))


def _method(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in _METHODS:
        return value.strip().lower()
    raise InvalidValueError("DataDriven.method", value, '"markov" or "shapley"')


def _previous(value: object) -> object:
    if value is None or isinstance(value, _BUILT_IN):
        return value
    raise InvalidValueError(
        "DataDriven.previous",
        value,
        "None or a built-in model (a data-driven version, or a model such as LastTouch)",
    )


@attrs.frozen(kw_only=True)
class DataDriven:
    """Shares by weights fitted on the campaign's journeys (a Markov or Shapley model).

    The weights are frozen data: a model version, fitted once on the journeys
    up to ``fitted_as_of`` (see :mod:`hybridroi.attribution.markov` and
    :mod:`hybridroi.attribution.shapley`, whose results make one with
    ``to_model``). A sale's partners share it in proportion to their weights
    (:func:`weighted_split`), spread evenly over that partner's eligible
    touches. A partner without a weight weighs 0; when every partner of the sale
    weighs 0, they share equally. Weights of outside channels are kept (they
    were part of the fit) but only partners are paid: see docs/attribution.md.

    A refit is a new version that takes over from an instant: ``v2 =
    fit.to_model("v2", as_of=...).after(v1)`` prices the conversions from
    ``v2.effective_from`` on, and leaves those before it to ``v1`` (and, through
    ``v1.previous``, to the versions before), so a refit never reprices a sale
    an earlier version priced.

    Attributes:
        kind: Always ``"data_driven"``; names the model in plain data.
        method: ``"markov"`` (weights are normalised removal effects) or
            ``"shapley"`` (normalised Shapley values).
        version: The model version, an identifier (``"spring-2026-11"``).
        weights: Each channel's weight (a partner id or an outside channel),
            an exact decimal from 0 to 1,000,000 with at most 28 places, sorted
            by channel.
        fitted_as_of: The instant of the fit: journeys up to it were read.
        fitted_since: The start of the journeys read, if bounded.
        effective_from: The first instant of the conversions this version prices;
            None: every conversion (the first version).
        previous: The model that prices the conversions before
            ``effective_from``: an earlier version, or a built-in model such as
            ``LastTouch()``; None when there is none (then this version prices
            everything).
    """

    label: ClassVar[str] = "data-driven"

    kind: Literal["data_driven"] = attrs.field(
        default="data_driven", validator=one_of(("data_driven",), '"data_driven"')
    )
    method: str = attrs.field(converter=_method)
    version: str = attrs.field(validator=identifier)
    weights: tuple[tuple[str, Decimal], ...] = attrs.field(converter=_weights)
    fitted_as_of: datetime = attrs.field(validator=aware)
    fitted_since: datetime | None = attrs.field(default=None)
    effective_from: datetime | None = attrs.field(default=None)
    previous: AttributionModel | None = attrs.field(default=None, converter=_previous)
    _fractions: dict[str, Fraction] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _decimals: dict[str, Decimal] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        fields = attrs.fields(DataDriven)
        if self.fitted_since is not None:
            aware(self, fields.fitted_since, self.fitted_since)
            if self.fitted_since > self.fitted_as_of:
                raise InvalidValueError(
                    "DataDriven.fitted_since",
                    self.fitted_since,
                    f"an instant at or before fitted_as_of {self.fitted_as_of.isoformat()}",
                )
        if self.effective_from is not None:
            aware(self, fields.effective_from, self.effective_from)
        if self.previous is not None:
            if self.effective_from is None:
                raise InvalidValueError(
                    "DataDriven.effective_from",
                    None,
                    "the instant this version takes over from its previous model",
                )
            earlier = self.previous
            if (
                isinstance(earlier, DataDriven)
                and earlier.effective_from is not None
                and earlier.effective_from >= self.effective_from
            ):
                raise InvalidValueError(
                    "DataDriven.effective_from",
                    self.effective_from,
                    f"an instant after the previous version's {earlier.effective_from.isoformat()}",
                )
        object.__setattr__(self, "_decimals", dict(self.weights))
        object.__setattr__(
            self, "_fractions", {channel: Fraction(weight) for channel, weight in self.weights}
        )

    def after(
        self, previous: AttributionModel, effective_from: datetime | None = None
    ) -> DataDriven:
        """This version, taking over from ``previous`` at ``effective_from``.

        Args:
            previous: The model in force until now (an earlier version, or a
                built-in model such as ``LastTouch()``).
            effective_from: The first instant this version prices (default: its
                ``fitted_as_of``, the instant it was fitted).

        Returns:
            The chained model: conversions before ``effective_from`` keep the
            shares ``previous`` gives them.

        Raises:
            InvalidValueError: If ``previous`` is not a built-in model, or takes
                over later than ``effective_from``.
        """
        return attrs.evolve(
            self,
            previous=previous,
            effective_from=self.fitted_as_of if effective_from is None else effective_from,
        )

    def model_at(self, instant: datetime) -> AttributionModel:
        """The model that prices a conversion at ``instant``: this version or an earlier one.

        Args:
            instant: The conversion's instant.

        Returns:
            The model in force at that instant.
        """
        model: AttributionModel = self
        while (
            isinstance(model, DataDriven)
            and model.previous is not None
            and model.effective_from is not None
            and instant < model.effective_from
        ):
            model = model.previous
        return model

    @property
    def weight_of(self) -> dict[str, Fraction]:
        """The weights as exact fractions, by channel."""
        return self._fractions

    @property
    def decimal_weights(self) -> dict[str, Decimal]:
        """The weights as written, by channel."""
        return self._decimals

    @property
    def noun(self) -> str:
        """What a weight is: ``"normalised removal effect"`` or ``"normalised Shapley value"``."""
        return f"normalised {_METHOD_NOUN[self.method]}"

    def weight_text(self, channel: str) -> str:
        """A channel's weight as written in the model (``"0.39"``), ``"0"`` without one."""
        weight = self._decimals.get(channel)
        return "0" if weight is None else format(weight, "f")

    def describe(self) -> str:
        """The model and its version, for reasons."""
        return f"{self.method} model {self.version}"

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> tuple[Fraction, ...]:
        """One share per touch, oldest first: each partner's weighted share spread over its touches.

        A conversion before ``effective_from`` gets the shares of the model in
        force at its instant (see :meth:`model_at`).

        Args:
            touches: The eligible partner touches, oldest first (at least one).
            conversion_instant: When the conversion happened.
            influencers: Ids of the campaign's influencers.

        Returns:
            The shares, summing to 1.
        """
        model = self.model_at(conversion_instant)
        if model is not self:
            return tuple(model.shares(touches, conversion_instant, influencers))
        partners = [str(touch.partner_id) for touch in touches]
        split = weighted_split(partners, self._fractions)
        counts: dict[str, int] = {}
        for partner in partners:
            counts[partner] = counts.get(partner, 0) + 1
        return tuple(split[partner] / counts[partner] for partner in partners)


class CustomModel(Protocol):
    """A model written by the user: any object with a ``kind``, a ``label`` and ``shares``.

    The engine calls ``shares`` like those of the built-in models and checks what
    it returns (one exact share per touch, each >= 0, summing to exactly 1); a
    model that breaks the contract stops the run with an error naming it. A custom
    model is code, not data: a campaign file cannot hold one.
    """

    @property
    def kind(self) -> str:
        """The model's name in words, such as ``"my_model"``."""

    @property
    def label(self) -> str:
        """How reasons name the model, such as ``"my model"``."""

    def shares(
        self,
        touches: Sequence[Touchpoint],
        conversion_instant: datetime,
        influencers: frozenset[str],
    ) -> Sequence[Fraction]:
        """One exact share per touch, oldest first, summing to 1."""


AttributionModel: TypeAlias = (
    LastTouch | FirstTouch | Linear | PositionBased | TimeDecay | IntroducerCloser | DataDriven
)
"""Any of the attribution models."""

_MODELS = (LastTouch, FirstTouch, Linear, PositionBased, TimeDecay, IntroducerCloser, DataDriven)
_BUILT_IN: tuple[type, ...] = _MODELS

DEFAULT_WINDOWS: tuple[tuple[TouchKind, relativedelta], ...] = (
    (TouchKind.VIEW, relativedelta(days=1)),
    (TouchKind.CLICK, relativedelta(days=30)),
    (TouchKind.PROMO_CODE, relativedelta(days=30)),
)
"""Click 30 days, view 1 day, promo code 30 days."""

_ABSOLUTE = ("year", "month", "day", "weekday", "hour", "minute", "second", "microsecond")
_RELATIVE = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds")


class TieBreak(enum.Enum):
    """How touches at the same instant are ordered (the later one is "last").

    Ties are rare but real: a click and its promo code logged in the same
    second, two tracking systems rounding to the minute. The rule makes the
    result independent of the order in which events arrive.
    """

    KIND_THEN_ID = "kind_then_id"
    """At equal instants the stronger kind counts as later (promo code, then click,
    then view); at equal kinds, the larger touch id counts as later."""
    TOUCH_ID = "touch_id"
    """At equal instants the larger touch id counts as later, whatever the kind."""


def _window(
    kind: TouchKind, value: object, name: str = "AttributionPolicy.windows"
) -> relativedelta:
    field = f"{name}[{kind.value}]"
    if not isinstance(value, str | relativedelta):
        raise InvalidValueError(field, value, "a duration such as '30 days'")
    duration = parse_duration(value, field)
    if any(getattr(duration, name) is not None for name in _ABSOLUTE) or duration.leapdays:
        raise InvalidValueError(field, value, "a relative duration (no absolute date fields)")
    amounts = [getattr(duration, name) for name in _RELATIVE]
    if any(amount < 0 for amount in amounts) or not any(amounts):
        raise InvalidValueError(field, value, "a positive duration")
    return duration


def _kind(value: object, name: str = "AttributionPolicy.windows") -> TouchKind:
    if isinstance(value, TouchKind):
        return value
    try:
        return TouchKind(value)
    except ValueError:
        raise InvalidValueError(
            name,
            value,
            "a TouchKind or one of " + ", ".join(repr(k.value) for k in TouchKind),
        ) from None


def _windows(
    value: Mapping[Any, str | relativedelta] | Iterable[tuple[Any, str | relativedelta]],
    name: str = "AttributionPolicy.windows",
) -> tuple[tuple[TouchKind, relativedelta], ...]:
    pairs = (
        value.items()
        if isinstance(value, Mapping)
        else collection(value, name, tuple | list, "a (kind, window) pair")
    )
    result: dict[TouchKind, relativedelta] = {}
    for pair in pairs:
        if len(pair) != 2:
            raise InvalidTypeError(name, pair, "a (kind, window) pair")
        raw_kind, duration = pair
        kind = _kind(raw_kind, name)
        if kind in result:
            raise InvalidValueError(name, kind.value, "one window per kind")
        result[kind] = _window(kind, duration, name)
    return tuple((kind, result[kind]) for kind in TouchKind if kind in result)


def attribution_windows(
    value: Mapping[Any, str | relativedelta] | Iterable[tuple[Any, str | relativedelta]],
    field: str,
) -> tuple[tuple[TouchKind, relativedelta], ...]:
    """Windows by kind of touch, read as :attr:`AttributionPolicy.windows` reads them.

    Args:
        value: A table (``{"click": "7 days"}``) or ``(kind, window)`` pairs.
        field: The field named in errors (``"Influencer.windows"``).

    Returns:
        ``(kind, window)`` pairs in the order of :class:`TouchKind`.

    Raises:
        InvalidValueError: For an unknown kind, a kind given twice or a window that
            is not a positive relative duration.
    """
    return _windows(value, field)


def _channels(value: Iterable[str]) -> tuple[str, ...]:
    result = set(collection(value, "AttributionPolicy.dedupe_channels", str, "a channel name"))
    for channel in result:
        if not isinstance(channel, str) or not channel or channel != channel.strip():
            raise InvalidValueError(
                "AttributionPolicy.dedupe_channels", channel, "a non-empty channel name"
            )
    return tuple(sorted(result))


def is_custom_model(value: object) -> bool:
    """Whether ``value`` is a model written by the user (not one of the library's).

    Args:
        value: Any object.

    Returns:
        True for an object with a text ``kind`` and ``label`` and a callable
        ``shares`` that is not one of the built-in models.
    """
    return (
        not isinstance(value, _MODELS)
        and isinstance(getattr(value, "kind", None), str)
        and isinstance(getattr(value, "label", None), str)
        and callable(getattr(value, "shares", None))
    )


def _check_model(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, _MODELS) and not is_custom_model(value):
        raise InvalidValueError(
            "AttributionPolicy.model",
            value,
            "one of LastTouch, FirstTouch, Linear, PositionBased, TimeDecay, IntroducerCloser, "
            "DataDriven, or a custom model (an object with a text kind and label and a "
            "shares method)",
        )


@attrs.frozen(kw_only=True)
class AttributionPolicy:
    """How a campaign decides which partners earned a conversion.

    Attributes:
        windows: How long before a conversion a touch of each kind can earn
            credit, as durations (``{"click": "30 days", "view": "1 day"}``).
            A kind left out never earns credit. Windows in days, hours, minutes
            or weeks are elapsed time, like a cookie's lifetime; windows with
            months or years follow the calendar of the campaign's time zone.
            Both ends are inclusive: a click exactly 30 days before the order
            is inside a 30-day window, and a touch at the same instant as the
            order counts.
        model: How the credit is split among the eligible touches (default
            :class:`~hybridroi.domain.policy.LastTouch`).
        promo_code_precedence: When the order used a promo code and the
            customer has an eligible promo-code touch for it, that touch's
            partner takes the whole sale, whatever the cookies say (on by
            default, as coupon attribution in affiliate networks).
        dedupe_channels: Outside channels (``"paid_search"``, ``"email"``)
            that take the credit away from partners: when the last eligible
            touch of a conversion comes from one of them, no partner is
            credited and the conversion is reported as unattributed. Touches
            of other outside channels are ignored. Kept sorted and unique.
        tie_break: How touches at the same instant are ordered.
    """

    windows: tuple[tuple[TouchKind, relativedelta], ...] = attrs.field(
        default=DEFAULT_WINDOWS, converter=_windows
    )
    model: AttributionModel | CustomModel = attrs.field(factory=LastTouch, validator=_check_model)
    promo_code_precedence: bool = attrs.field(
        default=True, validator=instance_of(bool, "true or false")
    )
    dedupe_channels: tuple[str, ...] = attrs.field(default=(), converter=_channels)
    tie_break: TieBreak = attrs.field(
        default=TieBreak.KIND_THEN_ID,
        converter=enum_member(TieBreak),  # type: ignore[misc]
    )

    def window(self, kind: TouchKind) -> relativedelta | None:
        """The window of touches of ``kind``, or None if they never earn credit.

        Args:
            kind: The kind of touch.

        Returns:
            The window as a ``relativedelta``, or None.
        """
        for window_kind, duration in self.windows:
            if window_kind is kind:
                return duration
        return None
