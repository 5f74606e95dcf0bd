"""The one pjsua2 Endpoint of the process: creation, transports, STUN, codecs, SIP trace, shutdown.

Created on the calling (Qt main) thread with ``threadCnt = 0`` and ``mainThreadOnly = True``:
every pjsua2 callback then runs on that thread, inside ``libHandleEvents`` called by
`communicator.ui.pump.Pump`. Creating a second `SipEndpoint` raises `EndpointExistsError`.

Shutdown order (each step reproduced as a crash when skipped): engines hang up every call and
drop their Call, recorder and player objects, ``gc.collect()``, accounts are unregistered and
shut down, then ``libDestroy`` (``PJSUA_DESTROY_NO_NETWORK`` once nothing is registered, which
takes ~27 ms instead of ~1 s). `SipEndpoint.shutdown` does all of it and is safe to call twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pjsua2 as pj

from communicator.provisioning.schema import CodecReport, VoipProfile, canonical_codec
from communicator.sip.polling import PollHint
from communicator.sip.sipmsg import scrub
from communicator.sip.sockopts import tcp_nodelay_params
from communicator.sip.wakeup import SipSockets, SocketScanner, TimerHeap, TimeVal

log = logging.getLogger(__name__)
trace_log = logging.getLogger("communicator.sip.trace")

TRACE_ENV = "COMMUNICATOR_SIP_TRACE"
TRACE_LEVEL = 5
QUIET_LEVEL = 2
"""pjsua log levels: 5 with the SIP messages, 2 errors and warnings only."""

TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


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


@dataclass(frozen=True)
class TransportAddress:
    kind: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def default_ca_file() -> str | None:
    """The system CA bundle OpenSSL would use, if there is one."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _LogWriter(pj.LogWriter):
    """pjsua's log to Python logging, Authorization headers scrubbed."""

    def write(self, entry: Any) -> None:
        try:
            level = int(entry.level)
            py_level = (
                logging.ERROR
                if level <= 1
                else logging.WARNING
                if level == 2
                else logging.INFO
                if level == 3
                else logging.DEBUG
            )
            if trace_log.isEnabledFor(py_level):
                trace_log.log(py_level, "%s", scrub(str(entry.msg)).rstrip())
        except Exception:  # never raise into pjsua2
            return


@functools.cache
def pjsua2_c_library() -> ctypes.CDLL:
    """The pjsua2 extension module opened as a C library: pjproject functions that pjsua2
    does not wrap. Callers declare the argtypes of what they call."""
    return ctypes.CDLL(pj._pjsua2.__file__)


class MediaPoller:
    """Polls pjmedia's ioqueue (RTP/RTCP) on a thread of ours, only while calls need it.

    pjmedia's own worker thread calls ``pj_ioqueue_poll`` with a 10 ms timeout for the whole
    life of the endpoint: 100 wake-ups a second with no call at all (measured: ~0.3 % of a
    core). pjsua insists on one worker when pjmedia has its own ioqueue, so after
    ``libInit`` pjmedia's workers are stopped (``pjmedia_endpt_stop_threads``; pjmedia keeps
    its ioqueue) and this thread does exactly what the worker did - but waits on an Event, at
    no cost, while no call exists. It is registered with pjlib, never runs Python callbacks
    (pjsua2 queues callbacks from other threads for the main thread), and is stopped before
    ``libDestroy``.
    """

    POLL_MS = 100
    """Packets end a poll at once; the timeout only bounds how late a stop or pause is seen
    (pjmedia's worker uses 10 ms; longer means fewer GIL round trips on quiet calls)."""

    def __init__(self, ep: Any) -> None:
        lib = pjsua2_c_library()
        lib.pjsua_get_pjmedia_endpt.restype = ctypes.c_void_p
        lib.pjmedia_endpt_get_ioqueue.restype = ctypes.c_void_p
        lib.pjmedia_endpt_get_ioqueue.argtypes = [ctypes.c_void_p]
        lib.pj_ioqueue_poll.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.pjmedia_endpt_stop_threads.argtypes = [ctypes.c_void_p]
        self._lib = lib
        media_endpoint = lib.pjsua_get_pjmedia_endpt()
        self._ioqueue = lib.pjmedia_endpt_get_ioqueue(media_endpoint)
        if not self._ioqueue:
            raise RuntimeError("pjmedia has no ioqueue of its own")
        if lib.pjmedia_endpt_stop_threads(media_endpoint) != 0:
            raise RuntimeError("pjmedia's worker threads could not be stopped")
        self._ep = ep
        self._active = threading.Event()
        self._stopping = False
        self._registered = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pjmedia-io", daemon=True)
        self._thread.start()
        self._registered.wait(5.0)

    def set_active(self, active: bool) -> None:
        if active:
            self._active.set()
        else:
            self._active.clear()

    def _run(self) -> None:
        try:
            self._ep.libRegisterThread("pjmedia-io")
        finally:
            self._registered.set()
        timeout = TimeVal(0, self.POLL_MS)
        poll = self._lib.pj_ioqueue_poll
        ioqueue = self._ioqueue
        while True:
            self._active.wait()
            if self._stopping:
                return
            poll(ioqueue, ctypes.byref(timeout))

    def stop(self) -> None:
        self._stopping = True
        self._active.set()
        self._thread.join(5.0)


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


def _set_log_level(level: int) -> bool:
    """Change pjlib's log level at run time (pjsua2 has no API for it)."""
    try:
        lib = pjsua2_c_library()
        lib.pj_log_set_level(ctypes.c_int(level))
    except (OSError, AttributeError):
        return False
    return True


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
        self._transports: dict[tuple[str, str | None, bool], int] = {}
        self._stun: tuple[str, ...] = ()
        self._codec_key: tuple[str, ...] | None = None
        self._codec_report: CodecReport | None = None
        self._thread = threading.get_ident()
        self._clock_demand: set[str] = set()
        self._clock_on = False
        self._media_demand: set[str] = set()
        self._media_poller: MediaPoller | None = None
        self._sip_peers: dict[str, frozenset[tuple[str, int]]] = {}
        self._scanner = SocketScanner()
        self._watch_generation = 0
        self._watched: tuple[int, frozenset[int] | None] = (-1, None)
        self._socket_inodes: frozenset[int] = frozenset()
        self._timer_heap: TimerHeap | None = None
        self._destroyed = False
        self.wakeup: Callable[[], None] = lambda: None
        """Set by the pump: poll soon (after an engine command)."""
        env = os.environ.get(TRACE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
        self._trace = env if self.options.sip_trace is None else self.options.sip_trace
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
        writer = _LogWriter()
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
        return self._watch_generation

    def sockets_changed(self) -> None:
        self._watch_generation += 1

    def set_sip_peers(self, owner: str, peers: Iterable[tuple[str, int]]) -> None:
        """Addresses of the SIP servers/proxies an engine talks to over TCP/TLS."""
        wanted = frozenset(peers)
        if self._sip_peers.get(owner) != wanted:
            if wanted:
                self._sip_peers[owner] = wanted
            else:
                self._sip_peers.pop(owner, None)
            self.sockets_changed()

    def check_sockets(self) -> None:
        """Cheap periodic check (the pump's slow tick): rescan if our sockets changed."""
        if not self._scanner.supported:
            return
        inodes = self._scanner.socket_inode_set()
        if inodes != self._socket_inodes:
            self._socket_inodes = inodes
            self.sockets_changed()

    def watched_fds(self) -> frozenset[int] | None:
        """pjsip's socket descriptors to wake up on (None: not available; poll instead)."""
        if self._destroyed:
            return None
        generation, fds = self._watched
        if generation == self._watch_generation:
            return fds
        udp: set[int] = set()
        tcp: set[int] = set()
        try:
            for (kind, _, _), tid in self._transports.items():
                info = self._ep.transportGetInfo(tid)
                _, _, port = str(info.localAddress).rpartition(":")
                (udp if kind == "udp" else tcp).add(int(port))
        except (pj.Error, ValueError):
            fds = None
        else:
            peers = frozenset().union(*self._sip_peers.values()) if self._sip_peers else frozenset()
            wanted = SipSockets(frozenset(udp), frozenset(tcp), peers)
            try:
                fds = self._scanner.scan(wanted)
            except OSError:
                fds = None
        self._watched = (self._watch_generation, fds)
        return fds

    # ------------------------------------------------------------------ SIP trace

    @property
    def sip_trace(self) -> bool:
        return self._trace

    def set_sip_trace(self, enabled: bool) -> None:
        """Switch the SIP message trace (to the ``communicator.sip.trace`` logger) on or off."""
        if _set_log_level(TRACE_LEVEL if enabled else QUIET_LEVEL):
            self._trace = enabled

    # ------------------------------------------------------------------ transports

    def transport_id(
        self, kind: str, *, ca_file: str | None = None, verify_server: bool = True
    ) -> int:
        """The transport of ``kind`` (created on first use). TLS transports are per CA list."""
        self._check_alive()
        kind = kind.lower()
        key = (kind, ca_file if kind == "tls" else None, verify_server if kind == "tls" else True)
        tid = self._transports.get(key)
        if tid is not None:
            return tid
        tcfg = pj.TransportConfig()
        port = self.options.sip_port
        if port and kind == "tls":
            port += 1
        tls_in_use = any(k[0] == "tls" for k in self._transports)
        tcfg.port = 0 if (kind == "tls" and tls_in_use) else port
        if self.options.bound_address:
            tcfg.boundAddress = self.options.bound_address
        if kind in ("tcp", "tls"):
            tcfg.sockOptParams = tcp_nodelay_params()
        if kind == "tls":
            tls = tcfg.tlsConfig
            tls.method = pj.PJSIP_TLSV1_2_METHOD
            ca = ca_file or default_ca_file()
            if ca:
                tls.CaListFile = ca
            tls.verifyServer = verify_server
            tls.sockOptParams = tcp_nodelay_params()
            tcfg.tlsConfig = tls
        tid = int(self._ep.transportCreate(TRANSPORT_TYPES[kind], tcfg))
        self._transports[key] = tid
        self.sockets_changed()
        return tid

    def transport_address(self, tid: int) -> TransportAddress:
        info = self._ep.transportGetInfo(tid)
        host, _, port = str(info.localName).rpartition(":")
        return TransportAddress(str(info.typeName).lower(), host.strip("[]"), int(port))

    def transport_ids(self) -> dict[str, int]:
        """The first transport of each kind."""
        out: dict[str, int] = {}
        for (kind, _, _), tid in self._transports.items():
            out.setdefault(kind, tid)
        return out

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
            rank = {name: index for index, name in enumerate(report.usable)}
            for codec_id in available:
                name = canonical_codec(codec_id)
                if name is None or name not in rank:
                    priority = 0
                else:
                    # 254, 244, ...: room below each for the variants of one codec (speex/16000
                    # before speex/8000), sorted by clock rate, highest first.
                    rate = _clock_rate(codec_id)
                    priority = max(1, 254 - 10 * rank[name] - (0 if rate >= 16000 else 1))
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


def _clock_rate(codec_id: str) -> int:
    parts = codec_id.split("/")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 8000
