"""CSV cells a spreadsheet cannot run: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is a formula to Excel and LibreOffice (``=HYPERLINK(...)`` in an agent's
name, ``+48...`` in a number). Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text; the accounts import takes the apostrophe off again."""

from __future__ import annotations

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
