"""The Settings dialog on real sound devices (a private PulseAudio server: null sinks as
devices, a sine on the "microphone"): its choices reach the session model and the settings
file, start at login writes and removes the autostart entry, the meter hears the microphone,
the ringer test rings the chosen ringer, and a device preference takes a headset that appears
(a new null sink and its ALSA device, as plugging one in adds a device)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox

from communicator.core.calls import CallState
from communicator.provisioning.credentials import CredentialStore
from communicator.provisioning.settings import (
    UserSettings,
    load_user_settings,
    save_user_settings,
)
from communicator.sip.audio.devices import DeviceManager
from communicator.ui.audio import AgentAudio
from communicator.ui.audio_extras import AudioExtras, preferred_device
from communicator.ui.desktop.settings_actions import SettingsActions, versions
from communicator.ui.desktop.settings_dialog import SettingsDialog
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.session import SessionModel
from communicator.workstation import Workstation
from tests.credentials.memory_backend import MemoryKeyring
from tests.rig.deployment import Deployment
from tests.sip.sound.helpers import assert_mix, wait_recording
from tests.sip.sound.pulse import PulseServer
from tests.ui.desktop.test_accessibility import controls, unnamed
from tests.ui.helpers import far_end, ring_agent, sign_in, state_of

pytestmark = [pytest.mark.qt_log_ignore("This plugin does not support")]


class SoundDesk:
    """A workstation with real sound: the model, the agent's audio and the extras."""

    def __init__(self, engine_factory: Any, data_dir: Path, preferences: tuple[str, ...]) -> None:
        self.engine = engine_factory()
        self.workstation = Workstation(
            engine=self.engine,
            data_dir=data_dir,
            post_to_main=MainThreadDispatcher().post,
            credentials=CredentialStore(MemoryKeyring()),
        )
        self.audio = AgentAudio(self.engine)
        self.model = SessionModel(self.workstation, audio=self.audio)
        self.extras = AudioExtras(self.model, self.audio, self.engine, preferences=preferences)

    def close(self) -> None:
        self.extras.close()
        self.model.close()
        self.workstation.sign_out(deliver_for=0)
        self.workstation.close()
        self.audio.close()


@pytest.fixture
def sound_desk(
    pulse: PulseServer, engine_factory: Any, tmp_path: Path, qapp: Any
) -> Iterator[SoundDesk]:
    desk = SoundDesk(engine_factory, tmp_path / "client", ())
    try:
        yield desk
    finally:
        desk.close()


def choose(combo: QComboBox, device: str) -> None:
    index = combo.findData(device)
    assert index >= 0, f"{device} is not offered"
    combo.setCurrentIndex(index)


def test_the_dialogs_choices_reach_the_model_the_file_and_the_autostart_entry(
    sound_desk: SoundDesk, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    autostart_entry = tmp_path / "config" / "autostart" / "communicator.desktop"
    settings_file = tmp_path / "settings.toml"
    save_user_settings(UserSettings(server_url="https://pbx.example", login="anna"), settings_file)
    model, audio = sound_desk.model, sound_desk.audio
    traced: list[bool] = []
    actions = SettingsActions(settings_file=settings_file, set_sip_trace=traced.append)
    dialog = SettingsDialog(
        model,
        UserSettings(login="anna"),
        extras=sound_desk.extras,
        versions=versions("2.14.1"),
    )
    qtbot.addWidget(dialog)
    dialog.applied.connect(actions.apply)
    with qtbot.waitExposed(dialog):
        dialog.show()

    # The model's device lists are offered.
    assert "comm_speaker" in [dialog.speaker.itemData(i) for i in range(dialog.speaker.count())]
    choose(dialog.microphone, "comm_mic")
    choose(dialog.speaker, "comm_speaker")
    choose(dialog.ringer, "comm_ringer")
    dialog.call_volume.setValue(50)
    dialog.ring_volume.setValue(30)
    qtbot.keyClicks(dialog.preference_entry, "Jabra*")
    qtbot.mouseClick(dialog.add_preference, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.preference_entry, "Poly*")
    qtbot.keyClick(dialog.preference_entry, Qt.Key.Key_Return)
    dialog.preferences.setCurrentRow(1)
    qtbot.mouseClick(dialog.up_preference, Qt.MouseButton.LeftButton)  # Poly* first
    dialog.ring_both.setChecked(True)
    dialog.start_at_login.setChecked(True)
    dialog.close_to_tray.setChecked(False)
    dialog.links.setCurrentIndex(dialog.links.findData(True))
    dialog.sip_trace.setChecked(True)
    dialog.language.setCurrentIndex(dialog.language.findData("pl"))
    apply_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Apply)
    qtbot.mouseClick(apply_button, Qt.MouseButton.LeftButton)

    setup = model.state.audio
    assert (setup.microphone, setup.speaker, setup.ringer) == (
        "comm_mic",
        "comm_speaker",
        "comm_ringer",
    )
    assert (setup.speaker_volume, setup.ringer_volume) == (0.5, 0.3)
    assert audio.bridge.speaker == "comm_speaker" and audio.ringer.device == "comm_ringer"
    # No headset of the list is present: the agent's own choice stays.
    assert sound_desk.extras.preferences == ("Poly*", "Jabra*")
    assert sound_desk.extras.ring_on_speaker_too
    saved = load_user_settings(settings_file)
    assert (saved.server_url, saved.login) == ("https://pbx.example", "anna")  # kept
    assert saved.device_preferences == ("Poly*", "Jabra*")
    assert (saved.ring_volume, saved.call_volume) == (0.3, 0.5)
    assert saved.ring_on_speaker_too and saved.links_dial and saved.sip_trace
    assert saved.close_to_tray is False and saved.language == "pl"
    assert saved.start_at_login and autostart_entry.exists()
    assert traced == [True]

    dialog.start_at_login.setChecked(False)
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    assert not dialog.isVisible()
    assert not autostart_entry.exists()
    assert not load_user_settings(settings_file).start_at_login


def test_the_preference_list_wins_over_the_single_choice(sound_desk: SoundDesk) -> None:
    model, extras = sound_desk.model, sound_desk.extras
    model.choose_devices(microphone="comm_mic", speaker="comm_spare", ringer=None)
    extras.set_preferences(["NoSuchHeadset*", "comm_speak*"])
    assert model.state.audio.speaker == "comm_speaker"
    assert sound_desk.audio.bridge.speaker == "comm_speaker"


def test_the_meter_hears_the_microphone_and_the_ringer_test_rings(
    sound_desk: SoundDesk, qtbot: Any
) -> None:
    model, audio = sound_desk.model, sound_desk.audio
    model.choose_devices(microphone="comm_mic", speaker="comm_speaker", ringer="comm_ringer")
    dialog = SettingsDialog(model, UserSettings(), extras=sound_desk.extras)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    # The "microphone" hears a steady sine: the meter rises well above silence.
    qtbot.waitUntil(lambda: dialog.level.value() > -30, timeout=10000)
    qtbot.mouseClick(dialog.test_ringer, Qt.MouseButton.LeftButton)
    assert audio.ringer.ringing and audio.ringer.device_in_use == "comm_ringer"
    qtbot.waitUntil(lambda: not audio.ringer.ringing, timeout=10000)  # stops by itself
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)


def test_the_about_box_names_the_versions(sound_desk: SoundDesk) -> None:
    found = versions("2.14.1")
    assert set(found) == {"Communicator", "Qt", "PySide6", "pjsip"}
    dialog = SettingsDialog(sound_desk.model, UserSettings(), versions=found)
    text = dialog.about_text()
    for name, version in found.items():
        assert name in text and version in text
    dialog.deleteLater()


def test_every_control_of_the_dialog_is_named_and_described(sound_desk: SoundDesk) -> None:
    dialog = SettingsDialog(sound_desk.model, UserSettings(), extras=sound_desk.extras)
    try:
        found = list(controls(dialog))
        assert dialog.preference_entry in found and dialog.tabs.tabBar() in found
        assert dialog.ring_volume in found and dialog.about in found
        assert unnamed(dialog) == []
    finally:
        dialog.deleteLater()


def test_preferred_device_patterns() -> None:
    names = ("HDA Intel PCH", "Jabra EVOLVE 20 MS", "USB Audio")
    assert preferred_device(["jabra*", "default"], names) == (True, "Jabra EVOLVE 20 MS")
    assert preferred_device(["Poly*", "default"], names) == (True, None)
    assert preferred_device(["Poly*", "*usb*"], names) == (True, "USB Audio")
    assert preferred_device(["Poly*"], names) == (False, None)


HEADSET_PCM = (
    "pcm.Jabra_Evolve {{ type asym; "
    'playback.pcm {{ type pulse; device "{sink}" }} '
    'capture.pcm {{ type pulse; device "{sink}.monitor" }} '
    'hint {{ show on; description "Jabra Evolve" }} }}\n'
)


def test_a_preferred_headset_is_taken_when_it_appears(
    pulse: PulseServer, engine_factory: Any, tmp_path: Path, qapp: Any, qtbot: Any
) -> None:
    desk = SoundDesk(engine_factory, tmp_path / "client", ("Jabra*", "comm_speaker"))
    original = pulse.asoundrc.read_text()
    modules: list[int] = []
    try:
        model = desk.model
        assert model.state.audio.speaker == "comm_speaker"  # no Jabra yet: the next pattern
        # Plugging the headset in: a new sound device (sink, and its ALSA device).
        modules = pulse.load_sink("jabra_sink")
        pulse.asoundrc.write_text(original + HEADSET_PCM.format(sink="jabra_sink"))
        # A headset brings its device nodes, and the system tells (inotify on /dev/snd); null
        # sinks have no nodes, so the test tells the housekeeping what that watch would.
        keeper = desk.audio.keeper
        keeper.devices_may_have_changed(0.0)

        def taken() -> bool:
            keeper.tick()  # the housekeeping timer's tick, due now
            return model.state.audio.speaker == "Jabra_Evolve"

        qtbot.waitUntil(taken, timeout=10000)
        assert model.state.audio.microphone == "Jabra_Evolve"
        assert desk.audio.bridge.speaker == "Jabra_Evolve"
    finally:
        desk.close()
        pulse.asoundrc.write_text(original)
        if modules:
            pulse.unload(*modules)


@pytest.mark.rig
def test_when_the_preferred_headset_goes_mid_call_the_next_preference_takes_over(
    pulse: PulseServer,
    engine_factory: Any,
    deployment: Deployment,
    peer_factory: Any,
    tmp_path: Path,
    qapp: Any,
    qtbot: Any,
) -> None:
    original = pulse.asoundrc.read_text()
    modules = pulse.load_sink("jabra_sink")
    pulse.asoundrc.write_text(original + HEADSET_PCM.format(sink="jabra_sink"))
    DeviceManager.reinitialize()
    desk = SoundDesk(engine_factory, tmp_path / "client", ("Jabra*", "comm_speaker"))
    try:
        model, bridge = desk.model, desk.audio.bridge
        assert model.state.audio.speaker == "Jabra_Evolve"  # present at start: taken
        sign_in(model, deployment, qtbot)
        far = far_end(peer_factory, deployment)
        view = ring_agent(qtbot, model, far)
        model.answer(view.call_id)
        qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED)
        qtbot.waitUntil(lambda: bridge.speaker_in_use is not None, timeout=5000)
        assert bridge.speaker_in_use is not None
        assert bridge.speaker_in_use.name == "Jabra_Evolve"

        # Unplugged in the middle of the call. PulseAudio would move the stream to its default
        # sink by itself; killing it too makes it fail as a vanished device does elsewhere.
        pulse.asoundrc.write_text(original)
        pulse.unload(*modules)
        modules = []
        pulse.kill_playback_of(os.getpid())
        qtbot.waitUntil(lambda: model.state.audio.speaker == "comm_speaker", timeout=15000)
        qtbot.waitUntil(
            lambda: (
                bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_speaker"
            ),
            timeout=5000,
        )
        assert state_of(model, view.call_id) is CallState.CONNECTED  # the call goes on
        model.hangup(view.call_id)
        qtbot.waitUntil(lambda: state_of(model, view.call_id) is None, timeout=5000)
    finally:
        desk.close()
        pulse.asoundrc.write_text(original)
        if modules:
            pulse.unload(*modules)
        DeviceManager.reinitialize()


RINGTONE_HZ = [880.0, 1320.0]
BEEP_HZ = 440.0


def test_the_test_sounds_play_on_the_chosen_devices_and_ringing_can_use_both(
    sound_desk: SoundDesk, pulse: PulseServer, tmp_path: Path, qtbot: Any
) -> None:
    model = sound_desk.model
    dialog = SettingsDialog(model, UserSettings(), extras=sound_desk.extras)
    qtbot.addWidget(dialog)
    choose(dialog.microphone, "comm_mic")
    choose(dialog.speaker, "comm_speaker")
    choose(dialog.ringer, "comm_ringer")
    dialog.ring_both.setChecked(True)
    dialog.apply()
    assert sound_desk.extras.ring_on_speaker_too
    with qtbot.waitExposed(dialog):
        dialog.show()

    speaker = pulse.record_monitor("speaker_sink", 1.5, tmp_path / "beep.wav")
    qtbot.waitUntil(speaker.started.is_set, timeout=5000)
    qtbot.mouseClick(dialog.test_speaker, Qt.MouseButton.LeftButton)
    wait_recording(qtbot, speaker, 1.5)
    assert_mix(speaker.path, [BEEP_HZ], skip_ms=0)

    ringer = pulse.record_monitor("ringer_sink", 2.5, tmp_path / "ringer.wav")
    also = pulse.record_monitor("speaker_sink", 2.5, tmp_path / "speaker-ring.wav")
    qtbot.waitUntil(lambda: ringer.started.is_set() and also.started.is_set(), timeout=5000)
    qtbot.mouseClick(dialog.test_ringer, Qt.MouseButton.LeftButton)
    wait_recording(qtbot, ringer, 2.5)
    wait_recording(qtbot, also, 2.5)
    assert_mix(ringer.path, RINGTONE_HZ)
    assert_mix(also.path, RINGTONE_HZ)
    qtbot.waitUntil(lambda: not sound_desk.extras.ringer_testing, timeout=10000)


def our_playback_streams(pulse: PulseServer) -> list[str]:
    """The sinks this process plays into (one entry per stream)."""
    import json

    sinks = {
        line.split("\t")[0]: line.split("\t")[1]
        for line in pulse.pactl("list", "short", "sinks").splitlines()
    }
    return sorted(
        sinks.get(str(item.get("sink")), "?")
        for item in json.loads(pulse.pactl("--format=json", "list", "sink-inputs"))
        if item.get("properties", {}).get("application.process.id") == str(os.getpid())
    )


def test_ringing_on_the_speaker_too_rings_once_where_the_speaker_is_the_ringer(
    sound_desk: SoundDesk, pulse: PulseServer, qtbot: Any
) -> None:
    model, extras = sound_desk.model, sound_desk.extras
    extras.set_ring_on_speaker_too(True)
    model.choose_devices(microphone="comm_mic", speaker="comm_speaker", ringer="comm_ringer")
    extras.devices_chosen()
    extras.test_ringer()
    qtbot.waitUntil(
        lambda: our_playback_streams(pulse) == ["ringer_sink", "speaker_sink"], timeout=5000
    )
    qtbot.waitUntil(lambda: our_playback_streams(pulse) == [], timeout=10000)

    model.choose_devices(microphone="comm_mic", speaker="comm_ringer", ringer="comm_ringer")
    extras.devices_chosen()
    extras.test_ringer()
    qtbot.waitUntil(lambda: our_playback_streams(pulse) == ["ringer_sink"], timeout=5000)
    assert extras.ringer_testing
    assert our_playback_streams(pulse) == ["ringer_sink"]  # once, not twice
    qtbot.waitUntil(lambda: our_playback_streams(pulse) == [], timeout=10000)
