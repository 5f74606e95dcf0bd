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

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent

from communicator.provisioning.agent_status import AgentState

from ..changes import Change
from ..models import Agent, Group, SignInSession, VoipAccount, utcnow
from ..routers.deps import State
from ..services import admin_users, agent_status
from .auth import COOKIE, PREFIX, Admin
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
class BoardView:
    rows: list[BoardRow]
    now: dt.datetime

    def count(self, state: AgentState) -> int:
        return sum(1 for r in self.rows if r.state == state.value)

    @property
    def registered(self) -> int:
        return sum(1 for r in self.rows if r.registered)


def split_contact(contact: str | None) -> tuple[str, str]:
    """``192.0.2.10:5060`` or ``[2001:db8::1]:5060`` as (address, port)."""
    if not contact:
        return "", ""
    address, _, port = contact.rpartition(":")
    return address.strip("[]"), port


def board_view(s: Session) -> BoardView:
    now = utcnow()
    live = s.execute(
        select(SignInSession.agent_id, func.min(SignInSession.created_at), func.count())
        .join(Agent, Agent.id == SignInSession.agent_id)
        .where(
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
            Agent.active.is_(True),
        )
        .group_by(SignInSession.agent_id)
    ).all()
    ids = [int(r[0]) for r in live]
    if not ids:
        return BoardView([], now)
    agents = {a.id: a for a in s.scalars(select(Agent).where(Agent.id.in_(ids)))}
    groups = {g.id: g.name for g in s.scalars(select(Group))}
    extensions: dict[int, int] = {}
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
    statuses = agent_status.statuses(s, ids)
    rows = []
    for agent_id, signed_in_at, clients in live:
        agent = agents[int(agent_id)]
        st = statuses.get(agent.id)
        reg = st.registration if st else None
        address, port = split_contact(reg.contact if reg else None)
        rows.append(
            BoardRow(
                agent_id=agent.id,
                login=agent.login,
                name=agent.display_name or agent.login,
                group=groups.get(agent.group_id, "") if agent.group_id is not None else "",
                extension=extensions.get(agent.id),
                signed_in_at=signed_in_at,
                clients=int(clients),
                state=st.state.value if st else "unknown",
                state_label=STATE_LABELS[st.state] if st else "Not reported yet",
                reason=(st.reason or "") if st else "",
                since=st.since if st else None,
                registered=bool(reg and reg.registered),
                address=address,
                port=port,
                transport=(reg.transport or "") if reg else "",
                expires_s=reg.expires if reg else None,
                server=(reg.server or "") if reg else "",
                reported_at=st.reported_at if st else None,
            )
        )
    rows.sort(key=lambda r: (r.name.lower(), r.login))
    return BoardView(rows, now)


def elapsed(since: dt.datetime | None, now: dt.datetime) -> str:
    """Time in state as h:mm:ss (the page's script keeps it ticking)."""
    if since is None:
        return "—"
    total = max(0, int((now - since).total_seconds()))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def render_rows(view: BoardView) -> str:
    return env.get_template("board_rows.html").render(
        view=view, elapsed=elapsed, AgentState=AgentState
    )


@router.get("/board")
async def board_page(request: Request, state: State, admin: Admin) -> HTMLResponse:
    view = await state.read(board_view)
    resp = page(
        request,
        "board.html",
        nav="board",
        admin=admin,
        csrf=admin.csrf_token,
        rows_html=render_rows(view),
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
            last = render_rows(await state.read(board_view))
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
                rows = render_rows(await state.read(board_view))
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
