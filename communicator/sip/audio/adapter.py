"""Engine line changes -> ringer and speaker tones.

* An incoming call rings on the ringer device while no other call is up; when the agent is
  already on a call, the new call gives one call-waiting beep on the speaker instead.
* Ring-back plays on the speaker while an outgoing call is ringing (180, no early media).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from communicator.core.calls import CallId, CallState
from communicator.sip.events import EngineEvent, LinesChanged

BUSY_STATES = frozenset(
    {
        CallState.CONNECTED,
        CallState.HELD,
        CallState.DIALING,
        CallState.RINGING_OUT,
        CallState.EARLY_MEDIA,
    }
)


class ToneSink(Protocol):
    def ringback(self, on: bool) -> None: ...

    def call_waiting_beep(self) -> None: ...


class RingerLike(Protocol):
    def start_ringing(self) -> bool: ...

    def stop_ringing(self) -> None: ...


class CallTones:
    def __init__(self, engine: Any, tones: ToneSink, ringer: RingerLike) -> None:
        self._tones = tones
        self._ringer = ringer
        self._ringing: set[CallId] = set()
        self._unsubscribe: Callable[[], None] = engine.subscribe(self.on_event)

    def close(self) -> None:
        self._unsubscribe()
        self._ringer.stop_ringing()
        self._tones.ringback(False)

    def on_event(self, event: EngineEvent) -> None:
        if not isinstance(event, LinesChanged):
            return
        calls = [c for c in event.lines if c is not None]
        ringing = {c.call_id for c in calls if c.state is CallState.RINGING_IN}
        busy = any(c.state in BUSY_STATES for c in calls)
        if ringing and not busy:
            self._ringer.start_ringing()
        else:
            self._ringer.stop_ringing()
        if busy and ringing - self._ringing:
            self._tones.call_waiting_beep()
        self._ringing = ringing
        self._tones.ringback(any(c.state is CallState.RINGING_OUT for c in calls))
