"""Removing a Kamailio registration the moment its credentials stop being valid (issue 18).

Kamailio reads credentials live from this server's database views, so the *next* REGISTER
meets a change; but a registration it already holds stays in its location table until it
expires (30 s for our client, up to ``max_expires`` for a third-party phone), and calls to that
SIP user name would still ring the old device. With ``serve --kamailio-rpc URL`` the server
removes those bindings through Kamailio's JSON-RPC (``jsonrpcs`` over ``xhttp``, see the
``rpc_port`` of :func:`kamailio_routing.routing_fragment`): ``ul.rm location <user>@<domain>``.

Why here, as a SQLAlchemy session hook, and not in each service: every change that
invalidates an account's credentials ends up as a flush of a ``VoipAccount`` row (a deletion,
a deactivation, a new SIP password, user name or domain; a pool lease's end or rotation and an
agent's deletion or deactivation rotate the password, see ``services/pool.py``). The old
identity is only known *before* the flush (after it, a renamed or deleted account's former
user name is gone), and the RPC must only go out once the change is committed. So the hook
notes the old ``user@domain`` in ``before_flush`` and sends after commit; a rollback forgets.

The call runs on one background thread, off the request's path; Kamailio being down or slow
never fails or delays the admin's change (a warning is logged, naming the user, never a
credential). The command line (``communicator-server accounts delete`` / ``release``,
``import``) attaches the same hook when given ``--kamailio-rpc`` or
``COMMUNICATOR_KAMAILIO_RPC`` and waits for the removals (:meth:`KamailioRpc.flush`) before
it exits. Changes made by a process without the option are not covered.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from .models import VoipAccount

log = logging.getLogger(__name__)

_PENDING = "kamailio_rm"
_WATCHED = ("sip_username", "sip_domain", "sip_password_enc", "active", "equipment_type")
"""A change of any of these makes a registration made before it stale."""
TIMEOUT_S = 2.0


class KamailioRpc:
    """Sends ``ul.rm`` for AORs, one after another, on a daemon thread."""

    def __init__(self, url: str, table: str = "location") -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the Kamailio RPC address must be an http(s):// URL")
        self.url = url
        self.table = table
        self._queue: queue.SimpleQueue[str | threading.Event] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def remove(self, aors: Iterable[str]) -> None:
        """Queues the removal of every binding of these AORs (returns at once)."""
        for aor in aors:
            self._queue.put(aor)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kamailio-rpc", daemon=True)
                self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Waits until the removals queued so far were sent (or failed), up to ``timeout``
        seconds; False if they were not all done by then. For a process that exits after its
        change (the command line): the sender thread is a daemon and would die with it."""
        with self._lock:
            if self._thread is None:
                return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            aor = self._queue.get()
            if isinstance(aor, threading.Event):
                aor.set()
                continue
            try:
                self.call("ul.rm", [self.table, aor])
            except Exception as exc:  # never let the thread die: the next change is tried
                log.warning("Kamailio did not remove the registrations of %s: %s", aor, exc)

    def call(self, method: str, params: list[str]) -> object:
        """One JSON-RPC call; "AOR not found" (nothing registered) is success."""
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1})
        req = urllib.request.Request(
            self.url,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            # jsonrpcs may answer an RPC error with an HTTP error status and a JSON body;
            # anything else (xhttp's 403 off the RPC port) is a failure.
            try:
                answer = json.loads(exc.read())
            except ValueError:
                raise RuntimeError(f"{method}: HTTP {exc.code}") from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if error:
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            if "not found" in message.lower():
                return None
            raise RuntimeError(f"{method}: {message}")
        return answer.get("result") if isinstance(answer, dict) else None


def _aor(username: object, domain: object) -> str | None:
    if not isinstance(username, str) or not username:
        return None
    return f"{username}@{domain}" if isinstance(domain, str) and domain else username


def _old(acc: VoipAccount, name: str) -> object:
    hist = inspect(acc).attrs[name].history
    return hist.deleted[0] if hist.deleted else getattr(acc, name)


def stale_aors(s: Session) -> set[str]:
    """The AORs (as they were before this flush) whose registrations the flush invalidates."""
    out: set[str] = set()
    for obj in s.deleted:
        if isinstance(obj, VoipAccount):
            aor = _aor(_old(obj, "sip_username"), _old(obj, "sip_domain"))
            if aor:
                out.add(aor)
    for obj in s.dirty:
        if not isinstance(obj, VoipAccount):
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in _WATCHED):
            aor = _aor(_old(obj, "sip_username"), _old(obj, "sip_domain"))
            if aor:
                out.add(aor)
    return out


def attach(maker: sessionmaker[Session], url: str | None) -> KamailioRpc | None:
    """Hooks the removal into every session ``maker`` makes; ``url`` None: nothing is done."""
    if not url:
        return None
    rpc = KamailioRpc(url)

    @event.listens_for(maker, "before_flush")
    def _before_flush(s: Session, _ctx: object, _instances: object) -> None:
        aors = stale_aors(s)
        if aors:
            s.info.setdefault(_PENDING, set()).update(aors)

    @event.listens_for(maker, "after_commit")
    def _after_commit(s: Session) -> None:
        aors = s.info.pop(_PENDING, None)
        if aors:
            rpc.remove(sorted(aors))

    @event.listens_for(maker, "after_rollback")
    def _after_rollback(s: Session) -> None:
        s.info.pop(_PENDING, None)

    return rpc
