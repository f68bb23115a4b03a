"""Payout files: a CSV of a payout run's batches, and a SEPA credit transfer file for euros.

:func:`payout_csv` lists every batch of a run, with its state (payable, paid,
failed, void), amount, entry count, payment reference and, when a mapping of
payout accounts is given, the partner's account. :func:`sepa_credit_transfer`
writes an ISO 20022 ``pain.001.001.03`` customer credit transfer initiation for
the run's payable batches in EUR, one transaction per batch, for a bank to
execute.

The partners' accounts (holder name, IBAN, BIC) are not part of a campaign:
they are given as a mapping of partner id to :class:`PayoutAccount`. A batch
left out of a file (no account, not in EUR, already paid, failed or voided) is
reported as a :class:`~hybridroi.core.problems.Problem` beside the file,
never dropped silently.

Each file is checked against the batches before it is returned
(:func:`check_payout_file`): the number of transactions, the control sum and
each batch's amount are read back from the text and compared.

Text in a SEPA file is restricted to the SEPA character set (Latin letters,
digits and ``/ - ? : ( ) . , ' +`` and space): accents are removed
(``Amélie`` is written ``Amelie``) and any other character becomes a space.

>>> PayoutAccount(name="Amélie Martin", iban="FR76 3000 6000 0112 3456 7890 189").iban
'FR7630006000011234567890189'
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from hybridroi.core.checks import text
from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.text import csv_text, escape_cell, unescape_cell
from hybridroi.core.timezones import UTC, require_aware
from hybridroi.ledger.payouts import PayoutBatch

__all__ = [
    "ACCOUNT_COLUMNS",
    "PAYOUT_COLUMNS",
    "SEPA_NAMESPACE",
    "PayoutAccount",
    "PayoutFile",
    "check_payout_file",
    "payout_csv",
    "read_payout_accounts",
    "sepa_credit_transfer",
]

SEPA_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
"""The XML namespace of a SEPA credit transfer initiation (pain.001.001.03)."""

PAYOUT_COLUMNS = (
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
    "account_name",
    "iban",
    "bic",
)
"""The columns of a payout CSV, in order."""

ACCOUNT_COLUMNS = ("partner_id", "name", "iban", "bic")
"""The columns of a payout accounts CSV file (``bic`` may be empty)."""

# IBAN lengths of the countries and territories of the SEPA area, from the SWIFT IBAN
# registry (French overseas departments and Monaco's neighbours use FR, MC...).
_SEPA_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SEPA_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+]{1,35}")


def _iban(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValueError("PayoutAccount.iban", value, "an IBAN (text)")
    iban = value.replace(" ", "").upper()
    if not _IBAN.fullmatch(iban):
        raise InvalidValueError("PayoutAccount.iban", value, "an IBAN: country, check digits, BBAN")
    length = _SEPA_IBAN_LENGTHS.get(iban[:2])
    if length is None:
        raise InvalidValueError(
            "PayoutAccount.iban", value, "the IBAN of a country of the SEPA area"
        )
    if len(iban) != length:
        raise InvalidValueError(
            "PayoutAccount.iban", value, f"an IBAN of {length} characters for {iban[:2]}"
        )
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise InvalidValueError("PayoutAccount.iban", value, "an IBAN whose check digits match")
    return iban


def _bic(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _BIC.fullmatch(value.replace(" ", "").upper()):
        raise InvalidValueError("PayoutAccount.bic", value, "a BIC of 8 or 11 characters, or None")
    return value.replace(" ", "").upper()


def _name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    text(instance, attribute, value)
    if len(str(value)) > 70:
        raise InvalidValueError("PayoutAccount.name", value, "a name of at most 70 characters")
    if _sepa_text(str(value), 70) == "-":
        raise InvalidValueError(
            "PayoutAccount.name",
            value,
            "a name with Latin letters or digits (a bank transfer can carry no other)",
        )


@attrs.frozen(kw_only=True)
class PayoutAccount:
    """A bank account to pay to (a partner's) or from (the brand's).

    Attributes:
        name: The account holder's name (at most 70 characters).
        iban: The IBAN, spaces removed and upper-cased; its check digits are verified.
        bic: The bank's BIC (8 or 11 characters), or None (optional in SEPA).
    """

    name: str = attrs.field(validator=_name)
    iban: str = attrs.field(converter=_iban)
    bic: str | None = attrs.field(default=None, converter=_bic)


@attrs.frozen(kw_only=True)
class PayoutFile:
    """A payout file and what it holds.

    Attributes:
        format: ``"csv"`` or ``"sepa"``.
        text: The file's text.
        batch_ids: The batches it pays (for a CSV, the live ones it lists).
        totals: Their total per currency, sorted by currency.
        problems: Batches left out, or listed without an account, and why.
    """

    format: str
    text: str
    batch_ids: tuple[str, ...]
    totals: tuple[Money, ...]
    problems: tuple[Problem, ...]


def _totals(batches: Iterable[PayoutBatch]) -> tuple[Money, ...]:
    sums: dict[str, int] = {}
    for batch in batches:
        sums[batch.currency] = sums.get(batch.currency, 0) + batch.amount.minor_units
    return tuple(Money.from_minor(units, currency) for currency, units in sorted(sums.items()))


def _problem(batch: PayoutBatch, field: str, message: str, kind: ProblemKind) -> Problem:
    return Problem(kind=kind, subject=f"payout_batch:{batch.id}", field=field, message=message)


def _instant(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def payout_csv(
    batches: Sequence[PayoutBatch], accounts: Mapping[str, PayoutAccount] | None = None
) -> PayoutFile:
    r"""The batches of a payout run as CSV: one row per batch, voided ones included.

    Args:
        batches: The run's batches (see :meth:`hybridroi.ledger.store.Ledger.payout_batches`).
        accounts: Partner id to payout account, to fill the account columns;
            None leaves them empty. With a mapping, a live batch whose partner
            has no account is reported.

    Returns:
        The file: a header of :data:`PAYOUT_COLUMNS`, cells escaped with
        :func:`~hybridroi.core.text.escape_cell`, rows ending in ``\n``; its
        totals count the live batches (not failed or voided).
    """
    rows = []
    problems = []
    for batch in batches:
        account = None if accounts is None else accounts.get(batch.partner_id)
        if accounts is not None and account is None and batch.live:
            problems.append(
                _problem(
                    batch,
                    "accounts",
                    f"no payout account for partner {batch.partner_id}: its account columns "
                    "are empty",
                    ProblemKind.INVALID,
                )
            )
        rows.append(
            [
                batch.id,
                batch.run_id,
                batch.partner_id,
                batch.state,
                str(batch.amount.amount),
                batch.currency,
                str(len(batch.entry_ids)),
                _instant(batch.created_at),
                _instant(batch.paid_at),
                batch.reference or "",
                batch.method or "",
                "" if account is None else account.name,
                "" if account is None else account.iban,
                "" if account is None or account.bic is None else account.bic,
            ]
        )
    live = [batch for batch in batches if batch.live]
    found = PayoutFile(
        format="csv",
        text=csv_text(PAYOUT_COLUMNS, ([escape_cell(cell) for cell in row] for row in rows)),
        batch_ids=tuple(batch.id for batch in live),
        totals=_totals(live),
        problems=tuple(problems),
    )
    _raise_if_inconsistent(found, batches)
    return found


def _sepa_text(value: str, limit: int) -> str:
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return " ".join(_SEPA_TEXT.sub(" ", plain).split())[:limit] or "-"


def _sepa_id(value: str) -> str:
    """``value`` if it is a valid SEPA identifier, else a stable digest of it."""
    if _SEPA_ID.fullmatch(value):
        return value
    return "ID-" + hashlib.blake2b(value.encode("utf-8"), digest_size=16).hexdigest()[:32]


def _amount(money: Money) -> str:
    return str(money.amount.quantize(Decimal("0.01")))


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if value is not None:
        element.text = value
    return element


def _eligible(
    batches: Sequence[PayoutBatch], accounts: Mapping[str, PayoutAccount]
) -> tuple[list[PayoutBatch], list[Problem]]:
    paid: list[PayoutBatch] = []
    problems: list[Problem] = []
    for batch in batches:
        if not batch.live:
            message = f"the batch is {batch.void_kind}: its entries are paid by a later run"
            problems.append(_problem(batch, "state", message, ProblemKind.INVALID))
        elif batch.paid_at is not None:
            message = "the batch is already marked paid"
            problems.append(_problem(batch, "state", message, ProblemKind.INVALID))
        elif batch.currency != "EUR":
            message = f"a SEPA credit transfer pays euros; this batch is in {batch.currency}"
            problems.append(_problem(batch, "currency", message, ProblemKind.CURRENCY))
        elif batch.partner_id not in accounts:
            message = (
                f"no payout account (name, IBAN, BIC) for partner {batch.partner_id}: the "
                "batch is not in the file; add the partner to the accounts mapping"
            )
            problems.append(_problem(batch, "accounts", message, ProblemKind.INVALID))
        else:
            paid.append(batch)
    return paid, problems


def sepa_credit_transfer(
    batches: Sequence[PayoutBatch],
    *,
    debtor: PayoutAccount,
    accounts: Mapping[str, PayoutAccount],
    message_id: str,
    created_at: datetime,
    execution_date: date,
) -> PayoutFile:
    """A SEPA credit transfer file (ISO 20022 pain.001.001.03) of the payable EUR batches.

    One payment information block, debited from ``debtor``, with one credit
    transfer per batch: its end-to-end id is the batch id (a digest of it
    when the id is not a valid SEPA id of at most 35 characters), its
    remittance text names the batch.

    Args:
        batches: The payout run's batches.
        debtor: The account the payouts are paid from.
        accounts: Partner id to payout account.
        message_id: The file's message id (at most 35 SEPA characters), such
            as the payout run id.
        created_at: The file's creation instant.
        execution_date: The requested execution date.

    Returns:
        The file; batches not in EUR, not payable, or whose partner has no
        account are left out, each with a problem. When no batch is left,
        the text is empty and the problems say why.

    Raises:
        InvalidValueError: If ``message_id`` is not a SEPA id of at most 35 characters.
    """
    require_aware(created_at, "created_at")
    if not isinstance(message_id, str) or not _SEPA_ID.fullmatch(message_id):
        raise InvalidValueError(
            "message_id", message_id, "at most 35 letters, digits or / - ? : ( ) . , ' +"
        )
    paid, problems = _eligible(batches, accounts)
    if not paid:
        return PayoutFile(format="sepa", text="", batch_ids=(), totals=(), problems=tuple(problems))
    total = Money.sum((batch.amount for batch in paid), "EUR")
    ET.register_namespace("", SEPA_NAMESPACE)
    ns = f"{{{SEPA_NAMESPACE}}}"
    document = ET.Element(f"{ns}Document")
    initiation = ET.SubElement(document, f"{ns}CstmrCdtTrfInitn")

    def sub(parent: ET.Element, tag: str, value: str | None = None, **attrs_: str) -> ET.Element:
        return _sub(parent, f"{ns}{tag}", value, **attrs_)

    header = sub(initiation, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    sub(header, "NbOfTxs", str(len(paid)))
    sub(header, "CtrlSum", _amount(total))
    sub(sub(header, "InitgPty"), "Nm", _sepa_text(debtor.name, 70))
    payment = sub(initiation, "PmtInf")
    sub(payment, "PmtInfId", message_id)
    sub(payment, "PmtMtd", "TRF")
    sub(payment, "NbOfTxs", str(len(paid)))
    sub(payment, "CtrlSum", _amount(total))
    sub(sub(sub(payment, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    sub(payment, "ReqdExctnDt", execution_date.isoformat())
    sub(sub(payment, "Dbtr"), "Nm", _sepa_text(debtor.name, 70))
    sub(sub(sub(payment, "DbtrAcct"), "Id"), "IBAN", debtor.iban)
    _agent_ns(payment, ns, "DbtrAgt", debtor.bic)
    sub(payment, "ChrgBr", "SLEV")
    for batch in paid:
        account = accounts[batch.partner_id]
        transfer = sub(payment, "CdtTrfTxInf")
        sub(sub(transfer, "PmtId"), "EndToEndId", _sepa_id(batch.id))
        sub(sub(transfer, "Amt"), "InstdAmt", _amount(batch.amount), Ccy="EUR")
        if account.bic is not None:
            _agent_ns(transfer, ns, "CdtrAgt", account.bic)
        sub(sub(transfer, "Cdtr"), "Nm", _sepa_text(account.name, 70))
        sub(sub(sub(transfer, "CdtrAcct"), "Id"), "IBAN", account.iban)
        sub(sub(transfer, "RmtInf"), "Ustrd", _sepa_text(f"Payout {batch.id}", 140))
    ET.indent(document)
    body = ET.tostring(document, encoding="unicode")
    found = PayoutFile(
        format="sepa",
        text=f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n',
        batch_ids=tuple(batch.id for batch in paid),
        totals=(total,),
        problems=tuple(problems),
    )
    _raise_if_inconsistent(found, batches)
    return found


def _agent_ns(parent: ET.Element, ns: str, tag: str, bic: str | None) -> None:
    institution = _sub(_sub(parent, f"{ns}{tag}"), f"{ns}FinInstnId")
    if bic is None:
        _sub(_sub(institution, f"{ns}Othr"), f"{ns}Id", "NOTPROVIDED")
    else:
        _sub(institution, f"{ns}BIC", bic)


def _read_sepa(file_text: str) -> tuple[list[str], dict[str, Any]]:
    """The problems of a SEPA file's own sums, and what it pays: end-to-end id to amount."""
    ns = {"p": SEPA_NAMESPACE}
    root = ET.fromstring(file_text)
    issues = []
    transfers = root.findall(".//p:CdtTrfTxInf", ns)
    amounts = {
        str(t.findtext("p:PmtId/p:EndToEndId", "", ns)): Decimal(
            t.findtext("p:Amt/p:InstdAmt", "0", ns)
        )
        for t in transfers
    }
    total = sum(amounts.values(), Decimal(0))
    for path in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        count = root.findtext(f"{path}/p:NbOfTxs", "", ns)
        control = root.findtext(f"{path}/p:CtrlSum", "", ns)
        if count != str(len(transfers)):
            issues.append(f"{path}: NbOfTxs {count} but {len(transfers)} transfers")
        if Decimal(control or "-1") != total:
            issues.append(f"{path}: CtrlSum {control} but the transfers sum to {total}")
    return issues, amounts


def check_payout_file(file: PayoutFile, batches: Sequence[PayoutBatch]) -> tuple[str, ...]:
    """Read a payout file back and compare it with the batches it was made from.

    Checks the number of transactions, the control sums (SEPA), each batch's
    amount and currency, and the file's totals.

    Args:
        file: The file.
        batches: The batches it was made from.

    Returns:
        What does not match, in words; empty when the file agrees with the batches.
    """
    by_id = {batch.id: batch for batch in batches}
    issues: list[str] = []
    included = [by_id[i] for i in file.batch_ids if i in by_id]
    if len(included) != len(file.batch_ids):
        issues.append("the file names batches that are not among the batches given")
    if file.totals != _totals(included):
        issues.append(f"totals {file.totals} differ from the batches' {_totals(included)}")
    if file.format == "sepa":
        if not file.text:
            return (*issues, *(() if not file.batch_ids else ("the file is empty",)))
        try:
            sums, amounts = _read_sepa(file.text)
        except (ET.ParseError, ArithmeticError, ValueError) as error:
            return (*issues, f"the file cannot be read as pain.001 XML: {error}")
        issues.extend(sums)
        expected = {_sepa_id(b.id): b.amount.amount for b in included}
        if amounts != expected:
            issues.append(f"the transfers {amounts} differ from the batches {expected}")
        return tuple(issues)
    reader = csv.reader(io.StringIO(file.text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != PAYOUT_COLUMNS:
        return (*issues, "the header is not the payout columns")
    listed = {}
    for cells in reader:
        row = dict(zip(PAYOUT_COLUMNS, map(unescape_cell, cells), strict=False))
        listed[row["batch_id"]] = row
    for batch in batches:
        found = listed.get(batch.id)
        if found is None:
            issues.append(f"batch {batch.id} is not listed")
        elif (found["amount"], found["currency"], found["state"]) != (
            str(batch.amount.amount),
            batch.currency,
            batch.state,
        ):
            issues.append(
                f"batch {batch.id} is listed as {found['state']} {found['amount']} "
                f"{found['currency']}"
            )
    return tuple(issues)


def _raise_if_inconsistent(file: PayoutFile, batches: Sequence[PayoutBatch]) -> None:
    issues = check_payout_file(file, batches)
    if issues:
        raise InvalidValueError(
            f"{file.format} payout file", "; ".join(issues), "a file that agrees with its batches"
        )


def read_payout_accounts(
    file_text: str, source: str = "accounts.csv"
) -> tuple[dict[str, PayoutAccount], tuple[Problem, ...]]:
    r"""Read partners' payout accounts from CSV: ``partner_id,name,iban,bic``.

    Args:
        file_text: The CSV text, with a header of :data:`ACCOUNT_COLUMNS`
            (``bic`` may be empty).
        source: The file's name, for the problems' sources (``accounts.csv:3``).

    Returns:
        Partner id to account, and a problem for each row that cannot be read
        (a bad IBAN or BIC, a missing name, a partner listed twice: the first
        row is kept). A header that is not :data:`ACCOUNT_COLUMNS` is one problem.

    >>> accounts, problems = read_payout_accounts(
    ...     "partner_id,name,iban,bic\naff-1,Ana,DE89370400440532013000,\naff-2,Bo,DE00,\n")
    >>> list(accounts), [(p.source, p.field) for p in problems]
    (['aff-1'], [('accounts.csv:3', 'PayoutAccount.iban')])
    """
    if not isinstance(file_text, str):
        raise InvalidTypeError("file_text", file_text, "the text of a CSV file (str)")
    reader = csv.reader(io.StringIO(file_text, newline=""))
    header = next(reader, None)
    if header is None or tuple(cell.strip() for cell in header) != ACCOUNT_COLUMNS:
        return {}, (
            Problem(
                kind=ProblemKind.INVALID,
                subject="payout_accounts",
                field="header",
                message=f"the header must be {','.join(ACCOUNT_COLUMNS)}; found {header}",
                source=f"{source}:1",
            ),
        )
    accounts: dict[str, PayoutAccount] = {}
    problems: list[Problem] = []
    for cells in reader:
        where = f"{source}:{reader.line_num}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(ACCOUNT_COLUMNS):
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="payout_accounts",
                    message=f"{len(cells)} cells; expected {len(ACCOUNT_COLUMNS)}",
                    source=where,
                )
            )
            continue
        partner_id, name, iban, bic = (unescape_cell(cell.strip()) for cell in cells)
        if not partner_id:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject="payout_accounts",
                    field="partner_id",
                    message="a row without a partner id",
                    source=where,
                )
            )
            continue
        if partner_id in accounts:
            problems.append(
                Problem(
                    kind=ProblemKind.DUPLICATE_ID,
                    subject=f"partner:{partner_id}",
                    field="partner_id",
                    message="partner listed twice; the first account is kept",
                    source=where,
                )
            )
            continue
        try:
            accounts[partner_id] = PayoutAccount(name=name, iban=iban, bic=bic or None)
        except InvalidValueError as error:
            problems.append(
                Problem(
                    kind=ProblemKind.INVALID,
                    subject=f"partner:{partner_id}",
                    field=error.field,
                    message=str(error),
                    source=where,
                )
            )
    return accounts, tuple(problems)
