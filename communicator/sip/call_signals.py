"""What pjsua2 reports about calls, turned into the core's call events.

`CallSignals.handle` takes one call record from the stack (an INVITE, a state or media
change, a REFER from the far end, a replaced call, DTMF heard, an INFO done, a transfer's
NOTIFY) and feeds the core's `Lines`, running the effects it returns.

A far end that transfers the agent (REFER) is followed: pjsua2 dials the target with a Call
of ours and the core gets it (`Lines.follow_transfer`) as an outgoing call on a free line or,
with every line busy (a one-line agent), on the referring call's own line, which it takes over
when that call ends (its far end hangs up once the transfer works). Only a REFER the core
cannot follow (a transfer already in progress on that call, a call not answered, signed out)
gets 603.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import pjsua2 as pj

from communicator.core.call_effects import CallEffect
from communicator.core.call_events import (
    CallConfirmed,
    CallDisconnected,
    CallEvent,
    EarlyMedia,
    RemoteHoldChanged,
    RemoteRinging,
    TransferProgress,
)
from communicator.core.call_group import CallGroup, sip_cancel_cause
from communicator.core.calls import CallId, RemoteParty
from communicator.core.errors import InvalidOperationError
from communicator.core.forwarding_decision import NO_FORWARDING, ForwardingRules
from communicator.core.lines import Lines
from communicator.core.notices import Notice, NoticeCode, NoticeSink
from communicator.sip.audio_routing import AudioRouter
from communicator.sip.call_table import CallTable
from communicator.sip.call_timers import CallTimer, CallTimers
from communicator.sip.effect_runner import op_param
from communicator.sip.events import (
    CallMediaChanged,
    CallReplaced,
    CallStackRecord,
    CallStateChanged,
    CancelReceived,
    DtmfHeard,
    DtmfReceived,
    EngineEvent,
    IncomingCall,
    IncomingRefusedByStack,
    InfoCompleted,
    ReinviteDone,
    TransferRequested,
    TransferStatus,
)
from communicator.sip.info_dtmf import InfoDtmf

log = logging.getLogger(__name__)

BUSY_HERE = 486


class CallSignals:
    def __init__(
        self,
        *,
        table: CallTable,
        lines: Callable[[], Lines | None],
        run_effects: Callable[[Iterable[CallEffect]], None],
        dialog_confirmed: Callable[[CallId], None],
        reinvite_done: Callable[[Any, int, bool], None],
        dialog_ended: Callable[[CallId], None],
        router: AudioRouter,
        timers: CallTimers,
        info: InfoDtmf,
        notice: NoticeSink,
        emit: Callable[[EngineEvent], None],
        refusal: Callable[[str], int | None],
        forwarding_rules: Callable[[], ForwardingRules],
        available: Callable[[], bool],
        wall: Callable[[], float],
    ) -> None:
        """``refusal(source)``: the SIP code to refuse a new INVITE from ``source`` with
        (signed out, or a static-IP account and not its server), None to take it.
        ``available()``: whether the agent takes calls now (otherwise they count as busy)."""
        self._table = table
        self._lines = lines
        self._run_effects = run_effects
        self._dialog_confirmed = dialog_confirmed
        self._reinvite_done = reinvite_done
        self._dialog_ended = dialog_ended
        self._router = router
        self._timers = timers
        self._info = info
        self._notice = notice
        self._emit = emit
        self._refusal = refusal
        self._forwarding_rules = forwarding_rules
        self._available = available
        self._wall = wall

    def _feed(self, event: CallEvent) -> None:
        lines = self._lines()
        if lines is not None:
            self._run_effects(lines.handle(event, self._wall()).effects)

    def handle(self, record: CallStackRecord) -> None:
        if isinstance(record, IncomingCall):
            self._on_incoming(record)
        elif isinstance(record, IncomingRefusedByStack):
            self._on_refused_by_stack(record)
        elif isinstance(record, CallStateChanged):
            self._on_call_state(record)
        elif isinstance(record, CallMediaChanged):
            self._on_media(record)
        elif isinstance(record, TransferStatus):
            call_id: CallId | None = record.call.core_id
            if call_id is not None:
                if record.final:
                    self._timers.forget_kind(CallTimer.TRANSFER, call_id)
                self._feed(TransferProgress(call_id, record.code, record.reason, record.final))
        elif isinstance(record, TransferRequested):
            self._on_transfer_requested(record)
        elif isinstance(record, CallReplaced):
            self._on_replaced(record)
        elif isinstance(record, InfoCompleted):
            self._info.completed(record.call)
        elif isinstance(record, ReinviteDone):
            self._reinvite_done(record.call, record.code, record.ours)
        elif isinstance(record, DtmfReceived):
            self._emit(DtmfHeard(self._line_of(record.call.core_id), record.digit))
        elif isinstance(record, CancelReceived):
            record.call.cancel_cause = sip_cancel_cause(record.reason_headers)

    def _line_of(self, call_id: CallId | None) -> int | None:
        lines = self._lines()
        if call_id is None or lines is None or call_id not in lines.calls:
            return None
        return lines.calls[call_id].line

    def _on_incoming(self, record: IncomingCall) -> None:
        call = record.call
        self._table.keep(call)
        lines = self._lines()
        code = self._refusal(record.source)
        if lines is None or code is not None:
            call.hangup(op_param(code or 480))
            return
        remote = RemoteParty.from_uri(record.remote_uri, record.display_name)
        group = CallGroup.from_headers(record.group_headers)
        if record.group_headers and group is None:
            log.info("ignored an unusable X-Communicator-Group header on an incoming call")
        outcome = lines.incoming_call(
            remote,
            self._wall(),
            self._forwarding_rules(),
            available=self._available(),
            group=group,
        )
        assert outcome.call_id is not None
        self._table.bind(outcome.call_id, call)
        self._run_effects(outcome.effects)

    def _on_refused_by_stack(self, record: IncomingRefusedByStack) -> None:
        """pjsua has already answered 486 (no call slot): the core logs the call as refused
        busy - or, when a line was free after all, as missed (it never rang here)."""
        lines = self._lines()
        if lines is None or self._refusal(record.source) is not None:
            return
        remote = RemoteParty.from_uri(record.remote_uri, record.display_name)
        group = CallGroup.from_headers(record.group_headers)
        outcome = lines.incoming_call(remote, self._wall(), NO_FORWARDING, group=group)
        self._run_effects(outcome.effects)  # none reaches pjsua: no call of ours has the id
        call_id = outcome.call_id
        if call_id is not None and call_id in lines.calls:
            self._feed(CallDisconnected(call_id, BUSY_HERE, "Too many calls"))

    def _on_call_state(self, record: CallStateChanged) -> None:
        call = record.call
        call_id: CallId | None = call.core_id
        if record.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            if call_id is not None:
                self._dialog_ended(call_id)
                self._feed(
                    CallDisconnected(call_id, record.code or None, record.reason, call.cancel_cause)
                )
                if self._table.unbind(call_id, call):
                    self._router.drop_call(call_id)
            self._table.gone(call)
            return
        if call_id is None:
            return
        if record.state == pj.PJSIP_INV_STATE_EARLY:
            self._feed(EarlyMedia(call_id) if record.code == 183 else RemoteRinging(call_id))
        elif record.state == pj.PJSIP_INV_STATE_CONFIRMED:
            call.confirmed = True  # before the core hears it: its effects may need the dialog
            call.ringing_in = False
            self._feed(CallConfirmed(call_id))
            self._dialog_confirmed(call_id)

    def _on_media(self, record: CallMediaChanged) -> None:
        self._router.media_changed()
        call_id: CallId | None = record.call.core_id
        lines = self._lines()
        if call_id is None or lines is None or call_id not in lines.calls:
            return
        statuses = record.statuses
        if pj.PJSUA_CALL_MEDIA_REMOTE_HOLD in statuses:
            held = True
        elif pj.PJSUA_CALL_MEDIA_ACTIVE in statuses:
            held = False
        else:
            return
        if lines.calls[call_id].remote_hold != held:
            self._feed(RemoteHoldChanged(call_id, held))

    def can_follow_transfer(self, call: Any, signed_in: bool) -> bool:
        """Whether the core can take the call a far end's REFER on ``call`` asks for - on a
        free line or on the referring call's own (asked from onCallTransferRequest)."""
        call_id: CallId | None = getattr(call, "core_id", None)
        lines = self._lines()
        return (
            signed_in
            and lines is not None
            and call_id is not None
            and lines.transfer_line(call_id) is not None
        )

    def _on_transfer_requested(self, record: TransferRequested) -> None:
        """A far end transferred the agent (REFER): pjsua2 is already dialling the target
        with ``record.new_call``; the core gets it as an outgoing call (the transferring call
        is left to its far end, which hangs up once the transfer works)."""
        target = record.target.strip().removeprefix("<").split(">", 1)[0].split("?", 1)[0]
        old_id: CallId | None = record.call.core_id
        lines = self._lines()
        who = (
            lines.calls[old_id].remote.label
            if (lines is not None and old_id is not None and old_id in lines.calls)
            else "The far end"
        )
        new_call = record.new_call
        if new_call is None or lines is None or old_id is None:
            self._notice(
                Notice.coded(
                    f"{who} asked to transfer the call to {target}: declined",
                    NoticeCode.TRANSFER_REQUEST_DECLINED,
                    caller=who,
                    target=target,
                )
            )
            return
        self._table.keep(new_call)
        try:
            outcome = lines.follow_transfer(old_id, target, self._wall())
        except InvalidOperationError as error:
            with contextlib.suppress(pj.Error):
                new_call.hangup(pj.CallOpParam(True))
            self._notice(
                Notice.coded(
                    f"{who} transferred the call to {target}, which failed: {error}",
                    NoticeCode.FOLLOWED_TRANSFER_FAILED,
                    caller=who,
                    target=target,
                    detail=error,
                )
            )
            return
        assert outcome.call_id is not None
        self._table.bind(outcome.call_id, new_call)
        self._router.drop_call(old_id)  # held in the core without a re-INVITE: on its way out
        self._run_effects(outcome.effects)

    def _on_replaced(self, record: CallReplaced) -> None:
        old, new = record.call, record.new_call
        self._table.keep(new)
        call_id: CallId | None = old.core_id
        if call_id is None:
            return
        old.core_id = None
        self._table.bind(call_id, new)
        self._router.drop_call(call_id)
