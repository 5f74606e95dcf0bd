"""Hot desk (seed 004) through the sign-in window, on the real session model, provisioning
server and the rig's Kamailio: a hot-desk agent picks "this computer" or a free desk phone after
the password is accepted; with a desk phone the softphone registers nothing and the main
window says where the calls ring; a phone another agent holds is refused until it is free."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from communicator.core.agent_state import AgentState
from communicator.core.registration import RegistrationState
from communicator.provisioning.client import ProvisioningClient
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.desktop.widgets.registration import RegistrationBar
from communicator.ui.sign_in import SignInField
from tests.client.site import Site
from tests.rig.deployment import AGENT_PW, Deployment
from tests.ui.desktop.alt_keys import alt_key_clashes
from tests.ui.helpers import REASONS, Desk

pytestmark = [
    pytest.mark.rig,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

DESK_NAME = "Reception desk"


@pytest.fixture
def center(site: Site, kamailio_factory: Any, tmp_path: Any) -> Deployment:
    """Anna (hot desk), one desk phone, and Bob, another hot-desk agent with his own number."""
    deployment = Deployment(
        site,
        kamailio_factory,
        tmp_path,
        agent_fields={"hot_desk": True},
        group_fields={"not_ready_reasons": REASONS},
    )
    api = site.api
    deployment.desk_phone = api.account(  # type: ignore[attr-defined]
        None, pool=False, caller_id=DESK_NAME, sip_server="127.0.0.1", extension=301
    )
    bob = api.agent("bob", password=AGENT_PW, hot_desk=True)
    api.account(bob["id"], sip_server="127.0.0.1")
    return deployment


def desk_id(center: Deployment) -> int:
    return int(center.desk_phone["id"])  # type: ignore[attr-defined]


def shown(qtbot: Any, window: QWidget) -> None:
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def offered(qtbot: Any, window: SignInWindow) -> tuple[Any, ...]:
    """Type the password, press Enter: the phones the model offers."""
    assert window.model is not None
    qtbot.keyClicks(window.password_field, AGENT_PW)
    with qtbot.waitSignal(window.model.phone_choice_needed, timeout=10000) as needed:
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    qtbot.waitUntil(window.phone_combo.hasFocus)
    assert alt_key_clashes(window) == {}  # Continue and Cancel each have their own Alt key
    return tuple(needed.args[0])


def pick_desk_phone(qtbot: Any, window: SignInWindow) -> None:
    qtbot.keyClick(window.phone_combo, Qt.Key.Key_Down)
    assert window.phone_combo.currentText().startswith(DESK_NAME)


def agent_state_on_server(center: Deployment) -> str | None:
    api = center.site.api
    row = api.ok(center.site.http.get(f"/api/v1/admin/agents/{center.agent['id']}", headers=api.h))
    return None if row["status"] is None else str(row["status"]["state"])


def test_a_hot_desk_agent_picks_a_desk_phone_and_the_calls_ring_there(
    center: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    window = SignInWindow(model, server_url=center.site.url, login="anna")
    shown(qtbot, window)
    phones = offered(qtbot, window)
    assert [p.id for p in phones] == [desk_id(center)]
    assert window.phone_combo.isVisible() and window.phone_combo.accessibleName()
    items = [window.phone_combo.itemText(i) for i in range(window.phone_combo.count())]
    assert items == ["This computer", f"{DESK_NAME} (301)"]
    assert window.phone_combo.currentIndex() == 0  # this computer: Enter keeps the usual
    assert not window.password_field.isEnabled()  # the password was accepted
    pick_desk_phone(qtbot, window)
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.phone_combo, Qt.Key.Key_Return)

    signed_in = model.state.signed_in
    assert signed_in is not None
    assert signed_in.profile.call_center.desk_phone == DESK_NAME
    assert model.state.registration.state is RegistrationState.SIGNED_OUT  # no REGISTER sent
    bar = RegistrationBar(model)
    qtbot.addWidget(bar)
    assert bar.status.text() == f"Calls ring on {DESK_NAME}"
    assert bar.status.accessibleName() == f"Calls ring on {DESK_NAME}"

    # The agent state works as always, and the server hears it.
    qtbot.waitUntil(lambda: agent_state_on_server(center) == "ready", timeout=10000)
    model.set_not_ready("lunch")
    assert model.state.agent.state is AgentState.NOT_READY
    qtbot.waitUntil(lambda: agent_state_on_server(center) == "not_ready", timeout=10000)

    # The server holds the phone for Anna: Bob is not offered it, nor given it.
    with ProvisioningClient(center.site.url) as client:
        bob = client.sign_in("bob", AGENT_PW)
        assert bob.phones == ()
        client.sign_out(bob)

        with qtbot.waitSignal(model.signed_out, timeout=15000):
            model.sign_out()
        bob = client.sign_in("bob", AGENT_PW)  # free again after Anna signed out
        assert bob.phones is not None and [p.id for p in bob.phones] == [desk_id(center)]
        assert client.choose_phone(bob, desk_id(center)) is not None
        client.sign_out(bob)


def test_a_phone_another_agent_holds_is_refused_until_it_is_free(
    center: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    with ProvisioningClient(center.site.url) as client:
        bob = client.sign_in("bob", AGENT_PW)
        window = SignInWindow(model, server_url=center.site.url, login="anna")
        shown(qtbot, window)
        offered(qtbot, window)  # offered when Anna signed in: Bob takes it first
        client.choose_phone(bob, desk_id(center))
        pick_desk_phone(qtbot, window)
        with qtbot.waitSignal(model.sign_in_failed, timeout=10000) as failed:
            qtbot.keyClick(window.phone_combo, Qt.Key.Key_Return)
        assert failed.args[0].field is SignInField.PHONE
        assert "already in use" in window.message_label.text()
        assert DESK_NAME in window.message_label.text()
        qtbot.waitUntil(window.phone_combo.hasFocus)
        assert model.state.signed_in is None

        client.sign_out(bob)  # the phone is free again: the same choice now works
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.phone_combo, Qt.Key.Key_Return)
    signed_in = model.state.signed_in
    assert signed_in is not None and signed_in.profile.call_center.desk_phone == DESK_NAME


def test_this_computer_registers_the_softphone(center: Deployment, desk: Desk, qtbot: Any) -> None:
    model = desk.model
    window = SignInWindow(model, server_url=center.site.url, login="anna")
    shown(qtbot, window)
    offered(qtbot, window)
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.phone_combo, Qt.Key.Key_Return)  # the first: this computer
    qtbot.waitUntil(lambda: model.state.registered, timeout=5000)
    signed_in = model.state.signed_in
    assert signed_in is not None and signed_in.profile.call_center.desk_phone is None


def test_an_agent_without_hot_desk_sees_no_choice_and_registers(
    center: Deployment, desk: Desk, qtbot: Any
) -> None:
    center.patch_agent({"hot_desk": False})
    model = desk.model
    choices: list[Any] = []
    model.phone_choice_needed.connect(choices.append)
    window = SignInWindow(model, server_url=center.site.url, login="anna")
    shown(qtbot, window)
    qtbot.keyClicks(window.password_field, AGENT_PW)
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        qtbot.keyClick(window.password_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.state.registered, timeout=5000)
    assert choices == [] and model.phone_choices == ()
    assert not window.phone_combo.isVisible()
    bar = RegistrationBar(model)
    qtbot.addWidget(bar)
    assert bar.status.text().startswith("Phone connected")
