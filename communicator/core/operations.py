"""What the agent may do now: one predicate per operation, shared by the operation and the UI.

Each agent operation on a call needs the call in one of its `OPERATION_STATES` and passes the
further checks of `FURTHER_CHECKS` (no conference, no transfer in progress, a consultation to
complete, a free line ...). `refusal` applies both and returns the error the operation would
raise, or None. `Lines` raises exactly that error, and `allowed_operations` lists the operations
with no refusal, so a button's enabled state never copies the rules.

The predicates read the lines through `ReadableLines` (`Lines` is one) and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Protocol

from communicator.core.calls import (
    ESTABLISHED_STATES,
    LIVE_STATES,
    OUTGOING_SETUP_STATES,
    Call,
    CallId,
    CallState,
    TransferState,
)
from communicator.core.errors import InvalidOperationError, LinesBusyError
from communicator.core.notices import NoticeCode


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
"""The call states in which each agent operation is allowed (the further checks are in
`FURTHER_CHECKS`)."""

BEING_TRANSFERRED = frozenset(
    {TransferState.BLIND_PENDING, TransferState.COMPLETING, TransferState.REFERRED}
)
"""A REFER is out or in for the call: it is leaving the agent."""


class ReadableLines(Protocol):
    """What the predicates read: the lines as `Lines` shows them."""

    @property
    def max_lines(self) -> int: ...

    @property
    def calls(self) -> Mapping[CallId, Call]: ...

    def by_line(self) -> tuple[Call | None, ...]: ...


Refusal = InvalidOperationError | None
"""The error an operation would raise, or None when it is allowed."""


# ------------------------------------------------------------------- the lines themselves


def all_lines_busy_message(max_lines: int) -> str:
    return f"All {max_lines} lines are busy" if max_lines > 1 else "The line is busy"


def line_refusal(view: ReadableLines, line: int | None) -> Refusal:
    """Can a new call (placed, or a consultation) take ``line`` (None: any free line)?"""
    occupied = view.by_line()
    if line is None:
        if None not in occupied:
            lines = view.max_lines
            code = NoticeCode.ALL_LINES_BUSY if lines > 1 else NoticeCode.THE_LINE_BUSY
            return LinesBusyError(all_lines_busy_message(lines), code, lines=lines)
        return None
    if not 1 <= line <= view.max_lines:
        return InvalidOperationError(
            f"There is no line {line}; lines are 1 to {view.max_lines}",
            NoticeCode.NO_SUCH_LINE,
            line=line,
            lines=view.max_lines,
        )
    if occupied[line - 1] is not None:
        return LinesBusyError(f"Line {line} is busy", NoticeCode.LINE_BUSY, line=line)
    return None


def conference_unit(calls: Mapping[CallId, Call], call: Call) -> list[Call]:
    """The call and its conference partner: what is held and resumed together."""
    members = [call]
    if call.conference_with is not None and call.conference_with in calls:
        members.append(calls[call.conference_with])
    return members


def swap_refusal(view: ReadableLines) -> Refusal:
    """Swap needs exactly one active unit and one held unit."""
    calls = view.calls

    def units(state: CallState) -> set[frozenset[CallId]]:
        return {
            frozenset(m.call_id for m in conference_unit(calls, c))
            for c in calls.values()
            if c.state is state
        }

    if len(units(CallState.CONNECTED)) != 1 or len(units(CallState.HELD)) != 1:
        return InvalidOperationError(
            "Swap needs one active call and one held call", NoticeCode.SWAP_NEEDS_TWO
        )
    return None


# ------------------------------------------------------------------------ one call


def _state_refusal(call: Call, operation: Operation) -> Refusal:
    if call.state not in OPERATION_STATES[operation]:
        return InvalidOperationError(
            f"Cannot {operation.value} {call.where}: it is {call.state.label}"
        )
    return None


def _conference_refusal(call: Call, operation: Operation) -> Refusal:
    if call.conference_with is not None:
        return InvalidOperationError(
            f"Cannot {operation.value} {call.where}: split the conference first"
        )
    return None


def _transfer_refusal(call: Call) -> Refusal:
    if call.transfer is not TransferState.NONE:
        return InvalidOperationError(f"A transfer is already in progress for {call.where}")
    return None


def consultation(view: ReadableLines, call: Call) -> tuple[Call, Call] | None:
    """(original, consultation) when ``call`` takes part in an attended transfer."""
    linked = view.calls.get(call.linked_call) if call.linked_call is not None else None
    if linked is None:
        return None
    if call.transfer is TransferState.CONSULT:
        return linked, call
    if call.transfer in (TransferState.CONSULTING, TransferState.COMPLETING):
        return call, linked
    return None


def _no_further_check(view: ReadableLines, call: Call) -> Refusal:
    return None


def _activate(view: ReadableLines, call: Call) -> Refusal:
    """A line click reaches the call its line shows: not one waiting to take over the line of
    a call the far end transferred."""
    if call.takes_line_from is not None and call.takes_line_from in view.calls:
        return InvalidOperationError(
            f"Cannot {Operation.ACTIVATE.value} {call.where}: it takes over the line when the "
            "transferred call ends"
        )
    return None


def _blind_transfer(view: ReadableLines, call: Call) -> Refusal:
    return _conference_refusal(call, Operation.BLIND_TRANSFER) or _transfer_refusal(call)


def _start_consult(view: ReadableLines, call: Call) -> Refusal:
    return (
        _conference_refusal(call, Operation.START_CONSULT)
        or _transfer_refusal(call)
        or line_refusal(view, None)
    )


def _consultation_refusal(view: ReadableLines, call: Call) -> tuple[Call, Call] | Refusal:
    pair = consultation(view, call)
    if pair is None:
        return InvalidOperationError(f"There is no consultation for {call.where}")
    if pair[0].transfer is TransferState.COMPLETING:
        return InvalidOperationError("The transfer is already being completed")
    return pair


def _complete_transfer(view: ReadableLines, call: Call) -> Refusal:
    pair = _consultation_refusal(view, call)
    if not isinstance(pair, tuple):
        return pair
    original, consult = pair
    refused = _state_refusal(original, Operation.COMPLETE_TRANSFER)
    if refused is None and not consult.is_established:
        refused = InvalidOperationError(
            f"Cannot complete the transfer: {consult.where} has not been answered"
        )
    return refused


def _cancel_consult(view: ReadableLines, call: Call) -> Refusal:
    pair = _consultation_refusal(view, call)
    return None if isinstance(pair, tuple) else pair


def conference_refusal(view: ReadableLines, first: Call, second: Call) -> Refusal:
    """Can ``first`` and ``second`` be joined into a 3-way conference?"""
    refused = _state_refusal(first, Operation.CONFERENCE) or _state_refusal(
        second, Operation.CONFERENCE
    )
    if refused is not None:
        return refused
    if first.call_id == second.call_id:
        return InvalidOperationError("Choose two different calls to conference")
    pair = (first.call_id, second.call_id)
    for call in (first, second):
        if call.conference_with is not None:
            return InvalidOperationError(f"{call.where.capitalize()} is already in a conference")
        if call.transfer in BEING_TRANSFERRED or call.takes_line_from is not None:
            return InvalidOperationError(f"{call.where.capitalize()} is being transferred")
        if call.linked_call is not None and call.linked_call not in pair:
            return InvalidOperationError(
                f"Finish or cancel the consultation for {call.where} first"
            )
    return None


def conference_partners(view: ReadableLines, call_id: CallId) -> tuple[CallId, ...]:
    """The calls ``call_id`` can be conferenced with now."""
    calls = view.calls
    call = calls.get(call_id)
    if call is None:
        return ()
    return tuple(
        other.call_id
        for other in calls.values()
        if other.call_id != call_id and conference_refusal(view, call, other) is None
    )


def _conference(view: ReadableLines, call: Call) -> Refusal:
    if conference_partners(view, call.call_id):
        return None
    others = [c for c in view.calls.values() if c.call_id != call.call_id]
    if others:
        return conference_refusal(view, call, others[0])
    return InvalidOperationError(f"There is no other call to conference with {call.where}")


def _split(view: ReadableLines, call: Call) -> Refusal:
    if call.conference_with is None:
        return InvalidOperationError(f"{call.where.capitalize()} is not in a conference")
    return None


def _follow_transfer(view: ReadableLines, call: Call) -> Refusal:
    if call.transfer is not TransferState.NONE or call.takes_line_from is not None:
        return InvalidOperationError(
            f"Cannot {Operation.FOLLOW_TRANSFER.value} {call.where}: "
            "a transfer is already in progress"
        )
    return None


FURTHER_CHECKS: Mapping[Operation, Callable[[ReadableLines, Call], Refusal]] = MappingProxyType(
    {
        Operation.ANSWER: _no_further_check,
        Operation.REJECT: _no_further_check,
        Operation.HANGUP: _no_further_check,
        Operation.HOLD: _no_further_check,
        Operation.RESUME: _no_further_check,
        Operation.ACTIVATE: _activate,
        Operation.MUTE: _no_further_check,
        Operation.DTMF: _no_further_check,
        Operation.BLIND_TRANSFER: _blind_transfer,
        Operation.START_CONSULT: _start_consult,
        Operation.COMPLETE_TRANSFER: _complete_transfer,
        Operation.CANCEL_CONSULT: _cancel_consult,
        Operation.CONFERENCE: _conference,
        Operation.SPLIT: _split,
        Operation.ATTACH_RECORDING: _no_further_check,
        Operation.FOLLOW_TRANSFER: _follow_transfer,
    }
)
"""The checks beyond the call's state, per operation (made after the state check)."""


def refusal(operation: Operation, view: ReadableLines, call: Call) -> Refusal:
    """The error ``operation`` on ``call`` raises now, or None when it is allowed."""
    return _state_refusal(call, operation) or FURTHER_CHECKS[operation](view, call)


def allowed_operations(view: ReadableLines, call_id: CallId) -> frozenset[Operation]:
    """Exactly the operations the agent may do on ``call_id`` now (none once it has ended).

    `Operation.CONFERENCE` means "with at least one other call" (`conference_partners`
    says which); the arguments of an operation (a dial string, DTMF digits) are checked by the
    operation itself.
    """
    call = view.calls.get(call_id)
    if call is None:
        return frozenset()
    return frozenset(op for op in Operation if refusal(op, view, call) is None)
