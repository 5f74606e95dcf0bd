"""Live board (issue 17, seed 002's "current registration"): every signed-in agent with its
state and time in state, its phone's registration and whether it is on a call.

The page updates itself through server-sent events: the stream listens to the server's change
notifications (``changes.py``: sign-ins and sign-outs, and status reports that change what is
shown, delivered across processes by PostgreSQL NOTIFY or the SQLite poll) and sends the
board's rows again, rendered by the same template as the page, when they differ.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent

from communicator.provisioning.agent_status import AgentState

from ..changes import Change
from ..models import Agent, AgentStatusRow, Group, SignInSession, VoipAccount, utcnow
from ..routers.deps import State
from ..services import admin_users
from .auth import COOKIE, PREFIX, Admin
from .numbers import number, row_id
from .render import PAGE_HEADERS, add_page, env, page

router = APIRouter(prefix=PREFIX, include_in_schema=False)

SETTLE_S = 0.2
"""After a change, how long the stream waits for more before reading the board (a burst of
sign-ins is sent once)."""

STATE_LABELS = {
    AgentState.SIGNED_OUT: "Signed out",
    AgentState.READY: "Ready",
    AgentState.NOT_READY: "Not ready",
    AgentState.NO_ANSWER: "Not ready (no answer)",
    AgentState.WRAP_UP: "Wrap-up",
    AgentState.ON_CALL: "On a call",
}

STATE_FILTER = {state.value: label for state, label in STATE_LABELS.items()} | {
    "unknown": "Not reported yet"
}
PAGE_SIZE = 100

# The stream needs connect-src (EventSource); the rest of the console's policy is kept.
BOARD_CSP = PAGE_HEADERS["Content-Security-Policy"] + "; connect-src 'self'"


@dataclasses.dataclass(frozen=True)
class BoardRow:
    agent_id: int
    login: str
    name: str
    group: str
    extension: int | None
    signed_in_at: dt.datetime
    clients: int
    state: str
    """An ``AgentState`` value, or "unknown" before the client's first report."""
    state_label: str
    reason: str
    since: dt.datetime | None
    registered: bool
    address: str
    port: str
    transport: str
    expires_s: int | None
    server: str
    reported_at: dt.datetime | None

    @property
    def on_call(self) -> bool:
        return self.state == AgentState.ON_CALL.value


@dataclasses.dataclass(frozen=True)
class BoardFilter:
    group_id: int | None = None
    state: str = ""
    page_no: int = 1

    def query(self, **extra: int) -> str:
        values: dict[str, object] = {"group": self.group_id or "", "state": self.state}
        values.update(extra)
        return urlencode({k: v for k, v in values.items() if v})


@dataclasses.dataclass(frozen=True)
class BoardView:
    rows: list[BoardRow]
    """The page's rows."""
    now: dt.datetime
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    """Signed-in agents by state (of the chosen group, whatever the state filter)."""
    signed_in: int = 0
    registered: int = 0
    shown: int = 0
    """Agents the filter matches, over every page."""
    page_no: int = 1
    pages: int = 1
    groups: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    def count(self, state: AgentState) -> int:
        return self.counts.get(state.value, 0)


def split_contact(contact: str | None) -> tuple[str, str]:
    """``192.0.2.10:5060`` or ``[2001:db8::1]:5060`` as (address, port)."""
    if not contact:
        return "", ""
    address, _, port = contact.rpartition(":")
    return address.strip("[]"), port


def _extensions(s: Session, ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Each agent's number: its fixed account, else the pool number it holds."""
    extensions: dict[int, int] = {}
    if not ids:
        return extensions
    for holder, leaser, ext, until in s.execute(
        select(
            VoipAccount.agent_id,
            VoipAccount.lease_agent_id,
            VoipAccount.extension,
            VoipAccount.lease_expires_at,
        ).where(VoipAccount.agent_id.in_(ids) | VoipAccount.lease_agent_id.in_(ids))
    ):
        if holder is not None:
            extensions[int(holder)] = int(ext)  # a fixed number wins over a lease
        elif leaser is not None and until is not None and until > now:
            extensions.setdefault(int(leaser), int(ext))
    return extensions


def board_view(s: Session, f: BoardFilter | None = None) -> BoardView:
    """One query for every signed-in agent (columns, not objects: a board of a thousand
    agents stays cheap); the page's rows are built for the chosen group, state and page."""
    f = f or BoardFilter()
    now = utcnow()
    live = (
        select(
            SignInSession.agent_id.label("agent_id"),
            func.min(SignInSession.created_at).label("since"),
            func.count().label("clients"),
        )
        .where(SignInSession.revoked_at.is_(None), SignInSession.expires_at > now)
        .group_by(SignInSession.agent_id)
        .subquery()
    )
    st = AgentStatusRow
    columns = (
        Agent.id, Agent.login, Agent.display_name, Agent.group_id, live.c.since, live.c.clients,
        st.state, st.reason, st.state_since, st.registered, st.contact, st.transport,
        st.expires_s, st.registrar, st.reported_at,
    )  # fmt: skip
    found = s.execute(
        select(*columns)
        .join(live, live.c.agent_id == Agent.id)
        .outerjoin(st, st.agent_id == Agent.id)
        .where(Agent.active.is_(True))
    ).all()
    groups = [
        (int(i), str(n)) for i, n in s.execute(select(Group.id, Group.name).order_by(Group.name))
    ]
    group_names = dict(groups)
    in_group = [r for r in found if f.group_id is None or r.group_id == f.group_id]
    counts: dict[str, int] = {}
    for r in in_group:
        key = r.state or "unknown"
        counts[key] = counts.get(key, 0) + 1
    chosen = [r for r in in_group if not f.state or (r.state or "unknown") == f.state]
    chosen.sort(key=lambda r: ((r.display_name or r.login).lower(), r.login))
    pages = max(1, (len(chosen) + PAGE_SIZE - 1) // PAGE_SIZE)
    page_no = min(max(1, f.page_no), pages)
    shown = chosen[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    extensions = _extensions(s, [int(r.id) for r in shown], now)
    rows = []
    for r in shown:
        state = AgentState(r.state) if r.state else None
        address, port = split_contact(r.contact) if r.registered else ("", "")
        rows.append(
            BoardRow(
                agent_id=int(r.id),
                login=r.login,
                name=r.display_name or r.login,
                group=group_names.get(r.group_id, "") if r.group_id is not None else "",
                extension=extensions.get(int(r.id)),
                signed_in_at=r.since,
                clients=int(r.clients),
                state=state.value if state else "unknown",
                state_label=STATE_LABELS[state] if state else "Not reported yet",
                reason=r.reason or "",
                since=r.state_since,
                registered=bool(r.registered),
                address=address,
                port=port,
                transport=r.transport or "",
                expires_s=r.expires_s,
                server=r.registrar or "",
                reported_at=r.reported_at,
            )
        )
    return BoardView(
        rows=rows,
        now=now,
        counts=counts,
        signed_in=len(in_group),
        registered=sum(1 for r in in_group if r.registered),
        shown=len(chosen),
        page_no=page_no,
        pages=pages,
        groups=groups,
    )


def elapsed(since: dt.datetime | None, now: dt.datetime) -> str:
    """Time in state as h:mm:ss (the page's script keeps it ticking)."""
    if since is None:
        return "—"
    total = max(0, int((now - since).total_seconds()))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def render_rows(view: BoardView, f: BoardFilter) -> str:
    return env.get_template("board_rows.html").render(
        view=view, f=f, elapsed=elapsed, AgentState=AgentState
    )


def read_filter(request: Request) -> BoardFilter:
    q = request.query_params
    group, page_no = q.get("group", ""), q.get("page", "")
    state = q.get("state", "")
    return BoardFilter(
        group_id=row_id(group),
        state=state if state in STATE_FILTER else "",
        page_no=number(page_no, 6) or 1,
    )


@router.get("/board")
async def board_page(request: Request, state: State, admin: Admin) -> HTMLResponse:
    f = read_filter(request)
    view = await state.read(board_view, f)
    resp = page(
        request,
        "board.html",
        nav="board",
        admin=admin,
        csrf=admin.csrf_token,
        rows_html=render_rows(view, f),
        f=f,
        groups=view.groups,
        states=STATE_FILTER,
    )
    resp.headers["Content-Security-Policy"] = BOARD_CSP
    return resp


async def _either(first: asyncio.Event, second: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


@router.get("/board/events")
async def board_events(request: Request, state: State, admin: Admin) -> Response:
    """``board`` events carry the rows' HTML; the stream ends when the admin signs out."""
    f = read_filter(request)
    changed = asyncio.Event()

    def listener(_change: Change) -> None:
        changed.set()  # any change may show (a sign-in, a status, a renamed agent or group)

    unsubscribe = state.bus.subscribe(listener)
    token = request.cookies.get(COOKIE, "")
    heartbeat = state.cfg.heartbeat_s

    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(comment="live board", retry=3000)
            # Whatever changed between the page's reading and this stream's start.
            last = render_rows(await state.read(board_view, f), f)
            yield ServerSentEvent(last, event="board")
            while not state.shutdown.is_set():
                await _either(changed, state.shutdown, heartbeat)
                if state.shutdown.is_set():
                    return
                if not changed.is_set():
                    if await state.write(admin_users.lookup_session, token) is None:
                        yield ServerSentEvent("signed out", event="end")
                        return
                    continue
                await asyncio.sleep(SETTLE_S)
                changed.clear()
                rows = render_rows(await state.read(board_view, f), f)
                if rows != last:
                    last = rows
                    yield ServerSentEvent(rows, event="board")
        finally:
            unsubscribe()

    return EventSourceResponse(
        stream(),
        ping=heartbeat,
        ping_message_factory=lambda: ServerSentEvent(comment="ping"),
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


add_page("board", "Live board", f"{PREFIX}/board", 50, {})
