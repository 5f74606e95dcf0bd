"""What `communicator.core.lines.Lines` asks the outside world to do.

Operations return an `Outcome` whose effects are carried out in order: SIP adapter commands
(`MakeCall` ... `StartNoAnswerTimer`), `CallFinished` for the call-log outbox, and `Notice` for
the agent. The model has already moved to the new state when they are returned: it does not
wait for the adapter to confirm holds, hang-ups or rejections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId, DtmfMethod
from communicator.core.notices import Notice


@dataclass(frozen=True)
class MakeCall:
    call_id: CallId
    uri: str


@dataclass(frozen=True)
class SendRinging:
    """Answer an incoming INVITE with 180 Ringing and start the ring tone."""

    call_id: CallId


@dataclass(frozen=True)
class Answer:
    """Answer with 200 OK and connect the call's audio to the sound device."""

    call_id: CallId


@dataclass(frozen=True)
class Reject:
    """Refuse an incoming call that has not been answered."""

    call_id: CallId
    sip_code: int


@dataclass(frozen=True)
class Redirect:
    """Forward an unanswered incoming call: 3xx with a Contact of ``target``."""

    call_id: CallId
    target: str
    sip_code: int = 302


@dataclass(frozen=True)
class Hangup:
    """End the call: BYE when answered, CANCEL when ours and still ringing."""

    call_id: CallId


@dataclass(frozen=True)
class Hold:
    call_id: CallId


@dataclass(frozen=True)
class Unhold:
    """Re-INVITE back to sendrecv and reconnect the call's audio to the sound device."""

    call_id: CallId


@dataclass(frozen=True)
class SetMute:
    """Connect (False) or disconnect (True) the microphone to this call."""

    call_id: CallId
    muted: bool


@dataclass(frozen=True)
class SendDtmf:
    call_id: CallId
    digits: str
    method: DtmfMethod


@dataclass(frozen=True)
class TransferBlind:
    """REFER ``call_id`` to ``target``."""

    call_id: CallId
    target: str


@dataclass(frozen=True)
class TransferAttended:
    """REFER ``call_id`` to the far end of ``replaces_call_id`` with Replaces (xferReplaces)."""

    call_id: CallId
    replaces_call_id: CallId


@dataclass(frozen=True)
class JoinConference:
    """Bridge the two calls' audio to each other (both are already connected to the agent)."""

    call_id: CallId
    other_call_id: CallId


@dataclass(frozen=True)
class SplitConference:
    """Stop bridging the two calls' audio to each other."""

    call_id: CallId
    other_call_id: CallId


@dataclass(frozen=True)
class StartNoAnswerTimer:
    """Call `Lines.no_answer_timeout(call_id, now)` at ``at``; a late or stale call is harmless."""

    call_id: CallId
    at: float


@dataclass(frozen=True)
class CallFinished:
    """The call is over; ``record`` goes to the call-log outbox (filtered with `should_log`)."""

    record: CallRecord


__all__ = ["Notice"]  # a call effect, defined with its codes in core.notices

CallEffect = (
    MakeCall
    | SendRinging
    | Answer
    | Reject
    | Redirect
    | Hangup
    | Hold
    | Unhold
    | SetMute
    | SendDtmf
    | TransferBlind
    | TransferAttended
    | JoinConference
    | SplitConference
    | StartNoAnswerTimer
    | CallFinished
    | Notice
)


@dataclass(frozen=True)
class Outcome:
    """The result of a `Lines` operation or event."""

    effects: tuple[CallEffect, ...] = field(default_factory=tuple)
    call_id: CallId | None = None
    """The call the operation created (place_call, incoming_call, start_consult)."""

    @property
    def records(self) -> tuple[CallRecord, ...]:
        return tuple(e.record for e in self.effects if isinstance(e, CallFinished))
