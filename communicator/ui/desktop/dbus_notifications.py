"""Desktop notifications without a tray: the freedesktop notification service on the session
bus (``org.freedesktop.Notifications``, Notify).

Where the desktop has no system tray (``QSystemTrayIcon.isSystemTrayAvailable()`` is False:
GNOME without extensions, many Wayland sessions, tiling window managers), the tray icon's
balloon cannot show; the desktop's notification service (GNOME Shell, KDE Plasma, dunst, mako,
xfce4-notifyd...) still can. Its notifications never take the keyboard focus or raise a window.

The calls go out on a worker thread, in the order given: D-Bus work never runs on the GUI thread
(a slow or hung service cannot freeze the window). They use jeepney, the D-Bus library keyring
brings on Linux, rather than QtDBus: PySide6's QtDBus sends a Python int as an int32 and has no
way to send the uint32 that Notify's ``replaces_id`` is, and the services check the signature
(dunst refuses ``(sisssasa{sv}i)`` for ``(susssasa{sv}i)``).

A notice goes to a running service only (no D-Bus activation): desktops run theirs with the
session, and a service that can only be activated is one the session did not start (dunst with
no display to draw on, in a test's private bus: each notice would start one that dies).
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
APP_NAME = "Communicator"
EXPIRE_MS = 10_000
REPLY_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class DesktopNotice:
    title: str
    text: str
    icon: str = ""
    """A freedesktop icon name (``call-start``) or a file URI; empty: the service's default."""
    urgent: bool = False


def supported() -> bool:
    """Whether this platform has a freedesktop session bus to try (Linux and the BSDs)."""
    if sys.platform.startswith(("win", "darwin")):
        return False
    try:
        import jeepney  # noqa: F401
    except ImportError:
        return False
    return True


class DbusNotifier:
    """Sends `DesktopNotice` s to the notification service of ``bus`` (``"SESSION"``: the
    session bus of ``DBUS_SESSION_BUS_ADDRESS``; or a bus address). The worker thread starts
    with the first notice; `close` stops it."""

    def __init__(self, bus: str = "SESSION") -> None:
        self._bus = bus
        self._queue: queue.Queue[DesktopNotice | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = 0
        """Notices the service accepted (for diagnostics and tests)."""
        self.failed = 0

    def notify(self, notice: DesktopNotice) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="desktop notifications", daemon=True
                )
                self._thread.start()
        self._queue.put(notice)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(REPLY_TIMEOUT_S + 1)

    def _run(self) -> None:
        connection: Any = None
        try:
            while (notice := self._queue.get()) is not None:
                try:
                    if connection is None:
                        connection = self._connect()
                    self._send(connection, notice)
                    self.sent += 1
                except Exception as err:  # no bus, no service, a refusal: say so, go on
                    self.failed += 1
                    log.info("desktop notification not shown: %s", err)
                    if connection is not None:
                        connection.close()
                        connection = None
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> Any:
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus=self._bus)

    def _send(self, connection: Any, notice: DesktopNotice) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.low_level import MessageFlag
        from jeepney.wrappers import unwrap_msg

        address = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
        hints = {"urgency": ("y", 2 if notice.urgent else 1)}
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (APP_NAME, 0, notice.icon, notice.title, notice.text, [], hints, EXPIRE_MS),
        )
        message.header.flags |= MessageFlag.no_auto_start
        unwrap_msg(connection.send_and_get_reply(message, timeout=REPLY_TIMEOUT_S))
