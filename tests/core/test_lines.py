from __future__ import annotations

from collections.abc import Callable

import pytest

from communicator.core.call_effects import (
    Answer,
    CallFinished,
    Hangup,
    Hold,
    MakeCall,
    Notice,
    Outcome,
    Reject,
    SendDtmf,
    SendRinging,
    SetMute,
    Unhold,
)
from communicator.core.call_events import CallConfirmed
from communicator.core.calls import (
    LIVE_STATES,
    CallDirection,
    CallId,
    CallState,
    DtmfMethod,
    EndReason,
    HoldState,
)
from communicator.core.errors import (
    InvalidDialStringError,
    InvalidDtmfError,
    InvalidOperationError,
    LinesBusyError,
)
from communicator.core.forwarding_decision import NO_FORWARDING, ForwardingDecision
from communicator.core.lines import OPERATION_STATES, Lines, Operation
from tests.core.helpers import (
    CALLER,
    call_id_of,
    call_in_state,
    connected_outgoing,
    make_lines,
    records,
)

INVOKE: dict[Operation, Callable[[Lines, CallId], Outcome]] = {
    Operation.ANSWER: lambda lines, c: lines.answer(c, 1.0),
    Operation.REJECT: lambda lines, c: lines.reject(c, 1.0),
    Operation.HANGUP: lambda lines, c: lines.hangup(c, 1.0),
    Operation.HOLD: lambda lines, c: lines.hold(c),
    Operation.RESUME: lambda lines, c: lines.resume(c),
    Operation.ACTIVATE: lambda lines, c: lines.switch_line(lines.call(c).line or 0, 1.0),
    Operation.MUTE: lambda lines, c: lines.set_mute(c, True),
    Operation.DTMF: lambda lines, c: lines.send_dtmf(c, "1"),
    Operation.BLIND_TRANSFER: lambda lines, c: lines.blind_transfer(c, "2002", 1.0),
    Operation.START_CONSULT: lambda lines, c: lines.start_consult(c, "2002", 1.0),
    Operation.COMPLETE_TRANSFER: lambda lines, c: lines.complete_transfer(c, 1.0),
    Operation.CANCEL_CONSULT: lambda lines, c: lines.cancel_consult(c, 1.0),
    Operation.CONFERENCE: lambda lines, c: lines.conference(c, c),
    Operation.SPLIT: lambda lines, c: lines.split_conference(c),
    Operation.ATTACH_RECORDING: lambda lines, c: lines.attach_recording(c, "/rec/1.wav"),
    Operation.FOLLOW_TRANSFER: lambda lines, c: lines.follow_transfer(c, "2002", 1.0),
}

# Operations whose only precondition is the call state (the others also need a conference, a
# consultation or a second call and are tested on their own).
STATE_ONLY = {
    Operation.ANSWER,
    Operation.REJECT,
    Operation.HANGUP,
    Operation.HOLD,
    Operation.RESUME,
    Operation.ACTIVATE,
    Operation.MUTE,
    Operation.DTMF,
    Operation.BLIND_TRANSFER,
    Operation.START_CONSULT,
    Operation.ATTACH_RECORDING,
    Operation.FOLLOW_TRANSFER,
}


def test_every_operation_has_a_state_table_entry_and_an_invoker() -> None:
    assert set(OPERATION_STATES) == set(Operation) == set(INVOKE)


@pytest.mark.parametrize("state", sorted(LIVE_STATES, key=str))
@pytest.mark.parametrize("operation", list(Operation))
def test_operation_in_state(operation: Operation, state: CallState) -> None:
    lines = make_lines(3)
    call_id = call_in_state(lines, state)
    before = lines.calls
    if state not in OPERATION_STATES[operation]:
        with pytest.raises(InvalidOperationError, match=f"it is {state.label}$") as error:
            INVOKE[operation](lines, call_id)
        assert "line 1" in str(error.value)
        assert lines.calls == before
    elif operation in STATE_ONLY:
        INVOKE[operation](lines, call_id)
    else:
        with pytest.raises(InvalidOperationError):
            INVOKE[operation](lines, call_id)
        assert lines.calls == before


@pytest.mark.parametrize("operation", list(Operation))
def test_operations_on_an_ended_call_are_refused(operation: Operation) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.hangup(call_id, 2.0)
    if operation is Operation.ACTIVATE:
        with pytest.raises(InvalidOperationError, match="Line 1 is free"):
            lines.switch_line(1, 3.0)
    else:
        with pytest.raises(InvalidOperationError, match="already ended"):
            INVOKE[operation](lines, call_id)
    assert lines.calls == {}


def test_place_call_dials_on_the_first_free_line() -> None:
    lines = make_lines()
    outcome = lines.place_call("020 7946 0958", 10.0)
    call_id = call_id_of(outcome)
    assert outcome.effects == (MakeCall(call_id, "sip:+442079460958@pbx.example.com"),)
    call = lines.call(call_id)
    assert (call.line, call.state, call.direction) == (1, CallState.DIALING, CallDirection.OUTGOING)
    assert call.remote.number == "+442079460958"
    assert call.created_at == 10.0
    assert lines.free_lines == (2,)
    assert call.remote.display_name == ""  # typed: nobody known
    assert call.remote.label == "+442079460958"


def test_place_call_keeps_whom_the_agent_picked() -> None:
    lines = make_lines()
    call = lines.call(call_id_of(lines.place_call("1002", 10.0, name="Bert Colleague")))
    assert (call.remote.display_name, call.remote.number) == ("Bert Colleague", "1002")
    assert call.remote.label == "Bert Colleague"


def test_place_call_holds_the_active_call_first() -> None:
    lines = make_lines()
    first = call_in_state(lines, CallState.CONNECTED)
    outcome = lines.place_call("2001", 5.0)
    second = call_id_of(outcome)
    assert outcome.effects == (Hold(first), MakeCall(second, "sip:2001@pbx.example.com"))
    assert lines.call(first).state is CallState.HELD
    assert lines.call(second).line == 2


@pytest.mark.parametrize(
    ("max_lines", "message"), [(1, "The line is busy"), (3, "All 3 lines are busy")]
)
def test_place_call_is_refused_when_all_lines_are_busy(max_lines: int, message: str) -> None:
    lines = make_lines(max_lines)
    for _ in range(max_lines):
        call_in_state(lines, CallState.CONNECTED)
    before = lines.calls
    with pytest.raises(LinesBusyError, match=f"^{message}$"):
        lines.place_call("2001", 9.0)
    assert lines.calls == before


def test_place_call_on_a_chosen_line() -> None:
    lines = make_lines(3)
    call_id = call_id_of(lines.place_call("2001", 0.0, line=3))
    assert lines.call(call_id).line == 3
    assert lines.by_line()[2] == lines.call(call_id)
    with pytest.raises(LinesBusyError, match="Line 3 is busy"):
        lines.place_call("2002", 0.0, line=3)
    with pytest.raises(InvalidOperationError, match="no line 4"):
        lines.place_call("2002", 0.0, line=4)
    assert len(lines.calls) == 1


def test_place_call_with_garbage_changes_nothing() -> None:
    lines = make_lines()
    active = call_in_state(lines, CallState.CONNECTED)
    with pytest.raises(InvalidDialStringError):
        lines.place_call("12ab", 1.0)
    assert lines.call(active).state is CallState.CONNECTED
    assert len(lines.calls) == 1


def test_incoming_call_rings_on_a_free_line() -> None:
    lines = make_lines()
    outcome = lines.incoming_call(CALLER, 3.0)
    call_id = call_id_of(outcome)
    assert outcome.effects == (SendRinging(call_id),)
    call = lines.call(call_id)
    assert (call.state, call.line, call.ringing_at) == (CallState.RINGING_IN, 1, 3.0)
    assert call.remote.number == "+441632960001"


def test_incoming_call_when_all_lines_are_busy_is_rejected_with_486_and_logged_as_missed() -> None:
    lines = make_lines(2)
    call_in_state(lines, CallState.CONNECTED)
    call_in_state(lines, CallState.RINGING_IN)
    before = lines.calls
    outcome = lines.incoming_call(CALLER, 7.0)
    call_id = call_id_of(outcome)
    assert outcome.effects[0] == Reject(call_id, 486)
    (record,) = records(outcome)
    assert record.end_reason is EndReason.BUSY_REJECTED
    assert record.sip_code == 486
    assert record.missed
    assert record.line is None
    assert record.duration == 0
    assert lines.calls == before


def test_an_agent_not_taking_calls_answers_busy_with_a_free_line() -> None:
    lines = make_lines(2)
    outcome = lines.incoming_call(CALLER, 7.0, available=False)
    call_id = call_id_of(outcome)
    assert outcome.effects[0] == Reject(call_id, 486)
    (record,) = records(outcome)
    assert record.end_reason is EndReason.BUSY_REJECTED
    assert record.missed, "the agent sees who called during the break"
    assert lines.calls == {}


def test_an_agent_not_taking_calls_gets_the_when_busy_forwarding() -> None:
    lines = make_lines(2)
    seen: list[bool] = []

    def rules(busy: bool) -> ForwardingDecision:
        seen.append(busy)
        return ForwardingDecision(when_busy="2999") if busy else NO_FORWARDING

    outcome = lines.incoming_call(CALLER, 7.0, rules, available=False)
    assert seen == [True]
    (record,) = records(outcome)
    assert record.end_reason is EndReason.FORWARDED
    assert record.forwarded_to is not None and "2999" in record.forwarded_to


def test_answer_holds_the_active_call() -> None:
    lines = make_lines()
    active = call_in_state(lines, CallState.CONNECTED)
    ringing = call_in_state(lines, CallState.RINGING_IN)
    outcome = lines.answer(ringing, 12.0)
    assert outcome.effects == (Hold(active), Answer(ringing))
    assert lines.call(active).state is CallState.HELD
    assert lines.call(ringing).state is CallState.CONNECTED
    assert lines.call(ringing).answered_at == 12.0
    assert lines.active_call_ids == {ringing}


def test_reject_ends_the_call_without_marking_it_missed() -> None:
    lines = make_lines()
    ringing = call_in_state(lines, CallState.RINGING_IN)
    outcome = lines.reject(ringing, 4.0, sip_code=603)
    assert outcome.effects[0] == Reject(ringing, 603)
    (record,) = records(outcome)
    assert (record.end_reason, record.sip_code, record.missed) == (EndReason.REJECTED, 603, False)
    assert lines.calls == {}


def test_reject_needs_an_error_code() -> None:
    lines = make_lines()
    ringing = call_in_state(lines, CallState.RINGING_IN)
    with pytest.raises(InvalidOperationError, match="200"):
        lines.reject(ringing, 4.0, sip_code=200)
    assert lines.call(ringing).state is CallState.RINGING_IN


@pytest.mark.parametrize(
    ("state", "effect", "reason"),
    [
        (CallState.RINGING_IN, Reject, EndReason.REJECTED),
        (CallState.DIALING, Hangup, EndReason.CANCELLED),
        (CallState.RINGING_OUT, Hangup, EndReason.CANCELLED),
        (CallState.EARLY_MEDIA, Hangup, EndReason.CANCELLED),
        (CallState.CONNECTED, Hangup, EndReason.LOCAL_HANGUP),
        (CallState.HELD, Hangup, EndReason.LOCAL_HANGUP),
    ],
)
def test_hangup(state: CallState, effect: type, reason: EndReason) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, state, now=1.0)
    outcome = lines.hangup(call_id, 9.0)
    assert isinstance(outcome.effects[0], effect)
    (record,) = records(outcome)
    assert record.end_reason is reason
    assert record.ended_at == 9.0
    assert record.duration == 8.0
    assert lines.calls == {}
    assert lines.free_lines == (1, 2)


def test_hold_and_resume() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    assert lines.hold(call_id).effects == (Hold(call_id),)
    assert lines.call(call_id).hold is HoldState.LOCAL
    assert lines.active_call_ids == frozenset()
    assert lines.resume(call_id).effects == (Unhold(call_id),)
    assert lines.call(call_id).hold is HoldState.NONE


def test_resume_holds_the_other_active_call() -> None:
    lines = make_lines()
    first = call_in_state(lines, CallState.CONNECTED)
    second = call_in_state(lines, CallState.CONNECTED)  # holds first
    assert lines.resume(first).effects == (Hold(second), Unhold(first))
    assert lines.active_call_ids == {first}


def test_switch_line() -> None:
    lines = make_lines(3)
    first = call_in_state(lines, CallState.CONNECTED)
    second = call_in_state(lines, CallState.CONNECTED)
    ringing = call_in_state(lines, CallState.RINGING_IN)
    assert lines.switch_line(1, 5.0).effects == (Hold(second), Unhold(first))
    assert lines.switch_line(1, 5.0).effects == ()
    assert lines.switch_line(3, 6.0).effects == (Hold(first), Answer(ringing))
    lines.hangup(first, 7.0)
    with pytest.raises(InvalidOperationError, match="Line 1 is free"):
        lines.switch_line(1, 8.0)
    with pytest.raises(InvalidOperationError, match="no line 0"):
        lines.switch_line(0, 8.0)


def test_swap_toggles_between_the_active_and_the_held_call() -> None:
    lines = make_lines()
    first = call_in_state(lines, CallState.CONNECTED)
    with pytest.raises(InvalidOperationError, match="one active call and one held call"):
        lines.swap()
    second = call_in_state(lines, CallState.CONNECTED)
    assert lines.swap().effects == (Hold(second), Unhold(first))
    assert lines.swap().effects == (Hold(first), Unhold(second))
    lines.hold(second)
    with pytest.raises(InvalidOperationError):
        lines.swap()


def test_mute_and_unmute() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    assert lines.set_mute(call_id, True).effects == (SetMute(call_id, True),)
    assert lines.call(call_id).muted
    assert lines.set_mute(call_id, True).effects == ()
    lines.hold(call_id)
    lines.resume(call_id)
    assert lines.call(call_id).muted, "mute survives hold"
    assert lines.set_mute(call_id, False).effects == (SetMute(call_id, False),)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("1", "1"), ("0123456789", "0123456789"), ("*#", "*#"), ("abcd", "ABCD"), ("1 2 3", "123")],
)
@pytest.mark.parametrize("method", list(DtmfMethod))
def test_dtmf_digits_are_validated_and_sent(typed: str, sent: str, method: DtmfMethod) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    assert lines.send_dtmf(call_id, typed, method).effects == (SendDtmf(call_id, sent, method),)


@pytest.mark.parametrize("typed", ["", "  ", "E", "12x", "+", "1,2"])
def test_bad_dtmf_is_refused(typed: str) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    with pytest.raises(InvalidDtmfError):
        lines.send_dtmf(call_id, typed)


def test_dtmf_during_early_media_reaches_an_ivr() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.EARLY_MEDIA)
    assert lines.send_dtmf(call_id, "5").effects == (SendDtmf(call_id, "5", DtmfMethod.RFC4733),)


def test_recording_path_ends_up_in_the_record() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.attach_recording(call_id, "/var/rec/call.wav")
    (record,) = records(lines.hangup(call_id, 3.0))
    assert record.recording_path == "/var/rec/call.wav"


def test_an_outgoing_call_answered_while_talking_elsewhere_is_put_on_hold() -> None:
    lines = make_lines()
    outgoing = call_id_of(lines.place_call("2001", 0.0))
    incoming = call_in_state(lines, CallState.CONNECTED, now=1.0)
    outcome = lines.handle(CallConfirmed(outgoing), 2.0)
    hold, notice = outcome.effects
    assert hold == Hold(outgoing)
    assert isinstance(notice, Notice)
    assert "line 1" in notice.text
    assert lines.call(outgoing).state is CallState.HELD
    assert lines.call(outgoing).answered_at == 2.0
    assert lines.active_call_ids == {incoming}


def test_by_line_has_exactly_max_lines_entries() -> None:
    lines = make_lines(4)
    call_in_state(lines, CallState.RINGING_IN)
    assert len(lines.by_line()) == 4
    assert lines.max_lines == 4
    with pytest.raises(ValueError):
        make_lines(0)


def test_call_lookup_of_an_unknown_call() -> None:
    with pytest.raises(InvalidOperationError):
        make_lines().call(CallId("nope"))


def test_one_record_per_call_across_a_busy_shift() -> None:
    lines = make_lines(2)
    started: list[CallId] = []
    found: list[CallFinished] = []

    def run(outcome: Outcome) -> None:
        found.extend(e for e in outcome.effects if isinstance(e, CallFinished))

    a = call_in_state(lines, CallState.CONNECTED)
    b = connected_outgoing(lines)
    started += [a, b]
    busy = lines.incoming_call(CALLER, 1.0)
    started.append(call_id_of(busy))
    run(busy)
    run(lines.hangup(a, 2.0))
    with pytest.raises(InvalidOperationError):
        lines.hangup(a, 2.5)
    c = call_in_state(lines, CallState.RINGING_IN)
    started.append(c)
    run(lines.reject(c, 3.0))
    run(lines.hangup(b, 4.0))
    assert sorted(f.record.call_id for f in found) == sorted(started)
    assert len({f.record.record_id for f in found}) == len(found)
