"""Per-call deadlines the engine keeps for the core (wall-clock seconds).

* no answer: the core asked for it (`StartNoAnswerTimer`) to forward a call left ringing;
* transfer: a transfer (blind, or the REFER of an attended one) that gets no final answer
  within `TRANSFER_TIMEOUT_S` ends, so the agent keeps the call. A far end whose final NOTIFY
  pjsip cannot parse (seen: ``Subscription-State: terminated;reason=reason=noresource``)
  would otherwise leave the transfer pending for ever.
"""

from __future__ import annotations

import enum

from communicator.core.call_effects import CallEffect, Outcome
from communicator.core.call_events import TransferProgress
from communicator.core.calls import CallId
from communicator.core.lines import Lines

TRANSFER_TIMEOUT_S = 30.0
"""Longest wait for a transfer's final NOTIFY."""


class CallTimer(enum.Enum):
    NO_ANSWER = "no answer"
    TRANSFER = "transfer"


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


def transfer_timeout_effects(lines: Lines, call_id: CallId, now: float) -> tuple[CallEffect, ...]:
    """A transfer got no final answer in time: the core ends it and the agent keeps the call
    (``Lines.transfer_timeout`` where the core has it; else as a failed final NOTIFY)."""
    timeout = getattr(lines, "transfer_timeout", None)
    if timeout is not None:
        outcome: Outcome = timeout(call_id, now)
        return outcome.effects
    if call_id not in lines.calls:
        return ()
    event = TransferProgress(call_id, 408, "no final answer from the far end", final=True)
    return lines.handle(event, now).effects
