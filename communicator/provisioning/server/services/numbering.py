"""Extensions: one number space shared by VoIP accounts and groups."""

from __future__ import annotations

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


def next_free_extension(s: Session, cfg: ServerConfig) -> int:
    lock_extensions(s)  # two processes never pick the same one
    used = used_extensions(s)
    for ext in range(cfg.extension_min, cfg.extension_max + 1):
        if ext not in used:
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
    lock_extensions(s)
    owner = s.scalar(select(VoipAccount.extension).where(VoipAccount.extension == ext))
    group = s.scalar(select(Group.id).where(Group.extension == ext))
    if (owner is not None or group is not None) and ext != mine:
        raise Conflict(f"extension {ext} is already in use")
