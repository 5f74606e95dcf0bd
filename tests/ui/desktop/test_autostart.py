"""Start at login: the XDG autostart entry (Linux), the Run value (Windows) and the LaunchAgent
(macOS) are written and removed and start Communicator; the Windows writer runs against a
stand-in ``winreg`` (a dict of keys), the macOS one in a temporary home. The command is the
bundle itself in a packaged build, whose argument parser refuses ``-m communicator.app``."""

from __future__ import annotations

import configparser
import importlib.util
import plistlib
import shlex
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from communicator.app import parse_args
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


BUNDLES = [
    ("win32", r"C:\Program Files\Communicator\communicator.exe"),
    ("darwin", "/Applications/Communicator.app/Contents/MacOS/communicator"),
    ("linux", "/opt/communicator/communicator"),
]


@pytest.mark.parametrize(("platform", "executable"), BUNDLES)
def test_a_packaged_build_starts_itself_with_arguments_its_parser_accepts(
    platform: str, executable: str
) -> None:
    command = autostart.command_for(
        executable=executable, frozen=True, installed=None, platform=platform
    )
    assert command == [executable]
    parse_args(command[1:])  # "-m communicator.app" would exit 2 here
    with pytest.raises(SystemExit):
        parse_args(["-m", "communicator.app"])


def test_an_unpackaged_install_starts_the_program_or_the_module() -> None:
    installed = autostart.command_for(
        executable="/usr/bin/python3",
        frozen=False,
        installed="/usr/bin/communicator",
        platform="linux",
    )
    assert installed == ["/usr/bin/communicator"]
    module = autostart.command_for(
        executable="/srv/venv/bin/python", frozen=False, installed=None, platform="linux"
    )
    assert module == ["/srv/venv/bin/python", "-m", "communicator.app"]
    assert importlib.util.find_spec("communicator.app.__main__") is not None
    windows = autostart.command_for(
        executable=r"C:\Users\Anna Nowak\venv\Scripts\python.exe",
        frozen=False,
        installed=None,
        platform="win32",
    )
    assert windows == [
        r"C:\Users\Anna Nowak\venv\Scripts\pythonw.exe",  # no console window at login
        "-m",
        "communicator.app",
    ]


def windows_argv(line: str) -> list[str]:
    """A command line split as the Microsoft C runtime does (backslashes are literal unless
    they precede a quote; 2n+1 backslashes and a quote: n backslashes and a literal quote)."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            count = j - i
            if j < len(line) and line[j] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    j += 1
            else:
                current.append("\\" * count)
            started = True
            i = j
            continue
        if c == '"':
            quoted = not quoted
            started = True
        elif c in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


@pytest.mark.parametrize(
    "command",
    [
        [r"C:\Program Files\Communicator\communicator.exe"],
        [r"C:\Users\Anna Nowak\venv\Scripts\pythonw.exe", "-m", "communicator.app"],
        [r"C:\Tools\communicator.exe", "--server", "https://pbx.example/a b", 'say "hi"', "x\\"],
    ],
)
def test_the_run_value_is_one_command_line_that_splits_back_into_the_command(
    command: list[str],
) -> None:
    line = autostart.windows_run_value(command)
    assert windows_argv(line) == command
    if " " in command[0]:
        assert line.startswith(f'"{command[0]}"')  # "Program Files" stays one word


class FakeKey:
    def __init__(self, values: dict[str, tuple[int, str]]) -> None:
        self.values = values

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def fake_winreg() -> tuple[types.ModuleType, dict[tuple[int, str], dict[str, tuple[int, str]]]]:
    """A stand-in for ``winreg``'s few calls used here; keys live in the returned dict."""
    keys: dict[tuple[int, str], dict[str, tuple[int, str]]] = {}
    module: Any = types.ModuleType("winreg")
    module.HKEY_CURRENT_USER = 0x80000001
    module.REG_SZ = 1

    def open_key(root: int, path: str) -> FakeKey:
        if (root, path) not in keys:
            raise FileNotFoundError(path)
        return FakeKey(keys[(root, path)])

    def create_key(root: int, path: str) -> FakeKey:
        return FakeKey(keys.setdefault((root, path), {}))

    def query_value_ex(key: FakeKey, name: str) -> tuple[str, int]:
        if name not in key.values:
            raise FileNotFoundError(name)
        kind, value = key.values[name]
        return value, kind

    def set_value_ex(key: FakeKey, name: str, _reserved: int, kind: int, value: str) -> None:
        key.values[name] = (kind, value)

    def delete_value(key: FakeKey, name: str) -> None:
        if name not in key.values:
            raise FileNotFoundError(name)
        del key.values[name]

    module.OpenKey, module.CreateKey = open_key, create_key
    module.QueryValueEx, module.SetValueEx, module.DeleteValue = (
        query_value_ex,
        set_value_ex,
        delete_value,
    )
    return module, keys


def test_the_run_value_is_written_and_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    module, keys = fake_winreg()
    monkeypatch.setitem(sys.modules, "winreg", module)
    run = (module.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run")
    command = [r"C:\Program Files\Communicator\communicator.exe"]
    assert not autostart.is_enabled(platform="win32")  # no Run key at all yet
    autostart.set_enabled(True, command, platform="win32")
    assert keys[run] == {"Communicator": (module.REG_SZ, autostart.windows_run_value(command))}
    assert autostart.is_enabled(platform="win32")
    autostart.set_enabled(False, command, platform="win32")
    assert keys[run] == {} and not autostart.is_enabled(platform="win32")
    autostart.set_enabled(False, command, platform="win32")  # removing twice is fine


def test_the_launch_agent_is_written_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    agent = tmp_path / "Library" / "LaunchAgents" / "com.communicator.Communicator.plist"
    command = ["/Applications/Communicator.app/Contents/MacOS/communicator"]
    assert not autostart.is_enabled(platform="darwin")
    autostart.set_enabled(True, command, platform="darwin")
    assert autostart.is_enabled(platform="darwin")
    with agent.open("rb") as file:
        loaded = plistlib.load(file)
    assert loaded == {
        "Label": "com.communicator.Communicator",
        "ProgramArguments": command,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    assert agent.read_bytes() == autostart.launch_agent_plist(command)
    autostart.set_enabled(False, command, platform="darwin")
    assert not agent.exists() and not autostart.is_enabled(platform="darwin")
    assert list(agent.parent.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_refresh_points_an_old_entry_at_this_installation_and_creates_none(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    module, keys = fake_winreg()
    monkeypatch.setitem(sys.modules, "winreg", module)
    old = ["/Applications/Communicator.app/Contents/MacOS/communicator", "-m", "communicator.app"]
    new = ["/Applications/Communicator.app/Contents/MacOS/communicator"]

    assert not autostart.refresh(new, platform=platform)  # no entry: none is made
    assert not autostart.is_enabled(platform=platform)
    autostart.set_enabled(True, old, platform=platform)  # an earlier version's entry
    assert autostart.refresh(new, platform=platform)
    assert autostart.is_enabled(platform=platform)
    if platform == "win32":
        run = keys[(module.HKEY_CURRENT_USER, autostart.WINDOWS_RUN_KEY)]
        assert run["Communicator"][1] == autostart.windows_run_value(new)
    elif platform == "darwin":
        agent = tmp_path / "Library" / "LaunchAgents" / "com.communicator.Communicator.plist"
        assert plistlib.loads(agent.read_bytes())["ProgramArguments"] == new
    else:
        text = (tmp_path / "config" / "autostart" / "communicator.desktop").read_text()
        assert f"Exec={new[0]}\n" in text
    assert not autostart.refresh(new, platform=platform)  # already right: left alone
