"""Per-call deadlines the engine keeps for the core (wall-clock seconds).

* no answer: the core asked for it (`StartNoAnswerTimer`) to forward a call left ringing;
* transfer: a transfer (blind, or the REFER of an attended one) that gets no final answer
  within the core's `TRANSFER_TIMEOUT_S` (or the engine's ``transfer_timeout``) ends, and the
  agent keeps the call (`Lines.transfer_timeout`). A far end whose final NOTIFY
  pjsip cannot parse (seen: ``Subscription-State: terminated;reason=reason=noresource``)
  would otherwise leave the transfer pending for ever.
* re-INVITE: a hold or resume the far end answered "not now" (491, 500) is sent again
  (`effect_runner.RETRY_DELAYS_S`).
"""

from __future__ import annotations

import enum

from communicator.core.calls import CallId
from communicator.core.lines import TRANSFER_TIMEOUT_S

__all__ = ["TRANSFER_TIMEOUT_S", "CallTimer", "CallTimers"]


class CallTimer(enum.Enum):
    NO_ANSWER = "no answer"
    TRANSFER = "transfer"
    REINVITE = "re-INVITE retry"


class CallTimers:
    def __init__(self) -> None:
        self._at: dict[tuple[CallTimer, CallId], float] = {}

    def start(self, kind: CallTimer, call_id: CallId, at: float) -> None:
        self._at[(kind, call_id)] = at

    def forget(self, call_id: CallId) -> None:
        for key in [k for k in self._at if k[1] == call_id]:
            del self._at[key]

    def next_at(self) -> float | None:
        return min(self._at.values()) if self._at else None

    def pop_due(self, now: float) -> list[tuple[CallTimer, CallId]]:
        """The timers due at ``now``, earliest first (they are removed)."""
        due = sorted(
            ((at, key) for key, at in self._at.items() if now >= at), key=lambda item: item[0]
        )
        for _, key in due:
            del self._at[key]
        return [key for _, key in due]

    def forget_kind(self, kind: CallTimer, call_id: CallId) -> None:
        self._at.pop((kind, call_id), None)
