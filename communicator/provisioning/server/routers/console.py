"""Mounts the admin console (``console/``) under ``/admin`` on the API's app.

The JSON admin API under ``/api/v1/admin`` is untouched: the console has its own sign-in
(admin users and a cookie session) and is left out of the OpenAPI document.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..console import (
    agents_pages,
    auth,
    board_pages,
    groups_pages,
    pages,
    pool_pages,
    reports_pages,
)
from ..console.render import STATIC, page, redirect

STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}

router = APIRouter(prefix=auth.PREFIX, include_in_schema=False)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    media = STATIC_FILES.get(name)
    if media is None:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=media, headers={"Cache-Control": "max-age=3600"})


def install(app: FastAPI) -> None:
    """Adds the console's routes and the answers to "not signed in" and "no CSRF token"."""
    page_modules = (pages, agents_pages, groups_pages, pool_pages, board_pages, reports_pages)
    for part in (router, auth.router, *(m.router for m in page_modules)):
        app.include_router(part)

    @app.exception_handler(auth.NotSignedInError)
    async def _not_signed_in(request: Request, exc: auth.NotSignedInError) -> Response:
        if request.method != "GET":
            return page(request, "refused.html", status=403, reason="signed-out")
        return redirect(f"{auth.PREFIX}/sign-in?next={quote(exc.next_url, safe='/')}")

    @app.exception_handler(auth.CsrfRefusedError)
    async def _csrf(request: Request, _exc: auth.CsrfRefusedError) -> HTMLResponse:
        return page(request, "refused.html", status=403, reason="csrf")
