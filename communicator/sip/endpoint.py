"""The one pjsua2 Endpoint of the process: creation, polling, the sound clock, shutdown.

Created on the calling (Qt main) thread with ``threadCnt = 0`` and ``mainThreadOnly = True``:
every pjsua2 callback then runs on that thread, inside ``libHandleEvents`` called by
`communicator.ui.pump.Pump`. Creating a second `SipEndpoint` raises `EndpointExistsError`.

Its parts live beside it: transports (`endpoint_transports`), codec priorities
(`endpoint_codecs`), the SIP trace (`endpoint_log`), the media thread (`media_poller`) and what
wakes the pump (`wakeup`).

Shutdown order (each step reproduced as a crash when skipped): engines hang up every call and
drop their Call, recorder and player objects, ``gc.collect()``, accounts are unregistered and
shut down, then ``libDestroy`` (``PJSUA_DESTROY_NO_NETWORK`` once nothing is registered, which
takes ~27 ms instead of ~1 s). `SipEndpoint.shutdown` does all of it and is safe to call twice.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pjsua2 as pj

from communicator.provisioning.schema import CodecReport, VoipProfile
from communicator.sip.c_library import set_log_level
from communicator.sip.endpoint_codecs import codec_priorities
from communicator.sip.endpoint_log import QUIET_LEVEL, TRACE_LEVEL, LogWriter, trace_wanted
from communicator.sip.endpoint_transports import TransportAddress, Transports
from communicator.sip.media_poller import MediaPoller
from communicator.sip.polling import PollHint
from communicator.sip.wakeup import SocketWatch, TimerHeap

__all__ = [
    "EndpointClient",
    "EndpointExistsError",
    "EndpointOptions",
    "SipEndpoint",
    "TransportAddress",
]

log = logging.getLogger(__name__)


class _Registry:
    """The process's one endpoint (a class attribute, not a module global)."""

    lock = threading.Lock()
    current: SipEndpoint | None = None


class EndpointExistsError(RuntimeError):
    """A second Endpoint in one process: pjsua2 supports exactly one."""


class EndpointClient(Protocol):
    """An engine on the endpoint: processes its records after each poll, closes on shutdown."""

    def process(self) -> PollHint: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EndpointOptions:
    bound_address: str = ""
    """Local address for SIP and RTP sockets ("" = all interfaces)."""
    sip_port: int = 0
    """UDP/TCP SIP port (0 = any free port; static-IP accounts usually need 5060). TLS uses
    ``sip_port + 1`` when a port is given."""
    user_agent: str = "Communicator"
    max_calls: int = 16
    sip_trace: bool | None = None
    """None: from the environment variable COMMUNICATOR_SIP_TRACE=1."""
    media_thread: bool = True
    """True (default): RTP sockets get pjmedia's own ioqueue, polled by a media thread that
    runs only while calls need it (`MediaPoller`; pjmedia's own worker would wake up every
    10 ms for ever, ~0.25 % of a core on an idle client). False: RTP shares the SIP ioqueue
    and is received by the pump, which then polls continuously while calls are up; this
    crashed (SIGSEGV in libHandleEvents) together with the sounddevice AudioMediaPort bridge
    in tests/sip/sound, so it is not the default."""
    media_poller: bool = True
    """With ``media_thread``: True polls pjmedia's ioqueue from `MediaPoller` (a thread that
    sleeps while no call exists; it takes the GIL briefly each time packets arrive). False
    keeps pjmedia's own C worker (no GIL, but 100 wake-ups a second for ever)."""


class _Endpoint(pj.Endpoint):
    def __init__(self, owner: SipEndpoint) -> None:
        pj.Endpoint.__init__(self)
        self._owner = owner

    def onTransportState(self, prm: Any) -> None:  # noqa: N802
        # A TCP/TLS connection came or went: its socket is (no longer) one to watch.
        self._owner.sockets_changed()

    def onIpChangeProgress(self, prm: Any) -> None:  # noqa: N802
        # handleIpChange restarts the listeners (new sockets) in steps reported here.
        self._owner.sockets_changed()


class SipEndpoint:
    """The process's pjsua2 Endpoint. Create on the thread that will pump it."""

    def __init__(self, options: EndpointOptions | None = None) -> None:
        with _Registry.lock:
            if _Registry.current is not None:
                raise EndpointExistsError(
                    "a pjsua2 Endpoint already exists in this process; use it "
                    "(SipEndpoint.current()) instead of creating another"
                )
            _Registry.current = self
        self.options = options or EndpointOptions()
        self._clients: list[EndpointClient] = []
        self._stun: tuple[str, ...] = ()
        self._codec_key: tuple[str, ...] | None = None
        self._codec_report: CodecReport | None = None
        self._thread = threading.get_ident()
        self._clock_demand: set[str] = set()
        self._clock_on = False
        self._media_demand: set[str] = set()
        self._media_poller: MediaPoller | None = None
        self._sockets = SocketWatch(self._local_ports)
        self._transports: Transports | None = None
        self._timer_heap: TimerHeap | None = None
        self._destroyed = False
        self.wakeup: Callable[[], None] = lambda: None
        """Set by the pump: poll soon (after an engine command)."""
        self._trace = trace_wanted(self.options.sip_trace)
        try:
            self._create()
        except BaseException:
            with _Registry.lock:
                _Registry.current = None
            raise

    @classmethod
    def current(cls) -> SipEndpoint | None:
        return _Registry.current

    def _create(self) -> None:
        ep = _Endpoint(self)
        self._ep: Any = ep
        self._transports = Transports(
            ep,
            sip_port=self.options.sip_port,
            bound_address=self.options.bound_address,
            changed=self.sockets_changed,
        )
        ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = self.options.max_calls
        cfg.uaConfig.userAgent = self.options.user_agent
        cfg.uaConfig.stunIgnoreFailure = True
        cfg.medConfig.sndAutoCloseTime = -1
        cfg.medConfig.hasIoqueue = self.options.media_thread
        if not self.options.media_thread:
            cfg.medConfig.threadCnt = 0
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        writer = LogWriter()
        self._writer: Any = writer
        cfg.logConfig.writer = writer
        cfg.logConfig.level = TRACE_LEVEL if self._trace else QUIET_LEVEL
        cfg.logConfig.consoleLevel = TRACE_LEVEL
        cfg.logConfig.msgLogging = True
        cfg.logConfig.decor = 0
        ep.libInit(cfg)
        writer.__disown__()  # the Endpoint deletes the writer in libDestroy
        ep.audDevManager().setNullDev()
        self._clock_on = True
        ep.libStart()
        self.set_clock_demand("startup", False)
        if self.options.media_thread and self.options.media_poller:
            try:
                self._media_poller = MediaPoller(ep)
            except (OSError, AttributeError, RuntimeError) as error:
                log.warning("pjmedia's own worker thread stays (%s)", error)
        self._timer_heap = TimerHeap(pj._pjsua2.__file__)
        log.info("pjsua2 %s started (SIP trace %s)", ep.libVersion().full, self._trace)

    # ------------------------------------------------------------------ basics

    @property
    def ep(self) -> Any:
        self._check_alive()
        return self._ep

    @property
    def destroyed(self) -> bool:
        return self._destroyed

    def _check_alive(self) -> None:
        if self._destroyed:
            raise RuntimeError("the SIP endpoint has been shut down")

    def check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError(
                "pjsua2 must be called from the thread that created the SIP endpoint"
            )

    def attach(self, client: EndpointClient) -> None:
        self._clients.append(client)

    def detach(self, client: EndpointClient) -> None:
        with contextlib.suppress(ValueError):
            self._clients.remove(client)

    def poll(self, block_ms: int = 0) -> tuple[int, PollHint]:
        """One pump step: pjsua2 events, then every engine's records."""
        if self._destroyed:
            return 0, PollHint()
        events = int(self._ep.libHandleEvents(block_ms))
        hot = False
        live = False
        rtp = False
        deadline: float | None = None
        # The engines first: what a poll brought (a call CONFIRMED...) reaches the app before
        # anything else here runs.
        for client in self._clients[:]:
            hint = client.process()
            hot = hot or hint.hot
            live = live or hint.live
            rtp = rtp or hint.rtp
            if hint.next_deadline_in is not None:
                deadline = (
                    hint.next_deadline_in
                    if deadline is None
                    else min(deadline, hint.next_deadline_in)
                )
        if not hot and self._timer_heap is not None:
            # Only a pump that may sleep needs pjsip's next timer (a hot one polls again at
            # once): two ctypes calls saved on every poll of a call setup.
            pjsip_next = self._timer_heap.next_in()
            if pjsip_next is not None:
                deadline = pjsip_next if deadline is None else min(deadline, pjsip_next)
        return events, PollHint(hot=hot, live=live, next_deadline_in=deadline, rtp=rtp)

    def pump_for(self, seconds: float, until: Callable[[], bool] | None = None) -> None:
        """Poll synchronously (shutdown paths, benchmarks) until ``until()`` or the timeout."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll(5)
            if until is not None and until():
                return

    # ------------------------------------------------------------------ what wakes the pump

    @property
    def watch_generation(self) -> int:
        """Changes whenever the set of pjsip's sockets may have changed."""
        return self._sockets.generation

    def sockets_changed(self) -> None:
        self._sockets.changed()

    def set_sip_peers(self, owner: str, peers: Iterable[tuple[str, int]]) -> None:
        """Addresses of the SIP servers/proxies an engine talks to over TCP/TLS."""
        self._sockets.set_sip_peers(owner, peers)

    def check_sockets(self) -> None:
        """Cheap periodic check (the pump's slow tick): rescan if our sockets changed."""
        self._sockets.check_sockets()

    def watched_fds(self) -> frozenset[int] | None:
        """pjsip's socket descriptors to wake up on (None: not available; poll instead)."""
        return None if self._destroyed else self._sockets.watched_fds()

    def _local_ports(self) -> tuple[frozenset[int], frozenset[int]] | None:
        return None if self._transports is None else self._transports.local_ports()

    @property
    def knows_next_timer(self) -> bool:
        """pjsip's timer heap is readable: the pump can sleep until its next timer."""
        return self._timer_heap is not None and self._timer_heap.available

    # ------------------------------------------------------------------ SIP trace

    @property
    def sip_trace(self) -> bool:
        return self._trace

    def set_sip_trace(self, enabled: bool) -> None:
        """Switch the SIP message trace (to the ``communicator.sip.trace`` logger) on or off."""
        if set_log_level(TRACE_LEVEL if enabled else QUIET_LEVEL):
            self._trace = enabled

    # ------------------------------------------------------------------ transports

    def transport_id(
        self, kind: str, *, ca_file: str | None = None, verify_server: bool = True
    ) -> int:
        """The transport of ``kind`` (created on first use). TLS transports are per CA list."""
        return self._transport_table().get(kind, ca_file=ca_file, verify_server=verify_server)

    def transport_address(self, tid: int) -> TransportAddress:
        return self._transport_table().address(tid)

    def _transport_table(self) -> Transports:
        self._check_alive()
        if self._transports is None:
            raise RuntimeError("the SIP endpoint was never created")
        return self._transports

    def transport_ids(self) -> dict[str, int]:
        """The first transport of each kind."""
        return {} if self._transports is None else self._transports.first_of_each_kind()

    # ------------------------------------------------------------------ STUN

    @property
    def stun_servers(self) -> tuple[str, ...]:
        return self._stun

    def set_stun_servers(self, servers: Iterable[str]) -> None:
        wanted = tuple(servers)
        if wanted == self._stun:
            return
        if not wanted:
            # pjsua aborts on an empty list; accounts without STUN switch its use off instead.
            self._stun = ()
            return
        vec = pj.StringVector()
        for server in wanted:
            vec.append(server)
        self._ep.natUpdateStunServers(vec, False)
        self._stun = wanted

    # ------------------------------------------------------------------ codecs

    def available_codecs(self) -> list[str]:
        return [str(c.codecId) for c in self._ep.codecEnum2()]

    def apply_codecs(self, profile: VoipProfile) -> CodecReport:
        """The profile's allowed codecs in order (highest priority first); every other codec
        disabled. Unknown or unavailable codecs are reported, not dropped silently."""
        available = self.available_codecs()
        report = profile.codec_report(available)
        key = report.usable
        if key != self._codec_key:
            for codec_id, priority in codec_priorities(available, report.usable).items():
                self._ep.codecSetPriority(codec_id, priority)
            self._codec_key = key
        self._codec_report = report
        if not report.complete:
            log.warning("codecs: %s", report.describe())
        return report

    @property
    def codec_report(self) -> CodecReport | None:
        return self._codec_report

    # ------------------------------------------------------------------ sound clock

    @property
    def sound_clock_running(self) -> bool:
        return self._clock_on

    def set_clock_demand(self, owner: str, needed: bool) -> None:
        """Run the conference bridge's clock (the null sound device) while anyone needs it.

        The null device ticks 50 times a second (~0.2 % of a core) even with nothing to mix,
        so an idle client stops it: the engine asks for it while calls, recorders or players
        are alive (and shortly after, so a removed recorder's WAV header gets written); the
        audio bridge may ask for it too (e.g. for level meters). ``sndAutoCloseTime = -1``
        keeps pjsua from closing it on its own while it runs.
        """
        if needed:
            self._clock_demand.add(owner)
        else:
            self._clock_demand.discard(owner)
        want = bool(self._clock_demand)
        if want == self._clock_on or self._destroyed:
            return
        manager = self._ep.audDevManager()
        if want:
            manager.setNullDev()
        else:
            manager.setNoDev()
        self._clock_on = want

    def set_media_demand(self, owner: str, needed: bool) -> None:
        """Run the media thread (RTP/RTCP of calls) while anyone needs it."""
        if needed:
            self._media_demand.add(owner)
        else:
            self._media_demand.discard(owner)
        if self._media_poller is not None and not self._destroyed:
            self._media_poller.set_active(bool(self._media_demand))

    # ------------------------------------------------------------------ network

    def handle_ip_change(self) -> None:
        """The local IP address changed: restart listeners, re-register, update calls."""
        prm = pj.IpChangeParam()
        prm.restartListener = True
        prm.restartLisDelay = 0
        self._ep.handleIpChange(prm)
        self.sockets_changed()

    def str_error(self, status: int) -> str:
        try:
            return str(self._ep.utilStrError(status))
        except Exception:
            return f"error {status}"

    # ------------------------------------------------------------------ shutdown

    def shutdown(self) -> None:
        """Close every engine (hang up, unregister, shut accounts down), then libDestroy."""
        if self._destroyed:
            return
        try:
            for client in list(reversed(self._clients)):
                try:
                    client.close()
                except Exception:
                    log.exception("closing a SIP engine failed")
            self._clients.clear()
            gc.collect()
        finally:
            self._destroyed = True
            if self._media_poller is not None:
                self._media_poller.stop()
                self._media_poller = None
            if self._timer_heap is not None:
                self._timer_heap.close()
            ep = self._ep
            try:
                ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
            finally:
                self._ep = None
                self._writer = None
                del ep
                gc.collect()
                with _Registry.lock:
                    _Registry.current = None
