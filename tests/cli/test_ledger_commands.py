"""The ledger commands: post, statements, adjust, hold, payouts, export, end to end on a file."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridroi import Affiliate, AffiliateDeal, Campaign
from hybridroi.cli import main
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.files.campaign import campaign_to_json
from hybridroi.ledger import (
    Ledger,
    LedgerPolicies,
    LedgerPolicy,
    LockOnDayOfMonth,
    SqliteLedgerStore,
)
from hybridroi.ledger.export import AUDIT_COLUMNS, COLUMNS, read_csv
from hybridroi.rules import PercentRate

HEADER = "type,id,kind,instant,customer_key,partner_id,revenue,currency\n"
EVENTS = (
    HEADER + "touch,T-1,click,2026-03-05T09:00:00+00:00,c1,aff-a,,\n"
    "sale,S-1,,2026-03-05T10:00:00+00:00,c1,,100.00,EUR\n"
    "touch,T-2,click,2026-03-06T09:00:00+00:00,c2,aff-b,,\n"
    "sale,S-2,,2026-03-06T10:00:00+00:00,c2,,200.00,EUR\n"
)
KEY_A = "aff-a/2026-03/commission:S-1:a-10pct/EUR"
KEY_B = "aff-b/2026-03/commission:S-2:b-5pct/EUR"


def campaign(campaign_id: str = "CMP-L") -> Campaign:
    """Two affiliates: aff-a on 10%, aff-b on 5%, in EUR and UTC over spring 2026."""
    return Campaign(
        id=campaign_id,
        name="Ledger test",
        currency="EUR",
        timezone="UTC",
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime(2026, 6, 1, tzinfo=UTC),
        partners=(
            Affiliate(id="aff-a", name="Affiliate A"),
            Affiliate(id="aff-b", name="Affiliate B"),
        ),
        deals=(
            AffiliateDeal(
                id="a-deal", partner_id="aff-a", rules=(PercentRate(id="a-10pct", rate="0.10"),)
            ),
            AffiliateDeal(
                id="b-deal", partner_id="aff-b", rules=(PercentRate(id="b-5pct", rate="0.05"),)
            ),
        ),
    )


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(arg) for arg in args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


class Files:
    """A campaign file, an event file and a ledger path in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.campaign = folder / "campaign.json"
        self.campaign.write_text(campaign_to_json(campaign()), encoding="utf-8")
        self.events = folder / "events.csv"
        self.events.write_text(EVENTS, encoding="utf-8")
        self.ledger = folder / "ledger.db"

    def __call__(self, command: str, *args: str | Path) -> tuple[int, str, str]:
        """Run a ledger command on these files."""
        return run(command, self.campaign, "--ledger", self.ledger, *args)

    def post(self, day: str, *args: str | Path) -> tuple[int, str, str]:
        """Post the events as of and at midnight UTC of ``day``."""
        instant = f"{day}T00:00:00+00:00"
        return self("post", "--events", self.events, "--as-of", instant, "--at", instant, *args)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def at(day: str) -> list[str]:
    return ["--at", f"{day}T00:00:00+00:00"]


def balances(files: Files, day: str) -> dict[str, dict[str, str]]:
    status, out, err = files("statements", *at(day), "--format", "json")
    assert status == 0, err
    return {row["partner_id"]: row for row in json.loads(out)["balances"]}


def test_a_month_run_from_the_command_line(files: Files) -> None:
    # Post: both sales' commissions, pending.
    status, out, err = files.post("2026-03-10", "--actor", "ops")
    assert (status, err) == (0, "")
    first, _, *table = out.splitlines()
    assert first == (
        "posting-000001 of CMP-L as of 2026-03-10T00:00:00+00:00, posted at "
        "2026-03-10T00:00:00+00:00 by ops: 2 entries added"
    )
    assert table[0].split() == ["partner_id", "currency", "entries_added", "added", "owed"]
    assert [row.split() for row in table[1:]] == [
        ["aff-a", "EUR", "1", "10.00", "10.00"],
        ["aff-b", "EUR", "1", "10.00", "10.00"],
    ]

    # Posting the same events again posts nothing.
    status, out, err = files.post("2026-03-11", "--actor", "ops", "--format", "json")
    assert (status, err) == (0, "")
    posted = json.loads(out)
    assert posted["run"]["id"] == "posting-000002"
    assert posted["run"]["entries_added"] == 0
    assert [(r["partner_id"], r["entries_added"], r["owed"]) for r in posted["by_partner"]] == [
        ("aff-a", 0, "10.00"),
        ("aff-b", 0, "10.00"),
    ]

    # A bonus for aff-a, locked at once.
    status, out, err = files(
        "adjust",
        "--partner",
        "aff-a",
        "--amount",
        "25.00",
        "--kind",
        "bonus",
        "--reason",
        "launch week",
        "--actor",
        "ops",
        *at("2026-03-12"),
    )
    assert (status, err) == (0, "")
    assert out.startswith("adjustment adjustment-")
    assert "recorded: bonus of EUR 25.00 for aff-a on 2026-03, by ops" in out
    assert balances(files, "2026-03-12")["aff-a"]["locked"] == "25.00"

    # Hold aff-a's sale (named by its entry id), then release it (named by its key).
    status, out, err = files(
        "hold", "posting-000001:1", "--reason", "fraud check", "--actor", "risk", *at("2026-03-13")
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == (
        f"decision-000001: hold {KEY_A}, by risk at 2026-03-13T00:00:00+00:00: fraud check"
    )
    assert balances(files, "2026-03-13")["aff-a"]["held"] == "10.00"
    status, out, err = files(
        "hold", KEY_A, "--release", "--reason", "checked", "--actor", "risk", *at("2026-03-14")
    )
    assert (status, err) == (0, "")
    history = [line.split()[:4] for line in out.splitlines()[3:]]
    assert history == [
        ["2026-03-10T00:00:00+00:00", "posting-000001:1", "pending", "ops"],
        ["2026-03-13T00:00:00+00:00", "posting-000001:1", "held", "risk"],
        ["2026-03-14T00:00:00+00:00", "posting-000001:1", "pending", "risk"],
    ]

    # Decline aff-b's sale: never paid.
    status, out, err = files(
        "hold", KEY_B, "--decline", "--reason", "self-referral", "--format", "json",
        "--actor", "risk", *at("2026-03-14"),
    )  # fmt: skip
    assert (status, err) == (0, "")
    (decision,) = json.loads(out)["decisions"]
    assert (decision["kind"], decision["target"]) == ("decline", KEY_B)
    assert [step["status"] for step in decision["history"]] == ["pending", "declined"]

    # The payout run after the lock (30 days after the sale) pays aff-a only.
    status, out, err = files("payouts", "--run", "--actor", "finance", *at("2026-04-10"))
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == (
        "payout-000001 at 2026-04-10T00:00:00+00:00: 1 batch(es), 0 carried over"
    )
    assert out.splitlines()[3].split()[:6] == [
        "payout-000001:aff-a:EUR", "aff-a", "payable", "35.00", "EUR", "2",
    ]  # fmt: skip
    batch = "payout-000001:aff-a:EUR"

    # Paid, then returned by the bank: payable again, paid once by the next run.
    status, out, err = files(
        "payouts", "--mark-paid", batch, "--reference", "TRX-1", "--method", "sepa",
        "--actor", "finance", *at("2026-04-11"),
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert out.splitlines()[1].split()[2:] == [
        "paid", "35.00", "EUR", "2", "2026-04-10T00:00:00+00:00", "2026-04-11T00:00:00+00:00",
        "TRX-1", "sepa",
    ]  # fmt: skip
    assert balances(files, "2026-04-11")["aff-a"]["paid"] == "35.00"
    status, out, err = files(
        "payouts", "--void", batch, "--reason", "bank return AC04", "--format", "json",
        "--actor", "finance", *at("2026-04-12"),
    )  # fmt: skip
    assert (status, err) == (0, "")
    (voided,) = json.loads(out)["batches"]
    assert (voided["state"], voided["void_reason"]) == ("void", "bank return AC04")
    assert balances(files, "2026-04-12")["aff-a"]["locked"] == "35.00"
    status, out, err = files("payouts", "--run", "--format", "json", *at("2026-04-13"))
    assert (status, err) == (0, "")
    (again,) = json.loads(out)["batches"]
    assert (again["batch_id"], again["amount"], again["entry_count"]) == (
        "payout-000002:aff-a:EUR",
        "35.00",
        "2",
    )
    status, out, err = files("payouts", "--format", "csv")
    assert [(r["batch_id"], r["state"]) for r in csv.DictReader(io.StringIO(out))] == [
        (batch, "void"),
        ("payout-000002:aff-a:EUR", "payable"),
    ]

    # The audit trail names who did what, and why.
    status, out, err = files("export", "--what", "audit")
    assert (status, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert [(r["actor"], r["action"], r["subject"]) for r in rows] == [
        ("ops", "policies", "CMP-L"),
        ("ops", "post", "posting-000001"),
        ("ops", "post", "posting-000002"),
        ("ops", "adjust", rows[3]["subject"]),
        ("risk", "hold", KEY_A),
        ("risk", "release", KEY_A),
        ("risk", "decline", KEY_B),
        ("finance", "payout", "payout-000001"),
        ("finance", "paid", batch),
        ("finance", "void", batch),
        (rows[10]["actor"], "payout", "payout-000002"),
    ]
    assert rows[9]["reason"] == "bank return AC04"
    assert rows[3]["subject"].startswith("adjustment-")


@pytest.fixture
def posted(files: Files) -> Files:
    status, _, err = files.post("2026-03-10", "--actor", "ops")
    assert status == 0, err
    return files


def test_the_statement_of_one_partner(posted: Files) -> None:
    status, out, err = posted("statements", "--partner", "aff-a", *at("2026-03-10"))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "statement of aff-a, every period, at 2026-03-10T00:00:00+00:00"
    assert lines[3].split() == ["EUR", "10.00", *["0.00"] * 6, "10.00", "10.00"]
    assert lines[6].split() == [
        "posting-000001:1", "2026-03", "earned", "pending", "10.00", "EUR",
        "10%", "of", "EUR", "100.00", "=", "EUR", "10.00",
    ]  # fmt: skip
    status, out, _ = posted(
        "statements", "--partner", "aff-a", "--format", "csv", *at("2026-04-05")
    )
    (row,) = read_csv(out)
    assert (row["entry_id"], row["status"], row["lock_at"]) == (
        "posting-000001:1",
        "locked",
        "2026-04-04T10:00:00+00:00",
    )
    status, out, _ = posted(
        "statements", "--partner", "aff-a", "--format", "json", *at("2026-04-05")
    )
    assert json.loads(out)["entries"][0]["source_ids"] == ["S-1"]
    status, out, _ = posted("statements", "--format", "csv", *at("2026-04-06"))
    assert [
        (r["partner_id"], r["locked"], r["owed"]) for r in csv.DictReader(io.StringIO(out))
    ] == [
        ("aff-a", "10.00", "10.00"),
        ("aff-b", "10.00", "10.00"),
    ]


def test_exports_of_entries_statements_and_batches(posted: Files) -> None:
    assert posted("payouts", "--run", *at("2026-04-10"))[0] == 0
    status, out, _ = posted("export", "--what", "entries", *at("2026-04-10"))
    assert status == 0
    assert [(r["entry_id"], r["status"], r["payout_batch"]) for r in read_csv(out)] == [
        ("posting-000001:1", "payable", "payout-000001:aff-a:EUR"),
        ("posting-000001:2", "payable", "payout-000001:aff-b:EUR"),
    ]
    status, out, _ = posted(
        "export", "--what", "entries", "--format", "jsonl", "--partner", "aff-b", *at("2026-04-10")
    )
    (line,) = out.splitlines()
    assert set(json.loads(line)) == set(COLUMNS)
    assert json.loads(line)["source_ids"] == ["S-2"]
    output = posted.folder / "statements.csv"
    status, out, err = posted(
        "export", "--what", "statements", "--output", output, *at("2026-04-11")
    )
    assert (status, out) == (0, "")
    assert err == f"wrote {output}: 2 row(s) of statements\n"
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert [(r["partner_id"], r["statement_period"], r["payable"], r["total"]) for r in rows] == [
        ("aff-a", "2026-03", "10.00", "10.00"),
        ("aff-b", "2026-03", "10.00", "10.00"),
    ]
    status, out, _ = posted("export", "--what", "batches", "--format", "jsonl")
    assert [json.loads(line)["entry_count"] for line in out.splitlines()] == [1, 1]


def test_payout_files(posted: Files) -> None:
    assert posted("payouts", "--run", *at("2026-04-10"))[0] == 0
    status, out, err = posted("payouts", "--file", "-")
    assert status == 0
    assert [r["batch_id"] for r in csv.DictReader(io.StringIO(out))] == [
        "payout-000001:aff-a:EUR",
        "payout-000001:aff-b:EUR",
    ]
    assert err == "wrote -: csv payout file of payout-000001, 2 batch(es), EUR 20.00\n"
    accounts = posted.folder / "accounts.csv"
    accounts.write_text(
        "partner_id,name,iban,bic\naff-a,Affiliate A,DE89370400440532013000,\n", encoding="utf-8"
    )
    sepa = posted.folder / "payouts.xml"
    status, out, err = posted(
        "payouts", "--file", sepa, "--file-format", "sepa", "--accounts", accounts,
        "--debtor-name", "Brand SAS", "--debtor-iban", "FR1420041010050500013M02606",
    )  # fmt: skip
    # aff-b has no account: its batch is left out, and said so (status 1).
    assert status == 1
    assert out == f"wrote {sepa}: sepa payout file of payout-000001, 1 batch(es), EUR 10.00\n"
    (line,) = err.splitlines()
    assert line.startswith("hybridroi: 1 problem(s), first: ")
    assert "aff-b" in line
    assert "<CtrlSum>10.00</CtrlSum>" in sepa.read_text(encoding="utf-8")


def test_a_post_with_input_problems_posts_what_it_could(files: Files) -> None:
    files.events.write_text(
        EVENTS + "sale,S-3,,2026-03-07T10:00:00+00:00,c1,,not money,EUR\n", encoding="utf-8"
    )
    status, out, err = files.post("2026-03-10")
    assert status == 1
    assert "2 entries added" in out.splitlines()[0]
    assert "\nproblem: events.csv:6: invalid sale:S-3 [revenue]: " in out
    (line,) = err.splitlines()
    assert line.startswith("hybridroi: 1 problem(s), first: events.csv:6: invalid sale:S-3")
    assert "what could be computed was posted" in line
    assert balances(files, "2026-03-10")["aff-a"]["pending"] == "10.00"


def test_policies_are_given_once_and_then_read_from_the_ledger(files: Files) -> None:
    policies = files.folder / "policies.json"
    policies.write_text(
        json.dumps(
            {
                "default": {
                    "lock": {"rule": "day_of_month", "day": 10},
                    "minimum_payouts": [["EUR", "15.00"]],
                }
            }
        ),
        encoding="utf-8",
    )
    assert files.post("2026-03-10", "--policies", policies)[0] == 0
    # Later commands use the stored policies: both sales lock on 10 April, under the minimum.
    status, out, err = files("payouts", "--run", "--format", "json", *at("2026-04-10"))
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert document["batches"] == []
    assert [c["reason"] for c in document["carried_over"]] == [
        "the locked balance EUR 10.00 is below the minimum payout EUR 15.00"
    ] * 2
    with SqliteLedgerStore(files.ledger) as store:
        stored = Ledger(
            store,
            campaign(),
            LedgerPolicies(
                default=LedgerPolicy(
                    lock=LockOnDayOfMonth(day=10),
                    minimum_payouts=(Money("15.00", "EUR"),),
                )
            ),
        )
        assert stored.policies.text() == store.stored_policies()
    # Other policies on the same file are refused, and nothing is written.
    other = files.folder / "other.json"
    other.write_text('{"default": {"lock": {"rule": "after_sale", "after": "60 days"}}}', "utf-8")
    status, out, err = files("payouts", "--run", "--policies", other, *at("2026-04-11"))
    assert (status, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith(f"hybridroi: error: {files.ledger}: the ledger was written under")
    assert "Leave --policies out" in line


def test_the_actor_defaults_to_the_login_name(
    posted: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "camille")
    status, _, err = posted("hold", "posting-000001:2", "--reason", "check", *at("2026-03-11"))
    assert (status, err) == (0, "")
    for name in ("LOGNAME", "USER", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = posted("hold", KEY_A, "--reason", "check", *at("2026-03-11"))
    assert (status, err) == (0, "")
    _, out, _ = posted("export", "--what", "audit", "--format", "jsonl")
    assert [json.loads(line)["actor"] for line in out.splitlines()][-2:] == ["camille", "cli"]


def error_line(result: tuple[int, str, str]) -> str:
    status, _, err = result
    assert status == 2, err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("hybridroi: error: ")
    return line.removeprefix("hybridroi: error: ")


def test_bad_input_is_status_2_with_one_line(posted: Files) -> None:
    files = posted
    line = error_line(
        files("adjust", "--partner", "nobody", "--amount", "5", "--kind", "bonus",
              "--reason", "r", *at("2026-03-11"))
    )  # fmt: skip
    assert line == (
        "unknown partner 'nobody': not a partner of campaign CMP-L (its partners: aff-a, aff-b)"
    )
    assert error_line(files("statements", "--partner", "nobody")).startswith(
        "unknown partner 'nobody'"
    )
    line = error_line(
        files("adjust", "--partner", "aff-a", "--amount", "5.00", "--kind", "penalty",
              "--reason", "r", *at("2026-03-11"))
    )  # fmt: skip
    assert line.startswith("adjustment refused: Adjustment.amount: expected a negative amount")
    line = error_line(files("payouts", "--mark-paid", "payout-000009:aff-a:EUR"))
    assert line.startswith("no payout batch or payout run 'payout-000009:aff-a:EUR' in ")
    # A statement run older than the last one posted.
    line = error_line(
        files("post", "--events", files.events, "--as-of", "2026-03-09T00:00:00+00:00",
              *at("2026-03-11"))
    )  # fmt: skip
    assert line.startswith("posting refused: statement run as of 2026-03-09T00:00:00+00:00 ")
    assert line.endswith(" (--as-of)")
    # An instant before the ledger's last run.
    line = error_line(files("hold", KEY_A, "--reason", "r", *at("2026-03-01")))
    assert line == (
        f"hold of {KEY_A} refused: --at 2026-03-01T00:00:00+00:00: expected an instant at or "
        "after the ledger's last run, 2026-03-10T00:00:00+00:00"
    )
    # A target that names no entry: nothing is recorded, not even the valid one before it.
    line = error_line(files("hold", KEY_A, "aff-a/2026-03/nothing/EUR", "--reason", "r"))
    assert line.startswith("'aff-a/2026-03/nothing/EUR' names no entry of the ledger")
    _, out, _ = files("export", "--what", "audit", "--format", "jsonl")
    assert [json.loads(row)["action"] for row in out.splitlines()] == ["policies", "post"]
    # Options of another action, and a void without its reason.
    assert error_line(files("payouts", "--run", "--reference", "X")) == (
        "--reference goes with --mark-paid (see hybridroi payouts --help)"
    )
    assert error_line(files("payouts", "--void", "b")).startswith("--void needs --reason")
    assert error_line(files("payouts", "--file", "-", "--file-format", "sepa")).startswith(
        "a SEPA payout file needs --accounts, --debtor-name, --debtor-iban"
    )
    assert error_line(files("export", "--what", "audit", "--partner", "aff-a")).startswith(
        "--partner does not go with --what audit"
    )
    # A ledger of another campaign.
    other = files.folder / "other.json"
    other.write_text(campaign_to_json(campaign("CMP-OTHER")), encoding="utf-8")
    line = error_line(run("statements", other, "--ledger", files.ledger))
    assert line.startswith(f"{files.ledger}: Ledger.campaign: expected campaign CMP-L")


def test_unusable_ledger_files(files: Files) -> None:
    # Only post creates a ledger.
    assert error_line(files("statements")) == (
        f"{files.ledger}: no ledger file there (hybridroi post creates one with the first posting)"
    )
    assert not files.ledger.exists()
    files.ledger.write_text("not a database, just text\n" * 100, encoding="utf-8")
    line = error_line(files("statements"))
    assert line.startswith(f"{files.ledger}: not a hybridroi ledger")
    foreign = files.folder / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id TEXT)")
    connection.close()
    line = error_line(run("post", files.campaign, "--ledger", foreign, "--events", files.events))
    assert line.startswith(f"{foreign}: not a hybridroi ledger")
    # Unusable input creates no ledger file.
    missing = files.folder / "new.db"
    error_line(run("post", files.campaign, "--ledger", missing, "--events", "nowhere.csv"))
    assert not missing.exists()
    policies = files.folder / "policies.json"
    policies.write_text('{"default": {"lock": {"rule": "every_full_moon"}}}', encoding="utf-8")
    line = error_line(
        run("post", files.campaign, "--ledger", missing, "--events", files.events,
            "--policies", policies)
    )  # fmt: skip
    assert line.startswith(f"{policies}: default.lock: expected after_sale")
    assert not missing.exists()


def test_an_internal_error_in_a_ledger_command_is_status_70(
    posted: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> object:
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.setattr(Ledger, "run_payouts", explode)
    status, out, err = posted("payouts", "--run")
    assert (status, out) == (70, "")
    (line,) = err.splitlines()
    assert line.startswith("hybridroi: internal error (RuntimeError: unexpected)")


def test_what_the_input_says_is_printed_safely(posted: Files) -> None:
    line = error_line(posted("hold", "aff-a/\x1b[2J/x/EUR", "--reason", "r"))
    assert line.startswith("'aff-a/\\x1b[2J/x/EUR' names no entry")
    status, out, err = posted(
        "adjust", "--partner", "aff-a", "--amount", "1.00", "--kind", "goodwill",
        "--reason", "sorry \x1b]0;owned\x07", "--actor", "ops", *at("2026-03-11"),
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert "\x1b" not in out
    assert "sorry \\x1b]0;owned\\x07" in out


@pytest.mark.parametrize("command", ["post", "statements", "adjust", "hold", "payouts", "export"])
def test_each_ledger_command_has_its_help(command: str) -> None:
    status, out, _ = run(command, "--help")
    assert status == 0
    assert out.startswith(f"usage: hybridroi {command} [-h]")
    assert "--ledger PATH" in out


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("post")),
        st.tuples(
            st.just("adjust"),
            st.sampled_from(["aff-a", "aff-b"]),
            st.sampled_from(["bonus", "penalty", "correction", "goodwill"]),
            st.sampled_from(["5.00", "-3.50", "12.25"]),
        ),
        st.tuples(
            st.just("hold"),
            st.sampled_from([KEY_A, KEY_B, "posting-000001:1"]),
            st.sampled_from(["", "--release", "--approve", "--decline", "--extend"]),
        ),
        st.tuples(st.just("payouts"), st.sampled_from(["--run", "--mark-paid", "--void"])),
    ),
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_commands_keeps_the_balances_equal_to_the_entries(
    tmp_path_factory: pytest.TempPathFactory, operations: list[tuple[str, ...]]
) -> None:
    files = Files(tmp_path_factory.mktemp("sequence"))
    assert files.post("2026-03-10")[0] == 0
    day = datetime(2026, 3, 11, tzinfo=UTC)
    for operation in operations:
        when = ["--at", day.isoformat()]
        day += timedelta(days=4)
        args: list[str]
        if operation[0] == "post":
            args = ["post", "--events", str(files.events), "--as-of", when[1], *when]
        elif operation[0] == "adjust":
            _, partner, kind, amount = operation
            args = ["adjust", "--partner", partner, "--kind", kind, f"--amount={amount}"]
            args += ["--reason", "r", *when]
        elif operation[0] == "hold":
            _, target, decision = operation
            extra = (
                ["--extend", "1 month"] if decision == "--extend" else [decision] * bool(decision)
            )
            args = ["hold", target, *extra, "--reason", "r", *when]
        else:
            _, listing, _ = files("payouts", "--format", "json")
            batches = json.loads(listing)["batches"]
            live = [b["batch_id"] for b in batches if b["state"] in {"payable", "paid"}]
            if operation[1] == "--run":
                args = ["payouts", "--run", *when]
            elif not live:
                continue
            elif operation[1] == "--mark-paid":
                payable = [b["batch_id"] for b in batches if b["state"] == "payable"]
                if not payable:
                    continue
                args = ["payouts", "--mark-paid", payable[0], *when]
            else:
                args = ["payouts", "--void", live[0], "--reason", "returned", *when]
        status, _, err = files(*args)
        # Refusals (a penalty with a positive amount, a release of nothing held) are status 2.
        assert status in {0, 2}, err
        assert "Traceback" not in err
    final = ["--at", day.isoformat()]
    totals = {p: row["total"] for p, row in balances(files, day.date().isoformat()).items()}
    _, out, _ = files("export", "--what", "entries", *final)
    sums: dict[str, Decimal] = {}
    for row in read_csv(out):
        sums[row["partner_id"]] = sums.get(row["partner_id"], Decimal(0)) + Decimal(row["amount"])
    assert {p: Decimal(t) for p, t in totals.items()} == sums


# --- regressions of the review of the ledger commands ------------------------------------


@pytest.mark.parametrize("which", ["ledger", "campaign", "policies"])
def test_an_output_naming_an_input_file_is_refused_before_the_ledger_is_opened(
    posted: Files, which: str
) -> None:
    policies = posted.folder / "policies.json"
    policies.write_text("{}", encoding="utf-8")
    target = {"ledger": posted.ledger, "campaign": posted.campaign, "policies": policies}[which]
    assert posted("payouts", "--run", *at("2026-04-10"))[0] == 0
    before = target.read_bytes()
    # Named another way than the input: the resolved paths are compared.
    other = posted.folder / "sub" / ".." / target.name
    (posted.folder / "sub").mkdir()
    extra: list[str | Path] = ["--policies", policies] if which == "policies" else []
    line = error_line(posted("export", "--what", "entries", "--output", other, *extra))
    assert line == f"--output names the {which} file"
    line = error_line(posted("payouts", "--file", other, *extra))
    assert line == f"--file names the {which} file"
    assert target.read_bytes() == before


def adjust(files: Files, *args: str) -> tuple[int, str, str]:
    return files(
        "adjust", "--partner", "aff-a", "--amount", "5.00", "--kind", "bonus",
        "--reason", "launch", "--actor", "ops", *args,
    )  # fmt: skip


def test_an_adjustment_retried_later_with_the_default_at_is_recorded_once(
    posted: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([datetime(2026, 3, 11, 9, tzinfo=UTC), datetime(2026, 3, 11, 9, 5, tzinfo=UTC)])
    monkeypatch.setattr("hybridroi.cli._now", lambda: next(clock))
    status, out, err = adjust(posted)
    assert (status, err) == (0, "")
    assert " recorded: " in out
    status, out, err = adjust(posted)
    assert (status, err) == (0, "")
    assert "already recorded, nothing changed" in out
    assert balances(posted, "2026-03-12")["aff-a"]["locked"] == "5.00"
    # The same id given to another adjustment.
    (made,) = Ledger(SqliteLedgerStore(posted.ledger), campaign()).adjustments()
    line = error_line(adjust(posted, "--id", made.id, "--reason", "other", *at("2026-03-12")))
    assert line == f"a different adjustment already has id {made.id}"
    assert error_line(
        posted("adjust", "--partner", "aff-a", "--amount", "6.00", "--kind", "bonus",
               "--reason", "launch", "--actor", "ops", "--id", made.id, *at("2026-03-12"))
    ) == f"a different adjustment already has id {made.id}"  # fmt: skip


def test_the_statement_of_one_period_shows_that_periods_balance(posted: Files) -> None:
    assert adjust(posted, "--period", "2026-04", *at("2026-03-11"))[0] == 0
    status, out, err = posted("statements", "--partner", "aff-a", "--period", "2026-04")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("statement of aff-a, period 2026-04, at ")
    # Only the adjustment's 5.00, not the 10.00 commission of 2026-03.
    assert lines[3].split() == ["EUR", "0.00", "0.00", "5.00", *["0.00"] * 4, "5.00", "5.00"]
    status, out, _ = posted(
        "statements", "--partner", "aff-a", "--period", "2026-03", *at("2026-03-11")
    )
    assert out.splitlines()[3].split() == ["EUR", "10.00", *["0.00"] * 6, "10.00", "10.00"]


@pytest.mark.parametrize("amount", ["1e30", "-1e30", "92233720368547758.08"])
def test_an_amount_beyond_the_ledgers_bound_is_refused_as_an_argument(
    posted: Files, amount: str
) -> None:
    line = error_line(
        posted("adjust", "--partner", "aff-a", f"--amount={amount}", "--kind", "correction",
               "--reason", "r", *at("2026-03-11"))
    )  # fmt: skip
    assert line.startswith("argument --amount: expected an amount of at most ")
    assert "Traceback" not in line


def test_unreadable_input_files_are_status_2(files: Files) -> None:
    policies = files.folder / "policies.json"
    policies.write_bytes(b'{"default": {"lock": "\xff"}}')
    line = error_line(files.post("2026-03-10", "--policies", policies))
    assert line == f"{policies}: expected UTF-8 text"
    policies.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    line = error_line(files.post("2026-03-10", "--policies", policies))
    assert line.startswith(f"{policies}: not JSON (")
    assert not files.ledger.exists()
    assert files.post("2026-03-10")[0] == 0
    assert files("payouts", "--run", *at("2026-04-10"))[0] == 0
    accounts = files.folder / "accounts.csv"
    accounts.write_bytes(b"partner_id,name,iban,bic\naff-a,\xe9,DE89370400440532013000,\n")
    line = error_line(files("payouts", "--file", "-", "--accounts", accounts))
    assert line == f"{accounts}: expected UTF-8 text"


def test_partner_policies_inherit_what_they_leave_out_from_the_default(files: Files) -> None:
    policies = files.folder / "policies.json"
    policies.write_text(
        json.dumps(
            {
                "default": {"minimum_payouts": [["EUR", "15.00"]]},
                "by_partner": {"aff-a": {"lock": {"rule": "after_sale", "after": "1 day"}}},
            }
        ),
        encoding="utf-8",
    )
    assert files.post("2026-03-10", "--policies", policies)[0] == 0
    with SqliteLedgerStore(files.ledger) as store:
        stored = json.loads(store.stored_policies() or "{}")
    assert stored["by_partner"]["aff-a"]["minimum_payouts"] == [["EUR", "15.00"]]
    assert stored["by_partner"]["aff-a"]["lock"] == {"rule": "after_sale", "after": "1 day"}


def test_policies_of_a_partner_not_in_the_campaign_are_refused(files: Files) -> None:
    policies = files.folder / "policies.json"
    policies.write_text('{"by_partner": {"aff-z": {}}}', encoding="utf-8")
    line = error_line(files.post("2026-03-10", "--policies", policies))
    assert line == f"{policies}: by_partner.aff-z: not a partner of campaign CMP-L"
    assert not files.ledger.exists()


@pytest.mark.parametrize("label", ["2026-13", "March", "2026-W10", "2026-3", "campaign"])
def test_statement_period_labels_are_checked(posted: Files, label: str) -> None:
    expected = "--period: expected a statement period such as 2026-03, got " + repr(label)
    assert error_line(adjust(posted, "--period", label, *at("2026-03-11"))) == expected
    assert error_line(posted("statements", "--partner", "aff-a", "--period", label)) == expected


def test_a_failed_command_leaves_no_ledger_file_it_created(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise InvalidValueError("statements", None, "a statement run the ledger accepts")

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "post", refuse)
        line = error_line(files.post("2026-03-10"))
    assert line.startswith("posting refused: ")
    assert sorted(path.name for path in files.folder.iterdir()) == ["campaign.json", "events.csv"]
    # A 0-byte file is no ledger for a read command, and is left as it was.
    files.ledger.write_bytes(b"")
    assert error_line(files("statements")).endswith(
        "no ledger file there (hybridroi post creates one with the first posting)"
    )
    assert files.ledger.read_bytes() == b""
    assert files.post("2026-03-10")[0] == 0


def test_options_given_without_their_action_are_refused(posted: Files) -> None:
    assert error_line(posted("payouts", "--reason", "x")) == (
        "--reason goes with --run, --mark-paid, --void or --failed (see hybridroi payouts --help)"
    )
    assert error_line(posted("payouts", *at("2026-04-10"))).startswith(
        "--at goes with --run, --mark-paid, --void or --failed"
    )
    assert error_line(posted("payouts", "--file", "-", *at("2026-04-10"))).startswith(
        "--at goes with "
    )
    assert error_line(posted("payouts", "--file", "-", "--format", "json")) == (
        "--format json does not go with --file -: the payout file is written on stdout"
    )
    for what in ("audit", "batches"):
        assert error_line(posted("export", "--what", what, *at("2026-04-10"))) == (
            f"--at does not go with --what {what}: it gives the statuses of entries and statements"
        )


@pytest.mark.parametrize("option", ["--at", "--as-of"])
def test_an_instant_out_of_range_names_its_option(files: Files, option: str) -> None:
    line = error_line(files("post", "--events", files.events, option, "0001-01-01T00:00:00Z"))
    assert line.startswith(f"argument {option}: expected an instant between 1900-01-01")
    assert not files.ledger.exists()


def test_a_payout_run_with_nothing_to_pay_says_so(posted: Files) -> None:
    status, out, err = posted("payouts", "--run", *at("2026-03-11"))
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "nothing to pay"


class _ClosedPipe(io.StringIO):
    """A standard output whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_closes_the_output_early_ends_the_command_quietly() -> None:
    err = io.StringIO()
    assert main(["demo", "--size", "200"], stdout=_ClosedPipe(), stderr=err) == 0
    assert err.getvalue() == ""
