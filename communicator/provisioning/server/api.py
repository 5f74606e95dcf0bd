"""The HTTP application (FastAPI): routers, error bodies and request-size limits.

The routes live in ``routers/``: agent sign-in, profile and its events, directory and call
logs; the admin API under one router that carries the admin token check.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from . import kamailio_rpc
from .config import ServerConfig
from .errors import ApiError, RateLimited, Unauthorized
from .guards import QuietErrors, RequestGuard
from .routers import admin, agent_status, call_logs, console, directory, profile, sessions
from .state import ServerState

log = logging.getLogger(__name__)


def _error(
    status: int,
    code: str,
    message: str,
    problems: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": code, "message": message, "problems": problems or []},
        status_code=status,
        headers=headers,
    )


def integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "a value that must be unique is already used"
    if "foreign key" in text:
        return "a referenced item does not exist"
    return "the change conflicts with existing data"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_r: Request, exc: ApiError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(max(1, int(exc.retry_after + 0.999)))}
        elif isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "Bearer"}
        return _error(exc.status, exc.code, exc.message, exc.problems, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            if loc and loc[0] in ("body", "query", "path", "header"):
                where, loc = loc[0], loc[1:]
            else:
                where = "request"
            problems.append(
                {"in": where, "field": ".".join(loc), "message": str(err.get("msg", ""))}
            )
        text = "; ".join(
            f"{p['in']} {p['field']}: {p['message']}"
            if p["field"]
            else f"{p['in']}: {p['message']}"
            for p in problems[:5]
        )
        return _error(422, "invalid", text or "invalid request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        return _error(
            exc.status_code,
            codes.get(exc.status_code, "error"),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_r: Request, exc: IntegrityError) -> JSONResponse:
        return _error(409, "conflict", integrity_message(exc))

    @app.exception_handler(DataError)
    async def _unstorable(_r: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses (out of range, a character it cannot hold): the
        # request's fault. Only the error's type is logged: its text carries the parameters.
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return _error(422, "invalid", "a value of the request cannot be stored")

    @app.exception_handler(OperationalError)
    async def _busy(_r: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database busy: %s", type(exc.orig).__name__)
        return _error(503, "busy", "the database is busy; retry", headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_r: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s while handling a request", type(exc).__name__)
        return _error(500, "internal", "internal server error")


class _App(FastAPI):
    """FastAPI whose outermost layer answers escaped exceptions itself (see QuietErrors)."""

    def build_middleware_stack(self) -> ASGIApp:
        return QuietErrors(super().build_middleware_stack())


def create_app(cfg: ServerConfig, *, migrate: bool = True) -> FastAPI:
    state = ServerState(cfg, migrate=migrate)
    kamailio_rpc.attach(state.maker, cfg.kamailio_rpc)  # issue 18: stale registrations

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    app = _App(
        title="Communicator provisioning server",
        version="1.0",
        description="Central VoIP profiles for Communicator agents, and the admin API.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.server = state
    app.add_middleware(RequestGuard, cfg=cfg)
    _add_error_handlers(app)
    for part in (sessions, profile, directory, agent_status, call_logs, admin):
        app.include_router(part.router)
    console.install(app)  # the admin console's pages under /admin

    @app.get("/healthz", tags=["meta"], summary="Liveness and readiness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
