"""A far end transfers the agent (REFER received): `Lines.transfer_line` / `follow_transfer`.

The rule table: which line the call to the transfer target gets, for each shape of the lines,
and which referring calls cannot be followed at all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from communicator.core.call_effects import Hold, MakeCall, Notice
from communicator.core.call_events import CallConfirmed, CallDisconnected
from communicator.core.calls import CallId, CallState, EndReason, TransferState
from communicator.core.errors import InvalidOperationError
from communicator.core.lines import Lines
from tests.core.helpers import call_id_of, call_in_state, make_lines, records

TARGET = "sip:2002@pbx.example.com"


def _one_line_busy() -> tuple[Lines, CallId]:
    lines = make_lines(1)
    return lines, call_in_state(lines, CallState.CONNECTED)


def _two_lines_one_free() -> tuple[Lines, CallId]:
    lines = make_lines(2)
    return lines, call_in_state(lines, CallState.CONNECTED)


def _two_lines_full_referring_on_2() -> tuple[Lines, CallId]:
    lines = make_lines(2)
    call_in_state(lines, CallState.HELD)
    return lines, call_in_state(lines, CallState.CONNECTED)


def _two_lines_full_referring_held() -> tuple[Lines, CallId]:
    lines = make_lines(2)
    referring = call_in_state(lines, CallState.HELD)
    call_in_state(lines, CallState.CONNECTED)
    return lines, referring


# (shape, the line the new call gets, whether it takes over the referring call's line)
LINE_TABLE: list[tuple[Callable[[], tuple[Lines, CallId]], int, bool]] = [
    (_one_line_busy, 1, True),
    (_two_lines_one_free, 2, False),
    (_two_lines_full_referring_on_2, 2, True),
    (_two_lines_full_referring_held, 1, True),
]


@pytest.mark.parametrize(
    ("shape", "line", "takes_over"), LINE_TABLE, ids=[s.__name__ for s, _, _ in LINE_TABLE]
)
def test_the_call_to_the_target_gets_a_free_line_or_the_referring_one(
    shape: Callable[[], tuple[Lines, CallId]], line: int, takes_over: bool
) -> None:
    lines, referring = shape()
    before = lines.by_line()
    assert lines.transfer_line(referring) == line
    outcome = lines.follow_transfer(referring, TARGET, 5.0)
    new = call_id_of(outcome)
    assert not any(isinstance(e, MakeCall) for e in outcome.effects)  # the SIP stack dials
    assert not any(isinstance(e, Hold) and e.call_id == referring for e in outcome.effects)
    (notice,) = [e for e in outcome.effects if isinstance(e, Notice)]
    assert "transferred the call to" in notice.text and TARGET in notice.text
    call = lines.call(new)
    assert (call.line, call.state, call.remote.uri) == (line, CallState.DIALING, TARGET)
    assert call.takes_line_from == (referring if takes_over else None)
    old = lines.call(referring)
    assert (old.state, old.transfer, old.linked_call) == (
        CallState.HELD,
        TransferState.REFERRED,
        new,
    )
    if takes_over:
        # The line keeps showing the referring call until it is gone.
        assert [c.call_id if c else None for c in lines.by_line()] == [
            c.call_id if c else None for c in before
        ]
    else:
        assert lines.by_line()[line - 1] == call


@pytest.mark.parametrize("max_lines", [1, 2])
def test_referring_call_ends_transferred_and_the_line_shows_the_new_call(max_lines: int) -> None:
    lines = make_lines(max_lines)
    referring = call_in_state(lines, CallState.CONNECTED)
    new = call_id_of(lines.follow_transfer(referring, TARGET, 5.0))
    lines.handle(CallConfirmed(new), 6.0)
    assert lines.call(new).state is CallState.CONNECTED
    done = lines.handle(CallDisconnected(referring, 200), 7.0)
    (record,) = records(done)
    assert (record.call_id, record.end_reason, record.transferred_to) == (
        referring,
        EndReason.TRANSFERRED,
        TARGET,
    )
    call = lines.call(new)
    assert (call.takes_line_from, call.linked_call, call.transfer) == (
        None,
        None,
        TransferState.NONE,
    )
    assert lines.by_line()[call.line - 1 if call.line else 0] == call
    assert lines.active_call_ids == {new}


def test_referring_call_hanging_up_before_the_target_answers_leaves_the_dialling_call() -> None:
    lines, referring = _one_line_busy()
    new = call_id_of(lines.follow_transfer(referring, TARGET, 5.0))
    lines.handle(CallDisconnected(referring, 200), 5.1)
    assert lines.by_line() == (lines.call(new),)
    lines.handle(CallConfirmed(new), 6.0)
    assert lines.call(new).state is CallState.CONNECTED


def test_a_failed_call_to_the_target_gives_the_line_back_to_the_referring_call() -> None:
    lines, referring = _one_line_busy()
    new = call_id_of(lines.follow_transfer(referring, TARGET, 5.0))
    (record,) = records(lines.handle(CallDisconnected(new, 486), 6.0))
    assert record.end_reason is EndReason.REMOTE_BUSY
    old = lines.call(referring)
    assert (old.state, old.transfer, old.linked_call) == (CallState.HELD, TransferState.NONE, None)
    assert lines.by_line() == (old,)
    lines.resume(referring)
    (record,) = records(lines.handle(CallDisconnected(referring, 200), 7.0))
    assert record.end_reason is EndReason.REMOTE_HANGUP


def test_agent_hanging_up_the_new_call_is_a_normal_hangup() -> None:
    lines, referring = _one_line_busy()
    new = call_id_of(lines.follow_transfer(referring, TARGET, 5.0))
    lines.handle(CallDisconnected(referring, 200), 5.5)
    lines.handle(CallConfirmed(new), 6.0)
    (record,) = records(lines.hangup(new, 8.0))
    assert (record.end_reason, record.line) == (EndReason.LOCAL_HANGUP, 1)
    assert lines.calls == {}


def _ringing(lines: Lines) -> CallId:
    return call_in_state(lines, CallState.RINGING_IN)


def _dialing(lines: Lines) -> CallId:
    return call_in_state(lines, CallState.DIALING)


def _already_referred(lines: Lines) -> CallId:
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.follow_transfer(call_id, TARGET, 1.0)
    return call_id


def _blind_pending(lines: Lines) -> CallId:
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.blind_transfer(call_id, "2003", 1.0)
    return call_id


def _taking_over(lines: Lines) -> CallId:
    call_id = call_in_state(lines, CallState.CONNECTED)
    return call_id_of(lines.follow_transfer(call_id, TARGET, 1.0))


REFUSED: list[Callable[[Lines], CallId]] = [
    _ringing,
    _dialing,
    _already_referred,
    _blind_pending,
    _taking_over,
]


@pytest.mark.parametrize("make", REFUSED, ids=[f.__name__ for f in REFUSED])
def test_transfers_that_cannot_be_followed_change_nothing(make: Callable[[Lines], CallId]) -> None:
    lines = make_lines(1)
    call_id = make(lines)
    assert lines.transfer_line(call_id) is None
    before = lines.calls
    with pytest.raises(InvalidOperationError):
        lines.follow_transfer(call_id, TARGET, 2.0)
    assert lines.calls == before


def test_unknown_call_cannot_be_followed() -> None:
    lines = make_lines(1)
    assert lines.transfer_line(CallId("nope")) is None
    with pytest.raises(InvalidOperationError, match="already ended"):
        lines.follow_transfer(CallId("nope"), TARGET, 1.0)


def test_calls_of_a_far_end_transfer_cannot_be_conferenced() -> None:
    lines, referring = _two_lines_one_free()
    new = call_id_of(lines.follow_transfer(referring, TARGET, 5.0))
    lines.handle(CallConfirmed(new), 6.0)
    with pytest.raises(InvalidOperationError, match="being transferred"):
        lines.conference(referring, new)
