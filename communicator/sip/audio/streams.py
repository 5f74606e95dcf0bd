"""Opening and closing the sound-card streams (sounddevice / PortAudio).

Mic and speaker on one device share a duplex stream; otherwise there are two streams. A device
that cannot be opened falls back to the default device (with a notice). Each stream runs at the
bridge rate when the device accepts it, else at the device's own rate (the directions then
resample). The directions are made before the streams start, so each callback finds its ring
ready.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from communicator.sip.audio.callbacks import BRIDGE_RATE, FRAME_SAMPLES, PortCore
from communicator.sip.audio.devices import AudioDevice, DeviceManager, OpenStreams
from communicator.sip.audio.direction import Direction
from communicator.sip.audio.tones import ToneMixer

log = logging.getLogger(__name__)

Tell = Callable[[str, str], None]
"""Raise a notice for the agent: (kind, text)."""
StreamMaker = Callable[[str, AudioDevice | None, AudioDevice | None], tuple[Any, int, int]]
"""(kind, input device, output device) -> (stream, device rate, block size)."""


@dataclass(frozen=True)
class OpenedStreams:
    """The streams the bridge has open, and on which devices at which rates."""

    microphone: AudioDevice | None
    speaker: AudioDevice | None
    streams: tuple[Any, ...]
    kinds: tuple[str, ...]
    """``duplex``, or ``input`` and/or ``output``, in the order of ``streams``."""
    input_rate: int
    output_rate: int

    def latency_s(self) -> tuple[float, float]:
        """(input, output) latency PortAudio reports for the streams."""
        lin = lout = 0.0
        for kind, stream in zip(self.kinds, self.streams, strict=True):
            lat = stream.latency
            if kind == "duplex":
                lin, lout = float(lat[0]), float(lat[1])
            elif kind == "input":
                lin = float(lat)
            else:
                lout = float(lat)
        return lin, lout


def open_streams(
    devices: DeviceManager,
    mic: AudioDevice | None,
    spk: AudioDevice | None,
    core: PortCore,
    *,
    block_ms: float,
    latency: float | str,
    device_skew_ppm: float,
    tell: Tell,
) -> OpenedStreams:
    """Open and start streams on ``mic`` and ``spk`` feeding ``core`` (its directions and
    tone mixer are replaced). ``device_skew_ppm`` (benchmarks) opens them that much faster
    or slower than the rate the bridge assumes."""
    import sounddevice as sd

    streams: list[Any] = []
    kinds: list[str] = []
    block_s = block_ms / 1000.0
    skew = 1.0 + device_skew_ppm * 1e-6

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
            "latency": latency,
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
                got = _open_one(devices, open_stream, kind, wanted, tell)
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
            Direction(in_rate, BRIDGE_RATE, FRAME_SAMPLES, round(in_block * BRIDGE_RATE / in_rate))
            if opened_mic
            else None
        )
        core.playback = (
            Direction(
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
    return OpenedStreams(opened_mic, opened_spk, tuple(streams), tuple(kinds), in_rate, out_rate)


def _open_one(
    devices: DeviceManager, open_stream: StreamMaker, kind: str, device: AudioDevice, tell: Tell
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
    fallback = devices.default("input" if kind == "input" else "output")
    if fallback is None or fallback.index == device.index:
        return None
    try:
        got = attempt(fallback)
    except Exception as error:
        log.warning("%s stream on %s failed: %s", kind, fallback.name, error)
        return None
    what = "microphone" if kind == "input" else "speaker"
    tell(
        "device_missing",
        f"The {what} {device.name} could not be opened; using {fallback.name}.",
    )
    return (*got, fallback)


def close_streams(opened: OpenedStreams) -> None:
    """Stop and close each stream (never abort: see docs/FINDINGS.md)."""
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
