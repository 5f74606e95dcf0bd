"""The session model's commands to the phone, the agent state and the sound devices.

A mixin of `SessionModel`: each command runs through ``_command``, which turns a refusal
(`InvalidOperationError`) into a message for the agent instead of an exception, and refreshes
the model's state afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from communicator.core.calls import CallId
from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.ui.agent_presence import AgentPresence
from communicator.ui.i18n import translate
from communicator.ui.session_state import AudioSetup

if TYPE_CHECKING:
    from communicator.sip.engine import SipEngine

T = TypeVar("T")


class AudioControls(Protocol):
    def setup(self) -> AudioSetup: ...
    def choose_devices(
        self, *, microphone: str | None, speaker: str | None, ringer: str | None
    ) -> None: ...
    def set_volumes(
        self,
        *,
        microphone: float | None = None,
        speaker: float | None = None,
        ringer: float | None = None,
    ) -> None: ...
    def subscribe(self, listener: Callable[[Message], None]) -> Callable[[], None]: ...


class SessionCommands:
    _engine: SipEngine
    _presence: AgentPresence
    _audio: AudioControls | None

    def _command(self, action: Callable[[], T]) -> T | None:
        raise NotImplementedError

    def _tell(
        self, source: MessageSource, text: str, level: MessageLevel = MessageLevel.INFO
    ) -> None:
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ calls

    def place_call(self, dial: str, *, line: int | None = None, name: str = "") -> CallId | None:
        """``name``: whom the agent picked (a directory or history entry), shown on the line
        and kept in the history with the number."""
        return self._command(lambda: self._engine.place_call(dial, line=line, name=name))

    def answer(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.answer(call_id))

    def reject(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.reject(call_id))

    def hangup(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.hangup(call_id))

    def hold(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.hold(call_id))

    def resume(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.resume(call_id))

    def swap(self) -> None:
        self._command(self._engine.swap)

    def switch_line(self, line: int) -> None:
        self._command(lambda: self._engine.switch_line(line))

    def set_mute(self, call_id: CallId, muted: bool) -> None:
        self._command(lambda: self._engine.set_mute(call_id, muted))

    def send_dtmf(self, call_id: CallId, digits: str) -> None:
        self._command(lambda: self._engine.send_dtmf(call_id, digits))

    def blind_transfer(self, call_id: CallId, dial: str) -> None:
        self._command(lambda: self._engine.blind_transfer(call_id, dial))

    def start_consult(self, call_id: CallId, dial: str) -> CallId | None:
        return self._command(lambda: self._engine.start_consult(call_id, dial))

    def complete_transfer(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.complete_transfer(call_id))

    def cancel_consult(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.cancel_consult(call_id))

    def conference(self, call_id: CallId, other_call_id: CallId) -> None:
        self._command(lambda: self._engine.conference(call_id, other_call_id))

    def split_conference(self, call_id: CallId) -> None:
        self._command(lambda: self._engine.split_conference(call_id))

    # ------------------------------------------------------------------ agent state and audio

    def set_ready(self) -> None:
        self._command(self._presence.set_ready)

    def set_not_ready(self, reason: str) -> None:
        self._command(lambda: self._presence.set_not_ready(reason))

    def extend_wrap_up(self) -> None:
        self._command(self._presence.extend_wrap_up)

    def choose_devices(
        self, *, microphone: str | None, speaker: str | None, ringer: str | None
    ) -> None:
        audio = self._audio
        if audio is None:
            off = translate("SessionModel", "Sound is off in this session.")
            self._tell(MessageSource.AUDIO, off, MessageLevel.INFO)
            return
        self._command(
            lambda: audio.choose_devices(microphone=microphone, speaker=speaker, ringer=ringer)
        )

    def set_volumes(
        self,
        *,
        microphone: float | None = None,
        speaker: float | None = None,
        ringer: float | None = None,
    ) -> None:
        if self._audio is not None:
            self._audio.set_volumes(microphone=microphone, speaker=speaker, ringer=ringer)
            self._refresh()
