"""Posting by difference: turn a statement run into the ledger entries it adds.

The ledger is append-only. A posting run compares, for every statement line
(keyed by partner, period label, line key and currency), the line's current
amount with the sum of the entries already posted for that key, and posts
only the difference:

* no difference, no entry: posting the same statements twice adds nothing;
* an increase is *earned* (a first posting, a late sale, a tier repricing);
  it locks on the date the partner's lock rule gives for the line's
  ``earned_at``, so an increase that arrives after that date is locked at once;
* a decrease first *reverses* what is still pending (so it never locks), and
  the rest is a *clawback*: a negative entry locked at once, due on the next
  payout, which appears on the statement of the period it is posted in (its
  key still names the line it corrects). A partial refund decreases the line
  pro rata, so it claws back pro rata. If the policy does not claw back paid
  commissions, the part of the clawback beyond the line's locked, unpaid
  amount is recorded as *waived*;
* an increase of a line that went below zero first restores that part; then,
  on a line with a waived clawback, it offsets the waived
  amount, so a sale refunded after payout and then re-entered is not paid twice.

A statement run is read as the complete state of the campaign: a line posted
before and absent from the run is brought back to zero. Network fee lines are
a cost of the brand, not partner pay, and are not posted.

The functions here are pure: the stores (:mod:`hybridroi.ledger.stores.memory`,
:mod:`hybridroi.ledger.stores.sqlite`) read what they need, call them and write the
result in one transaction (see :meth:`hybridroi.ledger.store.Ledger.post`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple, cast

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, minor_unit, scaled
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.ledger.entries import EntryStatus, EntryType, LedgerEntry, LedgerKey
from hybridroi.ledger.lifecycle import LockRule
from hybridroi.ledger.periods import statement_period_label
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

__all__ = [
    "EMPTY_DIGEST",
    "Difference",
    "Group",
    "changed_groups",
    "differences",
    "fresh_lines",
    "group_digests",
    "held_differences",
    "plan_entries",
    "posted_summary",
    "statement_summaries",
]

Group = tuple[str, str]
"""A partner and a period label: the unit a posting run compares at first."""

_UNIT = "\x1f"
_RECORD = "\x1e"


def _line_problem(line: StatementLine) -> str | None:
    # StatementLine is a plain record without validators: check what posting relies on.
    amount: object = line.amount
    key: object = line.key
    rule_id: object = line.rule_id
    explanation: object = line.explanation
    earned_at: object = line.earned_at
    if not isinstance(amount, Money):
        return f"amount {amount!r} is not Money"
    if not isinstance(key, str) or not key or key != key.strip() or _UNIT in key or _RECORD in key:
        return f"key {key!r} is not a non-empty id without spaces around or \\x1e, \\x1f"
    if not isinstance(rule_id, str) or not rule_id or rule_id != rule_id.strip():
        return f"rule_id {rule_id!r} is empty"
    if not isinstance(explanation, str) or not explanation.strip():
        return "the explanation is empty: every posted amount must be explained"
    if not isinstance(earned_at, datetime) or earned_at.utcoffset() is None:
        return f"earned_at {earned_at!r} is not a timezone-aware instant"
    return None


class Difference(NamedTuple):
    """A ledger key whose posted sum differs from its statement line.

    Attributes:
        key: The ledger key.
        line: The statement line now, or None when the line is gone.
        posted: The sum already posted, in minor units.
        target: The line's amount (0 when gone), in minor units.
    """

    key: LedgerKey
    line: StatementLine | None
    posted: int
    target: int

    @property
    def delta(self) -> int:
        """What must be posted, in minor units."""
        return self.target - self.posted


def posted_summary(totals: Iterable[tuple[str, str, int]]) -> str:
    """One partner-period's posted sums as text, to compare a whole statement at once.

    Args:
        totals: ``(line_key, currency, total in minor units)`` of the keys of
            one partner and period.

    Returns:
        The non-zero totals sorted by key and currency, as
        ``key<US>currency<US>total`` records joined by ``<RS>`` (the ASCII unit
        and record separators, which line keys may not hold). Two summaries are
        equal exactly when the sums they describe are equal.
    """
    return _RECORD.join(
        f"{key}{_UNIT}{currency}{_UNIT}{total}" for key, currency, total in sorted(totals) if total
    )


class _UnsummarisableError(Exception):
    """A line that a summary cannot hold: its partner-period is compared line by line."""


def _summary_items(
    lines: Iterable[StatementLine], exponents: dict[str, int]
) -> Iterator[tuple[str, str, int]]:
    """``(line key, currency, minor units)`` of the lines a posting run posts.

    Args:
        lines: Statement lines of one partner and period.
        exponents: Currency to minor-unit exponent, filled as currencies are
            met: ``Money.minor_units`` looks the currency up in ISO 4217 for
            every amount, and a run has one or a few currencies.

    Raises:
        _UnsummarisableError: If a line is not Money or its key holds a separator.
    """
    network_fee = LineKind.NETWORK_FEE
    for line in lines:
        if line.kind is network_fee:
            continue
        key = line.key
        try:
            if _UNIT in key or _RECORD in key:
                raise ValueError(key)
            money = line.amount
            currency = money.currency
            if type(money) is Money:
                exponent = exponents.get(currency)
                if exponent is None:
                    exponent = exponents[currency] = minor_unit(currency)
                # What Money.minor_units computes, without looking the currency up again.
                units = int(scaled(money.amount, exponent))
            else:
                units = money.minor_units
        except (AttributeError, TypeError, ValueError) as error:
            raise _UnsummarisableError(key) from error
        yield key, currency, units


def statement_summaries(run: StatementRun) -> dict[Group, str | None]:
    """The :func:`posted_summary` each partner-period of ``run`` would have once posted.

    Args:
        run: The statement run.

    Returns:
        Partner-period to summary; None when the summary cannot be trusted (a
        line that is not Money, or a key holding a separator), so that the
        partner-period is compared line by line.
    """
    items: dict[Group, list[tuple[str, str, int]] | None] = {}
    exponents: dict[str, int] = {}
    for statement in run.statements:
        group = (statement.partner_id, statement.period.label)
        found = items.setdefault(group, [])
        if found is None:
            continue
        try:
            found.extend(_summary_items(statement.lines, exponents))
        except _UnsummarisableError:
            items[group] = None
    return {
        group: None if found is None else posted_summary(found) for group, found in items.items()
    }


_KIND = attrgetter("kind")
_KEY = attrgetter("key")
_AMOUNT = attrgetter("amount")
_CURRENCY = attrgetter("currency")
_DECIMAL = attrgetter("amount")
_RULE_ID = attrgetter("rule_id")
_EXPLANATION = attrgetter("explanation")
_EARNED_AT = attrgetter("earned_at")
_SOURCE_IDS = attrgetter("source_ids")
_GROUP = operator.itemgetter(0, 1)
# LedgerKey(*fields) without a Python call: a NamedTuple is a tuple built by tuple.__new__.
_ledger_key = functools.partial(tuple.__new__, LedgerKey)
_FIRST_POSTED = "earned: {} first posted".format


def _plain_ids(values: list[object]) -> bool:
    """Whether every value is non-empty text without spaces around (as ``_line_problem`` wants)."""
    return (
        set(map(type, values)) <= {str}
        and all(values)
        and values == list(map(str.strip, cast("list[str]", values)))
    )


def fresh_lines(lines: Iterable[StatementLine]) -> list[StatementLine] | None:
    """The lines of a partner-period with nothing posted, ready to post in bulk, or None.

    When nothing is posted for a partner-period, each of its lines posts its
    whole amount as one ``earned`` entry, exactly what :func:`plan_entries`
    posts line by line for a first posting: such a partner-period can be posted
    column by column. It can when every line is fit to post as it is: Money
    (not a subclass) in any currency, a key, rule id and explanation that
    :func:`differences` would accept, an aware ``earned_at``, and no key
    repeated in one currency. Otherwise the partner-period goes through
    :func:`held_differences`, which holds the faulty lines and says why.

    Args:
        lines: The partner-period's statement lines, in the run's order.

    Returns:
        The lines to post (network fee lines left out), in key order; None when
        one of them is not fit to post in bulk.
    """
    network_fee = LineKind.NETWORK_FEE
    found = list(lines)
    if network_fee in map(_KIND, found):
        found = [line for line in found if line.kind is not network_fee]
    moneys = list(map(_AMOUNT, found))
    if not _fit_in_bulk(found, moneys):
        return None
    pairs = list(zip(map(_KEY, found), map(_CURRENCY, moneys), strict=True))
    if len(set(pairs)) != len(pairs):
        return None
    if any(map(operator.gt, pairs, pairs[1:])):
        order = sorted(range(len(pairs)), key=pairs.__getitem__)
        found = list(map(found.__getitem__, order))
    return found


def _fit_in_bulk(lines: list[StatementLine], moneys: list[Money]) -> bool:
    """Whether every line passes what ``_line_problem`` checks, and is plain Money."""
    if moneys and set(map(type, moneys)) != {Money}:
        return False
    keys: list[object] = list(map(_KEY, lines))
    if not _plain_ids(keys) or not _plain_ids(list(map(_RULE_ID, lines))):
        return False
    joined = "".join(map(str, keys))
    explanations: list[object] = list(map(_EXPLANATION, lines))
    earned: list[object] = list(map(_EARNED_AT, lines))
    return (
        _UNIT not in joined
        and _RECORD not in joined
        and set(map(type, explanations)) <= {str}
        and all(map(str.strip, map(str, explanations)))
        and all(map(isinstance, earned, repeat(datetime)))
        and None not in map(datetime.utcoffset, cast("list[datetime]", earned))
    )


def _digest(lines: Sequence[StatementLine]) -> str | None:
    """The digest of the posted lines of one partner-period, or None when it cannot be trusted.

    It covers, in the lines' order, each line's key, currency and exact amount
    (network fee lines are not posted and are left out): two equal digests mean
    equal ``(key, currency, minor units)`` sequences. The work is done by C-level
    ``map``, ``join`` and ``hashlib`` calls, because a repost of unchanged
    statements spends most of its time here.
    """
    network_fee = LineKind.NETWORK_FEE
    if network_fee in map(_KIND, lines):
        lines = [line for line in lines if line.kind is not network_fee]
    moneys = list(map(_AMOUNT, lines))
    if moneys and set(map(type, moneys)) != {Money}:
        return None
    try:
        keys = _UNIT.join(map(_KEY, lines))
    except TypeError:
        return None
    # Keys holding a separator would make the text ambiguous; such lines are held anyway.
    if keys.count(_UNIT) != max(len(lines) - 1, 0) or _RECORD in keys:
        return None
    text = _RECORD.join(
        (
            str(len(lines)),
            keys,
            _UNIT.join(map(_CURRENCY, moneys)),
            _UNIT.join(map(str, map(_DECIMAL, moneys))),
        )
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


EMPTY_DIGEST: str = _digest(()) or ""
"""The digest of a partner-period without lines (see :func:`group_digests`)."""


def group_digests(run: StatementRun) -> dict[Group, str | None]:
    """A digest of each partner-period's lines, to tell an unchanged statement at once.

    A store keeps, beside each partner-period it holds entries for, the digest
    of the lines its posted sums were last made equal to (see
    :meth:`~hybridroi.ledger.store.LedgerStore.posted_digests`). A partner-period
    whose digest is the stored one has nothing to post, and none of its lines
    is read further: that is what makes posting unchanged statements again cheap.
    A digest depends on the order of the lines: lines listed in another order
    give another digest, and the partner-period is then compared sum by sum,
    which is slower and as exact.

    Args:
        run: The statement run.

    Returns:
        Partner-period to digest; None when a line is not Money or its key is
        not text without separators, so that the partner-period is always compared.
    """
    parts: dict[Group, list[Sequence[StatementLine]]] = {}
    for statement in run.statements:
        parts.setdefault((statement.partner_id, statement.period.label), []).append(statement.lines)
    return {
        group: _digest(found[0] if len(found) == 1 else list(itertools.chain.from_iterable(found)))
        for group, found in parts.items()
    }


def changed_groups(run: StatementRun, posted: Mapping[Group, str]) -> set[Group]:
    """The partner-periods a posting run must compare line by line.

    The same as comparing :func:`statement_summaries` with ``posted``, but a
    partner-period with nothing posted yet (a first posting, a new month) is
    known to have changed at its first amount to post: the rest of its lines
    are not summarised.

    Args:
        run: The statement run: the complete state of the campaign.
        posted: Every partner-period's posted summary (see
            :meth:`~hybridroi.ledger.store.LedgerStore.posted_summaries`).

    Returns:
        The partner-periods whose summary differs from the posted one or cannot
        be trusted, and those with something posted that the run no longer has.
    """
    lines: dict[Group, list[Iterable[StatementLine]]] = {}
    for statement in run.statements:
        lines.setdefault((statement.partner_id, statement.period.label), []).append(statement.lines)
    exponents: dict[str, int] = {}
    changed: set[Group] = set()
    for group, parts in lines.items():
        text = posted.get(group, "")
        items = _summary_items(itertools.chain.from_iterable(parts), exponents)
        try:
            differs = posted_summary(items) != text if text else any(t for _, _, t in items)
        except _UnsummarisableError:
            differs = True
        if differs:
            changed.add(group)
    changed.update(group for group, text in posted.items() if text and group not in lines)
    return changed


def _problem(kind: ProblemKind, key: tuple[str, str, str, str], message: str) -> Problem:
    return Problem(kind=kind, subject=f"statement:{key[0]}:{key[1]}:{key[2]}", message=message)


def _hold_duplicate(
    key: tuple[str, str, str, str], held: set[tuple[str, str, str, str]], problems: list[Problem]
) -> None:
    if key not in held:
        held.add(key)
        problems.append(
            _problem(
                ProblemKind.DUPLICATE_ID,
                key,
                f"line key {key[2]} appears twice in the {key[3]} lines of this partner and "
                "period; what is posted for it is kept until the statement is fixed",
            )
        )


def differences(
    run: StatementRun, posted_totals: Mapping[LedgerKey, int]
) -> tuple[list[Difference], tuple[Problem, ...]]:
    """The ledger keys whose statement amount differs from the posted sum.

    One pass over the run's lines, each compared with the posted sums read in
    bulk. Only lines that differ are checked in depth (explanation, rule,
    instant), so that posting unchanged statements again stays cheap.

    A line that fails the check, or whose key appears twice in one statement
    (the ledger cannot tell which copy is right), is *held*: nothing is posted
    for its key, what is posted is kept, and a problem says why.

    Args:
        run: The statement run: the complete state of the campaign.
        posted_totals: The sum of every key's posted entries (waived ones
            included), in minor units.

    Returns:
        The differences, sorted by key, and the problems of the lines held.
    """
    found, problems, _ = held_differences(run, posted_totals)
    return found, problems


def held_differences(
    run: StatementRun, posted_totals: Mapping[LedgerKey, int]
) -> tuple[list[Difference], tuple[Problem, ...], set[Group]]:
    """:func:`differences`, and the partner-periods with a line held or not posted.

    After the run, the posted sums of a partner-period in neither set equal its
    lines: the store may keep the lines' digest (see :func:`group_digests`).
    """
    found: dict[tuple[str, str, str, str], Difference] = {}
    seen: set[tuple[str, str, str, str]] = set()
    held: set[tuple[str, str, str, str]] = set()
    problems: list[Problem] = []
    unposted: set[Group] = set()
    network_fee = LineKind.NETWORK_FEE
    get_posted = posted_totals.get
    exponents: dict[str, int] = {}
    for statement in run.statements:
        partner_id = statement.partner_id
        label = statement.period.label
        for line in statement.lines:
            if line.kind is network_fee:
                continue
            money = line.amount
            try:
                currency = money.currency
                exponent = exponents.get(currency)
                if exponent is None:
                    exponent = exponents[currency] = minor_unit(currency)
                target = int(scaled(money.amount, exponent))
            except AttributeError:
                unposted.add((partner_id, label))
                problems.append(
                    _problem(
                        ProblemKind.INVALID,
                        (partner_id, label, str(line.key), ""),
                        f"line not posted: amount {line.amount!r} is not Money",
                    )
                )
                continue
            key = (partner_id, label, line.key, currency)
            if key in seen:
                _hold_duplicate(key, held, problems)
                continue
            seen.add(key)
            posted = get_posted(key, 0)  # type: ignore[call-overload]
            if target != posted:
                reason = _line_problem(line)
                if reason is None:
                    found[key] = Difference(LedgerKey(*key), line, posted, target)
                else:
                    held.add(key)
                    problems.append(
                        _problem(ProblemKind.INVALID, key, f"line not posted: {reason}")
                    )
    for key in held:
        found.pop(key, None)
        unposted.add((key[0], key[1]))
    for key, posted in posted_totals.items():
        if posted != 0 and key not in seen:
            found[key] = Difference(LedgerKey(*key), None, posted, 0)
    ordered = sorted(found.values(), key=lambda difference: difference.key)
    return ordered, tuple(problems), unposted


class _Writer:
    """Builds one run's entries, numbering them and caching lock instants."""

    def __init__(
        self,
        *,
        run_id: str,
        posted_at: datetime,
        timezone: str,
        first_sequence: int,
        statement_kinds: Mapping[str, PeriodKind],
    ) -> None:
        self.run_id = run_id
        self.posted_at = posted_at
        self.timezone = timezone
        self.sequence = first_sequence
        self.entries: list[LedgerEntry] = []
        # Keyed by the rule's identity: hashing a rule's fields for every line is slow.
        self._locks: dict[int, dict[datetime, datetime]] = {}
        self._statement_kinds = statement_kinds
        self._posting_periods: dict[PeriodKind, str] = {}

    def posting_period(self, partner_id: str) -> str:
        """The label of the partner's statement period that contains the posting instant."""
        kind = self._statement_kinds.get(partner_id, PeriodKind.MONTH)
        found = self._posting_periods.get(kind)
        if found is None:
            found = statement_period_label(self.posted_at, kind, self.timezone)
            self._posting_periods[kind] = found
        return found

    def lock_at(self, rule: LockRule, earned_at: datetime) -> datetime:
        locks = self._locks.setdefault(id(rule), {})
        found = locks.get(earned_at)
        if found is None:
            found = locks[earned_at] = rule.lock_at(earned_at, self.timezone)
        return found

    def fresh(self, group: Group, lines: Sequence[StatementLine], rule: LockRule) -> None:
        """Post the lines of a partner-period with nothing posted, column by column.

        The entries are those :meth:`first_posting` would post for each line
        whose amount is not zero (see :func:`fresh_lines`), in the same order.
        """
        lines = list(itertools.compress(lines, map(_DECIMAL, map(_AMOUNT, lines))))
        count = len(lines)
        if not count:
            return
        partner_id, label = group
        earned = list(map(_EARNED_AT, lines))
        locks = self._locks.setdefault(id(rule), {})
        timezone = self.timezone
        for instant in set(earned).difference(locks):
            locks[instant] = rule.lock_at(instant, timezone)
        lock_ats = list(map(locks.__getitem__, earned))
        posted_at = self.posted_at
        statuses = map(
            (EntryStatus.LOCKED, EntryStatus.PENDING).__getitem__, map(posted_at.__lt__, lock_ats)
        )
        moneys = list(map(_AMOUNT, lines))
        line_keys = list(map(_KEY, lines))
        keys = map(
            _ledger_key,
            zip(repeat(partner_id), repeat(label), line_keys, map(_CURRENCY, moneys)),
        )
        sequence = self.sequence
        self.sequence = sequence + count
        ids = map(
            operator.add, repeat(f"{self.run_id}:"), map(str, range(sequence, sequence + count))
        )
        self.entries.extend(
            LedgerEntry._trusted_many(
                count,
                (
                    ids,
                    repeat(self.run_id),
                    keys,
                    map(_KIND, lines),
                    repeat(EntryType.EARNED),
                    moneys,
                    statuses,
                    lock_ats,
                    earned,
                    repeat(posted_at),
                    map(_RULE_ID, lines),
                    map(_EXPLANATION, lines),
                    map(_SOURCE_IDS, lines),
                    map(_FIRST_POSTED, line_keys),
                    repeat(label),
                ),
            )
        )

    def first_posting(self, line: StatementLine, key: LedgerKey, rule: LockRule) -> None:
        """Post a line's whole amount, nothing being posted for its key yet.

        The entry :func:`_post_increase` posts for it, built without its general
        bookkeeping: most lines of a run of new sales are first postings.
        """
        lock_at = self.lock_at(rule, line.earned_at)
        posted_at = self.posted_at
        run_id = self.run_id
        sequence = self.sequence
        self.sequence = sequence + 1
        self.entries.append(
            LedgerEntry._trusted(
                id=f"{run_id}:{sequence}",
                run_id=run_id,
                key=key,
                line_kind=line.kind,
                entry_type=EntryType.EARNED,
                amount=line.amount,
                status=EntryStatus.PENDING if lock_at > posted_at else EntryStatus.LOCKED,
                lock_at=lock_at,
                earned_at=line.earned_at,
                posted_at=posted_at,
                rule_id=line.rule_id,
                explanation=line.explanation,
                source_ids=line.source_ids,
                reason=f"earned: {key.line_key} first posted",
                statement_period=key.period_label,
            )
        )

    def add(
        self,
        difference: Difference,
        template: StatementLine | LedgerEntry,
        *,
        entry_type: EntryType,
        units: int,
        lock_at: datetime,
        reason: str,
    ) -> None:
        if entry_type is EntryType.WAIVED:
            status = EntryStatus.WAIVED
        elif lock_at > self.posted_at:
            status = EntryStatus.PENDING
        else:
            status = EntryStatus.LOCKED
        line_kind = template.kind if isinstance(template, StatementLine) else template.line_kind
        key = difference.key
        # A clawback is due on the next statement, not on the closed one of the sale.
        statement_period = (
            self.posting_period(key.partner_id)
            if entry_type is EntryType.CLAWBACK
            else key.period_label
        )
        self.entries.append(
            LedgerEntry._trusted(
                id=f"{self.run_id}:{self.sequence}",
                run_id=self.run_id,
                key=difference.key,
                line_kind=line_kind,
                entry_type=entry_type,
                amount=(
                    template.amount
                    if isinstance(template, StatementLine) and units == difference.target
                    else Money.from_minor(units, difference.key.currency)
                ),
                status=status,
                lock_at=lock_at,
                earned_at=template.earned_at,
                posted_at=self.posted_at,
                rule_id=template.rule_id,
                explanation=template.explanation,
                source_ids=template.source_ids,
                reason=reason,
                statement_period=statement_period,
            )
        )
        self.sequence += 1


def _change_text(difference: Difference, history: Sequence[LedgerEntry]) -> str:
    currency = difference.key.currency
    old = Money.from_minor(difference.posted, currency)
    new = Money.from_minor(difference.target, currency)
    verb = "rose" if difference.delta > 0 else "fell"
    text = f"{difference.key.line_key} {verb} from {old} to {new}"
    if difference.line is None:
        return f"{text}: the line is no longer on the statement"
    known = {source for entry in history for source in entry.source_ids}
    current = set(difference.line.source_ids)
    details = []
    if history and current - known:
        details.append(f"new sources: {', '.join(sorted(current - known))}")
    if known - current:
        details.append(f"sources gone: {', '.join(sorted(known - current))}")
    return f"{text} ({'; '.join(details)})" if details else text


def _sum(entries: Iterable[LedgerEntry]) -> int:
    return sum(entry.amount.minor_units for entry in entries)


def _post_increase(
    writer: _Writer,
    difference: Difference,
    template: StatementLine | LedgerEntry,
    past: Sequence[LedgerEntry],
    lock: LockRule,
) -> None:
    delta = difference.delta
    if not past:
        # A first posting: the entry is the line itself.
        writer.add(
            difference,
            template,
            entry_type=EntryType.EARNED,
            units=delta,
            lock_at=writer.lock_at(lock, template.earned_at),
            reason=f"earned: {difference.key.line_key} first posted",
        )
        return
    change = _change_text(difference, past)
    waived = _sum(entry for entry in past if entry.entry_type is EntryType.WAIVED)
    # An increase undoes the latest decrease first: the part of the line that went below
    # zero (owed by the partner) is restored before a waived clawback is offset.
    below_zero = max(-_sum(past), 0)
    restore = min(delta, below_zero)
    offset = min(delta - restore, -waived) if waived < 0 else 0
    if offset:
        writer.add(
            difference,
            template,
            entry_type=EntryType.WAIVED,
            units=offset,
            lock_at=writer.posted_at,
            reason=(
                f"waived: {change}; offsets the clawback waived earlier, "
                "because the partner kept that paid amount"
            ),
        )
    if delta - offset:
        writer.add(
            difference,
            template,
            entry_type=EntryType.EARNED,
            units=delta - offset,
            lock_at=writer.lock_at(lock, template.earned_at),
            reason=f"adjustment: {change}",
        )


def _post_decrease(
    writer: _Writer,
    difference: Difference,
    template: StatementLine | LedgerEntry,
    past: Sequence[LedgerEntry],
    *,
    policy: LedgerPolicy,
    paid_entry_ids: AbstractSet[str],
) -> None:
    change = _change_text(difference, past)
    posted_at = writer.posted_at
    counted = [entry for entry in past if entry.entry_type is not EntryType.WAIVED]
    # Only the part of the line above zero can be reversed, clawed back or waived; the rest
    # takes the line below zero (a recovery line, or undoing an earlier restore).
    reduce = min(-difference.delta, max(_sum(past), 0))
    pending: dict[datetime, int] = {}
    for entry in counted:
        if entry.lock_at > posted_at:
            pending[entry.lock_at] = pending.get(entry.lock_at, 0) + entry.amount.minor_units
    remaining = reduce
    # The latest-locking pending amounts are reversed first; each reversal
    # keeps the lock instant of what it reverses, so the two lock together.
    for lock_at in sorted(pending, reverse=True):
        take = min(remaining, pending[lock_at])
        if take > 0:
            writer.add(
                difference,
                template,
                entry_type=EntryType.REVERSAL,
                units=-take,
                lock_at=lock_at,
                reason=f"reversal: {change}; reverses the pending amount before it locks",
            )
            remaining -= take
    clawable = remaining
    if not policy.claw_back_paid:
        unpaid = _sum(
            entry
            for entry in counted
            if entry.lock_at <= posted_at and entry.id not in paid_entry_ids
        )
        clawable = min(remaining, max(unpaid, 0))
    if clawable:
        writer.add(
            difference,
            template,
            entry_type=EntryType.CLAWBACK,
            units=-clawable,
            lock_at=posted_at,
            reason=f"clawback: {change} after the amount locked; due at once, on the next payout",
        )
    if remaining - clawable:
        writer.add(
            difference,
            template,
            entry_type=EntryType.WAIVED,
            units=-(remaining - clawable),
            lock_at=posted_at,
            reason=(
                f"waived: {change} after the amount was paid; "
                "the policy does not claw back paid commissions"
            ),
        )
    below_zero = -difference.delta - reduce
    if below_zero:
        # The line itself went below zero (a recovery line): that part is earned like any line.
        writer.add(
            difference,
            template,
            entry_type=EntryType.EARNED,
            units=-below_zero,
            lock_at=writer.lock_at(policy.lock, template.earned_at),
            reason=(
                f"earned: {difference.key.line_key} first posted"
                if not past
                else f"adjustment: {change}"
            ),
        )


def plan_entries(
    found: Iterable[Difference],
    history: Mapping[LedgerKey, Sequence[LedgerEntry]],
    paid_entry_ids: AbstractSet[str],
    *,
    policies: LedgerPolicies,
    timezone: str,
    run_id: str,
    posted_at: datetime,
    first_sequence: int = 1,
    statement_kinds: Mapping[str, PeriodKind] | None = None,
    fresh: Mapping[Group, Sequence[StatementLine]] | None = None,
) -> tuple[LedgerEntry, ...]:
    """The entries that post the differences.

    Args:
        found: The differences to post (from :func:`differences`).
        history: The entries already posted for those keys.
        paid_entry_ids: Ids of entries in payout batches marked paid (only
            those of the keys in ``history`` are needed).
        policies: The partners' ledger policies.
        timezone: The campaign's IANA time zone, for lock dates.
        run_id: The posting run's id; entry ids are ``"<run_id>:<n>"``.
        posted_at: The posting instant: entries whose lock instant is past it
            are locked already.
        first_sequence: The number of the run's first entry.
        statement_kinds: Partner id to statement period kind (see
            :func:`~hybridroi.ledger.periods.statement_kinds`); monthly for a
            partner not listed. A clawback appears on the partner's statement of
            the period that contains ``posted_at``; every other entry on its
            line's own period.
        fresh: Partner-periods with nothing posted, to their lines as
            :func:`fresh_lines` gives them: each line is posted in bulk as the
            difference between the line and nothing. None of their keys may be
            in ``found``.

    Returns:
        The new entries, in key order.

    Raises:
        NaiveDatetimeError: If ``posted_at`` is naive.
        InvalidValueError: If ``run_id`` is not a usable id.
    """
    require_aware(posted_at, "posted_at")
    if not isinstance(run_id, str) or not run_id or run_id != run_id.strip() or ":" in run_id:
        raise InvalidValueError("run_id", run_id, "a non-empty id without spaces around or ':'")
    writer = _Writer(
        run_id=run_id,
        posted_at=posted_at,
        timezone=timezone,
        first_sequence=first_sequence,
        statement_kinds=statement_kinds or {},
    )
    # The partner-periods in key order, each posted in bulk or difference by difference:
    # entries are numbered in key order.
    chunks: list[tuple[Group, Sequence[StatementLine] | None, Iterable[Difference]]] = [
        (group, None, list(part))
        for group, part in itertools.groupby(found, key=lambda d: _GROUP(d.key))
    ]
    chunks.extend((group, lines, ()) for group, lines in (fresh or {}).items())
    chunks.sort(key=operator.itemgetter(0))
    for group, lines, part in chunks:
        if lines is not None:
            writer.fresh(group, lines, policies.for_partner(group[0]).lock)
            continue
        for difference in part:
            _plan(writer, difference, history, paid_entry_ids, policies)
    return tuple(writer.entries)


def _plan(
    writer: _Writer,
    difference: Difference,
    history: Mapping[LedgerKey, Sequence[LedgerEntry]],
    paid_entry_ids: AbstractSet[str],
    policies: LedgerPolicies,
) -> None:
    key = difference.key
    past = history.get(key, ())
    policy = policies.for_partner(key.partner_id)
    line = difference.line
    if line is not None and not past and difference.posted == 0 < difference.target:
        writer.first_posting(line, key, policy.lock)
        return
    template = line if line is not None else past[-1]
    if difference.delta > 0:
        _post_increase(writer, difference, template, past, policy.lock)
    else:
        _post_decrease(
            writer, difference, template, past, policy=policy, paid_entry_ids=paid_entry_ids
        )
