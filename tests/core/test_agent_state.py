from __future__ import annotations

import pytest

from communicator.core.agent_state import (
    TRANSITIONS,
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
    TimePassed,
    agent_events_for,
    takes_direct_calls,
)
from communicator.core.call_effects import Outcome
from communicator.core.calls import CallId
from communicator.core.errors import InvalidOperationError
from tests.core.helpers import CALLER, call_id_of, make_lines

A = AgentState
C1, C2 = CallId("c1"), CallId("c2")
WRAP = 30.0


def machine_in(state: AgentState) -> AgentStateMachine:
    m = AgentStateMachine(WRAP)
    if state is A.SIGNED_OUT:
        return m
    m.handle(LogIn(), 0.0)
    if state is A.NOT_READY:
        m.handle(SetNotReady("break"), 0.0)
    if state in (A.ON_CALL, A.WRAP_UP):
        m.handle(CallStarted(C1), 1.0)
    if state is A.WRAP_UP:
        m.handle(CallDone(C1, answered=True), 2.0)
    if state is A.NO_ANSWER:
        m.handle(RangUnanswered(C1), 1.0)
    assert m.state is state
    return m


EVENTS: dict[type[AgentEvent], AgentEvent] = {
    LogIn: LogIn(),
    LogOut: LogOut(),
    SetReady: SetReady(),
    SetNotReady: SetNotReady("lunch"),
    CallStarted: CallStarted(C2),
    CallDone: CallDone(C1, answered=True),
    TimePassed: TimePassed(),
    RangUnanswered: RangUnanswered(C2),
    ExtendWrapUp: ExtendWrapUp(15.0),
}

EXPECTED: dict[tuple[AgentState, type[AgentEvent]], AgentState] = {
    (A.SIGNED_OUT, LogIn): A.READY,
    (A.READY, SetReady): A.READY,
    (A.READY, SetNotReady): A.NOT_READY,
    (A.READY, CallStarted): A.ON_CALL,
    (A.READY, LogOut): A.SIGNED_OUT,
    (A.READY, RangUnanswered): A.NO_ANSWER,
    (A.NOT_READY, SetReady): A.READY,
    (A.NOT_READY, SetNotReady): A.NOT_READY,
    (A.NOT_READY, CallStarted): A.ON_CALL,
    (A.NOT_READY, LogOut): A.SIGNED_OUT,
    (A.NO_ANSWER, SetReady): A.READY,
    (A.NO_ANSWER, SetNotReady): A.NOT_READY,
    (A.NO_ANSWER, CallStarted): A.ON_CALL,
    (A.NO_ANSWER, LogOut): A.SIGNED_OUT,
    (A.ON_CALL, SetReady): A.ON_CALL,
    (A.ON_CALL, SetNotReady): A.ON_CALL,
    (A.ON_CALL, CallStarted): A.ON_CALL,
    (A.ON_CALL, CallDone): A.WRAP_UP,
    (A.ON_CALL, RangUnanswered): A.ON_CALL,
    (A.ON_CALL, LogOut): A.SIGNED_OUT,
    (A.WRAP_UP, SetReady): A.READY,
    (A.WRAP_UP, SetNotReady): A.NOT_READY,
    (A.WRAP_UP, ExtendWrapUp): A.WRAP_UP,
    (A.WRAP_UP, CallStarted): A.ON_CALL,
    (A.WRAP_UP, TimePassed): A.READY,
    (A.WRAP_UP, LogOut): A.SIGNED_OUT,
}


def test_the_expected_table_covers_every_transition() -> None:
    assert set(EXPECTED) == set(TRANSITIONS)


@pytest.mark.parametrize(("state", "event_type"), sorted(EXPECTED, key=str))
def test_transition(state: AgentState, event_type: type[AgentEvent]) -> None:
    m = machine_in(state)
    now = 2.0 + WRAP if event_type is TimePassed else 5.0
    m.handle(EVENTS[event_type], now)
    assert m.state is EXPECTED[(state, event_type)]


UNLISTED = [
    (state, event_type)
    for state in AgentState
    for event_type in EVENTS
    if (state, event_type) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "event_type"), UNLISTED)
def test_other_events_are_refused_or_ignored(
    state: AgentState, event_type: type[AgentEvent]
) -> None:
    m = machine_in(state)
    before = m.status
    if event_type in (LogIn, LogOut, SetReady, SetNotReady, ExtendWrapUp):
        with pytest.raises(InvalidOperationError, match="Cannot"):
            m.handle(EVENTS[event_type], 100.0)
    else:
        assert m.handle(EVENTS[event_type], 100.0) == ()
    assert m.status == before


def test_wrap_up_after_an_answered_call_then_ready() -> None:
    m = machine_in(A.READY)
    m.handle(CallStarted(C1), 10.0)
    (changed,) = m.handle(CallDone(C1, answered=True), 70.0)
    assert changed == AgentStateChanged(
        AgentStatus(A.ON_CALL, since=10.0), AgentStatus(A.WRAP_UP, since=70.0, wrap_up_until=100.0)
    )
    assert m.next_deadline == 100.0
    assert m.tick(99.9) == ()
    (changed,) = m.tick(100.0)
    assert changed.status == AgentStatus(A.READY, since=100.0)
    assert m.next_deadline is None


def test_no_wrap_up_when_no_call_was_answered() -> None:
    m = machine_in(A.READY)
    m.handle(CallStarted(C1), 10.0)
    m.handle(CallDone(C1, answered=False), 20.0)
    assert m.state is A.READY


def test_zero_wrap_up_goes_straight_back() -> None:
    m = AgentStateMachine(0.0)
    m.handle(LogIn(), 0.0)
    m.handle(CallStarted(C1), 1.0)
    m.handle(CallDone(C1, answered=True), 2.0)
    assert m.state is A.READY


def test_wrap_up_starts_after_the_last_of_several_calls() -> None:
    m = machine_in(A.READY)
    m.handle(CallStarted(C1), 1.0)
    m.handle(CallStarted(C2), 2.0)
    m.handle(CallDone(C1, answered=True), 3.0)
    assert m.state is A.ON_CALL
    m.handle(CallDone(C2, answered=False), 4.0)
    assert m.status == AgentStatus(A.WRAP_UP, since=4.0, wrap_up_until=34.0)


def test_not_ready_before_the_call_returns_to_not_ready_with_its_reason() -> None:
    m = machine_in(A.NOT_READY)
    m.handle(CallStarted(C1), 1.0)
    m.handle(CallDone(C1, answered=True), 2.0)
    m.tick(32.0)
    assert m.status == AgentStatus(A.NOT_READY, since=32.0, reason="break")


def test_not_ready_requested_during_the_call_applies_after_wrap_up() -> None:
    m = machine_in(A.READY)
    m.handle(CallStarted(C1), 1.0)
    assert m.handle(SetNotReady("coaching"), 1.5) == ()
    m.handle(CallDone(C1, answered=True), 2.0)
    assert m.state is A.WRAP_UP
    m.tick(32.0)
    assert m.status.state is A.NOT_READY
    assert m.status.reason == "coaching"


def test_ready_during_wrap_up_ends_it_early() -> None:
    m = machine_in(A.WRAP_UP)
    (changed,) = m.handle(SetReady(), 5.0)
    assert changed.status == AgentStatus(A.READY, since=5.0)


def test_a_new_call_during_wrap_up_keeps_where_wrap_up_leads() -> None:
    m = machine_in(A.NOT_READY)
    m.handle(CallStarted(C1), 1.0)
    m.handle(CallDone(C1, answered=True), 2.0)
    m.handle(CallStarted(C2), 3.0)
    m.handle(CallDone(C2, answered=True), 4.0)
    m.tick(34.0)
    assert m.status.reason == "break"


def test_unchanged_status_emits_nothing() -> None:
    m = machine_in(A.READY)
    assert m.handle(SetReady(), 3.0) == ()
    m.handle(SetNotReady("break"), 3.0)
    assert m.handle(SetNotReady("break"), 4.0) == ()
    assert len(m.handle(SetNotReady("lunch"), 5.0)) == 1


def test_negative_wrap_up_is_refused() -> None:
    with pytest.raises(ValueError):
        AgentStateMachine(-1)


def test_agent_events_follow_the_lines() -> None:
    lines = make_lines()
    m = machine_in(A.READY)

    def feed(outcome: Outcome, now: float) -> None:
        for event in agent_events_for(outcome.effects):
            m.handle(event, now)

    incoming = lines.incoming_call(CALLER, 1.0)
    feed(incoming, 1.0)
    assert m.status.state is A.READY, "a ringing call does not make the agent busy"
    feed(lines.answer(call_id_of(incoming), 2.0), 2.0)
    assert m.state is A.ON_CALL
    outgoing = lines.place_call("2001", 2.5)
    feed(outgoing, 2.5)
    feed(lines.hangup(call_id_of(incoming), 3.0), 3.0)
    assert m.state is A.ON_CALL
    feed(lines.hangup(call_id_of(outgoing), 4.0), 4.0)
    assert m.status == AgentStatus(A.WRAP_UP, since=4.0, wrap_up_until=34.0)


def test_extend_wrap_up_moves_its_end_and_keeps_its_start() -> None:
    m = machine_in(A.WRAP_UP)
    (changed,) = m.handle(ExtendWrapUp(15.0), 10.0)
    assert changed.old.wrap_up_until == 2.0 + WRAP
    assert changed.new == AgentStatus(A.WRAP_UP, since=2.0, wrap_up_until=2.0 + WRAP + 15.0)
    assert m.tick(2.0 + WRAP) == ()
    assert m.tick(2.0 + WRAP + 15.0)[0].new.state is A.READY


def test_extend_by_nothing_is_refused() -> None:
    m = machine_in(A.WRAP_UP)
    with pytest.raises(InvalidOperationError):
        m.handle(ExtendWrapUp(0.0), 3.0)
    assert m.state is A.WRAP_UP


def test_a_call_that_rang_out_makes_a_ready_agent_not_ready_no_answer() -> None:
    m = machine_in(A.READY)
    (changed,) = m.handle(RangUnanswered(C1), 7.0)
    assert changed.new == AgentStatus(A.NO_ANSWER, since=7.0)
    assert m.tick(1000.0) == (), "only the agent leaves no-answer"
    assert m.handle(SetReady(), 9.0)[0].new.state is A.READY


def test_a_call_that_rang_out_during_a_call_applies_after_it() -> None:
    m = machine_in(A.READY)
    m.handle(CallStarted(C1), 1.0)
    m.handle(RangUnanswered(C2), 2.0)
    assert m.state is A.ON_CALL
    m.handle(CallDone(C1, answered=True), 3.0)
    (changed,) = m.tick(3.0 + WRAP)
    assert changed.new.state is A.NO_ANSWER


def test_a_call_ringing_out_while_not_ready_keeps_the_reason() -> None:
    m = machine_in(A.NOT_READY)
    assert m.handle(RangUnanswered(C1), 2.0) == ()
    assert m.status.reason == "break"


def test_wrap_up_time_follows_the_profile_for_the_next_wrap_up() -> None:
    m = machine_in(A.READY)
    m.set_wrap_up_seconds(5.0)
    m.handle(CallStarted(C1), 1.0)
    m.handle(CallDone(C1, answered=True), 2.0)
    assert m.next_deadline == 7.0


@pytest.mark.parametrize(
    ("state", "allowed", "expected"),
    [
        (A.READY, False, True),
        (A.ON_CALL, False, True),
        (A.NOT_READY, False, False),
        (A.WRAP_UP, False, False),
        (A.NO_ANSWER, False, False),
        (A.NOT_READY, True, True),
        (A.WRAP_UP, True, True),
        (A.SIGNED_OUT, True, False),
    ],
)
def test_direct_calls_while_not_ready_follow_the_profile(
    state: AgentState, allowed: bool, expected: bool
) -> None:
    assert takes_direct_calls(state, calls_while_not_ready=allowed) is expected


def test_allows_matches_the_table() -> None:
    m = machine_in(A.NOT_READY)
    assert m.allows(SetReady())
    assert not m.allows(ExtendWrapUp(10.0))
    assert not m.allows(LogIn())
