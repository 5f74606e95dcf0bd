"""What the Settings dialog adds to the agent's sound: the device preference list, ringing on the
speaker too, test sounds and the microphone meter.

**Device preferences** are ordered name patterns (``fnmatch``, case-insensitive: ``Jabra*``,
``*USB*``), ``default`` meaning the system default. The first pattern that matches a present
microphone (speaker) chooses it; none matching leaves the agent's own choice. They are applied
at start and whenever the device list changes: the audio housekeeping re-reads the list when
the system reports a device change (Linux: ALSA's /dev/snd nodes, PulseAudio's sink and source
events) or periodically between calls, and at once when a device in use stops. During a call
the bridge closes its streams for the re-read (PortAudio lists new devices only then), the
preference chooses among the new list before the streams reopen (`AudioBridge.rescan`): a
headset plugged in mid-call is taken at once, and one pulled out gives way to the next
preference (e.g. a second headset before the laptop's speakers), the call going on.

**Ringing on the speaker too** is a second `Ringer` on the speaker device, started and stopped
with the ringer by its own `CallTones` on the engine.

Device choices go through the session model (``choose_devices``, ``set_volumes``) like the
agent's own; this object only decides which.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from communicator.sip.audio import CallTones, Ringer
from communicator.ui.audio import AgentAudio
from communicator.ui.session import SessionModel

log = logging.getLogger(__name__)

DEFAULT_PATTERNS = frozenset({"default", "system default"})
WATCH_MS = 500
RINGER_TEST_MS = 3000


def preferred_device(patterns: Sequence[str], names: Sequence[str]) -> tuple[bool, str | None]:
    """(matched, device) for the first pattern that matches one of ``names``; ``default`` gives
    (True, None): the system default. (False, None) when nothing matches."""
    for pattern in patterns:
        wanted = pattern.strip().casefold()
        if not wanted:
            continue
        if wanted in DEFAULT_PATTERNS:
            return True, None
        for name in names:
            if fnmatch.fnmatchcase(name.casefold(), wanted):
                return True, name
    return False, None


class _NoTones:
    """The speaker ringer's `CallTones` plays no ring-back or beeps (the bridge does)."""

    def ringback(self, on: bool) -> None:
        pass

    def call_waiting_beep(self) -> None:
        pass


class _SecondRinger:
    """The speaker's ringer, quiet when the speaker is the ringer's own device (one ringtone
    there is enough; two would only be louder and out of step)."""

    def __init__(self, ringer: Ringer, main: Ringer, devices: Any) -> None:
        self.ringer = ringer
        self._main = main
        self._devices = devices

    def start_ringing(self) -> bool:
        mine = self._devices.resolve(self.ringer.device, "output")
        main = self._devices.resolve(self._main.device, "output")
        if mine is not None and main is not None and mine.index == main.index:
            return False
        return bool(self.ringer.start_ringing())

    def stop_ringing(self) -> None:
        self.ringer.stop_ringing()


class AudioExtras(QObject):
    """Device preferences, ringing on two devices, test sounds and the microphone meter."""

    preferences_applied = Signal(object, object)
    """(microphone, speaker) chosen by the preference list (None: system default)."""

    def __init__(
        self,
        model: SessionModel,
        audio: AgentAudio,
        engine: Any,
        *,
        preferences: Sequence[str] = (),
        ring_on_speaker_too: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._audio = audio
        self._engine = engine
        self._preferences: tuple[str, ...] = tuple(preferences)
        self._speaker_ringer: _SecondRinger | None = None
        self._speaker_tones: CallTones | None = None
        self._metering = 0
        self._listed = self._device_names()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._watch)
        self._timer.start(WATCH_MS)
        self._unlisten = audio.bridge.subscribe_devices_listed(lambda _devices: self._watch())
        self._ringer_test = QTimer(self)
        self._ringer_test.setSingleShot(True)
        self._ringer_test.timeout.connect(self._end_ringer_test)
        self.apply_preferences()
        self.set_ring_on_speaker_too(ring_on_speaker_too)

    # ------------------------------------------------------------------ preferences

    @property
    def preferences(self) -> tuple[str, ...]:
        return self._preferences

    def set_preferences(self, patterns: Sequence[str]) -> None:
        self._preferences = tuple(p.strip() for p in patterns if p.strip())
        self.apply_preferences()

    def _device_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        setup = self._audio.setup()
        return setup.microphones, setup.speakers

    def _watch(self) -> None:
        listed = self._device_names()
        if listed != self._listed:
            self._listed = listed
            log.info("sound devices changed: %d inputs, %d outputs", *map(len, listed))
            self.apply_preferences()
        if self._speaker_ringer is not None:
            self._speaker_ringer.ringer.poll()

    def apply_preferences(self) -> None:
        """Choose the preferred present devices (nothing changes when none is listed)."""
        if not self._preferences:
            return
        microphones, speakers = self._device_names()
        setup = self._audio.setup()
        mic_found, mic = preferred_device(self._preferences, microphones)
        spk_found, spk = preferred_device(self._preferences, speakers)
        microphone = mic if mic_found else setup.microphone
        speaker = spk if spk_found else setup.speaker
        if (microphone, speaker) != (setup.microphone, setup.speaker):
            log.info("device preference: microphone %s, speaker %s", microphone, speaker)
            self._model.choose_devices(microphone=microphone, speaker=speaker, ringer=setup.ringer)
            self._follow_speaker()
        self.preferences_applied.emit(microphone, speaker)

    # ------------------------------------------------------------------ ringing on both

    @property
    def ring_on_speaker_too(self) -> bool:
        return self._speaker_ringer is not None

    def set_ring_on_speaker_too(self, on: bool) -> None:
        if on == self.ring_on_speaker_too:
            return
        if on:
            ringer = Ringer(self._audio.devices, self._audio.bridge.speaker)
            ringer.volume = self._audio.ringer.volume
            second = _SecondRinger(ringer, self._audio.ringer, self._audio.devices)
            self._speaker_ringer = second
            self._speaker_tones = CallTones(self._engine, _NoTones(), second)
        else:
            tones, self._speaker_tones, self._speaker_ringer = self._speaker_tones, None, None
            if tones is not None:
                tones.close()

    def _follow_speaker(self) -> None:
        if self._speaker_ringer is not None:
            self._speaker_ringer.ringer.device = self._audio.bridge.speaker

    def set_ring_volume(self, volume: float) -> None:
        self._model.set_volumes(ringer=volume)
        if self._speaker_ringer is not None:
            self._speaker_ringer.ringer.volume = max(0.0, min(1.0, float(volume)))

    def devices_chosen(self) -> None:
        """The agent chose devices in the dialog: the speaker ringer follows the speaker."""
        self._follow_speaker()

    # ------------------------------------------------------------------ tests and meter

    def test_speaker(self) -> None:
        """Two short beeps on the speaker (the call-waiting beep), during a call too."""
        self._audio.bridge.call_waiting_beep()

    def test_ringer(self) -> None:
        """The ringtone on the ringer (and the speaker, when it rings too) for a few seconds."""
        if self._ringing_call():
            return  # a real call is ringing: it is the test
        self._audio.ringer.start_ringing()
        if self._speaker_ringer is not None:
            self._speaker_ringer.start_ringing()
        self._ringer_test.start(RINGER_TEST_MS)

    @property
    def ringer_testing(self) -> bool:
        return self._ringer_test.isActive()

    def _end_ringer_test(self) -> None:
        if self._ringing_call():
            return  # a call started ringing meanwhile: its ringing stays
        self._audio.ringer.stop_ringing()
        if self._speaker_ringer is not None:
            self._speaker_ringer.stop_ringing()

    def _ringing_call(self) -> bool:
        return any(view.ringing_in for view in self._model.state.lines)

    def start_meter(self) -> None:
        """Keep the microphone open without a call so its level can be read."""
        self._metering += 1
        self._audio.bridge.keep_open(True)

    def stop_meter(self) -> None:
        self._metering = max(0, self._metering - 1)
        if not self._metering:
            self._audio.bridge.keep_open(False)

    def microphone_level(self) -> float:
        """The microphone's level in dBFS (about -100 when silent or closed)."""
        return float(self._audio.bridge.input_level().rms_dbfs)

    def close(self) -> None:
        self._unlisten()
        self._timer.stop()
        self._ringer_test.stop()
        self.set_ring_on_speaker_too(False)
        if self._metering:
            self._metering = 0
            self._audio.bridge.keep_open(False)
