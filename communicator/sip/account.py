"""The pjsua2 Account subclass: its callbacks only record frozen events for the engine.

pjsua2 swallows exceptions raised in callbacks, so every callback catches everything and
records a `CallbackFailed` instead. No callback calls back into pjsua2 for anything but reading
the parameters it was given; the engine acts on the records after the poll.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from communicator.core.call_group import GROUP_HEADER
from communicator.sip.call import EngineCall
from communicator.sip.events import (
    CallbackFailed,
    IncomingCall,
    RegStarted,
    RegState,
    StackRecord,
)
from communicator.sip.sipmsg import header_values, split_name_addr, top_via_address


class EngineAccount(pj.Account):
    def __init__(self, records: list[StackRecord]) -> None:
        pj.Account.__init__(self)
        self.records = records
        self.transfer_gate: Callable[[Any], bool] | None = None
        """Whether a far end's REFER on the given call may be followed now (set by the engine;
        read by the calls' onCallTransferRequest, which must answer at once)."""
        self.reg_answers = 0
        """onRegState calls so far (the engine waits for an un-REGISTER's answer with it)."""
        self.reg_requests = 0
        """setRegistration calls the engine made (more than answers: one is pending)."""

    def onRegStarted(self, prm: Any) -> None:  # noqa: N802
        try:
            self.records.append(RegStarted(self, bool(prm.renew)))
        except BaseException as error:
            self.records.append(CallbackFailed("onRegStarted", repr(error)))

    def onRegState(self, prm: Any) -> None:  # noqa: N802
        self.reg_answers += 1
        try:
            message = ""
            server = ""
            rdata = prm.rdata
            if rdata is not None:
                message = str(rdata.wholeMsg)
                server = str(rdata.srcAddress)
            via = top_via_address(message) if message else None
            self.records.append(
                RegState(
                    account=self,
                    code=int(prm.code),
                    reason=str(prm.reason),
                    status=int(prm.status),
                    expiration=int(prm.expiration),
                    via_host=via.host if via else "",
                    via_port=via.port if via else 0,
                    server=server,
                )
            )
        except BaseException as error:
            self.records.append(CallbackFailed("onRegState", repr(error)))

    def onIncomingCall(self, prm: Any) -> None:  # noqa: N802
        try:
            # The Call object must exist now, and be kept, or pjsua2 tears the call down.
            call = EngineCall(self, self.records, int(prm.callId))
            call.ringing_in = True
            message = str(prm.rdata.wholeMsg)
            from_values = header_values(message, "From", "f")
            display, uri = split_name_addr(from_values[0]) if from_values else ("", "")
            self.records.append(
                IncomingCall(
                    call=call,
                    remote_uri=uri,
                    display_name=display,
                    source=str(prm.rdata.srcAddress),
                    group_headers=tuple(header_values(message, GROUP_HEADER)),
                )
            )
        except BaseException as error:
            self.records.append(CallbackFailed("onIncomingCall", repr(error)))
