"""The ``hybridroi`` command: report, validate and demo.

::

    hybridroi report CAMPAIGN --events FILE... [--format table|json|csv] [--as-of INSTANT]
    hybridroi validate CAMPAIGN --events FILE... [--as-of INSTANT]
    hybridroi demo [--format table|json|csv] [--seed N] [--size N] [--write DIR]

``validate`` runs the intake checks and the statement computation, as
``report`` would, and lists every problem once, one per line; for a campaign
file that cannot be read, every problem with its key path.

Exit status: 0 on success; 1 when the input was read but holds problems (the
report is still printed, and ``validate`` lists every problem); 2 when the
input cannot be used at all (a missing or invalid campaign file, an unreadable
event file, a bad option). Every failure ends with one line on stderr saying
why. A progress bar is drawn on stderr while event files are read, only when
stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, NoReturn

import attrs

from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.money import Money, to_decimal
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.demo.cosmetics import DEMO_SEED, DEMO_SIZE, demo_data
from hybridroi.domain.campaign import Campaign
from hybridroi.events.intake import check_events
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.events.stats import ContentStats, latest_stats
from hybridroi.files.campaign import campaign_to_json, load_campaign
from hybridroi.files.events import LoadedEvents, format_events, read_event_files
from hybridroi.report.render import report_to_csv, report_to_dict, report_to_table
from hybridroi.report.report import GrossMargin, Report, build_report
from hybridroi.serialization import DocumentError
from hybridroi.statements.engine import compute_statements
from hybridroi.statements.lines import StatementRun

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2

_PERIODS = {kind.value: kind for kind in PeriodKind}


class _UnusableInputError(Exception):
    """Input that cannot be used at all; the message is the one-line reason."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, reported by :func:`main`."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage and exiting."""
        raise _UnusableInputError(f"{message} (see {self.prog} --help)")


class ProgressBar:
    """A one-line progress bar on a terminal stream, redrawn in place.

    Args:
        stream: Where to draw (stderr).
        label: What is in progress.
        width: Width of the bar in characters.
    """

    def __init__(self, stream: IO[str], label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar for ``done`` out of ``total`` bytes."""
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%} of {total / 1e6:.1f} MB")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 instant such as 2026-06-01T00:00:00+02:00, got {text!r}"
        ) from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"expected an instant with its offset (such as +02:00 or Z), got {text!r}"
        )
    return value


def _rate(text: str) -> Decimal:
    try:
        return to_decimal(text, "margin")
    except (InvalidValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.7, got {text!r}") from None


def _amount(text: str) -> Decimal:
    try:
        value = to_decimal(text, "ltv")
    except (InvalidValueError, TypeError):
        value = Decimal(-1)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an amount such as 120.00, >= 0, got {text!r}")
    return value


def _category_rate(text: str) -> tuple[str, Decimal]:
    category, _, rate = text.partition("=")
    if not category or not rate:
        raise argparse.ArgumentTypeError(
            f"expected CATEGORY=RATE such as skincare=0.78, got {text!r}"
        )
    return category.strip(), _rate(rate)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hybridroi",
        description="Blended ROI of influencer and affiliate campaigns: fixed fees and "
        "commissions against attributed revenue and gross profit.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def output_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--format",
            choices=("table", "json", "csv"),
            default="table",
            help="table (for people, the default), json or csv",
        )
        command.add_argument(
            "--period",
            choices=sorted(_PERIODS),
            default="month",
            help="the calendar period of the period breakdown (default: month)",
        )

    report = commands.add_parser(
        "report",
        help="the blended ROI report of a campaign",
        description="Compute the "
        "statements of a campaign from its events and report cost, revenue, profit and KPIs.",
    )
    report.add_argument("campaign", metavar="CAMPAIGN", help="campaign file (.toml or .json)")
    report.add_argument(
        "--events", nargs="+", required=True, metavar="FILE", help="event files (.csv, .jsonl)"
    )
    output_options(report)
    report.add_argument(
        "--as-of",
        type=_instant,
        help="compute as of this instant (default: the campaign's end, or now if it has not ended)",
    )
    report.add_argument("--margin", type=_rate, help="gross margin of the campaign, such as 0.7")
    report.add_argument(
        "--category-margin",
        type=_category_rate,
        action="append",
        default=[],
        metavar="CATEGORY=RATE",
        help="gross margin of a product category (repeatable)",
    )
    report.add_argument("--from", dest="start", type=_instant, help="start of the report window")
    report.add_argument("--to", dest="end", type=_instant, help="end of the report window")
    report.add_argument(
        "--ltv", type=_amount, help="lifetime gross profit of one new customer, for LTV ROI"
    )

    validate = commands.add_parser(
        "validate",
        help="check a campaign file and event files",
        description="Read a campaign file and event files, compute the statements as "
        "report would, and list every problem.",
    )
    validate.add_argument("campaign", metavar="CAMPAIGN", help="campaign file (.toml or .json)")
    validate.add_argument(
        "--events", nargs="+", default=[], metavar="FILE", help="event files (.csv, .jsonl)"
    )
    validate.add_argument(
        "--as-of",
        type=_instant,
        help="compute the statements as of this instant (default: as for report)",
    )

    demo = commands.add_parser(
        "demo",
        help="run the report on the bundled example",
        description="Generate the bundled example (a French cosmetics brand's hybrid "
        "campaign, about 50,000 events from a fixed seed) and print its report.",
    )
    output_options(demo)
    demo.add_argument("--seed", type=int, default=None, help="seed of the generated events")
    demo.add_argument("--size", type=int, default=None, help="about how many events")
    demo.add_argument(
        "--write",
        type=Path,
        metavar="DIR",
        help="also write campaign.json and events.csv to DIR, for hybridroi report",
    )
    return parser


def _load(path: str, listing: IO[str] | None = None) -> Campaign:
    """Read the campaign file, or fail with its first problem in one line.

    With ``listing``, every problem of the file is written there first, one per
    line with the file and the key path, for ``validate``.
    """
    try:
        return load_campaign(path)
    except DocumentError as error:
        source = error.source or path
        problems = error.problems or ["not a usable campaign file"]
        if listing is not None:
            for problem in problems:
                listing.write(f"{source}: {problem}\n")
            raise _UnusableInputError(
                f"{source}: {len(problems)} problem(s) in the campaign file, listed above; "
                "the event files were not checked"
            ) from None
        more = (
            f" (and {len(problems) - 1} more; run hybridroi validate for the list)"
            if len(problems) > 1
            else ""
        )
        raise _UnusableInputError(f"{source}: {problems[0]}{more}") from None
    except HybridRoiError as error:
        raise _UnusableInputError(str(error).strip().splitlines()[0]) from None


def _read(paths: Sequence[str], stderr: IO[str]) -> LoadedEvents:
    bar = ProgressBar(stderr, "reading events") if stderr.isatty() else None
    try:
        return read_event_files(paths, progress=bar)
    except HybridRoiError as error:
        raise _UnusableInputError(str(error)) from None
    finally:
        if bar is not None:
            bar.close()


def _default_as_of(campaign: Campaign) -> datetime:
    # The command is the edge where reading the clock is allowed; the library never does.
    now = datetime.now(UTC)
    return campaign.end if now >= campaign.end else now


def _render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return report_to_csv(report)
    return report_to_table(report)


def _statements(
    campaign: Campaign,
    events: Sequence[Touch | Conversion | Refund],
    stats: Sequence[ContentStats],
    *,
    as_of: datetime,
) -> StatementRun:
    views = {key: record.views for key, record in latest_stats(stats, as_of=as_of).items()}
    return compute_statements(campaign, events, as_of=as_of, views=views)


def _run_report(
    campaign: Campaign,
    events: Sequence[Touch | Conversion | Refund],
    stats: Sequence[ContentStats],
    *,
    as_of: datetime,
    margin: GrossMargin | None,
    window: tuple[datetime, datetime] | None,
    ltv: Money | None,
    period: PeriodKind,
) -> Report:
    run = _statements(campaign, events, stats, as_of=as_of)
    return build_report(
        campaign,
        run,
        events=events,
        stats=stats,
        margin=margin,
        window=window,
        ltv=ltv,
        period=period,
    )


def _report(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign)
    loaded = _read(args.events, stderr)
    margin = None
    if args.margin is not None or args.category_margin:
        try:
            margin = GrossMargin(campaign=args.margin, by_category=dict(args.category_margin))
        except InvalidValueError as error:
            raise _UnusableInputError(str(error)) from None
    window = None
    if args.start is not None or args.end is not None:
        window = (args.start or campaign.start, args.end or campaign.end)
    try:
        ltv = None if args.ltv is None else Money(args.ltv, campaign.currency)
        report = _run_report(
            campaign,
            loaded.events,
            loaded.stats,
            as_of=args.as_of or _default_as_of(campaign),
            margin=margin,
            window=window,
            ltv=ltv,
            period=_PERIODS[args.period],
        )
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    report = _with_file_problems(report, loaded.problems)
    stdout.write(_render(report, args.format))
    if report.problems:
        first = report.problems[0]
        stderr.write(
            f"hybridroi: {len(report.problems)} problem(s) in the input, first: {first}; "
            "run hybridroi validate for the list\n"
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def _with_file_problems(report: Report, problems: Sequence[Problem]) -> Report:
    if not problems:
        return report
    # The report checks content statistics again, without the file and line: keep the
    # file's problem, which says where the record is.
    located = {attrs.evolve(problem, source=None) for problem in problems}
    rest = tuple(problem for problem in report.problems if problem not in located)
    return attrs.evolve(report, problems=(*problems, *rest))


def _validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign, listing=stdout)
    loaded = _read(args.events, stderr) if args.events else LoadedEvents()
    batch = check_events(campaign, loaded.events)
    try:
        run = _statements(
            campaign, loaded.events, loaded.stats, as_of=args.as_of or _default_as_of(campaign)
        )
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    known = {content.id for content in campaign.contents}
    problems = [*loaded.problems, *batch.problems, *run.problems]
    problems += [
        Problem(
            kind=ProblemKind.UNKNOWN_CONTENT,
            subject=f"stats:{record.content_id}",
            message="statistics for content that is not in the campaign",
            field="content_id",
        )
        for record in loaded.stats
        if record.content_id not in known
    ]
    # The statement run checks the events again: each problem is listed once.
    problems = list(dict.fromkeys(problems))
    for problem in problems:
        stdout.write(f"{problem}\n")
    summary = (
        f"{campaign.id}: {len(campaign.partners)} partners; {loaded.rows} rows read: "
        f"{len(batch.touches)} touches, {len(batch.conversions)} conversions, "
        f"{len(batch.refunds)} refunds, {len(loaded.stats)} statistics; "
        f"{len(run.statements)} statements as of {run.as_of.isoformat()}"
    )
    if problems:
        stderr.write(f"hybridroi: {len(problems)} problem(s) found; {summary}\n")
        return EXIT_PROBLEMS
    stdout.write(f"ok: {summary}\n")
    return EXIT_OK


def _demo(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    try:
        data = demo_data(
            seed=DEMO_SEED if args.seed is None else args.seed,
            size=DEMO_SIZE if args.size is None else args.size,
        )
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    if args.write is not None:
        folder: Path = args.write
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "campaign.json").write_text(
                campaign_to_json(data.campaign) + "\n", encoding="utf-8"
            )
            records: list[Touch | Conversion | Refund | ContentStats] = [
                *data.events,
                *data.stats,
            ]
            (folder / "events.csv").write_text(format_events(records, format="csv"), "utf-8")
        except OSError as error:
            raise _UnusableInputError(f"cannot write to {folder}: {error.strerror}") from None
        stderr.write(f"wrote {folder / 'campaign.json'} and {folder / 'events.csv'}\n")
    report = _run_report(
        data.campaign,
        data.events,
        data.stats,
        as_of=data.as_of,
        margin=data.margin,
        window=None,
        ltv=None,
        period=_PERIODS[args.period],
    )
    stdout.write(_render(report, args.format))
    return EXIT_OK if not report.problems else EXIT_PROBLEMS


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str], IO[str]], int]] = {
    "report": _report,
    "validate": _validate,
    "demo": _demo,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the ``hybridroi`` command.

    Args:
        argv: The arguments after the program name (``sys.argv[1:]`` when None).
        stdout: Where results go (``sys.stdout`` when None).
        stderr: Where progress and errors go (``sys.stderr`` when None).

    Returns:
        The exit status: 0 success, 1 input with problems, 2 unusable input.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        return _COMMANDS[args.command](args, out, err)
    except _UnusableInputError as error:
        err.write(f"hybridroi: error: {error}\n")
        return EXIT_UNUSABLE
