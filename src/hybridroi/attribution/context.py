"""What the attribution engine derives once per run, and what both of its paths share.

The engine has a general path (any model, any window) and a columnar last-touch
join (:mod:`hybridroi.attribution.last_touch`); both read the policy through an
:class:`AttributionContext` and word their credits with the same functions, so
that they give the same credits word for word.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.core.durations import fixed_length, format_duration
from hybridroi.core.timezones import zone
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Influencer
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    CustomModel,
    DataDriven,
    TieBreak,
    TimeDecay,
    TouchKind,
    is_custom_model,
)
from hybridroi.events.records import Conversion, Touch

__all__ = ["KIND_RANK", "AttributionContext", "code_words", "owned_credit", "promo_credit"]

_ONE = Fraction(1)
_KIND_NOUN = {TouchKind.VIEW: "view", TouchKind.CLICK: "click", TouchKind.PROMO_CODE: "promo code"}
KIND_RANK = {TouchKind.VIEW: 0, TouchKind.CLICK: 1, TouchKind.PROMO_CODE: 2}
"""The rank of each touch kind when touches tie on their instant (a higher rank is later)."""
_NO_RANK = dict.fromkeys(TouchKind, 0)
_PROMO = TouchKind.PROMO_CODE
# Credits are built from fields the engine derived itself (see Credit._trusted).
_credit = Credit._trusted


def _ago(gap: timedelta) -> str:
    days = gap.days
    if days:
        return f"{days} day{'s' if days != 1 else ''} before the order"
    hours = gap.seconds // 3600
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''} before the order"
    minutes = gap.seconds // 60
    if minutes:
        return f"{minutes} minute{'s' if minutes != 1 else ''} before the order"
    if gap:
        return "less than a minute before the order"
    return "at the instant of the order"


def _gap_key(gap: timedelta) -> int:
    """What the words of :func:`_ago` depend on: whole days, else minus whole minutes.

    Zero (a gap under a minute, rare) means the words are not worth caching.
    """
    return gap.days or -(gap.seconds // 60)


def _window_text(kind: TouchKind, window: relativedelta) -> str:
    text = format_duration(window)
    number, _, unit = text.partition(" ")
    if unit and " " not in unit:
        text = f"{number}-{unit.removesuffix('s')}"
    return f"{text} {_KIND_NOUN[kind]} window"


def _share_text(share: Fraction) -> str:
    percent = share * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    if (percent * 100).denominator == 1:
        return f"{Decimal(percent.numerator) / Decimal(percent.denominator)}%"
    if share.denominator < 1000:
        return f"{share.numerator}/{share.denominator}"
    rounded = (Decimal(percent.numerator) / Decimal(percent.denominator)).quantize(Decimal("0.01"))
    return f"about {rounded}%"


def _model_label(model: AttributionModel | CustomModel) -> str:
    return model.describe() if isinstance(model, TimeDecay | DataDriven) else model.label


class AttributionContext:
    """What the engine precomputes once per run, from the campaign and the policy.

    Args:
        campaign: The campaign (partners, promo codes, time zone).
        policy: The attribution policy that applies.
    """

    def __init__(self, campaign: Campaign, policy: AttributionPolicy) -> None:
        self.policy = policy
        self.model = policy.model
        self.label = _model_label(policy.model)
        self.labels: dict[int, str] = {}
        self.custom = is_custom_model(policy.model)
        self.zone: ZoneInfo = zone(campaign.timezone)
        self.influencers = frozenset(p.id for p in campaign.partners if isinstance(p, Influencer))
        self.fixed: dict[TouchKind, timedelta] = {}
        self.calendar: dict[TouchKind, relativedelta] = {}
        self.window_text: dict[TouchKind, str] = {}
        for kind, window in policy.windows:
            length = fixed_length(window)
            if length is None:
                self.calendar[kind] = window
            else:
                self.fixed[kind] = length
            self.window_text[kind] = _window_text(kind, window)
        # The partners' own windows (cookie durations), by (partner id, kind): each
        # replaces the policy's window of its kind for that partner's touches.
        self.partner_fixed: dict[tuple[str, TouchKind], timedelta] = {}
        self.partner_calendar: dict[tuple[str, TouchKind], relativedelta] = {}
        self.partner_window_text: dict[tuple[str, TouchKind], str] = {}
        for partner in campaign.partners:
            for kind, window in partner.windows:
                length = fixed_length(window)
                if length is None:
                    self.partner_calendar[partner.id, kind] = window
                else:
                    self.partner_fixed[partner.id, kind] = length
                self.partner_window_text[partner.id, kind] = (
                    f"{partner.id}'s {_window_text(kind, window)}"
                )
        self.partner_reasons: dict[tuple[str, TouchKind], dict[int, str]] = {
            key: {} for key in self.partner_window_text
        }
        policy_kinds = frozenset(self.fixed) | frozenset(self.calendar)
        self.kinds = (
            frozenset(self.fixed)
            | frozenset(self.calendar)
            | frozenset(kind for _, kind in self.partner_window_text)
        )
        self.rank = KIND_RANK if policy.tie_break is TieBreak.KIND_THEN_ID else _NO_RANK
        self.dedupe = frozenset(policy.dedupe_channels)
        # Enum members hash in Python code; hot lookups are keyed by the member's value.
        # Last-touch reasons by kind, then by the key of the gap (see _gap_key).
        self.reasons: dict[TouchKind, dict[int, str]] = {kind: {} for kind in TouchKind}
        self.shares_text: dict[Fraction, str] = {}
        # Owned codes by folded code: (owner, the code as declared). A kind without a
        # window never earns credit, and neither does an owned code then.
        self.owners: dict[str, tuple[str, str]] = (
            {
                code.casefold(): (partner.id, code)
                for partner in campaign.partners
                for code in partner.promo_codes
                if _PROMO in policy_kinds or (partner.id, _PROMO) in self.partner_window_text
            }
            if _PROMO in self.kinds
            else {}
        )
        self.all_owners = {
            code.casefold() for partner in campaign.partners for code in partner.promo_codes
        }
        # The touch standing for the order's own owned code, while that order is attributed.
        self.sale_touch: Touch | None = None

    def label_of(self, model: AttributionModel) -> str:
        """How reasons name ``model`` (a version of a chained data-driven model), cached."""
        label = self.labels.get(id(model))
        if label is None:
            label = self.labels[id(model)] = _model_label(model)
        return label

    def order_key(self, touch: Touch) -> tuple[datetime, int, str]:
        """The sort key of a touch: instant, then the tie-break rank of its kind, then id."""
        return (touch.instant, self.rank[touch.kind], touch.id)

    def window_starts(self, instant: datetime) -> dict[str, datetime]:
        """The earliest instant a touch of each kind (by value) may have to count at ``instant``."""
        starts = {kind.value: instant - length for kind, length in self.fixed.items()}
        if self.calendar:
            local = instant.astimezone(self.zone)
            for kind, window in self.calendar.items():
                starts[kind.value] = local - window
        return starts

    def partner_starts(self, instant: datetime) -> dict[tuple[str, str], datetime]:
        """The partners' own window starts at ``instant``, by (partner id, kind value)."""
        starts = {
            (partner, kind.value): instant - length
            for (partner, kind), length in self.partner_fixed.items()
        }
        if self.partner_calendar:
            local = instant.astimezone(self.zone)
            for (partner, kind), window in self.partner_calendar.items():
                starts[partner, kind.value] = local - window
        return starts

    def fixed_window(self, partner_id: str | None, kind: TouchKind) -> timedelta | None:
        """The fixed-length window of a touch of ``kind`` by ``partner_id``, None without one."""
        if partner_id is not None and self.partner_fixed:
            own = self.partner_fixed.get((partner_id, kind))
            if own is not None:
                return own
        return self.fixed.get(kind)

    def window_words(self, partner_id: str | None, kind: TouchKind) -> str:
        """A touch's window in words: the policy's or the partner's own ("lea's 7-day ...")."""
        if partner_id is not None and self.partner_window_text:
            own = self.partner_window_text.get((partner_id, kind))
            if own is not None:
                return own
        return f"the {self.window_text[kind]}"

    def share_text(self, share: Fraction) -> str:
        """A share in words (``"50%"``, ``"1/3"``), cached by share."""
        text = self.shares_text.get(share)
        if text is None:
            text = self.shares_text[share] = _share_text(share)
        return text

    def last_touch_reason(
        self, kind: TouchKind, gap: timedelta, partner_id: str | None = None
    ) -> str:
        """The reason of a last-touch credit won by a touch of ``kind`` ``gap`` before the order.

        ``partner_id`` names the touch's partner, whose own window (if any) the reason names.
        """
        key = _gap_key(gap)
        texts = None
        if partner_id is not None and self.partner_reasons:
            texts = self.partner_reasons.get((partner_id, kind))
        if texts is None:
            texts = self.reasons[kind]
        reason = texts.get(key) if key else None
        if reason is None:
            reason = self._last_touch_reason(kind, gap, partner_id)
            if key:
                texts[key] = reason
        return reason

    def _last_touch_reason(
        self, kind: TouchKind, gap: timedelta, partner_id: str | None = None
    ) -> str:
        window = self.window_words(partner_id, kind)
        return f"last {_KIND_NOUN[kind]} {_ago(gap)}, within {window}"

    def touch_text(self, touch: Touch, instant: datetime) -> str:
        """A touch in words, as seen from an order at ``instant``."""
        if touch is self.sale_touch:
            return code_words(touch)
        return (
            f"{_KIND_NOUN[touch.kind]} {_ago(instant - touch.instant)}, "
            f"within {self.window_words(touch.partner_id, touch.kind)}"
        )


def code_words(touch: Touch) -> str:
    """The words for a promo-code touch that stands for the order's own code.

    Args:
        touch: The promo-code touch (its ``link_id`` is the code).

    Returns:
        ``"promo code <code> of partner <partner> used at checkout"``.
    """
    return f"promo code {touch.link_id} of partner {touch.partner_id} used at checkout"


def owned_credit(
    context: AttributionContext, conversion: Conversion, owner: str, code: str, touch: Touch | None
) -> Credit:
    """The whole sale to the owner of its promo code (promo-code precedence).

    Args:
        context: The run's context.
        conversion: The order.
        owner: The partner who owns the order's promo code.
        code: The code as the owner declared it.
        touch: The owner's eligible promo-code touch carrying the code, if any.

    Returns:
        The sole credit of the conversion.
    """
    reason = f"promo code {code} of partner {owner} used at checkout takes precedence over cookies"
    if touch is not None:
        reason += f"; {context.touch_text(touch, conversion.instant)}"
    return _credit(
        conversion.id,
        owner,
        _ONE,
        CreditRole.SOLE,
        conversion.id if touch is None else touch.id,
        None if touch is None else touch.content_id,
        conversion.revenue,
        reason,
    )


def promo_credit(context: AttributionContext, conversion: Conversion, winner: Touch) -> Credit:
    """The whole sale to the partner of the winning promo-code touch (promo-code precedence).

    Args:
        context: The run's context.
        conversion: The order, which carries a promo code no partner owns.
        winner: The latest eligible partner promo-code touch carrying that code or none.

    Returns:
        The sole credit of the conversion.
    """
    assert winner.partner_id is not None  # only partner touches are promo winners
    return _credit(
        conversion.id,
        winner.partner_id,
        _ONE,
        CreditRole.SOLE,
        winner.id,
        winner.content_id,
        conversion.revenue,
        f"promo code {conversion.promo_code!r} used at checkout takes precedence "
        f"over cookies; {context.touch_text(winner, conversion.instant)}",
    )
