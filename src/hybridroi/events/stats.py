"""Content statistics: views, reach and engagement of a piece of content.

Platforms report cumulative figures: a record says "as of this instant, this
content has had so many views". A later record for the same content supersedes
an earlier one, and the activity inside a window is the difference between
the figures known at its end and those known at its start.

>>> from datetime import datetime, timezone
>>> first = ContentStats(content_id="V-1", as_of=datetime(2026, 3, 1, tzinfo=timezone.utc),
...                      views=1000, likes=40)
>>> later = ContentStats(content_id="V-1", as_of=datetime(2026, 3, 8, tzinfo=timezone.utc),
...                      views=5000, likes=180, comments=20)
>>> latest_stats([later, first])["V-1"].views
5000
>>> later.engagements
200
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from hybridroi.core.checks import aware, identifier, non_negative_int
from hybridroi.core.timezones import require_aware

__all__ = ["ContentStats", "latest_stats"]


@attrs.frozen(kw_only=True)
class ContentStats:
    """Cumulative statistics of one piece of content, as of an instant.

    Attributes:
        content_id: The content the figures describe.
        as_of: The instant as of which the figures hold (timezone-aware).
        views: Views (plays, impressions of the content), >= 0.
        reach: Distinct accounts reached, >= 0.
        likes: Likes, >= 0.
        comments: Comments, >= 0.
        shares: Shares, >= 0.
        saves: Saves (bookmarks), >= 0.
    """

    content_id: str = attrs.field(validator=identifier)
    as_of: datetime = attrs.field(validator=aware)
    views: int = attrs.field(default=0, validator=non_negative_int)
    reach: int = attrs.field(default=0, validator=non_negative_int)
    likes: int = attrs.field(default=0, validator=non_negative_int)
    comments: int = attrs.field(default=0, validator=non_negative_int)
    shares: int = attrs.field(default=0, validator=non_negative_int)
    saves: int = attrs.field(default=0, validator=non_negative_int)

    @property
    def engagements(self) -> int:
        """Likes + comments + shares + saves."""
        return self.likes + self.comments + self.shares + self.saves

    def _order(self) -> tuple[datetime, int, int, int, int, int, int]:
        return (
            self.as_of,
            self.views,
            self.reach,
            self.likes,
            self.comments,
            self.shares,
            self.saves,
        )


def latest_stats(
    stats: Iterable[ContentStats], *, as_of: datetime | None = None
) -> dict[str, ContentStats]:
    """The record in force for each content: the latest one, optionally up to ``as_of``.

    Two records for the same content and the same instant are resolved by
    their figures (the larger views, then reach, likes, comments, shares,
    saves), so the result never depends on the order of the input.

    Args:
        stats: Records for any number of contents, in any order.
        as_of: If given, records taken after this instant are ignored (a
            record taken exactly at ``as_of`` counts).

    Returns:
        A mapping from content id to the record in force.

    Raises:
        NaiveDatetimeError: If ``as_of`` is naive.
    """
    if as_of is not None:
        require_aware(as_of, "as_of")
    result: dict[str, ContentStats] = {}
    for record in stats:
        if as_of is not None and record.as_of > as_of:
            continue
        current = result.get(record.content_id)
        if current is None or record._order() > current._order():
            result[record.content_id] = record
    return result
