"""Signing out from the main window, and the call logs the status bar counts: waiting to be sent
while the server is away, refused by the server (rig tests)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from communicator.core.calls import CallState
from communicator.ui.desktop.main_window import MainWindow
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.ui.helpers import Desk, far_end, ring_agent, state_of


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_sign_out_without_calls_signs_out_at_once(
    signed_in: MainWindow, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    button = signed_in.sign_out_button
    assert button.isEnabled()
    with qtbot.waitSignal(model.signed_out, timeout=15000):
        click(qtbot, button)
        assert button.confirm is None, "nothing to confirm without calls"
    assert model.state.signed_in is None
    assert not button.isEnabled(), "nothing to sign out of any more"


def test_sign_out_with_a_call_asks_first_and_cancel_keeps_the_call(
    signed_in: MainWindow, center: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    far = far_end(peer_factory, center, "2002")
    view = ring_agent(qtbot, model, far)
    model.answer(view.call_id)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)

    button = signed_in.sign_out_button
    click(qtbot, button)
    box = button.confirm
    assert box is not None and box.isVisible()
    assert "ends your call" in box.text()
    click(qtbot, box.button(QMessageBox.StandardButton.Cancel))
    qtbot.waitUntil(lambda: button.confirm is None)
    assert model.state.signed_in is not None
    assert state_of(model, view.call_id) is CallState.CONNECTED

    since = far.mark()
    click(qtbot, button)
    box = button.confirm
    assert box is not None
    with qtbot.waitSignal(model.signed_out, timeout=15000):
        click(qtbot, box.button(QMessageBox.StandardButton.Yes))
    wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "DISCONNECTED", since=since)
    assert model.state.signed_in is None


def test_the_status_bar_counts_logs_the_server_refused(
    signed_in: MainWindow, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    workstation = desk.workstation
    assert workstation is not None and model.state.signed_in is not None
    assert not signed_in.pending_logs.isVisible()
    bad = {
        "direction": "outbound",
        "remote": "sip:200@example.com",
        "started_at": "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: refused
    }
    with qtbot.waitSignal(model.refused_logs_changed, timeout=10000):
        workstation.outbox.add(
            model.state.signed_in.session.owner, "0b6f3c2e-1d7a-4c55-9e43-5a1f2b3c4d5e", bad
        )
        workstation.sender.wake()
    qtbot.waitUntil(signed_in.pending_logs.isVisible)
    assert "1 call log refused by the server, kept for support" in signed_in.pending_logs.text()
    assert "waiting" not in signed_in.pending_logs.text()


def test_the_status_bar_counts_logs_waiting_for_the_server_until_they_are_sent(
    signed_in: MainWindow, center: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model, site = desk.model, center.site
    workstation = desk.workstation
    assert workstation is not None
    far = far_end(peer_factory, center, "2002")
    far.command("auto_answer", enabled=True, code=200)
    assert not signed_in.pending_logs.isVisible()

    site.stop()  # Kamailio reads the server's database itself: calls still go through
    call_id = model.place_call("2002")
    assert call_id is not None
    qtbot.waitUntil(lambda: state_of(model, call_id) is CallState.CONNECTED, timeout=5000)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        model.hangup(call_id)
    qtbot.waitUntil(signed_in.pending_logs.isVisible, timeout=5000)
    assert signed_in.pending_logs.text() == "1 call log waiting to be sent"
    assert model.state.pending_logs == 1

    site.start()
    workstation.sender.wake()  # not its backoff's next try: now
    qtbot.waitUntil(lambda: not signed_in.pending_logs.isVisible(), timeout=15000)
    assert model.state.pending_logs == 0
    api = site.api
    report = api.ok(
        site.http.get("/api/v1/admin/reports/calls", params={"agent": "anna"}, headers=api.h)
    )
    assert report["total"] == 1
