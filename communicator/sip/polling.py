"""What the engine tells the poll loop after each poll (no Qt here: the loop lives in ui/)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollHint:
    """What the engine reports after each poll."""

    hot: bool = False
    """A transaction is in progress (call setup, REGISTER in flight, INFO digits queued...)."""
    live: bool = False
    """At least one call exists."""
    next_deadline_in: float | None = None
    """Seconds until a timer of the engine is due (None: no timer)."""
    rtp: bool = False
    """Calls are up and their RTP arrives on the pumped ioqueue (no media worker thread):
    keep polling, blocking in epoll, so packets reach the jitter buffer as they arrive."""
