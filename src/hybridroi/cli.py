"""The ``hybridroi`` command: report, validate, demo, and the ledger commands.

::

    hybridroi report CAMPAIGN --events FILE... [--format table|json|csv] [--as-of INSTANT]
    hybridroi validate CAMPAIGN --events FILE... [--as-of INSTANT]
    hybridroi demo [--format table|json|csv] [--seed N] [--size N] [--write DIR]
    hybridroi post CAMPAIGN --ledger PATH --events FILE... [--as-of INSTANT] [--at INSTANT]
    hybridroi statements CAMPAIGN --ledger PATH [--partner ID] [--at INSTANT]
    hybridroi adjust CAMPAIGN --ledger PATH --partner ID --amount AMOUNT --kind KIND --reason TEXT
    hybridroi hold CAMPAIGN --ledger PATH TARGET... --reason TEXT [--release|--extend D|...]
    hybridroi payouts CAMPAIGN --ledger PATH [--run|--mark-paid B|--void B|--failed B|--file F]
    hybridroi export CAMPAIGN --ledger PATH --what entries|statements|batches|audit

The ledger commands open the SQLite ledger file ``--ledger`` (only ``post``
creates one) with the policies stored in it (``--policies FILE`` for a new
ledger), and record every write with ``--actor`` (default: the login name of the
environment, else ``cli``) at ``--at`` (default: now). Like the clock, the
environment is read here, never by the library.

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
import hashlib
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, NoReturn

import attrs

from hybridroi.core.durations import parse_duration
from hybridroi.core.errors import HybridRoiError, InvalidValueError
from hybridroi.core.money import Money, minor_unit, to_decimal
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem
from hybridroi.core.text import csv_text, escape_cell, printable
from hybridroi.core.timezones import in_range
from hybridroi.demo.cosmetics import DEMO_SEED, DEMO_SIZE, demo_data
from hybridroi.domain.campaign import Campaign
from hybridroi.events.records import Event
from hybridroi.events.stats import ContentStats
from hybridroi.files.campaign import campaign_to_json, load_campaign
from hybridroi.files.events import LoadedEvents, format_events, read_event_files
from hybridroi.ledger import (
    Adjustment,
    AdjustmentKind,
    Balance,
    Decision,
    EntryStatus,
    Ledger,
    LedgerEntry,
    LedgerKey,
    LedgerPolicies,
    LedgerPolicy,
    LockAfterMonthEnd,
    LockAfterSale,
    LockOnDayOfMonth,
    LockRule,
    PartnerStatement,
    PayoutAccount,
    PayoutBatch,
    PayoutRun,
    PayoutSchedule,
    PolicyMismatchError,
    SqliteLedgerStore,
    StaleRunError,
    StatusChange,
    UnknownBatchError,
    export,
    read_payout_accounts,
)
from hybridroi.ledger.export import audit_csv, audit_jsonl
from hybridroi.ledger.periods import statement_kinds, statement_period_label
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
    if not in_range(value):
        raise argparse.ArgumentTypeError(
            f"expected an instant between 1900-01-01T00:00Z and 9000-01-01T00:00Z, got {text!r}"
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
    _ledger_parsers(commands.add_parser, debug_option)
    return parser


_AddParser = Callable[..., argparse.ArgumentParser]


def _ledger_options(
    command: argparse.ArgumentParser,
    debug_option: Callable[[argparse.ArgumentParser], None],
    *,
    writes: bool = True,
) -> None:
    command.add_argument("campaign", metavar="CAMPAIGN", help="campaign file (.toml or .json)")
    command.add_argument("--ledger", required=True, metavar="PATH", help="the ledger file (SQLite)")
    command.add_argument(
        "--policies",
        metavar="FILE",
        help="the ledger's policies as JSON, for a new ledger (default: those stored "
        "with the ledger, or a 30-day lock and no minimum for a new one)",
    )
    if writes:
        command.add_argument(
            "--actor",
            default=_default_actor(),
            metavar="NAME",
            help="who does it, for the audit trail (default: the login name, or cli)",
        )
    debug_option(command)


def _at_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--at", type=_instant, metavar="INSTANT", help=f"{what} (default: now)")


def _format_option(command: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    command.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"{' or '.join(choices)} (default: {choices[0]})",
    )


def _ledger_parsers(
    add: _AddParser, debug_option: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The ledger commands: post, statements, adjust, hold, payouts, export."""
    post = add(
        "post",
        help="post a campaign's statements to its ledger",
        description="Compute the statements from the event files, as report does, and post "
        "the difference with what the ledger holds. Input problems are listed and what "
        "could be computed is posted (status 1).",
    )
    _ledger_options(post, debug_option)
    post.add_argument(
        "--events", nargs="+", required=True, metavar="FILE", help="event files (.csv, .jsonl)"
    )
    post.add_argument(
        "--as-of",
        type=_instant,
        help="compute the statements as of this instant "
        "(default: the campaign's end, or now if it has not ended)",
    )
    _at_option(post, "the posting instant, which decides what is still pending")
    post.add_argument("--reason", metavar="TEXT", help="why, for the audit trail")
    _format_option(post, ("table", "json"))

    statements = add(
        "statements",
        help="partners' balances, or one partner's statement",
        description="Each partner's balance by status; with --partner, the partner's "
        "statement: every entry with its status and explanation.",
    )
    _ledger_options(statements, debug_option, writes=False)
    statements.add_argument("--partner", metavar="ID", help="one partner's statement")
    statements.add_argument(
        "--period", metavar="LABEL", help="one statement period (with --partner)"
    )
    _at_option(statements, "the instant statuses are given at")
    _format_option(statements, ("table", "json", "csv"))

    adjust = add(
        "adjust",
        help="a manual adjustment of a partner's balance",
        description="Record a signed adjustment (bonus, correction, penalty, goodwill): "
        "locked at once, paid at the next payout run, kept by every later posting.",
    )
    _ledger_options(adjust, debug_option)
    adjust.add_argument("--partner", required=True, metavar="ID", help="the partner")
    adjust.add_argument(
        "--amount",
        required=True,
        type=_signed_amount,
        help="signed amount, such as 25.00 (bonus, goodwill) or -12.50 (penalty)",
    )
    adjust.add_argument("--currency", help="its currency (default: the campaign's)")
    adjust.add_argument("--kind", required=True, choices=[kind.value for kind in AdjustmentKind])
    adjust.add_argument("--reason", required=True, metavar="TEXT", help="why (on the statement)")
    _at_option(adjust, "when it is made")
    adjust.add_argument(
        "--period", metavar="LABEL", help="statement period (default: the one holding --at)"
    )
    adjust.add_argument("--id", metavar="ID", help="its id (default: a digest of what it says)")
    _format_option(adjust, ("table", "json"))
    _hold_parser(add, debug_option)
    _payouts_parser(add, debug_option)

    export_ = add(
        "export",
        help="export entries, statements, payout batches or the audit trail",
        description="Write the ledger's entries, partner statements (one row per partner, "
        "statement period and currency), payout batches or audit trail as CSV or JSON Lines.",
    )
    _ledger_options(export_, debug_option, writes=False)
    export_.add_argument("--what", required=True, choices=EXPORTS)
    export_.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export_.add_argument("--output", metavar="FILE", help="write there (default: stdout)")
    export_.add_argument("--partner", metavar="ID", help="one partner only (not for audit)")
    _at_option(export_, "the instant statuses are given at")


def _hold_parser(add: _AddParser, debug_option: Callable[[argparse.ArgumentParser], None]) -> None:
    hold = add(
        "hold",
        help="hold, release, extend, approve or decline transactions",
        description="Decide about transactions: hold (the default), --release, --extend, "
        "--approve or --decline. A target is an entry id (posting-000001:1) or a "
        "transaction written partner/period/line key/currency. Prints each new status "
        "history.",
    )
    _ledger_options(hold, debug_option)
    hold.add_argument("targets", nargs="+", metavar="TARGET", help="entry id or ledger key")
    hold.add_argument("--reason", required=True, metavar="TEXT", help="why")
    _at_option(hold, "when it is decided")
    decision = hold.add_mutually_exclusive_group()
    decision.add_argument("--release", action="store_true", help="release a hold")
    decision.add_argument(
        "--extend",
        type=_duration,
        metavar="DURATION",
        help="move the lock of a pending transaction, such as '1 month'",
    )
    decision.add_argument("--approve", action="store_true", help="lock it now")
    decision.add_argument("--decline", action="store_true", help="never pay it (final)")
    _format_option(hold, ("table", "json"))


def _payouts_parser(
    add: _AddParser, debug_option: Callable[[argparse.ArgumentParser], None]
) -> None:
    payouts = add(
        "payouts",
        help="list, run, mark paid, void or fail payout batches; write payout files",
        description="Without an action, list the payout batches. One action at a time: "
        "--run, --mark-paid BATCH, --void BATCH, --failed BATCH or --file PATH.",
    )
    _ledger_options(payouts, debug_option)
    action = payouts.add_mutually_exclusive_group()
    action.add_argument("--run", action="store_true", help="batch everything locked")
    action.add_argument("--mark-paid", metavar="BATCH", help="record a batch as paid")
    action.add_argument("--void", metavar="BATCH", help="void a batch (the money came back)")
    action.add_argument("--failed", metavar="BATCH", help="mark a batch failed")
    action.add_argument("--file", metavar="PATH", help="write a payout file (- for stdout)")
    _at_option(payouts, "when (for --run with a payout schedule: the last scheduled instant)")
    payouts.add_argument("--reason", metavar="TEXT", help="why (required by --void, --failed)")
    payouts.add_argument("--run-id", metavar="ID", help="id of the payout run (--run)")
    payouts.add_argument("--reference", metavar="REF", help="payment reference (--mark-paid)")
    payouts.add_argument("--method", metavar="METHOD", help="payment method (--mark-paid)")
    payouts.add_argument(
        "--payout-run", metavar="RUN", help="the payout run (--file: default the latest)"
    )
    payouts.add_argument("--file-format", choices=("csv", "sepa"), help="csv (default) or sepa")
    payouts.add_argument(
        "--accounts", metavar="CSV", help="partners' accounts: partner_id,name,iban,bic"
    )
    payouts.add_argument("--debtor-name", metavar="NAME", help="account holder paying (SEPA)")
    payouts.add_argument("--debtor-iban", metavar="IBAN", help="IBAN paid from (SEPA)")
    payouts.add_argument("--debtor-bic", metavar="BIC", help="BIC paid from (SEPA)")
    payouts.add_argument(
        "--execution-date", type=_local_date, metavar="DATE", help="requested date (SEPA)"
    )
    _format_option(payouts, ("table", "json", "csv"))


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


def _default_as_of(campaign: Campaign, now: datetime | None = None) -> datetime:
    # The command is the edge where reading the clock is allowed; the library never does.
    now = datetime.now(UTC) if now is None else now
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
    margin_option = "--category-margin" if getattr(args, "category_margin", ()) else "--margin"

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


# --- the ledger commands ----------------------------------------------------------------


def _now() -> datetime:
    # The command is the edge where reading the clock is allowed; the library never does.
    return datetime.now(UTC)


def _default_actor() -> str:
    """Who runs a ledger command: the login name of the environment, else ``"cli"``.

    Like the clock, the environment is read here, at the edge, never by the library.
    """
    for name in ("LOGNAME", "USER", "USERNAME"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return "cli"


_MINOR_BOUND = 2**63
"""A ledger stores amounts as signed 64-bit minor units (SQLite's INTEGER)."""


def _amount_bound(exponent: int) -> str:
    """The largest amount whose minor units (``exponent`` digits) fit in 63 bits."""
    return str(Decimal(_MINOR_BOUND - 1).scaleb(-exponent))


def _signed_amount(text: str) -> Decimal:
    try:
        value = to_decimal(text, "amount")
    except (InvalidValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"expected a signed amount such as 25.00 or -12.50, got {text!r}"
        ) from None
    # The currency is not known yet: the loosest bound (no minor digits) here, the
    # currency's own in the command.
    if abs(value) >= _MINOR_BOUND:
        raise argparse.ArgumentTypeError(
            f"expected an amount of at most {_amount_bound(0)} in absolute value, got {text!r}"
        )
    return value


def _duration(text: str) -> str:
    try:
        parse_duration(text, "--extend")
    except InvalidValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as '1 month' or '14 days', got {text!r}"
        ) from None
    return text


def _local_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-04-15, got {text!r}"
        ) from None


_POLICY_KEYS = {"lock", "minimum_payouts", "claw_back_paid"}


def _policy(data: object, where: str) -> LedgerPolicy:
    """A ledger policy from the plain data of :meth:`LedgerPolicy.plain`; missing keys default."""
    if not isinstance(data, dict):
        raise InvalidValueError(where, data, "an object with lock, minimum_payouts, claw_back_paid")
    unknown = sorted(set(data) - _POLICY_KEYS)
    if unknown:
        raise InvalidValueError(f"{where}.{unknown[0]}", data[unknown[0]], "no such key")
    lock_data = data.get("lock", {"rule": "after_sale", "after": "30 days"})
    if not isinstance(lock_data, dict):
        raise InvalidValueError(f"{where}.lock", lock_data, "an object with a rule")
    lock: LockRule
    rule = lock_data.get("rule")
    fields = {key: value for key, value in lock_data.items() if key != "rule"}
    if rule == "after_sale" and set(fields) <= {"after"}:
        lock = LockAfterSale(after=fields.get("after", "30 days"))
    elif rule == "after_month_end" and set(fields) <= {"months", "days"}:
        lock = LockAfterMonthEnd(months=fields.get("months", 0), days=fields.get("days", 0))
    elif rule == "day_of_month" and set(fields) <= {"day", "months_after"}:
        lock = LockOnDayOfMonth(
            day=fields.get("day", 0), months_after=fields.get("months_after", 1)
        )
    else:
        raise InvalidValueError(
            f"{where}.lock",
            lock_data,
            "after_sale (after), after_month_end (months, days) or day_of_month "
            "(day, months_after)",
        )
    minimums = data.get("minimum_payouts", [])
    if not isinstance(minimums, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in minimums
    ):
        raise InvalidValueError(
            f"{where}.minimum_payouts",
            minimums,
            'a list of [currency, amount], e.g. [["EUR", "50.00"]]',
        )
    claw_back_paid = data.get("claw_back_paid", True)
    return LedgerPolicy(
        lock=lock,
        minimum_payouts=tuple(Money(amount, currency) for currency, amount in minimums),
        claw_back_paid=claw_back_paid,
    )


def _policies_from_text(text: str, source: str) -> LedgerPolicies:
    """Ledger policies from JSON text in the shape of :meth:`LedgerPolicies.text`.

    ``default``, ``by_partner`` and ``schedule`` may each be left out; a key
    not known is refused. A partner's policy takes what it leaves out from
    ``default``.
    """
    try:
        data = json.loads(text)
    except ValueError as error:
        raise _UnusableInputError(f"{source}: not JSON ({error})") from None
    except RecursionError:
        raise _UnusableInputError(f"{source}: not JSON (nested too deeply)") from None
    try:
        if not isinstance(data, dict):
            raise InvalidValueError("policies", data, "an object: default, by_partner, schedule")
        unknown = sorted(set(data) - {"default", "by_partner", "schedule"})
        if unknown:
            raise InvalidValueError(unknown[0], data[unknown[0]], "no such key")
        by_partner = data.get("by_partner", {})
        if not isinstance(by_partner, dict):
            raise InvalidValueError("by_partner", by_partner, "an object of partner id to policy")
        schedule = data.get("schedule")
        if schedule is not None and (not isinstance(schedule, dict) or set(schedule) != {"day"}):
            raise InvalidValueError("schedule", schedule, 'null or {"day": 15}')
        default = data.get("default", {})
        return LedgerPolicies(
            default=_policy(default, "default"),
            by_partner={
                partner_id: _policy(
                    {**default, **policy} if isinstance(policy, dict) else policy,
                    f"by_partner.{partner_id}",
                )
                for partner_id, policy in by_partner.items()
            },
            schedule=None if schedule is None else PayoutSchedule(day=schedule["day"]),
        )
    except (InvalidValueError, TypeError) as error:
        raise _UnusableInputError(f"{source}: {error}") from None


def _text(path: Path) -> str:
    """The text of an input file, refused (status 2) unless it is UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _UnusableInputError(f"{path}: expected UTF-8 text") from None


def _given_policies(args: argparse.Namespace, campaign: Campaign) -> LedgerPolicies | None:
    """The policies of ``--policies``, read before the ledger file is opened (or created)."""
    if args.policies is None:
        return None
    path = Path(args.policies)
    policies = _policies_from_text(_text(path), str(path))
    known = {partner.id for partner in campaign.partners}
    for partner_id in policies.by_partner:
        if partner_id not in known:
            raise _UnusableInputError(
                f"{path}: by_partner.{partner_id}: not a partner of campaign {campaign.id}"
            )
    return policies


def _is_ledger_file(path: Path) -> bool:
    # A 0-byte file is what an interrupted first command leaves: no ledger yet.
    return path.is_file() and path.stat().st_size > 0


def _remove_created(path: Path) -> None:
    """Remove the ledger file a failed command created, with SQLite's side files."""
    for created in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            created.unlink()


def _check_outputs(args: argparse.Namespace, option: str, output: str | None) -> None:
    """Refuse an output file that is one of the command's input files."""
    if output is None or output == "-":
        return
    target = Path(output).resolve()
    inputs = [
        ("ledger", args.ledger),
        ("campaign", args.campaign),
        ("policies", getattr(args, "policies", None)),
        ("accounts", getattr(args, "accounts", None)),
        *(("events", path) for path in getattr(args, "events", None) or ()),
    ]
    for name, path in inputs:
        if path is not None and Path(path).resolve() == target:
            raise _UnusableInputError(f"{option} names the {name} file")


@contextlib.contextmanager
def _opened(
    args: argparse.Namespace, campaign: Campaign, *, create: bool = False
) -> Iterator[Ledger]:
    """The campaign's ledger in the ``--ledger`` file, closed on leaving.

    Only ``post`` creates the file; every other command needs an existing ledger.
    The policies are those of ``--policies``, else those stored with the ledger,
    else the defaults (for a new ledger).
    """
    path = Path(args.ledger)
    if not create and not _is_ledger_file(path):
        raise _UnusableInputError(
            f"{path}: no ledger file there (hybridroi post creates one with the first posting)"
        )
    given = _given_policies(args, campaign)
    created = not path.exists()
    store = SqliteLedgerStore(path)
    failed = True
    try:
        stored = store.stored_policies()
        policies = (
            given
            if given is not None
            else LedgerPolicies()
            if stored is None
            else _policies_from_text(stored, f"{path}: the ledger's stored policies")
        )
        try:
            ledger = Ledger(store, campaign, policies)
        except PolicyMismatchError:
            raise _UnusableInputError(
                f"{path}: the ledger was written under other policies than --policies "
                f"{args.policies}, and entries would lock or be paid differently; nothing was "
                "written. Leave --policies out to use the policies stored with the ledger"
            ) from None
        except InvalidValueError as error:
            raise _UnusableInputError(f"{path}: {error}") from None
        yield ledger
        failed = False
    finally:
        store.close()
        if failed and created:
            _remove_created(path)


def _partner(campaign: Campaign, partner_id: str) -> str:
    known = [partner.id for partner in campaign.partners]
    if partner_id not in known:
        raise _UnusableInputError(
            f"unknown partner {partner_id!r}: not a partner of campaign {campaign.id} "
            f"(its partners: {', '.join(known)})"
        )
    return partner_id


def _refused(what: str, error: InvalidValueError) -> _UnusableInputError:
    """The one-line error of a ledger operation the library refused; ``--at`` named as such."""
    if isinstance(error, StaleRunError):
        return _UnusableInputError(f"{what} refused: {error} (--as-of)")
    if error.field == "at" and isinstance(error.value, datetime):
        return _UnusableInputError(
            f"{what} refused: --at {_iso(error.value)}: expected {error.expected}"
        )
    return _UnusableInputError(f"{what} refused: {error}")


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """Rows as aligned text columns, every cell through :func:`printable`."""
    cells = [[printable(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]
    return "\n".join(lines) + "\n"


def _json(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _csv(header: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    return csv_text(header, ([escape_cell(row[column]) for column in header] for row in rows))


def _jsonl(rows: Iterable[Mapping[str, object]]) -> str:
    return "".join(json.dumps(dict(row), ensure_ascii=False) + "\n" for row in rows)


BALANCE_COLUMNS = (
    "partner_id",
    "currency",
    "pending",
    "held",
    "locked",
    "payable",
    "paid",
    "declined",
    "waived",
    "owed",
    "total",
)
"""The columns of a balance, in the ``statements`` command's output."""

STATEMENT_COLUMNS = (
    "partner_id",
    "statement_period",
    "currency",
    "entry_count",
    *BALANCE_COLUMNS[2:],
)
"""The columns of ``export --what statements``: one row per partner, statement period, currency."""

BATCH_COLUMNS = (
    "batch_id",
    "run_id",
    "partner_id",
    "state",
    "amount",
    "currency",
    "entry_count",
    "created_at",
    "paid_at",
    "reference",
    "method",
    "voided_at",
    "void_reason",
)
"""The columns of a payout batch, in the ``payouts`` and ``export --what batches`` outputs."""

_STATUS_COLUMNS = {
    "pending": EntryStatus.PENDING,
    "held": EntryStatus.HELD,
    "locked": EntryStatus.LOCKED,
    "payable": EntryStatus.PAYABLE,
    "paid": EntryStatus.PAID,
    "declined": EntryStatus.DECLINED,
    "waived": EntryStatus.WAIVED,
}


def _balance_row(balance: Balance) -> dict[str, str]:
    return {
        "partner_id": balance.partner_id,
        "currency": balance.currency,
        "pending": str(balance.pending.amount),
        "held": str(balance.held.amount),
        "locked": str(balance.locked.amount),
        "payable": str(balance.payable.amount),
        "paid": str(balance.paid.amount),
        "declined": str(balance.declined.amount),
        "waived": str(balance.waived.amount),
        "owed": str(balance.owed.amount),
        "total": str(balance.total.amount),
    }


def _statement_rows(statements: Iterable[PartnerStatement]) -> list[dict[str, str]]:
    """One row per partner, statement period and currency: its entries' sums by status."""
    rows = []
    for statement in statements:
        sums: dict[tuple[str, str], dict[EntryStatus, int]] = {}
        counts: dict[tuple[str, str], int] = {}
        for entry in statement.entries:
            group = (entry.statement_period, entry.currency)
            by_status = sums.setdefault(group, {})
            status = statement.statuses[entry.id]
            by_status[status] = by_status.get(status, 0) + entry.amount.minor_units
            counts[group] = counts.get(group, 0) + 1
        for (period, currency), by_status in sorted(sums.items()):

            def money(units: int, currency: str = currency) -> str:
                return str(Money.from_minor(units, currency).amount)

            owed = sum(
                units
                for status, units in by_status.items()
                if status not in {EntryStatus.DECLINED, EntryStatus.WAIVED}
            )
            rows.append(
                {
                    "partner_id": statement.partner_id,
                    "statement_period": period,
                    "currency": currency,
                    "entry_count": str(counts[(period, currency)]),
                    **{
                        column: money(by_status.get(status, 0))
                        for column, status in _STATUS_COLUMNS.items()
                    },
                    "owed": money(owed),
                    "total": money(sum(by_status.values())),
                }
            )
    return rows


def _batch_row(batch: PayoutBatch) -> dict[str, str]:
    return {
        "batch_id": batch.id,
        "run_id": batch.run_id,
        "partner_id": batch.partner_id,
        "state": batch.state,
        "amount": str(batch.amount.amount),
        "currency": batch.currency,
        "entry_count": str(len(batch.entry_ids)),
        "created_at": _iso(batch.created_at),
        "paid_at": _iso(batch.paid_at),
        "reference": batch.reference or "",
        "method": batch.method or "",
        "voided_at": _iso(batch.voided_at),
        "void_reason": batch.void_reason or "",
    }


def _batches_out(batches: Sequence[PayoutBatch], fmt: str) -> str:
    rows = [_batch_row(batch) for batch in batches]
    if fmt == "csv":
        return _csv(BATCH_COLUMNS, rows)
    if fmt == "json":
        return _json({"batches": rows})
    if not rows:
        return "no payout batches\n"
    shown = ("batch_id", "partner_id", "state", "amount", "currency", "entry_count", "created_at")
    extra = ("paid_at", "reference", "method", "voided_at", "void_reason")
    columns = (*shown, *(c for c in extra if any(row[c] for row in rows)))
    return _table(columns, [[row[c] for c in columns] for row in rows], right={3, 5})


def _problem_line(problems: Sequence[Problem], what: str, stderr: IO[str]) -> int:
    """Write the one-line summary of ``problems`` on stderr; the exit status they give."""
    if not problems:
        return EXIT_OK
    first = printable(str(problems[0]))
    stderr.write(f"hybridroi: {len(problems)} problem(s), first: {first}; {what}\n")
    return EXIT_PROBLEMS


def _post(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    now = _now()
    campaign = _load(args.campaign)
    loaded = _read(args.events, stderr)
    as_of = args.as_of or _default_as_of(campaign, now)
    try:
        result = run(campaign, loaded, as_of=as_of)
    except InvalidValueError as error:
        raise _UnusableInputError(str(error)) from None
    at = args.at or now
    with _opened(args, campaign, create=True) as ledger:
        try:
            posted = ledger.post(result.statements, at=at, actor=args.actor, reason=args.reason)
        except InvalidValueError as error:
            raise _refused("posting", error) from None
        balances = ledger.balances(posted.run.posted_at)
    problems = (*_locate(result.problems, args), *posted.problems)
    added: dict[tuple[str, str], list[LedgerEntry]] = {}
    for entry in posted.entries:
        added.setdefault((entry.partner_id, entry.currency), []).append(entry)
    rows = [
        {
            "partner_id": balance.partner_id,
            "currency": balance.currency,
            "entries_added": str(len(added.get((balance.partner_id, balance.currency), []))),
            "added": str(
                Money.sum(
                    (e.amount for e in added.get((balance.partner_id, balance.currency), [])),
                    balance.currency,
                ).amount
            ),
            "owed": str(balance.owed.amount),
        }
        for balance in balances
    ]
    record = posted.run
    if args.format == "json":
        stdout.write(
            _json(
                {
                    "run": {
                        "id": record.id,
                        "number": record.number,
                        "as_of": _iso(record.as_of),
                        "posted_at": _iso(record.posted_at),
                        "actor": args.actor,
                        "entries_added": record.entry_count,
                    },
                    "by_partner": [
                        {**row, "entries_added": int(row["entries_added"])} for row in rows
                    ],
                    "problems": [str(problem) for problem in problems],
                }
            )
        )
    else:
        count = record.entry_count
        change = (
            f"{count} {'entry' if count == 1 else 'entries'} added"
            if count
            else "nothing changed since the last run, no entry added"
        )
        stdout.write(
            printable(
                f"{record.id} of {campaign.id} as of {_iso(record.as_of)}, posted at "
                f"{_iso(record.posted_at)} by {args.actor}: {change}"
            )
            + "\n"
        )
        if rows:
            columns = ("partner_id", "currency", "entries_added", "added", "owed")
            stdout.write("\n" + _table(columns, [[r[c] for c in columns] for r in rows], {2, 3, 4}))
        for problem in problems:
            stdout.write(f"problem: {printable(str(problem))}\n")
    return _problem_line(
        problems,
        "what could be computed was posted; fix the input and post again to post the "
        "difference (hybridroi validate lists the input's problems)",
        stderr,
    )


def _statements(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign)
    at = args.at or _now()
    if args.period is not None and args.partner is None:
        raise _UnusableInputError("--period needs --partner (see hybridroi statements --help)")
    partner_id = None if args.partner is None else _partner(campaign, args.partner)
    if partner_id is not None:
        _statement_period(campaign, partner_id, args.period)
    with _opened(args, campaign) as ledger:
        balances = ledger.balances(at, partner_id)
        statement = (
            None if partner_id is None else ledger.statement(partner_id, at, period=args.period)
        )
    if statement is None:
        rows = [_balance_row(balance) for balance in balances]
        if args.format == "csv":
            stdout.write(_csv(BALANCE_COLUMNS, rows))
        elif args.format == "json":
            stdout.write(_json({"campaign_id": campaign.id, "at": _iso(at), "balances": rows}))
        else:
            stdout.write(printable(f"balances of {campaign.id} at {_iso(at)}") + "\n\n")
            stdout.write(
                _table(
                    BALANCE_COLUMNS,
                    [[r[c] for c in BALANCE_COLUMNS] for r in rows],
                    right=set(range(2, len(BALANCE_COLUMNS))),
                )
                if rows
                else "no entries\n"
            )
        return EXIT_OK
    if args.format == "csv":
        stdout.write(export.to_csv(statement))
    elif args.format == "json":
        stdout.write(export.to_json(statement) + "\n")
    else:
        period = "every period" if args.period is None else f"period {args.period}"
        stdout.write(printable(f"statement of {partner_id}, {period}, at {_iso(at)}") + "\n\n")
        # One period's balance is the sum of that period's entries, not the partner's.
        rows = (
            [_balance_row(balance) for balance in balances]
            if args.period is None
            else _statement_rows([statement])
        )
        columns = BALANCE_COLUMNS[1:]
        if rows:
            stdout.write(
                _table(columns, [[r[c] for c in columns] for r in rows], set(range(1, 10)))
            )
        entry_columns = (
            "entry_id",
            "statement_period",
            "entry_type",
            "status",
            "amount",
            "currency",
            "payout_batch",
            "explanation",
        )
        entries = statement.rows()
        stdout.write(
            "\n"
            + (
                _table(entry_columns, [[r[c] for c in entry_columns] for r in entries], {4})
                if entries
                else "no entries\n"
            )
        )
    return EXIT_OK


def _adjust(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign)
    partner_id = _partner(campaign, args.partner)
    currency = args.currency or campaign.currency
    try:
        amount = Money(args.amount, currency)
    except InvalidValueError as error:
        raise _UnusableInputError(f"--amount: {error}") from None
    if not -_MINOR_BOUND < amount.minor_units < _MINOR_BOUND:
        raise _UnusableInputError(
            f"argument --amount: expected an amount of at most "
            f"{_amount_bound(minor_unit(currency))} {currency} in absolute value, "
            f"got {args.amount}"
        )
    at = args.at or _now()
    kind = AdjustmentKind(args.kind)
    period = _statement_period(campaign, partner_id, args.period) or statement_period_label(
        at.astimezone(UTC), _statement_kind(campaign, partner_id), campaign.timezone
    )
    adjustment_id = args.id or _adjustment_id(
        partner_id, amount, kind, reason=args.reason, actor=args.actor, period=period
    )
    with _opened(args, campaign) as ledger:
        made = next((a for a in ledger.adjustments() if a.id == adjustment_id), None)
        known = made is not None
        if made is not None and not _same_adjustment(
            made,
            partner_id=partner_id,
            amount=amount,
            kind=kind,
            reason=args.reason,
            actor=args.actor,
            period=period,
        ):
            raise _UnusableInputError(f"a different adjustment already has id {adjustment_id}")
        if made is None:
            try:
                made = ledger.adjust(
                    partner_id,
                    amount,
                    kind=kind,
                    reason=args.reason,
                    actor=args.actor,
                    at=at,
                    period=period,
                    adjustment_id=adjustment_id,
                )
            except InvalidValueError as error:
                raise _refused("adjustment", error) from None
        balances = ledger.balances(max(at, made.at), partner_id)
    row = {
        "id": made.id,
        "partner_id": made.partner_id,
        "kind": made.kind.value,
        "amount": str(made.amount.amount),
        "currency": made.amount.currency,
        "period": made.period,
        "at": _iso(made.at),
        "actor": made.actor,
        "reason": made.reason,
        "entry_id": made.entry().id,
    }
    if args.format == "json":
        stdout.write(
            _json(
                {
                    "adjustment": row,
                    "already_recorded": known,
                    "balances": [_balance_row(b) for b in balances],
                }
            )
        )
        return EXIT_OK
    done = "already recorded, nothing changed" if known else "recorded"
    stdout.write(
        printable(
            f"adjustment {made.id} {done}: {made.kind.value} of {made.amount} for "
            f"{made.partner_id} on {made.period}, by {made.actor} at {row['at']}: "
            f"{made.reason}"
        )
        + "\n"
    )
    rows = [_balance_row(balance) for balance in balances]
    columns = BALANCE_COLUMNS
    stdout.write("\n" + _table(columns, [[r[c] for c in columns] for r in rows], set(range(2, 11))))
    return EXIT_OK


def _adjustment_id(
    partner_id: str, amount: Money, kind: AdjustmentKind, *, reason: str, actor: str, period: str
) -> str:
    """The default id of an adjustment: a digest of what it says, not of when it is run.

    The same command run again (a retry, with the default ``--at`` of now) gets the
    same id, so the adjustment is recorded once.
    """
    content = "\x1f".join(
        (partner_id, str(amount.amount), amount.currency, kind.value, reason, actor, period)
    )
    digest = hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"adjustment-{digest}"


def _same_adjustment(
    made: Adjustment,
    *,
    partner_id: str,
    amount: Money,
    kind: AdjustmentKind,
    reason: str,
    actor: str,
    period: str,
) -> bool:
    """Whether ``made`` says what the command says (its instant aside)."""
    return (made.partner_id, made.amount, made.kind, made.reason, made.actor, made.period) == (
        partner_id,
        amount,
        kind,
        reason,
        actor,
        period,
    )


def _statement_kind(campaign: Campaign, partner_id: str) -> PeriodKind:
    """The partner's statement period kind: its deal's, else monthly."""
    return statement_kinds(campaign).get(partner_id, PeriodKind.MONTH)


_LABELS = {
    PeriodKind.DAY: re.compile(r"\d{4}-\d{2}-\d{2}"),
    PeriodKind.WEEK: re.compile(r"(\d{4})-W(\d{2})"),
    PeriodKind.MONTH: re.compile(r"\d{4}-(\d{2})"),
    PeriodKind.QUARTER: re.compile(r"\d{4}-Q[1-4]"),
    PeriodKind.CAMPAIGN: re.compile(r"campaign"),
}


def _is_label(label: str, kind: PeriodKind) -> bool:
    match = _LABELS[kind].fullmatch(label)
    if match is None:
        return False
    try:
        if kind is PeriodKind.DAY:
            date.fromisoformat(label)
        elif kind is PeriodKind.WEEK:
            date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return False
    return kind is not PeriodKind.MONTH or 1 <= int(match[1]) <= 12


def _statement_period(campaign: Campaign, partner_id: str, label: str | None) -> str | None:
    """``--period``, checked against the partner's statement period kind."""
    if label is None:
        return None
    kind = _statement_kind(campaign, partner_id)
    if not _is_label(label, kind):
        example = statement_period_label(campaign.start, kind, campaign.timezone)
        raise _UnusableInputError(
            f"--period: expected a statement period such as {example}, got {label!r}"
        )
    return label


def _target(ledger: Ledger, text: str, entry_ids: Collection[str]) -> LedgerKey:
    """An entry id, or a ledger key written ``partner/period/line key/currency``."""
    if text in entry_ids:
        return next(entry.key for entry in ledger.entries() if entry.id == text)
    parts = text.split("/", 2)
    if len(parts) == 3:
        line_key, _, currency = parts[2].rpartition("/")
        key = LedgerKey(parts[0], parts[1], line_key, currency)
        if line_key and any(entry.key == key for entry in ledger.entries(key.partner_id)):
            return key
    raise _UnusableInputError(
        f"{text!r} names no entry of the ledger: give an entry id (such as posting-000001:1) "
        "or a transaction as partner/period/line key/currency (hybridroi statements "
        "--partner ID lists them); nothing was recorded"
    )


def _hold(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    campaign = _load(args.campaign)
    at = args.at or _now()
    kind = (
        "release"
        if args.release
        else "extend"
        if args.extend is not None
        else "approve"
        if args.approve
        else "decline"
        if args.decline
        else "hold"
    )
    done: list[tuple[Decision, tuple[StatusChange, ...]]] = []
    failure: str | None = None
    with _opened(args, campaign) as ledger:
        entry_ids = {entry.id for entry in ledger.entries()}
        keys = [_target(ledger, text, entry_ids) for text in args.targets]
        for text, key in zip(args.targets, keys, strict=True):
            common = {"actor": args.actor, "reason": args.reason, "at": at}
            try:
                if kind == "extend":
                    decision = ledger.extend(key, by=args.extend, **common)
                else:
                    decision = getattr(ledger, kind)(key, **common)
            except InvalidValueError as error:
                recorded = f"; the {len(done)} decision(s) before it were recorded" if done else ""
                failure = f"{_refused(f'{kind} of {text}', error)}{recorded}"
                break
            done.append((decision, ledger.history(key, at=at)))
    if args.format == "json":
        stdout.write(
            _json(
                {
                    "decisions": [
                        {
                            "id": decision.id,
                            "kind": decision.kind.value,
                            "target": decision.target,
                            "decision": decision.describe(),
                            "actor": decision.actor,
                            "reason": decision.reason,
                            "at": _iso(decision.at),
                            "history": [_change_row(change) for change in history],
                        }
                        for decision, history in done
                    ]
                }
            )
        )
    else:
        for number, (decision, history) in enumerate(done):
            stdout.write(
                ("\n" if number else "")
                + printable(
                    f"{decision.id}: {decision.describe()} {decision.target}, by "
                    f"{decision.actor} at {_iso(decision.at)}: {decision.reason}"
                )
                + "\n"
            )
            columns = ("at", "entry_id", "status", "actor", "source", "reason")
            rows = [_change_row(change) for change in history]
            stdout.write("\n" + _table(columns, [[r[c] for c in columns] for r in rows]))
    if failure is not None:
        raise _UnusableInputError(failure)
    return EXIT_OK


def _change_row(change: StatusChange) -> dict[str, str]:
    return {
        "at": _iso(change.at),
        "entry_id": change.entry_id,
        "status": change.status.value,
        "actor": change.actor,
        "source": change.source,
        "reason": change.reason,
    }


def _payout_at(ledger: Ledger, given: datetime | None) -> datetime:
    """The instant of a payout run: ``--at``, else the clock (the last scheduled instant)."""
    if given is not None:
        return given
    now = _now()
    schedule = ledger.policies.schedule
    if schedule is None or schedule.is_payout(now, ledger.campaign.timezone):
        return now
    return schedule.previous_payout(now, ledger.campaign.timezone)


def _check_payout_options(args: argparse.Namespace) -> str:
    """The action of ``payouts``, after refusing options given without theirs."""
    action = (
        "run"
        if args.run
        else "paid"
        if args.mark_paid is not None
        else "void"
        if args.void is not None
        else "failed"
        if args.failed is not None
        else "file"
        if args.file is not None
        else "list"
    )
    belongs = {
        "--reference": (args.reference, ("paid",)),
        "--method": (args.method, ("paid",)),
        "--run-id": (args.run_id, ("run",)),
        "--file-format": (args.file_format, ("file",)),
        "--accounts": (args.accounts, ("file",)),
        "--debtor-name": (args.debtor_name, ("file",)),
        "--debtor-iban": (args.debtor_iban, ("file",)),
        "--debtor-bic": (args.debtor_bic, ("file",)),
        "--execution-date": (args.execution_date, ("file",)),
        "--payout-run": (args.payout_run, ("file", "list")),
        "--reason": (args.reason, ("run", "paid", "void", "failed")),
        "--at": (args.at, ("run", "paid", "void", "failed")),
    }
    for option, (value, actions) in belongs.items():
        if value is not None and action not in actions:
            names = [
                {
                    "paid": "--mark-paid",
                    "run": "--run",
                    "file": "--file",
                    "list": "no action",
                    "void": "--void",
                    "failed": "--failed",
                }[a]
                for a in actions
            ]
            wanted = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
            raise _UnusableInputError(f"{option} goes with {wanted} (see hybridroi payouts --help)")
    if action == "file" and args.file == "-" and args.format == "json":
        raise _UnusableInputError(
            "--format json does not go with --file -: the payout file is written on stdout"
        )
    if action in {"void", "failed"} and args.reason is None:
        raise _UnusableInputError(f"--{action} needs --reason: why the payout came back")
    if action == "file" and (args.file_format or "csv") == "sepa":
        missing = [
            option
            for option, value in (
                ("--accounts", args.accounts),
                ("--debtor-name", args.debtor_name),
                ("--debtor-iban", args.debtor_iban),
            )
            if value is None
        ]
        if missing:
            raise _UnusableInputError(
                f"a SEPA payout file needs {', '.join(missing)}: the partners' accounts and the "
                "account paid from"
            )
    return action


def _payouts(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    action = _check_payout_options(args)
    _check_outputs(args, "--file", args.file)
    campaign = _load(args.campaign)
    with _opened(args, campaign) as ledger:
        try:
            if action == "list":
                stdout.write(_batches_out(ledger.payout_batches(args.payout_run), args.format))
                return EXIT_OK
            if action == "file":
                return _payout_file(args, ledger, stdout, stderr)
            at = args.at or _now()
            if action == "run":
                payout = ledger.run_payouts(
                    _payout_at(ledger, args.at),
                    run_id=args.run_id,
                    actor=args.actor,
                    reason=args.reason,
                )
                stdout.write(_payout_run_out(payout, args.format))
                return EXIT_OK
            if action == "paid":
                batch = ledger.mark_paid(
                    args.mark_paid,
                    at,
                    reference=args.reference,
                    method=args.method,
                    actor=args.actor,
                    reason=args.reason,
                )
            else:
                batch = ledger.void_batch(
                    args.void if action == "void" else args.failed,
                    at,
                    actor=args.actor,
                    reason=args.reason,
                    kind=action,
                )
        except UnknownBatchError as error:
            raise _UnusableInputError(
                f"no payout batch or payout run {error.batch_id!r} in {args.ledger} "
                f"(hybridroi payouts {args.campaign} --ledger {args.ledger} lists them)"
            ) from None
        except InvalidValueError as error:
            option = {"paid": "--mark-paid"}.get(action, f"--{action}")
            raise _refused(f"payouts {option}", error) from None
    stdout.write(_batches_out([batch], args.format))
    return EXIT_OK


def _payout_run_out(payout: PayoutRun, fmt: str) -> str:
    carried = [
        {
            "partner_id": carry.partner_id,
            "currency": carry.currency,
            "amount": str(carry.amount.amount),
            "entry_count": str(len(carry.entry_ids)),
            "reason": carry.reason,
        }
        for carry in payout.carried_over
    ]
    if fmt == "csv":
        return _batches_out(payout.batches, fmt)
    if fmt == "json":
        return _json(
            {
                "run": payout.id,
                "at": _iso(payout.at),
                "batches": [_batch_row(batch) for batch in payout.batches],
                "carried_over": carried,
            }
        )
    text = (
        printable(
            f"{payout.id} at {_iso(payout.at)}: {len(payout.batches)} batch(es), "
            f"{len(payout.carried_over)} carried over"
        )
        + "\n\n"
    )
    text += _batches_out(payout.batches, fmt) if payout.batches else ""
    if not payout.batches and not carried:
        text += "nothing to pay\n"
    if carried:
        columns = ("partner_id", "currency", "amount", "entry_count", "reason")
        text += "\ncarried over:\n" + _table(
            columns, [[r[c] for c in columns] for r in carried], {2, 3}
        )
    return text


def _payout_file(args: argparse.Namespace, ledger: Ledger, stdout: IO[str], stderr: IO[str]) -> int:
    run_id = args.payout_run
    if run_id is None:
        batches = ledger.payout_batches()
        if not batches:
            raise _UnusableInputError(
                f"{args.ledger}: no payout batches yet (hybridroi payouts --run makes them)"
            )
        run_id = max(batches, key=lambda batch: (batch.created_at, batch.run_id)).run_id
    problems: list[Problem] = []
    accounts = None
    if args.accounts is not None:
        path = Path(args.accounts)
        accounts, read = read_payout_accounts(_text(path), str(path))
        problems.extend(read)
    debtor = None
    if args.debtor_iban is not None or args.debtor_name is not None:
        try:
            debtor = PayoutAccount(
                name=args.debtor_name or "", iban=args.debtor_iban or "", bic=args.debtor_bic
            )
        except InvalidValueError as error:
            raise _UnusableInputError(
                f"--debtor-name/--debtor-iban/--debtor-bic: {error}"
            ) from None
    fmt = args.file_format or "csv"
    found = ledger.payout_file(
        run_id,
        format=fmt,
        accounts=accounts,
        debtor=debtor,
        execution_date=args.execution_date,
    )
    problems.extend(found.problems)
    if args.file == "-":
        stdout.write(found.text)
        report = stderr
    else:
        Path(args.file).write_text(found.text, encoding="utf-8", newline="")
        report = stdout
    totals = ", ".join(str(total) for total in found.totals) or "nothing"
    if args.format == "json" and report is stdout:
        stdout.write(
            _json(
                {
                    "file": args.file,
                    "format": fmt,
                    "run": run_id,
                    "batches": list(found.batch_ids),
                    "totals": [
                        {"amount": str(total.amount), "currency": total.currency}
                        for total in found.totals
                    ],
                    "problems": [str(problem) for problem in problems],
                }
            )
        )
    else:
        report.write(
            printable(
                f"wrote {args.file}: {fmt} payout file of {run_id}, "
                f"{len(found.batch_ids)} batch(es), {totals}"
            )
            + "\n"
        )
    return _problem_line(problems, "the file was written without the batches named", stderr)


EXPORTS = ("entries", "statements", "batches", "audit")


def _export(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    _check_outputs(args, "--output", args.output)
    if args.at is not None and args.what in {"audit", "batches"}:
        raise _UnusableInputError(
            f"--at does not go with --what {args.what}: it gives the statuses of entries "
            "and statements"
        )
    campaign = _load(args.campaign)
    at = args.at or _now()
    if args.partner is not None and args.what == "audit":
        raise _UnusableInputError("--partner does not go with --what audit: the trail is whole")
    partner_id = None if args.partner is None else _partner(campaign, args.partner)
    with _opened(args, campaign) as ledger:
        if args.what == "audit":
            records = ledger.audit()
            text = audit_csv(records) if args.format == "csv" else audit_jsonl(records)
            count = len(records)
        elif args.what == "batches":
            batches = [b for b in ledger.payout_batches() if partner_id in (None, b.partner_id)]
            rows = [_batch_row(batch) for batch in batches]
            text = (
                _csv(BATCH_COLUMNS, rows)
                if args.format == "csv"
                else _jsonl([{**row, "entry_count": int(row["entry_count"])} for row in rows])
            )
            count = len(rows)
        else:
            partners = sorted({entry.partner_id for entry in ledger.entries(partner_id)})
            statements = [ledger.statement(partner, at) for partner in partners]
            if args.what == "statements":
                rows = _statement_rows(statements)
                text = (
                    _csv(STATEMENT_COLUMNS, rows)
                    if args.format == "csv"
                    else _jsonl([{**row, "entry_count": int(row["entry_count"])} for row in rows])
                )
                count = len(rows)
            else:
                pairs = [
                    (row, entry)
                    for statement in statements
                    for row, entry in zip(statement.rows(), statement.entries, strict=True)
                ]
                text = (
                    _csv(export.COLUMNS, [row for row, _ in pairs])
                    if args.format == "csv"
                    else _jsonl([{**row, "source_ids": list(e.source_ids)} for row, e in pairs])
                )
                count = len(pairs)
    if args.output is None:
        stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        stderr.write(printable(f"wrote {args.output}: {count} row(s) of {args.what}") + "\n")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str], IO[str]], int]] = {
    "report": _report,
    "validate": _validate,
    "demo": _demo,
    "post": _post,
    "statements": _statements,
    "adjust": _adjust,
    "hold": _hold,
    "payouts": _payouts,
    "export": _export,
}


def _silence(out: IO[str]) -> None:
    """Point a closed standard output at the null device, so that exiting flushes nothing."""
    if out is not sys.stdout:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(  # noqa: PLR0911 - one exit per outcome, each with its status
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
        usage error, 70 an internal error (a defect of the library). A reader that
        closes the output early (``| head``) ends the command quietly, with 0.
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
    except BrokenPipeError:
        # The reader of the output went away (``| head``): the work asked for is done
        # (output comes last), and nothing more can be said to that reader.
        _silence(out)
        return EXIT_OK
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
