"""Start at login on Linux: the XDG autostart entry is written and removed, and starts
Communicator."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from communicator.ui.desktop import autostart


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_the_autostart_entry_is_written_and_removed(config_home: Path) -> None:
    entry = config_home / "autostart" / "communicator.desktop"
    assert not autostart.is_enabled()
    command = ["/opt/My Apps/python3", "-m", "communicator.app"]
    autostart.set_enabled(True, command)
    assert entry.exists() and autostart.is_enabled()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(entry)
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "Communicator"
    assert shlex.split(section["Exec"]) == command  # the path with a space stays one word
    autostart.set_enabled(False)
    assert not entry.exists() and not autostart.is_enabled()
    autostart.set_enabled(False)  # removing twice is fine


def test_the_default_command_starts_communicator(config_home: Path) -> None:
    command = autostart.launch_command()
    assert command[-1] in ("communicator", "communicator.app") or command[0].endswith(
        "communicator"
    )
    autostart.set_enabled(True)
    text = (config_home / "autostart" / "communicator.desktop").read_text()
    assert "Exec=" in text and "communicator" in text
