"""Headset and keyboard call keys, application-wide: answer and hang up without the mouse.

Qt delivers a headset's or a multimedia keyboard's call buttons as ``Key_Call``,
``Key_Hangup``, ``Key_ToggleCallHangup``, and a Bluetooth or USB headset's one button usually
as the media play/pause key. `CallKeyFilter` sees them in every Communicator window (where the
system delivers them to the focused application: a desktop that grabs media keys for a music
player keeps them) and gives the model the command `core.call_keys.call_key_action` chooses. A
key with nothing to do is left alone.

It watches top-level windows, not the application: a key no widget takes (none takes these)
travels up to its window, so that is where the filter sees it. An application-wide filter would
run Python for every event of every widget, thousands while the main window paints (perf, 3 Dec:
12 % of the GUI thread's CPU during a call). The main window and the incoming-call panel are
always watched (`watch`); any other window of ours (a dialog, the transfer picker) while it is
the active one, and an open popup (a menu, a list dropping down).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication, QWidget

from communicator.core.call_keys import CallKey, call_key_action
from communicator.core.operations import Operation

if TYPE_CHECKING:
    from communicator.ui.session import SessionModel

CALL_KEYS: dict[Qt.Key, CallKey] = {
    Qt.Key.Key_Call: CallKey.CALL,
    Qt.Key.Key_Hangup: CallKey.HANG_UP,
    Qt.Key.Key_ToggleCallHangup: CallKey.TOGGLE,
    Qt.Key.Key_MediaTogglePlayPause: CallKey.TOGGLE,
    Qt.Key.Key_MediaPlay: CallKey.TOGGLE,
    Qt.Key.Key_MediaPause: CallKey.HANG_UP,
}


class CallKeyFilter(QObject):
    """Watches the windows given to `watch`, and whichever window of ours is active."""

    def __init__(self, model: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._watched: list[QWidget] = []
        self._active: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusWindowChanged.connect(self._follow)
            self._follow(app.focusWindow())  # a window of ours may be active already

    def watch(self, window: QWidget) -> None:
        """See the call keys pressed anywhere in ``window`` (for as long as it lives)."""
        self._watched.append(window)
        window.installEventFilter(self)

    def close(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusWindowChanged.disconnect(self._follow)
        self._follow(None)
        for window in self._watched:
            _remove_filter(window, self)
        self._watched.clear()

    def _follow(self, _window: QWindow | None) -> None:
        """The active window, when it is not one we always watch, is watched while active; an
        open popup (a menu, a list dropping down) gets the keys before any window, and its own
        keys stop at it."""
        active = (
            (QApplication.activePopupWidget() or QApplication.activeWindow())
            if _window is not None
            else None
        )
        if active is self._active:
            return
        if self._active is not None:
            _remove_filter(self._active, self)
        self._active = None
        if active is not None and not any(active is w for w in self._watched):
            self._active = active
            active.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = CALL_KEYS.get(Qt.Key(event.key()))
        if key is None or event.isAutoRepeat():
            return False
        return self.press(key)

    def press(self, key: CallKey) -> bool:
        """Do what ``key`` does now; False when it had nothing to do."""
        action = call_key_action(key, self._model.state.lines)
        if action is None:
            return False
        if action.operation is Operation.ANSWER:
            self._model.answer(action.call_id)
        elif action.operation is Operation.REJECT:
            self._model.reject(action.call_id)
        else:
            self._model.hangup(action.call_id)
        return True


def _remove_filter(widget: QWidget, event_filter: QObject) -> None:
    with contextlib.suppress(RuntimeError):  # the window is gone, and its filters with it
        widget.removeEventFilter(event_filter)
