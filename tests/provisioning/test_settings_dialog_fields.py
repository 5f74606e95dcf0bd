"""The Settings dialog's choices in the per-user file: device preferences, ringing on the
speaker too, volumes, SIP trace, language, start at login. They round-trip, and a hand-edited
wrong value falls back to the default."""

from __future__ import annotations

from pathlib import Path

from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings


def test_the_settings_dialog_fields_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    chosen = UserSettings(
        login="anna",
        device_preferences=("Jabra*", "*USB*"),
        ring_on_speaker_too=True,
        ring_volume=0.25,
        call_volume=0.75,
        sip_trace=True,
        language="pl",
        start_at_login=True,
    )
    save_user_settings(chosen, path)
    assert load_user_settings(path) == chosen


def test_wrong_values_fall_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'device_preferences = "Jabra*"\nring_volume = "loud"\ncall_volume = 7\n'
        'language = "klingon"\nsip_trace = "yes"\nring_on_speaker_too = 1\n',
        encoding="utf-8",
    )
    loaded = load_user_settings(path)
    assert loaded.device_preferences == ()
    assert loaded.ring_volume is None and loaded.call_volume == 1.0  # clamped
    assert loaded.language == "system"
    assert (loaded.sip_trace, loaded.ring_on_speaker_too) == (False, False)
