"""The front door: one call from a campaign and its events to statements and a report.

:func:`run` checks the events once, attributes the conversions, prices the
statements and builds the blended ROI report, and returns all of it in one
:class:`RunResult` with every problem found on the way. Content statistics go in
once and serve both the commission engine (views for CPM rules) and the report
(views, reach and engagement). The stages are plain functions of data
(:func:`~hybridroi.statements.engine.compute_statements`,
:func:`~hybridroi.report.report.build_report`); :func:`run` only wires them, so
that no caller passes the same data twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from hybridroi.attribution.credits import AttributionResult
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.periods import Period, PeriodKind
from hybridroi.core.problems import Problem
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.policy import AttributionPolicy
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Event
from hybridroi.events.stats import ContentStats, latest_stats
from hybridroi.files.events import LoadedEvents
from hybridroi.ledger.store import Ledger
from hybridroi.report.incrementality import Holdout
from hybridroi.report.report import GrossMargin, Report, build_report
from hybridroi.report.tally import batch_of
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import StatementRun

__all__ = ["RunResult", "run"]


@attrs.frozen(kw_only=True)
class RunResult:
    """Everything one run of a campaign gives: checked events, credits, statements, report.

    Attributes:
        batch: The checked events: valid touches, conversions and refunds, sorted.
        attribution: The credits of each conversion, and the conversions no partner
            earned.
        statements: The priced statements, as the ledger posts them
            (``ledger.post(result.statements)``).
        report: The blended ROI report; its ``problems`` are :attr:`problems`.
        problems: Every problem found, once each, in the order found: in the event
            files (with their file and line), in the events, in the rules and fees,
            in the report's inputs (margins, statistics, exchange rates).
    """

    batch: EventBatch
    attribution: AttributionResult
    statements: StatementRun
    report: Report
    problems: tuple[Problem, ...]

    @property
    def as_of(self) -> datetime:
        """The instant the run was computed as of."""
        return self.statements.as_of


def run(
    campaign: Campaign,
    events: Iterable[Event] | LoadedEvents,
    *,
    as_of: datetime,
    stats: Iterable[ContentStats] = (),
    margin: GrossMargin | Decimal | str | None = None,
    window: Period | tuple[datetime, datetime] | None = None,
    ltv: Money | None = None,
    policy: AttributionPolicy | None = None,
    ledger: Ledger | None = None,
    holdout: Holdout | None = None,
    period: PeriodKind = PeriodKind.MONTH,
) -> RunResult:
    """Compute a campaign's statements and its blended ROI report, in one call.

    The result is a pure function of the arguments: the order of the events never
    matters, and nothing is read from the clock or written anywhere (the ledger, when
    given, is only read).

    ``as_of`` is required because no default would be right. The library never reads
    the clock, so "now" is not one: the same files would give a different report each
    hour. Nor is the campaign's end: for a campaign still running it would count fees
    and retainers that are not yet due. The caller says which instant it means (the
    command line, the edge where the clock may be read, defaults to the campaign's end
    or now, whichever is earlier).

    Args:
        campaign: The campaign.
        events: Touches, conversions and refunds, mixed, in any order; or what
            :func:`~hybridroi.files.events.read_event_files` read from event files or
            :func:`~hybridroi.files.tables.read_event_tables` read from tables, whose
            content statistics are used too and whose problems come with their file
            and line (or table and row).
        as_of: The instant to compute as of (timezone-aware): events after it do not
            count, and statements and the report are as of it.
        stats: Content statistics (cumulative views, reach, engagement), added to
            those read with ``events``. The latest record of each content at
            ``as_of`` gives the views that CPM rules price (a CPM rule that accrues by
            period reads the growth of the views over each period), and the report reads
            views, reach and engagement from all of them.
        margin: Gross margin: a :class:`~hybridroi.report.report.GrossMargin`, or one
            rate for the whole campaign such as ``"0.7"``. Without one, gross profit
            and ROI are undefined (the revenue-based figures remain).
        window: Only figures whose instant is in ``[start, end)`` count in the
            report; ``None`` counts everything up to ``as_of``.
        ltv: Lifetime gross profit of one new customer, in the campaign's currency,
            for the LTV ROI.
        policy: The attribution policy; the campaign's own when None.
        ledger: The campaign's ledger, posted from this run or the runs before it:
            the report then counts partner pay as the ledger booked it (a waived
            clawback stays a cost). It is read, never written.
        holdout: A holdout test, for incrementality.
        period: The calendar period of the report's period breakdown.

    Returns:
        The checked events, the attribution, the statements, the report and every
        problem, once each.

    Raises:
        NaiveDatetimeError: If ``as_of`` has no time zone.
        InvalidTypeError: If ``events`` or ``stats`` is not a collection, or a statistics
            record is not a ``ContentStats`` (an event of the wrong type is a problem).
        InvalidValueError: If the window, margin or LTV is malformed, or the ledger
            belongs to another campaign.

    Example:
        >>> from datetime import datetime, timezone
        >>> from hybridroi.domain.campaign import Campaign
        >>> spring = Campaign(id="spring", name="Spring", currency="EUR",
        ...     timezone="Europe/Paris", start=datetime(2026, 3, 1, tzinfo=timezone.utc),
        ...     end=datetime(2026, 6, 1, tzinfo=timezone.utc))
        >>> result = run(spring, [], as_of=spring.end)
        >>> result.report.total.figures.cost, result.problems
        (Money('0.00', 'EUR'), ())
    """
    loaded: LoadedEvents | None = None
    records: Iterable[Event]
    if isinstance(events, LoadedEvents):
        loaded, records, statistics = events, events.events, (*events.stats, *stats_of(stats))
    else:
        records, statistics = events_of(events), stats_of(stats)
    if ledger is not None and ledger.campaign.id != campaign.id:
        raise InvalidValueError("ledger", ledger.campaign.id, f"the ledger of {campaign.id!r}")
    # One reading of the statistics serves the engine (views for CPM rules) and the report.
    views = {key: record.views for key, record in latest_stats(statistics, as_of=as_of).items()}
    statements = compute_statements(
        campaign, records, as_of=as_of, policy=policy, views=views, stats=statistics
    )
    report = build_report(
        campaign,
        statements,
        stats=statistics,
        margin=margin,
        window=window,
        holdout=holdout,
        ltv=ltv,
        period=period,
        ledger_entries=None if ledger is None else ledger.cost_entries(as_of),
    )
    problems = _problems(report.problems, loaded)
    return RunResult(
        batch=batch_of(statements),
        attribution=statements.attribution,
        statements=statements,
        report=attrs.evolve(report, problems=problems),
        problems=problems,
    )


def events_of(events: object) -> tuple[Event, ...]:
    """The events given to :func:`run`, as a tuple (checked one by one later, by check_events).

    Args:
        events: What the caller gave.

    Returns:
        The events.

    Raises:
        InvalidTypeError: If ``events`` is not a collection.
    """
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidTypeError("events", events, "a collection of Touch, Conversion and Refund")
    return tuple(events)


def stats_of(stats: object) -> tuple[ContentStats, ...]:
    """The content statistics given to :func:`run`, each checked to be a ``ContentStats``.

    Args:
        stats: What the caller gave.

    Returns:
        The statistics.

    Raises:
        InvalidTypeError: If ``stats`` is not a collection of ``ContentStats``.
    """
    if isinstance(stats, str | bytes) or not isinstance(stats, Iterable):
        raise InvalidTypeError("stats", stats, "a collection of ContentStats")
    result = tuple(stats)
    for index, record in enumerate(result):
        if not isinstance(record, ContentStats):
            raise InvalidTypeError(f"stats[{index}]", record, "a ContentStats record")
    return result


def _problems(found: Iterable[Problem], loaded: LoadedEvents | None) -> tuple[Problem, ...]:
    """Every problem once: the files' own first, then the rest located in the files."""
    if loaded is None:
        return tuple(dict.fromkeys(found))
    # The report checks content statistics again, without the file and line: the file's
    # problem, which says where the record is, stands for both.
    from_files = {attrs.evolve(problem, source=None) for problem in loaded.problems}
    rest = loaded.locate(problem for problem in found if problem not in from_files)
    return tuple(dict.fromkeys((*loaded.problems, *rest)))
