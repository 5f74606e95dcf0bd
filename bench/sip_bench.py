"""SIP engine benchmark on loopback: register and call setup per transport, engine vs raw pjsua2.

Run from the repository root:
``python bench/sip_bench.py [--runs 40] [--idle-seconds 30]``.

* Kamailio (tests/rig) is started here; a far-end pjsua2 peer process auto-answers calls.
* ``raw`` and ``engine`` each run in their own subprocess (one pjsua2 Endpoint per process),
  started once and driven one measurement at a time over stdin/stdout. The driver alternates
  them **per measurement** (raw, engine, engine, raw, ...): on a loaded machine the load
  changes from second to second, and alternating whole series of ~5 s (as this benchmark did
  before) let one side's series meet a burst of load the other's did not - the far end and
  Kamailio then looked slower for one side's calls, and raw's own median moved between 2.5
  and 15 ms from run to run. Each pair now meets the same load.
* Both sides do the same things around a measurement: between two calls each process waits
  for the DISCONNECTED state, then keeps pumping for 50 ms; a process waiting for its next
  command sleeps in a blocking read (neither polls pjsip meanwhile).
* raw pjsua2 polls ``libHandleEvents(10)`` in a tight loop; the engine runs as the product does
  (QCoreApplication + SipEngine + adaptive Pump, Qt's event loop running), timed to the moment
  its listener sees the result.
* register: sign-in REGISTER sent -> 200, from signed out (un-REGISTER in between), so both
  sides include the digest challenge: pjsua drops its registration session on un-REGISTER.
* setup: INVITE sent -> CONFIRMED (the peer answers at once, after a 407 challenge from
  Kamailio). "INVITE sent" is the call's first ``onCallState`` (CALLING), which pjsua calls as
  the INVITE has gone out - median 50 us (raw) and 62 us (engine) after it is on the wire
  (tcpdump). The engine's callback is observed by wrapping it, unchanged.
* dial: from the API call (engine ``place_call``; raw: creating its Call and ``makeCall``) to
  CONFIRMED - setup plus what each side does before the INVITE (the engine's dial plan and
  line bookkeeping). Reported beside setup so nothing is hidden.
* idle: CPU time / wall time of the engine process while registered and idle (profile defaults:
  refresh every 15 s, keep-alive every 15 s), measured first, in the fresh engine process
  before the raw process starts (after the call series pjsip's timer heap would still hold
  each challenged INVITE transaction for 32 s, timer D, and wake the pump for each).

Prints medians with their interquartile range, then one JSON line: register_ms, setup_ms and
dial_ms (engine; keyed udp/tcp/tls), raw_register_ms, raw_setup_ms, raw_dial_ms,
setup_ratio_udp (engine median / raw median; per-pair ratios beside it), dial_ratio_udp,
idle_cpu_pct.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TRANSPORTS = ("udp", "tcp", "tls")
ENGINE_USER, RAW_USER, PEER_USER = "1001", "1002", "1009"
BETWEEN_CALLS_MS = 50
"""Both sides keep pumping this long after a call's DISCONNECTED (the far end's BYE
transaction finishes before the next INVITE)."""
SETTLE_MS = 700
"""After the last call on a transport: pjlib keeps closed sockets' ioqueue keys for 500 ms."""

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class Replies:
    """A worker's replies go to the original stdout; fd 1 is pointed at stderr before pjsua2
    starts, so nothing the C libraries print can get into the replies."""

    out: IO[str] | None = None

    @classmethod
    def open(cls) -> None:
        sys.stdout.flush()
        cls.out = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)


def serve(handlers: dict[str, Handler]) -> None:
    """A worker's command loop: one JSON command per stdin line, one JSON reply per line.
    Waiting for a command is a blocking read: no polling meanwhile."""
    out = Replies.out
    assert out is not None
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        if cmd == "quit":
            break
        try:
            reply = handlers[cmd](msg)
        except Exception as error:  # reported to the driver, which stops
            reply = {"error": f"{cmd}: {error!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


# ----------------------------------------------------------------------------- raw pjsua2


def run_raw(cfg: dict[str, Any]) -> None:
    import gc

    import pjsua2 as pj

    from communicator.sip.sockopts import tcp_nodelay_params

    done: dict[str, Any] = {}

    class Acc(pj.Account):  # type: ignore[misc]
        def onRegState(self, prm: Any) -> None:  # noqa: N802
            done["reg"] = (int(prm.code), int(prm.expiration), time.perf_counter())

    class Call(pj.Call):  # type: ignore[misc]
        def onCallState(self, prm: Any) -> None:  # noqa: N802
            # The first state change of an outgoing call, CALLING, comes as the INVITE has
            # just been sent (40-70 us after it is on the wire, in both processes).
            done.setdefault("invite_sent", time.perf_counter())
            state = self.getInfo().state
            if state == pj.PJSIP_INV_STATE_CONFIRMED:
                done["confirmed"] = time.perf_counter()
            elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
                done["disconnected"] = True

        def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
            # What any softphone does: the call's audio to the speaker, the microphone to it.
            for media in self.getInfo().media:
                if (
                    media.type == pj.PJMEDIA_TYPE_AUDIO
                    and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                ):
                    audio = self.getAudioMedia(int(media.index))
                    manager = ep.audDevManager()
                    audio.startTransmit(manager.getPlaybackDevMedia())
                    manager.getCaptureDevMedia().startTransmit(audio)

    ep = pj.Endpoint()
    ep.libCreate()
    ecfg = pj.EpConfig()
    ecfg.uaConfig.threadCnt = 0
    ecfg.uaConfig.mainThreadOnly = True
    ecfg.medConfig.sndAutoCloseTime = -1
    # The engine's media settings (no VAD, no echo canceller on the null device).
    ecfg.medConfig.noVad = True
    ecfg.medConfig.ecTailLen = 0
    ecfg.logConfig.level = 0
    ecfg.logConfig.consoleLevel = 0
    ep.libInit(ecfg)
    ep.audDevManager().setNullDev()
    for codec in ep.codecEnum2():
        name = str(codec.codecId)
        ep.codecSetPriority(name, 255 if name.startswith("PCMU") else 0)
    tids: dict[str, int] = {}
    for kind in TRANSPORTS:
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = "127.0.0.1"
        if kind != "udp":
            tcfg.sockOptParams = tcp_nodelay_params()
        if kind == "tls":
            tls = tcfg.tlsConfig
            tls.method = pj.PJSIP_TLSV1_2_METHOD
            tls.CaListFile = cfg["ca_file"]
            tls.verifyServer = True
            tls.sockOptParams = tcp_nodelay_params()
            tcfg.tlsConfig = tls
        ttype = {
            "udp": pj.PJSIP_TRANSPORT_UDP,
            "tcp": pj.PJSIP_TRANSPORT_TCP,
            "tls": pj.PJSIP_TRANSPORT_TLS,
        }[kind]
        tids[kind] = int(ep.transportCreate(ttype, tcfg))
    ep.libStart()

    def pump_until(key: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while key not in done:
            if time.monotonic() > deadline:
                raise TimeoutError(f"raw: no {key}")
            ep.libHandleEvents(10)

    def pump_for(ms: int) -> None:
        until = time.monotonic() + ms / 1000
        while time.monotonic() < until:
            ep.libHandleEvents(10)

    state: dict[str, Any] = {}

    def register(on: bool) -> float:
        done.clear()
        t0 = time.perf_counter()
        state["acc"].setRegistration(on)
        pump_until("reg")
        code, _, t1 = done["reg"]
        if code // 100 != 2:
            raise RuntimeError(f"raw (un)register: {code}")
        return float(t1 - t0) * 1000

    def begin(msg: dict[str, Any]) -> dict[str, Any]:
        kind = msg["transport"]
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{RAW_USER}@{cfg['domain']}"
        acfg.regConfig.registrarUri = f"sip:{cfg['domain']}"
        acfg.regConfig.registerOnAdd = False
        acfg.regConfig.timeoutSec = 300
        acfg.regConfig.retryIntervalSec = 0
        acfg.sipConfig.proxies.append(cfg["proxies"][kind])
        acfg.sipConfig.transportId = tids[kind]
        cred = pj.AuthCredInfo("digest", "*", RAW_USER, 0, cfg["raw_password"])
        acfg.sipConfig.authCreds.append(cred)
        acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acc = Acc()
        acc.create(acfg)
        state["acc"] = acc
        return {}

    def measure_register(msg: dict[str, Any]) -> dict[str, Any]:
        # The same operation as the engine's sign-in: REGISTER from signed out (pjsua drops
        # the registration session on un-REGISTER, so this includes the digest challenge),
        # not a refresh of a live registration.
        ms = register(True)
        register(False)
        return {"ms": ms}

    def sign_in(msg: dict[str, Any]) -> dict[str, Any]:
        register(True)
        return {}

    def measure_call(msg: dict[str, Any]) -> dict[str, Any]:
        done.clear()
        t0 = time.perf_counter()  # placing a call includes making its Call object
        call = Call(state["acc"])
        prm = pj.CallOpParam(True)
        call.makeCall(cfg["peer_uri"], prm)
        pump_until("confirmed")
        confirmed = done["confirmed"]
        call.hangup(pj.CallOpParam(True))
        pump_until("disconnected")
        del call
        pump_for(BETWEEN_CALLS_MS)
        return {
            "ms": (confirmed - done["invite_sent"]) * 1000,
            "dial_ms": (confirmed - t0) * 1000,
        }

    def end(msg: dict[str, Any]) -> dict[str, Any]:
        register(False)
        pump_for(SETTLE_MS)
        acc = state.pop("acc")
        acc.shutdown()
        del acc
        return {}

    try:
        serve(
            {
                "begin": begin,
                "register": measure_register,
                "sign_in": sign_in,
                "call": measure_call,
                "end": end,
            }
        )
    finally:
        state.clear()
        gc.collect()
        ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)


# ----------------------------------------------------------------------------- engine


def run_engine(cfg: dict[str, Any]) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from communicator.core.calls import CallState
    from communicator.core.registration import RegistrationState
    from communicator.provisioning.schema import parse_profile
    from communicator.sip.call import EngineCall
    from communicator.sip.endpoint import EndpointOptions
    from communicator.sip.events import LinesChanged, RegistrationChanged
    from communicator.ui.headless import HeadlessClient

    client = HeadlessClient(
        EndpointOptions(bound_address="127.0.0.1", media_thread=cfg.get("media_thread", True)),
        tls_ca_file=cfg["ca_file"],
    )
    app = client.app
    assert isinstance(app, QCoreApplication)
    seen: dict[str, float] = {}
    waiting: dict[str, Any] = {}
    """The key being awaited and the event loop that waits for it."""

    def listener(event: Any) -> None:
        now = time.perf_counter()
        if isinstance(event, RegistrationChanged):
            reg_state = event.status.state
            if reg_state is RegistrationState.REGISTERED:
                seen.setdefault("registered", now)
            elif reg_state is RegistrationState.SIGNED_OUT:
                seen.setdefault("signed_out", now)
        elif isinstance(event, LinesChanged):
            calls = [c for c in event.lines if c is not None]
            if any(c.state is CallState.CONNECTED for c in calls):
                seen.setdefault("connected", now)
            if not calls:
                seen.setdefault("idle", now)
        if waiting.get("key") in seen:
            waiting["loop"].quit()

    state: dict[str, Any] = {"engine": client.engine}
    client.engine.subscribe(listener)

    # "INVITE sent" as in the raw process: the first onCallState of the call (CALLING).
    # Observed from outside (the engine's callback runs unchanged), costs ~0.3 us.
    engine_on_call_state = EngineCall.onCallState

    def on_call_state(call: Any, prm: Any) -> None:
        seen.setdefault("invite_sent", time.perf_counter())
        engine_on_call_state(call, prm)

    EngineCall.onCallState = on_call_state  # type: ignore[method-assign,assignment]

    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: waiting["loop"].quit() if "loop" in waiting else None)

    def wait(key: str, timeout: float = 5.0) -> float:
        # As the product does: Qt's own event loop runs (app.exec() there, a nested
        # QEventLoop here) and sleeps until it has an event (the pump's timer, a socket
        # notifier); the listener ends it when the awaited event arrives.
        if key not in seen:
            loop = QEventLoop()
            waiting.update(key=key, loop=loop)
            guard.start(int(timeout * 1000))
            try:
                loop.exec()
            finally:
                guard.stop()
                waiting.clear()
        if key not in seen:
            raise TimeoutError(f"engine: no {key}")
        return seen[key]

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def profile(kind: str, **registration: int) -> Any:
        return parse_profile(
            {
                "agent": {"login": "bench", "extension": ENGINE_USER, "max_lines": 2},
                "sip": {
                    "username": ENGINE_USER,
                    "password": cfg["engine_password"],
                    "server": "127.0.0.1",
                    "port": cfg["ports"][kind],
                    "domain": cfg["domain"],
                    "transports": [kind],
                },
                "registration": registration or {"expiry_seconds": 300, "refresh_seconds": 150},
                "media": {"codecs": ["PCMU"]},
            }
        )

    def fresh_engine(kind: str, **registration: int) -> Any:
        engine = state["engine"]
        if state.get("used"):
            engine.close()
            engine = type(engine)(client.endpoint, tls_ca_file=cfg["ca_file"])
            engine.subscribe(listener)
            state["engine"] = engine
        state["used"] = True
        engine.apply_profile(profile(kind, **registration))
        return engine

    def begin(msg: dict[str, Any]) -> dict[str, Any]:
        fresh_engine(msg["transport"])
        return {}

    def measure_register(msg: dict[str, Any]) -> dict[str, Any]:
        engine = state["engine"]
        seen.clear()
        t0 = time.perf_counter()
        engine.sign_in()
        ms = (wait("registered") - t0) * 1000
        engine.sign_out()
        wait("signed_out")
        return {"ms": ms}

    def sign_in(msg: dict[str, Any]) -> dict[str, Any]:
        seen.clear()
        state["engine"].sign_in()
        wait("registered")
        return {}

    def measure_call(msg: dict[str, Any]) -> dict[str, Any]:
        engine = state["engine"]
        seen.clear()
        t0 = time.perf_counter()
        call_id = engine.place_call(cfg["peer_uri"])
        confirmed = wait("connected")
        seen.pop("idle", None)
        engine.hangup(call_id)
        wait("idle")
        pause(BETWEEN_CALLS_MS)
        return {
            "ms": (confirmed - seen["invite_sent"]) * 1000,
            "dial_ms": (confirmed - t0) * 1000,
        }

    def end(msg: dict[str, Any]) -> dict[str, Any]:
        engine = state["engine"]
        seen.clear()
        engine.sign_out()
        wait("signed_out")
        pause(SETTLE_MS)
        return {}

    def idle(msg: dict[str, Any]) -> dict[str, Any]:
        # Registered with the profile's default timers, nothing else going on.
        engine = fresh_engine("udp", expiry_seconds=30, refresh_seconds=15)
        seen.clear()
        engine.sign_in()
        wait("registered")
        pause(2000)
        polls_before = client.pump.polls
        socket_wakeups_before = client.pump.socket_wakeups
        cpu0, wall0 = time.process_time(), time.monotonic()
        pause(int(msg["seconds"] * 1000))
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        result = {
            "idle_cpu_pct": 100.0 * cpu / wall,
            "idle_polls_per_s": (client.pump.polls - polls_before) / wall,
            "idle_socket_wakeups_per_s": (client.pump.socket_wakeups - socket_wakeups_before)
            / wall,
            "idle_watch": client.pump.describe_watch(),
            "idle_still_registered": engine.registration.state.is_registered,
            "idle_watching_sockets": client.pump.watching,
        }
        seen.clear()
        engine.sign_out()
        wait("signed_out")
        return result

    try:
        serve(
            {
                "begin": begin,
                "register": measure_register,
                "sign_in": sign_in,
                "call": measure_call,
                "end": end,
                "idle": idle,
            }
        )
    finally:
        client.shutdown()


# ----------------------------------------------------------------------------- driver


class Worker:
    """One worker subprocess (raw or engine), one command at a time."""

    def __init__(self, mode: str, cfg: dict[str, Any]) -> None:
        self.mode = mode
        # A file, not a pipe nobody reads while measuring (a full pipe would block the worker).
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", mode, "--config", json.dumps(cfg)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            cwd=ROOT,
        )

    def command(self, cmd: str, timeout: float = 60.0, **fields: Any) -> dict[str, Any]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else ""
        reply: dict[str, Any] | None = json.loads(line) if line.startswith("{") else None
        if reply is None or "error" in reply:
            self.close()
            raise RuntimeError(
                f"{self.mode} worker: {cmd} failed: {(reply or {}).get('error', repr(line))}\n"
                f"{self._stderr_tail()}"
            )
        return reply

    def _stderr_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            stdin = self.proc.stdin
            assert stdin is not None
            try:
                stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                stdin.close()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


Measurements = list[dict[str, Any]]


def paired(raw: Worker, engine: Worker, cmd: str, runs: int) -> tuple[Measurements, Measurements]:
    """``runs + 1`` measurements each, alternating raw, engine, engine, raw, ... (the first
    pair warms caches - auth challenge, TCP/TLS connection - and is not counted)."""
    raw_out: Measurements = []
    engine_out: Measurements = []
    for index in range(runs + 1):
        order = ((raw, raw_out), (engine, engine_out))
        for worker, out in order if index % 2 == 0 else order[::-1]:
            out.append(worker.command(cmd))
    return raw_out[1:], engine_out[1:]


def spread(values: list[float]) -> dict[str, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4)
    return {"median": round(q2, 3), "p25": round(q1, 3), "p75": round(q3, 3)}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=40, help="measurements per figure (>= 8)")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument(
        "--rtp-on-pump",
        action="store_true",
        help="engine: RTP on the pumped SIP ioqueue (EndpointOptions(media_thread=False))",
    )
    parser.add_argument("--worker", choices=["raw", "engine"])
    parser.add_argument("--config")
    args = parser.parse_args()
    if args.worker:
        cfg = json.loads(args.config)
        Replies.open()
        run_raw(cfg) if args.worker == "raw" else run_engine(cfg)
        sys.stdout.flush()
        os._exit(0)  # nothing left to tear down; skip interpreter-exit finalizers

    from tests.rig.kamailio import KamailioServer, random_accounts
    from tests.rig.peer_client import PeerProcess

    runs = max(8, args.runs)
    users = [ENGINE_USER, RAW_USER, PEER_USER]
    started = time.strftime("%Y-%m-%d %H:%M")
    load_before = loadavg()
    # figures[side][what][transport]: the measurements, in the order they were taken
    figures: dict[str, dict[str, dict[str, list[float]]]] = {
        side: {"register": {}, "setup": {}, "dial": {}} for side in ("raw", "engine")
    }
    idle: dict[str, Any] = {}
    with KamailioServer(random_accounts(users), debug=1) as server:
        peer = PeerProcess("bench-peer", log_level=1)
        with peer:
            peer.register_on(server, PEER_USER, "udp", codecs=["PCMU"])
            peer.command("auto_answer", code=200)
            cfg = {
                "media_thread": not args.rtp_on_pump,
                "domain": server.domain,
                "ca_file": str(server.ca_file),
                "proxies": {t: server.proxy_uri(t) for t in TRANSPORTS},
                "ports": {t: server.port(t) for t in TRANSPORTS},
                "peer_uri": server.aor(PEER_USER),
                "engine_password": server.account(ENGINE_USER).password,
                "raw_password": server.account(RAW_USER).password,
            }
            engine = Worker("engine", cfg)
            raw: Worker | None = None
            try:
                if args.idle_seconds > 0:
                    # First, while the engine process is fresh: after a burst of calls pjsip's
                    # timer heap holds each challenged INVITE's transaction for 32 s (timer D
                    # on UDP), and their expiries wake the pump 5-8 times a second.
                    idle = engine.command(
                        "idle", seconds=args.idle_seconds, timeout=args.idle_seconds + 30
                    )
                raw = Worker("raw", cfg)
                for kind in TRANSPORTS:
                    for worker in (raw, engine):
                        worker.command("begin", transport=kind)
                    sides = paired(raw, engine, "register", runs)
                    for side, replies in zip(("raw", "engine"), sides, strict=True):
                        figures[side]["register"][kind] = [r["ms"] for r in replies]
                    for worker in (raw, engine):
                        worker.command("sign_in")
                    sides = paired(raw, engine, "call", runs)
                    for side, replies in zip(("raw", "engine"), sides, strict=True):
                        figures[side]["setup"][kind] = [r["ms"] for r in replies]
                        figures[side]["dial"][kind] = [r["dial_ms"] for r in replies]
                    for worker in (raw, engine):
                        worker.command("end")
                load_after = loadavg()
            finally:
                if raw is not None:
                    raw.close()
                engine.close()

    def med(side: str, what: str) -> dict[str, float]:
        return {t: round(statistics.median(figures[side][what][t]), 3) for t in TRANSPORTS}

    def ratio(what: str) -> float:
        engine_ms = statistics.median(figures["engine"][what]["udp"])
        return round(engine_ms / statistics.median(figures["raw"][what]["udp"]), 3)

    def pair_ratios(what: str) -> dict[str, float]:
        pairs = zip(figures["raw"][what]["udp"], figures["engine"][what]["udp"], strict=True)
        return spread([e / r for r, e in pairs])

    summary = {
        "register_ms": med("engine", "register"),
        "setup_ms": med("engine", "setup"),
        "raw_register_ms": med("raw", "register"),
        "raw_setup_ms": med("raw", "setup"),
        "setup_ratio_udp": ratio("setup"),
        "setup_ratio_udp_pairs": pair_ratios("setup"),
        "setup_spread_udp": {
            side: spread(figures[side]["setup"]["udp"]) for side in ("engine", "raw")
        },
        "dial_ms": med("engine", "dial"),
        "raw_dial_ms": med("raw", "dial"),
        "dial_ratio_udp": ratio("dial"),
        "register_ratio_udp": ratio("register"),
        "idle_cpu_pct": round(idle["idle_cpu_pct"], 4) if "idle_cpu_pct" in idle else None,
        "idle_polls_per_s": round(idle.get("idle_polls_per_s", 0.0), 1),
        "idle_still_registered": idle.get("idle_still_registered"),
        "idle_watching_sockets": idle.get("idle_watching_sockets"),
        "idle_socket_wakeups_per_s": round(idle.get("idle_socket_wakeups_per_s", 0.0), 1),
        "idle_watch": idle.get("idle_watch"),
        "runs": runs,
        "idle_seconds": args.idle_seconds,
        "started": started,
        "load": f"{load_before} -> {load_after}",
    }
    print(
        f"{started}, load {summary['load']}: medians [p25-p75] of {runs} runs each on loopback, "
        "raw and engine alternating per run (first pair not counted)"
    )
    labels = (
        ("register", "register"),
        ("setup", "setup (INVITE sent -> CONFIRMED)"),
        ("dial", "dial (API call -> CONFIRMED)"),
    )
    for t in TRANSPORTS:
        for what, label in labels:
            e, r = spread(figures["engine"][what][t]), spread(figures["raw"][what][t])
            print(
                f"  {t.upper():3}  {label:32} engine {e['median']:6.2f} [{e['p25']:.2f}-"
                f"{e['p75']:.2f}] ms   raw {r['median']:6.2f} [{r['p25']:.2f}-{r['p75']:.2f}] ms"
            )
    pr = summary["setup_ratio_udp_pairs"]
    print(
        f"  setup ratio UDP {summary['setup_ratio_udp']:.2f}x (per pair: median "
        f"{pr['median']:.2f} [{pr['p25']:.2f}-{pr['p75']:.2f}]), dial ratio UDP "
        f"{summary['dial_ratio_udp']:.2f}x; idle CPU {summary['idle_cpu_pct'] or 0.0:.3f} % "
        f"over {args.idle_seconds:g} s ({summary['idle_polls_per_s']} polls/s)"
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
