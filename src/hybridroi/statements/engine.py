"""The commission engine: credited sales, clicks, views and fees priced into statements.

:func:`price_credits` is a pure function of a campaign, the attribution
credits, a checked :class:`~hybridroi.events.intake.EventBatch` and an as-of
instant. It returns one
:class:`~hybridroi.statements.lines.Statement` per partner, statement period
and currency. The same inputs in any order give the identical statements. While it runs,
Python's cyclic garbage collector is paused (and then restored): the engine
creates no reference cycles, and on millions of events the collector's full
passes would cost as much as the pricing.

How a credited sale is priced:

1. Only events at or before ``as_of`` count. Refunds reduce the sale's
   commissionable base in proportion to the net revenue they return.
2. The base is converted to the deal's currency at the rate in force at the
   sale's instant (the line keeps the conversion).
3. The deal's precedence picks one rate rule among the partner-specific rules
   whose conditions match; program rules are tried only when none does.
4. The exact commission (times the credit's share) is rounded once, per line,
   by the deal's rounding mode.
5. Caps then limit the rounded lines, in the order the lines were earned: each
   line meets the per-sale, then the period, then the lifetime caps (whatever
   order they were declared in), and each cap is charged with what the line
   finally pays. What they removed is recorded in ``capped``.
6. Period rules add their lines: tier and threshold bonuses, network fees,
   guarantee top-ups, advances and recoveries.

A line belongs to the period it was earned in. A period-level line (clicks,
bonuses, network fees, guarantees, advances, recoveries) is earned at its
period's last instant, ``Period.end`` minus one microsecond, so that caps, the
report and the ledger, which all read ``earned_at``, file it in that period.

Line keys are stable: ``commission:<conversion id>:<rule id>`` for a sale,
``tier-bonus:<rule id>:<period>:<tier>``, ``bonus:<rule id>:<period>``,
``guarantee:<rule id>:<period>``, ``advance:<rule id>:<period>``,
``recovery:<rule id>:<period>``, ``network-fee:<rule id>:<period>``,
``clicks:<rule id>:<period>``, ``cpm:<rule id>:<content id>[:<period>]``,
``override:<rule id>:<child partner id>:<child line key>`` and
``fee:<fee id>[:<occurrence>]``.

Sub-affiliate overrides are priced last, once every deal's lines are final: each
commission line of a recruited partner gives its parent a line for the override's
share of it (:class:`~hybridroi.domain.rules.SubAffiliateOverride`).

The work is split by seam: rule compilation (:mod:`~hybridroi.statements.compiled`),
the events prepared once (:mod:`~hybridroi.statements.inputs`), a deal's choice of
rule per sale (:mod:`~hybridroi.statements.deal`), tiers
(:mod:`~hybridroi.statements.tiered`), activity rules
(:mod:`~hybridroi.statements.activity`), caps (:mod:`~hybridroi.statements.caps`)
and period settlements (:mod:`~hybridroi.statements.settlements`). This module
runs them in that order for each deal and groups the lines into statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from hybridroi.attribution.credits import AttributionResult, Credit
from hybridroi.attribution.engine import attribute_batch
from hybridroi.core.collector import collector_paused
from hybridroi.core.money import Money, scaled
from hybridroi.core.periods import Period, PeriodKind, period_of
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.partners import Content
from hybridroi.domain.policy import AttributionPolicy
from hybridroi.domain.rules import PerClick, RecurringRate, SubAffiliateOverride
from hybridroi.events.customers import NewCustomers, new_customers
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Event
from hybridroi.events.stats import ContentStats
from hybridroi.statements.activity import content_history, price_activity, price_recurring
from hybridroi.statements.blocks import _BlockSlice
from hybridroi.statements.caps import apply_caps
from hybridroi.statements.deal import _DealPricer
from hybridroi.statements.drafts import _MEMO_LIMIT, _Memo, _Periods
from hybridroi.statements.fees import price_fees
from hybridroi.statements.inputs import _Inputs, _prepare_sales, _repeat_purchases
from hybridroi.statements.lines import Statement, StatementLine, StatementRun
from hybridroi.statements.overrides import override_lines
from hybridroi.statements.settlements import price_periods

__all__ = ["compute_statements", "price_credits"]


def price_credits(
    campaign: Campaign,
    attribution: AttributionResult,
    batch: EventBatch,
    *,
    as_of: datetime,
    views: Mapping[str, int] | None = None,
    stats: Iterable[ContentStats] | None = None,
) -> StatementRun:
    """Price credited conversions, clicks, views and fixed fees into statements.

    The events come checked: :func:`~hybridroi.events.intake.check_events` has
    sorted them, dropped repeats and reported what it could not use, so pricing
    indexes them without checking them again.

    Args:
        campaign: The campaign: partners, contents, deals, fees, FX rates.
        attribution: The credits (who earned each conversion, and what share).
        batch: The checked events: conversions (sales and leads), refunds, and
            touches, whose clicks of program partners feed per-click rules.
        as_of: Only events, fees and periods at or before this instant count.
        views: Views of each content id as of ``as_of``, for CPM rules.
        stats: Content statistics (cumulative views as of instants), for CPM rules that
            accrue by period (``CpmViews.accrual="period"``): each period pays the growth
            of a content's views over it. CPM rules paid at publication read ``views``
            and, for a content it lacks, the latest of these records.

    Returns:
        A :class:`StatementRun` with statements sorted by partner id, period
        start and currency, the problems found on the way (the attribution's
        problems first) and ``batch``.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    require_aware(as_of, "as_of")
    with collector_paused():
        return _price(campaign, attribution, batch, as_of, views, stats=stats)


def compute_statements(
    campaign: Campaign,
    events: Iterable[Event],
    *,
    as_of: datetime,
    policy: AttributionPolicy | None = None,
    views: Mapping[str, int] | None = None,
    stats: Iterable[ContentStats] | None = None,
) -> StatementRun:
    """Check the events, attribute the conversions and price the statements.

    This is the whole pipeline from raw events to statements: a pure function
    of (campaign, events, as_of); the order of ``events`` never matters.

    Args:
        campaign: The campaign.
        events: Touches, conversions and refunds, mixed, in any order.
        as_of: Only events at or before this instant count.
        policy: The attribution policy; the campaign's default when None.
        views: Views of each content id as of ``as_of``, for CPM rules.
        stats: Content statistics (cumulative views as of instants), for CPM rules that
            accrue by period (``CpmViews.accrual="period"``): each period pays the growth
            of a content's views over it. CPM rules paid at publication read ``views``
            and, for a content it lacks, the latest of these records.

    Returns:
        The statements, the attribution they were priced from, every problem
        found (in the events, the credits, the rules and FX) and the checked batch.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
    """
    require_aware(as_of, "as_of")
    with collector_paused():
        batch = check_events(campaign, events)
        attribution = attribute_batch(campaign, batch, policy, as_of=as_of)
        return _price(campaign, attribution, batch, as_of, views, stats=stats)


class _Run:
    """What every deal of one run shares: the events, credits, contents and lines."""

    def __init__(
        self,
        campaign: Campaign,
        attribution: AttributionResult,
        batch: EventBatch,
        as_of: datetime,
        views: Mapping[str, int] | None,
        *,
        stats: Iterable[ContentStats] | None = None,
    ) -> None:
        self.campaign = campaign
        self.attribution = attribution
        self.as_of = as_of
        self.views = views or {}
        self.history = content_history(stats or (), as_of)
        self.problems: list[Problem] = []
        want_clicks = any(
            isinstance(rule, PerClick) for deal in campaign.deals for rule in deal.rules
        )
        self.inputs = _Inputs(batch, as_of=as_of, problems=self.problems, want_clicks=want_clicks)
        self.credits: dict[str, list[Credit]] = {}
        by_partner = self.credits
        for credit in attribution.credits:
            # Not setdefault: that would build an empty list per credit to throw away.
            group = by_partner.get(credit.partner_id)
            if group is None:
                group = by_partner[credit.partner_id] = []
            group.append(credit)
        self.published: dict[str, list[Content]] = {}
        for content in sorted(campaign.contents, key=lambda item: (item.published_at, item.id)):
            if content.published_at <= as_of:
                self.published.setdefault(content.partner_id, []).append(content)
        self.contents = {content.id: content for content in campaign.contents}
        self.credited: set[str] | None = None
        self.customers: NewCustomers | None = None
        self.statement_kind: dict[str, PeriodKind] = {}
        self.groups = _Groups()
        self.memo = _Memo()

    def price_deal(self, deal: AffiliateDeal) -> None:
        """Price one deal: its sales, tiers, activity, caps and periods, into lines."""
        known_kind = self.statement_kind.setdefault(deal.partner_id, deal.statement_period)
        if known_kind is not deal.statement_period:
            self.problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"deal:{deal.id}",
                    field="statement_period",
                    message=(
                        f"partner {deal.partner_id} already has {known_kind.value} statements; "
                        f"this deal's {deal.statement_period.value} period was not used for fees"
                    ),
                )
            )
        inputs = self.inputs
        pricer = _DealPricer(
            self.campaign, deal, self.as_of, self.problems, self.contents, memo=self.memo
        )
        if pricer.needs_context:
            # Derived once per run, from the same events for every deal.
            self.customers = self.customers or new_customers(inputs.conversions.values())
            pricer.customers = self.customers
        sales = _prepare_sales(pricer, self.credits.get(deal.partner_id, ()), inputs, self.problems)
        pricer.price_sales(sales)
        pricer.tiers.bonuses()
        price_activity(
            pricer,
            inputs.clicks.get(deal.partner_id, ()),
            self.published.get(deal.partner_id, ()),
            self.views,
            self.history,
        )
        if any(isinstance(rule, RecurringRate) for rule in deal.rules):
            if self.credited is None:
                self.credited = {credit.conversion_id for credit in self.attribution.credits}
            repeats = _repeat_purchases(pricer, sales, inputs, self.credited, self.problems)
            price_recurring(pricer, repeats)
        apply_caps(pricer)
        price_periods(pricer, sales)
        _add_lines(pricer, self.groups)
        pricer.release()

    def add_overrides(self) -> None:
        """File the sub-affiliate overrides of parents, once every deal's lines are final."""
        campaign = self.campaign
        for deal in sorted(campaign.deals, key=lambda item: item.id):
            if not any(isinstance(rule, SubAffiliateOverride) for rule in deal.rules):
                continue
            found = override_lines(campaign, deal, self.groups.lines_of, self.problems)
            periods = _Periods(campaign, deal.statement_period)
            for line in sorted(found, key=lambda item: item.earned_at):
                period = periods.of(line.earned_at)
                self.groups.add(deal.partner_id, period, line.amount.currency).append(line)

    def add_fees(self) -> None:
        """File the campaign's fixed fees in their partners' statement periods."""
        campaign = self.campaign
        fee_lines, fee_problems = price_fees(campaign, self.as_of)
        self.problems.extend(fee_problems)
        for partner_id, line in fee_lines:
            kind = self.statement_kind.get(partner_id, PeriodKind.MONTH)
            if kind is PeriodKind.CAMPAIGN:
                period = campaign.period_of(campaign.start, kind)
            else:
                period = period_of(line.earned_at, kind, campaign.timezone)
            self.groups.add(partner_id, period, line.amount.currency).append(line)


def _price(
    campaign: Campaign,
    attribution: AttributionResult,
    batch: EventBatch,
    as_of: datetime,
    views: Mapping[str, int] | None,
    *,
    stats: Iterable[ContentStats] | None = None,
) -> StatementRun:
    """The body of :func:`price_credits`, with the collector already paused."""
    run = _Run(campaign, attribution, batch, as_of, views, stats=stats)
    for deal in sorted(campaign.deals, key=lambda item: item.id):
        run.price_deal(deal)
    run.add_overrides()
    run.add_fees()
    return StatementRun(
        as_of=as_of,
        statements=run.groups.statements(),
        attribution=attribution,
        problems=(*attribution.problems, *run.problems),
        batch=batch,
    )


def _add_lines(pricer: _DealPricer, groups: _Groups) -> None:
    """Turn a deal's drafts into statement lines, grouped by statement period."""
    currency = pricer.currency
    places = pricer.places
    partner_id = pricer.deal.partner_id
    current: list[StatementLine] = []
    current_label = None
    amounts = pricer.amounts
    # Lines are built from the engine's own exact integer minor units: the trusted
    # constructors skip parsing and checks that would cost more than the pricing.
    money = Money._trusted
    line = StatementLine._trusted
    for period, part in pricer.blocks:
        groups.defer(partner_id, period, currency, part)
    for draft in pricer.drafts:
        units = draft.units
        amount = amounts.get(units)
        if amount is None:
            amount = money(scaled(units, -places), currency)
            if len(amounts) < _MEMO_LIMIT:
                amounts[units] = amount
        period = draft.period
        if period.label != current_label:
            current_label = period.label
            current = groups.add(partner_id, period, currency)
        capped = draft.capped
        current.append(
            line(
                draft.key,
                draft.kind,
                amount,
                draft.rule_id,
                draft.explanation,
                draft.earned_at,
                draft.source_ids,
                money(scaled(capped, -places), currency) if capped else None,
                draft.fx,
            )
        )


def _line_key(line: StatementLine) -> str:
    return line.key


class _Groups:
    """Statement lines gathered by (partner, statement period, currency)."""

    def __init__(self) -> None:
        # Keyed by label: a string hashes faster than an aware datetime.
        self._groups: dict[tuple[str, str, str], tuple[Period, list[StatementLine]]] = {}
        # Commission lines still in columns, by the same keys.
        self._deferred: dict[tuple[str, str, str], list[_BlockSlice]] = {}

    def add(self, partner_id: str, period: Period, currency: str) -> list[StatementLine]:
        key = (partner_id, period.label, currency)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (period, [])
        return group[1]

    def defer(self, partner_id: str, period: Period, currency: str, part: _BlockSlice) -> None:
        """File lines kept in columns; the statement builds them when they are read."""
        self.add(partner_id, period, currency)
        self._deferred.setdefault((partner_id, period.label, currency), []).append(part)

    def lines_of(self, partner_id: str) -> list[StatementLine]:
        """Every line of a partner so far, in all periods and currencies."""
        found = [
            line
            for key, (_, lines) in self._groups.items()
            if key[0] == partner_id
            for line in lines
        ]
        for key, parts in self._deferred.items():
            if key[0] == partner_id:
                for part in parts:
                    found.extend(part.lines())
        return found

    def statements(self) -> tuple[Statement, ...]:
        groups = self._groups
        deferred = self._deferred
        result = []
        for key in sorted(groups, key=lambda item: (item[0], groups[item][0].start, item[2])):
            period, lines = groups[key]
            parts = deferred.get(key)
            if parts:
                result.append(Statement._deferred(key[0], period, key[2], lines, parts))
                continue
            lines.sort(key=_line_key)
            result.append(
                Statement(partner_id=key[0], period=period, currency=key[2], lines=tuple(lines))
            )
        return tuple(result)
