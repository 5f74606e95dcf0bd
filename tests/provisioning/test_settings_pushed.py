"""The settings in force (issue 16, "Settings"): the profile's desktop section wins over the
agent's settings only where it fixes a field; devices, language and the rest stay the
agent's, and the agent's settings are not changed by it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from communicator.provisioning.schema import DesktopSettings
from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings
from communicator.provisioning.settings_pushed import effective_settings, fixed_settings

LOCAL = UserSettings(
    login="anna",
    microphone="Jabra Mic",
    speaker="Jabra Speaker",
    language="pl",
    close_to_tray=True,
    start_at_login=False,
    links_dial=False,
    sip_trace=False,
    ring_volume=0.4,
)


def test_nothing_fixed_leaves_the_agents_settings() -> None:
    assert effective_settings(LOCAL, None) is LOCAL
    assert effective_settings(LOCAL, DesktopSettings()) == LOCAL
    assert fixed_settings(DesktopSettings()) == {}


@pytest.mark.parametrize(
    ("desktop", "changed"),
    [
        (DesktopSettings(close_to_tray=False), {"close_to_tray": False}),
        (DesktopSettings(start_at_login=True), {"start_at_login": True}),
        (DesktopSettings(links="dial"), {"links_dial": True}),
        (DesktopSettings(links="fill"), {"links_dial": False}),
        (DesktopSettings(sip_trace=True), {"sip_trace": True}),
        (
            DesktopSettings(close_to_tray=False, start_at_login=True, links="dial", sip_trace=True),
            {"close_to_tray": False, "start_at_login": True, "links_dial": True, "sip_trace": True},
        ),
    ],
)
def test_only_the_fixed_fields_change(desktop: DesktopSettings, changed: dict[str, bool]) -> None:
    merged = effective_settings(LOCAL, desktop)
    assert fixed_settings(desktop) == changed
    for f in fields(UserSettings):
        expected = changed.get(f.name, getattr(LOCAL, f.name))
        assert getattr(merged, f.name) == expected, f.name
    assert LOCAL.close_to_tray is True and LOCAL.links_dial is False  # not changed in place


def test_a_newer_servers_unknown_desktop_field_fixes_nothing() -> None:
    desktop = DesktopSettings.model_validate({"theme": "dark", "language": "en"})
    assert effective_settings(LOCAL, desktop) == LOCAL


def test_the_settings_file_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_user_settings(LOCAL, path)
    saved = path.read_bytes()
    merged = effective_settings(load_user_settings(path), DesktopSettings(sip_trace=True))
    assert merged.sip_trace is True
    assert path.read_bytes() == saved
    assert load_user_settings(path).sip_trace is False
