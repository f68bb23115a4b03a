"""Ledger policies: when commissions lock, the minimum payout, whether paid ones are clawed back.

A policy is separate from the commission deal: the same deal can be booked
under different holding periods. :class:`LedgerPolicies` maps partners (or
deals, through the campaign) to their policy, with a default for everyone
else, and holds the ledger's payout schedule (payout runs cover every
partner, so there is one schedule per ledger).

>>> policy = LedgerPolicy(lock=LockAfterSale(after="30 days"),
...                       minimum_payouts=(Money("50.00", "EUR"),))
>>> policy.minimum_payout("EUR"), policy.minimum_payout("USD")
(Money('50.00', 'EUR'), None)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from hybridroi.core.checks import instance_of, tuple_of
from hybridroi.core.durations import format_duration
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.domain.campaign import Campaign
from hybridroi.ledger.lifecycle import LockAfterMonthEnd, LockAfterSale, LockOnDayOfMonth, LockRule
from hybridroi.ledger.schedule import PayoutSchedule

__all__ = ["LedgerPolicies", "LedgerPolicy"]


def _lock_rule(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, LockAfterSale | LockAfterMonthEnd | LockOnDayOfMonth):
        raise InvalidValueError(
            "LedgerPolicy.lock", value, "LockAfterSale, LockAfterMonthEnd or LockOnDayOfMonth"
        )


@attrs.frozen(kw_only=True)
class LedgerPolicy:
    """How a partner's entries lock and are paid out.

    Attributes:
        lock: When commissions lock. The default, 30 days after the sale, is a
            common refund window.
        minimum_payouts: The minimum payout per currency (at most one amount
            per currency); below it the balance carries over to the next payout
            run. No minimum for a currency not listed.
        claw_back_paid: Whether a decrease of a line whose commissions were
            already paid is recovered from the partner. When False, the part of
            a clawback that exceeds the line's locked, unpaid amount is recorded
            as waived instead (visible, but not charged to the partner).
    """

    lock: LockRule = attrs.field(
        factory=lambda: LockAfterSale(after="30 days"), validator=_lock_rule
    )
    minimum_payouts: tuple[Money, ...] = attrs.field(
        default=(),
        converter=tuple_of(Money, "a Money amount"),  # type: ignore[misc]
    )
    claw_back_paid: bool = attrs.field(default=True, validator=instance_of(bool, "true or false"))

    @minimum_payouts.validator
    def _check_minimums(self, _attribute: object, value: tuple[Money, ...]) -> None:
        seen: set[str] = set()
        for amount in value:
            if not isinstance(amount, Money) or amount.amount < 0:
                raise InvalidValueError("LedgerPolicy.minimum_payouts", amount, "Money >= 0")
            if amount.currency in seen:
                raise InvalidValueError(
                    "LedgerPolicy.minimum_payouts", amount, "at most one minimum per currency"
                )
            seen.add(amount.currency)

    def plain(self) -> dict[str, object]:
        """The policy as plain data: equal for equal policies (see :meth:`LedgerPolicies.text`)."""
        lock: dict[str, object]
        if isinstance(self.lock, LockAfterSale):
            lock = {"rule": "after_sale", "after": format_duration(self.lock.after)}
        elif isinstance(self.lock, LockAfterMonthEnd):
            lock = {"rule": "after_month_end", "months": self.lock.months, "days": self.lock.days}
        else:
            lock = {
                "rule": "day_of_month",
                "day": self.lock.day,
                "months_after": self.lock.months_after,
            }
        return {
            "lock": lock,
            "minimum_payouts": sorted(
                [amount.currency, str(amount.amount)] for amount in self.minimum_payouts
            ),
            "claw_back_paid": self.claw_back_paid,
        }

    def minimum_payout(self, currency: str) -> Money | None:
        """The minimum payout in ``currency``, or None when there is none."""
        for amount in self.minimum_payouts:
            if amount.currency == currency:
                return amount
        return None


def _policy_map(value: Mapping[str, LedgerPolicy]) -> dict[str, LedgerPolicy]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(
            "LedgerPolicies.by_partner", value, "a mapping of partner id to LedgerPolicy"
        )
    for partner_id in value:
        if not isinstance(partner_id, str):
            raise InvalidTypeError("LedgerPolicies.by_partner", partner_id, "partner ids as text")
    return dict(value)


@attrs.frozen(kw_only=True)
class LedgerPolicies:
    """The ledger policy of every partner, specific ones and a default, and the payout schedule.

    Attributes:
        default: The policy of partners without a specific one.
        by_partner: Partner id to policy.
        schedule: When payout runs happen. With a schedule, a payout run must be
            dated at one of its payout instants (local midnight of the payout
            day in the campaign's time zone) and any other instant is refused.
            None (the default) allows a payout run at any instant, for
            platforms that pay on demand.
    """

    default: LedgerPolicy = attrs.field(
        factory=LedgerPolicy, validator=instance_of(LedgerPolicy, "a LedgerPolicy")
    )
    by_partner: Mapping[str, LedgerPolicy] = attrs.field(factory=dict, converter=_policy_map)
    schedule: PayoutSchedule | None = attrs.field(default=None)

    @schedule.validator
    def _check_schedule(self, _attribute: object, value: object) -> None:
        if value is not None and not isinstance(value, PayoutSchedule):
            raise InvalidValueError("LedgerPolicies.schedule", value, "a PayoutSchedule or None")

    def __attrs_post_init__(self) -> None:
        for partner_id, policy in self.by_partner.items():
            if not isinstance(policy, LedgerPolicy):
                raise InvalidValueError(
                    f"LedgerPolicies.by_partner[{partner_id!r}]", policy, "a LedgerPolicy"
                )

    def text(self) -> str:
        """The policies as canonical JSON text, as a store keeps them.

        Equal policies give equal text; a ledger opened with policies whose
        text differs from the stored one is refused (see
        :class:`~hybridroi.ledger.errors.PolicyMismatchError`).
        """
        return json.dumps(
            {
                "default": self.default.plain(),
                "by_partner": {
                    partner_id: self.by_partner[partner_id].plain()
                    for partner_id in sorted(self.by_partner)
                },
                "schedule": None if self.schedule is None else {"day": self.schedule.day},
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def for_partner(self, partner_id: str) -> LedgerPolicy:
        """The policy that applies to ``partner_id``."""
        return self.by_partner.get(partner_id, self.default)

    @classmethod
    def from_deals(
        cls,
        campaign: Campaign,
        by_deal: Mapping[str, LedgerPolicy],
        *,
        default: LedgerPolicy | None = None,
        schedule: PayoutSchedule | None = None,
    ) -> LedgerPolicies:
        """Policies declared per deal, applied to the deals' partners.

        Args:
            campaign: The campaign whose deals are named.
            by_deal: Deal id to policy.
            default: The policy of partners whose deals have none.
            schedule: The ledger's payout schedule (None: payout runs at any instant).

        Returns:
            The policies keyed by partner.

        Raises:
            InvalidValueError: If a deal id is not in the campaign, or one
                partner's deals declare different policies.
        """
        deals = {deal.id: deal for deal in campaign.deals}
        by_partner: dict[str, LedgerPolicy] = {}
        for deal_id, policy in sorted(by_deal.items()):
            deal = deals.get(deal_id)
            if deal is None:
                raise InvalidValueError("by_deal", deal_id, "the id of a deal in the campaign")
            known = by_partner.get(deal.partner_id)
            if known is not None and known != policy:
                raise InvalidValueError(
                    f"by_deal[{deal_id!r}]",
                    policy,
                    f"the same policy as the other deals of partner {deal.partner_id}",
                )
            by_partner[deal.partner_id] = policy
        return cls(default=default or LedgerPolicy(), by_partner=by_partner, schedule=schedule)
