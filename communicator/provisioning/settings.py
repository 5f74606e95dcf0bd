"""Where the client finds its server, and the agent's own settings.

The server URL comes from, in order: the command line; the per-user settings file; the
system-wide configuration that the installers write (``/etc/communicator/config.toml`` on Linux,
``HKLM\\Software\\Communicator`` on Windows, the managed preference
``com.communicator.Communicator`` on macOS); else the sign-in window asks for it. When IT
presets a server and forbids changing it (``allow_server_change = false``, ``AllowServerChange``
0 or false), the preset wins over the command line and the user's settings.

The per-user file (TOML in the user's config dir) holds only non-secret choices: server URL,
last login, "remember me", a private CA file, audio devices. Passwords live in the OS keyring.
"""

from __future__ import annotations

import enum
import logging
import os
import plistlib
import sys
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

log = logging.getLogger(__name__)

APP_NAME = "Communicator"
LINUX_SYSTEM_CONFIG = Path("/etc/communicator/config.toml")
MACOS_MANAGED_PLIST = Path("/Library/Managed Preferences/com.communicator.Communicator.plist")
WINDOWS_REGISTRY_KEY = r"Software\Communicator"


class UrlSource(enum.Enum):
    COMMAND_LINE = "command line"
    USER_SETTINGS = "your settings"
    SYSTEM_CONFIG = "system configuration"
    ASK = "ask at sign-in"


@dataclass(frozen=True)
class SystemConfig:
    """What IT presets for every user of the workstation."""

    server_url: str | None = None
    ca_file: str | None = None
    source: str = ""
    allow_server_change: bool = True
    """False: the agent may not sign in to another server than ``server_url``."""
    problem: str | None = None
    """Why the preset could not be read (it is then ignored, as if absent); for ``--selftest``."""

    @property
    def server_locked(self) -> bool:
        """IT preset the server and forbids changing it (no preset: nothing to lock)."""
        return not self.allow_server_change and self.server_url is not None


@dataclass(frozen=True)
class UserSettings:
    server_url: str | None = None
    login: str | None = None
    remember_me: bool = False
    ca_file: str | None = None
    microphone: str | None = None
    speaker: str | None = None
    ringer: str | None = None
    close_to_tray: bool | None = None
    """Closing the main window hides it in the tray; None: yes where there is a tray."""
    start_minimised: bool = False
    links_dial: bool = False
    """A call link dials at once; False: it fills the number field for the agent to call."""
    start_at_login: bool = False
    """Mirrors the system's autostart entry (written and removed by the settings dialog)."""
    device_preferences: tuple[str, ...] = ()
    """Ordered device name patterns (``fnmatch``, case-insensitive, e.g. ``Jabra*``): the first
    present device that matches is used for the microphone and speaker; none matching: the
    chosen devices (or the system default). Applied at start and whenever the list changes."""
    ring_on_speaker_too: bool = False
    """Ring on the ringer device and the speaker at once."""
    ring_volume: float | None = None
    call_volume: float | None = None
    """Speaker volume of calls (0..1); None: as the audio bridge starts (full)."""
    sip_trace: bool = False
    """Log SIP messages for support (the log never holds passwords)."""
    language: str = "system"
    """``system``, ``en`` or ``pl``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> UserSettings:
        return replace(self, **changes)


_FLAGS = frozenset(
    {"remember_me", "start_minimised", "links_dial", "start_at_login", "ring_on_speaker_too"}
    | {"sip_trace"}
)
_VOLUMES = frozenset({"ring_volume", "call_volume"})
LANGUAGES = ("system", "en", "pl")


def user_config_dir() -> Path:
    override = os.environ.get("COMMUNICATOR_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, False))


def user_data_dir() -> Path:
    override = os.environ.get("COMMUNICATOR_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))


def user_settings_path() -> Path:
    return user_config_dir() / "settings.toml"


def load_user_settings(path: Path | None = None) -> UserSettings:
    """A missing or damaged file gives defaults (and a warning), never a crash."""
    path = path or user_settings_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UserSettings()
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        log.warning("ignoring unreadable settings file %s: %s", path, err)
        return UserSettings()
    known = {f for f in UserSettings.__dataclass_fields__ if f != "extra"}
    values: dict[str, Any] = {}
    for key in known:
        value = data.get(key)
        if key in _FLAGS:
            values[key] = value is True
        elif key == "close_to_tray":
            values[key] = value if isinstance(value, bool) else None
        elif key in _VOLUMES:
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[key] = max(0.0, min(1.0, float(value)))
        elif key == "device_preferences":
            items = value if isinstance(value, list) else []
            values[key] = tuple(v.strip() for v in items if isinstance(v, str) and v.strip())
        elif key == "language":
            values[key] = value if value in LANGUAGES else "system"
        elif isinstance(value, str) and value:
            values[key] = value
    extra = {k: v for k, v in data.items() if k not in known}
    return UserSettings(**values, extra=extra)


def save_user_settings(settings: UserSettings, path: Path | None = None) -> None:
    """Written atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or user_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in asdict(settings).items() if k != "extra" and v is not None}
    data["device_preferences"] = list(settings.device_preferences)
    data = {**settings.extra, **data}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)


def system_config_path() -> Path | None:
    """The TOML file the system configuration is read from: ``COMMUNICATOR_SYSTEM_CONFIG``,
    else the Linux path; None on Windows and macOS (the registry, the managed preference)."""
    override = os.environ.get("COMMUNICATOR_SYSTEM_CONFIG")
    if override:
        return Path(override)
    if sys.platform in {"win32", "darwin"}:
        return None
    return LINUX_SYSTEM_CONFIG


def system_config_location() -> str:
    """Where the system configuration is read from, for messages."""
    path = system_config_path()
    if path is not None:
        return str(path)
    return f"HKLM\\{WINDOWS_REGISTRY_KEY}" if sys.platform == "win32" else str(MACOS_MANAGED_PLIST)


def load_system_config() -> SystemConfig:
    path = system_config_path()
    if path is not None:
        return _from_toml(path)
    if sys.platform == "win32":
        return _from_registry()
    return system_config_from_plist(MACOS_MANAGED_PLIST)


def resolve_server_url(
    command_line: str | None,
    user: UserSettings,
    system: SystemConfig,
) -> tuple[str | None, UrlSource]:
    if system.server_locked:
        for value in (command_line, user.server_url):
            if value and value.strip() and not same_server(value, system.server_url or ""):
                log.warning("ignoring server %s: the system configuration locks it", value.strip())
        return system.server_url, UrlSource.SYSTEM_CONFIG
    for value, source in (
        (command_line, UrlSource.COMMAND_LINE),
        (user.server_url, UrlSource.USER_SETTINGS),
        (system.server_url, UrlSource.SYSTEM_CONFIG),
    ):
        if value and value.strip():
            return value.strip(), source
    return None, UrlSource.ASK


def same_server(first: str, second: str) -> bool:
    """The same server address, give or take case, spaces and a trailing slash."""

    def plain(url: str) -> str:
        return url.strip().rstrip("/").lower()

    return plain(first) == plain(second)


def server_change_refusal(command_line: str | None, system: SystemConfig) -> str | None:
    """Why ``command_line``'s server may not be used (None: it may, or none was given)."""
    if not command_line or not command_line.strip() or not system.server_locked:
        return None
    if same_server(command_line, system.server_url or ""):
        return None
    return (
        f"This computer is set up to use the server {system.server_url} only "
        f"({system.source or 'system configuration'}); --server {command_line.strip()} "
        "is not allowed. Ask your IT department to change the preset."
    )


def _from_toml(path: Path) -> SystemConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SystemConfig()
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        log.warning("ignoring unreadable system configuration %s: %s", path, err)
        return SystemConfig(problem=f"{path} cannot be read: {err}")
    return SystemConfig(
        server_url=_str(data.get("server_url")),
        ca_file=_str(data.get("ca_file")),
        source=str(path),
        allow_server_change=_allowed(data.get("allow_server_change")),
    )


def system_config_from_plist(path: Path) -> SystemConfig:
    try:
        data = plistlib.loads(path.read_bytes())
    except FileNotFoundError:
        return SystemConfig()
    except (OSError, plistlib.InvalidFileException, ValueError) as err:
        log.warning("ignoring unreadable managed preferences %s: %s", path, err)
        return SystemConfig(problem=f"{path} cannot be read: {err}")
    return SystemConfig(
        server_url=_str(data.get("ServerUrl")),
        ca_file=_str(data.get("CaFile")),
        source=str(path),
        allow_server_change=_allowed(data.get("AllowServerChange")),
    )


REGISTRY_VALUE_NAMES = ("ServerUrl", "CaFile", "AllowServerChange")
"""The values under ``HKLM\\Software\\Communicator`` the MSI writes (installers/windows)."""


def system_config_from_registry_values(values: dict[str, object]) -> SystemConfig:
    """The preset from the registry values (name -> data as winreg returns it: a str for
    REG_SZ, an int for REG_DWORD; a missing value absent or None)."""
    return SystemConfig(
        server_url=_str(values.get("ServerUrl")),
        ca_file=_str(values.get("CaFile")),
        source=f"HKLM\\{WINDOWS_REGISTRY_KEY}",
        allow_server_change=_allowed(values.get("AllowServerChange")),
    )


def _from_registry() -> SystemConfig:
    if sys.platform != "win32":
        return SystemConfig()
    import winreg

    values: dict[str, object] = {}
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, WINDOWS_REGISTRY_KEY) as key:
            for name in REGISTRY_VALUE_NAMES:
                try:
                    values[name] = winreg.QueryValueEx(key, name)[0]
                except OSError:
                    values[name] = None
    except OSError:
        return SystemConfig()
    return system_config_from_registry_values(values)


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _allowed(value: object) -> bool:
    """Only an explicit no forbids: ``false``, ``0`` (the MSI writes ``"0"`` as REG_SZ, a
    policy may write a DWORD), ``"no"``/``"off"``. Missing or empty (an MSI property left
    unset) keeps the default: the agent may change the server."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", "off"}
    return True
