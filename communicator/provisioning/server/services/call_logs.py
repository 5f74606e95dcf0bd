"""Call logs posted by clients: batched, idempotent by id, owned by the posting agent.

Each log of a batch is judged on its own: a log that cannot be stored (a wrong field, a value
the database refuses, an id another agent's log already has) is refused with a reason, and the
others are stored. A refusal is final (posting the same log again gives the same answer), so the
client can set it aside; only a failure of the server itself (503/500) makes it retry.

Who owns an id is decided by the database's uniqueness, not by looking first: the insert skips
ids already present (``ON CONFLICT DO NOTHING``) and says which rows it stored (``RETURNING``),
so of two agents posting the same new id at once exactly one is told "accepted".
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session

from ..api_models import CallLogIn, LogStatus, RefusalCode, Rejected
from ..errors import NotFound
from ..models import Agent, CallLog, Group, VoipAccount, utcnow
from .sessions import current_account

log = logging.getLogger(__name__)

CONFLICT = "this id is already used by another agent's call log"
MAX_DEPTH = 32
"""Deeper than any call log: the walk for NUL characters stops here (pydantic refuses the
field anyway, since no field of a log nests)."""


@dataclass(frozen=True, slots=True)
class LogResult:
    """What became of one posted log (the API's ``LogResult``)."""

    index: int
    id: str | None
    status: LogStatus
    code: RefusalCode | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "status": self.status,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class IngestResult:
    results: list[LogResult]

    @property
    def accepted(self) -> list[str]:
        return [r.id for r in self.results if r.status != "refused" and r.id is not None]

    @property
    def duplicates(self) -> list[str]:
        return [r.id for r in self.results if r.status == "duplicate" and r.id is not None]

    @property
    def rejected(self) -> list[Rejected]:
        return [
            Rejected(index=r.index, id=r.id, error=r.reason or "refused", code=r.code or "invalid")
            for r in self.results
            if r.status == "refused"
        ]

    def body(self) -> dict[str, Any]:
        """The JSON answer: per-log ``results``, and the older lists clients already read."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.model_dump() for r in self.rejected],
            "results": [r.as_json() for r in self.results],
        }


def printable(text: str, limit: int = 200) -> str:
    """Text safe to answer with and to show: no NUL or control characters, no lone
    surrogates (they cannot be encoded in the UTF-8 answer), at most ``limit`` characters."""
    if len(text) <= limit and text.isprintable():  # the usual case; surrogates are not printable
        return text
    text = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _posted_id(raw: Any) -> str | None:
    rid = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(rid, bool) or not isinstance(rid, str | int):
        return None
    return printable(str(rid), 64) or None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (no PostgreSQL text holds it) and lone surrogates (no UTF-8 encodes them)."""


def _bad_text(value: Any) -> str | None:
    """The first string (value or key) that no database stores, as a refusal reason."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            found = _UNSTORABLE.search(item)
            if found is None:
                continue
            where = ".".join(printable(p, 40) for p in path) or "a field name"
            if found.group() == "\x00":
                return f"{where}: NUL characters (\\u0000) are not allowed"
            return f"{where}: contains an invalid character (a lone UTF-16 surrogate)"
        if len(path) >= MAX_DEPTH:
            continue
        if isinstance(item, dict):
            for key, sub in item.items():
                sub_path = (*path, str(key))
                stack.append((key, path))
                stack.append((sub, sub_path))
        elif isinstance(item, list):
            stack.extend((sub, (*path, f"[{i}]")) for i, sub in enumerate(item))
    return None


def _refused(index: int, rid: str | None, reason: str, code: RefusalCode) -> LogResult:
    return LogResult(index, rid, "refused", code, printable(reason, 300))


def _validate(
    items: Sequence[Any], check_text: bool
) -> Iterator[tuple[int, CallLogIn | LogResult]]:
    """Each posted item as a valid log, or as its refusal."""
    for index, raw in enumerate(items):
        rid = _posted_id(raw)
        if not isinstance(raw, dict):
            yield index, _refused(index, None, "each log must be a JSON object", "invalid")
            continue
        bad = _bad_text(raw) if check_text else None
        if bad is not None:
            yield index, _refused(index, rid, bad, "invalid")
            continue
        try:
            yield index, CallLogIn.model_validate(raw)
        except (ValidationError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                reason = "the log is nested too deeply"
            else:
                err = exc.errors(include_input=False, include_url=False)[0]
                loc = ".".join(str(x) for x in err["loc"])
                reason = f"{loc}: {err['msg']}" if loc else str(err["msg"])
            yield index, _refused(index, rid, reason, "invalid")


def may_hold_unstorable_text(body: bytes) -> bool:
    """False when a JSON body cannot hold a NUL or a lone surrogate: JSON writes them only
    as ``\\u0000``/``\\ud800``-style escapes or (surrogates) as their raw UTF-8 bytes. Lets the
    usual batch skip the walk through every string."""
    return _ESCAPES.search(body) is not None


_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])|\xed[\xa0-\xbf]")


def ingest_call_logs(
    s: Session,
    agent_id: int,
    items: Sequence[Any],
    account_id: int | None = None,
    *,
    check_text: bool = True,
) -> IngestResult:
    """Store the valid logs of ``items`` for ``agent_id``; one result per item, in order.

    A log already stored for this agent is a duplicate (accepted again). ``check_text=False``
    skips the search for NUL characters and lone surrogates (see
    :func:`may_hold_unstorable_text`)."""
    judged = dict(_validate(items, check_text))
    valid = {i: v for i, v in judged.items() if isinstance(v, CallLogIn)}
    results: dict[int, LogResult] = {i: v for i, v in judged.items() if isinstance(v, LogResult)}
    if valid:
        results.update(_store(s, agent_id, account_id, valid))
    return IngestResult([results[i] for i in range(len(items))])


def _store(
    s: Session, agent_id: int, account_id: int | None, valid: dict[int, CallLogIn]
) -> dict[int, LogResult]:
    agent = s.get(Agent, agent_id)
    account = s.get(VoipAccount, account_id) if account_id is not None else None
    if account is None:
        account = current_account(s, agent_id)
    common = {
        "agent_id": agent_id,
        "group_id": agent.group_id if agent else None,
        "account_id": account.id if account else None,
        "extension": account.extension if account else None,
        "local_number": account.phone_number if account else "",
        "received_at": utcnow(),
    }
    groups = _group_ids(s, {item.group for item in valid.values() if item.group})
    first: dict[uuid.UUID, int] = {}  # id -> index of its first log in the batch
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    for index, item in valid.items():
        if item.id not in first:
            first[item.id] = index
            rows[item.id] = {**common, **_columns(item)}
            if item.group and item.group in groups:
                rows[item.id]["group_id"] = groups[item.group]
    verdicts = _insert(s, agent_id, rows)
    results: dict[int, LogResult] = {}
    for index, item in valid.items():
        status, code, reason = verdicts[item.id]
        if status == "accepted" and first[item.id] != index:
            status = "duplicate"  # the same log twice in one batch
        results[index] = LogResult(index, str(item.id), status, code, reason)
    return results


def _group_ids(s: Session, names: set[str]) -> dict[str, int]:
    """The ids of the groups named (a group call's log counts for the group it came through;
    a name no group has, or a call without one, counts for the agent's group)."""
    if not names:
        return {}
    rows = s.execute(select(Group.name, Group.id).where(Group.name.in_(names))).all()
    return {name: group_id for name, group_id in rows}


Verdict = tuple[Any, RefusalCode | None, str | None]


def _insert(
    s: Session, agent_id: int, rows: dict[uuid.UUID, dict[str, Any]]
) -> dict[uuid.UUID, Verdict]:
    """Insert the rows in one statement; if the database refuses a value, row by row so only
    the guilty row is refused. Connection trouble and deadlocks propagate (the client retries)."""
    ordered = [rows[i] for i in sorted(rows)]  # one order for every request: no deadlock
    verdicts: dict[uuid.UUID, Verdict] = {}
    try:
        inserted = _insert_rows(s, ordered)
    except (OperationalError, InterfaceError):
        raise
    except StatementError as exc:
        s.rollback()
        log.warning(
            "a batch of %d call logs needs row-by-row storing: %s", len(ordered), _kind(exc)
        )
        inserted = set()
        for row in ordered:
            try:
                inserted |= _insert_rows(s, [row])
                s.commit()
            except (OperationalError, InterfaceError):
                raise
            except StatementError as row_exc:
                s.rollback()
                verdicts[row["id"]] = (
                    "refused",
                    "unstorable",
                    f"the server's database cannot store a value of this log ({_kind(row_exc)})",
                )
    for log_id in inserted:
        verdicts[log_id] = ("accepted", None, None)
    missing = [i for i in rows if i not in verdicts]
    owners: dict[uuid.UUID, int | None] = (
        dict(s.execute(select(CallLog.id, CallLog.agent_id).where(CallLog.id.in_(missing))).all())
        if missing
        else {}
    )
    for log_id in missing:
        if log_id in owners and owners[log_id] == agent_id:
            verdicts[log_id] = ("duplicate", None, None)
        else:
            verdicts[log_id] = ("refused", "conflict", CONFLICT)
    return verdicts


def _insert_rows(s: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id: the ids this statement stored.
    On PostgreSQL a concurrent insert of the same id waits for the other transaction and is
    skipped once that one commits."""
    dialect = s.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CallLog)
    stmt = ins.on_conflict_do_nothing(index_elements=["id"]).returning(CallLog.id)
    return set(s.execute(stmt, rows).scalars().all())


def _columns(item: CallLogIn) -> dict[str, Any]:
    return {
        "id": item.id,
        "line": item.line,
        "direction": item.direction,
        "remote": item.remote,
        "started_at": item.started_at,
        "answered_at": item.answered_at,
        "ended_at": item.ended_at,
        "duration_s": item.duration_s,
        "end_reason": item.end_reason,
        "sip_code": item.sip_code,
        "quality": item.quality,
    }


def _kind(exc: StatementError) -> str:
    """The database's kind of error, never its text (that carries the request's values)."""
    orig = exc.orig
    return type(orig).__name__ if orig is not None else type(exc).__name__


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
