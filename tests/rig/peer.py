"""The far-end SIP peer of the test rig: a standalone pjsua2 program driven over stdin/stdout.

Run as ``python -m tests.rig.peer [--name N] [--stun HOST:PORT] [--log-file F]``.
One Endpoint per process, ``threadCnt = 0`` and ``mainThreadOnly = True``: every pjsua2 call and
every callback happens on the main thread, which pumps ``libHandleEvents``. Callbacks only record
what happened into a queue; the main loop turns the records into actions and events.

Protocol (one JSON object per line):

* stdin, commands: ``{"cmd": "register", "req": 7, ...}``. ``req`` is optional and echoed back.
  Every command is answered by ``{"event": "ack", "cmd": ..., "req": ..., ...result}`` or
  ``{"event": "error", "cmd": ..., "req": ..., "message": ...}``.
* stdout, events: ``{"event": "ready" | "reg_state" | "incoming_call" | "call_state" | ...}``.

The real stdout is kept for the JSON events only; the process's fd 1 is pointed at stderr so
that nothing printed by the C libraries can corrupt the event stream.

See ``tests/rig/peer_client.py`` for the Python side and the full list of commands and events.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import queue
import struct
import sys
import threading
import time
import traceback
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import pjsua2 as pj

from communicator.sip.sockopts import tcp_nodelay_params

LOOPBACK = "127.0.0.1"
POLL_MS = 10
DTMF_METHODS = {
    pj.PJSUA_DTMF_METHOD_RFC2833: "rfc4733",
    pj.PJSUA_DTMF_METHOD_SIP_INFO: "sip_info",
}
MEDIA_STATUS = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}
CALL_STATES = {
    pj.PJSIP_INV_STATE_NULL: "NULL",
    pj.PJSIP_INV_STATE_CALLING: "CALLING",
    pj.PJSIP_INV_STATE_INCOMING: "INCOMING",
    pj.PJSIP_INV_STATE_EARLY: "EARLY",
    pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING",
    pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
    pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED",
}
TRANSPORT_STATES = {
    pj.PJSIP_TP_STATE_CONNECTED: "connected",
    pj.PJSIP_TP_STATE_DISCONNECTED: "disconnected",
    pj.PJSIP_TP_STATE_SHUTDOWN: "shutdown",
    pj.PJSIP_TP_STATE_DESTROY: "destroy",
}
SRTP_MODES = {
    "disabled": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}


class CommandError(Exception):
    """A command could not be carried out; reported as an ``error`` event."""


# -- pjsua2 subclasses: callbacks record, nothing else ---------------------------------------------

Record = tuple[Any, ...]


class _Recorder:
    """Mixin for the callback objects: append records; report exceptions as records."""

    records: deque[Record]

    def _guard(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as exc:  # pjsua2 would print and swallow it
            self.records.append(("error", name, f"{type(exc).__name__}: {exc}", _tb()))


def _add_headers(prm: Any, msg: dict[str, Any]) -> None:
    """The command's ``headers`` {name: value} added to the request ``prm`` sends."""
    headers = msg.get("headers") or {}
    if headers:
        vec = pj.SipHeaderVector()
        for name, value in headers.items():
            h = pj.SipHeader()
            h.hName = str(name)
            h.hValue = str(value)
            vec.append(h)
        prm.txOption.headers = vec


def _tb() -> str:
    return "".join(traceback.format_exc(limit=6))


class PeerEndpoint(pj.Endpoint, _Recorder):
    def __init__(self, records: deque[Record]) -> None:
        pj.Endpoint.__init__(self)
        self.records = records

    def onNatDetectionComplete(self, prm: Any) -> None:
        self._guard(
            "onNatDetectionComplete",
            lambda: self.records.append(
                ("nat_detected", prm.status, prm.reason, int(prm.natType), prm.natTypeName)
            ),
        )

    def onNatCheckStunServersComplete(self, prm: Any) -> None:
        self._guard(
            "onNatCheckStunServersComplete",
            lambda: self.records.append(
                ("stun_resolved", prm.status, prm.name, getattr(prm, "addr", ""))
            ),
        )

    def onTransportState(self, prm: Any) -> None:
        def record() -> None:
            tls: dict[str, Any] | None = None
            info = prm.tlsInfo
            if not info.isEmpty():
                tls = {
                    "established": bool(info.established),
                    "protocol": int(info.protocol),
                    "cipher": info.cipherName,
                    "verify_status": int(info.verifyStatus),
                    "verify_msgs": list(info.verifyMsgs),
                    "peer_cn": info.remoteCertInfo.subjectCn,
                    "remote": info.remoteAddr,
                }
            self.records.append(
                ("transport_state", str(prm.type), int(prm.state), int(prm.lastError), tls)
            )

        self._guard("onTransportState", record)


class PeerAccount(pj.Account, _Recorder):
    def __init__(self, records: deque[Record]) -> None:
        pj.Account.__init__(self)
        self.records = records
        self.reinvite_answer: int | None = None
        """Answer the far end's re-INVITEs (hold, resume) with this code (``reinvite_answer``
        command); None: accept them."""

    def onRegState(self, prm: Any) -> None:
        def record() -> None:
            info = self.getInfo()
            self.records.append(
                (
                    "reg_state",
                    int(prm.code),
                    prm.reason,
                    bool(info.regIsActive),
                    int(prm.expiration),
                    int(prm.status),
                )
            )

        self._guard("onRegState", record)

    def onIncomingCall(self, prm: Any) -> None:
        def record() -> None:
            # The Call object must exist now (and be kept) or pjsua2 tears the call down.
            call = PeerCall(self, self.records, prm.callId)
            ci = call.getInfo()
            self.records.append(("incoming_call", call, _call_snapshot(ci), prm.rdata.wholeMsg))

        self._guard("onIncomingCall", record)


def _call_snapshot(ci: Any) -> dict[str, Any]:
    return {
        "call_id": int(ci.id),
        "state": CALL_STATES.get(ci.state, str(ci.state)),
        "code": int(ci.lastStatusCode),
        "reason": ci.lastReason,
        "remote_uri": ci.remoteUri,
        "local_uri": ci.localUri,
        "remote_contact": ci.remoteContact,
        "sip_call_id": ci.callIdString,
        "role": "caller" if ci.role == pj.PJSIP_ROLE_UAC else "callee",
    }


class PeerCall(pj.Call, _Recorder):
    def __init__(
        self, acc: PeerAccount, records: deque[Record], call_id: int | None = None
    ) -> None:
        if call_id is None:
            pj.Call.__init__(self, acc)
        else:
            pj.Call.__init__(self, acc, call_id)
        self.acc = acc
        self.records = records

    def onCallState(self, prm: Any) -> None:
        self._guard(
            "onCallState",
            lambda: self.records.append(("call_state", self, _call_snapshot(self.getInfo()))),
        )

    def onCallMediaState(self, prm: Any) -> None:
        def record() -> None:
            ci = self.getInfo()
            media = [
                (int(m.index), MEDIA_STATUS.get(m.status, str(m.status)), int(m.dir))
                for m in ci.media
                if m.type == pj.PJMEDIA_TYPE_AUDIO
            ]
            self.records.append(("media_state", self, int(ci.id), media))

        self._guard("onCallMediaState", record)

    def onDtmfDigit(self, prm: Any) -> None:
        self._guard(
            "onDtmfDigit",
            lambda: self.records.append(
                ("dtmf", self, self.getId(), prm.digit, DTMF_METHODS.get(prm.method, "unknown"))
            ),
        )

    def onCallTsxState(self, prm: Any) -> None:
        def record() -> None:
            tsx = prm.e.body.tsxState.tsx
            self.records.append(
                ("tsx_state", self, tsx.method, int(tsx.role), int(tsx.state), int(tsx.statusCode))
            )

        self._guard("onCallTsxState", record)

    def onCallRxReinvite(self, prm: Any) -> None:
        def answer() -> None:
            code = self.acc.reinvite_answer
            if code is not None:
                prm.statusCode = code
                self.records.append(("reinvite_refused", self, self.getId(), code))

        self._guard("onCallRxReinvite", answer)

    def onCallTransferRequest(self, prm: Any) -> None:
        def record() -> None:
            # Accept (202 is the default) and give pjsua2 the Call that carries the new call.
            new_call = PeerCall(self.acc, self.records)
            prm.newCall = new_call
            self.records.append(("transfer_request", self, self.getId(), prm.dstUri, new_call))

        self._guard("onCallTransferRequest", record)

    def onCallTransferStatus(self, prm: Any) -> None:
        self._guard(
            "onCallTransferStatus",
            lambda: self.records.append(
                (
                    "transfer_status",
                    self,
                    self.getId(),
                    int(prm.statusCode),
                    prm.reason,
                    bool(prm.finalNotify),
                )
            ),
        )

    follow_redirects = False
    """Set by the ``follow_redirects`` command: accept 3xx targets (pjsua2's default stops)."""

    def onCallRedirected(self, prm: Any) -> int:
        try:
            self.records.append(("redirected", self, self.getId(), str(prm.targetUri)))
        except BaseException as exc:
            self.records.append(
                ("error", "onCallRedirected", f"{type(exc).__name__}: {exc}", _tb())
            )
        return pj.PJSIP_REDIRECT_ACCEPT_REPLACE if self.follow_redirects else pj.PJSIP_REDIRECT_STOP

    def onCallReplaceRequest(self, prm: Any) -> None:
        self._guard(
            "onCallReplaceRequest",
            lambda: self.records.append(("replace_request", self, self.getId())),
        )

    def onCallReplaced(self, prm: Any) -> None:
        def record() -> None:
            new_call = PeerCall(self.acc, self.records, prm.newCallId)
            prm.newCall = new_call
            self.records.append(("replaced", self, self.getId(), int(prm.newCallId), new_call))

        self._guard("onCallReplaced", record)


# -- state kept by the main loop -------------------------------------------------------------------


@dataclass
class Recording:
    path: str
    call_id: int
    recorder: Any
    stop_at: float | None
    started: float = field(default_factory=time.monotonic)


@dataclass
class PendingWav:
    path: str
    call_id: int
    deadline: float
    duration_ms: int


@dataclass
class CallState:
    call: PeerCall
    tone: Any = None
    tone_freq: float | None = None
    recordings: list[Recording] = field(default_factory=list)
    info_digits: deque[str] = field(default_factory=deque)
    info_in_flight: bool = False
    media_active: bool = False
    player: Any = None  # the echo greeting while it plays
    echo_at: float | None = None  # when the greeting ends and the echo starts
    echoing: bool = False
    hangup_at: float | None = None


@dataclass
class EchoPlan:
    """``echo``: every answered call hears ``greeting`` (a WAV), then its own audio."""

    greeting: str | None
    greeting_s: float
    hangup_after_s: float | None


@dataclass
class RingPlan:
    """``ring_every``: call ``uri`` every ``interval_s``; give up after ``give_up_s`` unanswered."""

    uri: str
    interval_s: float
    give_up_s: float
    next_at: float
    call: PeerCall | None = None
    give_up_at: float = 0.0


def wav_seconds(path: str) -> float:
    with wave.open(path, "rb") as w:
        return w.getnframes() / float(w.getframerate())


def wav_is_complete(path: str) -> tuple[bool, int]:
    """Whether pjmedia has written the final RIFF/data sizes; also the size of the audio data."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return False, 0
    if len(header) < 44 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return False, 0
    (riff_size,) = struct.unpack("<I", header[4:8])
    pos = 12
    while pos + 8 <= len(header):
        cid = header[pos : pos + 4]
        (clen,) = struct.unpack("<I", header[pos + 4 : pos + 8])
        if cid == b"data":
            data_size = size - (pos + 8)
            return (clen == data_size and riff_size == size - 8 and clen > 0), data_size
        pos += 8 + clen
    return False, 0


class Peer:
    def __init__(self, args: argparse.Namespace, out: IO[str]) -> None:
        self.args = args
        self.name: str = args.name
        self.out = out
        self.records: deque[Record] = deque()
        self.commands: queue.Queue[str | None] = queue.Queue()
        self.ep: PeerEndpoint | None = None
        self.acc: PeerAccount | None = None
        self.calls: dict[int, CallState] = {}
        self.unbound: list[PeerCall] = []  # transfer targets before pjsua gives them an id
        self.pending_wavs: list[PendingWav] = []
        self.transports: dict[str, int] = {}
        self.tls_ca: str | None = None
        self.auto_answer: int | None = None
        self.ring_incoming = True
        self.echo: EchoPlan | None = None
        self.ring: RingPlan | None = None
        self.running = True
        self.seq = 0
        self.reg_events = 0

    # -- output --------------------------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> None:
        self.seq += 1
        line = json.dumps({"event": event, "seq": self.seq, **fields}, default=str)
        self.out.write(line + "\n")
        self.out.flush()

    # -- setup ---------------------------------------------------------------------------------

    def start(self) -> None:
        ep = PeerEndpoint(self.records)
        self.ep = ep
        ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = 16
        cfg.uaConfig.userAgent = f"communicator-rig-peer/{self.name}"
        for server in self.args.stun or []:
            cfg.uaConfig.stunServer.append(server)
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.level = self.args.log_level
        if self.args.log_file:
            cfg.logConfig.filename = self.args.log_file
        cfg.medConfig.sndAutoCloseTime = -1
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        ep.libInit(cfg)
        ep.audDevManager().setNullDev()
        self._create_transport("udp")
        self._create_transport("tcp")
        ep.libStart()

    def _transport_config(self) -> Any:
        tcfg = pj.TransportConfig()
        tcfg.port = 0
        tcfg.boundAddress = LOOPBACK
        return tcfg

    def _create_transport(self, kind: str, ca_file: str | None = None, verify: bool = True) -> int:
        assert self.ep is not None
        tcfg = self._transport_config()
        if kind == "udp":
            ttype = pj.PJSIP_TRANSPORT_UDP
        elif kind == "tcp":
            ttype = pj.PJSIP_TRANSPORT_TCP
            tcfg.sockOptParams = tcp_nodelay_params()
        elif kind == "tls":
            ttype = pj.PJSIP_TRANSPORT_TLS
            tcfg.sockOptParams = tcp_nodelay_params()
            tls = tcfg.tlsConfig
            tls.method = pj.PJSIP_TLSV1_2_METHOD
            if ca_file:
                tls.CaListFile = ca_file
            tls.verifyServer = verify
            tls.sockOptParams = tcp_nodelay_params()
            tcfg.tlsConfig = tls
        else:
            raise CommandError(f"unknown transport {kind!r}")
        tid = int(self.ep.transportCreate(ttype, tcfg))
        self.transports[kind] = tid
        return tid

    def transport_info(self) -> dict[str, dict[str, Any]]:
        assert self.ep is not None
        result: dict[str, dict[str, Any]] = {}
        for kind, tid in self.transports.items():
            info = self.ep.transportGetInfo(tid)
            result[kind] = {"id": tid, "local_name": info.localName, "local": info.localAddress}
        return result

    # -- main loop -----------------------------------------------------------------------------

    def run(self) -> None:
        assert self.ep is not None
        self.emit(
            "ready",
            name=self.name,
            pid=os.getpid(),
            transports=self.transport_info(),
            stun=list(self.args.stun or []),
        )
        while self.running:
            self.ep.libHandleEvents(POLL_MS)
            self.drain_records()
            self.drain_commands()
            self.tick()

    def drain_commands(self) -> None:
        while self.running:
            try:
                line = self.commands.get_nowait()
            except queue.Empty:
                return
            if line is None:  # stdin closed: the test process has gone
                self.running = False
                return
            self.handle_line(line)
            self.drain_records()

    def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict) or "cmd" not in msg:
                raise CommandError("a command is a JSON object with a 'cmd' key")
        except (ValueError, CommandError) as exc:
            self.emit("error", cmd=None, req=None, message=f"bad command line {line!r}: {exc}")
            return
        cmd = str(msg["cmd"])
        req = msg.get("req")
        handler = getattr(self, f"cmd_{cmd}", None)
        if handler is None:
            self.emit("error", cmd=cmd, req=req, message=f"unknown command {cmd!r}")
            return
        try:
            result = handler(msg) or {}
        except CommandError as exc:
            self.emit("error", cmd=cmd, req=req, message=str(exc))
        except pj.Error as exc:
            self.emit("error", cmd=cmd, req=req, message=f"pjsua2: {exc.info()}")
        except Exception as exc:
            self.emit(
                "error", cmd=cmd, req=req, message=f"{type(exc).__name__}: {exc}", traceback=_tb()
            )
        else:
            self.emit("ack", cmd=cmd, req=req, **result)

    def tick(self) -> None:
        now = time.monotonic()
        for st in list(self.calls.values()):
            for rec in list(st.recordings):
                if rec.stop_at is not None and now >= rec.stop_at:
                    self._stop_recording(st, rec)
        for pending in list(self.pending_wavs):
            complete, size = wav_is_complete(pending.path)
            if complete or now >= pending.deadline:
                self.pending_wavs.remove(pending)
                self.emit(
                    "recorded",
                    path=pending.path,
                    call_id=pending.call_id,
                    complete=complete,
                    bytes=size,
                    duration_ms=pending.duration_ms,
                )
        try:
            self._echo_tick(now)
            self._ring_tick(now)
        except pj.Error as exc:
            self.emit("error", cmd=None, where="tick", message=f"pjsua2: {exc.info()}")

    # -- records from callbacks ----------------------------------------------------------------

    def _state_for(self, call: PeerCall) -> CallState | None:
        cid = int(call.getId())
        if cid < 0:
            return None
        st = self.calls.get(cid)
        if st is None or st.call is not call:
            st = CallState(call)
            self.calls[cid] = st
            if call in self.unbound:
                self.unbound.remove(call)
        return st

    def drain_records(self) -> None:
        while self.records:
            rec = self.records.popleft()
            try:
                self.handle_record(rec)
            except pj.Error as exc:
                self.emit("error", cmd=None, where=rec[0], message=f"pjsua2: {exc.info()}")
            except Exception as exc:
                self.emit(
                    "error",
                    cmd=None,
                    where=rec[0],
                    message=f"{type(exc).__name__}: {exc}",
                    traceback=_tb(),
                )

    def handle_record(self, rec: Record) -> None:
        kind = rec[0]
        if kind == "error":
            _, where, message, tb = rec
            self.emit("error", cmd=None, where=where, message=message, traceback=tb)
        elif kind == "reg_state":
            _, code, reason, active, expires, status = rec
            self.reg_events += 1
            self.emit(
                "reg_state", code=code, reason=reason, active=active, expires=expires, status=status
            )
        elif kind == "incoming_call":
            _, call, snap, msg = rec
            st = self._state_for(call)
            self.emit(
                "incoming_call",
                **snap,
                replaces="\nReplaces:" in msg or "\r\nReplaces:" in msg,
                message=msg[:4000],
            )
            if st is not None:
                self._auto_respond(st)
        elif kind == "call_state":
            _, call, snap = rec
            cid = snap["call_id"]
            st = self.calls.get(cid)
            if st is None or st.call is not call:
                st = self._state_for(call)
            self.emit("call_state", **snap)
            if snap["state"] == "DISCONNECTED" and st is not None:
                self._forget_call(st)
        elif kind == "media_state":
            _, call, cid, media = rec
            st = self._state_for(call)
            for idx, status, direction in media:
                codec = None
                with contextlib.suppress(pj.Error):
                    si = call.getStreamInfo(idx)
                    codec = f"{si.codecName}/{si.codecClockRate}"
                self.emit(
                    "media_state",
                    call_id=cid,
                    index=idx,
                    state=status,
                    hold=status in ("local_hold", "remote_hold"),
                    dir=direction,
                    codec=codec,
                )
            if st is not None:
                st.media_active = any(status == "active" for _, status, _ in media)
                if st.media_active:
                    self._connect_media(st)
                    if self.echo is not None:
                        self._echo_media(st, self.echo)
        elif kind == "dtmf":
            _, call, cid, digit, method = rec
            self.emit("dtmf", call_id=cid, digit=digit, method=method)
        elif kind == "tsx_state":
            _, call, method, role, state, code = rec
            st = self._state_for(call)
            if (
                st is not None
                and method == "INFO"
                and role == pj.PJSIP_ROLE_UAC
                and state >= pj.PJSIP_TSX_STATE_COMPLETED
                and st.info_in_flight
            ):
                st.info_in_flight = False
                self._send_next_info_digit(st)
        elif kind == "reinvite_refused":
            _, call, cid, code = rec
            self.emit("reinvite_refused", call_id=cid, code=code)
        elif kind == "transfer_request":
            _, call, cid, dst, new_call = rec
            self.unbound.append(new_call)
            self.emit("transfer_request", call_id=cid, target=dst)
        elif kind == "transfer_status":
            _, call, cid, code, reason, final = rec
            self.emit("transfer_status", call_id=cid, code=code, reason=reason, final=final)
        elif kind == "redirected":
            _, call, cid, target = rec
            self.emit("redirected", call_id=cid, target=target, followed=PeerCall.follow_redirects)
        elif kind == "replace_request":
            _, call, cid = rec
            self.emit("replace_request", call_id=cid)
        elif kind == "replaced":
            _, call, old_id, new_id, new_call = rec
            self._state_for(new_call)
            self.emit("replaced", call_id=old_id, new_call_id=new_id)
        elif kind == "nat_detected":
            _, status, reason, nat_type, nat_name = rec
            self.emit(
                "stun",
                kind="nat_type",
                status=status,
                reason=reason,
                nat_type=nat_type,
                nat_type_name=nat_name,
            )
        elif kind == "stun_resolved":
            _, status, name, addr = rec
            self.emit("stun", kind="resolved", status=status, server=name, address=str(addr))
        elif kind == "transport_state":
            _, ttype, state, last_error, tls = rec
            self.emit(
                "transport_state",
                type=ttype.lower(),
                state=TRANSPORT_STATES.get(state, str(state)),
                last_error=last_error,
                tls=tls,
            )
        else:
            self.emit("error", cmd=None, message=f"unhandled record {kind!r}")

    def _auto_respond(self, st: CallState) -> None:
        prm = pj.CallOpParam()
        if self.auto_answer is not None:
            prm.statusCode = self.auto_answer
        elif self.ring_incoming:
            prm.statusCode = 180
        else:
            return
        st.call.answer(prm)

    def _forget_call(self, st: CallState) -> None:
        for rec in list(st.recordings):
            self._stop_recording(st, rec)
        if st.tone is not None:
            with contextlib.suppress(pj.Error):
                st.tone.stop()
            st.tone = None
        st.player = None
        cid = int(st.call.getId())
        for key, value in list(self.calls.items()):
            if value is st or key == cid:
                del self.calls[key]

    def _audio_media(self, st: CallState) -> Any:
        try:
            return st.call.getAudioMedia(-1)
        except pj.Error as exc:
            raise CommandError(f"call {st.call.getId()} has no active audio: {exc.info()}") from exc

    def _connect_media(self, st: CallState) -> None:
        """(Re)connect the call's tone and recorders after its media became active."""
        if st.tone is None and not st.recordings:
            return
        med = self._audio_media(st)
        if st.tone is not None:
            st.tone.startTransmit(med)
        for rec in st.recordings:
            med.startTransmit(rec.recorder)

    # -- command helpers -----------------------------------------------------------------------

    def _call(self, msg: dict[str, Any]) -> CallState:
        cid = msg.get("call_id")
        if cid is None:
            live = list(self.calls.values())
            if len(live) == 1:
                return live[0]
            raise CommandError(f"call_id needed ({len(live)} calls)")
        st = self.calls.get(int(cid))
        if st is None:
            raise CommandError(f"no call {cid} (calls: {sorted(self.calls)})")
        return st

    def _require_account(self) -> PeerAccount:
        if self.acc is None:
            raise CommandError("no account: send 'register' first")
        return self.acc

    def _set_codecs(self, codecs: list[str], exclusive: bool) -> list[str]:
        assert self.ep is not None
        infos = list(self.ep.codecEnum2())
        chosen: list[str] = []
        for wanted in codecs:
            matches = [c.codecId for c in infos if c.codecId.lower().startswith(wanted.lower())]
            if not matches:
                raise CommandError(
                    f"no codec matches {wanted!r} (have {[c.codecId for c in infos]})"
                )
            chosen.extend(m for m in matches if m not in chosen)
        for info in infos:
            if info.codecId in chosen:
                continue
            self.ep.codecSetPriority(info.codecId, 0 if exclusive else 1)
        for n, cid in enumerate(chosen):
            self.ep.codecSetPriority(cid, 255 - n)
        return chosen

    # -- commands ------------------------------------------------------------------------------

    def cmd_ping(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"calls": sorted(self.calls)}

    def cmd_info(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.ep is not None
        result: dict[str, Any] = {"transports": self.transport_info(), "calls": []}
        for _cid, st in sorted(self.calls.items()):
            snap = _call_snapshot(st.call.getInfo())
            snap["media_active"] = st.media_active
            result["calls"].append(snap)
        if self.acc is not None:
            ai = self.acc.getInfo()
            result["account"] = {
                "uri": ai.uri,
                "active": bool(ai.regIsActive),
                "code": int(ai.regStatus),
                "expires": int(ai.regExpiresSec),
            }
        codecs = [(c.codecId, int(c.priority)) for c in self.ep.codecEnum2()]
        result["codecs"] = [c for c in sorted(codecs, key=lambda c: -c[1]) if c[1] > 0]
        try:
            result["nat_type"] = int(self.ep.natGetType())
        except pj.Error as exc:
            result["nat_type"] = exc.info()
        return result

    def cmd_codecs(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"codecs": self._set_codecs(list(msg["codecs"]), bool(msg.get("exclusive")))}

    def cmd_register(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.ep is not None
        user = str(msg["user"])
        domain = str(msg["domain"])
        transport = str(msg.get("transport", "udp")).lower()
        if transport not in ("udp", "tcp", "tls"):
            raise CommandError(f"unknown transport {transport!r}")
        if transport == "tls":
            ca = msg.get("ca_file")
            if "tls" not in self.transports:
                self._create_transport("tls", ca, bool(msg.get("verify_server", True)))
                self.tls_ca = ca
            elif ca != self.tls_ca:
                raise CommandError("the TLS transport exists already with another ca_file")
        if msg.get("stun"):
            servers = pj.StringVector()
            stun = msg["stun"]
            for s in [stun] if isinstance(stun, str) else stun:
                servers.append(str(s))
            self.ep.natUpdateStunServers(servers, False)
        chosen = (
            self._set_codecs(list(msg["codecs"]), bool(msg.get("codecs_exclusive")))
            if (msg.get("codecs"))
            else []
        )

        acfg = pj.AccountConfig()
        acfg.idUri = str(msg.get("id_uri") or f"sip:{user}@{domain}")
        if msg.get("display_name"):
            acfg.idUri = f'"{msg["display_name"]}" <{acfg.idUri}>'
        acfg.regConfig.registrarUri = str(msg.get("registrar") or f"sip:{domain}")
        acfg.regConfig.registerOnAdd = bool(msg.get("register", True))
        acfg.regConfig.timeoutSec = int(msg.get("expires", 300))
        acfg.regConfig.retryIntervalSec = int(msg.get("retry_interval", 300))
        acfg.regConfig.firstRetryIntervalSec = int(msg.get("first_retry_interval", 0))
        acfg.regConfig.randomRetryIntervalSec = int(msg.get("random_retry_interval", 0))
        acfg.regConfig.delayBeforeRefreshSec = int(msg.get("delay_before_refresh", 5))
        proxy = msg.get("proxy")
        if proxy:
            acfg.sipConfig.proxies.append(str(proxy))
        acfg.sipConfig.transportId = self.transports[transport]
        cred = pj.AuthCredInfo("digest", "*", str(msg.get("auth_user") or user), 0, "")
        cred.data = str(msg.get("password", ""))
        acfg.sipConfig.authCreds.append(cred)
        srtp = str(msg.get("srtp", "disabled")).lower()
        if srtp not in SRTP_MODES:
            raise CommandError(f"srtp must be one of {sorted(SRTP_MODES)}")
        acfg.mediaConfig.srtpUse = SRTP_MODES[srtp]
        acfg.mediaConfig.srtpSecureSignaling = int(msg.get("srtp_secure_signaling", 0))
        acfg.mediaConfig.transportConfig.boundAddress = LOOPBACK
        # A relay in front of this peer's media (tests/rig/udp_relay.py): the SDP names the
        # relay's address while RTP stays bound to loopback, on a port the test chose.
        if msg.get("media_public_address"):
            acfg.mediaConfig.transportConfig.publicAddress = str(msg["media_public_address"])
        if msg.get("media_port"):
            acfg.mediaConfig.transportConfig.port = int(msg["media_port"])
            acfg.mediaConfig.transportConfig.portRange = 1
        acfg.natConfig.sipOutboundUse = int(msg.get("sip_outbound", 1))
        acfg.natConfig.contactRewriteUse = int(msg.get("contact_rewrite", 1))
        acfg.natConfig.viaRewriteUse = int(msg.get("via_rewrite", 1))
        acfg.natConfig.udpKaIntervalSec = int(msg.get("udp_keepalive", 0))

        self._drop_account()
        acc = PeerAccount(self.records)
        acc.create(acfg)
        self.acc = acc
        return {"aor": f"sip:{user}@{domain}", "transport": transport, "codecs": chosen}

    def _drop_account(self) -> None:
        if self.acc is None:
            return
        for st in list(self.calls.values()):
            with contextlib.suppress(pj.Error):
                st.call.hangup(pj.CallOpParam(True))
        acc = self.acc
        self.acc = None
        with contextlib.suppress(pj.Error):
            acc.shutdown()
        del acc
        gc.collect()

    def cmd_unregister(self, msg: dict[str, Any]) -> dict[str, Any]:
        self._require_account().setRegistration(False)
        return {}

    def cmd_reregister(self, msg: dict[str, Any]) -> dict[str, Any]:
        self._require_account().setRegistration(True)
        return {}

    def cmd_nat_detect(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.ep is not None
        self.ep.natDetectType()
        return {}

    def cmd_call(self, msg: dict[str, Any]) -> dict[str, Any]:
        acc = self._require_account()
        call = PeerCall(acc, self.records)
        prm = pj.CallOpParam(True)
        if msg.get("late_offer"):
            prm.opt.flag |= pj.PJSUA_CALL_NO_SDP_OFFER
        _add_headers(prm, msg)
        call.makeCall(str(msg["uri"]), prm)
        cid = int(call.getId())
        self.calls[cid] = CallState(call)
        return {"call_id": cid}

    def cmd_call_timed(self, msg: dict[str, Any]) -> dict[str, Any]:
        """``call``, also returning ``sent_at``: this process's ``time.monotonic()`` just before
        the INVITE is made (CLOCK_MONOTONIC: comparable with other processes on the host)."""
        sent_at = time.monotonic()
        return {**self.cmd_call(msg), "sent_at": sent_at}

    def cmd_answer(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        prm = pj.CallOpParam()
        prm.statusCode = int(msg.get("code", 200))
        if msg.get("reason"):
            prm.reason = str(msg["reason"])
        st.call.answer(prm)
        return {"call_id": int(st.call.getId())}

    def cmd_auto_answer(self, msg: dict[str, Any]) -> dict[str, Any]:
        enabled = bool(msg.get("enabled", msg.get("on", True)))
        self.auto_answer = int(msg.get("code", 200)) if enabled else None
        self.ring_incoming = bool(msg.get("ring", True))
        return {"code": self.auto_answer}

    def cmd_hangup(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.ep is not None
        target = msg.get("call_id", "all")
        if target == "all":
            self.ep.hangupAllCalls()
            return {"call_id": "all"}
        st = self._call(msg)
        prm = pj.CallOpParam(True)
        if msg.get("code"):
            prm.statusCode = int(msg["code"])
        _add_headers(prm, msg)  # on an unanswered call of ours they go in the CANCEL
        st.call.hangup(prm)
        return {"call_id": int(st.call.getId())}

    def cmd_reinvite_answer(self, msg: dict[str, Any]) -> dict[str, Any]:
        code = msg.get("code")
        self._require_account().reinvite_answer = None if code is None else int(code)
        return {"code": code}

    def cmd_hold(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        st.call.setHold(pj.CallOpParam(True))
        return {"call_id": int(st.call.getId())}

    def cmd_unhold(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        prm = pj.CallOpParam(True)
        prm.opt.flag |= pj.PJSUA_CALL_UNHOLD
        st.call.reinvite(prm)
        return {"call_id": int(st.call.getId())}

    def cmd_dtmf(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        digits = str(msg["digits"])
        method = str(msg.get("method", "rfc4733")).lower()
        if method in ("rfc4733", "rfc2833"):
            st.call.dialDtmf(digits)
        elif method == "sip_info":
            # One INFO at a time: a multi-worker proxy may reorder concurrent transactions.
            st.info_digits.extend(digits)
            if not st.info_in_flight:
                self._send_next_info_digit(st)
        else:
            raise CommandError("method must be rfc4733 or sip_info")
        return {"call_id": int(st.call.getId()), "digits": digits, "method": method}

    def _send_next_info_digit(self, st: CallState) -> None:
        if not st.info_digits:
            return
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        prm.digits = st.info_digits.popleft()
        prm.duration = 160
        st.info_in_flight = True
        st.call.sendDtmf(prm)

    def cmd_xfer(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        st.call.xfer(str(msg["uri"]), pj.CallOpParam(True))
        return {"call_id": int(st.call.getId())}

    def cmd_xfer_replaces(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        dest = self.calls.get(int(msg["dest_call_id"]))
        if dest is None:
            raise CommandError(f"no call {msg['dest_call_id']}")
        st.call.xferReplaces(dest.call, pj.CallOpParam(True))
        return {"call_id": int(st.call.getId()), "dest_call_id": int(dest.call.getId())}

    def cmd_play_tone(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        freq = float(msg.get("freq", 440))
        if st.tone is not None:
            with contextlib.suppress(pj.Error):
                st.tone.stop()
            st.tone = None
        if freq <= 0:
            return {"call_id": int(st.call.getId()), "freq": 0}
        tone = pj.ToneGenerator()
        tone.createToneGenerator(16000, 1)
        desc = pj.ToneDesc()
        desc.freq1 = int(freq)
        desc.freq2 = 0
        desc.on_msec = 10000
        desc.off_msec = 0
        desc.volume = int(msg.get("volume", 0))
        tones = pj.ToneDescVector()
        tones.append(desc)
        tone.play(tones, True)
        st.tone = tone
        st.tone_freq = freq
        if st.media_active:
            tone.startTransmit(self._audio_media(st))
        return {"call_id": int(st.call.getId()), "freq": freq}

    def cmd_stop_tone(self, msg: dict[str, Any]) -> dict[str, Any]:
        return self.cmd_play_tone({**msg, "freq": 0})

    def cmd_record(self, msg: dict[str, Any]) -> dict[str, Any]:
        st = self._call(msg)
        path = os.path.abspath(str(msg["path"]))
        if any(r.path == path for s in self.calls.values() for r in s.recordings):
            raise CommandError(f"already recording to {path}")
        rec = pj.AudioMediaRecorder()
        rec.createRecorder(path)
        duration_ms = msg.get("duration_ms")
        stop_at = time.monotonic() + int(duration_ms) / 1000 if duration_ms else None
        recording = Recording(path, int(st.call.getId()), rec, stop_at)
        st.recordings.append(recording)
        if st.media_active:
            self._audio_media(st).startTransmit(rec)
        return {"call_id": recording.call_id, "path": path}

    def _stop_recording(self, st: CallState, rec: Recording) -> None:
        st.recordings.remove(rec)
        duration_ms = int((time.monotonic() - rec.started) * 1000)
        # Destroying the recorder makes pjmedia write the WAV sizes; that happens on the media
        # clock, so completion is polled in tick() and announced by a "recorded" event.
        rec.recorder = None
        gc.collect()
        self.pending_wavs.append(
            PendingWav(rec.path, rec.call_id, time.monotonic() + 3.0, duration_ms)
        )

    def cmd_stop_record(self, msg: dict[str, Any]) -> dict[str, Any]:
        path = os.path.abspath(str(msg["path"])) if msg.get("path") else None
        stopped = []
        for st in list(self.calls.values()):
            for rec in list(st.recordings):
                if path is None or rec.path == path:
                    self._stop_recording(st, rec)
                    stopped.append(rec.path)
        if not stopped:
            raise CommandError(f"not recording {path or 'anything'}")
        return {"paths": stopped}

    def cmd_follow_redirects(self, msg: dict[str, Any]) -> dict[str, Any]:
        PeerCall.follow_redirects = bool(msg.get("enabled", True))
        return {"enabled": PeerCall.follow_redirects}

    def cmd_quit(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.running = False
        return {}

    # -- the demo's far ends: an echo extension and a caller that rings every so often ---------

    def cmd_echo(self, msg: dict[str, Any]) -> dict[str, Any]:
        if not msg.get("enabled", True):
            self.echo = None
            return {"enabled": False}
        greeting = str(msg["greeting"]) if msg.get("greeting") else None
        if greeting is not None and not os.path.isfile(greeting):
            raise CommandError(f"no greeting file {greeting}")
        seconds = wav_seconds(greeting) if greeting else 0.0
        hangup_after = float(msg["hangup_after_s"]) if msg.get("hangup_after_s") else None
        self.echo = EchoPlan(greeting, seconds, hangup_after)
        for st in list(self.calls.values()):
            if st.media_active:
                self._echo_media(st, self.echo)
        return {"enabled": True, "greeting_s": seconds}

    def _echo_media(self, st: CallState, plan: EchoPlan) -> None:
        """The greeting first; then the call's port is looped to itself on the conference
        bridge, so the caller hears what they send. Called again after every re-INVITE (the
        media is re-created and loses its connections)."""
        med = self._audio_media(st)
        if st.echoing:
            med.startTransmit(med)
            return
        if st.echo_at is not None:  # the greeting is playing
            if st.player is not None:
                st.player.startTransmit(med)
            return
        now = time.monotonic()
        if plan.hangup_after_s is not None:
            st.hangup_at = now + plan.hangup_after_s
        if plan.greeting is not None:
            player = pj.AudioMediaPlayer()
            player.createPlayer(plan.greeting, pj.PJMEDIA_FILE_NO_LOOP)
            player.startTransmit(med)
            st.player = player
        st.echo_at = now + plan.greeting_s
        self.emit("greeting", call_id=int(st.call.getId()), seconds=plan.greeting_s)

    def _echo_tick(self, now: float) -> None:
        for st in list(self.calls.values()):
            if st.echo_at is not None and not st.echoing and now >= st.echo_at and st.media_active:
                med = self._audio_media(st)
                if st.player is not None:
                    # Disconnected, not destroyed: the greeting reaches its end about now, and
                    # destroying the player while its end-of-file callback runs crashed the peer
                    # (SIGSEGV under load). It goes with the call's state when the call ends.
                    with contextlib.suppress(pj.Error):
                        st.player.stopTransmit(med)
                med.startTransmit(med)
                st.echoing = True
                self.emit("echoing", call_id=int(st.call.getId()))
            if st.hangup_at is not None and now >= st.hangup_at:
                st.hangup_at = None
                with contextlib.suppress(pj.Error):
                    st.call.hangup(pj.CallOpParam(True))

    def cmd_ring_every(self, msg: dict[str, Any]) -> dict[str, Any]:
        if not msg.get("enabled", True):
            self.ring = None
            return {"enabled": False}
        self._require_account()
        first = time.monotonic() + float(msg.get("first_in_s", 0))
        interval, give_up = float(msg.get("interval_s", 60)), float(msg.get("give_up_s", 30))
        self.ring = RingPlan(str(msg["uri"]), interval, give_up, first)
        return {"enabled": True, "interval_s": self.ring.interval_s}

    def _ring_tick(self, now: float) -> None:
        plan = self.ring
        if plan is None or self.acc is None:
            return
        if plan.call is not None:
            st = next((s for s in self.calls.values() if s.call is plan.call), None)
            if st is None:  # over: the next ring is due an interval after this one began
                plan.call = None
            elif now >= plan.give_up_at:
                plan.give_up_at = float("inf")
                if st.call.getInfo().state != pj.PJSIP_INV_STATE_CONFIRMED:
                    st.call.hangup(pj.CallOpParam(True))
                    self.emit("gave_up", call_id=int(st.call.getId()))
        if plan.call is None and now >= plan.next_at:
            call = PeerCall(self.acc, self.records)
            call.makeCall(plan.uri, pj.CallOpParam(True))
            cid = int(call.getId())
            self.calls[cid] = CallState(call)
            plan.call = call
            plan.give_up_at = now + plan.give_up_s
            plan.next_at = now + plan.interval_s
            self.emit("ringing_out", call_id=cid, uri=plan.uri)

    # -- shutdown ------------------------------------------------------------------------------

    def pump(self, seconds: float, until: Callable[[], bool]) -> None:
        assert self.ep is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            self.ep.libHandleEvents(POLL_MS)
            self.drain_records()

    def shutdown(self) -> None:
        ep = self.ep
        if ep is None:
            return
        with contextlib.suppress(Exception):
            if self.calls:
                ep.hangupAllCalls()
                self.pump(1.0, lambda: not self.calls)
        for st in list(self.calls.values()):
            for rec in list(st.recordings):
                with contextlib.suppress(Exception):
                    self._stop_recording(st, rec)
            st.tone = None
            st.player = None
        with contextlib.suppress(Exception):
            self.pump(1.0, lambda: not self.pending_wavs)
            self.tick()
        self.calls.clear()
        self.unbound.clear()
        self.records.clear()
        gc.collect()
        if self.acc is not None:
            acc = self.acc
            with contextlib.suppress(Exception):
                if acc.getInfo().regIsActive:
                    # Wait for the final answer to the un-REGISTER (it is challenged too):
                    # a contact left behind would receive the next test's calls.
                    seen = self.reg_events
                    acc.setRegistration(False)
                    self.pump(2.0, lambda: self.reg_events > seen)
            self.records.clear()
            with contextlib.suppress(Exception):
                acc.shutdown()
            self.acc = None
            del acc
        gc.collect()
        self.records.clear()
        ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
        self.ep = None


def _stdin_reader(commands: queue.Queue[str | None]) -> None:
    """Reader thread: only queues lines; it never touches pjsua2."""
    try:
        for line in sys.stdin:
            commands.put(line)
    finally:
        commands.put(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--name", default="peer")
    parser.add_argument("--stun", action="append", help="STUN server host:port (repeatable)")
    parser.add_argument("--log-file", help="pjsua2 log file")
    parser.add_argument("--log-level", type=int, default=4)
    args = parser.parse_args(argv)

    # Keep the real stdout for events; send everything else written to fd 1 to stderr.
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr

    peer = Peer(args, out)
    threading.Thread(target=_stdin_reader, args=(peer.commands,), daemon=True).start()
    status = 0
    try:
        peer.start()
        peer.run()
    except BaseException as exc:
        status = 1
        with contextlib.suppress(Exception):
            peer.emit(
                "error", cmd=None, message=f"fatal: {type(exc).__name__}: {exc}", traceback=_tb()
            )
    finally:
        try:
            peer.shutdown()
        except BaseException as exc:
            status = 1
            with contextlib.suppress(Exception):
                peer.emit("error", cmd=None, message=f"shutdown: {exc}", traceback=_tb())
        with contextlib.suppress(Exception):
            peer.emit("exit", status=status)
            out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
