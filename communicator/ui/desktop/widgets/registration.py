"""The phone's registration as the agent sees it: a one-line status with the current
registration (contact address and port, transport, expiry, server; seed 002) on hover and in a
details pane, and the red banner "SIP phone has lost connection with the system" while the
connection is lost (cleared the moment it is back)."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from communicator.core.registration import (
    LOST_CONNECTION_MESSAGE,
    RegistrationState,
    RegistrationStatus,
)
from communicator.ui.desktop.icons import icon
from communicator.ui.desktop.widgets.common import ICON_SIZE, describe
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.messages_i18n import registration_problem_text
from communicator.ui.session import SessionModel
from communicator.ui.session_state import SessionState

_STATE_WORDS = {
    RegistrationState.SIGNED_OUT: QT_TRANSLATE_NOOP("RegistrationBar", "Phone off"),
    RegistrationState.REGISTERING: QT_TRANSLATE_NOOP("RegistrationBar", "Connecting the phone…"),
    RegistrationState.REGISTERED: QT_TRANSLATE_NOOP("RegistrationBar", "Phone connected"),
    RegistrationState.REFRESHING: QT_TRANSLATE_NOOP("RegistrationBar", "Phone connected"),
    RegistrationState.RETRYING: QT_TRANSLATE_NOOP(
        "RegistrationBar", "Phone not connected, trying again"
    ),
    RegistrationState.FAILED: QT_TRANSLATE_NOOP("RegistrationBar", "Phone not connected"),
    RegistrationState.UNREGISTERING: QT_TRANSLATE_NOOP(
        "RegistrationBar", "Disconnecting the phone…"
    ),
}
"""In English; shown through ``translate("RegistrationBar", ...)``."""
_TRYING_AGAIN = frozenset(
    {
        RegistrationState.REGISTERING,
        RegistrationState.REGISTERED,
        RegistrationState.REFRESHING,
        RegistrationState.RETRYING,
    }
)


def lost_connection_text(message: str | None = None) -> str:
    """The banner's message in the installed language (core's English text when it is another
    than the lost-connection one)."""
    if message is None or message == LOST_CONNECTION_MESSAGE:
        return translate("LostConnectionBanner", "SIP phone has lost connection with the system")
    return message


def desk_phone(state: SessionState) -> str | None:
    """Hot desk: the desk phone the calls ring on this session (the softphone registers none)."""
    return state.signed_in.profile.call_center.desk_phone if state.signed_in else None


def status_words(state: SessionState) -> str:
    if (desk := desk_phone(state)) is not None:
        return translate("RegistrationBar", "Calls ring on {desk}").format(desk=desk)
    if state.static_ip:
        return translate("RegistrationBar", "Desk phone (static IP)")
    registration = state.registration
    if registration.lost_connection and registration.state in _TRYING_AGAIN:
        # the banner says the connection is lost: never "connecting" or "connected" beside it
        return translate("RegistrationBar", _STATE_WORDS[RegistrationState.RETRYING])
    return translate("RegistrationBar", _STATE_WORDS[registration.state])


def registration_details(
    status: RegistrationStatus, *, monotonic_now: float, wall_now: float
) -> str:
    """The "Current Registration" lines (contact, transport, expiry, server), or why none.

    The registration's times are on the SIP engine's clock, `time.monotonic` (never set back or
    forward with the wall clock): ``monotonic_now`` is that clock now, ``wall_now`` the wall
    clock (`time.time`) at the same moment, which gives the expiry's time of day.
    """
    current = status.current
    lines: list[str] = []
    if current is None:
        lines.append(translate("RegistrationBar", "No current registration."))
    else:
        seconds_left = max(0.0, current.expires_at - monotonic_now)
        at = time.strftime("%H:%M:%S", time.localtime(wall_now + seconds_left))
        left = translate("RegistrationBar", ", {seconds} s left").format(seconds=int(seconds_left))
        lines += [
            translate("RegistrationBar", "Contact: {host}:{port}").format(
                host=current.contact_host, port=current.contact_port
            ),
            translate("RegistrationBar", "Transport: {transport}").format(
                transport=current.transport.upper()
            ),
            translate("RegistrationBar", "Expires: every {seconds} s (next at {at}{left})").format(
                seconds=int(current.expiry), at=at, left=left
            ),
            translate("RegistrationBar", "Server: {server}").format(server=current.server_host),
        ]
    if detail := registration_problem_text(status):
        lines.append(translate("RegistrationBar", "Last problem: {detail}").format(detail=detail))
    return "\n".join(lines)


def _until_back() -> str:
    return translate("LostConnectionBanner", "Calls cannot reach you until it is back")


class LostConnectionBanner(QFrame):
    """Shown only while the registration says the connection is lost."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lostConnectionBanner")
        self.setStyleSheet(
            "#lostConnectionBanner { background: #fdecea; border: 1px solid #c62828; }"
            "#lostConnectionBanner QLabel { color: #8e0000; font-weight: bold; }"
        )
        picture = QLabel(self)
        picture.setPixmap(icon("warning").pixmap(ICON_SIZE))
        describe(
            picture,
            translate("LostConnectionBanner", "Warning"),
            translate("LostConnectionBanner", "The phone cannot reach the system"),
        )
        message = lost_connection_text()
        self.text = QLabel(message, self)
        self.text.setWordWrap(True)
        describe(self.text, message, _until_back())
        layout = QHBoxLayout(self)
        layout.addWidget(picture)
        layout.addWidget(self.text, 1)
        describe(self, translate("LostConnectionBanner", "Connection warning"), message)
        self._model = model
        model.registration_changed.connect(lambda _old, _new: self._update())
        model.static_ip_changed.connect(lambda _old, _new: self._update())
        self._update()

    def _update(self) -> None:
        status = self._model.state.registration
        lost = status.lost_connection and not self._model.state.static_ip
        if lost:
            message = lost_connection_text(status.message)
            self.text.setText(message)
            detail = registration_problem_text(status) or _until_back()
            self.text.setToolTip(detail)
            describe(self.text, message, detail)
        self.setVisible(lost)


class RegistrationBar(QWidget):
    """The phone's status in one line, with the details on hover and on request.

    The details' "s left" counts down while the pane is open and shown (a timer each second
    then, none otherwise), and is read afresh when the tooltip is about to show."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.light = QLabel(self)
        describe(
            self.light,
            translate("RegistrationBar", "Phone status light"),
            translate("RegistrationBar", "Green when the phone is connected"),
        )
        self.status = QLabel(self)
        self.details_button = QToolButton(self)
        self.details_button.setText(translate("RegistrationBar", "Details"))
        self.details_button.setCheckable(True)
        describe(
            self.details_button,
            translate("RegistrationBar", "Registration details"),
            translate(
                "RegistrationBar",
                "Show or hide the current registration: address, transport, expiry, server",
            ),
        )
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setVisible(False)
        self.details_button.toggled.connect(self._show_details)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._refresh_details)
        self.status.installEventFilter(self)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.light)
        top.addWidget(self.status, 1)
        top.addWidget(self.details_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.details)
        model.registration_changed.connect(lambda _old, _new: self._update())
        model.static_ip_changed.connect(lambda _old, _new: self._update())
        model.signed_in_changed.connect(lambda _old, _new: self._update())  # hot-desk phone
        self._update()

    def _show_details(self, shown: bool) -> None:
        self._update()
        self.details.setVisible(shown)
        self._follow_countdown()

    def _follow_countdown(self) -> None:
        if self.details_button.isChecked() and self.isVisible():
            self._countdown.start()
        else:
            self._countdown.stop()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._refresh_details()
        self._follow_countdown()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self._countdown.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.status and event.type() == QEvent.Type.ToolTip:
            self._refresh_details()  # the tooltip Qt is about to show: the time left now
        return super().eventFilter(watched, event)

    def _refresh_details(self) -> None:
        details = registration_details(
            self._model.state.registration, monotonic_now=time.monotonic(), wall_now=time.time()
        )
        self.status.setToolTip(details)
        self.details.setText(details)
        describe(self.status, self.status.text(), details)
        describe(self.details, translate("RegistrationBar", "Current registration"), details)

    def _update(self) -> None:
        state = self._model.state
        words = status_words(state)
        current = state.registration.current
        summary = words
        if current is not None and not state.static_ip:
            summary += (
                f" ({current.transport.upper()} {current.contact_host}:{current.contact_port}"
                f" → {current.server_host})"
            )
        self.status.setText(summary)
        self._refresh_details()
        connected = desk_phone(state) is not None or (
            state.registered and (state.static_ip or not state.registration.lost_connection)
        )
        self.light.setPixmap(icon("registered" if connected else "unregistered").pixmap(ICON_SIZE))
        describe(
            self.light,
            translate("RegistrationBar", "Phone status light"),
            translate("RegistrationBar", "Connected")
            if connected
            else translate("RegistrationBar", "Not connected"),
        )
