"""Run by tests/ui/desktop/test_accessibility.py in a process of its own, under
``QT_QPA_PLATFORM=offscreen`` and a ``QT_SCALE_FACTOR``: builds the main window (with every
optional part shown: the picker, the keypad, the banner, a message), the sign-in window and the
help panel at their minimum size, and prints one JSON line: the device pixel ratio, each
window's minimum size in logical pixels, the widgets left smaller than they need (clipped),
and the icons that render no pixels at that ratio."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget


def clipped(window: QWidget) -> list[str]:
    """Visible buttons and labels too small for their text (and icon), and fields lower than
    a line of text: what a scaled font or a squeezed layout would cut off."""
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, QAbstractButton | QLabel | QLineEdit):
            continue
        metrics = widget.fontMetrics()
        if isinstance(widget, QAbstractButton):
            text = widget.text().replace("&", "")
            need_w = metrics.horizontalAdvance(text) + 8
            if not widget.icon().isNull():
                need_w += widget.iconSize().width() + 4
            need_h = max(metrics.height(), widget.iconSize().height() if text else 0)
        elif isinstance(widget, QLabel):
            text = widget.text()
            if not text or widget.textFormat() is Qt.TextFormat.RichText:
                continue
            if widget.buddy() is not None:
                text = text.replace("&", "")  # the mnemonic's mark is not drawn
            if widget.wordWrap():
                need_w, need_h = 0, widget.heightForWidth(widget.width())
            else:
                need_w, need_h = metrics.horizontalAdvance(text), metrics.height()
        else:
            text, need_w, need_h = widget.accessibleName(), 0, metrics.height()
        if widget.width() < need_w or widget.height() < need_h:
            found.append(f"{type(widget).__name__} {text!r} {widget.size().toTuple()}")
    return found


def at_minimum(app: QApplication, window: QWidget) -> dict[str, Any]:
    window.show()
    app.processEvents()
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    window.resize(hint)
    app.processEvents()
    return {"minimum": list(hint.toTuple()), "clipped": clipped(window)}


def main() -> None:
    app = QApplication(sys.argv[:1])
    from communicator.demo.desk import Desk
    from communicator.ui.desktop.icons import icon, icon_names
    from communicator.ui.desktop.main_window import MainWindow
    from communicator.ui.desktop.shortcuts import HelpPanel
    from communicator.ui.desktop.sign_in_window import SignInWindow
    from communicator.ui.desktop.widgets.common import ICON_SIZE

    with tempfile.TemporaryDirectory() as data:
        desk = Desk(Path(data))
        try:
            window = MainWindow(desk.model)
            window.finish_building()  # every part now, not in the next turns of the loop
            for part in (window.picker, window.actions_panel.keypad, window.banner):
                part.setVisible(True)
            window.picker.ask("Transfer the call on line 1 to:", "Transfer", lambda _d: None)
            window.messages.text.setText(
                "You missed a call and are now Not ready. Choose Ready to take calls again."
            )
            window.messages.setVisible(True)
            dpr = window.devicePixelRatio()
            report = {
                "device_pixel_ratio": dpr,
                "main": at_minimum(app, window),
                "sign_in": at_minimum(app, SignInWindow(server_url="https://pbx.example.com")),
                "help": at_minimum(app, HelpPanel()),
                "blank_icons": [
                    name
                    for name in icon_names()
                    if (pixmap := icon(name).pixmap(ICON_SIZE, dpr)).isNull()
                    or pixmap.toImage().width() < ICON_SIZE.width() * dpr
                ],
                "icons": len(icon_names()),
            }
            window.close()
        finally:
            desk.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
