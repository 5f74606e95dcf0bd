"""The agent desktop as a whole (`Desktop`), on the real session model and the rig: which window
shows when (sign-in, main window, incoming-call panel, back to sign-in), what is saved for the
next start, and when it asks to quit. Then the `communicator` command itself, in a separate
process: the console path, and the desktop path showing its sign-in window before pjsua2 and
httpx are loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from communicator.app import display_available, parse_args
from communicator.app.desktop import DesktopApp
from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.settings import UserSettings, load_user_settings, save_user_settings
from communicator.ui.desktop.controller import MAIN_WINDOW, SIGN_IN_WINDOW, Desktop
from tests.rig.deployment import AGENT_PW, Deployment
from tests.ui.desktop.shown import wait_shown
from tests.ui.helpers import Desk, far_end, ring_agent

ROOT = Path(__file__).resolve().parents[3]

QT_NOISE = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.toml"


@pytest.fixture
def desktop(qapp: Any, deployment: Deployment, settings_file: Path) -> Iterator[Desktop]:
    d = Desktop(server_url=deployment.site.url, login="anna", settings_file=settings_file)
    try:
        yield d
    finally:
        d.close()


def signed_in_through_the_window(qtbot: Any, desktop: Desktop, desk: Desk) -> None:
    desktop.attach(desk.model)
    desktop.show()
    window = desktop.sign_in_window
    wait_shown(qtbot, window)
    assert window.first_field() is window.password_field  # server and user name prefilled
    qtbot.keyClicks(window.password_field, AGENT_PW)
    with qtbot.waitSignal(desk.model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    assert desktop.main_window is not None
    wait_shown(qtbot, desktop.main_window)
    qtbot.waitUntil(lambda: desk.model.state.registered, timeout=5000)


@pytest.mark.rig
@QT_NOISE
def test_signing_in_opens_the_main_window_and_saves_the_sign_in(
    deployment: Deployment, desk: Desk, desktop: Desktop, settings_file: Path, qtbot: Any
) -> None:
    desktop.sign_in_window.remember_box.setChecked(True)
    signed_in_through_the_window(qtbot, desktop, desk)
    assert desktop.main_window is not None
    assert desktop.main_window.isVisible()
    assert not desktop.sign_in_window.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is desktop.main_window, timeout=3000)
    signed_in = desk.model.state.signed_in
    assert signed_in is not None
    saved = load_user_settings(settings_file)
    assert (saved.server_url, saved.login, saved.remember_me) == (
        signed_in.session.server_url,
        "anna",
        True,
    )


@pytest.mark.rig
@QT_NOISE
def test_a_sign_in_given_before_the_model_exists_starts_when_it_is_attached(
    deployment: Deployment, desk: Desk, desktop: Desktop, qtbot: Any
) -> None:
    """The application's order: the window shows and the agent presses Enter while the rest
    of the client is still loading."""
    desktop.show()
    window = desktop.sign_in_window
    wait_shown(qtbot, window)
    window.set_password(AGENT_PW)
    window.submit()
    assert window.progress.isVisible()
    with qtbot.waitSignal(desk.model.signed_in_changed, timeout=10000):
        desktop.attach(desk.model)
    assert desktop.main_window is not None
    wait_shown(qtbot, desktop.main_window)
    assert not window.isVisible()  # the agent is not left looking at the sign-in window


@pytest.mark.rig
@QT_NOISE
def test_an_incoming_call_shows_the_panel(
    deployment: Deployment, desk: Desk, desktop: Desktop, peer_factory: Any, qtbot: Any
) -> None:
    signed_in_through_the_window(qtbot, desktop, desk)
    far = far_end(peer_factory, deployment)
    view = ring_agent(qtbot, desk.model, far)
    assert desktop.panel is not None
    wait_shown(qtbot, desktop.panel)
    assert desktop.panel.call_id == view.call_id
    assert "2002" in desktop.panel.caller_label.text() + desktop.panel.number_label.text()
    desk.model.reject(view.call_id)
    qtbot.waitUntil(lambda: desktop.panel is not None and not desktop.panel.isVisible())


@pytest.mark.rig
@QT_NOISE
def test_signing_out_goes_back_to_the_prefilled_sign_in_window(
    deployment: Deployment, desk: Desk, desktop: Desktop, qtbot: Any
) -> None:
    signed_in_through_the_window(qtbot, desktop, desk)
    window = desktop.sign_in_window
    with qtbot.waitSignal(desk.model.signed_out, timeout=15000):
        desk.model.sign_out()
    wait_shown(qtbot, window)
    assert desktop.main_window is not None and not desktop.main_window.isVisible()
    assert (window.server_url, window.login) == (deployment.site.url, "anna")
    assert window.password_field.text() == ""  # not remembered: not left on screen
    assert window.message_label.isVisible()
    assert window.message_label.text() == "You signed out."
    assert window.first_field() is window.password_field


@pytest.mark.rig
@QT_NOISE
def test_a_session_ended_by_the_server_shows_why_on_the_sign_in_window(
    deployment: Deployment, desk: Desk, desktop: Desktop, qtbot: Any
) -> None:
    signed_in_through_the_window(qtbot, desktop, desk)
    signed_in = desk.model.state.signed_in
    assert signed_in is not None
    with (
        qtbot.waitSignal(desk.model.signed_out, timeout=15000) as out,
        ProvisioningClient(deployment.site.url) as client,
    ):
        client.sign_out(signed_in.session)  # elsewhere, as an admin or another computer would
    window = desktop.sign_in_window
    wait_shown(qtbot, window)
    assert desktop.main_window is not None and not desktop.main_window.isVisible()
    assert window.message_label.text() == out.args[0]
    assert "#b00020" in window.message_label.styleSheet()  # shown as a problem


@pytest.mark.rig
@QT_NOISE
def test_closing_the_main_window_asks_to_quit(
    deployment: Deployment, desk: Desk, desktop: Desktop, qtbot: Any
) -> None:
    signed_in_through_the_window(qtbot, desktop, desk)
    assert desktop.main_window is not None
    with qtbot.waitSignal(desktop.quit_requested, timeout=1000) as asked:
        desktop.main_window.close()
    assert asked.args == [MAIN_WINDOW]


@QT_NOISE
def test_closing_the_sign_in_window_asks_to_quit_and_shutting_down_does_not(
    qapp: Any, qtbot: Any
) -> None:
    desktop = Desktop(server_url="https://pbx.example.com", save_settings=False)
    desktop.show()
    wait_shown(qtbot, desktop.sign_in_window)
    assert desktop.sign_in_window.first_field() is desktop.sign_in_window.login_field
    with qtbot.waitSignal(desktop.quit_requested, timeout=1000) as asked:
        desktop.sign_in_window.close()
    assert asked.args == [SIGN_IN_WINDOW]
    desktop.show()
    with qtbot.assertNotEmitted(desktop.quit_requested):
        desktop.close()
    assert not desktop.sign_in_window.isVisible()


# ---------------------------------------------------------------------------- the command


def test_windows_show_where_there_is_a_display() -> None:
    assert display_available({}, "win32")
    assert display_available({}, "darwin")
    assert not display_available({}, "linux")
    assert not display_available({"DISPLAY": ""}, "linux")
    assert display_available({"DISPLAY": ":0"}, "linux")
    assert display_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert display_available({"QT_QPA_PLATFORM": "offscreen"}, "linux")


@QT_NOISE
def test_the_sign_in_window_is_prefilled_from_the_settings_and_the_command_line(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMUNICATOR_CONFIG_DIR", str(tmp_path / "config"))
    save_user_settings(
        UserSettings(server_url="https://saved.example.com", login="anna", remember_me=True)
    )
    monkeypatch.setenv("AGENT_PASSWORD", "from the environment")
    saved = DesktopApp(parse_args(["--password-env", "AGENT_PASSWORD"]), qapp)
    other = ["--server", "https://other.example.com", "--login", "bob"]
    given = DesktopApp(parse_args(other), qapp)
    try:
        window = saved.desktop.sign_in_window
        assert (window.server_url, window.login, window.remember) == (
            "https://saved.example.com",
            "anna",
            True,
        )
        assert window.password_field.text() == "from the environment"
        window = given.desktop.sign_in_window
        assert (window.server_url, window.login) == ("https://other.example.com", "bob")
        assert window.password_field.text() == ""
    finally:
        saved.close()
        given.close()


@QT_NOISE
def test_a_server_locked_by_it_is_kept_and_the_command_line_server_refused_aloud(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    preset = "https://pbx.example.com"
    system_config = tmp_path / "config.toml"
    system_config.write_text(f'server_url = "{preset}"\nallow_server_change = false\n')
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(system_config))
    monkeypatch.setenv("COMMUNICATOR_CONFIG_DIR", str(tmp_path / "config"))
    app = DesktopApp(parse_args(["--server", "https://other.example.com"]), qapp)
    try:
        window = app.desktop.sign_in_window
        assert window.server_url == preset and window.server_locked
        said = capsys.readouterr().err
        assert f"set up to use the server {preset} only" in said
        assert "--server https://other.example.com is not allowed" in said
        assert window.message_label.isVisibleTo(window)
        assert "--server https://other.example.com is not allowed" in window.message_label.text()
    finally:
        app.close()
    same = DesktopApp(parse_args(["--server", preset + "/"]), qapp)  # the preset itself: fine
    try:
        assert capsys.readouterr().err == ""
        assert not same.desktop.sign_in_window.message_label.isVisibleTo(
            same.desktop.sign_in_window
        )
    finally:
        same.close()


def run_app(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    environ |= {
        "COMMUNICATOR_CONFIG_DIR": str(tmp_path / "config"),
        "COMMUNICATOR_DATA_DIR": str(tmp_path / "data"),
        "PYTHONFAULTHANDLER": "1",  # a crash at exit names the threads still running
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "communicator.app", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_console_client_still_starts(tmp_path: Path) -> None:
    done = run_app(tmp_path, "--console", "--help", QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stderr
    assert "usage: communicator" in done.stdout
    assert "--console" in done.stdout


@pytest.mark.slow
def test_the_desktop_shows_its_sign_in_window_before_sip_and_http_load(tmp_path: Path) -> None:
    done = run_app(
        tmp_path,
        "--quit-after-shown",
        "--no-audio",
        "--server",
        "https://pbx.example.com",
        "--login",
        "anna",
        QT_QPA_PLATFORM="offscreen",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    (shown,) = [line for line in lines if line.startswith("shown ")]
    loaded = set(json.loads(shown.removeprefix("shown ")))
    assert "communicator.ui.desktop.sign_in_window" in loaded
    heavy = {
        "pjsua2",
        "httpx",
        "keyring",
        "communicator.sip",
        "communicator.workstation",
        "communicator.provisioning.client",
        "communicator.ui.session",
        # Nor the translated failure texts and the core's call modules behind them (~40 ms):
        # the window needs them only to show a failure.
        "communicator.ui.messages_i18n",
        "communicator.core",
    }
    assert loaded.isdisjoint(heavy), loaded & heavy
    # Then the rest of the client loads behind the window, and it quits in order.
    assert lines.index(shown) < lines.index("ready")
    assert not (tmp_path / "config" / "settings.toml").exists()  # nobody signed in


def test_the_sign_in_window_shows_without_building_qts_namespace(tmp_path: Path) -> None:
    # PySide6 builds a type on its first use; Qt's namespace (~140 enums) takes ~30 ms, a third
    # of a bare PySide6 window's whole start (issue 14's cold-start ratio). The sign-in window
    # uses it only once the agent acts (focus, Enter) or a message shows.
    script = (
        "import sys, PySide6.QtCore as core\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from communicator.app.desktop import Desktop\n"
        "app = QApplication(sys.argv[:1])\n"
        "desktop = Desktop(server_url='https://pbx.example.com', login='anna',"
        " save_settings=False)\n"
        "desktop.show()\n"
        "app.processEvents()\n"
        "assert desktop.sign_in_window.isVisible()\n"
        "print('Qt' in vars(core))\n"
    )
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    environ["COMMUNICATOR_CONFIG_DIR"] = str(tmp_path / "config")
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"], done.stdout + done.stderr
