"""CSV import and export of agents and VoIP accounts (issue 17, seed 001).

Both go through the API's services (``services.agents_csv``, ``services.accounts_csv`` via
``services.audited``): an import changes every row or none, and a refused one lists each
problem beside its row number. The accounts export carries the SIP passwords only when the
admin asks for them (a checkbox with a warning), and that export is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ..errors import Invalid
from ..routers.deps import State
from ..security import hash_password
from ..services import accounts_csv, agents_csv, audited
from .auth import PREFIX, Admin, check_csrf
from .render import add_page, page, redirect

router = APIRouter(include_in_schema=False)  # included by agents_pages (under /admin)

add_page(
    "csv",
    "Import / export",
    f"{PREFIX}/csv",
    25,
    {
        "agents-imported": "Agents imported: {n} created, {p} updated.",
        "accounts-imported": "VoIP accounts imported: {n} created, {p} updated.",
    },
)

MAX_UPLOAD = 8 * 1024 * 1024


def _csv_page(
    request: Request,
    admin: Admin,
    *,
    which: str = "",
    problem: str = "",
    problems: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows: dict[int, list[dict[str, Any]]] = {}
    for p in problems or []:
        rows.setdefault(int(p.get("line", 0)), []).append(p)
    return page(
        request,
        "agents_csv.html",
        status=status,
        nav="csv",
        admin=admin,
        csrf=admin.csrf_token,
        which=which,
        problem=problem,
        problem_rows=sorted(rows.items()),
        agent_columns=agents_csv.CSV_COLUMNS,
        account_columns=accounts_csv.CSV_COLUMNS,
    )


@router.get("/csv")
async def csv_home(request: Request, admin: Admin) -> HTMLResponse:
    return _csv_page(request, admin)


def _download(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/csv/agents.csv")
async def export_agents(request: Request, state: State, admin: Admin) -> Response:
    check_csrf(admin, (await request.form()).get("csrf"))
    return _download(await state.read(agents_csv.export_agents_csv), "agents.csv")


@router.post("/csv/accounts.csv")
async def export_accounts(request: Request, state: State, admin: Admin) -> Response:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    secrets = form.get("include_passwords") == "on"
    who = admin.name

    def q(s: Session) -> str:
        audited.exported(s, who, "accounts.csv", with_passwords=secrets)
        return accounts_csv.export_accounts_csv(s, state.box, with_passwords=secrets)

    text = await (state.write(q) if secrets else state.read(q))
    return _download(text, "accounts-with-passwords.csv" if secrets else "accounts.csv")


async def _upload(request: Request, admin: Admin) -> str:
    form = await request.form()
    check_csrf(admin, form.get("csrf"))
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("Choose a CSV file to import.")
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise Invalid(f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text (save it as CSV UTF-8).") from None


def _refused(request: Request, admin: Admin, which: str, exc: Invalid) -> HTMLResponse:
    rows = len({p.get("line") for p in exc.problems})
    words = (
        f"Nothing was imported: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}"
        f" in {rows} row{'s' if rows != 1 else ''}. Correct the rows below and import again."
        if exc.problems
        else f"Nothing was imported: {exc.message}"
    )
    return _csv_page(request, admin, which=which, problem=words, problems=exc.problems, status=422)


@router.post("/csv/agents-import")
async def import_agents(request: Request, state: State, admin: Admin) -> Response:
    try:
        text = await _upload(request, admin)
        rows, problems = agents_csv.parse_agents_csv(text)
        if problems:
            raise Invalid("problems in the CSV", problems=problems)
        hashes = {
            r.line: await state.hash_call(hash_password, r.password) for r in rows if r.password
        }
        created, updated = await state.write(agents_csv.import_agents, admin.name, rows, hashes)
    except Invalid as exc:
        return _refused(request, admin, "agents", exc)
    return redirect(f"{PREFIX}/csv?msg=agents-imported&n={created}&p={updated}")


@router.post("/csv/accounts-import")
async def import_accounts(request: Request, state: State, admin: Admin) -> Response:
    try:
        text = await _upload(request, admin)
        created, updated = await state.write(
            audited.import_accounts_csv, state.cfg, state.box, admin.name, text
        )
    except Invalid as exc:
        return _refused(request, admin, "accounts", exc)
    return redirect(f"{PREFIX}/csv?msg=accounts-imported&n={created}&p={updated}")
