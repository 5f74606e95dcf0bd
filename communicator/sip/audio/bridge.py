"""The agent's sound card on pjsua2's conference bridge.

One `AudioMediaPort` (16 kHz mono, 20 ms frames) is both the microphone the engine sends to
the calls and the speaker it plays them to (`AudioBridge.attach` -> `SipEngine.set_local_audio`).
It meets the sound card in two bounded rings (`ring.RingBuffer`):

    mic  -> PortAudio callback -> resample (device rate -> 16 kHz, drift) -> capture ring
         -> onFrameRequested (pjmedia clock thread) -> bridge -> calls
    calls -> bridge -> onFrameReceived (pjmedia clock thread) -> resample (16 kHz -> device
         rate, drift) -> playback ring -> PortAudio callback (+ tones) -> speaker

Each ring's producer resamples with a variable ratio (`resample.StreamResampler`) steered by a
`drift.DepthController`, so the two clocks never run a queue dry or full; when the device runs
at the bridge rate it only slips a sample now and then instead (`slip.SampleSlipper`). Mic and
speaker on one device share a duplex stream; otherwise there are two streams.

Threads: the port callbacks run on pjmedia's clock thread, the stream callbacks on PortAudio's
thread; neither calls pjsua2 (the port callbacks only fill or read the frame they are given).
Frames are read through a numpy view of the SWIG vector's storage (not ``bytes(frame.buf)``,
~850 us) and written in place into a preallocated ``pj.ByteVector``; no ctypes calls (each
releases the GIL, i.e. one more wait for it under load). All hot-path buffers are
preallocated; the resampler (only when a device runs at another rate) returns one small array
per block (measured in the benchmark).

Streams run only while they are needed: the bridge follows the attached engines' lines and
opens the devices when a call is dialled, rings out, has early media, is connected or held,
or when a tone is asked for; `AudioBridge.poll` closes them `LINGER_S` after the last such
call ended and the tones finished (no PortAudio, ALSA/PulseAudio or resampler work between
calls; the port then yields silence). ``AudioBridge(..., lazy=False)`` keeps them open.

Main thread: `AudioBridge.poll` (see `housekeeping.AudioHousekeeper`) watches the streams; a
device that stops (unplugged) is replaced by the default device without touching the calls, and an
`AudioNotice` tells the agent. With no usable device the port stays on the bridge (calls still
connect, silence both ways) and the notice says no microphone/speaker was found.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pjsua2 as pj

from communicator.core.calls import CallState
from communicator.sip.audio.devices import (
    AudioDevice,
    DeviceManager,
    OpenStreams,
    warm_up_portaudio,
)
from communicator.sip.audio.drift import AdaptiveTarget, DepthController
from communicator.sip.audio.meters import LevelMeter, MeterReading
from communicator.sip.audio.notices import NoticeBoard
from communicator.sip.audio.resample import StreamResampler
from communicator.sip.audio.ring import RingBuffer, Samples
from communicator.sip.audio.slip import WINDOW as SLIP_WINDOW
from communicator.sip.audio.slip import SampleSlipper
from communicator.sip.audio.spin import SpinWatch
from communicator.sip.audio.tones import ToneMixer
from communicator.sip.events import LinesChanged
from communicator.sip.media_port import retire_media_port

log = logging.getLogger(__name__)

BRIDGE_RATE = 16000
FRAME_SAMPLES = 320
FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_S = FRAME_SAMPLES / BRIDGE_RATE
RING_SECONDS = 0.5
ACTIVE_WINDOW_S = 0.15
"""A side counts as running while it was served within this time."""
MAX_BLOCK = 16384
DEVICE_BLOCK_MS = 20.0
"""Device callback period: one pjmedia frame. Measured here (PortAudio 19.6 through ALSA's
pulse plugin): a bare duplex stream costs ~3.5 % of a core with 20 ms blocks, and 10-35 % with
10 ms blocks and low latency (the ALSA plugin then often spins); the bridge's own callbacks
cost half as much with half as many calls. The price is ~20 ms more device latency."""
GIL_SWITCH_S = 0.001
MAX_UNDERRUN_TIMES = 1000
CONFIRM_UNDERRUN_S = 1.0
"""An underrun counts when its producer delivers again within this time: a stall, however
long. Not after it: the producer had stopped (a call ended or was held)."""
RESYNC_S = 0.06
"""Backlog beyond the target (plus two blocks) that is dropped at once instead of drained."""
MAX_SPIN_RESTARTS = 3
"""Restarts of spinning streams (see `spin`) per bridge; past that it is only logged."""
LINGER_S = 2.0
"""Streams stay open this long after the last call or tone (a quick next call, a late tone)."""
STREAM_STATES = frozenset(
    {
        CallState.DIALING,
        CallState.RINGING_OUT,
        CallState.EARLY_MEDIA,
        CallState.CONNECTED,
        CallState.HELD,
    }
)
"""A call in one of these states keeps the devices open (dialling opens them early, so the
first words after the answer are not lost to the stream start)."""

_from_address = ctypes.c_void_p.from_address
_FRAME_CHARS = ctypes.c_char * FRAME_BYTES
_AUDIO = pj.PJMEDIA_FRAME_TYPE_AUDIO


def _vector_storage(vector: Any) -> tuple[int, int]:
    """(data pointer, size) of a SWIG ``std::vector<unsigned char>`` (libstdc++/MSVC layout:
    begin and end pointers first)."""
    addr = int(vector.this)
    begin = _from_address(addr).value or 0
    end = _from_address(addr + ctypes.sizeof(ctypes.c_void_p)).value or 0
    return begin, end - begin


def _probe_time(stream_time: float, t: Any) -> float:
    """A PortAudio stream time (its own clock) as a `time.monotonic` value."""
    return time.monotonic() + (float(stream_time) - float(t.currentTime))


@dataclass(frozen=True)
class BridgeStats:
    capture_underruns: int
    capture_overruns: int
    playback_underruns: int
    playback_overruns: int
    capture_depth_ms: float
    playback_depth_ms: float
    capture_target_ms: float
    playback_target_ms: float
    capture_correction_ppm: float
    playback_correction_ppm: float
    frames_requested: int
    frames_received: int
    device_callbacks: int
    port_cpu_s: float
    """Time spent in the port callbacks (pjmedia clock thread)."""
    device_cpu_s: float
    """Time spent in the stream callbacks (PortAudio thread)."""
    spin_restarts: int = 0
    """Streams restarted because their thread was spinning (`spin.SpinWatch`)."""

    @property
    def underruns(self) -> int:
        return self.capture_underruns + self.playback_underruns

    @property
    def overruns(self) -> int:
        return self.capture_overruns + self.playback_overruns


class _Direction:
    """One ring with its producer-side resampler and depth controller."""

    def __init__(self, in_rate: int, out_rate: int, consumer_block: int, producer_block: int):
        self.ring = RingBuffer(int(out_rate * RING_SECONDS))
        slip = in_rate == out_rate and producer_block >= SLIP_WINDOW + 2
        self.resampler: StreamResampler | SampleSlipper = (
            SampleSlipper(out_rate) if slip else StreamResampler(in_rate, out_rate)
        )
        block = max(producer_block, consumer_block)
        self.target = AdaptiveTarget(
            minimum=block * 3 // 4,
            maximum=int(out_rate * 0.15),
            step_up=block // 2,
            step_down=max(1, producer_block // 4),
        )
        """The target is the depth just before a producer block arrives, as if the consumer
        drained continuously; the consumer reads whole blocks ahead of that, so a sample
        waits about target + one consumer block, and each read finds at least the target
        left over: the margin for both threads' scheduling jitter. It starts at its minimum,
        three quarters of a block (15 ms at 20 ms blocks; it was one block, which put the
        added latency at 40-47 ms); start-up underruns raise it only until the start-up
        jitter has passed, later ones for longer (see `AdaptiveTarget`)."""
        self._consumer_block = consumer_block
        self.ring.prime = self._prime()
        self.control = DepthController(out_rate, self.target)
        self.out_rate = out_rate
        self.resync_above = max(consumer_block, producer_block) * 2 + int(out_rate * RESYNC_S)
        self.resync = True
        """Drop a backlog beyond ``resync_above`` at once (both directions). A device that
        delivers in bursts longer than that (not a sound card) would lose audio each time:
        the test rig's old sine "microphone" did (see tests/sip/sound/pulse.py)."""
        self.last_served = float("-inf")
        self.last_produced = float("-inf")
        self._window_start = 0.0
        self._underruns_seen = 0
        self.underruns = 0
        """Gaps in a flowing stream: the ring's underruns, each confirmed when the producer
        comes back within `CONFIRM_UNDERRUN_S`. A producer that stopped (the call ended or
        went on hold, the device closed) leaves the consumer one empty read: that is the end
        of the audio, not a gap in it, and is not counted. Written by the producer's thread
        only; the consumer's thread only writes `_underruns_seen` and `_underrun_at`."""
        self._confirmed_upto = 0
        self._underrun_at = 0.0
        self.underrun_times: list[float] = []
        """When the counted underruns happened (the empty read's time; the first
        `MAX_UNDERRUN_TIMES`): support and the benchmark match them against other events."""

    def _prime(self) -> int:
        """Reading (re)starts at the steady-state level before a read: target + one read."""
        return self.target.value + self._consumer_block

    def _restart(self, now: float) -> None:
        """Audio starts flowing through this ring (either side was idle): a start-up period."""
        self.target.restart(now)
        self.ring.prime = self._prime()
        self.ring.take_min_level()
        self._window_start = now

    def produce(self, block: Samples, block_s: float, now: float) -> None:
        ring = self.ring
        gap = now - self.last_produced
        producer_was_idle = gap > ACTIVE_WINDOW_S
        self.last_produced = now
        seen = self._underruns_seen
        if seen != self._confirmed_upto:
            if gap <= CONFIRM_UNDERRUN_S:
                new = seen - self._confirmed_upto
                self.underruns += new
                room = MAX_UNDERRUN_TIMES - len(self.underrun_times)
                self.underrun_times.extend([self._underrun_at] * min(new, max(room, 0)))
            self._confirmed_upto = seen
        if now - self.last_served > ACTIVE_WINDOW_S:
            # Nobody consumes (no call on the bridge, or the device is closed): stay empty
            # so the next start primes at the target, and count nothing.
            if ring.level:
                ring.clear()
            self.control.reset()
            self.resampler.process(block)
            return
        # The level as if the consumer drained continuously: without this the measurement
        # aliases the consumer's block sawtooth, and jumps by a block each time the two
        # clocks' phases slip past each other (every ~30 s at 300 ppm).
        if producer_was_idle:  # e.g. the call's audio starts after the device opened
            self._restart(now)
        since = min(max(now - self.last_served, 0.0), ACTIVE_WINDOW_S)
        level = ring.level - since * self.out_rate
        correction = self.control.update(round(level), block_s)
        ring.write(self.resampler.process(block, correction))

    def consume(self, out: Samples, now: float) -> None:
        ring = self.ring
        ring.counting = now - self.last_served <= ACTIVE_WINDOW_S
        if not ring.counting:  # the consumer starts (a call connects, a stream opens)
            self._restart(now)
        self.last_served = now
        ring.read_into(out)
        # A backlog far above the target (a device that started slowly, a stall) would take
        # the drift controller (+-2000 ppm) tens of seconds to drain: drop it at once.
        excess = ring.level - self.target.value
        if self.resync and excess > self.resync_above:
            ring.drop(excess)
            self.control.reset()
        if ring.underruns != self._underruns_seen:
            self._underrun_at = now
            self._underruns_seen = ring.underruns
            self.target.on_underrun(now)
            ring.prime = self._prime()
            self._window_start = now
        elif now - self._window_start >= 1.0:
            if self._window_start:
                headroom = ring.take_min_level() - len(out)
                self.target.on_window(now - self._window_start, headroom, now)
                ring.prime = self._prime()
            self._window_start = now


class _BridgePort(pj.AudioMediaPort):
    """The port itself; holds no reference back to pjsua2 objects (no cycles)."""

    def __init__(self, core: _Core) -> None:
        pj.AudioMediaPort.__init__(self)
        self._core = core

    def onFrameRequested(self, frame: Any) -> None:  # noqa: N802
        self._core.frame_requested(frame)

    def onFrameReceived(self, frame: Any) -> None:  # noqa: N802
        self._core.frame_received(frame)


class _Core:
    """State shared by the pjmedia and PortAudio callbacks (no pjsua2 objects but frames)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.muted = False
        self.mic_gain = 1.0
        self.speaker_gain = 1.0
        self.input_meter = LevelMeter()
        self.output_meter = LevelMeter()
        self.tones: ToneMixer | None = None
        self.capture: _Direction | None = None
        self.playback: _Direction | None = None
        self.frames_requested = 0
        self.frames_received = 0
        self.device_callbacks = 0
        self.port_ns = 0
        self.device_ns = 0
        self.failures: list[str] = []
        self.stream_stopped = False
        # One per stream thread (time.thread_time is per thread).
        self.spin_duplex = SpinWatch()
        self.spin_input = SpinWatch()
        self.spin_output = SpinWatch()
        self.input_probe: Callable[[Samples, float], None] | None = None
        """Benchmarks: called with each microphone block and the monotonic time its first
        sample was captured (PortAudio's ADC time)."""
        self.output_probe: Callable[[Samples, float], None] | None = None
        """Benchmarks: each speaker block and the monotonic time its first sample plays."""
        self._out_vec = pj.ByteVector()
        self._out_vec.resize(FRAME_BYTES)
        # The outgoing vector's storage as int16 samples (it is never resized, so it does not
        # move): frames are written in place, with no ctypes call (those release the GIL,
        # and each release lets another thread in before the callback can finish).
        self._out_i16 = np.frombuffer(
            memoryview(_FRAME_CHARS.from_address(_vector_storage(self._out_vec)[0])),
            dtype=np.int16,
        )
        self._f32 = np.zeros(FRAME_SAMPLES, dtype=np.float32)
        self._scratch = np.zeros(MAX_BLOCK, dtype=np.float32)
        self._out_scratch = np.zeros(MAX_BLOCK, dtype=np.float32)

    # ---------------------------------------------------------------- pjmedia clock thread

    def frame_requested(self, frame: Any) -> None:
        start = time.perf_counter_ns()
        try:
            f32 = self._f32
            capture = self.capture
            if capture is None or self.muted:
                f32[:] = 0.0
                if capture is not None:
                    capture.consume(f32, self.clock())
                    f32[:] = 0.0
            else:
                capture.consume(f32, self.clock())
            np.multiply(f32, 32767.0, out=f32)
            np.clip(f32, -32768.0, 32767.0, out=f32)
            np.copyto(self._out_i16, f32, casting="unsafe")
            frame.buf = self._out_vec
            frame.size = FRAME_BYTES
            frame.type = _AUDIO
            self.frames_requested += 1
        except Exception as error:  # never raise into pjmedia
            self._fail("onFrameRequested", error)
        finally:
            self.port_ns += time.perf_counter_ns() - start

    def frame_received(self, frame: Any) -> None:
        start = time.perf_counter_ns()
        try:
            playback = self.playback
            if playback is None or frame.type != _AUDIO:
                return
            ptr, size = _vector_storage(frame.buf)
            if size != FRAME_BYTES or not ptr:
                return
            f32 = self._f32
            # A view of the frame's own storage (valid during this callback), no copy.
            np.multiply(
                np.frombuffer(memoryview(_FRAME_CHARS.from_address(ptr)), dtype=np.int16),
                1.0 / 32768.0,
                out=f32,
            )
            playback.produce(f32, FRAME_S, self.clock())
            self.frames_received += 1
        except Exception as error:
            self._fail("onFrameReceived", error)
        finally:
            self.port_ns += time.perf_counter_ns() - start

    # ---------------------------------------------------------------- PortAudio thread

    def mic_block(self, block: Samples, rate: int) -> None:
        n = len(block)
        scratch = self._scratch[:n]
        np.multiply(block, self.mic_gain, out=scratch)
        self.input_meter.update(scratch)
        capture = self.capture
        if capture is not None:
            capture.produce(scratch, n / rate, self.clock())

    def speaker_block(self, out: Samples) -> None:
        playback = self.playback
        if playback is None:
            out[:] = 0.0
        else:
            playback.consume(out, self.clock())
            if self.speaker_gain != 1.0:
                np.multiply(out, self.speaker_gain, out=out)
        tones = self.tones
        if tones is not None:
            tones.mix_into(out)
        self.output_meter.update(out)

    def duplex_callback(self, indata: Any, outdata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_duplex.tick()
            rate = self.device_rate
            if self.input_probe is not None:
                self.input_probe(indata[:, 0], _probe_time(t.inputBufferAdcTime, t))
            self.mic_block(indata[:, 0], rate)
            out = self._out_scratch[:frames]
            self.speaker_block(out)
            if self.output_probe is not None:
                self.output_probe(out, _probe_time(t.outputBufferDacTime, t))
            outdata[:, 0] = out
            if outdata.shape[1] > 1:
                outdata[:, 1:] = outdata[:, :1]
        except Exception as error:
            self._fail("duplex callback", error)
        finally:
            self.device_ns += time.perf_counter_ns() - start

    def input_callback(self, indata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_input.tick()
            if self.input_probe is not None:
                self.input_probe(indata[:, 0], _probe_time(t.inputBufferAdcTime, t))
            self.mic_block(indata[:, 0], self.input_rate)
        except Exception as error:
            self._fail("input callback", error)
        finally:
            self.device_ns += time.perf_counter_ns() - start

    def output_callback(self, outdata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_output.tick()
            out = self._out_scratch[:frames]
            self.speaker_block(out)
            if self.output_probe is not None:
                self.output_probe(out, _probe_time(t.outputBufferDacTime, t))
            outdata[:, 0] = out
            if outdata.shape[1] > 1:
                outdata[:, 1:] = outdata[:, :1]
        except Exception as error:
            self._fail("output callback", error)
        finally:
            self.device_ns += time.perf_counter_ns() - start

    def stream_finished(self) -> None:
        self.stream_stopped = True

    @property
    def spinning(self) -> bool:
        return self.spin_duplex.spinning or self.spin_input.spinning or self.spin_output.spinning

    def reset_spin_watches(self) -> None:
        for watch in (self.spin_duplex, self.spin_input, self.spin_output):
            watch.reset()

    device_rate = BRIDGE_RATE
    input_rate = BRIDGE_RATE

    def _fail(self, where: str, error: Exception) -> None:
        if len(self.failures) < 100:
            self.failures.append(f"{where}: {error!r}")


@dataclass(frozen=True)
class _Opened:
    microphone: AudioDevice | None
    speaker: AudioDevice | None
    streams: tuple[Any, ...]
    kinds: tuple[str, ...]
    input_rate: int
    output_rate: int


class AudioBridge(NoticeBoard):
    """The agent's microphone and speaker as one port on the conference bridge.

    Create after the endpoint (on its thread), `start` to open the devices, `attach` to an
    engine. Before the endpoint shuts down: `detach` from every engine, then `close`.
    """

    def __init__(
        self,
        devices: DeviceManager | None = None,
        *,
        microphone: str | None = None,
        speaker: str | None = None,
        block_ms: float = DEVICE_BLOCK_MS,
        latency: float | str = "low",
        device_skew_ppm: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        lazy: bool = True,
    ) -> None:
        self.devices = devices if devices is not None else DeviceManager()
        self.microphone = microphone
        self.speaker = speaker
        self.block_ms = block_ms
        self.latency = latency
        """PortAudio suggested latency of the streams ("low", "high" or seconds)."""
        self.device_skew_ppm = device_skew_ppm
        """Benchmarks only: open the streams this much faster (+) or slower (-) than the rate
        the bridge assumes, to impose a clock skew on the device side."""
        self._core = _Core(clock)
        port = _BridgePort(self._core)
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, BRIDGE_RATE, 1, int(FRAME_S * 1_000_000), 16)
        port.createPort("communicator-audio", fmt)
        self._port: Any = port
        self._opened: _Opened | None = None
        NoticeBoard.__init__(self)
        self._engines: list[Any] = []
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self._closed = False
        self._started = False
        self.lazy = lazy
        """Open the devices only while a call or a tone needs them (see module doc)."""
        self._calls_need_audio = False
        self._idle_since = time.monotonic()
        self._selected: tuple[AudioDevice | None, AudioDevice | None] = (None, None)
        self._missing_said: str | None = None
        self._past = [0, 0, 0, 0]
        """Underruns/overruns of closed streams (capture u/o, playback u/o)."""
        self._past_underrun_times: dict[str, list[float]] = {"capture": [], "playback": []}
        """The closed streams' underrun times, per direction."""
        self._spin_restarts = 0
        self._spin_given_up = False

    # ------------------------------------------------------------------ engine plumbing

    @property
    def port(self) -> Any:
        """The pjsua2 AudioMedia: the engine's LocalAudio source and sink."""
        return self._port

    def attach(self, engine: Any) -> None:
        engine.set_local_audio(self._port, self._port)
        self._engines.append(engine)
        subscribe = getattr(engine, "subscribe", None)
        if subscribe is not None:
            self._unsubscribe[id(engine)] = subscribe(self._on_engine_event)
        self._update_demand()

    def detach(self, engine: Any) -> None:
        with contextlib.suppress(ValueError):
            self._engines.remove(engine)
        unsubscribe = self._unsubscribe.pop(id(engine), None)
        if unsubscribe is not None:
            unsubscribe()
        if not getattr(engine, "_closed", False):
            engine.reset_local_audio()
        self._update_demand()

    def _on_engine_event(self, event: Any) -> None:
        if isinstance(event, LinesChanged):
            self._update_demand()

    def _update_demand(self) -> None:
        """Main thread: open the devices when a call needs them (start the linger if not)."""
        busy = False
        for engine in self._engines:
            state = getattr(engine, "state", None)
            lines = getattr(state, "lines", ()) or ()
            if any(c is not None and c.state in STREAM_STATES for c in lines):
                busy = True
                break
        if self._calls_need_audio and not busy:
            self._idle_since = time.monotonic()
        self._calls_need_audio = busy
        if busy:
            self._ensure_open()

    def keep_open(self, on: bool = True) -> None:
        """Keep the devices open without a call (``lazy`` off), e.g. a microphone test in the
        settings dialog; off: closed again by `poll` after the linger."""
        self.lazy = not on
        self._idle_since = time.monotonic()
        if on:
            self._ensure_open()

    @property
    def needs_streams(self) -> bool:
        """A call (or ``lazy=False``) needs the devices now."""
        return not self.lazy or self._calls_need_audio

    @property
    def streams_open(self) -> bool:
        return self._opened is not None

    def _ensure_open(self) -> None:
        if self._started and not self._closed and self._opened is None:
            self._open(announce_missing=False)

    # ------------------------------------------------------------------ observable state

    @property
    def microphone_in_use(self) -> AudioDevice | None:
        """The open microphone, or (streams closed between calls) the one the next call uses."""
        return self._opened.microphone if self._opened else self._selected[0]

    @property
    def speaker_in_use(self) -> AudioDevice | None:
        return self._opened.speaker if self._opened else self._selected[1]

    @property
    def muted(self) -> bool:
        return self._core.muted

    def set_muted(self, muted: bool) -> None:
        """Mute at the bridge: the calls receive silence (the input meter still moves)."""
        self._core.muted = muted

    @property
    def mic_volume(self) -> float:
        return self._core.mic_gain

    def set_mic_volume(self, gain: float) -> None:
        """Linear gain 0..4 applied to the microphone before the meter."""
        self._core.mic_gain = max(0.0, min(4.0, float(gain)))

    @property
    def speaker_volume(self) -> float:
        return self._core.speaker_gain

    def set_speaker_volume(self, gain: float) -> None:
        self._core.speaker_gain = max(0.0, min(4.0, float(gain)))

    def input_level(self) -> MeterReading:
        return self._core.input_meter.reading()

    def output_level(self) -> MeterReading:
        return self._core.output_meter.reading()

    def set_probes(
        self,
        input_probe: Callable[[Samples, float], None] | None,
        output_probe: Callable[[Samples, float], None] | None,
    ) -> None:
        """Benchmark instrumentation (see `_Core.input_probe`); None removes them."""
        self._core.input_probe = input_probe
        self._core.output_probe = output_probe

    @property
    def device_rates(self) -> tuple[int, int]:
        """(input, output) rates the bridge assumes for the open devices."""
        opened = self._opened
        return (opened.input_rate, opened.output_rate) if opened else (0, 0)

    @property
    def failures(self) -> list[str]:
        return self._core.failures

    def stats(self) -> BridgeStats:
        core = self._core
        cap, play = core.capture, core.playback

        def ms(d: _Direction | None, value: float) -> float:
            return 1000.0 * value / d.out_rate if d else 0.0

        past = self._past
        return BridgeStats(
            capture_underruns=past[0] + (cap.underruns if cap else 0),
            capture_overruns=past[1] + (cap.ring.overruns if cap else 0),
            playback_underruns=past[2] + (play.underruns if play else 0),
            playback_overruns=past[3] + (play.ring.overruns if play else 0),
            capture_depth_ms=ms(cap, cap.control.average_depth) if cap else 0.0,
            playback_depth_ms=ms(play, play.control.average_depth) if play else 0.0,
            capture_target_ms=ms(cap, cap.target.value) if cap else 0.0,
            playback_target_ms=ms(play, play.target.value) if play else 0.0,
            capture_correction_ppm=cap.control.correction * 1e6 if cap else 0.0,
            playback_correction_ppm=play.control.correction * 1e6 if play else 0.0,
            frames_requested=core.frames_requested,
            frames_received=core.frames_received,
            device_callbacks=core.device_callbacks,
            port_cpu_s=core.port_ns / 1e9,
            device_cpu_s=core.device_ns / 1e9,
            spin_restarts=self._spin_restarts,
        )

    def underrun_times(self) -> dict[str, list[float]]:
        """Monotonic times of the counted underruns, per direction (the first
        `MAX_UNDERRUN_TIMES` of each ring, closed ones included)."""
        core = self._core
        return {
            name: self._past_underrun_times[name] + (list(d.underrun_times) if d else [])
            for name, d in (("capture", core.capture), ("playback", core.playback))
        }

    def latency_s(self) -> tuple[float, float]:
        """(input, output) latency PortAudio reports for the open streams."""
        opened = self._opened
        if opened is None:
            return (0.0, 0.0)
        lin = lout = 0.0
        for kind, stream in zip(opened.kinds, opened.streams, strict=True):
            lat = stream.latency
            if kind == "duplex":
                lin, lout = float(lat[0]), float(lat[1])
            elif kind == "input":
                lin = float(lat)
            else:
                lout = float(lat)
        return lin, lout

    # ------------------------------------------------------------------ tones on the speaker

    def _tone_mixer(self) -> ToneMixer | None:
        """The speaker's mixer, opening the devices for the tone if they are closed."""
        self._idle_since = time.monotonic()
        self._ensure_open()
        return self._core.tones

    def ringback(self, on: bool) -> None:
        tones = self._tone_mixer() if on else self._core.tones
        if tones is not None:
            tones.ringback(on)

    def call_waiting_beep(self) -> None:
        tones = self._tone_mixer()
        if tones is not None:
            tones.call_waiting_beep()

    def dtmf_feedback(self, digit: str) -> None:
        tones = self._tone_mixer()
        if tones is not None:
            tones.dtmf(digit)

    # ------------------------------------------------------------------ devices

    def start(self) -> None:
        """Open the chosen (or default) devices; a missing device falls back to the default.

        Also lowers the interpreter's GIL switch interval to `GIL_SWITCH_S`: with the default
        5 ms, a busy Qt thread holds the GIL for 5 ms at a time, and the ~150 audio callbacks
        a second (pjmedia and PortAudio) wait that long each time they take it back (SWIG,
        ctypes and cffi calls release it) - measured as queues that cannot keep up.
        """
        if sys.getswitchinterval() > GIL_SWITCH_S:
            sys.setswitchinterval(GIL_SWITCH_S)
        self._started = True
        self._select(announce_missing=True)
        if self._selected[1] is not None:
            warm_up_portaudio(self._selected[1].index)
        if self.needs_streams:
            self._open(announce_missing=False)

    def set_devices(self, *, microphone: str | None, speaker: str | None) -> None:
        """Switch devices (the calls stay; audio pauses for the reopen)."""
        self.microphone, self.speaker = microphone, speaker
        self._close_streams()
        self._select(announce_missing=True)
        if self.needs_streams:
            self._open(announce_missing=False)

    def _select(self, *, announce_missing: bool) -> None:
        """Resolve the chosen devices (notices for missing ones) without opening them."""
        devices = self.devices
        mic = devices.resolve(self.microphone, "input")
        spk = devices.resolve(self.speaker, "output")
        self._selected = (mic, spk)
        if announce_missing:
            self._announce_missing(mic, spk)
        self._announce_no_device(mic is not None, spk is not None)

    def _announce_missing(self, mic: AudioDevice | None, spk: AudioDevice | None) -> None:
        for choice, found, what in (
            (self.microphone, mic, "microphone"),
            (self.speaker, spk, "speaker"),
        ):
            if choice and (found is None or choice not in (found.name, found.label)):
                self.tell(
                    "device_missing",
                    f"The {what} {choice} is not connected; using the default {what}.",
                )

    def _announce_no_device(self, have_mic: bool, have_spk: bool) -> None:
        """Say once (until it changes) that no microphone/speaker is usable."""
        if have_mic and have_spk:
            self._missing_said = None
            return
        missing = (
            "microphone/speaker"
            if not have_mic and not have_spk
            else ("microphone" if not have_mic else "speaker")
        )
        text = f"No {missing} was found"
        if text != self._missing_said:
            self._missing_said = text
            self.tell("no_device", text)

    def refresh_devices(self) -> bool:
        """Re-read the device list now, re-initialising PortAudio if no stream is open."""
        return self.devices.refresh()

    def poll(self) -> None:
        """Main thread, every ~100-250 ms (`AudioHousekeeper.tick`): close idle streams after
        `LINGER_S`; reopen on the default device when a stream stopped (unplugged)."""
        opened = self._opened
        if opened is None or self._closed:
            return
        tones = self._core.tones
        if (
            not self.needs_streams
            and not (tones is not None and tones.busy)
            and time.monotonic() - self._idle_since >= LINGER_S
        ):
            self._close_streams()
            return
        if self._core.spinning:
            self._restart_spinning()
            return
        stopped = self._core.stream_stopped or any(not s.active for s in opened.streams)
        if not stopped:
            return
        self._close_streams()
        # With every stream closed PortAudio can be re-initialised to see what is left; the
        # chosen devices are tried again, each falling back to the default on failure.
        self.devices.refresh(force=True)
        self._open(announce_missing=False)
        now = self._opened
        for what, old, new in (
            ("microphone", opened.microphone, now.microphone if now else None),
            ("speaker", opened.speaker, now.speaker if now else None),
        ):
            if old is None or new is None:
                continue
            if new.name != old.name:
                text = f"The {what} {old.name} stopped working; now using {new.name}."
            else:
                text = f"The {what} {old.name} stopped and was restarted."
            self.tell("device_lost", text)

    def _restart_spinning(self) -> None:
        """A stream's thread spins (`spin`): reopen the same devices (a ~0.1 s gap)."""
        core = self._core
        busiest = max(
            w.last_cpu_fraction for w in (core.spin_duplex, core.spin_input, core.spin_output)
        )
        if self._spin_restarts >= MAX_SPIN_RESTARTS:
            if not self._spin_given_up:
                self._spin_given_up = True
                log.warning(
                    "a sound-card stream thread still uses %.0f %% of a core after %d restarts;"
                    " leaving it as it is",
                    100 * busiest,
                    MAX_SPIN_RESTARTS,
                )
            core.reset_spin_watches()
            return
        self._spin_restarts += 1
        log.warning(
            "a sound-card stream thread uses %.0f %% of a core (PortAudio/ALSA spinning);"
            " restarting the streams",
            100 * busiest,
        )
        self._close_streams()
        self._open(announce_missing=False)

    def _open(self, *, announce_missing: bool) -> None:
        import sounddevice as sd

        devices = self.devices
        mic = devices.resolve(self.microphone, "input")
        spk = devices.resolve(self.speaker, "output")
        if announce_missing:
            self._announce_missing(mic, spk)
        streams: list[Any] = []
        kinds: list[str] = []
        core = self._core
        block_s = self.block_ms / 1000.0
        skew = 1.0 + self.device_skew_ppm * 1e-6

        def rate_for(device: AudioDevice, kind: str) -> int:
            check = sd.check_input_settings if kind == "input" else sd.check_output_settings
            try:
                check(device=device.index, samplerate=BRIDGE_RATE, channels=1, dtype="float32")
                return BRIDGE_RATE
            except Exception:
                return int(device.default_samplerate) or 48000

        def open_stream(
            kind: str, device_in: AudioDevice | None, device_out: AudioDevice | None
        ) -> tuple[Any, int, int]:
            base = rate_for(device_in or device_out, "input" if device_in else "output")  # type: ignore[arg-type]
            actual = round(base * skew)
            blocksize = max(1, round(base * block_s))
            common: dict[str, Any] = {
                "samplerate": actual,
                "blocksize": blocksize,
                "dtype": "float32",
                "latency": self.latency,
                "finished_callback": core.stream_finished,
            }
            if kind == "duplex":
                stream = sd.Stream(
                    device=(device_in.index, device_out.index),  # type: ignore[union-attr]
                    channels=1,
                    callback=core.duplex_callback,
                    **common,
                )
            elif kind == "input":
                stream = sd.InputStream(
                    device=device_in.index,  # type: ignore[union-attr]
                    channels=1,
                    callback=core.input_callback,
                    **common,
                )
            else:
                stream = sd.OutputStream(
                    device=device_out.index,  # type: ignore[union-attr]
                    channels=1,
                    callback=core.output_callback,
                    **common,
                )
            return stream, base, blocksize

        in_rate = out_rate = BRIDGE_RATE
        in_block = out_block = FRAME_SAMPLES
        opened_mic: AudioDevice | None = None
        opened_spk: AudioDevice | None = None
        try:
            if mic is not None and spk is not None and mic.index == spk.index:
                try:
                    stream, rate, blk = open_stream("duplex", mic, spk)
                    OpenStreams.opened()
                    streams.append(stream)
                    kinds.append("duplex")
                    in_rate = out_rate = rate
                    in_block = out_block = blk
                    opened_mic, opened_spk = mic, spk
                except Exception as error:
                    log.warning("duplex stream on %s failed: %s", mic.name, error)
            if not streams:
                for kind, wanted in (("input", mic), ("output", spk)):
                    if wanted is None:
                        continue
                    got = self._open_one(open_stream, kind, wanted)
                    if got is None:
                        continue
                    stream, rate, blk, device = got
                    OpenStreams.opened()
                    streams.append(stream)
                    kinds.append(kind)
                    if kind == "input":
                        in_rate, in_block, opened_mic = rate, blk, device
                    else:
                        out_rate, out_block, opened_spk = rate, blk, device
            # Directions before the streams start: each callback finds its ring ready.
            core.device_rate = in_rate if opened_mic else out_rate
            core.input_rate = in_rate
            core.capture = (
                _Direction(
                    in_rate, BRIDGE_RATE, FRAME_SAMPLES, round(in_block * BRIDGE_RATE / in_rate)
                )
                if opened_mic
                else None
            )
            core.playback = (
                _Direction(
                    BRIDGE_RATE, out_rate, out_block, round(FRAME_SAMPLES * out_rate / BRIDGE_RATE)
                )
                if opened_spk
                else None
            )
            core.tones = ToneMixer(out_rate) if opened_spk else None
            core.stream_stopped = False
            core.reset_spin_watches()
            for stream in streams:
                stream.start()
        except Exception:
            for stream in streams:
                with contextlib.suppress(Exception):
                    stream.close()
                OpenStreams.closed()
            raise
        self._opened = _Opened(
            opened_mic, opened_spk, tuple(streams), tuple(kinds), in_rate, out_rate
        )
        self._selected = (opened_mic, opened_spk)
        self._announce_no_device(opened_mic is not None, opened_spk is not None)

    def _open_one(
        self, open_stream: Callable[..., tuple[Any, int, int]], kind: str, device: AudioDevice
    ) -> tuple[Any, int, int, AudioDevice] | None:
        """A stream on ``device``, else on the default device (with a notice)."""

        def attempt(dev: AudioDevice) -> tuple[Any, int, int]:
            return open_stream(
                kind, dev if kind == "input" else None, dev if kind == "output" else None
            )

        try:
            return (*attempt(device), device)
        except Exception as error:
            log.warning("%s stream on %s failed: %s", kind, device.name, error)
        fallback = self.devices.default("input" if kind == "input" else "output")
        if fallback is None or fallback.index == device.index:
            return None
        try:
            got = attempt(fallback)
        except Exception as error:
            log.warning("%s stream on %s failed: %s", kind, fallback.name, error)
            return None
        what = "microphone" if kind == "input" else "speaker"
        self.tell(
            "device_missing",
            f"The {what} {device.name} could not be opened; using {fallback.name}.",
        )
        return (*got, fallback)

    def _close_streams(self) -> None:
        opened, self._opened = self._opened, None
        if opened is None:
            return
        for stream in opened.streams:
            try:
                stream.stop()  # abort() pthread_cancels ALSA's thread, maybe in our callback
            except Exception as error:
                log.debug("aborting a stream: %s", error)
            try:
                stream.close()
            except Exception as error:
                log.debug("closing a stream: %s", error)
            OpenStreams.closed()
        core = self._core
        core.tones = None
        # The port yields silence until the next open; keep the closed rings' counts.
        cap, play = core.capture, core.playback
        core.capture = core.playback = None
        if cap is not None:
            self._past[0] += cap.underruns
            self._past[1] += cap.ring.overruns
            self._keep_underrun_times("capture", cap)
        if play is not None:
            self._past[2] += play.underruns
            self._past[3] += play.ring.overruns
            self._keep_underrun_times("playback", play)

    def _keep_underrun_times(self, name: str, d: _Direction) -> None:
        kept = self._past_underrun_times[name]
        kept.extend(d.underrun_times[: max(0, MAX_UNDERRUN_TIMES - len(kept))])

    # ------------------------------------------------------------------ shutdown

    def close(self) -> None:
        """Close the streams, then destroy the port once pjmedia has taken it off the bridge."""
        if self._closed:
            return
        self._closed = True
        for engine in list(self._engines):
            self.detach(engine)
        self._close_streams()
        self._core.capture = None
        self._core.playback = None
        port, self._port = self._port, None
        retire_media_port(port)
