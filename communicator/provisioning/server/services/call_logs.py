"""Call logs posted by clients: batched, idempotent by id, owned by the posting agent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..api_models import CallLogIn, Rejected
from ..errors import Invalid, NotFound
from ..models import Agent, CallLog, VoipAccount, utcnow
from .sessions import current_account


def _validate(items: Sequence[Any]) -> tuple[list[tuple[int, CallLogIn]], list[Rejected]]:
    valid: list[tuple[int, CallLogIn]] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise Invalid("each log must be a JSON object")
            valid.append((index, CallLogIn.model_validate(raw)))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            rid = raw.get("id") if isinstance(raw, dict) else None
            rejected.append(
                Rejected(
                    index=index, id=str(rid)[:64] if rid else None, error=f"{loc}: {err['msg']}"
                )
            )
        except Invalid as exc:
            rejected.append(Rejected(index=index, id=None, error=exc.message))
    return valid, rejected


def ingest_call_logs(
    s: Session, agent_id: int, items: Sequence[dict[str, Any]], account_id: int | None = None
) -> tuple[list[str], list[str], list[Rejected]]:
    """(accepted ids, duplicate ids, rejected items). A log already stored is accepted again."""
    accepted: list[str] = []
    duplicates: list[str] = []
    valid, rejected = _validate(items)
    if not valid:
        return accepted, duplicates, rejected
    ids = [log.id for _, log in valid]
    existing: dict[uuid.UUID, int | None] = dict(
        s.execute(select(CallLog.id, CallLog.agent_id).where(CallLog.id.in_(ids))).all()
    )
    agent = s.get(Agent, agent_id)
    account = s.get(VoipAccount, account_id) if account_id is not None else None
    if account is None:
        account = current_account(s, agent_id)
    rows: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    now = utcnow()
    for index, log in valid:
        sid = str(log.id)
        if log.id in existing or log.id in seen:
            if existing.get(log.id, agent_id) == agent_id:
                accepted.append(sid)
                duplicates.append(sid)
            else:
                rejected.append(Rejected(index=index, id=sid, error="this id is already used"))
            continue
        seen.add(log.id)
        rows.append(
            {
                "id": log.id,
                "agent_id": agent_id,
                "group_id": agent.group_id if agent else None,
                "account_id": account.id if account else None,
                "extension": account.extension if account else None,
                "local_number": account.phone_number if account else "",
                "line": log.line,
                "direction": log.direction,
                "remote": log.remote,
                "started_at": log.started_at,
                "answered_at": log.answered_at,
                "ended_at": log.ended_at,
                "duration_s": log.duration_s,
                "end_reason": log.end_reason,
                "sip_code": log.sip_code,
                "quality": log.quality,
                "received_at": now,
            }
        )
        accepted.append(sid)
    if rows:
        dialect = s.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CallLog)
        stmt = ins.on_conflict_do_nothing(index_elements=["id"])
        s.execute(stmt, rows)
    return accepted, duplicates, rejected


def get_own_call_log(s: Session, agent_id: int, log_id: uuid.UUID) -> CallLog:
    log = s.get(CallLog, log_id)
    if log is None or log.agent_id != agent_id:
        raise NotFound(f"call log {log_id} does not exist; post the log before its recording")
    return log


def recording_of(s: Session, log_id: uuid.UUID) -> tuple[str, str]:
    """(file name, media type) of a call's recording, for the admin."""
    row = s.get(CallLog, log_id)
    if row is None or not row.recording_file:
        raise NotFound(f"call log {log_id} has no recording")
    return row.recording_file, row.recording_type or "application/octet-stream"
