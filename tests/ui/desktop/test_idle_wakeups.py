"""What wakes an idle signed-in desktop (issue 14: 0.1 % of a core): the time in state ticks
each second only in its first minute, then once a minute; the SIP pump, whose pjsip sockets and
timers wake it by themselves, has no linger polls and a slow safety tick; the text cursor stops
blinking a while after the last input."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from communicator.sip.polling import PollHint
from communicator.ui.desktop.cursor_blink import CursorBlinkTimeout
from communicator.ui.desktop.main_window import MainWindow
from communicator.ui.desktop.widgets.agent_state import AgentStateSwitch, format_time_in_state
from communicator.ui.desktop.widgets.clock import SharedClock
from communicator.ui.pump import PollPlan, PumpPolicy, plan_next_poll


def test_the_time_in_state_shows_seconds_in_its_first_minute_then_minutes() -> None:
    assert format_time_in_state(7.4) == "0:07"
    assert format_time_in_state(59.9) == "0:59"
    assert format_time_in_state(60.0) == "1 min"
    assert format_time_in_state(12 * 60 + 59) == "12 min"
    assert format_time_in_state(3600 + 5 * 60 + 30) == "1 h 05 min"


def test_after_its_first_minute_the_time_in_state_needs_no_clock_each_second(
    signed_in: MainWindow, qtbot: Any
) -> None:
    later = SharedClock(now=lambda: time.time() + 125)  # the agent has been Ready 2 minutes
    switch = AgentStateSwitch(signed_in.model, later)
    qtbot.addWidget(switch)
    with qtbot.waitExposed(switch):
        switch.show()
    assert switch.time_label.text() == "2 min in state"
    assert not later.running
    assert signed_in.clock.running  # the window's own: its first minute, seconds shown
    assert signed_in.agent_state.time_label.text().startswith("0:")


def test_a_watched_pump_that_knows_pjsips_timers_sleeps_until_them() -> None:
    policy = PumpPolicy()

    def plan(hint: PollHint, since: float, *, timers_known: bool = True) -> PollPlan:
        return plan_next_poll(
            events=0,
            hint=hint,
            since_activity=since,
            policy=policy,
            watching=True,
            timers_known=timers_known,
        )

    # Just after an event: no linger polls (a follow-up on a watched socket wakes the pump).
    assert plan(PollHint(), 0.0) == PollPlan(policy.quiet_idle_interval, 0)
    # Without pjsip's timers known, the linger and the short safety tick stay.
    assert plan(PollHint(), 0.0, timers_known=False).block_ms > 0
    assert plan(PollHint(), 60.0, timers_known=False).delay == policy.watched_idle_interval
    assert plan(PollHint(), 60.0) == PollPlan(policy.quiet_idle_interval, 0)
    assert plan(PollHint(next_deadline_in=4.5), 60.0) == PollPlan(4.5, 0)
    # A transaction under way: its answer wakes the pump, no poll blocks the windows meanwhile.
    assert plan(PollHint(hot=True), 60.0) == PollPlan(policy.hot_tick, 0)


def test_the_text_cursor_stops_blinking_without_input_and_blinks_again_on_a_key(
    qtbot: Any,
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    desktops = app.cursorFlashTime()
    assert desktops > 0
    field = QLineEdit()
    qtbot.addWidget(field)
    timeout = CursorBlinkTimeout(app, timeout_s=0.2)
    try:
        qtbot.waitUntil(lambda: not timeout.blinking, timeout=3000)
        assert app.cursorFlashTime() == 0
        qtbot.keyClick(field, Qt.Key.Key_5)
        assert timeout.blinking and app.cursorFlashTime() == desktops
        qtbot.waitUntil(lambda: not timeout.blinking, timeout=3000)
    finally:
        timeout.close()
    assert app.cursorFlashTime() == desktops
