"""SIP engine benchmark on loopback: register and call setup per transport, engine vs raw pjsua2.

Run from the repository root:
``python bench/sip_bench.py [--runs 10] [--rounds 4] [--idle-seconds 30]``.

* Kamailio (tests/rig) is started here; a far-end pjsua2 peer process auto-answers calls.
* ``raw`` and ``engine`` each run in their own subprocess (one pjsua2 Endpoint per process):
  raw pjsua2 polls ``libHandleEvents(10)`` in a tight loop; the engine runs as the product does
  (QCoreApplication + SipEngine + adaptive Pump), timed from the API call to the listener
  seeing the result.
* register: sign-in REGISTER sent -> 200, from signed out (un-REGISTER in between), so both
  sides include the digest challenge: pjsua drops its registration session on un-REGISTER.
* setup: INVITE sent -> CONFIRMED (the peer answers at once).
* idle: CPU time / wall time of the engine process while registered and idle (profile defaults:
  refresh every 15 s, keep-alive every 15 s).

Prints the medians, then one JSON line: register_ms and setup_ms (engine; keyed udp/tcp/tls),
raw_register_ms, raw_setup_ms, setup_ratio_udp (engine / raw), idle_cpu_pct.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TRANSPORTS = ("udp", "tcp", "tls")
ENGINE_USER, RAW_USER, PEER_USER = "1001", "1002", "1009"


# ----------------------------------------------------------------------------- raw pjsua2


def run_raw(cfg: dict[str, Any]) -> dict[str, Any]:

    import pjsua2 as pj

    from communicator.sip.sockopts import tcp_nodelay_params

    done: dict[str, Any] = {}

    class Acc(pj.Account):  # type: ignore[misc]
        def onRegState(self, prm: Any) -> None:  # noqa: N802
            done["reg"] = (int(prm.code), int(prm.expiration), time.perf_counter())

    class Call(pj.Call):  # type: ignore[misc]
        def onCallState(self, prm: Any) -> None:  # noqa: N802
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

    results: dict[str, Any] = {
        "register_ms": {},
        "setup_ms": {},
        "register_ms_all": {},
        "setup_ms_all": {},
    }
    for kind in TRANSPORTS:
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
        reg: list[float] = []
        for _ in range(cfg["runs"] + 1):
            # The same operation as the engine's sign-in: REGISTER from signed out (pjsua
            # drops the registration session on un-REGISTER, so this includes the digest
            # challenge), not a refresh of a live registration.
            done.clear()
            t0 = time.perf_counter()
            acc.setRegistration(True)
            pump_until("reg")
            code, _, t1 = done["reg"]
            if code != 200:
                raise RuntimeError(f"raw register over {kind}: {code}")
            reg.append((t1 - t0) * 1000)
            done.clear()
            acc.setRegistration(False)
            pump_until("reg")
        done.clear()
        acc.setRegistration(True)
        pump_until("reg")
        setup: list[float] = []
        for _ in range(cfg["runs"] + 1):
            done.clear()
            t0 = time.perf_counter()  # placing a call includes making its Call object
            call = Call(acc)
            prm = pj.CallOpParam(True)
            call.makeCall(cfg["peer_uri"], prm)
            pump_until("confirmed")
            setup.append((done["confirmed"] - t0) * 1000)
            call.hangup(pj.CallOpParam(True))
            pump_until("disconnected")
            del call
        done.clear()
        acc.setRegistration(False)
        pump_until("reg")
        # pjlib keeps closed sockets' ioqueue keys for 500 ms: let the calls' RTP keys free up
        settle = time.monotonic() + 0.7
        while time.monotonic() < settle:
            ep.libHandleEvents(10)
        acc.shutdown()
        del acc
        # The first run warms caches (auth challenge, TCP/TLS connection): not counted.
        results["register_ms"][kind] = statistics.median(reg[1:])
        results["setup_ms"][kind] = statistics.median(setup[1:])
        results["register_ms_all"][kind] = reg[1:]
        results["setup_ms_all"][kind] = setup[1:]
    import gc

    gc.collect()
    ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
    return results


# ----------------------------------------------------------------------------- engine


def run_engine(cfg: dict[str, Any]) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from communicator.core.calls import CallState
    from communicator.core.registration import RegistrationState
    from communicator.provisioning.schema import parse_profile
    from communicator.sip.endpoint import EndpointOptions
    from communicator.sip.events import LinesChanged, RegistrationChanged
    from communicator.sip.headless import HeadlessClient

    client = HeadlessClient(
        EndpointOptions(bound_address="127.0.0.1", media_thread=cfg.get("media_thread", True)),
        tls_ca_file=cfg["ca_file"],
    )
    app = client.app
    assert isinstance(app, QCoreApplication)
    engine = client.engine
    seen: dict[str, float] = {}

    def listener(event: Any) -> None:
        now = time.perf_counter()
        if isinstance(event, RegistrationChanged):
            state = event.status.state
            if state is RegistrationState.REGISTERED:
                seen.setdefault("registered", now)
            elif state is RegistrationState.SIGNED_OUT:
                seen.setdefault("signed_out", now)
        elif isinstance(event, LinesChanged):
            calls = [c for c in event.lines if c is not None]
            if any(c.state is CallState.CONNECTED for c in calls):
                seen.setdefault("connected", now)
            if not calls:
                seen.setdefault("idle", now)

    engine.subscribe(listener)

    guard = QTimer()
    guard.setSingleShot(True)

    def wait(key: str, timeout: float = 5.0) -> float:
        # As the product's event loop does: sleep until Qt has an event (the pump's timer, a
        # socket notifier). processEvents(flags, maxtime) would return at once when nothing
        # is pending and spin, taking a core from Kamailio and the far end on small machines.
        deadline = time.monotonic() + timeout
        guard.start(int(timeout * 1000) + 10)
        while key not in seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"engine: no {key}")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
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

    results: dict[str, Any] = {
        "register_ms": {},
        "setup_ms": {},
        "register_ms_all": {},
        "setup_ms_all": {},
    }
    try:
        for index, kind in enumerate(TRANSPORTS):
            if index:
                engine.close()
                engine = type(engine)(client.endpoint, tls_ca_file=cfg["ca_file"])
                engine.subscribe(listener)
            engine.apply_profile(profile(kind))
            reg: list[float] = []
            for _ in range(cfg["runs"] + 1):
                seen.clear()
                t0 = time.perf_counter()
                engine.sign_in()
                reg.append((wait("registered") - t0) * 1000)
                engine.sign_out()
                wait("signed_out")
            engine.sign_in()
            wait("registered")
            setup: list[float] = []
            for _ in range(cfg["runs"] + 1):
                seen.clear()
                t0 = time.perf_counter()
                call_id = engine.place_call(cfg["peer_uri"])
                setup.append((wait("connected") - t0) * 1000)
                seen.pop("idle", None)
                engine.hangup(call_id)
                wait("idle")
                pause(50)  # let the far end's BYE transaction finish before the next INVITE
            results["register_ms"][kind] = statistics.median(reg[1:])
            results["setup_ms"][kind] = statistics.median(setup[1:])
            results["register_ms_all"][kind] = reg[1:]
            results["setup_ms_all"][kind] = setup[1:]
            pause(700)  # closed RTP sockets' ioqueue keys free up

        if not cfg["idle_seconds"]:
            return results
        # Idle: registered with the profile's default timers, nothing else going on.
        engine.close()
        engine = type(engine)(client.endpoint, tls_ca_file=cfg["ca_file"])
        engine.subscribe(listener)
        seen.clear()
        engine.apply_profile(profile("udp", expiry_seconds=30, refresh_seconds=15))
        engine.sign_in()
        wait("registered")
        pause(2000)
        polls_before = client.pump.polls
        cpu0, wall0 = time.process_time(), time.monotonic()
        loop = QEventLoop()
        QTimer.singleShot(int(cfg["idle_seconds"] * 1000), loop.quit)
        loop.exec()
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        results["idle_cpu_pct"] = 100.0 * cpu / wall
        results["idle_polls_per_s"] = (client.pump.polls - polls_before) / wall
        results["idle_still_registered"] = engine.registration.state.is_registered
        results["idle_watching_sockets"] = client.pump.watching
    finally:
        client.shutdown()
    return results


# ----------------------------------------------------------------------------- driver


def worker(mode: str, cfg: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--config", json.dumps(cfg)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{mode} worker failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = dict(rounds[-1])
    for key in ("register_ms", "setup_ms"):
        out[key] = {
            t: statistics.median(v for r in rounds for v in r[key + "_all"][t]) for t in TRANSPORTS
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument(
        "--rounds", type=int, default=4, help="raw/engine rounds, alternating (at least 2)"
    )
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
        result = run_raw(cfg) if args.worker == "raw" else run_engine(cfg)
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        os._exit(0)  # nothing left to tear down; skip interpreter-exit finalizers

    from tests.rig.kamailio import KamailioServer, random_accounts
    from tests.rig.peer_client import PeerProcess

    runs = max(8, args.runs)
    rounds = max(2, args.rounds)
    users = [ENGINE_USER, RAW_USER, PEER_USER]
    with KamailioServer(random_accounts(users), debug=1) as server:
        peer = PeerProcess("bench-peer", log_level=1)
        with peer:
            peer.register_on(server, PEER_USER, "udp", codecs=["PCMU"])
            peer.command("auto_answer", code=200)
            cfg = {
                "runs": runs,
                "idle_seconds": args.idle_seconds,
                "media_thread": not args.rtp_on_pump,
                "domain": server.domain,
                "ca_file": str(server.ca_file),
                "proxies": {t: server.proxy_uri(t) for t in TRANSPORTS},
                "ports": {t: server.port(t) for t in TRANSPORTS},
                "peer_uri": server.aor(PEER_USER),
                "engine_password": server.account(ENGINE_USER).password,
                "raw_password": server.account(RAW_USER).password,
            }
            # Alternate the two, so drift of the machine (or of Kamailio) hits both alike;
            # each figure is the median over the runs of all rounds. Idle CPU is measured in
            # the last engine round.
            raw_rounds, engine_rounds = [], []
            for round_no in range(rounds):
                raw_rounds.append(worker("raw", cfg))
                last = round_no == rounds - 1
                engine_rounds.append(
                    worker("engine", {**cfg, "idle_seconds": args.idle_seconds if last else 0.0})
                )
            raw = _combine(raw_rounds)
            engine = _combine(engine_rounds)

    summary = {
        "register_ms": {t: round(engine["register_ms"][t], 3) for t in TRANSPORTS},
        "setup_ms": {t: round(engine["setup_ms"][t], 3) for t in TRANSPORTS},
        "raw_register_ms": {t: round(raw["register_ms"][t], 3) for t in TRANSPORTS},
        "raw_setup_ms": {t: round(raw["setup_ms"][t], 3) for t in TRANSPORTS},
        "setup_ratio_udp": round(engine["setup_ms"]["udp"] / raw["setup_ms"]["udp"], 3),
        "register_ratio_udp": round(engine["register_ms"]["udp"] / raw["register_ms"]["udp"], 3),
        "idle_cpu_pct": round(engine["idle_cpu_pct"], 4) if "idle_cpu_pct" in engine else None,
        "idle_polls_per_s": round(engine.get("idle_polls_per_s", 0.0), 1),
        "idle_still_registered": engine.get("idle_still_registered"),
        "idle_watching_sockets": engine.get("idle_watching_sockets"),
        "runs": runs,
        "rounds": rounds,
        "idle_seconds": args.idle_seconds,
    }
    print(
        f"median of {rounds} x {runs} runs on loopback, raw and engine alternating "
        "(first run of each series not counted)"
    )
    for t in TRANSPORTS:
        print(
            f"  {t.upper():3}  register {summary['register_ms'][t]:7.2f} ms "
            f"(raw {summary['raw_register_ms'][t]:6.2f})   "
            f"setup {summary['setup_ms'][t]:7.2f} ms (raw {summary['raw_setup_ms'][t]:6.2f})"
        )
    print(
        f"  setup ratio UDP {summary['setup_ratio_udp']:.2f}x; idle CPU "
        f"{summary['idle_cpu_pct'] or 0.0:.3f} % over {args.idle_seconds:g} s "
        f"({summary['idle_polls_per_s']} polls/s)"
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
