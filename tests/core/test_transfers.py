from __future__ import annotations

import pytest

from communicator.core.call_effects import (
    Hangup,
    Hold,
    JoinConference,
    MakeCall,
    Notice,
    SetMute,
    SplitConference,
    TransferAttended,
    TransferBlind,
    Unhold,
)
from communicator.core.call_events import CallConfirmed, CallDisconnected, TransferProgress
from communicator.core.calls import CallId, CallState, EndReason, TransferState
from communicator.core.errors import InvalidOperationError, LinesBusyError
from communicator.core.lines import Lines
from tests.core.helpers import (
    call_id_of,
    call_in_state,
    connected_outgoing,
    make_lines,
    records,
)

# ------------------------------------------------------------------------ blind transfer


def test_blind_transfer_succeeds_and_ends_the_call() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    outcome = lines.blind_transfer(call_id, "2002", 3.0)
    assert outcome.effects == (TransferBlind(call_id, "sip:2002@pbx.example.com"),)
    assert lines.call(call_id).transfer is TransferState.BLIND_PENDING
    assert lines.handle(TransferProgress(call_id, 100, "Trying"), 3.1).effects == ()
    assert lines.handle(TransferProgress(call_id, 180, "Ringing"), 3.2).effects == ()
    done = lines.handle(TransferProgress(call_id, 200, "OK", final=True), 4.0)
    assert done.effects[0] == Hangup(call_id)
    (record,) = records(done)
    assert record.end_reason is EndReason.TRANSFERRED
    assert record.transferred_to == "sip:2002@pbx.example.com"
    assert lines.calls == {}


def test_failed_blind_transfer_keeps_the_call_and_tells_the_agent() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.HELD)
    lines.blind_transfer(call_id, "2002", 3.0)
    outcome = lines.handle(TransferProgress(call_id, 603, "Decline", final=True), 4.0)
    (notice,) = outcome.effects
    assert isinstance(notice, Notice)
    assert "603 Decline" in notice.text
    call = lines.call(call_id)
    assert (call.state, call.transfer, call.transfer_target) == (
        CallState.HELD,
        TransferState.NONE,
        None,
    )


def test_second_transfer_while_one_is_pending_is_refused() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.blind_transfer(call_id, "2002", 3.0)
    before = lines.calls
    with pytest.raises(InvalidOperationError, match="already in progress"):
        lines.blind_transfer(call_id, "2003", 3.5)
    with pytest.raises(InvalidOperationError, match="already in progress"):
        lines.start_consult(call_id, "2003", 3.5)
    assert lines.calls == before


def test_blind_transfer_to_garbage_changes_nothing() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    with pytest.raises(InvalidOperationError):
        lines.blind_transfer(call_id, "", 3.0)
    assert lines.call(call_id).transfer is TransferState.NONE


# --------------------------------------------------------------------- attended transfer


def consulting(lines: Lines) -> tuple[CallId, CallId]:
    original = call_in_state(lines, CallState.CONNECTED, now=0.0)
    outcome = lines.start_consult(original, "2002", 10.0)
    consult = call_id_of(outcome)
    assert outcome.effects == (Hold(original), MakeCall(consult, "sip:2002@pbx.example.com"))
    return original, consult


def test_attended_transfer_flow() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    a, b = lines.call(original), lines.call(consult)
    assert (a.state, a.transfer, a.linked_call) == (
        CallState.HELD,
        TransferState.CONSULTING,
        consult,
    )
    assert (b.state, b.transfer, b.linked_call, b.line) == (
        CallState.DIALING,
        TransferState.CONSULT,
        original,
        2,
    )
    with pytest.raises(InvalidOperationError, match="has not been answered"):
        lines.complete_transfer(original, 11.0)
    lines.handle(CallConfirmed(consult), 12.0)
    assert lines.active_call_ids == {consult}
    outcome = lines.complete_transfer(consult, 20.0)  # either call can be named
    assert outcome.effects == (TransferAttended(original, consult),)
    assert lines.call(original).transfer is TransferState.COMPLETING
    with pytest.raises(InvalidOperationError, match="already being completed"):
        lines.complete_transfer(original, 20.5)
    with pytest.raises(InvalidOperationError, match="already being completed"):
        lines.cancel_consult(original, 20.5)
    lines.handle(TransferProgress(original, 100, "Trying"), 20.6)
    done = lines.handle(TransferProgress(original, 200, "OK", final=True), 21.0)
    assert [e for e in done.effects if isinstance(e, Hangup)] == [
        Hangup(original),
        Hangup(consult),
    ]
    transferred = records(done)
    assert {r.call_id for r in transferred} == {original, consult}
    assert all(r.end_reason is EndReason.TRANSFERRED for r in transferred)
    by_id = {r.call_id: r for r in transferred}
    assert by_id[original].transferred_to == "sip:2002@pbx.example.com"
    assert lines.calls == {}
    # the consult's own DISCONNECTED (BYE from the target) arrives later and is ignored
    assert lines.handle(CallDisconnected(consult, 200), 21.5).effects == ()


@pytest.mark.parametrize("final_code", [200, 488])
def test_target_bye_before_the_final_notify(final_code: int) -> None:
    """The target's BYE on the consultation may overtake the NOTIFY on the original."""
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallConfirmed(consult), 12.0)
    lines.complete_transfer(original, 13.0)
    (consult_record,) = records(lines.handle(CallDisconnected(consult, 200), 13.5))
    assert consult_record.end_reason is EndReason.TRANSFERRED
    assert lines.call(original).transfer is TransferState.COMPLETING
    outcome = lines.handle(TransferProgress(original, final_code, "", final=True), 14.0)
    if final_code == 200:
        assert outcome.effects[0] == Hangup(original)
        (record,) = records(outcome)
        assert record.end_reason is EndReason.TRANSFERRED
        assert lines.calls == {}
    else:
        assert lines.call(original).transfer is TransferState.NONE


def test_failed_attended_transfer_returns_to_consulting_then_cancel_resumes() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallConfirmed(consult), 12.0)
    lines.complete_transfer(original, 13.0)
    failed = lines.handle(TransferProgress(original, 488, "Not Acceptable", final=True), 14.0)
    assert isinstance(failed.effects[0], Notice)
    assert lines.call(original).transfer is TransferState.CONSULTING
    outcome = lines.cancel_consult(consult, 15.0)
    assert outcome.effects[0] == Hangup(consult)
    assert outcome.effects[-1] == Unhold(original)
    (record,) = records(outcome)
    assert (record.call_id, record.end_reason) == (consult, EndReason.LOCAL_HANGUP)
    call = lines.call(original)
    assert (call.state, call.transfer, call.linked_call) == (
        CallState.CONNECTED,
        TransferState.NONE,
        None,
    )


def test_cancel_before_the_target_answers_cancels_the_consult_call() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    (record,) = records(lines.cancel_consult(original, 11.0))
    assert record.call_id == consult
    assert record.end_reason is EndReason.CANCELLED
    assert lines.active_call_ids == {original}


def test_target_hanging_up_leaves_the_original_on_hold() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallConfirmed(consult), 12.0)
    lines.handle(CallDisconnected(consult, 200), 13.0)
    call = lines.call(original)
    assert (call.state, call.transfer, call.linked_call) == (
        CallState.HELD,
        TransferState.NONE,
        None,
    )
    with pytest.raises(InvalidOperationError, match="no consultation"):
        lines.complete_transfer(original, 14.0)


def test_customer_hanging_up_during_the_consultation_leaves_a_normal_call() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallDisconnected(original, 200), 11.0)
    call = lines.call(consult)
    assert (call.transfer, call.linked_call) == (TransferState.NONE, None)


def test_swapping_during_a_consultation_keeps_the_link() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallConfirmed(consult), 12.0)
    assert lines.swap().effects == (Hold(consult), Unhold(original))
    assert lines.call(original).transfer is TransferState.CONSULTING
    assert lines.call(consult).transfer is TransferState.CONSULT


def test_consult_needs_a_free_line() -> None:
    lines = make_lines(2)
    original = call_in_state(lines, CallState.CONNECTED)
    call_in_state(lines, CallState.HELD)
    before = lines.calls
    with pytest.raises(LinesBusyError, match="All 2 lines are busy"):
        lines.start_consult(original, "2002", 1.0)
    assert lines.calls == before


# ---------------------------------------------------------------------------- conference


def two_calls(lines: Lines) -> tuple[CallId, CallId]:
    first = call_in_state(lines, CallState.CONNECTED)
    second = connected_outgoing(lines)  # place_call held the first
    return first, second


def test_conference_joins_two_calls_and_split_holds_one() -> None:
    lines = make_lines()
    first, second = two_calls(lines)
    outcome = lines.conference(first, second)
    assert outcome.effects == (Unhold(first), JoinConference(first, second))
    assert lines.active_call_ids == {first, second}
    assert lines.call(first).conference_with == second
    assert lines.call(second).conference_with == first
    outcome = lines.split_conference(second)
    assert outcome.effects == (SplitConference(second, first), Hold(first))
    assert lines.active_call_ids == {second}
    assert lines.call(first).conference_with is None
    assert lines.call(second).conference_with is None


def test_holding_or_muting_a_conference_member_applies_to_both() -> None:
    lines = make_lines()
    first, second = two_calls(lines)
    lines.conference(first, second)
    assert lines.hold(first).effects == (Hold(first), Hold(second))
    assert lines.resume(second).effects == (Unhold(second), Unhold(first))
    assert lines.set_mute(first, True).effects == (SetMute(first, True), SetMute(second, True))


def test_answering_during_a_conference_holds_it_and_resume_restores_it() -> None:
    lines = make_lines(3)
    first, second = two_calls(lines)
    lines.conference(first, second)
    ringing = call_in_state(lines, CallState.RINGING_IN)
    assert lines.answer(ringing, 5.0).effects[:2] == (Hold(first), Hold(second))
    assert lines.call(first).conference_with == second
    assert lines.switch_line(1, 6.0).effects == (Hold(ringing), Unhold(first), Unhold(second))


def test_conferencing_holds_a_third_active_call() -> None:
    lines = make_lines(3)
    first, second = two_calls(lines)
    third = connected_outgoing(lines, "2003")
    outcome = lines.conference(first, second)
    assert outcome.effects == (
        Hold(third),
        Unhold(first),
        Unhold(second),
        JoinConference(first, second),
    )


def test_a_member_hanging_up_leaves_the_other_call_connected() -> None:
    lines = make_lines()
    first, second = two_calls(lines)
    lines.conference(first, second)
    lines.handle(CallDisconnected(first, 200), 8.0)
    call = lines.call(second)
    assert (call.state, call.conference_with) == (CallState.CONNECTED, None)


def test_conference_after_a_consultation_replaces_the_transfer() -> None:
    lines = make_lines()
    original, consult = consulting(lines)
    lines.handle(CallConfirmed(consult), 12.0)
    lines.conference(original, consult)
    for call_id in (original, consult):
        call = lines.call(call_id)
        assert (call.state, call.transfer, call.linked_call) == (
            CallState.CONNECTED,
            TransferState.NONE,
            None,
        )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("same", "two different calls"),
        ("ringing", "it is ringing in"),
        ("already", "already in a conference"),
        ("transferring", "being transferred"),
    ],
)
def test_invalid_conferences_are_refused(case: str, message: str) -> None:
    lines = make_lines(3)
    first, second = two_calls(lines)
    other = second
    if case == "same":
        other = first
    elif case == "ringing":
        other = call_in_state(lines, CallState.RINGING_IN)
    elif case == "already":
        lines.conference(first, second)
        other = connected_outgoing(lines, "2003")
    elif case == "transferring":
        lines.blind_transfer(second, "2004", 2.0)
    before = lines.calls
    with pytest.raises(InvalidOperationError, match=message):
        lines.conference(first, other)
    assert lines.calls == before


def test_transfers_and_splits_need_the_right_conference_state() -> None:
    lines = make_lines()
    first, second = two_calls(lines)
    with pytest.raises(InvalidOperationError, match="not in a conference"):
        lines.split_conference(first)
    lines.conference(first, second)
    with pytest.raises(InvalidOperationError, match="split the conference first"):
        lines.blind_transfer(first, "2002", 1.0)
    with pytest.raises(InvalidOperationError, match="split the conference first"):
        lines.start_consult(first, "2002", 1.0)


def test_conference_with_a_call_consulting_someone_else_is_refused() -> None:
    lines = make_lines(3)
    original, consult = consulting(lines)
    third = connected_outgoing(lines, "2003")
    with pytest.raises(InvalidOperationError, match="consultation"):
        lines.conference(original, third)
    assert lines.call(consult).transfer is TransferState.CONSULT
