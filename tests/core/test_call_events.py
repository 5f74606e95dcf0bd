from __future__ import annotations

import pytest

from communicator.core.call_effects import Outcome
from communicator.core.call_events import (
    CallConfirmed,
    CallDisconnected,
    CallEvent,
    EarlyMedia,
    HoldFailed,
    RemoteHoldChanged,
    RemoteRinging,
    TransferProgress,
)
from communicator.core.calls import LIVE_STATES, CallId, CallState, EndReason, HoldState
from communicator.core.lines import EVENT_TRANSITIONS, disconnect_reason
from tests.core.helpers import call_in_state, make_lines, records


def event_for(event_type: type[CallEvent], call_id: CallId) -> CallEvent:
    events: dict[type[CallEvent], CallEvent] = {
        RemoteRinging: RemoteRinging(call_id),
        EarlyMedia: EarlyMedia(call_id),
        CallConfirmed: CallConfirmed(call_id),
        RemoteHoldChanged: RemoteHoldChanged(call_id, held=True),
        CallDisconnected: CallDisconnected(call_id, 487, "Request Terminated"),
        TransferProgress: TransferProgress(call_id, 200, "OK", final=True),
        HoldFailed: HoldFailed(call_id, hold=True, sip_code=488),
    }
    return events[event_type]


# (state, event) -> state afterwards (ENDED: the call is gone and has its record)
EXPECTED: dict[tuple[CallState, type[CallEvent]], CallState] = {
    (CallState.DIALING, RemoteRinging): CallState.RINGING_OUT,
    (CallState.DIALING, EarlyMedia): CallState.EARLY_MEDIA,
    (CallState.RINGING_OUT, EarlyMedia): CallState.EARLY_MEDIA,
    (CallState.DIALING, CallConfirmed): CallState.CONNECTED,
    (CallState.RINGING_OUT, CallConfirmed): CallState.CONNECTED,
    (CallState.EARLY_MEDIA, CallConfirmed): CallState.CONNECTED,
    (CallState.CONNECTED, RemoteHoldChanged): CallState.CONNECTED,
    (CallState.HELD, RemoteHoldChanged): CallState.HELD,
    # without a transfer in progress a NOTIFY changes nothing (see test_transfers)
    (CallState.CONNECTED, TransferProgress): CallState.CONNECTED,
    (CallState.HELD, TransferProgress): CallState.HELD,
    # a refused hold: a held call is connected again (see test_hold_failed)
    (CallState.CONNECTED, HoldFailed): CallState.CONNECTED,
    (CallState.HELD, HoldFailed): CallState.CONNECTED,
    **{(s, CallDisconnected): CallState.ENDED for s in LIVE_STATES},
}


def test_the_expected_table_covers_every_transition() -> None:
    assert set(EXPECTED) == set(EVENT_TRANSITIONS)


@pytest.mark.parametrize(("state", "event_type"), sorted(EXPECTED, key=str))
def test_transition(state: CallState, event_type: type[CallEvent]) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, state, now=1.0)
    outcome = lines.handle(event_for(event_type, call_id), 4.0)
    expected = EXPECTED[(state, event_type)]
    if expected is CallState.ENDED:
        assert call_id not in lines.calls
        (record,) = records(outcome)
        assert record.call_id == call_id
        assert record.ended_at == 4.0
        return
    call = lines.call(call_id)
    assert call.state is expected
    if event_type is CallConfirmed:
        assert call.answered_at == 4.0
    if event_type is RemoteHoldChanged:
        assert call.remote_hold
        assert call.hold in (HoldState.REMOTE, HoldState.BOTH)
    if event_type in (RemoteRinging, EarlyMedia):
        assert call.ringing_at == (4.0 if state is CallState.DIALING else 1.0)


IGNORED = [
    (state, event_type)
    for state in sorted(LIVE_STATES, key=lambda s: s.value)
    for event_type in (
        RemoteRinging,
        EarlyMedia,
        CallConfirmed,
        RemoteHoldChanged,
        CallDisconnected,
        TransferProgress,
        HoldFailed,
    )
    if (state, event_type) not in EVENT_TRANSITIONS
]


@pytest.mark.parametrize(("state", "event_type"), IGNORED)
def test_stale_events_are_ignored(state: CallState, event_type: type[CallEvent]) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, state)
    before = lines.calls
    assert lines.handle(event_for(event_type, call_id), 2.0) == Outcome()
    assert lines.calls == before


def test_events_for_unknown_or_ended_calls_are_ignored() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.hangup(call_id, 2.0)
    assert lines.handle(CallDisconnected(call_id, 200), 2.1) == Outcome()
    assert lines.handle(RemoteRinging(CallId("unknown")), 2.1) == Outcome()


def test_remote_hold_and_local_hold_combine() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.CONNECTED)
    lines.handle(RemoteHoldChanged(call_id, held=True), 1.0)
    lines.hold(call_id)
    assert lines.call(call_id).hold is HoldState.BOTH
    lines.handle(RemoteHoldChanged(call_id, held=False), 2.0)
    assert lines.call(call_id).hold is HoldState.LOCAL


def test_early_media_after_ringing_keeps_the_first_ringing_time() -> None:
    lines = make_lines()
    call_id = call_in_state(lines, CallState.RINGING_OUT, now=0.0)
    lines.handle(EarlyMedia(call_id), 9.0)
    assert lines.call(call_id).ringing_at == 0.0


@pytest.mark.parametrize(
    ("state", "code", "reason", "missed"),
    [
        (CallState.RINGING_IN, 487, EndReason.MISSED, True),
        (CallState.RINGING_IN, None, EndReason.MISSED, True),
        (CallState.DIALING, 486, EndReason.REMOTE_BUSY, False),
        (CallState.RINGING_OUT, 600, EndReason.REMOTE_BUSY, False),
        (CallState.RINGING_OUT, 603, EndReason.DECLINED, False),
        (CallState.RINGING_OUT, 408, EndReason.NO_ANSWER, False),
        (CallState.RINGING_OUT, 480, EndReason.NO_ANSWER, False),
        (CallState.EARLY_MEDIA, 487, EndReason.NO_ANSWER, False),
        (CallState.DIALING, 404, EndReason.FAILED, False),
        (CallState.DIALING, 503, EndReason.FAILED, False),
        (CallState.DIALING, None, EndReason.FAILED, False),
        (CallState.CONNECTED, 200, EndReason.REMOTE_HANGUP, False),
        (CallState.HELD, 408, EndReason.REMOTE_HANGUP, False),
    ],
)
def test_disconnect_reasons(
    state: CallState, code: int | None, reason: EndReason, missed: bool
) -> None:
    lines = make_lines()
    call_id = call_in_state(lines, state)
    assert disconnect_reason(lines.call(call_id), code) is reason
    (record,) = records(lines.handle(CallDisconnected(call_id, code, "x"), 5.0))
    assert (record.end_reason, record.sip_code, record.missed) == (reason, code, missed)
