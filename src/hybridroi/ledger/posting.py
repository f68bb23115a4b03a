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

import decimal
import functools
import hashlib
import itertools
import operator
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple, cast

from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import MAX_DIGITS, Money, minor_unit, scaled
from hybridroi.core.periods import PeriodKind
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import require_aware
from hybridroi.ledger.entries import (
    EntryStatus,
    EntryType,
    FreshEntries,
    LedgerEntry,
    LedgerKey,
    PostedEntries,
)
from hybridroi.ledger.lifecycle import LockRule
from hybridroi.ledger.periods import statement_period_label
from hybridroi.ledger.policy import LedgerPolicies, LedgerPolicy
from hybridroi.statements.lines import LineKind, StatementLine, StatementRun

__all__ = [
    "EMPTY_DIGEST",
    "Difference",
    "Group",
    "LineColumns",
    "changed_groups",
    "differences",
    "fresh_columns",
    "fresh_lines",
    "group_columns",
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


def _plain_ids(values: Sequence[object]) -> bool:
    """Whether every value is non-empty text without spaces around (as ``_line_problem`` wants)."""
    return (
        set(map(type, values)) <= {str}
        and all(values)
        and all(map(operator.eq, values, map(str.strip, cast("Sequence[str]", values))))
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
    found = [line for line in lines if line.kind is not _NETWORK_FEE]
    columns = LineColumns(found)
    order = _bulk_order(columns)
    if order is None:
        return None
    return found if order is _IN_ORDER else list(map(found.__getitem__, order))


def fresh_columns(columns: LineColumns) -> LineColumns | None:
    """:func:`fresh_lines` on columns: the columns in key order, or None.

    Args:
        columns: A partner-period's columns (see :func:`group_columns`).

    Returns:
        The same columns when their lines are in key order already, otherwise
        columns whose ``order`` lists the lines' positions in key order; None
        when a line is not fit to post in bulk.
    """
    order = _bulk_order(columns)
    if order is None:
        return None
    if order is _IN_ORDER:
        return columns
    # The columns are not copied in key order here: the writer takes each one in that
    # order once, leaving out the zero amounts at the same time.
    ordered = object.__new__(LineColumns)
    ordered._lines = columns._lines
    ordered._digest = None
    ordered._details = columns.details()
    ordered.kinds = columns.kinds
    ordered.keys = columns.keys
    ordered.amounts = columns.amounts
    ordered.plain = columns.plain
    ordered.currencies = columns.currencies
    ordered.decimals = columns.decimals
    ordered.order = order
    return ordered


_IN_ORDER: list[int] = []


def _bulk_order(columns: LineColumns) -> list[int] | None:
    """The key order of fit columns (``_IN_ORDER`` when they are in it), or None if unfit."""
    if not _fit_in_bulk(columns):
        return None
    keys = cast("Sequence[str]", columns.keys)
    if len(set(columns.currencies)) <= 1:
        # One currency: the keys alone order the lines, and compare faster than pairs.
        pairs: Sequence[str] | Sequence[tuple[str, str]] = keys
    else:
        pairs = list(zip(keys, columns.currencies, strict=True))
    if len(set(pairs)) != len(pairs):
        return None
    ordered = cast("Sequence[str]", pairs)  # str or (str, str): compared alike
    if any(map(operator.gt, ordered, ordered[1:])):
        return sorted(range(len(ordered)), key=ordered.__getitem__)
    return _IN_ORDER


def _fit_in_bulk(columns: LineColumns) -> bool:
    """Whether every line passes what ``_line_problem`` checks, and is plain Money."""
    if not columns.plain:
        return False
    keys = columns.keys
    rule_ids, explanations, earned, _ = columns.details()
    if not _plain_ids(keys) or not _plain_ids(rule_ids):
        return False
    joined = "".join(cast("Sequence[str]", keys))
    return (
        _UNIT not in joined
        and _RECORD not in joined
        and set(map(type, explanations)) <= {str}
        and all(map(str.strip, cast("list[str]", explanations)))
        and all(map(isinstance, earned, repeat(datetime)))
        and None not in map(datetime.utcoffset, cast("list[datetime]", earned))
    )


class LineColumns:
    """The posted lines of one partner-period, column by column.

    Posting reads a run's lines as columns: the digest of a partner-period, the
    checks of a first posting and the rows a store writes all come from these
    lists, each read once from the lines. Network fee lines are not posted and
    are left out. The columns a digest needs are read at once; the others when a
    first posting asks for them (:meth:`details`), so that reposting unchanged
    statements reads no more than it compares.

    :func:`group_columns` builds them from a run's :class:`StatementLine`
    objects; a statement that holds its lines as columns can build them
    directly with :meth:`from_columns`.

    Args:
        lines: The partner-period's lines, in the run's order.

    Attributes:
        kinds: What each line pays for.
        keys: The lines' keys.
        amounts: The lines' amounts.
        plain: Whether every amount is plain Money (not a subclass, nor another
            type): only then are ``currencies`` and ``decimals`` read, and only
            then can the partner-period be digested or posted in bulk.
        currencies: Each amount's currency (empty unless ``plain``).
        decimals: Each amount's ``Decimal`` (empty unless ``plain``).
        order: The positions of the lines in key order, when
            :func:`fresh_columns` found them in another order; None otherwise.
    """

    __slots__ = (
        "_currencies",
        "_decimals",
        "_details",
        "_digest",
        "_keys",
        "_kinds",
        "_lines",
        "amounts",
        "order",
        "plain",
    )

    def __init__(self, lines: Iterable[StatementLine]) -> None:
        # A list or tuple is read as it is (a statement's lines are a tuple): not copied.
        found = lines if isinstance(lines, list | tuple) else list(lines)
        if _NETWORK_FEE in map(_KIND, found):
            found = [line for line in found if line.kind is not _NETWORK_FEE]
        self._lines: Sequence[StatementLine] | None = found
        self._details: tuple[list[object], ...] | None = None
        self._digest: tuple[str | None] | None = None
        self._keys: Sequence[object] | None = None
        self._kinds: Sequence[object] | None = None
        self._currencies: Sequence[str] | None = None
        self._decimals: Sequence[object] | None = None
        self.order: list[int] | None = None
        self.amounts: Sequence[object] = list(map(_AMOUNT, found))
        # Only plain Money is known to hold its amount at exactly its minor-unit places.
        self.plain = not self.amounts or set(map(type, self.amounts)) == {Money}

    # The other columns are read when first asked for: a digest reads them as a stream
    # (see digest), so that reposting unchanged statements builds no list per column.

    def read(self) -> None:
        """Read the keys, currencies and decimals now, for a digest and a first posting.

        A partner-period with nothing posted is posted in bulk from these lists:
        reading them before its digest saves reading the lines twice.
        """
        _ = self.keys, self.currencies, self.decimals

    @property
    def keys(self) -> Sequence[object]:
        """The lines' keys."""
        if self._keys is None:
            self._keys = list(map(_KEY, self._lines or ()))
        return self._keys

    @keys.setter
    def keys(self, value: Sequence[object]) -> None:
        self._keys = value

    @property
    def kinds(self) -> Sequence[object]:
        """What each line pays for."""
        if self._kinds is None:
            self._kinds = list(map(_KIND, self._lines or ()))
        return self._kinds

    @kinds.setter
    def kinds(self, value: Sequence[object]) -> None:
        self._kinds = value

    @property
    def currencies(self) -> Sequence[str]:
        """Each amount's currency (empty unless ``plain``)."""
        if self._currencies is None:
            amounts = cast("Sequence[Money]", self.amounts)
            self._currencies = list(map(_CURRENCY, amounts)) if self.plain else ()
        return self._currencies

    @currencies.setter
    def currencies(self, value: Sequence[str]) -> None:
        self._currencies = value

    @property
    def decimals(self) -> Sequence[object]:
        """Each amount's ``Decimal`` (empty unless ``plain``)."""
        if self._decimals is None:
            amounts = cast("Sequence[Money]", self.amounts)
            self._decimals = list(map(_DECIMAL, amounts)) if self.plain else ()
        return self._decimals

    @decimals.setter
    def decimals(self, value: Sequence[object]) -> None:
        self._decimals = value

    @classmethod
    def from_columns(
        cls,
        *,
        keys: list[str],
        kinds: list[LineKind],
        amounts: list[Money],
        rule_ids: list[str],
        explanations: list[str],
        earned_ats: list[datetime],
        source_ids: list[tuple[str, ...]],
    ) -> LineColumns:
        """The columns of posted lines given as columns (no network fee line among them).

        Args:
            keys: The lines' keys.
            kinds: What each line pays for.
            amounts: Each line's amount.
            rule_ids: The rule of each line.
            explanations: Each line's explanation.
            earned_ats: When each line was earned.
            source_ids: Each line's source ids.

        Returns:
            The columns, checked by posting as lines read from objects are.

        Raises:
            InvalidValueError: If the columns are not all of one length, or a
                network fee line is among them.
        """
        columns: tuple[list[object], ...] = (
            cast("list[object]", keys),
            cast("list[object]", kinds),
            cast("list[object]", amounts),
            cast("list[object]", rule_ids),
            cast("list[object]", explanations),
            cast("list[object]", earned_ats),
            cast("list[object]", source_ids),
        )
        if len(set(map(len, columns))) > 1:
            raise InvalidValueError("LineColumns", len(keys), "columns of one length")
        if _NETWORK_FEE in kinds:
            raise InvalidValueError("LineColumns.kinds", _NETWORK_FEE, "posted lines only")
        found = object.__new__(cls)
        found._lines = None
        found._digest = None
        found.order = None
        found._details = columns[3:]
        found.kinds = columns[1]
        found.keys = columns[0]
        found.amounts = columns[2]
        found.plain = not amounts or set(map(type, amounts)) == {Money}
        found.currencies = list(map(_CURRENCY, amounts)) if found.plain else []
        found.decimals = list(map(_DECIMAL, amounts)) if found.plain else []
        return found

    def __len__(self) -> int:
        return len(self.keys)

    def details(self) -> tuple[list[object], list[object], list[object], list[object]]:
        """The rule ids, explanations, ``earned_at`` instants and source ids, read once."""
        if self._details is None:
            lines = self._lines or []
            self._details = (
                list(map(_RULE_ID, lines)),
                list(map(_EXPLANATION, lines)),
                list(map(_EARNED_AT, lines)),
                list(map(_SOURCE_IDS, lines)),
            )
        rule_ids, explanations, earned, sources = self._details
        return rule_ids, explanations, earned, sources

    def digest(self) -> str | None:
        """The digest of these lines, or None when it cannot be trusted (see :func:`group_digests`).

        It covers, in the lines' order, each line's key, currency and exact amount:
        two equal digests mean equal ``(key, currency, minor units)`` sequences (a
        plain Money amount holds exactly its currency's minor-unit places, so its
        decimal text is its minor units). The text is hashed from the decimal text
        of the amounts, not from integers: reading minor units out of a million
        ``Decimal`` objects costs more than writing their text, and the digests
        stay those that ledgers already store.
        """
        if self._digest is None:
            self._digest = (self._digested(),)
        return self._digest[0]

    def _digested(self) -> str | None:
        if not self.plain:
            return None
        amounts = cast("Sequence[Money]", self.amounts)
        count = len(amounts)
        try:
            keys = _UNIT.join(cast("Iterable[str]", self._keys or map(_KEY, self._lines or ())))
        except TypeError:
            return None
        # Keys holding a separator would make the text ambiguous; such lines are held anyway.
        if keys.count(_UNIT) != max(count - 1, 0) or _RECORD in keys:
            return None
        text = _RECORD.join(
            (
                str(count),
                keys,
                _UNIT.join(self._currencies or map(_CURRENCY, amounts)),
                _UNIT.join(map(str, self._decimals or map(_DECIMAL, amounts))),
            )
        )
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


_NETWORK_FEE = LineKind.NETWORK_FEE
# Scaling a Money amount to minor units is exact; anything else is a bug to surface.
_EXACT = decimal.Context(
    prec=MAX_DIGITS, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)


def _minor_units(currencies: Sequence[str], decimals: Sequence[Decimal]) -> list[int]:
    """Each plain Money amount (its ``Decimal`` and currency) in minor units, exactly."""
    kinds = set(currencies)
    if len(kinds) == 1:
        exponent = minor_unit(kinds.pop())
        return list(map(int, map(Decimal.scaleb, decimals, repeat(exponent), repeat(_EXACT))))
    exponents = {currency: minor_unit(currency) for currency in kinds}
    return [
        int(amount.scaleb(exponents[currency], _EXACT))
        for amount, currency in zip(decimals, currencies, strict=True)
    ]


def _digest(lines: Sequence[StatementLine]) -> str | None:
    """The digest of the posted lines of one partner-period (see :meth:`LineColumns.digest`)."""
    return LineColumns(list(lines)).digest()


EMPTY_DIGEST: str = _digest(()) or ""
"""The digest of a partner-period without lines (see :func:`group_digests`)."""


def group_columns(
    run: StatementRun, *, posted: Collection[Group] | None = None
) -> dict[Group, LineColumns]:
    """Each partner-period's posted lines, column by column, in the run's order.

    The one place where posting reads a run's :class:`StatementLine` objects in
    bulk: everything a posting run computes for whole partner-periods (digests,
    first postings) comes from these columns. Each partner-period's digest is
    computed as its columns are read, while its lines are still in the
    processor's cache: reading all lines once for the columns and again for the
    digests costs a third more.

    Args:
        run: The statement run.
        posted: The partner-periods with entries, when known: the others are
            read in full at once (keys, currencies, amounts), since a first
            posting writes them.

    Returns:
        Partner-period to its columns (two statements of one partner-period are
        read as one, in order).
    """
    parts: dict[Group, list[Sequence[StatementLine]]] = {}
    for statement in run.statements:
        parts.setdefault((statement.partner_id, statement.period.label), []).append(statement.lines)
    found: dict[Group, LineColumns] = {}
    for group, lines in parts.items():
        columns = LineColumns(
            lines[0] if len(lines) == 1 else list(itertools.chain.from_iterable(lines))
        )
        if posted is not None and group not in posted:
            columns.read()
        columns.digest()
        found[group] = columns
    return found


def group_digests(
    run: StatementRun, columns: Mapping[Group, LineColumns] | None = None
) -> dict[Group, str | None]:
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
        columns: The run's :func:`group_columns`, when already read.

    Returns:
        Partner-period to digest; None when a line is not Money or its key is
        not text without separators, so that the partner-period is always compared.
    """
    found = group_columns(run) if columns is None else columns
    return {group: part.digest() for group, part in found.items()}


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
        self.parts: list[tuple[LedgerEntry, ...] | FreshEntries] = []
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

    def flush(self) -> None:
        """Close the part of entries built one by one, so that a bulk part can follow it."""
        if self.entries:
            self.parts.append(tuple(self.entries))
            self.entries = []

    def fresh(self, group: Group, columns: LineColumns, rule: LockRule) -> None:
        """Post the lines of a partner-period with nothing posted, column by column.

        The entries are those :meth:`first_posting` would post for each line
        whose amount is not zero (see :func:`fresh_columns`), in the same order;
        they are kept as columns (:class:`~hybridroi.ledger.entries.FreshEntries`)
        and built only when read.
        """
        rule_ids, explanations, earned, sources = columns.details()
        decimals = columns.decimals
        order = columns.order
        picks: list[int] | None
        if all(decimals):
            picks = order
        else:
            ordered = range(len(decimals)) if order is None else order
            picks = list(itertools.compress(ordered, map(decimals.__getitem__, ordered)))
        count = len(decimals) if picks is None else len(picks)
        if not count:
            return

        # Each column in key order, without the zero amounts: one C-level gather per column
        # (an itemgetter of many indices builds its tuple without a call per value).
        gather = operator.itemgetter(*picks) if picks is not None and count > 1 else None

        def kept(values: Sequence[object]) -> Sequence[object]:
            if picks is None:
                return values
            if gather is None:
                return [values[picks[0]]]
            return cast("tuple[object, ...]", gather(values))

        instants = cast("list[datetime]", kept(earned))
        currencies = cast("Sequence[str]", kept(columns.currencies))
        locks = self._locks.setdefault(id(rule), {})
        timezone = self.timezone
        for instant in set(instants).difference(locks):
            locks[instant] = rule.lock_at(instant, timezone)
        partner_id, label = group
        self.flush()
        self.parts.append(
            FreshEntries(
                run_id=self.run_id,
                first_sequence=self.sequence,
                partner_id=partner_id,
                period_label=label,
                posted_at=self.posted_at,
                line_keys=cast("Sequence[str]", kept(columns.keys)),
                line_kinds=cast("list[LineKind]", kept(columns.kinds)),
                amounts=cast("list[Money]", kept(columns.amounts)),
                currencies=currencies,
                units=_minor_units(currencies, cast("list[Decimal]", kept(columns.decimals))),
                lock_ats=list(map(locks.__getitem__, instants)),
                earned_ats=instants,
                rule_ids=cast("Sequence[str]", kept(rule_ids)),
                explanations=cast("Sequence[str]", kept(explanations)),
                source_ids=cast("list[tuple[str, ...]]", kept(sources)),
            )
        )
        self.sequence += count

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
    fresh: Mapping[Group, Sequence[StatementLine] | LineColumns] | None = None,
) -> PostedEntries:
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
            :func:`fresh_lines` gives them, or to their columns as
            :func:`fresh_columns` gives them: each line is posted in bulk as
            the difference between the line and nothing. None of their keys may
            be in ``found``.

    Returns:
        The new entries, in key order; those posted in bulk are built when read
        (see :class:`~hybridroi.ledger.entries.PostedEntries`).

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
    chunks: list[
        tuple[Group, Sequence[StatementLine] | LineColumns | None, Iterable[Difference]]
    ] = [
        (group, None, list(part))
        for group, part in itertools.groupby(found, key=lambda d: _GROUP(d.key))
    ]
    chunks.extend((group, lines, ()) for group, lines in (fresh or {}).items())
    chunks.sort(key=operator.itemgetter(0))
    for group, lines, part in chunks:
        if lines is not None:
            columns = lines if isinstance(lines, LineColumns) else LineColumns(list(lines))
            writer.fresh(group, columns, policies.for_partner(group[0]).lock)
            continue
        for difference in part:
            _plan(writer, difference, history, paid_entry_ids, policies)
    writer.flush()
    return PostedEntries(writer.parts)


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
