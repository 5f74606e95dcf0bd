"""Transfers on the agent's lines: blind, attended (consult, complete, cancel), the far end's
transfer of the agent (REFER received), and the time limit on a transfer's final answer.

A transfer the agent starts waits for the final NOTIFY of its REFER (`TransferProgress`,
handled in `adapter_events`); a 2xx ends the call as TRANSFERRED, anything else gives it back.
When no final NOTIFY comes (a far end sent one the SIP stack could not parse), the adapter
calls `transfer_timeout` after `TRANSFER_TIMEOUT_S`.
"""

from __future__ import annotations

from dataclasses import replace

from communicator.core.call_effects import (
    CallEffect,
    Hangup,
    MakeCall,
    Notice,
    Outcome,
    TransferAttended,
    TransferBlind,
)
from communicator.core.calls import (
    OUTGOING_SETUP_STATES,
    Call,
    CallId,
    CallState,
    EndReason,
    TransferState,
)
from communicator.core.dialing import parse_dial_string
from communicator.core.line_calls import LineCalls, atomic
from communicator.core.notices import NoticeCode
from communicator.core.operations import Operation, consultation, refusal

TRANSFER_TIMEOUT_S = 30.0
"""Longest wait for a transfer's final NOTIFY before `transfer_timeout` gives the call back to
the agent (a far end may send one the SIP stack cannot parse)."""

WAITING_FOR_FINAL_NOTIFY = frozenset({TransferState.BLIND_PENDING, TransferState.COMPLETING})


def state_after_failed_transfer(call: Call) -> TransferState:
    """Where a transfer that did not work leaves the call: an attended one whose consultation
    still lives goes back to it."""
    if call.transfer is TransferState.COMPLETING and call.linked_call is not None:
        return TransferState.CONSULTING
    return TransferState.NONE


class TransferOperations(LineCalls):
    # ----------------------------------------------------------- the agent transfers

    @atomic
    def blind_transfer(self, call_id: CallId, dial: str, now: float) -> Outcome:
        """REFER the call to ``dial``; it ends (TRANSFERRED) when the final NOTIFY is 2xx."""
        call = self._get(call_id, Operation.BLIND_TRANSFER)
        target = parse_dial_string(dial, self._plan)
        self._calls[call_id] = replace(
            call, transfer=TransferState.BLIND_PENDING, transfer_target=target.uri
        )
        return Outcome((TransferBlind(call_id, target.uri),))

    @atomic
    def start_consult(self, call_id: CallId, dial: str, now: float) -> Outcome:
        """Attended transfer, step 1: hold the call and dial the target on another line.

        The returned ``call_id`` is the consultation call.
        """
        self._get(call_id, Operation.START_CONSULT)
        target = parse_dial_string(dial, self._plan)
        line_no = self._allocate_line(None)
        effects = self._hold_active(keep=())
        consult = self._new_outgoing(
            target, line_no, now, transfer=TransferState.CONSULT, linked_call=call_id
        )
        self._calls[consult.call_id] = consult
        self._calls[call_id] = replace(
            self._calls[call_id], transfer=TransferState.CONSULTING, linked_call=consult.call_id
        )
        effects.append(MakeCall(consult.call_id, target.uri))
        return Outcome(tuple(effects), consult.call_id)

    def _consultation_of(self, call_id: CallId, operation: Operation) -> tuple[Call, Call]:
        pair = consultation(self, self._get(call_id, operation))
        assert pair is not None  # the operation's check requires one
        return pair

    @atomic
    def complete_transfer(self, call_id: CallId, now: float) -> Outcome:
        """Attended transfer, step 2: REFER the original call with Replaces of the consultation.

        ``call_id`` may name either call. Both end (TRANSFERRED) on a 2xx final NOTIFY.
        """
        original, consult = self._consultation_of(call_id, Operation.COMPLETE_TRANSFER)
        self._calls[original.call_id] = replace(
            original, transfer=TransferState.COMPLETING, transfer_target=consult.remote.uri
        )
        return Outcome((TransferAttended(original.call_id, consult.call_id),))

    @atomic
    def cancel_consult(self, call_id: CallId, now: float) -> Outcome:
        """Attended transfer, abandoned: hang up the consultation and resume the original."""
        original, consult = self._consultation_of(call_id, Operation.CANCEL_CONSULT)
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
        if call is None or call.transfer not in WAITING_FOR_FINAL_NOTIFY:
            return Outcome()
        self._calls[call_id] = replace(
            call, transfer=state_after_failed_transfer(call), transfer_target=None
        )
        return Outcome(
            (
                Notice.coded(
                    f"The transfer of {call.where} got no answer within "
                    f"{TRANSFER_TIMEOUT_S:g} s; the call is still yours",
                    NoticeCode.TRANSFER_NO_ANSWER,
                    line=call.line,
                    seconds=f"{TRANSFER_TIMEOUT_S:g}",
                ),
            )
        )

    # -------------------------------------------------------- the far end transfers us

    def transfer_line(self, call_id: CallId) -> int | None:
        """The line a far end's transfer (REFER) of ``call_id`` would use: the first free line,
        else the call's own; None when it cannot be followed (unknown, not answered, already
        being transferred). The SIP adapter asks this when the REFER arrives."""
        call = self._calls.get(call_id)
        if call is None or refusal(Operation.FOLLOW_TRANSFER, self, call) is not None:
            return None
        free = self.free_lines
        return free[0] if free else call.line

    @atomic
    def follow_transfer(self, call_id: CallId, target: str, now: float) -> Outcome:
        """The far end of ``call_id`` transferred the agent to ``target`` (REFER accepted): the
        SIP stack is already calling the target, so no `MakeCall`. The returned ``call_id`` is
        the new outgoing call, on the first free line or else on the referring call's line."""
        referring = self._get(call_id, Operation.FOLLOW_TRANSFER)
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
            Notice.coded(
                f"{referring.remote.label} transferred the call to {uri.uri} ({where})",
                NoticeCode.TRANSFERRED_BY_FAR_END_AFTER
                if takes_over
                else NoticeCode.TRANSFERRED_BY_FAR_END,
                caller=referring.remote.label,
                target=uri.uri,
                line=line,
            )
        )
        return Outcome(tuple(effects), new.call_id)
