"""``make demo`` with a display: the agent desktop, signed in as the demo agent, on the demo's
contact center, with the echo extension and the demo caller ringing every minute.

The sign-in window shows prefilled and signs in by itself; the main window and the
incoming-call panel follow. Closing the main window (or the sign-in window before signing in),
Ctrl-C or SIGTERM quits: the session closes, the phone unregisters, the far ends, Kamailio and
the server stop, in that order.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from communicator.demo.contact_center import (
    AGENT_EXTENSION,
    AGENT_LOGIN,
    AGENT_PASSWORD,
    contact_center,
)
from communicator.demo.desk import Desk
from communicator.demo.far_ends import CALLER, CUSTOMER, ECHO, far_ends
from communicator.demo.scenario import say

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication


def _quit_on_close(app: QApplication, *windows: QObject) -> Any:
    """An event filter: the agent closing one of ``windows`` quits the demo."""
    from PySide6.QtCore import QEvent, QObject

    class Closer(QObject):
        active = True
        """False while the demo closes the windows itself."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if self.active and event.type() == QEvent.Type.Close and watched in windows:
                say(f"window closed ({watched.objectName() or type(watched).__name__}): quitting")
                app.quit()
            return False

    closer = Closer(app)
    for window in windows:
        window.installEventFilter(closer)
    return closer


def run_desktop(work: Path, *, ring_every: float = 60.0) -> int:
    from PySide6.QtWidgets import QApplication

    from communicator.ui.desktop.incoming_panel import IncomingCallPanel
    from communicator.ui.desktop.main_window import MainWindow
    from communicator.ui.desktop.sign_in_window import SignInWindow
    from communicator.ui.dispatch import SignalQuitter

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Communicator")
    app.setQuitOnLastWindowClosed(False)  # the demo quits through _quit_on_close only
    with contact_center(work) as center, far_ends(center.kamailio, work) as far:
        say(f"provisioning server at {center.url}; Kamailio on udp/{center.kamailio.udp_port}")
        desk = Desk(work / "client", audio=True)
        model = desk.model
        quitter = SignalQuitter(app)
        sign_in = SignInWindow(model, server_url=center.url, login=AGENT_LOGIN)
        sign_in.setObjectName("sign-in window")
        window = MainWindow(model)
        window.setObjectName("main window")
        panel = IncomingCallPanel(model)
        closer = _quit_on_close(app, sign_in, window)
        model.incoming_call.connect(panel.show_call)

        def signed_in(_old: object, new: object) -> None:
            if new is None:
                return
            sign_in.hide()
            window.show()
            window.raise_()
            window.activateWindow()
            say(
                f"desktop open: signed in as Anna Agent (extension {AGENT_EXTENSION}). "
                f"Dial {CUSTOMER.user} for the customer, {ECHO.user} for the echo test; "
                f"the demo caller ({CALLER.user}) rings every {ring_every:g} s. "
                "Close the window or press Ctrl-C to stop."
            )
            far.ring_agent_every(center.agent_uri, interval_s=ring_every, first_in_s=15)

        def signed_out(_why: str) -> None:
            window.hide()
            panel.hide()
            sign_in.show()

        model.signed_in_changed.connect(signed_in)
        model.signed_out.connect(signed_out)
        try:
            sign_in.show()
            sign_in.set_password(AGENT_PASSWORD)
            sign_in.submit()
            app.exec()
        finally:
            quitter.close()
            closer.active = False
            for widget in (panel, window, sign_in):
                widget.close()
            app.processEvents()
            with contextlib.suppress(Exception):  # no new ring while the phone shuts down
                far.caller.command("ring_every", enabled=False)
            desk.close()
    say("done: everything stopped in order")
    return 0
