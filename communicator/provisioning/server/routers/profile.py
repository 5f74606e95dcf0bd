"""The signed-in agent's VoIP profile, and the event stream announcing its changes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from ..errors import ApiError
from .deps import API, ERRORS, Creds, SignedIn, State

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)


@router.get(
    "/profile",
    responses={
        200: {"description": "The VoIP profile (shared schema JSON, with the SIP password)"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
    summary="The signed-in agent's VoIP profile",
)
async def get_profile(request: Request, info: SignedIn, state: State) -> Response:
    body, etag = await state.profile_for(info.agent_id, info)
    quoted = f'"{etag}"'
    inm = request.headers.get("if-none-match")
    headers = {"ETag": quoted, "Cache-Control": "private, no-cache"}
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        if "*" in tags or quoted in tags or etag in tags:
            return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/profile/events",
    responses={
        200: {
            "description": "text/event-stream: 'profile' events carry {\"etag\"}; "
            "'revoked' ends the stream; ': ping' comments every ~15 s",
            "content": {"text/event-stream": {}},
        },
    },
    summary="Server-sent events: profile changes",
)
async def profile_events(request: Request, info: SignedIn, state: State, creds: Creds) -> Response:
    last_seen = request.headers.get("last-event-id", "").strip().strip('"')
    sub = state.subscribe(info.agent_id, info.session_id)
    heartbeat = state.cfg.heartbeat_s

    async def current_etag() -> str | None:
        try:
            return (await state.profile_for(info.agent_id))[1]
        except ApiError:
            return None

    def profile_event(etag: str | None) -> ServerSentEvent:
        return ServerSentEvent(json.dumps({"etag": etag}), event="profile", id=etag or "")

    def revoked(reason: str) -> ServerSentEvent:
        return ServerSentEvent(json.dumps({"reason": reason}), event="revoked")

    async def stream() -> AsyncIterator[ServerSentEvent]:
        nonlocal last_seen
        try:
            yield ServerSentEvent(comment=f"heartbeat every {heartbeat:g} s", retry=3000)
            etag = await current_etag()
            if etag != last_seen:
                last_seen = etag or ""
                yield profile_event(etag)
            while True:
                try:
                    what = await asyncio.wait_for(sub.queue.get(), heartbeat)
                except TimeoutError:
                    if info.expires_at <= dt.datetime.now(dt.UTC):
                        yield revoked("session expired")
                        return
                    continue  # the response's own pings keep the connection alive
                if what == "shutdown":
                    return
                if what == "revoked" or (
                    # Still open? (From the cache; read again once the cache is dropped,
                    # as after a lost LISTEN connection, when a sign-out may have been missed.)
                    creds is not None and await state.session_for(creds.credentials) is None
                ):
                    yield revoked("signed out")
                    return
                etag = await current_etag()
                if (etag or "") != last_seen:
                    last_seen = etag or ""
                    yield profile_event(etag)
        finally:
            state.unsubscribe(sub)

    return EventSourceResponse(
        stream(),
        ping=heartbeat,
        ping_message_factory=lambda: ServerSentEvent(comment="ping"),
        headers={"Cache-Control": "no-cache"},
    )
