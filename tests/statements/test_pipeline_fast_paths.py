"""The whole pipeline reuses what checking established; it must price exactly as the parts do.

:func:`compute_statements` hands pricing the checked batch (sorted, unique events)
and the credits of :func:`attribute_batch` (sorted by conversion id), so pricing
skips re-indexing and re-sorting them. These tests price the same credits through
the public :func:`price_credits`, with the events in another order, and expect the
identical run.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.statements.strategies import START, campaign, sales_batches

from hybridroi.attribution.engine import attribute_batch
from hybridroi.core.money import Money
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.policy import TouchKind
from hybridroi.domain.rules import TieredRate
from hybridroi.domain.tiers import Band, TierMode
from hybridroi.events.intake import EventBatch, check_events
from hybridroi.events.records import Conversion, Event, Refund, Touch
from hybridroi.statements.engine import compute_statements, price_credits
from hybridroi.statements.lines import LineKind, StatementLine

BANDS = (
    Band(start=0, rate="0.08"),
    Band(start=500, rate="0.10"),
    Band(start=2000, rate="0.125"),
)


def _events(
    batch: list[tuple[Conversion, Refund | None]], partners: list[int], leads: list[int]
) -> list[Event]:
    """The sales and refunds, each sale with a click of partner A or B some hours before."""
    events: list[Event] = []
    for index, (conversion, refund) in enumerate(batch):
        events.append(conversion)
        if refund is not None:
            events.append(refund)
        events.append(
            Touch(
                id=f"K{index:03d}",
                kind=TouchKind.CLICK,
                instant=conversion.instant - timedelta(hours=leads[index % len(leads)]),
                customer_key=conversion.customer_key,
                partner_id="AB"[partners[index % len(partners)]],
            )
        )
    return events


@given(
    sales_batches(max_size=15),
    st.lists(st.integers(0, 1), min_size=1, max_size=15),
    st.lists(st.integers(0, 24 * 40), min_size=1, max_size=15),
    st.integers(0, 70 * 86400),
)
@settings(max_examples=60)
def test_the_pipeline_prices_as_price_credits_on_its_own_credits(
    batch: list[tuple[Conversion, Refund | None]],
    partners: list[int],
    leads: list[int],
    cut: int,
) -> None:
    deals = [
        AffiliateDeal(
            id=f"D-{partner}",
            partner_id=partner,
            rules=[TieredRate(id="T", bands=BANDS, mode=TierMode.GRADUATED)],
        )
        for partner in "AB"
    ]
    the_campaign = campaign(*deals, partners=("A", "B"))
    events = _events(batch, partners, leads)
    as_of = START + timedelta(seconds=cut)
    checked = check_events(the_campaign, events)
    attribution = attribute_batch(the_campaign, checked, as_of=as_of)
    expected = price_credits(
        the_campaign,
        attribution,
        EventBatch(
            conversions=reversed(checked.conversions),
            refunds=reversed(checked.refunds),
            touches=reversed(checked.touches),
        ),
        as_of=as_of,
    )
    assert compute_statements(the_campaign, reversed(events), as_of=as_of) == expected


def test_statement_lines_have_no_validators_or_converters_to_skip() -> None:
    # The engine builds lines by writing their slots; that is only equal to
    # calling StatementLine(...) while the class checks nothing and converts nothing the
    # engine writes: the kind takes its value as text, and gives a member back unchanged.
    for field in attrs.fields(StatementLine):
        assert field.validator is None
        assert field.converter is None or field.name == "kind"
    for kind in LineKind:
        line = StatementLine._trusted(
            "k", kind, Money.from_minor(1, "EUR"), "R", "k", START, (), None, None
        )
        assert line == attrs.evolve(line, kind=kind.value)


@given(
    st.text(min_size=1, max_size=8),
    st.sampled_from(LineKind),
    st.integers(-(10**6), 10**6),
    st.lists(st.text(min_size=1, max_size=4), max_size=3).map(tuple),
    st.booleans(),
)
def test_a_line_built_by_its_slots_equals_one_built_by_its_class(
    key: str, kind: LineKind, cents: int, sources: tuple[str, ...], capped: bool
) -> None:
    money = Money.from_minor(cents, "EUR")
    cap = money if capped else None
    built = StatementLine._trusted(
        key, kind, money, "R", f"{key} explained", START, sources, cap, None
    )
    expected = StatementLine(
        key=key,
        kind=kind,
        amount=money,
        rule_id="R",
        explanation=f"{key} explained",
        earned_at=START,
        source_ids=sources,
        capped=cap,
        fx=None,
    )
    assert built == expected
    assert attrs.asdict(built, recurse=False) == attrs.asdict(expected, recurse=False)
