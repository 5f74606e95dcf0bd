"""Leaving Ready declines the ringing group calls (issue 18), and only those."""

from __future__ import annotations

import pytest

from communicator.core.agent_state import (
    AgentState,
    AgentStateChanged,
    AgentStateMachine,
    AgentStatus,
    LogIn,
    LogOut,
    SetNotReady,
    SetReady,
)
from communicator.core.call_group import CallGroup
from communicator.core.calls import Call, CallDirection, CallId, CallState, RemoteParty
from communicator.core.group_ringing import TEMPORARILY_UNAVAILABLE, group_calls_to_decline

SUPPORT = CallGroup("Support")


def call(
    name: str,
    *,
    group: CallGroup | None = SUPPORT,
    state: CallState = CallState.RINGING_IN,
    answered_at: float | None = None,
) -> Call:
    return Call(
        call_id=CallId(name),
        direction=CallDirection.INCOMING,
        remote=RemoteParty(uri=f"sip:{name}@example.test"),
        line=1,
        state=state,
        created_at=0.0,
        answered_at=answered_at,
        group=group,
    )


def change(old: AgentState, new: AgentState) -> AgentStateChanged:
    return AgentStateChanged(AgentStatus(old, since=0.0), AgentStatus(new, since=1.0))


def test_going_not_ready_declines_the_ringing_group_calls_only() -> None:
    machine = AgentStateMachine(wrap_up_seconds=0)
    machine.handle(LogIn(), now=0.0)
    (going,) = machine.handle(SetNotReady("lunch"), now=1.0)
    lines = (
        call("group-ringing"),
        call("direct-ringing", group=None),
        call("group-answered", state=CallState.CONNECTED, answered_at=0.5),
        None,
        call("other-group", group=CallGroup("Sales")),
    )
    assert group_calls_to_decline(going, lines) == (
        CallId("group-ringing"),
        CallId("other-group"),
    )
    assert TEMPORARILY_UNAVAILABLE == 480  # not a 6xx: the group's other branches go on


def test_signing_out_declines_them_too() -> None:
    machine = AgentStateMachine(wrap_up_seconds=0)
    machine.handle(LogIn(), now=0.0)
    (leaving,) = machine.handle(LogOut(), now=1.0)
    assert group_calls_to_decline(leaving, (call("g"),)) == (CallId("g"),)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (AgentState.READY, AgentState.NOT_READY),
        (AgentState.READY, AgentState.NO_ANSWER),
        (AgentState.READY, AgentState.SIGNED_OUT),
        (AgentState.ON_CALL, AgentState.SIGNED_OUT),
    ],
)
def test_each_way_of_leaving_ready(old: AgentState, new: AgentState) -> None:
    assert group_calls_to_decline(change(old, new), (call("g"),)) == (CallId("g"),)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (AgentState.SIGNED_OUT, AgentState.READY),
        (AgentState.NOT_READY, AgentState.READY),
        (AgentState.NOT_READY, AgentState.NOT_READY),  # another reason
        (AgentState.READY, AgentState.ON_CALL),
        (AgentState.ON_CALL, AgentState.WRAP_UP),
        (AgentState.WRAP_UP, AgentState.NOT_READY),
    ],
)
def test_other_changes_decline_nothing(old: AgentState, new: AgentState) -> None:
    assert group_calls_to_decline(change(old, new), (call("g"),)) == ()


def test_becoming_ready_declines_nothing() -> None:
    machine = AgentStateMachine(wrap_up_seconds=0)
    machine.handle(LogIn("lunch"), now=0.0)
    (ready,) = machine.handle(SetReady(), now=1.0)
    assert group_calls_to_decline(ready, (call("g"),)) == ()
