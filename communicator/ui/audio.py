"""The agent's sound on the Qt loop: the sounddevice bridge on the conference bridge, the ringer,
call tones, the housekeeping timer that watches the devices, and the controls the session model
offers the agent (device choice, volumes, notices)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.core.observers import Subscribers
from communicator.sip.audio import (
    AudioBridge,
    AudioHousekeeper,
    AudioNotice,
    CallTones,
    DeviceManager,
    OpenStreams,
    Ringer,
)
from communicator.ui.audio_watch import PulseDeviceWatch
from communicator.ui.session_state import AudioSetup
from communicator.ui.shutdown import close_in_order

MessageListener = Callable[[Message], None]

DEVICE_NODES = Path("/dev/snd")
"""ALSA's device nodes: a sound card PortAudio can list comes and goes with its nodes here."""
WATCHED_REFRESH_S = 300.0
"""The device list's periodic re-read where the device nodes are watched (a safety net)."""


class _StreamOpened(QObject):
    """Carries `OpenStreams`' news to the timer's thread (queued if it comes from another)."""

    opened = Signal()


class AgentAudio:
    """Owns the audio objects for one engine; `close` before the endpoint shuts down (nothing
    pjsua2 may outlive libDestroy)."""

    def __init__(
        self,
        engine: Any,
        *,
        microphone: str | None = None,
        speaker: str | None = None,
        ringer: str | None = None,
        on_choice: Callable[[AudioSetup], None] | None = None,
    ) -> None:
        self.devices = DeviceManager()
        self.bridge = AudioBridge(self.devices, microphone=microphone, speaker=speaker)
        self.bridge.start()
        self.bridge.attach(engine)
        self.ringer = Ringer(self.devices, ringer)
        self.tones = CallTones(engine, self.bridge, self.ringer)
        self._engine = engine
        self._on_choice = on_choice
        self._subscribers = Subscribers[Message]()
        self._unsubscribe = [
            self.bridge.subscribe(lambda n: self._tell(MessageSource.AUDIO, n)),
            self.ringer.subscribe(lambda n: self._tell(MessageSource.RINGER, n)),
        ]
        self.keeper = AudioHousekeeper(self.bridge, ringer=self.ringer)
        # Often while a stream is open, else only for the next device-list refresh (see
        # `AudioHousekeeper.next_interval_ms`); a stream opening brings the fast tick back.
        self._closed = False
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._stream_opened = _StreamOpened()
        self._stream_opened.opened.connect(self._watch_streams)
        self._unsubscribe.append(OpenStreams.subscribe(self._stream_opened.opened.emit))
        self._device_nodes = QFileSystemWatcher()
        self._device_nodes.directoryChanged.connect(self._device_nodes_changed)
        if sys.platform.startswith("linux") and self._watch_device_nodes():
            self.keeper.refresh_every_s = WATCHED_REFRESH_S
        # Bluetooth and other PulseAudio-only devices have no nodes: PulseAudio's events.
        self._pulse_watch = PulseDeviceWatch(self.devices_changed)
        if sys.platform.startswith("linux"):
            self._pulse_watch.start()
        self._timer.start(self.keeper.next_interval_ms())

    def _tick(self) -> None:
        try:
            self.keeper.tick()
        finally:
            if not self._closed:
                self._timer.start(self.keeper.next_interval_ms())

    def _watch_streams(self) -> None:
        if self._closed:
            return
        if not self._timer.isActive() or self._timer.remainingTime() > self.keeper.interval_ms:
            self._timer.start(self.keeper.interval_ms)

    def _watch_device_nodes(self) -> bool:
        """Watch /dev/snd (inotify), or /dev until it exists (the first card plugged in)."""
        watcher = self._device_nodes
        if watcher.directories():
            watcher.removePaths(watcher.directories())
        target = DEVICE_NODES if DEVICE_NODES.is_dir() else DEVICE_NODES.parent
        return bool(target.is_dir() and watcher.addPath(str(target)))

    def _device_nodes_changed(self, path: str) -> None:
        if self._closed:
            return
        if (path == str(DEVICE_NODES)) != DEVICE_NODES.is_dir():
            self._watch_device_nodes()  # /dev/snd appeared or went
        self.devices_changed()

    def devices_changed(self) -> None:
        """The system reports a sound device added or removed: the device list is re-read
        shortly, during a call too (`AudioBridge.rescan`), and the device preference applied."""
        if self._closed:
            return
        self.keeper.devices_may_have_changed()
        due, remaining = self.keeper.next_interval_ms(), self._timer.remainingTime()
        self._timer.start(due if remaining < 0 else min(due, remaining))

    def subscribe(self, listener: MessageListener) -> Callable[[], None]:
        """Device notices as messages for the agent (on the endpoint's thread)."""
        return self._subscribers.subscribe(listener)

    def _tell(self, source: MessageSource, notice: AudioNotice) -> None:
        self._subscribers.emit(Message(MessageLevel.WARNING, source, notice.text))

    def setup(self) -> AudioSetup:
        return AudioSetup(
            microphones=tuple(d.name for d in self.devices.inputs()),
            speakers=tuple(d.name for d in self.devices.outputs()),
            microphone=self.bridge.microphone,
            speaker=self.bridge.speaker,
            ringer=self.ringer.device,
            microphone_volume=self.bridge.mic_volume,
            speaker_volume=self.bridge.speaker_volume,
            ringer_volume=self.ringer.volume,
        )

    def choose_devices(
        self, *, microphone: str | None, speaker: str | None, ringer: str | None
    ) -> None:
        """None picks the system default; calls in progress move to the new devices."""
        self.bridge.set_devices(microphone=microphone, speaker=speaker)
        self.ringer.device = ringer
        if self._on_choice is not None:
            self._on_choice(self.setup())

    def set_volumes(
        self,
        *,
        microphone: float | None = None,
        speaker: float | None = None,
        ringer: float | None = None,
    ) -> None:
        if microphone is not None:
            self.bridge.set_mic_volume(microphone)
        if speaker is not None:
            self.bridge.set_speaker_volume(speaker)
        if ringer is not None:
            self.ringer.volume = max(0.0, min(1.0, float(ringer)))

    def close(self) -> None:
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        close_in_order(
            ("stopping the audio timer", self._timer.stop),
            ("unwatching the devices", self._device_nodes.deleteLater),
            ("stopping the PulseAudio watch", self._pulse_watch.close),
            ("closing the tones", self.tones.close),
            ("detaching the audio bridge", lambda: self.bridge.detach(self._engine)),
            ("closing the audio bridge", self.bridge.close),
        )
