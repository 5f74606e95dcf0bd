"""The number field: typed digits, Enter dials, a pasted number is tidied, and the dial plan's
`+` and country-code rules (the country code from the agent's profile) apply to what is
dialled; on the real rig."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from communicator.core.calls import CallState
from communicator.core.dialing import DialPlan, clean_dial_text, parse_dial_string
from communicator.ui.desktop.main_window import MainWindow
from tests.rig.deployment import SIP_DOMAIN, Deployment
from tests.sip.helpers import wait_peer
from tests.ui.helpers import Desk, far_end, sign_in

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.mark.parametrize(
    ("pasted", "cleaned"),
    [
        ("+48 22 123 45 67", "+48221234567"),
        ("(020) 7946.0958", "02079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        (" tel:+1-202-555-0100 ", "+12025550100"),
        ("\u200b+49\u2011301234567\u00a0", "+49301234567"),
        ("[030] 12 34 56", "030123456"),
        ("20-03", "2003"),
        ("*72", "*72"),
        ("sip:bob@example.org", "sip:bob@example.org"),
        ("  sales.desk ", "sales.desk"),
    ],
)
def test_pasted_numbers_are_tidied_and_dial_as_typed(pasted: str, cleaned: str) -> None:
    assert clean_dial_text(pasted) == cleaned
    plan = DialPlan(domain="pbx.example", country_code="44")
    try:
        before = parse_dial_string(pasted, plan).uri
    except Exception:  # the engine refused the raw text: the cleaned text may do better
        before = None
    after = parse_dial_string(cleaned, plan).uri
    assert before is None or before == after


def test_country_code_rules_apply_to_the_cleaned_number() -> None:
    plan = DialPlan(domain="pbx.example", country_code="44")
    assert parse_dial_string(clean_dial_text("020 7946-0958"), plan).number == "+442079460958"
    assert parse_dial_string(clean_dial_text("0048 22 123 45 67"), plan).number == "+48221234567"


def line_state(model: Any, number: int) -> CallState | None:
    call = model.line(number).call
    return None if call is None else call.state


@pytest.fixture
def window(desk: Desk, qtbot: Any) -> Iterator[MainWindow]:
    w = MainWindow(desk.model)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    yield w
    w.close()


@pytest.mark.rig
def test_a_pasted_number_is_cleaned_and_enter_dials_it(
    deployment: Deployment, desk: Desk, window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment, "2003")
    field = window.dial.number
    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert field.hasFocus()

    QGuiApplication.clipboard().setText(" tel:(20) 03 ")
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert field.text() == "2003"
    since = far.mark()
    qtbot.keyClick(field, Qt.Key.Key_Return)
    event = wait_peer(qtbot, far, "incoming_call", since=since)
    assert field.text() == ""
    assert SIP_DOMAIN in event["local_uri"] or "2003" in event["local_uri"]
    qtbot.waitUntil(lambda: window.lines.row_text(1)[1] == "Ringing", timeout=5000)
    assert window.lines.row_text(1)[3] == "2003"
    window.actions_panel.buttons["Hang up"].click()
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)


@pytest.mark.rig
def test_typed_digits_and_the_dial_pad_build_the_number(
    deployment: Deployment, desk: Desk, window: MainWindow, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment, "2002")
    far.command("auto_answer", enabled=True, code=200)
    qtbot.keyClicks(window.dial.number, "20")
    qtbot.mouseClick(window.dial.pad.buttons["0"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.dial.pad.buttons["2"], Qt.MouseButton.LeftButton)
    assert window.dial.number.text() == "2002"
    qtbot.mouseClick(window.dial.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: line_state(model, 1) is CallState.CONNECTED, timeout=5000)
    assert window.lines.row_text(1)[1] == "Talking"
    qtbot.keyClick(window, Qt.Key.Key_F6)  # hang up
    qtbot.waitUntil(lambda: model.line(1).free, timeout=5000)


@pytest.mark.rig
@pytest.mark.parametrize(
    ("pasted", "dialled"),
    [
        ("020 7946-0958", "+442079460958"),  # national: the profile's country code
        ("+48 22 123 45 67", "+48221234567"),  # international: as written
        ("0048 (22) 123.45.67", "+48221234567"),  # 00: international too
    ],
)
def test_the_profiles_country_code_applies_to_what_the_window_dials(
    deployment: Deployment,
    desk: Desk,
    window: MainWindow,
    qtbot: Any,
    pasted: str,
    dialled: str,
) -> None:
    """The account's country code (44) reaches the number field's dialling; the INVITE goes to
    the completed number (no phone answers it here: the call ends, its record says where)."""
    deployment.patch_account({"country_code": "44"})
    model = desk.model
    sign_in(model, deployment, qtbot)
    field = window.dial.number
    window.dial.focus_number()
    QGuiApplication.clipboard().setText(pasted)
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        qtbot.keyClick(field, Qt.Key.Key_Return)
    record = ended.args[0]
    assert record.remote.uri == f"sip:{dialled}@{SIP_DOMAIN}"
    assert record.remote.number == dialled
    assert [e.number for e in model.history()] == [dialled]
