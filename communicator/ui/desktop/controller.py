"""The agent desktop as one object: which window shows when.

`Desktop` owns the sign-in window, the main window and the incoming-call panel. The sign-in
window shows first (it can show before the session model exists: the application creates the
model afterwards and gives it to `attach`); a successful sign-in hides it and raises the main
window; a sign-out (the agent's or the server's) hides the main window and the panel and shows
the sign-in window again, prefilled, with the reason. Closing the main window, or the sign-in
window, asks to quit (``quit_requested``): the owner of the Qt loop decides how to shut down.

This module imports nothing heavy at load time (no provisioning client, no pjsua2): the main
window and the panel load in `attach`, after the sign-in window has shown.

Desktop integration (also built in `attach`): the tray icon (`tray.DesktopTray`) whose menu can
show the window, change the agent state, sign out and quit; closing the main window hides it in
the tray when "close to tray" is on (by default wherever there is a tray); call notifications
(through the desktop's notification service over D-Bus where there is no tray); the headset's
call keys (`call_keys.CallKeyFilter`, in every window of ours); the text cursor's blinking stopped
after 10 s without input (`cursor_blink.CursorBlinkTimeout`); call links
(`call_links.CallLinks`) from the command line or a second launch (`handle_arguments`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from communicator.provisioning.settings import SystemConfig
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.i18n import translate

if TYPE_CHECKING:
    from communicator.ui.desktop.call_keys import CallKeyFilter
    from communicator.ui.desktop.call_links import CallLinks
    from communicator.ui.desktop.cursor_blink import CursorBlinkTimeout
    from communicator.ui.desktop.dbus_notifications import DbusNotifier
    from communicator.ui.desktop.incoming_panel import IncomingCallPanel
    from communicator.ui.desktop.main_window import MainWindow
    from communicator.ui.desktop.notifications import CallNotifier
    from communicator.ui.desktop.tray import DesktopTray
    from communicator.ui.session import SessionModel
    from communicator.workstation import SignedIn

log = logging.getLogger(__name__)

SIGN_IN_WINDOW = "sign-in window"
MAIN_WINDOW = "main window"
TRAY = "tray"
LINK_SCHEMES = ("sip:", "sips:", "tel:", "callto:")


class Desktop(QObject):
    """The agent's windows on one session model.

    ``settings_file`` is where the last sign-in (server, user name, "remember me") is saved
    after each successful sign-in; None (the default) is the user's settings file, and
    ``save_settings=False`` saves nothing (tests that must not touch the user's files).

    ``close_to_tray``: closing the main window hides it in the tray (None: where there is a
    tray); ``start_minimised``: the first window shows minimised (the main window stays in the
    tray where there is one); ``links_dial``: a call link dials at once instead of filling the
    number field. ``tray_available`` overrides what Qt says about the system tray (tests)."""

    quit_requested = Signal(str)
    """The agent closed one of the windows, or chose Quit in the tray (the argument is
    its object name, or ``"tray"``)."""

    def __init__(
        self,
        model: SessionModel | None = None,
        *,
        server_url: str = "",
        login: str = "",
        remember: bool = False,
        settings_file: Path | None = None,
        save_settings: bool = True,
        close_to_tray: bool | None = None,
        start_minimised: bool = False,
        links_dial: bool = False,
        tray_available: bool | None = None,
        system: SystemConfig | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model: SessionModel | None = None
        self.main_window: MainWindow | None = None
        self.panel: IncomingCallPanel | None = None
        self.tray: DesktopTray | None = None
        self.notifier: CallNotifier | None = None
        self.desktop_notifications: DbusNotifier | None = None
        """Notifications where no tray shows them (the freedesktop service, over D-Bus)."""
        self.call_keys: CallKeyFilter | None = None
        self.cursor_blink: CursorBlinkTimeout | None = None
        self.links: CallLinks | None = None
        self._close_to_tray = close_to_tray
        self._tray_available = tray_available
        self._start_minimised = start_minimised
        self._links_dial = links_dial
        self._waiting_links: list[str] = []
        self._told_still_running = False
        self._settings_file = settings_file
        self._save_settings = save_settings
        self._closing = False
        self._agent_signing_out = False
        self.sign_in_window = SignInWindow(
            server_url=server_url, login=login, remember=remember, system=system
        )
        self.sign_in_window.setObjectName(SIGN_IN_WINDOW)
        self.sign_in_window.closed.connect(self._sign_in_closed)
        if model is not None:
            self.attach(model)

    # ------------------------------------------------------------------ setting up

    def show(self) -> None:
        """Show the window that fits the model's state (the sign-in window before a model)."""
        if self.model is not None and self.model.state.signed_in is not None:
            self._show_main()
        else:
            self._show_sign_in()

    @property
    def tray_usable(self) -> bool:
        """Whether there is a tray to hide in (the icon exists and the desktop shows it)."""
        if self.tray is None:
            return False
        return self._tray_available if self._tray_available is not None else self.tray.available()

    def set_close_to_tray(self, on: bool | None) -> None:
        """The setting changed (Settings dialog): the next close follows it."""
        self._close_to_tray = on

    @property
    def closes_to_tray(self) -> bool:
        wanted = self._close_to_tray if self._close_to_tray is not None else True
        return wanted and self.tray_usable

    def open_link(self, text: str) -> None:
        """Dial a call link, or fill the number field with it (the ``links_dial`` setting)."""
        if self.links is None:
            self._waiting_links.append(text)  # the model is still loading
        else:
            self.links.open(text)

    def handle_arguments(self, arguments: list[str]) -> None:
        """What a second launch handed over: the window comes up and its links open."""
        log.info("a second launch handed over %d argument(s)", len(arguments))
        if not self._closing:
            self.show()
        for argument in arguments:
            if argument.lower().startswith(LINK_SCHEMES):
                self.open_link(argument)

    def attach(self, model: SessionModel) -> None:
        """Bind to ``model``: the main window and the panel are created here (their imports are
        the heavy part), and the sign-in window starts a sign-in the agent asked for meanwhile."""
        from communicator.ui.desktop.call_keys import CallKeyFilter
        from communicator.ui.desktop.call_links import CallLinks
        from communicator.ui.desktop.cursor_blink import CursorBlinkTimeout
        from communicator.ui.desktop.dbus_notifications import DbusNotifier
        from communicator.ui.desktop.dbus_notifications import supported as dbus_supported
        from communicator.ui.desktop.incoming_panel import IncomingCallPanel
        from communicator.ui.desktop.main_window import MainWindow
        from communicator.ui.desktop.notifications import CallNotifier
        from communicator.ui.desktop.tray import DesktopTray

        if self.model is not None:
            raise RuntimeError("the desktop already has a session model")
        self.model = model
        self.main_window = MainWindow(model)
        self.main_window.setObjectName(MAIN_WINDOW)
        self.main_window.installEventFilter(self)
        self.panel = IncomingCallPanel(model)
        model.incoming_call.connect(self.panel.show_call)
        model.signed_in_changed.connect(self._signed_in_changed)
        model.signing_out_changed.connect(self._signing_out_changed)
        model.signed_out.connect(self._signed_out)
        self.sign_in_window.attach(model)
        self.tray = DesktopTray(self)
        self.tray.attach(model)
        self.tray.show_requested.connect(self.show)
        self.tray.quit_requested.connect(lambda: self.quit_requested.emit(TRAY))
        if self._tray_available is not False:
            self.tray.show()
        self.desktop_notifications = DbusNotifier() if dbus_supported() else None
        self.notifier = CallNotifier(model, self.tray, self, fallback=self.desktop_notifications)
        self.call_keys = CallKeyFilter(model, self)
        self.call_keys.watch(self.main_window)
        self.call_keys.watch(self.panel)
        app = QCoreApplication.instance()
        if isinstance(app, QApplication):
            self.cursor_blink = CursorBlinkTimeout(app, parent=self)
        self.links = CallLinks(dial=self._links_dial, parent=self)
        self.links.attach(model, self.main_window)
        waiting, self._waiting_links = self._waiting_links, []
        for text in waiting:
            self.links.open(text)
        if model.state.signed_in is not None:
            self._show_main()

    # ------------------------------------------------------------------ what the model says

    def _signed_in_changed(self, _old: SignedIn | None, new: SignedIn | None) -> None:
        if new is None or self._closing:
            return
        # The model finishes starting the session in this turn of the event loop (the phone's
        # account, the agent state); the window shows in a later one, so that neither holds
        # the GUI thread for long (issue 14: 16 ms). A 1 ms timer, not 0: Qt runs a 0 ms
        # single shot with the posted events, in the same turn.
        QTimer.singleShot(1, self, self._signed_in_shown)

    def _signed_in_shown(self) -> None:
        """Whoever is signed in now gets the main window. Not only the sign-in that scheduled
        this: the model signals a change by equality, so a `SignedIn` replaced by an equal one
        meanwhile (the same profile delivered again) schedules no other turn, and the agent
        would be left looking at the sign-in window."""
        signed_in = None if self.model is None else self.model.state.signed_in
        if self._closing or signed_in is None:
            return  # signed out meanwhile: the sign-in window is the right one
        self._show_main()
        self._remember_sign_in(signed_in)

    def _signing_out_changed(self, _old: object, signing_out: object) -> None:
        if signing_out:
            self._agent_signing_out = True  # the agent's sign-out, not the server's

    def _signed_out(self, why: str) -> None:
        by_agent, self._agent_signing_out = self._agent_signing_out, False
        if self._closing:
            return
        if self.panel is not None:
            self.panel.dismiss()
        if self.main_window is not None:
            self.main_window.hide()
        window = self.sign_in_window
        if not window.remember:
            window.set_password("")  # not kept on screen for the next person at this desk
        window.show_message(why, problem=not by_agent)
        self._show_sign_in()

    def _remember_sign_in(self, signed_in: SignedIn) -> None:
        """The settings the next start prefills the sign-in window with (as the console does);
        the server and user name the server accepted, and the "remember me" the agent chose."""
        if not self._save_settings:
            return
        from communicator.provisioning.settings import load_user_settings, save_user_settings

        session = signed_in.session
        try:
            settings = load_user_settings(self._settings_file)
            save_user_settings(
                settings.with_changes(
                    server_url=session.server_url,
                    login=session.login,
                    remember_me=self.sign_in_window.remember,
                ),
                self._settings_file,
            )
        except OSError as err:  # a read-only profile dir is no reason to stop the agent
            log.warning("could not save the settings: %s", err)

    # ------------------------------------------------------------------ windows

    def _show_sign_in(self) -> None:
        window = self.sign_in_window
        if self._start_minimised:
            window.showMinimized()  # the agent brings it up when ready to sign in
            return
        window.show()
        window.raise_()
        window.activateWindow()
        window.first_field().setFocus()

    def _show_main(self) -> None:
        window = self.main_window
        if window is None:
            return
        self.sign_in_window.hide()
        if self._start_minimised:
            self._start_minimised = False  # once, at start: later sign-ins show the window
            if not self.tray_usable:
                window.showMinimized()
            return
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def _sign_in_closed(self) -> None:
        if not self._closing:
            self.quit_requested.emit(SIGN_IN_WINDOW)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            not self._closing
            and watched is self.main_window
            and event.type() == QEvent.Type.Close
            and event.isAccepted()
        ):
            if self.closes_to_tray:
                event.ignore()
                self.main_window.hide()
                self._tell_still_running()
                return True
            self.quit_requested.emit(MAIN_WINDOW)
        return False

    def _tell_still_running(self) -> None:
        if self._told_still_running or self.tray is None:
            return
        self._told_still_running = True
        self.tray.show_message(
            translate("Desktop", "Communicator is still running"),
            translate(
                "Desktop",
                "Calls still ring here. Open it from this icon; choose Quit in its menu to stop.",
            ),
        )

    def close(self) -> None:
        """Close every window without asking to quit (the application is shutting down)."""
        self._closing = True
        if self.call_keys is not None:
            self.call_keys.close()
        if self.cursor_blink is not None:
            self.cursor_blink.close()
        if self.desktop_notifications is not None:
            self.desktop_notifications.close()
        if self.tray is not None:
            self.tray.hide()
        for widget in (self.panel, self.main_window, self.sign_in_window):
            if widget is not None:
                widget.close()
