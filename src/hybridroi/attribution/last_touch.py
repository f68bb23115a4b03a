"""Last-touch attribution with fixed-length windows, as an as-of join over columns.

The general path of :mod:`hybridroi.attribution.engine` looks at every eligible
touch of a customer for each conversion; under last touch, with windows of a
fixed length (hours, days, weeks), the credits follow from a few whole-column
operations on the touches and conversions (:mod:`hybridroi.attribution.columns`),
word for word the same and far faster:

1. For each conversion, the last eligible touch is the latest (in the engine's
   order of touches) over the touches inside their windows; the latest touch of
   a window length at or before the conversion is the only one of that length
   that can be inside its window, so one sort and one vectorised search per
   distinct window length find it.
2. Promo-code precedence reads two more such searches: the latest partner
   promo-code touch carrying the order's code, and the latest carrying none.
3. The few conversions that need the rarer rules (a promo code a partner owns, a
   click recorded under another customer key) are settled one by one from the
   same columns; the others become credits in bulk, their reasons worded once per
   (window, gap in words) through the context's cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction
from itertools import repeat
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from hybridroi.attribution.columns import (
    KIND_CODE,
    EventColumns,
    Ints,
    columns_of,
    dense_pairs,
    latest_eligible,
    microseconds,
    touch_order,
)
from hybridroi.attribution.context import AttributionContext, owned_credit, promo_credit
from hybridroi.attribution.credits import Credit, CreditRole
from hybridroi.domain.policy import TouchKind
from hybridroi.events.columns import TouchColumns
from hybridroi.events.records import Conversion, Touch

__all__ = ["sweep_last_touch"]

_ONE = Fraction(1)
_PROMO = TouchKind.PROMO_CODE
_CLICK = TouchKind.CLICK
_NO_GAP = timedelta(0)
_SOLE = CreditRole.SOLE
_KINDS = len(KIND_CODE)
_DAY = microseconds(timedelta(days=1))
_MINUTE = microseconds(timedelta(minutes=1))
# Reasons are worded once per (window, gap key, zero gap): see _reasons. Gap keys are
# whole days (at most 100 years of them, the longest window) or minus whole minutes.
_GAP_BITS = 22
_GAP_OFFSET = 2048
_ID = attrgetter("id")
_CLICK_ID = attrgetter("click_id")
_PARTNER_ID = attrgetter("partner_id")
_CONTENT_ID = attrgetter("content_id")
_REVENUE = attrgetter("revenue")
# Credits are built from fields the engine derived itself (see Credit._trusted).
_credit = Credit._trusted


def sweep_last_touch(
    context: AttributionContext,
    touches: Sequence[Touch],
    conversions: Sequence[Conversion],
    *,
    clicks: dict[str, Touch],
    credits: list[Credit],
    unattributed: list[str],
) -> None:
    """Last touch with fixed-length windows, by sorts and searches over columns.

    For a conversion, the last eligible touch is the latest, in the order of
    (instant, tie-break rank, id), of the customer's touches at or before it and
    inside the window of their kind (or of their partner's own window of that
    kind); touches of de-duplicated outside channels compete and, when they are
    last, take the sale away from partners. Promo codes, owned codes and tracked
    clicks apply as on the general path.

    Args:
        context: The run's context; its model is last touch and every window
            has a fixed length.
        touches: The batch's touches, in any order (a batch keeps them in time
            order, which saves a sort).
        conversions: The conversions to attribute.
        clicks: Partner clicks by id, for the conversions that name a click.
        credits: Receives the credits, in conversion order.
        unattributed: Receives the ids of the conversions no partner earned, in
            conversion order.
    """
    if not conversions:
        return
    _Join(context, touches, conversions, clicks).settle(credits, unattributed)


class _Join:
    """One run's columns, their searches' results, and how each conversion reads them."""

    def __init__(
        self,
        context: AttributionContext,
        touches: Sequence[Touch],
        conversions: Sequence[Conversion],
        clicks: dict[str, Touch],
    ) -> None:
        self.context = context
        self.touches = touches
        self.conversions = conversions
        self.clicks = clicks
        self.columns = columns = columns_of(touches, conversions)
        ranks = {KIND_CODE[kind]: rank for kind, rank in context.rank.items()}
        ids: Sequence[str] = (
            ()
            if columns.time_ordered
            else touches.ids
            if isinstance(touches, TouchColumns)
            else list(map(_ID, touches))
        )
        self.order = order = touch_order(columns, ids, ranks)
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order), dtype=np.int64)
        sorted_instant = columns.touch_instant[order]
        instant = columns.conversion_instant
        last = np.searchsorted(sorted_instant, instant, side="right").astype(np.int64) - 1
        self.window, self.lane = _windows(context, columns)
        self.best = self._touch(
            latest_eligible(
                columns.touch_customer,
                self.window,
                position,
                sorted_instant,
                columns.conversion_customer,
                last,
                instant,
            )
        )
        self.precedence = context.policy.promo_code_precedence
        # Promo-code precedence reads the touches carrying the order's code or none.
        self.record_codes = self.precedence and (
            _PROMO in context.fixed or any(kind is _PROMO for _, kind in context.partner_fixed)
        )
        none = np.full(len(instant), -1, dtype=np.int64)
        self.coded, self.promo = none, none
        if self.record_codes:
            promo = (columns.touch_kind == KIND_CODE[_PROMO]) & (columns.touch_partner >= 0)
            uncoded = latest_eligible(
                np.where(promo & (columns.touch_code == -1), columns.touch_customer, -1),
                self.window,
                position,
                sorted_instant,
                np.where(columns.conversion_code >= 0, columns.conversion_customer, -1),
                last,
                instant,
            )
            touch_pair, conversion_pair = _pairs(columns, promo)
            coded = latest_eligible(
                touch_pair, self.window, position, sorted_instant, conversion_pair, last, instant
            )
            # All promo-code touches share a rank: the later position is the later touch.
            self.coded, self.promo = self._touch(coded), self._touch(np.maximum(coded, uncoded))

    def _touch(self, positions: Ints) -> Ints:
        """Rows of touches from positions in the touch order (-1 stays -1)."""
        if not len(self.order):
            return positions
        return np.where(positions >= 0, self.order[np.maximum(positions, 0)], -1)

    def settle(self, credits: list[Credit], unattributed: list[str]) -> None:
        """Credit every conversion, in conversion order."""
        conversions = self.conversions
        rare = self._rare_rows()
        common = np.ones(len(conversions), dtype=bool)
        common[rare] = False
        best = self.best
        partner = self.columns.touch_partner
        credited = common & (best >= 0)
        credited[credited] = partner[best[credited]] >= 0
        rows = np.flatnonzero(credited)
        made = self._credits(rows)
        lost = np.flatnonzero(common & ~credited).tolist()
        if not rare:
            credits += made
            unattributed += [conversions[row].id for row in lost]
            return
        settled = [(row, self._settle(row)) for row in rare]
        made_rows = [row for row, credit in settled if credit is not None]
        everything = [*made, *(credit for _, credit in settled if credit is not None)]
        merged = np.argsort(
            np.concatenate([rows, np.array(made_rows, dtype=np.int64)]), kind="stable"
        )
        credits += [everything[index] for index in merged.tolist()]
        unattributed += [
            conversions[row].id
            for row in sorted([*lost, *(row for row, credit in settled if credit is None)])
        ]

    def _rare_rows(self) -> list[int]:
        """The conversions the rarer rules may settle: owned or precedent codes, foreign clicks."""
        context, clicks, columns = self.context, self.clicks, self.columns
        code = columns.conversion_code
        coded = code >= 0
        # Whether a partner owns each code, and a last entry for conversions without one.
        owned = np.array([folded in context.owners for folded in columns.codes] + [False])
        rare = coded & (owned[code] | (self.promo >= 0))
        track_clicks = bool(clicks) and (
            _CLICK in context.fixed or any(kind is _CLICK for _, kind in context.partner_fixed)
        )
        if track_clicks:
            conversions = self.conversions
            for row, click_id in enumerate(map(_CLICK_ID, conversions)):
                if click_id is not None and not rare[row]:
                    click = clicks.get(click_id)
                    rare[row] = click is not None and (
                        click.customer_key != conversions[row].customer_key
                    )
        return np.flatnonzero(rare).tolist()

    def _credits(self, rows: Ints) -> list[Credit]:
        """The credits of conversions ``rows``, each won by its latest eligible partner touch."""
        if not len(rows):
            return []
        winners = self.best[rows]
        gap = self.columns.conversion_instant[rows] - self.columns.touch_instant[winners]
        conversions = [self.conversions[row] for row in rows.tolist()]
        partners, ids, contents = _winning_fields(self.touches, winners.tolist())
        return list(
            map(
                _credit,
                map(_ID, conversions),
                partners,
                repeat(_ONE),
                repeat(_SOLE),
                ids,
                contents,
                map(_REVENUE, conversions),
                self._reasons(winners, gap),
            )
        )

    def _reasons(self, winners: Ints, gap: Ints) -> list[str]:
        """The reasons of credits won by touches ``winners`` ``gap`` microseconds before the order.

        The words depend on the window (the lane of the touch), on the gap's whole
        days, else its whole minutes, and on whether the gap is zero: each such
        combination is worded once, through the context's cache.
        """
        days = gap // _DAY
        key = np.where(days > 0, days, -((gap % _DAY) // _MINUTE))
        combination = ((self.lane[winners] * 2 + (gap == 0)) << _GAP_BITS) | (key + _GAP_OFFSET)
        _, first, inverse = np.unique(combination, return_index=True, return_inverse=True)
        texts = []
        for index in first.tolist():
            touch = self.touches[int(winners[index])]
            texts.append(
                self.context.last_touch_reason(
                    touch.kind, timedelta(microseconds=int(gap[index])), touch.partner_id
                )
            )
        return list(map(texts.__getitem__, inverse.reshape(-1).tolist()))

    def _settle(self, row: int) -> Credit | None:
        """The credit of conversion ``row`` by the rarer rules; None when no partner earned it."""
        context = self.context
        conversion = self.conversions[row]
        code = conversion.promo_code
        owned = context.owners.get(code.casefold()) if context.owners and code is not None else None
        if owned is not None and self.precedence:
            owner, declared = owned
            backing = None
            if self.record_codes and self.coded[row] >= 0:
                coded = self.touches[int(self.coded[row])]
                if coded.partner_id == owner:
                    backing = coded
            return owned_credit(context, conversion, owner, declared, backing)
        if self.record_codes and code is not None and self.promo[row] >= 0:
            return promo_credit(context, conversion, self.touches[int(self.promo[row])])
        instant = conversion.instant
        best = None if self.best[row] < 0 else self.touches[int(self.best[row])]
        best_gap = _NO_GAP if best is None else instant - best.instant
        best_rank = 0 if best is None else context.rank[best.kind]
        if conversion.click_id is not None:
            click = self._tracked_click(conversion, best, best_gap, best_rank)
            if click is not None:
                best, best_gap, best_rank = click, instant - click.instant, context.rank[_CLICK]
        if owned is not None:
            promo_rank = context.rank[_PROMO]
            if (
                best is None
                or best_gap > _NO_GAP
                or promo_rank > best_rank
                or (promo_rank == best_rank and conversion.id > best.id)
            ):
                return _sale_code_credit(conversion, *owned)
        if best is None or best.partner_id is None:
            return None
        return _credit(
            conversion.id,
            best.partner_id,
            _ONE,
            _SOLE,
            best.id,
            best.content_id,
            conversion.revenue,
            context.last_touch_reason(best.kind, best_gap, best.partner_id),
        )

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
        rank = self.context.rank[_CLICK]
        if _NO_GAP <= gap <= window and (
            best is None
            or gap < best_gap
            or (
                gap == best_gap and (rank > best_rank or (rank == best_rank and click.id > best.id))
            )
        ):
            return click
        return None


def _windows(context: AttributionContext, columns: EventColumns) -> tuple[Ints, Ints]:
    """Each touch's window in microseconds (-1 when it cannot earn credit) and its lane.

    A lane names where the window comes from, which the reasons' words depend on:
    the kind's code for the policy's window, or ``kinds * (partner + 1) + kind`` for
    a partner's own window of that kind.
    """
    kinds = np.arange(_KINDS, dtype=np.int64)
    policy = np.full(_KINDS, -1, dtype=np.int64)
    for kind, length in context.fixed.items():
        policy[KIND_CODE[kind]] = microseconds(length)
    partners = len(columns.partners)
    table = np.tile(policy, (partners, 1))
    lanes = np.tile(kinds, (partners, 1))
    index = {partner: code for code, partner in enumerate(columns.partners)}
    for (partner, kind), length in context.partner_fixed.items():
        code = index.get(partner)
        if code is not None:
            table[code, KIND_CODE[kind]] = microseconds(length)
            lanes[code, KIND_CODE[kind]] = _KINDS * (code + 1) + KIND_CODE[kind]
    kind_of = columns.touch_kind
    partner_of = columns.touch_partner
    window = np.full(len(kind_of), -1, dtype=np.int64)
    lane = kind_of.copy()
    mine = partner_of >= 0
    window[mine] = table[partner_of[mine], kind_of[mine]]
    lane[mine] = lanes[partner_of[mine], kind_of[mine]]
    # Outside channels count only when the policy de-duplicates against them.
    deduped = np.array([channel in context.dedupe for channel in columns.channels], dtype=bool)
    outside = np.flatnonzero(columns.touch_channel >= 0)
    outside = outside[deduped[columns.touch_channel[outside]]]
    window[outside] = policy[kind_of[outside]]
    return window, lane


def _pairs(columns: EventColumns, promo: NDArray[np.bool_]) -> tuple[Ints, Ints]:
    """Groups of (customer, promo code) for partner promo-code touches and the conversions.

    Each pair present gets a number, shared by touches and conversions; a touch that
    carries no code, and a conversion without a code, get -1.
    """
    touch_rows = np.flatnonzero(promo & (columns.touch_code >= 0))
    conversion_rows = np.flatnonzero(columns.conversion_code >= 0)
    touch_pair = np.full(len(columns.touch_code), -1, dtype=np.int64)
    conversion_pair = np.full(len(columns.conversion_code), -1, dtype=np.int64)
    if len(touch_rows) and len(conversion_rows):
        touch_pair[touch_rows], conversion_pair[conversion_rows] = dense_pairs(
            columns.touch_customer[touch_rows],
            columns.touch_code[touch_rows],
            columns.conversion_customer[conversion_rows],
            columns.conversion_code[conversion_rows],
            len(columns.codes),
        )
    return touch_pair, conversion_pair


def _winning_fields(
    touches: Sequence[Touch], rows: list[int]
) -> tuple[list[str | None], list[str], list[str | None]]:
    """The partner, id and content of the touches at ``rows``: what their credits name."""
    if isinstance(touches, TouchColumns):
        return (
            touches.values_at("partners", rows),
            touches.values_at("ids", rows),
            touches.values_at("contents", rows),
        )
    won = [touches[row] for row in rows]
    return list(map(_PARTNER_ID, won)), list(map(_ID, won)), list(map(_CONTENT_ID, won))


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
