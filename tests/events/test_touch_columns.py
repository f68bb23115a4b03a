"""Touches kept in columns: the same records, the same checked batch, the same problems."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.partners import Affiliate
from hybridroi.domain.policy import TouchKind
from hybridroi.events.columns import TouchColumns
from hybridroi.events.intake import EventParts, check_events
from hybridroi.events.records import Touch
from hybridroi.files.tables import read_event_tables
from hybridroi.serialization import unstructure

START = datetime(2026, 3, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CAMPAIGN = Campaign(
    id="spring",
    name="Spring",
    currency="EUR",
    timezone="Europe/Paris",
    start=START,
    end=START + timedelta(days=60),
    partners=[Affiliate(id="A", name="A"), Affiliate(id="B", name="B")],
)


def columns_of(touches: list[Touch]) -> TouchColumns:
    return TouchColumns(
        ids=[t.id for t in touches],
        kinds=[t.kind for t in touches],
        instants=np.array([(t.instant - EPOCH) // timedelta(microseconds=1) for t in touches]),
        keys=[t.customer_key for t in touches],
        partners=[t.partner_id for t in touches],
        channels=[t.channel for t in touches],
        contents=[t.content_id for t in touches],
        links=[t.link_id for t in touches],
    )


def click(ident: str, seconds: int, partner: str | None = "A", key: str = "c1") -> Touch:
    return Touch(
        id=ident,
        kind=TouchKind.CLICK,
        instant=START + timedelta(seconds=seconds),
        customer_key=key,
        partner_id=partner,
        channel=None if partner else "email",
    )


def test_the_columns_are_a_sequence_of_the_records() -> None:
    records = [click("T2", 5), click("T1", 5, partner=None), click("T3", 1, key="c2")]
    columns = columns_of(records)
    assert len(columns) == 3
    assert columns[0] == records[0]
    assert columns[-1] == records[2]
    assert columns[1:] == tuple(records[1:])
    assert columns == tuple(records)
    assert tuple(records) == columns
    assert hash(columns) == hash(tuple(records))
    assert list(columns) == records
    assert records[1] in columns
    assert pickle.loads(pickle.dumps(columns)) == tuple(records)
    assert repr(columns) == "TouchColumns(3 touches)"
    assert columns.take(np.array([2, 0])) == (records[2], records[0])


ids = st.text(alphabet="abcAB9é_-", min_size=1, max_size=4)


@st.composite
def touch_lists(draw: st.DrawFn) -> list[Touch]:
    names = draw(st.lists(ids, min_size=0, max_size=25, unique=True))
    return [
        click(
            name,
            draw(st.integers(0, 3)),  # few instants: many ties, ordered by id
            # An unknown partner now and then: the columns are then checked as records.
            partner=draw(st.sampled_from(["A", "B", None, "A", "B", "ghost"])),
            key=draw(st.sampled_from(["c1", "c2"])),
        )
        for name in names
    ]


@settings(max_examples=80, deadline=None)
@given(touch_lists(), st.randoms(use_true_random=False))
def test_checked_columns_are_the_checked_records(touches: list[Touch], order: object) -> None:
    shuffled = list(touches)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    from_columns = check_events(CAMPAIGN, EventParts(columns_of(shuffled)))
    from_records = check_events(CAMPAIGN, shuffled)
    if all(touch.partner_id != "ghost" for touch in touches):
        assert isinstance(from_columns.touches, TouchColumns)
    assert from_columns == from_records
    assert from_columns.problems == from_records.problems
    assert list(from_columns.touches) == list(from_records.touches)


def test_columns_a_check_refuses_are_checked_as_records_with_the_same_problems() -> None:
    twice = [click("T1", 1), click("T1", 2), click("T2", 3, partner="ghost")]
    from_columns = check_events(CAMPAIGN, EventParts(columns_of(twice)))
    from_records = check_events(CAMPAIGN, twice)
    assert from_columns == from_records
    assert from_columns.problems == from_records.problems
    assert {problem.kind.value for problem in from_columns.problems} == {
        "duplicate_id",
        "unknown_partner",
    }


def test_a_clean_table_of_clicks_is_read_into_columns() -> None:
    table = pa.table(
        {
            "id": ["K2", "K1"],
            "instant": pa.array([START, START], pa.timestamp("us", tz="UTC")),
            "customer_key": ["c1", "c1"],
            "partner_id": ["A", "B"],
        }
    )
    loaded = read_event_tables(clicks=table)
    assert isinstance(loaded.touches, TouchColumns)
    batch = check_events(CAMPAIGN, loaded.events)
    # Equal instants: the larger id comes last, as for records.
    assert [touch.id for touch in batch.touches] == ["K1", "K2"]
    assert batch == check_events(CAMPAIGN, tuple(loaded.events))
    assert loaded.events == tuple(loaded.events)
    assert len(loaded.events) == 2
    assert loaded.events[1].id == "K1"


def test_a_bad_row_is_a_problem_and_the_clean_rows_stay_in_columns() -> None:
    table = pa.table(
        {
            "id": ["K1", "K2"],
            "instant": pa.array([START, START], pa.timestamp("us", tz="UTC")),
            "customer_key": ["c1", " "],
            "partner_id": ["A", "B"],
        }
    )
    loaded = read_event_tables(clicks=table)
    assert isinstance(loaded.touches, TouchColumns)
    assert [touch.id for touch in loaded.touches] == ["K1"]
    assert [problem.source for problem in loaded.problems] == ["clicks:2"]


def test_rows_read_one_by_one_join_the_others_as_records() -> None:
    # A fraction of a second in text is judged by the converter, row by row.
    table = pa.table(
        {
            "id": ["K1", "K2"],
            "instant": ["2026-03-01T00:00:00+00:00", "2026-03-01T00:00:00.5+00:00"],
            "customer_key": ["c1", "c2"],
            "partner_id": ["A", "B"],
        }
    )
    loaded = read_event_tables(clicks=table)
    assert isinstance(loaded.touches, tuple)
    assert [touch.id for touch in loaded.touches] == ["K1", "K2"]
    assert loaded.problems == ()


def test_columns_given_by_hand_are_checked_as_touches_are() -> None:
    good = columns_of([click("T1", 1)])
    fields = {name: getattr(good, name) for name in ("ids", "kinds", "keys", "partners")}
    fields |= {"channels": [None], "contents": [None], "links": [None]}
    with pytest.raises(InvalidValueError, match="TouchColumns.instants"):
        TouchColumns(**fields, instants=np.array([1.5]))
    with pytest.raises(InvalidValueError, match="TouchColumns.keys"):
        TouchColumns(**{**fields, "keys": []}, instants=good.instants)
    with pytest.raises(InvalidValueError):
        TouchColumns(**{**fields, "ids": [" x "]}, instants=good.instants)
    with pytest.raises(InvalidValueError):
        TouchColumns(**{**fields, "partners": [None]}, instants=good.instants)


def test_the_events_read_add_like_a_tuple() -> None:
    table = pa.table(
        {
            "id": ["K1"],
            "instant": pa.array([START], pa.timestamp("us", tz="UTC")),
            "customer_key": ["c1"],
            "partner_id": ["A"],
        }
    )
    events = read_event_tables(clicks=table).events
    extra = (click("T9", 9),)
    assert events + extra == (*events, *extra)
    assert extra + events == (*extra, *events)
    assert unstructure(read_event_tables(clicks=table).touches) == unstructure(tuple(events))
