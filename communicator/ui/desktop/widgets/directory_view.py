"""The server's directory: loaded once per session in the background (`DirectorySource`), shown
in the Directory tab with a search field (`DirectoryView`: click, double-click or Enter calls),
and offered by the transfer and conference pickers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.i18n import translate
from communicator.ui.session import SessionModel

if TYPE_CHECKING:
    from communicator.provisioning.client import DirectoryEntry


NAME_ROLE = Qt.ItemDataRole.UserRole + 1
"""An item's person (its extension is under ``UserRole``): the line shows whom the agent called."""


def entry_text(entry: DirectoryEntry) -> str:
    where = f" ({entry.group})" if entry.group else ""
    number = entry.extension or translate("DirectoryView", "no number now")
    return f"{entry.name}{where} · {number}"


def entry_matches(entry: DirectoryEntry, search: str) -> bool:
    needle = search.strip().lower()
    return not needle or any(
        needle in (field or "").lower() for field in (entry.name, entry.extension, entry.group)
    )


class DirectorySource(QObject):
    """The directory entries of this session; ``changed`` when they arrive."""

    changed = Signal()

    def __init__(self, model: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._entries: tuple[DirectoryEntry, ...] = ()
        self._requested = False
        model.directory_loaded.connect(self._loaded)
        model.signed_in_changed.connect(lambda _old, _new: self._signed_in_changed())

    @property
    def entries(self) -> tuple[DirectoryEntry, ...]:
        return self._entries

    def load(self, *, again: bool = False) -> None:
        """Ask the model once (again: refresh); it fetches on a worker thread."""
        if self._requested and not again:
            return
        self._requested = True
        self._model.load_directory()

    def _signed_in_changed(self) -> None:
        self._requested = False
        self._entries = ()
        self.changed.emit()

    def _loaded(self, entries: tuple[DirectoryEntry, ...]) -> None:
        self._entries = tuple(entries)
        self.changed.emit()


class DirectoryView(QWidget):
    def __init__(
        self, model: SessionModel, source: DirectorySource, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._source = source
        label = QLabel(translate("DirectoryView", "&Search the directory:"), self)
        self.search = describe(
            QLineEdit(self),
            translate("DirectoryView", "Search the directory"),
            translate("DirectoryView", "Type part of a name, number or group"),
        )
        self.search.setClearButtonEnabled(True)
        label.setBuddy(self.search)
        self.list = describe(
            QListWidget(self),
            translate("DirectoryView", "Directory"),
            translate("DirectoryView", "People and groups; press Enter or double-click to call"),
        )
        self.call_button: QPushButton = action_button(
            translate("DirectoryView", "Call"),
            translate("DirectoryView", "Call the selected entry"),
            "call",
            parent=self,
        )
        self.refresh_button = action_button(
            translate("DirectoryView", "Refresh"),
            translate("DirectoryView", "Load the directory again"),
            parent=self,
        )
        self.search.textChanged.connect(lambda _t: self._fill())
        self.search.returnPressed.connect(self._call_first_or_selected)
        self.list.itemActivated.connect(self._call_item)
        self.call_button.clicked.connect(self._call_first_or_selected)
        self.refresh_button.clicked.connect(lambda: source.load(again=True))
        source.changed.connect(self._fill)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.call_button)
        layout.addWidget(self.refresh_button)
        describe(
            self,
            translate("DirectoryView", "Directory"),
            translate("DirectoryView", "Search the directory and call"),
        )
        self._fill()

    def showEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        self._source.load()
        super().showEvent(event)  # type: ignore[arg-type]

    def _fill(self) -> None:
        self.list.clear()
        for entry in self._source.entries:
            if not entry_matches(entry, self.search.text()):
                continue
            item = QListWidgetItem(entry_text(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.extension)
            item.setData(NAME_ROLE, entry.name)
            if not entry.extension:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _call_first_or_selected(self) -> None:
        item = self.list.currentItem() or (self.list.item(0) if self.list.count() else None)
        if item is not None:
            self._call_item(item)

    def _call_item(self, item: QListWidgetItem) -> None:
        extension = item.data(Qt.ItemDataRole.UserRole)
        if extension:
            self._model.place_call(str(extension), name=str(item.data(NAME_ROLE) or ""))
