"""Last-touch attribution with fixed-length windows, in one sweep over time.

The general path of :mod:`hybridroi.attribution.engine` looks at every eligible
touch of a customer for each conversion; under last touch, with windows of a
fixed length (hours, days, weeks), one pass over touches and conversions in
time order gives the same credits, word for word, far faster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

from hybridroi.attribution.context import KIND_RANK, AttributionContext, owned_credit, promo_credit
from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.domain.policy import TouchKind
from hybridroi.events.records import Conversion, Touch

__all__ = ["sweep_last_touch"]

_ONE = Fraction(1)
_PROMO = TouchKind.PROMO_CODE
_CLICK = TouchKind.CLICK
_NO_GAP = timedelta(0)
_SOLE = CreditRole.SOLE
# Credits are built from fields the engine derived itself (see Credit._trusted).
_credit = Credit._trusted


_Lane = tuple[dict[str, Touch], timedelta, int, dict[int, str] | None]
# What a conversion reads for one touch kind with a window: the latest touches by
# customer, the window, the tie-break rank and the reasons cache (None for outside
# channels, which take the sale away from partners).


def sweep_last_touch(
    context: AttributionContext,
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

    Args:
        context: The run's context; its model is last touch and every window
            has a fixed length.
        touches: The batch's touches, in time order.
        conversions: The conversions to attribute, in time order.
        clicks: Partner clicks by id, for the conversions that name a click.
        credits: Receives the credits, in conversion order.
        unattributed: Receives the ids of the conversions no partner earned.
    """
    _Sweep(context, clicks, credits, unattributed).run(touches, conversions)


class _Sweep:
    """One sweep: the latest touches stored so far, and how a conversion reads them."""

    __slots__ = (
        "add_credit",
        "click_rank",
        "click_texts",
        "click_window",
        "clicks",
        "codes",
        "context",
        "lanes",
        "latest",
        "outside",
        "own_codes",
        "owners",
        "precedence",
        "promo_rank",
        "promo_window",
        "record_codes",
        "routes",
        "track_clicks",
        "unattributed",
    )

    def __init__(
        self,
        context: AttributionContext,
        clicks: dict[str, Touch],
        credits: list[Credit],
        unattributed: list[str],
    ) -> None:
        self.context = context
        self.clicks = clicks
        self.add_credit = credits.append
        self.unattributed = unattributed
        # The latest touch of each kind by customer key: one dict per kind (partners and
        # de-duplicated channels apart) rather than one record per customer, so that
        # storing a touch is a single dict write and no container is allocated per
        # customer (millions of them would keep the garbage collector busy).
        self.latest: dict[TouchKind, dict[str, Touch]] = {kind: {} for kind in TouchKind}
        self.outside: dict[str, dict[str, Touch]] = {kind.value: {} for kind in TouchKind}
        # The latest partner promo-code touch by (customer key, code folded, or None when
        # the touch carries no code). Keyed by pairs for the same reason as ``latest``.
        self.codes: dict[tuple[str, str | None], Touch] = {}
        kind_ties = context.rank is KIND_RANK
        self.lanes: list[_Lane] = [
            (self.latest[kind], length, KIND_RANK[kind] if kind_ties else 0, context.reasons[kind])
            for kind, length in context.fixed.items()
        ]
        # A partner with its own window of a kind has a lane of its own for that kind;
        # its touches of that kind are stored there, not in the policy's lane.
        self.routes: dict[tuple[str | None, TouchKind], dict[str, Touch]] = {}
        for (partner, kind), length in context.partner_fixed.items():
            lane: dict[str, Touch] = {}
            self.routes[partner, kind] = lane
            self.lanes.append(
                (
                    lane,
                    length,
                    KIND_RANK[kind] if kind_ties else 0,
                    context.partner_reasons[partner, kind],
                )
            )
        # The latest promo-code touches by (customer key, code) of each partner with its
        # own promo-code window; the others' are in ``codes``.
        self.own_codes: dict[str, tuple[dict[tuple[str, str | None], Touch], timedelta]] = {
            partner: ({}, length)
            for (partner, kind), length in context.partner_fixed.items()
            if kind is _PROMO
        }
        if context.dedupe:
            self.lanes += [
                (self.outside[kind.value], length, KIND_RANK[kind] if kind_ties else 0, None)
                for kind, length in context.fixed.items()
            ]
        self.click_window = context.fixed.get(TouchKind.CLICK)
        self.click_rank = KIND_RANK[TouchKind.CLICK] if kind_ties else 0
        self.click_texts = context.reasons[TouchKind.CLICK]
        self.promo_window = context.fixed.get(_PROMO)
        self.promo_rank = KIND_RANK[_PROMO] if kind_ties else 0
        self.precedence = context.policy.promo_code_precedence
        self.record_codes = self.precedence and (
            self.promo_window is not None or bool(self.own_codes)
        )
        self.track_clicks = self.click_window is not None or any(
            kind is TouchKind.CLICK for _, kind in context.partner_fixed
        )
        self.owners = context.owners

    def run(  # noqa: PLR0912 - one loop on the hot path: a call per touch would cost time
        self, touches: Sequence[Touch], conversions: Sequence[Conversion]
    ) -> None:
        """Store the touches in time order, settling each conversion when its turn comes."""
        settle = self.settler()
        latest, outside, codes = self.latest, self.outside, self.codes
        view_kind, click_kind = TouchKind.VIEW, TouchKind.CLICK
        latest_view, latest_click, latest_promo = (
            latest[view_kind],
            latest[click_kind],
            latest[_PROMO],
        )
        record_codes = self.record_codes
        dedupe = self.context.dedupe
        routes, own_codes = self.routes, self.own_codes
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
                if routes and (touch.partner_id, kind) in routes:
                    routes[touch.partner_id, kind][touch.customer_key] = touch
                    if record_codes and kind is _PROMO:
                        code = touch.link_id
                        own_codes[touch.partner_id][0][  # type: ignore[index]
                            touch.customer_key, None if code is None else code.casefold()
                        ] = touch
                elif kind is click_kind:
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

    def settler(self) -> Callable[[Conversion], None]:
        """``settle``: credit a conversion from the touches stored so far (those at or before it).

        It reads closure variables, which Python reads faster than attributes.
        """
        context, lanes, unattributed = self.context, self.lanes, self.unattributed
        add_credit, owners, precedence = self.add_credit, self.owners, self.precedence
        record_codes, promo_rank = self.record_codes, self.promo_rank
        latest_promo = self.latest[_PROMO]
        click_rank, click_texts = self.click_rank, self.click_texts
        track_clicks, own_codes = self.track_clicks, self.own_codes

        def settle(conversion: Conversion) -> None:
            instant = conversion.instant
            key = conversion.customer_key
            code = conversion.promo_code
            owned = owners.get(code.casefold()) if owners and code is not None else None
            if owned is not None and precedence:
                add_credit(self._owned_first(conversion, *owned))
                return
            if record_codes and code is not None and (own_codes or key in latest_promo):
                winner = self._code_winner(key, code, instant)
                if winner is not None:
                    add_credit(promo_credit(context, conversion, winner))
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
            if conversion.click_id is not None and track_clicks:
                click = self._tracked_click(conversion, best, best_gap, best_rank)
                if click is not None:
                    best, best_gap = click, instant - click.instant
                    best_rank = click_rank
                    texts = context.partner_reasons.get((click.partner_id, _CLICK), click_texts)  # type: ignore[arg-type]
            if owned is not None and (
                best is None
                or best_gap > _NO_GAP
                or promo_rank > best_rank
                or (promo_rank == best_rank and conversion.id > best.id)
            ):
                add_credit(_sale_code_credit(conversion, *owned))
                return
            if best is None or texts is None:
                unattributed.append(conversion.id)
                return
            # context.last_touch_reason, with its cache lookup inlined.
            gap_key = best_gap.days or -(best_gap.seconds // 60)
            reason = texts.get(gap_key) if gap_key else None
            if reason is None:
                reason = context.last_touch_reason(best.kind, best_gap, best.partner_id)
            add_credit(
                _credit(
                    conversion.id,
                    best.partner_id,  # type: ignore[arg-type]  # only partner touches are credited
                    _ONE,
                    _SOLE,
                    best.id,
                    best.content_id,
                    conversion.revenue,
                    reason,
                )
            )

        return settle

    def _owned_first(self, conversion: Conversion, owner: str, code: str) -> Credit:
        """The whole sale to the owner of its code, backed by the owner's touch carrying it."""
        backing = None
        if self.record_codes:
            # The latest touch carrying the code, inside its partner's window, if the owner's.
            coded = self._latest_in_time(
                (conversion.customer_key, code.casefold()), conversion.instant
            )
            if coded is not None and coded.partner_id == owner:
                backing = coded
        return owned_credit(self.context, conversion, owner, code, backing)

    def _latest_in_time(self, key: tuple[str, str | None], instant: datetime) -> Touch | None:
        """The latest promo-code touch stored under ``key`` inside its window at ``instant``.

        Partners with their own promo-code window are stored apart: the latest touch of
        each store is the one most likely inside that store's window.
        """
        best: Touch | None = None
        coded = self.codes.get(key)
        if (
            coded is not None
            and self.promo_window is not None
            and instant - coded.instant <= self.promo_window
        ):
            best = coded
        for store, window in self.own_codes.values():
            own = store.get(key)
            if (
                own is not None
                and instant - own.instant <= window
                and (best is None or (own.instant, own.id) > (best.instant, best.id))
            ):
                best = own
        return best

    def _code_winner(self, key: str, promo_code: str, instant: datetime) -> Touch | None:
        """The customer's latest promo-code touch carrying the order's code or none, if in time."""
        coded = self._latest_in_time((key, promo_code.casefold()), instant)
        winner = self._latest_in_time((key, None), instant)
        if coded is not None and (
            winner is None or (coded.instant, coded.id) > (winner.instant, winner.id)
        ):
            winner = coded
        return winner

    def _tracked_click(
        self, conversion: Conversion, best: Touch | None, best_gap: timedelta, best_rank: int
    ) -> Touch | None:
        """The click the order was tracked to, when recorded under another key and later."""
        click = self.clicks.get(conversion.click_id)  # type: ignore[arg-type]  # not None here
        if click is None or click.customer_key == conversion.customer_key:
            return None
        gap = conversion.instant - click.instant
        window = self.context.fixed_window(click.partner_id, _CLICK)
        if window is None:
            return None
        rank = self.click_rank
        if _NO_GAP <= gap <= window and (
            best is None
            or gap < best_gap
            or (
                gap == best_gap and (rank > best_rank or (rank == best_rank and click.id > best.id))
            )
        ):
            return click
        return None


def _sale_code_credit(conversion: Conversion, owner: str, code: str) -> Credit:
    """The order's owned code as the last touch: a promo-code touch of its owner at the order."""
    return _credit(
        conversion.id,
        owner,
        _ONE,
        _SOLE,
        conversion.id,
        None,
        conversion.revenue,
        f"last touch: promo code {code} of partner {owner} used at checkout",
    )
