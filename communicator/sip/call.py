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
    DtmfReceived,
    InfoCompleted,
    Record,
    TransferRequested,
    TransferStatus,
)


class EngineCall(pj.Call):
    def __init__(self, account: Any, records: list[Record], call_id: int | None = None) -> None:
        if call_id is None:
            pj.Call.__init__(self, account)
        else:
            pj.Call.__init__(self, account, call_id)
        self.account = account
        self.records = records
        self.core_id: CallId | None = None
        """The core's id for this call; None for calls the core does not know (refused)."""

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
            statuses = tuple(int(m.status) for m in info.media if m.type == pj.PJMEDIA_TYPE_AUDIO)
            self.records.append(CallMediaChanged(self, statuses))
        except BaseException as error:
            self._failed("onCallMediaState", error)

    def onCallTsxState(self, prm: Any) -> None:  # noqa: N802
        try:
            tsx = prm.e.body.tsxState.tsx
            if (
                str(tsx.method) == "INFO"
                and int(tsx.role) == pj.PJSIP_ROLE_UAC
                and int(tsx.state) >= pj.PJSIP_TSX_STATE_COMPLETED
            ):
                self.records.append(InfoCompleted(self, int(tsx.statusCode)))
        except BaseException as error:
            self._failed("onCallTsxState", error)

    def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
        try:
            self.records.append(DtmfReceived(self, str(prm.digit)))
        except BaseException as error:
            self._failed("onDtmfDigit", error)

    def onCallTransferRequest(self, prm: Any) -> None:  # noqa: N802
        try:
            # The agent's lines are managed by the core; a far end may not move our call
            # elsewhere behind the agent's back. Decline (the agent can transfer it).
            prm.statusCode = 603
            self.records.append(TransferRequested(self, str(prm.dstUri)))
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
