"""The call history on this computer: answered, missed and rejected calls (and the rest), a
search, and redial (button, double-click or Enter)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
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
        self.table = describe(
            QTableWidget(0, len(COLUMNS), self),
            translate("HistoryView", "Call history"),
            translate("HistoryView", "Newest first; press Enter or double-click to call back"),
        )
        self.table.setHorizontalHeaderLabels([translate("HistoryView", c) for c in COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The spare width goes to the caller's name (a group column, often empty, took it all).
        header.setSectionResizeMode(COLUMNS.index("Name"), QHeaderView.ResizeMode.Stretch)
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
        self.table.itemActivated.connect(lambda _item: self.redial())
        self.redial_button.clicked.connect(self.redial)
        model.call_ended.connect(lambda _record: self.refresh())
        model.signed_in_changed.connect(lambda _old, _new: self.refresh())
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

    def refresh(self) -> None:
        outcome = _FILTERS[max(0, self.filter.currentIndex())][1]
        entries = self._model.history(self.search.text().strip())
        self._entries = tuple(e for e in entries if outcome is None or e.outcome is outcome)
        now = time.time()
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            direction = (
                translate("HistoryView", "In")
                if entry.direction is CallDirection.INCOMING
                else translate("HistoryView", "Out")
            )
            values = (
                when_text(entry.started_at, now),
                direction,
                entry.name,
                entry.number or entry.uri,
                translate("HistoryView", _OUTCOME_WORDS[entry.outcome]),
                format_duration(entry.talk_time) if entry.talk_time else "",
                entry.group,
            )
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        if self._entries:
            self.table.selectRow(0)
        self.redial_button.setEnabled(bool(self._entries))

    def redial(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        row = min(rows) if rows else 0
        if 0 <= row < len(self._entries):
            entry = self._entries[row]
            self._model.place_call(entry.redial_target, name=entry.name or "")
