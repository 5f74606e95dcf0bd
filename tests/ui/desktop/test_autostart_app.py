"""The desktop, once started, points a start-at-login entry that an earlier version wrote at
its own command (a packaged build's earlier entry could not start it), and makes none where
the agent never asked for one: the real ``communicator`` command, its XDG autostart entry."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from communicator.ui.desktop import autostart
from tests.ui.desktop.test_desktop import run_app

START = ("--quit-after-shown", "--no-audio", "--server", "https://pbx.example.com")


def exec_of(entry: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(entry)
    return shlex.split(parser["Desktop Entry"]["Exec"])


@pytest.mark.slow
def test_starting_points_an_old_entry_at_this_installation(tmp_path: Path) -> None:
    config = tmp_path / "xdg"
    entry = config / "autostart" / "communicator.desktop"
    entry.parent.mkdir(parents=True)
    old = ["/opt/Communicator/communicator", "-m", "communicator.app"]
    entry.write_text(autostart.desktop_entry(old))

    done = run_app(tmp_path, *START, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready" in done.stdout.splitlines()
    assert exec_of(entry) == autostart.launch_command()  # the same Python, the same PATH


@pytest.mark.slow
def test_starting_makes_no_entry_nobody_asked_for(tmp_path: Path) -> None:
    config = tmp_path / "xdg"
    done = run_app(tmp_path, *START, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready" in done.stdout.splitlines()
    assert not (config / "autostart").exists()
