"""What one line shows the agent: the call on it (if any) and what the agent may do with it now.

The allowed operations come from `Lines.allowed_operations`, which derives them from the same
table and checks the operations themselves use: a button's enabled state never copies the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from communicator.core.call_quality import CallQuality
from communicator.core.calls import Call, CallId, CallState, HoldState
from communicator.core.lines import Operation

AGENT_OPERATIONS = frozenset(Operation) - {Operation.ATTACH_RECORDING, Operation.FOLLOW_TRANSFER}
"""The operations an agent gives; the others are the engine's own (recording, following a far
end's transfer)."""


@dataclass(frozen=True)
class LineView:
    number: int
    """1-based, as the agent sees it."""
    call: Call | None
    allowed: frozenset[Operation] = frozenset()
    """What the agent may do with the call now (a subset of `AGENT_OPERATIONS`)."""
    quality: CallQuality | None = None
    """The call's stream statistics as they are now: the packets and losses of the last
    `call_quality.LIVE_WINDOW_S` (None before its media has run a moment)."""

    @property
    def free(self) -> bool:
        return self.call is None

    @property
    def call_id(self) -> CallId | None:
        return None if self.call is None else self.call.call_id

    @property
    def ringing_in(self) -> bool:
        return self.call is not None and self.call.state is CallState.RINGING_IN

    @property
    def held(self) -> bool:
        return self.call is not None and self.call.hold in (HoldState.LOCAL, HoldState.BOTH)

    @property
    def muted(self) -> bool:
        return self.call is not None and self.call.muted

    def can(self, operation: Operation) -> bool:
        return operation in self.allowed

    def timer_start(self) -> float | None:
        """Where the line's call timer counts from (engine clock, epoch seconds): the answer,
        or the call's start while it is not answered yet."""
        if self.call is None:
            return None
        return self.call.answered_at or self.call.created_at
