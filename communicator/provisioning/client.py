"""The client side of the provisioning API: sign in, fetch the VoIP profile, follow its changes,
deliver call logs and recordings.

Everything here is synchronous httpx and meant to run off the UI thread. Every failure becomes a
:class:`ProvisioningError` whose ``kind`` says what happened and whose message an agent can read:
a wrong password, a disabled agent, no free pool number, an unreachable server, a TLS problem or a
malformed profile (naming the field). Tokens and passwords never appear in messages or logs.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, SSEError, connect_sse

from communicator.provisioning.agent_status import AgentStatus, StatusReport
from communicator.provisioning.credentials import credential_key
from communicator.provisioning.schema import ProfileError, VoipProfile, parse_profile

log = logging.getLogger(__name__)

API = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ErrorKind(enum.Enum):
    WRONG_CREDENTIALS = "wrong_credentials"
    AGENT_DISABLED = "agent_disabled"
    NO_FREE_NUMBER = "no_free_number"
    RATE_LIMITED = "rate_limited"
    SESSION_EXPIRED = "session_expired"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    MALFORMED_PROFILE = "malformed_profile"
    REJECTED = "rejected"
    SERVER_ERROR = "server_error"

    @property
    def retryable(self) -> bool:
        """Worth trying again later without the agent changing anything."""
        return self in {ErrorKind.UNREACHABLE, ErrorKind.SERVER_ERROR, ErrorKind.RATE_LIMITED}


class ProvisioningError(Exception):
    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        reason: str | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.status = status
        """The HTTP status of a refusal (None when no answer came)."""
        self.reason = reason
        """When no answer came: the network's or TLS's own words (``Connection refused``,
        ``TLS: CERTIFICATE_VERIFY_FAILED``), for support tools such as ``--selftest``."""


@dataclass(frozen=True)
class DeskPhone:
    """A desk phone a hot-desk agent may choose for the session (seed 004)."""

    id: int
    name: str
    extension: str
    static_ip: str | None = None

    @property
    def label(self) -> str:
        """How the agent sees it in the choice: name, extension and address when known."""
        text = self.name if self.extension in self.name else f"{self.name} ({self.extension})"
        return f"{text}, {self.static_ip}" if self.static_ip else text


@dataclass(frozen=True)
class AgentSession:
    """A signed-in agent on a server. The token is a bearer secret: repr never shows it."""

    server_url: str
    login: str
    display_name: str
    group: str | None
    extension: str
    pooled: bool
    expires_at: dt.datetime
    token: str = field(repr=False)
    delivery_token: str | None = field(default=None, repr=False)
    phones: tuple[DeskPhone, ...] | None = None
    """Hot desk: the free desk phones offered at sign-in (None: no choice to make)."""

    @property
    def owner(self) -> str:
        """The identity call logs are recorded for (see the outbox's owners)."""
        return credential_key(self.server_url, self.login)


@dataclass(frozen=True)
class ProfileFetch:
    """A profile answer: ``profile`` is None when the server said 304 Not Modified."""

    etag: str
    profile: VoipProfile | None


@dataclass(frozen=True)
class ProfileEvent:
    """One server-sent event on the profile stream."""

    kind: str  # "open" (stream connected), "profile" (etag changed), "revoked" (session ended)
    etag: str | None
    event_id: str | None


class DirectoryKind(enum.Enum):
    AGENT = "agent"
    GROUP = "group"


@dataclass(frozen=True)
class DirectoryEntry:
    """Someone (or a group) the agent can call or transfer to, from the server's directory.

    ``name`` is an agent's display name (``Extension N`` when it has none) or a group's name;
    ``extension`` is None for an agent without a number now; ``group`` is an agent's group.
    """

    kind: DirectoryKind
    name: str
    extension: str | None
    group: str | None = None


@dataclass(frozen=True)
class RefusedLog:
    """A call log the server refused for good (or that could not even be sent): posting it
    again would give the same answer, so it is set aside for support, not retried."""

    id: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    accepted: tuple[str, ...]
    """Ids the server has (stored now or before): safe to drop locally."""
    rejected: tuple[tuple[str | None, str], ...]  # (id, problem), as the server listed them
    refused: tuple[RefusedLog, ...] = ()
    """The posted logs refused for good, by the id this client posted them with."""


class ProvisioningClient:
    """One server. ``ca_file`` adds a private CA; verification is never switched off."""

    def __init__(
        self,
        server_url: str,
        *,
        ca_file: str | Path | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = normalise_server_url(server_url)
        verify: ssl.SSLContext | bool = True
        if ca_file is not None:
            verify = ssl.create_default_context(cafile=str(ca_file))
        self._http = httpx.Client(
            base_url=self.server_url,
            verify=verify,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "Communicator"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProvisioningClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_health(self) -> None:
        """``GET /healthz`` answers as a Communicator provisioning server does (``--selftest``);
        else a ProvisioningError: UNREACHABLE or TLS with its ``reason``, or SERVER_ERROR with
        the ``status`` of whatever answered instead."""
        try:
            response = self._http.get("/healthz")
        except httpx.HTTPError as err:
            raise _transport_error(err, self.server_url) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if (
            response.status_code != 200
            or not isinstance(answer, dict)
            or answer.get("status") != "ok"
        ):
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR,
                f"{self.server_url} answered HTTP {response.status_code}, "
                "not as a Communicator server.",
                status=response.status_code,
            )

    # -- sessions -------------------------------------------------------------------------------

    def sign_in(self, login: str, password: str) -> AgentSession:
        body = self._json(
            self._request("POST", f"{API}/sessions", json={"login": login, "password": password})
        )
        try:
            agent = body["agent"]
            return AgentSession(
                server_url=self.server_url,
                login=str(agent["login"]),
                display_name=str(agent.get("display_name") or agent["login"]),
                group=agent.get("group"),
                extension=str(body["extension"]),
                pooled=bool(body.get("pooled", False)),
                expires_at=dt.datetime.fromisoformat(str(body["expires_at"])),
                token=str(body["token"]),
                delivery_token=body.get("delivery_token"),
                phones=None if body.get("phones") is None else _phones(body["phones"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR, "The server's sign-in answer was not understood."
            ) from err

    def sign_out(self, session: AgentSession) -> None:
        try:
            self._request("DELETE", f"{API}/sessions/current", token=session.token)
        except ProvisioningError as err:
            if err.kind is not ErrorKind.SESSION_EXPIRED:
                raise

    def choose_phone(self, session: AgentSession, phone_id: int | None) -> DeskPhone | None:
        """Hot desk: where this session's calls ring (a desk phone's id; None: this computer).
        Idempotent. A phone another agent holds is refused (REJECTED, status 409)."""
        response = self._request(
            "PUT", f"{API}/sessions/current/phone", token=session.token, json={"phone_id": phone_id}
        )
        try:
            phone = self._json(response).get("phone")
            return None if phone is None else _phones([phone])[0]
        except (KeyError, TypeError, ValueError) as err:
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR, "The phone choice's answer was not understood."
            ) from err

    # -- profile --------------------------------------------------------------------------------

    def fetch_profile(self, session: AgentSession, etag: str | None = None) -> ProfileFetch:
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        response = self._request("GET", f"{API}/profile", token=session.token, headers=headers)
        new_etag = response.headers.get("etag", "").removeprefix("W/").strip('"')
        if response.status_code == 304:
            return ProfileFetch(etag=new_etag or (etag or ""), profile=None)
        try:
            profile = parse_profile(response.content)
        except ProfileError as err:
            raise ProvisioningError(
                ErrorKind.MALFORMED_PROFILE,
                f"The server sent a VoIP profile this client cannot use: {err}",
            ) from None
        return ProfileFetch(etag=new_etag or profile.etag, profile=profile)

    def profile_events(
        self, session: AgentSession, last_event_id: str | None = None
    ) -> Iterator[ProfileEvent]:
        """Follow the profile's server-sent events until the stream ends (or raises)."""
        headers = {"Authorization": f"Bearer {session.token}"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        timeout = httpx.Timeout(None, connect=5.0, read=60.0)  # > the server's 15 s heartbeat
        try:
            with connect_sse(
                self._http, "GET", f"{API}/profile/events", headers=headers, timeout=timeout
            ) as source:
                if source.response.status_code != 200:
                    source.response.read()
                    raise _error_for(source.response)
                yield ProfileEvent(kind="open", etag=None, event_id=None)
                for sse in source.iter_sse():
                    if sse.event != "message" or sse.data:
                        yield _profile_event(sse)
        except SSEError:
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR, "The server's event stream was not understood."
            ) from None
        except httpx.HTTPError as err:
            raise _transport_error(err, self.server_url) from None

    # -- directory ------------------------------------------------------------------------------

    def directory(self, session: AgentSession) -> tuple[DirectoryEntry, ...]:
        """Agents, then groups, for the transfer and call pickers (no login names)."""
        body = self._json(self._request("GET", f"{API}/directory", token=session.token))
        try:
            agents = [_directory_agent(a) for a in body.get("agents", ())]
            groups = [
                DirectoryEntry(DirectoryKind.GROUP, str(g["name"]), _extension(g.get("extension")))
                for g in body.get("groups", ())
            ]
        except (KeyError, TypeError, AttributeError) as err:
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR, "The server's directory was not understood."
            ) from err
        return tuple(a for a in agents if a is not None) + tuple(groups)

    # -- agent status ---------------------------------------------------------------------------

    def report_status(self, session: AgentSession, report: StatusReport) -> AgentStatus:
        """Tell the server the agent's state and the phone's registration; returns what the
        server keeps (with the time the state began). Idempotent: safe to repeat, and safe to
        call from a worker thread (the HTTP client is shared between threads)."""
        response = self._request(
            "PUT",
            f"{API}/agent/status",
            token=session.token,
            content=report.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        try:
            return AgentStatus.model_validate_json(response.content)
        except ValueError as err:
            raise ProvisioningError(
                ErrorKind.SERVER_ERROR, "The server's answer to a status report was not understood."
            ) from err

    # -- call logs ------------------------------------------------------------------------------

    def post_call_logs(self, token: str, logs: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Post a batch; every log comes back accepted, refused, or in neither list (not
        judged: try again later). A log that cannot be written as JSON (NaN, a lone surrogate)
        is refused here without being sent."""
        sendable: list[Mapping[str, Any]] = []
        refused: list[RefusedLog] = []
        for item in logs:
            problem = _json_problem(item)
            if problem is None:
                sendable.append(item)
            else:
                refused.append(RefusedLog(str(item.get("id")), f"not sent: {problem}"))
        if not sendable:
            return BatchResult(accepted=(), rejected=(), refused=tuple(refused))
        body = self._json(
            self._request("POST", f"{API}/call-logs", token=token, json={"logs": sendable})
        )
        accepted = tuple(str(i) for i in body.get("accepted", ()))
        listed = [r for r in body.get("rejected", ()) if isinstance(r, dict)]
        rejected = tuple((r.get("id"), str(r.get("error", "rejected"))) for r in listed)
        refused.extend(_refusals(body, listed, sendable, set(accepted)))
        return BatchResult(accepted=accepted, rejected=rejected, refused=tuple(refused))

    def upload_recording(self, token: str, log_id: str, path: Path) -> None:
        content_type = {".wav": "audio/wav", ".gsm": "audio/gsm"}.get(
            path.suffix.lower(), "application/octet-stream"
        )
        with path.open("rb") as f:
            self._request(
                "PUT",
                f"{API}/call-logs/{log_id}/recording",
                token=token,
                content=f.read(),
                headers={"Content-Type": content_type},
            )

    # -- plumbing -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.request(method, path, headers=all_headers, **kwargs)
        except httpx.HTTPError as err:
            raise _transport_error(err, self.server_url) from None
        if response.status_code >= 400:
            raise _error_for(response)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProvisioningError(ErrorKind.SERVER_ERROR, "The server's answer was not JSON.")
        return data


def normalise_server_url(url: str) -> str:
    """``pbx.example.com`` -> ``https://pbx.example.com``; no trailing slash."""
    url = url.strip()
    if not url:
        raise ValueError("The server address is empty.")
    if "://" not in url:
        url = f"https://{url}"
    parsed = httpx.URL(url)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"Not a server address: {url!r} (use https://host[:port])")
    return url.rstrip("/")


def _phones(items: Sequence[Mapping[str, Any]]) -> tuple[DeskPhone, ...]:
    return tuple(
        DeskPhone(
            id=int(p["id"]),
            name=str(p["name"]),
            extension=str(p["extension"]),
            static_ip=str(p["static_ip"]) if p.get("static_ip") else None,
        )
        for p in items
    )


def _extension(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _directory_agent(item: Mapping[str, Any]) -> DirectoryEntry | None:
    extension = _extension(item.get("extension"))
    name = str(item.get("display_name") or "").strip()
    if not name:
        if extension is None:
            return None  # nothing to show and no way to call
        name = f"Extension {extension}"
    group = item.get("group")
    return DirectoryEntry(
        DirectoryKind.AGENT, name, extension, str(group) if group is not None else None
    )


def _profile_event(sse: ServerSentEvent) -> ProfileEvent:
    try:
        payload = sse.json() if sse.data else {}
    except ValueError:
        payload = {}
    etag = payload.get("etag") if isinstance(payload, dict) else None
    return ProfileEvent(
        kind=sse.event, etag=etag if isinstance(etag, str) else None, event_id=sse.id or None
    )


def _transport_error(err: httpx.HTTPError, server_url: str) -> ProvisioningError:
    reason = _transport_reason(err)
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            # OpenSSL's words for a certificate it refused ("self-signed certificate",
            # "certificate has expired", "Hostname mismatch, ..."), not its code
            # (CERTIFICATE_VERIFY_FAILED); other TLS failures give their code.
            tls_reason = (
                getattr(cause, "verify_message", None)
                or getattr(cause, "reason", None)
                or type(cause).__name__
            )
            return ProvisioningError(
                ErrorKind.TLS,
                f"Secure connection to {server_url} failed ({tls_reason}). Check the server "
                "address, or ask IT for the server's certificate authority.",
                reason=reason,
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(err, httpx.TimeoutException):
        what = "did not answer in time"
    elif isinstance(err, httpx.ConnectError):
        what = "cannot be reached"
    else:
        what = f"connection failed ({type(err).__name__})"
    return ProvisioningError(
        ErrorKind.UNREACHABLE,
        f"The server {server_url} {what}. Check the network or try later.",
        reason=reason,
    )


def _transport_reason(err: BaseException) -> str:
    """The innermost TLS or OS error's words (``Connection refused``), else the error's own."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return f"TLS: {getattr(cause, 'reason', None) or cause}"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return str(err) or type(err).__name__


def _error_for(response: httpx.Response) -> ProvisioningError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("error", "") if isinstance(body, dict) else ""
    message = body.get("message", "") if isinstance(body, dict) else ""
    status = response.status_code
    if status == 401 and response.request.url.path.endswith("/sessions"):
        if code == "agent_disabled" or "disabled" in message:
            return ProvisioningError(
                ErrorKind.AGENT_DISABLED,
                "Your agent account is disabled. Ask an administrator to enable it.",
            )
        return ProvisioningError(ErrorKind.WRONG_CREDENTIALS, "Wrong user name or password.")
    if status == 401:
        return ProvisioningError(
            ErrorKind.SESSION_EXPIRED, "Your session has ended. Please sign in again."
        )
    if code == "no_free_number":
        return ProvisioningError(
            ErrorKind.NO_FREE_NUMBER,
            message or "No free number, or the number is invalid",
        )
    if status == 429:
        retry_after = _float(response.headers.get("retry-after"))
        return ProvisioningError(
            ErrorKind.RATE_LIMITED,
            message or "Too many attempts; wait a moment and try again.",
            retry_after=retry_after,
        )
    if status >= 500:
        return ProvisioningError(
            ErrorKind.SERVER_ERROR, f"The server had a problem (HTTP {status}); try again later."
        )
    return ProvisioningError(
        ErrorKind.REJECTED,
        message or f"The server refused the request (HTTP {status}).",
        status=status,
    )


def _json_problem(item: Mapping[str, Any]) -> str | None:
    try:
        json.dumps(dict(item), allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError) as err:  # UnicodeEncodeError is a ValueError
        return f"the log cannot be written as JSON ({type(err).__name__}: {str(err)[:120]})"
    return None


def _refusals(
    body: Mapping[str, Any],
    listed: Sequence[Mapping[str, Any]],
    sent: Sequence[Mapping[str, Any]],
    accepted: set[str],
) -> Iterator[RefusedLog]:
    """The server's refusals, matched to the posted logs by position (the server may not be
    able to read a refused log's id). ``results`` (one per log) when the server sends it;
    an older server lists its refusals in ``rejected``, which were final too."""
    results = body.get("results")
    if isinstance(results, list):
        items = [r for r in results if isinstance(r, dict) and r.get("status") == "refused"]
    else:
        items = [{**r, "reason": r.get("error")} for r in listed]
    for item in items:
        index = item.get("index")
        if not isinstance(index, int) or not 0 <= index < len(sent):
            continue
        log_id = str(sent[index].get("id"))
        if log_id in accepted:
            continue  # the same id also came back accepted: it is stored
        code = item.get("code")
        reason = str(item.get("reason") or "refused")
        yield RefusedLog(log_id, f"{code}: {reason}" if code else reason)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
