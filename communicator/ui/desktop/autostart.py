"""Start at login: the per-user entry each system reads when the agent logs in.

* Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/communicator.desktop``
  (``~/.config`` when unset), the XDG Autostart specification (`desktop_entry`).
* Windows: the value ``Communicator`` under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run``, a command line (`windows_run_value`).
* macOS: ``~/Library/LaunchAgents/com.communicator.Communicator.plist`` (`launch_agent_plist`,
  ``RunAtLoad``).

The command started (`command_for`) is the bundle's own executable in a packaged build (the MSI,
the .app, where ``communicator`` is not on PATH), else the installed ``communicator`` program on
PATH, else this Python with ``-m communicator.app`` (``pythonw.exe`` on Windows: no console
window at login). `refresh`, at start, points an existing entry at that command when it names
another (an earlier version's, an install since moved).

The entries' texts are pure functions; the writers take the platform as a parameter and reach
the registry through ``winreg`` looked up when used, so the Windows and macOS writers run in the
tests too (a stand-in ``winreg``, a temporary home).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from typing import Any

log = logging.getLogger(__name__)

DESKTOP_FILE = "communicator.desktop"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_VALUE = "Communicator"
MACOS_LABEL = "com.communicator.Communicator"


def launch_command() -> list[str]:
    """How the system should start this Communicator at login."""
    return command_for(
        executable=sys.executable,
        frozen=bool(getattr(sys, "frozen", False)),
        installed=shutil.which("communicator"),
        platform=sys.platform,
    )


def command_for(
    *, executable: str, frozen: bool, installed: str | None, platform: str
) -> list[str]:
    """The command for a Python at ``executable``: a PyInstaller bundle (``frozen``) is started
    as itself (``communicator.exe -m communicator.app`` would be refused by its argument parser),
    else the ``installed`` program, else the module with the window-less Python on Windows."""
    if frozen:
        return [executable]
    if installed:
        return [installed]
    if platform == "win32":
        path = PureWindowsPath(executable)
        if path.name.lower() == "python.exe":
            executable = str(path.with_name("pythonw.exe"))
    return [executable, "-m", "communicator.app"]


def xdg_autostart_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config) if config else Path.home() / ".config"
    return base / "autostart" / DESKTOP_FILE


def macos_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{MACOS_LABEL}.plist"


def desktop_entry(command: list[str]) -> str:
    """The .desktop file's text (Exec quoted as the specification asks)."""
    exec_line = " ".join(_desktop_quote(part) for part in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Communicator\n"
        "Comment=Softphone for contact-center agents\n"
        f"Exec={exec_line}\n"
        "Icon=communicator\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def _desktop_quote(arg: str) -> str:
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`%="):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$").replace("%", "%%")
    return f'"{escaped}"'


def windows_run_value(command: list[str]) -> str:
    """The Run value: one command line, each part quoted as the Microsoft C runtime parses it
    (a path under "Program Files" stays one argument)."""
    return subprocess.list2cmdline(command)


def launch_agent_plist(command: list[str]) -> bytes:
    """The LaunchAgent: started at login (``RunAtLoad``) as an interactive application."""
    return plistlib.dumps(
        {
            "Label": MACOS_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


def is_enabled(platform: str | None = None) -> bool:
    platform = platform or sys.platform
    if platform == "win32":
        return _windows_get() is not None
    if platform == "darwin":
        return macos_agent_path().exists()
    return xdg_autostart_path().exists()


def set_enabled(
    enabled: bool, command: list[str] | None = None, *, platform: str | None = None
) -> None:
    """Write or remove the entry; raises OSError when the system refuses."""
    platform = platform or sys.platform
    command = command or launch_command()
    if platform == "win32":
        _windows_set(windows_run_value(command) if enabled else None)
    elif platform == "darwin":
        _write_or_remove(macos_agent_path(), launch_agent_plist(command) if enabled else None)
    else:
        text = desktop_entry(command).encode() if enabled else None
        _write_or_remove(xdg_autostart_path(), text)
    log.info("start at login %s", "on" if enabled else "off")


def refresh(command: list[str] | None = None, *, platform: str | None = None) -> bool:
    """Point an existing entry at this installation's command when it names another (one written
    by an earlier version, e.g. a packaged build's that could not start, or by an install since
    moved). Never creates or removes an entry; True when it rewrote one. A system that refuses
    is logged, not raised: this runs at start."""
    platform = platform or sys.platform
    command = command or launch_command()
    try:
        if platform == "win32":
            current = _windows_get()
            wanted_line = windows_run_value(command)
            if current is None or current == wanted_line:
                return False
            _windows_set(wanted_line)
        else:
            path = macos_agent_path() if platform == "darwin" else xdg_autostart_path()
            wanted = (
                launch_agent_plist(command)
                if platform == "darwin"
                else desktop_entry(command).encode()
            )
            try:
                current_data = path.read_bytes()
            except FileNotFoundError:
                return False
            if current_data == wanted:
                return False
            _write_or_remove(path, wanted)
    except OSError as err:
        log.warning("could not update the start-at-login entry: %s", err)
        return False
    log.info("start at login: entry updated to start %s", command[0])
    return True


def _write_or_remove(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _winreg() -> Any:
    """Windows' registry module (an ImportError elsewhere), looked up when used."""
    return importlib.import_module("winreg")


def _windows_get() -> str | None:
    winreg = _winreg()
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
            value = winreg.QueryValueEx(key, WINDOWS_VALUE)[0]
    except OSError:
        return None
    return str(value)


def _windows_set(line: str | None) -> None:
    winreg = _winreg()
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
        if line is None:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, WINDOWS_VALUE)
        else:
            winreg.SetValueEx(key, WINDOWS_VALUE, 0, winreg.REG_SZ, line)


__all__ = [
    "command_for",
    "desktop_entry",
    "is_enabled",
    "launch_agent_plist",
    "launch_command",
    "refresh",
    "set_enabled",
    "windows_run_value",
    "xdg_autostart_path",
]
