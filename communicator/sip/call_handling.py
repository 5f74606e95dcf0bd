"""The engine's call side, wired together: pjsua2 calls (`CallTable`), what the stack reports
about them (`CallSignals`), the core's effects carried out (`EffectRunner`), SIP INFO DTMF,
the per-call timers, the bridge connections (`AudioRouter`) and the recorders.

`SipEngine` owns one `CallHandling` and talks to the call side only through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from communicator.core.call_effects import CallEffect
from communicator.core.call_record import CallRecord
from communicator.core.calls import OUTGOING_SETUP_STATES, CallState, TransferState
from communicator.core.forwarding_decision import ForwardingRules
from communicator.core.lines import Lines
from communicator.core.notices import NoticeSink
from communicator.provisioning.schema import VoipProfile
from communicator.sip import audio_routing
from communicator.sip.audio_routing import AudioRouter, LinkKey, call_medias
from communicator.sip.call_recorders import TRANSCODE_POLL, CallRecorders
from communicator.sip.call_signals import CallSignals
from communicator.sip.call_table import CallTable
from communicator.sip.call_timers import CallTimer, CallTimers
from communicator.sip.effect_runner import EffectRunner
from communicator.sip.events import CallStackRecord, EngineEvent, StackRecord
from communicator.sip.info_dtmf import InfoDtmf
from communicator.sip.local_audio import LocalAudio


class CallHandling:
    def __init__(
        self,
        *,
        records: list[StackRecord],
        local_audio: LocalAudio,
        lines: Callable[[], Lines | None],
        account: Callable[[], Any],
        sdp_offer: Callable[[], bool],
        refusal: Callable[[str], int | None],
        forwarding_rules: Callable[[], ForwardingRules],
        available: Callable[[], bool],
        publish_finished: Callable[[CallRecord], None],
        notice: NoticeSink,
        emit: Callable[[EngineEvent], None],
        failure: Callable[[str], None],
        wall: Callable[[], float],
        monotonic: Callable[[], float],
        transfer_timeout: float,
    ) -> None:
        self._lines = lines
        self._local = local_audio
        self._local_plugged = False
        self._publish_finished = publish_finished
        self._wall = wall
        self.table = CallTable()
        self.timers = CallTimers()
        self.router = AudioRouter(monotonic=monotonic, failure=failure)
        self.info = InfoDtmf(self.table.get, failure)
        self.recorders = CallRecorders(
            publish=publish_finished, notice=notice, failure=failure, monotonic=monotonic
        )
        self._effects = EffectRunner(
            table=self.table,
            records=records,
            lines=lines,
            account=account,
            sdp_offer=sdp_offer,
            info=self.info,
            router=self.router,
            timers=self.timers,
            transfer_timeout=transfer_timeout,
            call_finished=self._call_finished,
            notice=notice,
            failure=failure,
            wall=wall,
        )
        self._signals = CallSignals(
            table=self.table,
            lines=lines,
            run_effects=self._effects.run,
            dialog_confirmed=self._effects.dialog_confirmed,
            reinvite_done=self._effects.reinvite_done,
            dialog_ended=self._effects.dialog_ended,
            router=self.router,
            timers=self.timers,
            info=self.info,
            notice=notice,
            emit=emit,
            refusal=refusal,
            forwarding_rules=forwarding_rules,
            available=available,
            wall=wall,
        )

    def run(self, effects: Iterable[CallEffect]) -> None:
        self._effects.run(effects)

    def handle(self, record: CallStackRecord) -> None:
        self._signals.handle(record)

    def can_follow_transfer(self, call: Any, signed_in: bool) -> bool:
        return self._signals.can_follow_transfer(call, signed_in)

    @property
    def alive(self) -> bool:
        """Whether any pjsua2 call is alive."""
        return bool(self.table)

    def needs_fast_polling(self) -> bool:
        """A call is being set up or transferred, or an INFO is in flight."""
        lines = self._lines()
        setting_up = lines is not None and any(
            call.state in OUTGOING_SETUP_STATES
            or call.state is CallState.RINGING_IN
            or call.transfer in (TransferState.BLIND_PENDING, TransferState.COMPLETING)
            for call in lines.calls.values()
        )
        return setting_up or self.info.busy

    def plug_local_audio(self, local: LocalAudio) -> None:
        """The agent's microphone and speaker from now on (see `local_audio`)."""
        self._local, self._local_plugged = local, True

    def unplug_local_audio(self, default: LocalAudio) -> None:
        """Back to ``default``: every link to the plugged-in media goes at once (they are
        about to be freed; a kept link would call into freed memory)."""
        old, plugged = self._local, self._local_plugged
        self._local, self._local_plugged = default, False
        if plugged:
            self.router.drop_media((old.source, old.sink))

    def sync_audio(self, profile: VoipProfile | None, directory: Callable[[], Path]) -> None:
        """Start recorders for newly established calls, then make the bridge match.
        ``directory`` is asked only when a recorder starts (it runs after every change)."""
        self.recorders.start(profile, self._lines(), self.table.knows, directory)
        self.router.sync(lambda: self._wanted_links(self._local))

    def _wanted_links(self, local: LocalAudio) -> dict[LinkKey, tuple[Any, Any]]:
        lines = self._lines()
        if lines is None:
            return {}
        media = call_medias(lines.calls, self.table.get)
        recorders = {k: r for k, r in self.recorders.recorders.items() if r is not None}
        # Looked up on the module at each call, so a test can make it fail.
        return audio_routing.wanted_links(lines.calls, media, local, recorders)

    def run_timers(self) -> bool:
        """Run the due no-answer and transfer timers; whether any was."""
        lines = self._lines()
        if lines is None:
            return False
        now = self._wall()
        due = self.timers.pop_due(now)
        for kind, call_id in due:
            if kind is CallTimer.NO_ANSWER:
                self.run(lines.no_answer_timeout(call_id, now).effects)
            elif kind is CallTimer.TRANSFER:
                self.run(lines.transfer_timeout(call_id, now).effects)
            else:
                self._effects.retry(call_id)
        return bool(due)

    def deadlines(self) -> list[float]:
        """Seconds until the call side needs the pump again (timers, recordings)."""
        out: list[float] = []
        at = self.timers.next_at()
        if at is not None:
            out.append(at - self._wall())
        if self.recorders.closing:
            out.append(0.02)  # a WAV header is due within a few media frames
        if self.recorders.converting:
            out.append(TRANSCODE_POLL)
        return out

    def _call_finished(self, record: CallRecord) -> None:
        call_id = record.call_id
        self.table.unbind(call_id)
        self.timers.forget(call_id)
        self.info.forget(call_id)
        self.router.drop_call(call_id)
        if not self.recorders.call_finished(record):
            self._publish_finished(record)
