"""The desktop's own settings in the per-user file: close to tray, start minimised, what links
do. They round-trip, and a hand-edited wrong value falls back to the default."""

from __future__ import annotations

from pathlib import Path

from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings


def test_the_desktop_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    assert load_user_settings(path) == UserSettings()
    assert UserSettings().close_to_tray is None  # decided by whether there is a tray
    chosen = UserSettings(login="anna", close_to_tray=False, start_minimised=True, links_dial=True)
    save_user_settings(chosen, path)
    assert load_user_settings(path) == chosen


def test_wrong_values_fall_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'close_to_tray = "yes"\nstart_minimised = 1\nlinks_dial = "dial"\nlogin = "anna"\n',
        encoding="utf-8",
    )
    loaded = load_user_settings(path)
    assert (loaded.close_to_tray, loaded.start_minimised, loaded.links_dial) == (None, False, False)
    assert loaded.login == "anna"
