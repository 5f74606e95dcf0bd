"""Sound devices through PortAudio (sounddevice): listing, choosing, defaults, refreshing.

Settings name devices by PortAudio name (``UserSettings.microphone/speaker/ringer``); ``None``
means the system default. PortAudio only sees devices added after ``Pa_Initialize`` when it is
re-initialised, which is only safe with no stream open: `DeviceManager.refresh` re-initialises
when `OpenStreams` is zero and otherwise keeps the cached list (the bridge closes its streams
first when it needs a fresh list, e.g. after a device vanished).

PortAudio reads ``PULSE_SERVER`` (and ALSA its configuration) at initialisation, so processes
that point the environment elsewhere call `DeviceManager.refresh(force=True)` afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]


class OpenStreams:
    """How many PortAudio streams this process has open (bridge and ringer).

    Listeners (`subscribe`) hear of each stream opened: the housekeeping timer watches the
    streams often only while one is open and sleeps until the next device-list refresh
    otherwise (`housekeeping.AudioHousekeeper.next_interval_ms`)."""

    _lock = threading.Lock()
    count = 0
    _listeners: list[Callable[[], None]] = []

    @classmethod
    def opened(cls) -> None:
        with cls._lock:
            cls.count += 1
            listeners = list(cls._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # a listener never keeps a stream from opening
                log.exception("an open-stream listener failed")

    @classmethod
    def subscribe(cls, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (on the opening thread) after each stream is opened; returns
        the unsubscribe function."""
        with cls._lock:
            cls._listeners.append(listener)

        def unsubscribe() -> None:
            with cls._lock, contextlib.suppress(ValueError):
                cls._listeners.remove(listener)

        return unsubscribe

    @classmethod
    def closed(cls) -> None:
        with cls._lock:
            cls.count = max(0, cls.count - 1)


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool = False
    default_output: bool = False

    @property
    def label(self) -> str:
        """What the settings dialog shows: ``name (host API)``."""
        return f"{self.name} ({self.host_api})"

    def can(self, kind: Kind) -> bool:
        return (self.max_input_channels if kind == "input" else self.max_output_channels) > 0


WARM_UP_S = 0.05


class _WarmUp:
    done = False


def warm_up_portaudio(device: int | None = None) -> bool:
    """Start and stop one short silent output stream, once per process.

    Measured here (PortAudio 19.6, ALSA's pulse plugin): the first stream with an input that a
    process starts delivers its first callback only after ~1.9 s, its thread spinning at
    85-95 % of a core meanwhile. A first stream of a call would lose the agent's first words.
    A short output stream first (its own first callback comes after ~2 ms) takes that cost,
    and every stream after it starts in ~25 ms, also after a PortAudio re-initialisation.
    Called when the bridge starts (sign-in), long before a call needs the devices.
    """
    if _WarmUp.done:
        return False
    _WarmUp.done = True
    import time

    import sounddevice as sd

    def silence(outdata: Any, frames: int, t: Any, status: Any) -> None:
        outdata.fill(0)

    try:
        stream = sd.OutputStream(
            device=device, channels=1, samplerate=16000, blocksize=320, callback=silence
        )
    except Exception as error:  # no output device: nothing to warm up
        log.debug("PortAudio warm-up skipped: %s", error)
        return False
    try:
        stream.start()
        time.sleep(WARM_UP_S)
        stream.stop()
    except Exception as error:
        log.debug("PortAudio warm-up stream failed: %s", error)
    finally:
        with contextlib.suppress(Exception):
            stream.close()
    return True


class DeviceManager:
    def __init__(self) -> None:
        self._devices: tuple[AudioDevice, ...] = ()
        self.error: str | None = None
        self.refresh()

    @staticmethod
    def reinitialize() -> bool:
        """Re-initialise PortAudio (sees new devices and environment); only with no stream."""
        if OpenStreams.count:
            return False
        import sounddevice as sd

        try:
            sd._terminate()
            sd._initialize()
        except Exception as error:
            log.warning("PortAudio re-initialisation failed: %s", error)
            return False
        return True

    def refresh(self, *, force: bool = False) -> bool:
        """Re-read the device list; True when PortAudio was re-initialised for it."""
        reinit = self.reinitialize() if (force or self._devices) else False
        try:
            import sounddevice as sd

            apis = sd.query_hostapis()
            default_in, default_out = sd.default.device
            found = []
            for info in sd.query_devices():
                index = int(info["index"])
                found.append(
                    AudioDevice(
                        index=index,
                        name=str(info["name"]),
                        host_api=str(apis[int(info["hostapi"])]["name"]),
                        max_input_channels=int(info["max_input_channels"]),
                        max_output_channels=int(info["max_output_channels"]),
                        default_samplerate=float(info["default_samplerate"]),
                        default_input=index == default_in,
                        default_output=index == default_out,
                    )
                )
            self._devices = tuple(found)
            self.error = None
        except Exception as error:  # no PortAudio library, or it failed to initialise
            self._devices = ()
            self.error = str(error)
            log.warning("no sound devices: %s", error)
        return reinit

    @property
    def devices(self) -> tuple[AudioDevice, ...]:
        return self._devices

    def inputs(self) -> tuple[AudioDevice, ...]:
        return tuple(d for d in self._devices if d.can("input"))

    def outputs(self) -> tuple[AudioDevice, ...]:
        return tuple(d for d in self._devices if d.can("output"))

    def default(self, kind: Kind) -> AudioDevice | None:
        for device in self._devices:
            if (device.default_input if kind == "input" else device.default_output) and device.can(
                kind
            ):
                return device
        candidates = self.inputs() if kind == "input" else self.outputs()
        return candidates[0] if candidates else None

    def find(self, name: str, kind: Kind) -> AudioDevice | None:
        """A device by settings value: its name or its label, exact match first."""
        usable = [d for d in self._devices if d.can(kind)]
        for device in usable:
            if name in (device.name, device.label):
                return device
        lowered = name.casefold()
        for device in usable:
            if device.name.casefold() == lowered:
                return device
        return None

    def resolve(self, name: str | None, kind: Kind) -> AudioDevice | None:
        """The chosen device, or the default when unset or not present."""
        if name:
            device = self.find(name, kind)
            if device is not None:
                return device
        return self.default(kind)
