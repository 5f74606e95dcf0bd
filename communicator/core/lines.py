"""The agent's lines and the calls on them: validated operations in, effects out.

`Lines` owns exactly ``max_lines`` lines. Agent operations (``place_call``, ``answer``,
``hold`` ...) check that they are allowed (`operations.refusal`: the call's state in
`OPERATION_STATES`, then the further checks), update the model and return an `Outcome` whose
effects the SIP adapter carries out. `Lines.allowed_operations` lists what passes, from the same
predicates. SIP adapter events go through ``handle`` and the `EVENT_TRANSITIONS` table. An
operation that is not allowed raises `InvalidOperationError` (or a subclass) and leaves every
call as it was.

`Lines` is assembled from its parts: `line_calls` (the calls and the bookkeeping every
operation shares), `operations` (what is allowed), `transfers` and `adapter_events`; this
module adds placing, answering, hold, in-call features and the conference.

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

from dataclasses import replace

from communicator.core.adapter_events import EVENT_TRANSITIONS, AdapterEvents, disconnect_reason
from communicator.core.call_effects import (
    Answer,
    CallEffect,
    Hangup,
    Hold,
    JoinConference,
    MakeCall,
    Outcome,
    Reject,
    SendDtmf,
    SendRinging,
    SetMute,
    SplitConference,
    StartNoAnswerTimer,
)
from communicator.core.call_group import CallGroup
from communicator.core.calls import (
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
from communicator.core.dialing import parse_dial_string
from communicator.core.errors import InvalidDtmfError, InvalidOperationError
from communicator.core.forwarding_decision import (
    NO_FORWARDING,
    ForwardingDecision,
    ForwardingRules,
)
from communicator.core.line_calls import atomic
from communicator.core.operations import (
    OPERATION_STATES,
    Operation,
    all_lines_busy_message,
    conference_refusal,
    line_refusal,
    swap_refusal,
)
from communicator.core.operations import allowed_operations as _allowed_operations
from communicator.core.operations import conference_partners as _conference_partners
from communicator.core.operations import refusal as _refusal
from communicator.core.transfers import TRANSFER_TIMEOUT_S, TransferOperations

__all__ = [
    "BUSY_HERE",
    "DEFAULT_REJECT_CODE",
    "DTMF_DIGITS",
    "EVENT_TRANSITIONS",
    "OPERATION_STATES",
    "TRANSFER_TIMEOUT_S",
    "Lines",
    "Operation",
    "all_lines_busy_message",
    "disconnect_reason",
    "validate_dtmf",
]

DTMF_DIGITS = frozenset("0123456789*#ABCD")
BUSY_HERE = 486
DEFAULT_REJECT_CODE = BUSY_HERE


class Lines(TransferOperations, AdapterEvents):
    """The agent's lines: every operation and adapter event (see the module docstring)."""

    # ------------------------------------------------------------ what is allowed now

    def allowed_operations(self, call_id: CallId) -> frozenset[Operation]:
        """Exactly the operations the agent may do on ``call_id`` now; each one outside it
        raises `InvalidOperationError` (see `communicator.core.operations`)."""
        return _allowed_operations(self, call_id)

    def refusal(self, operation: Operation, call_id: CallId) -> InvalidOperationError | None:
        """Why ``operation`` on ``call_id`` is not allowed now (None: it is allowed)."""
        call = self._calls.get(call_id)
        if call is None:
            return InvalidOperationError(f"Cannot {operation.value} the call: it has already ended")
        return _refusal(operation, self, call)

    def conference_partners(self, call_id: CallId) -> tuple[CallId, ...]:
        """The calls ``call_id`` can be joined with in a conference now."""
        return _conference_partners(self, call_id)

    def can_place_call(self, line: int | None = None) -> bool:
        """Whether `place_call` can take ``line`` (None: any line) now."""
        return line_refusal(self, line) is None

    @property
    def can_swap(self) -> bool:
        """Whether `swap` is allowed now (one active call and one held call)."""
        return swap_refusal(self) is None

    # ------------------------------------------------------------- placing and answering

    @atomic
    def place_call(
        self, dial: str, now: float, *, line: int | None = None, name: str = ""
    ) -> Outcome:
        """Dial on ``line`` (or the first free line), holding the active call first. ``name``:
        whom the agent picked (a directory or history entry), shown with the number."""
        target = parse_dial_string(dial, self._plan)
        line_no = self._allocate_line(line)
        effects = self._hold_active(keep=())
        call = self._new_outgoing(target, line_no, now, name=name)
        self._calls[call.call_id] = call
        effects.append(MakeCall(call.call_id, target.uri))
        return Outcome(tuple(effects), call.call_id)

    @atomic
    def incoming_call(
        self,
        remote: RemoteParty,
        now: float,
        forwarding: ForwardingDecision | ForwardingRules = NO_FORWARDING,
        *,
        available: bool = True,
        group: CallGroup | None = None,
    ) -> Outcome:
        """A new INVITE: ring on a free line, forward it, or refuse it with 486 when busy.

        ``available=False`` (the agent is not taking calls: not ready or in wrap-up, unless the
        profile lets calls ring then) counts as busy: the when-busy forwarding applies, or 486.
        The returned ``call_id`` names the call in every later effect and event. ``group``:
        the group the proxy routed the call through (kept on the call and its record).
        """
        busy = not self.free_lines or not available
        if not isinstance(forwarding, ForwardingDecision):
            forwarding = forwarding(busy)
        effects: list[CallEffect] = []
        call = Call(
            call_id=self._new_call_id(),
            direction=CallDirection.INCOMING,
            remote=remote,
            line=None,
            state=CallState.RINGING_IN,
            created_at=now,
            ringing_at=now,
            group=group,
        )
        immediate = self._forward_target(forwarding.immediate, effects)
        if immediate is not None:
            effects += self._forward(call, immediate, now)
            return Outcome(tuple(effects), call.call_id)
        free = self.free_lines
        if busy:
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

    @atomic
    def answer(self, call_id: CallId, now: float) -> Outcome:
        """Answer a ringing call, holding the active call (or conference) first."""
        call = self._get(call_id, Operation.ANSWER)
        effects = self._hold_active(keep=())
        self._calls[call_id] = replace(call, state=CallState.CONNECTED, answered_at=now)
        effects.append(Answer(call_id))
        return Outcome(tuple(effects))

    @atomic
    def reject(
        self, call_id: CallId, now: float, *, sip_code: int = DEFAULT_REJECT_CODE
    ) -> Outcome:
        if not 400 <= sip_code <= 699:
            raise InvalidOperationError(f"{sip_code} is not a SIP error code for rejecting a call")
        call = self._get(call_id, Operation.REJECT)
        effects: list[CallEffect] = [Reject(call_id, sip_code)]
        effects += self._end(call, EndReason.REJECTED, now, sip_code)
        return Outcome(tuple(effects))

    @atomic
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

    @atomic
    def hold(self, call_id: CallId) -> Outcome:
        """Hold the call (both calls, if it is in the conference)."""
        call = self._get(call_id, Operation.HOLD)
        effects: list[CallEffect] = []
        for member in self._unit(call):
            if member.state is CallState.CONNECTED:
                self._calls[member.call_id] = replace(member, state=CallState.HELD)
                effects.append(Hold(member.call_id))
        return Outcome(tuple(effects))

    @atomic
    def resume(self, call_id: CallId) -> Outcome:
        """Take the call (or conference) off hold, holding the active one first."""
        call = self._get(call_id, Operation.RESUME)
        return Outcome(tuple(self._activate(call)))

    @atomic
    def switch_line(self, line: int, now: float) -> Outcome:
        """The agent clicks a line: answer it if ringing, resume it if held (holding the
        active call), nothing if it is already active."""
        call = self._get(self._call_on_line(line).call_id, Operation.ACTIVATE)
        if call.state is CallState.RINGING_IN:
            return self.answer(call.call_id, now)
        return Outcome(tuple(self._activate(call)))

    @atomic
    def swap(self) -> Outcome:
        """Hold the active call and resume the held one; needs exactly one of each."""
        refused = swap_refusal(self)
        if refused is not None:
            raise refused
        held = next(c for c in self._calls.values() if c.state is CallState.HELD)
        return Outcome(tuple(self._activate(held)))

    # ------------------------------------------------------------------ in-call features

    @atomic
    def set_mute(self, call_id: CallId, muted: bool) -> Outcome:
        """Mute or unmute the microphone on the call (on both calls of a conference)."""
        call = self._get(call_id, Operation.MUTE)
        effects: list[CallEffect] = []
        for member in self._unit(call):
            if member.muted != muted:
                self._calls[member.call_id] = replace(member, muted=muted)
                effects.append(SetMute(member.call_id, muted))
        return Outcome(tuple(effects))

    @atomic
    def send_dtmf(
        self, call_id: CallId, digits: str, method: DtmfMethod = DtmfMethod.RFC4733
    ) -> Outcome:
        tones = validate_dtmf(digits)
        self._get(call_id, Operation.DTMF)
        return Outcome((SendDtmf(call_id, tones, method),))

    @atomic
    def attach_recording(self, call_id: CallId, path: str) -> Outcome:
        """Remember where the call is recorded; the path ends up in its `CallRecord`."""
        call = self._get(call_id, Operation.ATTACH_RECORDING)
        self._calls[call_id] = replace(call, recording_path=path)
        return Outcome()

    # --------------------------------------------------------------------- conference

    @atomic
    def conference(self, call_id: CallId, other_call_id: CallId) -> Outcome:
        """Join two answered calls into a 3-way conference (a consultation may be one of them)."""
        first = self._find(call_id, Operation.CONFERENCE)
        second = self._find(other_call_id, Operation.CONFERENCE)
        refused = conference_refusal(self, first, second)
        if refused is not None:
            raise refused
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

    @atomic
    def split_conference(self, call_id: CallId) -> Outcome:
        """End the conference: ``call_id`` stays with the agent, the other call is held."""
        call = self._get(call_id, Operation.SPLIT)
        assert call.conference_with is not None  # the operation's check
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


def validate_dtmf(digits: str) -> str:
    """Upper-case DTMF digits without spaces; raises `InvalidDtmfError`."""
    tones = "".join(digits.split()).upper()
    if not tones:
        raise InvalidDtmfError("No DTMF digits to send")
    bad = sorted({ch for ch in tones if ch not in DTMF_DIGITS})
    if bad:
        raise InvalidDtmfError(f"{''.join(bad)!r} cannot be sent as DTMF (use 0-9, *, # and A-D)")
    return tones
