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

Cumulative figures never fall, and one content has one set of figures at one
instant. :func:`check_stats` reports records that break either rule as
:class:`~hybridroi.core.problems.Problem` records (the records are kept: the
figures are the platform's, and only the source can correct them):

>>> fallen = ContentStats(content_id="V-1", as_of=datetime(2026, 3, 9, tzinfo=timezone.utc),
...                       views=4000, likes=180, comments=20)
>>> for problem in check_stats([first, later, fallen]):
...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
invalid stats:V-1 [views]: cumulative figures fell as of 2026-03-09T00:00:00+00:00:
    views 4000 < 5000 as of 2026-03-08T00:00:00+00:00; a cumulative figure never falls
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from hybridroi.core.checks import aware, identifier, non_negative_int
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware

__all__ = ["FIGURES", "ContentStats", "check_stats", "latest_stats"]

FIGURES = ("views", "reach", "likes", "comments", "shares", "saves")
"""The cumulative figures of a :class:`ContentStats` record, in the order they are compared."""


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


def _figures(record: ContentStats) -> tuple[int, ...]:
    return tuple(getattr(record, name) for name in FIGURES)


def check_stats(
    stats: Iterable[ContentStats], *, sources: Sequence[str | None] | None = None
) -> tuple[Problem, ...]:
    """Problems in content statistics that cumulative figures cannot have.

    Two things are reported, one :class:`Problem` per offending record:

    * a figure that falls: a record whose views (or reach, likes, comments,
      shares, saves) are below those of an earlier record of the same content;
    * two records of the same content at the same instant with different
      figures (exact repeats are not a problem).

    The result does not depend on the order of the records (apart from the
    sources named, which follow the records).

    Args:
        stats: Records for any number of contents, in any order.
        sources: Where each record came from (``"stats.csv:12"``), in the same
            order as ``stats``, to name in the problems.

    Returns:
        The problems, by content id, then instant.

    Raises:
        InvalidValueError: If ``sources`` is given with a different length.
    """
    records = list(stats)
    if sources is not None and len(sources) != len(records):
        raise InvalidValueError("sources", len(sources), f"one source per record ({len(records)})")
    by_content: dict[str, list[tuple[ContentStats, str | None]]] = defaultdict(list)
    for index, record in enumerate(records):
        by_content[record.content_id].append((record, None if sources is None else sources[index]))
    problems: list[Problem] = []
    for content_id in sorted(by_content):
        ordered = sorted(by_content[content_id], key=lambda pair: (pair[0]._order(), pair[1] or ""))
        highest: list[tuple[int, datetime]] = [(0, ordered[0][0].as_of)] * len(FIGURES)
        previous: ContentStats | None = None
        for record, source in ordered:
            figures = _figures(record)
            if previous is not None and previous.as_of == record.as_of:
                if _figures(previous) != figures:
                    problems.append(_conflict(record, previous, source))
            else:
                fallen = [
                    (name, value, high, when)
                    for name, value, (high, when) in zip(FIGURES, figures, highest, strict=True)
                    if value < high
                ]
                if fallen:
                    problems.append(_fall(record, fallen, source))
            highest = [
                (value, record.as_of) if value > high else (high, when)
                for value, (high, when) in zip(figures, highest, strict=True)
            ]
            previous = record
    return tuple(problems)


def _conflict(record: ContentStats, other: ContentStats, source: str | None) -> Problem:
    differ = [
        f"{name} {getattr(other, name)} vs {getattr(record, name)}"
        for name in FIGURES
        if getattr(other, name) != getattr(record, name)
    ]
    return Problem(
        kind=ProblemKind.INVALID,
        subject=f"stats:{record.content_id}",
        field=next(name for name in FIGURES if getattr(other, name) != getattr(record, name)),
        message=(
            f"two records as of {record.as_of.isoformat()} with different figures: "
            f"{', '.join(differ)}; the larger figures are used"
        ),
        source=source,
    )


def _fall(
    record: ContentStats, fallen: list[tuple[str, int, int, datetime]], source: str | None
) -> Problem:
    listing = "; ".join(
        f"{name} {value} < {high} as of {when.isoformat()}" for name, value, high, when in fallen
    )
    return Problem(
        kind=ProblemKind.INVALID,
        subject=f"stats:{record.content_id}",
        field=fallen[0][0],
        message=(
            f"cumulative figures fell as of {record.as_of.isoformat()}: {listing}; "
            "a cumulative figure never falls"
        ),
        source=source,
    )
