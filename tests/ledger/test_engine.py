"""The ledger fed by the commission engine: events -> statements -> entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import PercentRate
from hybridroi.events.records import Conversion, Refund, Touch
from hybridroi.ledger.entries import EntryType
from hybridroi.ledger.store import Ledger
from hybridroi.ledger.stores.sqlite import SqliteLedgerStore
from hybridroi.statements.engine import compute_statements

from .strategies import eur, make_campaign

SALE = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def test_a_partial_refund_through_the_engine_reverses_pro_rata(tmp_path: Path) -> None:
    deal = AffiliateDeal(id="D-1", partner_id="aff-1", rules=[PercentRate(id="pct", rate="0.12")])
    campaign = attrs.evolve(make_campaign(), deals=(deal,))
    click = Touch(
        id="K-1",
        kind=TouchKind.CLICK,
        instant=SALE - timedelta(hours=1),
        customer_key="cust-1",
        partner_id="aff-1",
    )
    sale = Conversion(id="C-17", instant=SALE, customer_key="cust-1", revenue=eur("84.00"))
    refund = Refund(
        id="R-3", conversion_id="C-17", instant=SALE + timedelta(days=3), amount=eur("50.40")
    )
    with SqliteLedgerStore(tmp_path / "ledger.db") as store:
        ledger = Ledger(store, campaign)
        store.record_events([click, sale])
        first_at = SALE + timedelta(days=1)
        first = ledger.post(compute_statements(campaign, store.events(), as_of=first_at))
        # 12% of EUR 84.00 = EUR 10.08.
        assert [(e.entry_type, e.amount) for e in first.entries] == [
            (EntryType.EARNED, eur("10.08"))
        ]
        assert "C-17" in first.entries[0].source_ids
        # The same events again, with the refund: only the refund changes anything.
        report = store.record_events([click, sale, refund])
        assert report.added == ("refund:R-3",)
        later = SALE + timedelta(days=4)
        second = ledger.post(compute_statements(campaign, store.events(), as_of=later))
        # 12% of (84.00 - 50.40) = 12% of 33.60 = 4.032 -> 4.03; 4.03 - 10.08 = -6.05.
        assert [(e.entry_type, e.amount) for e in second.entries] == [
            (EntryType.REVERSAL, eur("-6.05"))
        ]
        third = ledger.post(compute_statements(campaign, store.events(), as_of=later))
        assert third.entries == ()
        (balance,) = ledger.balances(later)
        assert balance.pending == eur("4.03")
