"""Calls in the main window on the real rig: one row per line up to the profile's Max Phone Lines
(state, the caller's name and number, the call timer), answer by shortcut, hold and resume, two
lines with swap, DTMF heard by the far end, and buttons enabled exactly from `LineView.allowed`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from communicator.core.calls import CallState
from communicator.core.line_view import AGENT_OPERATIONS, LineView
from communicator.core.lines import Operation
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.shortcuts import Action, keys_for
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in, state_of

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def window(desk: Desk, qtbot: Any) -> Iterator[MainWindow]:
    w = MainWindow(desk.model)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    yield w
    w.close()


def press(qtbot: Any, window: MainWindow, action: Action) -> None:
    """Press the action's key (from the one shortcut table) in the window."""
    qtbot.keySequence(window, keys_for(action))


def wait_dtmf(qtbot: Any, peer: Any, key: str, since: int) -> str:
    """The digit the far end heard once it hears `key`."""
    event = wait_peer(qtbot, peer, "dtmf", lambda e: bool(e["digit"] == key), since=since)
    return str(event["digit"])


def assert_buttons_follow(window: MainWindow, view: LineView) -> None:
    window.lines.select_line(view.number)
    assert window.lines.selected_number == view.number
    assert window.actions_panel.enabled_operations() == view.allowed
    for name, operation in window.actions_panel.operations.items():
        if operation is not None:
            assert window.actions_panel.buttons[name].isEnabled() == view.can(operation), name


def test_every_agent_operation_has_a_button() -> None:
    from communicator.ui.desktop.widgets.line_actions import _BUTTONS

    assert {op for *_rest, op, _a in _BUTTONS if op is not None} == set(AGENT_OPERATIONS)


def timer_seconds(text: str) -> int:
    """``"0:07"`` -> 7."""
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_one_row_per_line_with_the_callers_name_and_number_and_a_running_timer(
    deployment: Deployment, desk: Desk, window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    deployment.patch_account({"max_lines": 3})  # the profile's Max Phone Lines
    model = desk.model
    sign_in(model, deployment, qtbot)
    table = window.lines
    assert table.rowCount() == 3
    assert [table.row_text(n)[:2] for n in (1, 2, 3)] == [
        ("Line 1", "Free"),
        ("Line 2", "Free"),
        ("Line 3", "Free"),
    ]
    carol = peer_factory(
        "carol", account="2002", server=deployment.kamailio, display_name="Carol Customer"
    )
    view = ring_agent(qtbot, model, carol)
    assert table.row_text(view.number)[1:4] == ("Incoming", "Carol Customer", "2002")

    press(qtbot, window, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    assert table.row_text(view.number)[1:4] == ("Talking", "Carol Customer", "2002")
    first = timer_seconds(table.row_text(view.number)[4])
    assert first <= 1
    qtbot.waitUntil(
        lambda: timer_seconds(table.row_text(view.number)[4]) >= first + 2, timeout=4000
    )

    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(view.number).free, timeout=5000)
    assert table.row_text(view.number)[1:6] == ("Free", "", "", "", "")
    assert table.rowCount() == 3


def test_answer_by_shortcut_hold_resume_and_the_buttons_follow_allowed(
    deployment: Deployment, desk: Desk, window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    view = ring_agent(qtbot, model, far)
    ringing = model.view_of(view.call_id)
    assert ringing is not None and ringing.ringing_in
    assert window.lines.row_text(1)[1] == "Incoming"
    assert window.lines.row_text(1)[3] == "2002"
    assert_buttons_follow(window, ringing)

    since = far.mark()
    press(qtbot, window, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "CONFIRMED", since=since)
    connected = model.view_of(view.call_id)
    assert connected is not None
    assert_buttons_follow(window, connected)
    assert window.lines.row_text(1)[1] == "Talking"

    press(qtbot, window, Action.HOLD)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.HELD, timeout=5000)
    held = model.view_of(view.call_id)
    assert held is not None and held.held
    qtbot.waitUntil(lambda: "Held" in window.lines.row_text(1)[5], timeout=2000)
    assert_buttons_follow(window, held)

    qtbot.mouseClick(window.actions_panel.buttons["Resume"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)

    press(qtbot, window, Action.MUTE)
    qtbot.waitUntil(lambda: model.line(1).muted, timeout=2000)
    assert "Muted" in window.lines.row_text(1)[5]
    assert window.actions_panel.buttons["Mute"].text() == "Unmute"
    press(qtbot, window, Action.MUTE)
    qtbot.waitUntil(lambda: not model.line(1).muted, timeout=2000)

    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)
    assert window.lines.row_text(1)[1] == "Free"
    assert window.actions_panel.enabled_operations() == frozenset()


def test_two_lines_with_swap_and_dtmf_heard_by_the_far_end(
    deployment: Deployment, desk: Desk, window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    first_far = far_end(peer_factory, deployment, "2002")
    second_far = far_end(peer_factory, deployment, "2003")

    first = ring_agent(qtbot, model, first_far)
    press(qtbot, window, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, first.call_id) is CallState.CONNECTED, timeout=5000)

    second = ring_agent(qtbot, model, second_far)
    assert second.number == 2
    assert window.lines.selected_number == 1  # the talking call stays selected
    press(qtbot, window, Action.ANSWER)  # answers the ringing line 2 and holds line 1
    qtbot.waitUntil(
        lambda: (
            state_of(model, second.call_id) is CallState.CONNECTED
            and state_of(model, first.call_id) is CallState.HELD
        ),
        timeout=5000,
    )
    assert window.lines.row_text(1)[1] == "On hold"
    assert window.lines.row_text(2)[1] == "Talking"
    assert window.lines.selected_number == 2  # the selection follows the talking call
    assert window.actions_panel.buttons["Swap"].isEnabled()

    resumed = first_far.mark()
    press(qtbot, window, Action.SWAP)
    qtbot.waitUntil(
        lambda: (
            state_of(model, first.call_id) is CallState.CONNECTED
            and state_of(model, second.call_id) is CallState.HELD
        ),
        timeout=5000,
    )
    held = model.view_of(second.call_id)
    assert held is not None
    assert_buttons_follow(window, held)

    # DTMF on line 1 (talking again, its media back): the keypad's keys reach the far end.
    wait_peer(qtbot, first_far, "media_state", lambda e: e["state"] == "active", since=resumed)
    window.lines.select_line(1)
    qtbot.mouseClick(window.actions_panel.buttons["Keypad"], Qt.MouseButton.LeftButton)
    keypad = window.actions_panel.keypad
    assert not keypad.isHidden()
    since = first_far.mark()
    for key in "4#":
        qtbot.mouseClick(keypad.pad.buttons[key], Qt.MouseButton.LeftButton)
    digits = [wait_dtmf(qtbot, first_far, key, since) for key in "4#"]
    assert digits == ["4", "#"]
    assert keypad.sent.text() == "Sent: 4#"

    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.view_of(first.call_id) is None, timeout=5000)
    window.lines.select_line(2)
    model_view = model.view_of(second.call_id)
    assert model_view is not None and model_view.can(Operation.RESUME)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)
