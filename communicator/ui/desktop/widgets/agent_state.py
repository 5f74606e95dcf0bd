"""The agent state switch: Ready, Not ready with the profile's reasons, Wrap-up with its countdown
and Extend, "Not ready - no answer" with a one-key way back to Ready, and the time in the state.

The widget only shows `SessionState.agent` and gives the model's commands; what is allowed when
is the model's business (a refused command comes back as a message).

The time in state shows seconds for its first minute (``0:07 in state``), then whole minutes
(``12 min in state``, ``1 h 05 min in state``): an idle agent's window then wakes once a minute
for it instead of once a second (each wake-up of the shown window costs ~0.5-1 ms of CPU: at
1 Hz that alone was most of issue 14's 0.1 % idle budget). The wrap-up countdown keeps its
seconds."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QWidget

from communicator.core.agent_state import AgentState, AgentStatus
from communicator.ui.desktop.shortcuts import Action, with_key
from communicator.ui.desktop.widgets.clock import ClockLabel, SharedClock, format_duration
from communicator.ui.desktop.widgets.common import action_button, describe
from communicator.ui.i18n import translate
from communicator.ui.messages_i18n import agent_state_name
from communicator.ui.session import SessionModel

DEFAULT_REASON = "not-ready"
"""The reason code given when the profile defines none."""

_STYLE = {
    AgentState.READY: "color: #1a7f37;",
    AgentState.NOT_READY: "color: #c62828;",
    AgentState.NO_ANSWER: "color: #c62828; font-weight: bold;",
    AgentState.ON_CALL: "color: #1565c0;",
    AgentState.WRAP_UP: "color: #b26a00;",
    AgentState.SIGNED_OUT: "",
}


TIME_PATTERNS = ("99:99:99 in state", "99 h 99 min in state", "99:99:99 left")
"""The longest texts of the time in state (``9``: any digit), for `ClockLabel`'s width (in
English; `time_patterns` gives them in the installed language)."""


def time_patterns() -> tuple[str, ...]:
    """`TIME_PATTERNS` in the installed language."""
    return (
        in_state_text("99:99:99"),
        in_state_text(_hours_minutes(99, 99)),
        left_text("99:99:99"),
    )


def in_state_text(time: str) -> str:
    return translate("AgentStateSwitch", "{time} in state").format(time=time)


def left_text(time: str) -> str:
    return translate("AgentStateSwitch", "{time} left").format(time=time)


def _hours_minutes(hours: int, minutes: int) -> str:
    return translate("AgentStateSwitch", "{hours} h {minutes} min").format(
        hours=hours, minutes=f"{minutes:02d}"
    )


SECONDS_SHOWN_S = 60.0
"""For how long the time in state shows its seconds; after that, whole minutes."""


def format_time_in_state(seconds: float) -> str:
    """``0:07`` in the first minute, then ``12 min``, ``1 h 05 min``."""
    if seconds < SECONDS_SHOWN_S:
        return format_duration(seconds)
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _hours_minutes(hours, minutes)
    return translate("AgentStateSwitch", "{minutes} min").format(minutes=minutes)


class AgentStateSwitch(QWidget):
    def __init__(
        self, model: SessionModel, clock: SharedClock, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._clock = clock
        self.state_label = describe(
            QLabel(self),
            translate("AgentStateSwitch", "Your state"),
            translate("AgentStateSwitch", "Your state for the contact center"),
        )
        # Its accessible name is its text: the time itself. A fixed size: the tick each
        # second repaints only this label (no relayout of the window).
        self.time_label = ClockLabel(time_patterns(), self)
        self.time_label.setAccessibleDescription(
            translate("AgentStateSwitch", "How long you have been in this state")
        )
        self.ready_button = action_button(
            agent_state_name(AgentState.READY),
            translate("AgentStateSwitch", "Take calls"),
            "ready",
            Action.READY,
            self,
        )
        self.not_ready_button = action_button(
            agent_state_name(AgentState.NOT_READY),
            translate("AgentStateSwitch", "Stop taking calls, with a reason"),
            "not-ready",
            Action.NOT_READY,
            self,
        )
        self.reason_menu = QMenu(self.not_ready_button)
        describe(
            self.reason_menu,
            translate("AgentStateSwitch", "Not ready reasons"),
            translate("AgentStateSwitch", "Choose why you are not ready"),
        )
        self.not_ready_button.setMenu(self.reason_menu)
        self.extend_button = action_button(
            translate("AgentStateSwitch", "Extend"),
            translate("AgentStateSwitch", "More time for after-call work"),
            "extend",
            Action.EXTEND_WRAP_UP,
            self,
        )
        self.ready_button.clicked.connect(model.set_ready)
        self.extend_button.clicked.connect(model.extend_wrap_up)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state_label)
        layout.addWidget(self.time_label)
        layout.addStretch(1)
        layout.addWidget(self.ready_button)
        layout.addWidget(self.not_ready_button)
        layout.addWidget(self.extend_button)
        describe(
            self,
            translate("AgentStateSwitch", "Agent state"),
            translate(
                "AgentStateSwitch", "Your state, how long you have been in it, and the switch"
            ),
        )
        model.agent_changed.connect(lambda _old, _new: self._update())
        model.not_ready_reasons_changed.connect(lambda _old, _new: self._fill_reasons())
        model.can_extend_wrap_up_changed.connect(lambda _old, _new: self._update())
        clock.tick.connect(self._tick)
        self._minute = QTimer(self)  # the time in state once it shows whole minutes
        self._minute.setSingleShot(True)
        self._minute.setTimerType(Qt.TimerType.PreciseTimer)
        self._minute.timeout.connect(lambda: self._tick(self._clock.now()))
        self._fill_reasons()
        self._update()

    # ------------------------------------------------------------------ commands

    def choose_not_ready(self) -> None:
        """F4: with one reason (or none) go straight to Not ready, else open the reason list."""
        reasons = self._model.state.not_ready_reasons
        if len(reasons) <= 1:
            self._model.set_not_ready(reasons[0].code if reasons else DEFAULT_REASON)
        else:
            self.not_ready_button.showMenu()

    def reason_actions(self) -> dict[str, object]:
        """The reason menu's entries by code (for keyboard users and tests)."""
        return {a.data(): a for a in self.reason_menu.actions()}

    # ------------------------------------------------------------------ showing

    def _fill_reasons(self) -> None:
        self.reason_menu.clear()
        reasons = self._model.state.not_ready_reasons
        entries = [(r.code, r.label) for r in reasons] or [
            (DEFAULT_REASON, agent_state_name(AgentState.NOT_READY))
        ]
        for code, label in entries:
            action = self.reason_menu.addAction(label)
            action.setData(code)
            action.triggered.connect(lambda _=False, c=code: self._model.set_not_ready(c))

    def _label_for(self, status: AgentStatus) -> str:
        if status.state is AgentState.NOT_READY:
            labels = {r.code: r.label for r in self._model.state.not_ready_reasons}
            reason = labels.get(status.reason or "", status.reason or "")
            if reason and reason != DEFAULT_REASON:
                return translate("AgentStateSwitch", "Not ready: {reason}").format(reason=reason)
        return agent_state_name(status.state)

    def _update(self) -> None:
        status = self._model.state.agent
        text = self._label_for(status)
        self.state_label.setText(text)
        style = _STYLE[status.state]
        if self.state_label.styleSheet() != style:  # a new style sheet re-polishes (~2 ms)
            self.state_label.setStyleSheet(style)
        describe(
            self.state_label,
            translate("AgentStateSwitch", "Your state: {state}").format(state=text),
            translate("AgentStateSwitch", "Your state for the contact center"),
        )
        ready = status.state is AgentState.READY
        self.ready_button.setEnabled(not ready and status.state is not AgentState.SIGNED_OUT)
        self.ready_button.setText(
            translate("AgentStateSwitch", "Back to Ready")
            if status.state is AgentState.NO_ANSWER
            else agent_state_name(AgentState.READY)
        )
        self.ready_button.setDefault(status.state is AgentState.NO_ANSWER)
        describe(
            self.ready_button,
            self.ready_button.text(),
            with_key(translate("AgentStateSwitch", "Take calls"), Action.READY),
        )
        self.not_ready_button.setEnabled(
            status.state not in (AgentState.NOT_READY, AgentState.SIGNED_OUT)
        )
        can_extend = self._model.state.can_extend_wrap_up
        self.extend_button.setVisible(status.state is AgentState.WRAP_UP)
        self.extend_button.setEnabled(can_extend)
        self._tick(self._clock.now())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._tick(self._clock.now())  # the clock runs while shown (the rest is up to date)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self._clock.release(self)
        self._minute.stop()

    def _tick(self, now: float) -> None:
        status = self._model.state.agent
        if status.state is AgentState.SIGNED_OUT:
            self.time_label.setText("")
            self._wake_next(None)
            return
        if status.state is AgentState.WRAP_UP and status.wrap_up_until is not None:
            text = left_text(format_duration(status.wrap_up_until - now + 0.999))
            self._wake_next(1.0)
        else:
            elapsed = now - status.since
            text = in_state_text(format_time_in_state(elapsed))
            self._wake_next(1.0 if elapsed < SECONDS_SHOWN_S else 60.0 - elapsed % 60.0)
        self.time_label.setText(text)

    def _wake_next(self, after_s: float | None) -> None:
        """Tick again each second (the shared clock), after ``after_s`` seconds (the next whole
        minute), or not at all (None). Only while the agent can see it: hidden in the tray or
        minimised, nothing wakes the window for it."""
        seen = self.isVisible() and not self.window().isMinimized()
        if not seen or after_s is None:
            self._clock.release(self)
            self._minute.stop()
        elif after_s <= 1.0:
            self._minute.stop()
            self._clock.need(self)
        else:
            self._clock.release(self)
            self._minute.start(round(after_s * 1000) + 20)  # just past the minute's turn
