"""Transfers and conference in the main window on the real rig, driven by the agent's keys and
clicks: blind transfer through the picker (a typed number, the directory, or the history),
attended transfer (consult, talk, then complete or cancel), and a conference with a third
party."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget

from communicator.core.calls import CallState, EndReason
from communicator.core.line_view import LineView
from communicator.core.lines import Operation
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.shortcuts import Action, keys_for
from communicator.ui.session import SessionModel
from tests.rig.deployment import SIP_DOMAIN, Deployment
from tests.sip.audio import assert_tones
from tests.sip.helpers import wait_peer
from tests.ui.desktop.conftest import COLLEAGUE, COLLEAGUE_NAME
from tests.ui.helpers import Desk, far_end, ring_agent, state_of

pytestmark = [
    pytest.mark.rig,
    pytest.mark.timeout(90),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def press(qtbot: Any, window: MainWindow, action: Action) -> None:
    """Press the action's key (from the one shortcut table) in the window."""
    qtbot.keySequence(window, keys_for(action))


def click(qtbot: Any, window: MainWindow, name: str) -> None:
    button = window.actions_panel.buttons[name]
    assert button.isEnabled(), f"{name} is not enabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def with_user(user: str) -> Any:
    """A far end's call now confirmed with ``user``."""
    return lambda e: e["state"] == "CONFIRMED" and f"sip:{user}@" in e["remote_uri"]


def answering(peer_factory: Any, deployment: Deployment, user: str) -> Any:
    peer = far_end(peer_factory, deployment, user)
    peer.command("auto_answer", enabled=True, code=200)
    return peer


def answered_by_key(qtbot: Any, window: MainWindow, model: SessionModel, caller: Any) -> LineView:
    """The caller rings, the agent answers with the answer key; media flows both ways."""
    view = ring_agent(qtbot, model, caller)
    since = caller.mark()
    press(qtbot, window, Action.ANSWER)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "active", since=since)
    connected = model.view_of(view.call_id)
    assert connected is not None
    return connected


def suggestion(qtbot: Any, suggestions: QListWidget, text: str) -> Any:
    """The picker's suggestion that shows ``text``, once the directory has arrived."""
    found: list[Any] = []

    def check() -> bool:
        found[:] = [
            suggestions.item(i)
            for i in range(suggestions.count())
            if text in suggestions.item(i).text()
        ]
        return bool(found)

    qtbot.waitUntil(check, timeout=5000)
    return found[0]


def test_blind_transfer_to_a_typed_number_by_key(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    target = answering(peer_factory, center, "2003")
    answered_by_key(qtbot, window, model, caller)

    press(qtbot, window, Action.TRANSFER)
    picker = window.picker
    assert picker.isVisible() and picker.purpose == "Transfer"
    assert "line 1" in picker.title.text()
    assert picker.target.hasFocus(), "the agent types the number at once"
    qtbot.keyClicks(picker.target, "20-03")
    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        qtbot.keyClick(picker.target, Qt.Key.Key_Return)
    record = ended.args[0]
    assert record.end_reason is EndReason.TRANSFERRED
    assert record.transferred_to == f"sip:2003@{SIP_DOMAIN}"
    assert not picker.isVisible()

    wait_peer(qtbot, caller, "call_state", with_user("2003"), timeout=8)
    wait_peer(qtbot, target, "call_state", with_user("2002"), timeout=8)
    qtbot.waitUntil(lambda: window.lines.row_text(1)[1] == "Free", timeout=5000)
    assert all(v.free for v in model.state.lines)
    assert window.actions_panel.enabled_operations() == frozenset()


def test_blind_transfer_to_a_colleague_chosen_from_the_directory(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    colleague = answering(peer_factory, center, COLLEAGUE)
    answered_by_key(qtbot, window, model, caller)

    click(qtbot, window, "Transfer")
    picker = window.picker
    assert picker.isVisible()
    item = suggestion(qtbot, picker.suggestions, COLLEAGUE_NAME)
    assert item.text() == f"Directory: {COLLEAGUE_NAME} (Support) · {COLLEAGUE}"
    picker.suggestions.setCurrentItem(item)
    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        qtbot.mouseClick(picker.ok_button, Qt.MouseButton.LeftButton)
    assert ended.args[0].end_reason is EndReason.TRANSFERRED
    assert ended.args[0].transferred_to == f"sip:{COLLEAGUE}@{SIP_DOMAIN}"
    wait_peer(qtbot, caller, "call_state", with_user(COLLEAGUE), timeout=8)
    wait_peer(qtbot, colleague, "call_state", with_user("2002"), timeout=8)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)
    assert window.lines.row_text(1)[1] == "Free"


def test_blind_transfer_to_a_number_chosen_from_the_history(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    target = answering(peer_factory, center, "2003")
    earlier = model.place_call("2003")  # the agent called 2003 earlier: it is in the history
    assert earlier is not None
    qtbot.waitUntil(lambda: state_of(model, earlier) is CallState.CONNECTED, timeout=5000)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        press(qtbot, window, Action.HANG_UP)
    press(qtbot, window, Action.READY)  # out of wrap-up: calls ring again
    qtbot.waitUntil(lambda: model.state.ready, timeout=2000)
    caller = far_end(peer_factory, center, "2002")
    answered_by_key(qtbot, window, model, caller)

    press(qtbot, window, Action.TRANSFER)
    picker = window.picker
    item = suggestion(qtbot, picker.suggestions, "Recent:")
    assert item.text() == "Recent: 2003 · 2003"
    recent = [
        picker.suggestions.item(i).text()
        for i in range(picker.suggestions.count())
        if picker.suggestions.item(i).text().startswith("Recent:")
    ]
    assert recent == [item.text()], "the call being transferred is not a suggestion"
    picker.suggestions.setFocus()
    picker.suggestions.setCurrentItem(item)
    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        qtbot.keyClick(picker.suggestions, Qt.Key.Key_Return)
    assert ended.args[0].end_reason is EndReason.TRANSFERRED
    assert ended.args[0].transferred_to == f"sip:2003@{SIP_DOMAIN}"
    wait_peer(qtbot, caller, "call_state", with_user("2003"), timeout=8)
    wait_peer(qtbot, target, "call_state", with_user("2002"), timeout=8)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)


def test_the_picker_closes_with_escape_and_nothing_is_transferred(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    view = answered_by_key(qtbot, window, model, caller)
    press(qtbot, window, Action.TRANSFER)
    qtbot.keyClicks(window.picker.target, "2003")
    qtbot.keyClick(window.picker.target, Qt.Key.Key_Escape)
    assert not window.picker.isVisible()
    assert state_of(model, view.call_id) is CallState.CONNECTED
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)


def consulting(
    qtbot: Any, window: MainWindow, model: SessionModel, original: LineView, dial: str
) -> LineView:
    """Shift+F9, type ``dial``, Enter: the caller is held, the consultation is answered on the
    other line, and that line is selected."""
    press(qtbot, window, Action.CONSULT)
    picker = window.picker
    assert picker.isVisible() and picker.purpose == "Consult"
    qtbot.keyClicks(picker.target, dial)
    qtbot.keyClick(picker.target, Qt.Key.Key_Return)

    def consult() -> LineView | None:
        return next(
            (v for v in model.state.lines if v.call_id not in (None, original.call_id)), None
        )

    qtbot.waitUntil(
        lambda: (
            (c := consult()) is not None
            and c.call is not None
            and c.call.state is CallState.CONNECTED
            and state_of(model, original.call_id) is CallState.HELD
        ),
        timeout=8000,
    )
    view = consult()
    assert view is not None
    assert window.lines.selected_number == view.number
    assert window.lines.row_text(original.number)[1].startswith("On hold")
    assert window.lines.row_text(view.number)[1].startswith("Talking")
    return view


def test_attended_transfer_consult_talk_then_complete(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    second_agent = answering(peer_factory, center, "2003")
    original = answered_by_key(qtbot, window, model, caller)

    held = caller.mark()
    consult = consulting(qtbot, window, model, original, "2003")
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "remote_hold", since=held)
    talk = wait_peer(qtbot, second_agent, "call_state", with_user("2001"))
    wait_peer(qtbot, second_agent, "media_state", lambda e: e["state"] == "active")
    assert window.actions_panel.buttons["Complete transfer"].isEnabled()
    assert window.actions_panel.buttons["Cancel consult"].isEnabled()
    assert consult.can(Operation.COMPLETE_TRANSFER)

    click(qtbot, window, "Complete transfer")
    wait_peer(qtbot, second_agent, "replaced", lambda e: e["call_id"] == talk["call_id"], timeout=8)
    wait_peer(qtbot, caller, "call_state", with_user("2003"), timeout=8)
    wait_peer(qtbot, second_agent, "call_state", with_user("2002"), timeout=8)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=8000)
    assert [window.lines.row_text(n)[1] for n in (1, 2)] == ["Free", "Free"]


def test_attended_transfer_cancelled_returns_to_the_caller(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    second_agent = answering(peer_factory, center, "2003")
    original = answered_by_key(qtbot, window, model, caller)
    consulting(qtbot, window, model, original, "2003")
    talk = wait_peer(qtbot, second_agent, "call_state", with_user("2001"))

    back = caller.mark()
    click(qtbot, window, "Cancel consult")
    qtbot.waitUntil(
        lambda: (
            state_of(model, original.call_id) is CallState.CONNECTED
            and sum(not v.free for v in model.state.lines) == 1
        ),
        timeout=8000,
    )
    wait_peer(
        qtbot,
        second_agent,
        "call_state",
        lambda e: e["call_id"] == talk["call_id"] and e["state"] == "DISCONNECTED",
    )
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "active", since=back)
    assert window.lines.selected_number == original.number
    assert window.lines.row_text(original.number)[1] == "Talking"
    assert window.actions_panel.buttons["Hold"].isEnabled()
    assert not window.actions_panel.buttons["Complete transfer"].isEnabled()
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)


def test_conference_with_a_third_party_everyone_hears_the_others(
    center: Deployment,
    desk: Desk,
    signed_in: MainWindow,
    peer_factory: Any,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    window, model = signed_in, desk.model
    caller = far_end(peer_factory, center, "2002")
    third = answering(peer_factory, center, "2003")
    original = answered_by_key(qtbot, window, model, caller)

    press(qtbot, window, Action.CONFERENCE)  # one call only: whom to add?
    picker = window.picker
    assert picker.isVisible() and picker.purpose == "Add"
    qtbot.keyClicks(picker.target, "2003")
    qtbot.keyClick(picker.target, Qt.Key.Key_Return)

    def in_conference() -> bool:
        calls = [v.call for v in model.state.lines if v.call is not None]
        return (
            len(calls) == 2
            and all(c.state is CallState.CONNECTED for c in calls)
            and all(c.conference_with is not None for c in calls)
        )

    qtbot.waitUntil(in_conference, timeout=10000)
    assert [window.lines.row_text(n)[1] for n in (1, 2)] == ["Talking (conference)"] * 2
    assert window.actions_panel.buttons["Split"].isEnabled()
    caller_call = original.call
    assert caller_call is not None
    third_call = wait_peer(qtbot, third, "call_state", with_user("2001"))["call_id"]
    caller_media = wait_peer(
        qtbot, caller, "media_state", lambda e: e["state"] == "active", since=0
    )["call_id"]
    wait_peer(qtbot, third, "media_state", lambda e: e["state"] == "active")

    # The model says both are connected to each other: each far end hears the other's tone.
    caller.command("play_tone", call_id=caller_media, freq=700)
    third.command("play_tone", call_id=third_call, freq=1100)
    caller_hears, third_hears = tmp_path / "caller_hears.wav", tmp_path / "third_hears.wav"
    caller.record(caller_media, caller_hears, duration_ms=1500)
    third.record(third_call, third_hears, duration_ms=1500)
    wait_peer(qtbot, caller, "recorded", timeout=6)
    wait_peer(qtbot, third, "recorded", timeout=6)
    assert_tones(caller_hears, [1100.0], [700.0])
    assert_tones(third_hears, [700.0], [1100.0])

    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: sum(not v.free for v in model.state.lines) <= 1, timeout=5000)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)


def test_conference_key_joins_the_talking_and_the_held_call(
    center: Deployment, desk: Desk, signed_in: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    window, model = signed_in, desk.model
    first_caller = far_end(peer_factory, center, "2002")
    second_caller = far_end(peer_factory, center, "2003")
    first = answered_by_key(qtbot, window, model, first_caller)
    second = ring_agent(qtbot, model, second_caller)
    press(qtbot, window, Action.ANSWER)  # answers line 2 and holds line 1
    qtbot.waitUntil(
        lambda: (
            state_of(model, second.call_id) is CallState.CONNECTED
            and state_of(model, first.call_id) is CallState.HELD
        ),
        timeout=5000,
    )
    assert window.actions_panel.buttons["Conference"].isEnabled()

    resumed = first_caller.mark()
    press(qtbot, window, Action.CONFERENCE)  # two calls: no picker, they are joined
    assert not window.picker.isVisible()
    qtbot.waitUntil(
        lambda: [window.lines.row_text(n)[1] for n in (1, 2)] == ["Talking (conference)"] * 2,
        timeout=5000,
    )
    wait_peer(qtbot, first_caller, "media_state", lambda e: e["state"] == "active", since=resumed)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: sum(not v.free for v in model.state.lines) <= 1, timeout=5000)
    press(qtbot, window, Action.HANG_UP)
    qtbot.waitUntil(lambda: all(v.free for v in model.state.lines), timeout=5000)
