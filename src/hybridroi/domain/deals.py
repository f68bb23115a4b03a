"""Affiliate deals: a partner's commission rules and how they are applied."""

from __future__ import annotations

from typing import Any

import attrs

from hybridroi.core.checks import as_tuple, currency_code, enum_member, identifier, optional
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding, UnroundedMoney
from hybridroi.core.periods import PeriodKind
from hybridroi.domain.rules import (
    RATE_RULE_TYPES,
    RULE_TYPES,
    CommissionBase,
    Precedence,
    Rule,
    SubAffiliateOverride,
)

__all__ = ["AffiliateDeal"]


def _rules(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    allowed = RATE_RULE_TYPES if attribute.name == "program_rules" else RULE_TYPES
    for index, rule in enumerate(value):
        if not isinstance(rule, allowed):
            expected = (
                "a rate rule (PercentRate, FlatPerSale, FlatPerItem, PerLead, TieredRate)"
                if attribute.name == "program_rules"
                else "a rule record from RULE_TYPES (put Python rules in custom_rules)"
            )
            raise InvalidValueError(f"AffiliateDeal.{attribute.name}[{index}]", rule, expected)


def _custom_rules(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]
) -> None:
    for index, rule in enumerate(value):
        # The CustomRule protocol (hybridroi.statements.context), checked by its shape: the
        # deal is data and does not depend on the engine that calls the rule.
        if not (
            isinstance(getattr(rule, "id", None), str) and callable(getattr(rule, "price", None))
        ):
            raise InvalidValueError(
                f"AffiliateDeal.custom_rules[{index}]",
                rule,
                "an object with an id and a price(sale) method (the CustomRule protocol)",
            )


def _money_fields(rule: object) -> list[tuple[str, Money | UnroundedMoney]]:
    found: list[tuple[str, Money | UnroundedMoney]] = []
    for name in ("amount",):
        value = getattr(rule, name, None)
        if isinstance(value, Money | UnroundedMoney):
            found.append((name, value))
    for band_index, band in enumerate(getattr(rule, "bands", ())):
        if band.bonus is not None:
            found.append((f"bands[{band_index}].bonus", band.bonus))
    for index, condition in enumerate(getattr(rule, "conditions", ())):
        for name in ("minimum", "maximum"):
            value = getattr(condition, name, None)
            if isinstance(value, Money):
                found.append((f"conditions[{index}].{name}", value))
    return found


@attrs.frozen(kw_only=True)
class AffiliateDeal:
    """The performance part of a partner's pay: commission rules on credited sales.

    A partner may hold both an :class:`AffiliateDeal` and one or more
    :class:`InfluencerFee`: that is a hybrid deal.

    Attributes:
        id: Deal id, unique within a campaign.
        partner_id: The partner the deal pays.
        rules: The deal's rules, partner-specific (see
            :mod:`hybridroi.domain.rules`). Rate rules are tried in this
            order under :attr:`Precedence.FIRST_MATCH`.
        currency: The currency commissions are paid in; the campaign's when None.
        precedence: How one rate rule is chosen among those that match.
        program_rules: The program's default rate rules (``PercentRate``,
            ``FlatPerSale``, ``FlatPerItem``, ``PerLead``, ``TieredRate``). They price a
            conversion only when no partner-specific rate rule matches it, so a
            partner-specific rate always beats the program default.
        custom_rules: Rate rules written in Python, each implementing the
            :class:`~hybridroi.statements.context.CustomRule` protocol; they come
            before ``rules`` in first-match order and are not serializable.
        commission_base: Which amount of a sale percent rates apply to.
        rounding: How each statement line is rounded to the minor unit.
        statement_period: The period of the partner's statements.
    """

    id: str = attrs.field(validator=identifier)
    partner_id: str = attrs.field(validator=identifier)
    rules: tuple[Rule, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_rules,
    )
    currency: str | None = attrs.field(default=None, validator=optional(currency_code))
    precedence: Precedence = attrs.field(
        default=Precedence.FIRST_MATCH,
        converter=enum_member(Precedence),  # type: ignore[misc]
    )
    program_rules: tuple[Rule, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_rules,
    )
    # Typed loosely so that serialization passes it through: code is not data.
    custom_rules: tuple[Any, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_custom_rules,
    )
    commission_base: CommissionBase = attrs.field(
        default=CommissionBase.NET,
        converter=enum_member(CommissionBase),  # type: ignore[misc]
    )
    rounding: Rounding = attrs.field(
        default=Rounding.HALF_UP,
        converter=enum_member(Rounding),  # type: ignore[misc]
    )
    statement_period: PeriodKind = attrs.field(
        default=PeriodKind.MONTH,
        converter=enum_member(PeriodKind),  # type: ignore[misc]
    )

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for rule in (*self.custom_rules, *self.rules, *self.program_rules):
            if rule.id in seen:
                raise InvalidValueError(
                    "AffiliateDeal.rules", rule.id, "unique rule ids within the deal"
                )
            seen.add(rule.id)
        self._check_overrides()
        if self.currency is None:
            return
        for rule in (*self.rules, *self.program_rules):
            for name, amount in _money_fields(rule):
                if amount.currency != self.currency:
                    raise InvalidValueError(
                        f"AffiliateDeal.rules[{rule.id}].{name}",
                        amount,
                        f"an amount in the deal's currency {self.currency}",
                    )

    def _check_overrides(self) -> None:
        """A partner overrides others, never itself, and each child once per deal."""
        overridden: dict[str, str] = {}
        for rule in self.rules:
            if not isinstance(rule, SubAffiliateOverride):
                continue
            for child in rule.children:
                if child == self.partner_id:
                    raise InvalidValueError(
                        f"AffiliateDeal.rules[{rule.id}].children",
                        child,
                        f"partners recruited by {self.partner_id}, not {self.partner_id} itself",
                    )
                if child in overridden:
                    raise InvalidValueError(
                        f"AffiliateDeal.rules[{rule.id}].children",
                        child,
                        f"a partner not already overridden by rule {overridden[child]}",
                    )
                overridden[child] = rule.id
