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
from typing import TYPE_CHECKING

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
    from communicator.core.line_view import LineView


def run_desktop(work: Path, *, ring_every: float = 60.0) -> int:
    from PySide6.QtWidgets import QApplication

    from communicator.ui.desktop.controller import Desktop
    from communicator.ui.dispatch import SignalQuitter

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Communicator")
    app.setQuitOnLastWindowClosed(False)  # the demo quits when the desktop asks to
    with contact_center(work) as center, far_ends(center.kamailio, work) as far:
        say(f"provisioning server at {center.url}; Kamailio on udp/{center.kamailio.udp_port}")
        desk = Desk(work / "client", audio=True)
        model = desk.model
        stopped_by: list[str] = []

        def interrupted(_signum: int) -> None:
            if not stopped_by:
                stopped_by.append("signal")
                say("interrupted: quitting")

        quitter = SignalQuitter(app, on_signal=interrupted)
        desktop = Desktop(
            model,
            server_url=center.url,
            login=AGENT_LOGIN,
            settings_file=work / "client" / "settings.toml",  # not the user's settings
            close_to_tray=False,  # closing the window stops the demo, tray or not
        )

        def quit_requested(window: str) -> None:
            if stopped_by:  # the windows closing as the demo stops: nothing to say
                return
            stopped_by.append(window)
            say(f"window closed ({window}): quitting")
            app.quit()

        def signed_in(_old: object, new: object) -> None:
            if new is None:
                return
            say(
                f"desktop open: signed in as Anna Agent (extension {AGENT_EXTENSION}). "
                f"Dial {CUSTOMER.user} for the customer, {ECHO.user} for the echo test; "
                f"the demo caller ({CALLER.user}) rings every {ring_every:g} s. "
                "Close the window or press Ctrl-C to stop."
            )
            far.ring_agent_every(
                center.agent_uri, interval_s=ring_every, first_in_s=min(15.0, ring_every)
            )

        def ringing(view: LineView) -> None:
            if view.call is not None:
                say(f"ringing: {view.call.remote.label} on line {view.number} (F5 answers)")

        desktop.quit_requested.connect(quit_requested)
        model.signed_in_changed.connect(signed_in)
        model.incoming_call.connect(ringing)
        try:
            desktop.show()
            desktop.sign_in_window.set_password(AGENT_PASSWORD)
            desktop.sign_in_window.submit()
            app.exec()
        finally:
            quitter.close()
            desktop.close()
            app.processEvents()
            with contextlib.suppress(Exception):  # no new ring while the phone shuts down
                far.caller.command("ring_every", enabled=False)
            desk.close()
    say("done: everything stopped in order")
    return 0
