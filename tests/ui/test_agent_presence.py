"""AgentPresence on the Qt loop: calls derived from the lines, the no-answer timer, wrap-up
timer and extension, the profile's reason codes (no SIP: the lines are given as values)."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.agent_state import AgentState, AgentStateChanged
from communicator.core.call_record import CallRecord
from communicator.core.calls import Call, CallDirection, CallId, CallState, EndReason, RemoteParty
from communicator.core.errors import InvalidOperationError
from communicator.provisioning.schema.call_center import CallCenterSettings, NotReadyReason
from communicator.ui.agent_presence import AgentPresence

CALLER = RemoteParty.from_uri("sip:2002@pbx.test")


def settings(**fields: Any) -> CallCenterSettings:
    base: dict[str, Any] = {
        "not_ready_reasons": (NotReadyReason(code="lunch", label="Lunch"),),
        "wrap_up_seconds": 30,
        "no_answer_seconds": 1,
        "wrap_up_extension_seconds": 15,
    }
    return CallCenterSettings(**{**base, **fields})


def ringing(call_id: str, *, answered: bool = False) -> Call:
    return Call(
        call_id=CallId(call_id),
        direction=CallDirection.INCOMING,
        remote=CALLER,
        line=1,
        state=CallState.CONNECTED if answered else CallState.RINGING_IN,
        created_at=1000.0,
        ringing_at=1000.0,
        answered_at=1001.0 if answered else None,
    )


def ended(call: Call, *, answered: bool) -> CallRecord:
    import uuid

    return CallRecord(
        record_id=uuid.uuid4(),
        call_id=call.call_id,
        direction=call.direction,
        remote=call.remote,
        line=1,
        created_at=1000.0,
        ringing_at=1000.0,
        answered_at=1001.0 if answered else None,
        ended_at=1010.0,
        duration=10.0,
        talk_time=9.0 if answered else 0.0,
        end_reason=EndReason.REMOTE_HANGUP if answered else EndReason.MISSED,
        sip_code=None,
        missed=not answered,
    )


def state_of(presence: AgentPresence) -> AgentState:
    return presence.status.state


@pytest.fixture
def presence(qapp: Any) -> AgentPresence:
    p = AgentPresence()
    p.configure(settings())
    p.log_in()
    return p


def test_an_answered_call_is_on_call_then_wrap_up_then_ready(
    presence: AgentPresence, qtbot: Any
) -> None:
    changes: list[AgentStateChanged] = []
    presence.changed.connect(changes.append)
    call = ringing("c1")
    presence.lines_changed((call,))
    assert state_of(presence) is AgentState.READY, "ringing does not make the agent busy"
    presence.lines_changed((ringing("c1", answered=True),))
    assert state_of(presence) is AgentState.ON_CALL
    presence.configure(settings(wrap_up_seconds=1))
    presence.call_done(ended(call, answered=True))
    assert state_of(presence) is AgentState.WRAP_UP
    qtbot.waitUntil(lambda: state_of(presence) is AgentState.READY, timeout=3000)
    assert [c.new.state for c in changes] == [
        AgentState.ON_CALL,
        AgentState.WRAP_UP,
        AgentState.READY,
    ]


def test_a_call_ringing_past_the_no_answer_time_makes_the_agent_not_ready(
    presence: AgentPresence, qtbot: Any
) -> None:
    presence.lines_changed((ringing("c1"),))
    with qtbot.waitSignal(presence.changed, timeout=3000) as changed:
        pass
    assert changed.args[0].new.state is AgentState.NO_ANSWER
    assert not presence.takes_direct_calls()
    presence.set_ready()
    assert presence.status.state is AgentState.READY


def test_reasons_come_from_the_profile(presence: AgentPresence) -> None:
    with pytest.raises(InvalidOperationError, match="Lunch"):
        presence.set_not_ready("coffee")
    presence.set_not_ready("lunch")
    assert presence.status.reason == "lunch"
    assert not presence.takes_direct_calls()
    presence.configure(settings(calls_while_not_ready=True))
    assert presence.takes_direct_calls()


def test_wrap_up_extension_follows_the_profile(presence: AgentPresence) -> None:
    call = ringing("c1", answered=True)
    presence.lines_changed((call,))
    presence.call_done(ended(call, answered=True))
    until = presence.status.wrap_up_until
    assert until is not None and presence.can_extend_wrap_up
    presence.extend_wrap_up()
    assert presence.status.wrap_up_until == until + 15
    presence.configure(settings(wrap_up_extension_seconds=0))
    assert not presence.can_extend_wrap_up
    with pytest.raises(InvalidOperationError, match="does not allow"):
        presence.extend_wrap_up()


def test_log_out_during_a_call_signs_the_agent_out(presence: AgentPresence) -> None:
    presence.lines_changed((ringing("c1", answered=True),))
    presence.log_out()
    assert presence.status.state is AgentState.SIGNED_OUT
