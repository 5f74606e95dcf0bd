"""The incoming-call panel on the rig: a far end calls the agent, who is typing in another
window; the panel shows the caller without taking the keyboard, and closes with the ringing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from communicator.core.calls import CallId, CallState
from communicator.core.line_view import LineView
from communicator.ui.desktop.incoming_panel import IncomingCallPanel
from communicator.ui.desktop.shortcuts import Action, keys_for
from communicator.ui.session import SessionModel
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.ui.desktop.shown import wait_shown
from tests.ui.helpers import AGENT_URI, Desk, far_end, ring_agent, sign_in, state_of

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]


class Crm(QWidget):
    """Another window the agent types in."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("CRM")
        self.notes = QLineEdit(self)
        QVBoxLayout(self).addWidget(self.notes)


def typing_in_crm(qtbot: Any, panel: IncomingCallPanel) -> Crm:
    crm = Crm()
    qtbot.addWidget(crm)
    crm.addActions(list(panel.shortcut_actions()))  # what the desktop does for its windows
    with qtbot.waitExposed(crm):
        crm.show()
    crm.activateWindow()
    crm.notes.setFocus()
    qtbot.waitUntil(crm.notes.hasFocus, timeout=3000)
    qtbot.keyClicks(crm.notes, "customer says")
    return crm


def panel_for(qtbot: Any, desk: Desk) -> IncomingCallPanel:
    panel = IncomingCallPanel(desk.model)
    qtbot.addWidget(panel)
    desk.model.incoming_call.connect(panel.show_call)
    return panel


def press(qtbot: Any, widget: QWidget, action: Action) -> None:
    qtbot.keySequence(widget, keys_for(action))


@dataclass
class Ringing:
    model: SessionModel
    panel: IncomingCallPanel
    far: Any
    call_id: CallId
    crm: Crm | None


def ringing(
    qtbot: Any, deployment: Deployment, desk: Desk, peer_factory: Any, *, crm: bool = False
) -> Ringing:
    """The agent signed in (typing in the CRM when ``crm``), a far end ringing, the panel up."""
    model = desk.model
    sign_in(model, deployment, qtbot)
    panel = panel_for(qtbot, desk)
    notes = typing_in_crm(qtbot, panel) if crm else None
    far = far_end(peer_factory, deployment)
    view: LineView = ring_agent(qtbot, model, far)
    assert view.call_id is not None
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    return Ringing(model, panel, far, view.call_id, notes)


def test_the_panel_shows_the_caller_keeps_the_focus_away_and_answers_by_key(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    panel = panel_for(qtbot, desk)
    crm = typing_in_crm(qtbot, panel)
    far = far_end(peer_factory, deployment)

    view = ring_agent(qtbot, model, far)
    wait_shown(qtbot, panel)
    assert panel.call_id == view.call_id
    assert "2002" in panel.caller_label.text() + panel.number_label.text()
    assert panel.line_label.text() == f"Line {view.number}"
    assert panel.answer_button.text().replace("&", "") == "Answer"
    assert panel.keys_label.isVisible()  # the keys shown, not only in the tooltips
    assert panel.keys_label.text() == "F5 answers, Shift+F5 declines"
    screen = panel.screen().availableGeometry()
    assert screen.contains(panel.frameGeometry()), "the whole panel is on the screen"
    interface = QAccessible.queryAccessibleInterface(panel)
    assert interface is not None
    assert "2002" in interface.text(QAccessible.Text.Description)
    # The agent keeps typing where they were.
    qtbot.waitUntil(lambda: QApplication.activeWindow() is crm and crm.notes.hasFocus())
    qtbot.keyClicks(crm.notes, " hello")
    assert crm.notes.text() == "customer says hello"

    since = far.mark()
    press(qtbot, crm.notes, Action.ANSWER)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=5000)
    assert state_of(model, view.call_id) is CallState.CONNECTED
    wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "CONFIRMED", since=since)
    assert crm.notes.hasFocus()
    model.hangup(view.call_id)


def test_the_panel_closes_when_the_caller_hangs_up(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    call = ringing(qtbot, deployment, desk, peer_factory)
    model, panel = call.model, call.panel
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        call.far.command("hangup", call_id="all")
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    assert panel.call_id is None


def test_the_panel_closes_when_the_call_is_answered_elsewhere(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    """Answered from the main window (any other way than the panel): the panel goes."""
    call = ringing(qtbot, deployment, desk, peer_factory)
    model, panel = call.model, call.panel
    model.answer(call.call_id)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)
    model.hangup(call.call_id)


def test_a_second_call_offers_to_answer_and_hold_the_current_one(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    panel = panel_for(qtbot, desk)
    crm = typing_in_crm(qtbot, panel)
    first_far = far_end(peer_factory, deployment)
    second_far = far_end(peer_factory, deployment, "2003")

    first = ring_agent(qtbot, model, first_far)
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    qtbot.mouseClick(panel.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state_of(model, first.call_id) is CallState.CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=3000)

    second_far.call(AGENT_URI)
    qtbot.waitUntil(panel.isVisible, timeout=5000)
    second = panel.call_id
    assert second is not None and second != first.call_id
    assert "2003" in panel.caller_label.text() + panel.number_label.text()
    assert panel.answer_button.text().replace("&", "") == "Answer and hold the current call"
    assert crm.notes.hasFocus()

    press(qtbot, crm.notes, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, second) is CallState.CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: state_of(model, first.call_id) is CallState.HELD, timeout=5000)
    assert not panel.isVisible()
    model.hangup(second)
    qtbot.waitUntil(lambda: model.view_of(second) is None, timeout=5000)
    model.resume(first.call_id)
    model.hangup(first.call_id)


def test_decline_by_key_rejects_the_call(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    call = ringing(qtbot, deployment, desk, peer_factory, crm=True)
    model, panel, crm = call.model, call.panel, call.crm
    assert crm is not None
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        press(qtbot, crm.notes, Action.DECLINE)
    assert not panel.isVisible() and model.view_of(call.call_id) is None
