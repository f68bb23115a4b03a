r"""Text that leaves the library safely: spreadsheet cells, CSV rows and terminal output.

Every file the library writes reads back to the same values, and is safe to open in
a spreadsheet; everything it prints is safe to show in a terminal.

* :func:`escape_cell` protects a CSV cell against formula injection: a cell that a
  spreadsheet would run (``=SUM(A1)``, ``+1``, ``-1+2``, ``@x``, a leading tab or
  carriage return) is prefixed with a single quote. A cell that already starts with
  a single quote gets one more, so that :func:`unescape_cell` can always tell an
  escaped ``=1+1`` from a name that really is ``'=1+1``. Plain decimal numbers such
  as ``-6.05`` are left as they are: a spreadsheet reads them as numbers.
* :func:`csv_line` writes one row of RFC 4180 CSV ending in ``\n``, quoting every
  cell that holds a comma, a quote, a line feed or a lone carriage return (the
  standard library quotes a carriage return only when it is part of the line
  terminator).
* :func:`printable` makes text safe for a terminal: control characters (ESC, CR,
  BEL, ...) and the bidirectional overrides that can reorder what a reader sees are
  shown as escapes such as ``\x1b`` instead of being sent raw.

>>> escape_cell("=SUM(A1:A9)"), escape_cell("-6.05"), escape_cell("'=1+1")
("'=SUM(A1:A9)", '-6.05', "''=1+1")
>>> unescape_cell(escape_cell("'=1+1")), unescape_cell(escape_cell("=1+1"))
("'=1+1", '=1+1')
>>> csv_line(["a\rb", "plain", "a,b"])
'"a\rb",plain,"a,b"\n'
>>> print(printable("Lea\x1b[31m red"))
Lea\x1b[31m red
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["csv_line", "csv_text", "escape_cell", "printable", "unescape_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_cell(value: str) -> str:
    r"""Escape a CSV cell that a spreadsheet could read as a formula.

    Args:
        value: The cell's text.

    Returns:
        The text prefixed with ``'`` if it begins with ``=``, ``+``, ``-``, ``@``, a
        tab or a carriage return and is not a plain decimal number, or if it begins
        with ``'`` itself; otherwise the text unchanged.
    """
    if value.startswith("'") or (value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    r"""Undo :func:`escape_cell`: ``unescape_cell(escape_cell(text)) == text`` for any text.

    Args:
        value: A cell as written by :func:`escape_cell`.

    Returns:
        The original text.
    """
    if value.startswith("'") and value[1:].startswith(("'", *_FORMULA_START)):
        return value[1:]
    return value


def _lines(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    # With "\r\n" as terminator the writer quotes any cell holding "\r" or "\n";
    # the terminator itself is then replaced by a plain line feed.
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()[:-2] + "\n"
        buffer.seek(0)
        buffer.truncate()


def csv_line(cells: Sequence[str]) -> str:
    r"""One CSV row ending in ``\n``, every cell quoted as RFC 4180 requires.

    Args:
        cells: The row's cells, as text (escape them first with :func:`escape_cell`
            where a spreadsheet may open the file).

    Returns:
        The row's text, which ``csv.reader`` reads back to the same cells.
    """
    return next(_lines([cells]))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A whole CSV document: ``header``, then ``rows``, each line as :func:`csv_line` writes it.

    Args:
        header: The column names.
        rows: The rows, each with one text cell per column.

    Returns:
        The document's text.
    """
    return "".join(_lines(itertools.chain([header], rows)))


def printable(value: str) -> str:
    r"""``value`` with control and bidirectional-override characters shown as escapes.

    Args:
        value: Any text, for example a partner's name read from a file.

    Returns:
        The text with each unsafe character replaced by ``\xNN``, ``\uNNNN`` escapes;
        other characters, accents and emoji included, are kept.
    """
    return _UNSAFE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), value)
