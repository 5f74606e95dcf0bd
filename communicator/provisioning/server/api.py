"""The HTTP API (FastAPI): agent sign-in, profile, events, call logs; the admin API."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import StreamingResponse

from . import exports, services
from .api_models import (
    AccountCreate,
    AccountFields,
    AccountRow,
    AgentCreate,
    AgentFields,
    AgentOut,
    AgentPublic,
    BulkDeleteResult,
    CallLogBatchResult,
    CallLogIn,
    DbId,
    Directory,
    ErrorBody,
    GroupCreate,
    GroupFields,
    GroupOut,
    IdList,
    ImportResult,
    RecordingResult,
    Report,
    SignInRequest,
    SignInResponse,
)
from .config import ServerConfig
from .errors import (
    ApiError,
    BadRequest,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
)
from .models import Agent, CallLog
from .security import hash_password, verify_password
from .state import ServerState

log = logging.getLogger(__name__)

API = "/api/v1"
bearer = HTTPBearer(auto_error=False, description="Session token (agents) or admin token.")
Creds = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}

RECORDING_TYPES = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/gsm": "gsm",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/mpeg": "mp3",
    "application/octet-stream": "bin",
}


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


class BodyLimit:
    """ASGI middleware: rejects bodies over the limit for their path with 413 JSON."""

    def __init__(self, app: Any, cfg: ServerConfig) -> None:
        self.app = app
        self.cfg = cfg

    def limit_for(self, path: str) -> int:
        if path.endswith("/recording"):
            return self.cfg.max_recording_bytes
        if path.startswith(f"{API}/call-logs") or path.endswith("/import"):
            return self.cfg.max_call_log_batch_bytes
        return self.cfg.max_body_bytes

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
                if length < 0 or length > limit:
                    resp = _error(
                        413 if length > limit else 400,
                        "too_large" if length > limit else "bad_request",
                        f"request body is larger than {limit} bytes"
                        if length > limit
                        else "invalid Content-Length",
                    )
                    await resp(scope, receive, send)
                    return
        seen = 0

        async def limited() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(f"request body is larger than {limit} bytes")
            return message

        await self.app(scope, limited, send)


def create_app(cfg: ServerConfig, *, migrate: bool = True) -> FastAPI:
    state = ServerState(cfg, migrate=migrate)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(
        title="Communicator provisioning server",
        version="1.0",
        description="Central VoIP profiles for Communicator agents, and the admin API.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.server = state
    app.add_middleware(BodyLimit, cfg=cfg)

    # ------------------------------------------------------------------------------ errors

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
        return _error(409, "conflict", services.integrity_message(exc))

    @app.exception_handler(OperationalError)
    async def _busy(_r: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database busy: %s", type(exc.orig).__name__)
        return _error(503, "busy", "the database is busy; retry", headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_r: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s while handling a request", type(exc).__name__)
        return _error(500, "internal", "internal server error")

    # --------------------------------------------------------------------------- auth helpers

    async def agent_session(creds: HTTPAuthorizationCredentials | None) -> services.SessionInfo:
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise Unauthorized("sign in first: send 'Authorization: Bearer <session token>'")
        info = await state.session_for(creds.credentials)
        if info is None:
            raise Unauthorized("the session token is invalid, expired or signed out")
        return info

    async def log_owner(
        creds: HTTPAuthorizationCredentials | None,
    ) -> tuple[int, int | None]:
        """(agent id, account id) for call-log delivery: a session or a delivery token."""
        if creds is not None and creds.credentials.startswith("cd_"):
            info = await state.delivery_for(creds.credentials)
            if info is None:
                raise Unauthorized("the delivery token is invalid or expired")
            return info.agent_id, info.account_id
        session = await agent_session(creds)
        return session.agent_id, None

    async def admin(creds: Creds) -> None:
        if creds is None or not creds.credentials:
            raise Unauthorized("admin token required: send 'Authorization: Bearer <admin token>'")
        if not creds.credentials.startswith("adm_") or not await state.admin_ok(creds.credentials):
            raise Unauthorized("the admin token is invalid or revoked")

    admin_dep = Depends(admin)

    def client_address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    # ---------------------------------------------------------------------------- sessions

    @app.post(
        f"{API}/sessions",
        response_model=SignInResponse,
        status_code=201,
        responses=ERRORS,
        tags=["agent"],
        summary="Agent sign-in: returns a session token",
    )
    async def sign_in(body: SignInRequest, request: Request) -> Response:
        address = client_address(request)
        login = body.login.strip()
        for buckets, key, what in (
            (state.limit_address, address, "this address"),
            (state.limit_agent, login.lower(), "this agent"),
        ):
            wait = buckets.take(key)
            if wait > 0:
                raise RateLimited(
                    f"too many sign-in attempts for {what}; retry in {int(wait) + 1} s", wait
                )

        def find(s: Session) -> tuple[int, str, bool] | None:
            a = services.agent_by_login(s, login)
            return (a.id, a.password_hash, a.active) if a is not None else None

        found = await state.read(find)
        ok = await state.hash_call(verify_password, found[1] if found else None, body.password)
        if not ok or found is None:
            raise Unauthorized("wrong login or password")
        if not found[2]:
            raise Unauthorized("this agent account is disabled; ask an administrator")

        def open_session(
            s: Session,
        ) -> tuple[dict[str, Any], services.SessionInfo, tuple[bytes, str] | None]:
            agent = s.get(Agent, found[0])
            if agent is None or not agent.active:
                raise Unauthorized("this agent account is disabled; ask an administrator")
            token, sess, account, pooled = services.create_session(s, cfg, agent, address)
            delivery, delivery_expires = services.create_delivery_token(s, agent.id, account.id)
            group = agent.group.name if agent.group is not None else None
            body = SignInResponse(
                token=token,
                expires_at=sess.expires_at,
                agent=AgentPublic(
                    id=agent.id, login=agent.login, display_name=agent.display_name, group=group
                ),
                extension=str(account.extension),
                pooled=pooled,
                delivery_token=delivery,
                delivery_expires_at=delivery_expires,
            ).model_dump(mode="json")
            info = services.SessionInfo(sess.id, agent.id, sess.expires_at)
            # The client fetches its profile next: build it while the rows are at hand.
            try:
                built = services.render_profile(s, state.box, agent, account)
            except ApiError:
                built = None
            return body, info, built

        generation = state.generation
        result, info, built = await state.write(open_session)
        state.remember_session(result["token"], info)
        if built is not None and generation == state.generation:
            state.profiles[info.agent_id] = built
        return JSONResponse(result, status_code=201)

    @app.delete(
        f"{API}/sessions/current",
        status_code=204,
        responses=ERRORS,
        tags=["agent"],
        summary="Sign out: revokes the token and returns a pool account",
    )
    async def sign_out(creds: Creds) -> Response:
        info = await agent_session(creds)
        state.forget_session(info.session_id)
        await state.write(services.end_session, info.session_id)
        return Response(status_code=204)

    # ----------------------------------------------------------------------------- profile

    @app.get(
        f"{API}/profile",
        responses={
            200: {"description": "The VoIP profile (shared schema JSON, with the SIP password)"},
            304: {"description": "Not modified (If-None-Match matched the ETag)"},
            **ERRORS,
        },
        tags=["agent"],
        summary="The signed-in agent's VoIP profile",
    )
    async def get_profile(request: Request, creds: Creds) -> Response:
        info = await agent_session(creds)
        body, etag = await state.profile_for(info.agent_id, info)
        quoted = f'"{etag}"'
        inm = request.headers.get("if-none-match")
        headers = {"ETag": quoted, "Cache-Control": "private, no-cache"}
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            if "*" in tags or quoted in tags or etag in tags:
                return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @app.get(
        f"{API}/profile/events",
        responses={
            200: {
                "description": "text/event-stream: 'profile' events carry {\"etag\"}; "
                "'revoked' ends the stream; ': ping' comments every ~15 s",
                "content": {"text/event-stream": {}},
            },
            **ERRORS,
        },
        tags=["agent"],
        summary="Server-sent events: profile changes",
    )
    async def profile_events(request: Request, creds: Creds) -> Response:
        info = await agent_session(creds)
        last_seen = request.headers.get("last-event-id", "").strip().strip('"')
        sub = state.subscribe(info.agent_id, info.session_id)
        heartbeat = cfg.heartbeat_s

        async def current_etag() -> str | None:
            try:
                return (await state.profile_for(info.agent_id))[1]
            except ApiError:
                return None

        def event(etag: str | None) -> str:
            data = json.dumps({"etag": etag})
            return f"id: {etag or ''}\nevent: profile\ndata: {data}\n\n"

        async def stream() -> AsyncIterator[str]:
            nonlocal last_seen
            try:
                yield f"retry: 3000\n: heartbeat every {heartbeat:g} s\n\n"
                etag = await current_etag()
                if etag != last_seen:
                    last_seen = etag or ""
                    yield event(etag)
                while True:
                    try:
                        what = await asyncio.wait_for(sub.queue.get(), heartbeat)
                    except TimeoutError:
                        if info.expires_at <= dt.datetime.now(dt.UTC):
                            yield 'event: revoked\ndata: {"reason": "session expired"}\n\n'
                            return
                        yield ": ping\n\n"
                        continue
                    if what == "shutdown":
                        return
                    if what == "revoked":
                        yield 'event: revoked\ndata: {"reason": "signed out"}\n\n'
                        return
                    etag = await current_etag()
                    if (etag or "") != last_seen:
                        last_seen = etag or ""
                        yield event(etag)
            finally:
                state.unsubscribe(sub)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # --------------------------------------------------------------------------- directory

    @app.get(
        f"{API}/directory",
        response_model=Directory,
        responses=ERRORS,
        tags=["agent"],
        summary="Agents and groups with extensions (click-to-call)",
    )
    async def get_directory(creds: Creds) -> Response:
        await agent_session(creds)
        return Response(await state.directory_json(), media_type="application/json")

    # --------------------------------------------------------------------------- call logs

    @app.post(
        f"{API}/call-logs",
        response_model=CallLogBatchResult,
        responses=ERRORS,
        tags=["agent"],
        summary="Upload call logs (batched, idempotent by id)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["logs"],
                            "properties": {
                                "logs": {"type": "array", "items": CallLogIn.model_json_schema()}
                            },
                        }
                    }
                },
            }
        },
    )
    async def post_call_logs(request: Request, creds: Creds) -> Response:
        agent_id, account_id = await log_owner(creds)
        raw = await request.body()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest('the body must be JSON: {"logs": [...]}') from exc
        if isinstance(data, dict) and isinstance(data.get("logs"), list):
            items = data["logs"]
        elif isinstance(data, list):
            items = data
        else:
            raise Invalid('the body must be {"logs": [call log, ...]}')
        if len(items) > cfg.max_call_log_batch:
            raise TooLarge(f"at most {cfg.max_call_log_batch} logs per request")
        accepted, dups, rejected = await state.write(
            services.ingest_call_logs, agent_id, items, account_id
        )
        result = {
            "accepted": accepted,
            "duplicates": dups,
            "rejected": [r.model_dump() for r in rejected],
        }
        return JSONResponse(result)

    @app.put(
        f"{API}/call-logs/{{log_id}}/recording",
        response_model=RecordingResult,
        responses=ERRORS,
        tags=["agent"],
        summary="Upload the recording of a logged call (raw audio body; idempotent)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("audio/wav", "audio/gsm", "application/octet-stream")
                },
            }
        },
    )
    async def put_recording(log_id: uuid.UUID, request: Request, creds: Creds) -> Response:
        agent_id, _account = await log_owner(creds)
        ctype = request.headers.get("content-type", "application/octet-stream").split(";")[0]
        ext = RECORDING_TYPES.get(ctype.strip().lower())
        if ext is None:
            raise Invalid(
                f"unsupported recording type {ctype!r}; use one of {sorted(RECORDING_TYPES)}"
            )
        await state.read(services.get_own_call_log, agent_id, log_id)
        rec_dir = cfg.recordings_dir
        fd, tmp_name = tempfile.mkstemp(dir=rec_dir, prefix=".upload-")
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as f:
                async for chunk in request.stream():
                    f.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            if size == 0:
                raise Invalid("the recording is empty")
            sha = digest.hexdigest()

            def store(s: Session) -> bool:
                log_row = services.get_own_call_log(s, agent_id, log_id)
                name = f"{log_id}.{ext}"
                if log_row.recording_sha256 == sha and log_row.recording_file == name:
                    return False
                os.replace(tmp, rec_dir / name)
                if log_row.recording_file and log_row.recording_file != name:
                    with contextlib.suppress(OSError):
                        (rec_dir / log_row.recording_file).unlink()
                log_row.recording_file = name
                log_row.recording_sha256 = sha
                log_row.recording_size = size
                log_row.recording_type = ctype
                return True

            stored = await state.write(store)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return JSONResponse({"id": str(log_id), "size": size, "sha256": sha, "stored": stored})

    # ================================================================================= admin

    @app.get(
        f"{API}/admin/agents",
        response_model=list[AgentOut],
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def list_agents() -> list[AgentOut]:
        def q(s: Session) -> list[AgentOut]:
            from sqlalchemy import select

            return [
                services.agent_out(s, a) for a in s.scalars(select(Agent).order_by(Agent.login))
            ]

        return await state.read(q)

    @app.post(
        f"{API}/admin/agents",
        response_model=AgentOut,
        status_code=201,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def create_agent(body: AgentCreate) -> AgentOut:
        pw_hash = await state.hash_call(hash_password, body.password)

        def q(s: Session) -> AgentOut:
            return services.agent_out(s, services.create_agent(s, body, pw_hash))

        return await state.write(q)

    @app.get(
        f"{API}/admin/agents/{{agent_id}}",
        response_model=AgentOut,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def get_agent(agent_id: DbId) -> AgentOut:
        return await state.read(lambda s: services.agent_out(s, services.get_agent(s, agent_id)))

    @app.patch(
        f"{API}/admin/agents/{{agent_id}}",
        response_model=AgentOut,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def patch_agent(agent_id: DbId, body: AgentFields) -> AgentOut:
        pw_hash = await state.hash_call(hash_password, body.password) if body.password else None

        def q(s: Session) -> AgentOut:
            return services.agent_out(s, services.update_agent(s, agent_id, body, pw_hash))

        return await state.write(q)

    @app.delete(
        f"{API}/admin/agents/{{agent_id}}",
        status_code=204,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def delete_agent(agent_id: DbId) -> Response:
        await state.write(services.delete_agent, agent_id)
        return Response(status_code=204)

    @app.post(
        f"{API}/admin/agents/bulk-delete",
        response_model=BulkDeleteResult,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def bulk_delete_agents(body: IdList) -> BulkDeleteResult:
        def q(s: Session) -> BulkDeleteResult:
            deleted, missing = [], []
            for i in dict.fromkeys(body.ids):
                try:
                    services.delete_agent(s, i)
                    deleted.append(i)
                except NotFound:
                    missing.append(i)
            return BulkDeleteResult(deleted=deleted, missing=missing)

        return await state.write(q)

    # ------------------------------------------------------------------------------ groups

    @app.get(
        f"{API}/admin/groups",
        response_model=list[GroupOut],
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def list_groups() -> list[GroupOut]:
        def q(s: Session) -> list[GroupOut]:
            from sqlalchemy import select

            from .models import Group

            return [services.group_out(s, g) for g in s.scalars(select(Group).order_by(Group.name))]

        return await state.read(q)

    @app.post(
        f"{API}/admin/groups",
        response_model=GroupOut,
        status_code=201,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def create_group(body: GroupCreate) -> GroupOut:
        return await state.write(
            lambda s: services.group_out(s, services.create_group(s, cfg, body))
        )

    @app.get(
        f"{API}/admin/groups/{{group_id}}",
        response_model=GroupOut,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def get_group(group_id: DbId) -> GroupOut:
        return await state.read(lambda s: services.group_out(s, services.get_group(s, group_id)))

    @app.patch(
        f"{API}/admin/groups/{{group_id}}",
        response_model=GroupOut,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def patch_group(group_id: DbId, body: GroupFields) -> GroupOut:
        return await state.write(
            lambda s: services.group_out(s, services.update_group(s, cfg, group_id, body))
        )

    @app.delete(
        f"{API}/admin/groups/{{group_id}}",
        status_code=204,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def delete_group(group_id: DbId) -> Response:
        await state.write(services.delete_group, group_id)
        return Response(status_code=204)

    # ---------------------------------------------------------------------------- accounts

    @app.get(
        f"{API}/admin/accounts",
        response_model=list[AccountRow],
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
        summary="VoIP accounts: agent, group, phone number",
    )
    async def list_accounts() -> list[AccountRow]:
        return await state.read(services.account_rows)

    @app.post(
        f"{API}/admin/accounts",
        response_model=AccountRow,
        status_code=201,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def create_account(body: AccountCreate) -> AccountRow:
        def q(s: Session) -> AccountRow:
            acc = services.create_account(s, cfg, state.box, body)
            return services.account_rows(s, [acc.id])[0]

        return await state.write(q)

    @app.get(
        f"{API}/admin/accounts/export.csv",
        tags=["admin"],
        dependencies=[admin_dep],
        responses={200: {"content": {"text/csv": {}}}, **ERRORS},
        summary="Export accounts as CSV",
    )
    async def export_accounts(include_passwords: bool = False) -> Response:
        text = await state.read(
            lambda s: services.export_accounts_csv(s, state.box, with_passwords=include_passwords)
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
        )

    @app.post(
        f"{API}/admin/accounts/import",
        response_model=ImportResult,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
        summary="Import accounts from CSV (text/csv body; upsert by sip_username; all or nothing)",
        openapi_extra={
            "requestBody": {
                "content": {"text/csv": {"schema": {"type": "string"}}},
                "required": True,
            }
        },
    )
    async def import_accounts(request: Request) -> ImportResult:
        raw = await request.body()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest("the CSV must be UTF-8") from exc
        created, updated = await state.write(services.import_accounts_csv, cfg, state.box, text)
        return ImportResult(created=created, updated=updated)

    @app.get(
        f"{API}/admin/accounts/{{account_id}}",
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
        summary="One account with every field (no password)",
    )
    async def get_account(account_id: DbId) -> dict[str, Any]:
        def q(s: Session) -> dict[str, Any]:
            acc = services.get_account(s, account_id)
            d = {c: getattr(acc, c) for c in services.ACCOUNT_COLUMNS}
            d.update(id=acc.id, agent_id=acc.agent_id)
            return d

        return await state.read(q)

    @app.patch(
        f"{API}/admin/accounts/{{account_id}}",
        response_model=AccountRow,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def patch_account(account_id: DbId, body: AccountFields) -> AccountRow:
        def q(s: Session) -> AccountRow:
            acc = services.update_account(s, cfg, state.box, account_id, body)
            return services.account_rows(s, [acc.id])[0]

        return await state.write(q)

    @app.delete(
        f"{API}/admin/accounts/{{account_id}}",
        status_code=204,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def delete_account(account_id: DbId) -> Response:
        _deleted, missing = await state.write(services.delete_accounts, [account_id])
        if missing:
            raise NotFound(f"VoIP account {account_id} does not exist")
        return Response(status_code=204)

    @app.post(
        f"{API}/admin/accounts/bulk-delete",
        response_model=BulkDeleteResult,
        tags=["admin"],
        dependencies=[admin_dep],
        responses=ERRORS,
    )
    async def bulk_delete_accounts(body: IdList) -> BulkDeleteResult:
        deleted, missing = await state.write(
            services.delete_accounts, list(dict.fromkeys(body.ids))
        )
        return BulkDeleteResult(deleted=deleted, missing=missing)

    # ----------------------------------------------------------------------------- reports

    @app.get(
        f"{API}/admin/reports/calls",
        response_model=Report,
        tags=["admin"],
        dependencies=[admin_dep],
        responses={200: {"content": {"text/csv": {}}}, **ERRORS},
        summary="Call logs filtered by agent, group, number and period (JSON or CSV)",
    )
    async def report_calls(  # noqa: PLR0917
        request: Request,
        agent: Annotated[str | None, Query(max_length=100)] = None,
        group: Annotated[str | None, Query(max_length=100)] = None,
        number: Annotated[str | None, Query(max_length=64)] = None,
        start: Annotated[dt.datetime | None, Query(alias="from")] = None,
        end: Annotated[dt.datetime | None, Query(alias="to")] = None,
        format: Literal["json", "csv"] = "json",
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> Response:
        f = services.ReportFilter(
            agent=agent,
            group=group,
            number=number,
            start=_aware(start),
            end=_aware(end),
        )
        total, rows = await state.read(lambda s: services.report(s, f, limit=limit, offset=offset))
        if format == "csv":
            base = str(request.base_url).rstrip("/")
            return Response(
                services.report_csv(rows, base),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
            )
        return JSONResponse(Report(total=total, rows=rows).model_dump(mode="json"))

    @app.get(
        f"{API}/admin/call-logs/{{log_id}}/recording",
        tags=["admin"],
        dependencies=[admin_dep],
        responses={200: {"content": {"audio/wav": {}}}, **ERRORS},
        summary="Listen to or download a call recording",
    )
    async def get_recording(log_id: uuid.UUID, download: bool = False) -> Response:
        def q(s: Session) -> tuple[str, str]:
            row = s.get(CallLog, log_id)
            if row is None or not row.recording_file:
                raise NotFound(f"call log {log_id} has no recording")
            return row.recording_file, row.recording_type or "application/octet-stream"

        name, ctype = await state.read(q)
        path = cfg.recordings_dir / name
        if not path.is_file():
            raise NotFound(f"the recording file of call {log_id} is missing")
        return FileResponse(
            path,
            media_type=ctype,
            filename=name,
            content_disposition_type="attachment" if download else "inline",
        )

    # ----------------------------------------------------------------------------- exports

    @app.get(
        f"{API}/admin/exports/kamailio",
        tags=["admin"],
        dependencies=[admin_dep],
        response_class=PlainTextResponse,
        responses=ERRORS,
        summary="Kamailio subscriber table: db_text file or SQL",
    )
    async def export_kamailio(format: Literal["dbtext", "sql"] = "dbtext") -> Response:
        fn = exports.kamailio_sql if format == "sql" else exports.kamailio_dbtext
        return PlainTextResponse(await state.read(fn, state.box))

    @app.get(
        f"{API}/admin/exports/asterisk",
        tags=["admin"],
        dependencies=[admin_dep],
        response_class=PlainTextResponse,
        responses=ERRORS,
        summary="Asterisk pjsip.conf sections",
    )
    async def export_asterisk() -> Response:
        return PlainTextResponse(await state.read(exports.asterisk_pjsip, state.box))

    @app.get("/healthz", tags=["meta"], summary="Liveness and readiness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


REPORT_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
REPORT_LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A report bound in UTC; out-of-range dates are the client's mistake (422), not a 500."""
    if value is None:
        return None
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not REPORT_EARLIEST <= utc < REPORT_LATEST:
        raise Invalid("report dates must lie between 1970-01-01 and 9998-12-31")
    return utc
