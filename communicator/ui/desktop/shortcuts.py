"""The agent's keyboard shortcuts, in one table, and the help panel (F1) that lists them.

Every window takes its keys from `SHORTCUTS` (the incoming-call panel its answer and decline
keys, the main window the rest), so a key is defined once and the help panel is always right.
F-keys are what agents ask for: one key, no chord, reachable with a headset on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate


class Action(Enum):
    HELP = "help"
    FOCUS_NUMBER = "focus number"
    READY = "ready"
    NOT_READY = "not ready"
    EXTEND_WRAP_UP = "extend wrap-up"
    ANSWER = "answer"
    DECLINE = "decline"
    HANG_UP = "hang up"
    HOLD = "hold"
    SWAP = "swap"
    MUTE = "mute"
    KEYPAD = "keypad"
    TRANSFER = "transfer"
    CONSULT = "consult"
    CONFERENCE = "conference"
    HISTORY = "history"
    DIRECTORY = "directory"


@dataclass(frozen=True)
class Shortcut:
    action: Action
    keys: str
    """A `QKeySequence` string in portable form (``"F5"``, ``"Shift+F6"``)."""
    label: str
    """What it does, in the agent's words (the help panel's text), in English: `translated`
    gives it in the windows' language."""

    @property
    def translated(self) -> str:
        return translate("Shortcuts", self.label)

    @property
    def sequence(self) -> QKeySequence:
        return QKeySequence(self.keys)

    def shown(self) -> str:
        """The keys as this system writes them (``Ctrl`` on Linux and Windows, ``⌘`` on macOS)."""
        return self.sequence.toString(QKeySequence.SequenceFormat.NativeText)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(Action.HELP, "F1", QT_TRANSLATE_NOOP("Shortcuts", "Show this list of keys")),
    Shortcut(Action.FOCUS_NUMBER, "F2", QT_TRANSLATE_NOOP("Shortcuts", "Go to the number field")),
    Shortcut(Action.READY, "F3", QT_TRANSLATE_NOOP("Shortcuts", "Ready: take calls")),
    Shortcut(Action.NOT_READY, "F4", QT_TRANSLATE_NOOP("Shortcuts", "Not ready: choose a reason")),
    Shortcut(Action.EXTEND_WRAP_UP, "Shift+F3", QT_TRANSLATE_NOOP("Shortcuts", "Extend wrap-up")),
    Shortcut(Action.ANSWER, "F5", QT_TRANSLATE_NOOP("Shortcuts", "Answer the ringing call")),
    Shortcut(
        Action.DECLINE, "Shift+F5", QT_TRANSLATE_NOOP("Shortcuts", "Decline the ringing call")
    ),
    Shortcut(Action.HANG_UP, "F6", QT_TRANSLATE_NOOP("Shortcuts", "Hang up the selected call")),
    Shortcut(Action.HOLD, "F7", QT_TRANSLATE_NOOP("Shortcuts", "Hold or resume the selected call")),
    Shortcut(
        Action.SWAP,
        "Shift+F7",
        QT_TRANSLATE_NOOP("Shortcuts", "Swap between the active and the held call"),
    ),
    Shortcut(Action.MUTE, "F8", QT_TRANSLATE_NOOP("Shortcuts", "Mute or unmute the microphone")),
    Shortcut(
        Action.KEYPAD, "Ctrl+K", QT_TRANSLATE_NOOP("Shortcuts", "Show the keypad to send tones")
    ),
    Shortcut(Action.TRANSFER, "F9", QT_TRANSLATE_NOOP("Shortcuts", "Transfer the selected call")),
    Shortcut(
        Action.CONSULT,
        "Shift+F9",
        QT_TRANSLATE_NOOP("Shortcuts", "Consult, then transfer (attended transfer)"),
    ),
    Shortcut(
        Action.CONFERENCE,
        "Ctrl+Shift+C",
        QT_TRANSLATE_NOOP("Shortcuts", "Conference: add a third party"),
    ),
    Shortcut(Action.HISTORY, "Ctrl+H", QT_TRANSLATE_NOOP("Shortcuts", "Show the call history")),
    Shortcut(Action.DIRECTORY, "Ctrl+D", QT_TRANSLATE_NOOP("Shortcuts", "Show the directory")),
)

_BY_ACTION = {s.action: s for s in SHORTCUTS}
assert len(_BY_ACTION) == len(SHORTCUTS), "one shortcut per action"
assert len({s.keys for s in SHORTCUTS}) == len(SHORTCUTS), "one action per key"


def shortcut_for(action: Action) -> Shortcut:
    return _BY_ACTION[action]


def keys_for(action: Action) -> QKeySequence:
    return _BY_ACTION[action].sequence


def with_key(text: str, action: Action) -> str:
    """A tooltip or description with the action's key in brackets: ``"Answer (F5)"``."""
    return f"{text} ({_BY_ACTION[action].shown()})"


class HelpPanel(QDialog):
    """The list of shortcuts (non-modal: the agent can keep working while it is open)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Shortcuts", "Keyboard shortcuts"))
        self.setAccessibleName(translate("Shortcuts", "Keyboard shortcuts"))
        self.setAccessibleDescription(
            translate("Shortcuts", "Every key the Communicator window answers to")
        )
        self.setModal(False)
        intro = QLabel(
            translate("Shortcuts", "These keys work anywhere in the Communicator window.")
        )
        intro.setAccessibleName(translate("Shortcuts", "About the shortcuts"))
        intro.setAccessibleDescription(intro.text())
        self.table = QTableWidget(len(SHORTCUTS), 2, self)
        self.table.setAccessibleName(translate("Shortcuts", "Shortcut list"))
        self.table.setAccessibleDescription(
            translate("Shortcuts", "Each row: the key, and what it does")
        )
        self.table.setHorizontalHeaderLabels(
            [translate("Shortcuts", "Key"), translate("Shortcuts", "What it does")]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, shortcut in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(shortcut.shown()))
            self.table.setItem(row, 1, QTableWidgetItem(shortcut.translated))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(translate("Shortcuts", "Close"))
        close.setAccessibleDescription(translate("Shortcuts", "Close the list of shortcuts"))
        buttons.setAccessibleName(translate("Shortcuts", "Help panel buttons"))
        buttons.setAccessibleDescription(translate("Shortcuts", "Close the help panel"))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
