"""The server's directory: loaded once per session in the background (`DirectorySource`), shown
in the Directory tab with a search field (`DirectoryView`: click, double-click or Enter calls),
and offered by the transfer and conference pickers.

The list is a view over `DirectoryModel`, not a list of items: a search keystroke only picks
the matching rows (from texts lowered once when the directory arrives) and the view lays out
the rows in sight, so a directory of thousands of people does not stall typing (an item list
was rebuilt at each keystroke: ~11 ms for 1,000 entries, ~30 ms for 3,000). The view lays the
rows out in batches (`LAYOUT_BATCH`), so no turn of the loop holds the window for long whatever
the directory's size (`bench/directory_bench.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QPushButton, QVBoxLayout, QWidget

from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.i18n import translate
from communicator.ui.session import SessionModel

if TYPE_CHECKING:
    from communicator.provisioning.client import DirectoryEntry
    from communicator.workstation import SignedIn

_Index = QModelIndex | QPersistentModelIndex


LAYOUT_BATCH = 500
"""Rows the list lays out in one turn of the event loop (~1 ms)."""
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
"""An item's person (its extension is under ``UserRole``): the line shows whom the agent called."""


def entry_text(entry: DirectoryEntry) -> str:
    where = f" ({entry.group})" if entry.group else ""
    number = entry.extension or translate("DirectoryView", "no number now")
    return f"{entry.name}{where} · {number}"


def entry_matches(entry: DirectoryEntry, search: str) -> bool:
    needle = search.strip().lower()
    return not needle or needle in _haystack(entry)


def _haystack(entry: DirectoryEntry) -> str:
    """The texts a search looks in, lowered (a line break between them: a typed search has
    none, so it never matches across two fields)."""
    return "\n".join(field or "" for field in (entry.name, entry.extension, entry.group)).lower()


class DirectoryModel(QAbstractListModel):
    """The entries that match the search, one row each: the text shown, the extension under
    ``UserRole`` and the person's name under `NAME_ROLE`. An entry with no number now (a
    pooled agent signed out) is shown, not enabled."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: tuple[DirectoryEntry, ...] = ()
        self._haystacks: tuple[str, ...] = ()
        self._shown: list[DirectoryEntry] = []
        self._search = ""

    def set_entries(self, entries: Sequence[DirectoryEntry]) -> None:
        self._entries = tuple(entries)
        self._haystacks = tuple(_haystack(entry) for entry in self._entries)
        self._select()

    def set_search(self, search: str) -> None:
        if search.strip().lower() != self._search:
            self._select(search)

    def entry(self, row: int) -> DirectoryEntry | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def first_callable(self) -> int | None:
        """The first row with a number now (a signed-out pooled agent's has none)."""
        return next((row for row, entry in enumerate(self._shown) if entry.extension), None)

    def _select(self, search: str | None = None) -> None:
        if search is not None:
            self._search = search.strip().lower()
        needle = self._search
        self.beginResetModel()
        self._shown = [
            entry
            for entry, haystack in zip(self._entries, self._haystacks, strict=True)
            if needle in haystack
        ]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's)
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return entry_text(entry)
        if role == Qt.ItemDataRole.UserRole:
            return entry.extension
        if role == NAME_ROLE:
            return entry.name
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return Qt.ItemFlag.NoItemFlags
        if not entry.extension:
            return Qt.ItemFlag.ItemNeverHasChildren
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
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
        model.signed_in_changed.connect(self._signed_in_changed)

    @property
    def entries(self) -> tuple[DirectoryEntry, ...]:
        return self._entries

    def load(self, *, again: bool = False) -> None:
        """Ask the model once (again: refresh); it fetches on a worker thread."""
        if self._requested and not again:
            return
        self._requested = True
        self._model.load_directory()

    def _signed_in_changed(self, old: SignedIn | None, new: SignedIn | None) -> None:
        """Another agent (or none): forget the entries. The same agent's session renewed (a
        profile update): keep them in sight, and fetch afresh the next time they are shown."""
        self._requested = False
        if _owner(old) != _owner(new):
            self._entries = ()
            self.changed.emit()

    def _loaded(self, entries: tuple[DirectoryEntry, ...]) -> None:
        self._entries = tuple(entries)
        self.changed.emit()


def _owner(signed_in: SignedIn | None) -> str | None:
    return None if signed_in is None else signed_in.session.owner


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
        self.rows = DirectoryModel(self)
        self.list = describe(
            QListView(self),
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
        self.list.setModel(self.rows)
        self.list.setUniformItemSizes(True)
        # Laid out a batch of rows per turn of the loop: Qt asks the model's row count twice
        # a row while it lays out, each a call into Python (20 ms for 10,000 rows at once).
        self.list.setLayoutMode(QListView.LayoutMode.Batched)
        self.list.setBatchSize(LAYOUT_BATCH)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self._call_first_or_selected)
        self.list.activated.connect(self._call_row)
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
        self.rows.set_entries(self._source.entries)
        self._first_current()

    def _search(self, text: str) -> None:
        self.rows.set_search(text)
        self._first_current()

    def _first_current(self) -> None:
        """The first row that can be called is current (Enter in the search field calls it)."""
        row = self.rows.first_callable()
        if row is not None:
            self.list.setCurrentIndex(self.rows.index(row, 0))

    def _call_first_or_selected(self) -> None:
        current = self.list.currentIndex()
        if not current.isValid() and (row := self.rows.first_callable()) is not None:
            current = self.rows.index(row, 0)
        self._call_row(current)

    def _call_row(self, index: QModelIndex) -> None:
        entry = self.rows.entry(index.row()) if index.isValid() else None
        if entry is not None and entry.extension:
            self._model.place_call(entry.extension, name=entry.name)
