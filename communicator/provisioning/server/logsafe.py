"""Naming an error in the server's log without its text.

A database error's text carries the statement's parameters (logins, numbers, timestamps of a
request), and a traceback repeats it: the server logs an unexpected error as its type and the
place it was raised, which is enough to find it in the code and says nothing of the data."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """``"OperationalError in changes.py:249"``: the type and the innermost frame."""
    where = exc.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    if where is None:
        return type(exc).__name__
    filename = where.tb_frame.f_code.co_filename.rsplit("/", 1)[-1]
    return f"{type(exc).__name__} in {filename}:{where.tb_lineno}"
