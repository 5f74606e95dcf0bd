"""The text cursor stops blinking a while after the agent's last input, as GTK's does
(``gtk-cursor-blink-timeout``, 10 s by default); the next key press, click or focus change
starts it again.

A blinking cursor repaints the focused field - the number field, where the main window puts
the focus - twice a second for as long as the window is active: on an idle signed-in desktop
that was the largest wake-up left (issue 14's idle CPU, 0.1 % of a core). Qt's blinking is one
application-wide setting (`QApplication.cursorFlashTime`, which the desktop sets); this sets it
to 0 (a steady cursor) on the timeout, and back to the desktop's value on input. While the
cursor blinks, it does not watch the input: an agent typing for longer than the timeout gets a
steady cursor until the next key, which starts the blinking again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

BLINK_TIMEOUT_S = 10.0

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.FocusIn,
        QEvent.Type.InputMethod,
        QEvent.Type.WindowActivate,
    }
)


class CursorBlinkTimeout(QObject):
    """Watches the application's input; `close` gives the desktop's blinking back."""

    def __init__(
        self,
        app: QApplication,
        timeout_s: float = BLINK_TIMEOUT_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._flash_ms = app.cursorFlashTime()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(round(timeout_s * 1000))
        self._timer.timeout.connect(self._stop_blinking)
        self._timer.start()
        self._watching = False

    @property
    def blinking(self) -> bool:
        return self._app.cursorFlashTime() != 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in _INPUT:
            self._watch(False)
            if self._flash_ms:
                self._app.setCursorFlashTime(self._flash_ms)
            self._timer.start()
        return False

    def _watch(self, on: bool) -> None:
        """Look at the application's events only while the cursor is steady (an application-wide
        filter runs Python for every event: ~5 us each, thousands while a window opens)."""
        if on != self._watching:
            self._watching = on
            if on:
                self._app.installEventFilter(self)
            else:
                self._app.removeEventFilter(self)

    def _stop_blinking(self) -> None:
        if self._flash_ms:
            self._app.setCursorFlashTime(0)
            self._watch(True)

    def close(self) -> None:
        self._timer.stop()
        self._watch(False)
        if self._flash_ms:
            self._app.setCursorFlashTime(self._flash_ms)
