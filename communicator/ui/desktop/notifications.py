"""Notifications for incoming and missed calls, through the system's notification service.

They go through the tray icon's balloon (`QSystemTrayIcon.showMessage`, which on Linux desktops
is the freedesktop notification service): a notification never takes the keyboard or raises a
window, so an agent typing a note is not interrupted. Every notification is also announced by
``notified`` (what was said), whether or not a tray shows it.

Where the desktop has no tray (``QSystemTrayIcon.isSystemTrayAvailable()`` is False, or
``tray_usable`` says so), they go to the desktop's notification service over D-Bus instead
(``fallback``: `dbus_notifications.DbusNotifier`), which never takes the focus either.

A missed call stays in the history with its badge (the main window's business); this only
tells the agent it happened while they looked elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallDirection, CallId, RemoteParty
from communicator.core.line_view import LineView
from communicator.ui.desktop.dbus_notifications import DbusNotifier, DesktopNotice
from communicator.ui.desktop.tray import DesktopTray
from communicator.ui.i18n import translate

if TYPE_CHECKING:
    from communicator.ui.session import SessionModel


def _who(remote: RemoteParty) -> str:
    """The caller as a notification names them: name, and number when it differs."""
    who = remote.label
    if remote.number and remote.number != who:
        who = f"{who} ({remote.number})"
    return who


class NotificationKind(Enum):
    INCOMING = "incoming call"
    MISSED = "missed call"


@dataclass(frozen=True)
class Notification:
    kind: NotificationKind
    title: str
    text: str
    call_id: CallId


class CallNotifier(QObject):
    notified = Signal(object)
    """The `Notification` just shown."""

    def __init__(
        self,
        model: SessionModel,
        tray: DesktopTray,
        parent: QObject | None = None,
        *,
        fallback: DbusNotifier | None = None,
        tray_usable: Callable[[], bool] | None = None,
    ):
        super().__init__(parent)
        self._tray = tray
        self._fallback = fallback
        self._tray_usable = tray_usable or tray.available
        model.incoming_call.connect(self._incoming)
        model.call_ended.connect(self._ended)

    def _incoming(self, view: LineView) -> None:
        call = view.call
        if call is None:
            return
        who = _who(call.remote)
        self._show(
            Notification(
                NotificationKind.INCOMING,
                translate("CallNotifier", "Incoming call"),
                translate("CallNotifier", "{caller} on line {line}").format(
                    caller=who, line=view.number
                ),
                call.call_id,
            )
        )

    def _ended(self, record: CallRecord) -> None:
        if not record.missed or record.direction is not CallDirection.INCOMING:
            return
        who = _who(record.remote)
        self._show(
            Notification(
                NotificationKind.MISSED,
                translate("CallNotifier", "Missed call"),
                translate("CallNotifier", "{caller} called; the call is in your history.").format(
                    caller=who
                ),
                record.call_id,
            )
        )

    def _show(self, notification: Notification) -> None:
        if self._fallback is None or self._tray_usable():
            self._tray.show_message(notification.title, notification.text)
        else:
            incoming = notification.kind is NotificationKind.INCOMING
            self._fallback.notify(
                DesktopNotice(
                    notification.title,
                    notification.text,
                    icon="call-start" if incoming else "call-missed",
                    urgent=incoming,
                )
            )
        self.notified.emit(notification)
