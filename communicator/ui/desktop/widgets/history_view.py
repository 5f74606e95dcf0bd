"""The call history on this computer: answered, missed and rejected calls (and the rest), a
search, and redial (button, double-click or Enter).

The table is a view of `HistoryTable`, a model whose rows are replaced at once. It was a
`QTableWidget` refilled cell by cell at every call's end: with its columns sized to their
contents each cell set re-measured the whole column, so a refill grew with the square of the
rows (an agent's 100 past calls froze the window for 1.3 s at each hang-up, 300 for 12 s).
Qt's own sizing to contents asks the model about ten questions per cell, for every row when the
table is out of sight; the columns are instead measured here with the font, from every entry's
texts (`HistoryTable.widest_texts`), so no older row's date or number is cut off either.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from communicator.core.calls import CallDirection
from communicator.provisioning.history import HistoryEntry, HistoryOutcome
from communicator.ui.desktop.widgets.clock import format_duration
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.messages_i18n import when_text
from communicator.ui.session import SessionModel

if TYPE_CHECKING:
    from communicator.workstation import SignedIn

COLUMNS = (
    QT_TRANSLATE_NOOP("HistoryView", "When"),
    QT_TRANSLATE_NOOP("HistoryView", "Direction"),
    QT_TRANSLATE_NOOP("HistoryView", "Name"),
    QT_TRANSLATE_NOOP("HistoryView", "Number"),
    QT_TRANSLATE_NOOP("HistoryView", "Outcome"),
    QT_TRANSLATE_NOOP("HistoryView", "Talk time"),
    QT_TRANSLATE_NOOP("HistoryView", "Group"),
)
"""In English; shown through ``translate("HistoryView", ...)``."""
_OUTCOME_WORDS = {
    HistoryOutcome.ANSWERED: QT_TRANSLATE_NOOP("HistoryView", "Answered"),
    HistoryOutcome.MISSED: QT_TRANSLATE_NOOP("HistoryView", "Missed"),
    HistoryOutcome.REJECTED: QT_TRANSLATE_NOOP("HistoryView", "Rejected"),
    HistoryOutcome.FORWARDED: QT_TRANSLATE_NOOP("HistoryView", "Forwarded"),
    HistoryOutcome.ANSWERED_ELSEWHERE: QT_TRANSLATE_NOOP("HistoryView", "Answered elsewhere"),
    HistoryOutcome.NOT_ANSWERED: QT_TRANSLATE_NOOP("HistoryView", "Not answered"),
}
_FILTERS: tuple[tuple[str, HistoryOutcome | None], ...] = (
    (QT_TRANSLATE_NOOP("HistoryView", "All calls"), None),
    (QT_TRANSLATE_NOOP("HistoryView", "Answered"), HistoryOutcome.ANSWERED),
    (QT_TRANSLATE_NOOP("HistoryView", "Missed"), HistoryOutcome.MISSED),
    (QT_TRANSLATE_NOOP("HistoryView", "Rejected"), HistoryOutcome.REJECTED),
    (QT_TRANSLATE_NOOP("HistoryView", "Not answered (outgoing)"), HistoryOutcome.NOT_ANSWERED),
    (QT_TRANSLATE_NOOP("HistoryView", "Forwarded"), HistoryOutcome.FORWARDED),
    (QT_TRANSLATE_NOOP("HistoryView", "Answered elsewhere"), HistoryOutcome.ANSWERED_ELSEWHERE),
)


_Index = QModelIndex | QPersistentModelIndex
HORIZONTAL = Qt.Orientation.Horizontal


class HistoryTable(QAbstractTableModel):
    """The entries shown; each row's texts made when the view first asks for them (the rows in
    sight), not for all 500 at every call's end."""

    NAME_COLUMN = COLUMNS.index("Name")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: tuple[HistoryEntry, ...] = ()
        self._texts: dict[int, tuple[str, ...]] = {}
        self._now = 0.0
        self._headers = [translate("HistoryView", c) for c in COLUMNS]

    def set_entries(self, entries: tuple[HistoryEntry, ...], now: float) -> None:
        """Show ``entries``; times are said relative to ``now`` ("today 10:42")."""
        self.beginResetModel()
        self._entries, self._texts, self._now = entries, {}, now
        self.endResetModel()

    def widest_texts(self) -> list[set[str]]:
        """Per column, texts among which is its widest for every entry (the Name column: none,
        it takes the spare width), made without the texts of every row."""
        entries, now = self._entries, self._now
        longest = max((entry.talk_time for entry in entries), default=0.0)
        widest = {
            "When": {when_text(entry.started_at, now) for entry in _one_a_month(entries, now)},
            "Direction": {translate("HistoryView", "In"), translate("HistoryView", "Out")},
            "Name": set(),
            "Number": {entry.number or entry.uri for entry in entries},
            "Outcome": {translate("HistoryView", word) for word in _OUTCOME_WORDS.values()},
            "Talk time": {format_duration(longest)} if longest else set(),
            "Group": {entry.group for entry in entries},
        }
        return [widest[column] for column in COLUMNS]

    def text(self, row: int, column: int) -> str:
        texts = self._texts.get(row)
        if texts is None:
            texts = self._texts[row] = _row_texts(self._entries[row], self._now)
        return texts[column]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.text(index.row(), index.column())
        return None

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None


def _one_a_month(entries: tuple[HistoryEntry, ...], now: float) -> list[HistoryEntry]:
    """An entry of today and one of each month (their times read alike, but the months' names
    differ in width)."""
    today = time.localtime(now)[:3]
    chosen: dict[tuple[int, ...], HistoryEntry] = {}
    for entry in entries:
        day = time.localtime(entry.started_at)[:3]
        chosen.setdefault(day if day == today else day[:2], entry)
    return list(chosen.values())


def _owner(signed_in: SignedIn | None) -> str | None:
    return None if signed_in is None else signed_in.session.owner


def _row_texts(entry: HistoryEntry, now: float) -> tuple[str, ...]:
    direction = (
        translate("HistoryView", "In")
        if entry.direction is CallDirection.INCOMING
        else translate("HistoryView", "Out")
    )
    return (
        when_text(entry.started_at, now),
        direction,
        entry.name,
        entry.number or entry.uri,
        translate("HistoryView", _OUTCOME_WORDS[entry.outcome]),
        format_duration(entry.talk_time) if entry.talk_time else "",
        entry.group,
    )


class HistoryView(QWidget):
    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._entries: tuple[HistoryEntry, ...] = ()
        search_label = QLabel(translate("HistoryView", "&Search the history:"), self)
        self.search = describe(
            QLineEdit(self),
            translate("HistoryView", "Search the history"),
            translate("HistoryView", "Type part of a name, number or group"),
        )
        self.search.setClearButtonEnabled(True)
        search_label.setBuddy(self.search)
        self.filter = describe(
            QComboBox(self),
            translate("HistoryView", "Which calls"),
            translate("HistoryView", "Show all calls, or only answered, missed or rejected"),
        )
        for text, _outcome in _FILTERS:
            self.filter.addItem(translate("HistoryView", text))
        self.rows = HistoryTable(self)
        self.table = describe(
            QTableView(self),
            translate("HistoryView", "Call history"),
            translate("HistoryView", "Newest first; press Enter or double-click to call back"),
        )
        self.table.setModel(self.rows)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # sized in `_fit_columns`
        # The spare width goes to the caller's name (a group column, often empty, took it all).
        header.setSectionResizeMode(HistoryTable.NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.redial_button = action_button(
            translate("HistoryView", "Call back"),
            translate("HistoryView", "Call the selected number again"),
            "call",
            parent=self,
        )
        self.search.textChanged.connect(lambda _t: self.refresh())
        self.search.returnPressed.connect(self.redial)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.activated.connect(lambda _index: self.redial())
        self.redial_button.clicked.connect(self.redial)
        # After a call's end the history is read in a loop turn of its own: the lines and the
        # agent state, which the agent looks at first, change and paint without waiting for it.
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(0)
        self._refresh_soon.timeout.connect(self.refresh)
        model.call_ended.connect(lambda _record: self.refresh_soon())
        model.signed_in_changed.connect(self._signed_in_changed)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.addWidget(search_label)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.redial_button)
        describe(
            self,
            translate("HistoryView", "History"),
            translate("HistoryView", "Calls on this computer: search and call back"),
        )
        self.refresh()

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        """The entries shown, top to bottom."""
        return self._entries

    def set_filter(self, outcome: HistoryOutcome | None) -> None:
        index = next(i for i, (_t, o) in enumerate(_FILTERS) if o is outcome)
        self.filter.setCurrentIndex(index)

    def _signed_in_changed(self, old: SignedIn | None, new: SignedIn | None) -> None:
        """Another agent's history, or none; not at each profile update of the same agent."""
        if _owner(old) != _owner(new):
            self.refresh()

    def refresh_soon(self) -> None:
        """`refresh` in a coming turn of the loop, once however often asked before it."""
        self._refresh_soon.start()

    def refresh(self) -> None:
        """Read the history again. A row the agent chose stays chosen (a click that also
        brought the window to the front is not undone by the refresh that follows); otherwise
        the newest call is."""
        chosen = self._chosen_entry()
        outcome = _FILTERS[max(0, self.filter.currentIndex())][1]
        entries = self._model.history(self.search.text().strip())
        self._entries = tuple(e for e in entries if outcome is None or e.outcome is outcome)
        self.rows.set_entries(self._entries, time.time())
        self._fit_columns()
        if self._entries:
            ids = [entry.record_id for entry in self._entries]
            row = ids.index(chosen) if chosen in ids else 0
            self.table.setCurrentIndex(self.rows.index(row, 0))  # selects the row
        self.redial_button.setEnabled(bool(self._entries))

    def _chosen_entry(self) -> str | None:
        """The record id of the row the agent chose, when it is not the top one."""
        rows = [index.row() for index in self.table.selectionModel().selectedRows()]
        if rows and 0 < rows[0] < len(self._entries):
            return self._entries[rows[0]].record_id
        return None

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text in any entry, or its title."""
        header = self.table.horizontalHeader()
        style = self.table.style()
        metric = QStyle.PixelMetric
        cell_font, title_font = self.table.fontMetrics(), header.fontMetrics()
        cell_margin = 2 * (style.pixelMetric(metric.PM_FocusFrameHMargin, None, self.table) + 1)
        title_margin = 2 * style.pixelMetric(metric.PM_HeaderMargin, None, header) + 4
        for column, texts in enumerate(self.rows.widest_texts()):
            if column == HistoryTable.NAME_COLUMN:
                continue
            widest = max((cell_font.horizontalAdvance(text) for text in texts), default=0)
            title = title_font.horizontalAdvance(str(self.rows.headerData(column, HORIZONTAL)))
            header.resizeSection(column, max(widest + cell_margin + 1, title + title_margin))

    def redial(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        row = min(rows) if rows else 0
        if 0 <= row < len(self._entries):
            entry = self._entries[row]
            self._model.place_call(entry.redial_target, name=entry.name or "")
