"""Headset and keyboard call keys, application-wide: answer and hang up without the mouse.

Qt delivers a headset's or a multimedia keyboard's call buttons as ``Key_Call``,
``Key_Hangup``, ``Key_ToggleCallHangup``, and a Bluetooth or USB headset's one button usually
as the media play/pause key. `CallKeyFilter`, installed on the application, sees them in every
Communicator window (where the system delivers them to the focused application: a desktop that
grabs media keys for a music player keeps them) and gives the model the command
`core.call_keys.call_key_action` chooses. A key with nothing to do is left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

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
    """Install with ``QApplication.instance().installEventFilter(filter)``."""

    def __init__(self, model: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model

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
