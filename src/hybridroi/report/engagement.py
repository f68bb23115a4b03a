"""Engagement: clicks on tracked links, posts, and the views, reach and engagements of content.

Content statistics are cumulative: each record adds the growth of its
content's figures since the record before it, at its own instant, so a window
counts what the content gained inside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hybridroi.core.problems import ProblemKind
from hybridroi.domain.partners import Content
from hybridroi.domain.policy import TouchKind
from hybridroi.events.stats import ContentStats, check_stats
from hybridroi.report.tally import Tally, Where

__all__ = ["add_clicks", "add_contents"]


def add_clicks(tally: Tally) -> None:
    """Count each click on a partner's tracked link by ``as_of`` in the window.

    Args:
        tally: The report's running totals; its batch holds the touches.
    """
    as_of, contents = tally.run.as_of, tally.contents
    for touch in tally.batch.touches:
        if touch.partner_id is None or touch.instant > as_of:
            continue
        if touch.kind is TouchKind.CLICK and tally.inside(touch.instant):
            content_id = touch.content_id if touch.content_id in contents else None
            where = Where(touch.partner_id, content_id, touch.instant, tally.leg(touch.partner_id))
            for totals in tally.rows_of(where):
                totals.clicks += 1


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
            where = Where(content.partner_id, content.id, content.published_at, leg)
            for totals in tally.rows_of(where):
                totals.posts += 1
                totals.contents.add(content.id)
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
        where = Where(content.partner_id, content.id, record.as_of, leg)
        for totals in tally.rows_of(where):
            totals.views += delta[0]
            totals.reach += delta[1]
            totals.engagements += delta[2]
            totals.contents.add(content.id)
