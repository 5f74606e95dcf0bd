"""CSV cells a spreadsheet cannot run: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is a formula to Excel and LibreOffice (``=HYPERLINK(...)`` in an agent's
name, ``+48...`` in a number). Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text; the accounts import takes the apostrophe off again.

The imports read their files through :func:`read_csv`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from .errors import Invalid

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_AFTER_OURS = (*FORMULA_STARTS, "'")


def _escaped(value: str) -> bool:
    return value.startswith(FORMULA_STARTS) or (
        value.startswith("'") and value[1:].startswith(_AFTER_OURS)
    )


def safe_cell(value: str) -> str:
    """The cell to write. A value that already begins with an apostrophe before a formula
    start (or another apostrophe) gets one more, so :func:`unsafe_cell` gives it back."""
    return "'" + value if _escaped(value) else value


def unsafe_cell(value: str) -> str:
    """The value :func:`safe_cell` was given."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_AFTER_OURS) else value


CsvRow = dict[str | None, Any]


def _unreadable(line: int, exc: csv.Error) -> Invalid:
    text = str(exc)  # the csv module's own words: never a cell's content
    if "field limit" in text:
        text = f"a cell is longer than {csv.field_size_limit()} characters"
    message = f"line {line}: not readable as CSV ({text})"
    return Invalid(message, problems=[{"line": line, "message": message}])


def read_csv(text: str) -> tuple[list[str], Iterator[tuple[int, CsvRow]]]:
    """(the header, the rows with their numbers from 2) of a CSV text, as spreadsheets write
    it: a quoted cell keeps its line breaks and a classic Mac's CR line ends are read (the
    csv module's ``newline=''`` rule). A file the csv module cannot read (a cell past its
    field limit) raises ``Invalid`` naming the line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or ())
    except csv.Error as exc:
        raise _unreadable(1, exc) from None

    def rows() -> Iterator[tuple[int, CsvRow]]:
        line = 1
        while True:
            line += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _unreadable(line, exc) from None
            yield line, row

    return header, rows()
