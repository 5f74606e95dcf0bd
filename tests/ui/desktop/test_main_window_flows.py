"""The agent's day in the main window on the real rig, by keys and clicks: the agent state round
trip (Ready, a call, Wrap-up with its countdown and Extend, Ready; Not ready with a reason from
the profile; "Not ready - no answer" with one key back to Ready), the lost-connection banner
while Kamailio is down, the registration details (contact, transport, expiry, server), the
history (missed badge, search, filter, call back; a declined call is rejected, not missed) and
the directory (search, click to call)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu

from communicator.core.agent_state import AgentState
from communicator.core.calls import CallState, EndReason
from communicator.core.line_view import LineView
from communicator.core.registration import LOST_CONNECTION_MESSAGE
from communicator.provisioning.history import HistoryOutcome
from communicator.ui.desktop.main_window import DIRECTORY_TAB, HISTORY_TAB, MainWindow
from communicator.ui.desktop.shortcuts import Action, keys_for
from communicator.ui.session import SessionModel
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.ui.desktop.conftest import COLLEAGUE, COLLEAGUE_NAME, WRAP_UP_S
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in, state_of

pytestmark = [
    pytest.mark.rig,
    pytest.mark.timeout(90),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def press(qtbot: Any, window: MainWindow, action: Action) -> None:
    qtbot.keySequence(window, keys_for(action))


def answered_by_key(qtbot: Any, window: MainWindow, model: SessionModel, caller: Any) -> LineView:
    view = ring_agent(qtbot, model, caller)
    press(qtbot, window, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    return view


def seconds_left(text: str) -> int:
    """``"0:19 left"`` -> 19."""
    match = re.fullmatch(r"(\d+):(\d\d) left", text)
    assert match is not None, text
    return int(match[1]) * 60 + int(match[2])


def cell(table: QAbstractItemView, row: int, column: int) -> str:
    """The text the table shows in that cell."""
    text = table.model().index(row, column).data()
    return "" if text is None else str(text)


def choose_in_menu(qtbot: Any, menu: QMenu, label: str) -> None:
    """Once ``menu`` pops up (it runs its own loop), the agent picks ``label`` with Enter."""

    def pick() -> None:
        if not menu.isVisible():
            QTimer.singleShot(20, pick)
            return
        menu.setActiveAction(next(a for a in menu.actions() if a.text() == label))
        qtbot.keyPress(menu, Qt.Key.Key_Return)  # the menu closes on the press

    QTimer.singleShot(0, pick)


def test_ready_a_call_wrap_up_with_countdown_extend_then_ready(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    switch = window.agent_state
    assert switch.state_label.text() == "Ready"
    assert not switch.ready_button.isEnabled() and switch.not_ready_button.isEnabled()
    assert switch.extend_button.isHidden()
    assert switch.time_label.text().endswith("in state")

    view = answered_by_key(qtbot, window, model, far_end(peer_factory, center))
    qtbot.waitUntil(lambda: switch.state_label.text() == "On a call", timeout=2000)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: switch.state_label.text() == "Wrap-up", timeout=5000)
    assert model.line(view.number).free
    assert not switch.extend_button.isHidden() and switch.extend_button.isEnabled()
    assert switch.ready_button.isEnabled()
    first = seconds_left(switch.time_label.text())
    assert 0 < first <= WRAP_UP_S
    qtbot.waitUntil(lambda: seconds_left(switch.time_label.text()) < first, timeout=3000)

    press(qtbot, window, Action.EXTEND_WRAP_UP)
    qtbot.waitUntil(lambda: seconds_left(switch.time_label.text()) > WRAP_UP_S, timeout=2000)
    assert model.state.agent.state is AgentState.WRAP_UP

    press(qtbot, window, Action.READY)  # ends the wrap-up early
    qtbot.waitUntil(lambda: switch.state_label.text() == "Ready", timeout=2000)
    assert model.state.ready
    assert switch.extend_button.isHidden()
    assert not switch.ready_button.isEnabled()


def test_not_ready_with_a_reason_from_the_profile_and_back(
    center: Deployment, desk: Desk, signed_in: MainWindow, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    switch = window.agent_state
    assert list(switch.reason_actions()) == ["lunch", "training"]
    assert [a.text() for a in switch.reason_menu.actions()] == ["Lunch", "Training"]

    choose_in_menu(qtbot, switch.reason_menu, "Training")
    with qtbot.waitSignal(model.agent_changed, timeout=5000):
        press(qtbot, window, Action.NOT_READY)  # two reasons: the list opens
    assert model.state.agent.state is AgentState.NOT_READY
    assert model.state.agent.reason == "training"
    assert switch.state_label.text() == "Not ready: Training"
    assert not switch.not_ready_button.isEnabled() and switch.ready_button.isEnabled()

    qtbot.mouseClick(switch.ready_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: switch.state_label.text() == "Ready", timeout=2000)
    assert model.state.ready


def test_an_unanswered_ring_leaves_not_ready_no_answer_and_one_key_returns_to_ready(
    center: Deployment, desk: Desk, main_window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    center.patch_agent({"no_answer_s": 1})
    window, model = main_window, desk.model
    sign_in(model, center, qtbot)
    switch = window.agent_state
    far = far_end(peer_factory, center)

    ring_agent(qtbot, model, far)
    qtbot.waitUntil(lambda: switch.state_label.text() == "Not ready - no answer", timeout=5000)
    assert switch.ready_button.text() == "Back to Ready"
    assert switch.ready_button.isDefault() and switch.ready_button.isEnabled()
    qtbot.waitUntil(window.messages.isVisible, timeout=2000)
    assert "missed a call" in window.messages.text.text()
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        far.command("hangup", call_id="all")
    assert switch.state_label.text() == "Not ready - no answer", "only the agent leaves it"

    press(qtbot, window, Action.READY)
    qtbot.waitUntil(lambda: switch.state_label.text() == "Ready", timeout=2000)
    assert model.state.agent.state is AgentState.READY
    assert switch.ready_button.text() == "Ready" and not switch.ready_button.isDefault()


def test_the_lost_connection_banner_shows_while_kamailio_is_down_and_clears_when_it_returns(
    center: Deployment, desk: Desk, main_window: MainWindow, qtbot: Any
) -> None:
    expiry = 4
    center.patch_account({"register_expiry_s": expiry, "register_refresh_s": 2})
    window, model = main_window, desk.model
    sign_in(model, center, qtbot)
    banner, bar = window.banner, window.registration
    assert banner.isHidden()
    assert bar.status.text().startswith("Phone connected")

    center.kamailio.stop()
    qtbot.waitUntil(banner.isVisible, timeout=(expiry + 2) * 1000)
    assert banner.text.text() == LOST_CONNECTION_MESSAGE
    assert banner.text.accessibleName() == LOST_CONNECTION_MESSAGE
    assert bar.status.text().startswith("Phone not connected"), bar.status.text()
    assert bar.light.accessibleDescription() == "Not connected"

    center.kamailio.start()
    qtbot.waitUntil(banner.isHidden, timeout=15000)
    assert bar.status.text().startswith("Phone connected")
    assert model.state.registered


def registration_left(details: str) -> int:
    """The registration details' ``..., 287 s left)`` -> 287."""
    match = re.search(r", (\d+) s left\)", details)
    assert match is not None, details
    return int(match[1])


def test_the_registration_details_show_the_contact_transport_expiry_and_server(
    center: Deployment, desk: Desk, main_window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    """Seed 002's "Current Registration": the contact the far end sees in the agent's INVITE,
    the transport, the account's expiry and the server, in the details pane and on hover."""
    center.patch_account({"register_expiry_s": 300})
    window, model = main_window, desk.model
    sign_in(model, center, qtbot)
    bar = window.registration
    assert bar.details.isHidden()
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    assert bar.details.isVisible() and bar.details_button.isChecked()

    far = far_end(peer_factory, center, "2002")
    since = far.mark()
    call_id = model.place_call("2002")
    assert call_id is not None
    invite = wait_peer(qtbot, far, "incoming_call", since=since)
    contact = re.search(r"@([^:;>]+):(\d+)", invite["remote_contact"])
    assert contact is not None, invite["remote_contact"]
    host, port = contact[1], contact[2]

    lines = bar.details.text().splitlines()
    assert lines[:2] == [f"Contact: {host}:{port}", "Transport: UDP"], lines
    expires = re.fullmatch(
        r"Expires: every 300 s \(next at (\d\d):(\d\d):(\d\d), (\d+) s left\)", lines[2]
    )
    assert expires is not None, lines
    left = int(expires[4])
    assert 280 <= left <= 300, lines  # registered a moment ago (the details were read since)
    due = time.localtime(time.time() + left)  # the time of day the agent reads: the wall clock's
    shown_s = int(expires[1]) * 3600 + int(expires[2]) * 60 + int(expires[3])
    due_s = due.tm_hour * 3600 + due.tm_min * 60 + due.tm_sec
    assert min(abs(shown_s - due_s), 86400 - abs(shown_s - due_s)) <= 2, (lines, due)
    assert lines[3:] == ["Server: 127.0.0.1"], lines
    assert bar.status.toolTip() == bar.details.text()
    assert bar.status.text() == f"Phone connected (UDP {host}:{port} → 127.0.0.1)"
    assert bar.details.accessibleDescription() == bar.details.text()

    # Open, the pane counts down; closed, the tooltip still tells the time left when it shows.
    qtbot.waitUntil(lambda: registration_left(bar.details.text()) < left, timeout=3000)
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    assert bar.details.isHidden()
    before = registration_left(bar.status.toolTip())
    current = model.state.registration.current
    assert current is not None
    qtbot.waitUntil(lambda: current.expires_at - time.monotonic() < before, timeout=3000)
    spot = bar.status.rect().center()
    QApplication.sendEvent(
        bar.status, QHelpEvent(QEvent.Type.ToolTip, spot, bar.status.mapToGlobal(spot))
    )
    assert registration_left(bar.status.toolTip()) < before
    model.hangup(call_id)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)


def test_history_missed_badge_search_filter_and_call_back(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    tabs = window.tabs
    press(qtbot, window, Action.DIRECTORY)  # the agent looks elsewhere: the history is unseen
    assert tabs.currentIndex() == DIRECTORY_TAB
    missed_caller = far_end(peer_factory, center, "2003")
    ring_agent(qtbot, model, missed_caller)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        missed_caller.command("hangup", call_id="all")
    qtbot.waitUntil(lambda: tabs.tabText(HISTORY_TAB) == "History (1 missed)", timeout=5000)

    answered = far_end(peer_factory, center, "2002")
    answered_by_key(qtbot, window, model, answered)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        press(qtbot, window, Action.HANG_UP)
    assert tabs.tabText(HISTORY_TAB) == "History (1 missed)"

    press(qtbot, window, Action.HISTORY)
    assert tabs.currentIndex() == HISTORY_TAB
    qtbot.waitUntil(lambda: tabs.tabText(HISTORY_TAB) == "History", timeout=2000)
    assert model.state.missed_calls == 0
    history = window.history
    assert history.search.hasFocus()
    shown = ["Answered", "Missed"]  # the history is read again in a turn of its own
    qtbot.waitUntil(lambda: [cell(history.table, r, 4) for r in range(2)] == shown, timeout=2000)
    assert [cell(history.table, r, 3) for r in range(2)] == ["2002", "2003"]

    qtbot.keyClicks(history.search, "2003")
    assert [e.outcome for e in history.entries] == [HistoryOutcome.MISSED]
    assert history.table.model().rowCount() == 1
    history.search.clear()
    history.filter.setFocus()
    qtbot.keyClick(history.filter, Qt.Key.Key_Down)  # All calls -> Answered
    assert history.filter.currentText() == "Answered"
    assert [e.number for e in history.entries] == ["2002"]
    history.set_filter(None)
    assert history.table.model().rowCount() == 2

    history.table.selectRow(1)  # the missed caller
    history.refresh()  # as the window's activation does right after a click: the choice stays
    since = missed_caller.mark()
    qtbot.mouseClick(history.redial_button, Qt.MouseButton.LeftButton)
    wait_peer(qtbot, missed_caller, "incoming_call", since=since)
    qtbot.waitUntil(lambda: window.lines.row_text(1)[1] == "Ringing", timeout=5000)
    assert window.lines.row_text(1)[3] == "2003"
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)


def test_a_declined_call_shows_as_rejected_in_the_history_and_is_not_missed(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    tabs = window.tabs
    press(qtbot, window, Action.DIRECTORY)  # the history unseen: a missed call would count
    caller = far_end(peer_factory, center, "2003")
    ring_agent(qtbot, model, caller)
    since = caller.mark()
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        press(qtbot, window, Action.DECLINE)
    record = ended.args[0]
    assert record.end_reason is EndReason.REJECTED and not record.missed
    wait_peer(qtbot, caller, "call_state", lambda e: e["state"] == "DISCONNECTED", since=since)
    assert model.state.missed_calls == 0
    assert tabs.tabText(HISTORY_TAB) == "History"

    press(qtbot, window, Action.HISTORY)
    history = window.history
    qtbot.waitUntil(lambda: history.table.model().rowCount() == 1, timeout=2000)
    assert [cell(history.table, 0, c) for c in (1, 3, 4)] == ["In", "2003", "Rejected"]
    history.set_filter(HistoryOutcome.REJECTED)
    assert [e.number for e in history.entries] == ["2003"]
    history.set_filter(HistoryOutcome.MISSED)
    assert history.table.model().rowCount() == 0
    history.set_filter(None)


def test_directory_search_and_click_to_call(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    colleague = far_end(peer_factory, center, COLLEAGUE)
    press(qtbot, window, Action.DIRECTORY)
    view = window.directory_view
    assert window.tabs.currentIndex() == DIRECTORY_TAB and view.search.hasFocus()
    rows = view.list.model()
    qtbot.waitUntil(lambda: rows.rowCount() >= 3, timeout=5000)  # anna, bert, Support
    qtbot.keyClicks(view.search, "bert")
    assert [rows.index(i, 0).data() for i in range(rows.rowCount())] == [
        f"{COLLEAGUE_NAME} (Support) · {COLLEAGUE}"
    ]
    since = colleague.mark()
    qtbot.mouseClick(view.call_button, Qt.MouseButton.LeftButton)
    wait_peer(qtbot, colleague, "incoming_call", since=since)
    qtbot.waitUntil(lambda: window.lines.row_text(1)[1] == "Ringing", timeout=5000)
    # Whom the agent picked shows with the number, on the line and then in the history.
    assert window.lines.row_text(1)[2:4] == (COLLEAGUE_NAME, COLLEAGUE)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)
    (last, *_) = model.history()
    assert (last.name, last.number) == (COLLEAGUE_NAME, COLLEAGUE)

    # A double-click on the entry calls too (QTest's double-click needs the first click).
    spot = view.list.visualRect(rows.index(0, 0)).center()
    since = colleague.mark()
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    wait_peer(qtbot, colleague, "incoming_call", since=since)
    qtbot.waitUntil(lambda: not model.line(1).free, timeout=5000)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)

    # An administrator's change to the agent's profile keeps the directory in sight (it was
    # emptied and fetched again at each update); it is fetched afresh when next shown.
    shown = [rows.index(i, 0).data() for i in range(rows.rowCount())]
    with qtbot.waitSignal(model.signed_in_changed, timeout=5000) as updated:
        center.patch_account({"min_call_log_s": 7})
    assert updated.args[1].profile.agent.min_call_log_seconds == 7
    assert [rows.index(i, 0).data() for i in range(rows.rowCount())] == shown
    window.tabs.setCurrentIndex(0)
    with qtbot.waitSignal(model.directory_loaded, timeout=5000):
        window.tabs.setCurrentIndex(DIRECTORY_TAB)
