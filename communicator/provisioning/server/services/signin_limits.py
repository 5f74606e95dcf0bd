"""Limits on guessing passwords, kept in the database so every server process counts the same.

Only failed sign-ins are counted, in token buckets (burst, refill per second): one per agent
login *and* client address, so a stranger guessing an agent's password locks out only
himself, never the agent at its own workstation; and one per address, so guessing many
agents' passwords from one place is limited too. A sign-in is refused (429) while a bucket it
draws on is empty; it is checked before the password is hashed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import ServerConfig
from ..models import SignInLimit, utcnow

FORGET_AFTER = dt.timedelta(days=1)
"""Buckets untouched this long are deleted (they are full again long before)."""


@dataclasses.dataclass(frozen=True)
class Bucket:
    key: str
    burst: float
    per_second: float
    what: str

    def level(self, tokens: float, updated: dt.datetime, now: dt.datetime) -> float:
        elapsed = max(0.0, (now - updated).total_seconds())
        return min(self.burst, tokens + elapsed * self.per_second)

    def wait(self, level: float) -> float:
        if level >= 1.0:
            return 0.0
        return (1.0 - level) / self.per_second if self.per_second > 0 else 3600.0


def buckets(cfg: ServerConfig, login: str, address: str) -> tuple[Bucket, Bucket]:
    """The buckets a sign-in draws on: (agent at this address, this address)."""
    address = address[:64]
    return (
        Bucket(
            f"la:{address}|{login.lower()[:100]}",
            cfg.signin_burst_per_agent,
            cfg.signin_rate_per_agent,
            "this agent",
        ),
        Bucket(
            f"a:{address}",
            cfg.signin_burst_per_address,
            cfg.signin_rate_per_address,
            "this address",
        ),
    )


_LEVELS = select(SignInLimit.key, SignInLimit.tokens, SignInLimit.updated_at).where(
    SignInLimit.key.in_(bindparam("keys", expanding=True))
)
"""Built once: a statement built per call costs several times its execution's CPU."""
_TWO_LEVELS = select(SignInLimit.key, SignInLimit.tokens, SignInLimit.updated_at).where(
    SignInLimit.key.in_([bindparam("k0"), bindparam("k1")])
)
"""The same for the two buckets every sign-in draws on (:func:`buckets`): plain parameters
need no rendering of the statement at each execution as an expanding one does (half the
CPU)."""


def refusal(s: Session, drawn: tuple[Bucket, ...]) -> tuple[float, str] | None:
    """(seconds to wait, what is limited) when a bucket is empty, else None.

    A plain (Core) statement: this runs before every sign-in's password check."""
    now = utcnow()
    conn = s.connection()
    if len(drawn) == 2:
        found = conn.execute(_TWO_LEVELS, {"k0": drawn[0].key, "k1": drawn[1].key})
    else:
        found = conn.execute(_LEVELS, {"keys": [b.key for b in drawn]})
    rows = {r[0]: r for r in found}
    for bucket in drawn:
        row = rows.get(bucket.key)
        if row is None:
            continue
        wait = bucket.wait(bucket.level(row[1], row[2], now))
        if wait > 0:
            return wait, bucket.what
    return None


def record_failure(s: Session, drawn: tuple[Bucket, ...]) -> None:
    """Takes one token from each bucket (a failed sign-in)."""
    now = utcnow()
    for bucket in drawn:
        for _attempt in range(3):
            row = s.scalar(
                select(SignInLimit).where(SignInLimit.key == bucket.key).with_for_update()
            )
            if row is not None:
                row.tokens = bucket.level(row.tokens, row.updated_at, now) - 1.0
                row.updated_at = now
                break
            try:
                with s.begin_nested():
                    s.add(SignInLimit(key=bucket.key, tokens=bucket.burst - 1.0, updated_at=now))
                break
            except IntegrityError:
                continue  # another process made the row first: take from it


def forget_stale(s: Session) -> None:
    """Deletes buckets untouched for :data:`FORGET_AFTER` (full again long since)."""
    s.execute(delete(SignInLimit).where(SignInLimit.updated_at < utcnow() - FORGET_AFTER))
