"""What the SIP adapter reports about a call, applied through one table.

`EVENT_TRANSITIONS` maps (call state, event type) to the change it makes; `handle` applies it.
Pairs not in the table are late or duplicate reports and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from communicator.core.call_effects import CallEffect, Hangup, Hold, Notice, Outcome
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
from communicator.core.call_group import ANSWERED_ELSEWHERE_CAUSE
from communicator.core.calls import (
    ESTABLISHED_STATES,
    LIVE_STATES,
    OUTGOING_SETUP_STATES,
    Call,
    CallState,
    EndReason,
    TransferState,
)
from communicator.core.line_calls import LineCalls, atomic
from communicator.core.notices import NoticeCode
from communicator.core.transfers import WAITING_FOR_FINAL_NOTIFY, state_after_failed_transfer


class AdapterEvents(LineCalls):
    def handle(self, event: CallEvent, now: float) -> Outcome:
        """Apply an event from the SIP adapter; unknown calls and stale events are ignored."""
        call = self._calls.get(event.call_id)
        if call is None:
            return Outcome()
        transition = EVENT_TRANSITIONS.get((call.state, type(event)))
        if transition is None:
            return Outcome()
        return Outcome(tuple(self._apply(transition, call, event, now)))

    @atomic
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
            Notice.coded(
                f"{call.remote.label} answered on line {call.line}; the call is on hold",
                NoticeCode.ANSWERED_ON_HOLD,
                caller=call.remote.label,
                line=call.line,
            ),
        ]

    def _on_remote_hold(self, call: Call, event: RemoteHoldChanged, now: float) -> list[CallEffect]:
        self._calls[call.call_id] = replace(call, remote_hold=event.held)
        return []

    def _on_disconnected(self, call: Call, event: CallDisconnected, now: float) -> list[CallEffect]:
        reason = disconnect_reason(call, event.sip_code, event.cancel_cause)
        original = self._calls.get(call.linked_call) if call.linked_call else None
        if original is not None and original.transfer is TransferState.COMPLETING:
            # The target replaced the consultation with the transferred call: that BYE is
            # the transfer working, and it may come before the final NOTIFY.
            reason = EndReason.TRANSFERRED
        if call.transfer is TransferState.REFERRED:
            # The far end transferred the agent and hangs up: the call to the target lives on.
            reason = EndReason.TRANSFERRED
        return self._end(call, reason, now, event.sip_code)

    def _on_hold_failed(self, call: Call, event: HoldFailed, now: float) -> list[CallEffect]:
        """The far end kept the call as it was: the line shows that, and the agent is told.

        A call that could not be held goes back to CONNECTED unless another call is active
        meanwhile (a swap or a new line): two calls are never both active, so it stays held
        here, without the agent's audio, and the agent learns the far end was not put on hold.
        """
        code = f" ({event.sip_code})" if event.sip_code else ""
        where = call.where[0].upper() + call.where[1:]
        if not event.hold:
            if call.state is not CallState.CONNECTED:
                return []
            self._calls[call.call_id] = replace(call, state=CallState.HELD)
            return [
                Notice.coded(
                    f"{where} could not be resumed{code}: it is still on hold",
                    NoticeCode.RESUME_FAILED,
                    line=call.line,
                    sip=code,
                )
            ]
        if call.state is not CallState.HELD:
            return []
        others_active = any(
            c.state is CallState.CONNECTED and c.call_id != call.call_id
            for c in self._calls.values()
        )
        if others_active or call.conference_with is not None:
            return [
                Notice.coded(
                    f"{where} could not be put on hold{code}: the caller hears silence, "
                    "not the hold",
                    NoticeCode.HOLD_FAILED_SILENT,
                    line=call.line,
                    sip=code,
                )
            ]
        self._calls[call.call_id] = replace(call, state=CallState.CONNECTED)
        return [
            Notice.coded(
                f"{where} could not be put on hold{code}: it is still connected",
                NoticeCode.HOLD_FAILED,
                line=call.line,
                sip=code,
            )
        ]

    def _on_transfer_progress(
        self, call: Call, event: TransferProgress, now: float
    ) -> list[CallEffect]:
        if call.transfer not in WAITING_FOR_FINAL_NOTIFY:
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
        self._calls[call.call_id] = replace(
            call, transfer=state_after_failed_transfer(call), transfer_target=None
        )
        detail = f"{event.sip_code} {event.reason}".strip()
        return [
            Notice.coded(
                f"Transfer of {call.where} failed ({detail})",
                NoticeCode.TRANSFER_FAILED,
                line=call.line,
                detail=detail,
            )
        ]


_Transition = Callable[[AdapterEvents, Call, Any, float], list[CallEffect]]

EVENT_TRANSITIONS: Mapping[tuple[CallState, type[CallEvent]], _Transition] = MappingProxyType(
    {
        (CallState.DIALING, RemoteRinging): AdapterEvents._on_remote_ringing,
        (CallState.DIALING, EarlyMedia): AdapterEvents._on_early_media,
        (CallState.RINGING_OUT, EarlyMedia): AdapterEvents._on_early_media,
        **{(s, CallConfirmed): AdapterEvents._on_confirmed for s in OUTGOING_SETUP_STATES},
        **{(s, RemoteHoldChanged): AdapterEvents._on_remote_hold for s in ESTABLISHED_STATES},
        **{(s, TransferProgress): AdapterEvents._on_transfer_progress for s in ESTABLISHED_STATES},
        **{(s, CallDisconnected): AdapterEvents._on_disconnected for s in LIVE_STATES},
        **{(s, HoldFailed): AdapterEvents._on_hold_failed for s in ESTABLISHED_STATES},
    }
)
"""(call state, adapter event type) -> transition. Pairs not listed are ignored: they are late
or duplicate reports (a second 180, a 183 after answer) that change nothing."""


def disconnect_reason(
    call: Call, sip_code: int | None, cancel_cause: int | None = None
) -> EndReason:
    """Why a call the far end (or the network) ended has ended."""
    if call.state is CallState.RINGING_IN:
        if cancel_cause == ANSWERED_ELSEWHERE_CAUSE:
            return EndReason.ANSWERED_ELSEWHERE
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
