"""The tray icon: the agent's state at a glance, and a menu for the day's few clicks.

Its colour and tooltip come from `tray_state.tray_status` of the session model's state, redone
on every change of the fields it reads: never "online" while the phone is not registered. Its
menu: the agent state (Ready, each Not ready reason), Show Communicator, Sign out, Quit. A click
on the icon shows the window. Before the session model exists (the sign-in window is up) it
says "signed out" and offers Show and Quit.

Where the desktop has no system tray (`available` is False) the icon is kept but never shown:
its state still follows the model, and closing the window quits instead of hiding it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from communicator.core.agent_state import AgentState
from communicator.ui.desktop.icons import icon
from communicator.ui.i18n import translate
from communicator.ui.tray_state import TrayKind, TrayStatus, tray_status

if TYPE_CHECKING:
    from communicator.ui.session import SessionModel

DEFAULT_REASON = "not-ready"
"""The reason code given when the profile defines none (as the main window's switch does)."""

_WATCHED = (
    "signed_in_changed",
    "signing_in_changed",
    "signing_out_changed",
    "registration_changed",
    "static_ip_changed",
    "lines_changed",
    "agent_changed",
    "not_ready_reasons_changed",
)


class DesktopTray(QObject):
    show_requested = Signal()
    """The agent wants the window (a click on the icon, or Show Communicator)."""
    quit_requested = Signal()
    status_changed = Signal(object)
    """The new `TrayStatus`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: SessionModel | None = None
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.setObjectName("tray menu")
        self.state_menu = self.menu.addMenu(translate("DesktopTray", "Your state"))
        self.ready_action = self.state_menu.addAction(
            icon("ready"), translate("AgentState", "Ready")
        )
        self.ready_action.setCheckable(True)
        self.ready_action.triggered.connect(self._ready)
        self.state_menu.addSeparator()
        self._state_group = QActionGroup(self)
        self._state_group.addAction(self.ready_action)
        self.reason_actions: dict[str, QAction] = {}
        self.menu.addSeparator()
        self.show_action = self.menu.addAction(
            icon("call"), translate("DesktopTray", "Show Communicator")
        )
        self.show_action.triggered.connect(self.show_requested.emit)
        self.sign_out_action = self.menu.addAction(translate("DesktopTray", "Sign out"))
        self.sign_out_action.triggered.connect(self._sign_out)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction(translate("DesktopTray", "Quit Communicator"))
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.status = TrayStatus(TrayKind.SIGNED_OUT, "")
        self._fill_reasons()
        self._update()

    @staticmethod
    def available() -> bool:
        """Whether the desktop shows tray icons (not under the offscreen platform, nor on some
        Wayland desktops without the StatusNotifier extension)."""
        return QSystemTrayIcon.isSystemTrayAvailable()

    def attach(self, model: SessionModel) -> None:
        self.model = model
        for name in _WATCHED:
            getattr(model, name).connect(self._changed)
        model.not_ready_reasons_changed.connect(lambda _old, _new: self._fill_reasons())
        self._fill_reasons()
        self._update()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def show_message(self, title: str, text: str) -> None:
        """A notification from the tray icon (it never takes the keyboard from anyone)."""
        if self.icon.isVisible():
            self.icon.showMessage(title, text, icon(self.status.kind.icon_name), 10000)

    # ------------------------------------------------------------------ menu

    def _ready(self) -> None:
        if self.model is not None:
            self.model.set_ready()

    def _not_ready(self, code: str) -> None:
        if self.model is not None:
            self.model.set_not_ready(code)

    def _sign_out(self) -> None:
        if self.model is not None:
            self.model.sign_out()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def _fill_reasons(self) -> None:
        for action in self.reason_actions.values():
            self._state_group.removeAction(action)
            self.state_menu.removeAction(action)
        self.reason_actions.clear()
        reasons = self.model.state.not_ready_reasons if self.model is not None else ()
        not_ready = translate("AgentState", "Not ready")
        entries = [(r.code, f"{not_ready}: {r.label}") for r in reasons] or [
            (DEFAULT_REASON, not_ready)
        ]
        for code, label in entries:
            action = self.state_menu.addAction(icon("not-ready"), label)
            action.setCheckable(True)
            action.setData(code)
            action.triggered.connect(lambda _=False, c=code: self._not_ready(c))
            self._state_group.addAction(action)
            self.reason_actions[code] = action
        self._update_menu()

    # ------------------------------------------------------------------ state

    def _changed(self, _old: object, _new: object) -> None:
        self._update()

    def _update(self) -> None:
        if self.model is None:
            status = TrayStatus(
                TrayKind.SIGNED_OUT, "Communicator: " + translate("TrayState", "signed out")
            )
        else:
            status = tray_status(self.model.state)
        self._update_menu()
        if status == self.status:
            return
        self.status = status
        self.icon.setIcon(self._icon_for(status.kind))
        self.icon.setToolTip(status.tooltip)
        self.status_changed.emit(status)

    def _update_menu(self) -> None:
        state = self.model.state if self.model is not None else None
        signed_in = state is not None and state.signed_in is not None and not state.signing_out
        self.state_menu.setEnabled(signed_in)
        self.sign_out_action.setEnabled(signed_in)
        agent = state.agent if state is not None else None
        self.ready_action.setChecked(agent is not None and agent.state is AgentState.READY)
        for code, action in self.reason_actions.items():
            action.setChecked(
                agent is not None
                and agent.state is AgentState.NOT_READY
                and (agent.reason or DEFAULT_REASON) == code
            )

    @staticmethod
    def _icon_for(kind: TrayKind) -> QIcon:
        return icon(kind.icon_name)
