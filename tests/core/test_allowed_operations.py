"""What the agent may do now, as the buttons read it (the property test in test_properties.py
checks it against the operations for random sequences)."""

from __future__ import annotations

import pytest

from communicator.core.call_events import CallConfirmed
from communicator.core.calls import CallId, CallState
from communicator.core.errors import LinesBusyError
from communicator.core.lines import Operation
from tests.core.helpers import call_id_of, call_in_state, make_lines

Op = Operation


def test_a_ringing_call_can_be_answered_rejected_or_switched_to() -> None:
    lines = make_lines()
    ringing = call_in_state(lines, CallState.RINGING_IN)
    assert lines.allowed_operations(ringing) == {
        Op.ANSWER,
        Op.REJECT,
        Op.HANGUP,
        Op.ACTIVATE,
        Op.ATTACH_RECORDING,
    }


def test_a_lone_connected_call() -> None:
    lines = make_lines()
    call = call_in_state(lines, CallState.CONNECTED)
    assert lines.allowed_operations(call) == {
        Op.HANGUP,
        Op.HOLD,
        Op.ACTIVATE,
        Op.MUTE,
        Op.DTMF,
        Op.BLIND_TRANSFER,
        Op.START_CONSULT,
        Op.ATTACH_RECORDING,
        Op.FOLLOW_TRANSFER,
    }
    assert lines.conference_partners(call) == ()


def test_a_pending_blind_transfer_allows_no_second_transfer_and_no_conference() -> None:
    lines = make_lines()
    first = call_in_state(lines, CallState.CONNECTED)
    second = call_in_state(lines, CallState.CONNECTED)  # holds the first
    assert lines.conference_partners(second) == (first,)
    lines.blind_transfer(second, "2002", 1.0)
    allowed = lines.allowed_operations(second)
    assert not allowed & {Op.BLIND_TRANSFER, Op.START_CONSULT, Op.CONFERENCE, Op.FOLLOW_TRANSFER}
    assert Op.HANGUP in allowed
    assert lines.conference_partners(first) == ()
    assert "already in progress" in str(lines.refusal(Op.BLIND_TRANSFER, second))


def test_consultation_steps_follow_the_consultation() -> None:
    lines = make_lines()
    original = call_in_state(lines, CallState.CONNECTED)
    consult = call_id_of(lines.start_consult(original, "2002", 1.0))
    # Not answered yet: it can be cancelled, not completed.
    for call_id in (original, consult):
        allowed = lines.allowed_operations(call_id)
        assert Op.CANCEL_CONSULT in allowed
        assert Op.COMPLETE_TRANSFER not in allowed
    lines.handle(CallConfirmed(consult), 2.0)
    for call_id in (original, consult):
        assert {Op.CANCEL_CONSULT, Op.COMPLETE_TRANSFER} <= lines.allowed_operations(call_id)
    assert lines.conference_partners(original) == (consult,)


def test_placing_a_call_needs_a_free_line() -> None:
    lines = make_lines(max_lines=1)
    assert lines.can_place_call()
    call = call_in_state(lines, CallState.CONNECTED)
    assert not lines.can_place_call()
    assert not lines.can_place_call(1)
    assert not lines.can_place_call(2)  # there is no line 2
    assert Op.START_CONSULT not in lines.allowed_operations(call)
    assert isinstance(lines.refusal(Op.START_CONSULT, call), LinesBusyError)


def test_swap_needs_one_active_and_one_held_call() -> None:
    lines = make_lines()
    call_in_state(lines, CallState.CONNECTED)
    assert not lines.can_swap
    call_in_state(lines, CallState.CONNECTED)
    assert lines.can_swap


def test_an_ended_call_allows_nothing() -> None:
    lines = make_lines()
    call = call_in_state(lines, CallState.CONNECTED)
    lines.hangup(call, 1.0)
    assert lines.allowed_operations(call) == frozenset()
    assert lines.allowed_operations(CallId("never-existed")) == frozenset()
    assert "already ended" in str(lines.refusal(Op.HOLD, call))


@pytest.mark.parametrize("state", [CallState.DIALING, CallState.EARLY_MEDIA])
def test_an_outgoing_call_being_set_up(state: CallState) -> None:
    lines = make_lines()
    call = call_in_state(lines, state)
    allowed = lines.allowed_operations(call)
    assert {Op.HANGUP, Op.MUTE} <= allowed
    assert (Op.DTMF in allowed) is (state is CallState.EARLY_MEDIA)
    assert Op.HOLD not in allowed
