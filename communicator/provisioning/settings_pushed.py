"""The settings in force: what the admin fixed in the profile's desktop section over the
agent's own settings (issue 16, "Settings": the profile wins only where it says so).

Pure functions of values: the agent's settings file is never rewritten with what the admin
fixed, so the agent's own choice comes back as soon as the profile leaves the field to the
agent again. Devices and language are not in the profile: they are always the agent's.
"""

from __future__ import annotations

from communicator.provisioning.schema import DesktopSettings
from communicator.provisioning.settings import UserSettings

__all__ = ["SETTING_OF", "effective_settings", "fixed_settings"]

SETTING_OF = {
    "close_to_tray": "close_to_tray",
    "start_at_login": "start_at_login",
    "links": "links_dial",
    "sip_trace": "sip_trace",
}
"""The profile's desktop field -> the `UserSettings` field it fixes."""


def fixed_settings(desktop: DesktopSettings | None) -> dict[str, bool]:
    """The `UserSettings` fields the admin fixed and their values (``links`` as
    ``links_dial``: ``dial`` is True); empty when the profile fixes nothing (or is None)."""
    if desktop is None:
        return {}
    return {
        SETTING_OF[name]: (value == "dial" if name == "links" else bool(value))
        for name, value in desktop.fixed.items()
    }


def effective_settings(local: UserSettings, desktop: DesktopSettings | None) -> UserSettings:
    """``local`` with the fields the admin fixed replaced by the profile's values (a copy:
    ``local`` is not changed; ``local`` itself when nothing is fixed)."""
    fixed = fixed_settings(desktop)
    return local.with_changes(**fixed) if fixed else local
