"""Screenshots of the agent desktop for README.md, taken from a real X server (Xvfb).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--language pl]

Without a display it runs itself again under ``xvfb-run`` (1280x800, 24-bit). It starts the
demo's contact center (provisioning server, Kamailio, far ends: ``communicator.demo``), shows
the real windows bound to the real session model, drives them through the flows, and grabs the
X root window (not a widget rendering) for each picture:

sign-in.png, main-two-lines.png (one call on hold), incoming-call.png (the panel over another
window the agent is typing in), wrap-up.png (agent state with its countdown), history.png
(answered, rejected and missed calls).

``--language pl`` installs the Polish translator as the language setting does at start and
names the pictures ``main-two-lines-pl.png`` and so on (the Polish sign-in window, with IT's
locked server, comes from ``scripts/screenshot_polish.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN = "1280x800x24"


def rerun_under_xvfb(argv: list[str]) -> int:
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, __file__, *argv]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--language", choices=("en", "pl"), default="en")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        return rerun_under_xvfb(argv)
    os.environ.pop("QT_QPA_PLATFORM", None)  # a real X server, not offscreen
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from communicator.ui.i18n import install_translators

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Communicator")
    if install_translators(args.language, app) != args.language:
        raise RuntimeError(f"no {args.language} translation: build it first (make venv)")
    suffix = "" if args.language == "en" else f"-{args.language}"
    with tempfile.TemporaryDirectory(prefix="communicator-shots-") as tmp:
        take_all(Path(tmp), args.out.resolve(), suffix)
    return 0


def take_all(work: Path, out: Path, suffix: str = "") -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QPlainTextEdit, QWidget

    from communicator.core.agent_state import AgentState
    from communicator.core.calls import CallState
    from communicator.demo.contact_center import AGENT_LOGIN, AGENT_PASSWORD, contact_center
    from communicator.demo.desk import Desk
    from communicator.demo.far_ends import CUSTOMER, ECHO, far_ends
    from communicator.demo.scenario import say, wait_until
    from communicator.ui.desktop.incoming_panel import IncomingCallPanel
    from communicator.ui.desktop.main_window import MainWindow
    from communicator.ui.desktop.sign_in_window import SignInWindow

    out.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 400) -> None:
        """Let the windows map and paint (the X server draws asynchronously)."""
        end = time.monotonic() + ms / 1000
        wait_until(lambda: time.monotonic() >= end, ms / 1000 + 1, "painting")

    def grab(name: str, *widgets: QWidget, margin: int = 0) -> None:
        if suffix and name == "sign-in.png":
            return  # scripts/screenshot_polish.py takes that one
        name = name.replace(".png", f"{suffix}.png")
        settle()
        screen = QGuiApplication.primaryScreen()
        area = QRect()
        for widget in widgets:
            area = area.united(widget.frameGeometry())
        area = area.adjusted(-margin, -margin, margin, margin).intersected(screen.geometry())
        pixmap = screen.grabWindow(0, area.x(), area.y(), area.width(), area.height())
        path = out / name
        if not pixmap.save(str(path)):
            raise RuntimeError(f"could not save {path}")
        say(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    with contact_center(work, wrap_up_s=45) as center, far_ends(center.kamailio, work) as far:
        desk = Desk(work / "client")
        model = desk.model
        try:
            sign_in = SignInWindow(model, server_url=center.url, login=AGENT_LOGIN)
            sign_in.move(440, 220)
            sign_in.show()
            sign_in.set_password(AGENT_PASSWORD)
            grab("sign-in.png", sign_in)

            sign_in.submit()
            wait_until(lambda: model.state.registered, 20, "signing in and registering")
            sign_in.hide()
            window = MainWindow(model)
            window.move(30, 30)
            panel = IncomingCallPanel(model)
            model.incoming_call.connect(panel.show_call)
            window.show()
            window.activateWindow()

            def state_of(number: int) -> CallState | None:
                view = model.line(number)
                return None if view.call is None else view.call.state

            def talking(number: int) -> bool:
                return state_of(number) is CallState.CONNECTED

            model.place_call(CUSTOMER.user)
            wait_until(lambda: talking(1), 10, "the customer's answer")
            call = model.line(1).call_id
            assert call is not None
            model.hold(call)
            wait_until(lambda: state_of(1) is CallState.HELD, 10, "hold")
            model.place_call(ECHO.user)
            wait_until(lambda: talking(2), 10, "the echo extension's answer")
            settle(2500)  # the call timers tick
            grab("main-two-lines.png", window)

            for view in model.state.lines:
                if view.call_id is not None:
                    model.hangup(view.call_id)
            wait_until(lambda: all(v.call is None for v in model.state.lines), 10, "hang-ups")
            wait_until(lambda: model.state.agent.state is AgentState.WRAP_UP, 5, "wrap-up")
            model.set_ready()
            wait_until(lambda: model.state.agent.state is AgentState.READY, 5, "ready")

            crm = QPlainTextEdit()
            crm.setWindowTitle("Customer notes - CRM")
            crm.setPlainText(
                "Ticket 4711 - Carol Customer\n\nCalled about her invoice of March.\n"
                "Promised a call back today with the corrected amount.\n\nNext steps: "
            )
            crm.setGeometry(560, 330, 700, 440)
            crm.show()
            crm.activateWindow()
            crm.setFocus()
            far.ring_agent_every(center.agent_uri, first_in_s=0, give_up_s=40)
            wait_until(panel.isVisible, 15, "the incoming-call panel")
            grab("incoming-call.png", window, crm, panel)

            panel.answer()
            wait_until(lambda: talking(1), 10, "answering the demo caller")
            crm.hide()
            settle(800)
            model.hangup(model.line(1).call_id)  # type: ignore[arg-type]
            wait_until(lambda: model.state.agent.state is AgentState.WRAP_UP, 10, "wrap-up")
            window.activateWindow()
            settle(2200)  # the countdown has ticked
            grab("wrap-up.png", window)

            model.set_ready()
            wait_until(lambda: model.state.agent.state is AgentState.READY, 5, "ready")
            far.ring_agent_every(center.agent_uri, first_in_s=0, give_up_s=40, interval_s=600)
            wait_until(panel.isVisible, 15, "a call to decline")
            panel.decline()
            wait_until(lambda: all(v.call is None for v in model.state.lines), 10, "declining")
            far.ring_agent_every(center.agent_uri, first_in_s=0, give_up_s=2, interval_s=600)
            wait_until(lambda: bool(far.caller.events("gave_up")), 15, "a missed call")
            wait_until(lambda: all(v.call is None for v in model.state.lines), 10, "the hang-up")
            far.caller.command("ring_every", enabled=False)
            window.show_tab(0)
            window.history.search.clear()
            grab("history.png", window)
            window.close()
            panel.close()
        finally:
            desk.close()


if __name__ == "__main__":
    raise SystemExit(main())
