"""Groups pages (issue 17, seed 001): the list, the editor, members and their call order.

The editor's fields are drawn from ``GroupFields`` (``model_form``), so a field the API's
model gains appears here with no change. Members are one ordered list (``members``, as the
API takes it): up and down buttons move a member without a mouse (script moves the row and
keeps the focus on the button; without script the button posts and the page comes back in
the new order, unsaved). Every change goes through ``services.audited``.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..api_models import GroupCreate, GroupFields
from ..errors import ApiError, NotFound
from ..guards import unstorable_text
from ..models import Group, fill_defaults
from ..routers.deps import State
from ..services import admin_users, audited, groups
from . import member_picker, model_form
from .auth import PREFIX, Admin, check_csrf
from .numbers import is_row_id, row_id
from .render import add_page, page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)
router.include_router(member_picker.router)

add_page(
    "groups",
    "Groups",
    f"{PREFIX}/groups",
    30,
    {
        "group-created": "Group created; pushed to {p} signed-in client{ps}.",
        "group-saved": "Group saved; pushed to {p} signed-in client{ps}.",
        "groups-deleted": "Deleted {n} group{s}.",
    },
)

FIELDS = model_form.fields_of(GroupFields, skip=("members",))
FORM_FIELDS = 10_000 + 1_000
"""The editor's form holds a field per member (the API takes up to 10,000) besides its own:
the form parser's default of 1,000 fields refused a group of about 990 members."""
SERVICE_WORDS = {"group": "name", "extension": "extension", "no free extension": "extension"}
SORTS = {
    "name": lambda g: (g.name.lower(),),
    "extension": lambda g: (g.extension is None, g.extension or 0, g.name.lower()),
    "members": lambda g: (len(g.members), g.name.lower()),
}


@router.get("/groups")
async def groups_list(request: Request, state: State, admin: Admin) -> HTMLResponse:
    q = request.query_params
    search = q.get("q", "").strip()[:100].lower()
    sort = q.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    desc = q.get("dir") == "desc"
    rows = await state.read(groups.list_groups)
    if search:
        rows = [g for g in rows if search in g.name.lower() or search in str(g.extension)]
    rows.sort(key=SORTS[sort], reverse=desc)
    return page(
        request,
        "groups.html",
        nav="groups",
        admin=admin,
        csrf=admin.csrf_token,
        rows=rows,
        search=q.get("q", "").strip()[:100],
        sort=sort,
        desc=desc,
        orders=dict(next((f.options for f in FIELDS if f.name == "call_order"), ())),
    )


async def _editor(
    request: Request,
    state: State,
    admin: Admin,
    *,
    group_id: int | None,
    values: dict[str, Any],
    members: list[int],
    errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
    focus: str = "",
    flash: str | None = None,
    member_q: str = "",
) -> HTMLResponse:
    def read(s: Session) -> tuple[list[Any], list[Any], str, list[tuple[int, str]]]:
        found, total = member_picker.search(s, member_q, members)
        other_groups = [(g.id, g.name) for g in groups.list_groups(s) if g.id != group_id]
        said = member_picker.status_text(member_q, len(found), total)
        return member_picker.agents_by_id(s, members), found, said, other_groups

    chosen, found, said, other_groups = await state.read(read)
    # A field naming a group (the overflow group) picks one by name.
    choices = {f.name: other_groups for f in FIELDS if f.name.endswith("group_id")}
    resp = page(
        request,
        "group_edit.html",
        nav="groups",
        status=status,
        admin=admin,
        csrf=admin.csrf_token,
        group_id=group_id,
        values=values,
        errors=errors or {},
        problem=problem,
        fields=FIELDS,
        choices=choices,
        members=chosen,
        others=found,
        others_status=said,
        member_q=member_q,
        choices_url=member_picker.CHOICES_URL,
        focus=focus,
        **({"flash": flash} if flash is not None else {}),
    )
    resp.headers["Content-Security-Policy"] = member_picker.PICKER_CSP
    return resp


@router.get("/groups/new")
async def group_new(request: Request, state: State, admin: Admin) -> HTMLResponse:
    # The model's defaults, what the API would store (a column added later shows its own).
    blank = Group(name="")
    fill_defaults(blank)
    defaults = {c.key: getattr(blank, c.key) for c in Group.__table__.columns}
    defaults = {k: v.value if isinstance(v, enum.Enum) else v for k, v in defaults.items()}
    defaults["extension"] = None
    values = model_form.values_of(FIELDS, defaults)
    return await _editor(request, state, admin, group_id=None, values=values, members=[])


@router.get("/groups/{group_id}")
async def group_edit(request: Request, state: State, admin: Admin, group_id: int) -> HTMLResponse:
    try:
        if not is_row_id(group_id):  # (the path takes any integer)
            raise NotFound(f"group {group_id} does not exist")
        out = await state.read(lambda s: groups.group_out(s, groups.get_group(s, group_id)))
    except NotFound:
        return page(
            request,
            "groups_missing.html",
            status=404,
            admin=admin,
            csrf=admin.csrf_token,
        )
    values = model_form.values_of(FIELDS, out.model_dump(mode="json"))
    return await _editor(
        request, state, admin, group_id=group_id, values=values, members=list(out.members)
    )


def _moved(members: list[int], move: str) -> tuple[list[int], str]:
    """The members after ``<id>:up`` or ``<id>:down``, and the id of the button to focus."""
    who, _sep, way = move.partition(":")
    moved = row_id(who)
    if moved is None or moved not in members or way not in ("up", "down"):
        return members, ""
    i = members.index(moved)
    j = i - 1 if way == "up" else i + 1
    if 0 <= j < len(members):
        members[i], members[j] = members[j], members[i]
    return members, f"move-{who}-{way}"


@dataclasses.dataclass(frozen=True)
class _Saved:
    group_id: int
    pushed: int


async def _save(request: Request, state: State, admin: Admin, group_id: int | None) -> Response:
    form = await request.form(max_fields=FORM_FIELDS)
    check_csrf(admin, form.get("csrf"))
    if group_id is not None and not is_row_id(group_id):
        return page(request, "groups_missing.html", status=404, admin=admin, csrf=admin.csrf_token)
    data, errors = model_form.data_from_form(FIELDS, form.get, form.getlist)
    members = member_picker.ids_of(form.getlist("members"))
    members += [i for i in member_picker.ids_of(form.getlist("add")) if i not in members]
    move = str(form.get("move") or "")
    member_q = str(form.get("member_q") or "").strip()[:100]
    if move or form.get("find"):
        # Without script: an up/down button shows the new order, Find the agents matching
        # the members search (ticked ones join the members); nothing is saved.
        members, focus = _moved(members, move) if move else (members, "member-search")
        return await _editor(
            request,
            state,
            admin,
            group_id=group_id,
            values=model_form.values_of(FIELDS, data),
            members=members,
            errors=errors,
            focus=focus,
            flash="Call order changed; Save to keep it." if move else "Not saved yet.",
            # (A NUL is in no agent's name, and no database takes it to look.)
            member_q="" if unstorable_text(member_q) else member_q,
        )
    data["members"] = members
    body: GroupFields | None = None
    problem = ""
    try:
        body = (GroupCreate if group_id is None else GroupFields).model_validate(data)
    except ValidationError as exc:
        found, problem = model_form.validation_errors(exc, FIELDS, ("members",))
        errors = {**found, **errors}
    if body is not None and not errors:
        who, cfg = admin.name, state.cfg

        def run(s: Session) -> _Saved:
            assert body is not None
            if group_id is None:
                assert isinstance(body, GroupCreate)
                g = audited.create_group(s, cfg, who, body)
            else:
                g = audited.update_group(s, cfg, who, group_id, body)
            pushed = admin_users.signed_in_clients(s, set(groups.agents_of_group(s, g.id)))
            return _Saved(g.id, pushed)

        try:
            saved = await state.write(run)
        except ApiError as exc:
            if isinstance(exc, NotFound) and exc.message.startswith("group"):
                return page(
                    request, "groups_missing.html", status=404, admin=admin, csrf=admin.csrf_token
                )
            errors, problem = model_form.service_errors(
                exc, FIELDS, {**SERVICE_WORDS, "agent": "members"}
            )
        else:
            msg = "group-created" if group_id is None else "group-saved"
            return redirect(f"{PREFIX}/groups/{saved.group_id}?msg={msg}&p={saved.pushed}")
    return await _editor(
        request,
        state,
        admin,
        group_id=group_id,
        values=model_form.values_of(FIELDS, data),
        members=members,
        errors=errors,
        problem=problem or "The group was not saved: correct the fields marked below.",
        status=422,
    )


@router.post("/groups/new")
async def group_create(request: Request, state: State, admin: Admin) -> Response:
    return await _save(request, state, admin, None)


def _delete(who: str, ids: list[int]) -> Any:
    def run(s: Session) -> int:
        deleted = 0
        for group_id in ids:
            try:
                audited.delete_group(s, who, group_id)
            except NotFound:
                continue
            deleted += 1
        return deleted

    return run


@router.post("/groups/delete")
async def groups_delete(request: Request, state: State, admin: Admin) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    ids = member_picker.ids_of(form.getlist("ids"))
    if not ids:
        return redirect(f"{PREFIX}/groups")
    deleted = await state.write(_delete(admin.name, ids[:10000]))
    return redirect(f"{PREFIX}/groups?msg=groups-deleted&n={deleted}")


# After /groups/delete, which this path would otherwise take.
@router.post("/groups/{group_id}")
async def group_update(request: Request, state: State, admin: Admin, group_id: int) -> Response:
    return await _save(request, state, admin, group_id)
