"""Where the client finds its server: command line, user settings, system config, else ask."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from communicator.provisioning import settings as s


def test_resolution_order() -> None:
    user = s.UserSettings(server_url="https://user.example")
    system = s.SystemConfig(server_url="https://it.example")
    assert s.resolve_server_url("https://cli.example", user, system) == (
        "https://cli.example",
        s.UrlSource.COMMAND_LINE,
    )
    assert s.resolve_server_url(None, user, system) == (
        "https://user.example",
        s.UrlSource.USER_SETTINGS,
    )
    assert s.resolve_server_url("  ", s.UserSettings(), system) == (
        "https://it.example",
        s.UrlSource.SYSTEM_CONFIG,
    )
    assert s.resolve_server_url(None, s.UserSettings(), s.SystemConfig()) == (None, s.UrlSource.ASK)


def test_system_config_written_by_installers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('server_url = "https://pbx.example.com"\nca_file = "/etc/ssl/ca.pem"\n')
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(config))
    loaded = s.load_system_config()
    assert loaded.server_url == "https://pbx.example.com"
    assert loaded.ca_file == "/etc/ssl/ca.pem"
    config.write_text("server_url = [broken")
    damaged = s.load_system_config()
    assert damaged.server_url is None  # damaged: ignored, not a crash
    assert damaged.problem is not None and damaged.problem.startswith(f"{config} cannot be read")
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(tmp_path / "absent.toml"))
    assert s.load_system_config() == s.SystemConfig()


def test_macos_managed_preferences(tmp_path: Path) -> None:
    plist = tmp_path / "com.communicator.Communicator.plist"
    plist.write_bytes(plistlib.dumps({"ServerUrl": "https://mac.example", "CaFile": ""}))
    loaded = s.system_config_from_plist(plist)
    assert loaded.server_url == "https://mac.example" and loaded.ca_file is None


def test_user_settings_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('future_option = 3\nlogin = "anna"\n')
    loaded = s.load_user_settings(path)
    assert loaded.login == "anna" and loaded.extra == {"future_option": 3}
    s.save_user_settings(loaded.with_changes(server_url="https://pbx", remember_me=True), path)
    again = s.load_user_settings(path)
    assert again.server_url == "https://pbx" and again.remember_me
    assert again.extra == {"future_option": 3}
    assert "password" not in path.read_text()


def test_damaged_user_settings_give_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(b"\xff\xfe not toml")
    assert s.load_user_settings(path) == s.UserSettings()
