"""`SipEngine`: the facade the app and the UI use - one SIP account, its lines and calls.

The engine is the adapter between pjsua2 and the pure core. Its parts, each in its module:

* `account_config` - the pjsua2 account configuration as a function of the profile;
* `registrar` - the account's life cycle, REGISTER as the core's `RegistrationMachine`
  commands, and the fallback to the profile's next transport;
* `call_handling` - the call side wired together, of which: `call_signals` - pjsua2's call
  callbacks (recorded as `StackRecord` values by `account` and `call`) turned into the
  core's call events;
* `call_commands` - the agent's operations, checked by the core's `Lines`;
* `effect_runner` - the effects `Lines` returns, carried out on pjsua2 calls; `info_dtmf` -
  SIP INFO DTMF one digit at a time; `call_timers` - the no-answer and transfer deadlines;
* `audio_routing` - which bridge ports are connected (a function of the lines, the local
  audio and the recorders), applied as differences and audited;
* `call_recorders` and `recording` - recording and converting to the profile's format;
* `forwarding_view` - the forwarding in force; `server_peers` - the server's addresses;
  `bridge_clock` - the demand for the bridge clock; `event_hub` - observers and notices;
  `stack_full_guard` - the INVITEs pjsua refuses itself when it has no call slot left.

pjsua2 callbacks only append records to the engine's queue; `SipEngine.process` (called by
the endpoint after every poll) handles them in order, runs due timers and re-synchronises the
bridge. Observers: `subscribe(callback)` receives `EngineEvent` values; `state` is the
snapshot. `on_call_finished` receives each `CallRecord` in the step the call ends - except a
recorded call's, which waits until its recording is a complete file (`call_recorders`).

All methods must be called on the thread that created the endpoint.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pjsua2 as pj

from communicator.core.call_effects import Outcome
from communicator.core.call_quality import CallQuality
from communicator.core.call_record import CallRecord
from communicator.core.calls import Call, CallId
from communicator.core.dialing import DialPlan
from communicator.core.errors import InvalidOperationError
from communicator.core.lines import TRANSFER_TIMEOUT_S, Lines
from communicator.core.notices import Notice, NoticeCode
from communicator.core.registration import RegistrationStatus
from communicator.provisioning.schema import CodecReport, ForwardingSettings, VoipProfile
from communicator.sip.account_config import is_static_ip
from communicator.sip.audio_routing import LINK_SETTLE_S, AudioLink
from communicator.sip.bridge_clock import BridgeClock
from communicator.sip.call_commands import CallCommands
from communicator.sip.call_handling import CallHandling
from communicator.sip.endpoint import SipEndpoint, TransportAddress
from communicator.sip.event_hub import EventHub, Listener
from communicator.sip.events import (
    CallbackFailed,
    CallEnded,
    CallStackRecord,
    EngineState,
    RegStarted,
    RegState,
    StackRecord,
)
from communicator.sip.forwarding_view import ForwardingView, describe_forwarding
from communicator.sip.local_audio import LocalAudio, null_device_audio
from communicator.sip.polling import PollHint
from communicator.sip.quality_sampler import QualitySampler
from communicator.sip.recording import wav_complete
from communicator.sip.registrar import Registrar
from communicator.sip.server_peers import RESOLVE_POLL, ServerPeers
from communicator.sip.stack_full_guard import StackFullGuard

log = logging.getLogger(__name__)


def default_recordings_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Communicator")) / "recordings"


class SipEngine(CallCommands):
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
        transfer_timeout: float = TRANSFER_TIMEOUT_S,
    ) -> None:
        """``transfer_timeout``: seconds a transfer may wait for its final NOTIFY before it
        ends and the agent keeps the call."""
        endpoint.check_thread()
        self._endpoint = endpoint
        self._recordings_dir = Path(recordings_dir) if recordings_dir else None
        self._tls_ca_file = tls_ca_file
        self._tls_verify = tls_verify_server
        self.on_call_finished = on_call_finished
        self._wall = wall_clock
        self._mono = monotonic
        self._profile: VoipProfile | None = None
        self._pending_profile: VoipProfile | None = None
        self._lines: Lines | None = None
        self._signed_in = False
        """The agent asked to sign in (the one source of `EngineState.signed_in`)."""
        self._codec_report: CodecReport | None = None
        self._processing = False
        self._closed = False
        self.failures: list[str] = []
        """Callback and adapter failures (also logged)."""
        self._records: list[StackRecord] = []
        """What pjsua2 callbacks recorded since the last `process`."""

        owner = f"engine-{id(self):x}"
        self._hub = EventHub()
        self._clock = BridgeClock(endpoint, owner, monotonic)
        self._peers = ServerPeers(endpoint, owner, self._failure)
        self._forwarding = ForwardingView(lambda: self._profile, local_now)
        self._available = True
        self._registrar = Registrar(
            endpoint,
            self._records,
            notice=self._hub.notice,
            transfer_gate=lambda call: self._calls.can_follow_transfer(call, self._signed_in),
            processing=lambda: self._processing,
            monotonic=monotonic,
        )
        self._calls = CallHandling(
            records=self._records,
            local_audio=null_device_audio(endpoint.ep),
            lines=lambda: self._lines,
            account=lambda: self._registrar.account,
            sdp_offer=lambda: self._profile is None or self._profile.sip.use_sdp,
            refusal=self._refusal,
            forwarding_rules=self._forwarding.rules,
            available=lambda: self._available,
            publish_finished=self._publish_finished,
            notice=self._hub.notice,
            emit=self._hub.emit,
            failure=self._failure,
            wall=wall_clock,
            monotonic=monotonic,
            transfer_timeout=transfer_timeout,
        )
        self._quality = QualitySampler(self._calls.table.alive, self._hub.emit, monotonic)
        self._stack_full = StackFullGuard(self._records, self._sip_user)
        self._stack_full.install()
        endpoint.attach(self)

    # ================================================================ observation

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Receive every `EngineEvent`; returns a function that unsubscribes."""
        return self._hub.subscribe(listener)

    @property
    def closed(self) -> bool:
        """Whether `close` has run (the engine takes no more operations)."""
        return self._closed

    @property
    def profile(self) -> VoipProfile | None:
        return self._profile

    @property
    def lines(self) -> Lines | None:
        return self._lines

    @property
    def registration(self) -> RegistrationStatus:
        return self._registrar.status

    @property
    def register_attempts(self) -> int:
        """REGISTER attempts started (pjsua2 onRegStarted with renew): for tests and stats."""
        return self._registrar.register_attempts

    @property
    def state(self) -> EngineState:
        return EngineState(
            signed_in=self._signed_in,
            static_ip=self._static_ip,
            registration=self.registration,
            lines=self._lines.by_line() if self._lines else (),
            forwarding=self._forwarding.text(),
            codec_report=self._codec_report,
            profile_pending=self._pending_profile is not None,
            notices=self._hub.notices(),
        )

    def call(self, call_id: CallId) -> Call:
        return self._require_lines().call(call_id)

    def call_quality(self, call_id: CallId) -> CallQuality | None:
        """The call's figures since it began, across its streams (read every few seconds while
        it has media; `core.call_quality.CallTotals`)."""
        return self._quality.quality(call_id)

    def live_quality(self, call_id: CallId) -> CallQuality | None:
        """The same over the last seconds (`core.call_quality.LIVE_WINDOW_S`): the line's light."""
        return self._quality.live_quality(call_id)

    def audio_links(self) -> tuple[AudioLink, ...]:
        """The conference-bridge connections the engine has made now (frozen values)."""
        return self._calls.router.links()

    @property
    def audio_audit_running(self) -> bool:
        """Whether the engine is still checking the bridge after a recent media change."""
        return self._calls.router.auditing

    def audit_audio_links(self) -> int:
        """Check every bridge connection now and re-make those pjmedia dropped (the engine
        does this by itself for a while after each media change); returns how many."""
        self._endpoint.check_thread()
        return self._calls.router.audit()

    @property
    def stun_servers(self) -> tuple[str, ...]:
        """The STUN servers in use (``host:port``), as set from the profile."""
        return tuple(self._endpoint.stun_servers)

    @property
    def stack_call_limit(self) -> int | None:
        """Calls pjsua2 can hold at once in this process (a compiled limit: 4 in the wheel
        used); calls beyond it are refused busy (and logged) whatever Max Phone Lines says,
        so the engine has no more lines than this (`StackFullGuard.lines_for`)."""
        return self._stack_full.capacity()

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
            if self._busy():
                self._pending_profile = profile
                self._hub.notice(
                    Notice.coded(
                        "New phone settings will be applied when the current call ends",
                        NoticeCode.SETTINGS_AFTER_CALL,
                    )
                )
            else:
                log.info("applying new SIP settings: re-creating the account")
                self._configure(profile)
        else:
            self._profile = profile
            self._pending_profile = None
        self._publish()
        self._endpoint.wakeup()

    def set_available(self, available: bool) -> None:
        """Whether the agent takes calls now (the agent state's choice: not ready or in
        wrap-up without calls allowed then is unavailable). A call that arrives while the agent
        is unavailable counts as busy: the when-busy forwarding, else 486, and a missed record;
        it never rings."""
        self._available = available

    def set_forwarding(self, settings: ForwardingSettings | None) -> None:
        """The agent's own forwarding rules (None: back to the profile's)."""
        self._forwarding.set_override(settings)
        self._publish()

    def set_local_audio(self, source: Any, sink: Any) -> None:
        """Plug in the agent's microphone (source) and speaker (sink) AudioMedia."""
        self._calls.plug_local_audio(LocalAudio(source, sink))
        self._update_clock()
        self._sync_audio()

    def reset_local_audio(self) -> None:
        """Back to the sound device ports (before the plugged-in media are destroyed).

        Every connection to the plugged-in media goes first, whatever else fails: they are
        about to be freed, and a kept link would later call into freed memory."""
        self._calls.unplug_local_audio(null_device_audio(self._endpoint.ep))
        self._sync_audio()
        self._update_clock()

    def _lines_differ(self, old: VoipProfile, new: VoipProfile) -> bool:
        lines_for = self._stack_full.lines_for
        return (
            lines_for(old.agent.max_lines) != lines_for(new.agent.max_lines)
            or old.agent.country_code != new.agent.country_code
        )

    def set_sip_trace(self, enabled: bool) -> None:
        self._endpoint.set_sip_trace(enabled)

    def _configure(self, profile: VoipProfile) -> None:
        ep = self._endpoint
        # No un-REGISTER of the old account may race the new account's REGISTER.
        self._registrar.unregister_now()
        self._profile = profile
        self._pending_profile = None
        kinds, tids = self._registrar.transports_for(
            profile, ca_file=self._tls_ca_file, verify_server=self._tls_verify
        )
        nat = profile.nat
        ep.set_stun_servers([f"{nat.stun_server}:{nat.stun_port}"] if nat.stun_server else [])
        self._codec_report = ep.apply_codecs(profile)
        if not self._codec_report.complete:
            self._hub.notice(f"Codecs: {self._codec_report.describe()}")
        self._lines = Lines(
            self._stack_full.lines_for(profile.agent.max_lines),
            DialPlan(domain=profile.sip.effective_domain, country_code=profile.agent.country_code),
        )
        self._peers.resolve(profile)
        self._registrar.configure(profile, tids, kinds)
        if self._signed_in:
            self._registrar.sign_in()

    # ================================================================ registration

    def sign_in(self) -> None:
        """Start registering (or, for a static-IP account, start taking calls)."""
        self._endpoint.check_thread()
        self._check_open()
        if self._profile is None:
            raise InvalidOperationError("No phone settings yet: cannot sign in")
        self._signed_in = True
        self._registrar.sign_in()
        self._publish()
        self._endpoint.wakeup()

    def sign_out(self) -> None:
        """Hang up every call and unregister."""
        self._endpoint.check_thread()
        if not self._signed_in:
            return
        self.hangup_all()
        self._signed_in = False
        self._registrar.sign_out()
        self._publish()
        self._endpoint.wakeup()

    def handle_ip_change(self) -> None:
        """The workstation's IP address changed: restart transports and re-register."""
        self._endpoint.check_thread()
        self._endpoint.handle_ip_change()
        if self._signed_in:
            self._registrar.ip_changed()
        self._publish()
        self._endpoint.wakeup()

    # ================================================================ helpers

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

    def _now(self) -> float:
        return self._wall()

    def _op(self, operation: Callable[[], Outcome]) -> Outcome:
        outcome = operation()
        self._calls.run(outcome.effects)
        self._after_change()
        self._endpoint.wakeup()
        return outcome

    @property
    def _static_ip(self) -> bool:
        return self._profile is not None and is_static_ip(self._profile)

    def _sip_user(self) -> str | None:
        profile = self._profile
        return (profile.sip.username or profile.agent.extension) if profile is not None else None

    def _busy(self) -> bool:
        """A pjsua2 call is alive or the core has a call."""
        return self._calls.alive or (self._lines is not None and bool(self._lines.calls))

    def _refusal(self, source: str) -> int | None:
        """The SIP code to refuse a new INVITE from ``source`` with, None to take it."""
        if self._lines is None or not self._signed_in:
            return 480
        if self._static_ip and not self._peers.is_server(source):
            log.warning("refused a call from %s: not the SIP server", source)
            return 403
        return None

    def _update_clock(self) -> None:
        self._clock.update(calls=self._calls.alive, recorders=self._calls.recorders.active)

    def _after_change(self) -> None:
        self._update_clock()
        self._sync_audio()
        self._apply_pending_profile()
        self._publish()

    def _sync_audio(self) -> None:
        if not self._closed:
            self._calls.sync_audio(self._profile, lambda: self.recordings_dir)

    def _publish_finished(self, record: CallRecord) -> None:
        record = self._quality.attach(record)
        self._hub.emit(CallEnded(record))
        if self.on_call_finished is not None:
            try:
                self.on_call_finished(record)
            except Exception:
                log.exception("on_call_finished failed")

    def _failure(self, text: str) -> None:
        self.failures.append(text)
        log.error("SIP engine: %s", text)

    def _publish(self) -> None:
        self._hub.publish(
            self.registration,
            self._static_ip,
            self._lines.by_line() if self._lines else (),
            self._forwarding.text(),
        )

    def _apply_pending_profile(self) -> None:
        pending = self._pending_profile
        if pending is None or self._busy():
            return
        log.info("applying new SIP settings: re-creating the account")
        self._configure(pending)

    # ================================================================ the pump's step

    def process(self) -> PollHint:
        """Called by the endpoint after each poll: act on the records, run due timers."""
        if self._closed:
            return PollHint()
        if self._processing:  # a nested pump (account re-creation); the outer loop drains
            return PollHint(hot=True, live=self._calls.alive)
        self._processing = True
        worked = False
        try:
            self._peers.collect()
            while self._records:
                self._handle_next_record()
                worked = True
            worked = self._registrar.tick() or worked
            worked = self._calls.run_timers() or worked
            self._quality.sample_if_due()
            if worked:
                self._after_change()
            self._clock.tick(calls=self._calls.alive, recorders=self._calls.recorders.active)
            self._calls.recorders.flush()
            self._calls.recorders.collect()
            self._calls.router.audit_if_due()
        finally:
            self._processing = False
        return self._hint()

    def _handle_next_record(self) -> None:
        record = self._records.pop(0)
        try:
            if isinstance(record, RegStarted):
                self._registrar.on_reg_started(record)
            elif isinstance(record, RegState):
                self._registrar.on_reg_state(record)
            elif isinstance(record, CallbackFailed):
                self._failure(f"{record.where}: {record.error}")
            elif isinstance(record, CallStackRecord):
                self._calls.handle(record)
        except InvalidOperationError as error:
            self._hub.notice(str(error))
        except pj.Error as error:
            self._failure(f"{type(record).__name__}: {error.info()}")
        except Exception as error:
            log.exception("handling %s failed", type(record).__name__)
            self._failure(f"{type(record).__name__}: {error!r}")

    def _hint(self) -> PollHint:
        registering = self._registrar.busy
        hot = registering or self._calls.needs_fast_polling() or bool(self._records)
        deadlines = self._clock.deadlines()
        machine_deadline = self._registrar.machine.next_deadline
        if machine_deadline is not None:
            deadlines.append(machine_deadline - self._mono())
        deadlines += self._calls.deadlines()
        quality_due = self._quality.deadline()
        if quality_due is not None:
            deadlines.append(quality_due)
        if self._peers.resolving:
            deadlines.append(RESOLVE_POLL)
        live = self._calls.alive
        return PollHint(
            hot=hot,
            live=live,
            next_deadline_in=min(deadlines) if deadlines else None,
            rtp=live and not self._endpoint.options.media_thread,
        )

    # ================================================================ shutdown

    def close(self) -> None:
        """Hang up every call, unregister, shut the account down (the endpoint stays)."""
        if self._closed:
            return
        try:
            with contextlib.suppress(Exception):
                self.hangup_all()
            for call in self._calls.table.alive():
                with contextlib.suppress(pj.Error):
                    call.hangup(pj.CallOpParam(True))
            if self._calls.alive:
                self._endpoint.pump_for(2.0, lambda: not self._calls.alive)
            self._calls.router.drop_all()
            self._calls.recorders.close(self._endpoint.pump_for)
            self._calls.table.clear()
            self._records.clear()
            gc.collect()
            self._signed_in = False
            self._registrar.close()
            self._records.clear()
        finally:
            self._closed = True
            self._calls.recorders.stop_worker()
            self._stack_full.remove()
            self._peers.close()
            self._calls.unplug_local_audio(LocalAudio(None, None))
            self._clock.release()
            self._endpoint.detach(self)
            gc.collect()


__all__ = [
    "LINK_SETTLE_S",
    "AudioLink",
    "EngineState",
    "Listener",
    "SipEngine",
    "default_recordings_dir",
    "describe_forwarding",
    "wav_complete",
]
