"""The running clocks' label: a new text every second must not make the window lay itself out
again (an idle agent's window otherwise relayouts and repaints around it once a second)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget

from communicator.ui.desktop.widgets.agent_state import TIME_PATTERNS
from communicator.ui.desktop.widgets.clock import ClockLabel

TEXTS = ("0:07 in state", "12:34 in state", "1:02:03 in state", "0:09 left", "59:59:59 in state")


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def row_with(label: QLabel, qtbot: Any) -> tuple[QWidget, LayoutRequests]:
    row = QWidget()
    qtbot.addWidget(row)
    layout = QHBoxLayout(row)
    layout.addWidget(QLabel("Ready", row))
    layout.addWidget(label)
    layout.addStretch(1)
    with qtbot.waitExposed(row):
        row.show()
    QApplication.processEvents()  # the first layout after show
    requests = LayoutRequests()
    row.installEventFilter(requests)
    return row, requests


def test_a_clock_label_changes_its_text_without_a_relayout(qtbot: Any) -> None:
    label = ClockLabel(TIME_PATTERNS)
    _row, requests = row_with(label, qtbot)
    for text in TEXTS:
        label.setText(text)
        qtbot.wait(1)  # let posted events through (nothing to wait for: none must come)
        metrics = label.fontMetrics()
        assert label.width() >= metrics.horizontalAdvance(text), text  # never cut off
    assert requests.count == 0


def test_a_plain_label_would_relayout_on_each_text(qtbot: Any) -> None:
    """The control: what ClockLabel avoids does happen with a QLabel."""
    label = QLabel()
    _row, requests = row_with(label, qtbot)
    for text in TEXTS:
        label.setText(text)
        qtbot.wait(1)
    assert requests.count >= len(TEXTS) - 1


def test_a_clock_label_refits_when_its_font_grows(qtbot: Any) -> None:
    label = ClockLabel(TIME_PATTERNS)
    row, _ = row_with(label, qtbot)
    before = label.width()
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)
    label.setText("59:59:59 in state")
    assert label.width() > before
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())
    assert row.isVisible()
