"""The time in state wakes the window once a second only while the agent can see it: hidden
(in the tray), the shared clock stops, and it runs again, showing the time, when it is back."""

from __future__ import annotations

from typing import Any

from communicator.ui.desktop.main_window import MainWindow


def test_the_time_in_state_clock_runs_only_while_the_window_is_shown(
    signed_in: MainWindow, qtbot: Any
) -> None:
    window = signed_in
    label = window.agent_state.time_label
    qtbot.waitUntil(lambda: window.clock.running and label.text().endswith("in state"))

    window.hide()  # e.g. closed to the tray
    assert not window.clock.running

    with qtbot.waitExposed(window):
        window.show()
    assert window.clock.running
    shown = label.text()
    qtbot.waitUntil(lambda: label.text() != shown, timeout=3000)  # it ticks again
    assert label.text().endswith("in state")
