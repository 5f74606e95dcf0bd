"""Drive a far-end pjsua2 peer (``tests/rig/peer.py``) from a test.

:class:`PeerProcess` spawns the peer with the project's venv Python, sends JSON-line commands
to its stdin and collects the JSON-line events from its stdout in a reader thread. Every event
is kept in :attr:`PeerProcess.history`, so a test can await an event (:meth:`PeerProcess.wait_for`)
and also assert on earlier ones.

Commands (``command(name, **fields)`` returns the ``ack`` event or raises :class:`PeerError`):

=================  ===========================================================================
register           user, password, domain, proxy, transport (udp|tcp|tls), ca_file,
                   verify_server (True), stun ("host:port" or list), srtp
                   (disabled|optional|mandatory), codecs (["PCMU", "G722", ...]),
                   codecs_exclusive, expires, register (False: account without REGISTER),
                   retry_interval, first_retry_interval, display_name; rarely:
                   auth_user, id_uri, registrar, random_retry_interval,
                   delay_before_refresh, sip_outbound, contact_rewrite, via_rewrite,
                   udp_keepalive, srtp_secure_signaling
                   -> ack {aor, transport, codecs}
unregister         -> ack {}; then reg_state with active false
reregister         send a REGISTER now -> ack {}
codecs             codecs, exclusive -> ack {codecs}
call               uri, late_offer, headers {name: value} -> ack {call_id}
call_timed         as call -> ack {call_id, sent_at (the peer's time.monotonic() before the
                   INVITE: the same clock as this process's on Linux)}
answer             call_id, code (200; 180, 486, 603 ...), reason
auto_answer        enabled, code (200, 486, 603 ...), ring (send 180 when not auto answering)
hangup             call_id (or "all"), code, headers {name: value} (an unanswered call of
                   ours: they go in the CANCEL)
hold / unhold      call_id
reinvite_answer    code (488 ...; None: accept): answer the far end's re-INVITEs (its hold
                   and resume) with this code -> event reinvite_refused {call_id, code}
dtmf               call_id, digits, method (rfc4733|sip_info)
xfer               call_id, uri (blind transfer, REFER)
xfer_replaces      call_id, dest_call_id (attended transfer)
play_tone          call_id, freq (Hz; 0 stops), volume
stop_tone          call_id
record             call_id, path, duration_ms (optional: stops by itself)
stop_record        path (or every recording)
follow_redirects   enabled (True: follow 3xx targets; pjsua2's default stops at a 3xx)
nat_detect         run STUN NAT type detection again
info               -> ack {transports, calls, account, codecs, nat_type}
ping               -> ack {calls}
echo               enabled (True), greeting (WAV path), hangup_after_s: every answered call
                   hears the greeting, then its own audio (with auto_answer: an echo extension)
                   -> ack {enabled, greeting_s}
ring_every         uri, interval_s (60), give_up_s (30), first_in_s (0), enabled (True): call
                   ``uri`` again an interval after the last call began, once it has ended;
                   hang up when not answered within give_up_s -> ack {enabled, interval_s}
quit
=================  ===========================================================================

Events (JSON objects with "event" and a per-process "seq"; the client adds "_t", its monotonic
receive time, and "_i", the event's index in ``history``: ``since=event["_i"] + 1``):

* ``ready`` {name, pid, transports: {udp: {id, local_name, local}, tcp: {...}}, stun}
* ``ack`` {cmd, req, ...result} / ``error`` {cmd, req, message[, where, traceback]}
* ``reg_state`` {code, reason, active, expires, status}
* ``incoming_call`` {call_id, state, code, reason, remote_uri, local_uri, remote_contact,
  sip_call_id, role, replaces, message}
* ``call_state`` {call_id, state (CALLING|INCOMING|EARLY|CONNECTING|CONFIRMED|DISCONNECTED),
  code, reason, remote_uri, local_uri, remote_contact, sip_call_id, role}
* ``media_state`` {call_id, index, state (active|local_hold|remote_hold|none|error), hold, dir,
  codec ("PCMU/8000" or null)}
* ``dtmf`` {call_id, digit, method (rfc4733|sip_info)}
* ``reinvite_refused`` {call_id, code} (``reinvite_answer``)
* ``transfer_request`` {call_id, target} / ``transfer_status`` {call_id, code, reason, final}
* ``replace_request`` {call_id} / ``replaced`` {call_id, new_call_id}
* ``redirected`` {call_id, target, followed}
* ``recorded`` {path, call_id, complete, bytes, duration_ms}
* ``stun`` {kind: "nat_type", status, reason, nat_type, nat_type_name} or
  {kind: "resolved", status, server, address}
* ``transport_state`` {type (tcp|tls), state (connected|disconnected|shutdown|destroy),
  last_error, tls: null or {established, protocol, cipher, verify_status (0 = verified),
  verify_msgs, peer_cn, remote}}
* ``greeting`` {call_id, seconds} / ``echoing`` {call_id} (``echo``)
* ``ringing_out`` {call_id, uri} / ``gave_up`` {call_id} (``ring_every``)
* ``exit`` {status}
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tests.rig.process import tail

if TYPE_CHECKING:
    from tests.rig.kamailio import KamailioServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
Event = dict[str, Any]
Predicate = Callable[[Event], bool]

DEFAULT_TIMEOUT = 5.0


class PeerError(RuntimeError):
    """The peer reported an error, died, or an awaited event did not come."""


def venv_python() -> str:
    """The project's venv interpreter (the one running the tests, when it is that venv)."""
    candidate = PROJECT_ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


class PeerProcess:
    """A far-end pjsua2 peer in its own process. Use as a context manager (always quits)."""

    def __init__(
        self,
        name: str = "peer",
        *,
        stun: str | list[str] | None = None,
        log_dir: Path | None = None,
        log_level: int = 4,
        start_timeout: float = 15.0,
        python: str | None = None,
    ) -> None:
        self.name = name
        # Logs stay after close() (in a fresh temp dir unless log_dir is given): they are what
        # explains a failure.
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="rig-peer-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.log_dir / f"{name}.stderr.log"
        self.pjsua_log_path = self.log_dir / f"{name}.pjsua.log"
        self.stun = [stun] if isinstance(stun, str) else list(stun or [])
        self.log_level = log_level
        self.start_timeout = start_timeout
        self.python = python or venv_python()
        self.history: list[Event] = []
        self.ready_event: Event | None = None
        self._cond = threading.Condition()
        self._eof = False
        self._req = itertools.count(1)
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._stderr_file: Any = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> PeerProcess:
        argv = [
            self.python,
            "-m",
            "tests.rig.peer",
            "--name",
            self.name,
            "--log-file",
            str(self.pjsua_log_path),
            "--log-level",
            str(self.log_level),
        ]
        for server in self.stun:
            argv += ["--stun", server]
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        self._stderr_file = self.stderr_path.open("ab")
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            cwd=PROJECT_ROOT,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._reader = threading.Thread(
            target=self._read_events, name=f"peer-{self.name}-reader", daemon=True
        )
        self._reader.start()
        try:
            self.ready_event = self.wait_for("ready", timeout=self.start_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _read_events(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = raw.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                    if not isinstance(event, dict) or "event" not in event:
                        raise ValueError("not an event")
                except ValueError:
                    event = {"event": "_output", "line": line}
                event["_t"] = time.monotonic()
                with self._cond:
                    event["_i"] = len(self.history)  # position in history: since=e["_i"] + 1
                    self.history.append(event)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def transports(self) -> dict[str, Any]:
        return dict((self.ready_event or {}).get("transports", {}))

    def stderr_tail(self, lines: int = 30) -> str:
        return tail(self.stderr_path, lines)

    def pjsua_log_tail(self, lines: int = 40) -> str:
        return tail(self.pjsua_log_path, lines)

    def close(self, timeout: float = 5.0) -> int | None:
        """Ask the peer to quit (it hangs up and unregisters), then make sure it is gone."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                proc.stdin.flush()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=2.0)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        else:
            proc.wait()
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        return proc.returncode

    def __enter__(self) -> PeerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- events --------------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the history: pass it as ``since`` to await only later events."""
        with self._cond:
            return len(self.history)

    def events(
        self, event_type: str | None = None, predicate: Predicate | None = None
    ) -> list[Event]:
        with self._cond:
            return [
                e
                for e in self.history
                if (event_type is None or e["event"] == event_type)
                and (predicate is None or predicate(e))
            ]

    def describe(self) -> str:
        recent = "\n".join(
            json.dumps({k: v for k, v in e.items() if k not in ("message", "_t", "_i")})
            for e in self.history[-15:]
        )
        return (
            f"--- last events of peer {self.name!r}:\n{recent}\n"
            f"--- stderr tail ({self.stderr_path}):\n{self.stderr_tail(15)}\n"
            f"--- pjsua log: {self.pjsua_log_path}"
        )

    def wait_for(
        self,
        event_type: str,
        predicate: Predicate | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        since: int = 0,
        fail_on_error: bool = True,
    ) -> Event:
        """The first event of ``event_type`` (matching ``predicate``) at or after ``since``.

        Searches the history first, then waits for new events until ``timeout``. Raises
        :class:`PeerError` on timeout, if the peer exits, or (``fail_on_error``) if the peer
        reports an error from one of its callbacks meanwhile.
        """
        deadline = time.monotonic() + timeout
        pos = since
        with self._cond:
            while True:
                while pos < len(self.history):
                    event = self.history[pos]
                    pos += 1
                    if event["event"] == event_type and (predicate is None or predicate(event)):
                        return event
                    if (
                        fail_on_error
                        and event["event"] == "error"
                        and event.get("cmd") is None
                        and event_type != "error"
                    ):
                        raise PeerError(
                            f"peer {self.name!r} reported an error while waiting for "
                            f"{event_type!r}: {event.get('message')}\n"
                            f"{event.get('traceback', '')}\n{self.describe()}"
                        )
                if self._eof:
                    raise PeerError(
                        f"peer {self.name!r} exited (status {self._proc and self._proc.poll()}) "
                        f"while waiting for {event_type!r}\n{self.describe()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PeerError(
                        f"peer {self.name!r}: no {event_type!r} event"
                        f"{' matching the condition' if predicate else ''} within {timeout:.1f} s"
                        f"\n{self.describe()}"
                    )
                self._cond.wait(remaining)

    # -- commands ------------------------------------------------------------------------------

    def send(self, cmd: str, **fields: Any) -> int:
        """Send a command without waiting; returns its ``req`` number."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise PeerError(f"peer {self.name!r} is not running\n{self.describe()}")
        req = next(self._req)
        line = json.dumps({"cmd": cmd, "req": req, **fields})
        try:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise PeerError(f"peer {self.name!r}: cannot send {cmd}: {exc}") from exc
        return req

    def command(self, cmd: str, *, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Event:
        """Send a command and wait for its ``ack``; raise :class:`PeerError` on ``error``."""
        since = self.mark()
        req = self.send(cmd, **fields)
        return self._wait_reply(req, since, timeout)

    def _wait_reply(self, req: int, since: int, timeout: float) -> Event:
        deadline = time.monotonic() + timeout
        pos = since
        with self._cond:
            while True:
                while pos < len(self.history):
                    event = self.history[pos]
                    pos += 1
                    if event.get("req") == req and event["event"] in ("ack", "error"):
                        if event["event"] == "error":
                            raise PeerError(
                                f"peer {self.name!r}: command {event.get('cmd')!r} failed: "
                                f"{event.get('message')}"
                            )
                        return event
                if self._eof:
                    raise PeerError(
                        f"peer {self.name!r} exited before answering\n{self.describe()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PeerError(
                        f"peer {self.name!r}: no answer to request {req} within {timeout:.1f} s\n"
                        f"{self.describe()}"
                    )
                self._cond.wait(remaining)

    # -- helpers -------------------------------------------------------------------------------

    def register(self, **fields: Any) -> Event:
        """Create the account (see module doc for fields); does not wait for the outcome."""
        return self.command("register", **fields)

    def register_and_wait(self, *, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Event:
        """Register and wait for the final outcome; raise unless it is 200 and active."""
        since = self.mark()
        self.register(**fields)
        event = self.wait_for("reg_state", lambda e: e["code"] >= 200, timeout=timeout, since=since)
        if not (event["code"] == 200 and event["active"]):
            raise PeerError(
                f"peer {self.name!r}: registration failed: {event['code']} {event['reason']}\n"
                f"{self.describe()}"
            )
        return event

    def registration_fields(
        self, server: KamailioServer, username: str, transport: str = "udp", **extra: Any
    ) -> dict[str, Any]:
        acc = server.account(username)
        fields: dict[str, Any] = {
            "user": acc.username,
            "password": acc.password,
            "domain": acc.domain,
            "proxy": server.proxy_uri(transport),
            "transport": transport,
        }
        if transport == "tls":
            fields["ca_file"] = str(server.ca_file)
        fields.update(extra)
        return fields

    def register_on(
        self,
        server: KamailioServer,
        username: str,
        transport: str = "udp",
        *,
        wait: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        **extra: Any,
    ) -> Event:
        """Register ``username`` (an account of ``server``) through ``server``'s proxy."""
        fields = self.registration_fields(server, username, transport, **extra)
        if wait:
            return self.register_and_wait(timeout=timeout, **fields)
        return self.register(**fields)

    def call(self, uri: str, **fields: Any) -> int:
        return int(self.command("call", uri=uri, **fields)["call_id"])

    def wait_call_state(
        self, call_id: int, state: str, *, timeout: float = DEFAULT_TIMEOUT, since: int = 0
    ) -> Event:
        return self.wait_for(
            "call_state",
            lambda e: e["call_id"] == call_id and e["state"] == state,
            timeout=timeout,
            since=since,
        )

    def wait_incoming(self, *, timeout: float = DEFAULT_TIMEOUT, since: int = 0) -> Event:
        return self.wait_for("incoming_call", timeout=timeout, since=since)

    def wait_media_active(
        self, call_id: int, *, timeout: float = DEFAULT_TIMEOUT, since: int = 0
    ) -> Event:
        return self.wait_for(
            "media_state",
            lambda e: e["call_id"] == call_id and e["state"] == "active",
            timeout=timeout,
            since=since,
        )

    def record(self, call_id: int, path: Path | str, duration_ms: int | None = None) -> Event:
        fields: dict[str, Any] = {"call_id": call_id, "path": str(path)}
        if duration_ms is not None:
            fields["duration_ms"] = duration_ms
        return self.command("record", **fields)

    def wait_recorded(self, path: Path | str, *, timeout: float = DEFAULT_TIMEOUT) -> Event:
        """Wait until the WAV at ``path`` is complete (after ``duration_ms`` or ``stop_record``)."""
        target = os.path.abspath(str(path))
        event = self.wait_for("recorded", lambda e: e["path"] == target, timeout=timeout)
        if not event["complete"]:
            raise PeerError(f"peer {self.name!r}: recording {target} was not finalised: {event}")
        return event
