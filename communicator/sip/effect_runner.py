"""Carrying out the core's effects on pjsua2 calls.

`Lines` returns effects (answer, hang up, hold, transfer ...); `EffectRunner.run` performs
them in order on the calls in the `CallTable`. A SIP action that pjsua2 refuses at once is
recorded as a failure and, for a call being set up or a transfer, fed back to the core as its
failure, whose effects run too. Audio is not touched here except for dropping a held call's
bridge links: the engine re-synchronises the bridge after every change.

Hold, resume and transfers need a confirmed dialog (a re-INVITE or REFER before the ACK of an
answered call is refused by pjsip): such an effect for a call whose dialog is not confirmed yet
waits and runs when it is (`dialog_confirmed`).

A hold or resume also waits while the call has an INVITE transaction under way: pjsip allows one
per dialog and refuses another with PJ_EINVALIDOP. It may be ours, from the previous hold or
resume (answering a second line holds the first, and a Swap right after resumes it), or the far
end's. The effect runs when that transaction is done (`reinvite_done`). A far end that answers
our re-INVITE with 491 (both sides re-INVITEd at once) or 500 (it still had an INVITE
transaction: our next re-INVITE overtook the ACK of the previous one in a multi-worker proxy)
has not taken the change: it is sent again after `RETRY_DELAYS_S`.

A hold and a resume that both wait cancel out; the effects of one call keep their order.
"""

from __future__ import annotations

import contextlib
import logging
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
from communicator.core.call_events import CallDisconnected, HoldFailed, TransferProgress
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId, DtmfMethod
from communicator.core.errors import InvalidOperationError
from communicator.core.lines import Lines
from communicator.core.notices import NoticeSink
from communicator.sip.audio_routing import AudioRouter
from communicator.sip.call import EngineCall
from communicator.sip.call_table import CallTable
from communicator.sip.call_timers import CallTimer, CallTimers
from communicator.sip.events import StackRecord
from communicator.sip.info_dtmf import InfoDtmf

log = logging.getLogger(__name__)

NEEDS_DIALOG = (Hold, Unhold, TransferBlind, TransferAttended)
"""Effects that pjsip can only send in a confirmed dialog."""
REINVITES = (Hold, Unhold)
"""Effects sent as a re-INVITE: one at a time per dialog."""
PJ_EINVALIDOP = 70013
"""pjsip_inv_reinvite's answer while the dialog has an INVITE transaction under way."""
RETRY_CODES = frozenset({491, 500})
"""Answers to our re-INVITE that mean "not now" (glare, or an INVITE transaction still open)."""
RETRY_DELAYS_S = (0.2, 1.0, 2.0)
"""Delay before each new try of a hold or resume the far end answered with a `RETRY_CODES`
code. Sooner than the Retry-After of a 500 (pjsip picks 0-9 s at random): the usual cause
is our own ACK, which arrives within milliseconds."""


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
        notice: NoticeSink,
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
        """Effects waiting for their call's dialog: confirmed, or free of an INVITE
        transaction."""
        self._sent: dict[CallId, tuple[Hold | Unhold, int]] = {}
        """The hold or resume under way on each call, and how many times it has been sent."""
        self._backing_off: dict[CallId, int] = {}
        """Calls whose hold or resume (first in ``_waiting``) is sent again when the
        `CallTimer.REINVITE` timer fires: how many times it has been sent."""

    def dialog_confirmed(self, call_id: CallId) -> None:
        """The call's dialog is confirmed: what waited for it runs now, in order."""
        self.run(self._waiting.pop(call_id, ()))

    def reinvite_done(self, call: EngineCall, code: int, ours: bool) -> None:
        """The INVITE transaction under way on ``call`` is done (``ours``: the re-INVITE we
        sent, answered with ``code``): the next hold or resume (and what waited behind it)
        may go, or the one that was answered "not now" goes again a little later."""
        call_id = call.core_id
        log.debug("re-INVITE done on %s: %s %s", call_id, "ours" if ours else "theirs", code)
        if call_id is None:
            call.reinvite_pending = False
            return
        if call_id in self._backing_off or (not ours and call_id in self._sent):
            return  # the timer sends it again, or ours is still under way
        sent = self._sent.pop(call_id, None) if ours else None
        if sent is not None and code in RETRY_CODES and self._again(sent[0], sent[1], code):
            return
        refused = sent is not None and code >= 300 and code not in RETRY_CODES
        if sent is not None and refused:
            self._failure(f"{type(sent[0]).__name__}: the far end answered {code}")
        call.reinvite_pending = False
        if sent is not None and refused:
            self.run(self._hold_failed(sent[0], code))
        self.run(self._waiting.pop(call_id, ()))

    def retry(self, call_id: CallId) -> None:
        """The `CallTimer.REINVITE` timer fired: send the hold or resume again."""
        if self._backing_off.get(call_id) is None:
            return
        call = self._table.get(call_id)
        if call is not None:
            call.reinvite_pending = False
        self.run(self._waiting.pop(call_id, ()))
        self._backing_off.pop(call_id, None)

    def _again(self, effect: Hold | Unhold, tries: int, code: int) -> bool:
        """Schedule ``effect`` (answered ``code``) to be sent again, ahead of what waits;
        False when it need not be (a waiting opposite cancels it) or may not be (tried
        enough: recorded as a failure)."""
        waiting = self._waiting.setdefault(effect.call_id, [])
        if waiting and isinstance(waiting[0], Unhold if isinstance(effect, Hold) else Hold):
            log.debug("%s (answered %s) cancels the waiting %s", effect, code, waiting.pop(0))
            return False
        if tries > len(RETRY_DELAYS_S):
            self._failure(f"{type(effect).__name__}: the far end answered {code} {tries} times")
            self.run(self._hold_failed(effect, code))
            return False
        waiting.insert(0, effect)
        self._backing_off[effect.call_id] = tries
        at = self._wall() + RETRY_DELAYS_S[tries - 1]
        self._timers.start(CallTimer.REINVITE, effect.call_id, at)
        log.debug("%s answered %s: sent again in %.1f s", effect, code, at - self._wall())
        return True

    def dialog_ended(self, call_id: CallId) -> None:
        self._waiting.pop(call_id, None)
        self._sent.pop(call_id, None)
        self._backing_off.pop(call_id, None)

    def _must_wait(self, call: EngineCall, effect: CallEffect) -> bool:
        if not isinstance(effect, NEEDS_DIALOG):
            return False
        return (
            not call.confirmed
            or bool(self._waiting.get(effect.call_id))
            or (isinstance(effect, REINVITES) and call.reinvite_pending)
        )

    def _busy_dialog(self, effect: CallEffect, error: pj.Error) -> bool:
        """pjsip refused a hold or resume because an INVITE transaction is under way (one we
        did not know of: the far end's re-INVITE): it waits for that one instead."""
        if not isinstance(effect, REINVITES) or int(error.status) != PJ_EINVALIDOP:
            return False
        call = self._table.get(effect.call_id)
        if call is None:
            return False
        call.reinvite_pending = True
        self._wait(effect)
        return True

    def _wait(self, effect: Hold | Unhold | TransferBlind | TransferAttended) -> None:
        waiting = self._waiting.setdefault(effect.call_id, [])
        cancels = (Unhold, Hold) if isinstance(effect, Hold) else (Hold, Unhold)
        if isinstance(effect, Hold | Unhold) and waiting and isinstance(waiting[-1], cancels[0]):
            log.debug("%s cancels the waiting %s", effect, waiting.pop())
        else:
            log.debug("%s waits for the dialog", effect)
            waiting.append(effect)

    def run(self, effects: Iterable[CallEffect]) -> None:
        queue: deque[CallEffect] = deque(effects)
        while queue:
            effect = queue.popleft()
            try:
                more = self._run_one(effect)
            except pj.Error as error:
                if self._busy_dialog(effect, error):
                    continue
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
        if isinstance(effect, Hold | Unhold):
            return self._hold_failed(effect, None)
        return ()

    def _hold_failed(self, effect: Hold | Unhold, code: int | None) -> tuple[CallEffect, ...]:
        """The hold or resume did not happen: the core puts the call back as it was (and
        tells the agent); its effects are returned to run."""
        lines = self._lines()
        if lines is None:
            return ()
        event = HoldFailed(effect.call_id, isinstance(effect, Hold), code)
        return lines.handle(event, self._wall()).effects

    def _run_one(self, effect: CallEffect) -> tuple[CallEffect, ...]:
        if isinstance(effect, MakeCall):
            self._make_call(effect)
            return ()
        if isinstance(effect, CallFinished):
            self._call_finished(effect.record)
            return ()
        if isinstance(effect, Notice):
            self._notice(effect)
            return ()
        if isinstance(effect, StartNoAnswerTimer):
            self._timers.start(CallTimer.NO_ANSWER, effect.call_id, effect.at)
            return ()
        if isinstance(effect, SetMute | JoinConference | SplitConference):
            return ()  # audio is synchronised after every change
        call = self._table.get(effect.call_id)
        if call is None:
            return ()
        if isinstance(effect, NEEDS_DIALOG) and self._must_wait(call, effect):
            self._wait(effect)
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
            self._reinvite_sent(call, effect)
        elif isinstance(effect, Unhold):
            prm = pj.CallOpParam(True)
            prm.opt.flag |= pj.PJSUA_CALL_UNHOLD
            call.reinvite(prm)
            self._reinvite_sent(call, effect)
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

    def _reinvite_sent(self, call: EngineCall, effect: Hold | Unhold) -> None:
        call.reinvite_pending = True
        tries = self._backing_off.get(effect.call_id, 0) + 1
        self._sent[effect.call_id] = (effect, tries)
        log.debug("%s sent (try %d)", effect, tries)

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
