"""Pricing one deal's credited sales: the rule that wins each sale, and its line.

Internal to :mod:`hybridroi.statements.engine`. A :class:`_DealPricer` holds what
the other steps of a deal share: its compiled rules, its currency and rounding, and
the drafts of its lines. Tiered rules are priced by :mod:`hybridroi.statements.tiered`;
activity, caps and period settlements by their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from hybridroi.core.money import Money, UnroundedMoney, minor_unit
from hybridroi.core.periods import Period
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import COLUMN_BOUND, round_ratio, round_ratios
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content
from hybridroi.domain.rules import Cap, Precedence
from hybridroi.events.customers import NewCustomers
from hybridroi.events.records import LineItem
from hybridroi.statements.blocks import _BlockSlice, _PercentBlock
from hybridroi.statements.compiled import _Compiled, _is_rate_rule
from hybridroi.statements.context import CustomRule, SaleContext
from hybridroi.statements.drafts import (
    _COMMISSION,
    Exact,
    _as_decimal,
    _Draft,
    _Memo,
    _Periods,
    _Sale,
    _to_exact,
)
from hybridroi.statements.tiered import _TierPricer
from hybridroi.statements.wording import _Wording

_SALE_SLOTS = _Sale.__slots__


def _revenue_of(items: tuple[LineItem, ...], lines: list[int]) -> Fraction:
    """The exact net revenue (quantity x unit price) of some lines, in major units."""
    return sum(
        (Fraction(items[i].unit_price.amount) * Fraction(items[i].quantity) for i in lines),
        Fraction(0),
    )


class _DealPricer:
    """Prices one deal's credited sales, activity and period rules."""

    def __init__(
        self,
        campaign: Campaign,
        deal: AffiliateDeal,
        as_of: datetime,
        problems: list[Problem],
        contents: Mapping[str, Content],
        *,
        memo: _Memo,
    ) -> None:
        self.campaign = campaign
        self.campaign_contents = contents
        self.deal = deal
        self.as_of = as_of
        self.problems = problems
        self.currency = campaign.deal_currency(deal)
        self.places = minor_unit(self.currency)
        self.rounding = deal.rounding
        self.statement_periods = _Periods(campaign, deal.statement_period)
        self.drafts: list[_Draft] = []
        self.texts = memo.texts(self.currency)
        self.amounts = memo.money(self.currency)
        self.wording = _Wording(self.currency, self.places, self.texts, self.amounts)
        self.units = memo.units(self.currency)
        self.partner_rules = [
            _Compiled(rule, False, self.currency, self.places, deal.statement_period)
            for rule in (*deal.custom_rules, *deal.rules)
            if self.usable(rule) and (isinstance(rule, CustomRule) or _is_rate_rule(rule))
        ]
        self.program_rules = [
            _Compiled(rule, True, self.currency, self.places, deal.statement_period)
            for rule in deal.program_rules
            if self.usable(rule)
        ]
        self.needs_quantity = any(
            compiled.kind == "item" for compiled in (*self.partner_rules, *self.program_rules)
        )
        every = (*self.partner_rules, *self.program_rules)
        # A deal prices leads or sales only if it has a rule for them: a conversion of a
        # kind it has rules for that none of them matches is reported, never dropped.
        self.prices_leads = any(c.kind in ("lead", "custom") for c in every)
        self.prices_sales = any(c.kind != "lead" for c in every)
        self.needs_context = bool(
            deal.custom_rules
            or any(c.conditions for c in (*self.partner_rules, *self.program_rules))
        )
        # New customers of the run's events, for the conditions: set by the run.
        self.customers: NewCustomers | None = None
        # A rate on the matching items prices lines, and leaves the rest of the order.
        self.item_rules = any(compiled.item_scope for compiled in every)
        # Without a cap, no line changes once priced: graduated tier lines stay in columns
        # (statement period by statement period) until a statement's lines are read.
        self.defer = not any(isinstance(rule, Cap) for rule in deal.rules)
        self.blocks: list[tuple[Period, _BlockSlice]] = []
        # The sales each percent rate won, priced together once all are chosen (no cap).
        self.percent_won: dict[str, list[_Sale]] = {}
        self.tiers = _TierPricer(self)

    def release(self) -> None:
        """Break the pricer's reference cycle with its tier pricer, its lines being filed.

        The tier pricer refers back to the deal's pricer; without the cycle, reference
        counting frees the deal's sales and state as soon as the run lets go of them,
        without waiting for a pass of the cyclic collector.
        """
        del self.tiers

    def usable(self, rule: Any) -> bool:
        amounts = [getattr(rule, "amount", None)] + [
            band.bonus for band in getattr(rule, "bands", ())
        ]
        for condition in getattr(rule, "conditions", ()):
            amounts.extend(
                (getattr(condition, "minimum", None), getattr(condition, "maximum", None))
            )
        for amount in amounts:
            if isinstance(amount, Money | UnroundedMoney) and amount.currency != self.currency:
                self.problems.append(
                    Problem(
                        kind=ProblemKind.CURRENCY,
                        subject=f"deal:{self.deal.id}",
                        field=f"rules[{rule.id}]",
                        message=(
                            f"rule {rule.id} is in {amount.currency} but the deal pays in "
                            f"{self.currency}; the rule was not applied"
                        ),
                    )
                )
                return False
        return True

    # Sales -------------------------------------------------------------------------------

    def price_sales(self, sales: list[_Sale]) -> None:
        highest = self.deal.precedence is Precedence.HIGHEST
        partner_rules = self.partner_rules
        program_rules = self.program_rules
        single = (
            partner_rules[0]
            if len(partner_rules) == 1
            and not program_rules
            and not self.needs_context
            and not partner_rules[0].scheduled
            else None
        )
        by_items = self.item_rules
        for sale in sales:
            if self.needs_context:
                sale.context = self._context(sale)
            if by_items and sale.conversion.items:
                self._price_by_items(sale, highest)
                continue
            if single is not None and (single.kind == "lead") == sale.lead:
                winner: _Compiled | None = single
            else:
                winner = self._choose(sale, partner_rules, highest) or self._choose(
                    sale, program_rules, highest
                )
            if winner is None:
                if self.prices_leads if sale.lead else self.prices_sales:
                    self._unpriced(sale)
                continue
            if winner.kind == "tier":
                self.tiers.price(sale, winner)
            else:
                self._flat_or_percent(sale, winner)
        self.tiers.close()
        self._close_percent()

    def _unpriced(self, sale: _Sale) -> None:
        """Report a credited conversion that no rate rule of the deal priced."""
        kind = "lead" if sale.lead else "sale"
        tried = ", ".join(
            compiled.rule_id
            for compiled in (*self.partner_rules, *self.program_rules)
            if compiled.kind == "custom" or (compiled.kind == "lead") == sale.lead
        )
        share = "" if sale.share == 1 else f" ({sale.share} share)"
        self.problems.append(
            Problem(
                kind=ProblemKind.UNPRICED,
                subject=f"conversion:{sale.id}",
                field="rules",
                message=(
                    f"{kind} {sale.id} credited to partner {self.deal.partner_id}{share} "
                    f"matched no rate rule of deal {self.deal.id} (tried: {tried}); "
                    "it was not priced"
                ),
            )
        )

    def _matching(self, sale: _Sale, compiled: _Compiled) -> bool:
        if (compiled.kind == "lead") != sale.lead and compiled.kind != "custom":
            return False
        if compiled.scheduled and not compiled.in_force(sale.instant):
            return False
        context = sale.context
        if context is None:
            return not compiled.conditions
        if not all(condition.matches(context) for condition in compiled.conditions):
            return False
        # Each condition may match another line: the scope needs one line matching them all.
        return not compiled.item_scope or any(
            self._item_matches(item, compiled) for item in sale.conversion.items
        )

    def _price_by_items(self, sale: _Sale, highest: bool) -> None:
        """Price an order line by line where rates on the matching items apply.

        Rules are tried level by level (the partner's, then the program's). A rate on
        the matching items claims the lines it matches that no earlier rule claimed and
        prices them (a line is priced once); the first order rule that matches (under
        ``HIGHEST``, the one paying most) prices the rest of the order and ends the sale.
        A custom rule prices whole orders only, so it is not offered a rest.
        """
        items = sale.conversion.items
        open_lines = list(range(len(items)))
        claims: list[tuple[str, list[int]]] = []
        for level in (self.partner_rules, self.program_rules):
            candidates: list[_Compiled] = []
            for compiled in level:
                if compiled.item_scope:
                    chosen = [i for i in open_lines if self._item_matches(items[i], compiled)]
                    if not chosen or not self._matching(sale, compiled):
                        continue
                    open_lines = [i for i in open_lines if i not in chosen]
                    claims.append((compiled.rule_id, chosen))
                    self._price(self._scoped(sale, chosen, None), compiled)
                    if not open_lines:
                        return
                elif compiled.kind == "custom" and claims:
                    continue
                elif highest:
                    candidates.append(compiled)
                elif self._choose(sale, [compiled], False) is not None:
                    rest = self._scoped(sale, open_lines, claims) if claims else sale
                    self._price(rest, compiled)
                    return
            if candidates:
                rest = self._scoped(sale, open_lines, claims) if claims else sale
                winner = self._choose(rest, candidates, True)
                if winner is not None:
                    self._price(rest, winner)
                    return
        if not claims and (self.prices_leads if sale.lead else self.prices_sales):
            self._unpriced(sale)

    def _price(self, sale: _Sale, compiled: _Compiled) -> None:
        if compiled.kind == "tier":
            self.tiers.price(sale, compiled)
        else:
            self._flat_or_percent(sale, compiled)

    @staticmethod
    def _item_matches(item: LineItem, compiled: _Compiled) -> bool:
        return all(condition.matches_item(item) for condition in compiled.item_conditions)

    def _scoped(
        self, sale: _Sale, lines: list[int], claims: list[tuple[str, list[int]]] | None
    ) -> _Sale:
        """The sale as seen by a rule that prices some of its lines only.

        Without ``claims``, ``lines`` are a rate's matching items: their net revenue
        (quantity x unit price, exact, in the deal's currency) is the base. With
        ``claims`` (the lines that rates on the matching items priced), ``lines`` are the
        rest of the order, whose base is the order's base less the claimed lines'
        revenue. Refunds reduce either in the proportion of the order's net revenue they
        return: a refund does not say which line it returns.
        """
        conversion = sale.conversion
        items = conversion.items
        own_places = minor_unit(conversion.currency)
        factor = Fraction(10**own_places)
        if sale.fx is not None:
            factor *= Fraction(sale.fx.rate) * Fraction(10) ** (self.places - own_places)
        scoped = _Sale()
        for name in _SALE_SLOTS:
            setattr(scoped, name, getattr(sale, name))
        if claims is None:
            matched = _revenue_of(items, lines) * factor
            scoped.gross_base = _to_exact(matched)
            scoped.base = _to_exact(matched * sale.remaining)
            skus = ", ".join(sorted({items[i].sku for i in lines}))
            scoped.scope = f"the matching items ({skus}) of a {conversion.revenue} order"
        else:
            claimed = _revenue_of(items, [i for _, chosen in claims for i in chosen]) * factor
            gross = max(Fraction(sale.gross_base) - claimed, Fraction(0))
            scoped.gross_base = _to_exact(gross)
            scoped.base = _to_exact(gross * sale.remaining)
            priced = "; ".join(
                f"{', '.join(sorted({items[i].sku for i in chosen}))} priced by rule {rule_id}"
                for rule_id, chosen in claims
            )
            scoped.scope = f"the rest of a {conversion.revenue} order ({priced})"
        scoped.quantity = _to_exact(sum((Fraction(items[i].quantity) for i in lines), Fraction(0)))
        return scoped

    def _choose(self, sale: _Sale, rules: list[_Compiled], highest: bool) -> _Compiled | None:
        best: _Compiled | None = None
        best_amount: Fraction | None = None
        for compiled in rules:
            if not self._matching(sale, compiled):
                continue
            if compiled.kind == "custom":
                outcome = compiled.rule.price(sale.context)
                if outcome is None:
                    continue
                if outcome.amount.currency != self.currency:
                    self.problems.append(
                        Problem(
                            kind=ProblemKind.CURRENCY,
                            subject=f"conversion:{sale.id}",
                            field=f"custom_rules[{compiled.rule_id}]",
                            message=(
                                f"custom rule {compiled.rule_id} priced the sale in "
                                f"{outcome.amount.currency}, not in the deal's {self.currency}; "
                                "it was not applied"
                            ),
                        )
                    )
                    continue
            if not highest:
                return compiled
            amount = self._provisional(sale, compiled)
            if best_amount is None or amount > best_amount:
                best, best_amount = compiled, amount
        return best

    def _provisional(self, sale: _Sale, compiled: _Compiled) -> Fraction:
        """The exact amount a rule would pay for a sale, to compare rules (HIGHEST)."""
        if compiled.kind == "tier":
            return self.tiers.provisional(sale, compiled)
        numerator, denominator, _ = self._simple_amount(sale, compiled)
        return Fraction(numerator) / denominator

    def _context(self, sale: _Sale) -> SaleContext:
        conversion = sale.conversion
        content_id = sale.credit.content_id
        return SaleContext(
            conversion=conversion,
            credit=sale.credit,
            content=self.campaign_contents.get(content_id) if content_id else None,
            currency=self.currency,
            order_value=UnroundedMoney(_as_decimal(sale.order_value, self.places), self.currency),
            base=UnroundedMoney(_as_decimal(sale.base, self.places), self.currency),
            refunded=Money.from_minor(sale.refunded, conversion.currency),
            fx=sale.fx,
            new_customer=(
                conversion.new_customer if self.customers is None else self.customers.of(conversion)
            ),
        )

    def _simple_amount(self, sale: _Sale, compiled: _Compiled) -> tuple[Exact, int, str]:
        """Exact amount of a non-tiered rule as numerator / denominator, and its explanation."""
        kind = compiled.kind
        share = sale.share
        if kind == "percent":
            rate_numerator, rate_denominator = compiled.rate
            numerator: Exact = sale.base * rate_numerator * share
            text = f"{compiled.price_text} of {self.wording.base_text(sale)}"
            return numerator, rate_denominator, text
        if kind == "custom":
            outcome = compiled.rule.price(sale.context)
            exact = Fraction(outcome.amount.amount) * 10**self.places * share
            return _to_exact(exact), 1, outcome.explanation
        flat = compiled.units
        if kind == "item":
            numerator = flat * sale.quantity * sale.remaining * share
            if sale.scope is not None:  # the rest of an order: its remaining lines
                count = _as_decimal(sale.quantity, 0).normalize()
            elif sale.conversion.items:
                count = sale.conversion.quantity.normalize()
            else:
                count = Decimal(1)
            text = f"{compiled.price_text} x {count} item{'s' if count != 1 else ''}"
        elif kind == "lead":
            numerator = flat * share
            text = f"{compiled.price_text} per lead"
        else:
            numerator = flat * sale.remaining * share
            text = f"{compiled.price_text} per sale"
        if sale.remaining != 1 and kind != "lead":
            text += f" x {sale.remaining} of the sale not refunded"
        return _to_exact(Fraction(numerator)), 1, text

    def sale_draft(
        self,
        sale: _Sale,
        compiled: _Compiled,
        units: int,
        explanation: str,
        period: Period | None = None,
    ) -> _Draft:
        """A sale's commission line; ``period`` is its statement period, if known."""
        instant = sale.instant
        return _Draft(
            f"commission:{sale.id}:{compiled.rule_id}",
            _COMMISSION,
            units,
            compiled.rule_id,
            explanation,
            instant,
            period or self.statement_periods.of(instant),
            sale.source_ids,
            sale.fx,
        )

    def _flat_or_percent(self, sale: _Sale, compiled: _Compiled) -> None:
        if self.defer and compiled.kind == "percent":
            won = self.percent_won.get(compiled.rule_id)
            if won is None:
                won = self.percent_won[compiled.rule_id] = []
            won.append(sale)
            return
        numerator, denominator, body = self._simple_amount(sale, compiled)
        units = round_ratio(numerator, denominator, self.rounding)
        self.drafts.append(
            self.sale_draft(
                sale, compiled, units, self.wording.describe(sale, compiled, body, units)
            )
        )

    def _close_percent(self) -> None:
        """Price the sales each percent rate won, rule by rule, in columns."""
        for compiled in (*self.partner_rules, *self.program_rules):
            sales = self.percent_won.get(compiled.rule_id)
            if not sales:
                continue
            numerator, denominator = compiled.rate
            bases = [sale.base for sale in sales if type(sale.base) is int and sale.share == 1]
            largest = max((abs(base) for base in bases), default=0)
            if (
                len(bases) == len(sales)
                and denominator < COLUMN_BOUND
                and (largest + 1) * (abs(numerator) + 1) < COLUMN_BOUND
            ):
                products = np.array(bases, dtype=np.int64) * np.int64(numerator)
                units: list[int] = round_ratios(products, denominator, self.rounding).tolist()
            else:
                units = [
                    round_ratio(sale.base * numerator * sale.share, denominator, self.rounding)
                    for sale in sales
                ]
            of = self.statement_periods.of
            block = _PercentBlock(self, compiled, sales, units)
            self.blocks.extend(block.slices([of(sale.instant) for sale in sales]))

    # Tiers -------------------------------------------------------------------------------

    def statement_periods_of(self, instant: datetime) -> Period:
        """The statement period of an instant (instants visited mostly in time order)."""
        return self.statement_periods.of(instant)
