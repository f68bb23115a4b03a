"""Campaign definition files: TOML for people, JSON for services.

A campaign file holds the whole :class:`hybridroi.Campaign`: partners, content, fees, deals
and their rules, extra costs, exchange rates and the attribution policy. Numbers with a
fraction (``rate = 0.12``) are read as exact decimals from their text, never through binary
floating point. Every problem is reported with the file and the key path, and all problems of
a file are reported at once.

Whatever a file holds, reading it gives a campaign or a :class:`DocumentError`: a key given
twice, text that is not UTF-8, a document nested too deeply, a number with too many digits,
JSON's ``NaN`` and ``Infinity`` and a top level that is not a table are all refused, located.
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

# Problems of the whole document are located at its root, ``$``.
_TOO_DEEP = "the document is nested too deeply @ $"
_TOO_LONG = "a number with too many digits (at most 4300) @ $"


class _Repeated(dict[str, Any]):
    """A JSON object in which some keys were given more than once."""

    repeated: list[str]


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    marked = _Repeated(result)
    seen: set[str] = set()
    marked.repeated = []
    for key, _value in pairs:
        if key in seen and key not in marked.repeated:
            marked.repeated.append(key)
        seen.add(key)
    return marked


def _json_constant(name: str) -> Any:
    raise DocumentError([f"not valid JSON: {name} is not a number; write a finite number @ $"])


def _repeated_keys(data: Any) -> list[str]:
    """A located problem for every key given twice, in document order."""
    problems: list[str] = []
    stack: list[tuple[Any, str]] = [(data, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _Repeated):
                problems.extend(
                    f"the key {key!r} is given twice; give each key once @ {path}.{key}"
                    for key in value.repeated
                )
            stack.extend((child, f"{path}.{key}") for key, child in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(value))))
    return problems


def _parse_toml(text: str, source: str) -> Any:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        if message.startswith(("Cannot overwrite", "Cannot declare")):
            message += " (a key or table is given twice; give each one once)"
        raise DocumentError([f"not valid TOML: {message}"], source) from None
    except RecursionError:
        raise DocumentError([f"not valid TOML: {_TOO_DEEP}"], source) from None
    except ValueError as error:
        message = _TOO_LONG if "integer string conversion" in str(error) else str(error)
        raise DocumentError([f"not valid TOML: {message}"], source) from None


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_json_constant,
            object_pairs_hook=_json_object,
        )
    except DocumentError as error:
        raise DocumentError(error.problems, source) from None
    except json.JSONDecodeError as error:
        raise DocumentError(
            [f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"],
            source,
        ) from None
    except RecursionError:
        raise DocumentError([f"not valid JSON: {_TOO_DEEP}"], source) from None
    except ValueError as error:
        message = _TOO_LONG if "integer string conversion" in str(error) else str(error)
        raise DocumentError([f"not valid JSON: {message}"], source) from None
    problems = _repeated_keys(data)
    if problems:
        raise DocumentError(problems, source)
    return data


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
        data = _parse_toml(text, source)
    elif format == "json":
        data = _parse_json(text, source)
    else:
        raise ValueError(f"format: expected 'toml' or 'json', got {format!r}")
    if not isinstance(data, dict):
        raise DocumentError(["expected a table (object) at the top level @ $"], source)
    return structure(data, Campaign, source=source)


def load_campaign(path: str | Path) -> Campaign:
    """Read a campaign definition from a ``.toml`` or ``.json`` file.

    The file is UTF-8 text; a leading byte-order mark, as spreadsheet and editor exports
    write, is skipped.

    Raises:
        DocumentError: For an unreadable or invalid file, listing every problem.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise DocumentError([f"expected a .toml or .json file, got {file.name!r}"], str(file))
    try:
        data = file.read_bytes()
    except OSError as error:
        raise DocumentError([f"cannot read the file: {error.strerror}"], str(file)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DocumentError(
            [
                f"not UTF-8 text: byte 0x{data[error.start]:02x} at offset {error.start} "
                f"(line {line}) cannot be decoded; save the file as UTF-8"
            ],
            str(file),
        ) from None
    return parse_campaign(text, format=suffix[1:], source=str(file))


def campaign_to_json(campaign: Campaign) -> str:
    """The JSON definition of ``campaign``, which :func:`parse_campaign` reads back."""
    return json.dumps(unstructure(campaign), indent=2, ensure_ascii=False)
