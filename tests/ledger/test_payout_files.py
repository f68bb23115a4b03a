"""Payout files: CSV per payout run, and SEPA credit transfers (pain.001.001.03) for euros."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from hybridroi.core.errors import InvalidTypeError, InvalidValueError
from hybridroi.core.money import Money
from hybridroi.core.problems import ProblemKind
from hybridroi.core.text import unescape_cell
from hybridroi.ledger import (
    Ledger,
    MemoryLedgerStore,
    PayoutAccount,
    check_payout_file,
    payout_csv,
    read_payout_accounts,
    sepa_credit_transfer,
)
from hybridroi.ledger.payout_files import PAYOUT_COLUMNS, SEPA_NAMESPACE

from .strategies import eur, make_campaign, make_line, make_run

SALE = datetime(2026, 3, 10, 14, tzinfo=UTC)
PAYOUT = SALE + timedelta(days=40)
BRAND = PayoutAccount(name="Brand SAS", iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A")
ACCOUNTS = {
    "aff-1": PayoutAccount(
        name="Amélie Martin", iban="FR7630006000011234567890189", bic="BNPAFRPP"
    ),
    "aff-2": PayoutAccount(name="Jörg & Söhne GmbH", iban="DE89370400440532013000"),
}
NS = {"p": SEPA_NAMESPACE}


def _ledger() -> Ledger:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    lines = {
        "aff-1": [
            make_line("c:1", eur("30.00"), SALE),
            make_line("c:2", eur("12.50"), SALE),
        ],
        "aff-2": [make_line("c:3", eur("7.25"), SALE)],
        "aff-3": [
            make_line("c:4", eur("4.00"), SALE),
            make_line("c:5", Money("900", "JPY"), SALE),
        ],
    }
    ledger.post(make_run(SALE, lines))
    ledger.run_payouts(PAYOUT)
    return ledger


def test_a_sepa_file_pays_the_payable_euro_batches_with_an_account() -> None:
    ledger = _ledger()
    found = ledger.payout_file("payout-000001", format="sepa", accounts=ACCOUNTS, debtor=BRAND)
    assert found.batch_ids == ("payout-000001:aff-1:EUR", "payout-000001:aff-2:EUR")
    # 30.00 + 12.50 + 7.25, by hand.
    assert found.totals == (eur("49.75"),)
    root = ET.fromstring(found.text)
    assert root.tag == f"{{{SEPA_NAMESPACE}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert header.findtext("p:NbOfTxs", None, NS) == "2"
    assert header.findtext("p:CtrlSum", None, NS) == "49.75"
    assert header.findtext("p:CreDtTm", None, NS) == "2026-04-19T14:00:00"
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert payment is not None
    assert payment.findtext("p:ReqdExctnDt", None, NS) == "2026-04-19"
    assert payment.findtext("p:DbtrAcct/p:Id/p:IBAN", None, NS) == "NL91ABNA0417164300"
    transfers = payment.findall("p:CdtTrfTxInf", NS)
    assert [
        (
            t.findtext("p:PmtId/p:EndToEndId", None, NS),
            t.findtext("p:Amt/p:InstdAmt", None, NS),
            t.findtext("p:Cdtr/p:Nm", None, NS),
            t.findtext("p:CdtrAcct/p:Id/p:IBAN", None, NS),
        )
        for t in transfers
    ] == [
        ("payout-000001:aff-1:EUR", "42.50", "Amelie Martin", "FR7630006000011234567890189"),
        ("payout-000001:aff-2:EUR", "7.25", "Jorg Sohne GmbH", "DE89370400440532013000"),
    ]
    assert transfers[1].find("p:CdtrAgt", NS) is None  # no BIC given: the agent is left out
    # aff-3 has no account, and its yen batch cannot be a SEPA transfer.
    assert sorted((p.subject, p.kind, p.field) for p in found.problems) == [
        ("payout_batch:payout-000001:aff-3:EUR", ProblemKind.INVALID, "accounts"),
        ("payout_batch:payout-000001:aff-3:JPY", ProblemKind.CURRENCY, "currency"),
    ]
    assert "no payout account (name, IBAN, BIC) for partner aff-3" in found.problems[0].message
    assert check_payout_file(found, ledger.payout_batches("payout-000001")) == ()


def test_a_tampered_file_does_not_check_against_its_batches() -> None:
    ledger = _ledger()
    batches = ledger.payout_batches("payout-000001")
    found = ledger.payout_file("payout-000001", format="sepa", accounts=ACCOUNTS, debtor=BRAND)
    tampered = attrs.evolve(found, text=found.text.replace(">7.25<", ">70.25<"))
    issues = check_payout_file(tampered, batches)
    assert any("CtrlSum 49.75 but the transfers sum to 112.75" in issue for issue in issues)
    assert check_payout_file(attrs.evolve(found, text="<oops"), batches)
    csv_file = payout_csv(batches)
    wrong = attrs.evolve(csv_file, text=csv_file.text.replace(",42.50,", ",42.51,"))
    assert check_payout_file(wrong, batches) == (
        "batch payout-000001:aff-1:EUR is listed as payable 42.51 EUR",
    )


def test_paid_and_voided_batches_are_left_out_of_a_sepa_file() -> None:
    ledger = _ledger()
    ledger.mark_paid("payout-000001:aff-1:EUR", PAYOUT, reference="T-1", method="sepa")
    ledger.void_batch("payout-000001:aff-2:EUR", PAYOUT, actor="bank", reason="AC04")
    batches = ledger.payout_batches("payout-000001")
    found = sepa_credit_transfer(
        batches,
        debtor=BRAND,
        accounts=ACCOUNTS,
        message_id="payout-000001",
        created_at=PAYOUT,
        execution_date=date(2026, 4, 20),
    )
    assert (found.text, found.batch_ids) == ("", ())
    messages = sorted(p.message for p in found.problems)
    assert "the batch is already marked paid" in messages
    assert "the batch is void: its entries are paid by a later run" in messages


def test_the_csv_lists_every_batch_with_its_state_and_account() -> None:
    ledger = _ledger()
    ledger.mark_paid("payout-000001:aff-1:EUR", PAYOUT, reference="=T-1", method="sepa")
    ledger.void_batch("payout-000001:aff-2:EUR", PAYOUT, actor="bank", reason="AC04")
    found = ledger.payout_file("payout-000001", accounts=ACCOUNTS)
    assert found.text.splitlines()[0] == ",".join(PAYOUT_COLUMNS)
    rows = read_csv_rows(found.text)
    assert [(r["batch_id"], r["state"], r["amount"], r["entry_count"]) for r in rows] == [
        ("payout-000001:aff-1:EUR", "paid", "42.50", "2"),
        ("payout-000001:aff-2:EUR", "void", "7.25", "1"),
        ("payout-000001:aff-3:EUR", "payable", "4.00", "1"),
        ("payout-000001:aff-3:JPY", "payable", "900", "1"),
    ]
    assert rows[0]["reference"] == "=T-1"
    assert "'=T-1" in found.text  # escaped against formula injection
    assert rows[0]["iban"] == "FR7630006000011234567890189"
    # Totals count the live batches only: 42.50 + 4.00 EUR, and the yen.
    assert found.totals == (eur("46.50"), Money("900", "JPY"))
    assert [p.subject for p in found.problems] == [
        "payout_batch:payout-000001:aff-3:EUR",
        "payout_batch:payout-000001:aff-3:JPY",
    ]


def read_csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a payout CSV, cells unescaped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return [dict(zip(header, map(unescape_cell, cells), strict=True)) for cells in reader]


def test_accounts_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="check digits match"):
        PayoutAccount(name="X", iban="FR7630006000011234567890188")
    with pytest.raises(InvalidValueError, match="BIC of 8 or 11"):
        PayoutAccount(name="X", iban="DE89370400440532013000", bic="BNP")
    with pytest.raises(InvalidValueError, match="at most 70"):
        PayoutAccount(name="X" * 71, iban="DE89370400440532013000")
    ledger = _ledger()
    with pytest.raises(InvalidValueError, match="'csv' or 'sepa'"):
        ledger.payout_file("payout-000001", format="xlsx")
    with pytest.raises(InvalidValueError, match="for a SEPA file"):
        ledger.payout_file("payout-000001", format="sepa", accounts=ACCOUNTS)


def test_accounts_read_from_csv_report_each_bad_row_with_its_line() -> None:
    text = (
        "partner_id,name,iban,bic\n"
        "aff-1,'=Amélie,FR76 3000 6000 0112 3456 7890 189,BNPAFRPP\n"
        "aff-2,Bo,DE89370400440532013001,\n"
        "aff-1,Again,DE89370400440532013000,\n"
        "\n"
        "aff-3,Cy\n"
        "aff-4,Di,DE89370400440532013000,\n"
    )
    accounts, problems = read_payout_accounts(text, "payees.csv")
    assert sorted(accounts) == ["aff-1", "aff-4"]
    assert accounts["aff-1"].name == "=Amélie"  # unescaped, as export wrote it
    assert accounts["aff-1"].iban == "FR7630006000011234567890189"
    assert accounts["aff-4"].bic is None
    assert [(p.source, p.kind, p.field) for p in problems] == [
        ("payees.csv:3", ProblemKind.INVALID, "PayoutAccount.iban"),
        ("payees.csv:4", ProblemKind.DUPLICATE_ID, "partner_id"),
        ("payees.csv:6", ProblemKind.INVALID, None),
    ]
    _, (header,) = read_payout_accounts("id,name\n")
    assert header.field == "header"


def test_ibans_names_and_rows_a_bank_would_refuse_are_refused() -> None:
    # A German IBAN has 22 characters; XX is no SEPA country.
    with pytest.raises(InvalidValueError, match="22 characters for DE"):
        PayoutAccount(name="X", iban="DE41370400440532013")
    with pytest.raises(InvalidValueError, match="SEPA area"):
        PayoutAccount(name="X", iban="XX42ABCDEFGHIJKLMN")
    with pytest.raises(InvalidValueError, match="Latin letters"):
        PayoutAccount(name="北京 公司", iban="DE89370400440532013000")
    accounts, problems = read_payout_accounts(
        "partner_id,name,iban,bic\n,Ana,DE89370400440532013000,\n", "payees.csv"
    )
    assert accounts == {}
    assert [(p.source, p.field) for p in problems] == [("payees.csv:2", "partner_id")]
    with pytest.raises(InvalidTypeError):
        read_payout_accounts(b"partner_id,name,iban,bic\n")  # type: ignore[arg-type]


def test_a_run_id_that_is_no_sepa_id_still_gets_a_sepa_file() -> None:
    ledger = Ledger(MemoryLedgerStore(), make_campaign())
    ledger.post(make_run(SALE, {"aff-1": [make_line("c:1", eur("30.00"), SALE)]}))
    ledger.run_payouts(PAYOUT, run_id="payout_april")
    found = ledger.payout_file("payout_april", format="sepa", accounts=ACCOUNTS, debtor=BRAND)
    assert found.batch_ids
    message = ET.fromstring(found.text).find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", NS)
    assert message is not None
    assert message.text is not None
    assert message.text.startswith("ID-")
