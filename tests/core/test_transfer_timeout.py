"""A transfer whose final NOTIFY never arrives ends after `TRANSFER_TIMEOUT_S`: the agent keeps
the call (seen with a softphone whose NOTIFY the SIP stack could not parse)."""

from __future__ import annotations

from communicator.core.call_effects import Notice
from communicator.core.call_events import CallConfirmed, TransferProgress
from communicator.core.calls import CallState, TransferState
from communicator.core.lines import TRANSFER_TIMEOUT_S, Lines, Operation
from tests.core.helpers import call_id_of, call_in_state, make_lines


def test_the_time_limit_is_thirty_seconds() -> None:
    assert TRANSFER_TIMEOUT_S == 30


def test_a_blind_transfer_without_final_notify_gives_the_call_back() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.blind_transfer(call_id, "2002", 3.0)
    lines.handle(TransferProgress(call_id, 100, "Trying", final=False), 3.5)
    outcome = lines.transfer_timeout(call_id, 3.0 + TRANSFER_TIMEOUT_S)
    (notice,) = outcome.effects
    assert isinstance(notice, Notice)
    assert notice.text == (
        "The transfer of the call on line 1 got no answer within 30 s; the call is still yours"
    )
    call = lines.call(call_id)
    assert (call.state, call.transfer, call.transfer_target) == (
        CallState.CONNECTED,
        TransferState.NONE,
        None,
    )
    # The agent can transfer it again.
    assert lines.blind_transfer(call_id, "2003", 40.0).effects


def test_an_attended_transfer_without_final_notify_returns_to_the_consultation() -> None:
    lines = make_lines()
    original = call_in_state(lines, CallState.CONNECTED)
    consult = call_id_of(lines.start_consult(original, "2002", 10.0))
    lines.handle(CallConfirmed(consult), 11.0)
    lines.complete_transfer(original, 12.0)
    outcome = lines.transfer_timeout(original, 12.0 + TRANSFER_TIMEOUT_S)
    assert isinstance(outcome.effects[0], Notice)
    assert lines.call(original).transfer is TransferState.CONSULTING
    assert lines.call(consult).transfer is TransferState.CONSULT
    assert Operation.COMPLETE_TRANSFER in lines.allowed_operations(original)


def test_a_late_timer_changes_nothing() -> None:
    lines: Lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    # The transfer failed in time: the timer finds nothing pending.
    lines.blind_transfer(call_id, "2002", 3.0)
    lines.handle(TransferProgress(call_id, 603, "Decline", final=True), 4.0)
    before = lines.call(call_id)
    assert lines.transfer_timeout(call_id, 33.0).effects == ()
    assert lines.call(call_id) == before
    # The transfer worked: the call is gone.
    lines.blind_transfer(call_id, "2002", 40.0)
    lines.handle(TransferProgress(call_id, 200, "OK", final=True), 41.0)
    assert lines.transfer_timeout(call_id, 70.0).effects == ()
    assert lines.calls == {}
