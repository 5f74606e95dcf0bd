"""Extensions: one number space shared by VoIP accounts and groups.

One account or group at a time, a pick reads the used extensions under the allocation lock.
An import of thousands of accounts reads them once instead (`extensions_held`): read at every
row, they made the import quadratic (20,000 accounts held the database's write lock for over
a minute, while sign-ins and call logs waited).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import ServerConfig
from ..db import lock_extensions
from ..errors import Conflict, Invalid
from ..models import Group, VoipAccount


def used_extensions(s: Session) -> set[int]:
    accounts = s.scalars(select(VoipAccount.extension)).all()
    groups = s.scalars(select(Group.extension).where(Group.extension.is_not(None))).all()
    return {int(x) for x in accounts} | {int(x) for x in groups if x is not None}


@dataclasses.dataclass
class _Held:
    used: set[int]
    next: int
    """No free extension below this one (the picks so far went up from the range's start)."""


_HELD = "communicator.extensions_held"


@contextlib.contextmanager
def extensions_held(s: Session) -> Iterator[None]:
    """Inside the block (one transaction, as an import's): the allocation lock is taken and
    the used extensions read once; every pick and check in the block uses and updates them.
    An extension freed inside the block is not picked again before it ends (it may be asked
    for by number)."""
    if _HELD in s.info:  # already inside one
        yield
        return
    lock_extensions(s)
    s.info[_HELD] = _Held(used_extensions(s), 0)
    try:
        yield
    finally:
        s.info.pop(_HELD, None)


def next_free_extension(s: Session, cfg: ServerConfig) -> int:
    held: _Held | None = s.info.get(_HELD)
    if held is None:
        lock_extensions(s)  # two processes never pick the same one
        used, start = used_extensions(s), cfg.extension_min
    else:
        used, start = held.used, max(cfg.extension_min, held.next)
    for ext in range(start, cfg.extension_max + 1):
        if ext not in used:
            if held is not None:
                held.used.add(ext)
                held.next = ext + 1
            return ext
    raise Conflict(
        f"no free extension left in {cfg.extension_min}-{cfg.extension_max}; "
        "delete an account or widen the range"
    )


def check_extension(s: Session, cfg: ServerConfig, ext: int, *, mine: int | None = None) -> None:
    """Raises unless ``ext`` is in the configured range and free (or already ``mine``)."""
    if not cfg.extension_min <= ext <= cfg.extension_max:
        raise Invalid(
            f"extension {ext} is outside the range {cfg.extension_min}-{cfg.extension_max}",
            problems=[{"field": "extension", "message": "out of range"}],
        )
    held: _Held | None = s.info.get(_HELD)
    if held is not None:
        # The held set only grows (a number given up in the block, or by a row rolled back,
        # stays in it): only the database tells whether a number in it is still taken.
        if ext in held.used and ext != mine and _taken(s, ext):
            raise Conflict(f"extension {ext} is already in use")
        held.used.add(ext)
        return
    lock_extensions(s)
    if _taken(s, ext) and ext != mine:
        raise Conflict(f"extension {ext} is already in use")


def _taken(s: Session, ext: int) -> bool:
    owner = s.scalar(select(VoipAccount.extension).where(VoipAccount.extension == ext))
    group = s.scalar(select(Group.id).where(Group.extension == ext))
    return owner is not None or group is not None
