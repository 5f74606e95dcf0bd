"""The agent's call operations on `SipEngine`: each goes to the core's `Lines`, which checks it
(raising `InvalidOperationError` with a message for the agent) and returns the effects the
engine carries out."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable

from communicator.core.call_effects import Outcome
from communicator.core.calls import CallId, DtmfMethod
from communicator.core.errors import InvalidOperationError
from communicator.core.lines import Lines
from communicator.provisioning.schema import DtmfMethod as ProfileDtmf
from communicator.provisioning.schema import VoipProfile


class CallCommands(ABC):
    """Mixed into `SipEngine`; the engine supplies the abstract parts."""

    @abstractmethod
    def _require_lines(self) -> Lines: ...

    @abstractmethod
    def _require_signed_in(self) -> Lines: ...

    @abstractmethod
    def _op(self, operation: Callable[[], Outcome]) -> Outcome: ...

    @abstractmethod
    def _now(self) -> float:
        """Wall-clock seconds."""

    @property
    @abstractmethod
    def profile(self) -> VoipProfile | None: ...

    @property
    @abstractmethod
    def lines(self) -> Lines | None: ...

    def place_call(self, dial: str, *, line: int | None = None, name: str = "") -> CallId:
        """Dial a number, extension or SIP URI (normalised with the profile's dial plan);
        ``name``: whom the agent picked, where known."""
        lines = self._require_signed_in()
        outcome = self._op(lambda: lines.place_call(dial, self._now(), line=line, name=name))
        assert outcome.call_id is not None
        return outcome.call_id

    def answer(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.answer(call_id, self._now()))

    def reject(self, call_id: CallId, sip_code: int = 486) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.reject(call_id, self._now(), sip_code=sip_code))

    def hangup(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.hangup(call_id, self._now()))

    def hangup_all(self) -> None:
        lines = self.lines
        if lines is None:
            return
        for call_id in list(lines.calls):
            with contextlib.suppress(InvalidOperationError):
                self.hangup(call_id)

    def hold(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.hold(call_id))

    def resume(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.resume(call_id))

    def switch_line(self, line: int) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.switch_line(line, self._now()))

    def swap(self) -> None:
        lines = self._require_lines()
        self._op(lines.swap)

    def set_mute(self, call_id: CallId, muted: bool) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.set_mute(call_id, muted))

    def send_dtmf(self, call_id: CallId, digits: str) -> None:
        """DTMF by the profile's method: RFC 4733, or SIP INFO one digit at a time."""
        lines = self._require_lines()
        profile = self.profile
        method = (
            DtmfMethod.SIP_INFO
            if profile is not None and profile.media.dtmf is ProfileDtmf.SIP_INFO
            else DtmfMethod.RFC4733
        )
        self._op(lambda: lines.send_dtmf(call_id, digits, method))

    def blind_transfer(self, call_id: CallId, dial: str) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.blind_transfer(call_id, dial, self._now()))

    def start_consult(self, call_id: CallId, dial: str) -> CallId:
        """Attended transfer, step 1: hold the call, dial the target; returns the consultation."""
        lines = self._require_signed_in()
        outcome = self._op(lambda: lines.start_consult(call_id, dial, self._now()))
        assert outcome.call_id is not None
        return outcome.call_id

    def complete_transfer(self, call_id: CallId) -> None:
        """Attended transfer, step 2: REFER with Replaces (either call may be named)."""
        lines = self._require_lines()
        self._op(lambda: lines.complete_transfer(call_id, self._now()))

    def cancel_consult(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.cancel_consult(call_id, self._now()))

    def conference(self, call_id: CallId, other_call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.conference(call_id, other_call_id))

    def split_conference(self, call_id: CallId) -> None:
        lines = self._require_lines()
        self._op(lambda: lines.split_conference(call_id))
