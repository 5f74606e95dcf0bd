"""A profile the admin pushes while the agent works never overwrites the agent's local choices:
the sound devices and volumes chosen in Settings, the device preference list, the language and
the rest of the per-user settings file stay as the agent left them, while the pushed change
itself (a SIP registration setting, which re-registers the phone) is applied. Real
provisioning server, Kamailio, and a private PulseAudio server for the devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from communicator.provisioning.settings import UserSettings, save_user_settings
from communicator.ui.desktop.settings_actions import SettingsActions
from tests.rig.deployment import Deployment
from tests.sip.sound.pulse import PulseServer
from tests.ui.desktop.test_settings_dialog import SoundDesk
from tests.ui.helpers import sign_in

pytestmark = [pytest.mark.rig, pytest.mark.qt_log_ignore("This plugin does not support")]


def test_a_pushed_profile_leaves_devices_language_and_settings_alone(
    pulse: PulseServer,
    engine_factory: Any,
    deployment: Deployment,
    tmp_path: Path,
    qapp: Any,
    qtbot: Any,
) -> None:
    desk = SoundDesk(engine_factory, tmp_path / "client", ())
    try:
        model, extras = desk.model, desk.extras
        settings_file = tmp_path / "settings.toml"
        save_user_settings(
            UserSettings(server_url=deployment.site.url, login="anna"), settings_file
        )
        chosen = UserSettings(
            microphone="comm_mic",
            speaker="comm_speaker",
            ringer="comm_ringer",
            device_preferences=("NoSuchHeadset*", "comm_speak*"),
            ring_volume=0.3,
            call_volume=0.6,
            language="pl",
            close_to_tray=False,
            links_dial=True,
        )
        SettingsActions(settings_file=settings_file).apply(chosen)
        model.choose_devices(microphone="comm_mic", speaker="comm_speaker", ringer="comm_ringer")
        model.set_volumes(speaker=0.6, ringer=0.3)
        extras.set_preferences(list(chosen.device_preferences))
        saved = settings_file.read_bytes()
        audio = model.state.audio
        assert (audio.speaker, audio.ringer, audio.speaker_volume) == (
            "comm_speaker",
            "comm_ringer",
            0.6,
        )

        sign_in(model, deployment, qtbot)
        signed_in = model.state.signed_in
        assert signed_in is not None
        before = signed_in.profile
        deployment.patch_account({"register_expiry_s": 120, "register_refresh_s": 50})

        def pushed() -> bool:
            current = model.state.signed_in
            return current is not None and current.profile.registration.expiry_seconds == 120

        qtbot.waitUntil(pushed, timeout=10000)
        qtbot.waitUntil(
            lambda: (
                model.state.registered
                and (current := model.state.registration.current) is not None
                and current.expiry == 120
            ),
            timeout=10000,
        )
        after = model.state.signed_in
        assert after is not None and after.profile.revision > before.revision

        assert model.state.audio == audio  # devices, lists and volumes as the agent left them
        assert desk.audio.bridge.speaker == "comm_speaker"
        assert desk.audio.ringer.device == "comm_ringer"
        assert extras.preferences == chosen.device_preferences
        assert settings_file.read_bytes() == saved  # language and the rest untouched
    finally:
        desk.close()
