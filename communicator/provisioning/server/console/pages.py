"""The VoIP accounts pages (list, editor, delete) and the audit history page.

Every change goes through ``services.audited`` (the JSON API's code: the change and its audit
entry in one transaction); the count of signed-in clients it was pushed to is read in the same
transaction (the change reaches them through ``changes.emit``, as for the API).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..api_models import AccountCreate, AccountFields, AccountRow
from ..errors import ApiError, NotFound
from ..models import Agent, Group, VoipAccount, fill_defaults, utcnow
from ..routers.deps import State
from ..services import accounts, admin_users, audit, audited, pool
from . import account_form
from .auth import PREFIX, Admin, check_csrf
from .numbers import is_row_id, number, row_ids
from .render import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 25
SORTS: dict[str, Callable[[Any], tuple[Any, ...]]] = {
    "agent": lambda r: ((r.agent or "").lower(), r.extension),
    "group": lambda r: ((r.group or "").lower(), r.extension),
    "phone_number": lambda r: (r.phone_number, r.extension),
    "extension": lambda r: (r.extension,),
    "status": lambda r: (r.status, r.extension),
}


def status_of(row: AccountRow) -> str:
    if not row.active:
        return "inactive"
    if row.in_use_by:
        return f"in use by {row.in_use_by}"
    return "pool" if row.pool else "active"


@router.get("")
@router.get("/")
async def home() -> Response:
    return redirect(f"{PREFIX}/accounts")


@dataclasses.dataclass(frozen=True)
class _ListKey:
    """What the list searches and sorts an account by, read for every account in one column
    query; only the shown page's rows are read through ``accounts.account_rows`` (whole ORM
    records for 1,000 accounts and agents cost more than the page's 100 ms)."""

    id: int
    agent: str | None
    group: str | None
    phone_number: str
    extension: int
    sip_username: str
    status: str


def _list_keys(s: Session) -> list[_ListKey]:
    """The same agent, group and status as ``accounts.account_rows`` gives each account: its own
    agent's name; the group of its own agent, else of the agent holding an unexpired lease;
    the status of ``status_of``."""
    own, holder = aliased(Agent), aliased(Agent)
    groups: dict[int, str] = {i: name for i, name in s.execute(select(Group.id, Group.name))}
    now = utcnow()
    rows = s.execute(
        select(
            VoipAccount.id,
            VoipAccount.extension,
            VoipAccount.phone_number,
            VoipAccount.sip_username,
            VoipAccount.active,
            VoipAccount.pool,
            VoipAccount.equipment_type,
            VoipAccount.lease_expires_at,
            own.id,
            own.display_name,
            own.login,
            own.group_id,
            holder.login,
            holder.group_id,
        )
        .outerjoin(own, own.id == VoipAccount.agent_id)
        .outerjoin(holder, holder.id == VoipAccount.lease_agent_id)
    )
    keys = []
    for acc_id, ext, phone, user, active, pool_flag, equipment, expires, *people in rows:
        own_id, own_name, own_login, own_group, holder_login, holder_group = people
        held = holder_login is not None and expires is not None and expires > now
        group_id = own_group if own_id is not None else holder_group if held else None
        if not active:
            status = "inactive"
        elif held:
            status = f"in use by {holder_login}"
        else:
            lendable = own_id is None and pool_flag and equipment == pool.SIP_ID
            status = "pool" if lendable else "active"
        keys.append(
            _ListKey(
                id=acc_id,
                agent=(own_name or own_login) if own_id is not None else None,
                group=groups.get(group_id) if group_id is not None else None,
                phone_number=phone,
                extension=ext,
                sip_username=user,
                status=status,
            )
        )
    return keys


def _listed(search: str, sort: str, desc: bool, page_no: str) -> Any:
    def run(s: Session) -> tuple[list[AccountRow], int, int, int]:
        keys = sorted(_list_keys(s), key=lambda k: k.extension)
        if search:
            needle = search.lower()
            keys = [
                k
                for k in keys
                if any(
                    needle in str(v).lower()
                    for v in (k.agent, k.group, k.phone_number, k.extension, k.sip_username)
                    if v is not None
                )
            ]
        keys.sort(key=SORTS[sort], reverse=desc)
        pages = max(1, (len(keys) + PAGE_SIZE - 1) // PAGE_SIZE)
        asked = number(page_no, 9)
        current = min(pages, max(1, asked)) if asked is not None else 1
        shown = [k.id for k in keys[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]]
        by_id = {r.id: r for r in accounts.account_rows(s, shown)}
        return [by_id[i] for i in shown if i in by_id], len(keys), pages, current

    return run


@router.get("/accounts")
async def accounts_list(request: Request, state: State, admin: Admin) -> HTMLResponse:
    q = request.query_params
    search = q.get("q", "").strip()[:100]
    sort = q.get("sort", "extension")
    sort = sort if sort in SORTS else "extension"
    desc = q.get("dir") == "desc"
    shown, total, pages, current = await state.read(_listed(search, sort, desc, q.get("page", "1")))
    return page(
        request,
        "accounts.html",
        nav="accounts",
        admin=admin,
        csrf=admin.csrf_token,
        rows=[(r, status_of(r)) for r in shown],
        total=total,
        search=search,
        sort=sort,
        desc=desc,
        page_no=current,
        pages=pages,
    )


@dataclasses.dataclass(frozen=True)
class _Saved:
    account_id: int
    pushed: int


def _write_account(state: Any, admin_name: str, account_id: int | None, body: AccountFields) -> Any:
    """The transaction of a save: the audited change (``services.audited``, as the JSON API
    does) and the count of signed-in clients it reaches."""

    def run(s: Session) -> _Saved:
        holders: set[int | None] = set()
        if account_id is None:
            assert isinstance(body, AccountCreate)
            acc = audited.create_account(s, state.cfg, state.box, admin_name, body)
        else:
            old = s.get(VoipAccount, account_id)
            holders = {old.agent_id, old.lease_agent_id} if old is not None else set()
            acc = audited.update_account(s, state.cfg, state.box, admin_name, account_id, body)
        holders |= {acc.agent_id, acc.lease_agent_id}
        return _Saved(acc.id, admin_users.signed_in_clients(s, holders))

    return run


@dataclasses.dataclass(frozen=True)
class AgentChoice:
    """An agent in the editor's Agent list: its name and group (one query for all of them:
    the API's full agent records cost a query each, seconds for a thousand agents)."""

    id: int
    login: str
    display_name: str
    group: str | None


def agent_choices(s: Session) -> list[AgentChoice]:
    rows = s.execute(
        select(Agent.id, Agent.login, Agent.display_name, Group.name)
        .outerjoin(Group, Group.id == Agent.group_id)
        .order_by(Agent.login)
    )
    return [AgentChoice(int(i), str(login), name or "", group) for i, login, name, group in rows]


async def _editor(
    request: Request,
    state: State,
    admin: Admin,
    *,
    account_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    agent_rows = await state.read(agent_choices)
    return page(
        request,
        "account_edit.html",
        nav="accounts",
        status=status,
        admin=admin,
        csrf=admin.csrf_token,
        account_id=account_id,
        values=values,
        errors=errors or {},
        problem=problem,
        agents=agent_rows,
        sections=account_form.SECTIONS,
        forwarding=account_form.FORWARDING,
        days=account_form.DAYS,
    )


def _new_values() -> dict[str, Any]:
    """A new account's editor starts from the model's defaults (what the API would store)."""
    defaults = VoipAccount(
        transports=["udp"], codecs=["opus", "G722", "PCMA", "PCMU"], forwarding={}
    )
    fill_defaults(defaults)
    values = {c: getattr(defaults, c) for c in accounts.ACCOUNT_COLUMNS}
    values.update(agent_id=None, extension="", sip_username="", sip_server="")
    return account_form.form_values(values)


def _known(account_id: int) -> int:
    """An id a row can have (the path takes any integer), else ``NotFound``."""
    if not is_row_id(account_id):
        raise NotFound(f"VoIP account {account_id} does not exist")
    return account_id


@router.get("/accounts/new")
async def account_new(request: Request, state: State, admin: Admin) -> HTMLResponse:
    return await _editor(request, state, admin, account_id=None, values=_new_values())


@router.get("/accounts/{account_id}")
async def account_edit(
    request: Request, state: State, admin: Admin, account_id: int
) -> HTMLResponse:
    try:
        details = await state.read(accounts.account_details, _known(account_id))
    except NotFound:
        return page(request, "not_found.html", status=404, admin=admin, csrf=admin.csrf_token)
    return await _editor(
        request, state, admin, account_id=account_id, values=account_form.form_values(details)
    )


async def _save(request: Request, state: State, admin: Admin, account_id: int | None) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    new = account_id is None
    data = account_form.data_from_form(form, new=new, getlist=form.getlist)
    if account_id is not None:
        try:
            stored = await state.read(accounts.account_details, _known(account_id))
        except NotFound:
            return page(request, "not_found.html", status=404, admin=admin, csrf=admin.csrf_token)
    else:
        stored = {}
    body, errors = account_form.validate(data, new=new, stored_forwarding=stored.get("forwarding"))
    problem = ""
    if body is not None:
        try:
            saved: _Saved = await state.write(_write_account(state, admin.name, account_id, body))
        except ApiError as exc:
            errors, problem = account_form.service_errors(exc)
        else:
            msg = "created" if new else "saved"
            return redirect(f"{PREFIX}/accounts/{saved.account_id}?msg={msg}&n={saved.pushed}")
    return await _editor(
        request,
        state,
        admin,
        account_id=account_id,
        values=account_form.values_from_data(data),
        errors=errors,
        problem=problem or "The account was not saved: correct the fields marked below.",
        status=422,
    )


@router.post("/accounts/new")
async def account_create(request: Request, state: State, admin: Admin) -> Response:
    return await _save(request, state, admin, None)


def _delete(admin_name: str, ids: list[int]) -> Any:
    def run(s: Session) -> tuple[int, int]:
        holders: set[int | None] = set()
        for acc in s.scalars(select(VoipAccount).where(VoipAccount.id.in_(ids))):
            holders |= {acc.agent_id, acc.lease_agent_id}
        pushed = admin_users.signed_in_clients(s, holders)
        deleted, _missing = audited.delete_accounts(s, admin_name, ids)
        return len(deleted), pushed

    return run


@router.post("/accounts/delete")
async def accounts_delete(request: Request, state: State, admin: Admin) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    ids = row_ids(form.getlist("ids"))
    if not ids:
        return redirect(f"{PREFIX}/accounts")
    deleted, pushed = await state.write(_delete(admin.name, ids[:10000]))
    return redirect(f"{PREFIX}/accounts?msg=deleted&n={deleted}&p={pushed}")


# After /accounts/delete, which this path would otherwise take.
@router.post("/accounts/{account_id}")
async def account_update(request: Request, state: State, admin: Admin, account_id: int) -> Response:
    return await _save(request, state, admin, account_id)


def _day(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _end_of(day: dt.datetime | None) -> dt.datetime | None:
    """The end of ``day``; None for the calendar's last day (nothing is later)."""
    if day is None or day.date() == dt.date.max:
        return None
    return day + dt.timedelta(days=1)


@router.get("/audit")
async def audit_page(request: Request, state: State, admin: Admin) -> HTMLResponse:
    q = request.query_params
    who = q.get("admin", "")[:120]
    what = q.get("object", "")[:40]
    since, until = _day(q.get("since", "")), _day(q.get("until", ""))
    page_no = number(q.get("page"), 9) or 1
    result = await state.read(
        lambda s: audit.entries(
            s,
            admin=who,
            object_type=what,
            since=since,
            until=_end_of(until),
            offset=(max(1, page_no) - 1) * 50,
            limit=50,
        )
    )
    return page(
        request,
        "audit.html",
        nav="audit",
        admin=admin,
        csrf=admin.csrf_token,
        result=result,
        who=who,
        what=what,
        since=q.get("since", "") if since else "",
        until=q.get("until", "") if until else "",
        page_no=max(1, page_no),
        pages=max(1, (result.total + 49) // 50),
    )
