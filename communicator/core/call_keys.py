"""What a headset's or keyboard's call key does: answer or hang up, on which call.

The keys arrive from the toolkit (Qt's ``Key_Call``, ``Key_Hangup``, ``Key_ToggleCallHangup``
and the media play/pause key a Bluetooth headset's button usually sends); the UI maps them to a
`CallKey` and `call_key_action` decides, from the lines as the agent sees them, what to do:

* CALL answers the call that rings (the lowest line first);
* HANG_UP ends the call the agent is talking on, else one being dialled, else declines a
  ringing call;
* TOGGLE answers a ringing call if there is one while no call is connected, else hangs up as
  HANG_UP does (a headset's one button: press to answer, press again to end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from communicator.core.calls import CallId, CallState
from communicator.core.line_view import LineView
from communicator.core.operations import Operation


class CallKey(Enum):
    CALL = "call"
    HANG_UP = "hang up"
    TOGGLE = "toggle"


@dataclass(frozen=True)
class CallKeyAction:
    operation: Operation
    """ANSWER, HANGUP or REJECT."""
    call_id: CallId


_OUTGOING = (CallState.DIALING, CallState.RINGING_OUT, CallState.EARLY_MEDIA)


def call_key_action(key: CallKey, lines: Sequence[LineView]) -> CallKeyAction | None:
    """What ``key`` does now, or None when it has nothing to do (the key is then not used)."""
    ringing = _first(lines, lambda v: v.ringing_in and v.can(Operation.ANSWER))
    connected = _first(
        lines, lambda v: _state(v) is CallState.CONNECTED and v.can(Operation.HANGUP)
    )
    if key is CallKey.CALL or (key is CallKey.TOGGLE and connected is None):
        if ringing is not None and ringing.call_id is not None:
            return CallKeyAction(Operation.ANSWER, ringing.call_id)
        if key is CallKey.CALL:
            return None
    outgoing = _first(lines, lambda v: _state(v) in _OUTGOING and v.can(Operation.HANGUP))
    for view in (connected, outgoing):
        if view is not None and view.call_id is not None:
            return CallKeyAction(Operation.HANGUP, view.call_id)
    declinable = _first(lines, lambda v: v.ringing_in and v.can(Operation.REJECT))
    if key is CallKey.HANG_UP and declinable is not None and declinable.call_id is not None:
        return CallKeyAction(Operation.REJECT, declinable.call_id)
    return None


def _state(view: LineView) -> CallState | None:
    return None if view.call is None else view.call.state


def _first(lines: Sequence[LineView], test: Callable[[LineView], bool]) -> LineView | None:
    return next((view for view in lines if test(view)), None)
