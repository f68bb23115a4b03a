"""What was read from event files, and where each record came from."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

import attrs

from hybridroi.core.problems import Problem
from hybridroi.events.columns import TouchColumns
from hybridroi.events.intake import EventParts
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.events.stats import ContentStats

__all__ = ["RECORD_NOUNS", "LoadedEvents", "Origins", "Places"]

RECORD_NOUNS = ("touch", "conversion", "refund", "stats")
"""The kinds of record whose places are kept, as problems name them in their subject."""
_SHOWN_SOURCES = 5


class Places:
    """Where each record of one kind was read: file index and line, in record order."""

    def __init__(self) -> None:
        self.files = array("I")
        self.lines = array("I")

    def add(self, file: int, line: int) -> None:
        """Note that the next record of this kind was read at ``line`` of file ``file``."""
        self.files.append(file)
        self.lines.append(line)


@attrs.frozen(kw_only=True)
class Origins:
    """The files read and where each record came from, to locate later problems."""

    files: tuple[str, ...] = ()
    places: dict[str, Places] = attrs.field(factory=dict)


def _ids(noun: str, records: Sequence[Any]) -> Iterable[str]:
    """The ids of records read here, by which problems name them, in record order."""
    if isinstance(records, TouchColumns):
        return records.ids
    key = "content_id" if noun == "stats" else "id"
    return map(attrgetter(key), records)


def _joined(places: list[str]) -> str:
    distinct = list(dict.fromkeys(places))
    shown = ", ".join(distinct[:_SHOWN_SOURCES])
    more = len(distinct) - _SHOWN_SOURCES
    return shown if more <= 0 else f"{shown} and {more} more"


@attrs.frozen(kw_only=True)
class LoadedEvents:
    """What was read from event files.

    Attributes:
        touches: Touches, in file order. Read from one table whose every row was clean,
            they are a :class:`~hybridroi.events.columns.TouchColumns`: the touches in
            columns, each record built when it is read.
        conversions: Sales and leads with their line items, in file order.
        refunds: Refunds, in file order.
        stats: Content statistics, in file order.
        problems: One record per problem found, with file, line and field.
        rows: Number of records read (good and bad).
    """

    touches: Sequence[Touch] = ()
    conversions: tuple[Conversion, ...] = ()
    refunds: tuple[Refund, ...] = ()
    stats: tuple[ContentStats, ...] = ()
    problems: tuple[Problem, ...] = ()
    rows: int = 0
    _origins: Origins = attrs.field(factory=Origins, repr=False, eq=False)

    @property
    def events(self) -> EventParts:
        """Touches, conversions and refunds together, as the engine takes them.

        A sequence of the events (touches, then conversions, then refunds) that keeps
        them by type, so that checking them needs no pass to sort them out and touches
        kept in columns stay in columns; it equals the tuple of the same events.
        """
        return EventParts(self.touches, self.conversions, self.refunds)

    def locate(self, problems: Iterable[Problem]) -> tuple[Problem, ...]:
        """Give each problem about a record read here the file and line it came from.

        Problems found later about these records (by
        :func:`~hybridroi.events.intake.check_events`, which takes this method as its
        ``locate`` argument, or by the statement run) name the record by its subject
        (``"conversion:S-1"``) but not its line. A record read from several places (a
        repeated id) is located at each of them: ``"week1.csv:2, week2.jsonl:1"``.

        Args:
            problems: Any problems; those that already have a source, or whose subject
                is not a touch, conversion, refund or statistics record read here, are
                kept as they are.

        Returns:
            The problems, in the same order, located where possible.
        """
        problems = tuple(problems)
        wanted: dict[str, set[str]] = {}
        for problem in problems:
            noun, _, ident = problem.subject.partition(":")
            if problem.source is None and noun in self._origins.places:
                wanted.setdefault(noun, set()).add(ident)
        if not wanted:
            return problems
        found: dict[str, list[str]] = {}
        files = self._origins.files
        records: dict[str, Sequence[Any]] = {
            "touch": self.touches,
            "conversion": self.conversions,
            "refund": self.refunds,
            "stats": self.stats,
        }
        for noun, ids in wanted.items():
            places = self._origins.places[noun]
            if len(places.lines) != len(records[noun]):
                continue  # records changed after reading: their places are unknown
            for index, ident in enumerate(_ids(noun, records[noun])):
                if ident in ids:
                    where = f"{files[places.files[index]]}:{places.lines[index]}"
                    found.setdefault(f"{noun}:{ident}", []).append(where)
        return tuple(
            attrs.evolve(problem, source=_joined(found[problem.subject]))
            if problem.source is None and problem.subject in found
            else problem
            for problem in problems
        )
