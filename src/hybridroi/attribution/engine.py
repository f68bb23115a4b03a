"""The attribution engine: from checked events to credits.

For each valid conversion, in order:

1. **Eligible touches.** The customer's touches (same ``customer_key``, plus
   the click named by the conversion's ``click_id``) at or before the
   conversion and inside the window of their kind. Touches of outside
   channels count only when the policy de-duplicates against that channel.
   They are ordered by instant, ties broken by the policy's rule.
2. **Promo codes.** A promo code on the order that a partner owns
   (``promo_codes`` of the partner, compared without regard to case) is a
   promo-code touch of its owner at the order's instant. With promo-code
   precedence (on by default) the owner takes the whole sale; without, that
   touch competes under the model. An order whose code no partner owns falls
   back to promo-code touches: with precedence, if an eligible promo-code touch
   carries that code (its ``link_id``) or carries no code, the partner of the
   latest such touch takes the whole sale.
3. **De-duplication.** If the last eligible touch comes from a de-duplicated
   outside channel, no partner is credited.
4. **Model.** The policy's model splits the sale among the eligible partner
   touches; the shares of each partner are merged into one credit.

A conversion with no credit is listed in ``unattributed``; a conversion whose
promo code no partner owns is listed in ``unowned_promo_codes``. Credits carry the
conversion's revenue as sold; refunds do not change credits (the commission
engine and the ledger reverse commissions on refunds).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from operator import attrgetter, is_not
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.core.allocation import allocate
from hybridroi.core.durations import fixed_length, format_duration
from hybridroi.core.money import Money
from hybridroi.core.timezones import require_aware, zone
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Influencer
from hybridroi.domain.policy import (
    AttributionModel,
    AttributionPolicy,
    LastTouch,
    TieBreak,
    TimeDecay,
    TouchKind,
)
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Touch

__all__ = ["attribute", "attribute_batch", "policy_of"]

_ONE = Fraction(1)
_KIND_NOUN = {TouchKind.VIEW: "view", TouchKind.CLICK: "click", TouchKind.PROMO_CODE: "promo code"}
_KIND_RANK = {TouchKind.VIEW: 0, TouchKind.CLICK: 1, TouchKind.PROMO_CODE: 2}
_NO_RANK = dict.fromkeys(TouchKind, 0)
_BY_CONVERSION = attrgetter("conversion_id")
_CLICK_ID = attrgetter("click_id")
_INSTANT = attrgetter("instant")
_PROMO_CODE = attrgetter("promo_code")
_PROMO = TouchKind.PROMO_CODE
_NO_GAP = timedelta(0)

# Credit is a slotted attrs class: each field is a member descriptor whose __set__
# writes the slot directly (attrs has no validators on Credit to bypass).
_CREDIT_SLOTS = tuple(
    Credit.__dict__[name].__set__
    for name in (
        "conversion_id",
        "partner_id",
        "share",
        "role",
        "touch_id",
        "content_id",
        "revenue",
        "reason",
    )
)


def _credit(  # noqa: PLR0917 - positional on purpose: called once per credit on the hot path
    conversion_id: str,
    partner_id: str,
    share: Fraction,
    role: CreditRole,
    touch_id: str,
    content_id: str | None,
    revenue: Money,
    reason: str,
) -> Credit:
    # Credit has no validators; building it through its slots skips keyword
    # parsing on the hot path of a million conversions. Only this module does it.
    credit = object.__new__(Credit)
    s_conversion, s_partner, s_share, s_role, s_touch, s_content, s_revenue, s_reason = (
        _CREDIT_SLOTS
    )
    s_conversion(credit, conversion_id)
    s_partner(credit, partner_id)
    s_share(credit, share)
    s_role(credit, role)
    s_touch(credit, touch_id)
    s_content(credit, content_id)
    s_revenue(credit, revenue)
    s_reason(credit, reason)
    return credit


def policy_of(campaign: Campaign, policy: AttributionPolicy | None = None) -> AttributionPolicy:
    """The policy that applies: the one given, else the campaign's own.

    Args:
        campaign: The campaign; ``Campaign.attribution`` is the default policy
            unless the campaign was built with another.
        policy: An explicit policy, if any.

    Returns:
        The policy to use.
    """
    return campaign.attribution if policy is None else policy


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


def _model_label(model: AttributionModel) -> str:
    return model.describe() if isinstance(model, TimeDecay) else model.label


class _Context:
    """What the engine precomputes once per run."""

    def __init__(self, campaign: Campaign, policy: AttributionPolicy) -> None:
        self.policy = policy
        self.model = policy.model
        self.label = _model_label(policy.model)
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
        self.kinds = frozenset(self.fixed) | frozenset(self.calendar)
        self.rank = _KIND_RANK if policy.tie_break is TieBreak.KIND_THEN_ID else _NO_RANK
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
            }
            if _PROMO in self.kinds
            else {}
        )
        self.all_owners = {
            code.casefold() for partner in campaign.partners for code in partner.promo_codes
        }
        # The touch standing for the order's own owned code, while that order is attributed.
        self.sale_touch: Touch | None = None

    def order_key(self, touch: Touch) -> tuple[datetime, int, str]:
        return (touch.instant, self.rank[touch.kind], touch.id)

    def window_starts(self, instant: datetime) -> dict[str, datetime]:
        """The earliest instant a touch of each kind (by value) may have to count at ``instant``."""
        starts = {kind.value: instant - length for kind, length in self.fixed.items()}
        if self.calendar:
            local = instant.astimezone(self.zone)
            for kind, window in self.calendar.items():
                starts[kind.value] = local - window
        return starts

    def share_text(self, share: Fraction) -> str:
        text = self.shares_text.get(share)
        if text is None:
            text = self.shares_text[share] = _share_text(share)
        return text

    def last_touch_reason(self, kind: TouchKind, gap: timedelta) -> str:
        """The reason of a last-touch credit won by a touch of ``kind`` ``gap`` before the order."""
        key = _gap_key(gap)
        texts = self.reasons[kind]
        reason = texts.get(key) if key else None
        if reason is None:
            reason = self._last_touch_reason(kind, gap)
            if key:
                texts[key] = reason
        return reason

    def _last_touch_reason(self, kind: TouchKind, gap: timedelta) -> str:
        return f"last {_KIND_NOUN[kind]} {_ago(gap)}, within the {self.window_text[kind]}"

    def touch_text(self, touch: Touch, instant: datetime) -> str:
        if touch is self.sale_touch:
            return _code_words(touch)
        return (
            f"{_KIND_NOUN[touch.kind]} {_ago(instant - touch.instant)}, "
            f"within the {self.window_text[touch.kind]}"
        )


def _code_words(touch: Touch) -> str:
    return f"promo code {touch.link_id} of partner {touch.partner_id} used at checkout"


def _owned(context: _Context, conversion: Conversion) -> tuple[str, str] | None:
    """The owner of the order's promo code and the code as declared, if a partner owns it."""
    code = conversion.promo_code
    if code is None or not context.owners:
        return None
    return context.owners.get(code.casefold())


def _sale_touch(conversion: Conversion, owner: str, code: str) -> Touch:
    """The order's owned code as a promo-code touch of its owner at the order's instant."""
    return Touch(
        id=conversion.id,
        kind=_PROMO,
        instant=conversion.instant,
        customer_key=conversion.customer_key,
        partner_id=owner,
        link_id=code,
    )


def _owner_touch(eligible: Sequence[Touch], code: str, owner: str) -> Touch | None:
    """The latest eligible partner promo-code touch carrying ``code``, if the owner's."""
    wanted = code.casefold()
    for touch in reversed(eligible):
        if (
            touch.kind is _PROMO
            and touch.partner_id is not None
            and touch.link_id is not None
            and touch.link_id.casefold() == wanted
        ):
            return touch if touch.partner_id == owner else None
    return None


def _owned_credit(
    context: _Context, conversion: Conversion, owner: str, code: str, touch: Touch | None
) -> Credit:
    """The whole sale to the owner of its promo code (promo-code precedence)."""
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


def _eligible(context: _Context, group: Sequence[Touch], instant: datetime) -> list[Touch]:
    """The touches of ``group`` that can earn credit at ``instant``, oldest first."""
    starts = context.window_starts(instant)
    eligible = []
    for touch in group:
        if touch.instant > instant:
            break
        start = starts.get(touch.kind._value_)
        if start is not None and touch.instant >= start:
            eligible.append(touch)
    if len(eligible) > 1 and len({touch.instant for touch in eligible}) < len(eligible):
        eligible.sort(key=context.order_key)
    return eligible


def _with_tracked_click(
    context: _Context, eligible: list[Touch], click: Touch | None, conversion: Conversion
) -> list[Touch]:
    """Add the click named by the conversion's ``click_id`` when another key recorded it."""
    if click is None or click.customer_key == conversion.customer_key:
        return eligible
    if not _eligible(context, [click], conversion.instant):
        return eligible
    return sorted([*eligible, click], key=context.order_key)


def _promo_winner(eligible: Sequence[Touch], code: str) -> Touch | None:
    wanted = code.casefold()
    for touch in reversed(eligible):
        if (
            touch.kind is TouchKind.PROMO_CODE
            and touch.partner_id is not None
            and (touch.link_id is None or touch.link_id.casefold() == wanted)
        ):
            return touch
    return None


def _split(
    context: _Context, conversion: Conversion, touches: list[Touch], credits: list[Credit]
) -> None:
    """Credit ``touches`` (partner touches, oldest first) under the policy's model."""
    shares = context.model.shares(touches, conversion.instant, context.influencers)
    by_partner: dict[str, Fraction] = {}
    credited: dict[str, list[int]] = {}
    for index, (touch, share) in enumerate(zip(touches, shares, strict=True)):
        if share:
            partner = touch.partner_id
            assert partner is not None  # only partner touches reach the model
            by_partner[partner] = by_partner.get(partner, 0) + share
            credited.setdefault(partner, []).append(index)
    count = len(touches)
    instant = conversion.instant
    if len(by_partner) == 1:
        ((partner, positions),) = credited.items()
        decisive = touches[positions[-1]]
        if isinstance(context.model, LastTouch):
            reason = (
                f"last touch: {_code_words(decisive)}"
                if decisive is context.sale_touch
                else context.last_touch_reason(decisive.kind, instant - decisive.instant)
            )
        else:
            reason = (
                f"{context.label}: the whole sale, {_of(len(positions), count)}; latest "
                f"{context.touch_text(decisive, instant)}"
            )
        credits.append(
            _credit(
                conversion.id,
                partner,
                _ONE,
                CreditRole.SOLE,
                decisive.id,
                decisive.content_id,
                conversion.revenue,
                reason,
            )
        )
        return
    latest = max(credited.items(), key=lambda item: item[1][-1])[0]
    earliest = min(credited.items(), key=lambda item: item[1][0])[0]
    revenues = allocate(conversion.revenue, by_partner)
    for partner in sorted(by_partner):
        positions = credited[partner]
        if partner == latest:
            role, decisive, which = CreditRole.CLOSER, touches[positions[-1]], "latest"
        elif partner == earliest:
            role, decisive, which = CreditRole.INTRODUCER, touches[positions[0]], "first"
        else:
            role, decisive, which = CreditRole.ASSIST, touches[positions[-1]], "latest"
        share = by_partner[partner]
        credits.append(
            _credit(
                conversion.id,
                partner,
                share,
                role,
                decisive.id,
                decisive.content_id,
                revenues[partner],
                f"{context.label}: {context.share_text(share)} of the sale as {role.value}, "
                f"{_of(len(positions), count)}; {which} {context.touch_text(decisive, instant)}",
            )
        )


def _of(credited: int, eligible: int) -> str:
    if eligible == 1:
        return "the only eligible touch"
    return f"{credited} of {eligible} eligible touches"


def _grouped(context: _Context, touches: Iterable[Touch]) -> dict[str, list[Touch]]:
    """The touches that can earn credit, by customer key, in batch order."""
    groups: defaultdict[str, list[Touch]] = defaultdict(list)
    dedupe = context.dedupe
    every_kind = context.kinds == frozenset(TouchKind)
    kinds = context.kinds
    for touch in touches:
        channel = touch.channel
        if (channel is None or channel in dedupe) and (every_kind or touch.kind in kinds):
            groups[touch.customer_key].append(touch)
    return dict(groups)


def _general(
    context: _Context,
    conversion: Conversion,
    group: Sequence[Touch],
    clicks: dict[str, Touch],
    credits: list[Credit],
) -> bool:
    """Attribute one conversion under any policy; False when no partner earned it."""
    instant = conversion.instant
    eligible = _eligible(context, group, instant)
    if conversion.click_id is not None:
        eligible = _with_tracked_click(
            context, eligible, clicks.get(conversion.click_id), conversion
        )
    owned = _owned(context, conversion)
    if owned is not None:
        owner, code = owned
        if context.policy.promo_code_precedence:
            touch = _owner_touch(eligible, code, owner)
            credits.append(_owned_credit(context, conversion, owner, code, touch))
            return True
        sale_touch = context.sale_touch = _sale_touch(conversion, owner, code)
        eligible = sorted([*eligible, sale_touch], key=context.order_key)
    elif not eligible:
        return False
    elif context.policy.promo_code_precedence and conversion.promo_code is not None:
        winner = _promo_winner(eligible, conversion.promo_code)
        if winner is not None:
            credits.append(_promo_credit(context, conversion, winner))
            return True
    if eligible[-1].channel is not None:
        # Only de-duplicated channels are grouped: an outside channel closed the sale.
        return False
    _split(context, conversion, [t for t in eligible if t.channel is None], credits)
    return True


def _promo_credit(context: _Context, conversion: Conversion, winner: Touch) -> Credit:
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


def _sweep_last_touch(  # noqa: PLR0915 - one inlined loop on purpose (speed)
    context: _Context,
    touches: Sequence[Touch],
    conversions: Sequence[Conversion],
    *,
    clicks: dict[str, Touch],
    credits: list[Credit],
    unattributed: list[str],
) -> None:
    """Last touch with fixed-length windows, in one pass over touches and conversions.

    Both sequences are in time order. For a conversion, the last eligible touch is
    the latest, over the touch kinds, of the customer's latest touch of that kind
    at or before it, if inside its window: an older touch of one kind is never
    inside a window that a later touch of the same kind is outside of. So the
    sweep keeps, per customer, only the latest touch of each kind (partners and
    de-duplicated channels apart) and, for promo-code precedence, the latest
    promo-code touch per code. Memory is read in time order, which is what makes
    it fast on millions of events.
    """
    view_kind, click_kind = TouchKind.VIEW, TouchKind.CLICK
    # The latest touch of each kind by customer key: one dict per kind (partners and
    # de-duplicated channels apart) rather than one record per customer, so that
    # storing a touch is a single dict write and no container is allocated per
    # customer (millions of them would keep the garbage collector busy).
    latest: dict[TouchKind, dict[str, Touch]] = {kind: {} for kind in TouchKind}
    outside: dict[str, dict[str, Touch]] = {kind.value: {} for kind in TouchKind}
    latest_view, latest_click, latest_promo = latest[view_kind], latest[click_kind], latest[_PROMO]
    kind_ties = context.rank is _KIND_RANK
    # What a conversion reads, per kind with a window: the latest touches by customer,
    # the window, the tie-break rank and the reasons cache (None for outside channels,
    # which take the sale away from partners).
    lanes: list[tuple[dict[str, Touch], timedelta, int, dict[int, str] | None]] = [
        (latest[kind], length, _KIND_RANK[kind] if kind_ties else 0, context.reasons[kind])
        for kind, length in context.fixed.items()
    ]
    dedupe = context.dedupe
    if dedupe:
        lanes += [
            (outside[kind.value], length, _KIND_RANK[kind] if kind_ties else 0, None)
            for kind, length in context.fixed.items()
        ]
    click_window = context.fixed.get(click_kind)
    click_rank = _KIND_RANK[click_kind] if kind_ties else 0
    click_texts = context.reasons[click_kind]
    promo_window = context.fixed.get(_PROMO)
    record_codes = context.policy.promo_code_precedence and promo_window is not None
    # The latest partner promo-code touch by (customer key, code folded, or None when
    # the touch carries no code). Keyed by pairs for the same reason as ``latest``.
    codes: dict[tuple[str, str | None], Touch] = {}
    sole = CreditRole.SOLE
    add_credit = credits.append
    owners = context.owners
    precedence = context.policy.promo_code_precedence
    promo_rank = _KIND_RANK[_PROMO] if kind_ties else 0

    def settle(conversion: Conversion) -> None:  # noqa: PLR0912 - one inlined settle (speed)
        """Credit ``conversion`` from the touches stored so far (those at or before it)."""
        instant = conversion.instant
        key = conversion.customer_key
        owned = (
            owners.get(conversion.promo_code.casefold())
            if owners and conversion.promo_code is not None
            else None
        )
        if owned is not None and precedence:
            owner, code = owned
            backing = None
            if record_codes:
                coded = codes.get((key, code.casefold()))
                assert promo_window is not None  # codes are recorded only with a promo window
                if (
                    coded is not None
                    and coded.partner_id == owner
                    and instant - coded.instant <= promo_window
                ):
                    backing = coded
            add_credit(_owned_credit(context, conversion, owner, code, backing))
            return
        if record_codes and conversion.promo_code is not None and key in latest_promo:
            coded = codes.get((key, conversion.promo_code.casefold()))
            winner = codes.get((key, None))
            if coded is not None and (
                winner is None or (coded.instant, coded.id) > (winner.instant, winner.id)
            ):
                winner = coded
            assert promo_window is not None  # codes are recorded only with a promo window
            if winner is not None and instant - winner.instant <= promo_window:
                add_credit(_promo_credit(context, conversion, winner))
                return
        # The last eligible touch is the one with the smallest gap to the order;
        # at equal gaps, the higher rank, then the larger id, counts as later.
        best: Touch | None = None
        best_gap, best_rank = _NO_GAP, 0
        texts: dict[int, str] | None = None
        for by_customer, window, rank, lane_texts in lanes:
            candidate = by_customer.get(key)
            if candidate is None:
                continue
            gap = instant - candidate.instant
            if gap > window:
                continue
            if (
                best is None
                or gap < best_gap
                or (
                    gap == best_gap
                    and (rank > best_rank or (rank == best_rank and candidate.id > best.id))
                )
            ):
                best, best_gap, best_rank, texts = candidate, gap, rank, lane_texts
        if conversion.click_id is not None and click_window is not None:
            # The click the order was tracked to, when recorded under another key.
            click = clicks.get(conversion.click_id)
            if click is not None and click.customer_key != key:
                gap = instant - click.instant
                if _NO_GAP <= gap <= click_window and (
                    best is None
                    or gap < best_gap
                    or (
                        gap == best_gap
                        and (
                            click_rank > best_rank
                            or (click_rank == best_rank and click.id > best.id)
                        )
                    )
                ):
                    best, best_gap, best_rank, texts = click, gap, click_rank, click_texts
        if owned is not None and (
            best is None
            or best_gap > _NO_GAP
            or promo_rank > best_rank
            or (promo_rank == best_rank and conversion.id > best.id)
        ):
            # The order's owned code: a promo-code touch of its owner at the order's instant.
            owner, code = owned
            add_credit(
                _credit(
                    conversion.id,
                    owner,
                    _ONE,
                    sole,
                    conversion.id,
                    None,
                    conversion.revenue,
                    f"last touch: promo code {code} of partner {owner} used at checkout",
                )
            )
            return
        if best is None or texts is None:
            unattributed.append(conversion.id)
            return
        # context.last_touch_reason, with its cache lookup inlined.
        gap_key = best_gap.days or -(best_gap.seconds // 60)
        reason = texts.get(gap_key) if gap_key else None
        if reason is None:
            reason = context.last_touch_reason(best.kind, best_gap)
        add_credit(
            _credit(
                conversion.id,
                best.partner_id,  # type: ignore[arg-type]  # only partner touches are credited
                _ONE,
                sole,
                best.id,
                best.content_id,
                conversion.revenue,
                reason,
            )
        )

    # Touches drive the loop (there are more of them); each conversion is settled
    # once every touch at or before it is stored, before any later touch is.
    pending = iter(conversions)
    conversion = next(pending, None)
    if conversion is None:
        return
    due = conversion.instant
    for touch in touches:
        at = touch.instant
        while at > due:
            settle(conversion)
            conversion = next(pending, None)
            if conversion is None:
                return
            due = conversion.instant
        if touch.channel is None:
            kind = touch.kind
            if kind is click_kind:
                latest_click[touch.customer_key] = touch
            elif kind is view_kind:
                latest_view[touch.customer_key] = touch
            else:
                latest_promo[touch.customer_key] = touch
                if record_codes:
                    code = touch.link_id
                    codes[touch.customer_key, None if code is None else code.casefold()] = touch
        elif touch.channel in dedupe:
            outside[touch.kind._value_][touch.customer_key] = touch
    settle(conversion)
    for conversion in pending:
        settle(conversion)


def attribute_batch(
    campaign: Campaign,
    batch: EventBatch,
    policy: AttributionPolicy | None = None,
    *,
    as_of: datetime | None = None,
) -> AttributionResult:
    """Credit the conversions of an already checked batch to partners.

    Args:
        campaign: The campaign (partners, time zone).
        batch: Events checked by :func:`~hybridroi.events.intake.check_events`.
        policy: The attribution policy; the campaign's (or the default) when None.
        as_of: Only conversions at or before this instant are attributed; later
            ones are left out of the result (they have not happened yet).

    Returns:
        Credits sorted by (conversion id, partner id), the sorted ids of
        unattributed conversions, and the batch's problems.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    context = _Context(campaign, policy_of(campaign, policy))
    conversions: Sequence[Conversion] = batch.conversions
    if as_of is not None:
        require_aware(as_of, "as_of")
        # The batch is sorted by instant: the conversions up to as_of are a prefix.
        conversions = conversions[: bisect_right(conversions, as_of, key=_INSTANT)]
    # Whether any conversion names a click, without a Python-level loop over them.
    tracked = any(map(is_not, map(_CLICK_ID, conversions), repeat(None)))
    clicks = (
        {t.id: t for t in batch.touches if t.kind is TouchKind.CLICK and t.partner_id is not None}
        if tracked
        else {}
    )
    credits: list[Credit] = []
    unattributed: list[str] = []
    if isinstance(context.model, LastTouch) and not context.calendar:
        _sweep_last_touch(
            context,
            batch.touches,
            conversions,
            clicks=clicks,
            credits=credits,
            unattributed=unattributed,
        )
    else:
        groups = _grouped(context, batch.touches)
        for conversion in conversions:
            group = groups.get(conversion.customer_key, ())
            if not _general(context, conversion, group, clicks, credits):
                unattributed.append(conversion.id)
    credits.sort(key=_BY_CONVERSION)
    unattributed.sort()
    owned = context.all_owners
    unowned = sorted(
        (conversion.id, code)
        for conversion, code in zip(conversions, map(_PROMO_CODE, conversions), strict=True)
        if code is not None and code.casefold() not in owned
    )
    return AttributionResult(
        credits=tuple(credits),
        unattributed=tuple(unattributed),
        problems=batch.problems,
        unowned_promo_codes=tuple(unowned),
    )


def attribute(
    campaign: Campaign,
    events: Iterable[Event],
    policy: AttributionPolicy | None = None,
    *,
    as_of: datetime | None = None,
) -> AttributionResult:
    """Check a batch of events and credit its conversions to the partners who earned them.

    The result does not depend on the order of ``events``; an event received
    twice counts once.

    Args:
        campaign: The campaign (partners, contents, time zone, FX rates).
        events: Touches, conversions and refunds, mixed, in any order.
        policy: The attribution policy; the campaign's (or the default) when None.
        as_of: Only conversions at or before this instant are attributed.

    Returns:
        Credits, unattributed conversion ids and the problems found in the events.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    return attribute_batch(campaign, check_events(campaign, events), policy, as_of=as_of)
