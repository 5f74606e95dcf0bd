"""The incoming-call panel: raised over every window, never modal, never taking the keyboard.

An agent types in a CRM when a call comes in; a popup that grabs the focus sends their next
keystrokes to the wrong place (the complaint softphone users file most). The panel is a tool
window that stays on top, does not accept focus and shows without activating; its buttons
take mouse clicks only, and its keys (answer, decline: `shortcuts.SHORTCUTS`) are QActions the
desktop adds to its own windows, so they work wherever the agent is in Communicator.

It follows ``model.lines_changed``: the moment its call stops ringing (answered here or
elsewhere, cancelled by the caller, ended) it shows the next ringing call or closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAccessible, QAccessibleEvent, QAction, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from communicator.core.calls import CallState
from communicator.ui.desktop.shortcuts import Action, keys_for, shortcut_for, with_key
from communicator.ui.i18n import translate

if TYPE_CHECKING:
    from communicator.core.calls import CallId
    from communicator.core.line_view import LineView
    from communicator.ui.session import SessionModel

SCREEN_MARGIN = 16
"""Pixels between the panel and the screen's corner (bottom right, near the tray)."""


class IncomingCallPanel(QWidget):
    """One panel for the session; `show_call` shows a ringing line, the model closes it."""

    def __init__(self, model: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.call_id: CallId | None = None
        self._typing_in: QWidget | None = None
        """Our window the agent was in when the panel showed (it keeps the keyboard)."""
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWindowTitle(translate("IncomingCallPanel", "Incoming call - Communicator"))
        self.setAccessibleName(translate("IncomingCallPanel", "Incoming call"))

        self.title = QLabel(translate("IncomingCallPanel", "Incoming call"), self)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.caller_label = QLabel(self)
        bigger = self.caller_label.font()
        bigger.setPointSizeF(bigger.pointSizeF() * 1.3)
        self.caller_label.setFont(bigger)
        self.number_label = QLabel(self)
        self.line_label = QLabel(self)
        self.group_label = QLabel(self)
        self.group_label.setTextFormat(Qt.TextFormat.PlainText)  # a name from the network
        self.group_label.setVisible(False)
        for label, name in (
            (self.title, translate("IncomingCallPanel", "Incoming call")),
            (self.caller_label, translate("IncomingCallPanel", "Caller")),
            (self.number_label, translate("IncomingCallPanel", "Caller's number")),
            (self.line_label, translate("IncomingCallPanel", "Line")),
            (self.group_label, translate("IncomingCallPanel", "Group")),
        ):
            label.setAccessibleName(name)

        self.answer_action = QAction(translate("IncomingCallPanel", "Answer"), self)
        self.answer_action.setShortcut(keys_for(Action.ANSWER))
        self.answer_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.answer_action.triggered.connect(self.answer)
        self.decline_action = QAction(translate("IncomingCallPanel", "Decline"), self)
        self.decline_action.setShortcut(keys_for(Action.DECLINE))
        self.decline_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.decline_action.triggered.connect(self.decline)
        self.addActions([self.answer_action, self.decline_action])

        self.answer_button = QPushButton(translate("IncomingCallPanel", "&Answer"), self)
        self.answer_button.clicked.connect(self.answer)
        self.decline_button = QPushButton(translate("IncomingCallPanel", "&Decline"), self)
        self.decline_button.clicked.connect(self.decline)
        for button, action, what in (
            (self.answer_button, Action.ANSWER, translate("IncomingCallPanel", "Answer this call")),
            (
                self.decline_button,
                Action.DECLINE,
                translate("IncomingCallPanel", "Decline this call"),
            ),
        ):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays where it was
            button.setToolTip(with_key(what, action))
            button.setAccessibleDescription(button.toolTip())

        # The keys on the panel itself: an agent answers without the mouse, and should not
        # have to hover a button to learn how.
        self.keys_label = QLabel(
            translate("IncomingCallPanel", "{answer} answers, {decline} declines").format(
                answer=shortcut_for(Action.ANSWER).shown(),
                decline=shortcut_for(Action.DECLINE).shown(),
            ),
            self,
        )
        self.keys_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # a quiet hint
        self.keys_label.setAccessibleName(translate("IncomingCallPanel", "Keys"))

        details = QVBoxLayout()
        for label in (
            self.title,
            self.caller_label,
            self.number_label,
            self.line_label,
            self.group_label,
        ):
            details.addWidget(label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.decline_button)
        layout = QVBoxLayout(self)
        layout.addLayout(details)
        layout.addLayout(buttons)
        layout.addWidget(self.keys_label)
        self.setMinimumWidth(300)
        model.lines_changed.connect(self._lines_changed)

    def shortcut_actions(self) -> tuple[QAction, QAction]:
        """Answer and decline, for a window whose keys should also reach this panel (add them
        with ``window.addActions``; only where that window has no answer/decline keys of its
        own, or the key is ambiguous and does nothing)."""
        return self.answer_action, self.decline_action

    # ------------------------------------------------------------------ showing

    def show_call(self, view: LineView) -> None:
        """Show (or update the panel for) a ringing line; raised, without taking the focus."""
        if view.call is None or not view.ringing_in:
            return
        call = view.call
        self.call_id = call.call_id
        name, number = call.remote.display_name.strip(), call.remote.number
        self.caller_label.setText(
            name or number or translate("IncomingCallPanel", "Unknown caller")
        )
        self.number_label.setText(number if name and number else "")
        self.number_label.setVisible(bool(name and number))
        self.line_label.setText(
            translate("IncomingCallPanel", "Line {line}").format(line=view.number)
        )
        group = call.group.name if call.group is not None else None
        via = translate("IncomingCallPanel", "via {group}")
        self.group_label.setText(via.format(group=group) if group else "")
        self.group_label.setVisible(group is not None)
        self._update_answer_text()
        about = translate("IncomingCallPanel", "Call from {caller}").format(
            caller=self.caller_label.text()
        )
        if name and number:
            about += f", {number}"
        about += ", " + translate("IncomingCallPanel", "on line {line}").format(line=view.number)
        if group:
            about += ", " + via.format(group=group)
        self.setAccessibleDescription(about)
        self.caller_label.setAccessibleDescription(about)
        self.adjustSize()
        if not self.isVisible():
            self._place()
            self._typing_in = QApplication.activeWindow()
        self.show()
        self.raise_()
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def event(self, event: QEvent) -> bool:
        """Some platforms (and window managers) activate a new window whatever its hints: the
        activation goes straight back to the window the agent was typing in."""
        if event.type() == QEvent.Type.WindowActivate:
            previous = self._typing_in
            if previous is not None and previous is not self and previous.isVisible():
                previous.activateWindow()
        return super().event(event)

    def _place(self) -> None:
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        # The size the panel will have (adjustSize honours the minimum width; the size hint
        # does not), so it sits wholly on the screen.
        size = self.size().expandedTo(self.sizeHint())
        self.move(
            QPoint(
                area.right() - size.width() - SCREEN_MARGIN,
                area.bottom() - size.height() - SCREEN_MARGIN,
            )
        )

    def _on_a_call(self) -> bool:
        """Another line has a call the agent is talking on (answering holds it)."""
        return any(
            v.call is not None
            and v.call.call_id != self.call_id
            and v.call.state is CallState.CONNECTED
            for v in self.model.state.lines
        )

    def _update_answer_text(self) -> None:
        if self._on_a_call():
            text, about = (
                translate("IncomingCallPanel", "&Answer and hold the current call"),
                translate("IncomingCallPanel", "Answer; the current call is held"),
            )
        else:
            text, about = (
                translate("IncomingCallPanel", "&Answer"),
                translate("IncomingCallPanel", "Answer the call"),
            )
        self.answer_button.setText(text)
        self.answer_button.setAccessibleName(text.replace("&", ""))
        self.answer_button.setAccessibleDescription(with_key(about, Action.ANSWER))
        self.answer_button.setToolTip(with_key(about, Action.ANSWER))
        self.decline_button.setAccessibleName(translate("IncomingCallPanel", "Decline"))
        self.decline_button.setAccessibleDescription(
            with_key(translate("IncomingCallPanel", "Decline the call"), Action.DECLINE)
        )
        self.decline_button.setToolTip(
            with_key(translate("IncomingCallPanel", "Decline the call"), Action.DECLINE)
        )

    def _lines_changed(self, _old: object, lines: tuple[LineView, ...]) -> None:
        if self.call_id is None:
            return
        mine = next((v for v in lines if v.call_id == self.call_id), None)
        if mine is not None and mine.ringing_in:
            self._update_answer_text()
            return
        following = next((v for v in lines if v.ringing_in), None)
        if following is not None:
            self.show_call(following)
        else:
            self.dismiss()

    # ------------------------------------------------------------------ the agent's answer

    def answer(self) -> None:
        if self.call_id is not None and self.isVisible():
            self.model.answer(self.call_id)

    def decline(self) -> None:
        if self.call_id is not None and self.isVisible():
            self.model.reject(self.call_id)

    def dismiss(self) -> None:
        self.call_id = None
        self.hide()
