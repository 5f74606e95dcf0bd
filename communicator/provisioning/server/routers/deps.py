"""What the routes share: the server state, authentication and the documented error bodies."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..api_models import ErrorBody
from ..errors import Unauthorized
from ..services.sessions import SessionInfo
from ..state import ServerState

API = "/api/v1"

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
"""Error responses every route may give (a JSON ``ErrorBody``), for the OpenAPI document."""

bearer = HTTPBearer(auto_error=False, description="Session token (agents) or admin token.")
Creds = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def server_state(request: Request) -> ServerState:
    """(async: FastAPI runs a plain ``def`` dependency on a worker thread, a hand-off per
    request.)"""
    return cast(ServerState, request.app.state.server)


State = Annotated[ServerState, Depends(server_state)]


async def agent_session(state: State, creds: Creds) -> SessionInfo:
    """The signed-in agent's session; 401 without a valid session token."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <session token>'")
    info = await state.session_for(creds.credentials)
    if info is None:
        raise Unauthorized("the session token is invalid, expired or signed out")
    return info


SignedIn = Annotated[SessionInfo, Depends(agent_session)]


async def log_owner(state: State, creds: Creds) -> tuple[int, int | None]:
    """(agent id, account id) for call-log delivery: a session or a delivery token."""
    if creds is not None and creds.credentials.startswith("cd_"):
        info = await state.delivery_for(creds.credentials)
        if info is None:
            raise Unauthorized("the delivery token is invalid or expired")
        return info.agent_id, info.account_id
    session = await agent_session(state, creds)
    return session.agent_id, None


LogOwner = Annotated[tuple[int, int | None], Depends(log_owner)]


async def require_admin(state: State, creds: Creds) -> str:
    """The admin token's name for the audit history, ``<token name> (API token <id>)``; 401
    without a valid admin token. The admin router runs it for every route; a route that
    records who changed something takes the same call's result (``Owner``), no second lookup."""
    if creds is None or not creds.credentials:
        raise Unauthorized("admin token required: send 'Authorization: Bearer <admin token>'")
    caller = None
    if creds.credentials.startswith("adm_"):
        caller = await state.admin_for(creds.credentials)
    if caller is None:
        raise Unauthorized("the admin token is invalid or revoked")
    return caller.label


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
