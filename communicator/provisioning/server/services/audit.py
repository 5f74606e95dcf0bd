"""The audit history of admin actions (seed 001 "History"): who changed what, when, and the
old and new value of every field; secrets are never stored, only that they changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..admin_models import AuditEntry
from ..models import utcnow

SECRET_FIELDS = frozenset(
    {"sip_password", "password", "password_hash", "sip_password_enc", "sip_ha1", "sip_ha1b"}
)
HIDDEN = "(hidden)"
CHANGED = "(changed)"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def diff(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    secrets_changed: frozenset[str] = frozenset(),
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that differ; secret fields never show a value
    (``secrets_changed`` names secrets set by the action, which appear as changed)."""
    old = old or {}
    new = new or {}
    out: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        if key in SECRET_FIELDS:
            continue
        before, after = _plain(old.get(key)), _plain(new.get(key))
        if before != after:
            out[key] = [before, after]
    for key in sorted(secrets_changed):
        out[key] = [HIDDEN, CHANGED]
    return out


def record(
    s: Session,
    *,
    admin: str,
    action: str,
    object_type: str,
    object_id: int | None,
    label: str,
    changes: dict[str, list[Any]],
) -> AuditEntry:
    """Adds an entry in the caller's transaction (recorded only if the action commits)."""
    for key in changes:
        if key in SECRET_FIELDS:
            changes[key] = [HIDDEN, CHANGED]
    entry = AuditEntry(
        at=utcnow(),
        admin=admin[:120],
        action=action[:20],
        object_type=object_type[:40],
        object_id=object_id,
        object_label=label[:200],
        changes=changes,
    )
    s.add(entry)
    return entry


@dataclasses.dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    admins: list[str]


def entries(
    s: Session,
    *,
    admin: str = "",
    object_type: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> AuditPage:
    """Newest first, filtered by admin, object type and period [since, until)."""
    q = select(AuditEntry)
    if admin:
        q = q.where(AuditEntry.admin == admin)
    if object_type:
        q = q.where(AuditEntry.object_type == object_type)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = list(
        s.scalars(
            q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
        )
    )
    admins = [str(a) for a in s.scalars(select(AuditEntry.admin).distinct().order_by("admin"))]
    return AuditPage(rows, total, admins)
