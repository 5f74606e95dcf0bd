"""Call reports for the admin: call logs filtered by agent, group, number and period."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..api_models import ReportRow
from ..csvsafe import safe_cell
from ..errors import NotFound
from ..models import Agent, CallLog, Group
from .agents import agent_by_login

_MAX_ID = 2_147_483_647


def _row_id(text: str) -> int | None:
    """A filter that names a row by its number: ASCII digits within the id range (``²`` and
    ``١٢`` are digits to Python, 20 digits overflow the database's integer)."""
    if text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= _MAX_ID:
        return int(text)
    return None


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    agent: str | None = None
    group: str | None = None
    number: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def _conditions(s: Session, f: ReportFilter) -> list[Any]:
    conds: list[Any] = []
    if f.agent:
        agent = agent_by_login(s, f.agent)
        if agent is None and (agent_id := _row_id(f.agent)) is not None:
            agent = s.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"agent {f.agent!r} does not exist")
        conds.append(CallLog.agent_id == agent.id)
    if f.group:
        g = s.scalar(select(Group).where(Group.name == f.group))
        if g is None and (group_id := _row_id(f.group)) is not None:
            g = s.get(Group, group_id)
        if g is None:
            raise NotFound(f"group {f.group!r} does not exist")
        conds.append(CallLog.group_id == g.id)
    if f.number:
        # The number is searched as typed: LIKE's wildcards and its escape are escaped.
        text = f.number.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%"
        conds.append(
            or_(
                CallLog.remote.like(pattern, escape="\\"),
                CallLog.local_number.like(pattern, escape="\\"),
                func.cast(CallLog.extension, type_=CallLog.remote.type).like(pattern, escape="\\"),
            )
        )
    if f.start:
        conds.append(CallLog.started_at >= f.start)
    if f.end:
        conds.append(CallLog.started_at < f.end)
    return conds


def _page(
    s: Session, conds: list[Any], order: tuple[Any, ...], limit: int, skip: int
) -> list[CallLog]:
    """The logs of one page in ``order``. When rows are skipped, the page's ids are found first
    and their rows read after: the ids walk the (started_at, id) index alone, so what OFFSET
    skips is never read from the table (on PostgreSQL too)."""
    if skip == 0:
        return list(s.scalars(select(CallLog).where(*conds).order_by(*order).limit(limit)))
    ids = list(
        s.scalars(select(CallLog.id).where(*conds).order_by(*order).limit(limit).offset(skip))
    )
    by_id: dict[Any, CallLog] = {}
    for chunk in range(0, len(ids), 500):
        wanted = ids[chunk : chunk + 500]
        by_id.update(
            (log.id, log) for log in s.scalars(select(CallLog).where(CallLog.id.in_(wanted)))
        )
    return [by_id[i] for i in ids if i in by_id]


def report(
    s: Session, f: ReportFilter, *, limit: int = 1000, offset: int = 0, total: int | None = None
) -> tuple[int, list[ReportRow]]:
    """(total matching, one page of rows) in start order. ``total``: already known (from
    ``totals``), so the logs are not counted twice."""
    conds = _conditions(s, f)
    if total is None:
        total = int(s.scalar(select(func.count()).select_from(CallLog).where(*conds)) or 0)
    from_end = total - offset - limit
    if offset > total // 2 and offset < total:
        # A page in the second half is read from the end (in reverse), so the database walks
        # past fewer rows: OFFSET reads every row it skips.
        order = (CallLog.started_at.desc(), CallLog.id.desc())
        logs = _page(s, conds, order, limit + min(0, from_end), max(0, from_end))
        logs.reverse()
    else:
        logs = _page(s, conds, (CallLog.started_at, CallLog.id), limit, offset)
    # Only the page's agents and groups (not every one: a thousand agents cost a page).
    agent_ids = {log.agent_id for log in logs if log.agent_id is not None}
    group_ids = {log.group_id for log in logs if log.group_id is not None}
    agents = {a.id: a for a in s.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
    groups = {g.id: g for g in s.scalars(select(Group).where(Group.id.in_(group_ids)))}
    rows = []
    for log in logs:
        agent = agents.get(log.agent_id) if log.agent_id is not None else None
        group = groups.get(log.group_id) if log.group_id is not None else None
        rows.append(
            ReportRow(
                id=str(log.id),
                agent=(agent.display_name or agent.login) if agent else None,
                agent_login=agent.login if agent else None,
                group=group.name if group else None,
                extension=log.extension,
                line=log.line,
                direction=log.direction,
                remote=log.remote,
                started_at=log.started_at,
                answered_at=log.answered_at,
                ended_at=log.ended_at,
                duration_s=log.duration_s,
                end_reason=log.end_reason,
                sip_code=log.sip_code,
                quality=log.quality,
                recording_url=(
                    f"/api/v1/admin/call-logs/{log.id}/recording" if log.recording_file else None
                ),
            )
        )
    return total, rows


@dataclasses.dataclass(frozen=True)
class ReportTotals:
    calls: int
    inbound: int
    outbound: int
    answered: int
    duration_s: float
    recordings: int


def totals(s: Session, f: ReportFilter) -> ReportTotals:
    """The totals of every log the filter matches (not only one page), in one query."""
    answered = CallLog.answered_at.is_not(None)
    row = s.execute(
        select(
            func.count(),
            func.count().filter(CallLog.direction == "inbound"),
            func.count().filter(CallLog.direction == "outbound"),
            func.count().filter(answered),
            func.coalesce(func.sum(CallLog.duration_s), 0.0),
            func.count(CallLog.recording_file),
        )
        .select_from(CallLog)
        .where(*_conditions(s, f))
    ).one()
    return ReportTotals(
        calls=int(row[0]),
        inbound=int(row[1]),
        outbound=int(row[2]),
        answered=int(row[3]),
        duration_s=float(row[4]),
        recordings=int(row[5]),
    )


REPORT_COLUMNS = [
    "id",
    "agent",
    "agent_login",
    "group",
    "extension",
    "line",
    "direction",
    "remote",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_s",
    "end_reason",
    "sip_code",
    "recording_url",
    "mos",
    "quality",
]
"""``mos`` and ``quality`` come from the call's quality figures as the client sent them: the
MOS estimate in a column of its own, and every figure as compact JSON."""


def report_csv(rows: Sequence[ReportRow], base_url: str = "") -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(REPORT_COLUMNS)
    for r in rows:
        d = r.model_dump(mode="json")
        if d["recording_url"]:
            d["recording_url"] = base_url + d["recording_url"]
        quality = d.get("quality")
        d["mos"] = quality.get("mos") if isinstance(quality, dict) else None
        d["quality"] = (
            json.dumps(quality, separators=(",", ":"), sort_keys=True) if quality else None
        )
        w.writerow(["" if d[c] is None else safe_cell(str(d[c])) for c in REPORT_COLUMNS])
    return out.getvalue()
