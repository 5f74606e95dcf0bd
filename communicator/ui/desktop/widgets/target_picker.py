"""Whom to transfer to, consult or add to a conference: a number typed by the agent, or an
entry of the directory or the call history, in one inline panel (never a modal dialog: calls
keep moving while the agent chooses)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from communicator.core.dialing import clean_dial_text
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.desktop.widgets.directory_view import (
    DirectorySource,
    entry_matches,
    entry_text,
)
from communicator.ui.i18n import translate
from communicator.ui.session import SessionModel

MAX_HISTORY = 20


class TargetPicker(QFrame):
    def __init__(
        self, model: SessionModel, directory: DirectorySource, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._directory = directory
        self._on_chosen: Callable[[str], None] | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(self)
        self.target = describe(
            QLineEdit(self),
            translate("TargetPicker", "Number or name"),
            translate("TargetPicker", "Type a number, or search the directory and history"),
        )
        field_label = QLabel(translate("TargetPicker", "&To:"), self)
        field_label.setBuddy(self.target)
        self.suggestions = describe(
            QListWidget(self),
            translate("TargetPicker", "Suggestions"),
            translate(
                "TargetPicker",
                "Matching directory entries and recent calls; Enter or double-click chooses",
            ),
        )
        self.ok_button = action_button(
            translate("TargetPicker", "Transfer"),
            translate("TargetPicker", "Go ahead"),
            "transfer",
            parent=self,
        )
        self.cancel_button = action_button(
            translate("TargetPicker", "Cancel"),
            translate("TargetPicker", "Close without doing anything"),
            parent=self,
        )
        self.target.textChanged.connect(lambda _t: self._fill())
        self.target.returnPressed.connect(self._accept)
        self.suggestions.itemActivated.connect(self._choose_item)
        self.ok_button.clicked.connect(self._accept)
        self.cancel_button.clicked.connect(self.cancel)
        directory.changed.connect(self._fill)
        grid = QGridLayout(self)
        grid.addWidget(self.title, 0, 0, 1, 3)
        grid.addWidget(field_label, 1, 0)
        grid.addWidget(self.target, 1, 1, 1, 2)
        grid.addWidget(self.suggestions, 2, 0, 1, 3)
        grid.addWidget(self.ok_button, 3, 1)
        grid.addWidget(self.cancel_button, 3, 2)
        describe(
            self,
            translate("TargetPicker", "Choose whom"),
            translate("TargetPicker", "Type a number or pick from the directory or history"),
        )
        self.setVisible(False)

    @property
    def purpose(self) -> str:
        return self.ok_button.text() if self.isVisible() else ""

    def ask(self, title: str, verb: str, on_chosen: Callable[[str], None]) -> None:
        """Show the picker: ``title`` on top, ``verb`` on the button, ``on_chosen(dial)``."""
        self._on_chosen = on_chosen
        self.title.setText(title)
        describe(self.title, title, translate("TargetPicker", "What the choice is for"))
        self.ok_button.setText(verb)
        describe(
            self.ok_button,
            verb,
            translate("TargetPicker", "{verb} to the number in the field").format(verb=verb),
        )
        self.target.clear()
        self._directory.load()
        self._fill()
        self.setVisible(True)
        self.target.setFocus(Qt.FocusReason.OtherFocusReason)

    def cancel(self) -> None:
        self._on_chosen = None
        self.setVisible(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        super().keyPressEvent(event)

    def choose(self, dial: str) -> None:
        """Give ``dial`` to whoever asked, and close."""
        on_chosen, self._on_chosen = self._on_chosen, None
        self.setVisible(False)
        if on_chosen is not None and dial.strip():
            on_chosen(clean_dial_text(dial))

    def _accept(self) -> None:
        typed = self.target.text().strip()
        if typed:
            self.choose(typed)
            return
        item = self.suggestions.currentItem()
        if item is not None:
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        dial = item.data(Qt.ItemDataRole.UserRole)
        if dial:
            self.choose(str(dial))

    def _fill(self) -> None:
        if not self.isVisible() and self._on_chosen is None:
            return
        search = self.target.text()
        self.suggestions.clear()
        for entry in self._directory.entries:
            if entry.extension and entry_matches(entry, search):
                self._add(
                    translate("TargetPicker", "Directory: {entry}").format(entry=entry_text(entry)),
                    entry.extension,
                )
        seen: set[str] = set()
        for past in self._model.history(search.strip()):
            target = past.redial_target
            if target in seen:
                continue
            seen.add(target)
            self._add(
                translate("TargetPicker", "Recent: {name} · {number}").format(
                    name=past.name or target, number=target
                ),
                target,
            )
            if len(seen) >= MAX_HISTORY:
                break

    def _add(self, text: str, dial: str) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, dial)
        self.suggestions.addItem(item)
