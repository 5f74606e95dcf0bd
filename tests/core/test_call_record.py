from __future__ import annotations

import uuid
from dataclasses import FrozenInstanceError

import pytest

from communicator.core.call_events import CallConfirmed, CallDisconnected
from communicator.core.call_record import CallRecord, call_log_payload, should_log
from communicator.core.calls import (
    Call,
    CallDirection,
    CallId,
    CallState,
    EndReason,
    RemoteParty,
)
from communicator.core.lines import Lines
from tests.core.helpers import CALLER, PLAN, call_id_of, make_lines, records


def answered_record(talk: float) -> CallRecord:
    lines = make_lines()
    call_id = call_id_of(lines.incoming_call(CALLER, 100.0))
    lines.answer(call_id, 105.0)
    (record,) = records(lines.hangup(call_id, 105.0 + talk))
    return record


def test_record_timestamps_duration_and_talk_time() -> None:
    lines = make_lines()
    call_id = call_id_of(lines.place_call("2001", 100.0))
    lines.handle(CallConfirmed(call_id), 105.0)
    (record,) = records(lines.handle(CallDisconnected(call_id, 200), 165.0))
    assert record.call_id == call_id
    assert record.direction is CallDirection.OUTGOING
    assert record.remote == RemoteParty("sip:2001@pbx.example.com", "", "2001")
    assert (record.created_at, record.answered_at, record.ended_at) == (100.0, 105.0, 165.0)
    assert (record.duration, record.talk_time) == (65.0, 60.0)
    assert record.end_reason is EndReason.REMOTE_HANGUP
    assert record.answered
    assert not record.missed
    assert record.line == 1


def test_record_ids_are_uuid4_by_default() -> None:
    lines = Lines(1, PLAN)
    call_id = call_id_of(lines.incoming_call(CALLER, 0.0))
    (record,) = records(lines.hangup(call_id, 1.0))
    assert record.record_id.version == 4
    assert uuid.UUID(record.call_id).version == 4


def test_records_are_immutable() -> None:
    record = answered_record(10)
    with pytest.raises(FrozenInstanceError):
        record.talk_time = 99  # type: ignore[misc]


def test_only_an_ended_call_has_a_record() -> None:
    lines = make_lines()
    call_id = call_id_of(lines.incoming_call(CALLER, 0.0))
    with pytest.raises(ValueError):
        CallRecord.from_call(lines.call(call_id), uuid.uuid4())


@pytest.mark.parametrize(
    ("talk", "min_seconds", "logged"),
    [
        (4.9, 5.0, False),
        (5.0, 5.0, True),
        (60.0, 5.0, True),
        (0.0, 0.0, True),
        (0.5, 0.0, True),
        (0.5, -1.0, True),
    ],
)
def test_answered_calls_are_logged_by_talk_time(
    talk: float, min_seconds: float, logged: bool
) -> None:
    assert should_log(answered_record(talk), min_seconds) is logged


def test_ringing_time_does_not_count_towards_the_minimum() -> None:
    record = answered_record(2.0)  # rang 5 s, talked 2 s: duration 7 s
    assert record.duration == 7.0
    assert not should_log(record, 5.0)


@pytest.mark.parametrize(
    "reason",
    [
        EndReason.MISSED,
        EndReason.BUSY_REJECTED,
        EndReason.REJECTED,
        EndReason.FORWARDED,
        EndReason.CANCELLED,
        EndReason.NO_ANSWER,
        EndReason.REMOTE_BUSY,
    ],
)
def test_unanswered_calls_are_always_logged(reason: EndReason) -> None:
    unanswered = Call(
        call_id=CallId("c"),
        direction=CallDirection.INCOMING,
        remote=CALLER,
        line=1,
        state=CallState.ENDED,
        created_at=0.0,
        ringing_at=0.0,
        ended_at=0.5,
        end_reason=reason,
    )
    record = CallRecord.from_call(unanswered, uuid.uuid4())
    assert record.talk_time == 0.0
    assert record.missed is (reason in (EndReason.MISSED, EndReason.BUSY_REJECTED))
    assert should_log(record, 3600.0)


def test_call_log_payload_is_what_the_server_accepts() -> None:
    from communicator.provisioning.server.api_models import CallLogIn

    lines = make_lines(1)
    answered = call_id_of(lines.incoming_call(CALLER, 1_700_000_000.0))
    lines.answer(answered, 1_700_000_005.0)
    busy = records(lines.incoming_call(CALLER, 1_700_000_010.0))
    done = records(lines.hangup(answered, 1_700_000_065.0))
    for record in busy + done:
        payload = call_log_payload(record)
        parsed = CallLogIn.model_validate(payload)
        assert parsed.id == record.record_id
        assert parsed.direction == "inbound"
        assert parsed.remote == "+441632960001"
    talk = call_log_payload(done[0])
    assert talk["answered_at"] == "2023-11-14T22:13:25+00:00"
    assert talk["duration_s"] == 65.0
    assert call_log_payload(busy[0])["line"] == 0
