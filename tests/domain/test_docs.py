"""The examples in the domain documentation run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_domain_documentation_examples_run() -> None:
    result = doctest.testfile(
        str(DOCS / "domain.md"), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0
    assert result.failed == 0
