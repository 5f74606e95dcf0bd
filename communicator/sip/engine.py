"""`SipEngine`: the facade the app and the UI use - one SIP account, its lines and calls.

The engine is the adapter between pjsua2 and the pure core:

* pjsua2 callbacks (`account.EngineAccount`, `call.EngineCall`) only append frozen records to
  ``self._records``; `SipEngine.process` (called by the endpoint after every poll) turns them
  into `RegistrationMachine` and `Lines` events and carries out the commands and effects those
  return, in order. Timers the core asks for (``next_deadline``, `StartNoAnswerTimer`) are kept
  here and fed back as ticks.
* Agent operations (`place_call`, `answer`, `hold` ...) go to `Lines`, which validates them
  (raising `InvalidOperationError` with a message for the agent) and returns effects.
* Audio: every call the agent hears is connected both ways to the local audio (see
  `local_audio`), conference members to each other, recorders to their call. The wanted set of
  bridge connections is recomputed after every change and applied as a difference.
* Transports: the account uses the profile's first transport; when a REGISTER over it fails
  below SIP (connection refused, TLS failure, no answer) the account moves to the next one at
  once (the agent gets a notice), and a new sign-in or a retry after every transport failed
  starts from the first again. The server (and outbound proxy) port is the profile's `port`
  for UDP and TCP and its TLS port for TLS (`tls_port`; when unset 5061 beside a 5060 `port`,
  else `port`: `SipAccount.server_port`).
* A far end that transfers the agent (REFER) is followed: pjsua2 dials the target with a Call
  of ours and the core gets it (`Lines.follow_transfer`) as an outgoing call on a free line
  or, with every line busy (a one-line agent), on the referring call's own line, which it
  takes over when that call ends (its far end hangs up once the transfer works). Only a REFER
  the core cannot follow (a transfer already in progress on that call, a call not answered,
  signed out) gets 603.
* Observers: `subscribe(callback)` receives `EngineEvent` values; `state` is the snapshot.
  `on_call_finished` receives each `CallRecord` in the step the call ends (the app writes it to
  the outbox there) - except a recorded call, whose record (and `CallEnded`) waits until the
  recorder is destroyed and its WAV file is complete (pjmedia writes the RIFF sizes when the
  recorder's bridge port goes, on the media clock, a few frames later; at most
  ``RECORDING_CLOSE_TIMEOUT``): whoever gets the record may upload the file at once.
* Recording formats: pjsua2's `AudioMediaRecorder` writes WAV with 16-bit PCM only (its
  encoding argument is unused in pjproject 2.15). For ``wav49`` and ``gsm`` the call is
  recorded to an intermediate PCM WAV, which a worker thread (no pjsua2 there) transcodes
  with libsndfile once the WAV is complete (`communicator.sip.recording`); the record waits
  for that too and names only the final file, the intermediate is removed. A failed
  conversion keeps the PCM WAV as the recording (the agent gets a notice, the log an error).

All methods must be called on the thread that created the endpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pjsua2 as pj

from communicator.core.call_effects import (
    Answer,
    CallEffect,
    CallFinished,
    Hangup,
    Hold,
    JoinConference,
    MakeCall,
    Notice,
    Outcome,
    Redirect,
    Reject,
    SendDtmf,
    SendRinging,
    SetMute,
    SplitConference,
    StartNoAnswerTimer,
    TransferAttended,
    TransferBlind,
    Unhold,
)
from communicator.core.call_events import (
    CallConfirmed,
    CallDisconnected,
    CallEvent,
    EarlyMedia,
    RemoteHoldChanged,
    RemoteRinging,
    TransferProgress,
)
from communicator.core.call_record import CallRecord
from communicator.core.calls import (
    OUTGOING_SETUP_STATES,
    Call,
    CallId,
    CallState,
    DtmfMethod,
    RemoteParty,
    TransferState,
)
from communicator.core.dialing import DialPlan
from communicator.core.errors import InvalidOperationError
from communicator.core.forwarding_decision import (
    NO_FORWARDING,
    ForwardingDecision,
    ForwardingRules,
)
from communicator.core.lines import Lines
from communicator.core.registration import (
    ClearLostConnection,
    IpAddressChanged,
    NetworkErrorKind,
    RegisterAttemptStarted,
    RegistrationCommand,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationMachine,
    RegistrationPolicy,
    RegistrationState,
    RegistrationStatus,
    RegistrationSucceeded,
    ScheduleRetry,
    SendRegister,
    SendUnregister,
    ShowLostConnection,
    SignIn,
    SignOut,
    TransportFailed,
    Unregistered,
)
from communicator.provisioning.schema import (
    CodecReport,
    EquipmentType,
    ForwardingSettings,
    RecordFormat,
    SrtpMode,
    Transport,
    VoipProfile,
)
from communicator.provisioning.schema import DtmfMethod as ProfileDtmf
from communicator.sip.account import EngineAccount
from communicator.sip.call import EngineCall
from communicator.sip.endpoint import SipEndpoint, TransportAddress
from communicator.sip.events import (
    CallbackFailed,
    CallEnded,
    CallMediaChanged,
    CallReplaced,
    CallStateChanged,
    DtmfHeard,
    DtmfReceived,
    EngineEvent,
    EngineState,
    ForwardingChanged,
    IncomingCall,
    InfoCompleted,
    LinesChanged,
    NoticePosted,
    Record,
    RegistrationChanged,
    RegStarted,
    RegState,
    StunResolved,
    TransferRequested,
    TransferStatus,
)
from communicator.sip.local_audio import LocalAudio, null_device_audio
from communicator.sip.polling import PollHint
from communicator.sip.recording import (
    TranscodeError,
    intermediate_path,
    needs_transcoding,
    transcode,
)
from communicator.sip.sipmsg import host_port

log = logging.getLogger(__name__)

Listener = Callable[[EngineEvent], None]

SRTP_MODES = {
    SrtpMode.DISABLED: pj.PJMEDIA_SRTP_DISABLED,
    SrtpMode.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpMode.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}
PJSIP_EBUSY = 171001
"""pjsip: "object is busy" - a REGISTER transaction is still pending."""
MAX_NOTICES = 20
CLOCK_LINGER = 1.5
"""Seconds the bridge clock keeps running after the last call/recorder (WAV headers)."""
AUDIT_SECONDS = 1.5
LINK_SETTLE_S = 0.1
"""A new bridge connection is applied at pjmedia's next 20 ms tick; five ticks allow for load."""
RECORDING_CLOSE_TIMEOUT = 3.0
"""Longest wait for a destroyed recorder's WAV header before its call record goes out."""
TRANSCODE_POLL = 0.05
"""Seconds between checks for finished recording conversions (only while one runs)."""
TRANSCODE_CLOSE_TIMEOUT = 60.0
"""Longest wait, on shutdown, for one recording conversion still running."""
LinkKey = tuple[str, str, int, int]
"""A bridge connection: (source name, sink name, source slot, sink slot)."""


@dataclasses.dataclass(frozen=True)
class BridgeLink:
    """A conference-bridge connection the engine made, and when: pjmedia applies it at its
    next clock tick, so the audit must not take a young link for a dropped one."""

    src: Any
    dst: Any
    made_at: float


NOT_REGISTERED = RegistrationStatus(
    state=RegistrationState.SIGNED_OUT,
    current=None,
    last_failure=None,
    next_attempt_at=None,
    lost_connection=False,
    message=None,
    detail=None,
)


def default_recordings_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Communicator")) / "recordings"


def _sip_uri(host: str, port: int, transport: str, *, lr: bool) -> str:
    host_part = f"[{host}]" if ":" in host and not host.startswith("[") else host
    params = "" if transport == "udp" else f";transport={transport}"
    return f"sip:{host_part}:{port}{params}{';lr' if lr else ''}"


def _resolve(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return {host}


def _network_kind(text: str, code: int) -> NetworkErrorKind:
    lower = text.lower()
    if "ssl" in lower or "tls" in lower or "certificate" in lower:
        return NetworkErrorKind.TLS
    if "resolve" in lower or "dns" in lower or "host not found" in lower:
        return NetworkErrorKind.DNS
    if code == 408 or "timed out" in lower or "timeout" in lower:
        return NetworkErrorKind.TIMEOUT
    if "network is unreachable" in lower:
        return NetworkErrorKind.NETWORK_DOWN
    return NetworkErrorKind.CONNECT


def describe_forwarding(settings: ForwardingSettings, now: dt.datetime) -> str | None:
    """A line for the agent about the forwarding in force (None: calls ring here)."""
    if settings.always.enabled and settings.always.target:
        return f"All calls are forwarded to {settings.always.target}"
    parts: list[str] = []
    schedule = settings.schedule
    if schedule.enabled and schedule.target:
        state = "now" if schedule.covers(now) else "outside the schedule: not now"
        days = ",".join(d.value for d in schedule.days)
        parts.append(
            f"calls {schedule.start}-{schedule.end} ({days}) go to {schedule.target} ({state})"
        )
    if settings.busy.enabled and settings.busy.target:
        parts.append(f"when all lines are busy calls go to {settings.busy.target}")
    if settings.no_answer.enabled and settings.no_answer.target:
        parts.append(
            f"unanswered calls go to {settings.no_answer.target} "
            f"after {settings.no_answer.after_seconds} s"
        )
    if not parts:
        return None
    text = "; ".join(parts)
    return "Forwarding: " + text


class SipEngine:
    """One SIP account with its lines, driven by the endpoint's pump."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        *,
        recordings_dir: Path | str | None = None,
        tls_ca_file: str | None = None,
        tls_verify_server: bool = True,
        on_call_finished: Callable[[CallRecord], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        local_now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        endpoint.check_thread()
        self._endpoint = endpoint
        self._recordings_dir = Path(recordings_dir) if recordings_dir else None
        self._tls_ca_file = tls_ca_file
        self._tls_verify = tls_verify_server
        self.on_call_finished = on_call_finished
        self._wall = wall_clock
        self._mono = monotonic
        self._local_now = local_now

        self._records: list[Record] = []
        self._listeners: list[Listener] = []
        self._profile: VoipProfile | None = None
        self._pending_profile: VoipProfile | None = None
        self._account: Any = None
        self._account_transport = "udp"
        self._transport_order: list[str] = []
        """The profile's transports in preference order; the account uses one of them."""
        self._transport_ids: dict[str, int] = {}
        self._machine = RegistrationMachine()
        self._lines: Lines | None = None
        self._calls: dict[CallId, Any] = {}
        """Core id -> EngineCall for the calls the core knows."""
        self._alive: list[Any] = []
        """Every EngineCall until its DISCONNECTED record (strong references)."""
        self._links: dict[LinkKey, BridgeLink] = {}
        self._recorders: dict[CallId, Any] = {}
        self._finishing: list[tuple[CallRecord, float, RecordFormat]] = []
        """Records of recorded calls waiting for their WAV file (record, deadline, format)."""
        self._recording_formats: dict[CallId, RecordFormat] = {}
        self._transcoding: list[tuple[CallRecord, RecordFormat, Future[Path]]] = []
        """Records waiting for their recording's conversion on the worker thread."""
        self._transcoder: ThreadPoolExecutor | None = None
        self._info_queue: dict[CallId, deque[str]] = {}
        self._info_in_flight: set[CallId] = set()
        self._no_answer_timers: dict[CallId, float] = {}
        self._remote_hold: dict[CallId, bool] = {}
        self._signed_in = False
        self._static_ip = False
        self._allowed_sources: set[tuple[str, int]] = set()
        self._forwarding_override: ForwardingSettings | None = None
        self._codec_report: CodecReport | None = None
        self._notices: deque[str] = deque(maxlen=MAX_NOTICES)
        self._published_registration: RegistrationStatus | None = None
        self._published_lines: tuple[Call | None, ...] | None = None
        self._published_forwarding: str | None = None
        self._forwarding_cache: tuple[tuple[int, dt.datetime], Any, str | None] | None = None
        self._processing = False
        self._audit_until = 0.0
        self._clock_until = 0.0
        self._media_until = 0.0
        self._reg_in_flight = False
        self._custom_local_audio = False
        self._clock_key = f"engine-{id(self):x}"
        self._closed = False
        self.register_attempts = 0
        """REGISTER attempts started (pjsua2 onRegStarted with renew): for tests and stats."""
        self.failures: list[str] = []
        """Callback and adapter failures (also logged)."""
        self._local_audio: LocalAudio = null_device_audio(endpoint.ep)
        endpoint.attach(self)

    # ================================================================ observation

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Receive every `EngineEvent`; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    @property
    def profile(self) -> VoipProfile | None:
        return self._profile

    @property
    def lines(self) -> Lines | None:
        return self._lines

    @property
    def registration(self) -> RegistrationStatus:
        return self._machine.status if not self._static_ip else NOT_REGISTERED

    @property
    def state(self) -> EngineState:
        return EngineState(
            signed_in=self._signed_in,
            static_ip=self._static_ip,
            registration=self.registration,
            lines=self._lines.by_line() if self._lines else (),
            forwarding=self._forwarding_text(),
            codec_report=self._codec_report,
            profile_pending=self._pending_profile is not None,
            notices=tuple(self._notices),
        )

    def call(self, call_id: CallId) -> Call:
        return self._require_lines().call(call_id)

    def local_address(self, transport: str = "udp") -> TransportAddress:
        """Where this client listens for SIP on ``transport`` (for static-IP PBX peers)."""
        tid = self._endpoint.transport_ids().get(transport)
        if tid is None:
            raise InvalidOperationError(f"No {transport.upper()} transport")
        return self._endpoint.transport_address(tid)

    @property
    def recordings_dir(self) -> Path:
        return self._recordings_dir or default_recordings_dir()

    # ================================================================ configuration

    def apply_profile(self, profile: VoipProfile) -> None:
        """Configure from a VoIP profile. The first time creates transports and the account;
        later, the account is re-created (and re-registered) only when SIP settings differ,
        and only when no call is active - otherwise after the last call ends."""
        self._endpoint.check_thread()
        self._check_open()
        old = self._profile
        if old is None:
            self._configure(profile)
        elif old.sip_settings_differ(profile) or self._lines_differ(old, profile):
            if self._alive or (self._lines is not None and self._lines.calls):
                self._pending_profile = profile
                self._notice("New phone settings will be applied when the current call ends")
            else:
                self._reconfigure(profile)
        else:
            self._profile = profile
            self._pending_profile = None
        self._publish()
        self._endpoint.wakeup()

    @staticmethod
    def _lines_differ(old: VoipProfile, new: VoipProfile) -> bool:
        return (
            old.agent.max_lines != new.agent.max_lines
            or old.agent.country_code != new.agent.country_code
        )

    def set_forwarding(self, settings: ForwardingSettings | None) -> None:
        """The agent's own forwarding rules (None: back to the profile's)."""
        self._forwarding_override = settings
        self._publish()

    def set_local_audio(self, source: Any, sink: Any) -> None:
        """Plug in the agent's microphone (source) and speaker (sink) AudioMedia."""
        self._local_audio = LocalAudio(source, sink)
        self._custom_local_audio = True
        self._update_clock()
        self._sync_audio()

    def reset_local_audio(self) -> None:
        """Back to the sound device ports (before the plugged-in media are destroyed).

        Every connection to the plugged-in media goes first, whatever else fails: they are
        about to be freed, and a kept link would later call into freed memory."""
        old, was_custom = self._local_audio, self._custom_local_audio
        self._local_audio = null_device_audio(self._endpoint.ep)
        self._custom_local_audio = False
        if was_custom:
            plugged = (old.source, old.sink)
            self._drop_links(
                [
                    key
                    for key, link in self._links.items()
                    if any(link.src is m or link.dst is m for m in plugged)
                ]
            )
        self._sync_audio()
        self._update_clock()

    def set_sip_trace(self, enabled: bool) -> None:
        self._endpoint.set_sip_trace(enabled)

    def _configure(self, profile: VoipProfile, previous: Any = None) -> None:
        ep = self._endpoint
        self._profile = profile
        self._pending_profile = None
        self._static_ip = profile.equipment.type is EquipmentType.STATIC_IP
        kinds: list[str] = (
            [profile.equipment.protocol.value]
            if self._static_ip
            else [t.value for t in profile.sip.transports]
        )
        tids = {
            kind: ep.transport_id(kind, ca_file=self._tls_ca_file, verify_server=self._tls_verify)
            for kind in kinds
        }
        nat = profile.nat
        ep.set_stun_servers([f"{nat.stun_server}:{nat.stun_port}"] if nat.stun_server else [])
        self._codec_report = ep.apply_codecs(profile)
        if not self._codec_report.complete:
            self._notice(f"Codecs: {self._codec_report.describe()}")
        reg = profile.registration
        self._machine = RegistrationMachine(
            RegistrationPolicy(
                refresh_interval=float(reg.refresh_seconds),
                expiry=float(reg.expiry_seconds),
                attempt_timeout=float(min(10, max(2, reg.expiry_seconds))),
            )
        )
        self._lines = Lines(
            profile.agent.max_lines,
            DialPlan(domain=profile.sip.effective_domain, country_code=profile.agent.country_code),
        )
        self._account_transport = kinds[0]
        self._transport_order = kinds
        self._transport_ids = tids
        self._allowed_sources = self._server_addresses(profile)
        ep.set_sip_peers(self._clock_key, self._allowed_sources)
        self._reg_in_flight = False
        self._account = self._create_account(profile, tids[kinds[0]], kinds[0])
        # The old account goes only now: the new one must not get its pjsua id while the old
        # Python object may still be alive (its destructor deletes by id).
        self._dispose_account(previous)
        if self._signed_in and not self._static_ip:
            self._registration_event(SignIn())

    def _server_addresses(self, profile: VoipProfile) -> set[tuple[str, int]]:
        sip = profile.sip
        transports = (
            [Transport(profile.equipment.protocol.value)] if self._static_ip else sip.transports
        )
        server_ports = {sip.server_port(t) for t in transports}
        out = {(ip, port) for ip in _resolve(sip.server) for port in server_ports}
        if sip.outbound_proxy:
            proxy_ports = {sip.outbound_proxy_port_for(t) for t in transports}
            out |= {(ip, port) for ip in _resolve(sip.outbound_proxy) for port in proxy_ports}
        return out

    def _create_account(self, profile: VoipProfile, tid: int, kind: str) -> Any:
        sip = profile.sip
        domain = sip.effective_domain
        user = sip.username or profile.agent.extension
        acfg = pj.AccountConfig()
        if self._static_ip:
            host = profile.equipment.workstation_ip or domain
            acfg.idUri = f"sip:{user}@{host}"
        else:
            acfg.idUri = f"sip:{user}@{domain}"
        display = sip.caller_id or profile.agent.display_name
        if display:
            acfg.idUri = f'"{display}" <{acfg.idUri}>'
        transport = Transport(kind)
        server_port = sip.server_port(transport)
        proxies: list[str] = []
        if sip.outbound_proxy:
            proxy_port = sip.outbound_proxy_port_for(transport)
            proxies.append(_sip_uri(sip.outbound_proxy, proxy_port, kind, lr=True))
        elif self._static_ip or domain != sip.server:
            proxies.append(_sip_uri(sip.server, server_port, kind, lr=True))
        for proxy in proxies:
            acfg.sipConfig.proxies.append(proxy)
        acfg.sipConfig.transportId = tid
        if self._static_ip:
            acfg.regConfig.registrarUri = ""
        elif proxies:
            acfg.regConfig.registrarUri = f"sip:{domain}"
        else:
            acfg.regConfig.registrarUri = _sip_uri(sip.server, server_port, kind, lr=False)
        reg = profile.registration
        acfg.regConfig.registerOnAdd = False
        acfg.regConfig.timeoutSec = reg.expiry_seconds
        acfg.regConfig.retryIntervalSec = 0  # the core drives retries
        acfg.regConfig.firstRetryIntervalSec = 0
        acfg.regConfig.randomRetryIntervalSec = 0
        # pjsua2 refreshes on its own too; make its timer fall after the core's refresh, so
        # the core's REGISTER goes first and pjsua2's timer is re-armed by its 200.
        acfg.regConfig.delayBeforeRefreshSec = max(1, reg.expiry_seconds - reg.refresh_seconds - 2)
        acfg.regConfig.dropCallsOnFail = False
        password = sip.password.get_secret_value() if sip.password is not None else ""
        if not self._static_ip or password:
            cred = pj.AuthCredInfo("digest", "*", sip.auth_name or user, 0, password)
            acfg.sipConfig.authCreds.append(cred)
        media = profile.media
        acfg.mediaConfig.srtpUse = SRTP_MODES[media.srtp]
        acfg.mediaConfig.srtpSecureSignaling = 0
        if self._endpoint.options.bound_address:
            acfg.mediaConfig.transportConfig.boundAddress = self._endpoint.options.bound_address
        nat = profile.nat
        acfg.natConfig.udpKaIntervalSec = nat.keepalive_seconds
        if not nat.stun_server:
            acfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
            acfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        acfg.natConfig.viaRewriteUse = 1 if nat.rport else 0
        acfg.natConfig.contactRewriteUse = 1 if nat.rport else 0
        account = EngineAccount(self._records)
        account.transfer_gate = self._can_follow_transfer
        account.create(acfg, True)
        return account

    def _reconfigure(self, profile: VoipProfile) -> None:
        """Re-create the account for new SIP settings (no call is active)."""
        log.info("applying new SIP settings: re-creating the account")
        old = self._account
        self._account = None
        self._unregister_now(old)
        self._configure(profile, previous=old)

    def _drop_account(self, *, unregister: bool) -> None:
        account = self._account
        self._account = None
        if unregister:
            self._unregister_now(account)
        self._dispose_account(account)

    def _unregister_now(self, account: Any) -> None:
        """Unregister synchronously (bounded), so no un-REGISTER races a new REGISTER.

        Waits for the un-REGISTER's answer, not just for pjsua to mark the account inactive
        (it does so when sending): shutting the account down while the transaction is pending
        made pjsua try a second un-REGISTER and log "Object is busy (PJSIP_EBUSY)"."""
        if account is not None and _safe_active(account):
            answers = account.reg_answers
            with contextlib.suppress(pj.Error):
                account.setRegistration(False)
                self._endpoint.pump_for(2.0, lambda: account.reg_answers > answers)

    def _dispose_account(self, account: Any) -> None:
        if account is None:
            return
        if account.reg_requests > account.reg_answers and not self._processing:
            # A (un-)REGISTER is still pending (e.g. sign-out followed at once by another
            # agent's sign-in): let it finish, or pjsua's own un-REGISTER in the shutdown
            # below finds the registration busy (PJSIP_EBUSY).
            self._endpoint.pump_for(2.0, lambda: account.reg_answers >= account.reg_requests)
        with contextlib.suppress(pj.Error):
            account.shutdown()
        # Destroy the old Account now, before a new one can reuse its pjsua id: records still
        # holding it would let its destructor run later, against the new account.
        self._records[:] = [
            r
            for r in self._records
            if not (isinstance(r, RegStarted | RegState) and r.account is account)
        ]
        account = None
        gc.collect()

    # ================================================================ registration

    def sign_in(self) -> None:
        """Start registering (or, for a static-IP account, start taking calls)."""
        self._endpoint.check_thread()
        self._check_open()
        if self._profile is None:
            raise InvalidOperationError("No phone settings yet: cannot sign in")
        self._signed_in = True
        if not self._static_ip and self._machine.state in (
            RegistrationState.SIGNED_OUT,
            RegistrationState.FAILED,
        ):
            self._registration_event(SignIn())
        self._publish()
        self._endpoint.wakeup()

    def sign_out(self) -> None:
        """Hang up every call and unregister."""
        self._endpoint.check_thread()
        if not self._signed_in:
            return
        self.hangup_all()
        self._signed_in = False
        if not self._static_ip and self._machine.state is not RegistrationState.SIGNED_OUT:
            with contextlib.suppress(InvalidOperationError):
                self._registration_event(SignOut())
        self._publish()
        self._endpoint.wakeup()

    def handle_ip_change(self) -> None:
        """The workstation's IP address changed: restart transports and re-register."""
        self._endpoint.check_thread()
        self._endpoint.handle_ip_change()
        if self._signed_in and not self._static_ip:
            self._registration_event(IpAddressChanged())
        self._publish()
        self._endpoint.wakeup()

    def _registration_event(self, event: RegistrationEvent) -> None:
        commands = self._machine.handle(event, self._mono())
        self._run_registration(commands)

    def _run_registration(self, commands: Iterable[RegistrationCommand]) -> None:
        for command in commands:
            if isinstance(command, SendRegister):
                self._send_register()
            elif isinstance(command, SendUnregister):
                self._send_unregister()
            elif isinstance(command, ShowLostConnection):
                log.warning("%s: %s", command.message, command.detail)
            elif isinstance(command, ClearLostConnection):
                log.info("registration restored")
            elif isinstance(command, ScheduleRetry):
                log.info(
                    "next REGISTER attempt %d in %.1f s", command.attempt, command.at - self._mono()
                )

    def _send_register(self) -> None:
        if self._account is None or self._reg_in_flight:
            return  # a pending REGISTER will answer for this attempt
        if (
            self._transport_order
            and self._account_transport != self._transport_order[0]
            and self._machine.state is RegistrationState.REGISTERING
        ):
            # A new sign-in or a retry after every transport failed (not a refresh of a
            # working fallback registration): the preferred transport first again.
            self._switch_transport(self._transport_order[0])
        self._register_now()

    def _register_now(self) -> None:
        account = self._account
        if account is None:
            return
        try:
            account.reg_requests += 1
            account.setRegistration(True)
        except pj.Error as error:
            account.reg_requests -= 1
            if int(error.status) == PJSIP_EBUSY:
                return  # the pending REGISTER will answer for this attempt
            text = str(error.info())
            self._transport_failed(TransportFailed(_network_kind(text, 0), text))
        else:
            self._reg_in_flight = True  # until its onRegState: no second REGISTER meanwhile

    # ---------------------------------------------------------------- transport fallback

    def _transport_failed(self, failure: TransportFailed | RegistrationFailed) -> None:
        """REGISTER failed below SIP (no answer, connection refused, TLS): try the profile's
        next transport at once; only when the last one fails too does the core hear of it
        (and its retry starts again with the preferred transport)."""
        order = self._transport_order
        current = self._account_transport
        if (
            self._static_ip
            or self._profile is None
            or current not in order
            or order.index(current) + 1 >= len(order)
        ):
            self._registration_event(failure)
            return
        following = order[order.index(current) + 1]
        detail = failure.detail if isinstance(failure, TransportFailed) else failure.reason
        log.warning("REGISTER over %s failed (%s): trying %s", current, detail, following)
        self._notice(
            f"Could not reach the SIP server over {current.upper()} ({detail}); "
            f"trying {following.upper()}"
        )
        self._switch_transport(following)
        self._register_now()

    def _switch_transport(self, kind: str) -> None:
        profile = self._profile
        assert profile is not None
        old = self._account
        self._reg_in_flight = False
        self._account_transport = kind
        # The new account first: it must not get the old one's pjsua id while the old Python
        # object (still referenced by the record being handled) can run its destructor.
        self._account = self._create_account(profile, self._transport_ids[kind], kind)
        self._dispose_account(old)

    def _send_unregister(self) -> None:
        account = self._account
        if account is None:
            self._registration_event(Unregistered())
            return
        try:
            account.reg_requests += 1
            account.setRegistration(False)
        except pj.Error:
            account.reg_requests -= 1
            self._registration_event(Unregistered())

    def _on_reg_started(self, record: RegStarted) -> None:
        if record.account is not self._account or not record.renew:
            return
        self._reg_in_flight = True
        self.register_attempts += 1
        self._registration_event(RegisterAttemptStarted())

    def _on_reg_state(self, record: RegState) -> None:
        if record.account is not self._account:
            return
        self._reg_in_flight = False
        code = record.code
        if 200 <= code < 300:
            if record.expiration > 0:
                server = self._profile.sip.server if self._profile else record.server
                self._registration_event(
                    RegistrationSucceeded(
                        expiry=float(record.expiration),
                        contact_host=record.via_host,
                        contact_port=record.via_port,
                        transport=self._account_transport.upper(),
                        server_host=server,
                    )
                )
            else:
                self._registration_event(Unregistered())
            return
        text = self._endpoint.str_error(record.status) if record.status else record.reason
        local = not record.server  # no response: pjsip made the status up (408, 503 ...)
        if local and code in (408, 503) and record.status == 0 and "timed out" not in text.lower():
            # "Connection refused", TLS handshake failures...: the transport, not the server
            self._transport_failed(TransportFailed(_network_kind(text, code), text))
        elif code in (401, 403, 407) or (
            code >= 300 and record.status == 0 and not (local and code == 408)
        ):
            self._registration_event(RegistrationFailed(code, record.reason))
        elif code == 408 and "timed out" in text.lower():
            self._transport_failed(RegistrationFailed(408, record.reason))
        else:
            self._transport_failed(TransportFailed(_network_kind(text, code), text))

    # ================================================================ calls

    def place_call(self, dial: str, *, line: int | None = None) -> CallId:
        """Dial a number, extension or SIP URI (normalised with the profile's dial plan)."""
        lines = self._require_signed_in()
        outcome = self._op(lambda: lines.place_call(dial, self._wall(), line=line))
        assert outcome.call_id is not None
        return outcome.call_id

    def answer(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.answer(call_id, self._wall()))

    def reject(self, call_id: CallId, sip_code: int = 486) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.reject(call_id, self._wall(), sip_code=sip_code))

    def hangup(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.hangup(call_id, self._wall()))

    def hangup_all(self) -> None:
        lines = self._lines
        if lines is None:
            return
        for call_id in list(lines.calls):
            with contextlib.suppress(InvalidOperationError):
                self.hangup(call_id)

    def hold(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.hold(call_id))

    def resume(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.resume(call_id))

    def switch_line(self, line: int) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.switch_line(line, self._wall()))

    def swap(self) -> None:
        lines = self._require_lines()
        self._op(lines.swap)

    def set_mute(self, call_id: CallId, muted: bool) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.set_mute(call_id, muted))

    def send_dtmf(self, call_id: CallId, digits: str) -> None:
        """DTMF by the profile's method: RFC 4733, or SIP INFO one digit at a time."""
        lines = self._require_lines()
        method = (
            DtmfMethod.SIP_INFO
            if self._profile is not None and self._profile.media.dtmf is ProfileDtmf.SIP_INFO
            else DtmfMethod.RFC4733
        )
        self._op(lambda: lines.send_dtmf(call_id, digits, method))

    def blind_transfer(self, call_id: CallId, dial: str) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.blind_transfer(call_id, dial, self._wall()))

    def start_consult(self, call_id: CallId, dial: str) -> CallId:
        """Attended transfer, step 1: hold the call, dial the target; returns the consultation."""
        lines = self._require_signed_in()
        outcome = self._op(lambda: lines.start_consult(call_id, dial, self._wall()))
        assert outcome.call_id is not None
        return outcome.call_id

    def complete_transfer(self, call_id: CallId) -> None:
        """Attended transfer, step 2: REFER with Replaces (either call may be named)."""
        lines = self._require_lines()
        self._op(lambda: lines.complete_transfer(call_id, self._wall()))

    def cancel_consult(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.cancel_consult(call_id, self._wall()))

    def conference(self, call_id: CallId, other_call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.conference(call_id, other_call_id))

    def split_conference(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.split_conference(call_id))

    # ---------------------------------------------------------------- helpers

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidOperationError("The phone has been shut down")

    def _require_lines(self) -> Lines:
        self._endpoint.check_thread()
        self._check_open()
        if self._lines is None:
            raise InvalidOperationError("No phone settings yet")
        return self._lines

    def _require_signed_in(self) -> Lines:
        lines = self._require_lines()
        if not self._signed_in:
            raise InvalidOperationError("Sign in to make calls")
        return lines

    def _op(self, operation: Callable[[], Outcome]) -> Outcome:
        outcome = operation()
        self._run_effects(outcome.effects)
        self._after_change()
        self._endpoint.wakeup()
        return outcome

    def _update_clock(self) -> None:
        """Keep the bridge clock running while calls or recorders need it.

        Plugged-in local audio (the sound-card bridge) does not keep it running: between
        calls nothing on the conference bridge needs mixing, and the bridge's tones and level
        meters run on the sound card's own callbacks."""
        now = self._mono()
        if self._alive or self._recorders or self._finishing:
            self._clock_until = now + CLOCK_LINGER
        if self._alive:
            self._media_until = now + CLOCK_LINGER
        self._endpoint.set_clock_demand(self._clock_key, now < self._clock_until)
        self._endpoint.set_media_demand(self._clock_key, now < self._media_until)

    def _after_change(self) -> None:
        self._update_clock()
        self._sync_audio()
        self._apply_pending_profile()
        self._publish()

    def _feed(self, event: CallEvent) -> None:
        if self._lines is None:
            return
        outcome = self._lines.handle(event, self._wall())
        self._run_effects(outcome.effects)

    # ================================================================ effects

    def _run_effects(self, effects: Iterable[CallEffect]) -> None:
        queue: deque[CallEffect] = deque(effects)
        while queue:
            effect = queue.popleft()
            try:
                more = self._run_effect(effect)
            except pj.Error as error:
                self._failure(f"{type(effect).__name__}: {error.info()}")
                more = self._effect_failed(effect, str(error.reason))
            queue.extend(more)

    def _effect_failed(self, effect: CallEffect, reason: str) -> tuple[CallEffect, ...]:
        """A SIP action failed at once: end the call in the core if it was being set up."""
        if isinstance(effect, MakeCall) and self._lines is not None:
            outcome = self._lines.handle(
                CallDisconnected(effect.call_id, 500, reason), self._wall()
            )
            return outcome.effects
        if isinstance(effect, TransferBlind | TransferAttended) and self._lines is not None:
            outcome = self._lines.handle(
                TransferProgress(effect.call_id, 500, reason, final=True), self._wall()
            )
            return outcome.effects
        return ()

    def _run_effect(self, effect: CallEffect) -> tuple[CallEffect, ...]:
        if isinstance(effect, MakeCall):
            return self._make_call(effect)
        if isinstance(effect, CallFinished):
            self._call_finished(effect.record)
            return ()
        if isinstance(effect, Notice):
            self._notice(effect.text)
            return ()
        if isinstance(effect, StartNoAnswerTimer):
            self._no_answer_timers[effect.call_id] = effect.at
            return ()
        if isinstance(effect, SetMute | JoinConference | SplitConference):
            return ()  # audio is synchronised after every change
        call = self._calls.get(effect.call_id)
        if call is None:
            return ()
        if isinstance(effect, SendRinging):
            call.answer(_op_param(180))
        elif isinstance(effect, Answer):
            call.answer(_op_param(200))
        elif isinstance(effect, Reject):
            call.hangup(_op_param(effect.sip_code))
        elif isinstance(effect, Redirect):
            prm = _op_param(effect.sip_code)
            header = pj.SipHeader()
            header.hName = "Contact"
            header.hValue = f"<{effect.target}>"
            headers = pj.SipHeaderVector()
            headers.append(header)
            prm.txOption.headers = headers
            call.answer(prm)
        elif isinstance(effect, Hangup):
            with contextlib.suppress(pj.Error):  # already gone
                call.hangup(pj.CallOpParam(True))
        elif isinstance(effect, Hold):
            self._drop_links_of(effect.call_id)
            call.setHold(pj.CallOpParam(True))
        elif isinstance(effect, Unhold):
            prm = pj.CallOpParam(True)
            prm.opt.flag |= pj.PJSUA_CALL_UNHOLD
            call.reinvite(prm)
        elif isinstance(effect, SendDtmf):
            self._send_dtmf(effect, call)
        elif isinstance(effect, TransferBlind):
            call.xfer(effect.target, pj.CallOpParam(True))
        elif isinstance(effect, TransferAttended):
            other = self._calls.get(effect.replaces_call_id)
            if other is None:
                raise InvalidOperationError("The consultation call has ended")
            call.xferReplaces(other, pj.CallOpParam(True))
        return ()

    def _make_call(self, effect: MakeCall) -> tuple[CallEffect, ...]:
        account = self._account
        if account is None:
            raise InvalidOperationError("No SIP account")
        call = EngineCall(account, self._records)
        call.core_id = effect.call_id
        prm = pj.CallOpParam(True)
        if self._profile is not None and not self._profile.sip.use_sdp:
            prm.opt.flag |= pj.PJSUA_CALL_NO_SDP_OFFER
        self._calls[effect.call_id] = call
        try:
            call.makeCall(effect.uri, prm)
        except pj.Error:
            self._calls.pop(effect.call_id, None)
            raise
        self._alive.append(call)
        return ()

    def _send_dtmf(self, effect: SendDtmf, call: Any) -> None:
        if effect.method is DtmfMethod.RFC4733:
            call.dialDtmf(effect.digits)
            return
        # SIP INFO one digit at a time: a multi-worker proxy may reorder concurrent INFOs.
        self._info_queue.setdefault(effect.call_id, deque()).extend(effect.digits)
        if effect.call_id not in self._info_in_flight:
            self._send_next_info(effect.call_id)

    def _send_next_info(self, call_id: CallId) -> None:
        queue = self._info_queue.get(call_id)
        call = self._calls.get(call_id)
        if not queue or call is None:
            self._info_in_flight.discard(call_id)
            self._info_queue.pop(call_id, None)
            return
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        prm.digits = queue.popleft()
        prm.duration = 160
        self._info_in_flight.add(call_id)
        call.info_pending += 1
        try:
            call.sendDtmf(prm)
        except pj.Error as error:
            self._failure(f"SIP INFO DTMF: {error.info()}")
            call.info_pending = max(0, call.info_pending - 1)
            self._info_in_flight.discard(call_id)
            self._info_queue.pop(call_id, None)

    def _call_finished(self, record: CallRecord) -> None:
        call_id = record.call_id
        self._calls.pop(call_id, None)
        self._no_answer_timers.pop(call_id, None)
        self._info_queue.pop(call_id, None)
        self._info_in_flight.discard(call_id)
        self._remote_hold.pop(call_id, None)
        self._drop_links_of(call_id)
        recorder = self._recorders.pop(call_id, None)
        if recorder is not None and record.recording_path:
            # Destroy the recorder now (its bridge port goes on the next clock tick, which
            # writes the WAV header); the record waits for the complete file.
            del recorder
            fmt = self._recording_formats.pop(call_id, RecordFormat.WAV)
            self._finishing.append((record, self._mono() + RECORDING_CLOSE_TIMEOUT, fmt))
            return
        self._recording_formats.pop(call_id, None)
        self._publish_finished(record)

    def _publish_finished(self, record: CallRecord) -> None:
        self._emit(CallEnded(record))
        if self.on_call_finished is not None:
            try:
                self.on_call_finished(record)
            except Exception:
                log.exception("on_call_finished failed")

    def _flush_finished(self, *, force: bool = False) -> None:
        """Publish the records of recorded calls whose WAV files are complete (or hand them
        to the worker thread for conversion to the profile's format first)."""
        if not self._finishing:
            return
        now = self._mono()
        waiting: list[tuple[CallRecord, float, RecordFormat]] = []
        for record, deadline, fmt in self._finishing:
            path = Path(record.recording_path or "")
            complete = wav_complete(path)
            if complete and needs_transcoding(fmt):
                self._start_transcoding(record, path, fmt)
            elif complete or force or now >= deadline:
                if not complete:
                    self._failure(f"recording {path} was not closed in time")
                self._publish_finished(record)
            else:
                waiting.append((record, deadline, fmt))
        self._finishing = waiting

    def _start_transcoding(self, record: CallRecord, pcm: Path, fmt: RecordFormat) -> None:
        if self._transcoder is None:
            self._transcoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording")
        future = self._transcoder.submit(transcode, pcm, fmt)
        self._transcoding.append((record, fmt, future))

    def _collect_transcoded(self, *, wait: bool = False) -> None:
        """Publish the records whose recordings are converted (``wait``: all of them)."""
        if not self._transcoding:
            return
        running: list[tuple[CallRecord, RecordFormat, Future[Path]]] = []
        for record, fmt, future in self._transcoding:
            if not wait and not future.done():
                running.append((record, fmt, future))
                continue
            path: Path | None
            try:
                path = future.result(timeout=TRANSCODE_CLOSE_TIMEOUT if wait else 0)
            except TranscodeError as error:
                path = error.kept
                log.error("recording %s: conversion to %s failed: %s", path, fmt.value, error)
                self._notice(
                    f"The recording of the call with {record.remote.label} could not be "
                    f"converted to {fmt.value} ({error}); it is kept as WAV (PCM)"
                )
            except Exception as error:  # a timeout on shutdown, or a bug
                path = None
                self._failure(f"recording conversion to {fmt.value}: {error!r}")
            final = (
                record if path is None else dataclasses.replace(record, recording_path=str(path))
            )
            self._publish_finished(final)
        self._transcoding = running

    def _notice(self, text: str) -> None:
        self._notices.append(text)
        self._emit(NoticePosted(text))

    def _failure(self, text: str) -> None:
        self.failures.append(text)
        log.error("SIP engine: %s", text)

    # ================================================================ records

    def process(self) -> PollHint:
        """Called by the endpoint after each poll: act on the records, run due timers."""
        if self._closed:
            return PollHint()
        if self._processing:  # a nested pump (account re-creation); the outer loop drains
            return PollHint(hot=True, live=bool(self._alive))
        self._processing = True
        worked = False
        try:
            while self._records:
                self._handle_next_record()
                worked = True
            worked = self._run_timers() or worked
            if worked:
                self._after_change()
            if (self._clock_until and self._mono() >= self._clock_until) or (
                self._media_until and self._mono() >= self._media_until
            ):
                self._update_clock()
                if self._mono() >= self._media_until:
                    self._media_until = 0.0
            self._flush_finished()
            self._collect_transcoded()
            if self._audit_until and self._mono() < self._audit_until:
                self._audit_links()
            else:
                self._audit_until = 0.0
        finally:
            self._processing = False
        return self._hint()

    def _handle_next_record(self) -> None:
        record = self._records.pop(0)
        try:
            self._handle_record(record)
        except InvalidOperationError as error:
            self._notice(str(error))
        except pj.Error as error:
            self._failure(f"{type(record).__name__}: {error.info()}")
        except Exception as error:
            log.exception("handling %s failed", type(record).__name__)
            self._failure(f"{type(record).__name__}: {error!r}")

    def _hint(self) -> PollHint:
        machine_state = self._machine.state
        registering = not self._static_ip and machine_state in (
            RegistrationState.REGISTERING,
            RegistrationState.REFRESHING,
            RegistrationState.UNREGISTERING,
        )
        setting_up = False
        if self._lines is not None:
            for call in self._lines.calls.values():
                if (
                    call.state in OUTGOING_SETUP_STATES
                    or call.state is CallState.RINGING_IN
                    or call.transfer in (TransferState.BLIND_PENDING, TransferState.COMPLETING)
                ):
                    setting_up = True
                    break
        hot = registering or setting_up or bool(self._info_in_flight) or bool(self._records)
        deadlines: list[float] = []
        machine_deadline = self._machine.next_deadline
        if machine_deadline is not None:
            deadlines.append(machine_deadline - self._mono())
        if self._no_answer_timers:
            deadlines.append(min(self._no_answer_timers.values()) - self._wall())
        if self._endpoint.sound_clock_running and self._clock_until:
            deadlines.append(self._clock_until - self._mono())
        if self._media_until:
            deadlines.append(self._media_until - self._mono())
        if self._finishing:
            deadlines.append(0.02)  # a WAV header is due within a few media frames
        if self._transcoding:
            deadlines.append(TRANSCODE_POLL)
        live = bool(self._alive)
        return PollHint(
            hot=hot,
            live=live,
            next_deadline_in=min(deadlines) if deadlines else None,
            rtp=live and not self._endpoint.options.media_thread,
        )

    def _run_timers(self) -> bool:
        worked = False
        deadline = self._machine.next_deadline
        if deadline is not None and self._mono() >= deadline:
            self._registration_event_tick()
            worked = True
        if self._no_answer_timers and self._lines is not None:
            now = self._wall()
            for call_id, at in list(self._no_answer_timers.items()):
                if now >= at:
                    del self._no_answer_timers[call_id]
                    self._run_effects(self._lines.no_answer_timeout(call_id, now).effects)
                    worked = True
        return worked

    def _registration_event_tick(self) -> None:
        self._run_registration(self._machine.tick(self._mono()))

    def _handle_record(self, record: Record) -> None:
        if isinstance(record, RegStarted):
            self._on_reg_started(record)
        elif isinstance(record, RegState):
            self._on_reg_state(record)
        elif isinstance(record, IncomingCall):
            self._on_incoming(record)
        elif isinstance(record, CallStateChanged):
            self._on_call_state(record)
        elif isinstance(record, CallMediaChanged):
            self._on_media(record)
        elif isinstance(record, TransferStatus):
            if record.call.core_id is not None:
                self._feed(
                    TransferProgress(record.call.core_id, record.code, record.reason, record.final)
                )
        elif isinstance(record, TransferRequested):
            self._on_transfer_requested(record)
        elif isinstance(record, CallReplaced):
            self._on_replaced(record)
        elif isinstance(record, InfoCompleted):
            record.call.info_pending = max(0, record.call.info_pending - 1)
            call_id = record.call.core_id
            if call_id is not None:
                self._info_in_flight.discard(call_id)
                self._send_next_info(call_id)
        elif isinstance(record, DtmfReceived):
            call_id = record.call.core_id
            line = None
            if call_id is not None and self._lines is not None and call_id in self._lines.calls:
                line = self._lines.calls[call_id].line
            self._emit(DtmfHeard(line, record.digit))
        elif isinstance(record, CallbackFailed):
            self._failure(f"{record.where}: {record.error}")
        elif isinstance(record, StunResolved):
            log.info("STUN %s: status %d", record.server, record.status)

    def _on_incoming(self, record: IncomingCall) -> None:
        call = record.call
        self._alive.append(call)
        lines = self._lines
        if lines is None or not self._signed_in:
            call.hangup(_op_param(480))
            return
        if self._static_ip and not self._from_server(record.source):
            log.warning("refused a call from %s: not the SIP server", record.source)
            call.hangup(_op_param(403))
            return
        remote = RemoteParty.from_uri(record.remote_uri, record.display_name)
        outcome = lines.incoming_call(remote, self._wall(), self._forwarding_rules())
        assert outcome.call_id is not None
        call.core_id = outcome.call_id
        self._calls[outcome.call_id] = call
        self._run_effects(outcome.effects)

    def _from_server(self, source: str) -> bool:
        host, port = host_port(source)
        return (host, port or 5060) in self._allowed_sources

    def _forwarding_rules(self) -> ForwardingRules:
        settings = self._forwarding_settings()
        when = self._local_now()

        def rules(busy: bool) -> ForwardingDecision:
            if settings is None:
                return NO_FORWARDING
            decision = settings.decide(when, busy=busy)
            if decision is None:
                return NO_FORWARDING
            return ForwardingDecision.from_rule(
                decision.kind.value, decision.target, decision.delay_seconds
            )

        return rules

    def _forwarding_settings(self) -> ForwardingSettings | None:
        if self._forwarding_override is not None:
            return self._forwarding_override
        return self._profile.forwarding if self._profile is not None else None

    def _forwarding_text(self) -> str | None:
        settings = self._forwarding_settings()
        if settings is None:
            return None
        # Computed on every publish; it only changes with the settings or the minute.
        now = self._local_now()
        key = (id(settings), now.replace(second=0, microsecond=0))
        cached = self._forwarding_cache
        if cached is not None and cached[0] == key and cached[1] is settings:
            return cached[2]
        text = describe_forwarding(settings, now)
        self._forwarding_cache = (key, settings, text)
        return text

    def _on_call_state(self, record: CallStateChanged) -> None:
        call = record.call
        call_id: CallId | None = call.core_id
        if record.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            if call_id is not None:
                self._feed(CallDisconnected(call_id, record.code or None, record.reason))
                if self._calls.get(call_id) is call:
                    self._calls.pop(call_id, None)
                    self._drop_links_of(call_id)
            self._alive = [c for c in self._alive if c is not call]
            return
        if call_id is None:
            return
        if record.state == pj.PJSIP_INV_STATE_EARLY:
            if record.code == 183:
                self._feed(EarlyMedia(call_id))
            else:
                self._feed(RemoteRinging(call_id))
        elif record.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self._feed(CallConfirmed(call_id))

    def _on_media(self, record: CallMediaChanged) -> None:
        call_id: CallId | None = record.call.core_id
        self._audit_until = self._mono() + AUDIT_SECONDS
        if call_id is None:
            return
        statuses = record.statuses
        if pj.PJSUA_CALL_MEDIA_REMOTE_HOLD in statuses:
            held = True
        elif pj.PJSUA_CALL_MEDIA_ACTIVE in statuses:
            held = False
        else:
            return
        if self._remote_hold.get(call_id, False) != held:
            self._remote_hold[call_id] = held
            self._feed(RemoteHoldChanged(call_id, held))

    def _can_follow_transfer(self, call: Any) -> bool:
        """Asked from onCallTransferRequest (which must answer at once): whether the core can
        take the call the REFER asks for - on a free line or on the referring call's own."""
        call_id: CallId | None = getattr(call, "core_id", None)
        return (
            self._signed_in
            and self._lines is not None
            and call_id is not None
            and self._lines.transfer_line(call_id) is not None
        )

    def _on_transfer_requested(self, record: TransferRequested) -> None:
        """A far end transferred the agent (REFER): pjsua2 is already dialling the target
        with ``record.new_call``; the core gets it as an outgoing call (the transferring call
        is left to its far end, which hangs up once the transfer works)."""
        target = record.target.strip().removeprefix("<").split(">", 1)[0].split("?", 1)[0]
        old_id: CallId | None = record.call.core_id
        who = (
            self._lines.calls[old_id].remote.label
            if (self._lines is not None and old_id is not None and old_id in self._lines.calls)
            else "The far end"
        )
        new_call = record.new_call
        if new_call is None or self._lines is None or old_id is None:
            self._notice(f"{who} asked to transfer the call to {target}: declined")
            return
        self._alive.append(new_call)
        try:
            outcome = self._lines.follow_transfer(old_id, target, self._wall())
        except InvalidOperationError as error:
            with contextlib.suppress(pj.Error):
                new_call.hangup(pj.CallOpParam(True))
            self._notice(f"{who} transferred the call to {target}, which failed: {error}")
            return
        assert outcome.call_id is not None
        new_call.core_id = outcome.call_id
        self._calls[outcome.call_id] = new_call
        self._drop_links_of(old_id)  # held in the core without a re-INVITE: it is on its way out
        self._run_effects(outcome.effects)

    def _on_replaced(self, record: CallReplaced) -> None:
        old, new = record.call, record.new_call
        self._alive.append(new)
        call_id: CallId | None = old.core_id
        if call_id is None:
            return
        old.core_id = None
        new.core_id = call_id
        self._calls[call_id] = new
        self._drop_links_of(call_id)

    # ================================================================ audio

    def _call_media(self, call: Any) -> Any | None:
        index = call.audio_index  # kept by EngineCall.onCallMediaState
        if index is None:
            return None
        try:
            return call.getAudioMedia(index)
        except pj.Error:
            return None

    def _wanted_links(self) -> dict[LinkKey, tuple[Any, Any]]:
        wanted: dict[LinkKey, tuple[Any, Any]] = {}
        lines = self._lines
        if lines is None:
            return wanted
        local = self._local_audio
        calls = lines.calls
        media: dict[CallId, Any] = {}
        for call_id, call in calls.items():
            engine_call = self._calls.get(call_id)
            if engine_call is None or call.state not in (
                CallState.CONNECTED,
                CallState.HELD,
                CallState.EARLY_MEDIA,
            ):
                continue
            found = self._call_media(engine_call)
            if found is not None:
                media[call_id] = found

        def add(src_name: str, src: Any, dst_name: str, dst: Any) -> None:
            wanted[(src_name, dst_name, int(src.getPortId()), int(dst.getPortId()))] = (src, dst)

        for call_id, m in media.items():
            call = calls[call_id]
            name = f"call:{call_id}"
            if call.state in (CallState.CONNECTED, CallState.EARLY_MEDIA):
                add(name, m, "sink", local.sink)
            if call.state is CallState.CONNECTED:
                if not call.muted:
                    add("source", local.source, name, m)
                partner = call.conference_with
                if (
                    partner is not None
                    and partner in media
                    and calls[partner].state is CallState.CONNECTED
                ):
                    add(name, m, f"call:{partner}", media[partner])
            recorder = self._recorders.get(call_id)
            if recorder is not None:
                add(name, m, f"rec:{call_id}", recorder)
                if call.state is CallState.CONNECTED and not call.muted:
                    add("source", local.source, f"rec:{call_id}", recorder)
        return wanted

    def _sync_audio(self) -> None:
        """Make the bridge connections match the calls' states."""
        if self._closed:
            return
        self._start_recorders()
        try:
            wanted = self._wanted_links()
        except pj.Error as error:
            self._failure(f"audio: {error.info()}")
            return
        self._drop_links([k for k in self._links if k not in wanted])
        for key, (src, dst) in wanted.items():
            if key in self._links:
                continue
            try:
                log.debug("audio: connect %s", key)
                src.startTransmit(dst)
            except pj.Error as error:
                self._failure(f"audio {key[0]} -> {key[1]}: {error.info()}")
                continue
            self._links[key] = BridgeLink(src, dst, self._mono())

    def _audit_links(self) -> None:
        """Re-make bridge connections that pjmedia dropped.

        pjsua2 2.15 re-creates a call's conference port on hold/unhold re-INVITEs and hands a
        freed slot to the next call; a removal still queued on the media clock can then cut a
        connection just made to the reused slot. For a second after each media change the
        engine checks its connections and re-makes missing ones (connecting is idempotent).
        pjmedia 2.15 applies a connection at its next clock tick, so a link younger than
        `LINK_SETTLE_S` is not yet expected in the listener list.
        """
        now = self._mono()
        for key, link in list(self._links.items()):
            if now - link.made_at < LINK_SETTLE_S:
                continue
            try:
                # Keep the ConfPortInfo alive while reading its vector: a member of a
                # temporary SWIG object points into freed memory (garbage port ids).
                info = link.src.getPortInfo()
                if key[3] not in list(info.listeners):
                    log.debug("audio: re-connect %s", key)
                    link.src.startTransmit(link.dst)
                    self._links[key] = dataclasses.replace(link, made_at=now)
            except pj.Error:
                continue

    def _drop_links_of(self, call_id: CallId) -> None:
        names = {f"call:{call_id}", f"rec:{call_id}"}
        self._drop_links([k for k in self._links if k[0] in names or k[1] in names])

    def _drop_links(self, keys: list[LinkKey]) -> None:
        for key in keys:
            link = self._links.pop(key)
            log.debug("audio: disconnect %s", key)
            with contextlib.suppress(pj.Error):
                link.src.stopTransmit(link.dst)

    def _start_recorders(self) -> None:
        profile = self._profile
        lines = self._lines
        if profile is None or lines is None or not profile.recording.enabled:
            return
        for call_id, call in lines.calls.items():
            if call_id in self._recorders or not call.is_established:
                continue
            if call_id not in self._calls:
                continue
            fmt = profile.recording.format
            directory = self.recordings_dir
            directory.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(call.created_at))
            path = intermediate_path(directory / f"{stamp}-{call_id}", fmt)
            recorder = pj.AudioMediaRecorder()
            try:
                recorder.createRecorder(str(path))
            except pj.Error as error:
                self._failure(f"recording {path}: {error.info()}")
                self._recorders[call_id] = None
                continue
            self._recorders[call_id] = recorder
            self._recording_formats[call_id] = fmt
            lines.attach_recording(call_id, str(path))

    # ================================================================ publishing

    def _emit(self, event: EngineEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("engine listener failed")

    def _publish(self) -> None:
        status = self.registration
        if status != self._published_registration:
            self._published_registration = status
            self._emit(RegistrationChanged(status, static_ip=self._static_ip))
        lines = self._lines.by_line() if self._lines else ()
        if lines != self._published_lines:
            self._published_lines = lines
            self._emit(LinesChanged(lines))
        forwarding = self._forwarding_text()
        if forwarding != self._published_forwarding:
            self._published_forwarding = forwarding
            self._emit(ForwardingChanged(forwarding))

    def _apply_pending_profile(self) -> None:
        pending = self._pending_profile
        if pending is None or self._alive or (self._lines is not None and self._lines.calls):
            return
        self._pending_profile = None
        self._reconfigure(pending)

    # ================================================================ shutdown

    def close(self) -> None:
        """Hang up every call, unregister, shut the account down (the endpoint stays)."""
        if self._closed:
            return
        try:
            with contextlib.suppress(Exception):
                self.hangup_all()
            for call in list(self._alive):
                with contextlib.suppress(pj.Error):
                    call.hangup(pj.CallOpParam(True))
            if self._alive:
                self._endpoint.pump_for(2.0, lambda: not self._alive)
            self._drop_links(list(self._links))
            self._recorders.clear()
            if self._finishing:
                self._endpoint.pump_for(
                    RECORDING_CLOSE_TIMEOUT,
                    lambda: all(
                        wav_complete(Path(r.recording_path or "")) for r, _, _ in self._finishing
                    ),
                )
                self._flush_finished(force=True)
            self._collect_transcoded(wait=True)
            self._calls.clear()
            self._alive.clear()
            self._records.clear()
            gc.collect()
            self._signed_in = False
            self._drop_account(unregister=True)
            self._records.clear()
        finally:
            self._closed = True
            if self._transcoder is not None:
                self._transcoder.shutdown(wait=False)
                self._transcoder = None
            self._local_audio = LocalAudio(None, None)
            self._endpoint.set_clock_demand(self._clock_key, False)
            self._endpoint.set_media_demand(self._clock_key, False)
            self._endpoint.set_sip_peers(self._clock_key, ())
            self._endpoint.detach(self)
            gc.collect()


def wav_complete(path: Path) -> bool:
    """Whether pjmedia has written the final RIFF size of a WAV file (its recorder is gone)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
        size = path.stat().st_size
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    return int.from_bytes(head[4:8], "little") == size - 8 and size >= 44


def _op_param(code: int) -> Any:
    prm = pj.CallOpParam()
    prm.statusCode = code
    return prm


def _safe_active(account: Any) -> bool:
    try:
        return bool(account.isValid() and account.getInfo().regIsActive)
    except pj.Error:
        return False


__all__ = [
    "EngineState",
    "Listener",
    "SipEngine",
    "default_recordings_dir",
    "describe_forwarding",
]
