"""The bridge's real-time side: the pjmedia port and the PortAudio stream callbacks.

`PortCore` holds the state both kinds of callback share. The port callbacks run on pjmedia's
clock thread, the stream callbacks on PortAudio's thread; neither calls pjsua2 (the port
callbacks only fill or read the frame they are given). Frames are read through a numpy view of
the SWIG vector's storage (not ``bytes(frame.buf)``, ~850 us) and written in place into a
preallocated ``pj.ByteVector``; no ctypes calls (each releases the GIL, i.e. one more wait for
it under load). All hot-path buffers are preallocated.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pjsua2 as pj

from communicator.sip.audio.direction import Direction
from communicator.sip.audio.meters import LevelMeter
from communicator.sip.audio.ring import Samples
from communicator.sip.audio.spin import SpinWatch
from communicator.sip.audio.tones import ToneMixer

BRIDGE_RATE = 16000
FRAME_SAMPLES = 320
FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_S = FRAME_SAMPLES / BRIDGE_RATE
MAX_BLOCK = 16384

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


class BridgePort(pj.AudioMediaPort):
    """The port itself; holds no reference back to pjsua2 objects (no cycles)."""

    def __init__(self, core: PortCore) -> None:
        pj.AudioMediaPort.__init__(self)
        self._core = core

    def onFrameRequested(self, frame: Any) -> None:  # noqa: N802
        self._core.frame_requested(frame)

    def onFrameReceived(self, frame: Any) -> None:  # noqa: N802
        self._core.frame_received(frame)


class PortCore:
    """State shared by the pjmedia and PortAudio callbacks (no pjsua2 objects but frames)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.muted = False
        self.mic_gain = 1.0
        self.speaker_gain = 1.0
        self.input_meter = LevelMeter()
        self.output_meter = LevelMeter()
        self.tones: ToneMixer | None = None
        self.capture: Direction | None = None
        self.playback: Direction | None = None
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

    def _take_input(self, indata: Any, t: Any, rate: int) -> None:
        if self.input_probe is not None:
            self.input_probe(indata[:, 0], _probe_time(t.inputBufferAdcTime, t))
        self.mic_block(indata[:, 0], rate)

    def _fill_output(self, outdata: Any, frames: int, t: Any) -> None:
        out = self._out_scratch[:frames]
        self.speaker_block(out)
        if self.output_probe is not None:
            self.output_probe(out, _probe_time(t.outputBufferDacTime, t))
        outdata[:, 0] = out
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]

    def duplex_callback(self, indata: Any, outdata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_duplex.tick()
            self._take_input(indata, t, self.device_rate)
            self._fill_output(outdata, frames, t)
        except Exception as error:
            self._fail("duplex callback", error)
        finally:
            self.device_ns += time.perf_counter_ns() - start

    def input_callback(self, indata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_input.tick()
            self._take_input(indata, t, self.input_rate)
        except Exception as error:
            self._fail("input callback", error)
        finally:
            self.device_ns += time.perf_counter_ns() - start

    def output_callback(self, outdata: Any, frames: int, t: Any, _s: Any) -> None:
        start = time.perf_counter_ns()
        try:
            self.device_callbacks += 1
            self.spin_output.tick()
            self._fill_output(outdata, frames, t)
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
