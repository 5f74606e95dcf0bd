"""The agent's sound card on pjsua2's conference bridge.

One `AudioMediaPort` (16 kHz mono, 20 ms frames) is both the microphone the engine sends to
the calls and the speaker it plays them to (`AudioBridge.attach` -> `SipEngine.set_local_audio`).
It meets the sound card in two bounded rings (`ring.RingBuffer`):

    mic  -> PortAudio callback -> resample (device rate -> 16 kHz, drift) -> capture ring
         -> onFrameRequested (pjmedia clock thread) -> bridge -> calls
    calls -> bridge -> onFrameReceived (pjmedia clock thread) -> resample (16 kHz -> device
         rate, drift) -> playback ring -> PortAudio callback (+ tones) -> speaker

Each ring's producer (`direction.Direction`) resamples with a variable ratio
(`resample.StreamResampler`) steered by a `drift.DepthController`, so the two clocks never run
a queue dry or full; when the device runs at the bridge rate it only slips a sample now and
then instead (`slip.SampleSlipper`). Mic and speaker on one device share a duplex stream;
otherwise there are two streams.

The real-time side (the port and stream callbacks, their threads and buffers) is in
`callbacks`; opening and closing the streams in `streams`; the counts in `stats`. This module
is the control side, on the endpoint's thread.

Streams run only while they are needed: the bridge follows the attached engines' lines and
opens the devices when a call is dialled, rings out, has early media, is connected or held,
or when a tone is asked for; `AudioBridge.poll` closes them `LINGER_S` after the last such
call ended and the tones finished (no PortAudio, ALSA/PulseAudio or resampler work between
calls; the port then yields silence). ``AudioBridge(..., lazy=False)`` keeps them open.

Main thread: `AudioBridge.poll` (see `housekeeping.AudioHousekeeper`) watches the streams; a
device that stops (unplugged) is replaced by the default device without touching the calls, and an
`AudioNotice` tells the agent. When the system reports a device change during a call,
`AudioBridge.rescan` closes the streams, re-reads the device list (PortAudio needs every stream
closed for that), lets the device preference choose (`subscribe_devices_listed`) and reopens:
a headset plugged in mid-call is taken at once. With no usable device the port stays on the
bridge (calls still connect, silence both ways) and the notice says no microphone/speaker was
found.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from communicator.core.calls import CallState
from communicator.core.observers import Subscribers
from communicator.sip.audio.callbacks import BRIDGE_RATE, FRAME_S, BridgePort, PortCore
from communicator.sip.audio.devices import (
    AudioDevice,
    DeviceManager,
    Kind,
    OpenStreams,
    warm_up_portaudio,
)
from communicator.sip.audio.meters import MeterReading
from communicator.sip.audio.notices import (
    NoticeBoard,
    disconnected_device_text,
    lost_device_text,
    missing_device_text,
    no_device_text,
)
from communicator.sip.audio.ring import Samples
from communicator.sip.audio.spin import SpinWatch
from communicator.sip.audio.stats import BridgeStats, StreamCounts
from communicator.sip.audio.streams import OpenedStreams, close_streams, open_streams
from communicator.sip.audio.tones import ToneMixer
from communicator.sip.events import LinesChanged
from communicator.sip.media_port import retire_media_port

log = logging.getLogger(__name__)

DEVICE_BLOCK_MS = 20.0
"""Device callback period: one pjmedia frame. Measured here (PortAudio 19.6 through ALSA's
pulse plugin): a bare duplex stream costs ~3.5 % of a core with 20 ms blocks, and 10-35 % with
10 ms blocks and low latency (the ALSA plugin then often spins); the bridge's own callbacks
cost half as much with half as many calls. The price is ~20 ms more device latency."""
GIL_SWITCH_S = 0.001
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
        self._core = PortCore(clock)
        port = BridgePort(self._core)
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, BRIDGE_RATE, 1, int(FRAME_S * 1_000_000), 16)
        port.createPort("communicator-audio", fmt)
        self._port: Any = port
        self._opened: OpenedStreams | None = None
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
        self._counts = StreamCounts()
        self._spin_restarts = 0
        self._spin_given_up = False
        self._listed = Subscribers[tuple[AudioDevice, ...]](
            on_error=lambda _error: log.exception("a device-list listener failed")
        )

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
        if not engine.closed:
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
            self._open()

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
        """Benchmark instrumentation (see `PortCore.input_probe`); None removes them."""
        self._core.input_probe = input_probe
        self._core.output_probe = output_probe

    @property
    def opened(self) -> OpenedStreams | None:
        """The open streams and their devices (None while closed between calls)."""
        return self._opened

    @property
    def spin_watches(self) -> tuple[SpinWatch, SpinWatch, SpinWatch]:
        """The duplex, input and output streams' `SpinWatch` (see `spin`)."""
        core = self._core
        return (core.spin_duplex, core.spin_input, core.spin_output)

    @property
    def device_rates(self) -> tuple[int, int]:
        """(input, output) rates the bridge assumes for the open devices."""
        opened = self._opened
        return (opened.input_rate, opened.output_rate) if opened else (0, 0)

    @property
    def failures(self) -> list[str]:
        return self._core.failures

    def stats(self) -> BridgeStats:
        return self._counts.stats(self._core, self._spin_restarts)

    def underrun_times(self) -> dict[str, list[float]]:
        """Monotonic times of the counted underruns, per direction (the first
        `MAX_UNDERRUN_TIMES` of each ring, closed ones included)."""
        return self._counts.underrun_times(self._core)

    def latency_s(self) -> tuple[float, float]:
        """(input, output) latency PortAudio reports for the open streams."""
        return (0.0, 0.0) if self._opened is None else self._opened.latency_s()

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
        self._select()
        if self._selected[1] is not None:
            warm_up_portaudio(self._selected[1].index)
        if self.needs_streams:
            self._open()

    def set_devices(self, *, microphone: str | None, speaker: str | None) -> None:
        """Switch devices (the calls stay; audio pauses for the reopen)."""
        self.microphone, self.speaker = microphone, speaker
        self._close_streams()
        self._select()
        if self.needs_streams:
            self._open()

    def _select(self) -> None:
        """Resolve the chosen devices (notices for missing ones) without opening them."""
        devices = self.devices
        mic = devices.resolve(self.microphone, "input")
        spk = devices.resolve(self.speaker, "output")
        self._selected = (mic, spk)
        for what, choice, found in (
            ("microphone", self.microphone, mic),
            ("speaker", self.speaker, spk),
        ):
            text = missing_device_text(what, choice, found)
            if text is not None:
                self.tell("device_missing", text)
        self._announce_no_device(mic is not None, spk is not None)

    def _announce_no_device(self, have_mic: bool, have_spk: bool) -> None:
        """Say once (until it changes) that no microphone/speaker is usable."""
        text = no_device_text(have_mic, have_spk)
        if text is not None and text != self._missing_said:
            self.tell("no_device", text)
        self._missing_said = text

    def refresh_devices(self) -> bool:
        """Re-read the device list now, re-initialising PortAudio if no stream is open."""
        reinit = self.devices.refresh()
        if reinit:
            self._listed.emit(self.devices.devices)
        return reinit

    def subscribe_devices_listed(
        self, listener: Callable[[tuple[AudioDevice, ...]], None]
    ) -> Callable[[], None]:
        """Call ``listener`` (endpoint thread) with the device list after each re-read, while
        the bridge's streams are closed: a `set_devices` from it opens the streams once, on
        the devices it chose (`rescan`)."""
        return self._listed.subscribe(listener)

    def rescan(self) -> bool:
        """The system says a sound device came or went: re-read the list now, during a call
        too, and reopen on what is chosen then (the calls stay; audio pauses ~30-100 ms).

        PortAudio lists a new device only after a re-initialisation, which needs every stream
        of the process closed: the bridge closes its own; while another stream is open (the
        ringer ringing a second call) nothing is done and False is returned (try later).
        Listeners (`subscribe_devices_listed`) hear the new list before the reopen, so a
        device preference moves the call to a new headset in one reopen. A device in use that
        is gone falls back to the default (``device_lost`` notice, as when it stops).
        """
        opened = self._opened
        if opened is None:
            return self.refresh_devices()
        if OpenStreams.count > len(opened.streams):
            return False
        self._reopen_on_fresh_list(opened, stopped=False)
        return True

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
        self._reopen_on_fresh_list(opened, stopped=True)

    def _reopen_on_fresh_list(self, opened: OpenedStreams, *, stopped: bool) -> None:
        """Close the streams, re-read the device list (PortAudio can be re-initialised only
        with every stream closed), let the listeners choose (a preference may pick what is
        new or what is left), reopen, and tell the agent where the audio went.

        ``stopped`` (`poll`): a stream stopped; the chosen devices are tried again, each
        falling back to the default, and a device that changed or restarted was lost. Else
        (`rescan`) the system reported a device change: reopened when a call needs it, and
        only a device no longer listed was lost (one still listed was the preference's move).
        """
        self._close_streams()
        self.devices.refresh(force=True)
        try:
            self._listed.emit(self.devices.devices)
        finally:
            if self._opened is None and (stopped or self.needs_streams):
                self._open()
        now = self._opened
        sides: tuple[tuple[str, Kind, AudioDevice | None, AudioDevice | None], ...] = (
            ("microphone", "input", opened.microphone, now.microphone if now else None),
            ("speaker", "output", opened.speaker, now.speaker if now else None),
        )
        for what, kind, old, new in sides:
            if stopped:
                text = lost_device_text(what, old, new)
            else:
                still_listed = old is not None and self.devices.find(old.name, kind) is not None
                text = disconnected_device_text(what, old, new, still_listed=still_listed)
            if text is not None:
                self.tell("device_lost", text)
            elif old is not None and new is not None and new.name != old.name:
                log.info("%s moved from %s to %s", what, old.name, new.name)

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
        self._open()

    def _open(self) -> None:
        devices = self.devices
        mic = devices.resolve(self.microphone, "input")
        spk = devices.resolve(self.speaker, "output")
        opened = open_streams(
            devices,
            mic,
            spk,
            self._core,
            block_ms=self.block_ms,
            latency=self.latency,
            device_skew_ppm=self.device_skew_ppm,
            tell=self.tell,
        )
        self._opened = opened
        self._selected = (opened.microphone, opened.speaker)
        self._announce_no_device(opened.microphone is not None, opened.speaker is not None)

    def _close_streams(self) -> None:
        opened, self._opened = self._opened, None
        if opened is None:
            return
        close_streams(opened)
        core = self._core
        core.tones = None
        # The port yields silence until the next open; keep the closed rings' counts.
        cap, play = core.capture, core.playback
        core.capture = core.playback = None
        self._counts.keep(cap, play)

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
