"""The sign-in window in Polish, with the server locked by IT, for the docs.

    .venv/bin/python scripts/screenshot_polish.py [--out docs/screenshots]

Like ``scripts/screenshots.py`` it reruns itself under ``xvfb-run`` without a display and grabs
the X root window. The window is the real one with the Polish translator installed as at start
(language "pl") and a system configuration with ``allow_server_change = false``; the message
under the fields is the one the client shows for the server's "no free number" answer.
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, __file__]
        return subprocess.run([*command, *argv], check=False).returncode
    os.environ.pop("QT_QPA_PLATFORM", None)
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from communicator.provisioning.client import ErrorKind
    from communicator.provisioning.settings import SystemConfig
    from communicator.ui.desktop.sign_in_window import SignInWindow
    from communicator.ui.i18n import install_translators
    from communicator.ui.sign_in import SignInFailure, SignInField

    app = QApplication(sys.argv[:1])
    install_translators("pl", app)
    with tempfile.TemporaryDirectory():
        system = SystemConfig(server_url="https://pbx.example.com", allow_server_change=False)
        window = SignInWindow(server_url="", login="anna", system=system)
        window.move(440, 220)
        window.show()
        window.show_failure(
            SignInFailure(
                "No free number, or the number is invalid",
                SignInField.NONE,
                ErrorKind.NO_FREE_NUMBER,
            )
        )
        end = time.monotonic() + 0.6
        while time.monotonic() < end:  # let the X server map and paint it
            QCoreApplication.processEvents()
        area = window.frameGeometry()
        pixmap = QGuiApplication.primaryScreen().grabWindow(
            0, area.x(), area.y(), area.width(), area.height()
        )
        path = args.out.resolve() / "sign-in-pl.png"
        if not pixmap.save(str(path)):
            raise RuntimeError(f"could not save {path}")
        print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
