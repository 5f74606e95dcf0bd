"""The agent's availability: READY, NOT_READY (with a reason code), ON_CALL, WRAP_UP.

Driven by agent commands (`SignIn`, `SetReady`, `SetNotReady`, `SignOut`), by call events
(`CallStarted`, `CallEnded`; `agent_events_for` derives them from `Lines` effects) and by
`Tick` for the end of wrap-up. Time is passed in as ``now``.

After the last call ends the agent is in WRAP_UP for ``wrap_up_seconds`` (if any of those calls
was answered; a call nobody answered needs no after-call work), then goes back to READY -
unless the agent was NOT_READY when the call began or asked for NOT_READY during the call or
wrap-up: then back to NOT_READY with that reason, so an agent on a break who makes a call is
not handed the next customer. `SetReady` during wrap-up ends it early.
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
    ON_CALL = "on a call"
    WRAP_UP = "in wrap-up"


@dataclass(frozen=True)
class AgentStatus:
    state: AgentState
    since: float
    reason: str | None = None
    """The NOT_READY reason code."""
    wrap_up_until: float | None = None


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class SignIn:
    not_ready_reason: str | None = None
    """None signs in READY; a reason code signs in NOT_READY with it."""


@dataclass(frozen=True)
class SignOut:
    pass


@dataclass(frozen=True)
class SetReady:
    pass


@dataclass(frozen=True)
class SetNotReady:
    reason: str


@dataclass(frozen=True)
class CallStarted:
    """The agent placed or answered a call."""

    call_id: CallId


@dataclass(frozen=True)
class CallEnded:
    call_id: CallId
    answered: bool


@dataclass(frozen=True)
class Tick:
    pass


AgentEvent = SignIn | SignOut | SetReady | SetNotReady | CallStarted | CallEnded | Tick
AGENT_COMMANDS: tuple[type[AgentEvent], ...] = (SignIn, SignOut, SetReady, SetNotReady)
"""Commands raise `InvalidOperationError` where the table has no entry; other events are ignored."""


@dataclass(frozen=True)
class AgentStateChanged:
    """Publish the new status (UI, presence, statistics)."""

    status: AgentStatus


def agent_events_for(effects: Iterable[CallEffect]) -> list[AgentEvent]:
    """The agent events implied by effects returned from `Lines`."""
    events: list[AgentEvent] = []
    for effect in effects:
        if isinstance(effect, MakeCall | Answer):
            events.append(CallStarted(effect.call_id))
        elif isinstance(effect, CallFinished):
            events.append(CallEnded(effect.record.call_id, effect.record.answered))
    return events


class AgentStateMachine:
    def __init__(self, wrap_up_seconds: float, now: float = 0.0) -> None:
        if wrap_up_seconds < 0:
            raise ValueError("wrap_up_seconds must not be negative")
        self._wrap_up_seconds = wrap_up_seconds
        self._status = AgentStatus(AgentState.SIGNED_OUT, since=now)
        self._calls: set[CallId] = set()
        self._answered_any = False
        self._after_calls: tuple[AgentState, str | None] = (AgentState.READY, None)
        """Where wrap-up (or the end of an unanswered call) leads."""

    @property
    def status(self) -> AgentStatus:
        return self._status

    @property
    def state(self) -> AgentState:
        return self._status.state

    @property
    def next_deadline(self) -> float | None:
        return self._status.wrap_up_until

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
        return () if self._status == before else (AgentStateChanged(self._status),)

    def tick(self, now: float) -> tuple[AgentStateChanged, ...]:
        return self.handle(Tick(), now)

    # ---------------------------------------------------------------- transitions

    def _sign_in(self, event: SignIn, now: float) -> None:
        if event.not_ready_reason is None:
            self._go(AgentState.READY, now)
        else:
            self._go(AgentState.NOT_READY, now, event.not_ready_reason)

    def _sign_out(self, event: SignOut, now: float) -> None:
        self._calls.clear()
        self._go(AgentState.SIGNED_OUT, now)

    def _ready(self, event: SetReady, now: float) -> None:
        if self._status.state is not AgentState.READY:
            self._go(AgentState.READY, now)

    def _not_ready(self, event: SetNotReady, now: float) -> None:
        if self._status.state is not AgentState.NOT_READY or self._status.reason != event.reason:
            self._go(AgentState.NOT_READY, now, event.reason)

    def _ready_after_calls(self, event: SetReady, now: float) -> None:
        self._after_calls = (AgentState.READY, None)

    def _not_ready_after_calls(self, event: SetNotReady, now: float) -> None:
        self._after_calls = (AgentState.NOT_READY, event.reason)

    def _first_call_started(self, event: CallStarted, now: float) -> None:
        if self._status.state is not AgentState.WRAP_UP:
            self._after_calls = (self._status.state, self._status.reason)
        self._calls = {event.call_id}
        self._answered_any = False
        self._go(AgentState.ON_CALL, now)

    def _another_call_started(self, event: CallStarted, now: float) -> None:
        self._calls.add(event.call_id)

    def _call_ended(self, event: CallEnded, now: float) -> None:
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

    def _wrap_up_tick(self, event: Tick, now: float) -> None:
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
        (_A.SIGNED_OUT, SignIn): _M._sign_in,
        (_A.READY, SetReady): _M._ready,
        (_A.READY, SetNotReady): _M._not_ready,
        (_A.READY, CallStarted): _M._first_call_started,
        (_A.READY, SignOut): _M._sign_out,
        (_A.NOT_READY, SetReady): _M._ready,
        (_A.NOT_READY, SetNotReady): _M._not_ready,
        (_A.NOT_READY, CallStarted): _M._first_call_started,
        (_A.NOT_READY, SignOut): _M._sign_out,
        (_A.ON_CALL, SetReady): _M._ready_after_calls,
        (_A.ON_CALL, SetNotReady): _M._not_ready_after_calls,
        (_A.ON_CALL, CallStarted): _M._another_call_started,
        (_A.ON_CALL, CallEnded): _M._call_ended,
        (_A.WRAP_UP, SetReady): _M._ready,
        (_A.WRAP_UP, SetNotReady): _M._not_ready,
        (_A.WRAP_UP, CallStarted): _M._first_call_started,
        (_A.WRAP_UP, Tick): _M._wrap_up_tick,
        (_A.WRAP_UP, SignOut): _M._sign_out,
    }
)
"""(state, event type) -> transition. Missing agent commands raise `InvalidOperationError` (sign in
twice, sign out during a call, change readiness while signed out); other missing pairs are
ignored (ticks outside wrap-up, calls while signed out, stale call ends)."""

_VERBS: Mapping[type[AgentEvent], str] = MappingProxyType(
    {
        SignIn: "sign in",
        SignOut: "sign out",
        SetReady: "become ready",
        SetNotReady: "become not ready",
        CallStarted: "start a call",
        CallEnded: "end a call",
        Tick: "tick",
    }
)
