"""Desktop settings the admin fixes for the agent's group (issue 16, "Settings"), on the real
session model, provisioning server and the rig's Kamailio: as the profile arrives they are
applied over the agent's own, the Settings dialog shows them disabled, "Set by your
administrator", and a change the admin pushes later applies at once (no restart) in both;
the agent's settings file keeps the agent's own values throughout. Through the `Desktop`,
closing to the tray and what links do follow a push and come back to the agent's choice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings
from communicator.ui.desktop import autostart
from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.settings_actions import SettingsActions
from communicator.ui.desktop.settings_dialog import SettingsDialog
from tests.rig.deployment import Deployment
from tests.ui.helpers import Desk, sign_in

pytestmark = [pytest.mark.rig, pytest.mark.qt_log_ignore("This plugin does not support")]

LOCAL = UserSettings(
    login="anna",
    language="pl",
    close_to_tray=True,
    links_dial=False,
    sip_trace=False,
)


def _fix(deployment: Deployment, desktop: dict[str, Any]) -> None:
    api = deployment.site.api
    api.ok(
        deployment.site.http.patch(
            f"/api/v1/admin/groups/{deployment.group['id']}",
            json={"desktop": desktop},
            headers=api.h,
        )
    )


def test_fixed_settings_apply_show_disabled_and_follow_a_push(
    deployment: Deployment,
    desk: Desk,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # start at login's entry
    settings_file = tmp_path / "settings.toml"
    save_user_settings(LOCAL, settings_file)
    saved = settings_file.read_bytes()
    _fix(deployment, {"sip_trace": True, "links": "dial", "start_at_login": True})
    model = desk.model
    traces: list[bool] = []
    actions = SettingsActions(settings_file=settings_file, set_sip_trace=traces.append, model=model)

    sign_in(model, deployment, qtbot)
    assert traces == [True]  # the profile's SIP trace, over the agent's "off"
    assert autostart.is_enabled()  # the profile's start at login, over the agent's "off"
    dialog = SettingsDialog(model, load_user_settings(settings_file))
    qtbot.addWidget(dialog)
    dialog.applied.connect(actions.apply)
    notes = dialog.admin_notes
    assert not dialog.sip_trace.isEnabled() and dialog.sip_trace.isChecked()
    assert not dialog.links.isEnabled() and dialog.links.currentIndex() == 1  # dial at once
    assert dialog.sip_trace.toolTip() == "Set by your administrator"
    assert not notes["sip_trace"].isHidden() and not notes["links_dial"].isHidden()
    assert not dialog.start_at_login.isEnabled() and dialog.start_at_login.isChecked()
    assert dialog.close_to_tray.isEnabled() and dialog.close_to_tray.isChecked()
    assert notes["close_to_tray"].isHidden() and not notes["start_at_login"].isHidden()

    dialog.start_minimised.setChecked(True)  # the agent's own change is saved...
    dialog.apply()
    after = load_user_settings(settings_file)
    assert (after.start_minimised, after.language) == (True, "pl")
    assert (after.sip_trace, after.links_dial, after.start_at_login) == (False, False, False)
    assert traces[-1] is True  # ...and what the admin fixed still applies
    saved = settings_file.read_bytes()

    # The admin gives SIP trace back to the agent and fixes close to tray: at once, in the
    # open dialog and in what is applied.
    _fix(deployment, {"sip_trace": None, "close_to_tray": False, "start_at_login": None})
    qtbot.waitUntil(dialog.sip_trace.isEnabled, timeout=10000)
    assert traces[-1] is False  # the agent's own choices again
    assert not autostart.is_enabled()
    assert not dialog.sip_trace.isChecked() and notes["sip_trace"].isHidden()
    assert not dialog.close_to_tray.isEnabled() and not dialog.close_to_tray.isChecked()
    assert not notes["close_to_tray"].isHidden()
    assert not dialog.links.isEnabled()  # still fixed (left out of the change)
    assert actions.pushed is not None and actions.pushed.close_to_tray is False
    assert settings_file.read_bytes() == saved  # a push never writes the agent's file
    assert dialog.choices().close_to_tray is True  # the agent's own value, kept


def test_the_desktop_closes_to_tray_and_opens_links_as_the_profile_fixes(
    deployment: Deployment, desk: Desk, tmp_path: Path, qtbot: Any, qapp: Any
) -> None:
    settings_file = tmp_path / "settings.toml"
    save_user_settings(LOCAL, settings_file)
    saved = settings_file.read_bytes()
    desktop = Desktop(
        server_url=deployment.site.url,
        login="anna",
        save_settings=False,
        close_to_tray=LOCAL.close_to_tray,
        links_dial=LOCAL.links_dial,
        tray_available=True,
    )
    try:
        desktop.attach(desk.model)
        SettingsActions(desktop, settings_file=settings_file, parent=desktop)  # as the app does
        links = desktop.links
        assert links is not None
        assert desktop.closes_to_tray and not links.dial_at_once  # the agent's own
        sign_in(desk.model, deployment, qtbot)
        assert desktop.closes_to_tray and not links.dial_at_once  # nothing fixed yet

        _fix(deployment, {"close_to_tray": False, "links": "dial"})
        qtbot.waitUntil(lambda: links.dial_at_once, timeout=10000)
        assert not desktop.closes_to_tray

        _fix(deployment, {"close_to_tray": None, "links": None})
        qtbot.waitUntil(lambda: not links.dial_at_once, timeout=10000)
        assert desktop.closes_to_tray  # the agent's choices again
        assert settings_file.read_bytes() == saved
    finally:
        desktop.close()
