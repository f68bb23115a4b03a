"""The examples in the attribution and events documentation run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from hybridroi.domain import policy
from hybridroi.events import intake

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["attribution.md", "events.md"])
def test_documentation_examples_run(name: str) -> None:
    result = doctest.testfile(
        str(DOCS / name), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_module_examples_run() -> None:
    for module in (policy, intake):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0
