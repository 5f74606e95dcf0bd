"""What happens to the Settings dialog's choices outside the sound: saved in the agent's
settings file, start at login written or removed, and applied live where the running app can:
close to tray, what links do, SIP trace logging. Start minimised and the language take effect
at the next start. Also the versions the About box shows.

What the admin fixed in the profile's desktop section (issue 16) wins over the agent's choice
where it says so (`settings_pushed.effective_settings`): applied as the profile arrives or is
pushed, without a restart, and never written to the settings file, so the agent's own choice
is back when the admin leaves the field to the agent again. Signing out keeps what the last
profile fixed (start at login stays as the admin wanted it) until the next profile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import QObject, qVersion

import communicator
from communicator.provisioning.schema import DesktopSettings
from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings
from communicator.provisioning.settings_pushed import effective_settings, fixed_settings
from communicator.ui.desktop import autostart
from communicator.ui.i18n import translate

if TYPE_CHECKING:
    from communicator.ui.desktop.controller import Desktop
    from communicator.ui.session import SessionModel
    from communicator.workstation import SignedIn

log = logging.getLogger(__name__)

DIALOG_FIELDS = (
    "microphone",
    "speaker",
    "ringer",
    "device_preferences",
    "ring_on_speaker_too",
    "ring_volume",
    "call_volume",
    "close_to_tray",
    "start_minimised",
    "start_at_login",
    "links_dial",
    "sip_trace",
    "language",
)


def versions(pjsip: str | None) -> dict[str, str]:
    """Communicator, Qt, PySide6 and pjsip (as the engine reports it)."""
    try:
        own = metadata.version("communicator")
    except metadata.PackageNotFoundError:
        own = communicator.__version__
    return {
        "Communicator": own,
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "pjsip": pjsip or translate("SettingsActions", "not loaded"),
    }


class SettingsActions(QObject):
    """Saves and applies what the dialog emits (``SettingsDialog.applied``), and applies what
    the profile fixes (``model``'s, else the desktop's session model)."""

    def __init__(
        self,
        desktop: Desktop | None = None,
        *,
        settings_file: Path | None = None,
        set_sip_trace: Callable[[bool], None] | None = None,
        model: SessionModel | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._desktop = desktop
        self._settings_file = settings_file
        self._set_sip_trace = set_sip_trace
        self.errors: list[str] = []
        self.pushed: DesktopSettings | None = None
        """The desktop section of the last profile (None: none yet)."""
        if model is None and desktop is not None:
            model = desktop.model
        if model is not None:
            model.signed_in_changed.connect(self._signed_in_changed)
            self._signed_in_changed(None, model.state.signed_in)

    def _signed_in_changed(self, _old: SignedIn | None, new: SignedIn | None) -> None:
        if new is None:
            return  # signed out: what the last profile fixed stays until the next one
        before, self.pushed = fixed_settings(self.pushed), new.profile.desktop
        if fixed_settings(self.pushed) != before:
            self._apply_in_force(load_user_settings(self._settings_file))

    def apply(self, chosen: UserSettings) -> UserSettings:
        """Merge the dialog's fields into the file as it is now (a sign-in may have saved the
        server and login meanwhile), save, and apply."""
        current = load_user_settings(self._settings_file)
        merged = current.with_changes(**{k: getattr(chosen, k) for k in DIALOG_FIELDS})
        try:
            save_user_settings(merged, self._settings_file)
        except OSError as err:
            log.warning("could not save the settings: %s", err)
            self.errors.append(
                translate("SettingsActions", "The settings could not be saved: {error}").format(
                    error=err
                )
            )
        self._apply_in_force(merged)
        return merged

    def _apply_in_force(self, local: UserSettings) -> None:
        """Apply the agent's settings with what the profile fixed over them."""
        in_force = effective_settings(local, self.pushed)
        if in_force.start_at_login != autostart.is_enabled():
            try:
                autostart.set_enabled(in_force.start_at_login)
            except OSError as err:
                log.warning("could not change start at login: %s", err)
                self.errors.append(
                    translate(
                        "SettingsActions", "Start at login could not be changed: {error}"
                    ).format(error=err)
                )
        if self._set_sip_trace is not None:
            self._set_sip_trace(in_force.sip_trace)
        desktop = self._desktop
        if desktop is not None:
            desktop.set_close_to_tray(in_force.close_to_tray)
            if desktop.links is not None:
                desktop.links.dial_at_once = in_force.links_dial
