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
5. **Self-referrals.** A partner earns nothing on a sale by one of its own
   ``customer_keys``: its credit is refused, reported as a problem, and the sale
   is attributed again without that partner (its touches, tracked click and
   promo codes), so it goes to the partners who earned it otherwise, or to no one.

A conversion with no credit is listed in ``unattributed``; a conversion whose
promo code no partner owns is listed in ``unowned_promo_codes``. Credits carry the
conversion's revenue as sold; refunds do not change credits (the commission
engine and the ledger reverse commissions on refunds).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction
from itertools import repeat
from operator import attrgetter, is_not

import attrs

from hybridroi.attribution.context import (
    AttributionContext,
    code_words,
    owned_credit,
    promo_credit,
)
from hybridroi.attribution.credits import AttributionResult, Credit, CreditRole
from hybridroi.attribution.last_touch import sweep_last_touch
from hybridroi.core.allocation import allocate
from hybridroi.core.collector import collector_paused
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import scaled
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.policy import (
    AttributionPolicy,
    DataDriven,
    LastTouch,
    TouchKind,
)
from hybridroi.events.columns import TouchColumns
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Touch

__all__ = ["attribute", "attribute_batch", "policy_of"]

_ONE = Fraction(1)
_BY_CONVERSION = attrgetter("conversion_id")
_CLICK_ID = attrgetter("click_id")
_INSTANT = attrgetter("instant")
_PROMO_CODE = attrgetter("promo_code")
_PROMO = TouchKind.PROMO_CODE

# Credits are built from fields the engine derived itself (see Credit._trusted).
_credit = Credit._trusted


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


def _owned(context: AttributionContext, conversion: Conversion) -> tuple[str, str] | None:
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


def _eligible(
    context: AttributionContext, group: Sequence[Touch], instant: datetime
) -> list[Touch]:
    """The touches of ``group`` that can earn credit at ``instant``, oldest first."""
    starts = context.window_starts(instant)
    # A partner's own window of a kind replaces the policy's for its touches.
    own = context.partner_starts(instant) if context.partner_window_text else None
    eligible = []
    for touch in group:
        if touch.instant > instant:
            break
        start = None
        if own is not None and touch.partner_id is not None:
            start = own.get((touch.partner_id, touch.kind._value_))
        if start is None:
            start = starts.get(touch.kind._value_)
        if start is not None and touch.instant >= start:
            eligible.append(touch)
    if len(eligible) > 1 and len({touch.instant for touch in eligible}) < len(eligible):
        eligible.sort(key=context.order_key)
    return eligible


def _with_tracked_click(
    context: AttributionContext, eligible: list[Touch], click: Touch | None, conversion: Conversion
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
    context: AttributionContext, conversion: Conversion, touches: list[Touch], credits: list[Credit]
) -> None:
    """Credit ``touches`` (partner touches, oldest first) under the policy's model."""
    model = context.model
    label = context.label
    if isinstance(model, DataDriven):
        # A refit takes over from an instant: the version in force prices the sale.
        model = model.model_at(conversion.instant)
        label = context.label_of(model)
    shares = model.shares(touches, conversion.instant, context.influencers)
    if context.custom:
        shares = _checked(context, conversion, touches, shares)
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
        if isinstance(model, LastTouch):
            reason = (
                f"last touch: {code_words(decisive)}"
                if decisive is context.sale_touch
                else context.last_touch_reason(
                    decisive.kind, instant - decisive.instant, decisive.partner_id
                )
            )
        else:
            others = {str(touch.partner_id) for touch in touches} - {partner}
            reason = (
                f"{label}: the whole sale, {_of(len(positions), count)}; latest "
                f"{context.touch_text(decisive, instant)}"
                f"{_weight_words(model, partner, others | {partner}) if others else ''}"
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
                f"{label}: {context.share_text(share)} of the sale as {role.value}, "
                f"{_of(len(positions), count)}; {which} {context.touch_text(decisive, instant)}"
                f"{_weight_words(model, partner, set(by_partner))}",
            )
        )


def _weight_words(model: object, partner: str, partners: set[str]) -> str:
    """For fitted weights: the partner's weight against the sum over the sale's partners."""
    if not isinstance(model, DataDriven):
        return ""
    weights = model.decimal_weights
    present = [weights[other] for other in sorted(partners) if other in weights]
    total = sum(map(Fraction, present), Fraction(0))
    if not total:
        return f"; every partner of the sale weighs 0 in the model ({model.noun}s): equal shares"
    # The sum, exactly, with as many places as the weights are written with.
    places = max(0, *(-int(weight.as_tuple().exponent) for weight in present))
    shown = format(scaled(int(total * 10**places), -places), "f")
    return (
        f"; weight {model.weight_text(partner)} of {shown} on the sale's partners ({model.noun}s)"
    )


def _checked(
    context: AttributionContext,
    conversion: Conversion,
    touches: Sequence[Touch],
    shares: object,
) -> tuple[Fraction, ...]:
    """The shares a custom model returned, if they keep the contract of a model."""
    field = f"AttributionPolicy.model ({context.label}) on conversion {conversion.id}"
    expected = f"{len(touches)} exact shares (Fraction or int), each >= 0, summing to exactly 1"
    if isinstance(shares, str | bytes) or not isinstance(shares, Iterable):
        raise InvalidValueError(field, shares, expected)
    result = tuple(shares)
    if (
        len(result) != len(touches)
        or not all(type(share) in (Fraction, int) for share in result)
        or any(share < 0 for share in result)
        or sum(result, Fraction(0)) != 1
    ):
        raise InvalidValueError(field, result, expected)
    return tuple(Fraction(share) for share in result)


def _of(credited: int, eligible: int) -> str:
    if eligible == 1:
        return "the only eligible touch"
    return f"{credited} of {eligible} eligible touches"


def _grouped(context: AttributionContext, touches: Iterable[Touch]) -> dict[str, list[Touch]]:
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
    context: AttributionContext,
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
            credits.append(owned_credit(context, conversion, owner, code, touch))
            return True
        sale_touch = context.sale_touch = _sale_touch(conversion, owner, code)
        eligible = sorted([*eligible, sale_touch], key=context.order_key)
    elif not eligible:
        return False
    elif context.policy.promo_code_precedence and conversion.promo_code is not None:
        winner = _promo_winner(eligible, conversion.promo_code)
        if winner is not None:
            credits.append(promo_credit(context, conversion, winner))
            return True
    if eligible[-1].channel is not None:
        # Only de-duplicated channels are grouped: an outside channel closed the sale.
        return False
    _split(context, conversion, [t for t in eligible if t.channel is None], credits)
    return True


def _partner_clicks(
    touches: Sequence[Touch], conversions: Sequence[Conversion]
) -> dict[str, Touch]:
    """Partner clicks by id: those the conversions name, for touches kept in columns."""
    if not isinstance(touches, TouchColumns):
        return {t.id: t for t in touches if t.kind is TouchKind.CLICK and t.partner_id is not None}
    named = {conversion.click_id for conversion in conversions} - {None}
    kinds, partners = touches.kinds, touches.partners
    return {
        ident: touches[row]
        for row, ident in enumerate(touches.ids)
        if ident in named and kinds[row] is TouchKind.CLICK and partners[row] is not None
    }


@collector_paused()
def attribute_batch(
    campaign: Campaign,
    batch: EventBatch,
    policy: AttributionPolicy | None = None,
    *,
    as_of: datetime | None = None,
) -> AttributionResult:
    """Credit the conversions of an already checked batch to partners.

    The cyclic garbage collector is paused while it runs: attribution creates
    one credit per conversion and no reference cycles.

    Args:
        campaign: The campaign (partners, time zone).
        batch: Events checked by :func:`~hybridroi.events.intake.check_events`.
        policy: The attribution policy; the campaign's (or the default) when None.
        as_of: Only conversions at or before this instant are attributed; later
            ones are left out of the result (they have not happened yet).

    Returns:
        Credits sorted by (conversion id, partner id), the sorted ids of
        unattributed conversions, and the batch's problems followed by one per
        refused self-referral credit.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    context = AttributionContext(campaign, policy_of(campaign, policy))
    conversions: Sequence[Conversion] = batch.conversions
    if as_of is not None:
        require_aware(as_of, "as_of")
        # The batch is sorted by instant: the conversions up to as_of are a prefix.
        conversions = conversions[: bisect_right(conversions, as_of, key=_INSTANT)]
    # Whether any conversion names a click, without a Python-level loop over them.
    tracked = any(map(is_not, map(_CLICK_ID, conversions), repeat(None)))
    clicks = _partner_clicks(batch.touches, conversions) if tracked else {}
    credits: list[Credit] = []
    unattributed: list[str] = []
    if (
        isinstance(context.model, LastTouch)
        and not context.calendar
        and not context.partner_calendar
    ):
        sweep_last_touch(
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
    problems = batch.problems
    own_keys = _own_keys(campaign)
    if own_keys:
        refused = _refuse_self_referrals(
            context, batch.touches, conversions, clicks, credits, unattributed, own_keys
        )
        problems = (*problems, *refused)
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
        problems=problems,
        unowned_promo_codes=tuple(unowned),
    )


def _own_keys(campaign: Campaign) -> dict[str, frozenset[str]]:
    """The partners whose own customer key each key is (a key may be two partners')."""
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for partner in campaign.partners:
        for key in partner.customer_keys:
            owners[key].add(partner.id)
    return {key: frozenset(ids) for key, ids in owners.items()}


def _refuse_self_referrals(  # noqa: PLR0917 - the run's state, passed once per run
    context: AttributionContext,
    touches: Sequence[Touch],
    conversions: Sequence[Conversion],
    clicks: dict[str, Touch],
    credits: list[Credit],
    unattributed: list[str],
    own_keys: dict[str, frozenset[str]],
) -> list[Problem]:
    """Refuse the credits of partners on sales by their own customer keys (self-referrals).

    A partner earns nothing on its own purchase. The sale is attributed again without
    that partner (without its touches, its tracked click and its promo codes), so it
    goes to the partners who earned it otherwise, or to no one. Both paths of the
    engine share this step, so they agree on it. ``credits`` and ``unattributed``
    are updated in place; one problem is returned per refused credit.
    """
    sales = {c.id: c for c in conversions if c.customer_key in own_keys}
    refused: dict[str, list[str]] = {}
    for credit in credits:
        sale = sales.get(credit.conversion_id)
        if sale is not None and credit.partner_id in own_keys[sale.customer_key]:
            refused.setdefault(sale.id, []).append(credit.partner_id)
    if not refused:
        return []
    credits[:] = [credit for credit in credits if credit.conversion_id not in refused]
    groups = _grouped(context, [t for t in touches if t.customer_key in own_keys])
    problems: list[Problem] = []
    for conversion_id in sorted(refused):
        conversion = sales[conversion_id]
        key = conversion.customer_key
        excluded = own_keys[key]
        owned = _owned(context, conversion)
        if owned is not None and owned[0] in excluded:
            # The partner's own code earns no one else the sale.
            conversion = attrs.evolve(conversion, promo_code=None)
        click = None if conversion.click_id is None else clicks.get(conversion.click_id)
        group = [t for t in groups.get(key, ()) if t.partner_id not in excluded]
        again: list[Credit] = []
        tracked = clicks if click is None or click.partner_id not in excluded else {}
        partners = sorted(refused[conversion_id])
        words = f"the sale's customer key {key!r} is {_partners_own(partners)} (self-referral)"
        refusal = (
            f"credit to partner{'s' if len(partners) > 1 else ''} {', '.join(partners)} refused"
        )
        if _general(context, conversion, group, tracked, again):
            credits.extend(
                attrs.evolve(credit, reason=f"{credit.reason}; {refusal}: {words}")
                for credit in again
            )
            outcome = "credited instead to " + ", ".join(sorted(c.partner_id for c in again))
        else:
            unattributed.append(conversion_id)
            outcome = "no other partner earned it: unattributed"
        problems.extend(
            Problem(
                kind=ProblemKind.INVALID,
                subject=f"conversion:{conversion_id}",
                field="customer_key",
                message=(
                    f"credit to partner {partner} refused: {words}, and a partner earns "
                    f"nothing on its own purchase; {outcome}"
                ),
            )
            for partner in partners
        )
    return problems


def _partners_own(partners: list[str]) -> str:
    if len(partners) == 1:
        return f"partner {partners[0]}'s own"
    return f"own to partners {', '.join(partners)}"


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
