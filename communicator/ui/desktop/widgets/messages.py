"""What the model tells the agent (`message_posted`): the latest in a message line that stands
out for warnings and errors, the earlier ones in its tooltip; and the call logs waiting to be
sent, shown only when there are some."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from communicator.core.messages import Message, MessageLevel
from communicator.ui.desktop.icons import icon
from communicator.ui.desktop.widgets.common import ICON_SIZE, describe, keep_place
from communicator.ui.i18n import translate
from communicator.ui.messages_i18n import message_text
from communicator.ui.session import SessionModel

KEEP = 20

_STYLE = {
    MessageLevel.INFO: "",
    MessageLevel.WARNING: "background: #fff4e5; color: #663c00; font-weight: bold;",
    MessageLevel.ERROR: "background: #fdecea; color: #8e0000; font-weight: bold;",
}


class MessageLine(QWidget):
    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recent: deque[tuple[float, Message]] = deque(maxlen=KEEP)
        self.picture = QLabel(self)
        self.picture.setAccessibleName(translate("MessageLine", "Message level"))
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleDescription(translate("MessageLine", "The latest message for you"))
        self.dismiss = QToolButton(self)
        self.dismiss.setText(translate("MessageLine", "OK"))
        describe(
            self.dismiss,
            translate("MessageLine", "Dismiss message"),
            translate("MessageLine", "Hide the latest message"),
        )
        self.dismiss.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.picture)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.dismiss)
        describe(
            self,
            translate("MessageLine", "Messages"),
            translate("MessageLine", "The latest message for you"),
        )
        model.message_posted.connect(self.show_message)
        self._level: MessageLevel | None = None
        # The line keeps its place when hidden, and the level's picture too: a message coming
        # or going moves nothing under the agent's pointer, and the window below it is not laid
        # out and painted again (the whole window: ~15 ms, a profile update's worst stall).
        keep_place(self)
        keep_place(self.picture)
        self.setVisible(False)

    @property
    def latest(self) -> Message | None:
        return self._recent[-1][1] if self._recent else None

    def show_message(self, message: Message) -> None:
        self._recent.append((time.time(), message))
        self.text.setText(message_text(message))
        if message.level is not self._level:  # a style sheet set again polishes every child
            self._level = message.level
            self.setStyleSheet(_STYLE[message.level])
        warning = message.level is not MessageLevel.INFO
        if warning:
            self.picture.setPixmap(icon("warning").pixmap(ICON_SIZE))
        self.picture.setVisible(warning)
        self.picture.setAccessibleName(
            translate("MessageLine", "Warning")
            if warning
            else translate("MessageLine", "Information")
        )
        self.text.setToolTip(
            "\n".join(
                time.strftime("%H:%M:%S ", time.localtime(at)) + message_text(m)
                for at, m in self._recent
            )
        )
        self.setVisible(True)

    def clear(self) -> None:
        self.setVisible(False)


class PendingLogs(QLabel):
    """How many call logs wait to be sent; shown only when not zero."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setAccessibleDescription(
            translate("PendingLogs", "Call logs not yet sent to the server; they are kept here")
        )
        model.pending_logs_changed.connect(lambda _old, _new: self._update())
        model.refused_logs_changed.connect(lambda _old, _new: self._update())
        keep_place(self)  # a log waiting a moment at each call's end moves nothing
        self._update()

    def _update(self) -> None:
        waiting, refused = self._model.state.pending_logs, self._model.state.refused_logs
        parts = []
        if waiting:
            text = (
                translate("PendingLogs", "{count} call log waiting to be sent")
                if waiting == 1
                else translate("PendingLogs", "{count} call logs waiting to be sent")
            )
            parts.append(text.format(count=waiting))
        if refused:
            # Kept on this computer for support (python -m communicator.provisioning.outbox_cli).
            text = (
                translate("PendingLogs", "{count} call log refused by the server, kept for support")
                if refused == 1
                else translate(
                    "PendingLogs", "{count} call logs refused by the server, kept for support"
                )
            )
            parts.append(text.format(count=refused))
        self.setText("; ".join(parts))
        self.setVisible(bool(parts))
