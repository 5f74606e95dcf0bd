"""Agents pages (issue 17, seeds 001, 003, 004): the list (search, sort, paging, delete of
the selected), the editor, and through ``csv_pages`` the CSV import and export.

The editor is drawn from ``AgentFields`` (``model_form``); every change goes through
``services.audited`` (the JSON API's services, with the audit entry in the same
transaction). A password is hashed before the transaction, as the API does, and never shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import String, case, func, or_, select
from sqlalchemy.orm import Session

from ..api_models import AgentCreate, AgentFields
from ..errors import ApiError, NotFound
from ..models import Agent, Group, VoipAccount, utcnow
from ..routers.deps import State
from ..security import hash_password
from ..services import admin_users, agents, audited, groups
from . import csv_pages, model_form
from .auth import PREFIX, Admin, check_csrf
from .numbers import is_row_id, number, row_ids
from .render import add_page, page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)
router.include_router(csv_pages.router)

add_page(
    "agents",
    "Agents",
    f"{PREFIX}/agents",
    20,
    {
        "agent-created": "Agent created.",
        "agent-saved": "Agent saved; pushed to {p} signed-in client{ps}.",
        "agents-deleted": "Deleted {n} agent{s}.",
    },
)

PAGE_SIZE = 25
GROUPS_VALUE = "the group's value"
OVERRIDES = (
    "not_ready_reasons",
    "wrap_up_s",
    "wrap_up_extension_s",
    "no_answer_s",
    "calls_while_not_ready",
    "screen_pop_url",
    "screen_pop_on",
)
"""The call-center settings an agent may have of its own (None: its group's)."""

FIELDS = model_form.fields_of(
    AgentFields, skip=("group_id",), inherit=dict.fromkeys(OVERRIDES, GROUPS_VALUE)
)
OWN_FIELDS = tuple(f for f in FIELDS if not f.inherit)
CALL_CENTER_FIELDS = tuple(f for f in FIELDS if f.inherit)
SERVICE_WORDS = {"agent login": "login", "group": "group_id"}


@dataclasses.dataclass(frozen=True)
class AgentRow:
    id: int
    login: str
    display_name: str
    email: str
    group: str
    extension: int | None
    permission_level: int
    hot_desk: bool
    active: bool


def agent_extension(now: dt.datetime) -> Any:
    """An agent's extension: its own account's, else the number it holds an unexpired lease on."""
    own = select(func.min(VoipAccount.extension)).where(VoipAccount.agent_id == Agent.id)
    lent = select(func.min(VoipAccount.extension)).where(
        VoipAccount.lease_agent_id == Agent.id, VoipAccount.lease_expires_at > now
    )
    return func.coalesce(own.scalar_subquery(), lent.scalar_subquery())


def _sorts(extension: Any, group: Any) -> dict[str, tuple[Any, ...]]:
    """Each sort's columns, ascending (then the login, then the id: a stable order)."""
    login = func.lower(Agent.login)
    return {
        "login": (login,),
        "name": (func.lower(Agent.display_name), login),
        "group": (func.lower(group), login),
        "extension": (case((extension.is_(None), 1), else_=0), extension, login),
        "permission": (Agent.permission_level, login),
        "enabled": (case((Agent.active.is_(True), 0), else_=1), login),
    }


SORTS = ("login", "name", "group", "extension", "permission", "enabled")


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listed_agents(
    s: Session, search: str, sort: str, desc: bool, page_no: str
) -> tuple[list[AgentRow], int, int, int]:
    """One page of the list, searched, sorted and paged by the database (only its rows are
    read): (rows, matching agents, pages, the page shown). The search is a substring of the
    login, name, e-mail, group or extension, in any case (SQLite folds the case of ASCII
    letters only: "ö" does not find "Ö" there)."""
    extension = agent_extension(utcnow())
    group = func.coalesce(Group.name, "")
    conds: list[Any] = []
    if search:
        pattern = f"%{_escaped(search.lower())}%"
        conds.append(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (Agent.login, Agent.display_name, Agent.email, group)
                ),
                func.cast(extension, String).like(pattern, escape="\\"),
            )
        )
    joined = select(func.count()).select_from(Agent).outerjoin(Group, Group.id == Agent.group_id)
    total = int(s.scalar(joined.where(*conds)) or 0)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    asked = number(page_no, 8)
    current = min(pages, max(1, asked)) if asked is not None else 1
    order = (*_sorts(extension, group)[sort], Agent.id)
    rows = s.execute(
        select(
            Agent.id,
            Agent.login,
            Agent.display_name,
            Agent.email,
            group,
            extension,
            Agent.permission_level,
            Agent.hot_desk,
            Agent.active,
        )
        .outerjoin(Group, Group.id == Agent.group_id)
        .where(*conds)
        .order_by(*(c.desc() if desc else c for c in order))
        .limit(PAGE_SIZE)
        .offset((current - 1) * PAGE_SIZE)
    )
    return [AgentRow(*row) for row in rows], total, pages, current


@router.get("/agents")
async def agents_list(request: Request, state: State, admin: Admin) -> HTMLResponse:
    q = request.query_params
    search = q.get("q", "").strip()[:100]
    sort = q.get("sort", "login")
    sort = sort if sort in SORTS else "login"
    desc = q.get("dir") == "desc"
    rows, total, pages, current = await state.read(
        listed_agents, search, sort, desc, q.get("page", "1")
    )
    return page(
        request,
        "agents.html",
        nav="agents",
        admin=admin,
        csrf=admin.csrf_token,
        rows=rows,
        total=total,
        search=search,
        sort=sort,
        desc=desc,
        page_no=current,
        pages=pages,
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(r.get("label", r)) if isinstance(r, dict) else str(r) for r in value)
    return "" if value is None else str(value)


def _groups_values(s: Session, agent_id: int | None) -> dict[str, Any]:
    """What each call-center setting is when the agent uses its group's (for the labels)."""
    if agent_id is None:
        return {}
    out = agents.agent_out(s, agents.get_agent(s, agent_id)).model_dump(mode="json")
    return {f"{name}__group": _shown(out.get(f"effective_{name}")) for name in OVERRIDES}


async def _editor(
    request: Request,
    state: State,
    admin: Admin,
    *,
    agent_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    group_rows = await state.read(groups.list_groups)
    shown = {**values, **(await state.read(_groups_values, agent_id))}
    return page(
        request,
        "agent_edit.html",
        nav="agents",
        status=status,
        admin=admin,
        csrf=admin.csrf_token,
        agent_id=agent_id,
        values=shown,
        errors=errors or {},
        problem=problem,
        groups=group_rows,
        own_fields=OWN_FIELDS,
        call_center_fields=CALL_CENTER_FIELDS,
    )


@router.get("/agents/new")
async def agent_new(request: Request, state: State, admin: Admin) -> HTMLResponse:
    values = model_form.values_of(FIELDS, {"active": True, "permission_level": 10})
    values.update({f"{name}{model_form.INHERIT_SUFFIX}": True for name in OVERRIDES})
    values["group_id"] = None
    return await _editor(request, state, admin, agent_id=None, values=values)


@router.get("/agents/{agent_id}")
async def agent_edit(request: Request, state: State, admin: Admin, agent_id: int) -> HTMLResponse:
    try:
        if not is_row_id(agent_id):  # (the path takes any integer)
            raise NotFound(f"agent {agent_id} does not exist")
        out = await state.read(lambda s: agents.agent_out(s, agents.get_agent(s, agent_id)))
    except NotFound:
        return page(request, "agents_missing.html", status=404, admin=admin, csrf=admin.csrf_token)
    dumped = out.model_dump(mode="json")
    values = model_form.values_of(FIELDS, dumped)
    values["group_id"] = out.group_id
    return await _editor(request, state, admin, agent_id=agent_id, values=values)


@dataclasses.dataclass(frozen=True)
class _Saved:
    agent_id: int
    pushed: int


async def _save(request: Request, state: State, admin: Admin, agent_id: int | None) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    if agent_id is not None and not is_row_id(agent_id):
        return page(request, "agents_missing.html", status=404, admin=admin, csrf=admin.csrf_token)
    data, errors = model_form.data_from_form(FIELDS, form.get, form.getlist)
    group = str(form.get("group_id") or "").strip()
    group_id = number(group, 10)
    data["group_id"] = group_id if group_id is not None else (group or None)
    body: AgentFields | None = None
    problem = ""
    try:
        body = (AgentCreate if agent_id is None else AgentFields).model_validate(data)
    except ValidationError as exc:
        found, problem = model_form.validation_errors(exc, FIELDS, ("group_id",))
        errors = {**found, **errors}
    if body is not None and not errors:
        pw_hash = await state.hash_call(hash_password, body.password) if body.password else None
        who = admin.name

        def run(s: Session) -> _Saved:
            if agent_id is None:
                assert isinstance(body, AgentCreate) and pw_hash is not None
                a = audited.create_agent(s, who, body, pw_hash)
            else:
                assert body is not None
                a = audited.update_agent(s, who, agent_id, body, pw_hash)
            return _Saved(a.id, admin_users.signed_in_clients(s, {a.id}))

        try:
            saved = await state.write(run)
        except NotFound as exc:
            if agent_id is not None and "agent" in exc.message:
                return page(
                    request, "agents_missing.html", status=404, admin=admin, csrf=admin.csrf_token
                )
            errors, problem = model_form.service_errors(exc, FIELDS, SERVICE_WORDS)
        except ApiError as exc:
            errors, problem = model_form.service_errors(exc, FIELDS, SERVICE_WORDS)
        else:
            msg = "agent-created" if agent_id is None else "agent-saved"
            return redirect(f"{PREFIX}/agents/{saved.agent_id}?msg={msg}&p={saved.pushed}")
    values = model_form.values_of(FIELDS, data)
    values["group_id"] = data.get("group_id")
    return await _editor(
        request,
        state,
        admin,
        agent_id=agent_id,
        values=values,
        errors=errors,
        problem=problem or "The agent was not saved: correct the fields marked below.",
        status=422,
    )


@router.post("/agents/new")
async def agent_create(request: Request, state: State, admin: Admin) -> Response:
    return await _save(request, state, admin, None)


@router.post("/agents/delete")
async def agents_delete(request: Request, state: State, admin: Admin) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    ids = row_ids(form.getlist("ids"))
    if not ids:
        return redirect(f"{PREFIX}/agents")
    deleted, _missing = await state.write(audited.delete_agents, admin.name, ids[:10000])
    return redirect(f"{PREFIX}/agents?msg=agents-deleted&n={len(deleted)}")


# After /agents/delete, which this path would otherwise take.
@router.post("/agents/{agent_id}")
async def agent_update(request: Request, state: State, admin: Admin, agent_id: int) -> Response:
    return await _save(request, state, admin, agent_id)
