"""The windows in Polish and in English, as the language setting installs them at start: the
sign-in window (and a sign-in failure from the real server), the incoming-call panel for a far
end that really rings, the main window of an agent signed in on the real server, what comes
from below the UI (an engine notice, the call-quality tooltip, a history date, the registration's
last problem), and Qt's own buttons."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from communicator.core.call_record import CallRecord
from communicator.core.notices import NoticeCode
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.i18n import install_translators
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.ui.desktop.test_incoming_panel import ringing
from tests.ui.desktop.test_sign_in_window import fail_with, shown, type_in
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in
from tests.ui.test_translations import build_translations

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]


@pytest.fixture
def polish(qapp: Any) -> Iterator[None]:
    build_translations()
    assert install_translators("pl", qapp) == "pl"
    try:
        yield
    finally:
        install_translators("en", qapp)


def test_the_sign_in_window_speaks_polish(
    polish: None, deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    assert window.windowTitle() == "Logowanie - Communicator"
    assert window.sign_in_button.text() == "Za&loguj"
    assert window.remember_box.text() == "&Zapamiętaj mnie na tym komputerze"
    assert window.password_field.accessibleName() == "Hasło"
    type_in(qtbot, window, deployment.site.url, "anna", "wrong horse")
    fail_with(qtbot, window)
    assert window.message_label.text() == "Nieprawidłowa nazwa użytkownika lub hasło."


def test_the_sign_in_window_speaks_english_without_a_translator(qtbot: Any, qapp: Any) -> None:
    install_translators("en", qapp)
    window = SignInWindow(server_url="https://pbx.example.com")
    qtbot.addWidget(window)
    assert window.windowTitle() == "Sign in - Communicator"
    assert window.sign_in_button.text() == "&Sign in"


def test_the_incoming_panel_speaks_polish(
    polish: None, deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    call = ringing(qtbot, deployment, desk, peer_factory)
    panel = call.panel
    view = next(v for v in call.model.state.lines if v.call_id == call.call_id)
    assert panel.windowTitle() == "Połączenie przychodzące - Communicator"
    assert panel.title.text() == "Połączenie przychodzące"
    assert panel.line_label.text() == f"Linia {view.number}"
    assert panel.answer_button.text() == "&Odbierz"
    assert panel.decline_button.text() == "O&drzuć"
    assert panel.accessibleDescription().startswith("Połączenie od: ")
    call.model.reject(call.call_id)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=5000)


def test_the_main_window_speaks_polish(
    polish: None, deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    window = MainWindow(desk.model)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    assert window.who.text() == "Niezalogowany"
    sign_in(desk.model, deployment, qtbot)
    switch = window.agent_state
    assert switch.state_label.text() == "Gotowy"
    assert switch.ready_button.text() == "Gotowy"
    assert switch.not_ready_button.text() == "Niegotowy"
    assert switch.time_label.text().endswith(" w tym statusie")
    assert "wew. " in window.who.text()
    actions = window.actions_panel.buttons
    assert actions["Hold"].text() == "Wstrzymaj"
    assert actions["Swap"].text() == "Przełącz"
    assert actions["Transfer"].text() == "Przekaż"
    assert window.tabs.tabText(0) == "Historia"
    assert window.tabs.tabText(1) == "Książka adresowa"
    assert window.registration.status.text().startswith("Telefon połączony")
    assert window.dial.call_button.text() == "Zadzwoń"
    window.close()


POLISH_MONTHS = ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru")
"""Qt's (CLDR's) short month names in Polish."""


def test_what_comes_from_below_the_ui_speaks_polish(
    polish: None, deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    """A notice of the engine (a hold the far end refuses), the call-quality tooltip, a date of
    the history and the registration's last problem (Kamailio gone) are Polish, not English."""
    expiry = 4
    deployment.patch_account({"register_expiry_s": expiry, "register_refresh_s": 2})
    model = desk.model
    window = MainWindow(model)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    view = ring_agent(qtbot, model, far)
    model.answer(view.call_id)
    far_call = int(wait_peer(qtbot, far, "media_state")["call_id"])
    far.command("play_tone", call_id=far_call, freq=440)

    # An engine notice, by its code: the far end refuses the hold.
    far.command("reinvite_answer", code=488)
    model.hold(view.call_id)
    messages = window.messages

    def refused() -> bool:
        latest = messages.latest
        return latest is not None and latest.code is NoticeCode.HOLD_FAILED

    qtbot.waitUntil(refused, timeout=10000)
    assert messages.text.text() == (
        f"Nie udało się wstrzymać połączenia na linii {view.number} (488): rozmowa nadal trwa"
    )
    assert "could not" not in messages.text.toolTip()

    # The quality light's figures, with Polish words and decimal commas.
    lines = window.lines
    qtbot.waitUntil(lambda: lines.quality_tip(view.number) != "", timeout=10000)
    tip = lines.quality_tip(view.number)
    assert tip.startswith("Jakość połączenia: ")
    assert "Odbierane: straty 0,0 %" in tip
    assert "Kodek: PCMU" in tip
    assert "Received" not in tip and "Codec" not in tip

    # A call of the history from another day: the month's name in Polish.
    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        model.hangup(view.call_id)
    record: CallRecord = ended.args[0]
    signed_in = model.state.signed_in
    assert signed_in is not None and desk.workstation is not None
    earlier = record.created_at - 40 * 86400
    desk.workstation.history.add(
        signed_in.session.owner,
        replace(record, record_id=uuid.uuid4(), created_at=earlier),
        logged=True,
    )
    history = window.history
    history.search.setText(record.remote.number)  # the agent searches: the list is read again
    qtbot.waitUntil(lambda: len(history.entries) == 2, timeout=5000)
    when = str(history.table.model().index(1, 0).data())
    month = POLISH_MONTHS[time.localtime(earlier).tm_mon - 1]
    assert f" {month} " in when, when

    # The registration's last problem while the SIP server is away.
    deployment.kamailio.stop()
    banner, bar = window.banner, window.registration
    qtbot.waitUntil(banner.isVisible, timeout=(expiry + 12) * 1000)
    assert banner.text.text() == "Telefon SIP utracił połączenie z systemem"
    problem = banner.text.toolTip()
    assert problem.startswith(("Serwer SIP", "Nie można", "Brak udanego", "Rejestracja")), problem
    assert "SIP server" not in problem
    assert f"Ostatni problem: {problem}" in bar.status.toolTip()
    window.close()


def test_the_session_tells_the_agent_in_polish(
    polish: None, deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    """The session's own messages, and a command the core refuses (by its code)."""
    window = MainWindow(desk.model)
    qtbot.addWidget(window)
    messages = window.messages
    desk.model.choose_devices(microphone=None, speaker=None, ringer=None)  # no sound here
    qtbot.waitUntil(lambda: messages.latest is not None, timeout=5000)
    assert messages.text.text() == "Dźwięk jest wyłączony w tej sesji."
    sign_in(desk.model, deployment, qtbot)
    assert desk.model.place_call("12a!") is None
    qtbot.waitUntil(lambda: messages.latest is not None and messages.latest.code is not None)
    assert messages.text.text() == (
        "'12a!' nie jest numerem telefonu, numerem wewnętrznym ani adresem SIP"
    )


def test_qt_standard_buttons_follow_the_language(polish: None, qtbot: Any) -> None:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Anuluj"
