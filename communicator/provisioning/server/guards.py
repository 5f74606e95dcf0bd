"""Request guards in front of the routes: body size (with or without Content-Length), JSON
nesting depth, text no database stores (NUL, lone surrogates), and errors that never reach
uvicorn's traceback logging.

Each refusal is a 4xx with the API's JSON error body. The call-log batch is exempt from the
depth and text checks: its logs are judged one by one (``services.call_logs``), so one bad log
never refuses the good ones beside it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse

from .config import ServerConfig
from .errors import TooLarge
from .logsafe import describe

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_JSON_DEPTH = 32
"""Deeper than any body of the API (a forwarding rule or a not-ready reason is 3 levels)."""

API = "/api/v1"
CONSOLE_IMPORTS = "/admin/csv/"
FORM_OVERHEAD = 64 << 10
"""Room for a form's other fields and its multipart headers around an uploaded file."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])|\xed[\xa0-\xbf]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    problems = extra.pop("problems", None) or []
    return JSONResponse(
        {"error": code, "message": message, "problems": problems}, status_code=status, **extra
    )


def json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a JSON text, counted without parsing (stops past ``limit``)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return 0  # cannot be deeper than the limit: the usual body costs two counts
    depth = deepest = 0
    for m in _BRACKETS.finditer(_STRINGS.sub(b'""', body)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def value_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a parsed JSON value (stops past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
            stack.extend(
                (sub, depth) for sub in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def unstorable_text(value: Any, where: str = "") -> str | None:
    """Why a value cannot be stored (a NUL or a lone surrogate in a string or a key), or None."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            found = _UNSTORABLE.search(item)
            if found is not None:
                name = path or "a field name"
                if found.group() == "\x00":
                    return f"{name}: NUL characters (\\u0000) are not allowed"
                return f"{name}: contains an invalid character (a lone UTF-16 surrogate)"
        elif isinstance(item, dict):
            for key, sub in item.items():
                stack.append((key, path))
                stack.append((sub, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
    return None


class RequestGuard:
    """ASGI middleware: size limits (413), nesting depth (400) and unstorable text (422)."""

    def __init__(self, app: ASGIApp, cfg: ServerConfig) -> None:
        self.app = app
        self.cfg = cfg

    def limit_for(self, path: str) -> int:
        if path.endswith("/recording"):
            return self.cfg.max_recording_bytes
        if path.startswith(f"{API}/call-logs") or path.endswith("/import"):
            return self.cfg.max_call_log_batch_bytes
        if path.startswith(CONSOLE_IMPORTS) and path.endswith("-import"):
            # The console's CSV upload: a file as large as the API's import, in a form.
            return self.cfg.max_call_log_batch_bytes + FORM_OVERHEAD
        return self.cfg.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        refusal = self._check_url(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        limit = self.limit_for(path)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
                if length > limit:
                    await self._too_large(limit)(scope, receive, send)
                    return
                if length < 0:
                    await error_response(400, "bad_request", "invalid Content-Length")(
                        scope, receive, send
                    )
                    return
        if path.endswith("/recording"):
            await self.app(scope, _limited(receive, limit), send)
            return
        body, more = await _read_body(receive, limit)
        if body is None:
            await self._too_large(limit)(scope, receive, send)
            return
        refusal = self._check_body(path, scope, body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay(body, more, receive), send)

    @staticmethod
    def _too_large(limit: int) -> JSONResponse:
        return error_response(413, "too_large", f"request body is larger than {limit} bytes")

    @staticmethod
    def _check_url(scope: Scope) -> JSONResponse | None:
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or (b"%00" in query or b"\x00" in query):
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            name = next((k for k, v in pairs if "\x00" in k or "\x00" in v), "the path")
            return error_response(
                422,
                "invalid",
                f"{name}: NUL characters are not allowed",
                problems=[{"in": "query", "field": name, "message": "NUL character"}],
            )
        return None

    @staticmethod
    def _check_body(path: str, scope: Scope, body: bytes) -> JSONResponse | None:
        if not body or path.startswith(f"{API}/call-logs"):
            return None
        ctype = ""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                ctype = value.decode("latin-1").lower()
        if "json" not in ctype and ctype:
            return None
        if json_depth(body) > MAX_JSON_DEPTH:
            return error_response(
                400, "bad_request", f"the body is nested deeper than {MAX_JSON_DEPTH} levels"
            )
        if _ESCAPES.search(body) is None:
            return None
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None  # the route answers for a body that is not JSON
        reason = unstorable_text(data)
        if reason is None:
            return None
        return error_response(
            422,
            "invalid",
            f"body {reason}",
            problems=[{"in": "body", "field": reason.split(":", 1)[0], "message": reason}],
        )


async def _read_body(receive: Receive, limit: int) -> tuple[bytes | None, bool]:
    """The whole body, or None past ``limit`` bytes; and whether the client disconnected."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(parts), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, False
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(f"request body is larger than {limit} bytes")
        return message

    return limited


class QuietErrors:
    """The outermost ASGI layer: an exception that escapes the application is answered with a
    500 (when no answer has started) and logged by its type alone. Starlette re-raises it after
    its own handler, and uvicorn's traceback would write the request's data into the log (SQL
    parameters carry logins and numbers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unexpected %s while handling a request", describe(exc))
            if scope["type"] == "http" and not started:
                await error_response(500, "internal", "internal server error")(scope, receive, send)
