"""Audio bridge benchmark: click latency, queue health over a long call, CPU per call.

Run from the repository root: ``python bench/audio_bench.py [--duration 600] [--clicks 8]``.

Starts a private PulseAudio (tests/sip/sound/pulse.py), Kamailio (tests/rig) and a far-end
pjsua2 process (this script with ``--far-end``: auto-answers, emits a click every second into
each call and time-stamps the clicks it receives). This process is the agent: one Endpoint,
`SipEngine` and `AudioBridge`, pumped from the main thread (the Qt thread's role).

* Latency, both directions, clicks time-stamped with CLOCK_MONOTONIC in both processes:
  - mic -> far end: a click played into ``click_sink`` whose monitor is the agent's
    microphone; time = PortAudio's ADC time of the click's first sample (input probe).
  - far end -> speaker: time = PortAudio's DAC time of the click's first sample (output probe).
  - baseline, same run, same call path without devices: the engine's local audio is a plain
    pjsua2 AudioMediaPort that emits and time-stamps clicks (port-to-port, the pjsua2
    equivalent of file-to-file).
  ``added_latency_ms`` = end-to-end - the device latency PortAudio reports in each callback's
  time info (median; the streams' nominal latency is reported beside it) - baseline, for the
  worse direction (its queues, the phase wait between the two clocks, the resampler). The
  baseline call's receiving jitter buffer may sit deeper or shallower than the measured
  call's (pjmedia's adaptive buffer, in codec frames): the baseline is aligned to the measured
  call's mean jitter-buffer depth (``jitter_buffer_ms``); ``added_ms_unaligned`` is without.
* Underruns/overruns: a call of ``--duration`` seconds (default 600) while the main thread is
  kept busy (``--busy-ms`` of Python work in every 50 ms), once with the devices as they are
  and once each with the device clock ``--skew-ppm`` fast and slow (the streams are opened at a
  rate that much off the rate the bridge assumes). Counted after ``--warmup`` seconds.
  A separate real-time process (`watch_stalls`) logs the machine's own stalls meanwhile;
  ``underruns_during_machine_stalls`` counts the underruns that came right after one.
* CPU: process CPU time / wall time with 1 call and with ``--lines`` calls in conference,
  beside same-run references (idle, a call without audio port, the bare device streams);
  medians of ``--cpu-rounds`` interleaved rounds.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AGENT, FAR = "1006", "1007"
RATE = 16000
FRAME = 320
CLICK_PERIOD_FRAMES = 50  # one click a second
THRESHOLD = 0.2
JB_SAMPLE_S = 0.047
"""Not a multiple of the 20 ms packet interval: the samples fall at every phase of the
buffer's fill-and-drain cycle (at 100 ms they all fell at one, a bias of up to 20 ms)."""


def frame_ms(call: Any) -> float:
    """Duration of one jitter-buffer frame of the call's audio stream (G.711: 10 ms)."""
    info = call.getStreamInfo(0).audCodecParam.info
    return float(info.frameLen) / max(1, int(info.frameLenDenum) or 1)


REFRACTORY_S = 0.5


def click(rate: int) -> np.ndarray:
    """3 ms of 1 kHz at 0.6 full scale: survives G.711 and resampling, easy to find."""
    t = np.arange(int(0.003 * rate)) / rate
    return (0.6 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)


class Detector:
    """First sample above the threshold, at most one click per refractory period."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._last = -1e9

    def feed(self, block: np.ndarray, t0: float, rate: int) -> None:
        if len(block) == 0:
            return
        peak = float(np.max(np.abs(block)))
        if peak < THRESHOLD:
            return
        k = int(np.argmax(np.abs(block) >= THRESHOLD))
        t = t0 + k / rate
        if t - self._last >= REFRACTORY_S:
            self._last = t
            self.times.append(t)


def _vec(vector: Any) -> tuple[int, int]:
    addr = int(vector.this)
    begin = ctypes.c_void_p.from_address(addr).value or 0
    end = ctypes.c_void_p.from_address(addr + ctypes.sizeof(ctypes.c_void_p)).value or 0
    return begin, end - begin


def make_click_port(pj: Any, name: str) -> Any:
    """An AudioMediaPort that emits a click every second (when ``emit``) and records the
    times of the clicks it receives (monotonic time of the frame callback)."""

    click16 = (click(RATE) * 32767).astype(np.int16)

    class ClickPort(pj.AudioMediaPort):  # type: ignore[misc]
        def __init__(self) -> None:
            pj.AudioMediaPort.__init__(self)
            self.emit = False
            self.tx: list[float] = []
            self.rx = Detector()
            self._n = 0
            self._vec = pj.ByteVector()
            self._vec.resize(FRAME * 2)
            self._buf = np.zeros(FRAME, np.int16)
            self._rx = np.zeros(FRAME, np.int16)

        def onFrameRequested(self, frame: Any) -> None:  # noqa: N802
            now = time.monotonic()
            self._buf[:] = 0
            self._n += 1
            if self.emit and self._n % CLICK_PERIOD_FRAMES == 0:
                self._buf[: len(click16)] = click16
                self.tx.append(now)
            ptr = ctypes.c_void_p.from_address(int(self._vec.this)).value or 0
            ctypes.memmove(ptr, self._buf.ctypes.data, FRAME * 2)
            frame.buf = self._vec
            frame.size = FRAME * 2
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO

        def onFrameReceived(self, frame: Any) -> None:  # noqa: N802
            now = time.monotonic()
            if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
                return
            ptr, size = _vec(frame.buf)
            if size != FRAME * 2 or not ptr:
                return
            ctypes.memmove(self._rx.ctypes.data, ptr, size)
            self.rx.feed(self._rx.astype(np.float32) / 32768.0, now, RATE)

    port = ClickPort()
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, RATE, 1, 20000, 16)
    port.createPort(name, fmt)
    return port


# ----------------------------------------------------------------------------- far end


def far_end(args: argparse.Namespace) -> int:
    import pjsua2 as pj

    from communicator.sip.media_port import free_after_removal

    out_lock = threading.Lock()

    def say(**event: Any) -> None:
        with out_lock:
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.medConfig.sndAutoCloseTime = -1
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    tcfg = pj.TransportConfig()
    tcfg.boundAddress = "127.0.0.1"
    tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    for codec in ep.codecEnum2():
        cid = str(codec.codecId)
        ep.codecSetPriority(cid, 255 if cid.startswith("PCMU") else 0)
    port = make_click_port(pj, "far-click")
    calls: list[Any] = []

    class FarCall(pj.Call):  # type: ignore[misc]
        def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
            info = self.getInfo()
            for media in info.media:
                if (
                    media.type == pj.PJMEDIA_TYPE_AUDIO
                    and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                ):
                    audio = self.getAudioMedia(int(media.index))
                    audio.startTransmit(port)
                    port.startTransmit(audio)

        def onCallState(self, prm: Any) -> None:  # noqa: N802
            if self.getInfo().state == pj.PJSIP_INV_STATE_DISCONNECTED:
                say(event="ended")

    class FarAccount(pj.Account):  # type: ignore[misc]
        def onRegState(self, prm: Any) -> None:  # noqa: N802
            say(event="reg", code=int(prm.code))

        def onIncomingCall(self, prm: Any) -> None:  # noqa: N802
            call = FarCall(self, prm.callId)
            calls.append(call)
            op = pj.CallOpParam()
            op.statusCode = 200
            call.answer(op)

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{FAR}@{args.domain}"
    acfg.regConfig.registrarUri = f"sip:{args.domain}"
    acfg.sipConfig.proxies.append(args.proxy)
    acfg.sipConfig.transportId = tid
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", FAR, 0, args.password))
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    account = FarAccount()
    account.create(acfg)

    commands: queue.Queue[str] = queue.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.put(line.strip())
        commands.put("quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    sent_tx = sent_rx = 0
    jb_frames: list[int] = []
    jb_frame_ms = 0.0
    next_jb = 0.0
    try:
        while True:
            ep.libHandleEvents(10)
            if port.emit and calls and time.monotonic() >= next_jb:
                next_jb = time.monotonic() + JB_SAMPLE_S
                with contextlib.suppress(Exception):
                    jb_frames.append(int(calls[-1].getStreamStat(0).jbuf.size))
                    jb_frame_ms = frame_ms(calls[-1])
            while len(port.tx) > sent_tx:
                say(event="tx", t=port.tx[sent_tx])
                sent_tx += 1
            while len(port.rx.times) > sent_rx:
                say(event="rx", t=port.rx.times[sent_rx])
                sent_rx += 1
            try:
                command = commands.get_nowait()
            except queue.Empty:
                continue
            if command == "emit on":
                port.emit = True
            elif command == "emit off":
                port.emit = False
                say(
                    event="jb",
                    t=time.monotonic(),
                    ms=statistics.mean(jb_frames) * jb_frame_ms
                    if jb_frames and jb_frame_ms
                    else None,
                )
                jb_frames.clear()
            elif command == "quit":
                break
    finally:
        for call in calls:
            with contextlib.suppress(Exception):
                call.hangup(pj.CallOpParam(True))
        calls.clear()
        free_after_removal(port, int(ep.mediaMaxPorts()))
        port = None
        gc.collect()
        with contextlib.suppress(Exception):
            account.shutdown()
        del account
        gc.collect()
        ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
    return 0


class EventProcess:
    """This script run again in a child process (``options``: its mode) that reports events
    as JSON lines; a thread collects them in `events`."""

    def __init__(self, *options: str, stdin: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *options],
            stdin=subprocess.PIPE if stdin else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                event = json.loads(line)
                self.events.append(event)
                self.on_event(event)

    def on_event(self, event: dict[str, Any]) -> None:
        """Called on the reader thread for each event."""


class FarProcess(EventProcess):
    def __init__(self, domain: str, proxy: str, password: str) -> None:
        super().__init__(
            "--far-end", "--domain", domain, "--proxy", proxy, "--password", password, stdin=True
        )

    def send(self, command: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()

    def times(self, kind: str, since: float = 0.0) -> list[float]:
        return [e["t"] for e in list(self.events) if e["event"] == kind and e["t"] >= since]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("quit")
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# ----------------------------------------------------------------------------- stall watcher

STALL_LATE_S = 0.010
"""A wake-up this much later than asked is a machine stall (the watcher sleeps 2 ms)."""


def watch_stalls(args: argparse.Namespace) -> int:
    """A separate process (no GIL shared with the agent) that sleeps 2 ms at a time, real-time
    scheduled when allowed, and reports every wake-up more than `STALL_LATE_S` late: the
    machine's own stalls (another process, the kernel, the hypervisor), which no code in the
    agent can avoid. Bounded by ``--watch-seconds``."""
    with contextlib.suppress(OSError, AttributeError, PermissionError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    fifo = os.sched_getscheduler(0) == os.SCHED_FIFO
    print(json.dumps({"event": "ready", "fifo": fifo}), flush=True)
    prev = time.monotonic()
    end = prev + args.watch_seconds
    parent = os.getppid()
    while prev < end and os.getppid() == parent:
        time.sleep(0.002)
        now = time.monotonic()
        if now - prev > 0.002 + STALL_LATE_S:
            print(json.dumps({"event": "stall", "t": prev, "end": now}), flush=True)
        prev = now
    return 0


class StallWatcher(EventProcess):
    def __init__(self, seconds: float) -> None:
        self._ready = threading.Event()
        super().__init__("--watch-stalls", "--watch-seconds", str(seconds))
        if not self._ready.wait(10):
            self.close()
            raise RuntimeError("the stall watcher did not start")

    def on_event(self, event: dict[str, Any]) -> None:
        if event["event"] == "ready":
            self._ready.set()

    @property
    def realtime(self) -> bool:
        return any(e.get("fifo") for e in self.events if e["event"] == "ready")

    def stalls(self, start: float, end: float) -> list[tuple[float, float]]:
        return [
            (e["t"], e["end"])
            for e in list(self.events)
            if e["event"] == "stall" and start <= e["t"] < end
        ]

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()


def during_stall(when: float, stalls: list[tuple[float, float]]) -> bool:
    """An underrun at ``when`` that a machine stall explains: the stall ended at most three
    20 ms periods before it (the rings hold 15-35 ms) or was still going on."""
    return any(end >= when - 0.06 and start <= when for start, end in stalls)


# ----------------------------------------------------------------------------- agent


def latencies(tx: list[float], rx: list[float], period: float = 1.0) -> list[float]:
    """Each received click against the latest click sent before it."""
    out: list[float] = []
    sent = sorted(tx)
    for r in rx:
        before = [t for t in sent if t <= r]
        if before and r - before[-1] < 0.9 * period:
            out.append(r - before[-1])
    return out


def median_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000.0, 2) if values else None


class Agent:
    """The agent process as the app runs it: Qt event loop, the engine's real `Pump`
    (socket-driven, adaptive), the 200 ms audio housekeeping timer, and optionally
    simulated UI work on the same thread."""

    def __init__(self, args: argparse.Namespace, kamailio: Any, tmp: Path) -> None:
        from PySide6.QtCore import QCoreApplication

        from communicator.sip.endpoint import EndpointOptions, SipEndpoint
        from communicator.sip.engine import SipEngine
        from communicator.ui.pump import Pump
        from tests.sip.helpers import make_profile

        self.args = args
        self.app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
        self.endpoint = SipEndpoint(EndpointOptions(bound_address="127.0.0.1"))
        self.engine = SipEngine(self.endpoint, recordings_dir=tmp / "recordings")
        self._pump = Pump(self.endpoint.poll, sockets=self.endpoint)
        self.endpoint.wakeup = self._pump.kick
        self._pump.start()
        self.engine.apply_profile(
            make_profile(kamailio, AGENT, sections={"agent": {"max_lines": args.lines}})
        )
        self.engine.sign_in()
        self.housekeeping: Callable[[], None] | None = None
        """The app's 200 ms timer (`AudioHousekeeper.tick`)."""
        from communicator.core.registration import RegistrationState

        self.pump(10, lambda: self.engine.registration.state is RegistrationState.REGISTERED)

    def pump(
        self, seconds: float, until: Callable[[], bool] | None = None, *, busy: bool = False
    ) -> bool:
        """Run the Qt event loop for ``seconds`` (or until ``until()``, checked every 20 ms);
        with ``busy`` a timer also does ``--busy-ms`` of Python work every 50 ms, like a
        UI repainting and handling input on the same thread."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        reached = False
        timers: list[QTimer] = []

        def every(ms: int, action: Callable[[], None]) -> None:
            timer = QTimer()
            timer.setInterval(ms)
            timer.timeout.connect(action)
            timer.start()
            timers.append(timer)

        def check() -> None:
            nonlocal reached
            if until is not None and until():
                reached = True
                loop.quit()

        def work() -> None:
            spin_end = time.perf_counter() + self.args.busy_ms / 1000.0
            x = 0
            while time.perf_counter() < spin_end:
                x += 1

        def tick() -> None:
            if self.housekeeping is not None:
                self.housekeeping()

        if until is not None:
            if until():
                return True
            every(20, check)
        if busy:
            every(50, work)
        every(200, tick)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        for timer in timers:
            timer.stop()
        if until is not None and not reached:
            raise TimeoutError("condition not reached")
        return reached

    def call(self) -> Any:
        from communicator.core.calls import CallState

        call = self.engine.place_call(FAR)
        self.active_call = call
        self.pump(10, lambda: self.engine.call(call).state is CallState.CONNECTED)
        self.pump(0.5)
        return call

    def stack_call(self) -> Any:
        """The pjsua2 Call of the one call up, looked up in pjsua itself (no engine internals;
        the bench has one call at a time)."""
        import pjsua2 as pj

        for call_id in range(self.endpoint.options.max_calls):
            call = pj.Call.lookup(call_id)
            if call is not None:
                return call
        raise RuntimeError("no call is up")

    def hangup_all(self) -> None:
        self.engine.hangup_all()
        self.pump(5, lambda: not any(self.engine.state.lines))

    def close(self) -> None:
        self.engine.close()
        self._pump.stop()
        self.endpoint.shutdown()


def measure_clicks(agent: Agent, far: FarProcess, seconds: float, sources: dict[str, Any]) -> Any:
    """Click latencies both ways, and the mean jitter-buffer depth (ms) of each receiver
    meanwhile: {"far": mic -> far path, "agent": far -> speaker path}."""
    start = time.monotonic()
    far.send("emit on")
    agent_jb: list[float] = []
    pj_call = agent.stack_call()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        agent.pump(JB_SAMPLE_S)
        with contextlib.suppress(Exception):
            agent_jb.append(int(pj_call.getStreamStat(0).jbuf.size) * frame_ms(pj_call))
    far.send("emit off")
    agent.pump(1.2)
    out_tx = sources["agent_tx"]()
    in_rx = sources["agent_rx"]()
    mic_to_far = latencies([t for t in out_tx if t >= start], far.times("rx", start))
    far_to_spk = latencies(far.times("tx", start), [t for t in in_rx if t >= start])
    far_jb = [
        e.get("ms") for e in list(far.events) if e.get("event") == "jb" and e.get("t", 0) >= start
    ]
    jitter = {
        "far": far_jb[-1] if far_jb else None,
        "agent": statistics.mean(agent_jb) if agent_jb else None,
    }
    return mic_to_far, far_to_spk, jitter


def cpu_pct(agent: Agent, seconds: float) -> float:
    """Process CPU time / wall time while the agent's event loop runs, in % of one core."""
    c0, w0 = time.process_time(), time.monotonic()
    agent.pump(seconds)
    return 100.0 * (time.process_time() - c0) / (time.monotonic() - w0)


def bridge_linger_s() -> float:
    from communicator.sip.audio.bridge import LINGER_S

    return LINGER_S


def bare_stream_plan(bridge: Any, block_ms: float) -> list[dict[str, Any]]:
    """The streams the bridge has open (kind, device, rate, block size, latency)."""
    opened = bridge.opened
    assert opened is not None, "the bridge has no streams open"
    plan = []
    for kind in opened.kinds:
        rate = opened.input_rate if kind in ("duplex", "input") else opened.output_rate
        if kind == "duplex":
            device: Any = (opened.microphone.index, opened.speaker.index)
        elif kind == "input":
            device = opened.microphone.index
        else:
            device = opened.speaker.index
        plan.append(
            {
                "kind": kind,
                "device": device,
                "samplerate": rate,
                "blocksize": max(1, round(rate * block_ms / 1000.0)),
                "latency": bridge.latency,
            }
        )
    return plan


def bare_streams_cpu(agent: Agent, plan: list[dict[str, Any]], args: argparse.Namespace) -> float:
    import sounddevice as sd

    def duplex(indata: Any, outdata: Any, frames: int, t: Any, status: Any) -> None:
        outdata.fill(0)

    def output(outdata: Any, frames: int, t: Any, status: Any) -> None:
        outdata.fill(0)

    def capture(indata: Any, frames: int, t: Any, status: Any) -> None:
        pass

    streams = []
    for item in plan:
        common = {k: item[k] for k in ("device", "samplerate", "blocksize", "latency")}
        if item["kind"] == "duplex":
            streams.append(sd.Stream(channels=1, dtype="float32", callback=duplex, **common))
        elif item["kind"] == "input":
            streams.append(sd.InputStream(channels=1, dtype="float32", callback=capture, **common))
        else:
            streams.append(sd.OutputStream(channels=1, dtype="float32", callback=output, **common))
    try:
        for stream in streams:
            stream.start()
        agent.pump(1.0)
        return cpu_pct(agent, args.cpu_seconds)
    finally:
        for stream in streams:
            stream.stop()
            stream.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.rig.kamailio import KamailioServer, random_accounts
    from tests.sip.sound.pulse import PulseServer

    tmp = Path(tempfile.mkdtemp(prefix="audio-bench-"))
    pulse = PulseServer(tmp / "pulse").start()
    os.environ.update(pulse.env)
    pulse.load_sink("click_sink")
    kamailio = KamailioServer(
        random_accounts([AGENT, FAR, "1008"]), run_dir=tmp / "kamailio"
    ).start()
    far = FarProcess(kamailio.domain, kamailio.proxy_uri("udp"), kamailio.account(FAR).password)
    results: dict[str, Any] = {
        "duration_s": args.duration,
        "skew_ppm": args.skew_ppm,
        "block_ms": args.block_ms,
        "latency": args.latency,
        "busy_ms": args.busy_ms,
    }
    agent: Agent | None = None
    clicker: Any = None
    bridge: Any = None
    watcher: StallWatcher | None = None
    try:
        deadline = time.monotonic() + 10
        while not any(e.get("event") == "reg" and e.get("code") == 200 for e in far.events):
            if time.monotonic() > deadline:
                raise TimeoutError("far end did not register")
            time.sleep(0.05)
        import pjsua2 as pj

        from communicator.sip.audio import AudioBridge, AudioHousekeeper, DeviceManager
        from communicator.sip.media_port import retire_media_port

        DeviceManager.reinitialize()
        agent = Agent(args, kamailio, tmp)

        # -------- baseline: the same call path with a plain port as local audio
        probe = make_click_port(pj, "agent-click")
        try:
            probe.emit = True
            agent.engine.set_local_audio(probe, probe)
            agent.call()
            base_out, base_in, base_jb = measure_clicks(
                agent,
                far,
                args.clicks,
                {"agent_tx": lambda: list(probe.tx), "agent_rx": lambda: list(probe.rx.times)},
            )
            c0, w0 = time.process_time(), time.monotonic()
            agent.pump(args.cpu_seconds)
            cpu_baseline_call = 100.0 * (time.process_time() - c0) / (time.monotonic() - w0)
            agent.hangup_all()
        finally:
            agent.engine.reset_local_audio()
            retire_media_port(probe)  # never freed while pjmedia's clock may still call it
            probe = None
        # -------- CPU references (same run): idle, and a call with no audio port at all
        # (pjsua2's media, the engine and its pump: what any pjsua2 client pays per call).
        agent.pump(3.0)  # the conference clock stops after the call
        cpu_idle = cpu_pct(agent, args.cpu_seconds)
        agent.call()
        cpu_call_no_port = cpu_pct(agent, args.cpu_seconds)
        agent.hangup_all()
        agent.pump(3.0)
        results["baseline_ms"] = {
            "mic_to_far": median_ms(base_out),
            "far_to_speaker": median_ms(base_in),
        }
        print(f"baseline (pjsua2 port to port): {results['baseline_ms']}", flush=True)

        # -------- the bridge on PulseAudio devices
        devices = DeviceManager()
        devices.refresh(force=True)
        # The clicks come from another process (paplay into click_sink, whose monitor is the
        # agent's microphone), so their playback costs nothing here.
        seconds = int(args.clicks + 16)
        pattern = np.zeros(48000 * seconds, np.float32)
        for k in range(seconds):
            pattern[48000 * k : 48000 * k + len(click(48000))] = click(48000)
        wav = tmp / "clicks.wav"
        import wave

        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(48000)
            w.writeframes((pattern * 32767).astype("<i2").tobytes())

        def new_bridge(skew: float) -> Any:
            b = AudioBridge(
                devices,
                microphone="comm_click_mic",
                device_skew_ppm=skew,
                latency=args.latency,
                block_ms=args.block_ms,
            )
            try:
                b.start()
                b.attach(agent.engine)
            except BaseException:
                b.close()
                raise
            agent.housekeeping = AudioHousekeeper(b).tick
            return b

        bridge = new_bridge(0.0)
        # Between calls the bridge keeps the devices closed (lazy streams); also measured
        # with them held open, what a call adds on top of that is the streams' own cost.
        c0, w0 = time.process_time(), time.monotonic()
        agent.pump(args.cpu_seconds)
        cpu_idle_bridge = 100.0 * (time.process_time() - c0) / (time.monotonic() - w0)
        idle_streams_closed = not bridge.streams_open
        bridge.keep_open(True)
        agent.pump(1.0)
        c0, w0 = time.process_time(), time.monotonic()
        agent.pump(args.cpu_seconds)
        cpu_idle_open = 100.0 * (time.process_time() - c0) / (time.monotonic() - w0)
        stream_plan = bare_stream_plan(bridge, args.block_ms)
        bridge.keep_open(False)
        agent.pump(bridge_linger_s() + 0.5)
        # The same streams (devices, rates, blocks, latency) with callbacks that only write
        # silence: what PortAudio and the sound server's client library cost by themselves.
        cpu_bare_streams = bare_streams_cpu(agent, stream_plan, args)
        mic_det, spk_det = Detector(), Detector()
        # Each callback's own device latency (ADC/DAC time vs. the callback's time, as
        # PortAudio reports it in the callback's time info) - the times the clicks are stamped
        # with - beside the stream's nominal latency.
        adc_lag: list[float] = []
        dac_lead: list[float] = []

        def mic_probe(block: Any, t0: float) -> None:
            adc_lag.append(time.monotonic() - t0)
            mic_det.feed(block, t0, bridge.device_rates[0])

        def speaker_probe(block: Any, t0: float) -> None:
            dac_lead.append(t0 - time.monotonic())
            spk_det.feed(block, t0, bridge.device_rates[1])

        bridge.set_probes(mic_probe, speaker_probe)
        # The clicks start before the call: a new PulseAudio client on the sink whose monitor
        # is the microphone disturbs the capture stream for a moment (measured: an underrun
        # that raised the capture target just as the clicks were timed).
        clicker = subprocess.Popen(
            ["paplay", f"--server={pulse.socket}", "--device=click_sink", str(wav)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        agent.pump(1.0)
        call = agent.call()
        agent.pump(2.0)  # the rings settle at their targets
        e2e_out, e2e_in, e2e_jb = measure_clicks(
            agent,
            far,
            args.clicks,
            {"agent_tx": lambda: list(mic_det.times), "agent_rx": lambda: list(spk_det.times)},
        )
        bridge.set_probes(None, None)
        clicker.terminate()
        clicker.wait()
        clicker = None
        lat_in, lat_out = bridge.latency_s()
        e2e = {"mic_to_far": median_ms(e2e_out), "far_to_speaker": median_ms(e2e_in)}
        nominal = {"input": round(lat_in * 1000, 2), "output": round(lat_out * 1000, 2)}
        adc_ms, dac_ms = median_ms(adc_lag), median_ms(dac_lead)
        device: dict[str, float] = {
            "input": nominal["input"] if adc_ms is None else adc_ms,
            "output": nominal["output"] if dac_ms is None else dac_ms,
        }
        results["device_latency_nominal_ms"] = nominal
        # Added = end to end - device latency - baseline. The baseline is another call, whose
        # adaptive jitter buffers (the far end's for mic -> far, the agent's for far -> speaker)
        # may sit a frame or two deeper or shallower than during the measured call: that is
        # pjmedia's doing, not the bridge's, so the baseline is aligned to the measured call's
        # jitter-buffer depth (both sampled every 47 ms while the clicks ran). The unaligned
        # figures are reported too.
        added, unaligned = {}, {}
        for path, dev, receiver in (
            ("mic_to_far", device["input"], "far"),
            ("far_to_speaker", device["output"], "agent"),
        ):
            base = results["baseline_ms"][path]
            end_to_end = e2e[path]
            if end_to_end is None or base is None:
                continue
            unaligned[path] = round(end_to_end - dev - base, 2)
            jb_base, jb_e2e = base_jb[receiver], e2e_jb[receiver]
            shift = (jb_e2e - jb_base) if jb_base is not None and jb_e2e is not None else 0.0
            added[path] = round(end_to_end - dev - (base + shift), 2)
        results["jitter_buffer_ms"] = {
            "baseline": {k: None if v is None else round(v, 1) for k, v in base_jb.items()},
            "measured": {k: None if v is None else round(v, 1) for k, v in e2e_jb.items()},
        }
        results["added_ms_unaligned"] = unaligned
        stats = bridge.stats()
        results.update(
            end_to_end_ms=e2e,
            device_latency_ms=device,
            added_ms=added,
            added_latency_ms=max(added.values()) if added else None,
            ring_depth_ms={
                "capture": round(stats.capture_depth_ms, 2),
                "playback": round(stats.playback_depth_ms, 2),
                "capture_target": round(stats.capture_target_ms, 2),
                "playback_target": round(stats.playback_target_ms, 2),
            },
            clicks_matched={"mic_to_far": len(e2e_out), "far_to_speaker": len(e2e_in)},
            start_of_call={
                "underruns": stats.underruns,
                "overruns": stats.overruns,
                "spin_restarts": stats.spin_restarts,
            },
        )
        print(
            f"end to end {e2e}, device {device}, added {added}, rings {results['ring_depth_ms']},"
            f" start of call {results['start_of_call']}",
            flush=True,
        )

        # -------- CPU: one call, then max lines in conference (main thread not busy)
        s0 = bridge.stats()
        cpu_one = cpu_pct(agent, args.cpu_seconds)
        s1 = bridge.stats()
        callbacks_pct = (
            100.0
            * ((s1.port_cpu_s - s0.port_cpu_s) + (s1.device_cpu_s - s0.device_cpu_s))
            / args.cpu_seconds
        )
        calls = [call]
        for _ in range(args.lines - 1):
            calls.append(agent.call())
        if len(calls) >= 2:
            agent.engine.conference(calls[0], calls[1])
            agent.pump(1.0)
        cpu_max = cpu_pct(agent, args.cpu_seconds)
        agent.hangup_all()
        # More rounds of the same figures, references included, interleaved: this machine's
        # CPU figures drift by a percent or so over minutes, so a difference of figures taken
        # minutes apart is noise; medians of interleaved rounds are not.
        rounds: dict[str, list[float]] = {
            "idle": [cpu_idle],
            "no_port": [cpu_call_no_port],
            "bare": [cpu_bare_streams],
            "one": [cpu_one],
            "max": [cpu_max],
        }
        for _ in range(args.cpu_rounds - 1):
            # As in the first round: the references without the bridge's streams (closed by
            # the housekeeping after the linger) and without the housekeeping timer.
            agent.pump(bridge_linger_s() + 0.5)
            assert not bridge.streams_open
            agent.housekeeping = None
            bridge.detach(agent.engine)
            agent.call()
            rounds["no_port"].append(cpu_pct(agent, args.cpu_seconds))
            agent.hangup_all()
            agent.pump(3.0)
            rounds["idle"].append(cpu_pct(agent, args.cpu_seconds))
            rounds["bare"].append(bare_streams_cpu(agent, stream_plan, args))
            bridge.attach(agent.engine)
            agent.housekeeping = AudioHousekeeper(bridge).tick
            calls = [agent.call()]
            agent.pump(1.0)
            rounds["one"].append(cpu_pct(agent, args.cpu_seconds))
            for _ in range(args.lines - 1):
                calls.append(agent.call())
            if len(calls) >= 2:
                agent.engine.conference(calls[0], calls[1])
                agent.pump(1.0)
            rounds["max"].append(cpu_pct(agent, args.cpu_seconds))
            agent.hangup_all()
        results["cpu_rounds_pct"] = {k: [round(v, 2) for v in vs] for k, vs in rounds.items()}
        cpu_idle, cpu_call_no_port, cpu_bare_streams, cpu_one, cpu_max = (
            statistics.median(rounds[k]) for k in ("idle", "no_port", "bare", "one", "max")
        )
        device_cost = max(0.0, cpu_bare_streams - cpu_idle)
        call_cost = max(0.0, cpu_call_no_port - cpu_idle)
        own_one = cpu_one - cpu_idle - device_cost - call_cost
        own_max = (cpu_max - cpu_idle - device_cost - args.lines * call_cost) / args.lines
        results["cpu_reference_pct"] = {
            "idle_signed_in": round(cpu_idle, 2),
            "bare_streams_no_call": round(cpu_bare_streams, 2),
            "call_without_audio_port": round(cpu_call_no_port, 2),
            "device_streams_alone": round(device_cost, 2),
            "pjsua2_call_alone": round(call_cost, 2),
        }
        results["communicator_added_cpu_pct_per_call"] = round(max(own_one, own_max), 2)
        results["cpu_pct"] = {
            "baseline_call_with_click_port": round(cpu_baseline_call, 2),
            "bridge_no_call": round(cpu_idle_bridge, 2),
            "bridge_no_call_streams_closed": idle_streams_closed,
            "bridge_streams_open_no_call": round(cpu_idle_open, 2),
            "one_call": round(cpu_one, 2),
            "bridge_added_one_call": round(cpu_one - cpu_baseline_call, 2),
            f"{args.lines}_calls": round(cpu_max, 2),
            "bridge_callbacks_one_call": round(callbacks_pct, 2),
        }
        results["cpu_pct_per_call"] = round(max(cpu_one, cpu_max / args.lines), 2)
        print(f"cpu {results['cpu_pct']}", flush=True)
        print(
            f"cpu references {results['cpu_reference_pct']}, added by Communicator per call "
            f"{results['communicator_added_cpu_pct_per_call']}",
            flush=True,
        )

        # -------- long call with the main thread busy: as is, then skewed both ways
        runs: dict[str, Any] = {}
        watcher = StallWatcher(3 * (args.warmup + args.duration) + 120)
        agent.call()
        for skew in (0.0, args.skew_ppm, -args.skew_ppm):
            if skew != 0.0:  # the call stays up while the devices reopen skewed
                agent.housekeeping = None
                bridge.detach(agent.engine)
                bridge.close()
                bridge = new_bridge(skew)
            agent.pump(args.warmup, busy=True)
            before = bridge.stats()
            counted_from = time.monotonic()
            agent.pump(args.duration, busy=True)
            after = bridge.stats()
            counted_to = time.monotonic()
            stalls = watcher.stalls(counted_from - 0.1, counted_to)  # also those just before
            underrun_at = [
                t
                for times in bridge.underrun_times().values()
                for t in times
                if counted_from <= t <= counted_to
            ]
            runs[f"{skew:+g}ppm"] = {
                "underruns": after.underruns - before.underruns,
                "overruns": after.overruns - before.overruns,
                "startup_underruns": before.underruns,
                "startup_overruns": before.overruns,
                "capture_correction_ppm": round(after.capture_correction_ppm, 1),
                "playback_correction_ppm": round(after.playback_correction_ppm, 1),
                "capture_depth_ms": round(after.capture_depth_ms, 2),
                "playback_depth_ms": round(after.playback_depth_ms, 2),
                "frames": after.frames_requested - before.frames_requested,
                "device_rates": bridge.device_rates,
                "capture_target_ms": round(after.capture_target_ms, 2),
                "playback_target_ms": round(after.playback_target_ms, 2),
                "failures": len(bridge.failures),
                "spin_restarts": after.spin_restarts,
                "machine_stalls": sum(start >= counted_from for start, _ in stalls),
                "machine_stall_max_ms": round(max((b - a for a, b in stalls), default=0) * 1e3, 1),
                "underruns_during_machine_stalls": sum(
                    during_stall(t, stalls) for t in underrun_at
                ),
            }
            print(f"long call {skew:+g} ppm: {runs[f'{skew:+g}ppm']}", flush=True)
        results["long_call"] = runs
        results["stall_watcher_realtime"] = watcher.realtime
        results["machine_stalls"] = sum(r["machine_stalls"] for r in runs.values())
        results["underruns_during_machine_stalls"] = sum(
            r["underruns_during_machine_stalls"] for r in runs.values()
        )
        results["underruns"] = sum(r["underruns"] for r in runs.values())
        results["overruns"] = sum(r["overruns"] for r in runs.values())
        agent.hangup_all()
    finally:
        if watcher is not None:
            watcher.close()
        if agent is not None:
            agent.housekeeping = None
        if bridge is not None and agent is not None:
            bridge.detach(agent.engine)
            bridge.close()
            bridge = None
        if clicker is not None:
            clicker.kill()
            clicker.wait()
        if agent is not None:
            agent.close()
        far.close()
        kamailio.close()
        pulse.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds per long call")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--skew-ppm", type=float, default=300.0)
    parser.add_argument("--clicks", type=float, default=15.0, help="seconds of clicks")
    parser.add_argument("--busy-ms", type=float, default=30.0, help="UI work per 50 ms")
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--cpu-rounds", type=int, default=3, help="interleaved CPU rounds")
    parser.add_argument("--lines", type=int, default=2)
    parser.add_argument(
        "--latency", type=lambda v: v if v in ("low", "high") else float(v), default="low"
    )
    parser.add_argument("--block-ms", type=float, default=20.0)
    parser.add_argument("--far-end", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--watch-stalls", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--watch-seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--domain", help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    parser.add_argument("--password", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.far_end:
        return far_end(args)
    if args.watch_stalls:
        return watch_stalls(args)
    results = run(args)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
