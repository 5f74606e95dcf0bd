"""Start at login: the per-user entry each system reads when the agent logs in.

* Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/communicator.desktop``
  (``~/.config`` when unset), the XDG Autostart specification.
* Windows: the value ``Communicator`` under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run``.
* macOS: ``~/Library/LaunchAgents/com.communicator.Communicator.plist`` (``RunAtLoad``).

The command started is the installed ``communicator`` program when there is one on PATH, else
this Python with ``-m communicator.app``. Only the Linux path is tested on the rig.
"""

from __future__ import annotations

import contextlib
import logging
import os
import plistlib
import shutil
import sys
from pathlib import Path

log = logging.getLogger(__name__)

DESKTOP_FILE = "communicator.desktop"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_VALUE = "Communicator"
MACOS_LABEL = "com.communicator.Communicator"


def launch_command() -> list[str]:
    """How the system should start Communicator at login."""
    installed = shutil.which("communicator")
    if installed:
        return [installed]
    return [sys.executable, "-m", "communicator.app"]


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


def is_enabled() -> bool:
    if sys.platform == "win32":
        return _windows_get() is not None
    if sys.platform == "darwin":
        return macos_agent_path().exists()
    return xdg_autostart_path().exists()


def set_enabled(enabled: bool, command: list[str] | None = None) -> None:
    """Write or remove the entry; raises OSError when the system refuses."""
    command = command or launch_command()
    if sys.platform == "win32":
        _windows_set(subprocess_line(command) if enabled else None)
    elif sys.platform == "darwin":
        _write_or_remove(macos_agent_path(), _launch_agent(command) if enabled else None)
    else:
        text = desktop_entry(command).encode() if enabled else None
        _write_or_remove(xdg_autostart_path(), text)
    log.info("start at login %s", "on" if enabled else "off")


def subprocess_line(command: list[str]) -> str:
    """A Windows command line (each part quoted where needed)."""
    import subprocess

    return subprocess.list2cmdline(command)


def _launch_agent(command: list[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": MACOS_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


def _write_or_remove(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _windows_get() -> str | None:
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
            value = winreg.QueryValueEx(key, WINDOWS_VALUE)[0]
    except OSError:
        return None
    return str(value)


def _windows_set(line: str | None) -> None:
    if sys.platform != "win32":
        return
    import winreg

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
        if line is None:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, WINDOWS_VALUE)
        else:
            winreg.SetValueEx(key, WINDOWS_VALUE, 0, winreg.REG_SZ, line)


__all__ = ["desktop_entry", "is_enabled", "launch_command", "set_enabled", "xdg_autostart_path"]
