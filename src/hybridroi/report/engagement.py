"""Engagement: clicks on tracked links, posts, and the views, reach and engagements of content.

Content statistics are cumulative: each record adds the growth of its
content's figures since the record before it, at its own instant, so a window
counts what the content gained inside it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from operator import attrgetter

import numpy as np

from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import ProblemKind
from hybridroi.domain.partners import Content
from hybridroi.domain.policy import TouchKind
from hybridroi.events.stats import ContentStats, check_stats
from hybridroi.report.columns import instant_of, micros_of
from hybridroi.report.tally import Tally

__all__ = ["add_clicks", "add_contents"]

_INSTANT = attrgetter("instant")


def add_clicks(tally: Tally) -> None:
    """Count each click on a partner's tracked link by ``as_of`` in the window.

    Args:
        tally: The report's running totals; its batch holds the touches.
    """
    # The batch's touches are sorted by instant: the clicks by as_of in the window are
    # one slice of them, and each period's clicks a slice of that, found by a search.
    touches = tally.touches
    instants = touches.instants
    low = 0
    high = int(np.searchsorted(instants, micros_of(tally.run.as_of), "right"))
    if tally.bounds is not None:
        start, end = tally.bounds
        low = int(np.searchsorted(instants[:high], micros_of(start), "left"))
        high = max(low, int(np.searchsorted(instants[:high], micros_of(end), "left")))
    click = TouchKind.CLICK
    kinds, partners, contents = touches.kinds, touches.partners, touches.contents
    while low < high:
        first = instant_of(int(instants[low]))
        if tally.period_kind is PeriodKind.CAMPAIGN:
            label, stop = tally.period_label(first), high
        else:
            period = tally.period_at(first)
            label = period.label
            edge = micros_of(period.end)
            stop = low + int(np.searchsorted(instants[low:high], edge, "left"))
        counts = Counter(
            pair
            for pair, kind in zip(
                zip(partners[low:stop], contents[low:stop], strict=True),
                kinds[low:stop],
                strict=True,
            )
            if kind is click and pair[0] is not None
        )
        for (partner_id, content_id), count in counts.items():
            tally.cell(partner_id, content_id, label, tally.leg(partner_id)).clicks += count  # type: ignore[arg-type]
        low = stop


def add_contents(tally: Tally, stats: Iterable[ContentStats]) -> None:
    """Count the posts published in the window and the growth of their statistics.

    Statistics that cumulative figures cannot have are reported (see
    :func:`~hybridroi.events.stats.check_stats`), and so is, once, each content
    the campaign does not have.

    Args:
        tally: The report's running totals.
        stats: The content statistics.
    """
    records = list(stats)
    tally.problems.extend(check_stats(records))
    for content in tally.campaign.contents:
        if tally.inside(content.published_at):
            leg = tally.leg(content.partner_id)
            cell = tally.cell_at(content.partner_id, content.id, content.published_at, leg)
            cell.posts += 1
            cell.contents.add(content.id)
    by_content: dict[str, list[ContentStats]] = defaultdict(list)
    unknown: dict[str, None] = {}
    for record in records:
        if record.content_id in tally.contents:
            by_content[record.content_id].append(record)
        else:
            unknown.setdefault(record.content_id)
    for content_id in unknown:
        tally.report(
            ProblemKind.UNKNOWN_CONTENT,
            f"stats:{content_id}",
            "statistics for content that is not in the campaign",
            "content_id",
        )
    for content_id in sorted(by_content):
        _add_stats(tally, tally.contents[content_id], by_content[content_id])


def _add_stats(tally: Tally, content: Content, records: list[ContentStats]) -> None:
    """Add the growth of a content's cumulative figures at each record's instant."""
    leg = tally.leg(content.partner_id)
    views = reach = engagements = 0
    for record in sorted(records, key=lambda r: r._order()):
        delta = (record.views - views, record.reach - reach, record.engagements - engagements)
        views, reach, engagements = record.views, record.reach, record.engagements
        if not tally.inside(record.as_of):
            continue
        cell = tally.cell_at(content.partner_id, content.id, record.as_of, leg)
        cell.views += delta[0]
        cell.reach += delta[1]
        cell.engagements += delta[2]
        cell.contents.add(content.id)
