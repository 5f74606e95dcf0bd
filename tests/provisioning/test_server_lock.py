"""IT's "agents may not change the server" preset, as each installer writes it: read from the
Linux TOML, the macOS managed preferences, and (in the form the MSI writes) enforced over the
user's settings and the command line; the console client refuses another ``--server``."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from communicator.provisioning import settings as s

ROOT = Path(__file__).resolve().parents[2]
PRESET = "https://pbx.example.com"


def toml_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allow: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'server_url = "{PRESET}"\n{allow}\n', encoding="utf-8")
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(config))
    return config


@pytest.mark.parametrize(
    ("line", "allowed"),
    [
        ("allow_server_change = false", False),  # what the .deb's postinst writes
        ("allow_server_change = true", True),
        ('allow_server_change = "0"', False),
        ("", True),  # not said: the agent may change it
    ],
)
def test_the_linux_preset_says_whether_the_server_may_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, allowed: bool
) -> None:
    toml_config(tmp_path, monkeypatch, line)
    loaded = s.load_system_config()
    assert loaded.allow_server_change is allowed
    assert loaded.server_locked is not allowed


def test_the_macos_profile_locks_the_server(tmp_path: Path) -> None:
    plist = tmp_path / "com.communicator.Communicator.plist"
    plist.write_bytes(plistlib.dumps({"ServerUrl": PRESET, "AllowServerChange": False}))
    assert s.system_config_from_plist(plist).server_locked
    plist.write_bytes(plistlib.dumps({"ServerUrl": PRESET}))
    assert not s.system_config_from_plist(plist).server_locked


def test_the_installers_profile_forbids_changing() -> None:
    """The shipped macOS profile example is the locked form the README documents."""
    profile = ROOT / "installers/macos/com.communicator.Communicator.mobileconfig"
    payload = plistlib.loads(profile.read_bytes())["PayloadContent"][0]
    assert payload["AllowServerChange"] is False


def test_no_preset_url_locks_nothing() -> None:
    assert not s.SystemConfig(allow_server_change=False).server_locked


def test_a_locked_preset_wins_over_settings_and_the_command_line() -> None:
    system = s.SystemConfig(server_url=PRESET, allow_server_change=False)
    user = s.UserSettings(server_url="https://remembered.example")
    assert s.resolve_server_url("https://cli.example", user, system) == (
        PRESET,
        s.UrlSource.SYSTEM_CONFIG,
    )
    assert s.server_change_refusal("https://cli.example", system) is not None
    assert s.server_change_refusal("HTTPS://pbx.example.com/", system) is None  # same server
    assert s.server_change_refusal(None, system) is None
    free = s.SystemConfig(server_url=PRESET)
    assert s.resolve_server_url(None, user, free)[0] == "https://remembered.example"
    assert s.server_change_refusal("https://cli.example", free) is None


def test_the_console_refuses_another_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toml_config(tmp_path, monkeypatch, "allow_server_change = false")
    result = subprocess.run(
        [sys.executable, "-m", "communicator.app", "--console", "--server", "https://x.example"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COMMUNICATOR_SYSTEM_CONFIG": str(config),
            "COMMUNICATOR_CONFIG_DIR": str(tmp_path / "user-config"),
            "COMMUNICATOR_DATA_DIR": str(tmp_path / "user-data"),
        },
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"set up to use the server {PRESET} only" in result.stderr
    assert "--server https://x.example is not allowed" in result.stderr
