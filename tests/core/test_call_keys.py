"""What a headset's call keys do (`core.call_keys`), on the lines as the agent sees them."""

from __future__ import annotations

from communicator.core.call_keys import CallKey, CallKeyAction, call_key_action
from communicator.core.calls import Call, CallDirection, CallId, CallState, RemoteParty
from communicator.core.line_view import AGENT_OPERATIONS, LineView
from communicator.core.operations import OPERATION_STATES, Operation


def line(
    number: int, state: CallState | None, direction: CallDirection = CallDirection.INCOMING
) -> LineView:
    if state is None:
        return LineView(number, None)
    call = Call(
        call_id=CallId(f"c{number}"),
        direction=direction,
        remote=RemoteParty.from_uri(f"sip:200{number}@example.com"),
        line=number,
        state=state,
        created_at=0.0,
    )
    allowed = frozenset(op for op in AGENT_OPERATIONS if state in OPERATION_STATES.get(op, ()))
    return LineView(number, call, allowed)


def test_call_answers_the_ringing_call_and_does_nothing_without_one() -> None:
    lines = [line(1, CallState.CONNECTED), line(2, CallState.RINGING_IN)]
    assert call_key_action(CallKey.CALL, lines) == CallKeyAction(Operation.ANSWER, CallId("c2"))
    assert call_key_action(CallKey.CALL, [line(1, CallState.CONNECTED), line(2, None)]) is None
    assert call_key_action(CallKey.CALL, [line(1, None), line(2, None)]) is None


def test_hang_up_ends_the_talk_then_the_dialling_then_declines_a_ringing_call() -> None:
    talking = [line(1, CallState.RINGING_IN), line(2, CallState.CONNECTED)]
    assert call_key_action(CallKey.HANG_UP, talking) == CallKeyAction(
        Operation.HANGUP, CallId("c2")
    )
    dialling = [line(1, CallState.RINGING_OUT, CallDirection.OUTGOING), line(2, None)]
    assert call_key_action(CallKey.HANG_UP, dialling) == CallKeyAction(
        Operation.HANGUP, CallId("c1")
    )
    ringing = [line(1, CallState.RINGING_IN), line(2, None)]
    assert call_key_action(CallKey.HANG_UP, ringing) == CallKeyAction(
        Operation.REJECT, CallId("c1")
    )
    assert call_key_action(CallKey.HANG_UP, [line(1, CallState.HELD), line(2, None)]) is None


def test_the_one_button_answers_when_nothing_is_connected_else_hangs_up() -> None:
    ringing = [line(1, CallState.RINGING_IN), line(2, None)]
    assert call_key_action(CallKey.TOGGLE, ringing) == CallKeyAction(Operation.ANSWER, CallId("c1"))
    busy = [line(1, CallState.CONNECTED), line(2, CallState.RINGING_IN)]
    assert call_key_action(CallKey.TOGGLE, busy) == CallKeyAction(Operation.HANGUP, CallId("c1"))
    assert call_key_action(CallKey.TOGGLE, [line(1, None), line(2, None)]) is None
