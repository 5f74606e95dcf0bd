"""The agent's main window, bound to the `SessionModel` and to nothing else.

Top: who is signed in, the agent state switch and the help button; the phone's registration
and, while it is lost, the lost-connection banner; the latest message. Middle: the number field
and dial pad, the lines with the selected line's actions, the transfer/conference picker and the
keypad. Bottom: History (with the missed-call badge) and Directory. The status bar shows the
call logs waiting to be sent. Every shortcut comes from `shortcuts.SHORTCUTS`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QCloseEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from communicator.ui.desktop.icons import icon
from communicator.ui.desktop.shortcuts import Action, HelpPanel, keys_for, with_key
from communicator.ui.desktop.widgets.agent_state import AgentStateSwitch
from communicator.ui.desktop.widgets.clock import SharedClock
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.desktop.widgets.dial_pad import DialPanel
from communicator.ui.desktop.widgets.directory_view import DirectorySource, DirectoryView
from communicator.ui.desktop.widgets.history_view import HistoryView
from communicator.ui.desktop.widgets.line_actions import LineActions
from communicator.ui.desktop.widgets.lines_table import LinesTable
from communicator.ui.desktop.widgets.messages import MessageLine, PendingLogs
from communicator.ui.desktop.widgets.registration import LostConnectionBanner, RegistrationBar
from communicator.ui.desktop.widgets.sign_out import SignOutButton
from communicator.ui.desktop.widgets.target_picker import TargetPicker
from communicator.ui.session import SessionModel

HISTORY_TAB, DIRECTORY_TAB = 0, 1


class _CallsArea(QScrollArea):
    """Scrolls up and down only: as wide as its content needs (so nothing is cut at the side),
    as low as the window allows."""

    def __init__(self, content: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        describe(self, "Calls", "The number field, the lines and the call actions")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return hint
        width = content.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), width), hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the keypad or the picker opened: maybe wider now
        return super().eventFilter(watched, event)


class MainWindow(QMainWindow):
    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.clock = SharedClock(parent=self)
        self.setWindowTitle("Communicator")
        self.setWindowIcon(icon("call"))
        describe(self, "Communicator", "Your phone: state, lines, dialling, history, directory")

        self.who = QLabel(self)
        self.who.setAccessibleDescription("Who is signed in")
        self.agent_state = AgentStateSwitch(model, self.clock, self)
        self.help_button = action_button(
            "Help", "Show the keyboard shortcuts", "help", Action.HELP, self
        )
        self.settings_button = action_button(
            "Settings",
            "Sound devices, ringing, start-up and other settings",
            "settings",
            None,
            self,
        )
        self.sign_out_button = SignOutButton(model, self)
        self.registration = RegistrationBar(model, self)
        self.banner = LostConnectionBanner(model, self)
        self.messages = MessageLine(model, self)

        self.dial = DialPanel(model, self)
        self.lines = LinesTable(model, self.clock, self)
        self.directory = DirectorySource(model, self)
        self.picker = TargetPicker(model, self.directory, self)
        self.actions_panel = LineActions(model, self.lines, self.picker, self)
        self.history = HistoryView(model, self)
        self.directory_view = DirectoryView(model, self.directory, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.history, icon("history"), "History")
        self.tabs.addTab(self.directory_view, icon("directory"), "Directory")
        describe(self.tabs, "History and directory", "Your recent calls, and whom you can call")
        # A screen reader reads each tab's tooltip as its description (History's: see below).
        self.tabs.setTabToolTip(DIRECTORY_TAB, with_key("Directory", Action.DIRECTORY))
        self.tabs.currentChanged.connect(lambda _i: self._history_seen())
        self.pending_logs = PendingLogs(model, self)
        self.statusBar().addPermanentWidget(self.pending_logs)
        self.statusBar().setAccessibleName("Status bar")
        self.statusBar().setAccessibleDescription("Call logs waiting to be sent")
        self.help_panel: HelpPanel | None = None

        self._lay_out()
        self._set_tab_order()
        self.shortcuts = self._make_shortcuts()
        self.help_button.clicked.connect(self.show_help)
        model.signed_in_changed.connect(lambda _old, _new: self._update_who())
        model.missed_calls_changed.connect(lambda _old, _new: self._missed_changed())
        self._update_who()
        self._missed_changed()
        self.resize(900, 640)

    # ------------------------------------------------------------------ layout

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.who)
        top.addWidget(self.agent_state, 1)
        top.addWidget(self.help_button)
        top.addWidget(self.settings_button)
        top.addWidget(self.sign_out_button)
        # The picker beside the lines and the keypad beside the buttons (not under them), and
        # the calls part scrolls rather than grow the window: it fits a 1366x768 screen, and
        # 1920x1080 at 150 %, with everything open.
        calls = QHBoxLayout()
        calls.addWidget(self.lines, 1)
        calls.addWidget(self.picker)
        right = QVBoxLayout()
        right.addLayout(calls, 1)
        right.addWidget(self.actions_panel)
        middle = QHBoxLayout()
        middle.addWidget(self.dial)
        middle.addLayout(right, 1)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(middle)
        scroll = _CallsArea(upper, self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(scroll)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.registration)
        layout.addWidget(self.banner)
        layout.addWidget(self.messages)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

    def _set_tab_order(self) -> None:
        """Number field first (where an agent types most), then the call, the lines and their
        actions, the tabs, and the state switch last."""
        chain: list[QWidget] = [self.dial.number, self.dial.call_button]
        chain += list(self.dial.pad.buttons.values())
        chain += [self.lines]
        chain += list(self.actions_panel.buttons.values())
        chain += [self.picker.target, self.picker.suggestions, self.picker.ok_button]
        chain += [self.picker.cancel_button, self.tabs]
        chain += [self.history.search, self.history.filter, self.history.table]
        chain += [self.history.redial_button, self.directory_view.search]
        chain += [self.directory_view.list, self.directory_view.call_button]
        chain += [self.directory_view.refresh_button]
        chain += [self.agent_state.ready_button, self.agent_state.not_ready_button]
        chain += [self.agent_state.extend_button, self.registration.details_button]
        chain += [self.messages.dismiss, self.help_button, self.settings_button]
        chain += [self.sign_out_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _make_shortcuts(self) -> dict[Action, QShortcut]:
        actions = self.actions_panel
        handlers: dict[Action, Callable[[], None]] = {
            Action.HELP: self.show_help,
            Action.FOCUS_NUMBER: self.dial.focus_number,
            Action.READY: self.model.set_ready,
            Action.NOT_READY: self.agent_state.choose_not_ready,
            Action.EXTEND_WRAP_UP: self.model.extend_wrap_up,
            Action.ANSWER: actions.answer_selected,
            Action.DECLINE: actions.decline,
            Action.HANG_UP: actions.hang_up,
            Action.HOLD: actions.toggle_hold,
            Action.SWAP: self.model.swap,
            Action.MUTE: actions.toggle_mute,
            Action.KEYPAD: actions.toggle_keypad,
            Action.TRANSFER: actions.transfer,
            Action.CONSULT: actions.consult,
            Action.CONFERENCE: actions.conference,
            Action.HISTORY: lambda: self.show_tab(HISTORY_TAB),
            Action.DIRECTORY: lambda: self.show_tab(DIRECTORY_TAB),
        }
        made: dict[Action, QShortcut] = {}
        for action, handler in handlers.items():
            shortcut = QShortcut(keys_for(action), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
            made[action] = shortcut
        return made

    # ------------------------------------------------------------------ behaviour

    def show_help(self) -> None:
        if self.help_panel is None:
            self.help_panel = HelpPanel(self)
        self.help_panel.show()
        self.help_panel.raise_()
        self.help_panel.activateWindow()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self.tabs.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)
        if index == HISTORY_TAB:
            self.history.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.directory_view.search.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def history_visible(self) -> bool:
        return self.isVisible() and self.tabs.currentIndex() == HISTORY_TAB

    def _history_seen(self) -> None:
        """The agent looks at the history: the missed calls are seen."""
        if self.history_visible() and self.isActiveWindow():
            self.history.refresh()
            if self.model.state.missed_calls:
                self.model.mark_missed_seen()

    def _missed_changed(self) -> None:
        missed = self.model.state.missed_calls
        text = f"History ({missed} missed)" if missed else "History"
        self.tabs.setTabText(HISTORY_TAB, text)
        self.tabs.setTabToolTip(HISTORY_TAB, with_key(text, Action.HISTORY))
        self.history.refresh()
        if missed:
            self._history_seen()

    def _update_who(self) -> None:
        signed_in = self.model.state.signed_in
        if signed_in is None:
            self.who.setText("Not signed in")
            return
        session = signed_in.session
        parts = [session.display_name or session.login, f"ext {session.extension}"]
        if session.group:
            parts.append(session.group)
        if signed_in.offline:
            parts.append("offline start")
        self.who.setText(" · ".join(parts))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate:
            self._history_seen()
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.help_panel is not None:
            self.help_panel.close()
        super().closeEvent(event)
