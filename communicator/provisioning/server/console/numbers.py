"""Numbers and ids read from the console's links and forms.

``str.isdigit`` takes digits ``int`` refuses ("²", "①"), so a page number or an id is read
here, from ASCII digits only; and an id is one a row can have (1 to 2**31 - 1: past 64 bits
SQLite cannot bind it, past 32 bits PostgreSQL refuses it for an integer column).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2_147_483_647


def number(text: object, digits: int) -> int | None:
    """``text`` as a whole number when it is 1 to ``digits`` ASCII digits, else None."""
    if isinstance(text, str) and 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def is_row_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def row_id(text: object) -> int | None:
    """``text`` as an id a row can have, else None."""
    value = number(text, 10)
    return value if value is not None and is_row_id(value) else None


def row_ids(values: Iterable[object]) -> list[int]:
    """The ids among ``values``, each once, in their order (anything else left out)."""
    return list(dict.fromkeys(i for i in map(row_id, values) if i is not None))
