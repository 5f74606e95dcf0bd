"""The group editor's member picker (issue 17): the agents to add are searched on the server.

The editor sent all 1,000 agents as choices (209 KiB, 53 ms of the server's CPU); it now shows
the members and the first few other agents, and a search field whose matches come from
``GET /admin/member-choices`` (a list fragment the page's script puts in place, keeping what
is already ticked) or, without script, from the form's Find button (the editor comes back
with the matches, unsaved).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Session

from ..models import Agent, Group, utcnow
from ..routers.deps import State
from .agents_pages import agent_extension
from .auth import PREFIX, Admin
from .numbers import row_ids
from .render import PAGE_HEADERS, env

router = APIRouter(include_in_schema=False)  # included by groups_pages (under /admin)

SHOWN = 20
"""The most agents one search shows."""

CHOICES_URL = f"{PREFIX}/member-choices"
PICKER_CSP = PAGE_HEADERS["Content-Security-Policy"] + "; connect-src 'self'"
"""The editor's policy: the script may fetch the choices from the console."""


@dataclasses.dataclass(frozen=True)
class Choice:
    id: int
    login: str
    display_name: str
    extension: int | None
    group: str


def _select() -> Any:
    return select(
        Agent.id,
        Agent.login,
        Agent.display_name,
        agent_extension(utcnow()),
        func.coalesce(Group.name, ""),
    ).outerjoin(Group, Group.id == Agent.group_id)


def agents_by_id(s: Session, ids: Sequence[int]) -> list[Choice]:
    """These agents, in the order given (those that exist)."""
    if not ids:
        return []
    found = {row[0]: Choice(*row) for row in s.execute(_select().where(Agent.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(s: Session, text: str, exclude: Sequence[int]) -> tuple[list[Choice], int]:
    """The first ``SHOWN`` agents by login whose login, name or extension holds ``text`` (in
    any case; SQLite folds ASCII letters only), leaving out ``exclude``; and how many match."""
    conds: list[Any] = [Agent.id.not_in(exclude)] if exclude else []
    if text:
        pattern = f"%{_escaped(text.lower())}%"
        conds.append(
            or_(
                func.lower(Agent.login).like(pattern, escape="\\"),
                func.lower(Agent.display_name).like(pattern, escape="\\"),
                func.cast(agent_extension(utcnow()), String).like(pattern, escape="\\"),
            )
        )
    total = int(s.scalar(select(func.count()).select_from(Agent).where(*conds)) or 0)
    rows = s.execute(_select().where(*conds).order_by(func.lower(Agent.login)).limit(SHOWN))
    return [Choice(*row) for row in rows], total


def status_text(text: str, shown: int, total: int) -> str:
    """What the list under the search field holds, said to a screen reader too."""
    if text:
        if not total:
            return f"No other agent matches “{text}”."
        found = f"{total} agent{'' if total == 1 else 's'} match{'es' if total == 1 else ''}"
        more = f"; the first {shown} are shown" if total > shown else ""
        return f"{found} “{text}”{more}."
    if not total:
        return "Every agent is a member."
    if total > shown:
        return f"The first {shown} of {total} other agents are shown: search to find the rest."
    return ""


def ids_of(values: Sequence[Any]) -> list[int]:
    return row_ids(values)


@router.get("/member-choices")
async def member_choices(request: Request, state: State, admin: Admin) -> HTMLResponse:
    """The list items of the agents matching ``q``, not those in ``not`` (the members shown
    and the agents already ticked), for the editor's script."""
    text = request.query_params.get("q", "").strip()[:100]
    exclude = ids_of(request.query_params.getlist("not"))[:5000]
    found, total = await state.read(search, text, exclude)
    html = env.get_template("member_choices.html").render(
        choices=found, status=status_text(text, len(found), total)
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)
