"""The agent's main window, bound to the `SessionModel` and to nothing else.

Top: who is signed in, the agent state switch and the help button; the phone's registration
and, while it is lost, the lost-connection banner; the latest message. Middle: the number field
and dial pad, the lines with the selected line's actions, the transfer/conference picker and the
keypad. Bottom: History (with the missed-call badge) and Directory. The status bar shows the
call logs waiting to be sent. Every shortcut comes from `shortcuts.SHORTCUTS`.

The window is built in parts, so that building it never holds the GUI thread for longer than a
frame (issue 14: 16 ms; in one go it took ~30 ms of CPU). What the agent sees and uses first
is built at once: the top row, the registration bar, the number field and dial pad, the lines,
the shortcuts, the status bar and the two tabs (as empty pages). The rest follows in later
turns of the event loop, one part per turn: the line actions with the transfer picker, the
History page, the Directory page, then the call-log count, the fields' clear buttons and the
window icon. Then, still hidden, the window is laid out and painted once into a pixmap, a
part of it per turn: its first paint on sign-in then finds the icons, glyphs and style pixmaps
in Qt's caches. The desktop builds the window as soon as the session model exists and shows it
after sign-in, so all this is done long before; a window shown before its parts came
builds the rest first (`setVisible`), so nothing ever appears or moves in a window the agent
already sees. Reading ``actions_panel``, ``picker``, ``history``, ``directory_view`` or
``pending_logs`` builds that part at once; `finish_building` builds whatever is left.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
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
from communicator.ui.i18n import translate
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
        # No Tab stop of its own (a screen reader would announce an empty "Calls" between Sign
        # out and the number field); it still scrolls to the control Tab moves to.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        describe(
            self,
            translate("MainWindow", "Calls"),
            translate("MainWindow", "The number field, the lines and the call actions"),
        )

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """QScrollArea's, from the content's size hint now: Qt's keeps the one it read when
        the content was set, before the window's later parts were added to it."""
        content = self.widget()
        if content is None:
            return super().sizeHint()
        frame = 2 * self.frameWidth()
        lines = self.fontMetrics().height()
        hint = content.sizeHint() + QSize(frame, frame)
        return hint.boundedTo(QSize(36 * lines, 24 * lines))

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
        self._later_stages: list[QWidget] = []  # `event` reads it from the start
        super().__init__(parent)
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(0)
        self._stage_timer.timeout.connect(self._paint_next_stage)
        self.model = model
        self.clock = SharedClock(parent=self)
        self.setWindowTitle("Communicator")
        describe(
            self,
            "Communicator",
            translate("MainWindow", "Your phone: state, lines, dialling, history, directory"),
        )

        self.who = QLabel(self)
        self.who.setAccessibleDescription(translate("MainWindow", "Who is signed in"))
        self.agent_state = AgentStateSwitch(model, self.clock, self)
        self.help_button = action_button(
            translate("MainWindow", "Help"),
            translate("MainWindow", "Show the keyboard shortcuts"),
            "help",
            Action.HELP,
            self,
        )
        self.settings_button = action_button(
            translate("MainWindow", "Settings"),
            translate("MainWindow", "Sound devices, ringing, start-up and other settings"),
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
        self.tabs = QTabWidget(self)
        self._pages = (QWidget(self.tabs), QWidget(self.tabs))
        for page in self._pages:
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self._pages[HISTORY_TAB], translate("MainWindow", "History"))
        self.tabs.addTab(self._pages[DIRECTORY_TAB], translate("MainWindow", "Directory"))
        describe(
            self.tabs,
            translate("MainWindow", "History and directory"),
            translate("MainWindow", "Your recent calls, and whom you can call"),
        )
        # A screen reader reads each tab's tooltip as its description (History's: see below).
        self.tabs.setTabToolTip(
            DIRECTORY_TAB, with_key(translate("MainWindow", "Directory"), Action.DIRECTORY)
        )
        self.tabs.currentChanged.connect(self._tab_changed)
        self.statusBar().setAccessibleName(translate("MainWindow", "Status bar"))
        self.statusBar().setAccessibleDescription(
            translate("MainWindow", "Call logs waiting to be sent")
        )
        self.help_panel: HelpPanel | None = None
        self._picker: TargetPicker | None = None
        self._actions_panel: LineActions | None = None
        self._history: HistoryView | None = None
        self._directory_view: DirectoryView | None = None
        self._pending_logs: PendingLogs | None = None
        self._calls_row = QHBoxLayout()
        self._actions_slot = QVBoxLayout()
        self._actions_slot.setContentsMargins(0, 0, 0, 0)
        self._parts: list[Callable[[], None]] = [
            self._build_actions,
            self._build_history,
            self._build_directory,
            self._build_finishing_touches,
        ]
        self._warm_ups: list[Callable[[], None]] = [
            self._lay_out_hidden,
            lambda: self._prerender(self._splitter.widget(0)),
            lambda: self._prerender(self.tabs),
            lambda: self._prerender(self.centralWidget()),
        ]
        self._part_timer = QTimer(self)
        self._part_timer.setSingleShot(True)
        self._part_timer.setInterval(0)
        self._part_timer.timeout.connect(self._build_next_part)

        self._lay_out()
        self._set_tab_order()
        self.shortcuts = self._make_shortcuts()
        self.help_button.clicked.connect(self.show_help)
        model.signed_in_changed.connect(lambda _old, _new: self._update_who())
        model.missed_calls_changed.connect(lambda _old, _new: self._missed_changed())
        self._update_who()
        self._missed_changed()
        self.resize(900, 640)
        self._part_timer.start()

    # ------------------------------------------------------------------ parts built later

    @property
    def picker(self) -> TargetPicker:
        if self._picker is None:
            self._build(self._build_actions)
        assert self._picker is not None
        return self._picker

    @property
    def actions_panel(self) -> LineActions:
        if self._actions_panel is None:
            self._build(self._build_actions)
        assert self._actions_panel is not None
        return self._actions_panel

    @property
    def history(self) -> HistoryView:
        if self._history is None:
            self._build(self._build_history)
        assert self._history is not None
        return self._history

    @property
    def directory_view(self) -> DirectoryView:
        if self._directory_view is None:
            self._build(self._build_directory)
        assert self._directory_view is not None
        return self._directory_view

    @property
    def pending_logs(self) -> PendingLogs:
        if self._pending_logs is None:
            self._build(self._build_finishing_touches)
        assert self._pending_logs is not None
        return self._pending_logs

    @property
    def complete(self) -> bool:
        """Every part is built."""
        return not self._parts

    def finish_building(self) -> None:
        """Build every part still waiting, now."""
        while self._parts:
            self._build(self._parts[0])

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt's name)
        if visible:
            self.finish_building()  # the agent never sees a part arrive
            self._warm_ups.clear()  # what they prepare the showing does now
        super().setVisible(visible)

    def _build_next_part(self) -> None:
        if self._parts:
            self._build(self._parts[0])
        elif self._warm_ups and not self.isVisible():
            self._warm_ups.pop(0)()
        if self._parts or (self._warm_ups and not self.isVisible()):
            self._part_timer.start()

    def _lay_out_hidden(self) -> None:
        """The window's native window, style and layout done while it is hidden, not in the
        turn that shows it (showing then maps it: ~2 ms instead of ~4)."""
        self.winId()
        self.ensurePolished()
        layout = self.layout()
        if layout is not None:
            layout.activate()

    def _prerender(self, area: QWidget | None) -> None:
        """Paint ``area`` of the hidden window once, into a pixmap thrown away: the icons'
        pixmaps (SVG rendering, the disabled buttons' greyed copies), the glyphs and the
        style's pixmaps are then in Qt's caches, and the window's first paint when the agent
        signs in costs ~5 ms less (of ~10)."""
        if area is not None:
            area.grab()

    def _build(self, part: Callable[[], None]) -> None:
        if part in self._parts:
            self._parts.remove(part)
            part()
            self._set_tab_order()
            if not self._parts:
                # The calls part gets the height the tabs' minimum leaves (as QSplitter shared
                # it out when the window was built in one go): QSplitter read its parts' size
                # hints when they were added, before the later parts came.
                tabs = self.tabs.minimumSizeHint().height()
                self._splitter.setSizes([1_000_000, tabs])

    def _build_actions(self) -> None:
        """The selected line's actions under the lines, and the transfer picker beside them
        (hidden until asked)."""
        self._picker = TargetPicker(self.model, self.directory, self)
        self._actions_panel = LineActions(self.model, self.lines, self._picker, self)
        self._calls_row.addWidget(self._picker)
        self._actions_slot.addWidget(self._actions_panel)

    def _build_history(self) -> None:
        page = self._pages[HISTORY_TAB]
        self._history = HistoryView(self.model, page)
        layout = page.layout()
        assert layout is not None
        layout.addWidget(self._history)  # it reads the history itself
        self.tabs.setTabIcon(HISTORY_TAB, icon("history"))

    def _build_directory(self) -> None:
        page = self._pages[DIRECTORY_TAB]
        self._directory_view = DirectoryView(self.model, self.directory, page)
        layout = page.layout()
        assert layout is not None
        layout.addWidget(self._directory_view)
        self.tabs.setTabIcon(DIRECTORY_TAB, icon("directory"))

    def _build_finishing_touches(self) -> None:
        """The call-log count (hidden while zero), the clear buttons of the fields (shown only
        once there is text to clear) and the window's icon (the task bar's)."""
        self._pending_logs = PendingLogs(self.model, self)
        self.statusBar().addPermanentWidget(self._pending_logs)
        self.dial.number.setClearButtonEnabled(True)
        self.picker.target.setClearButtonEnabled(True)
        self.setWindowIcon(icon("call"))

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
        self._calls_row.addWidget(self.lines, 1)
        right = QVBoxLayout()
        right.addLayout(self._calls_row, 1)
        right.addLayout(self._actions_slot)
        middle = QHBoxLayout()
        middle.addWidget(self.dial)
        middle.addLayout(right, 1)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(middle)
        scroll = _CallsArea(upper, self)
        splitter = self._splitter = QSplitter(Qt.Orientation.Vertical, self)
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
        actions, the tabs, and the state switch last. Set again as each part is built."""
        chain: list[QWidget] = [self.dial.number, self.dial.call_button]
        chain += list(self.dial.pad.buttons.values())
        chain += [self.lines]
        if (actions := self._actions_panel) is not None and (picker := self._picker):
            chain += list(actions.buttons.values())
            chain += [picker.target, picker.suggestions, picker.ok_button, picker.cancel_button]
        chain += [self.tabs]
        if (history := self._history) is not None:
            chain += [history.search, history.filter, history.table, history.redial_button]
        if (directory := self._directory_view) is not None:
            chain += [directory.search, directory.list, directory.call_button]
            chain += [directory.refresh_button]
        chain += [self.agent_state.ready_button, self.agent_state.not_ready_button]
        chain += [self.agent_state.extend_button, self.registration.details_button]
        chain += [self.messages.dismiss, self.help_button, self.settings_button]
        chain += [self.sign_out_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _make_shortcuts(self) -> dict[Action, QShortcut]:
        handlers: dict[Action, Callable[[], None]] = {
            Action.HELP: self.show_help,
            Action.FOCUS_NUMBER: self.dial.focus_number,
            Action.READY: self.model.set_ready,
            Action.NOT_READY: self.agent_state.choose_not_ready,
            Action.EXTEND_WRAP_UP: self.model.extend_wrap_up,
            Action.ANSWER: self._on_actions(LineActions.answer_selected),
            Action.DECLINE: self._on_actions(LineActions.decline),
            Action.HANG_UP: self._on_actions(LineActions.hang_up),
            Action.HOLD: self._on_actions(LineActions.toggle_hold),
            Action.SWAP: self.model.swap,
            Action.MUTE: self._on_actions(LineActions.toggle_mute),
            Action.KEYPAD: self._on_actions(LineActions.toggle_keypad),
            Action.TRANSFER: self._on_actions(LineActions.transfer),
            Action.CONSULT: self._on_actions(LineActions.consult),
            Action.CONFERENCE: self._on_actions(LineActions.conference),
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

    def _on_actions(self, method: Callable[[LineActions], None]) -> Callable[[], None]:
        """A shortcut to the line actions (built at once if the key comes before them)."""
        return lambda: method(self.actions_panel)

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

    def _tab_changed(self, index: int) -> None:
        if index == DIRECTORY_TAB:
            self._build(self._build_directory)  # shown before its turn came: now
        self._history_seen()

    def _history_seen(self) -> None:
        """The agent looks at the history: the missed calls are seen."""
        if self.history_visible() and self.isActiveWindow():
            if self._history is not None:  # else it reads the history when it is built
                self._history.refresh_soon()
            if self.model.state.missed_calls:
                self.model.mark_missed_seen()

    def _missed_changed(self) -> None:
        missed = self.model.state.missed_calls
        text = (
            translate("MainWindow", "History ({missed} missed)").format(missed=missed)
            if missed
            else translate("MainWindow", "History")
        )
        self.tabs.setTabText(HISTORY_TAB, text)
        self.tabs.setTabToolTip(HISTORY_TAB, with_key(text, Action.HISTORY))
        if self._history is not None:
            self._history.refresh_soon()
        if missed:
            self._history_seen()

    def _update_who(self) -> None:
        signed_in = self.model.state.signed_in
        if signed_in is None:
            self.who.setText(translate("MainWindow", "Not signed in"))
            return
        session = signed_in.session
        parts = [
            session.display_name or session.login,
            translate("MainWindow", "ext {extension}").format(extension=session.extension),
        ]
        if session.group:
            parts.append(session.group)
        if signed_in.offline:
            parts.append(translate("MainWindow", "offline start"))
        self.who.setText(" · ".join(parts))

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowActivate:
            self._history_seen()
        elif kind == QEvent.Type.Show:
            self._paint_in_stages()
        handled = super().event(event)
        if self._later_stages and kind in (QEvent.Type.Paint, QEvent.Type.UpdateRequest):
            self._stage_timer.start()  # this stage is on the screen: the next in a turn of its own
        return handled

    def _paint_in_stages(self) -> None:
        """The window's first paint after it shows, in three turns of the loop instead of one:
        the top and the lines, then the keypad and the line's actions, then the history and
        directory tabs (the later ones with their updates off until their turn). All in one
        took 15-18 ms of the GUI thread at sign-in (perf: the style's frames and buttons), past
        a frame; the two later turns follow within a few milliseconds."""
        later = [self.dial, self._actions_panel, self.tabs]
        # All of them again, also those a show hidden again before its paint left waiting.
        self._later_stages = [w for w in later if w is not None]
        for widget in self._later_stages:
            widget.setUpdatesEnabled(False)

    def _paint_next_stage(self) -> None:
        if self._later_stages:
            self._later_stages.pop(0).setUpdatesEnabled(True)  # which asks for its paint

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.help_panel is not None:
            self.help_panel.close()
        super().closeEvent(event)
