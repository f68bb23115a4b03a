"""Touches whose text columns are Arrow arrays: the same records, codes and checks as lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.events.test_touch_columns import CAMPAIGN, EPOCH, START
from tests.events.test_touch_columns import columns_of as listed

from hybridroi.attribution.columns import columns_of
from hybridroi.core.money import Money
from hybridroi.domain.policy import TouchKind
from hybridroi.events.columns import TouchColumns, python_texts
from hybridroi.events.intake import EventParts, check_events
from hybridroi.events.records import Conversion, Touch
from hybridroi.files.tables import event_tables, read_event_tables

CENT = Money.from_minor(1, "EUR")
texts = st.sampled_from(["c1", "c2", "c3", "é-1", "c\x00"])


@st.composite
def touches(draw: st.DrawFn) -> list[Touch]:
    names = draw(st.lists(st.text("abcK0-9", min_size=1, max_size=4), max_size=20, unique=True))
    found = []
    for name in names:
        partner = draw(st.sampled_from(["A", "B", None]))
        kind = draw(st.sampled_from([TouchKind.CLICK, TouchKind.PROMO_CODE, TouchKind.VIEW]))
        found.append(
            Touch(
                id=name,
                kind=kind,
                instant=START + timedelta(seconds=draw(st.integers(0, 3))),
                customer_key=draw(texts),
                partner_id=partner,
                channel=None if partner else draw(st.sampled_from(["email", "seo"])),
                link_id=draw(st.none() | st.sampled_from(["SPRING", "spring", "L-1"])),
            )
        )
    return found


def arrow_held(records: list[Touch]) -> TouchColumns:
    """The touches as columns whose texts are Arrow arrays (the shared ones encoded)."""

    def text(values: list[str | None], shared: bool) -> pa.Array:
        data = pa.array(values, pa.string())
        return data.dictionary_encode() if shared else data

    return TouchColumns._from_arrow(
        kinds=[t.kind for t in records],
        instants=np.array(
            [(t.instant - EPOCH) // timedelta(microseconds=1) for t in records], dtype=np.int64
        ),
        texts={
            "ids": text([t.id for t in records], False),
            "keys": text([t.customer_key for t in records], True),
            "partners": text([t.partner_id for t in records], True),
            "channels": text([t.channel for t in records], True),
            "contents": text([t.content_id for t in records], False),
            "links": text([t.link_id for t in records], False),
        },
    )


@settings(max_examples=60, deadline=None)
@given(touches(), st.randoms(use_true_random=False))
def test_arrow_held_columns_are_the_records(records: list[Touch], order: object) -> None:
    columns = arrow_held(records)
    assert list(columns) == records
    assert [columns[row] for row in range(len(records))] == records
    rows = list(range(len(records)))
    order.shuffle(rows)  # type: ignore[attr-defined]
    taken = columns.take(np.array(rows, dtype=np.intp))
    assert list(taken) == [records[row] for row in rows]
    assert columns.values_at("partners", rows) == [records[row].partner_id for row in rows]
    assert taken.values_at("ids", rows) == [records[rows[row]].id for row in rows]
    assert columns.distinct_pairs("partners", "contents") == {
        (t.partner_id, t.content_id) for t in records
    }
    held = columns.dictionary("partners")
    assert held is not None
    codes, dictionary = held
    named = dictionary.to_pylist()
    assert [None if code < 0 else named[code] for code in codes.tolist()] == [
        t.partner_id for t in records
    ]


@settings(max_examples=60, deadline=None)
@given(touches(), st.lists(texts, max_size=8), st.randoms(use_true_random=False))
def test_arrow_codes_group_customers_as_the_lists_do(
    records: list[Touch], keys: list[str], order: object
) -> None:
    shuffled = list(records)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    conversions = [
        Conversion(
            id=f"S{n}",
            instant=START,
            customer_key=key,
            revenue=Money.from_minor(1000, "EUR"),
        )
        for n, key in enumerate(keys)
    ]
    by_arrow = columns_of(arrow_held(shuffled), conversions)
    by_lists = columns_of(listed(shuffled), conversions)
    everyone = [t.customer_key for t in shuffled] + keys

    def groups(codes: np.ndarray) -> list[list[int]]:
        found: dict[int, list[int]] = {}
        for row, code in enumerate(codes.tolist()):
            found.setdefault(code, []).append(row)
        return sorted(found.values())

    arrow_codes = np.concatenate([by_arrow.touch_customer, by_arrow.conversion_customer])
    list_codes = np.concatenate([by_lists.touch_customer, by_lists.conversion_customer])
    assert groups(arrow_codes) == groups(list_codes)
    assert groups(list_codes) == groups(np.array([everyone.index(k) for k in everyone]))
    for name in ("touch_partner", "touch_channel", "touch_kind", "touch_code", "conversion_code"):
        assert getattr(by_arrow, name).tolist() == getattr(by_lists, name).tolist(), name
    assert [by_arrow.partners[c] if c >= 0 else None for c in by_arrow.touch_partner] == [
        t.partner_id for t in shuffled
    ]


@settings(max_examples=40, deadline=None)
@given(touches().filter(bool))
def test_a_table_read_checks_as_the_records_do(records: list[Touch]) -> None:
    loaded = read_event_tables(touches=event_tables(records)["touches"])
    assert isinstance(loaded.touches, TouchColumns)
    assert loaded.touches._lists == {}  # nothing read into lists yet
    from_table = check_events(CAMPAIGN, loaded.events)
    from_records = check_events(CAMPAIGN, records)
    assert from_table == from_records
    assert list(from_table.touches) == list(from_records.touches)


def test_a_key_arrow_cannot_hold_is_coded_beside_the_others() -> None:
    records = [
        Touch(
            id="T1",
            kind=TouchKind.CLICK,
            instant=START,
            customer_key="c1",
            partner_id="A",
        )
    ]
    conversions = [
        Conversion(
            id=f"S{n}", instant=START, customer_key=key, revenue=Money.from_minor(100, "EUR")
        )
        for n, key in enumerate(["c\ud800", "c1", "c\ud800", "c9"])
    ]
    found = columns_of(arrow_held(records), conversions)
    assert found.touch_customer.tolist() == [0]
    codes = found.conversion_customer.tolist()
    assert codes[1] == 0
    assert codes[0] == codes[2] != codes[3]
    assert len({codes[0], codes[3], 0}) == 3


def test_python_texts_share_one_string_per_value() -> None:
    data = pa.array(["partner-" + "x" * 3, None, "partner-xxx"]).dictionary_encode()
    values = python_texts(data)
    assert values == ["partner-xxx", None, "partner-xxx"]
    assert values[0] is values[2]
    assert python_texts(pa.array(["a", None])) == ["a", None]


def test_one_record_read_builds_no_column_list() -> None:
    columns = arrow_held(
        [Touch(id="T1", kind=TouchKind.CLICK, instant=START, customer_key="c1", partner_id="A")]
    )
    assert columns[0].customer_key == "c1"
    assert columns._lists == {}
    _ = EventParts(columns)
    assert datetime(2026, 3, 1, tzinfo=UTC) == columns[0].instant
