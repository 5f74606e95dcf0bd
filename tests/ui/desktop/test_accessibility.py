"""Keyboard and accessibility of the agent's windows, checked through Qt's accessibility
interface (what a screen reader reads): every control of the signed-in main window, the sign-in
window and the incoming-call panel has a name and a description; the sign-in fields are visited
in order by Tab, and the main window's controls in reading order from the number field; the
main window fits the screen at 100, 150 and 200 % with nothing cut off and its icons drawn
sharp; F1 lists every key of the shortcut table, and the window answers to each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QTabBar,
    QWidget,
)

from communicator.ui.desktop.icons import icon_path
from communicator.ui.desktop.incoming_panel import IncomingCallPanel
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.shortcuts import SHORTCUTS, keys_for
from communicator.ui.desktop.sign_in_window import SignInWindow
from communicator.ui.sign_in import SignInFailure, SignInField
from tests.rig.fixtures import require_pjsua2
from tests.ui.desktop.alt_keys import alt_key_clashes
from tests.ui.helpers import Desk

ROOT = Path(__file__).resolve().parents[3]
CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractItemView,
    QTabBar,
    QAbstractSpinBox,
    QAbstractSlider,
)
COMPOUND = (QLineEdit, QComboBox, QAbstractItemView, QAbstractSpinBox, QTabBar)
"""Controls whose child widgets are their own parts (a field's clear button, a table's header,
a combo box's list): Qt names those, and the screen reader meets them through their owner."""


def controls(root: QWidget) -> Iterator[QWidget]:
    """Every control the agent can reach in ``root``'s window, shown or not yet shown."""
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QScrollBar):
            continue
        focusable = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if not (isinstance(widget, CONTROLS) or focusable) or widget.isWindow():
            continue
        owner = widget.parentWidget()
        while owner is not None and owner is not root and not isinstance(owner, COMPOUND):
            owner = owner.parentWidget()
        if owner is None or owner is root:
            yield widget


def spoken(widget: QWidget, what: QAccessible.Text) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None, widget
    return interface.text(what).strip()


def announced(widget: QWidget) -> list[tuple[str, str, str]]:
    """What a screen reader says for ``widget``: (what, name, description); for a tab bar,
    each tab (Qt reads the tab's text and tooltip, not the bar's)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None, widget
    label = widget.objectName() or getattr(widget, "text", lambda: "")()
    parts = [(f"{type(widget).__name__} {label!r}", interface)]
    if isinstance(widget, QTabBar):
        tabs = (interface.child(i) for i in range(interface.childCount()))
        page = QAccessible.Role.PageTab
        parts = [(f"tab {i}", t) for i, t in enumerate(tabs) if t.role() is page]
    return [
        (what, part.text(QAccessible.Text.Name).strip(), part.text(QAccessible.Text.Description))
        for what, part in parts
    ]


def unnamed(root: QWidget) -> list[str]:
    """The controls a screen reader would announce without a name or a description."""
    return [
        f"{what}: name {name!r}, description {description!r}"
        for widget in controls(root)
        for what, name, description in announced(widget)
        if not name or not description.strip()
    ]


@pytest.mark.rig
def test_every_control_of_the_signed_in_main_window_is_named_and_described(
    signed_in: MainWindow, qtbot: Any
) -> None:
    window = signed_in
    assert window.lines.rowCount() == 2  # signed in: the lines are there
    found = list(controls(window))
    assert window.dial.number in found and window.picker.ok_button in found
    assert window.tabs.tabBar() in found and window.history.filter in found
    assert len(found) > 60
    assert unnamed(window) == []
    icon_only = [
        w
        for w in found
        if isinstance(w, QAbstractButton) and not w.text() and not w.icon().isNull()
    ]
    for button in icon_only:
        assert spoken(button, QAccessible.Text.Description), button


def test_every_control_of_the_sign_in_window_is_named_and_described(qtbot: Any) -> None:
    window = SignInWindow(server_url="https://pbx.example.com")
    qtbot.addWidget(window)
    assert unnamed(window) == []
    assert spoken(window.sign_in_button, QAccessible.Text.Name) == "Sign in"


@pytest.mark.rig
def test_every_control_of_the_incoming_call_panel_is_named_and_described(
    desk: Desk, qtbot: Any
) -> None:
    panel = IncomingCallPanel(desk.model)
    qtbot.addWidget(panel)
    assert {panel.answer_button, panel.decline_button} <= set(controls(panel))
    assert unnamed(panel) == []


def test_no_two_controls_of_the_sign_in_window_share_an_alt_key(qtbot: Any) -> None:
    """As it opens, once it offers the saved settings (server unreachable), and while signing
    in (Enter before the phone is ready: the progress and Cancel); the phone choice is checked
    in test_hot_desk."""
    window = SignInWindow(server_url="https://pbx.example.com", login="anna")
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    assert alt_key_clashes(window) == {}
    window.show_failure(
        SignInFailure(
            "The server https://pbx.example.com cannot be reached.",
            SignInField.SERVER,
            offline_possible=True,
        )
    )
    assert window.offline_button.isVisible()
    assert alt_key_clashes(window) == {}
    window.submit()
    assert window.cancel_button.isVisible()
    assert alt_key_clashes(window) == {}


def test_tab_visits_the_sign_in_fields_in_order(qtbot: Any) -> None:
    window = SignInWindow()
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    window.server_field.setFocus()
    qtbot.waitUntil(window.server_field.hasFocus, timeout=2000)
    expected = [
        window.login_field,
        window.password_field,
        window.remember_box,
        window.sign_in_button,
    ]
    visited = []
    for _ in expected:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    assert visited == expected
    for widget in reversed([window.server_field, *expected[:-1]]):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
        assert QApplication.focusWidget() is widget


@pytest.mark.rig
def test_tab_goes_round_the_main_window_in_reading_order_from_the_number_field(
    signed_in: MainWindow, qtbot: Any
) -> None:
    """From the number field (where an agent types most) Tab visits the call, the lines and
    their actions, the history, then the state switch and the top bar, and comes back: every
    stop named for the screen reader, none out of order, none outside this order."""
    window = signed_in
    dial, actions, picker = window.dial, window.actions_panel, window.picker
    history, directory = window.history, window.directory_view
    switch = window.agent_state
    reading_order: list[QWidget] = [
        dial.number,
        dial.call_button,
        *dial.pad.buttons.values(),
        window.lines,
        *actions.buttons.values(),
        picker.target,
        picker.suggestions,
        picker.ok_button,
        picker.cancel_button,
        window.tabs.tabBar(),
        history.search,
        history.filter,
        history.table,
        history.redial_button,
        directory.search,
        directory.list,
        directory.call_button,
        directory.refresh_button,
        switch.ready_button,
        switch.not_ready_button,
        switch.extend_button,
        window.registration.details_button,
        window.messages.dismiss,
        window.help_button,
        window.settings_button,
        window.sign_out_button,
    ]
    dial.number.setFocus()
    qtbot.waitUntil(dial.number.hasFocus, timeout=2000)
    visited: list[QWidget] = []
    for _ in range(len(reading_order) + 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if focused is dial.number:
            break
        assert focused is not None and focused in reading_order, (
            ", ".join(spoken(w, QAccessible.Text.Name) for w in visited),
            f"then {type(focused).__name__} {spoken(focused, QAccessible.Text.Name)!r}"
            if focused is not None
            else "then nothing",
        )
        visited.append(focused)
    else:
        pytest.fail(f"Tab never came back to the number field: {visited}")
    places = [reading_order.index(w) for w in visited]
    assert places == sorted(places), [spoken(w, QAccessible.Text.Name) for w in visited]
    assert [w for w in visited if not spoken(w, QAccessible.Text.Name)] == []
    assert {
        dial.call_button,
        dial.pad.buttons["1"],
        window.lines,
        window.tabs.tabBar(),
        history.search,
        switch.not_ready_button,
        window.help_button,
        window.sign_out_button,
    } <= set(visited)
    qtbot.keyClick(dial.number, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is visited[-1]


@pytest.mark.rig
def test_f1_lists_every_shortcut_and_the_window_answers_to_each(
    main_window: MainWindow, qtbot: Any
) -> None:
    window = main_window
    qtbot.keyClick(window, Qt.Key.Key_F1)
    panel = window.help_panel
    assert panel is not None
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    table = panel.table
    rows = [
        tuple("" if (item := table.item(r, c)) is None else item.text() for c in (0, 1))
        for r in range(table.rowCount())
    ]
    assert rows == [(s.shown(), s.label) for s in SHORTCUTS]
    assert {a: s.key() for a, s in window.shortcuts.items()} == {
        s.action: keys_for(s.action) for s in SHORTCUTS
    }
    assert spoken(table, QAccessible.Text.Name) == "Shortcut list"
    panel.close()


def test_every_icon_the_windows_name_is_in_resources() -> None:
    source = "\n".join(
        p.read_text() for p in (ROOT / "communicator" / "ui" / "desktop").rglob("*.py")
    )
    named = set(re.findall(r'\bicon\(\s*"([\w-]+)"', source))
    named |= set(re.findall(r'action_button\(\s*"[^"]*",\s*"[^"]*",\s*"([\w-]+)"', source))
    named |= set(re.findall(r'^\s*\("[^"]+", "[^"]+", "([\w-]+)",', source, re.MULTILINE))
    # The same with the texts translated: translate(...) or a QT_TRANSLATE_NOOP(...) table row.
    text = r'(?:"[^"]*"|\w+\((?:[^()]|\([^()]*\))*\))'
    named |= set(re.findall(rf"action_button\(\s*{text},\s*{text},\s*\"([\w-]+)\"", source))
    noop = r'QT_TRANSLATE_NOOP\(\s*"\w+",\s*"[^"]*"\)'
    named |= set(re.findall(rf"{noop},\s*{noop},\s*\"([\w-]+)\",", source))
    assert {"answer", "hold", "transfer", "call", "warning"} <= named
    assert sorted(n for n in named if not icon_path(n).is_file()) == []


# Common screens at each scale, and what a title bar and a task bar take (device pixels).
SCREENS = {1.0: (1366, 768), 1.5: (1920, 1080), 2.0: (2560, 1440)}
TITLE_AND_TASK_BAR = 70


@pytest.mark.parametrize("scale", sorted(SCREENS))
def test_the_windows_fit_the_screen_and_nothing_is_cut_off_when_scaled(
    scale: float, tmp_path: Path
) -> None:
    require_pjsua2()  # the probe builds the main window on a real session model
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {
        "QT_QPA_PLATFORM": "offscreen",
        "QT_SCALE_FACTOR": str(scale),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.desktop.scaling_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["device_pixel_ratio"] == scale
    width, height = SCREENS[scale]
    for window in ("main", "sign_in", "help"):
        shown = report[window]
        minimum_w, minimum_h = shown["minimum"]
        assert minimum_w * scale <= width, (window, shown)
        assert minimum_h * scale <= height - TITLE_AND_TASK_BAR, (window, shown)
        assert shown["clipped"] == [], window
    assert report["icons"] > 20
    assert report["blank_icons"] == []
