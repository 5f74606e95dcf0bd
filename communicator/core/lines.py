"""The agent's lines and the calls on them: validated operations in, effects out.

`Lines` owns exactly ``max_lines`` lines. Agent operations (``place_call``, ``answer``,
``hold`` ...) check the call's state against `OPERATION_STATES`, update the model and return an
`Outcome` whose effects the SIP adapter carries out. SIP adapter events go through ``handle``
and the `EVENT_TRANSITIONS` table. An operation that is not allowed raises `InvalidOperationError`
(or a subclass) and leaves every call as it was.

Rules the model keeps:

* At most one *active unit* - a single call, or the two calls of the 3-way conference - is
  CONNECTED (heard by the agent). Placing, answering or resuming a call holds the active unit
  first; an outgoing call answered while the agent talks on another line is put on hold.
* A call ends in the model as soon as the agent hangs up or rejects it; the adapter's later
  DISCONNECTED for it is ignored. So the line is free at once, and every call produces exactly
  one `CallFinished` record, whether it ends locally, remotely or by transfer/forwarding.
* Incoming calls that find every line busy are refused with 486 (or forwarded if the decision
  says so) without taking a line, and still produce a record.
* A far end that transfers the agent (REFER, `follow_transfer`) gets the call to the target on
  the first free line or, with every line busy, on the referring call's own line: the new call
  *takes the line from* the referring one, which the line keeps showing until it ends (its far
  end hangs up once the transfer works). So one line is enough to be transferred. The
  referring call is held in the model without a re-INVITE (its far end is leaving) and ends as
  TRANSFERRED while the call to the target lives.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from enum import Enum
from types import MappingProxyType
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from communicator.core.call_effects import (
    Answer,
    CallEffect,
    CallFinished,
    Hangup,
    Hold,
    JoinConference,
    MakeCall,
    Notice,
    Outcome,
    Redirect,
    Reject,
    SendDtmf,
    SendRinging,
    SetMute,
    SplitConference,
    StartNoAnswerTimer,
    TransferAttended,
    TransferBlind,
    Unhold,
)
from communicator.core.call_events import (
    CallConfirmed,
    CallDisconnected,
    CallEvent,
    EarlyMedia,
    RemoteHoldChanged,
    RemoteRinging,
    TransferProgress,
)
from communicator.core.call_record import CallRecord
from communicator.core.calls import (
    ESTABLISHED_STATES,
    LIVE_STATES,
    OUTGOING_SETUP_STATES,
    Call,
    CallDirection,
    CallId,
    CallState,
    DtmfMethod,
    EndReason,
    RemoteParty,
    TransferState,
)
from communicator.core.dialing import DialPlan, DialTarget, parse_dial_string
from communicator.core.errors import (
    InvalidDialStringError,
    InvalidDtmfError,
    InvalidOperationError,
    LinesBusyError,
)
from communicator.core.forwarding_decision import (
    NO_FORWARDING,
    ForwardingDecision,
    ForwardingRules,
)

DTMF_DIGITS = frozenset("0123456789*#ABCD")
TRANSFER_TIMEOUT_S = 30.0
"""Longest wait for a transfer's final NOTIFY before `Lines.transfer_timeout` gives the call
back to the agent (a far end may send one the SIP stack cannot parse)."""
BUSY_HERE = 486
DEFAULT_REJECT_CODE = BUSY_HERE


class Operation(Enum):
    """Agent operations on an existing call; the value completes "Cannot ... the call"."""

    ANSWER = "answer"
    REJECT = "reject"
    HANGUP = "hang up"
    HOLD = "hold"
    RESUME = "resume"
    ACTIVATE = "switch to"
    MUTE = "mute"
    DTMF = "send tones on"
    BLIND_TRANSFER = "transfer"
    START_CONSULT = "consult about"
    COMPLETE_TRANSFER = "complete the transfer of"
    CANCEL_CONSULT = "cancel the consultation for"
    CONFERENCE = "conference"
    SPLIT = "split"
    ATTACH_RECORDING = "attach a recording to"
    FOLLOW_TRANSFER = "follow the far end's transfer of"


OPERATION_STATES: Mapping[Operation, frozenset[CallState]] = MappingProxyType(
    {
        Operation.ANSWER: frozenset({CallState.RINGING_IN}),
        Operation.REJECT: frozenset({CallState.RINGING_IN}),
        Operation.HANGUP: LIVE_STATES,
        Operation.HOLD: frozenset({CallState.CONNECTED}),
        Operation.RESUME: frozenset({CallState.HELD}),
        Operation.ACTIVATE: frozenset({CallState.RINGING_IN, *ESTABLISHED_STATES}),
        Operation.MUTE: frozenset({*OUTGOING_SETUP_STATES, *ESTABLISHED_STATES}),
        Operation.DTMF: frozenset({CallState.CONNECTED, CallState.EARLY_MEDIA}),
        Operation.BLIND_TRANSFER: ESTABLISHED_STATES,
        Operation.START_CONSULT: ESTABLISHED_STATES,
        Operation.COMPLETE_TRANSFER: ESTABLISHED_STATES,
        Operation.CANCEL_CONSULT: LIVE_STATES,
        Operation.CONFERENCE: ESTABLISHED_STATES,
        Operation.SPLIT: ESTABLISHED_STATES,
        Operation.ATTACH_RECORDING: LIVE_STATES,
        Operation.FOLLOW_TRANSFER: ESTABLISHED_STATES,
    }
)
"""The call states in which each agent operation is allowed (further checks - conference,
transfer in progress - are made by the operation and explained in its error message)."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _atomic(
    method: Callable[Concatenate[Lines, _P], _R],
) -> Callable[Concatenate[Lines, _P], _R]:
    """Roll the calls back if the operation raises, so errors leave the state unchanged."""

    @functools.wraps(method)
    def run(self: Lines, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        saved = dict(self._calls)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self._calls = saved
            raise

    return run


class Lines:
    def __init__(
        self,
        max_lines: int,
        dial_plan: DialPlan,
        *,
        new_uuid: Callable[[], UUID] = uuid.uuid4,
    ) -> None:
        if max_lines < 1:
            raise ValueError("max_lines must be at least 1")
        self._max_lines = max_lines
        self._plan = dial_plan
        self._new_uuid = new_uuid
        self._calls: dict[CallId, Call] = {}

    # ----------------------------------------------------------------- observation

    @property
    def max_lines(self) -> int:
        return self._max_lines

    @property
    def calls(self) -> Mapping[CallId, Call]:
        """A snapshot of the live calls."""
        return MappingProxyType(dict(self._calls))

    def call(self, call_id: CallId) -> Call:
        try:
            return self._calls[call_id]
        except KeyError:
            raise InvalidOperationError("That call has already ended") from None

    def by_line(self) -> tuple[Call | None, ...]:
        """The call on each line, line 1 first (a call taking over the line of a referring
        call shows once that call has ended)."""
        on_line = {
            c.line: c
            for c in self._calls.values()
            if c.takes_line_from is None or c.takes_line_from not in self._calls
        }
        return tuple(on_line.get(n) for n in range(1, self._max_lines + 1))

    @property
    def free_lines(self) -> tuple[int, ...]:
        return tuple(n for n, c in enumerate(self.by_line(), start=1) if c is None)

    @property
    def active_call_ids(self) -> frozenset[CallId]:
        """The calls the agent hears now (one call, or both calls of a conference)."""
        return frozenset(c.call_id for c in self._calls.values() if c.state is CallState.CONNECTED)

    # ------------------------------------------------------------- placing and answering

    def _new_outgoing(
        self,
        target: DialTarget,
        line: int,
        now: float,
        *,
        linked_call: CallId | None = None,
        takes_line_from: CallId | None = None,
    ) -> Call:
        """A new outgoing call on ``line``, dialling ``target`` (placed or transfer-followed)."""
        return Call(
            call_id=self._new_call_id(),
            direction=CallDirection.OUTGOING,
            remote=RemoteParty(uri=target.uri, number=target.number),
            line=line,
            state=CallState.DIALING,
            created_at=now,
            linked_call=linked_call,
            takes_line_from=takes_line_from,
        )

    @_atomic
    def place_call(self, dial: str, now: float, *, line: int | None = None) -> Outcome:
        """Dial on ``line`` (or the first free line), holding the active call first."""
        target = parse_dial_string(dial, self._plan)
        line_no = self._allocate_line(line)
        effects = self._hold_active(keep=())
        call = self._new_outgoing(target, line_no, now)
        self._calls[call.call_id] = call
        effects.append(MakeCall(call.call_id, target.uri))
        return Outcome(tuple(effects), call.call_id)

    @_atomic
    def incoming_call(
        self,
        remote: RemoteParty,
        now: float,
        forwarding: ForwardingDecision | ForwardingRules = NO_FORWARDING,
    ) -> Outcome:
        """A new INVITE: ring on a free line, forward it, or refuse it with 486 when busy.

        The returned ``call_id`` names the call in every later effect and event.
        """
        if not isinstance(forwarding, ForwardingDecision):
            forwarding = forwarding(not self.free_lines)
        effects: list[CallEffect] = []
        call = Call(
            call_id=self._new_call_id(),
            direction=CallDirection.INCOMING,
            remote=remote,
            line=None,
            state=CallState.RINGING_IN,
            created_at=now,
            ringing_at=now,
        )
        immediate = self._forward_target(forwarding.immediate, effects)
        if immediate is not None:
            effects += self._forward(call, immediate, now)
            return Outcome(tuple(effects), call.call_id)
        free = self.free_lines
        if not free:
            when_busy = self._forward_target(forwarding.when_busy, effects)
            if when_busy is not None:
                effects += self._forward(call, when_busy, now)
            else:
                effects.append(Reject(call.call_id, BUSY_HERE))
                effects += self._end(call, EndReason.BUSY_REJECTED, now, BUSY_HERE)
            return Outcome(tuple(effects), call.call_id)
        no_answer = forwarding.on_no_answer
        no_answer_target = (
            self._forward_target(no_answer.target, effects) if no_answer is not None else None
        )
        call = replace(call, line=free[0], no_answer_forward_to=no_answer_target)
        self._calls[call.call_id] = call
        effects.append(SendRinging(call.call_id))
        if no_answer is not None and no_answer_target is not None:
            effects.append(StartNoAnswerTimer(call.call_id, now + no_answer.after_seconds))
        return Outcome(tuple(effects), call.call_id)

    def no_answer_timeout(self, call_id: CallId, now: float) -> Outcome:
        """The no-answer timer fired: forward the call if it is still ringing, else nothing."""
        call = self._calls.get(call_id)
        if call is None or call.state is not CallState.RINGING_IN:
            return Outcome()
        if call.no_answer_forward_to is None:
            return Outcome()
        return Outcome(tuple(self._forward(call, call.no_answer_forward_to, now)))

    @_atomic
    def answer(self, call_id: CallId, now: float) -> Outcome:
        """Answer a ringing call, holding the active call (or conference) first."""
        call = self._get(call_id, Operation.ANSWER)
        effects = self._hold_active(keep=())
        self._calls[call_id] = replace(call, state=CallState.CONNECTED, answered_at=now)
        effects.append(Answer(call_id))
        return Outcome(tuple(effects))

    @_atomic
    def reject(
        self, call_id: CallId, now: float, *, sip_code: int = DEFAULT_REJECT_CODE
    ) -> Outcome:
        if not 400 <= sip_code <= 699:
            raise InvalidOperationError(f"{sip_code} is not a SIP error code for rejecting a call")
        call = self._get(call_id, Operation.REJECT)
        effects: list[CallEffect] = [Reject(call_id, sip_code)]
        effects += self._end(call, EndReason.REJECTED, now, sip_code)
        return Outcome(tuple(effects))

    @_atomic
    def hangup(self, call_id: CallId, now: float) -> Outcome:
        """Hang up any live call: rejects a ringing one, cancels an unanswered outgoing one."""
        call = self._get(call_id, Operation.HANGUP)
        if call.state is CallState.RINGING_IN:
            return self.reject(call_id, now)
        reason = (
            EndReason.CANCELLED if call.state in OUTGOING_SETUP_STATES else EndReason.LOCAL_HANGUP
        )
        effects: list[CallEffect] = [Hangup(call_id)]
        effects += self._end(call, reason, now)
        return Outcome(tuple(effects))

    # ----------------------------------------------------------------- hold and lines

    @_atomic
    def hold(self, call_id: CallId) -> Outcome:
        """Hold the call (both calls, if it is in the conference)."""
        call = self._get(call_id, Operation.HOLD)
        effects: list[CallEffect] = []
        for member in self._unit(call):
            if member.state is CallState.CONNECTED:
                self._calls[member.call_id] = replace(member, state=CallState.HELD)
                effects.append(Hold(member.call_id))
        return Outcome(tuple(effects))

    @_atomic
    def resume(self, call_id: CallId) -> Outcome:
        """Take the call (or conference) off hold, holding the active one first."""
        call = self._get(call_id, Operation.RESUME)
        return Outcome(tuple(self._activate(call)))

    @_atomic
    def switch_line(self, line: int, now: float) -> Outcome:
        """The agent clicks a line: answer it if ringing, resume it if held (holding the
        active call), nothing if it is already active."""
        call = self._call_on_line(line)
        self._check(call, Operation.ACTIVATE)
        if call.state is CallState.RINGING_IN:
            return self.answer(call.call_id, now)
        return Outcome(tuple(self._activate(call)))

    @_atomic
    def swap(self) -> Outcome:
        """Hold the active call and resume the held one; needs exactly one of each."""
        active = [c for c in self._calls.values() if c.state is CallState.CONNECTED]
        held_units = {
            frozenset(m.call_id for m in self._unit(c))
            for c in self._calls.values()
            if c.state is CallState.HELD
        }
        active_units = {frozenset(m.call_id for m in self._unit(c)) for c in active}
        if len(active_units) != 1 or len(held_units) != 1:
            raise InvalidOperationError("Swap needs one active call and one held call")
        (held,) = held_units
        return Outcome(tuple(self._activate(self._calls[next(iter(held))])))

    # ------------------------------------------------------------------ in-call features

    @_atomic
    def set_mute(self, call_id: CallId, muted: bool) -> Outcome:
        """Mute or unmute the microphone on the call (on both calls of a conference)."""
        call = self._get(call_id, Operation.MUTE)
        effects: list[CallEffect] = []
        for member in self._unit(call):
            if member.muted != muted:
                self._calls[member.call_id] = replace(member, muted=muted)
                effects.append(SetMute(member.call_id, muted))
        return Outcome(tuple(effects))

    @_atomic
    def send_dtmf(
        self, call_id: CallId, digits: str, method: DtmfMethod = DtmfMethod.RFC4733
    ) -> Outcome:
        tones = validate_dtmf(digits)
        self._get(call_id, Operation.DTMF)
        return Outcome((SendDtmf(call_id, tones, method),))

    @_atomic
    def attach_recording(self, call_id: CallId, path: str) -> Outcome:
        """Remember where the call is recorded; the path ends up in its `CallRecord`."""
        call = self._get(call_id, Operation.ATTACH_RECORDING)
        self._calls[call_id] = replace(call, recording_path=path)
        return Outcome()

    # ---------------------------------------------------------------------- transfers

    def transfer_line(self, call_id: CallId) -> int | None:
        """The line a far end's transfer (REFER) of ``call_id`` would use: the first free line,
        else the call's own; None when it cannot be followed (unknown, not answered, already
        being transferred). The SIP adapter asks this when the REFER arrives."""
        call = self._calls.get(call_id)
        if call is None or call.state not in OPERATION_STATES[Operation.FOLLOW_TRANSFER]:
            return None
        if call.transfer is not TransferState.NONE or call.takes_line_from is not None:
            return None
        free = self.free_lines
        return free[0] if free else call.line

    @_atomic
    def follow_transfer(self, call_id: CallId, target: str, now: float) -> Outcome:
        """The far end of ``call_id`` transferred the agent to ``target`` (REFER accepted): the
        SIP stack is already calling the target, so no `MakeCall`. The returned ``call_id`` is
        the new outgoing call, on the first free line or else on the referring call's line."""
        referring = self._get(call_id, Operation.FOLLOW_TRANSFER)
        if referring.transfer is not TransferState.NONE or referring.takes_line_from is not None:
            raise InvalidOperationError(
                f"Cannot {Operation.FOLLOW_TRANSFER.value} {referring.where}: "
                "a transfer is already in progress"
            )
        uri = parse_dial_string(target, self._plan)
        line = self.transfer_line(call_id)
        assert line is not None
        takes_over = line == referring.line
        # The referring call's far end is leaving: held here without a re-INVITE.
        effects = self._hold_active(keep=[call_id])
        if referring.state is CallState.CONNECTED:
            referring = replace(referring, state=CallState.HELD)
        new = self._new_outgoing(
            uri,
            line,
            now,
            linked_call=call_id,
            takes_line_from=call_id if takes_over else None,
        )
        self._calls[call_id] = replace(
            referring,
            transfer=TransferState.REFERRED,
            linked_call=new.call_id,
            transfer_target=uri.uri,
        )
        self._calls[new.call_id] = new
        where = f"line {line}" + (" once the call ends" if takes_over else "")
        effects.append(
            Notice(f"{referring.remote.label} transferred the call to {uri.uri} ({where})")
        )
        return Outcome(tuple(effects), new.call_id)

    @_atomic
    def blind_transfer(self, call_id: CallId, dial: str, now: float) -> Outcome:
        """REFER the call to ``dial``; it ends (TRANSFERRED) when the final NOTIFY is 2xx."""
        call = self._get(call_id, Operation.BLIND_TRANSFER)
        self._require_no_conference(call, Operation.BLIND_TRANSFER)
        self._require_no_transfer(call)
        target = parse_dial_string(dial, self._plan)
        self._calls[call_id] = replace(
            call, transfer=TransferState.BLIND_PENDING, transfer_target=target.uri
        )
        return Outcome((TransferBlind(call_id, target.uri),))

    @_atomic
    def start_consult(self, call_id: CallId, dial: str, now: float) -> Outcome:
        """Attended transfer, step 1: hold the call and dial the target on another line.

        The returned ``call_id`` is the consultation call.
        """
        call = self._get(call_id, Operation.START_CONSULT)
        self._require_no_conference(call, Operation.START_CONSULT)
        self._require_no_transfer(call)
        target = parse_dial_string(dial, self._plan)
        line_no = self._allocate_line(None)
        effects = self._hold_active(keep=())
        consult = Call(
            call_id=self._new_call_id(),
            direction=CallDirection.OUTGOING,
            remote=RemoteParty(uri=target.uri, number=target.number),
            line=line_no,
            state=CallState.DIALING,
            created_at=now,
            transfer=TransferState.CONSULT,
            linked_call=call_id,
        )
        self._calls[consult.call_id] = consult
        self._calls[call_id] = replace(
            self._calls[call_id], transfer=TransferState.CONSULTING, linked_call=consult.call_id
        )
        effects.append(MakeCall(consult.call_id, target.uri))
        return Outcome(tuple(effects), consult.call_id)

    @_atomic
    def complete_transfer(self, call_id: CallId, now: float) -> Outcome:
        """Attended transfer, step 2: REFER the original call with Replaces of the consultation.

        ``call_id`` may name either call. Both end (TRANSFERRED) on a 2xx final NOTIFY.
        """
        original, consult = self._consultation(call_id, Operation.COMPLETE_TRANSFER)
        if original.transfer is TransferState.COMPLETING:
            raise InvalidOperationError("The transfer is already being completed")
        self._check(original, Operation.COMPLETE_TRANSFER)
        if not consult.is_established:
            raise InvalidOperationError(
                f"Cannot complete the transfer: {consult.where} has not been answered"
            )
        self._calls[original.call_id] = replace(
            original, transfer=TransferState.COMPLETING, transfer_target=consult.remote.uri
        )
        return Outcome((TransferAttended(original.call_id, consult.call_id),))

    @_atomic
    def cancel_consult(self, call_id: CallId, now: float) -> Outcome:
        """Attended transfer, abandoned: hang up the consultation and resume the original."""
        original, consult = self._consultation(call_id, Operation.CANCEL_CONSULT)
        if original.transfer is TransferState.COMPLETING:
            raise InvalidOperationError("The transfer is already being completed")
        reason = (
            EndReason.CANCELLED
            if consult.state in OUTGOING_SETUP_STATES
            else EndReason.LOCAL_HANGUP
        )
        effects: list[CallEffect] = [Hangup(consult.call_id)]
        effects += self._end(consult, reason, now)
        effects += self._activate(self._calls[original.call_id])
        return Outcome(tuple(effects))

    def transfer_timeout(self, call_id: CallId, now: float) -> Outcome:
        """The transfer of ``call_id`` got no final answer within `TRANSFER_TIMEOUT_S`: the
        agent keeps the call (an attended transfer goes back to the consultation) and is told.
        Nothing when the call has ended or its transfer is no longer waiting for an answer."""
        call = self._calls.get(call_id)
        if call is None or call.transfer not in (
            TransferState.BLIND_PENDING,
            TransferState.COMPLETING,
        ):
            return Outcome()
        back_to = (
            TransferState.CONSULTING
            if call.transfer is TransferState.COMPLETING and call.linked_call is not None
            else TransferState.NONE
        )
        self._calls[call_id] = replace(call, transfer=back_to, transfer_target=None)
        return Outcome(
            (
                Notice(
                    f"The transfer of {call.where} got no answer within "
                    f"{TRANSFER_TIMEOUT_S:g} s; the call is still yours"
                ),
            )
        )

    # --------------------------------------------------------------------- conference

    @_atomic
    def conference(self, call_id: CallId, other_call_id: CallId) -> Outcome:
        """Join two answered calls into a 3-way conference (a consultation may be one of them)."""
        first = self._get(call_id, Operation.CONFERENCE)
        second = self._get(other_call_id, Operation.CONFERENCE)
        if first.call_id == second.call_id:
            raise InvalidOperationError("Choose two different calls to conference")
        for call in (first, second):
            if call.conference_with is not None:
                raise InvalidOperationError(f"{call.where.capitalize()} is already in a conference")
            if (
                call.transfer
                in (TransferState.BLIND_PENDING, TransferState.COMPLETING, TransferState.REFERRED)
                or call.takes_line_from is not None
            ):
                raise InvalidOperationError(f"{call.where.capitalize()} is being transferred")
            if call.linked_call is not None and call.linked_call not in (call_id, other_call_id):
                raise InvalidOperationError(
                    f"Finish or cancel the consultation for {call.where} first"
                )
        ids = (call_id, other_call_id)
        for call_id_, partner in (ids, ids[::-1]):
            self._calls[call_id_] = replace(
                self._calls[call_id_],
                conference_with=partner,
                transfer=TransferState.NONE,
                linked_call=None,
            )
        effects = self._activate(self._calls[call_id])
        effects.append(JoinConference(call_id, other_call_id))
        return Outcome(tuple(effects))

    @_atomic
    def split_conference(self, call_id: CallId) -> Outcome:
        """End the conference: ``call_id`` stays with the agent, the other call is held."""
        call = self._get(call_id, Operation.SPLIT)
        if call.conference_with is None:
            raise InvalidOperationError(f"{call.where.capitalize()} is not in a conference")
        partner = self._calls[call.conference_with]
        effects: list[CallEffect] = [SplitConference(call_id, partner.call_id)]
        self._calls[call_id] = replace(call, conference_with=None)
        partner = replace(partner, conference_with=None)
        if partner.state is CallState.CONNECTED:
            partner = replace(partner, state=CallState.HELD)
            effects.append(Hold(partner.call_id))
        self._calls[partner.call_id] = partner
        effects += self._activate(self._calls[call_id])
        return Outcome(tuple(effects))

    # ------------------------------------------------------------------ adapter events

    def handle(self, event: CallEvent, now: float) -> Outcome:
        """Apply an event from the SIP adapter; unknown calls and stale events are ignored."""
        call = self._calls.get(event.call_id)
        if call is None:
            return Outcome()
        transition = EVENT_TRANSITIONS.get((call.state, type(event)))
        if transition is None:
            return Outcome()
        return Outcome(tuple(self._apply(transition, call, event, now)))

    @_atomic
    def _apply(
        self, transition: _Transition, call: Call, event: CallEvent, now: float
    ) -> list[CallEffect]:
        return transition(self, call, event, now)

    def _on_remote_ringing(self, call: Call, event: RemoteRinging, now: float) -> list[CallEffect]:
        self._calls[call.call_id] = replace(call, state=CallState.RINGING_OUT, ringing_at=now)
        return []

    def _on_early_media(self, call: Call, event: EarlyMedia, now: float) -> list[CallEffect]:
        ringing_at = call.ringing_at if call.ringing_at is not None else now
        self._calls[call.call_id] = replace(
            call, state=CallState.EARLY_MEDIA, ringing_at=ringing_at
        )
        return []

    def _on_confirmed(self, call: Call, event: CallConfirmed, now: float) -> list[CallEffect]:
        """An outgoing call is answered. If the agent is talking on another line meanwhile,
        the new call is held rather than yanking the agent out of that conversation."""
        busy_elsewhere = any(
            c.state is CallState.CONNECTED and c.call_id != call.call_id
            for c in self._calls.values()
        )
        if not busy_elsewhere:
            self._calls[call.call_id] = replace(call, state=CallState.CONNECTED, answered_at=now)
            return []
        self._calls[call.call_id] = replace(call, state=CallState.HELD, answered_at=now)
        return [
            Hold(call.call_id),
            Notice(f"{call.remote.label} answered on line {call.line}; the call is on hold"),
        ]

    def _on_remote_hold(self, call: Call, event: RemoteHoldChanged, now: float) -> list[CallEffect]:
        self._calls[call.call_id] = replace(call, remote_hold=event.held)
        return []

    def _on_disconnected(self, call: Call, event: CallDisconnected, now: float) -> list[CallEffect]:
        reason = disconnect_reason(call, event.sip_code)
        original = self._calls.get(call.linked_call) if call.linked_call else None
        if original is not None and original.transfer is TransferState.COMPLETING:
            # The target replaced the consultation with the transferred call: that BYE is
            # the transfer working, and it may come before the final NOTIFY.
            reason = EndReason.TRANSFERRED
        if call.transfer is TransferState.REFERRED:
            # The far end transferred the agent and hangs up: the call to the target lives on.
            reason = EndReason.TRANSFERRED
        return self._end(call, reason, now, event.sip_code)

    def _on_transfer_progress(
        self, call: Call, event: TransferProgress, now: float
    ) -> list[CallEffect]:
        if call.transfer not in (TransferState.BLIND_PENDING, TransferState.COMPLETING):
            return []
        if not event.final:
            return []
        if 200 <= event.sip_code < 300:
            effects: list[CallEffect] = [Hangup(call.call_id)]
            effects += self._end(call, EndReason.TRANSFERRED, now)
            consult = self._calls.get(call.linked_call) if call.linked_call else None
            if call.transfer is TransferState.COMPLETING and consult is not None:
                effects.append(Hangup(consult.call_id))
                effects += self._end(self._calls[consult.call_id], EndReason.TRANSFERRED, now)
            return effects
        back_to = (
            TransferState.CONSULTING
            if call.transfer is TransferState.COMPLETING and call.linked_call is not None
            else TransferState.NONE
        )
        self._calls[call.call_id] = replace(call, transfer=back_to, transfer_target=None)
        detail = f"{event.sip_code} {event.reason}".strip()
        return [Notice(f"Transfer of {call.where} failed ({detail})")]

    # ------------------------------------------------------------------------ helpers

    def _new_call_id(self) -> CallId:
        return CallId(str(self._new_uuid()))

    def _get(self, call_id: CallId, operation: Operation) -> Call:
        call = self._calls.get(call_id)
        if call is None:
            raise InvalidOperationError(f"Cannot {operation.value} the call: it has already ended")
        self._check(call, operation)
        return call

    @staticmethod
    def _check(call: Call, operation: Operation) -> None:
        if call.state not in OPERATION_STATES[operation]:
            raise InvalidOperationError(
                f"Cannot {operation.value} {call.where}: it is {call.state.label}"
            )

    def _call_on_line(self, line: int) -> Call:
        if not 1 <= line <= self._max_lines:
            raise InvalidOperationError(
                f"There is no line {line}; lines are 1 to {self._max_lines}"
            )
        call = self.by_line()[line - 1]
        if call is None:
            raise InvalidOperationError(f"Line {line} is free")
        return call

    def _allocate_line(self, line: int | None) -> int:
        if line is not None:
            if not 1 <= line <= self._max_lines:
                raise InvalidOperationError(
                    f"There is no line {line}; lines are 1 to {self._max_lines}"
                )
            if self.by_line()[line - 1] is not None:
                raise LinesBusyError(f"Line {line} is busy")
            return line
        free = self.free_lines
        if not free:
            raise LinesBusyError(all_lines_busy_message(self._max_lines))
        return free[0]

    def _unit(self, call: Call) -> list[Call]:
        """The call and its conference partner: what is held and resumed together."""
        members = [call]
        if call.conference_with is not None and call.conference_with in self._calls:
            members.append(self._calls[call.conference_with])
        return members

    def _hold_active(self, keep: Iterable[CallId]) -> list[CallEffect]:
        kept = set(keep)
        effects: list[CallEffect] = []
        for call in list(self._calls.values()):
            if call.state is CallState.CONNECTED and call.call_id not in kept:
                self._calls[call.call_id] = replace(call, state=CallState.HELD)
                effects.append(Hold(call.call_id))
        return effects

    def _activate(self, call: Call) -> list[CallEffect]:
        """Make ``call``'s unit the one the agent hears: hold the others, resume it."""
        unit = self._unit(call)
        effects = self._hold_active(keep=[m.call_id for m in unit])
        for member in unit:
            if member.state is CallState.HELD:
                self._calls[member.call_id] = replace(member, state=CallState.CONNECTED)
                effects.append(Unhold(member.call_id))
        return effects

    def _consultation(self, call_id: CallId, operation: Operation) -> tuple[Call, Call]:
        """(original, consultation) for a call taking part in an attended transfer."""
        call = self._get(call_id, operation)
        if call.transfer is TransferState.CONSULT and call.linked_call is not None:
            return self._calls[call.linked_call], call
        if (
            call.transfer in (TransferState.CONSULTING, TransferState.COMPLETING)
            and call.linked_call is not None
        ):
            return call, self._calls[call.linked_call]
        raise InvalidOperationError(f"There is no consultation for {call.where}")

    @staticmethod
    def _require_no_conference(call: Call, operation: Operation) -> None:
        if call.conference_with is not None:
            raise InvalidOperationError(
                f"Cannot {operation.value} {call.where}: split the conference first"
            )

    @staticmethod
    def _require_no_transfer(call: Call) -> None:
        if call.transfer is not TransferState.NONE:
            raise InvalidOperationError(f"A transfer is already in progress for {call.where}")

    def _forward_target(self, dial: str | None, effects: list[CallEffect]) -> str | None:
        """Normalise a forwarding target; an unusable one is skipped with a notice, so a bad
        profile entry cannot lose the call."""
        if dial is None:
            return None
        try:
            return parse_dial_string(dial, self._plan).uri
        except InvalidDialStringError as error:
            effects.append(Notice(f"Call forwarding skipped: {error}"))
            return None

    def _forward(self, call: Call, target: str, now: float) -> list[CallEffect]:
        effects: list[CallEffect] = [Redirect(call.call_id, target)]
        effects += self._end(replace(call, forwarded_to=target), EndReason.FORWARDED, now, 302)
        return effects

    def _end(
        self, call: Call, reason: EndReason, now: float, sip_code: int | None = None
    ) -> list[CallEffect]:
        """Remove the call, unlink its partners and emit its one record."""
        self._calls.pop(call.call_id, None)
        partner = self._calls.get(call.conference_with) if call.conference_with else None
        if partner is not None:
            self._calls[partner.call_id] = replace(partner, conference_with=None)
        linked = self._calls.get(call.linked_call) if call.linked_call else None
        if linked is not None and linked.transfer is TransferState.COMPLETING:
            # The REFER is out; its final NOTIFY still decides how the original ends.
            self._calls[linked.call_id] = replace(linked, linked_call=None)
        elif linked is not None:
            self._calls[linked.call_id] = replace(
                linked, transfer=TransferState.NONE, linked_call=None, transfer_target=None
            )
        for taker in [c for c in self._calls.values() if c.takes_line_from == call.call_id]:
            # The call to the transfer target now shows on the line it took over.
            self._calls[taker.call_id] = replace(self._calls[taker.call_id], takes_line_from=None)
        ended = replace(
            call, state=CallState.ENDED, ended_at=now, end_reason=reason, sip_code=sip_code
        )
        return [CallFinished(CallRecord.from_call(ended, self._new_uuid()))]


_Transition = Callable[[Lines, Call, Any, float], list[CallEffect]]

EVENT_TRANSITIONS: Mapping[tuple[CallState, type[CallEvent]], _Transition] = MappingProxyType(
    {
        (CallState.DIALING, RemoteRinging): Lines._on_remote_ringing,
        (CallState.DIALING, EarlyMedia): Lines._on_early_media,
        (CallState.RINGING_OUT, EarlyMedia): Lines._on_early_media,
        **{(s, CallConfirmed): Lines._on_confirmed for s in OUTGOING_SETUP_STATES},
        **{(s, RemoteHoldChanged): Lines._on_remote_hold for s in ESTABLISHED_STATES},
        **{(s, TransferProgress): Lines._on_transfer_progress for s in ESTABLISHED_STATES},
        **{(s, CallDisconnected): Lines._on_disconnected for s in LIVE_STATES},
    }
)
"""(call state, adapter event type) -> transition. Pairs not listed are ignored: they are late
or duplicate reports (a second 180, a 183 after answer) that change nothing."""


def disconnect_reason(call: Call, sip_code: int | None) -> EndReason:
    """Why a call the far end (or the network) ended has ended."""
    if call.state is CallState.RINGING_IN:
        return EndReason.MISSED
    if call.state in ESTABLISHED_STATES:
        return EndReason.REMOTE_HANGUP
    if sip_code in (486, 600):
        return EndReason.REMOTE_BUSY
    if sip_code in (603, 607):
        return EndReason.DECLINED
    if sip_code in (408, 480, 487):
        return EndReason.NO_ANSWER
    return EndReason.FAILED


def validate_dtmf(digits: str) -> str:
    """Upper-case DTMF digits without spaces; raises `InvalidDtmfError`."""
    tones = "".join(digits.split()).upper()
    if not tones:
        raise InvalidDtmfError("No DTMF digits to send")
    bad = sorted({ch for ch in tones if ch not in DTMF_DIGITS})
    if bad:
        raise InvalidDtmfError(f"{''.join(bad)!r} cannot be sent as DTMF (use 0-9, *, # and A-D)")
    return tones


def all_lines_busy_message(max_lines: int) -> str:
    return f"All {max_lines} lines are busy" if max_lines > 1 else "The line is busy"
