"""Sign-in, sign-out, the session cookie and the CSRF check of every form.

The session cookie is HttpOnly, SameSite=Strict, limited to ``/admin`` and Secure when the
console is served over HTTPS. Every form carries the session's CSRF token and every POST is
refused (403) without it; the sign-in form, before there is a session, carries a random
token that must match a cookie of its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ..guards import unstorable_text
from ..routers.deps import State, client_address
from ..security import verify_password
from ..services import admin_users, signin_limits
from ..services.admin_users import ConsoleSession
from .render import page, redirect

PREFIX = "/admin"
COOKIE = "communicator_admin"
SIGNIN_COOKIE = "communicator_admin_signin"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class NotSignedInError(Exception):
    """Raised by ``console_session``; answered by a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefusedError(Exception):
    """A POST without this session's CSRF token: answered 403."""


def set_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def console_session(request: Request, state: State) -> ConsoleSession:
    token = request.cookies.get(COOKIE, "")
    info = await state.write(admin_users.lookup_session, token) if token else None
    if info is None:
        raise NotSignedInError(request.url.path)
    return info


Admin = Annotated[ConsoleSession, Depends(console_session)]


def check_csrf(admin: ConsoleSession, sent: object) -> None:
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), admin.csrf_token.encode()
    ):
        raise CsrfRefusedError()


def _safe_next(value: str) -> str:
    """Only a path inside the console (never another site, never ``//host``)."""
    if value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/accounts"


def _sign_in_page(
    request: Request, *, error: str = "", name: str = "", status: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    resp = page(
        request,
        "sign_in.html",
        status=status,
        csrf=token,
        error=error,
        name=name,
        next=_safe_next(request.query_params.get("next", "")),
    )
    set_cookie(request, resp, SIGNIN_COOKIE, token, f"{PREFIX}/sign-in")
    return resp


@router.get("/sign-in")
async def sign_in_form(request: Request) -> HTMLResponse:
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in(request: Request, state: State) -> Response:
    form = await request.form()
    sent = form.get("csrf")
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if (
        not expected
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefusedError()
    name = str(form.get("name", "")).strip()[:100]
    if unstorable_text(name) is not None:
        name = ""  # (a NUL is in no admin's name, and no database takes it to look)
    password = str(form.get("password", ""))
    address = client_address(request)
    # The agents' sign-in limits (services/signin_limits.py), on admin names of their own.
    wait = state.limit_address.take(address)
    drawn = signin_limits.buckets(state.cfg, f"admin:{name}", address)
    refused = await state.read(signin_limits.refusal, drawn)
    if refused is not None:
        wait = max(wait, refused[0])
    if wait > 0 or not await state.hashing.enter(address):
        error = f"Too many failed sign-ins; try again in {int(wait) + 1} s."
        return _sign_in_page(request, error=error, name=name, status=429)
    try:
        pw_hash = await state.read(admin_users.password_hash_of, name)
        ok = await state.hash_call(verify_password, pw_hash, password)
    finally:
        state.hashing.leave(address)
    if not ok:
        await state.write(signin_limits.record_failure, drawn)
        return _sign_in_page(
            request, error="The name or the password is wrong.", name=name, status=401
        )
    token, _info = await state.write(admin_users.open_session, name, address)
    resp = redirect(_safe_next(str(form.get("next", ""))))
    set_cookie(request, resp, COOKIE, token, PREFIX)
    resp.delete_cookie(SIGNIN_COOKIE, path=f"{PREFIX}/sign-in")
    return resp


@router.post("/sign-out")
async def sign_out(request: Request, state: State, admin: Admin) -> Response:
    check_csrf(admin, (await request.form()).get("csrf"))
    await state.write(admin_users.close_session, admin.session_id)
    resp = redirect(f"{PREFIX}/sign-in?msg=signed-out")
    resp.delete_cookie(COOKIE, path=PREFIX)
    return resp
