"""Activity rules: clicks, CPM views and recurring commission on repeat purchases.

Internal to :mod:`hybridroi.statements.engine`. Clicks are paid per statement period
(``clicks:<rule id>:<period>``), views per content (``cpm:<rule id>:<content id>``)
and a referred customer's later purchases per sale (``recurring:<sale id>:<rule id>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from hybridroi.core.periods import Period
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import round_ratio
from hybridroi.core.timezones import zone
from hybridroi.domain.partners import Content
from hybridroi.domain.rules import CpmViews, PerClick, RecurringRate
from hybridroi.events.records import Touch
from hybridroi.statements.drafts import _Draft, _exact_units, _last_instant, _rate_pair, _Sale
from hybridroi.statements.explain import format_exact, format_minor, format_rate
from hybridroi.statements.lines import LineKind

if TYPE_CHECKING:
    from hybridroi.statements.deal import _DealPricer
    from hybridroi.statements.inputs import _Referral


def price_activity(
    pricer: _DealPricer,
    clicks: Sequence[Touch],
    contents: Sequence[Content],
    views: Mapping[str, int],
) -> None:
    """Lines for the clicks and the content views a deal's per-click and CPM rules pay.

    Args:
        pricer: The deal's pricer; the lines are added to its drafts.
        clicks: The partner's clicks up to the as-of instant, in time order.
        contents: The partner's contents published by then, in time order.
        views: Views of each content id, for CPM rules.
    """
    currency = pricer.currency
    for rule in pricer.deal.rules:
        if isinstance(rule, PerClick) and pricer.usable(rule):
            by_period: dict[datetime, tuple[Period, list[str]]] = {}
            for touch in clicks:
                period = pricer.statement_periods_of(touch.instant)
                by_period.setdefault(period.start, (period, []))[1].append(touch.id)
            flat = _exact_units(rule.amount.amount, pricer.places)
            price = format_exact(rule.amount.amount, currency, pricer.places)
            for start in sorted(by_period):
                period, ids = by_period[start]
                units = round_ratio(flat * len(ids), 1, pricer.rounding)
                pricer.drafts.append(
                    _Draft(
                        f"clicks:{rule.id}:{period.label}",
                        LineKind.COMMISSION,
                        units,
                        rule.id,
                        f"{len(ids):,} click{'s' if len(ids) != 1 else ''} x "
                        f"{price} = {format_minor(units, currency)}",
                        _last_instant(period),
                        period,
                        tuple(sorted(ids)),
                    )
                )
        elif isinstance(rule, CpmViews) and pricer.usable(rule):
            wanted = set(rule.content_ids)
            per_thousand = _exact_units(rule.amount.amount, pricer.places)
            price = format_exact(rule.amount.amount, currency, pricer.places)
            for content in contents:
                if wanted and content.id not in wanted:
                    continue
                count = views.get(content.id)
                if count is None:
                    # A CPM deal without its statistics must not read as a free post.
                    pricer.problems.append(
                        Problem(
                            kind=ProblemKind.MISSING_STATISTICS,
                            subject=f"content:{content.id}",
                            field="views",
                            message=(
                                f"CPM rule {rule.id} of deal {pricer.deal.id} pays for its views, "
                                "but no content statistics were given for it as of the run: "
                                "its line is 0 until they are"
                            ),
                        )
                    )
                    count = 0
                units = round_ratio(count * per_thousand, 1000, pricer.rounding)
                pricer.drafts.append(
                    _Draft(
                        f"cpm:{rule.id}:{content.id}",
                        LineKind.COMMISSION,
                        units,
                        rule.id,
                        f"{count:,} views / 1,000 x {price} CPM = {format_minor(units, currency)}",
                        content.published_at,
                        pricer.statement_periods_of(content.published_at),
                        (content.id,),
                    )
                )


def price_recurring(pricer: _DealPricer, repeats: list[tuple[_Sale, _Referral]]) -> None:
    """Lines for the uncredited repeat purchases of customers this partner referred.

    A partner credited with a share of the referring sale earns that share of
    the recurring commission: the co-referrers' shares sum to at most 1, so
    together they are paid a repeat purchase at most once (before each line
    is rounded on its own, as the lines of a shared sale are).
    """
    rules = [
        rule
        for rule in pricer.deal.rules
        if isinstance(rule, RecurringRate) and pricer.usable(rule)
    ]
    timezone = zone(pricer.campaign.timezone)
    for rule in rules:
        numerator, denominator = _rate_pair(rule.rate)
        span = relativedelta(months=rule.months)
        within = f"within {rule.months} month{'s' if rule.months != 1 else ''}"
        for sale, referral in repeats:
            referred_at = referral.at
            local = referred_at.astimezone(timezone)
            if not referred_at < sale.instant < local + span:
                continue
            share = referral.share
            units = round_ratio(sale.base * numerator * share, denominator, pricer.rounding)
            body = (
                f"recurring {format_rate(rule.rate)} of {pricer.base_text(sale)} "
                f"(repeat purchase of a customer referred on {local:%Y-%m-%d}, {within}"
            )
            if share == 1:
                body += ")"
            else:
                body = (
                    f"{share} share x {body}; {share} is the partner's credit share of "
                    f"the referring sale {referral.sale_id})"
                )
            pricer.drafts.append(
                _Draft(
                    f"recurring:{sale.id}:{rule.id}",
                    LineKind.COMMISSION,
                    units,
                    rule.id,
                    f"{body} = {pricer.amount_text(units)}",
                    sale.instant,
                    pricer.statement_periods_of(sale.instant),
                    sale.source_ids,
                    sale.fx,
                )
            )
