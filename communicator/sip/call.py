"""The pjsua2 Call subclass: its callbacks only record frozen events for the engine.

The engine keeps every `EngineCall` (outgoing, incoming, and those pjsua2 hands over in
onCallReplaced) in a dict until its DISCONNECTED record has been processed: a collected Call
object tears its call down.
"""

from __future__ import annotations

from typing import Any

import pjsua2 as pj

from communicator.core.calls import CallId
from communicator.sip.events import (
    CallbackFailed,
    CallMediaChanged,
    CallReplaced,
    CallStateChanged,
    CancelReceived,
    DtmfReceived,
    InfoCompleted,
    ReinviteDone,
    StackRecord,
    TransferRequested,
    TransferStatus,
)
from communicator.sip.sipmsg import header_values

USABLE_MEDIA = (
    pj.PJSUA_CALL_MEDIA_ACTIVE,
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
)


class EngineCall(pj.Call):
    def __init__(
        self, account: Any, records: list[StackRecord], call_id: int | None = None
    ) -> None:
        if call_id is None:
            pj.Call.__init__(self, account)
        else:
            pj.Call.__init__(self, account, call_id)
        self.account = account
        self.records = records
        self.core_id: CallId | None = None
        """The core's id for this call; None for calls the core does not know (refused)."""
        self.audio_index: int | None = None
        """The call's audio stream with media (active or held), as of the last media change:
        the engine connects it without asking pjsua2 for the whole CallInfo again."""
        self.confirmed = False
        """The dialog is confirmed (set by the engine from the CONFIRMED state it recorded):
        re-INVITEs and REFERs may go."""
        self.info_pending = 0
        """SIP INFO requests (DTMF) sent and not yet completed: only then is a transaction
        state change worth looking at (reading the SipEvent costs ~50 us per callback, and
        call setup alone has several)."""
        self.reinvite_pending = False
        """An INVITE transaction is under way in the dialog (our hold or resume, or the far
        end's re-INVITE that made pjsip refuse ours), or a hold or resume waits to be sent
        again: the next one waits (set and cleared by the engine's `EffectRunner`); only then
        are INVITE transactions looked at."""
        self.ringing_in = False
        """An incoming call not answered yet (set in onIncomingCall, cleared by the engine at
        CONFIRMED): a CANCEL may come, and its Reason says whether another phone answered."""
        self.cancel_cause: int | None = None
        """The SIP cause of the CANCEL's Reason header (set by the engine from
        `CancelReceived`)."""

    def _failed(self, where: str, error: BaseException) -> None:
        self.records.append(CallbackFailed(where, repr(error)))

    def onCallState(self, prm: Any) -> None:  # noqa: N802
        try:
            info = self.getInfo()
            self.records.append(
                CallStateChanged(
                    self, int(info.state), int(info.lastStatusCode), str(info.lastReason)
                )
            )
        except BaseException as error:
            self._failed("onCallState", error)

    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        try:
            info = self.getInfo()
            audio = [m for m in info.media if m.type == pj.PJMEDIA_TYPE_AUDIO]
            statuses = tuple(int(m.status) for m in audio)
            self.audio_index = next(
                (int(m.index) for m in audio if int(m.status) in USABLE_MEDIA), None
            )
            self.records.append(CallMediaChanged(self, statuses))
        except BaseException as error:
            self._failed("onCallMediaState", error)

    def onCallTsxState(self, prm: Any) -> None:  # noqa: N802
        if not self.info_pending and not self.reinvite_pending and not self.ringing_in:
            return
        try:
            event = prm.e.body.tsxState
            tsx = event.tsx
            method = str(tsx.method)
            state = int(tsx.state)
            if method == "CANCEL" and self.ringing_in:
                # pjsip reports the CANCEL it received (UAS) before answering the INVITE
                # 487, so this record comes before the call's DISCONNECTED one.
                if int(tsx.role) == pj.PJSIP_ROLE_UAS and int(event.type) == pj.PJSIP_EVENT_RX_MSG:
                    message = str(event.src.rdata.wholeMsg)
                    self.records.append(
                        CancelReceived(self, tuple(header_values(message, "Reason")))
                    )
            elif method == "INFO" and self.info_pending:
                if int(tsx.role) == pj.PJSIP_ROLE_UAC and state >= pj.PJSIP_TSX_STATE_COMPLETED:
                    self.records.append(InfoCompleted(self, int(tsx.statusCode)))
            elif method == "INVITE" and self.reinvite_pending:
                # pjsip frees the dialog for the next re-INVITE once its INVITE transaction
                # has a final answer (ours) or its ACK (the far end's): each is seen once,
                # on the step into that state.
                ours = int(tsx.role) == pj.PJSIP_ROLE_UAC
                done = pj.PJSIP_TSX_STATE_COMPLETED if ours else pj.PJSIP_TSX_STATE_CONFIRMED
                if state >= done > int(event.prevState):
                    self.records.append(ReinviteDone(self, int(tsx.statusCode), ours))
        except BaseException as error:
            self._failed("onCallTsxState", error)

    def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
        try:
            self.records.append(DtmfReceived(self, str(prm.digit)))
        except BaseException as error:
            self._failed("onDtmfDigit", error)

    def onCallTransferRequest(self, prm: Any) -> None:  # noqa: N802
        try:
            # The far end transfers us (REFER): follow it when the core can take the new call
            # (the engine's gate: a free line or this call's own), with a Call object of ours
            # that the engine keeps; otherwise decline with 603.
            gate = getattr(self.account, "transfer_gate", None)
            if gate is not None and gate(self):
                new_call = EngineCall(self.account, self.records)
                prm.newCall = new_call
                self.records.append(TransferRequested(self, str(prm.dstUri), new_call))
            else:
                prm.statusCode = 603
                self.records.append(TransferRequested(self, str(prm.dstUri), None))
        except BaseException as error:
            self._failed("onCallTransferRequest", error)

    def onCallTransferStatus(self, prm: Any) -> None:  # noqa: N802
        try:
            self.records.append(
                TransferStatus(self, int(prm.statusCode), str(prm.reason), bool(prm.finalNotify))
            )
        except BaseException as error:
            self._failed("onCallTransferStatus", error)

    def onCallReplaced(self, prm: Any) -> None:  # noqa: N802
        try:
            new_call = EngineCall(self.account, self.records, int(prm.newCallId))
            prm.newCall = new_call
            self.records.append(CallReplaced(self, new_call))
        except BaseException as error:
            self._failed("onCallReplaced", error)
