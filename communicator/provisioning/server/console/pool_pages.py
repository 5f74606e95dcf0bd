"""Extension pool page (issue 17, seed 003): the range, fixed, leased, free and recycled numbers.

The page reads the accounts as ``services.pool`` classifies them (``pool.is_lendable``, a lease
is live until ``lease_expires_at``); releasing a lease goes through ``audited.release_account``
(the JSON API's code), in one transaction with its audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..config import ServerConfig
from ..errors import NotFound
from ..models import Agent, Group, SignInSession, VoipAccount, utcnow
from ..routers.deps import State
from ..services import audited, numbering, pool
from .auth import PREFIX, Admin, check_csrf
from .numbers import is_row_id, number
from .render import add_page, page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 100

RECENT = dt.timedelta(hours=24)
"""A free pool number whose holder's session ended within this time shows as recycled (ended
sessions are pruned an hour after they end, so in practice it shows for about an hour)."""


class NumberState(enum.Enum):
    FIXED = "fixed"
    LEASED = "leased"
    FREE = "free"
    RECYCLED = "recycled"
    OUT = "out"
    """No agent of its own and not lent: inactive, not marked for the pool, or static IP."""


STATE_LABELS = {
    NumberState.FIXED: "Fixed",
    NumberState.LEASED: "Leased",
    NumberState.FREE: "Free",
    NumberState.RECYCLED: "Recently recycled",
    NumberState.OUT: "Not lent",
}


@dataclasses.dataclass(frozen=True)
class PoolNumber:
    account_id: int
    extension: int
    state: NumberState
    sip_username: str
    phone_number: str
    holder: str = ""
    """The fixed owner or the lease holder (display name and login)."""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    changed_at: dt.datetime | None = None
    last_holder: str = ""


@dataclasses.dataclass(frozen=True)
class PoolView:
    low: int
    high: int
    numbers: list[PoolNumber]
    groups: list[tuple[int, str]]
    unassigned: list[tuple[int, int]]
    """Runs of numbers in the range that no account or group uses: (first, last)."""
    counts: dict[NumberState, int]

    @property
    def unassigned_count(self) -> int:
        return sum(b - a + 1 for a, b in self.unassigned)


def gaps(used: set[int], low: int, high: int) -> list[tuple[int, int]]:
    """The runs of numbers in [low, high] that are not used, as (first, last)."""
    runs: list[tuple[int, int]] = []
    following = low
    for n in sorted(x for x in used if low <= x <= high):
        if n > following:
            runs.append((following, n - 1))
        following = n + 1
    if following <= high:
        runs.append((following, high))
    return runs


def _name(agent: tuple[str, str] | None) -> str:
    """ "Display Name (login)" from (login, display name)."""
    if agent is None:
        return ""
    login, display = agent
    return f"{display} ({login})" if display else login


def pool_view(s: Session, cfg: ServerConfig) -> PoolView:
    now = utcnow()
    # Columns, not objects: a pool of a thousand numbers stays cheap to read.
    v = VoipAccount
    accounts = s.execute(
        select(
            v.id, v.extension, v.sip_username, v.phone_number, v.updated_at, v.agent_id,
            v.lease_agent_id, v.lease_expires_at, pool.lendable().label("lendable"),
        ).order_by(v.extension)
    ).all()  # fmt: skip
    agents = {
        int(i): (str(login), str(display))
        for i, login, display in s.execute(select(Agent.id, Agent.login, Agent.display_name))
    }
    # The lease's start: the earliest live session of its holder on that account; a session
    # that ended lately on a free number says who held it last.
    sessions = s.execute(
        select(
            SignInSession.agent_id,
            SignInSession.account_id,
            SignInSession.created_at,
            SignInSession.expires_at,
            SignInSession.revoked_at,
        ).where(
            SignInSession.account_id.is_not(None),
            or_(SignInSession.revoked_at.is_(None), SignInSession.revoked_at > now - RECENT),
        )
    ).all()
    started: dict[tuple[int, int], dt.datetime] = {}
    held: dict[int, tuple[dt.datetime, int]] = {}
    for agent_id, account_id, created, expires, revoked in sessions:
        if account_id is None:
            continue
        if revoked is None and expires > now:
            key = (account_id, agent_id)
            started[key] = min(started.get(key, created), created)
        # Who held the number last: a session on it that ended lately, or one still open
        # whose lease was released or swept (the number is free while the session lasts).
        end = now if revoked is None and expires > now else min(revoked or expires, expires)
        if account_id not in held or held[account_id][0] < end:
            held[account_id] = (end, agent_id)
    numbers: list[PoolNumber] = []
    for acc in accounts:
        base: dict[str, Any] = {
            "account_id": acc.id,
            "extension": acc.extension,
            "sip_username": acc.sip_username,
            "phone_number": acc.phone_number,
            "changed_at": acc.updated_at,
        }
        if acc.agent_id is not None:
            numbers.append(
                PoolNumber(state=NumberState.FIXED, holder=_name(agents.get(acc.agent_id)), **base)
            )
            continue
        leased = (
            acc.lease_agent_id is not None
            and acc.lease_expires_at is not None
            and acc.lease_expires_at > now
        )
        if leased and acc.lease_agent_id is not None:
            numbers.append(
                PoolNumber(
                    state=NumberState.LEASED,
                    holder=_name(agents.get(acc.lease_agent_id)),
                    since=started.get((acc.id, acc.lease_agent_id)),
                    until=acc.lease_expires_at,
                    **base,
                )
            )
            continue
        if not acc.lendable:  # the pool service's rule, as SQL
            numbers.append(PoolNumber(state=NumberState.OUT, **base))
            continue
        # Changed hands lately: a lapsed lease nobody swept yet, or a recent holder's session.
        last = held.get(acc.id)
        last_id = acc.lease_agent_id
        if last_id is None and last is not None:
            last_id = last[1]
        numbers.append(
            PoolNumber(
                state=NumberState.RECYCLED if last_id else NumberState.FREE,
                last_holder=_name(agents.get(last_id)) if last_id else "",
                **base,
            )
        )
    groups = [
        (int(ext or 0), str(name))
        for ext, name in s.execute(
            select(Group.extension, Group.name)
            .where(Group.extension.is_not(None))
            .order_by(Group.extension)
        )
    ]
    used = numbering.used_extensions(s)
    low, high = cfg.extension_min, cfg.extension_max
    counts = {k: 0 for k in NumberState}
    for n in numbers:
        counts[n.state] += 1
    return PoolView(
        low=low,
        high=high,
        numbers=numbers,
        groups=groups,
        unassigned=gaps(used, low, high),
        counts=counts,
    )


@router.get("/pool")
async def pool_page(request: Request, state: State, admin: Admin) -> HTMLResponse:
    shown = request.query_params.get("show", "")
    wanted = {s.value: s for s in NumberState}.get(shown)
    view = await state.read(pool_view, state.cfg)
    chosen = [n for n in view.numbers if wanted is None or n.state is wanted]
    pages = max(1, (len(chosen) + PAGE_SIZE - 1) // PAGE_SIZE)
    asked = request.query_params.get("page", "")
    page_no = max(1, min(pages, number(asked, 6) or 1))
    rows = chosen[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    return page(
        request,
        "pool.html",
        nav="pool",
        admin=admin,
        csrf=admin.csrf_token,
        view=view,
        rows=rows,
        shown=len(chosen),
        page_no=page_no,
        pages=pages,
        show=wanted.value if wanted else "",
        states=list(NumberState),
        labels=STATE_LABELS,
        LEASED=NumberState.LEASED,
        now=utcnow(),
    )


def _release(admin_name: str, account_id: int) -> Any:
    """``audited.release_account`` (the JSON API's release and its audit entry); the answer
    says whether the number was leased."""

    def run(s: Session) -> tuple[int, bool]:
        acc = s.get(VoipAccount, account_id) if is_row_id(account_id) else None
        if acc is None:
            raise NotFound(f"VoIP account {account_id} does not exist")
        leased = acc.lease_agent_id is not None
        return audited.release_account(s, admin_name, account_id).extension, leased

    return run


@router.post("/pool/{account_id}/release")
async def pool_release(request: Request, state: State, admin: Admin, account_id: int) -> Response:
    check_csrf(admin, (await request.form()).get("csrf"))
    try:
        extension, released = await state.write(_release(admin.name, account_id))
    except NotFound:
        return page(request, "not_found.html", status=404, admin=admin, csrf=admin.csrf_token)
    msg = "released" if released else "not-leased"
    return redirect(f"{PREFIX}/pool?msg={msg}&n={extension}")


add_page(
    "pool",
    "Extension pool",
    f"{PREFIX}/pool",
    40,
    {
        "released": "Extension {n} released: back in the pool with a new SIP password.",
        "not-leased": "Extension {n} was not leased; nothing to release.",
    },
)
