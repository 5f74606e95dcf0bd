"""The main window paints in stages when it shows (the top and the lines first, then the
keypad and the line's actions, then the tabs, each in a turn of its own): every part ends up
painted, also when the window is hidden again before its stages were done."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from communicator.ui.desktop.main_window import MainWindow


def later_parts(window: MainWindow) -> list[QWidget]:
    return [window.dial, window.actions_panel, window.tabs]


def test_every_part_is_painted_after_a_show(main_window: MainWindow, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: all(w.updatesEnabled() for w in later_parts(main_window)))


def test_a_show_hidden_again_at_once_leaves_nothing_unpainted(
    main_window: MainWindow, qtbot: Any
) -> None:
    window = main_window
    qtbot.waitUntil(lambda: all(w.updatesEnabled() for w in later_parts(window)))
    window.hide()
    window.show()  # the stages start over
    assert not all(w.updatesEnabled() for w in later_parts(window))
    window.hide()  # before their paint
    with qtbot.waitExposed(window):
        window.show()
    qtbot.waitUntil(lambda: all(w.updatesEnabled() for w in later_parts(window)))
