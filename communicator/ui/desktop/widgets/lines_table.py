"""One row per line, up to Max Phone Lines: state, party (name and number), call timer, hold and
mute marks, and a call-quality light (green, amber, red; the figures in its tooltip and
accessible description). The selected row is the line the action buttons work on; when that
line empties, the selection moves to the line that most needs the agent (ringing, talking,
held)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from communicator.core.call_quality import QualityLevel
from communicator.core.calls import CallState, TransferState
from communicator.core.line_view import LineView
from communicator.ui.desktop.widgets.clock import SharedClock, format_duration
from communicator.ui.desktop.widgets.common import describe
from communicator.ui.i18n import QT_TRANSLATE_NOOP, translate
from communicator.ui.messages_i18n import quality_summary
from communicator.ui.session import SessionModel

COLUMNS = (
    QT_TRANSLATE_NOOP("LinesTable", "Line"),
    QT_TRANSLATE_NOOP("LinesTable", "State"),
    QT_TRANSLATE_NOOP("LinesTable", "Name"),
    QT_TRANSLATE_NOOP("LinesTable", "Number"),
    QT_TRANSLATE_NOOP("LinesTable", "Time"),
    QT_TRANSLATE_NOOP("LinesTable", "Marks"),
    QT_TRANSLATE_NOOP("LinesTable", "Quality"),
)
"""In English (for code); shown through ``translate("LinesTable", ...)``."""
QUALITY_COLUMN = 6

QUALITY_WORDS = {
    QualityLevel.GOOD: QT_TRANSLATE_NOOP("LinesTable", "Good"),
    QualityLevel.AMBER: QT_TRANSLATE_NOOP("LinesTable", "Fair"),
    QualityLevel.RED: QT_TRANSLATE_NOOP("LinesTable", "Poor"),
}
QUALITY_COLOURS = {
    QualityLevel.GOOD: QColor(46, 160, 67),
    QualityLevel.AMBER: QColor(230, 160, 0),
    QualityLevel.RED: QColor(210, 40, 40),
}

_STATE_WORDS = {
    CallState.DIALING: QT_TRANSLATE_NOOP("LinesTable", "Dialling"),
    CallState.RINGING_OUT: QT_TRANSLATE_NOOP("LinesTable", "Ringing"),
    CallState.EARLY_MEDIA: QT_TRANSLATE_NOOP("LinesTable", "Ringing"),
    CallState.RINGING_IN: QT_TRANSLATE_NOOP("LinesTable", "Incoming"),
    CallState.CONNECTED: QT_TRANSLATE_NOOP("LinesTable", "Talking"),
    CallState.HELD: QT_TRANSLATE_NOOP("LinesTable", "On hold"),
    CallState.ENDED: QT_TRANSLATE_NOOP("LinesTable", "Ended"),
}

_PRIORITY = (CallState.RINGING_IN, CallState.CONNECTED, CallState.HELD)


def line_state_words(view: LineView) -> str:
    call = view.call
    if call is None:
        return translate("LinesTable", "Free")
    words = translate("LinesTable", _STATE_WORDS[call.state])
    if call.conference_with is not None:
        words += " " + translate("LinesTable", "(conference)")
    elif call.transfer is TransferState.CONSULT:
        words += " " + translate("LinesTable", "(consulting)")
    elif call.transfer in (TransferState.BLIND_PENDING, TransferState.COMPLETING):
        words += " " + translate("LinesTable", "(transferring)")
    if call.group is not None:
        words += " " + translate("LinesTable", "via {group}").format(group=call.group.name)
    return words


def line_marks(view: LineView) -> str:
    call = view.call
    if call is None:
        return ""
    marks = []
    if view.held:
        marks.append(translate("LinesTable", "Held"))
    if call.remote_hold:
        marks.append(translate("LinesTable", "Held by caller"))
    if view.muted:
        marks.append(translate("LinesTable", "Muted"))
    return ", ".join(marks)


class LinesTable(QTableWidget):
    """``selected_changed(int)``: the line number the agent selected (or the table moved to)."""

    selected_changed = Signal(int)

    def __init__(
        self, model: SessionModel, clock: SharedClock, parent: QWidget | None = None
    ) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._model = model
        self._clock = clock
        self._selected = 1
        self._updating = False
        describe(
            self,
            translate("LinesTable", "Lines"),
            translate(
                "LinesTable",
                "One row per phone line: state, caller, time, hold and mute, call quality",
            ),
        )
        self.setHorizontalHeaderLabels([translate("LinesTable", c) for c in COLUMNS])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.itemSelectionChanged.connect(self._agent_selected)
        model.lines_changed.connect(lambda _old, _new: self._update())
        clock.tick.connect(self._tick)
        self._update()

    # ------------------------------------------------------------------ reading

    @property
    def selected_number(self) -> int:
        return self._selected

    def selected_view(self) -> LineView | None:
        lines = self._model.state.lines
        if 1 <= self._selected <= len(lines):
            return lines[self._selected - 1]
        return None

    def select_line(self, number: int) -> None:
        if 1 <= number <= self.rowCount():
            self.selectRow(number - 1)

    # ------------------------------------------------------------------ showing

    def _agent_selected(self) -> None:
        if self._updating:
            return
        rows = {i.row() for i in self.selectedIndexes()}
        if rows:
            self._selected = min(rows) + 1
            self.selected_changed.emit(self._selected)

    def _update(self) -> None:
        lines = self._model.state.lines
        self._updating = True
        try:
            if self.rowCount() != len(lines):
                self.setRowCount(len(lines))
            for row, view in enumerate(lines):
                self._fill_row(row, view)
            self._choose_selection(lines)
            if lines:
                self.selectRow(self._selected - 1)
        finally:
            self._updating = False
        self._clock.set_needed(self, any(not v.free for v in lines))
        self.selected_changed.emit(self._selected)

    def _choose_selection(self, lines: tuple[LineView, ...]) -> None:
        current = self._selected
        if 1 <= current <= len(lines) and not lines[current - 1].free:
            call = lines[current - 1].call
            if call is not None and call.state is not CallState.HELD:
                return
            # a held line stays selected unless another line is ringing or talking
            if not any(v.call and v.call.state in _PRIORITY[:2] for v in lines):
                return
        for state in _PRIORITY:
            for view in lines:
                if view.call is not None and view.call.state is state:
                    self._selected = view.number
                    return
        busy = [v.number for v in lines if not v.free]
        if busy:
            self._selected = busy[0]
        elif not 1 <= current <= len(lines):
            self._selected = 1

    def _fill_row(self, row: int, view: LineView) -> None:
        call = view.call
        party_name = "" if call is None else call.remote.display_name
        party_number = "" if call is None else (call.remote.number or call.remote.uri)
        values = (
            translate("LinesTable", "Line {line}").format(line=view.number),
            line_state_words(view),
            party_name,
            party_number,
            self._timer_text(view, self._clock.now()),
            line_marks(view),
            ""
            if view.quality is None
            else translate("LinesTable", QUALITY_WORDS[view.quality.level]),
        )
        for column, text in enumerate(values):
            item = self.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.setItem(row, column, item)
            item.setText(text)
            heading = translate("LinesTable", COLUMNS[column])
            item.setToolTip(f"{heading}: {text}" if text else heading)
        self._show_quality(row, view)

    def _show_quality(self, row: int, view: LineView) -> None:
        item = self.item(row, QUALITY_COLUMN)
        quality = view.quality
        if item is None:
            return
        if quality is None:
            for role in (
                Qt.ItemDataRole.BackgroundRole,
                Qt.ItemDataRole.ForegroundRole,
                Qt.ItemDataRole.AccessibleDescriptionRole,
            ):
                item.setData(role, None)
            return
        summary = quality_summary(quality)
        item.setBackground(QBrush(QUALITY_COLOURS[quality.level]))
        item.setForeground(QBrush(QColor(255, 255, 255)))
        item.setToolTip(summary)
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, summary)

    def quality_tip(self, number: int) -> str:
        """The figures the quality light of line ``number`` shows on hover ("" without)."""
        item = self.item(number - 1, QUALITY_COLUMN)
        return (
            ""
            if item is None or self._model.state.lines[number - 1].quality is None
            else item.toolTip()
        )

    @staticmethod
    def _timer_text(view: LineView, now: float) -> str:
        start = view.timer_start()
        return "" if start is None else format_duration(now - start)

    def _tick(self, now: float) -> None:
        for row, view in enumerate(self._model.state.lines):
            item = self.item(row, 4)
            if item is not None:
                item.setText(self._timer_text(view, now))

    def row_text(self, number: int) -> tuple[str, ...]:
        """What the row of line ``number`` shows, column by column (for tests and readers)."""
        items = (self.item(number - 1, c) for c in range(self.columnCount()))
        return tuple("" if item is None else item.text() for item in items)
