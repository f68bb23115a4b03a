"""The report reads the checked events its run carries, and never checks them again."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

import attrs
import pytest
from tests.report import example
from tests.report.example import at, eur

import hybridroi.report
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.campaign import Campaign
from hybridroi.events.intake import EventBatch
from hybridroi.events.records import Event, Refund
from hybridroi.report.report import build_report
from hybridroi.statements.engine import compute_statements


def _bad_events() -> list[Event]:
    # One refund of a sale that does not exist: the intake check reports it once.
    return [
        *example.events(),
        Refund(id="r-ghost", conversion_id="nope", instant=at(4, 11), amount=eur("1.00")),
    ]


def _refuse(campaign: Campaign, events: Iterable[Event]) -> EventBatch:
    raise AssertionError("the report checked the events again")


def test_the_report_never_calls_check_events(monkeypatch: pytest.MonkeyPatch) -> None:
    campaign = example.campaign()
    run = compute_statements(campaign, _bad_events(), as_of=example.AS_OF)
    expected = build_report(campaign, run, stats=example.stats(), margin="0.6")
    monkeypatch.setattr("hybridroi.events.intake.check_events", _refuse)
    for info in pkgutil.iter_modules(hybridroi.report.__path__, "hybridroi.report."):
        module = importlib.import_module(info.name)
        if hasattr(module, "check_events"):
            monkeypatch.setattr(module, "check_events", _refuse)
    report = build_report(campaign, run, stats=example.stats(), margin="0.6")
    assert report == expected
    assert report.total.figures.revenue == eur("390.00")


def test_each_problem_of_the_events_is_reported_once() -> None:
    campaign = example.campaign()
    run = compute_statements(campaign, _bad_events(), as_of=example.AS_OF)
    report = build_report(campaign, run, stats=example.stats())
    assert [p.subject for p in report.problems].count("refund:r-ghost") == 1
    assert report.problems[: len(run.problems)] == run.problems


def test_a_run_without_its_checked_events_is_refused() -> None:
    run = example.run()
    assert run.batch is None
    with pytest.raises(InvalidValueError, match=r"run\.batch.*compute_statements"):
        build_report(example.campaign(), run)


def test_the_checked_events_of_the_run_are_the_ones_counted() -> None:
    # The same run with fewer checked events: the missing sale's credits are reported.
    batch = example.with_events(example.run()).batch
    assert batch is not None
    fewer = EventBatch(
        touches=batch.touches,
        conversions=tuple(c for c in batch.conversions if c.id != "s3"),
        refunds=batch.refunds,
    )
    report = build_report(example.campaign(), attrs.evolve(example.run(), batch=fewer))
    assert report.total.figures.sales_revenue == eur("350.00")
    assert "conversion:s3" in {p.subject for p in report.problems}
