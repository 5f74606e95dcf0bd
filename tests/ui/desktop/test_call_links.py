"""Call links and call keys on the real rig, through the `Desktop`: a ``sip:`` link given at
start dials the far end once the agent has signed in; by default a link fills the number field
(Enter then calls); a malformed link dials nothing and says why on the message channel. The
headset's keys (Qt's call keys, media play/pause) answer and hang up from any window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from communicator.core.calls import CallState
from communicator.core.messages import MessageLevel
from communicator.ui.desktop.controller import Desktop
from tests.rig.deployment import AGENT_PW, SIP_DOMAIN, Deployment
from tests.sip.helpers import wait_peer
from tests.ui.desktop.shown import wait_shown
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in, state_of

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]


@pytest.fixture
def make_desktop(qapp: Any, deployment: Deployment) -> Iterator[Any]:
    made: list[Desktop] = []

    def make(**options: Any) -> Desktop:
        desktop = Desktop(
            server_url=deployment.site.url, login="anna", save_settings=False, **options
        )
        made.append(desktop)
        return desktop

    yield make
    for desktop in made:
        desktop.close()


def press_key(widget: QWidget, key: Qt.Key) -> None:
    """The key as the system delivers it (QTest cannot type call keys: it has no text for them)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier))


def busy_lines(desk: Desk) -> list[int]:
    return [view.number for view in desk.model.state.lines if not view.free]


def test_a_sip_link_given_at_start_dials_the_far_end_once_signed_in(
    deployment: Deployment, desk: Desk, make_desktop: Any, peer_factory: Any, qtbot: Any
) -> None:
    far = far_end(peer_factory, deployment)
    far.command("auto_answer")
    desktop = make_desktop(links_dial=True)
    desktop.open_link(f"sip:2002@{SIP_DOMAIN}?subject=ignored")  # the command line
    desktop.attach(desk.model)
    assert desktop.links is not None and desktop.links.pending is not None
    assert busy_lines(desk) == []
    with qtbot.waitSignal(desktop.links.dialled, timeout=15000) as dialled:
        desk.model.sign_in(deployment.site.url, "anna", AGENT_PW)
    assert dialled.args[0].target == f"sip:2002@{SIP_DOMAIN}"
    incoming = wait_peer(qtbot, far, "incoming_call")
    assert "2001" in str(incoming)  # the agent calls
    call_id = desk.model.line(1).call_id
    qtbot.waitUntil(lambda: state_of(desk.model, call_id) is CallState.CONNECTED, timeout=5000)
    assert desktop.links.pending is None


def test_a_link_handed_over_fills_the_number_field_and_enter_calls(
    deployment: Deployment, desk: Desk, make_desktop: Any, peer_factory: Any, qtbot: Any
) -> None:
    far = far_end(peer_factory, deployment)
    desktop = make_desktop()  # links fill the field by default
    desktop.attach(desk.model)
    sign_in(desk.model, deployment, qtbot)
    window = desktop.main_window
    assert window is not None
    window.hide()
    assert desktop.links is not None
    with qtbot.waitSignal(desktop.links.filled, timeout=2000):
        desktop.handle_arguments(["--ignored-option", "tel:20-02"])
    wait_shown(qtbot, window)  # a second launch brings the window up
    assert window.dial.number.text() == "2002"
    assert busy_lines(desk) == []  # nothing dialled by itself
    since = far.mark()
    qtbot.keyClick(window.dial.number, Qt.Key.Key_Return)
    wait_peer(qtbot, far, "incoming_call", since=since)


def test_a_malformed_link_dials_nothing_and_says_why(
    deployment: Deployment, desk: Desk, make_desktop: Any, qtbot: Any
) -> None:
    desktop = make_desktop(links_dial=True)
    desktop.open_link("sip:2002")  # before the model: told once it exists
    desktop.attach(desk.model)
    sign_in(desk.model, deployment, qtbot)
    told = [m for m in desk.model.messages if "user@host" in m.text]
    assert told and told[0].level is MessageLevel.WARNING
    assert desktop.main_window is not None
    with qtbot.waitSignal(desk.model.message_posted, timeout=1000) as posted:
        desktop.handle_arguments(["tel:call-me"])
    assert "does not hold a phone number" in posted.args[0].text
    latest = desktop.main_window.messages.latest
    assert latest is not None and latest.text == posted.args[0].text
    assert busy_lines(desk) == []
    assert desktop.links is not None and desktop.links.pending is None


def test_headset_keys_answer_and_hang_up_from_any_window(
    deployment: Deployment, desk: Desk, make_desktop: Any, peer_factory: Any, qtbot: Any
) -> None:
    desktop = make_desktop()
    desktop.attach(desk.model)
    model = desk.model
    sign_in(model, deployment, qtbot)
    window = desktop.main_window
    assert window is not None
    wait_shown(qtbot, window)
    far = far_end(peer_factory, deployment)

    view = ring_agent(qtbot, model, far)
    press_key(window.dial.number, Qt.Key.Key_Call)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        press_key(window.dial.number, Qt.Key.Key_Hangup)

    model.set_ready()  # ends the wrap-up: the next call rings
    view = ring_agent(qtbot, model, far)  # the one-button headset: play/pause
    press_key(window, Qt.Key.Key_MediaTogglePlayPause)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        press_key(window, Qt.Key.Key_ToggleCallHangup)
    assert ended.args[0].answered

    model.set_ready()
    view = ring_agent(qtbot, model, far)  # hang up on a ringing call declines it
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        press_key(window, Qt.Key.Key_Hangup)
    assert not ended.args[0].answered and not ended.args[0].missed
    assert window.dial.number.text() == ""  # the keys typed nothing

    # Another window of ours is the active one (a dialog, the transfer picker): the keys work
    # there too.
    model.set_ready()
    view = ring_agent(qtbot, model, far)
    other = QWidget(window, Qt.WindowType.Dialog)
    other.show()

    def active() -> bool:  # the agent clicks it (the ringing panel may take the focus first)
        other.activateWindow()
        return QApplication.activeWindow() is other

    qtbot.waitUntil(active, timeout=2000)
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        press_key(other, Qt.Key.Key_Hangup)
    assert not ended.args[0].answered
    other.close()
    other.deleteLater()

    # A menu of ours is open (the Not ready reasons, a list dropping down): its keys stop at it.
    model.set_ready()
    view = ring_agent(qtbot, model, far)
    menu = QMenu(window)
    menu.addAction("Lunch")
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(lambda: QApplication.focusWindow() is menu.windowHandle(), timeout=2000)
    with qtbot.waitSignal(model.call_ended, timeout=5000) as ended:
        press_key(menu, Qt.Key.Key_Hangup)
    assert not ended.args[0].answered
    menu.close()
