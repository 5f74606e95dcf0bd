"""Admin users of the console, their browser sessions and the CSRF token of each session.

Passwords are argon2id hashes (``security.py``, as agents). A session cookie carries a random
token stored only as its SHA-256; a session ends at sign-out, at its absolute expiry, or after
``IDLE`` without a request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..admin_models import AdminSession, AdminUser
from ..errors import Conflict, Invalid
from ..models import SignInSession, utcnow
from ..security import new_token, token_digest

LIFETIME = dt.timedelta(hours=8)
"""A console session ends this long after sign-in, however busy."""
IDLE = dt.timedelta(minutes=30)
"""A console session ends after this long without a request."""
TOUCH_EVERY = dt.timedelta(seconds=60)
"""``last_seen_at`` is written at most this often (not on every page)."""
MIN_PASSWORD = 10


@dataclasses.dataclass(frozen=True)
class ConsoleSession:
    session_id: int
    user_id: int
    name: str
    csrf_token: str = dataclasses.field(repr=False)
    expires_at: dt.datetime


def create_user(s: Session, name: str, password_hash: str) -> AdminUser:
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("the admin name must be 1 to 100 characters", problems=[{"field": "name"}])
    if s.scalar(select(AdminUser.id).where(AdminUser.name == name)) is not None:
        raise Conflict(f"admin user {name!r} already exists")
    user = AdminUser(name=name, password_hash=password_hash, active=True, created_at=utcnow())
    s.add(user)
    s.flush()
    return user


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password must have at least {MIN_PASSWORD} characters")


def password_hash_of(s: Session, name: str) -> str | None:
    """The active user's hash (None for unknown or disabled names: verified against a dummy)."""
    return s.scalar(select(AdminUser.password_hash).where(AdminUser.name == name, AdminUser.active))


def open_session(s: Session, name: str, address: str) -> tuple[str, ConsoleSession]:
    """A new session for a user whose password was just checked; returns (cookie token, info)."""
    user = s.scalar(select(AdminUser).where(AdminUser.name == name, AdminUser.active))
    if user is None:
        raise Invalid("unknown admin user")
    now = utcnow()
    s.execute(
        delete(AdminSession).where(
            or_(AdminSession.expires_at <= now, AdminSession.last_seen_at <= now - IDLE)
        )
    )
    token = new_token("acs")
    row = AdminSession(
        token_hash=token_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
        address=address[:64],
    )
    s.add(row)
    s.flush()
    return token, ConsoleSession(row.id, user.id, user.name, row.csrf_token, row.expires_at)


def lookup_session(s: Session, token: str, now: dt.datetime | None = None) -> ConsoleSession | None:
    """The live session of a cookie token, refreshing its idle clock; None when unknown,
    expired, idle too long, or its user is disabled (an ended session is deleted)."""
    now = now or utcnow()
    row = s.scalar(select(AdminSession).where(AdminSession.token_hash == token_digest(token)))
    if row is None:
        return None
    user = s.get(AdminUser, row.user_id)
    if user is None or not user.active or row.expires_at <= now or row.last_seen_at <= now - IDLE:
        s.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return ConsoleSession(row.id, user.id, user.name, row.csrf_token, row.expires_at)


def close_session(s: Session, session_id: int) -> None:
    s.execute(delete(AdminSession).where(AdminSession.id == session_id))


def signed_in_clients(s: Session, agent_ids: set[int | None]) -> int:
    """How many live agent sessions (signed-in clients) the given agents have now: the
    clients a profile change of theirs is pushed to."""
    ids = [a for a in agent_ids if a is not None]
    if not ids:
        return 0
    now = utcnow()
    return int(
        s.scalar(
            select(func.count(SignInSession.id)).where(
                SignInSession.agent_id.in_(ids),
                SignInSession.revoked_at.is_(None),
                SignInSession.expires_at > now,
            )
        )
        or 0
    )
