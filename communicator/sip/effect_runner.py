"""Carrying out the core's effects on pjsua2 calls.

`Lines` returns effects (answer, hang up, hold, transfer ...); `EffectRunner.run` performs
them in order on the calls in the `CallTable`. A SIP action that pjsua2 refuses at once is
recorded as a failure and, for a call being set up or a transfer, fed back to the core as its
failure, whose effects run too. Audio is not touched here except for dropping a held call's
bridge links: the engine re-synchronises the bridge after every change.

Hold, resume and transfers need a confirmed dialog (a re-INVITE or REFER before the ACK of an
answered call is refused by pjsip): such an effect for a call whose dialog is not confirmed yet
waits and runs when it is (`dialog_confirmed`); a hold and a resume that both wait cancel out.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import pjsua2 as pj

from communicator.core.call_effects import (
    Answer,
    CallEffect,
    CallFinished,
    Hangup,
    Hold,
    JoinConference,
    MakeCall,
    Notice,
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
from communicator.core.call_events import CallDisconnected, TransferProgress
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId, DtmfMethod
from communicator.core.errors import InvalidOperationError
from communicator.core.lines import Lines
from communicator.sip.audio_routing import AudioRouter
from communicator.sip.call import EngineCall
from communicator.sip.call_table import CallTable
from communicator.sip.call_timers import CallTimer, CallTimers
from communicator.sip.events import StackRecord
from communicator.sip.info_dtmf import InfoDtmf

NEEDS_DIALOG = (Hold, Unhold, TransferBlind, TransferAttended)
"""Effects that pjsip can only send in a confirmed dialog."""


def op_param(code: int) -> Any:
    prm = pj.CallOpParam()
    prm.statusCode = code
    return prm


class EffectRunner:
    def __init__(
        self,
        *,
        table: CallTable,
        records: list[StackRecord],
        lines: Callable[[], Lines | None],
        account: Callable[[], Any],
        sdp_offer: Callable[[], bool],
        info: InfoDtmf,
        router: AudioRouter,
        timers: CallTimers,
        transfer_timeout: float,
        call_finished: Callable[[CallRecord], None],
        notice: Callable[[str], None],
        failure: Callable[[str], None],
        wall: Callable[[], float],
    ) -> None:
        self._table = table
        self._records = records
        self._lines = lines
        self._account = account
        self._sdp_offer = sdp_offer
        self._info = info
        self._router = router
        self._timers = timers
        self._transfer_timeout = transfer_timeout
        self._call_finished = call_finished
        self._notice = notice
        self._failure = failure
        self._wall = wall
        self._waiting: dict[CallId, list[CallEffect]] = {}
        """Effects waiting for their call's dialog to be confirmed."""

    def dialog_confirmed(self, call_id: CallId) -> None:
        """The call's dialog is confirmed: what waited for it runs now, in order."""
        self.run(self._waiting.pop(call_id, ()))

    def dialog_ended(self, call_id: CallId) -> None:
        self._waiting.pop(call_id, None)

    def _wait_for_dialog(self, effect: Hold | Unhold | TransferBlind | TransferAttended) -> None:
        waiting = self._waiting.setdefault(effect.call_id, [])
        cancels = (Unhold, Hold) if isinstance(effect, Hold) else (Hold, Unhold)
        if isinstance(effect, Hold | Unhold) and waiting and isinstance(waiting[-1], cancels[0]):
            waiting.pop()  # hold then resume (or back) before the ACK: nothing to send
        else:
            waiting.append(effect)

    def run(self, effects: Iterable[CallEffect]) -> None:
        queue: deque[CallEffect] = deque(effects)
        while queue:
            effect = queue.popleft()
            try:
                more = self._run_one(effect)
            except pj.Error as error:
                self._failure(f"{type(effect).__name__}: {error.info()}")
                more = self._failed(effect, str(error.reason))
            queue.extend(more)

    def _failed(self, effect: CallEffect, reason: str) -> tuple[CallEffect, ...]:
        """A SIP action failed at once: end the call in the core if it was being set up."""
        lines = self._lines()
        if lines is None:
            return ()
        if isinstance(effect, MakeCall):
            event = CallDisconnected(effect.call_id, 500, reason)
            return lines.handle(event, self._wall()).effects
        if isinstance(effect, TransferBlind | TransferAttended):
            self._timers.forget_kind(CallTimer.TRANSFER, effect.call_id)
            progress = TransferProgress(effect.call_id, 500, reason, final=True)
            return lines.handle(progress, self._wall()).effects
        return ()

    def _run_one(self, effect: CallEffect) -> tuple[CallEffect, ...]:
        if isinstance(effect, MakeCall):
            self._make_call(effect)
            return ()
        if isinstance(effect, CallFinished):
            self._call_finished(effect.record)
            return ()
        if isinstance(effect, Notice):
            self._notice(effect.text)
            return ()
        if isinstance(effect, StartNoAnswerTimer):
            self._timers.start(CallTimer.NO_ANSWER, effect.call_id, effect.at)
            return ()
        if isinstance(effect, SetMute | JoinConference | SplitConference):
            return ()  # audio is synchronised after every change
        call = self._table.get(effect.call_id)
        if call is None:
            return ()
        if isinstance(effect, NEEDS_DIALOG) and not call.confirmed:
            self._wait_for_dialog(effect)
            return ()
        if isinstance(effect, SendRinging):
            call.answer(op_param(180))
        elif isinstance(effect, Answer):
            call.answer(op_param(200))
        elif isinstance(effect, Reject):
            call.hangup(op_param(effect.sip_code))
        elif isinstance(effect, Redirect):
            prm = op_param(effect.sip_code)
            header = pj.SipHeader()
            header.hName = "Contact"
            header.hValue = f"<{effect.target}>"
            headers = pj.SipHeaderVector()
            headers.append(header)
            prm.txOption.headers = headers
            call.answer(prm)
        elif isinstance(effect, Hangup):
            with contextlib.suppress(pj.Error):  # already gone
                call.hangup(pj.CallOpParam(True))
        elif isinstance(effect, Hold):
            self._router.drop_call(effect.call_id)
            call.setHold(pj.CallOpParam(True))
        elif isinstance(effect, Unhold):
            prm = pj.CallOpParam(True)
            prm.opt.flag |= pj.PJSUA_CALL_UNHOLD
            call.reinvite(prm)
        elif isinstance(effect, SendDtmf):
            if effect.method is DtmfMethod.RFC4733:
                call.dialDtmf(effect.digits)
            else:
                self._info.send(effect.call_id, effect.digits)
        elif isinstance(effect, TransferBlind):
            call.xfer(effect.target, pj.CallOpParam(True))
            self._transfer_started(effect.call_id)
        elif isinstance(effect, TransferAttended):
            other = self._table.get(effect.replaces_call_id)
            if other is None:
                raise InvalidOperationError("The consultation call has ended")
            call.xferReplaces(other, pj.CallOpParam(True))
            self._transfer_started(effect.call_id)
        return ()

    def _transfer_started(self, call_id: CallId) -> None:
        self._timers.start(CallTimer.TRANSFER, call_id, self._wall() + self._transfer_timeout)

    def _make_call(self, effect: MakeCall) -> None:
        account = self._account()
        if account is None:
            raise InvalidOperationError("No SIP account")
        call = EngineCall(account, self._records)
        prm = pj.CallOpParam(True)
        if not self._sdp_offer():
            prm.opt.flag |= pj.PJSUA_CALL_NO_SDP_OFFER
        self._table.bind(effect.call_id, call)
        try:
            call.makeCall(effect.uri, prm)
        except pj.Error:
            self._table.unbind(effect.call_id)
            raise
        self._table.keep(call)
