"""The ``hybridroi`` command: report, validate and demo.

::

    hybridroi report CAMPAIGN --events FILE... [--format table|json|csv] [--as-of INSTANT]
    hybridroi validate CAMPAIGN --events FILE... [--as-of INSTANT]
    hybridroi demo [--format table|json|csv] [--seed N] [--size N] [--write DIR]

``validate`` runs the intake checks and the statement computation, as
``report`` would, and lists every problem once, one per line; for a campaign
file that cannot be read, every problem with its key path. Both commands, and
``demo``, are one call of :func:`hybridroi.pipeline.run` each.

``validate`` takes the options of ``report`` that can cause problems
(margins, window, LTV) and runs the same computation: it finds every problem
``report`` would. A problem about the campaign file (a fee, a rule, an extra
cost) names the file; one caused by an option names the option.

Exit status: 0 on success; 1 when the input was read but holds problems (the
report is still printed, and ``validate`` lists every problem); 2 when the
input cannot be used at all (a missing or invalid campaign file, an unreadable
event file, a bad option); 70 (``EX_SOFTWARE``) for an internal error of the
library, with a one-line message (the traceback only with ``--debug``). Every
failure ends with one line on stderr saying why. A progress bar is drawn on
stderr while event files are read, only when stderr is a terminal. Everything
printed from the input (names, ids, problems) goes through
:func:`hybridroi.core.text.printable`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, NoReturn

import attrs

from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.money import Money, to_decimal
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem
from hybridroi.core.text import printable
from hybridroi.demo.cosmetics import DEMO_SEED, DEMO_SIZE, demo_data
from hybridroi.domain.campaign import Campaign
from hybridroi.events.records import Event
from hybridroi.events.stats import ContentStats
from hybridroi.files.campaign import campaign_to_json, load_campaign
from hybridroi.files.events import LoadedEvents, format_events, read_event_files
from hybridroi.pipeline import RunResult, run
from hybridroi.report.render import report_to_csv, report_to_dict, report_to_table
from hybridroi.report.report import GrossMargin, Report
from hybridroi.serialization import DocumentError

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2
EXIT_INTERNAL = 70
"""``EX_SOFTWARE`` of sysexits.h: a defect of the library, not of the input."""

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
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an internal error"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def debug_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the traceback of an internal error",
        )

    def report_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--as-of",
            type=_instant,
            help="compute as of this instant "
            "(default: the campaign's end, or now if it has not ended)",
        )
        command.add_argument(
            "--margin", type=_rate, help="gross margin of the campaign, such as 0.7"
        )
        command.add_argument(
            "--category-margin",
            type=_category_rate,
            action="append",
            default=[],
            metavar="CATEGORY=RATE",
            help="gross margin of a product category (repeatable)",
        )
        command.add_argument(
            "--from", dest="start", type=_instant, help="start of the report window"
        )
        command.add_argument("--to", dest="end", type=_instant, help="end of the report window")
        command.add_argument(
            "--ltv", type=_amount, help="lifetime gross profit of one new customer, for LTV ROI"
        )
        debug_option(command)

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
    report_options(report)

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
    report_options(validate)

    demo = commands.add_parser(
        "demo",
        help="run the report on the bundled example",
        description="Generate the bundled example (a French cosmetics brand's hybrid "
        "campaign, about 50,000 events from a fixed seed) and print its report.",
    )
    output_options(demo)
    debug_option(demo)
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


@attrs.frozen(kw_only=True)
class _Options:
    """The report's options, read from the command line."""

    as_of: datetime
    margin: GrossMargin | None
    window: tuple[datetime, datetime] | None
    ltv: Money | None
    period: PeriodKind


def _options(args: argparse.Namespace, campaign: Campaign) -> _Options:
    """The report's options from the command line, checked against the campaign."""
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
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    return _Options(
        as_of=args.as_of or _default_as_of(campaign),
        margin=margin,
        window=window,
        ltv=ltv,
        period=_PERIODS[getattr(args, "period", "month")],
    )


# Subjects of problems about objects of the campaign file (not about events).
_CAMPAIGN_SUBJECTS = (
    "campaign:",
    "content:",
    "deal:",
    "extra_cost:",
    "fee:",
    "line:",
    "partner:",
    "statement:",
)


def _locate(problems: Sequence[Problem], args: argparse.Namespace) -> tuple[Problem, ...]:
    """Name where each problem without a source comes from: the campaign file or an option."""
    margin_option = "--category-margin" if args.category_margin else "--margin"

    def source(problem: Problem) -> str | None:
        if problem.source is not None:
            return problem.source
        if problem.subject.startswith(_CAMPAIGN_SUBJECTS):
            return str(args.campaign)
        return margin_option if problem.subject == "margin" else None

    return tuple(attrs.evolve(problem, source=source(problem)) for problem in problems)


def _check(args: argparse.Namespace, campaign: Campaign, loaded: LoadedEvents) -> RunResult:
    """The run of the files, with every problem located in the files or the options.

    ``report`` and ``validate`` both run this, so ``validate`` finds every problem
    ``report`` would.
    """
    options = _options(args, campaign)
    try:
        result = run(
            campaign,
            loaded,
            as_of=options.as_of,
            margin=options.margin,
            window=options.window,
            ltv=options.ltv,
            period=options.period,
        )
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    problems = _locate(result.problems, args)
    return attrs.evolve(
        result, report=attrs.evolve(result.report, problems=problems), problems=problems
    )


def _report(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign)
    loaded = _read(args.events, stderr)
    report = _check(args, campaign, loaded).report
    stdout.write(_render(report, args.format))
    if report.problems:
        first = printable(str(report.problems[0]))
        stderr.write(
            f"hybridroi: {len(report.problems)} problem(s) in the input, first: {first}; "
            "run hybridroi validate for the list\n"
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def _validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign, listing=stdout)
    loaded = _read(args.events, stderr) if args.events else LoadedEvents()
    result = _check(args, campaign, loaded)
    problems, batch = result.problems, result.batch
    for problem in problems:
        stdout.write(f"{printable(str(problem))}\n")
    summary = printable(
        f"{campaign.id}: {len(campaign.partners)} partners; {loaded.rows} rows read: "
        f"{len(batch.touches)} touches, {len(batch.conversions)} conversions, "
        f"{len(batch.refunds)} refunds, {len(loaded.stats)} statistics; "
        f"{len(result.statements.statements)} statements as of {result.as_of.isoformat()}"
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
            records: list[Event | ContentStats] = [
                *data.events,
                *data.stats,
            ]
            (folder / "events.csv").write_text(format_events(records, format="csv"), "utf-8")
        except OSError as error:
            raise _UnusableInputError(f"cannot write to {folder}: {error.strerror}") from None
        stderr.write(f"wrote {folder / 'campaign.json'} and {folder / 'events.csv'}\n")
    report = run(
        data.campaign,
        data.events,
        as_of=data.as_of,
        stats=data.stats,
        margin=data.margin,
        period=_PERIODS[args.period],
    ).report
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
        The exit status: 0 success, 1 input with problems, 2 unusable input or a
        usage error, 70 an internal error (a defect of the library).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            # --help writes to the caller's stdout, not the process's.
            with contextlib.redirect_stdout(out):
                args = _parser().parse_args(arguments)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        return _COMMANDS[args.command](args, out, err)
    except _UnusableInputError as error:
        err.write(f"hybridroi: error: {printable(str(error))}\n")
        return EXIT_UNUSABLE
    except HybridRoiError as error:
        # A library error is about the input it was given; its first line says why.
        lines = str(error).strip().splitlines() or [type(error).__name__]
        err.write(f"hybridroi: error: {printable(lines[0])}\n")
        return EXIT_UNUSABLE
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        err.write(f"hybridroi: error: {printable(where + (error.strerror or str(error)))}\n")
        return EXIT_UNUSABLE
    except Exception as error:
        if "--debug" in arguments:
            traceback.print_exc(file=err)
        message = printable(f"{type(error).__name__}: {error}".splitlines()[0][:300])
        err.write(
            f"hybridroi: internal error ({message}); this is a defect of hybridroi, "
            "please report it (run with --debug for the traceback)\n"
        )
        return EXIT_INTERNAL
