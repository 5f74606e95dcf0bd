"""The windows in Polish and in English, as the language setting installs them at start: the
sign-in window (and a sign-in failure from the real server), the incoming-call panel for a far
end that really rings, the main window of an agent signed in on the real server, and Qt's own
buttons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.i18n import install_translators
from tests.rig.deployment import Deployment
from tests.ui.desktop.test_incoming_panel import ringing
from tests.ui.desktop.test_sign_in_window import fail_with, shown, type_in
from tests.ui.helpers import Desk, sign_in
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
    window.show()
    qtbot.waitExposed(window)
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


def test_qt_standard_buttons_follow_the_language(polish: None, qtbot: Any) -> None:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Anuluj"
