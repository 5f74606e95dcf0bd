"""The agent's sound on the Qt loop: the sounddevice bridge on the conference bridge, the ringer,
call tones, the housekeeping timer that watches the devices, and the controls the session model
offers the agent (device choice, volumes, notices)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer

from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.core.observers import Subscribers
from communicator.sip.audio import (
    AudioBridge,
    AudioHousekeeper,
    AudioNotice,
    CallTones,
    DeviceManager,
    Ringer,
)
from communicator.ui.session_state import AudioSetup
from communicator.ui.shutdown import close_in_order

MessageListener = Callable[[Message], None]


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
        self._timer = QTimer()
        self._timer.timeout.connect(self.keeper.tick)
        self._timer.start(self.keeper.interval_ms)

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
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        close_in_order(
            ("stopping the audio timer", self._timer.stop),
            ("closing the tones", self.tones.close),
            ("detaching the audio bridge", lambda: self.bridge.detach(self._engine)),
            ("closing the audio bridge", self.bridge.close),
        )
