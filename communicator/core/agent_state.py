"""The agent's availability: READY, NOT_READY (with a reason code), NO_ANSWER, ON_CALL,
WRAP_UP, SIGNED_OUT (seed 004: log in, log out, pause).

Driven by agent commands (`LogIn`, `SetReady`, `SetNotReady`, `ExtendWrapUp`, `LogOut`), by call
events (`CallStarted`, `CallDone`, `RangUnanswered`; `agent_events_for` derives the first two
from `Lines` effects) and by `TimePassed` for the end of wrap-up. Time is passed in as ``now``.

After the last call ends the agent is in WRAP_UP for the profile's wrap-up seconds (if any of
those calls was answered; a call nobody answered needs no after-call work), extendable by the
agent, then goes back to READY - unless the agent was NOT_READY when the call began or asked for
NOT_READY during the call or wrap-up: then back to NOT_READY with that reason, so an agent on a
break who makes a call is not handed the next customer. `SetReady` during wrap-up ends it early.

A call that rang the agent past the profile's no-answer time (`RangUnanswered`) puts a READY
agent in NO_ANSWER ("Not ready - no answer", what agent desktops do after a missed queue call),
which only the agent's own `SetReady` (or another explicit choice) leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

from communicator.core.call_effects import Answer, CallEffect, CallFinished, MakeCall
from communicator.core.calls import CallId
from communicator.core.errors import InvalidOperationError


class AgentState(Enum):
    SIGNED_OUT = "signed out"
    READY = "ready"
    NOT_READY = "not ready"
    NO_ANSWER = "not ready - no answer"
    ON_CALL = "on a call"
    WRAP_UP = "in wrap-up"


AVAILABLE_STATES = frozenset({AgentState.READY, AgentState.ON_CALL})
"""States in which the agent takes direct calls whatever the profile says (a call that arrives
during a call rings as call waiting, on a free line)."""


@dataclass(frozen=True)
class AgentStatus:
    state: AgentState
    since: float
    reason: str | None = None
    """The NOT_READY reason code."""
    wrap_up_until: float | None = None


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class LogIn:
    not_ready_reason: str | None = None
    """None logs in READY; a reason code logs in NOT_READY with it."""


@dataclass(frozen=True)
class LogOut:
    pass


@dataclass(frozen=True)
class SetReady:
    pass


@dataclass(frozen=True)
class SetNotReady:
    reason: str


@dataclass(frozen=True)
class ExtendWrapUp:
    seconds: float


@dataclass(frozen=True)
class CallStarted:
    """The agent placed or answered a call."""

    call_id: CallId


@dataclass(frozen=True)
class CallDone:
    """A call the agent placed or answered is over."""

    call_id: CallId
    answered: bool


@dataclass(frozen=True)
class RangUnanswered:
    """A call rang the agent for the profile's no-answer time without being answered."""

    call_id: CallId


@dataclass(frozen=True)
class TimePassed:
    pass


AgentEvent = (
    LogIn
    | LogOut
    | SetReady
    | SetNotReady
    | ExtendWrapUp
    | CallStarted
    | CallDone
    | RangUnanswered
    | TimePassed
)
AGENT_COMMANDS: tuple[type[AgentEvent], ...] = (LogIn, LogOut, SetReady, SetNotReady, ExtendWrapUp)
"""Commands raise `InvalidOperationError` where the table has no entry; other events are ignored."""


@dataclass(frozen=True)
class AgentStateChanged:
    """Publish the new status (UI, presence, statistics)."""

    old: AgentStatus
    new: AgentStatus

    @property
    def status(self) -> AgentStatus:
        return self.new


def agent_events_for(effects: Iterable[CallEffect]) -> list[AgentEvent]:
    """The agent events implied by effects returned from `Lines`."""
    events: list[AgentEvent] = []
    for effect in effects:
        if isinstance(effect, MakeCall | Answer):
            events.append(CallStarted(effect.call_id))
        elif isinstance(effect, CallFinished):
            events.append(CallDone(effect.record.call_id, effect.record.answered))
    return events


def takes_direct_calls(state: AgentState, *, calls_while_not_ready: bool) -> bool:
    """Whether a direct incoming call may ring the agent now; otherwise it is answered busy.

    Signed out never takes calls (the phone is not registered anyway)."""
    if state is AgentState.SIGNED_OUT:
        return False
    return state in AVAILABLE_STATES or calls_while_not_ready


class AgentStateMachine:
    def __init__(self, wrap_up_seconds: float, now: float = 0.0) -> None:
        self._wrap_up_seconds = 0.0
        self.set_wrap_up_seconds(wrap_up_seconds)
        self._status = AgentStatus(AgentState.SIGNED_OUT, since=now)
        self._calls: set[CallId] = set()
        self._answered_any = False
        self._after_calls: tuple[AgentState, str | None] = (AgentState.READY, None)
        """Where wrap-up (or the end of an unanswered call) leads."""

    def set_wrap_up_seconds(self, seconds: float) -> None:
        """The profile's wrap-up time, for wrap-ups that begin from now on (live updates)."""
        if seconds < 0:
            raise ValueError("wrap_up_seconds must not be negative")
        self._wrap_up_seconds = seconds

    @property
    def status(self) -> AgentStatus:
        return self._status

    @property
    def state(self) -> AgentState:
        return self._status.state

    @property
    def next_deadline(self) -> float | None:
        return self._status.wrap_up_until

    def allows(self, event: AgentEvent) -> bool:
        """Whether a command would be accepted now (for enabling the agent's controls)."""
        return (self._status.state, type(event)) in TRANSITIONS

    def handle(self, event: AgentEvent, now: float) -> tuple[AgentStateChanged, ...]:
        transition = TRANSITIONS.get((self._status.state, type(event)))
        if transition is None:
            if isinstance(event, AGENT_COMMANDS):
                raise InvalidOperationError(
                    f"Cannot {_VERBS[type(event)]} while {self._status.state.value}"
                )
            return ()
        before = self._status
        transition(self, event, now)
        return () if self._status == before else (AgentStateChanged(before, self._status),)

    def tick(self, now: float) -> tuple[AgentStateChanged, ...]:
        return self.handle(TimePassed(), now)

    # ---------------------------------------------------------------- transitions

    def _log_in(self, event: LogIn, now: float) -> None:
        self._after_calls = (AgentState.READY, None)
        if event.not_ready_reason is None:
            self._go(AgentState.READY, now)
        else:
            self._go(AgentState.NOT_READY, now, event.not_ready_reason)

    def _log_out(self, event: LogOut, now: float) -> None:
        self._calls.clear()
        self._go(AgentState.SIGNED_OUT, now)

    def _ready(self, event: SetReady, now: float) -> None:
        self._after_calls = (AgentState.READY, None)
        if self._status.state is not AgentState.READY:
            self._go(AgentState.READY, now)

    def _not_ready(self, event: SetNotReady, now: float) -> None:
        self._after_calls = (AgentState.NOT_READY, event.reason)
        if self._status.state is not AgentState.NOT_READY or self._status.reason != event.reason:
            self._go(AgentState.NOT_READY, now, event.reason)

    def _ready_after_calls(self, event: SetReady, now: float) -> None:
        self._after_calls = (AgentState.READY, None)

    def _not_ready_after_calls(self, event: SetNotReady, now: float) -> None:
        self._after_calls = (AgentState.NOT_READY, event.reason)

    def _no_answer_after_calls(self, event: RangUnanswered, now: float) -> None:
        if self._after_calls[0] is AgentState.READY:
            self._after_calls = (AgentState.NO_ANSWER, None)

    def _no_answer(self, event: RangUnanswered, now: float) -> None:
        self._after_calls = (AgentState.NO_ANSWER, None)
        self._go(AgentState.NO_ANSWER, now)

    def _extend(self, event: ExtendWrapUp, now: float) -> None:
        until = self._status.wrap_up_until
        if event.seconds <= 0 or until is None:
            raise InvalidOperationError("Wrap-up cannot be extended")
        self._status = AgentStatus(
            AgentState.WRAP_UP, since=self._status.since, wrap_up_until=until + event.seconds
        )

    def _first_call_started(self, event: CallStarted, now: float) -> None:
        if self._status.state is not AgentState.WRAP_UP:
            self._after_calls = (self._status.state, self._status.reason)
        self._calls = {event.call_id}
        self._answered_any = False
        self._go(AgentState.ON_CALL, now)

    def _another_call_started(self, event: CallStarted, now: float) -> None:
        self._calls.add(event.call_id)

    def _call_done(self, event: CallDone, now: float) -> None:
        if event.call_id not in self._calls:
            return
        self._calls.discard(event.call_id)
        self._answered_any = self._answered_any or event.answered
        if self._calls:
            return
        if self._answered_any and self._wrap_up_seconds > 0:
            self._go(AgentState.WRAP_UP, now, wrap_up_until=now + self._wrap_up_seconds)
        else:
            self._go(self._after_calls[0], now, self._after_calls[1])

    def _wrap_up_tick(self, event: TimePassed, now: float) -> None:
        until = self._status.wrap_up_until
        if until is not None and now >= until:
            self._go(self._after_calls[0], now, self._after_calls[1])

    def _go(
        self,
        state: AgentState,
        now: float,
        reason: str | None = None,
        *,
        wrap_up_until: float | None = None,
    ) -> None:
        self._status = AgentStatus(state, since=now, reason=reason, wrap_up_until=wrap_up_until)


_Transition = Callable[[AgentStateMachine, Any, float], None]
_A = AgentState
_M = AgentStateMachine

TRANSITIONS: Mapping[tuple[AgentState, type[AgentEvent]], _Transition] = MappingProxyType(
    {
        (_A.SIGNED_OUT, LogIn): _M._log_in,
        (_A.READY, SetReady): _M._ready,
        (_A.READY, SetNotReady): _M._not_ready,
        (_A.READY, CallStarted): _M._first_call_started,
        (_A.READY, RangUnanswered): _M._no_answer,
        (_A.READY, LogOut): _M._log_out,
        (_A.NOT_READY, SetReady): _M._ready,
        (_A.NOT_READY, SetNotReady): _M._not_ready,
        (_A.NOT_READY, CallStarted): _M._first_call_started,
        (_A.NOT_READY, LogOut): _M._log_out,
        (_A.NO_ANSWER, SetReady): _M._ready,
        (_A.NO_ANSWER, SetNotReady): _M._not_ready,
        (_A.NO_ANSWER, CallStarted): _M._first_call_started,
        (_A.NO_ANSWER, LogOut): _M._log_out,
        (_A.ON_CALL, SetReady): _M._ready_after_calls,
        (_A.ON_CALL, SetNotReady): _M._not_ready_after_calls,
        (_A.ON_CALL, CallStarted): _M._another_call_started,
        (_A.ON_CALL, CallDone): _M._call_done,
        (_A.ON_CALL, RangUnanswered): _M._no_answer_after_calls,
        (_A.ON_CALL, LogOut): _M._log_out,
        (_A.WRAP_UP, SetReady): _M._ready,
        (_A.WRAP_UP, SetNotReady): _M._not_ready,
        (_A.WRAP_UP, ExtendWrapUp): _M._extend,
        (_A.WRAP_UP, CallStarted): _M._first_call_started,
        (_A.WRAP_UP, TimePassed): _M._wrap_up_tick,
        (_A.WRAP_UP, LogOut): _M._log_out,
    }
)
"""(state, event type) -> transition. Missing agent commands raise `InvalidOperationError` (log in
twice, change readiness while signed out, extend outside wrap-up; logging out during a call is
allowed because signing out hangs the calls up); other
missing pairs are ignored (ticks outside wrap-up, calls while signed out, stale call ends, a
call ringing out while the agent is not ready anyway)."""

_VERBS: Mapping[type[AgentEvent], str] = MappingProxyType(
    {
        LogIn: "log in",
        LogOut: "log out",
        SetReady: "become ready",
        SetNotReady: "become not ready",
        ExtendWrapUp: "extend wrap-up",
        CallStarted: "start a call",
        CallDone: "end a call",
        RangUnanswered: "miss a call",
        TimePassed: "tick",
    }
)
