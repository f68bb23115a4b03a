"""Campaign definition files: TOML for people, JSON for services.

A campaign file holds the whole :class:`hybridroi.Campaign`: partners, content, fees, deals
and their rules, extra costs, exchange rates and the attribution policy. Numbers with a
fraction (``rate = 0.12``) are read as exact decimals from their text, never through binary
floating point. Every problem is reported with the file and the key path, and all problems of
a file are reported at once.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from hybridroi.domain.campaign import Campaign
from hybridroi.serialization import DocumentError, structure, unstructure

__all__ = ["campaign_to_json", "load_campaign", "parse_campaign"]


def parse_campaign(text: str, *, format: str, source: str = "<campaign>") -> Campaign:
    """Build a campaign from the text of a definition.

    Args:
        text: The document.
        format: ``"toml"`` or ``"json"``.
        source: Where the text came from, used in error messages.

    Raises:
        DocumentError: If the text is not valid TOML or JSON, or describes an invalid campaign;
            every problem is listed with its key path.
    """
    data: Any
    if format == "toml":
        try:
            data = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as error:
            raise DocumentError([f"not valid TOML: {error}"], source) from None
    elif format == "json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise DocumentError(
                [f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"],
                source,
            ) from None
    else:
        raise ValueError(f"format: expected 'toml' or 'json', got {format!r}")
    if not isinstance(data, dict):
        raise DocumentError(["expected a table (object) at the top level @ $"], source)
    return structure(data, Campaign, source=source)


def load_campaign(path: str | Path) -> Campaign:
    """Read a campaign definition from a ``.toml`` or ``.json`` file.

    Raises:
        DocumentError: For an unreadable or invalid file, listing every problem.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise DocumentError([f"expected a .toml or .json file, got {file.name!r}"], str(file))
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise DocumentError([f"cannot read the file: {error.strerror}"], str(file)) from None
    return parse_campaign(text, format=suffix[1:], source=str(file))


def campaign_to_json(campaign: Campaign) -> str:
    """The JSON definition of ``campaign``, which :func:`parse_campaign` reads back."""
    return json.dumps(unstructure(campaign), indent=2, ensure_ascii=False)
