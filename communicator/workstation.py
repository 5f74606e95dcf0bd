"""An agent's session at this workstation: sign in, keep the profile live, run the phone, and
never lose a call log.

This is the composition of provisioning (HTTP client, keyring, profile cache, live updates,
outbox sender), the SIP engine and the call-log outbox, without any widget, so the desktop app, the
headless demo and the tests share it.

Threads: everything here runs on the Qt main thread (the SIP engine's thread) except the HTTP
work of the profile watcher and the outbox sender, which run on their own threads and hand their
results back through ``post_to_main`` (the app passes a Qt queued call; tests may pass a queue).

Call logs: the engine calls :meth:`Workstation._call_finished` in the same step that ends a call;
a record that passes the Min Call Log Length rule is handed there to the call-log writer, which
commits it to the outbox on its own thread at once (the fsync never stalls the GUI thread; see
`communicator.provisioning.log_writer` for the short window in which the log is only in memory),
then wakes the sender and updates the count of logs waiting. Signing out and closing wait for the
writer first. Too-short calls are not logged and their recording, if any, is deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from communicator.core.call_record import CallRecord, call_log_payload, should_log
from communicator.core.messages import MessageLevel
from communicator.core.notices import NoticeCode, NoticeParams
from communicator.core.observers import Subscribers
from communicator.provisioning.client import (
    AgentSession,
    ProvisioningClient,
    ProvisioningError,
    normalise_server_url,
)
from communicator.provisioning.credentials import (
    CredentialStore,
    CredentialStoreError,
    credential_key,
    split_credential_key,
)
from communicator.provisioning.history import CallHistory, HistoryEntry
from communicator.provisioning.log_writer import CLOSE_WAIT_S, CallLogWriter
from communicator.provisioning.outbox import Outbox
from communicator.provisioning.profile_cache import CachedProfile, ProfileCache
from communicator.provisioning.schema import VoipProfile
from communicator.provisioning.sender import Delivery, OutboxSender
from communicator.provisioning.watcher import ProfileWatcher
from communicator.sip.engine import SipEngine

log = logging.getLogger(__name__)

PostToMain = Callable[[Callable[[], None]], None]
DELIVERY_PREFIX = "delivery:"
OFFLINE_SIP_PREFIX = "offline-sip:"
OFFLINE_VERIFIER_PREFIX = "offline-verifier:"
UNASSIGNED_OWNER = "unassigned@local://this-workstation"
"""Owner of a log no agent can claim (never delivered; kept in the outbox for support)."""
SIGN_OUT_DELIVERY_S = 5.0
"""How long signing out (or quitting) waits for the agent's undelivered call logs."""


@dataclass(frozen=True)
class SignedIn:
    session: AgentSession
    profile: VoipProfile
    etag: str
    offline: bool = False
    """Started from the cached profile while the server was unreachable (admin-allowed)."""


class OfflineStartError(Exception):
    """Offline start is not possible; the message says why, for the agent."""


@dataclass(frozen=True)
class WorkstationNotice:
    level: MessageLevel
    text: str
    """In English."""
    code: NoticeCode | None = None
    """For the UI to say it in the agent's language (`communicator.core.notices`)."""
    params: NoticeParams = ()


@dataclass(frozen=True)
class PendingLogsChanged:
    count: int
    """Call logs on this workstation not yet delivered (every agent's)."""
    refused: int = 0
    """Call logs the server refused for good, set aside for support (every agent's)."""


@dataclass(frozen=True)
class SignedOutByServer:
    why: str


@dataclass(frozen=True)
class HistoryAdded:
    """A finished call reached the agent's local history."""

    entry: HistoryEntry
    missed_unseen: int


@dataclass(frozen=True)
class ProfileUpdated:
    """An administrator's change reached this workstation (SIP changes may wait for the calls)."""

    profile: VoipProfile


WorkstationEvent = (
    WorkstationNotice | PendingLogsChanged | SignedOutByServer | HistoryAdded | ProfileUpdated
)
WorkstationListener = Callable[[WorkstationEvent], None]


def describe_workstation_event(event: WorkstationEvent) -> str:
    """One line for a terminal (the headless client and the demo)."""
    if isinstance(event, WorkstationNotice):
        return f"notice: {event.text}"
    if isinstance(event, PendingLogsChanged):
        refused = f" (refused by the server, kept: {event.refused})" if event.refused else ""
        return f"call logs waiting to be sent: {event.count}{refused}"
    if isinstance(event, SignedOutByServer):
        return f"signed out: {event.why}"
    if isinstance(event, ProfileUpdated):
        return f"profile revision {event.profile.revision} received"
    entry = event.entry
    return (
        f"history: {entry.direction.value} {entry.name or entry.number or entry.uri}, "
        f"{entry.outcome.value} (missed calls not seen: {event.missed_unseen})"
    )


class Workstation:
    def __init__(
        self,
        *,
        engine: SipEngine,
        data_dir: Path,
        post_to_main: PostToMain,
        credentials: CredentialStore | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self._post = post_to_main
        self._credentials = credentials or CredentialStore()
        self._ca_file = ca_file
        self._subscribers = Subscribers[WorkstationEvent](
            on_error=lambda _error: log.exception("workstation listener failed")
        )
        self.cache = ProfileCache(data_dir / "profiles")
        self.outbox_path = data_dir / "outbox.sqlite3"
        self.outbox = Outbox(self.outbox_path)
        self.history = CallHistory(data_dir / "history.sqlite3")
        self._delivery_round = threading.Condition()
        self._clients: dict[str, ProvisioningClient] = {}
        self._lock = threading.Lock()
        self.signed_in: SignedIn | None = None
        self._watcher: ProfileWatcher | None = None
        self._last_pending = -1
        self._last_refused = 0
        self._closed = False
        self._phone_of: SignedIn | None = None
        """The agent whose phone the engine runs. Kept after sign-out: the record of a call
        hung up by the sign-out can arrive later (a recorded call waits for its WAV file), and
        it still belongs to that agent."""
        self.sender = OutboxSender(
            self.outbox_path, self._delivery_for, on_progress=self._pending_changed
        )
        self.sender.start()
        self.log_writer = CallLogWriter(self.outbox_path, on_stored=self._log_stored)
        engine.on_call_finished = self._call_finished

    def subscribe(self, listener: WorkstationListener) -> Callable[[], None]:
        """``listener`` gets every `WorkstationEvent`, on the main thread."""
        return self._subscribers.subscribe(listener)

    def _emit(self, event: WorkstationEvent) -> None:
        self._subscribers.emit(event)

    def _notice(
        self, text: str, level: MessageLevel = MessageLevel.INFO, code: NoticeCode | None = None
    ) -> None:
        self._emit(WorkstationNotice(level, text, code))

    # -- signing in and out -------------------------------------------------------------------

    def client(self, server_url: str) -> ProvisioningClient:
        """One client (one connection pool) per server, shared by all threads."""
        url = normalise_server_url(server_url)
        with self._lock:
            if url not in self._clients:
                self._clients[url] = ProvisioningClient(url, ca_file=self._ca_file)
            return self._clients[url]

    def authenticate(
        self, server_url: str, login: str, password: str, *, remember: bool = False
    ) -> SignedIn:
        """Sign in and fetch the profile (blocking HTTP: call it off the UI thread).

        Raises :class:`ProvisioningError` with the agent-facing message on failure. On success
        the profile is cached without secrets, and the agent's password is remembered in the OS
        keyring only when asked (and forgotten otherwise)."""
        client = self.client(server_url)
        session = client.sign_in(login, password)
        try:
            fetched = client.fetch_profile(session, etag=None)
        except ProvisioningError:
            client.sign_out(session)
            raise
        assert fetched.profile is not None  # no If-None-Match: never a 304
        self.cache.store(session.owner, fetched.etag, fetched.profile)
        self._remember(client.server_url, login, password if remember else None)
        if session.delivery_token:
            self._store_delivery_token(session.owner, session.delivery_token)
        self._keep_offline_material(client.server_url, login, password, fetched.profile)
        return SignedIn(session=session, profile=fetched.profile, etag=fetched.etag)

    def choose_phone(self, signed_in: SignedIn, phone_id: int | None) -> SignedIn:
        """Hot desk: tell the server where this session's calls ring, and fetch the profile
        that says so (blocking HTTP: call it off the UI thread). Raises `ProvisioningError`
        (REJECTED, status 409) when another agent holds the phone."""
        client = self.client(signed_in.session.server_url)
        client.choose_phone(signed_in.session, phone_id)
        fetched = client.fetch_profile(signed_in.session, etag=None)
        assert fetched.profile is not None  # no If-None-Match: never a 304
        self.cache.store(signed_in.session.owner, fetched.etag, fetched.profile)
        return SignedIn(session=signed_in.session, profile=fetched.profile, etag=fetched.etag)

    def start_offline(self, server_url: str, login: str, password: str) -> SignedIn:
        """`check_offline`, then `start` (main thread)."""
        signed_in = self.check_offline(server_url, login, password)
        self.start(signed_in)
        return signed_in

    def check_offline(self, server_url: str, login: str, password: str) -> SignedIn:
        """What registering from the cached profile while the server is unreachable needs,
        only where the admin's profile allows offline start (any thread: keyring and a
        deliberately slow password hash, no SIP). The agent's password is checked against the
        verifier kept at the last sign-in here; the SIP password comes from the OS keyring,
        where it is kept only for this purpose. No live updates until the next online sign-in;
        call logs wait in the outbox as usual."""
        server_url = normalise_server_url(server_url)
        cached = self.cache_for(server_url, login)
        if cached is None:
            raise OfflineStartError(
                "The server cannot be reached and this workstation has no saved settings for "
                f"{login}. Sign in once while the server is reachable."
            )
        if not cached.profile.call_center.allow_offline_start:
            raise OfflineStartError(
                "The server cannot be reached, and your administrator does not allow starting "
                "the phone without it."
            )
        verifier = self._recall(server_url, f"{OFFLINE_VERIFIER_PREFIX}{login}")
        sip_password = self._recall(server_url, f"{OFFLINE_SIP_PREFIX}{login}")
        if verifier is None or sip_password is None:
            raise OfflineStartError(
                "The server cannot be reached and no offline credentials are kept here."
            )
        if not _verify(password, verifier):
            raise OfflineStartError("Wrong user name or password.")
        session = AgentSession(
            server_url=server_url,
            login=login,
            display_name=cached.profile.agent.display_name or login,
            group=cached.profile.agent.group or None,
            extension=cached.profile.agent.extension,
            pooled=False,
            expires_at=dt.datetime.now(dt.UTC),
            token="",
        )
        return SignedIn(
            session=session,
            profile=cached.profile.with_password(sip_password),
            etag=cached.etag,
            offline=True,
        )

    def cache_for(self, server_url: str, login: str) -> CachedProfile | None:
        """The last profile seen here for that agent (no secrets): what the sign-in window
        shows while the server is unreachable."""
        return self.cache.load(credential_key(server_url, login))

    def start(self, signed_in: SignedIn) -> None:
        """Apply the profile, register, and follow profile changes (main thread)."""
        self._stop_watcher()
        self.signed_in = self._phone_of = signed_in
        self.engine.apply_profile(signed_in.profile)
        if signed_in.profile.call_center.desk_phone is None:
            self.engine.sign_in()  # with a hot-desk phone chosen the calls ring there instead
        self.sender.wake()  # this agent's waiting logs can go now
        if signed_in.offline:
            self._notice(
                "Working offline: the server is unreachable; settings may be out of date",
                MessageLevel.WARNING,
                NoticeCode.WORKING_OFFLINE,
            )
            return
        watcher = ProfileWatcher(
            self.client(signed_in.session.server_url),
            signed_in.session,
            signed_in.etag,
            on_profile=lambda profile, etag: self._post(
                lambda: self._profile_changed(profile, etag)
            ),
            on_revoked=lambda why: self._post(lambda: self._revoked(why)),
        )
        self._watcher = watcher
        watcher.start()

    def sign_out(
        self, *, forget_password: bool = False, deliver_for: float = SIGN_OUT_DELIVERY_S
    ) -> int:
        """`stop_phone`, then `finish_sign_out` (blocking: at quit, or off the UI thread's
        hands in tests). Returns the agent's call logs still undelivered."""
        current = self.stop_phone()
        if current is None:
            return 0
        return self.finish_sign_out(
            current, forget_password=forget_password, deliver_for=deliver_for
        )

    def stop_phone(self) -> SignedIn | None:
        """Hang up and unregister (main thread); the agent is no longer signed in here.
        Returns who was, for `finish_sign_out`."""
        current = self.signed_in
        self._stop_watcher()
        self.engine.sign_out()
        self.signed_in = None
        return current

    def finish_sign_out(
        self, current: SignedIn, *, forget_password: bool = False, deliver_for: float = 0.0
    ) -> int:
        """Give the agent's undelivered call logs up to ``deliver_for`` seconds to reach the
        server, then end the server session (any thread: HTTP). Logs still waiting stay in
        the outbox and go with the next start on this workstation. Returns how many wait."""
        session = current.session
        waiting = self.deliver_now(session.owner, deliver_for)
        if forget_password:
            self._remember(session.server_url, session.login, None)
        if not current.offline:
            try:
                self.client(session.server_url).sign_out(session)
            except ProvisioningError as err:
                log.warning("sign-out at the server failed: %s", err.message)
        return waiting

    def deliver_now(self, owner: str, timeout: float) -> int:
        """Make ``owner``'s waiting logs due now and wait up to ``timeout`` seconds for the
        sender to deliver them (any thread). Returns how many are still waiting. Logs of calls
        that just ended are committed first."""
        self.log_writer.flush(CLOSE_WAIT_S)
        if self.outbox.pending_count(owner) == 0 or timeout <= 0:
            return self.outbox.pending_count(owner)
        deadline = time.monotonic() + timeout
        self.outbox.retry_now(owner)
        with self._delivery_round:
            self.sender.wake()
            while (left := deadline - time.monotonic()) > 0:
                if self.outbox.pending_count(owner) == 0:
                    break
                self._delivery_round.wait(left)
        return self.outbox.pending_count(owner)

    def close(self) -> None:
        """Quit: the call logs handed to the writer are committed before anything closes."""
        self.log_writer.close()
        self._closed = True
        self._stop_watcher()
        self.sender.stop()
        self.outbox.close()
        self.history.close()
        for client in self._clients.values():
            client.close()

    # -- call logs ------------------------------------------------------------------------------

    def pending_logs(self) -> int:
        return self.outbox.pending_count()

    def refused_logs(self) -> int:
        """Logs the server refused for good, kept aside for support (every agent's)."""
        return self.outbox.refused_count()

    def missed_calls(self) -> int:
        """Unseen missed calls of the agent signed in (the badge)."""
        current = self._phone_of
        return 0 if current is None else self.history.missed_count(current.session.owner)

    def _call_finished(self, record: CallRecord) -> None:
        phone_of = self._phone_of
        if phone_of is None:  # the engine never had a profile from us: keep it for support
            log.error("a call ended before any agent signed in; its log is kept undelivered")
            owner, min_seconds = UNASSIGNED_OWNER, 0
        else:
            owner = phone_of.session.owner
            min_seconds = phone_of.profile.agent.min_call_log_seconds
        logged = should_log(record, min_seconds)
        if logged:  # committed on the writer's thread; counted once it is durable
            self.log_writer.submit(
                owner, str(record.record_id), call_log_payload(record), record.recording_path
            )
        elif record.recording_path:
            Path(record.recording_path).unlink(missing_ok=True)
        entry = self.history.add(owner, record, logged=logged)
        self._emit(HistoryAdded(entry, self.history.missed_count(owner)))

    def _log_stored(self, _entry_id: str) -> None:
        """From the writer's thread: a call log is durable in the outbox. The sender may take
        it now, and the agent sees it counted as waiting."""
        self.sender.wake()
        self._post(self._tell_pending)

    def _tell_pending(self) -> None:
        if self._closed:
            return  # a log committed while quitting: no one is watching the count any more
        self._last_pending = self.outbox.pending_count()
        self._emit(PendingLogsChanged(self._last_pending, self._last_refused))

    def _pending_changed(self, pending: int) -> None:
        """From the sender thread after each round: wake sign-out's wait, tell the UI only
        about changes."""
        with self._delivery_round:
            self._delivery_round.notify_all()
        refused = self.outbox.refused_count()
        if pending != self._last_pending or refused != self._last_refused:
            self._last_pending, self._last_refused = pending, refused
            self._post(lambda: self._emit(PendingLogsChanged(pending, refused)))

    def _delivery_for(self, owner: str) -> Delivery | None:
        """Credentials to deliver ``owner``'s logs: the live session for the signed-in agent,
        otherwise the delivery token the keyring kept from that agent's last sign-in."""
        current = self.signed_in
        if current is None and self._phone_of is not None and self._phone_of.session.delivery_token:
            current = self._phone_of  # signed out: its delivery token outlives the session
        try:
            server_url, login = split_credential_key(owner)
        except ValueError:
            return None  # e.g. UNASSIGNED_OWNER: nobody can deliver it
        if current is not None and current.session.owner == owner and not current.offline:
            token = current.session.delivery_token or current.session.token
            return Delivery(self.client(current.session.server_url), token)
        kept = self._recall(server_url, f"{DELIVERY_PREFIX}{login}")
        return Delivery(self.client(server_url), kept) if kept else None

    # -- live updates ---------------------------------------------------------------------------

    def _profile_changed(self, profile: VoipProfile, etag: str) -> None:
        current = self.signed_in
        if current is None:
            return
        self.signed_in = self._phone_of = SignedIn(
            session=current.session, profile=profile, etag=etag
        )
        self.cache.store(current.session.owner, etag, profile)
        self.engine.apply_profile(profile)  # SIP changes wait for the last call to end
        self._emit(ProfileUpdated(profile))
        self._notice(
            "Your profile was updated by an administrator", code=NoticeCode.PROFILE_UPDATED
        )

    def _revoked(self, why: str) -> None:
        if self.signed_in is None:
            return
        self._stop_watcher()
        self.engine.sign_out()
        self.signed_in = None
        self._emit(SignedOutByServer(why))

    def _stop_watcher(self) -> None:
        if self._watcher is not None:
            self._watcher.stop(timeout=1.0)
            self._watcher = None

    # -- keyring --------------------------------------------------------------------------------

    def _remember(self, server_url: str, login: str, password: str | None) -> None:
        try:
            if password is None:
                self._credentials.forget(server_url, login)
            else:
                self._credentials.remember(server_url, login, password)
        except CredentialStoreError as err:
            self._notice(str(err), MessageLevel.WARNING)

    def _recall(self, server_url: str, key: str) -> str | None:
        try:
            return self._credentials.recall(server_url, key)
        except CredentialStoreError:
            return None

    def _keep_offline_material(
        self, server_url: str, login: str, password: str, profile: VoipProfile
    ) -> None:
        """Keep (or drop) what an offline start needs, following the admin's choice."""
        keys = (f"{OFFLINE_SIP_PREFIX}{login}", f"{OFFLINE_VERIFIER_PREFIX}{login}")
        try:
            sip_password = profile.sip.password
            if profile.call_center.allow_offline_start and sip_password is not None:
                self._credentials.remember(server_url, keys[0], sip_password.get_secret_value())
                self._credentials.remember(server_url, keys[1], _verifier(password))
            else:
                for key in keys:
                    self._credentials.forget(server_url, key)
        except CredentialStoreError as err:
            log.warning("offline start material not kept: %s", err)

    def _store_delivery_token(self, owner: str, token: str) -> None:
        server_url, login = split_credential_key(owner)
        try:
            self._credentials.remember(server_url, f"{DELIVERY_PREFIX}{login}", token)
        except CredentialStoreError as err:
            log.warning("delivery token not kept: %s", err)


def _verifier(password: str) -> str:
    """A salted scrypt hash of the agent's password (never the password itself)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _verify(password: str, verifier: str) -> bool:
    try:
        _scheme, salt_hex, digest_hex = verifier.split("$")
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
