"""The sign-in window when IT locked the server (``allow_server_change = false`` in the
system configuration): the preset shows read-only, with the reason, and still reaches screen
readers and the keyboard; a remembered address does not replace it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from communicator.ui.desktop.controller import Desktop
from communicator.ui.desktop.sign_in_window import SignInWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
PRESET = "https://pbx.example.com"


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'server_url = "{PRESET}"\nallow_server_change = false\n')
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(config))


def test_the_locked_preset_shows_read_only_with_the_reason(locked: None, qtbot: Any) -> None:
    window = SignInWindow(server_url="https://remembered.example", login="anna")
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    assert window.server_locked and window.server_url == PRESET
    assert window.server_note.isVisible()
    assert "IT department" in window.server_note.text()
    assert "IT" in window.server_field.accessibleName()
    assert PRESET in window.server_field.accessibleDescription()
    window.server_field.setFocus()
    qtbot.waitUntil(window.server_field.hasFocus)  # still reachable for reading
    qtbot.keyClicks(window.server_field, "x")
    qtbot.keyClick(window.server_field, Qt.Key.Key_Backspace)
    assert window.server_url == PRESET
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.login_field


def test_the_desktop_sign_in_keeps_the_preset(locked: None, qtbot: Any) -> None:
    desktop = Desktop(server_url="https://remembered.example", save_settings=False)
    qtbot.addWidget(desktop.sign_in_window)
    assert desktop.sign_in_window.server_url == PRESET


def test_without_a_lock_the_address_is_editable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'server_url = "{PRESET}"\n')
    monkeypatch.setenv("COMMUNICATOR_SYSTEM_CONFIG", str(config))
    window = SignInWindow(server_url="https://remembered.example")
    qtbot.addWidget(window)
    assert not window.server_locked and window.server_url == "https://remembered.example"
    assert not window.server_note.isVisibleTo(window)
