"""Activity rules: clicks, CPM views and recurring commission on repeat purchases.

Internal to :mod:`hybridroi.statements.engine`. Clicks are paid per statement period
(``clicks:<rule id>:<period>``; unique clicks only under a click-flood rule), views per
content (``cpm:<rule id>:<content id>``) or, accrued by period, per content and period
(``cpm:<rule id>:<content id>:<period>``), and a referred customer's later purchases per
sale (``recurring:<sale id>:<rule id>``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import accumulate
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from hybridroi.core.durations import fixed_length, format_duration
from hybridroi.core.periods import Period
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import round_ratio
from hybridroi.core.timezones import zone
from hybridroi.domain.partners import Content
from hybridroi.domain.rules import CpmAccrual, CpmViews, PerClick, RecurringRate
from hybridroi.events.records import Touch
from hybridroi.events.stats import ContentStats
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
    history: Mapping[str, Sequence[ContentStats]] | None = None,
) -> None:
    """Lines for the clicks and the content views a deal's per-click and CPM rules pay.

    Args:
        pricer: The deal's pricer; the lines are added to its drafts.
        clicks: The partner's clicks up to the as-of instant, in time order.
        contents: The partner's contents published by then, in time order.
        views: Views of each content id, for CPM rules.
        history: Each content's statistics up to the as-of instant, in time order
            (see :func:`content_history`), for CPM rules that accrue by period; a CPM
            rule paid at publication reads it for a content ``views`` lacks.
    """
    history = history or {}
    currency = pricer.currency
    for rule in pricer.deal.rules:
        if isinstance(rule, PerClick) and pricer.usable(rule):
            by_period: dict[datetime, tuple[Period, list[str]]] = {}
            duplicates = _duplicate_clicks(clicks, rule.unique_within)
            for touch in clicks:
                period = pricer.statement_periods_of(touch.instant)
                by_period.setdefault(period.start, (period, []))[1].append(touch.id)
            flat = _exact_units(rule.amount.amount, pricer.places)
            price = format_exact(rule.amount.amount, currency, pricer.places)
            for start in sorted(by_period):
                period, ids = by_period[start]
                repeated = sum(1 for touch_id in ids if touch_id in duplicates)
                paid = len(ids) - repeated
                units = round_ratio(flat * paid, 1, pricer.rounding)
                counted = _plural(len(ids), "click")
                if rule.unique_within is not None:
                    counted = (
                        f"{counted}, {_plural(repeated, 'duplicate')} (a repeat click by "
                        f"the same customer within {format_duration(rule.unique_within)} "
                        f"of a counted one): {_plural(paid, 'unique click')}"
                    )
                pricer.drafts.append(
                    _Draft(
                        f"clicks:{rule.id}:{period.label}",
                        LineKind.COMMISSION,
                        units,
                        rule.id,
                        f"{counted} x {price} = {format_minor(units, currency)}",
                        _last_instant(period),
                        period,
                        tuple(sorted(ids)),
                    )
                )
        elif isinstance(rule, CpmViews) and rule.accrual is CpmAccrual.PERIOD:
            if pricer.usable(rule):
                _price_accrued_views(pricer, rule, contents, history)
        elif isinstance(rule, CpmViews) and pricer.usable(rule):
            wanted = set(rule.content_ids)
            per_thousand = _exact_units(rule.amount.amount, pricer.places)
            price = format_exact(rule.amount.amount, currency, pricer.places)
            for content in contents:
                if wanted and content.id not in wanted:
                    continue
                count = views.get(content.id)
                if count is None and history.get(content.id):
                    count = history[content.id][-1].views  # the latest record
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


def content_history(
    stats: Iterable[ContentStats], as_of: datetime
) -> dict[str, tuple[ContentStats, ...]]:
    """Each content's statistics taken at or before ``as_of``, oldest first.

    Records at one instant are ordered by their figures, so the larger figures come
    last (as :func:`~hybridroi.events.stats.latest_stats` prefers them).

    Args:
        stats: Records of any number of contents, in any order.
        as_of: The run's instant; later records are left out.

    Returns:
        The records of each content id, in time order.
    """
    by_content: dict[str, list[ContentStats]] = {}
    for record in stats:
        if record.as_of <= as_of:
            by_content.setdefault(record.content_id, []).append(record)
    return {
        content_id: tuple(sorted(records, key=ContentStats._order))
        for content_id, records in by_content.items()
    }


def _price_accrued_views(
    pricer: _DealPricer,
    rule: CpmViews,
    contents: Sequence[Content],
    history: Mapping[str, Sequence[ContentStats]],
) -> None:
    """Lines for the views each statement period accrued, from publication to the run.

    The cumulative views at a period's end are those of the latest record taken at or
    before it (a cumulative figure never falls: the largest so far stands); a period
    accrues the growth since the previous period's end, and pays it in a line earned at
    its last instant. Periods that accrued nothing have no line, except the publication
    period of a content with no views yet.
    """
    wanted = set(rule.content_ids)
    currency = pricer.currency
    per_thousand = _exact_units(rule.amount.amount, pricer.places)
    price = format_exact(rule.amount.amount, currency, pricer.places)
    for content in contents:
        if wanted and content.id not in wanted:
            continue
        records = history.get(content.id, ())
        if not records:
            pricer.problems.append(
                Problem(
                    kind=ProblemKind.MISSING_STATISTICS,
                    subject=f"content:{content.id}",
                    field="views",
                    message=(
                        f"CPM rule {rule.id} of deal {pricer.deal.id} pays the views accrued "
                        "in each period, but no content statistics were given for it as of "
                        "the run: its line is 0 until they are"
                    ),
                )
            )
        instants = [record.as_of for record in records]
        highest = list(accumulate((record.views for record in records), max))
        period = pricer.statement_periods_of(content.published_at)
        before = 0
        emitted = False
        while True:
            last = period.end >= pricer.as_of
            known = bisect_right(instants, period.end)
            after = max(before, highest[known - 1]) if known else before
            if after > before or (last and not emitted):
                units = round_ratio((after - before) * per_thousand, 1000, pricer.rounding)
                pricer.drafts.append(
                    _Draft(
                        f"cpm:{rule.id}:{content.id}:{period.label}",
                        LineKind.COMMISSION,
                        units,
                        rule.id,
                        f"{after - before:,} views accrued in {period.label} (cumulative "
                        f"{before:,} to {after:,}) / 1,000 x {price} CPM = "
                        f"{format_minor(units, currency)}",
                        _last_instant(period),
                        period,
                        (content.id,),
                    )
                )
                emitted = True
            following = pricer.statement_periods_of(period.end)
            if last or following.start <= period.start:
                break
            period, before = following, after


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' if count != 1 else ''}"


def _duplicate_clicks(clicks: Sequence[Touch], unique_within: relativedelta | None) -> set[str]:
    """The ids of the clicks a click-flood rule does not pay (none without a rule).

    Clicks come in time order. A customer's click is counted when it is at least
    ``unique_within`` after that customer's last counted click; the others are
    duplicates. Each click depends only on the clicks before it, so a later run
    never changes what an earlier period counted.
    """
    length = None if unique_within is None else fixed_length(unique_within)
    if length is None:
        return set()
    counted_at: dict[str, datetime] = {}
    duplicates: set[str] = set()
    for touch in clicks:
        last = counted_at.get(touch.customer_key)
        if last is not None and touch.instant - last < length:
            duplicates.add(touch.id)
        else:
            counted_at[touch.customer_key] = touch.instant
    return duplicates


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
                f"recurring {format_rate(rule.rate)} of {pricer.wording.base_text(sale)} "
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
                    f"{body} = {pricer.wording.amount_text(units)}",
                    sale.instant,
                    pricer.statement_periods_of(sale.instant),
                    sale.source_ids,
                    sale.fx,
                )
            )
