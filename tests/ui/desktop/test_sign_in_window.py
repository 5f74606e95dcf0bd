"""The sign-in window on the real session model and a real provisioning server (and, for the
successful sign-in, the rig's Kamailio): what the agent types, what they see, where the focus
goes when something must be fixed (each failure: wrong password, unknown server, unreachable,
certificate, no free number, disabled), and the offline start an unreachable server offers
where the admin allows it."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QWidget

from communicator.provisioning.client import ErrorKind, ProvisioningClient
from communicator.provisioning.credentials import CredentialStore
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.session import SessionModel
from communicator.workstation import Workstation
from tests.client.site import Site
from tests.credentials.memory_backend import MemoryKeyring
from tests.rig.deployment import AGENT_PW, Deployment
from tests.rig.kamailio import generate_certificate
from tests.server.conftest import LiveServer
from tests.ui.helpers import Desk, sign_in

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def shown(qtbot: Any, window: QWidget) -> None:
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def type_in(qtbot: Any, window: SignInWindow, server: str, login: str, password: str) -> None:
    for field, text in (
        (window.server_field, server),
        (window.login_field, login),
        (window.password_field, password),
    ):
        field.clear()
        qtbot.keyClicks(field, text)


def fail_with(qtbot: Any, window: SignInWindow, timeout: int = 15000) -> Any:
    """Press Enter in the password field; the failure the model reports."""
    assert window.model is not None
    with qtbot.waitSignal(window.model.sign_in_failed, timeout=timeout) as failed:
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    return failed.args[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nobody listens there


def name_of(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return str(interface.text(QAccessible.Text.Name))


def test_the_agent_signs_in_with_the_keyboard_and_sees_progress(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    window = SignInWindow(model, server_url=deployment.site.url, login="anna")
    shown(qtbot, window)
    assert window.first_field() is window.password_field  # the rest is prefilled
    busy: list[bool] = []
    model.signing_in_changed.connect(lambda _old, new: busy.append(window.progress.isVisible()))
    qtbot.keyClicks(window.password_field, AGENT_PW)
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    assert busy[0] is True  # the progress row showed while signing in
    assert model.state.signed_in is not None
    assert not window.progress.isVisible() and not window.message_label.isVisible()


def test_a_wrong_password_focuses_the_password(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, deployment.site.url, "anna", "wrong horse")
    failure = fail_with(qtbot, window)
    assert window.message_label.isVisible()
    assert "password" in window.message_label.text().lower()
    assert "wrong horse" not in window.message_label.text()
    qtbot.waitUntil(window.password_field.hasFocus)
    assert window.password_field.selectedText() == "wrong horse"  # type over it
    assert failure.message in window.message_label.accessibleDescription()


def test_an_unknown_user_focuses_the_password(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    """The server does not say which of the two was wrong (no user-name probing)."""
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, deployment.site.url, "nobody", AGENT_PW)
    fail_with(qtbot, window)
    assert "user name or password" in window.message_label.text().lower()
    qtbot.waitUntil(window.password_field.hasFocus)


def test_a_disabled_agent_focuses_the_user_name(site: Site, desk: Desk, qtbot: Any) -> None:
    site.api.agent("carl", password=AGENT_PW, active=False)
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, site.url, "carl", AGENT_PW)
    fail_with(qtbot, window)
    assert "disabled" in window.message_label.text()
    qtbot.waitUntil(window.login_field.hasFocus)


def test_an_unreachable_server_focuses_the_server_address(desk: Desk, qtbot: Any) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, f"http://127.0.0.1:{closed_port()}", "anna", AGENT_PW)
    failure = fail_with(qtbot, window)
    assert not failure.offline_possible  # never signed in here: nothing saved to start from
    assert "cannot be reached" in window.message_label.text()
    assert not window.offline_button.isVisible()
    qtbot.waitUntil(window.server_field.hasFocus)


def test_an_unknown_server_focuses_the_server_address(desk: Desk, qtbot: Any) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, "https://pbx.example.invalid", "anna", AGENT_PW)
    fail_with(qtbot, window)
    assert "pbx.example.invalid" in window.message_label.text()
    qtbot.waitUntil(window.server_field.hasFocus)


def test_a_malformed_address_focuses_the_server_address(desk: Desk, qtbot: Any) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, "ftp://pbx", "anna", AGENT_PW)
    fail_with(qtbot, window, timeout=1000)
    assert "server address" in window.message_label.text().lower()
    qtbot.waitUntil(window.server_field.hasFocus)
    assert not desk.model.state.signing_in


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[str]:
    """A real provisioning server over HTTPS whose certificate no system CA signed (a private
    CA the workstation was not given): its address."""
    cert, key = generate_certificate(tmp_path / "tls", common_name="localhost")
    server = LiveServer(
        f"sqlite:///{tmp_path / 'https.sqlite3'}",
        tmp_path,
        "--ssl-certfile",
        str(cert),
        "--ssl-keyfile",
        str(key),
        verify=ssl.create_default_context(cafile=str(cert)),
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_a_certificate_problem_focuses_the_server_address(
    https_server: str, desk: Desk, qtbot: Any
) -> None:
    window = SignInWindow(desk.model)
    shown(qtbot, window)
    type_in(qtbot, window, https_server, "anna", AGENT_PW)
    failure = fail_with(qtbot, window)
    assert failure.kind is ErrorKind.TLS and not failure.offline_possible
    text = window.message_label.text()
    assert text.startswith(f"Secure connection to {https_server} failed ("), text
    assert "(self-signed certificate)" in text, "OpenSSL's words, not CERTIFICATE_VERIFY_FAILED"
    assert text.endswith(
        "Check the server address, or ask IT for the server's certificate authority."
    )
    assert AGENT_PW not in text
    qtbot.waitUntil(window.server_field.hasFocus)
    assert window.server_field.selectedText() == https_server  # type over it
    assert not window.offline_button.isVisible()


def test_an_unreachable_server_offers_the_saved_settings_where_the_admin_allows_it(
    site: Site, kamailio_factory: Any, tmp_path: Path, desk: Desk, qtbot: Any
) -> None:
    center = Deployment(
        site, kamailio_factory, tmp_path, group_fields={"allow_offline_start": True}
    )
    model = desk.model
    sign_in(model, center, qtbot)  # the last sign-in here: its settings are kept
    with qtbot.waitSignal(model.signed_out, timeout=15000):
        model.sign_out()
    site.stop()

    window = SignInWindow(model)
    shown(qtbot, window)
    type_in(qtbot, window, site.url, "anna", AGENT_PW)
    failure = fail_with(qtbot, window)
    assert failure.offline_possible
    text = window.message_label.text()
    assert "cannot be reached" in text
    assert text.endswith("You can start with the settings saved at your last sign-in here.")
    assert window.offline_button.isVisible() and window.offline_button.isEnabled()
    qtbot.waitUntil(window.server_field.hasFocus)
    assert name_of(window.offline_button) == "Start with saved settings"

    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.mouseClick(window.offline_button, Qt.MouseButton.LeftButton)
    signed_in = model.state.signed_in
    assert signed_in is not None and signed_in.offline
    assert signed_in.session.login == "anna"
    qtbot.waitUntil(lambda: model.state.registered, timeout=5000)  # Kamailio reads the database
    main = MainWindow(model)
    qtbot.addWidget(main)
    assert main.who.text().endswith("offline start")


def test_no_free_number_leaves_the_fields_alone_and_enter_tries_again(
    site: Site, desk: Desk, qtbot: Any
) -> None:
    site.api.agent("pooled1", password=AGENT_PW)
    site.api.agent("pooled2", password=AGENT_PW)
    site.api.account(None, sip_server="127.0.0.1")  # one pool number for two agents
    with ProvisioningClient(site.url) as client:
        first = client.sign_in("pooled1", AGENT_PW)  # takes the only number
        window = SignInWindow(desk.model)
        shown(qtbot, window)
        type_in(qtbot, window, site.url, "pooled2", AGENT_PW)
        fail_with(qtbot, window)
        assert "No free number" in window.message_label.text()
        qtbot.waitUntil(window.sign_in_button.hasFocus)
        client.sign_out(first)


def test_signing_in_can_be_cancelled(desk: Desk, qtbot: Any) -> None:
    """A server that accepts the connection and never answers: the agent cancels."""
    model = desk.model
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        window = SignInWindow(model)
        shown(qtbot, window)
        type_in(qtbot, window, f"http://127.0.0.1:{silent.getsockname()[1]}", "anna", "pw")
        with qtbot.waitSignal(model.signing_in_changed, timeout=2000):
            qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
        assert window.progress.isVisible() and window.cancel_button.isVisible()
        failed: list[Any] = []
        model.sign_in_failed.connect(failed.append)
        with qtbot.waitSignal(model.signing_in_changed, timeout=2000):
            qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        assert not model.state.signing_in and model.state.signed_in is None
        assert not window.progress.isVisible()
        assert window.password_field.isEnabled() and window.sign_in_button.isEnabled()
        assert "cancelled" in window.message_label.text()
    assert failed == []  # the abandoned attempt never reports


@pytest.fixture
def keyring_desk(engine_factory: Any, tmp_path: Path, qapp: Any) -> Iterator[Any]:
    store = CredentialStore(MemoryKeyring())
    workstation = Workstation(
        engine=engine_factory(),
        data_dir=tmp_path / "client",
        post_to_main=MainThreadDispatcher().post,
        credentials=store,
    )
    model = SessionModel(workstation)
    try:
        yield model, store
    finally:
        model.close()
        workstation.sign_out(deliver_for=0)
        workstation.close()


@pytest.mark.parametrize("remember", [True, False])
def test_remember_me_keeps_the_password_in_the_keyring(
    deployment: Deployment, keyring_desk: Any, qtbot: Any, remember: bool
) -> None:
    model, store = keyring_desk
    window = SignInWindow(model, server_url=deployment.site.url, login="anna")
    shown(qtbot, window)
    if remember:
        qtbot.mouseClick(window.remember_box, Qt.MouseButton.LeftButton)
    assert window.remember is remember
    qtbot.keyClicks(window.password_field, AGENT_PW)
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    expected = AGENT_PW if remember else None
    assert store.recall(deployment.site.url, "anna") == expected


def test_every_control_has_a_name_and_the_tab_order_follows_the_form(qtbot: Any) -> None:
    window = SignInWindow(server_url="https://pbx.example.com")
    shown(qtbot, window)
    assert name_of(window.server_field) == "Server address"
    assert name_of(window.login_field) == "User name"
    assert name_of(window.password_field) == "Password"
    assert name_of(window.remember_box) == "Remember me"
    assert name_of(window.sign_in_button) == "Sign in"
    for widget in (window.server_field, window.login_field, window.password_field):
        assert widget.accessibleDescription()
    window.server_field.setFocus()
    qtbot.waitUntil(window.server_field.hasFocus)
    order = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [
        window.login_field,
        window.password_field,
        window.remember_box,
        window.sign_in_button,
    ]


def test_enter_before_the_phone_is_ready_signs_in_when_it_is(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    """The window shows before the application has loaded the rest: Enter waits for it."""
    window = SignInWindow(server_url=deployment.site.url, login="anna")
    shown(qtbot, window)
    qtbot.keyClicks(window.password_field, AGENT_PW)
    qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    assert window.progress.isVisible()
    with qtbot.waitSignal(desk.model.signed_in_changed, timeout=10000):
        window.attach(desk.model)
    assert desk.model.state.signed_in is not None
