"""Attribution policy: windows, model, promo-code precedence, de-duplication, tie-break.

A policy is plain data. It is attached to a campaign (``Campaign.attribution``)
or passed to :func:`hybridroi.attribution.engine.attribute`.

>>> policy = AttributionPolicy(windows={"click": "7 days", "view": "24 hours"})
>>> policy.window(TouchKind.CLICK)
relativedelta(days=+7)
>>> policy.window(TouchKind.PROMO_CODE) is None
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.attribution.models import (
    AttributionModel,
    FirstTouch,
    IntroducerCloser,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
)
from hybridroi.core.checks import collection, enum_member, instance_of
from hybridroi.core.durations import parse_duration
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.events.records import TouchKind

__all__ = ["DEFAULT_WINDOWS", "AttributionPolicy", "TieBreak"]

_MODELS = (LastTouch, FirstTouch, Linear, PositionBased, TimeDecay, IntroducerCloser)

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


def _window(kind: TouchKind, value: object) -> relativedelta:
    field = f"AttributionPolicy.windows[{kind.value}]"
    if not isinstance(value, str | relativedelta):
        raise InvalidValueError(field, value, "a duration such as '30 days'")
    duration = parse_duration(value, field)
    if any(getattr(duration, name) is not None for name in _ABSOLUTE) or duration.leapdays:
        raise InvalidValueError(field, value, "a relative duration (no absolute date fields)")
    amounts = [getattr(duration, name) for name in _RELATIVE]
    if any(amount < 0 for amount in amounts) or not any(amounts):
        raise InvalidValueError(field, value, "a positive duration")
    return duration


def _kind(value: object) -> TouchKind:
    if isinstance(value, TouchKind):
        return value
    try:
        return TouchKind(value)
    except ValueError:
        raise InvalidValueError(
            "AttributionPolicy.windows",
            value,
            "a TouchKind or one of " + ", ".join(repr(k.value) for k in TouchKind),
        ) from None


def _windows(
    value: Mapping[Any, str | relativedelta] | Iterable[tuple[Any, str | relativedelta]],
) -> tuple[tuple[TouchKind, relativedelta], ...]:
    name = "AttributionPolicy.windows"
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
        kind = _kind(raw_kind)
        if kind in result:
            raise InvalidValueError("AttributionPolicy.windows", kind.value, "one window per kind")
        result[kind] = _window(kind, duration)
    return tuple((kind, result[kind]) for kind in TouchKind if kind in result)


def _channels(value: Iterable[str]) -> tuple[str, ...]:
    result = set(collection(value, "AttributionPolicy.dedupe_channels", str, "a channel name"))
    for channel in result:
        if not isinstance(channel, str) or not channel or channel != channel.strip():
            raise InvalidValueError(
                "AttributionPolicy.dedupe_channels", channel, "a non-empty channel name"
            )
    return tuple(sorted(result))


def _check_model(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, _MODELS):
        raise InvalidValueError(
            "AttributionPolicy.model",
            value,
            "one of LastTouch, FirstTouch, Linear, PositionBased, TimeDecay, IntroducerCloser",
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
            :class:`~hybridroi.attribution.models.LastTouch`).
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
    model: AttributionModel = attrs.field(factory=LastTouch, validator=_check_model)
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
