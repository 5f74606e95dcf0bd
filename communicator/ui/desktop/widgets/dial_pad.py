"""The number field with its dial pad (typing works, Enter dials, a pasted number is tidied), and
the DTMF keypad that sends tones on the selected call.

What the agent typed goes through `clean_dial_text` (spaces, dashes, dots, brackets, ``tel:``,
the ``(0)`` of ``+44 (0)20``) and then to `SessionModel.place_call`, whose dial plan applies the
profile's ``+`` and country-code rules."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from communicator.core.dialing import clean_dial_text
from communicator.core.lines import Operation
from communicator.ui.desktop.shortcuts import Action, with_key
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.session import SessionModel

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
_LETTERS = {
    "2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL",
    "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ",
}  # fmt: skip
_SPOKEN = {
    "*": QT_TRANSLATE_NOOP("DialPad", "star"),
    "#": QT_TRANSLATE_NOOP("DialPad", "hash"),
    "+": QT_TRANSLATE_NOOP("DialPad", "plus"),
}
"""In English; shown through ``translate("DialPad", ...)``."""


class DialPad(QWidget):
    """Twelve keys (and ``+`` when asked); ``pressed(key)`` for each."""

    pressed = Signal(str)

    def __init__(self, purpose: str, *, with_plus: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(4)
        keys = KEYS + (("+",) if with_plus else ())
        for index, key in enumerate(keys):
            button = QPushButton(key, self)
            spoken = translate("DialPad", _SPOKEN[key]) if key in _SPOKEN else key
            letters = _LETTERS.get(key, "")
            describe(button, spoken, f"{purpose}: {spoken}" + (f" ({letters})" if letters else ""))
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setMinimumWidth(36)
            button.clicked.connect(lambda _=False, k=key: self.pressed.emit(k))
            grid.addWidget(button, index // 3, index % 3)
            self.buttons[key] = button
        describe(
            self,
            purpose,
            translate("DialPad", "{purpose}: the keys 0 to 9, star and hash").format(
                purpose=purpose
            ),
        )


class NumberField(QLineEdit):
    """A line edit that tidies what is pasted into it (Ctrl+V or Shift+Insert)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_text(QGuiApplication.clipboard().text())
            return
        super().keyPressEvent(event)

    def paste_text(self, text: str) -> None:
        """Insert ``text`` tidied: a whole pasted number replaces an empty or selected field."""
        cleaned = clean_dial_text(text)
        self.insert(cleaned)


class DialPanel(QWidget):
    """The number field and the Call button, with the dial pad under them."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        label = QLabel(translate("DialPanel", "&Number:"), self)
        self.number = NumberField(self)
        describe(
            self.number,
            translate("DialPanel", "Number to call"),
            with_key(
                translate(
                    "DialPanel", "Type or paste a number, extension or SIP address; Enter calls"
                ),
                Action.FOCUS_NUMBER,
            ),
        )
        self.number.setPlaceholderText(translate("DialPanel", "Number, extension or name"))
        label.setBuddy(self.number)
        self.call_button = action_button(
            translate("DialPanel", "Call"),
            translate("DialPanel", "Call the number in the field"),
            "call",
            parent=self,
        )
        self.pad = DialPad(translate("DialPanel", "Dial pad"), with_plus=True, parent=self)
        self.number.returnPressed.connect(self.dial)
        self.call_button.clicked.connect(self.dial)
        self.pad.pressed.connect(self._pad_key)
        model.can_place_call_changed.connect(lambda _old, _new: self._update())
        row = QHBoxLayout()
        row.addWidget(self.number, 1)
        row.addWidget(self.call_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.pad)
        layout.addStretch(1)
        describe(
            self,
            translate("DialPanel", "Dialling"),
            translate("DialPanel", "The number field, the Call button and the dial pad"),
        )
        self._update()

    def focus_number(self) -> None:
        self.number.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.number.selectAll()

    def dial(self) -> None:
        """Place a call to what is in the field; the field empties once the call is placed."""
        text = clean_dial_text(self.number.text())
        if text != self.number.text():
            self.number.setText(text)
        if self._model.place_call(text) is not None:
            self.number.clear()

    def _pad_key(self, key: str) -> None:
        self.number.insert(key)
        self.number.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update(self) -> None:
        can = self._model.state.can_place_call
        self.call_button.setEnabled(can)
        tip = (
            translate("DialPanel", "Call the number in the field")
            if can
            else translate("DialPanel", "No free line, or the phone is off")
        )
        describe(self.call_button, translate("DialPanel", "Call"), tip)


class DtmfKeypad(QWidget):
    """Tones on the selected call: the keypad's keys, or typed digits while it has focus."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._line = 0
        self._digits = ""
        self.pad = DialPad(translate("DtmfKeypad", "Keypad"), parent=self)
        self.sent = QLabel(self)
        self.sent.setAccessibleDescription(translate("DtmfKeypad", "The tones sent on this call"))
        self.pad.pressed.connect(self.send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pad)
        layout.addWidget(self.sent)
        describe(
            self,
            translate("DtmfKeypad", "Keypad"),
            translate("DtmfKeypad", "Send tones on the selected call, for menus and PINs"),
        )
        self.setVisible(False)

    def follow_line(self, number: int) -> None:
        if number != self._line:
            self._line = number
            self._digits = ""
            self.sent.setText("")

    def send(self, digits: str) -> None:
        lines = self._model.state.lines
        if not 1 <= self._line <= len(lines):
            return
        view = lines[self._line - 1]
        if view.call_id is None or not view.can(Operation.DTMF):
            return
        self._model.send_dtmf(view.call_id, digits)
        self._digits += digits
        self.sent.setText(translate("DtmfKeypad", "Sent: {digits}").format(digits=self._digits))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        text = event.text()
        if text and text in KEYS:
            self.send(text)
            return
        super().keyPressEvent(event)
