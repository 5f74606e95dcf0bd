"""The agent's state on the Qt loop: `core.agent_state` fed by the agent's commands, by the calls
on the lines, and by timers (the end of wrap-up, a call ringing past the no-answer time).

Calls: an outgoing call counts from the moment it is placed, an incoming one from its answer; a
call that rings the agent for the profile's no-answer seconds without an answer makes a Ready
agent "Not ready - no answer" (a direct call keeps ringing: forwarding rules or the caller
decide its end; a group call is given back with 480, ``core.group_ringing``, so the group rings
its next member). The profile's call-center settings (reason codes, wrap-up and its extension,
no-answer time, calls while not ready) apply live through `configure`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from communicator.core.agent_state import (
    AgentEvent,
    AgentState,
    AgentStateChanged,
    AgentStateMachine,
    AgentStatus,
    CallDone,
    CallStarted,
    ExtendWrapUp,
    LogIn,
    LogOut,
    RangUnanswered,
    SetNotReady,
    SetReady,
    takes_direct_calls,
)
from communicator.core.call_record import CallRecord
from communicator.core.calls import Call, CallDirection, CallId, CallState
from communicator.core.errors import InvalidOperationError
from communicator.provisioning.schema.call_center import CallCenterSettings, NotReadyReason

Clock = Callable[[], float]


class AgentPresence(QObject):
    """Emits ``changed(AgentStateChanged)`` for every change of the agent's status."""

    changed = Signal(object)

    def __init__(self, clock: Clock = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._settings = CallCenterSettings()
        self._machine = AgentStateMachine(self._settings.wrap_up_seconds, now=clock())
        self._lines: dict[CallId, Call] = {}
        self._ring_timers: dict[CallId, QTimer] = {}
        self._wrap_up_timer = QTimer(self)
        self._wrap_up_timer.setSingleShot(True)
        self._wrap_up_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._wrap_up_timer.timeout.connect(self._tick)

    # ------------------------------------------------------------------ reading

    @property
    def status(self) -> AgentStatus:
        return self._machine.status

    @property
    def reasons(self) -> tuple[NotReadyReason, ...]:
        return self._settings.not_ready_reasons

    @property
    def can_extend_wrap_up(self) -> bool:
        return (
            self._machine.state is AgentState.WRAP_UP
            and self._settings.wrap_up_extension_seconds > 0
        )

    def takes_direct_calls(self) -> bool:
        return takes_direct_calls(
            self._machine.state, calls_while_not_ready=self._settings.calls_while_not_ready
        )

    # ------------------------------------------------------------------ agent commands

    def configure(self, settings: CallCenterSettings) -> None:
        self._settings = settings
        self._machine.set_wrap_up_seconds(settings.wrap_up_seconds)

    def log_in(self, not_ready_reason: str | None = None) -> None:
        self._handle(LogIn(not_ready_reason))

    def log_out(self) -> None:
        for call_id in list(self._ring_timers):
            self._stop_ring_timer(call_id)
        self._lines.clear()
        if self._machine.state is not AgentState.SIGNED_OUT:
            self._handle(LogOut())

    def set_ready(self) -> None:
        self._handle(SetReady())

    def set_not_ready(self, reason: str) -> None:
        codes = {r.code for r in self._settings.not_ready_reasons}
        if codes and reason not in codes:
            labels = ", ".join(r.label for r in self._settings.not_ready_reasons)
            raise InvalidOperationError(f"Choose a reason for Not ready: {labels}")
        if not reason.strip():
            raise InvalidOperationError("Choose a reason for Not ready")
        self._handle(SetNotReady(reason))

    def extend_wrap_up(self) -> None:
        if self._settings.wrap_up_extension_seconds <= 0:
            raise InvalidOperationError("Your administrator does not allow extending wrap-up")
        self._handle(ExtendWrapUp(float(self._settings.wrap_up_extension_seconds)))

    # ------------------------------------------------------------------ calls

    def lines_changed(self, calls: tuple[Call | None, ...]) -> None:
        """The engine's lines now; derives call starts and ringing timers from the difference."""
        current = {c.call_id: c for c in calls if c is not None}
        for call_id, call in current.items():
            before = self._lines.get(call_id)
            if _started(call) and (before is None or not _started(before)):
                self._handle(CallStarted(call_id))
            if call.state is CallState.RINGING_IN and call_id not in self._ring_timers:
                self._start_ring_timer(call_id)
            elif call.state is not CallState.RINGING_IN:
                self._stop_ring_timer(call_id)
        for call_id in set(self._ring_timers) - set(current):
            self._stop_ring_timer(call_id)
        self._lines = current

    def call_done(self, record: CallRecord) -> None:
        self._stop_ring_timer(record.call_id)
        self._handle(CallDone(record.call_id, record.answered))

    def _start_ring_timer(self, call_id: CallId) -> None:
        seconds = self._settings.no_answer_seconds
        if seconds <= 0:
            return
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self._rang_out(call_id))
        timer.start(int(seconds * 1000))
        self._ring_timers[call_id] = timer

    def _stop_ring_timer(self, call_id: CallId) -> None:
        timer = self._ring_timers.pop(call_id, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def _rang_out(self, call_id: CallId) -> None:
        self._stop_ring_timer(call_id)
        call = self._lines.get(call_id)
        if call is not None and call.state is CallState.RINGING_IN:
            self._handle(RangUnanswered(call_id))

    # ------------------------------------------------------------------ plumbing

    def _handle(self, event: AgentEvent) -> None:
        for change in self._machine.handle(event, self._clock()):
            self._emit(change)

    def _tick(self) -> None:
        changes = self._machine.tick(self._clock())
        for change in changes:
            self._emit(change)
        until = self._machine.next_deadline
        if not changes and until is not None:  # woke a little early: wait for the rest
            self._wrap_up_timer.start(max(1, int((until - self._clock()) * 1000) + 1))

    def _emit(self, change: AgentStateChanged) -> None:
        until = change.new.wrap_up_until
        if until is None:
            self._wrap_up_timer.stop()
        else:
            self._wrap_up_timer.start(max(0, int((until - self._clock()) * 1000) + 1))
        self.changed.emit(change)


def _started(call: Call) -> bool:
    """For the agent, an outgoing call counts from its placing, an incoming one from its answer."""
    return call.direction is CallDirection.OUTGOING or call.answered_at is not None
