"""Waiting for a window that the code under test shows (the desktop, a tray action, a second
launch): ``qtbot.waitExposed`` is a context manager, and called plainly it waits for nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget


def wait_shown(qtbot: Any, widget: QWidget, timeout: int = 5000) -> None:
    """Wait until ``widget`` shows and its window is exposed (the desktop may show it in a
    later turn of the event loop than the call that asked for it)."""
    qtbot.waitUntil(widget.isVisible, timeout=timeout)
    with qtbot.waitExposed(widget, timeout=timeout):
        pass  # returns at once if it already is
