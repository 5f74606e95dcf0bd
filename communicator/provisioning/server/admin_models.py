"""Tables of the admin console: admin users, their browser sessions and the audit history.

Kept apart from ``models.py`` (same ``Base``, same migrations); ``migrations/env.py`` imports
this module so that ``Base.metadata`` holds these tables whenever migrations run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime, utcnow


class AdminUser(Base):
    """A person who signs in to the admin console (password hashed with argon2id)."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdminSession(Base):
    """A signed-in browser: the cookie carries a token stored here only as its SHA-256.

    The CSRF token belongs to the session (synchroniser token): every form carries it and
    every POST must send it back. A session ends at sign-out, after ``expires_at`` (absolute)
    or when unused for the idle limit (``last_seen_at``).
    """

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(64), default="")


class AuditEntry(Base):
    """One admin action: who, what, when, and the old and new value of each field changed.

    ``changes`` maps a field to ``[old, new]``; secrets are stored as ``"(hidden)"`` /
    ``"(changed)"``, never their values. ``admin`` is the name at the time (it survives the
    user's deletion).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    admin: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    object_label: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_object", "object_type", "object_id"),
    )
