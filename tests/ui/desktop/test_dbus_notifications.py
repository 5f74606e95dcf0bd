"""Call notifications where the desktop has no tray go to the desktop's notification service
over D-Bus: tested against a real one, dunst, on a private session bus and its own Xvfb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.dbus_notifications import DbusNotifier, DesktopNotice
from tests.rig.deployment import Deployment
from tests.ui.desktop.shown import wait_shown
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in

NEEDED = ("dbus-daemon", "Xvfb", "dunst", "dunstctl")


class NotificationDaemon:
    """dunst on a private session bus, drawing on a private X server."""

    def __init__(self, bus: str, display: str) -> None:
        self.bus = bus
        self.env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus, "DISPLAY": display}

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            ["dunstctl", *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip()

    def ready(self) -> bool:
        return self.ctl("is-paused") in {"true", "false"}

    def displayed(self) -> int:
        count = self.ctl("count", "displayed")
        return int(count) if count.isdigit() else -1

    def history(self) -> list[dict[str, str]]:
        """The closed notifications, newest first (summary, body, appname, timeout...)."""
        entries = json.loads(self.ctl("history") or '{"data": [[]]}')["data"][0]
        return [{k: str(v["data"]) for k, v in e.items()} for e in entries]


@pytest.fixture
def daemon(qtbot: Any) -> Iterator[NotificationDaemon]:
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (scripts/system-deps.sh)")
    started: list[subprocess.Popen[Any]] = []
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append(xvfb)
        assert xvfb.stdout is not None
        display = f":{xvfb.stdout.readline().strip()}"
        found = NotificationDaemon(address, display)
        started.append(
            subprocess.Popen(
                ["dunst"],
                env=found.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        qtbot.waitUntil(found.ready, timeout=10000)
        yield found
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(10)


def test_a_notice_reaches_the_desktops_notification_service(
    daemon: NotificationDaemon, qtbot: Any
) -> None:
    notifier = DbusNotifier(bus=daemon.bus)
    try:
        notifier.notify(DesktopNotice("Incoming call", "Alice (2002) on line 1", urgent=True))
        notifier.notify(DesktopNotice("Missed call", "Bob (2003) called; it is in your history."))
        qtbot.waitUntil(lambda: notifier.sent == 2, timeout=5000)
        assert notifier.failed == 0
        qtbot.waitUntil(lambda: daemon.displayed() == 2, timeout=5000)
    finally:
        notifier.close()
    daemon.ctl("close-all")
    qtbot.waitUntil(lambda: len(daemon.history()) == 2, timeout=5000)
    shown = {(e["summary"], e["body"], e["appname"], e["timeout"]) for e in daemon.history()}
    assert shown == {  # the timeout in microseconds: the 10 s asked for
        ("Incoming call", "Alice (2002) on line 1", "Communicator", "10000000"),
        ("Missed call", "Bob (2003) called; it is in your history.", "Communicator", "10000000"),
    }


@pytest.mark.skipif(
    os.environ.get("COMMUNICATOR_SECRET_SERVICE") != "1",
    reason="runs on the tests' session bus (scripts/with-secret-service.sh)",
)
def test_the_tests_session_bus_starts_no_notification_service() -> None:
    """Without a display an activated dunst dies at once, printing into the test log each time
    a client (Chromium, for one) asks for it; the keyring's services stay activatable."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SESSION") as bus:
        (activatable,) = bus.send_and_get_reply(message_bus.ListActivatableNames()).body
    assert "org.freedesktop.Notifications" not in activatable
    assert "org.freedesktop.secrets" in activatable


def test_without_a_notification_service_a_notice_fails_quietly(qtbot: Any, tmp_path: Any) -> None:
    notifier = DbusNotifier(bus=f"unix:path={tmp_path / 'no-bus'}")
    try:
        notifier.notify(DesktopNotice("Incoming call", "Alice on line 1"))
        qtbot.waitUntil(lambda: notifier.failed == 1, timeout=5000)
        assert notifier.sent == 0
    finally:
        notifier.close()


@pytest.mark.rig
@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)
def test_without_a_tray_an_incoming_call_is_notified_by_the_service_without_taking_focus(
    daemon: NotificationDaemon,
    deployment: Deployment,
    desk: Desk,
    peer_factory: Any,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", daemon.bus)  # the desktop's session bus
    desktop = Desktop(
        server_url=deployment.site.url, login="anna", save_settings=False, tray_available=False
    )
    desktop.attach(desk.model)
    try:
        sign_in(desk.model, deployment, qtbot)
        desktop.show()
        assert desktop.main_window is not None
        wait_shown(qtbot, desktop.main_window)
        focused = QApplication.focusWidget()
        ring_agent(qtbot, desk.model, far_end(peer_factory, deployment))
        qtbot.waitUntil(lambda: daemon.displayed() == 1, timeout=5000)
        assert QApplication.focusWidget() is focused  # nothing took the keyboard
    finally:
        desktop.close()
    daemon.ctl("close-all")
    qtbot.waitUntil(lambda: len(daemon.history()) == 1, timeout=5000)
    (shown,) = daemon.history()
    assert shown["summary"] == "Incoming call" and shown["appname"] == "Communicator"
    assert "2002" in shown["body"] and "line 1" in shown["body"]
