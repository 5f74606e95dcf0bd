"""The immutable call-log entry every finished call produces, and the Min Call Log Length rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from communicator.core.call_group import CallGroup
from communicator.core.call_quality import CallQuality
from communicator.core.calls import Call, CallDirection, CallId, EndReason, RemoteParty

MISSED_REASONS = frozenset({EndReason.MISSED, EndReason.BUSY_REJECTED})
"""An incoming call is *missed* when it was never answered, the agent did not decline it and it
was not forwarded: the caller gave up while it rang, or every line was busy."""


@dataclass(frozen=True)
class CallRecord:
    record_id: UUID
    call_id: CallId
    direction: CallDirection
    remote: RemoteParty
    line: int | None
    created_at: float
    ringing_at: float | None
    answered_at: float | None
    ended_at: float
    duration: float
    """From creation to end."""
    talk_time: float
    """From answer to end; 0 for unanswered calls."""
    end_reason: EndReason
    sip_code: int | None
    missed: bool
    forwarded_to: str | None = None
    transferred_to: str | None = None
    recording_path: str | None = None
    quality: CallQuality | None = None
    """The call's last stream statistics (set by the SIP adapter; None without media)."""
    group: CallGroup | None = None
    """The group an incoming call came through (see `Call.group`)."""

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @classmethod
    def from_call(cls, call: Call, record_id: UUID) -> CallRecord:
        """The record for an ended call (``ended_at`` and ``end_reason`` set)."""
        if call.ended_at is None or call.end_reason is None:
            raise ValueError("only an ended call has a record")
        return cls(
            record_id=record_id,
            call_id=call.call_id,
            direction=call.direction,
            remote=call.remote,
            line=call.line,
            created_at=call.created_at,
            ringing_at=call.ringing_at,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            duration=max(0.0, call.ended_at - call.created_at),
            talk_time=(
                0.0 if call.answered_at is None else max(0.0, call.ended_at - call.answered_at)
            ),
            end_reason=call.end_reason,
            sip_code=call.sip_code,
            missed=(
                call.direction is CallDirection.INCOMING
                and call.answered_at is None
                and call.end_reason in MISSED_REASONS
            ),
            forwarded_to=call.forwarded_to,
            transferred_to=call.transfer_target,
            recording_path=call.recording_path,
            group=call.group,
        )


def should_log(record: CallRecord, min_seconds: float) -> bool:
    """The Min Call Log Length rule: whether the call-log outbox keeps ``record``.

    Answered calls are measured by talk time (from answer to end), not by the total duration:
    ringing time says nothing about whether a conversation took place, and the setting exists
    to drop accidental connects of a second or two.

    Unanswered calls (missed, rejected, busy, forwarded, cancelled or unanswered outgoing) are
    always logged, whatever their length: a contact center wants to see every missed caller and
    every attempt, and their talk time is 0 by definition, so a length filter would drop all of
    them. ``min_seconds <= 0`` logs everything.
    """
    if record.answered_at is None:
        return True
    return record.talk_time >= min_seconds


def call_log_payload(record: CallRecord) -> dict[str, object]:
    """The record as the provisioning server's call-log body (``CallLogIn``), JSON-ready.

    Assumes the record's timestamps are Unix epoch seconds (the engine's clock). Calls that
    never took a line (refused busy, forwarded at once) are reported on line 0.
    """
    return {
        "id": str(record.record_id),
        "line": record.line if record.line is not None else 0,
        "direction": "inbound" if record.direction is CallDirection.INCOMING else "outbound",
        "remote": (record.remote.number or record.remote.uri)[:255],
        "started_at": _iso(record.created_at),
        "answered_at": _iso(record.answered_at) if record.answered_at is not None else None,
        "ended_at": _iso(record.ended_at),
        "duration_s": record.duration,
        "end_reason": record.end_reason.value,
        "sip_code": record.sip_code if record.sip_code and 100 <= record.sip_code <= 699 else None,
        "quality": record.quality.as_log() if record.quality is not None else None,
        # Only a group call names its group: a server from before groups (which forbids
        # unknown fields) still takes every other log.
        **({"group": record.group.name} if record.group is not None else {}),
    }


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).isoformat()
